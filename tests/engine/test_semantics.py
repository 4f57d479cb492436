"""Kubernetes NetworkPolicy semantics, one named test per rule (docs/semantics.md cites them)."""

from __future__ import annotations

from builders import cluster, ns, peer, pod, policy, port, rule, sel
from netreach.engine.conns import ConnectionSet
from netreach.model import Requirement

NSS = [ns("default"), ns("other", team="backend"), ns("third", team="frontend")]


def _pods():
    return [
        pod("default/api", {"app": "api"}, ip="10.1.0.1"),
        pod(
            "default/db",
            {"app": "db"},
            ip="10.1.0.2",
            ports=[("postgres", 5432, "TCP"), ("metrics", 9187, "TCP"), ("dns", 53, "UDP")],
        ),
        pod("other/api", {"app": "api"}, ip="10.2.0.1"),
        pod("other/web", {"app": "web"}, ip="10.2.0.2"),
        pod("third/api", {"app": "api"}, ip="10.3.0.1"),
    ]


def allowed(c, src, dst, p=5432, proto="TCP"):
    return c.check(src, dst, p, proto).allowed


# --- isolation -------------------------------------------------------------------------------


def test_unselected_pod_is_not_isolated_and_allows_everything():
    c = cluster(NSS, _pods(), [policy("default/p", {"app": "api"}, ingress=[])])
    assert allowed(c, "other/web", "default/db", 1234, "UDP")
    assert not allowed(c, "other/web", "default/api")


def test_policy_types_decide_isolation():
    # Egress listed in policyTypes isolates egress even though there is no egress rule.
    c = cluster(NSS, _pods(), [policy("default/p", {"app": "api"}, types=["egress"])])
    assert not allowed(c, "default/api", "default/db")
    assert allowed(c, "default/db", "default/api")  # ingress is not isolated
    assert c.isolated("default/api", "egress") and not c.isolated("default/api", "ingress")


def test_egress_rules_ignored_without_egress_type():
    # Rules of a direction not in policyTypes do nothing, neither isolate nor allow.
    p = policy(
        "default/p",
        {"app": "api"},
        types=["ingress"],
        ingress=[rule()],
        egress=[rule([peer({"app": "nothing"})])],
    )
    c = cluster(NSS, _pods(), [p])
    assert allowed(c, "default/api", "default/db")
    assert not c.isolated("default/api", "egress")


def test_connection_needs_egress_at_source_and_ingress_at_destination():
    out = policy(
        "default/out",
        {"app": "api"},
        types=["egress"],
        egress=[rule([peer({"app": "db"})], [port(5432)])],
    )
    inn = policy("default/in", {"app": "db"}, ingress=[rule([peer({"app": "web"})])])
    c = cluster(NSS, _pods(), [out, inn])
    v = c.check("default/api", "default/db", 5432)
    assert v.egress.allowed and not v.ingress.allowed and not v.allowed
    c2 = cluster(NSS, _pods(), [out])
    assert allowed(c2, "default/api", "default/db")
    assert not allowed(c2, "default/api", "default/db", 80)


def test_policies_are_additive():
    a = policy("default/a", {"app": "db"}, ingress=[rule([peer({"app": "api"})], [port(5432)])])
    b = policy(
        "default/b",
        {"app": "db"},
        ingress=[rule([peer(namespaces={"team": "backend"})], [port(9187)])],
    )
    c = cluster(NSS, _pods(), [a, b])
    assert allowed(c, "default/api", "default/db", 5432)
    assert allowed(c, "other/web", "default/db", 9187)
    assert not allowed(c, "other/web", "default/db", 5432)
    v = c.check("default/api", "default/db", 5432)
    assert {p.name for p in v.ingress.isolating} == {"a", "b"}
    assert [m.policy.name for m in v.ingress.matches] == ["a"]


# --- peers -------------------------------------------------------------------------------------


def test_pod_selector_alone_means_pods_of_the_policy_namespace():
    p = policy("default/p", {"app": "db"}, ingress=[rule([peer({"app": "api"})])])
    c = cluster(NSS, _pods(), [p])
    assert allowed(c, "default/api", "default/db")
    assert not allowed(c, "other/api", "default/db")


