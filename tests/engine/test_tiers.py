"""Admin tiers (network-policy-api), one named test per rule (docs/semantics.md cites them)."""

from __future__ import annotations

from builders import admin, apeer, arule, cluster, node, ns, peer, pod, policy, port, rule
from netreach.engine.conns import ConnectionSet
from netreach.model import AdminPeer

NSS = [ns("default"), ns("other", team="backend"), ns("kube-system")]


def _pods():
    return [
        pod("default/api", {"app": "api"}, ip="10.1.0.1"),
        pod("default/db", {"app": "db"}, ip="10.1.0.2", ports=[("pg", 5432, "TCP")]),
        pod("other/web", {"app": "web"}, ip="10.2.0.1", ports=[("http", 80, "TCP")]),
        pod("kube-system/dns", {"k8s-app": "dns"}, ip="10.3.0.1", ports=[("dns", 53, "UDP")]),
    ]


def allowed(c, src, dst, p=5432, proto="TCP"):
    return c.check(src, dst, p, proto).allowed


def pair(c, src, dst) -> ConnectionSet:
    return {(x.src, x.dst): x.conns for x in c.connectivity(by="pod")}.get(
        (src, dst), ConnectionSet.parse("No Connections")
    )


ALLOW_API_TO_DB = policy(
    "default/allow-api",
    {"app": "db"},
    ingress=[rule([peer({"app": "api"})], [port(5432)])],
)


# --- Admin tier ----------------------------------------------------------------------------


def test_admin_deny_overrides_a_network_policy_allow():
    deny = admin("deny-db", ingress=[arule("Deny", [apeer(namespaces={})])], pods={"app": "db"})
    c = cluster(NSS, _pods(), [ALLOW_API_TO_DB], admin=[deny])
    assert not allowed(c, "default/api", "default/db")
    assert pair(c, "default/api", "default/db").is_empty


def test_admin_allow_overrides_network_policy_isolation():
    ok = admin(
        "monitoring",
        ingress=[arule("Allow", [apeer(namespaces={"team": "backend"})], [port(9090)])],
    )
    c = cluster(NSS, _pods(), [ALLOW_API_TO_DB], admin=[ok])
    assert allowed(c, "other/web", "default/db", 9090)
    assert not allowed(c, "other/web", "default/db", 5432)  # NetworkPolicy decides the rest


def test_admin_pass_hands_over_to_network_policy():
    pas = admin("pass", ingress=[arule("Pass")])
    deny = admin("deny-all", 20, ingress=[arule("Deny")])
    c = cluster(NSS, _pods(), [ALLOW_API_TO_DB], admin=[pas, deny])
    assert allowed(c, "default/api", "default/db")  # passed, then allowed by NetworkPolicy
    assert not allowed(c, "other/web", "default/db")  # passed, NetworkPolicy isolates db
    assert allowed(c, "default/api", "other/web", 80)  # passed, not isolated: allowed


def test_admin_lower_priority_number_applies_first():
    allow = admin("allow", 5, ingress=[arule("Allow")])
    deny = admin("deny", 50, ingress=[arule("Deny")])
    c = cluster(NSS, _pods(), admin=[deny, allow])
    assert allowed(c, "default/api", "default/db")
    c2 = cluster(NSS, _pods(), admin=[admin("allow", 60, ingress=[arule("Allow")]), deny])
    assert not allowed(c2, "default/api", "default/db")


def test_first_matching_rule_of_a_policy_decides():
    p = admin(
        "ordered",
        ingress=[arule("Allow", ports=[port(5432)]), arule("Deny")],
        pods={"app": "db"},
    )
    c = cluster(NSS, _pods(), admin=[p])
    assert allowed(c, "other/web", "default/db", 5432)
    assert not allowed(c, "other/web", "default/db", 5433)
    assert pair(c, "other/web", "default/db") == ConnectionSet.parse("TCP 5432")


def test_admin_rules_split_a_connection_set_by_port():
    # Allow TCP 1-100, Pass 5432: NetworkPolicy decides only what was passed or unmatched.
    p = admin(
        "split",
        ingress=[arule("Allow", ports=[port(1, end=100)]), arule("Pass", ports=[port(5432)])],
    )
    c = cluster(NSS, _pods(), [ALLOW_API_TO_DB], admin=[p])
    assert pair(c, "default/api", "default/db") == ConnectionSet.parse("TCP 1-100,5432")
    assert pair(c, "other/web", "default/db") == ConnectionSet.parse("TCP 1-100")


