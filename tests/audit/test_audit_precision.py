"""Audit precision (issue 19): what real manifests showed to be noise, each with the rule
that removes it: system namespaces, policyTypes defaulting spelled out in the source,
intended public entry points, pods an operator creates, host-network pods, standalone
allow-all policies. The same cases on the published manifests: test_audit_public.py."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from audit_helpers import NSS, findings

from builders import cluster, ns, peer, pod, policy, port, rule, service
from netreach.analyses.audit import AuditConfig, config_from_mapping
from netreach.analyses.audit.operators import operator_evidence
from netreach.analyses.audit.typos import near_labels
from netreach.cli import cli
from netreach.cli.common import run_guarded
from netreach.cluster import Cluster
from netreach.errors import InputError
from netreach.loader import load_sources
from netreach.loader.sources import Source
from netreach.model import LabelSelector, Location, Service

DNS = pod("kube-system/coredns", {"k8s-app": "kube-dns"})


# --- system namespaces ------------------------------------------------------------------------


def test_system_namespaces_are_outside_the_default_deny_checks_by_default():
    c = cluster([*NSS, ns("kube-node-lease")], [DNS, pod("default/a")])
    report = c.audit()
    deny = [f for f in report.findings if f.check.startswith("no-default-deny")]
    assert {f.objects[0].name for f in deny} == {"default"}
    assert not [f for f in report.findings if f.namespace == "kube-system"]
    (note,) = [n for n in report.notes if "system namespace" in n]
    assert "kube-system" in note and "system-namespaces" in note


def test_system_namespaces_are_configurable_and_checked_when_asked_for_by_name():
    c = cluster(NSS, [DNS, pod("default/a")])
    none = config_from_mapping({"system-namespaces": []})
    assert {f.namespace for f in findings(c, "no-default-deny-ingress", none)} == {
        "default",
        "kube-system",
    }
    named = AuditConfig(namespaces=("kube-system",))
    assert [f.namespace for f in findings(c, "pod-not-isolated", named)] == ["kube-system"] * 2
    other = config_from_mapping({"system-namespaces": ["default"]})
    assert {f.namespace for f in findings(c, "no-default-deny-egress", other)} == {"kube-system"}


def test_system_namespaces_setting_is_checked():
    for bad in ({"system-namespaces": "kube-system"}, {"system-namespaces": ["a/b"]}):
        with pytest.raises(InputError, match="system-namespaces"):
            config_from_mapping(bad)
    with pytest.raises(InputError, match="entry-points"):
        config_from_mapping({"entry-points": ["a/b/c"]})
    with pytest.raises(InputError, match="entry-point-services"):
        config_from_mapping({"entry-point-services": "yes"})


# --- missing-policy-types: an `egress: []` the default ignores ---------------------------------


def _load(text: str) -> Cluster:
    return Cluster(load_sources([Source("in.yaml", text.encode())]))


POD_A = """apiVersion: v1
kind: Pod
metadata: {name: a, namespace: default, labels: {app: a}}
spec: {containers: [{name: c, image: x}]}
---
"""


def test_missing_policy_types_reports_an_empty_egress_list_the_default_ignores():
    c = _load(
        POD_A
        + """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-egress, namespace: default}
spec:
  podSelector: {}
  egress: []
"""
    )
    (f,) = findings(c, "missing-policy-types")
    assert "`egress: []` restricts nothing" in f.message
    assert "- Egress" in f.fix


def test_missing_policy_types_silent_for_the_deny_ingress_idiom_without_egress_key():
    c = _load(
        POD_A
        + """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-deny-all, namespace: default}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: []
