"""`describe` across tiers: admin-tier policies by name and in sentences, and a pod's
directions decided by the Admin tier, NetworkPolicy and the Baseline tier."""

from __future__ import annotations

import pytest

import netreach
import tiered
from builders import admin, apeer, arule, cluster, node, ns, pod, policy, port
from netreach.analyses.describe import describe_pod, describe_policy, find_policy
from netreach.analyses.describe_admin import AdminPolicyReading
from netreach.analyses.describe_np import PolicyReading
from netreach.analyses.describe_pod import DEFAULT
from netreach.errors import QueryError
from netreach.model import AdminPeer, AdminPolicy, AdminSubject, LabelSelector, PolicyPort
from paths import ROOT

BASELINE_DENY_ALL = str(ROOT / "examples" / "baseline-deny-all")
LESSON_TIERS = (str(ROOT / "examples" / "lesson"), str(ROOT / "examples" / "tiers"))

NSS = [ns("a", team="x"), ns("b", team="y")]
PODS = [
    pod("a/db", {"app": "db"}, ip="10.0.0.1", ports=[("pg", 5432, "TCP")]),
    pod("a/web", {"app": "web"}, ip="10.0.0.2"),
    pod("b/api", {"app": "api"}, ip="10.0.1.1"),
]


def _cnp(name: str, tier: str, priority: int, **rules: object) -> AdminPolicy:
    base = admin(name, priority, **rules)  # type: ignore[arg-type]
    return AdminPolicy(
        "ClusterNetworkPolicy",
        tier,  # type: ignore[arg-type]
        name,
        priority,
        base.subject,
        base.ingress,
        base.egress,
    )


# --- a policy of any tier, by name ------------------------------------------------------------


def _named() -> netreach.Cluster:
    return cluster(
        NSS,
        PODS,
        [policy("default/guard", {}), policy("a/db-in", {"app": "db"})],
        admin=[
            admin("guard", 5, ingress=[arule("Deny")]),
            admin("only-anp", 6, ingress=[arule("Pass")]),
            admin("default", baseline=True, ingress=[arule("Deny")]),
            _cnp("edge", "Admin", 7, ingress=[arule("Allow")]),
        ],
    )


def test_describe_policy_takes_kind_slash_name_for_every_admin_kind():
    c = _named()
    for ref, want in (
        ("AdminNetworkPolicy/guard", "AdminNetworkPolicy/guard"),
        ("BaselineAdminNetworkPolicy/default", "BaselineAdminNetworkPolicy/default"),
        ("ClusterNetworkPolicy/edge", "ClusterNetworkPolicy/edge"),
        ("anp/only-anp", "AdminNetworkPolicy/only-anp"),
        ("BANP/default", "BaselineAdminNetworkPolicy/default"),
        ("cnp/edge", "ClusterNetworkPolicy/edge"),
    ):
        reading = describe_policy(c, ref)
        assert isinstance(reading, AdminPolicyReading) and reading.policy.id == want, ref


def test_describe_policy_bare_name_finds_the_one_policy_carrying_it():
    c = _named()
    assert find_policy(c, "only-anp")[1].id == "AdminNetworkPolicy/only-anp"
    assert find_policy(c, "edge")[1].id == "ClusterNetworkPolicy/edge"
    # NetworkPolicy names keep working: ns/name, and netpol/ns/name
    assert isinstance(describe_policy(c, "a/db-in"), PolicyReading)
    assert find_policy(c, "netpol/a/db-in")[1].id == "a/db-in"


def test_describe_policy_ambiguous_bare_name_lists_the_candidates():
    with pytest.raises(QueryError) as info:
        find_policy(_named(), "guard")  # default/guard and AdminNetworkPolicy/guard
    assert "AdminNetworkPolicy/guard" in str(info.value) and "default/guard" in str(info.value)
    assert "KIND/NAME" in str(info.value)


def test_describe_policy_miss_suggests_close_names_of_every_kind():
    c = _named()
    with pytest.raises(QueryError, match="did you mean AdminNetworkPolicy/only-anp"):
        find_policy(c, "anp/only-anq")
    with pytest.raises(QueryError, match="did you mean ClusterNetworkPolicy/edge"):
        find_policy(c, "edgee")
    with pytest.raises(QueryError, match=r"no NetworkPolicy 'a/db-inn'.*did you mean a/db-in"):
        find_policy(c, "a/db-inn")


# --- an admin policy in sentences -----------------------------------------------------------


