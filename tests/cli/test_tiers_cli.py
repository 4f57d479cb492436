"""The CLI over the admin tiers: the lesson plus examples/tiers (an ANP and a BANP)."""

from __future__ import annotations

import json

from paths import LESSON, ROOT

TIERS = str(ROOT / "examples" / "tiers")


def test_check_shows_the_admin_deny_with_its_location(run):
    code, out, _ = run(
        "check", LESSON, TIERS, "--from", "monitoring/agent", "--to", "default/db", "--port", "5432"
    )
    assert code == 0 and "DENIED" in out
    assert (
        'chain: [Admin] Deny (AdminNetworkPolicy/ns-guard ingress[0] "deny-monitoring-to-db")'
        in out
    )
    assert "admin-tiers.yaml:" in out


def test_check_shows_pass_then_network_policy(run):
    code, out, _ = run(
        "check", LESSON, TIERS, "--from", "default/api", "--to", "default/db", "--port", "5432"
    )
    assert code == 0 and "ALLOWED" in out
    assert (
        'chain: [Admin] Pass (AdminNetworkPolicy/ns-guard ingress[1] "pass-the-rest") -> '
        "[NetworkPolicy] allowed by default/allow-api-to-db ingress[0] from[0] ports[0]"
    ) in out


def test_check_json_carries_the_deciding_tier(run):
    code, out, _ = run(
        "check",
        LESSON,
        TIERS,
        "--from",
        "monitoring/agent",
        "--to",
        "8.8.8.8",
        "--port",
        "443",
        "-o",
        "json",
    )
    assert code == 0
    egress = json.loads(out)["egress"]
    assert egress["allowed"] is False and egress["decided_by"] == "Baseline"
    assert egress["tier_rules"][0]["kind"] == "BaselineAdminNetworkPolicy"


def test_matrix_applies_the_baseline_tier_to_external_addresses(run):
    args = ("--external", "--from", "monitoring/*", "-o", "text")
    code, out, _ = run("matrix", LESSON, TIERS, *args)
    assert code == 0
    assert "monitoring/agent[DaemonSet] => ::/0" in out  # IPv6 is not in the BANP's network
    assert "monitoring/agent[DaemonSet] => 0.0.0.0/0" not in out
    _, before, _ = run("matrix", LESSON, *args)
    assert "monitoring/agent[DaemonSet] => 0.0.0.0/0 : All Connections" in before


# --- user story 5 (a BaselineAdminNetworkPolicy deny-all), end to end ------------------------

US5 = str(ROOT / "examples" / "baseline-deny-all")


def test_user_story_5_check_describe_exposure_and_audit_agree(run):
    code, out, _ = run("check", US5, "--from", "shop/web", "--to", "shop/db", "--port", "5432")
    assert code == 0 and "DENIED" in out and "[Baseline] Deny" in out

    code, out, _ = run("describe", US5, "pod", "shop/db")
    assert code == 0
    ingress = next(line for line in out.splitlines() if line.strip().startswith("ingress:"))
    assert "every connection allowed" not in ingress
    assert "denied for every pod" in ingress and "BaselineAdminNetworkPolicy/default" in ingress
    assert "Deny BaselineAdminNetworkPolicy/default ingress[0]" in out

    code, out, _ = run("exposure", US5, "-o", "json")
    assert code == 0
    report = json.loads(out)
    assert {(u["workload"], u["direction"]) for u in report["unprotected"]} == {
        ("shop/db[Pod]", "egress"),
        ("shop/web[Pod]", "egress"),
    }
    assert {(e["workload"], e["direction"], e["tier"]) for e in report["exposures"]} == {
        ("shop/db[Pod]", "ingress", "default"),
        ("shop/web[Pod]", "ingress", "default"),
    }

    code, out, _ = run("audit", US5, "-o", "json", "--fail-on", "never")
    assert code == 0
    audit = json.loads(out)
    checks = [(f["check"], f["details"].get("direction")) for f in audit["findings"]]
    assert ("no-default-deny-ingress", "ingress") not in checks
    assert ("pod-not-isolated", "ingress") not in checks
    assert ("default-deny-from-tier", "ingress") in checks
    assert not any("accepts connections from anywhere" in f["message"] for f in audit["findings"])
    assert audit["posture"][0]["ingress_guarded"] == 2

    code, out, _ = run("audit", US5)
    assert "+2" in out and "shop ingress: BaselineAdminNetworkPolicy/default" in out


def test_describe_policy_names_the_baseline_policy_on_the_command_line(run):
    code, out, _ = run("describe", US5, "policy", "BaselineAdminNetworkPolicy/default")
    assert code == 0 and out.startswith("BaselineAdminNetworkPolicy/default")
    assert "denies connections from every pod in every namespace" in out
    code, out, _ = run("describe", US5, "policy", "banp/default", "-o", "json")
    assert json.loads(out)["kind"] == "BaselineAdminNetworkPolicy"
    code, _, err = run("describe", US5, "policy", "BaselineAdminNetworkPolicy/defualt")
    assert code == 2 and "did you mean BaselineAdminNetworkPolicy/default" in err


def test_analyze_with_admin_tiers_services_and_guards(run):
    code, out, _ = run("analyze", LESSON, TIERS)
    assert code == 0 and "Who reaches the ingress-isolated (or tier-guarded) workloads" in out
    code, out, _ = run("analyze", US5)
    assert code == 0
    assert "shop/db[Pod] accepts (guarded by [Baseline] BaselineAdminNetworkPolicy/default" in out
    assert "<- every address (0.0.0.0/0, ::/0) : allowed by default" in out