"""
    )
    assert not findings(c, "missing-policy-types")


# --- intended public entry points -------------------------------------------------------------

WEB = pod("default/web", {"app": "web"}, ports=[("http", 8080, "TCP")])
OPEN_80 = policy("default/web", {"app": "web"}, ingress=[rule([], [port(8080)])])


def _lb(ref: str, selector: dict[str, str], kind: str = "LoadBalancer") -> Service:
    s = service(ref, selector, (80, 8080, "TCP"))
    return Service(s.namespace, s.name, s.selector, s.ports, s.location, type=kind)


def test_world_open_error_without_evidence_of_an_entry_point():
    c = cluster(NSS, [WEB], [OPEN_80], [service("default/web", {"app": "web"}, (80, 8080, "TCP"))])
    (f,) = findings(c, "world-open")
    assert f.severity == "error" and "entry_point" not in f.details


def test_world_open_lowered_for_a_workload_behind_a_loadbalancer_or_nodeport_service():
    for kind in ("LoadBalancer", "NodePort"):
        c = cluster(NSS, [WEB], [OPEN_80], [_lb("default/web-external", {"app": "web"}, kind)])
        (f,) = findings(c, "world-open")
        assert f.severity == "info"
        assert f"Service default/web-external ({kind})" in f.details["entry_point"]
        assert "intended public entry point" in f.message
    off = AuditConfig(entry_point_services=False)
    c = cluster(NSS, [WEB], [OPEN_80], [_lb("default/web-external", {"app": "web"})])
    assert findings(c, "world-open", off)[0].severity == "error"


def test_world_open_lowered_for_entry_points_named_in_the_settings():
    ingress = pod("ingress-nginx/controller", {"app": "ctl"}, ports=[("https", 443, "TCP")])
    p = policy(
        "ingress-nginx/ctl",
        {"app": "ctl"},
        ingress=[rule([peer(cidr="0.0.0.0/0")], [port(443), port(80)])],
    )
    c = cluster([*NSS, ns("ingress-nginx")], [ingress, WEB], [p, OPEN_80])
    cfg = config_from_mapping({"entry-points": ["ingress-nginx", "default/web"]})
    got = {f.objects[0].namespace: f for f in findings(c, "world-open", cfg)}
    assert got["ingress-nginx"].severity == "info" and got["default"].severity == "info"
    assert "entry-points (ingress-nginx)" in got["ingress-nginx"].details["entry_point"]
    assert {f.severity for f in findings(c, "world-open")} == {"error"}


def test_world_open_on_an_entry_point_stays_an_error_on_a_sensitive_port():
    db = pod("default/db", {"app": "db"}, ports=[("pg", 5432, "TCP")])
    p = policy("default/db", {"app": "db"}, ingress=[rule([], [port(5432)])])
    c = cluster(NSS, [db], [p], [_lb("default/db", {"app": "db"})])
    (f,) = findings(c, "world-open")
    assert f.severity == "error"


def test_allow_all_ingress_on_an_entry_point_is_information_naming_its_declared_ports():
    p = policy("default/web", {"app": "web"}, ingress=[rule()])
    c = cluster(NSS, [WEB], [p], [_lb("default/web-external", {"app": "web"})])
    (f,) = findings(c, "allow-all-ingress")
    assert f.severity == "info" and "declare TCP 8080" in f.message
    # a pod that declares no port cannot be judged: the warning stays
    bare = pod("default/web", {"app": "web"})
    c2 = cluster(NSS, [bare], [p], [_lb("default/web-external", {"app": "web"})])
    assert findings(c2, "allow-all-ingress")[0].severity == "warning"


# --- pods an operator creates, and hints with the same key only -------------------------------


def test_near_labels_hint_only_with_the_same_key():
    present = [{"app.kubernetes.io/part-of": "kube-prometheus", "app": "web"}]
    sel = LabelSelector((("app.kubernetes.io/name", "prometheus"),))
    assert near_labels(sel, present) == []
    assert near_labels(LabelSelector((("app", "Web"),)), present) == [
        "You wrote app: Web; did you mean app: web?"
    ]


PROM = LabelSelector((("app.kubernetes.io/name", "prometheus"),))


def test_operator_evidence_from_a_custom_resource_label_keys_or_known_names():
    here = Location(Source("prometheus.yaml", b"kind: Prometheus\n"))
    assert "Prometheus custom resource at prometheus.yaml" in (
        operator_evidence(PROM, {"Prometheus": [here]}) or ""
    )
    managed = LabelSelector((("app.kubernetes.io/managed-by", "cnpg"),))
    assert "app.kubernetes.io/managed-by=cnpg" in (operator_evidence(managed, {}) or "")
    helm = LabelSelector((("app.kubernetes.io/managed-by", "Helm"),))
    assert operator_evidence(helm, {}) is None
    assert "label key strimzi.io/cluster" in (
        operator_evidence(LabelSelector((("strimzi.io/cluster", "k"),)), {}) or ""
    )
    assert operator_evidence(PROM, {}) is not None  # a name prometheus-operator gives
    assert operator_evidence(LabelSelector((("app", "web"),)), {"ConfigMap": []}) is None


def test_selects_nothing_for_operator_pods_is_information_saying_so():
    grafana = pod("monitoring/grafana", {"app.kubernetes.io/name": "grafana"})
    from_prom = peer({"app.kubernetes.io/name": "prometheus"})
    p = policy("monitoring/grafana", {"app.kubernetes.io/name": "grafana"},
               ingress=[rule([from_prom], [port(3000)])])  # fmt: skip
    prom = policy("monitoring/prometheus-k8s", PROM, ingress=[rule([peer({})])])
    c = cluster([ns("monitoring")], [grafana], [p, prom])
    (peer_f,) = findings(c, "peer-selects-nothing")
    (pol_f,) = findings(c, "policy-selects-nothing")
    for f in (peer_f, pol_f):
        assert f.severity == "info" and "likely created by an operator" in f.message
        assert f.details["operator"] and "did you mean" not in f.message


def test_selects_nothing_stays_a_warning_for_an_ordinary_typo():
    p = policy("default/p", {"app": "Web"})
    (f,) = findings(cluster(NSS, [pod("default/web", {"app": "web"})], [p]),
                    "policy-selects-nothing")  # fmt: skip
    assert f.severity == "warning" and "operator" not in f.details


# --- host-network pods --------------------------------------------------------------------------

NODE = pod("monitoring/node-exporter", {"app": "node-exporter"}, host_network=True)
GRAFANA = pod("monitoring/grafana", {"app": "grafana"})


def test_policy_selecting_only_host_network_pods_says_why_it_has_no_effect():
    p = policy("monitoring/node-exporter", {"app": "node-exporter"}, ingress=[rule()])
    c = cluster([ns("monitoring")], [NODE, GRAFANA], [p])
    (f,) = findings(c, "policy-selects-nothing")
    assert "only host-network pods (monitoring/node-exporter[Pod])" in f.message
    assert "never selects" in f.message and f.severity == "info"
    (h,) = findings(c, "host-network-pod")
    assert (
        "NetworkPolicy monitoring/node-exporter selects its labels but cannot apply to it"
        in h.message
    )
    assert h.details["selected_by"] == ["monitoring/node-exporter"]


def test_policy_selecting_host_network_pods_reported_even_without_other_pods():
    p = policy("monitoring/node-exporter", {"app": "node-exporter"})
    assert findings(cluster([ns("monitoring")], [NODE], [p]), "policy-selects-nothing")


def test_peer_matching_only_host_network_pods_says_to_use_an_ipblock():
    p = policy("monitoring/grafana", {"app": "grafana"},
               ingress=[rule([peer({"app": "node-exporter"})])])  # fmt: skip
    c = cluster([ns("monitoring")], [NODE, GRAFANA], [p])
    (f,) = findings(c, "peer-selects-nothing")
    assert "only host-network pods" in f.message and "ipBlock" in f.message
    assert f.severity == "warning" and f.details["host_network"] == [
        "monitoring/node-exporter[Pod]"
    ]


def test_selects_nothing_count_says_host_network_pods_are_left_out():
    p = policy("monitoring/p", {"app": "nope"})
    (f,) = findings(cluster([ns("monitoring")], [NODE, GRAFANA], [p]), "policy-selects-nothing")
    assert "none of the 1 pods" in f.message and "not counting 1 host-network pod" in f.message


# --- standalone allow-all -----------------------------------------------------------------------


def test_no_redundant_policy_for_a_standalone_allow_all():
    allow = policy("default/allow-all-ingress", {}, ingress=[rule()])
    c = cluster(NSS, [pod("default/a")], [allow])
    assert not findings(c, "redundant-policy")
    assert findings(c, "allow-all-ingress")  # what it opens is still reported


def test_redundant_policy_still_reported_for_a_policy_others_cover():
    a = policy("default/a", {"app": "a"}, ingress=[rule([peer({"app": "b"})])])
    b = policy("default/b", {"app": "a"}, ingress=[rule([peer({"app": "b"})])])
    c = cluster(NSS, [pod("default/a", {"app": "a"}), pod("default/b", {"app": "b"})], [a, b])
    assert len(findings(c, "redundant-policy")) == 2


# --- command line -------------------------------------------------------------------------------

LESSON = str(Path(__file__).resolve().parents[2] / "examples" / "lesson")
ARGO = str(Path(__file__).resolve().parents[1] / "data" / "public" / "argo-cd")


def _json(monkeypatch, capsys, *args: str) -> tuple[int, dict[str, Any]]:
    monkeypatch.setattr(sys, "argv", ["netreach", "audit", "-o", "json", "--config", os.devnull,
                                      "--fail-on", "never", *args])  # fmt: skip
    code = run_guarded(cli)
    out, err = capsys.readouterr()
    sys.stderr.write(err)
    return code, json.loads(out) if code == 0 else {}


def test_cli_system_namespaces_option_replaces_the_default_list(monkeypatch, capsys):
    _, default = _json(monkeypatch, capsys, LESSON)
    _, none = _json(monkeypatch, capsys, LESSON, "--system-namespaces", "")
    spaces = [{f["objects"][0]["name"] for f in r["findings"] if f["check"].startswith("no-def")}
              for r in (default, none)]  # fmt: skip
    assert "kube-system" not in spaces[0] and "kube-system" in spaces[1]
    assert any("kube-system" in n for n in default["notes"])


def test_cli_entry_point_option_lowers_world_open_and_is_checked(monkeypatch, capsys):
    _, plain = _json(monkeypatch, capsys, ARGO)
    _, entry = _json(monkeypatch, capsys, ARGO, "--entry-point", "default/argocd-server")
    sev = [{f["severity"] for f in r["findings"] if f["check"] == "allow-all-ingress"}
           for r in (plain, entry)]  # fmt: skip
    assert sev == [{"warning"}, {"info"}]
    code, _ = _json(monkeypatch, capsys, ARGO, "--entry-point", "a/b/c")
    assert code == 2 and "entry-points" in capsys.readouterr().err


def test_operator_names_read_only_from_the_label_operators_set():
    # `app: prometheus` is also what Helm charts put on a Prometheus Deployment
    assert operator_evidence(LabelSelector((("app", "prometheus"),)), {}) is None