def test_describe_admin_network_policy_tier_priority_subject_and_rules():
    c = cluster(
        NSS,
        PODS,
        admin=[
            admin(
                "guard",
                10,
                namespaces={"team": "x"},
                ingress=[
                    arule("Deny", [apeer({"team": "y"})], [port(5432)], name="no-y-to-db"),
                    arule("Pass", name="rest"),
                ],
            )
        ],
    )
    r = describe_policy(c, "AdminNetworkPolicy/guard")
    assert isinstance(r, AdminPolicyReading)
    summary = " ".join(r.summary())
    assert "Admin tier, priority 10" in summary and "before every NetworkPolicy" in summary
    assert "Applies to every pod in namespaces labelled team=x: 2 pod(s) now" in summary
    assert "No egress rules" in summary
    assert [p.id for p in r.subjects] == ["a/db", "a/web"]
    deny, pas = r.rules
    assert deny.label == 'ingress[0] "no-y-to-db"' and deny.action == "Deny"
    assert deny.sentence() == (
        "denies connections from every pod in namespaces labelled team=y, on TCP 5432"
    )
    assert deny.peers[0].pods == ("b/api",) and deny.peers[0].namespaces == ("b",)
    assert pas.sentence().startswith("passes on to NetworkPolicy (then the Baseline tier)")
    data = r.to_dict()
    assert (data["kind"], data["tier"], data["priority"]) == ("AdminNetworkPolicy", "Admin", 10)
    assert data["rules"][0]["action"] == "Deny" and data["rules"][0]["name"] == "no-y-to-db"


def test_describe_baseline_admin_network_policy_has_no_priority_and_says_when_it_applies():
    c = netreach.load(BASELINE_DENY_ALL)
    r = describe_policy(c, "BaselineAdminNetworkPolicy/default")
    assert isinstance(r, AdminPolicyReading)
    assert r.summary()[0].startswith("Baseline tier: its rules apply only to the pods no ")
    assert r.to_dict()["priority"] is None
    [deny] = r.rules
    assert deny.sentence() == (
        "denies connections from every pod in every namespace, including namespaces created "
        "later, on every port and protocol"
    )
    assert deny.location.endswith("banp.yaml:10")


def test_describe_cluster_network_policy_both_tiers():
    c = cluster(
        NSS,
        PODS,
        admin=[
            _cnp("edge", "Admin", 3, egress=[arule("Allow", [apeer(networks=["0.0.0.0/0"])])]),
            _cnp("floor", "Baseline", 4, ingress=[arule("Deny")]),
        ],
    )
    edge = describe_policy(c, "cnp/edge")
    floor = describe_policy(c, "cnp/floor")
    assert isinstance(edge, AdminPolicyReading) and isinstance(floor, AdminPolicyReading)
    assert edge.summary()[0].startswith("Admin tier, priority 3")
    assert floor.summary()[0].startswith("Baseline tier, priority 4")
    assert "A pod's traffic to its own IP is not subject to it." in edge.summary()
    assert edge.rules[0].sentence() == (
        "allows connections to addresses in every address (0.0.0.0/0: the whole internet) "
        "(pod IPs inside too), on every port and protocol"
    )
    assert edge.rules[0].peers[0].pods == ("a/db", "a/web", "b/api")  # pod IPs inside


def test_describe_admin_peers_of_every_kind_in_words():
    nodes_peer = apeer(nodes={"role": "worker"})
    pods_peer = AdminPeer(pods=(LabelSelector((("team", "x"),)), LabelSelector((("app", "db"),))))
    named = tuple(PolicyPort(p, "pg") for p in ("TCP", "UDP", "SCTP"))
    pol = AdminPolicy(
        "AdminNetworkPolicy",
        "Admin",
        "kinds",
        1,
        AdminSubject(LabelSelector()),
        ingress=(
            arule("Allow", [pods_peer], named),
            arule("Deny", [AdminPeer(unsupported="domainNames")]),
        ),
        egress=(arule("Deny", [nodes_peer]),),
    )
    c = cluster(NSS, PODS, admin=[pol], nodes=[node("n1", {"role": "worker"}, "192.0.2.1")])
    r = describe_policy(c, "kinds")
    assert isinstance(r, AdminPolicyReading)
    allow, unsupported, nodes = r.rules
    assert allow.sentence() == (
        "allows connections from pods labelled app=db in namespaces labelled team=x: both "
        "conditions, on port named pg (any protocol)"
    )
    assert unsupported.sentence().startswith(
        "denies connections from domainNames (not supported by netreach: matches nothing)"
    )
    assert nodes.sentence().startswith("denies connections to the addresses of nodes labelled")
    assert nodes.peers[0].nodes == ("n1",)
    assert nodes.to_dict()["peers"][0]["nodes_now"] == ["n1"]


# --- a pod across tiers -------------------------------------------------------------------------


