"""The nft compiler and its policy resolution: pure, no root needed."""

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
    snapshot,
)

from netreach.dataplane import compile_ruleset
from netreach.dataplane.nft import _disjoint, merge_ranges
from netreach.dataplane.plan import auto_ports, matrix, with_lab_ips
from netreach.dataplane.resolve import Resolver, ipblock_nets
from netreach.model import ContainerPort, Pod

NAMESPACES = [ns("x", team="red"), ns("y", team="blue")]
PODS = [
    pod("x/a", "10.0.0.1", app="a"),
    pod("x/b", "10.0.0.2", (ContainerPort(8080, "TCP", "http"),), app="b"),
    pod("y/a", "10.0.1.1", app="a"),
    pod("y/h", "10.0.1.9", host_network=True, app="a"),
]


def _ips(pods: list[Pod]) -> set[str]:
    return {p.ips[0] for p in pods}


def test_pod_selector_alone_stays_in_policy_namespace() -> None:
    r = Resolver(snapshot(NAMESPACES, PODS, []))
    pol = policy("x/p", sel(), ("ingress",))
    assert _ips(r.peer_pods(pol, pods_peer(app="a"))) == {"10.0.0.1"}


def test_namespace_selector_alone_and_both_anded() -> None:
    r = Resolver(snapshot(NAMESPACES, PODS, []))
    pol = policy("x/p", sel(), ("ingress",))
    assert _ips(r.peer_pods(pol, ns_peer({"team": "blue"}))) == {"10.0.1.1"}  # no hostNetwork
    assert _ips(r.peer_pods(pol, ns_peer({"team": "red"}, {"app": "b"}))) == {"10.0.0.2"}
    assert _ips(r.peer_pods(pol, ns_peer({"team": "blue"}, {"app": "b"}))) == set()


def test_ipblock_minus_excepts() -> None:
    nets = ipblock_nets("10.0.0.0/24", ["10.0.0.0/25", "10.0.0.128/32", "fd00::/8"])
    assert nets[0] == ipaddress.IPv4Network("10.0.0.129/32")
    covered = {a for n in nets for a in n}
    assert len(covered) == 127 and ipaddress.IPv4Address("10.0.0.128") not in covered
    assert ipblock_nets("fd00::/8", []) == []


def test_disjoint_splits_overlaps_and_merges_ports() -> None:
    wide, narrow = ipaddress.IPv4Network("10.0.0.0/30"), ipaddress.IPv4Network("10.0.0.1/32")
    out = _disjoint([(wide, (80, 80)), (narrow, (70, 90)), (narrow, (91, 95))])
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
    assert "10.0.0.2 . 0.0.0.0/0" in text  # a rule with no peers and no ports
    assert 'comment "x/web ingress[0]"' in text
    assert "x/ign egress" not in text
    assert "10.0.1.9" not in text  # hostNetwork pods are never selected


def test_egress_named_port_resolves_on_peer() -> None:
    snap = snapshot(
        NAMESPACES,
        PODS,
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
    assert "10.0.0.1 . 10.0.1.1" not in text  # y/a has no port named http


def test_plan_assigns_ips_and_picks_ports() -> None:
    snap = snapshot(
        NAMESPACES,
        [pod("x/n", app="n"), *PODS],
        [policy("x/p", sel(), ("ingress",), ingress=(rule(ports=(port(5000, end=5002),)),))],
    )
    with_ips, assigned = with_lab_ips(snap)
    assert set(assigned) == {"x/n"} and with_ips.pods[0].ips == (assigned["x/n"],)
    assert auto_ports(snap) == [81, 4999, 5000, 5002, 5003, 8080]
    probes = matrix(with_ips, ["TCP"], [80])
    assert len(probes) == 4 * 3  # 4 lab pods, ordered pairs, no self-traffic
