"""`describe`: a policy's reading in words, and the pods each part matches now."""

from __future__ import annotations

import pytest

from builders import cluster, ns, peer, pod, policy, port, rule, sel
from netreach.analyses.describe import describe_pod, describe_policy, peer_words
from netreach.errors import QueryError
from netreach.model import IPBlock, Peer, Requirement


def test_and_peer_reads_as_both_conditions():
    assert peer_words(peer({"app": "api"}, {"team": "backend"}), "default") == (
        "pods labelled app=api in namespaces labelled team=backend: both conditions"
    )


def test_pod_selector_alone_means_the_policy_namespace():
    assert peer_words(peer({"app": "web"}), "shop") == (
        "pods labelled app=web in namespace shop (the policy's own)"
    )


def test_empty_namespace_selector_reads_as_every_namespace_including_future_ones():
    assert peer_words(peer(namespaces={}), "a") == (
        "every pod in every namespace, including namespaces created later"
    )


def test_namespace_by_name_label_reads_as_that_namespace():
    by_name = sel({"kubernetes.io/metadata.name": "monitoring"})
    assert peer_words(peer(namespaces=by_name), "a") == "every pod in namespace monitoring"


def test_expressions_and_ip_blocks_in_words():
    expr = sel(None, Requirement("tier", "NotIn", ("db",)), Requirement("canary", "DoesNotExist"))
    assert peer_words(Peer(pod_selector=expr), "a") == (
        "pods labelled tier not in (db) or without tier and without label canary "
        "in namespace a (the policy's own)"
    )
    assert peer_words(Peer(ip_block=IPBlock("0.0.0.0/0", ("10.0.0.0/8",))), "a") == (
        "addresses in every address (0.0.0.0/0: the whole internet) except 10.0.0.0/8"
    )


def _two_ns():
    return cluster(
        [ns("a"), ns("b", team="x"), ns("c", team="x")],
        [
            pod("a/db", {"app": "db"}),
            pod("b/api", {"app": "api"}),
            pod("c/api", {"app": "api"}),
            pod("c/web", {"app": "web"}),
        ],
        [
            policy(
                "a/db-in",
                {"app": "db"},
                ingress=[
                    rule(
                        [peer({"app": "api"}, {"team": "x"}), peer(cidr="10.0.0.0/8")], [port(5432)]
                    )
                ],
                egress=[rule()],  # listed but not counted: policyTypes is Ingress only
            )
        ],
    )


def test_policy_reading_lists_selected_pods_and_matches_now():
    r = describe_policy(_two_ns(), "a/db-in")
    assert [p.id for p in r.selected] == ["a/db"]
    [ing, eg] = r.rules
    assert ing.sentence() == (
        "admits connections from any of (each one is enough): "
        "(1) pods labelled app=api in namespaces labelled team=x: both conditions; "
        "(2) addresses in 10.0.0.0/8, on TCP 5432"
    )
    assert ing.peers[0].pods == ("b/api", "c/api") and ing.peers[0].namespaces == ("b", "c")
    assert not eg.counted and "IGNORED: policyTypes omits egress" in eg.sentence()
    assert "Does not isolate egress" in " ".join(r.summary())


def test_unknown_policy_suggests_close_names():
    with pytest.raises(QueryError, match="did you mean a/db-in"):
        describe_policy(_two_ns(), "a/db-inn")


def test_pod_reading_merges_policies_per_workload_with_the_rules():
    r = describe_pod(_two_ns(), "a/db")
    assert [p.id for p in r.selecting] == ["a/db-in"]
    assert r.ingress.isolated and not r.egress.isolated
    assert [(p.workload, str(p.conns), p.rules) for p in r.ingress.peers] == [
        ("b/api[Pod]", "TCP 5432", ("a/db-in ingress[0]",)),
        ("c/api[Pod]", "TCP 5432", ("a/db-in ingress[0]",)),
    ]
    assert r.egress.summary().startswith("egress: not isolated")
    assert r.to_dict()["ingress"]["rules"][0]["rule"] == "a/db-in ingress[0]"


def test_pod_reading_lists_address_ranges_with_their_rule():
    r = describe_pod(_two_ns(), "a/db")
    assert [(a.addresses, str(a.conns), a.rule) for a in r.ingress.addresses] == [
        ("10.0.0.0/8", "TCP 5432", "a/db-in ingress[0]")
    ]
    assert r.egress.addresses == ()  # not isolated: nothing to list, everything passes


def test_named_ports_are_resolved_on_the_pods_now():
    c = cluster(
        [ns("a")],
        [
            pod("a/web", {"app": "web"}, ports=[("http", 8080, "TCP")]),
            pod("a/api", {"app": "api"}, ports=[("http", 9000, "TCP")]),
        ],
        [
            policy(
                "a/p",
                {"app": "web"},
                types=("ingress", "egress"),
                ingress=[rule([], [port("http")])],
                egress=[rule([peer({"app": "api"})], [port("http"), port("nope")])],
            )
        ],
    )
    ing, eg = describe_policy(c, "a/p").rules
    assert ing.ports == "TCP port named http" and ing.named_now == "TCP 8080"
    assert eg.named_now == "TCP 9000"  # egress: resolved on the destination pods
    no_name = describe_policy(
        cluster([ns("a")], [pod("a/x")], [policy("a/q", {}, ingress=[rule([], [port("dns")])])]),
        "a/q",
    )
    assert no_name.rules[0].named_now == "no pod has a container port by that name"
