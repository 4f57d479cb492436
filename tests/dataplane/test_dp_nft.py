"""The dataplane's own reading of policies and the nft compiler: pure, no root needed."""

from __future__ import annotations

import ipaddress

from dp_helpers import (
    block,
    ns,
    ns_peer,
    pod,
    pods_peer,
    policy,
    port,
    rule,
    sel,
    set_elements,
    snapshot,
)

from netreach.dataplane import compile_ruleset, prepare
from netreach.dataplane.nft import _disjoint, merge_ranges, render_address, render_network
from netreach.dataplane.resolve import Endpoint, Resolver, block_nets, subtract
from netreach.model import ContainerPort, NetworkPolicy, Options, Service, ServicePort

NAMESPACES = [ns("x", team="red"), ns("y", team="blue")]
PODS = [
    pod("x/a", "10.0.0.1", app="a"),
    pod("x/b", "10.0.0.2", (ContainerPort(8080, "TCP", "http"),), app="b"),
    pod("y/a", "10.0.1.1", app="a"),
    pod("y/h", "10.0.1.9", host_network=True, app="a"),
]


def _resolver(policies: list[NetworkPolicy]) -> Resolver:
    sc = prepare(snapshot(NAMESPACES, PODS, policies))
    return Resolver(sc.manifests, sc.endpoints, sc.options.ipblock_matches_pods)


def _ids(endpoints: list[Endpoint]) -> set[str]:
    return {e.id for e in endpoints}


def test_pod_selector_alone_stays_in_policy_namespace() -> None:
    pol = policy("x/p", sel(), ("ingress",), ingress=(rule(pods_peer(app="a")),))
    r = _resolver([pol])
    p = r.manifests.policies[("x", "p")]
    assert _ids(r.peer_pods(p, p.ingress[0].peers[0])) == {"x/a"}


def test_namespace_selector_alone_and_both_anded_host_network_never_matched() -> None:
    pols = [
        policy("x/p1", sel(), ("ingress",), ingress=(rule(ns_peer({"team": "blue"})),)),
        policy(
            "x/p2", sel(), ("ingress",), ingress=(rule(ns_peer({"team": "red"}, {"app": "b"})),)
        ),
        policy(
            "x/p3", sel(), ("ingress",), ingress=(rule(ns_peer({"team": "blue"}, {"app": "b"})),)
        ),
    ]
    r = _resolver(pols)
    got = [_ids(r.peer_pods(p, p.ingress[0].peers[0])) for p in r.manifests.policies.values()]
    assert got == [{"y/a"}, {"x/b"}, set()]  # y/h is host-network: never a selector peer


def test_host_network_pods_are_never_selected() -> None:
    r = _resolver([policy("y/all", sel(), ("ingress",))])
    assert _ids(r.isolated("ingress")) == {"y/a"}


def test_ipblock_minus_excepts_and_zone_dropped() -> None:
    nets = block_nets("10.0.0.0/24", ["10.0.0.0/25", "10.0.0.128/32", "fd00::/8"])
    assert nets is not None and nets[0] == ipaddress.IPv4Network("10.0.0.129/32")
    covered = {a for n in nets for a in n}
    assert len(covered) == 127 and ipaddress.IPv4Address("10.0.0.128") not in covered
    zoned = block_nets("fe80::%eth0\nflush ruleset/64", [])
    assert zoned is not None and [render_network(n) for n in zoned] == ["fe80::/64"]
    assert block_nets("not a cidr", []) is None


def test_subtract_cuts_single_addresses() -> None:
    got = subtract([ipaddress.ip_network("10.0.0.0/30")], [ipaddress.ip_address("10.0.0.1")])
    assert [str(n) for n in got] == ["10.0.0.0/32", "10.0.0.2/31"]


def test_addresses_render_from_integers_only() -> None:
    zoned = ipaddress.IPv6Address("fe80::1%x\ny")
    assert render_address(zoned) == "fe80::1"


def test_disjoint_splits_overlaps_and_merges_ports() -> None:
    wide, narrow = ipaddress.IPv4Network("10.0.0.0/30"), ipaddress.IPv4Network("10.0.0.1/32")
    out = _disjoint([(wide, (80, 80)), (narrow, (70, 90)), (narrow, (91, 95))], 4)
    assert [(str(n), r) for n, r in out] == [
        ("10.0.0.0/32", [(80, 80)]),
        ("10.0.0.1/32", [(70, 95)]),
        ("10.0.0.2/31", [(80, 80)]),
    ]
    assert merge_ranges([(5, 6), (1, 2), (3, 3)]) == [(1, 3), (5, 6)]


