"""`exposure` and posture across tiers: admin-tier Allow rules classified like NetworkPolicy
peers, NetworkPolicy exposures limited to what the Admin tier leaves, the default's part for
pods a tier restricts, and "not protected" only when nothing restricts a direction."""

from __future__ import annotations

import pytest

import netreach
import tiered
from builders import admin, apeer, arule, cluster, ns, peer, pod, policy, port, rule
from netreach.analyses.exposure import exposure
from netreach.analyses.guards import guards
from netreach.analyses.posture import isolated_reach, posture
from paths import ROOT

BASELINE_DENY_ALL = str(ROOT / "examples" / "baseline-deny-all")
LESSON_TIERS = (str(ROOT / "examples" / "lesson"), str(ROOT / "examples" / "tiers"))
NSS = [ns("a"), ns("b", team="x"), ns("c", team="y")]
PODS = [pod("a/db", {"app": "db"}), pod("b/api", {"app": "api"}), pod("c/web", {"app": "web"})]
DB_OPEN = policy(
    "a/db-open",
    {"app": "db"},
    ingress=[
        rule([peer(namespaces={})], [port(5432)]),
        rule([peer(namespaces={"team": "x"})], [port(80)]),
        rule([peer(cidr="0.0.0.0/0")], [port(443)]),
    ],
)
ON_A = {"kubernetes.io/metadata.name": "a"}


def _rows(c, direction="ingress", workload="a/db[Pod]"):
    return sorted(
        (e.scope, str(e.conns), e.tier)
        for e in exposure(c).exposures
        if e.direction == direction and e.workload == workload
    )


def test_network_policy_exposures_without_admin_tiers():
    assert _rows(cluster(NSS, PODS, [DB_OPEN])) == [
        ("all-namespaces", "TCP 5432", "NetworkPolicy"),
        ("internet", "TCP 443", "NetworkPolicy"),
        ("namespaces-by-label", "TCP 80", "NetworkPolicy"),
    ]


def test_admin_deny_of_every_namespace_removes_the_network_policy_pod_exposures():
    deny = admin("deny-all", namespaces=ON_A, ingress=[arule("Deny", [apeer({})])])
    # ingress admin peers cannot name addresses: the internet exposure stays
    assert _rows(cluster(NSS, PODS, [DB_OPEN], admin=[deny])) == [
        ("internet", "TCP 443", "NetworkPolicy")
    ]


def test_admin_deny_of_the_same_namespaces_removes_the_exposure_through_them():
    deny = admin("deny-x", namespaces=ON_A, ingress=[arule("Deny", [apeer({"team": "x"})])])
    got = _rows(cluster(NSS, PODS, [DB_OPEN], admin=[deny]))
    assert ("namespaces-by-label", "TCP 80", "NetworkPolicy") not in got
    assert ("all-namespaces", "TCP 5432", "NetworkPolicy") in got  # team=y and new ones remain


def test_admin_deny_of_a_port_narrows_the_exposure_to_the_rest():
    deny = admin("deny-80", namespaces=ON_A, ingress=[arule("Deny", ports=[port(80)])])
    pol = policy("a/p", {"app": "db"}, ingress=[rule([peer(namespaces={})], [port(80, end=90)])])
    assert _rows(cluster(NSS, PODS, [pol], admin=[deny])) == [
        ("all-namespaces", "TCP 81-90", "NetworkPolicy")
    ]


def test_admin_pass_leaves_the_exposure_to_network_policy():
    pas = admin("pass", namespaces=ON_A, ingress=[arule("Pass")])
    assert _rows(cluster(NSS, PODS, [DB_OPEN], admin=[pas])) == _rows(cluster(NSS, PODS, [DB_OPEN]))


def test_admin_allow_rules_are_classified_like_network_policy_peers():
    allow = admin(
        "ops",
        namespaces=ON_A,
        ingress=[arule("Allow", [apeer({})], [port(22)])],
        egress=[arule("Allow", [apeer(networks=["0.0.0.0/0"])], [port(443)])],
    )
    c = cluster(NSS, PODS, [policy("a/deny", {}, types=("ingress", "egress"))], admin=[allow])
    [ing] = [e for e in exposure(c).exposures if e.direction == "ingress"]
    assert (ing.scope, str(ing.conns), ing.tier) == ("all-namespaces", "TCP 22", "Admin")
    assert ing.rules == ["[Admin] AdminNetworkPolicy/ops ingress[0]"]
    [eg] = [e for e in exposure(c).exposures if e.direction == "egress"]
    assert (eg.scope, str(eg.conns), eg.tier) == ("internet", "TCP 443", "Admin")
    assert exposure(c).to_dict()["exposures"][0]["tier"] == "Admin"


