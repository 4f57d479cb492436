"""redundant-rule / redundant-policy: removal changes no connection, checked by the engine."""

from __future__ import annotations

from audit_helpers import NSS, findings

from builders import cluster, peer, pod, policy, port, rule

PODS = [pod("default/db", {"app": "db"}), pod("default/api", {"app": "api"}), pod("other/x")]
API_5432 = rule([peer({"app": "api"})], [port(5432)])


def test_redundant_rule_names_the_rule_that_covers_it():
    wide = policy("default/a", {"app": "db"}, ingress=[rule([peer({"app": "api"})])])
    narrow = policy(
        "default/b", {"app": "db"}, ingress=[API_5432, rule([peer(namespaces={"team": "backend"})])]
    )
    got = findings(cluster(NSS, PODS, [wide, narrow]), "redundant-rule")
    assert [f.details["covered_by"] for f in got] == [["default/a ingress[0]"]]
    assert got[0].objects[0].name == "b" and "ingress[0]" in got[0].message


def test_rule_needed_for_some_connection_is_not_redundant():
    p = policy(
        "default/a", {"app": "db"}, ingress=[API_5432, rule([peer({"app": "api"})], [port(9187)])]
    )
    assert not findings(cluster(NSS, PODS, [p]), "redundant-rule")


def test_rule_blocked_on_the_other_side_is_reported_without_a_covering_rule():
    out = policy(
        "default/out", {"app": "api"}, types=["egress"], egress=[rule([peer({"app": "db"})])]
    )
    deny = policy("default/deny-db", {"app": "db"})
    (f,) = findings(cluster(NSS, PODS, [out, deny]), "redundant-rule")
    assert "blocked on the other side" in f.message


def test_redundant_policy_when_another_decides_the_same_traffic():
    a = policy("default/a", {"app": "db"}, ingress=[API_5432])
    b = policy("default/b", {"app": "db"}, ingress=[API_5432])
    got = findings(cluster(NSS, PODS, [a, b]), "redundant-policy")
    assert {f.objects[0].name for f in got} == {"a", "b"}
    assert not findings(cluster(NSS, PODS, [a, b]), "redundant-rule")  # reported once, per policy


def test_policy_that_isolates_is_not_redundant_and_default_deny_never_is():
    only = policy("default/a", {"app": "db"}, ingress=[API_5432])
    assert not findings(cluster(NSS, PODS, [only]), "redundant-policy")
    deny = policy("default/deny", {}, types=["ingress"])
    per_pod = [
        policy("default/db", {"app": "db"}, ingress=[API_5432]),
        policy("default/api", {"app": "api"}, ingress=[]),
    ]
    got = findings(cluster(NSS, PODS, [deny, *per_pod]), "redundant-policy")
    # default/api only isolates what the deny already isolates; the deny itself is kept.
    assert [f.objects[0].name for f in got] == ["api"]
