"""Expectations checked against a cluster: each rule of docs/expectations.md, one test each."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from builders import cluster, ns, peer, pod, policy, port, rule
from netreach.analyses.expect import (
    MAX_REPORTED,
    Expectation,
    PortSpec,
    Selector,
    check_expectations,
)
from netreach.model import WorkloadRef
from sampling import examples

NSS = [ns("default"), ns("other", team="backend")]


def _pods():
    return [
        pod("default/api", {"app": "api"}, ip="10.1.0.1"),
        pod(
            "default/db",
            {"app": "db"},
            ip="10.1.0.2",
            ports=[("postgres", 5432, "TCP"), ("metrics", 9187, "TCP")],
        ),
        pod("other/web", {"app": "web"}, ip="10.2.0.1"),
    ]


DB_FROM_API = policy(
    "default/db-in",
    {"app": "db"},
    ingress=[rule([peer({"app": "api"})], [port(5432)])],
)
API = Selector(namespace="default", labels={"app": "api"})
DB = Selector(namespace="default", labels={"app": "db"})
WEB = Selector(namespace="other")


def tcp(lo, hi=None):
    return PortSpec("TCP", lo, hi or lo)


def one(c, e):
    (result,) = check_expectations(c, [e])
    return result


def test_allow_on_a_port_passes_when_every_pair_is_allowed():
    c = cluster(NSS, _pods(), [DB_FROM_API])
    assert one(c, Expectation("api->db", (API,), (DB,), tcp(5432), "allow")).passed


def test_allow_fails_with_the_pair_and_the_engines_explanation():
    c = cluster(NSS, _pods(), [DB_FROM_API])
    r = one(c, Expectation("web->db", (WEB,), (DB,), tcp(5432), "allow"))
    assert not r.passed and r.failures == 1
    (o,) = r.offences
    assert (o.src, o.dst, o.problem, str(o.conns)) == (
        "other/web",
        "default/db",
        "denied",
        "TCP 5432",
    )
    assert "DENIED" in o.explanation and "near miss: default/db-in ingress[0]" in o.explanation


def test_allow_on_a_range_reports_the_missing_part():
    c = cluster(NSS, _pods(), [DB_FROM_API])
    r = one(c, Expectation("range", (API,), (DB,), tcp(5430, 5434), "allow"))
    assert str(r.offences[0].conns) == "TCP 5430-5431,5433-5434"


def test_allow_without_port_means_some_connection():
    c = cluster(NSS, _pods(), [DB_FROM_API])
    assert one(c, Expectation("any", (API,), (DB,), None, "allow")).passed
    assert not one(c, Expectation("any", (WEB,), (DB,), None, "allow")).passed


def test_deny_without_port_means_no_connection_at_all():
    c = cluster(NSS, _pods(), [DB_FROM_API])
    assert one(c, Expectation("none", (WEB,), (DB,), None, "deny")).passed
    r = one(c, Expectation("none", (API,), (DB,), None, "deny"))
    assert not r.passed and str(r.offences[0].conns) == "TCP 5432"
    assert r.offences[0].problem == "allowed" and "ALLOWED" in r.offences[0].explanation


def test_named_port_is_resolved_on_each_destination():
    c = cluster(NSS, _pods(), [DB_FROM_API])
    named = PortSpec("TCP", name="postgres")
    assert one(c, Expectation("named", (API,), (DB,), named, "allow")).passed
    metrics = one(c, Expectation("m", (API,), (DB,), PortSpec("TCP", name="metrics"), "allow"))
    assert str(metrics.offences[0].conns) == "TCP 9187"


def test_missing_port_name_fails_an_allow():
    c = cluster(NSS, _pods())
    r = one(c, Expectation("x", (API,), (WEB,), PortSpec("TCP", name="postgres"), "allow"))
    assert not r.passed
    assert r.offences[0].explanation == "other/web has no container port named postgres/TCP"


def test_only_from_reports_every_peer_outside_the_list():
    c = cluster(NSS, _pods())  # nothing isolated: everyone reaches db
    r = one(c, Expectation("only api", dst=(DB,), only_from=(API,)))
    assert not r.passed
    pairs = {(o.src, o.dst) for o in r.offences}
    assert ("other/web", "default/db") in pairs and ("default/api", "default/db") not in pairs
    # external sources: IPv4 and IPv6 address space, none of it permitted
    assert ("0.0.0.0-255.255.255.255", "default/db") in pairs


def test_only_from_accepts_permitted_address_ranges():
    open_ingress = policy(
        "default/db-in", {"app": "db"}, ingress=[rule([peer(cidr="10.0.0.0/8")], [port(5432)])]
    )
    c = cluster(NSS, _pods(), [open_ingress], ipblock_matches_pods=False)
    ok = Expectation("ok", dst=(DB,), only_from=(Selector(cidr="10.0.0.0/8"),))
    assert one(c, ok).passed
    narrow = dataclasses.replace(ok, only_from=(Selector(cidr="10.0.0.0/9"),))
    r = one(c, narrow)
    assert [(o.src, str(o.conns)) for o in r.offences] == [
        ("10.128.0.0-10.255.255.255", "TCP 5432")
    ]


def test_only_to_checks_egress_peers():
    egress = policy(
        "default/api-out",
        {"app": "api"},
        types=["egress"],
        egress=[rule([peer({"app": "db"})])],
    )
    c = cluster(NSS, _pods(), [egress])
    assert one(c, Expectation("api only to db", src=(API,), only_to=(DB,))).passed
    r = one(c, Expectation("api only to web", src=(API,), only_to=(WEB,)))
    assert [(o.src, o.dst) for o in r.offences] == [("default/api", "default/db")]


def test_deny_to_a_cidr_reports_the_open_range():
    dns_out = policy(
        "default/out",
        {"app": "api"},
        types=["egress"],
        egress=[rule([peer(cidr="8.8.8.8/32")], [port(53, "UDP")])],
    )
    c = cluster(NSS, _pods(), [dns_out])
    everything = Selector(cidr="0.0.0.0/0")
    r = one(c, Expectation("no internet", (API,), (everything,), None, "deny"))
    assert [(o.src, o.dst, str(o.conns)) for o in r.offences] == [
        ("default/api", "8.8.8.8-8.8.8.8", "UDP 53")
    ]
    assert one(c, Expectation("no web", (API,), (everything,), tcp(443), "deny")).passed


def test_a_selection_matching_nothing_fails_instead_of_passing_vacuously():
    c = cluster(NSS, _pods())
    r = one(c, Expectation("typo", (Selector(namespace="defualt"),), (DB,), None, "deny"))
    assert not r.passed and r.note == "`from` selects no pod in the snapshot"


def test_a_pods_traffic_to_itself_is_not_checked():
    c = cluster(NSS, _pods(), [policy("default/iso", {"app": "db"})])
    assert one(c, Expectation("db", (DB,), (DB,), None, "allow")).passed


def test_selectors_by_pod_workload_and_namespace_labels():
    p = dataclasses.replace(
        pod("other/web-1", {"app": "web"}), workload=WorkloadRef("other", "web", "Deployment")
    )
    c = cluster(NSS, [*_pods(), p], [DB_FROM_API])
    by_workload = Selector(workload="web[Deployment]")
    r = one(c, Expectation("w", (by_workload,), (DB,), None, "allow"))
    assert [o.src for o in r.offences] == ["other/web-1"]
    by_ns_labels = Selector(namespace_labels={"team": "backend"})
    assert one(c, Expectation("n", (by_ns_labels,), (DB,), None, "allow")).failures == 2
    by_pod = Selector(namespace="other", pod="web")
    assert [o.src for o in one(c, Expectation("p", (by_pod,), (DB,), None, "allow")).offences] == [
        "other/web"
    ]


def test_pairs_the_engine_treats_alike_are_reported_once_with_a_count():
    many = [pod(f"other/w{i}", {"app": "web"}) for i in range(5)]
    c = cluster(NSS, [*_pods(), *many], [DB_FROM_API])
    r = one(c, Expectation("web", (Selector(labels={"app": "web"}),), (DB,), None, "allow"))
    assert r.failures == 6
    assert [(o.src, o.similar) for o in r.offences] == [("other/web", 5)]


def test_every_offending_pair_is_counted_but_only_the_first_groups_reported():
    # one namespace each: pods the engine tells apart (a label no selector reads would not)
    spread = [ns(f"o{i}") for i in range(MAX_REPORTED + 5)]
    many = [pod(f"o{i}/w{i}", {"app": "web"}) for i in range(MAX_REPORTED + 5)]
    c = cluster([*NSS, *spread], [*_pods(), *many], [DB_FROM_API])
    r = one(c, Expectation("web", (Selector(labels={"app": "web"}),), (DB,), None, "allow"))
    assert r.failures == MAX_REPORTED + 6 and len(r.offences) == MAX_REPORTED


@settings(max_examples=examples(60), deadline=None)
@given(
    st.lists(st.integers(5430, 5436), max_size=3),
    st.booleans(),
    st.integers(5430, 5436),
    st.sampled_from(["default/api", "other/web"]),
)
def test_allow_and_deny_agree_with_the_engine_check(ports, ns_peer, probe, src):
    peers = [peer({"app": "api"})] + ([peer(namespaces={"team": "backend"})] if ns_peer else [])
    pol = policy("default/db-in", {"app": "db"}, ingress=[rule(peers, [port(p) for p in ports])])
    c = cluster(NSS, _pods(), [pol])
    ns_, name = src.split("/")
    sel = (Selector(namespace=ns_, pod=name),)
    allowed = c.check(src, "default/db", probe).allowed
    assert one(c, Expectation("a", sel, (DB,), tcp(probe), "allow")).passed == allowed
    assert one(c, Expectation("d", sel, (DB,), tcp(probe), "deny")).passed == (not allowed)
