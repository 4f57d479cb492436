"""Admin-tier audit checks: a shadowed Deny, a Pass with nothing below, an overridden rule."""

from __future__ import annotations

from audit_helpers import NSS, findings

from builders import admin, apeer, arule, cluster, peer, pod, policy, port, rule

PODS = [
    pod("default/api", {"app": "api"}, ip="10.1.0.1"),
    pod("default/db", {"app": "db"}, ip="10.1.0.2"),
    pod("other/web", {"app": "web"}, ip="10.2.0.1"),
]
DB_ALLOWS_API = policy(
    "default/db-allows-api", {"app": "db"}, ingress=[rule([peer({"app": "api"})], [port(5432)])]
)


def test_deny_after_an_allow_of_the_same_traffic_is_shadowed():
    allow = admin("allow-all", 5, ingress=[arule("Allow")])
    deny = admin("deny-backend", 10, ingress=[arule("Deny", [apeer({"team": "backend"})])])
    (f,) = findings(cluster(NSS, PODS, admin=[allow, deny]), "admin-deny-shadowed")
    assert "AdminNetworkPolicy/deny-backend ingress[0]" in f.message
    assert f.objects[0].kind == "AdminNetworkPolicy"


def test_deny_before_the_allow_is_not_shadowed():
    allow = admin("allow-all", 50, ingress=[arule("Allow")])
    deny = admin("deny-backend", 10, ingress=[arule("Deny", [apeer({"team": "backend"})])])
    assert findings(cluster(NSS, PODS, admin=[allow, deny]), "admin-deny-shadowed") == []


def test_deny_partly_shadowed_by_port_is_not_reported():
    allow = admin("allow-80", 5, ingress=[arule("Allow", ports=[port(80)])])
    deny = admin("deny-all", 10, ingress=[arule("Deny")])
    assert findings(cluster(NSS, PODS, admin=[allow, deny]), "admin-deny-shadowed") == []


def test_pass_with_no_network_policy_and_no_baseline_below():
    pas = admin("pass", namespaces={"team": "backend"}, egress=[arule("Pass")])
    (f,) = findings(cluster(NSS, PODS, admin=[pas]), "admin-pass-to-nothing")
    assert "passes egress traffic" in f.message


def test_pass_reaching_a_network_policy_or_a_baseline_is_fine():
    pas = admin("pass", pods={"app": "db"}, ingress=[arule("Pass")])
    assert findings(cluster(NSS, PODS, [DB_ALLOWS_API], admin=[pas]), "admin-pass-to-nothing") == []
    banp = admin("default", ingress=[arule("Deny")], baseline=True)
    pas2 = admin("pass", pods={"app": "api"}, ingress=[arule("Pass")])
    assert findings(cluster(NSS, PODS, admin=[pas2, banp]), "admin-pass-to-nothing") == []


def test_network_policy_rule_decided_entirely_by_the_admin_tier():
    deny = admin("deny-db", pods={"app": "db"}, ingress=[arule("Deny")])
    (f,) = findings(cluster(NSS, PODS, [DB_ALLOWS_API], admin=[deny]), "network-policy-overridden")
    assert "default/db-allows-api ingress[0]" in f.message


def test_network_policy_rule_reached_through_pass_is_not_overridden():
    pas = admin(
        "pass", pods={"app": "db"}, ingress=[arule("Pass", ports=[port(5432)]), arule("Deny")]
    )
    assert (
        findings(cluster(NSS, PODS, [DB_ALLOWS_API], admin=[pas]), "network-policy-overridden")
        == []
    )
