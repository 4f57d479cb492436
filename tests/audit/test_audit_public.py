"""The audit on published manifests (tests/data/public, attributed in its README): the noise
issue 19 found there is gone, and what is true is still reported. The full hand-classified
count is bench/precision/measure.py (docs/audit-precision.md)."""

from __future__ import annotations

from pathlib import Path

import netreach
from netreach.analyses.audit import AuditReport

PUBLIC = Path(__file__).resolve().parents[1] / "data" / "public"


def _audit(*parts: str) -> AuditReport:
    return netreach.load(str(PUBLIC.joinpath(*parts))).audit()


def _of(report: AuditReport, check: str) -> list[tuple[str, str]]:
    return [(f.severity, f.message) for f in report.findings if f.check == check]


def test_kube_prometheus_operator_pods_are_information_with_no_foreign_key_hint():
    report = _audit("kube-prometheus")
    nothing = [
        f for f in report.findings if f.check in ("peer-selects-nothing", "policy-selects-nothing")
    ]
    assert len(nothing) == 11
    assert {f.severity for f in nothing} == {"info"}
    assert not any("did you mean" in f.message for f in nothing)
    operator = [f for f in nothing if "operator" in f.details]
    assert {f.details["operator"].split(" custom resource")[0] for f in operator} == {
        "the input holds a Prometheus",
        "the input holds an Alertmanager",
    }


def test_kube_prometheus_node_exporter_host_network_is_explained():
    report = _audit("kube-prometheus")
    (policy,) = [
        f
        for f in report.findings
        if f.check == "policy-selects-nothing" and "node-exporter" in f.message
    ]
    assert "only host-network pods (monitoring/node-exporter[DaemonSet])" in policy.message
    (host,) = _of(report, "host-network-pod")
    assert (
        host[0] == "warning"
        and "NetworkPolicy monitoring/node-exporter selects its labels" in host[1]
    )


def test_kube_prometheus_allow_all_adapter_is_not_called_redundant():
    report = _audit("kube-prometheus")
    assert not _of(report, "redundant-policy")
    assert any("prometheus-adapter" in m for _, m in _of(report, "allow-all-ingress"))


def test_microservices_demo_frontend_is_an_entry_point_published_by_its_loadbalancer():
    report = _audit("microservices-demo")
    (frontend,) = [f for f in report.findings if f.check == "allow-all-ingress"]
    assert frontend.severity == "info"
    assert frontend.details["entry_point"] == (
        "published by Service default/frontend-external (LoadBalancer)"
    )
    assert "declare TCP 8080" in frontend.message
    # the twelve allow-all egress rules are still reported
    assert [s for s, _ in _of(report, "allow-all-egress")] == ["warning"] * 12


def test_recipes_ingress_only_policies_have_no_missing_policy_types():
    for recipe in sorted((PUBLIC / "recipes").iterdir()):
        assert not _of(_audit("recipes", recipe.name), "missing-policy-types"), recipe.name


def test_network_policy_api_story_leaves_kube_system_out_of_the_default_deny_checks():
    report = _audit("network-policy-api", "user-story-2")
    assert not [f for f in report.findings if f.namespace == "kube-system"]
    assert any("kube-system" in n for n in report.notes)
    assert any(f.namespace == "monitoring-ns" for f in report.findings)


def test_kubernetes_io_allow_all_examples_are_not_redundant():
    for name in ("network-policy-allow-all-ingress", "network-policy-allow-all-egress"):
        report = _audit("kubernetes-website", name)
        assert not _of(report, "redundant-policy"), name
        assert [c for c in report.by_check() if c.startswith("allow-all-")], name
