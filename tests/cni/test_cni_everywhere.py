"""Calico and Cilium policies seen by every command through the one engine: check names the
CNI rule, describe lists the stages, exposure classifies their peers, diff and the report read
them, and the dataplane differential compiles them on both sides."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from cni_helpers import cluster

from netreach.analyses.describe_pod import describe_pod
from netreach.cli import cli
from netreach.dataplane import prepare

ROOT = Path(__file__).resolve().parents[2]
CALICO = str(ROOT / "examples" / "calico")
CILIUM = str(ROOT / "examples" / "cilium")
LESSON = str(ROOT / "examples" / "lesson")
EXPECT = str(ROOT / "examples" / "lesson-expectations.yaml")


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, list(args))
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    return res.exit_code, res.output


def test_the_lesson_in_calico_and_cilium_terms_keeps_the_lessons_promises() -> None:
    for example in (CALICO, CILIUM):
        _, out = run("test", example, "--expect", EXPECT)
        assert "4 passed, 0 failed" in out, out


def test_check_json_names_the_calico_rule_tier_and_order() -> None:
    _, out = run(
        "check", CALICO, "--from", "default/web", "--to", "default/db", "--port", "5432/TCP",
        "-o", "json",
    )  # fmt: skip
    data = json.loads(out)
    ingress = data["ingress"]
    assert not data["allowed"] and ingress["decided_by"] == "Calico"
    assert any("end of the tier" in c for c in ingress["chain"])
    _, out = run(
        "check", CALICO, "--from", "default/api", "--to", "default/db", "--port", "5432/TCP",
        "-o", "json",
    )  # fmt: skip
    rule = json.loads(out)["ingress"]["tier_rules"][0]
    assert rule["policy"] == "CalicoNetworkPolicy/default/db-ingress"
    assert (rule["tier"], rule["order"], rule["action"]) == ("default", 100.0, "Allow")
    assert rule["location"].endswith("policies.yaml:49")


def test_describe_pod_lists_the_cni_policies_and_stages() -> None:
    c = cluster(
        """
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: d, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingressDeny: [{fromEndpoints: [{matchLabels: {app: web}}]}]
  ingress: [{fromEntities: [cluster]}]
"""
    )
    reading = describe_pod(c, "shop/api")
    assert reading.cni_policies == ("CiliumNetworkPolicy/shop/d",)
    titles = [t for t, _, _ in reading.ingress.cni]
    assert titles == ["Cilium deny", "Cilium"]
    assert "decided in order by Cilium deny" in reading.ingress.summary()
    code, out = run("describe", CILIUM, "pod", "default/db-svglj")
    assert code == 0 and "ingressDeny[0]" in out


def test_exposure_sees_calico_nets_and_cilium_world() -> None:
    c = cluster(
        """
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: open}
spec:
  selector: app == "api"
  ingress: [{action: Allow, source: {nets: [0.0.0.0/0]}}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: w, namespace: ops}
spec:
  endpointSelector: {}
  ingress: [{fromEntities: [world]}]
"""
    )
    from netreach.analyses.exposure import exposure

    found = exposure(c)
    text = json.dumps(found.to_dict()) if hasattr(found, "to_dict") else str(found)
    assert "internet" in text
    assert "shop/api" in text and "ops/mon" in text


def test_diff_explains_changes_by_the_cni_stages() -> None:
    _, out = run("diff", LESSON, CILIUM)
    assert "isolated by Cilium (its end denies)" in out, out
    _, out = run("diff", LESSON, CALICO)
    assert "[Calico] GlobalNetworkPolicy/security.dns Pass" in out, out


def test_report_and_analyze_run_on_cni_input(tmp_path: Path) -> None:
    for example in (CALICO, CILIUM):
        code, out = run("analyze", example)
        assert code in (0, 3), out
        target = tmp_path / "r.html"
        code, out = run("report", example, "--out", str(target))
        assert code in (0, 3), out
        assert target.stat().st_size > 0


def test_verify_compiles_cni_policies_on_both_sides() -> None:
    c = cluster(
        """
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {selector: all(), ingress: [{action: Deny}]}
"""
    )
    scenario = prepare(c.snapshot)
    assert scenario.cni == "calico"
    assert scenario.engine_snapshot.calico_policies  # the engine answers with it
    assert ("NetworkPolicy", "shop", "deny") in scenario.manifests.calico
    assert "CalicoNetworkPolicy/shop/deny ingress[0]" in scenario.ruleset()
    # the dataplane's own decoder never reads Calico's NetworkPolicy as Kubernetes'
    assert not scenario.manifests.policies