def test_compile_ingress_named_port_and_egress_any() -> None:
    snap = snapshot(
        NAMESPACES,
        PODS,
        [
            policy(
                "x/web",
                sel(app="b"),
                ("ingress", "egress"),
                ingress=(rule(pods_peer(app="a"), ports=(port("http"), port(9000, "UDP", 9005))),),
                egress=(rule(),),
            ),
            # Egress rules are ignored when Egress is not among the policy types.
            policy("x/ign", sel(app="a"), ("ingress",), egress=(rule(block("0.0.0.0/0")),)),
        ],
    )
    text = compile_ruleset(snap)
    assert "10.0.0.2 . 10.0.0.1 . tcp . 8080" in text
    assert "10.0.0.2 . 10.0.0.1 . udp . 9000-9005" in text
    assert "10.0.0.2 . 0.0.0.0/0" in text and "ip saddr . ip daddr @np0_4" not in text
    assert 'comment "x/web ingress[0]"' in text
    assert "x/ign egress" not in text
    assert "pod y/h = 10.0.1.9 (host network: the node)" in text
    assert set_elements(text, "in_iso4") == {"10.0.0.1", "10.0.0.2"}
    assert set_elements(text, "eg_iso4") == {"10.0.0.2"}


def test_egress_named_port_resolves_on_peer_and_ipblock_matches_host_pods() -> None:
    snap = snapshot(
        NAMESPACES,
        [
            *PODS[:3],
            pod("y/h", "10.0.1.9", (ContainerPort(8080, "TCP", "http"),), host_network=True),
        ],
        [
            policy(
                "x/out",
                sel(app="a"),
                ("egress",),
                egress=(rule(block("10.0.0.0/16"), ports=(port("http"),)),),
            )
        ],
    )
    text = compile_ruleset(snap)
    assert "10.0.0.1 . 10.0.0.2 . tcp . 8080" in text
    assert "10.0.0.1 . 10.0.1.9 . tcp . 8080" in text  # the host-network pod's named port
    assert "10.0.0.1 . 10.0.1.1" not in text  # y/a has no port named http


def test_ipblock_external_only_leaves_every_pod_out() -> None:
    pol = policy("x/in", sel(app="b"), ("ingress",), ingress=(rule(block("10.0.0.0/8")),))
    matches = compile_ruleset(snapshot(NAMESPACES, PODS, [pol]))
    external = compile_ruleset(
        snapshot(NAMESPACES, PODS, [pol]), options=Options(ipblock_matches_pods=False)
    )
    assert "10.0.0.2 . 10.0.0.0/8" in set_elements(matches, "np0_4")
    got = set_elements(external, "np0_4")
    assert "10.0.0.2 . 10.0.0.0/8" not in got
    assert {"10.0.0.2 . 10.0.0.0", "10.0.0.2 . 10.0.0.3", "10.0.0.2 . 10.0.1.8"} <= got
    # every pod address is cut out: x/a, x/b, y/a and the host-network pod y/h
    for hole in ("10.0.0.1", "10.0.0.2", "10.0.1.1", "10.0.1.9"):
        assert f"10.0.0.2 . {hole}" not in got


def test_self_traffic_allowed_is_a_set_of_pairs() -> None:
    snap = snapshot(NAMESPACES, PODS, [policy("x/deny", sel(), ("ingress",))])
    assert "@self4" not in compile_ruleset(snap)
    allowed = compile_ruleset(snap, options=Options(self_traffic="allowed"))
    assert "10.0.0.1 . 10.0.0.1" in allowed and "ip saddr . ip daddr @self4 accept" in allowed


def test_dual_stack_sets_per_family() -> None:
    pods = [pod("x/a", ("10.0.0.1", "fd00::1"), app="a"), pod("x/b", "fd00::2", app="b")]
    snap = snapshot(
        NAMESPACES, pods,
        [policy("x/p", sel(app="b"), ("ingress",), ingress=(rule(pods_peer(app="a")),))],
    )  # fmt: skip
    text = compile_ruleset(snap)
    assert "ip6 daddr . ip6 saddr @np0_6 accept" in text
    assert set_elements(text, "np0_6") == {"fd00::2 . fd00::1"}
    assert "np0_4" not in text  # x/b has no IPv4 address


def test_services_become_dnat_with_a_steered_backend_each() -> None:
    snap = snapshot(NAMESPACES, PODS, [])
    snap.services = [Service("x", "web", {"app": "b"}, (ServicePort(80, "http", "TCP", "h"),))]
    text = compile_ruleset(snap)
    assert "map svc4 {" in text and ". tcp . 80 : goto svc0_0_4" in text
    assert "ip dscp vmap { 1 : goto svc0_0_4_0 }" in text
    assert "meta l4proto tcp dnat ip to 10.0.0.2:8080" in text


def test_admin_rule_name_and_tiers() -> None:
    from netreach.model import AdminPeer, AdminPolicy, AdminRule, AdminSubject, LabelSelector

    snap = snapshot(NAMESPACES, PODS, [])
    snap.admin_policies = [
        AdminPolicy("AdminNetworkPolicy", "Admin", "guard", 3, AdminSubject(LabelSelector()),
                    ingress=(AdminRule("no red", "Deny", (AdminPeer(namespaces=sel(team="red")),)),)),
    ]  # fmt: skip
    text = compile_ruleset(snap)
    assert "# [Admin] Deny (no red) AdminNetworkPolicy/guard ingress[0]" in text
    assert "jump egress" in text and "goto in_np" in text
