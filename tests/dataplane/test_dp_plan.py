"""Lab addresses and the probe plan: pure, no root needed."""

from __future__ import annotations

import pytest
from dp_helpers import block, ns, pod, pods_peer, policy, port, rule, sel, snapshot

from netreach.dataplane import prepare
from netreach.dataplane.addresses import assign
from netreach.dataplane.plan import (
    PortPlan,
    listen_ports,
    pod_probes,
    representative,
    sanity_probes,
    service_probes,
)
from netreach.errors import NetreachError
from netreach.model import ContainerPort, Service, ServicePort


def _addresses(snap_pods: list, named: list[str]) -> dict[str, tuple[str, ...]]:  # type: ignore[type-arg]
    got = assign(snapshot([ns("x")], snap_pods, []), named)
    return {p.id: tuple(str(a) for a in p.addresses) for p in got.pods}


def test_pods_without_an_ip_get_addresses_outside_every_named_cidr() -> None:
    got = _addresses([pod("x/a"), pod("x/b")], ["10.244.0.0/24", "10.244.1.0/30"])
    assert got == {"x/a": ("10.244.1.4",), "x/b": ("10.244.1.5",)}


def test_the_snapshot_families_decide_the_lab_addresses() -> None:
    v6 = _addresses([pod("x/a", "fd00::5"), pod("x/b")], [])
    assert v6["x/a"] == ("fd00::5",) and ":" in v6["x/b"][0] and len(v6["x/b"]) == 1
    dual = _addresses([pod("x/a", ("10.1.0.1", "fd00::5")), pod("x/b")], [])
    assert len(dual["x/b"]) == 2  # IPv4 and IPv6
    assert _addresses([pod("x/a")], []) == {"x/a": ("10.244.0.2",)}  # no address anywhere: IPv4


def test_ipv6_when_policies_name_all_of_ipv4() -> None:
    """No pod has an address and a policy names 0.0.0.0/0: IPv6 lab addresses, so that block
    matches none of them (as it matches no pod without an IP)."""
    got = _addresses([pod("x/a"), pod("x/b")], ["0.0.0.0/0", "10.0.0.0/8"])
    assert got == {"x/a": ("fd00:10:244::2",), "x/b": ("fd00:10:244::3",)}


def test_a_family_covered_by_a_named_cidr_falls_back_with_a_note() -> None:
    snap = snapshot([ns("x")], [pod("x/a"), pod("x/b", "10.1.0.1")], [])
    got = assign(snap, ["0.0.0.0/0"])
    assert [str(a) for a in got.pods[0].addresses] == ["10.244.0.2"]
    assert "every IPv4 lab address is inside a CIDR" in got.notes[0]


def test_two_pods_cannot_share_an_address_but_host_network_pods_can() -> None:
    with pytest.raises(NetreachError, match=r"several pods have the same IP address: 10\.0\.0\.1"):
        _addresses([pod("x/a", "10.0.0.1"), pod("x/b", "10.0.0.1")], [])
    host = [
        pod("x/a", "172.18.0.2", host_network=True),
        pod("x/b", "172.18.0.2", host_network=True),
    ]
    assert set(_addresses(host, []).values()) == {("172.18.0.2",)}


def test_the_engine_judges_the_lab_addresses() -> None:
    snap = snapshot([ns("x")], [pod("x/a"), pod("x/b", ("10.0.0.9", "10.0.0.8"))], [])
    scenario = prepare(snap)
    assert [p.ips for p in scenario.engine_snapshot.pods] == [("10.244.0.2",), ("10.0.0.9",)]
    assert [p.ips for p in snap.pods] == [(), ("10.0.0.9", "10.0.0.8")]  # the input is kept
    assert any("several addresses of one family" in n for n in scenario.notes)


def test_representative_ports_cover_every_segment() -> None:
    """[1,100], [1,20] and [30,100] make ports 21-29 a case of their own: probed at 21."""
    assert representative([(1, 100), (1, 20), (30, 100)]) == [1, 20, 21, 30, 100, 101]
    assert representative([(53, 53)]) == [53, 54]  # 54 is outside: no spare port needed
    assert representative([(1, 65535)]) == [1, 65535]
    assert representative([(0, 65535)]) == [81]  # every port alike
    assert representative([]) == [81]


def test_ports_are_those_of_the_rules_that_apply_to_the_pair() -> None:
    snap = snapshot(
        [ns("x")],
        [
            pod("x/a", "10.0.0.1", app="a"),
            pod("x/b", "10.0.0.2", (ContainerPort(8080, "TCP", "web"), ContainerPort(9, "UDP", "web")), app="b"),
            pod("x/c", "10.0.0.3", app="c"),
        ],
        [
            policy("x/b-in", sel(app="b"), ("ingress",), ingress=(rule(ports=(port("web"), port(53, "UDP"))),)),
            policy("x/a-out", sel(app="a"), ("egress",), egress=(rule(ports=(port(5000, end=5010),)),)),
        ],
    )  # fmt: skip
    scenario = prepare(snap)
    ep = {e.id: e for e in scenario.endpoints}
    plan = PortPlan(scenario, ["TCP", "UDP", "SCTP"])
    # a -> b: a's egress range and b's ingress rules, the name resolved on b
    assert plan.for_pair(ep["x/a"], ep["x/b"]) == {
        "TCP": [5000, 5010, 5011, 8080, 8081],
        "UDP": [53, 54],  # the UDP port named web is not `web` with protocol TCP
        "SCTP": [81],
    }
    assert plan.for_pair(ep["x/c"], ep["x/a"]) == {"TCP": [81], "UDP": [81], "SCTP": [81]}
    assert plan.for_pair(ep["x/c"], ep["x/b"])["TCP"] == [8080, 8081]
    fixed = PortPlan(scenario, ["TCP"], [80, 80, 443])
    assert fixed.for_pair(ep["x/c"], ep["x/a"]) == {"TCP": [80, 443]}


