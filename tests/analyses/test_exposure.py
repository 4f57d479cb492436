"""`exposure`: each kind of unnamed peer, named peers left out, unprotected workloads."""

from __future__ import annotations

import pytest

import netreach
from builders import cluster, ns, peer, pod, policy, port, rule, sel
from netreach.analyses.exposure import Thresholds, exposure
from netreach.model import Requirement
from paths import SHARED

CORPUS = SHARED / "corpora" / "netpol-analyzer"


def _one(*rules, types=("ingress",), egress=()):
    return cluster(
        [ns("a"), ns("b", team="x")],
        [pod("a/db", {"app": "db"}, ports=[("pg", 5432, "TCP")]), pod("b/api", {"app": "api"})],
        [policy("a/p", {"app": "db"}, types=types, ingress=rules, egress=egress)],
    )


def _rows(report):
    return [(e.workload, e.direction, e.scope, str(e.conns)) for e in report.exposures]


def test_named_peers_are_not_exposure():
    c = _one(rule([peer({"app": "api"}, sel({"kubernetes.io/metadata.name": "b"}))], [port(5432)]))
    assert exposure(c).exposures == []


def test_rule_without_peers_is_open_to_everyone():
    report = exposure(_one(rule([], [port("pg")])))
    assert _rows(report) == [("a/db[Pod]", "ingress", "everyone", "TCP 5432")]


def test_empty_namespace_selector_is_every_namespace_even_future_ones():
    report = exposure(_one(rule([peer(namespaces={})], [port(5432)])))
    [e] = report.exposures
    assert e.scope == "all-namespaces" and e.namespaces_now == ("a", "b")
    assert e.peer == "every pod in every namespace, existing or future"


def test_namespace_label_could_match_a_new_namespace():
    report = exposure(_one(rule([peer({"app": "api"}, {"team": "x"})], [port(5432)])))
    [e] = report.exposures
    assert e.scope == "namespaces-by-label" and e.namespaces_now == ("b",)
    assert (
        e.peer == "pods labelled app=api in any namespace labelled team=x (also ones created later)"
    )


def test_namespace_name_in_expression_is_a_named_namespace():
    by_name = sel(None, Requirement("kubernetes.io/metadata.name", "In", ("b",)))
    assert exposure(_one(rule([peer({"app": "api"}, by_name)]))).exposures == []
    [e] = exposure(_one(rule([peer(namespaces=by_name)]))).exposures
    assert e.scope == "whole-namespace" and e.peer == "every pod of namespace b"


def test_every_pod_of_the_own_namespace():
    [e] = exposure(_one(rule([peer({})], [port(5432)]))).exposures
    assert (e.scope, e.peer) == ("whole-namespace", "every pod of namespace a")


@pytest.mark.parametrize(
    ("cidr", "scope"),
    [
        ("0.0.0.0/0", "internet"),
        ("10.0.0.0/8", "wide-range"),
        ("10.1.2.0/24", None),
        ("::/0", "internet"),
    ],
)
def test_ip_blocks_by_width(cidr, scope):
    report = exposure(_one(rule([peer(cidr=cidr)], [port(5432)])))
    assert [e.scope for e in report.exposures] == ([scope] if scope else [])


def test_wide_threshold_is_a_parameter():
    c = _one(rule([peer(cidr="10.1.0.0/16")]))
    assert [e.scope for e in exposure(c).exposures] == ["wide-range"]
    assert exposure(c, thresholds=Thresholds(ipv4_prefix=8)).exposures == []


def test_egress_named_ports_stay_names():
    c = _one(
        types=("ingress", "egress"), egress=[rule([peer(namespaces={})], [port("dns", "UDP")])]
    )
    [e] = exposure(c).exposures
    assert (
        e.direction == "egress" and e.named_ports == ("dns",) and e.ports_text == "port named dns"
    )


def test_rules_of_several_policies_merge_per_peer():
    c = cluster(
        [ns("a")],
        [pod("a/db", {"app": "db"})],
        [
            policy("a/p1", {"app": "db"}, ingress=[rule([peer(namespaces={})], [port(1)])]),
            policy("a/p2", {}, ingress=[rule([peer(namespaces={})], [port(2)])]),
        ],
    )
    [e] = exposure(c).exposures
    assert str(e.conns) == "TCP 1-2" and e.rules == ["a/p1 ingress[0]", "a/p2 ingress[0]"]


def test_unprotected_directions_and_host_network():
    c = cluster(
        [ns("a")],
        [pod("a/db", {"app": "db"}), pod("a/node", host_network=True)],
        [policy("a/p", {"app": "db"})],
    )
    got = [(u.workload, u.direction, u.host_network) for u in exposure(c).unprotected]
    assert got == [
        ("a/db[Pod]", "egress", False),
        ("a/node[Pod]", "ingress", True),
        ("a/node[Pod]", "egress", True),
    ]


def test_namespace_scope_filter():
    c = _one(rule([peer(namespaces={})]))
    assert [u.workload for u in exposure(c, namespaces=["b"]).unprotected] == [
        "b/api[Pod]",
        "b/api[Pod]",
    ]
    assert exposure(c, namespaces=["b"]).exposures == []


CASE = CORPUS / "cases" / "exposure_test_pod_exposed_only_to_representative_peers" / "input"


@pytest.mark.skipif(not CASE.is_dir(), reason="netpol-analyzer corpus not present (../shared)")
def test_matches_netpol_analyzer_on_representative_peers_case():
    """netpol-analyzer's golden for this case (its exposure docs): workload-b exposed in both
    directions to `[namespace with {foo.com/managed-state In [managed]}]/[all pods] : TCP 8050`;
    workload-a not protected on Egress and Ingress."""
    report = exposure(netreach.load(str(CASE)))
    assert [(e.workload, e.direction, e.scope, str(e.conns)) for e in report.exposures] == [
        ("hello-world/workload-b[Deployment]", "egress", "namespaces-by-label", "TCP 8050"),
        ("hello-world/workload-b[Deployment]", "ingress", "namespaces-by-label", "TCP 8050"),
    ]
    assert report.exposures[0].peer.startswith(
        "every pod in any namespace labelled foo.com/managed-state in (managed)"
    )
    assert {(u.workload, u.direction) for u in report.unprotected} == {
        ("hello-world/workload-a[Deployment]", "ingress"),
        ("hello-world/workload-a[Deployment]", "egress"),
    }


def test_host_network_pods_as_ordinary_pods_when_asked():
    c = cluster(
        [ns("a")],
        [pod("a/node", {"app": "n"}, host_network=True)],
        [policy("a/p", {"app": "n"}, types=("ingress", "egress"))],
        host_network="as-pods",
    )
    assert exposure(c).unprotected == []