def test_namespace_selector_alone_means_every_pod_of_matching_namespaces():
    p = policy("default/p", {"app": "db"}, ingress=[rule([peer(namespaces={"team": "backend"})])])
    c = cluster(NSS, _pods(), [p])
    assert allowed(c, "other/api", "default/db")
    assert allowed(c, "other/web", "default/db")
    assert not allowed(c, "third/api", "default/db")
    assert not allowed(c, "default/api", "default/db")


def test_pod_and_namespace_selector_in_one_peer_are_anded():
    p = policy(
        "default/p", {"app": "db"}, ingress=[rule([peer({"app": "api"}, {"team": "backend"})])]
    )
    c = cluster(NSS, _pods(), [p])
    assert allowed(c, "other/api", "default/db")
    assert not allowed(c, "other/web", "default/db")  # right namespace, wrong pod
    assert not allowed(c, "third/api", "default/db")  # right pod, wrong namespace
    assert not allowed(c, "default/api", "default/db")


def test_separate_peers_are_ored():
    p = policy(
        "default/p",
        {"app": "db"},
        ingress=[rule([peer({"app": "api"}), peer(namespaces={"team": "backend"})])],
    )
    c = cluster(NSS, _pods(), [p])
    assert allowed(c, "default/api", "default/db")  # first peer
    assert allowed(c, "other/web", "default/db")  # second peer
    assert not allowed(c, "third/api", "default/db")


def test_empty_namespace_selector_matches_all_namespaces():
    p = policy("default/p", {"app": "db"}, ingress=[rule([peer({"app": "api"}, {})])])
    c = cluster(NSS, _pods(), [p])
    for src in ("default/api", "other/api", "third/api"):
        assert allowed(c, src, "default/db")
    assert not allowed(c, "other/web", "default/db")


def test_absent_from_allows_all_sources():
    p = policy("default/p", {"app": "db"}, ingress=[rule(ports=[port(5432)])])
    c = cluster(NSS, _pods(), [p])
    assert allowed(c, "third/api", "default/db")
    assert allowed(c, "203.0.113.9", "default/db")
    assert not allowed(c, "third/api", "default/db", 80)


def test_ingress_with_one_empty_rule_allows_everything():
    c = cluster(NSS, _pods(), [policy("default/p", {"app": "db"}, ingress=[rule()])])
    assert allowed(c, "third/api", "default/db", 7, "SCTP")
    assert allowed(c, "198.51.100.1", "default/db", 53, "UDP")


def test_empty_ingress_list_with_ingress_type_allows_nothing():
    c = cluster(NSS, _pods(), [policy("default/p", {"app": "db"}, ingress=[])])
    assert not allowed(c, "default/api", "default/db")
    assert not allowed(c, "198.51.100.1", "default/db")


def test_empty_pod_selector_selects_every_pod_of_the_namespace():
    c = cluster(NSS, _pods(), [policy("default/deny", {}, types=["ingress", "egress"])])
    assert not allowed(c, "default/api", "default/db")
    assert not allowed(c, "other/api", "default/api")
    assert allowed(c, "other/api", "third/api")


# --- ports -------------------------------------------------------------------------------------


def test_absent_ports_mean_every_port_of_every_protocol():
    p = policy("default/p", {"app": "db"}, ingress=[rule([peer({"app": "api"})])])
    c = cluster(NSS, _pods(), [p])
    for proto, n in (("TCP", 1), ("UDP", 65535), ("SCTP", 9)):
        assert allowed(c, "default/api", "default/db", n, proto)


def test_protocol_without_port_means_every_port_of_that_protocol():
    p = policy("default/p", {"app": "db"}, ingress=[rule(ports=[port(None, "UDP")])])
    c = cluster(NSS, _pods(), [p])
    assert allowed(c, "default/api", "default/db", 1, "UDP")
    assert allowed(c, "default/api", "default/db", 65535, "UDP")
    assert not allowed(c, "default/api", "default/db", 53, "TCP")


def test_end_port_range_is_inclusive():
    p = policy("default/p", {"app": "db"}, ingress=[rule(ports=[port(8000, "TCP", 8080)])])
    c = cluster(NSS, _pods(), [p])
    assert allowed(c, "default/api", "default/db", 8000)
    assert allowed(c, "default/api", "default/db", 8080)
    assert not allowed(c, "default/api", "default/db", 7999)
    assert not allowed(c, "default/api", "default/db", 8081)


