"""Checks of the isolation family: default deny, pods left open, host network, policyTypes."""

from __future__ import annotations

from dataclasses import replace

from audit_helpers import NSS, findings

from builders import cluster, peer, pod, policy, rule
from netreach.loader import load_sources
from netreach.loader.sources import Source


def test_no_default_deny_fires_per_direction_for_namespaces_with_open_pods():
    deny_in = policy("default/deny-in", {}, types=["ingress"])
    c = cluster(NSS, [pod("default/a", {"app": "a"}), pod("other/b")], [deny_in])
    ingress = findings(c, "no-default-deny-ingress")
    egress = findings(c, "no-default-deny-egress")
    assert [f.objects[0].name for f in ingress] == ["other"]
    assert [f.objects[0].name for f in egress] == ["default", "other"]
    assert "1 of 1 pods are not isolated for egress" in egress[0].message


def test_no_default_deny_fix_is_a_valid_policy_that_clears_the_finding():
    c = cluster(NSS, [pod("default/a")], [])
    (f,) = findings(c, "no-default-deny-egress")
    yaml_text = f.fix.split("\n", 1)[1]
    fixed = load_sources([Source("fix.yaml", yaml_text.encode())])
    assert [p.policy_types for p in fixed.policies] == [("egress",)]
    c2 = cluster(NSS, [pod("default/a")], fixed.policies)
    assert not findings(c2, "no-default-deny-egress")


def test_no_default_deny_silent_when_every_pod_is_isolated_both_ways():
    deny = policy("default/deny", {}, types=["ingress", "egress"])
    c = cluster(NSS, [pod("default/a"), pod("default/b", {"x": "y"})], [deny])
    assert not findings(c, "no-default-deny-ingress")
    assert not findings(c, "no-default-deny-egress")


def test_pod_not_isolated_names_the_workload_and_direction():
    only_in = policy("default/p", {"app": "a"}, types=["ingress"])
    c = cluster(NSS, [pod("default/a", {"app": "a"}), pod("default/b", {"app": "b"})], [only_in])
    got = {(f.objects[0].name, f.details["direction"]) for f in findings(c, "pod-not-isolated")}
    assert got == {("a", "egress"), ("b", "ingress"), ("b", "egress")}


def test_pod_not_isolated_silent_for_isolated_pods():
    deny = policy("default/deny", {}, types=["ingress", "egress"])
    c = cluster(NSS, [pod("default/a", {"app": "a"})], [deny])
    assert not findings(c, "pod-not-isolated")


def test_host_network_pod_fires_and_is_not_counted_as_open():
    c = cluster(NSS, [pod("default/node-agent", host_network=True)])
    assert [f.objects[0].name for f in findings(c, "host-network-pod")] == ["node-agent"]
    assert not findings(c, "pod-not-isolated")  # reported once, as host-network
    assert not findings(c, "no-default-deny-ingress")


def test_host_network_pod_silent_for_ordinary_pods():
    c = cluster(NSS, [pod("default/a")])
    assert not findings(c, "host-network-pod")


def test_missing_policy_types_reports_egress_rules_whose_default_also_isolates_ingress():
    # egress rules, no policyTypes: defaulting gives [Ingress, Egress], and with no ingress
    # rule every connection to the pods is denied, which the rules never said
    out = rule([peer({"app": "db"})])
    p = replace(
        policy("default/p", {"app": "a"}, types=["ingress", "egress"], egress=[out]),
        explicit_policy_types=False,
    )
    c = cluster(NSS, [pod("default/a", {"app": "a"}), pod("default/db", {"app": "db"})], [p])
    (f,) = findings(c, "missing-policy-types")
    assert "defaulted it to [Ingress, Egress]" in f.message
    assert "also isolates ingress" in f.message and "is denied" in f.message
    assert f.details["defaulted_to"] == ["Ingress", "Egress"]
    assert "- Egress" in f.fix and "Ingress" not in f.fix.split("\n", 1)[1]


def test_missing_policy_types_silent_where_the_default_is_what_the_rules_say():
    # ingress rules only (or none: the deny-ingress idiom), or rules both ways: the default
    # [Ingress] / [Ingress, Egress] is exactly what the author wrote
    only_in = rule([peer({"app": "b"})])
    both = [rule([peer({"app": "b"})])]
    policies = [
        replace(policy("default/in", {"app": "a"}, ingress=[only_in]), explicit_policy_types=False),
        replace(policy("default/deny", {}), explicit_policy_types=False),
        replace(
            policy("default/both", {"app": "a"}, types=["ingress", "egress"], ingress=both,
                   egress=both),
            explicit_policy_types=False,
        ),
    ]  # fmt: skip
    c = cluster(NSS, [pod("default/a", {"app": "a"}), pod("default/b", {"app": "b"})], policies)
    assert not findings(c, "missing-policy-types")


def test_missing_policy_types_silent_when_explicit():
    c = cluster(NSS, [pod("default/a")], [policy("default/p", {}, types=["ingress"])])
    assert not findings(c, "missing-policy-types")
