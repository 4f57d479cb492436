"""Named ports that resolve on no destination (or on another protocol), and endPort."""

from __future__ import annotations

from audit_helpers import NSS, findings

from builders import cluster, peer, pod, policy, port, rule

DB = pod("default/db", {"app": "db"}, ports=[("postgres", 5432, "TCP"), ("dns", 53, "UDP")])
API = pod("default/api", {"app": "api"}, ports=[("http", 8080, "TCP")])


def _ingress(*ports):
    return policy("default/p", {"app": "db"}, ingress=[rule([peer({"app": "api"})], list(ports))])


def test_named_port_unresolved_on_the_selected_pods():
    (f,) = findings(cluster(NSS, [DB, API], [_ingress(port("http"))]), "named-port-unresolved")
    assert "'http'" in f.message and "default/db[Pod]" in f.message


def test_named_port_resolved_is_silent():
    c = cluster(NSS, [DB, API], [_ingress(port("postgres"))])
    assert not findings(c, "named-port-unresolved")
    assert not findings(c, "named-port-protocol-mismatch")


def test_named_port_protocol_mismatch():
    (f,) = findings(
        cluster(NSS, [DB, API], [_ingress(port("dns"))]), "named-port-protocol-mismatch"
    )
    assert f.details["defined_as"] == ["UDP"] and "protocol: UDP" in f.fix


def test_egress_named_port_resolves_on_the_destinations():
    ok = policy(
        "default/e",
        {"app": "api"},
        types=["egress"],
        egress=[rule([peer({"app": "db"})], [port("postgres")])],
    )
    bad = policy(
        "default/e",
        {"app": "api"},
        types=["egress"],
        egress=[rule([peer({"app": "db"})], [port("http")])],
    )
    assert not findings(cluster(NSS, [DB, API], [ok]), "named-port-unresolved")
    (f,) = findings(cluster(NSS, [DB, API], [bad]), "named-port-unresolved")
    assert "destination pods" in f.message


def test_endport_is_an_info_note():
    (f,) = findings(
        cluster(NSS, [DB, API], [_ingress(port(8000, end=8080))]), "endport-cni-support"
    )
    assert f.severity == "info"
    assert not findings(cluster(NSS, [DB, API], [_ingress(port(8000))]), "endport-cni-support")
