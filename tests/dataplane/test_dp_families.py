"""Address families on a real kernel: every pod runs at the addresses of the snapshot (IPv4,
IPv6 or both), and pods without one at addresses no policy names, so verify judges the
snapshot `check` sees."""

from __future__ import annotations

import pytest
from dp_helpers import block, need_dataplane, ns, pod, pods_peer, policy, rule, sel, snapshot

import netreach
from netreach.dataplane import verify
from netreach.loader import load_sources, read_paths
from netreach.loader.sources import Source
from paths import LESSON_DIR as LESSON

pytestmark = pytest.mark.dataplane


def test_ipv6_only_cluster_egress_to_ipv4_everywhere_is_blocked() -> None:
    """The false confirmation of issue 18: an IPv6-only cluster whose egress allows only
    0.0.0.0/0. IPv6 connections are blocked, and verify must see it (not run IPv4)."""
    need_dataplane()
    snap = snapshot(
        [ns("a")],
        [pod("a/x", "fd00::10", app="x"), pod("a/y", "fd00::11", app="y")],
        [policy("a/out", sel(app="x"), ("egress",), egress=(rule(block("0.0.0.0/0")),))],
    )
    report = verify(snap, ports=[80], protocols=["TCP", "UDP"])
    assert report.exit_code == 0, report.render()
    x_to_y = [r for r in report.records if (r.src, r.dst) == ("a/x", "a/y")]
    assert [r.dataplane for r in x_to_y] == ["blocked", "blocked"]
    assert all(r.engine == "denied" for r in x_to_y)
    y_to_x = [r for r in report.records if (r.src, r.dst) == ("a/y", "a/x")]
    assert [r.dataplane for r in y_to_x] == ["allowed", "allowed"]


def test_dual_stack_pods_are_probed_in_both_families() -> None:
    need_dataplane()
    snap = snapshot(
        [ns("a")],
        [
            pod("a/x", ("10.1.0.1", "fd00::1"), app="x"),
            pod("a/y", ("10.1.0.2", "fd00::2"), app="y"),
            pod("a/z", "10.1.0.3", app="z"),
        ],
        [policy("a/in", sel(app="y"), ("ingress",), ingress=(rule(pods_peer(app="x")),))],
    )
    report = verify(snap, ports=[80], protocols=["TCP"])
    assert report.exit_code == 0, report.render()
    dsts = {r.dst for r in report.records if r.src == "a/x"}
    assert {"10.1.0.2", "fd00::2", "a/z"} <= dsts  # dual-stack pairs are named by address
    by_dst = {r.dst: r.dataplane for r in report.records if r.src == "a/z"}
    assert by_dst["a/y"] == "blocked" and by_dst["a/x"] == "allowed"


def test_an_ipv4_block_does_not_open_ipv6() -> None:
    """The kernel's answer per family: a dual-stack peer inside an IPv4 ipBlock gets through
    on IPv4 only. (The engine answers per pod, whatever the family; verify shows both.)"""
    need_dataplane()
    snap = snapshot(
        [ns("a")],
        [
            pod("a/x", ("10.1.0.1", "fd00::1"), app="x"),
            pod("a/y", ("10.1.0.2", "fd00::2"), app="y"),
        ],
        [policy("a/in", sel(app="y"), ("ingress",), ingress=(rule(block("10.1.0.0/24")),))],
    )
    report = verify(snap, ports=[80], protocols=["TCP"])
    got = {r.dst: r for r in report.records if r.src == "a/x" and r.dst in ("10.1.0.2", "fd00::2")}
    assert got["10.1.0.2"].dataplane == "allowed" and got["10.1.0.2"].agree
    assert got["fd00::2"].dataplane == "blocked"


