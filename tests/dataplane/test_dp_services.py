"""Services through a real kube-proxy-like DNAT, hairpin traffic, and host-network pods as
endpoints in the node: on a real kernel, against the engine's answers."""

from __future__ import annotations

import pytest
from dp_helpers import block, need_dataplane, ns, pod, pods_peer, policy, port, rule, sel, snapshot

from netreach.dataplane import VerifyReport, verify
from netreach.model import ContainerPort, Options, Service, ServicePort, Snapshot

pytestmark = pytest.mark.dataplane

WEB = (
    ContainerPort(8080, "TCP", "http"),
    ContainerPort(5353, "UDP", "dns"),
    ContainerPort(3868, "SCTP", "diam"),
)


def _web_snapshot() -> Snapshot:
    snap = snapshot(
        [ns("x")],
        [
            pod("x/web1", "10.1.0.1", WEB, app="web", n="1"),
            pod("x/web2", "10.1.0.2", WEB, app="web", n="2"),
            pod("x/client", "10.1.0.3", app="client"),
            pod("x/other", "10.1.0.4", app="other"),
        ],
        [
            # web1 admits the client on the pod ports; web2 admits it on every port; a rule
            # on the Service port (80) opens nothing: policies see the pod port.
            policy(
                "x/web1-in",
                sel(n="1"),
                ("ingress",),
                ingress=(
                    rule(
                        pods_peer(app="client"),
                        ports=(
                            port("http"),
                            port(53, "UDP"),
                            port(5353, "UDP"),
                            port(3868, "SCTP"),
                        ),
                    ),
                    rule(pods_peer(app="other"), ports=(port(80),)),
                ),
            ),
            policy("x/web2-in", sel(n="2"), ("ingress",), ingress=(rule(pods_peer(app="client")),)),
        ],
    )
    snap.services = [
        Service(
            "x",
            "web",
            {"app": "web"},
            (
                ServicePort(80, "http", "TCP", "h"),
                ServicePort(53, "dns", "UDP", "d"),
                ServicePort(3868, 3868, "SCTP", "s"),
            ),
        )
    ]
    return snap


def _svc(report: VerifyReport, src: str, port: int) -> tuple[str, str, str]:
    (r,) = [r for r in report.records if (r.src, r.dst, r.port) == (src, "svc/x/web", port)]
    return r.dataplane, r.engine, r.detail


def test_service_ports_go_through_dnat_to_the_pod_port() -> None:
    need_dataplane()
    report = verify(_web_snapshot())
    assert report.exit_code == 0, report.render()
    assert _svc(report, "x/client", 80) == ("allowed", "allowed", "2 backends")
    assert _svc(report, "x/client", 53)[:2] == ("allowed", "allowed")  # UDP 53 -> 5353
    assert _svc(report, "x/client", 3868)[:2] == ("allowed", "allowed")  # SCTP
    # other is allowed port 80 on web1: the Service port, which no pod listens on after DNAT
    assert _svc(report, "x/other", 80)[:2] == ("blocked", "denied")


def test_a_service_is_allowed_only_when_every_backend_is() -> None:
    need_dataplane()
    snap = _web_snapshot()
    snap.policies[1] = policy("x/web2-in", sel(n="2"), ("ingress",))  # web2 admits no one
    report = verify(snap, protocols=["TCP"])
    assert report.exit_code == 0, report.render()
    dataplane, engine, detail = _svc(report, "x/client", 80)
    assert (dataplane, engine) == ("blocked", "denied")
    assert detail == "blocked to x/web2 of 2 backends"


def test_hairpin_through_the_service_follows_the_self_traffic_switch() -> None:
    need_dataplane()
    snap = _web_snapshot()
    snap.services = [Service("x", "one", {"n": "1"}, (ServicePort(80, "http", "TCP", "h"),))]
    for options, expected in ((Options(), "blocked"), (Options(self_traffic="allowed"), "allowed")):
        report = verify(snap, protocols=["TCP"], options=options)
        assert report.exit_code == 0, report.render()
        (hairpin,) = [r for r in report.records if (r.src, r.dst) == ("x/web1", "svc/x/one")]
        assert hairpin.dataplane == expected


def _host_snapshot() -> Snapshot:
    return snapshot(
        [ns("x"), ns("kube-system")],
        [
            pod("kube-system/proxy", "172.18.0.2", (ContainerPort(10256, "TCP", "health"),), host_network=True),
            pod("kube-system/agent", "172.18.0.2", host_network=True),
            pod("x/a", "10.1.0.1", app="a"),
            pod("x/b", "10.1.0.2", app="b"),
            pod("x/c", "10.1.0.3", app="c"),
        ],
        [
            # a may reach the node's network; b is isolated for egress and may not
            policy("x/a-out", sel(app="a"), ("egress",), egress=(rule(block("172.18.0.0/16")),)),
            policy("x/b-out", sel(app="b"), ("egress",), egress=(rule(pods_peer()),)),
            # c admits nobody: not the host-network pods either
            policy("x/c-in", sel(app="c"), ("ingress",)),
        ],
    )  # fmt: skip


def test_host_network_pods_are_endpoints_in_the_node() -> None:
    need_dataplane()
    report = verify(_host_snapshot(), protocols=["TCP", "UDP"])
    assert report.exit_code == 0, report.render()
    seen: dict[tuple[str, str], set[str]] = {}
    for r in report.records:
        seen.setdefault((r.src, r.dst), set()).add(r.dataplane)
    assert seen[("x/a", "kube-system/proxy")] == {"allowed"}
    assert seen[("x/b", "kube-system/proxy")] == {"blocked"}
    assert seen[("kube-system/proxy", "x/c")] == {"blocked"}
    assert seen[("kube-system/proxy", "x/a")] == {"allowed"}
    assert seen[("kube-system/agent", "kube-system/proxy")] == {"allowed"}  # same node


def test_ipblock_external_only_leaves_host_network_pods_out_too() -> None:
    need_dataplane()
    report = verify(
        _host_snapshot(),
        ports=[10256],
        protocols=["TCP"],
        options=Options(ipblock_matches_pods=False),
    )
    assert report.exit_code == 0, report.render()
    (a,) = [r for r in report.records if (r.src, r.dst) == ("x/a", "kube-system/proxy")]
    assert a.dataplane == "blocked"
