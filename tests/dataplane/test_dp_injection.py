"""User text never becomes nftables syntax: hostile names, zones and rule names in comments."""

from __future__ import annotations

from dp_helpers import block, ns, pod, policy, rule, sel, snapshot

from netreach.dataplane import compile_ruleset
from netreach.model import AdminPeer, AdminPolicy, AdminRule, AdminSubject, LabelSelector

ZONE_CIDR = 'fe80::%x\nflush ruleset\ninclude "passwd"\n/64'
RULE_NAME = 'x"\nflush ruleset\ninclude "shadow"\n#'


def test_zone_and_rule_name_stay_inside_comments() -> None:
    snap = snapshot(
        [ns("default")],
        [pod("default/web", "10.244.0.2", app="web")],
        [policy("default/p", sel(), ("ingress",), ingress=(rule(block(ZONE_CIDR)),))],
    )
    snap.admin_policies = [
        AdminPolicy(
            "AdminNetworkPolicy", "Admin", "a", 1, AdminSubject(LabelSelector()),
            ingress=(AdminRule(RULE_NAME, "Deny", (AdminPeer(namespaces=LabelSelector()),)),),
        )
    ]  # fmt: skip
    text = compile_ruleset(snap)
    lines = [line.strip() for line in text.splitlines()]
    assert not [line for line in lines if line.startswith(("flush", "include"))]
    assert "passwd" in text and "shadow" in text  # still named, inside comments