def test_pods_without_ip_are_judged_as_check_sees_them() -> None:
    """Issue 18: a Baseline deny to networks 0.0.0.0/0 must not match pods that have no IP
    (lab addresses are outside every named CIDR: IPv6 here), so verify's engine answers are
    `check`'s on the snapshot as given, and the kernel agrees."""
    need_dataplane()
    banp = b"""
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  egress:
  - {name: no-internet, action: Deny, to: [{networks: [0.0.0.0/0]}]}
"""
    sources = [*read_paths([str(LESSON)]), Source("banp.yaml", banp)]
    snap = load_sources(sources)
    assert not any(p.ips for p in snap.pods)
    report = verify(
        snap,
        sources=[(s.name, s.read_bytes()) for s in sources],
        ports=[53, 5432, 8080],
        protocols=["TCP", "UDP"],
    )
    assert report.exit_code == 0, report.render()
    assert all(":" in a for addresses in report.assigned.values() for a in addresses)
    cluster = netreach.Cluster.from_snapshot(snap)
    for r in report.records:
        if r.dst.startswith("svc/"):
            continue
        expected = cluster.check(r.src, r.dst, r.port, r.protocol).allowed
        assert (r.engine == "allowed") == expected, r


CALICO_V4_ONLY = b"""
apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: a, labels: {app: client}}
spec: {containers: [{name: c, image: i}]}
status: {podIPs: [{ip: 10.1.0.1}, {ip: "fd00::1"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: server, namespace: a, labels: {app: server}}
spec: {containers: [{name: c, image: i}]}
status: {podIPs: [{ip: 10.1.0.2}, {ip: "fd00::2"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: six, namespace: a, labels: {app: six}}
spec: {containers: [{name: c, image: i}]}
status: {podIPs: [{ip: "fd00::3"}]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: v4-in}
spec:
  selector: app == 'server'
  ingress: [{action: Allow, ipVersion: 4}]
"""


def test_calico_ip_version_is_per_packet_in_the_kernel() -> None:
    """A Calico rule with ipVersion 4: an IPv6-only client is not admitted (engine and
    kernel agree); between dual-stack pods the kernel admits IPv4 only, the engine answers
    per pod and its verdict says that the IPv6 traffic does not meet the rule."""
    need_dataplane()
    snap = load_sources([Source("calico.yaml", CALICO_V4_ONLY)])
    report = verify(snap, ports=[80], protocols=["TCP"])
    six_to_server = [r for r in report.records if r.src == "a/six" and r.dst == "a/server"]
    assert [(r.engine, r.dataplane) for r in six_to_server] == [("denied", "blocked")]
    client_to_server = {r.dst: r for r in report.records if r.src == "a/client"}
    assert (
        client_to_server["10.1.0.2"].dataplane == "allowed" and client_to_server["10.1.0.2"].agree
    )
    assert (
        client_to_server["fd00::2"].dataplane == "blocked" and not client_to_server["fd00::2"].agree
    )
    v = netreach.Cluster.from_snapshot(snap).check("a/client", "a/server", 80)
    assert any("ipVersion 4 between dual-stack pods" in c for c in v.caveats), v.caveats


def test_ipv6_rejects_are_known_at_once() -> None:
    """Every blocked IPv6 probe ends in its reject, well inside a second: a TCP connect whose
    reject arrived while connect() held the socket waited 1 s for the SYN's retransmission,
    and rejects beyond the kernel's ICMPv6 burst (50) were lost (about 2 s per random
    IPv6 snapshot against 0.01 s for IPv4). A timeout under 1 s makes either a timeout."""
    need_dataplane()
    from netreach.dataplane import Session, prepare, run_isolated
    from netreach.dataplane.plan import PortPlan, listen_ports, pod_probes

    snap = snapshot(
        [ns("a")],
        [pod(f"a/p{i}", f"fd00::{i + 1}", app="p") for i in range(4)],
        [policy("a/deny", sel(), ("ingress",))],
    )
    scenario = prepare(snap)
    protocols = ["TCP", "UDP", "SCTP"]
    probes, _ = pod_probes(
        scenario, PortPlan(scenario, protocols, range(80, 92)), {e.id for e in scenario.endpoints}
    )
    assert len(probes) > 500 and {p.family for p in probes} == {6}
    listened = listen_ports(scenario, probes, protocols)

    def run() -> list[tuple[str, str, str]]:
        with Session(scenario.addressing, [], listened, timeout=0.9, processes=1) as s:
            s.lab.load(scenario.ruleset())
            return [(str(r.probe), r.outcome, r.detail) for r in s.probe(probes)]

    results = run_isolated(run)
    late = [r for r in results if r[1] != "blocked"]
    assert late == [], f"{len(late)} of {len(results)} not rejected in time: {late[:3]}"