def test_only_rules_whose_peers_include_the_other_end_count() -> None:
    snap = snapshot(
        [ns("x")],
        [pod("x/a", "10.0.0.1", app="a"), pod("x/b", "10.0.0.2", app="b"), pod("x/c", "10.0.0.3", app="c")],
        [
            policy("x/b-in", sel(app="b"), ("ingress",), ingress=(
                rule(pods_peer(app="a"), ports=(port(80),)),
                rule(block("10.0.0.3/32"), ports=(port(443),)),
            )),
        ],
    )  # fmt: skip
    scenario = prepare(snap)
    ep = {e.id: e for e in scenario.endpoints}
    plan = PortPlan(scenario, ["TCP"])
    assert plan.for_pair(ep["x/a"], ep["x/b"]) == {"TCP": [80, 81]}
    assert plan.for_pair(ep["x/c"], ep["x/b"]) == {"TCP": [443, 444]}
    assert plan.for_pair(ep["x/b"], ep["x/a"]) == {"TCP": [81]}


def test_a_boundary_only_the_loader_sees_is_probed() -> None:
    """Both readings count: a range in the model (the engine's side) alone is probed."""
    snap = snapshot([ns("x")], [pod("x/a", "10.0.0.1", app="a")], [])
    scenario = prepare(snap)
    snap.policies.append(policy("x/p", sel(), ("ingress",), ingress=(rule(ports=(port(7000),)),)))
    (a,) = scenario.endpoints
    assert PortPlan(scenario, ["TCP"]).for_pair(a, a) == {"TCP": [7000, 7001]}


def test_probes_cover_self_traffic_and_skip_pairs_without_a_common_family() -> None:
    snap = snapshot(
        [ns("x")], [pod("x/a", "10.0.0.1"), pod("x/b", "fd00::2"), pod("x/c", ("10.0.0.3", "fd00::3"))], []
    )  # fmt: skip
    scenario = prepare(snap)
    probes, apart = pod_probes(
        scenario, PortPlan(scenario, ["TCP"], [80]), {e.id for e in scenario.endpoints}
    )
    pairs = {(p.src, p.target, p.family) for p in probes}
    assert apart == 2  # a <-> b
    assert ("x/a", "x/a", 4) in pairs and ("x/b", "x/b", 6) in pairs
    # c with itself: both families, the records name the destination by address
    assert {("x/c", "10.0.0.3", 4), ("x/c", "fd00::3", 6)} <= pairs
    assert ("x/a", "x/c", 4) in pairs and ("x/b", "x/c", 6) in pairs


def test_namespace_scope_keeps_probes_with_an_end_in_it() -> None:
    snap = snapshot(
        [ns("x"), ns("y")],
        [pod("x/a", "10.0.0.1"), pod("y/b", "10.0.0.2"), pod("y/c", "10.0.0.3")],
        [],
    )
    scenario = prepare(snap)
    probes, _ = pod_probes(scenario, PortPlan(scenario, ["TCP"], [80]), {"x/a"})
    assert {(p.src, p.dst) for p in probes} == {
        ("x/a", "x/a"), ("x/a", "y/b"), ("x/a", "y/c"), ("y/b", "x/a"), ("y/c", "x/a"),
    }  # fmt: skip


def test_service_probes_one_per_backend_at_the_target_port() -> None:
    web = (ContainerPort(8080, "TCP", "http"),)
    snap = snapshot(
        [ns("x")],
        [
            pod("x/a", "10.0.0.1", web, app="web"),
            pod("x/b", "10.0.0.2", web, app="web"),
            pod("x/c", "10.0.0.3"),
        ],
        [],
    )
    snap.services = [Service("x", "web", {"app": "web"}, (ServicePort(80, "http", "TCP", "h"),))]
    scenario = prepare(snap)
    probes = service_probes(scenario, ["TCP"], {e.id for e in scenario.endpoints}, None)
    assert len(probes) == 3 * 2  # from every pod, once per backend
    assert {(p.dst, p.port, p.backend) for p in probes} == {
        ("svc/x/web", 80, "x/a"), ("svc/x/web", 80, "x/b"),
    }  # fmt: skip
    pods, _ = pod_probes(scenario, PortPlan(scenario, ["TCP"], [81]), {"x/a"})
    assert listen_ports(scenario, [*pods, *probes], ["TCP"]) == {"TCP": [81, 8080]}


def test_sanity_phase_is_linear_in_pods() -> None:
    def count(n: int) -> int:
        pods = [pod(f"x/p{i}", f"10.0.{i // 200}.{i % 200 + 2}") for i in range(n)]
        scenario = prepare(snapshot([ns("x")], pods, [policy("x/d", sel(), ("ingress",))]))
        listened = {"TCP": [80, 81], "UDP": [53]}
        return len(sanity_probes(scenario, listened))

    assert count(10) == 10 * (3 + 1)  # every listened port from a neighbour, and itself once
    assert count(200) == 20 * count(10)


def test_ipblock_cidrs_keep_lab_addresses_out() -> None:
    snap = snapshot(
        [ns("x")],
        [pod("x/a"), pod("x/b", "10.244.0.2", app="b")],
        [
            policy(
                "x/p",
                sel(app="b"),
                ("ingress",),
                ingress=(rule(block("10.244.0.0/29"), pods_peer()),),
            )
        ],
    )
    scenario = prepare(snap)
    (assigned,) = [p for p in scenario.addressing.pods if p.assigned]
    assert str(assigned.v4) == "10.244.0.8"
