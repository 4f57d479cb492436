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
    args = ("--external", "--from", "monitoring/*", "-o", "txt")
    code, out, _ = run("matrix", LESSON, TIERS, *args)
    assert code == 0
    assert "monitoring/agent[DaemonSet] => ::-ffff" in out  # IPv6 is not in the BANP's network
    assert "monitoring/agent[DaemonSet] => 0.0.0.0-255.255.255.255" not in out
    _, before, _ = run("matrix", LESSON, *args)
    assert "monitoring/agent[DaemonSet] => 0.0.0.0-255.255.255.255 : All Connections" in before