def test_port_matches_its_protocol_only():
    p = policy("default/p", {"app": "db"}, ingress=[rule(ports=[port(53, "UDP")])])
    c = cluster(NSS, _pods(), [p])
    assert allowed(c, "default/api", "default/db", 53, "UDP")
    assert not allowed(c, "default/api", "default/db", 53, "TCP")
    assert not allowed(c, "default/api", "default/db", 53, "SCTP")


def test_named_port_resolves_on_the_destination_pod():
    p = policy("default/p", {"app": "db"}, ingress=[rule(ports=[port("postgres")])])
    c = cluster(NSS, _pods(), [p])
    assert allowed(c, "default/api", "default/db", 5432)
    assert allowed(c, "default/api", "default/db", "postgres")
    assert not allowed(c, "default/api", "default/db", 9187)


def test_named_port_must_match_the_protocol():
    # "dns" is a UDP port on db: a TCP rule naming it opens nothing.
    p = policy("default/p", {"app": "db"}, ingress=[rule(ports=[port("dns", "TCP")])])
    c = cluster(NSS, _pods(), [p])
    assert not allowed(c, "default/api", "default/db", 53, "TCP")
    assert not allowed(c, "default/api", "default/db", 53, "UDP")
    p2 = policy("default/p", {"app": "db"}, ingress=[rule(ports=[port("dns", "UDP")])])
    assert allowed(cluster(NSS, _pods(), [p2]), "default/api", "default/db", 53, "UDP")


def test_named_port_no_container_has_opens_nothing():
    p = policy("default/p", {"app": "db"}, ingress=[rule(ports=[port("no-such-port")])])
    c = cluster(NSS, _pods(), [p])
    into_db = [x for x in c.connectivity() if x.dst == "default/db"]
    assert into_db == []
    assert not allowed(c, "default/api", "default/db", 5432)
    # control: the same rule with a numeric port does open something
    p2 = policy("default/p", {"app": "db"}, ingress=[rule(ports=[port(5432)])])
    assert [x for x in cluster(NSS, _pods(), [p2]).connectivity() if x.dst == "default/db"]


def test_named_port_in_egress_resolves_on_each_destination():
    pods = [
        pod("default/client", {"app": "client"}),
        pod("default/a", {"role": "srv"}, ports=[("http", 8080, "TCP")]),
        pod("default/b", {"role": "srv"}, ports=[("http", 9090, "TCP")]),
    ]
    p = policy(
        "default/p",
        {"app": "client"},
        types=["egress"],
        egress=[rule([peer({"role": "srv"})], [port("http")])],
    )
    c = cluster([ns("default")], pods, [p])
    assert allowed(c, "default/client", "default/a", 8080)
    assert not allowed(c, "default/client", "default/a", 9090)
    assert allowed(c, "default/client", "default/b", 9090)
    m = {(x.src, x.dst): x.conns for x in c.connectivity()}
    assert m[("default/client", "default/a")] == ConnectionSet.ports("TCP", 8080)
    assert m[("default/client", "default/b")] == ConnectionSet.ports("TCP", 9090)


# --- label selectors ------------------------------------------------------------------------------


def test_match_labels_and_match_expressions_are_anded():
    s = sel({"app": "api"}, Requirement("team", "In", ("x",)))
    assert s.matches({"app": "api", "team": "x"})
    assert not s.matches({"app": "api", "team": "y"})
    assert not s.matches({"app": "web", "team": "x"})


def test_notin_and_doesnotexist_match_objects_lacking_the_key():
    assert Requirement("tier", "NotIn", ("web",)).matches({})
    assert not Requirement("tier", "NotIn", ("web",)).matches({"tier": "web"})
    assert Requirement("tier", "DoesNotExist").matches({"app": "x"})
    assert not Requirement("tier", "In", ("web",)).matches({})
    assert not Requirement("tier", "Exists").matches({})
    p = policy(
        "default/p",
        {"app": "db"},
        ingress=[rule([peer(sel(None, Requirement("app", "NotIn", ("api",))), {})])],
    )
    c = cluster(NSS, [*_pods(), pod("third/bare", {})], [p])
    assert allowed(c, "third/bare", "default/db")
    assert allowed(c, "other/web", "default/db")
    assert not allowed(c, "other/api", "default/db")


