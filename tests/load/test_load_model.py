"""Modelling: workloads to representative pods, ownerReferences, namespaces, phases, duplicates."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import yaml

from netreach.model import ContainerPort, Snapshot

LoadText = Callable[..., Snapshot]  # the load_text fixture (conftest.py)
ErrorsOf = Callable[..., list[str]]  # the errors_of fixture


def workload(kind: str, name: str = "w", ns: str = "default", api: str = "apps/v1") -> str:
    template = {
        "metadata": {"labels": {"app": name}},
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "ports": [
                        {"containerPort": 8080, "name": "http"},
                        {"containerPort": 53, "protocol": "UDP"},
                    ],
                }
            ]
        },
    }
    spec = (
        {"jobTemplate": {"spec": {"template": template}}}
        if kind == "CronJob"
        else {"template": template}
    )
    doc = {"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": ns}}
    return yaml.safe_dump({**doc, "spec": spec}, sort_keys=False)


def pod(
    name: str, owner: tuple[str, str] | None = None, ns: str = "default", extra: str = ""
) -> str:
    text = f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
    text += "  labels: {app: real}\n"
    if owner:
        text += (
            f"  ownerReferences:\n  - {{apiVersion: apps/v1, kind: {owner[0]}, "
            f"name: {owner[1]}, controller: true, uid: u}}\n"
        )
    return text + "spec:\n  containers: [{name: c}]\n" + extra


@pytest.mark.parametrize(
    ("kind", "api"),
    [
        ("Deployment", "apps/v1"),
        ("ReplicaSet", "apps/v1"),
        ("StatefulSet", "apps/v1"),
        ("DaemonSet", "apps/v1"),
        ("Job", "batch/v1"),
        ("CronJob", "batch/v1"),
        ("ReplicationController", "v1"),
    ],
)
def test_workload_becomes_one_template_pod(load_text: LoadText, kind: str, api: str) -> None:
    snap = load_text(workload(kind, "w", "shop", api))
    [p] = snap.pods
    assert p.from_template
    assert p.namespace == "shop"
    assert p.workload.id == f"shop/w[{kind}]"
    assert dict(p.labels) == {"app": "w"}
    assert p.ports == (ContainerPort(8080, "TCP", "http"), ContainerPort(53, "UDP", None))
    assert p.name.startswith("w-") and len(p.name) == len("w-") + 5


def test_template_pod_name_is_stable(load_text: LoadText) -> None:
    a = load_text(workload("Deployment")).pods[0].name
    b = load_text(workload("Deployment")).pods[0].name
    assert a == b


def test_template_pod_names_unique_in_namespace(load_text: LoadText) -> None:
    snap = load_text(workload("Deployment", "w") + "---\n" + workload("StatefulSet", "w"))
    names = [p.name for p in snap.pods]
    assert len(set(names)) == 2


def test_pod_owned_by_workload_in_input_replaces_template(load_text: LoadText) -> None:
    snap = load_text(workload("StatefulSet", "db") + "---\n" + pod("db-0", ("StatefulSet", "db")))
    [p] = snap.pods
    assert p.name == "db-0" and not p.from_template
    assert p.workload.id == "default/db[StatefulSet]"


def test_pod_replicaset_deployment_chain(load_text: LoadText) -> None:
    rs = workload("ReplicaSet", "web-7d4b9").replace(
        "  namespace: default\n",
        "  namespace: default\n  ownerReferences:\n"
        "  - {kind: Deployment, name: web, controller: true}\n",
        1,
    )
    text = "---\n".join(
        [workload("Deployment", "web"), rs, pod("web-7d4b9-abcde", ("ReplicaSet", "web-7d4b9"))]
    )
    snap = load_text(text)
    assert [(p.name, p.workload.id) for p in snap.pods] == [
        ("web-7d4b9-abcde", "default/web[Deployment]")
    ]


def test_replicaset_owned_by_deployment_makes_no_extra_pod(load_text: LoadText) -> None:
    rs = workload("ReplicaSet", "web-7d4b9").replace(
        "  namespace: default\n",
        "  namespace: default\n  ownerReferences:\n  - {kind: Deployment, name: web}\n",
        1,
    )
    snap = load_text(workload("Deployment", "web") + "---\n" + rs)
    assert [p.workload.id for p in snap.pods] == ["default/web[Deployment]"]


def test_pod_with_owner_not_in_input(load_text: LoadText) -> None:
    snap = load_text(pod("frontend-99684f7f8-x2x5z", ("ReplicaSet", "frontend-99684f7f8")))
    assert snap.pods[0].workload.id == "default/frontend-99684f7f8[ReplicaSet]"


def test_ownerless_pod(load_text: LoadText) -> None:
    snap = load_text(pod("solo"))
    assert snap.pods[0].workload.id == "default/solo[Pod]"
    assert not snap.pods[0].from_template


def test_pods_in_succeeded_or_failed_phase_are_skipped(load_text: LoadText) -> None:
    snap = load_text(
        pod("done", extra="status: {phase: Succeeded}\n")
        + "---\n"
        + pod("crashed", extra="status: {phase: Failed}\n")
        + "---\n"
        + pod("running", extra="status: {phase: Running}\n")
    )
    assert [p.name for p in snap.pods] == ["running"]
    assert len(snap.skipped["Pod (Succeeded/Failed)"]) == 2


def test_host_network_pod_kept(load_text: LoadText) -> None:
    text = pod("h").replace("spec:\n", "spec:\n  hostNetwork: true\n")
    assert load_text(text).pods[0].host_network is True


def test_pod_ips(load_text: LoadText) -> None:
    a = load_text(pod("a", extra="status: {podIPs: [{ip: 10.0.0.5}, {ip: 'fd00::5'}]}\n"))
    assert a.pods[0].ips == ("10.0.0.5", "fd00::5")
    b = load_text(pod("b", extra="status: {podIP: 10.0.0.6}\n"))
    assert b.pods[0].ips == ("10.0.0.6",)
    assert load_text(pod("c")).pods[0].ips == ()


def test_container_ports_and_sidecars(load_text: LoadText) -> None:
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\nspec:\n"
        "  initContainers:\n"
        "  - {name: init, ports: [{containerPort: 1111}]}\n"
        "  - {name: side, restartPolicy: Always, ports: [{containerPort: 2222, protocol: SCTP}]}\n"
        "  containers:\n  - {name: c, ports: [{containerPort: 80, name: web}]}\n"
    )
    assert load_text(text).pods[0].ports == (
        ContainerPort(80, "TCP", "web"),
        ContainerPort(2222, "SCTP", None),
    )


def test_objects_without_namespace_go_to_default(load_text: LoadText) -> None:
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {}\n"
    assert load_text(text).pods[0].namespace == "default"
    assert load_text(text, namespace="team").pods[0].namespace == "team"


def test_implied_namespace_with_warning(load_text: LoadText) -> None:
    snap = load_text(pod("p", ns="ghost"))
    ns = snap.namespaces["ghost"]
    assert ns.implied and dict(ns.labels) == {"kubernetes.io/metadata.name": "ghost"}
    assert [str(w) for w in snap.warnings] == [
        't.yaml:1: namespace "ghost" is not defined in the input; assuming it exists '
        "with only the label kubernetes.io/metadata.name=ghost"
    ]


def test_defined_namespace_gets_name_label(load_text: LoadText) -> None:
    text = (
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n"
        "  labels: {team: a, kubernetes.io/metadata.name: wrong}\n"
    )
    ns = load_text(text).namespaces["shop"]
    assert not ns.implied
    assert dict(ns.labels) == {"team": "a", "kubernetes.io/metadata.name": "shop"}


def test_duplicate_objects_name_both_locations(errors_of: ErrorsOf) -> None:
    errs = errors_of(pod("p") + "---\n" + pod("p"))
    assert errs == ["t.yaml:10: Pod default/p: duplicate Pod default/p: also defined at t.yaml:1"]


def test_same_name_different_kind_or_namespace_is_fine(load_text: LoadText) -> None:
    snap = load_text(
        pod("p") + "---\n" + pod("p", ns="other") + "---\n" + workload("Job", "p", api="batch/v1")
    )
    assert len(snap.pods) == 3


def test_skip_invalid_drops_only_the_invalid_object(load_text: LoadText) -> None:
    snap = load_text(pod("good") + "---\n" + pod("Bad_Name"), skip_invalid=True)
    assert [p.name for p in snap.pods] == ["good"]
    assert len(snap.invalid) == 1
    assert str(snap.invalid[0]).startswith("t.yaml:13: Pod default/Bad_Name: metadata.name:")
