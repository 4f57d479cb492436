"""allow-all-*, world-open and exposed-to-all-namespaces."""

from __future__ import annotations

from audit_helpers import NSS, findings

from builders import cluster, peer, pod, policy, port, rule, sel

PODS = [
    pod("default/db", {"app": "db"}),
    pod("other/api", {"app": "api"}),
    pod("kube-system/coredns", {"k8s-app": "kube-dns"}),
]


def test_allow_all_ingress_fires_for_a_rule_without_peers_or_ports():
    c = cluster(NSS, PODS, [policy("default/p", {"app": "db"}, ingress=[rule()])])
    (f,) = findings(c, "allow-all-ingress")
    assert "not isolated for ingress" in f.message
    assert not findings(c, "world-open")  # one finding per rule


def test_allow_all_egress_fires_for_peers_that_cover_everything():
    everything = [peer(namespaces={}), peer(cidr="0.0.0.0/0"), peer(cidr="::/0")]
    p = policy("default/p", {"app": "db"}, types=["egress"], egress=[rule(everything)])
    assert findings(cluster(NSS, PODS, [p]), "allow-all-egress")


def test_allow_all_silent_for_a_restricted_rule():
    p = policy("default/p", {"app": "db"}, ingress=[rule([peer({"app": "api"})])])
    assert not findings(cluster(NSS, PODS, [p]), "allow-all-ingress")


def test_world_open_ingress_from_0_0_0_0_is_an_error_and_egress_a_warning():
    inn = policy("default/in", {"app": "db"}, ingress=[rule([peer(cidr="0.0.0.0/0")], [port(443)])])
    out = policy("default/out", {"app": "db"}, types=["egress"], egress=[rule([peer(cidr="::/0")])])
    got = sorted(
        (f.details["direction"], f.severity)
        for f in findings(cluster(NSS, PODS, [inn, out]), "world-open")
    )
    assert got == [("egress", "warning"), ("ingress", "error")]


def test_world_open_for_every_namespace_on_a_sensitive_port():
    p = policy("default/p", {"app": "db"}, ingress=[rule([peer(namespaces={})], [port(5432)])])
    (f,) = findings(cluster(NSS, PODS, [p]), "world-open")
    assert "sensitive port(s) TCP 5432" in f.message
    assert not findings(cluster(NSS, PODS, [p]), "exposed-to-all-namespaces")


def test_world_open_silent_for_a_private_range():
    p = policy("default/p", {"app": "db"}, ingress=[rule([peer(cidr="10.0.0.0/8")], [port(5432)])])
    assert not findings(cluster(NSS, PODS, [p]), "world-open")


def test_exposed_to_all_namespaces_fires_for_an_empty_namespace_selector():
    p = policy(
        "default/p", {"app": "db"}, ingress=[rule([peer({"app": "api"}, sel())], [port(8080)])]
    )
    (f,) = findings(cluster(NSS, PODS, [p]), "exposed-to-all-namespaces")
    assert "every namespace" in f.message and "TCP 8080" in f.message


def test_exposed_to_all_namespaces_silent_for_named_namespaces_and_for_cluster_dns():
    named = policy(
        "default/p", {"app": "db"}, ingress=[rule([peer(namespaces={"team": "backend"})])]
    )
    dns = policy(
        "kube-system/dns",
        {"k8s-app": "kube-dns"},
        ingress=[rule([peer(namespaces={})], [port(53, "UDP"), port(53, "TCP")])],
    )
    assert not findings(cluster(NSS, PODS, [named, dns]), "exposed-to-all-namespaces")


def test_world_open_for_an_ingress_rule_with_ports_but_no_peers():
    p = policy("default/p", {"app": "db"}, ingress=[rule([], [port(5432)])])
    (f,) = findings(cluster(NSS, PODS, [p]), "world-open")
    assert f.severity == "error" and "has no from" in f.message and "TCP 5432" in f.message
    assert not findings(cluster(NSS, PODS, [p]), "allow-all-ingress")