# --- ipBlock -----------------------------------------------------------------------------------


def test_ipblock_admits_cidr_minus_except():
    p = policy(
        "default/p",
        {"app": "db"},
        ingress=[rule([peer(cidr="192.168.0.0/16", except_=["192.168.1.0/24"])])],
    )
    c = cluster(NSS, _pods(), [p])
    assert allowed(c, "192.168.0.7", "default/db")
    assert not allowed(c, "192.168.1.7", "default/db")
    assert not allowed(c, "10.9.9.9", "default/db")


def test_ipblock_ipv6():
    p = policy(
        "default/p",
        {"app": "api"},
        types=["egress"],
        egress=[rule([peer(cidr="2001:db8::/32", except_=["2001:db8:1::/48"])])],
    )
    c = cluster(NSS, _pods(), [p])
    assert allowed(c, "default/api", "2001:db8::1")
    assert not allowed(c, "default/api", "2001:db8:1::1")
    assert not allowed(c, "default/api", "10.0.0.1")


def test_ipblock_matches_pod_ips_is_a_switch():
    p = policy("default/p", {"app": "db"}, ingress=[rule([peer(cidr="10.2.0.0/16")])])
    on = cluster(NSS, _pods(), [p], ipblock_matches_pods=True)
    off = cluster(NSS, _pods(), [p], ipblock_matches_pods=False)
    assert allowed(on, "other/api", "default/db")
    assert not allowed(off, "other/api", "default/db")
    assert allowed(off, "10.2.0.99", "default/db")  # an address no pod has
    assert not allowed(on, "third/api", "default/db")


def test_external_traffic_evaluates_only_the_pod_side():
    deny_out = policy("default/p", {"app": "api"}, types=["egress"])
    c = cluster(NSS, _pods(), [deny_out])
    v = c.check("203.0.113.5", "default/api", 80)
    assert v.allowed and v.egress.pod is None
    v2 = c.check("default/api", "203.0.113.5", 80)
    assert not v2.allowed and v2.ingress.pod is None


# --- special pods ---------------------------------------------------------------------------------


def test_host_network_pod_is_never_isolated():
    pods = [*_pods(), pod("default/node-agent", {"app": "db"}, host_network=True, ip="192.0.2.10")]
    c = cluster(NSS, pods, [policy("default/deny", {}, types=["ingress", "egress"])])
    assert allowed(c, "default/node-agent", "other/api")
    assert allowed(c, "other/api", "default/node-agent")
    assert not c.isolated("default/node-agent", "ingress")


def test_host_network_pod_is_not_matched_by_pod_selectors():
    pods = [*_pods(), pod("default/node-agent", {"app": "api"}, host_network=True, ip="192.0.2.10")]
    p = policy("default/p", {"app": "db"}, ingress=[rule([peer({"app": "api"})])])
    c = cluster(NSS, pods, [p])
    assert allowed(c, "default/api", "default/db")
    assert not allowed(c, "default/node-agent", "default/db")


def test_self_traffic_is_a_switch():
    c = cluster(NSS, _pods(), [policy("default/deny", {}, types=["ingress", "egress"])])
    assert not allowed(c, "default/api", "default/api")
    c2 = cluster(
        NSS,
        _pods(),
        [policy("default/deny", {}, types=["ingress", "egress"])],
        self_traffic="allowed",
    )
    assert allowed(c2, "default/api", "default/api")
    assert ("default/api", "default/api") in {(x.src, x.dst) for x in c2.connectivity()}
    assert ("default/api", "default/api") not in {(x.src, x.dst) for x in c.connectivity()}


def test_verdict_names_the_allowing_rule_peer_and_port():
    p = policy(
        "default/p",
        {"app": "db"},
        ingress=[
            rule([peer({"app": "web"})], [port(80)]),
            rule([peer({"app": "nope"}), peer({"app": "api"})], [port(1), port(5432)]),
        ],
    )
    v = cluster(NSS, _pods(), [p]).check("default/api", "default/db", 5432)
    (m,) = v.ingress.matches
    assert (m.rule.index, m.peer_index, m.port_index) == (1, 1, 1)
    assert "default/p ingress[1] from[1] ports[1]" in v.explain()
