"""The isolation and exposure checks count the admin tiers: a Baseline deny-all is a default
deny (reported as information), a partial tier deny is named, and NetworkPolicy exposure
findings see only what the Admin tier leaves them."""

from __future__ import annotations

from audit_helpers import NSS, findings

from builders import admin, apeer, arule, cluster, peer, pod, policy, port, rule

PODS = [
    pod("default/api", {"app": "api"}, ip="10.1.0.1"),
    pod("default/db", {"app": "db"}, ip="10.1.0.2"),
    pod("other/web", {"app": "web"}, ip="10.2.0.1"),
]


BANP_DENY_ALL = admin("default", baseline=True, ingress=[arule("Deny", [apeer({})])])


def test_baseline_deny_all_is_a_default_deny_reported_as_info_not_a_warning():
    c = cluster(NSS, PODS, admin=[BANP_DENY_ALL])
    assert findings(c, "no-default-deny-ingress") == []
    assert [f for f in findings(c, "pod-not-isolated") if f.details["direction"] == "ingress"] == []
    infos = findings(c, "default-deny-from-tier")
    assert [(f.objects[0].name, f.details["direction"], f.severity) for f in infos] == [
        ("default", "ingress", "info"),
        ("other", "ingress", "info"),
    ]
    first = infos[0]
    assert first.details["guarded_by"] == [
        "[Baseline] BaselineAdminNetworkPolicy/default ingress[0]"
    ]
    assert "a NetworkPolicy isolating a pod replaces it for that pod" in first.message
    assert "Addresses outside the cluster may still connect to them by default" in first.message
    assert first.objects[1].kind == "BaselineAdminNetworkPolicy"
    assert len(findings(c, "no-default-deny-egress")) == 2  # egress: nothing denies


def test_a_tier_deny_of_part_of_the_traffic_is_named_but_is_no_default_deny():
    no_internet = admin(
        "default", baseline=True, egress=[arule("Deny", [apeer(networks=["0.0.0.0/0"])])]
    )
    c = cluster(NSS, PODS, admin=[no_internet])
    found = findings(c, "no-default-deny-egress")
    assert len(found) == 2 and findings(c, "default-deny-from-tier") == []
    assert "the admin tiers deny only part of it" in found[0].message
    assert found[0].details["tier_denies"] == [
        "[Baseline] BaselineAdminNetworkPolicy/default egress[0]"
    ]
    pods = findings(c, "pod-not-isolated")
    assert any("may connect wherever no tier rule denies" in f.message for f in pods)


def test_admin_deny_of_every_namespace_drops_the_namespace_selector_exposure():
    open_db = policy(
        "default/db-open",
        {"app": "db"},
        ingress=[rule([peer(namespaces={})], [port(5432)]), rule([], [port(80)])],
    )
    before = cluster(NSS, PODS, [open_db])
    assert any("sensitive port" in f.message for f in findings(before, "world-open"))
    deny = admin(
        "deny-pods",
        namespaces={"kubernetes.io/metadata.name": "default"},
        ingress=[arule("Deny", [apeer({})])],
    )
    after = cluster(NSS, PODS, [open_db], admin=[deny])
    world = findings(after, "world-open")
    assert not any("sensitive port" in f.message for f in world)
    # the rule without `from` still admits addresses, which ingress admin peers cannot name
    [no_from] = world
    assert "any address outside the cluster may connect to" in no_from.message


def test_admin_allow_taking_every_connection_first_drops_the_allow_all_finding():
    allow_all = policy("default/all", {"app": "db"}, ingress=[rule()])
    assert findings(cluster(NSS, PODS, [allow_all]), "allow-all-ingress")
    everything = admin(
        "decide-all",
        namespaces={"kubernetes.io/metadata.name": "default"},
        ingress=[arule("Deny", [apeer({})])],
    )
    c = cluster(NSS, PODS, [allow_all], admin=[everything])
    assert findings(c, "allow-all-ingress") == []  # addresses are still open: world-open says so
    assert [f.details["direction"] for f in findings(c, "world-open")] == ["ingress"]


def test_audit_posture_counts_guarded_pods_and_names_the_guard():
    report = cluster(NSS, PODS, admin=[BANP_DENY_ALL]).audit()
    rows = {p.namespace: p for p in report.posture}
    assert (rows["default"].ingress_isolated, rows["default"].ingress_guarded) == (0, 2)
    assert rows["default"].tier_guards == {"ingress": ["BaselineAdminNetworkPolicy/default"]}
    data = report.to_dict()["posture"][0]
    assert {"ingress_guarded", "egress_guarded", "tier_policies", "tier_guards"} <= set(data)