def test_pod_only_the_baseline_tier_covers_is_not_every_connection_allowed():
    r = describe_pod(netreach.load(BASELINE_DENY_ALL), "shop/db")
    ing = r.ingress
    assert "every connection allowed" not in ing.summary()
    assert "what no rule allows is denied for every pod" in ing.summary()
    assert [(g.tier, g.action) for g in ing.baseline] == [("Baseline", "Deny")]
    assert ing.restricted and not ing.isolated and ing.peers == ()  # no workload gets in
    assert [(a.addresses, str(a.conns), a.rules) for a in ing.addresses] == [
        ("every address (0.0.0.0/0, ::/0)", "All Connections", (DEFAULT,))
    ]
    data = r.to_dict()
    assert data["tier_policies"] == [
        {"policy": "BaselineAdminNetworkPolicy/default", "tier": "Baseline", "priority": None}
    ]
    assert data["ingress"]["default_deny"] is True
    assert data["ingress"]["default_deny_by"] == [
        '[Baseline] BaselineAdminNetworkPolicy/default ingress[0] "default-deny"'
    ]
    assert r.egress.summary().endswith("every connection allowed")  # nothing restricts egress


def test_pod_lists_admin_rules_in_order_then_isolation_then_its_access():
    c = netreach.load(*LESSON_TIERS)
    ing = describe_pod(c, "default/db").ingress
    assert [(g.action, g.rule) for g in ing.admin] == [
        ("Deny", 'AdminNetworkPolicy/ns-guard ingress[0] "deny-monitoring-to-db"'),
        ("Pass", 'AdminNetworkPolicy/ns-guard ingress[1] "pass-the-rest"'),
    ]
    assert ing.summary().startswith("ingress: the Admin tier decides first (2 rules below); then")
    assert "isolated by default/default-deny-all" in ing.summary()
    assert {p.workload: str(p.conns) for p in ing.peers} == {
        "backend/api[Pod]": "TCP 5432",
        "default/api[Deployment]": "TCP 5432",
        "monitoring/agent[DaemonSet]": "TCP 9187",
    }


def test_pod_isolated_by_network_policy_lists_baseline_rules_as_not_consulted():
    eg = describe_pod(netreach.load(*LESSON_TIERS), "default/db").egress
    assert eg.isolated and eg.baseline == ()
    assert [g.rule for g in eg.skipped_baseline] == [
        'BaselineAdminNetworkPolicy/default egress[0] "no-internet"'
    ]
    assert "the Baseline tier is never consulted" in eg.summary()
    assert eg.summary().endswith("all egress denied")


def test_pod_access_names_the_admin_allow_that_overrides_isolation():
    c = cluster(
        NSS,
        PODS,
        [policy("a/deny", {})],
        admin=[admin("ops", 1, ingress=[arule("Allow", [apeer({"team": "y"})], [port(22)])])],
    )
    ing = describe_pod(c, "a/db").ingress
    assert [(p.workload, str(p.conns), p.rules) for p in ing.peers] == [
        ("b/api[Pod]", "TCP 22", ("[Admin] AdminNetworkPolicy/ops ingress[0]",))
    ]


def test_pod_access_names_the_default_for_what_no_tier_decides():
    c = cluster(
        NSS,
        PODS,
        admin=[admin("floor", baseline=True, ingress=[arule("Deny", [apeer({"team": "y"})])])],
    )
    ing = describe_pod(c, "a/db").ingress
    assert "what no tier decides is allowed" in ing.summary()
    assert {p.workload: (str(p.conns), p.rules) for p in ing.peers} == {
        "a/db[Pod]": ("All Connections", (DEFAULT,)),
        "a/web[Pod]": ("All Connections", (DEFAULT,)),
    }


@pytest.mark.parametrize("which", tiered.NAMES)
def test_pod_access_is_the_engines_row(which: str):
    """Every workload and address line is the matrix row of the pod's side."""
    c = tiered.load(which)
    compiled, matrix = c.compiled, c.matrix
    for p in c.pods:
        reading = describe_pod(c, p)
        ci = compiled.class_of[p.id]
        for side in (reading.ingress, reading.egress):
            if not side.restricted:
                continue
            row = (matrix.ingress if side.direction == "ingress" else matrix.egress).row_of(ci)
            want = {}
            for wl, pods in c.workloads.items():
                conns = matrix.table.sets[int(row[compiled.class_of[pods[0].id]])]
                if not conns.is_empty:
                    want[wl.id] = conns
            assert {a.workload: a.conns for a in side.peers} == want, (p.id, side.direction)
            ext = matrix.external_row(ci, side.direction)
            have = {str(a.conns) for a in side.addresses}
            assert have == {str(matrix.table.sets[int(i)]) for i in ext if i}