# --- Baseline tier -------------------------------------------------------------------------


def test_baseline_deny_applies_to_pods_no_network_policy_isolates():
    banp = admin("default", ingress=[arule("Deny")], baseline=True)
    c = cluster(NSS, _pods(), admin=[banp])
    assert not allowed(c, "default/api", "other/web", 80)


def test_baseline_never_changes_a_pod_isolated_by_network_policy():
    banp = admin("default", ingress=[arule("Deny")], baseline=True)
    c = cluster(NSS, _pods(), [ALLOW_API_TO_DB], admin=[banp])
    assert allowed(c, "default/api", "default/db")  # db: NetworkPolicy is final
    assert not allowed(c, "default/api", "other/web", 80)  # web: Baseline decides


def test_baseline_allow_before_its_deny_and_rest_allowed():
    banp = admin(
        "default",
        ingress=[
            arule("Allow", [apeer(namespaces={"kubernetes.io/metadata.name": "default"})]),
            arule("Deny", [apeer(namespaces={})], [port(80)]),
        ],
        baseline=True,
    )
    c = cluster(NSS, _pods(), admin=[banp])
    assert allowed(c, "default/api", "other/web", 80)
    assert not allowed(c, "kube-system/dns", "other/web", 80)
    assert allowed(c, "kube-system/dns", "other/web", 81)  # no tier decided: allowed


def test_admin_pass_falls_through_to_baseline_when_not_isolated():
    pas = admin("pass", ingress=[arule("Pass")])
    banp = admin("default", ingress=[arule("Deny")], baseline=True)
    c = cluster(NSS, _pods(), admin=[pas, banp])
    assert not allowed(c, "default/api", "other/web", 80)


def test_connection_needs_both_egress_and_ingress_through_the_tiers():
    eg = admin("egress-allow", egress=[arule("Allow")])
    banp = admin("default", ingress=[arule("Deny")], pods={"app": "web"}, baseline=True)
    c = cluster(NSS, _pods(), admin=[eg, banp])
    assert not allowed(c, "default/api", "other/web", 80)
    assert allowed(c, "other/web", "default/api", 80)


# --- subjects and peers --------------------------------------------------------------------


def test_subject_namespaces_and_pods_are_anded():
    p = admin(
        "db-only", namespaces={"team": "backend"}, pods={"app": "web"}, ingress=[arule("Deny")]
    )
    c = cluster(NSS, _pods(), admin=[p])
    assert not allowed(c, "default/api", "other/web", 80)
    assert allowed(c, "default/api", "default/db")


def test_host_network_pods_are_neither_subjects_nor_pod_peers():
    pods = [*_pods(), pod("default/agent", {"app": "agent"}, ip="192.168.0.5", host_network=True)]
    deny = admin("deny-all", ingress=[arule("Deny")], egress=[arule("Deny")])
    c = cluster(NSS, pods, admin=[deny])
    assert c.check("default/agent", "default/db", 5432).egress.allowed  # not a subject
    assert c.check("default/api", "default/agent", 1).egress.allowed  # not a namespaces peer
    assert not c.check("default/api", "default/db", 1).egress.allowed


def test_networks_peer_matches_external_addresses():
    p = admin("egress", egress=[arule("Deny", [apeer(networks=["203.0.113.0/24"])])])
    c = cluster(NSS, _pods(), admin=[p])
    assert not allowed(c, "default/api", "203.0.113.7", 443)
    assert allowed(c, "default/api", "198.51.100.1", 443)
    ext = {(x.src, x.dst): x.conns for x in c.connectivity(by="pod", external=True)}
    assert all("203.0.113" not in dst for (src, dst) in ext if src == "default/api"), (
        "the denied range is not listed as reachable"
    )


def test_networks_peer_matches_pod_ips_with_ipblock_matches_pods():
    p = admin("egress", egress=[arule("Deny", [apeer(networks=["10.2.0.0/16"])])])
    assert not allowed(cluster(NSS, _pods(), admin=[p]), "default/api", "other/web", 80)
    off = cluster(NSS, _pods(), admin=[p], ipblock_matches_pods=False)
    assert allowed(off, "default/api", "other/web", 80)


