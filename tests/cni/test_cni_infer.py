"""Policies-only input written as Calico or Cilium policies: workloads are inferred from their
selectors as from NetworkPolicy's (loader/infer_cni.py, docs/inference.md), so the lesson in
either CNI's terms decides connections without its pods."""

from __future__ import annotations

from pathlib import Path

from cni_helpers import calico_np, ccnp, docs, gnp

import netreach
from netreach.calico_selector import parse
from netreach.cluster import Cluster
from netreach.loader import load_sources
from netreach.loader.infer import infer_workloads
from netreach.loader.infer_cni import calico_namespaces, calico_selector, split_virtual
from netreach.loader.pods import NAMESPACE_LABEL
from netreach.loader.sources import Source
from netreach.model import (
    V_ABSENT,
    V_CLUSTER,
    V_NAMESPACE,
    V_NS_LABEL,
    V_SERVICE_ACCOUNT,
    LabelSelector,
    Options,
    Requirement,
)

ROOT = Path(__file__).resolve().parents[2]


def _inferred(text: str) -> Cluster:
    snap = load_sources([Source("t.yaml", text.encode())])
    return Cluster(infer_workloads(snap).snapshot, Options())


def _ids(c: Cluster) -> set[str]:
    return {p.workload.id for p in c.pods}


def test_calico_selectors_read_as_label_selectors() -> None:
    sel = calico_selector(parse('app == "api" && has(tier) && !has(canary) && env != "dev"'))
    assert sel == LabelSelector(
        (("app", "api"),),
        (
            Requirement("tier", "Exists"),
            Requirement("canary", "DoesNotExist"),
            Requirement("env", "NotIn", ("dev",)),
        ),
    )
    # of an `||`, the first branch: a pod meeting it meets the whole
    assert calico_selector(parse('app == "a" || app == "b"')) == LabelSelector((("app", "a"),))
    assert calico_selector(parse('app starts with "we"')) is None  # not read: no pod
    assert calico_namespaces(parse('projectcalico.org/name == "kube-system"')) == LabelSelector(
        ((NAMESPACE_LABEL, "kube-system"),)
    )


def test_cilium_virtual_labels_say_where_the_pod_lives() -> None:
    sel = LabelSelector(
        ((V_NAMESPACE, "shop"), (V_NS_LABEL + "team", "x"), (V_CLUSTER, "default"), ("app", "a"))
    )
    assert split_virtual(sel) == (
        "shop",
        LabelSelector((("team", "x"),)),
        LabelSelector((("app", "a"),)),
    )
    # a label of another source (reserved:host) no pod carries; a service account: not read
    assert split_virtual(LabelSelector(((V_ABSENT + "reserved:host", ""),))) is None
    absent_ok = LabelSelector((), (Requirement(V_ABSENT + "reserved:host", "DoesNotExist"),))
    assert split_virtual(absent_ok) == (None, None, LabelSelector())
    assert split_virtual(LabelSelector(((V_SERVICE_ACCOUNT, "sa"),))) is None


def test_the_calico_lesson_without_pods_infers_its_workloads() -> None:
    c = netreach.load(str(ROOT / "examples" / "calico" / "policies.yaml"))
    assert {
        "default/db[Inferred]",
        "default/api[Inferred]",
        "default/web[Inferred]",
        "backend/api[Inferred]",
        "kube-system/kube-dns[Inferred]",
    } <= _ids(c)
    assert c.check("backend/api", "default/db", 5432).allowed
    assert not c.check("default/web", "default/db", 5432).allowed
    assert c.check("default/web", "kube-system/kube-dns", 53, "UDP").allowed
    assert c.namespaces["backend"].labels["team"] == "backend"


def test_the_cilium_lesson_without_pods_infers_its_workloads_and_namespace_labels() -> None:
    c = netreach.load(str(ROOT / "examples" / "cilium" / "policies.yaml"))
    assert {"default/db[Inferred]", "kube-system/kube-dns[Inferred]"} <= _ids(c)
    # db admits namespace monitoring labelled team=monitoring: the inferred namespace has it
    assert c.namespaces["monitoring"].labels.get("team") == "monitoring"
    mon = next(p for p in c.pods if p.namespace == "monitoring")
    assert c.check(mon, "default/db", "metrics").allowed
    assert not c.check("default/web", "default/db", 5432).allowed  # the ingressDeny


def test_calico_entity_scopes_place_the_inferred_peers() -> None:
    text = docs(
        calico_np(
            "p",
            "shop",
            '  selector: app == "api"\n'
            "  ingress:\n"
            '  - {action: Allow, source: {selector: app == "web"}}\n'
            '  - {action: Allow, source: {namespaceSelector: team == "ops", selector: app == "mon"}}\n'
            "  - {action: Allow, source: {namespaceSelector: global()}}\n"
            "  - {action: Allow, source: {nets: [10.0.0.0/8]}}",
        ),
        gnp("g", '  selector: role == "x"\n  namespaceSelector: env == "prod"\n  types: [Ingress]'),
    )
    c = _inferred(text)
    ids = _ids(c)
    assert {"shop/api[Inferred]", "shop/web[Inferred]"} <= ids  # the policy's namespace
    ops = next(p for p in c.pods if p.labels.get("app") == "mon")
    assert c.namespaces[ops.namespace].labels.get("team") == "ops"
    gp = next(p for p in c.pods if p.labels.get("role") == "x")
    assert c.namespaces[gp.namespace].labels.get("env") == "prod"
    assert c.check(ops, "shop/api", 1).allowed


def test_cilium_clusterwide_subject_outside_a_namespace_and_peers() -> None:
    text = ccnp(
        "dd",
        "  endpointSelector:\n    matchExpressions:\n"
        "    - {key: io.kubernetes.pod.namespace, operator: NotIn, values: [kube-system]}\n"
        "  egress:\n  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, "
        "k8s:k8s-app: kube-dns}}]\n    toPorts: [{ports: [{port: '53', protocol: UDP}]}]\n"
        "  - toEndpoints: [{matchLabels: {io.cilium.k8s.policy.serviceaccount: robot}}]",
    )
    c = _inferred(text)
    subject = next(p for p in c.pods if p.namespace != "kube-system")
    assert c.check(subject, "kube-system/kube-dns", 53, "UDP").allowed
    assert not c.check(subject, "kube-system/kube-dns", 53, "TCP").allowed
    # the service-account peer: no pod inferred for it (inferred pods run as `default`)
    assert len(c.pods) == 2
