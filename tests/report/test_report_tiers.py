"""What the report's data says guards a workload and a namespace, across tiers."""

from __future__ import annotations

import netreach
from netreach.analyses.report import build_report
from paths import ROOT

US5 = str(ROOT / "examples" / "baseline-deny-all")


def test_report_nodes_carry_the_admin_tier_policies_that_guard_them():
    data = build_report(netreach.load(US5))
    db = next(n for n in data.nodes if n.id == "shop/db[Pod]")
    assert db.isolated_by == {"ingress": (), "egress": ()}
    assert db.guarded_by == {"ingress": ("BaselineAdminNetworkPolicy/default",), "egress": ()}


def test_report_posture_counts_guarded_pods():
    [shop] = build_report(netreach.load(US5)).posture
    assert (shop.ingress_isolated, shop.ingress_guarded) == (0, 2)
    assert shop.tier_guards["ingress"] == ["BaselineAdminNetworkPolicy/default"]
