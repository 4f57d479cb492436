"""dns-blocked: computed with the engine's verdicts towards the cluster DNS pods."""

from __future__ import annotations

from audit_helpers import NSS, findings

from builders import cluster, peer, pod, policy, port, rule
from netreach.analyses.audit import AuditConfig
from netreach.model import LabelSelector

DNS = pod(
    "kube-system/coredns",
    {"k8s-app": "kube-dns"},
    ports=[("dns", 53, "UDP"), ("dns-tcp", 53, "TCP")],
)
TO_DNS = peer({"k8s-app": "kube-dns"}, {"kubernetes.io/metadata.name": "kube-system"})


def _egress(*ports):
    return policy(
        "default/out", {}, types=["egress"], egress=[rule([TO_DNS], list(ports))] if ports else []
    )


def test_dns_blocked_is_an_error_when_udp_53_is_denied():
    c = cluster(NSS, [pod("default/a"), DNS], [_egress()])
    (f,) = findings(c, "dns-blocked")
    assert f.severity == "error" and f.details["udp"] is False
    assert "egress side" in f.message
    assert "k8s-app: kube-dns" in f.fix and "protocol: UDP" in f.fix


def test_dns_blocked_is_a_warning_when_only_tcp_53_is_denied():
    c = cluster(NSS, [pod("default/a"), DNS], [_egress(port(53, "UDP"))])
    (f,) = findings(c, "dns-blocked")
    assert f.severity == "warning" and "not TCP 53" in f.message


def test_dns_not_reported_when_udp_and_tcp_53_are_allowed():
    c = cluster(NSS, [pod("default/a"), DNS], [_egress(port(53, "UDP"), port(53, "TCP"))])
    assert not findings(c, "dns-blocked")


def test_dns_not_reported_for_pods_not_isolated_for_egress():
    c = cluster(NSS, [pod("default/a"), DNS], [policy("default/in", {}, types=["ingress"])])
    assert not findings(c, "dns-blocked")


def test_dns_blocked_on_the_dns_pods_ingress_side():
    dns_deny = policy("kube-system/deny", {}, types=["ingress"])
    allow_out = _egress(port(53, "UDP"), port(53, "TCP"))
    c = cluster(NSS, [pod("default/a"), DNS], [allow_out, dns_deny])
    (f,) = findings(c, "dns-blocked")
    assert "ingress side" in f.message


def test_dns_assumed_when_the_snapshot_has_no_dns_pods():
    blocked = cluster([NSS[0]], [pod("default/a")], [_egress()])
    (f,) = findings(blocked, "dns-blocked")
    assert f.details["assumed_dns"] is True and "assumed" in f.message
    allowed = cluster([NSS[0]], [pod("default/a")], [_egress(port(53, "UDP"), port(53, "TCP"))])
    assert not findings(allowed, "dns-blocked")


def test_dns_selector_is_configurable():
    mydns = pod("infra/dns", {"app": "dns"}, ports=[("dns", 53, "UDP")])
    to_mydns = peer({"app": "dns"}, {"kubernetes.io/metadata.name": "infra"})
    p = policy("default/out", {}, types=["egress"], egress=[rule([to_mydns], [port(53, "UDP")])])
    from builders import ns

    c = cluster([*NSS, ns("infra")], [pod("default/a"), mydns], [p])
    cfg = AuditConfig(dns_namespace="infra", dns_selector=LabelSelector((("app", "dns"),)))
    (f,) = findings(c, "dns-blocked", cfg)
    assert f.severity == "warning"  # UDP allowed to infra/dns, TCP not
    assert findings(c, "dns-blocked")[0].details["assumed_dns"] is True  # default: kube-dns