def test_nodes_peer_matches_the_addresses_of_matching_nodes():
    nodes = [
        node("n1", {"role": "infra"}, "172.16.0.1"),
        node("n2", {"role": "worker"}, "172.16.0.2"),
    ]
    p = admin("nodes", egress=[arule("Deny", [apeer(nodes={"role": "infra"})])])
    c = cluster(NSS, _pods(), admin=[p], nodes=nodes)
    assert not allowed(c, "default/api", "172.16.0.1", 10250)
    assert allowed(c, "default/api", "172.16.0.2", 10250)


def test_named_port_resolves_on_the_destination_pod_any_protocol():
    dns_ports = [port("dns", proto) for proto in ("TCP", "UDP", "SCTP")]
    p = admin("dns", egress=[arule("Allow", ports=dns_ports), arule("Deny")])
    c = cluster(NSS, _pods(), admin=[p])
    assert allowed(c, "default/api", "kube-system/dns", 53, "UDP")
    assert not allowed(c, "default/api", "kube-system/dns", 53, "TCP")  # the name is UDP there
    assert not allowed(c, "default/api", "other/web", 80)  # web has no port named dns
    assert pair(c, "default/api", "kube-system/dns") == ConnectionSet.parse("UDP 53")


def test_unsupported_peer_matches_nothing():
    p = admin("domains", egress=[arule("Deny", [AdminPeer(unsupported="domainNames")])])
    c = cluster(NSS, _pods(), admin=[p])
    assert allowed(c, "default/api", "other/web", 80)


# --- explanations --------------------------------------------------------------------------


def test_explanation_shows_the_whole_chain():
    pas = admin(
        "ns-guard",
        ingress=[arule("Deny", [apeer(namespaces={"team": "x"})]), arule("Pass", name="to-np")],
    )
    c = cluster(NSS, _pods(), [ALLOW_API_TO_DB], admin=[pas])
    v = c.check("default/api", "default/db", 5432)
    assert v.ingress.chain == (
        '[Admin] Pass (AdminNetworkPolicy/ns-guard ingress[1] "to-np")',
        "[NetworkPolicy] allowed by default/allow-api ingress[0] from[0] ports[0]",
    )
    assert " -> " in v.explain() and "[Admin] Pass" in v.explain()
    d = v.to_dict()["ingress"]
    assert d["decided_by"] == "NetworkPolicy" and d["tier_rules"][0]["action"] == "Pass"


def test_explanation_of_an_admin_decision_names_the_rule():
    deny = admin("guard", 3, ingress=[arule("Deny", name="no-db")], pods={"app": "db"})
    c = cluster(NSS, _pods(), [ALLOW_API_TO_DB], admin=[deny])
    v = c.check("default/api", "default/db", 5432)
    assert v.ingress.decided_by == "Admin" and not v.allowed
    assert v.ingress.reason == '[Admin] Deny (AdminNetworkPolicy/guard ingress[0] "no-db")'
    assert v.to_dict()["ingress"]["tier_rules"][0]["priority"] == 3


# --- ClusterNetworkPolicy and a pod's own traffic --------------------------------------------


def test_cluster_network_policy_leaves_a_pods_traffic_to_its_own_ip_alone():
    """network-policy-api: "A Pod connecting to its own Pod IP is not subject to CNP"."""
    deny = admin(
        "deny-all",
        egress=[arule("Deny", [apeer(namespaces={})])],
        ingress=[arule("Deny", [apeer(namespaces={})])],
        kind="ClusterNetworkPolicy",
    )
    replicas = [pod("default/db-0", {"app": "db"}, ip="10.1.0.5"), *_pods()]
    c = cluster(NSS, replicas, admin=[deny])
    assert allowed(c, "default/db", "default/db")  # itself: CNP stays out
    assert not allowed(c, "default/db-0", "default/db")  # another pod of the same class
    assert not pair(c, "default/db", "default/db").is_empty
    assert pair(c, "default/db-0", "default/db").is_empty
    # an AdminNetworkPolicy (v1alpha1) still applies to it
    anp = admin("deny-all", egress=[arule("Deny", [apeer(namespaces={})])])
    assert not allowed(cluster(NSS, replicas, admin=[anp]), "default/db", "default/db")