def test_baseline_deny_all_is_not_unprotected_and_leaves_addresses_to_the_default():
    report = exposure(netreach.load(BASELINE_DENY_ALL))
    assert {(u.workload, u.direction) for u in report.unprotected} == {
        ("shop/db[Pod]", "egress"),
        ("shop/web[Pod]", "egress"),
    }
    got = [(e.workload, e.direction, e.scope, str(e.conns), e.tier) for e in report.exposures]
    assert got == [
        ("shop/db[Pod]", "ingress", "internet", "All Connections", "default"),
        ("shop/web[Pod]", "ingress", "internet", "All Connections", "default"),
    ]
    assert report.exposures[0].peer == "every address (0.0.0.0/0, ::/0) that no tier rule decides"


def test_pod_a_tier_restricts_in_part_is_exposed_to_what_no_tier_decides():
    report = exposure(netreach.load(*LESSON_TIERS))
    agent = sorted(
        (e.scope, e.peer, str(e.conns))
        for e in report.exposures
        if e.workload == "monitoring/agent[DaemonSet]"
    )
    assert agent == [
        (
            "all-namespaces",
            "every pod in every namespace, existing or future, that no tier rule decides",
            "All Connections",
        ),
        ("internet", "addresses in ::/0 that no tier rule decides", "All Connections"),
    ]
    assert ("monitoring/agent[DaemonSet]", "egress") not in {
        (u.workload, u.direction) for u in report.unprotected
    }


def test_not_protected_only_when_no_tier_restricts():
    only_pass = admin("pass", ingress=[arule("Pass")], egress=[arule("Allow")])
    report = exposure(cluster(NSS, PODS, admin=[only_pass]))
    assert len(report.unprotected) == 6 and report.exposures == []
    assert report.unprotected[0].reason == (
        "no policy selects it with policyTypes Ingress, and no Admin- or Baseline-tier rule "
        "denies any of its ingress"
    )


# --- guards agree with the engine --------------------------------------------------------------


@pytest.mark.parametrize("which", tiered.NAMES)
def test_a_direction_nothing_restricts_is_all_allowed_in_the_engine(which: str):
    c = tiered.load(which)
    g, matrix = guards(c), c.matrix
    for ci, klass in enumerate(c.compiled.classes):
        for d in ("ingress", "egress"):
            side = matrix.ingress if d == "ingress" else matrix.egress
            everything = all(int(x) == 1 for x in side.row_of(ci)) and all(
                int(x) == 1 for x in matrix.external_row(ci, d)
            )
            guard = g.of(ci, d)
            assert guard.restricted is (not everything), (klass.pods[0].id, d)


# --- posture ---------------------------------------------------------------------------------------


def test_posture_counts_pods_a_baseline_deny_all_guards():
    [shop] = posture(netreach.load(BASELINE_DENY_ALL))
    assert (shop.ingress_isolated, shop.ingress_guarded, shop.egress_guarded) == (0, 2, 0)
    assert shop.tier_policies == ["BaselineAdminNetworkPolicy/default"]
    assert shop.tier_guards == {"ingress": ["BaselineAdminNetworkPolicy/default"], "egress": []}
    assert shop.guards_text("ingress") == ("admin tiers (BaselineAdminNetworkPolicy/default) 2/2")
    assert shop.guards_text("egress") == "nothing"


def test_posture_guarded_equals_isolated_without_admin_tiers():
    for row in posture(netreach.load(LESSON_TIERS[0])):
        assert (row.ingress_guarded, row.egress_guarded) == (
            row.ingress_isolated,
            row.egress_isolated,
        )
        assert row.tier_policies == []


def test_analyze_reach_lists_tier_guarded_workloads_with_what_stays_open():
    reach = isolated_reach(netreach.load(BASELINE_DENY_ALL), "ingress")
    assert [(r.workload.id, r.isolated_by, r.access) for r in reach] == [
        ("shop/db[Pod]", (), []),
        ("shop/web[Pod]", (), []),
    ]
    assert reach[0].guarded_by == (
        '[Baseline] BaselineAdminNetworkPolicy/default ingress[0] "default-deny"',
    )
    assert reach[0].open_addresses == "every address (0.0.0.0/0, ::/0)"
