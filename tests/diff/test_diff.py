"""`netreach.diff`: connections added, removed, changed, compared by meaning, with reasons."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

import netreach
from builders import cluster, ns, peer, pod, policy, port, rule
from netreach.analyses.diff import DiffReport
from netreach.engine.conns import EMPTY, ConnectionSet
from sampling import examples

NSS = [ns("default"), ns("other")]


def _pods(*extra):
    return [
        pod("default/api", {"app": "api"}, ip="10.1.0.1"),
        pod("default/db", {"app": "db"}, ip="10.1.0.2"),
        pod("other/web", {"app": "web"}, ip="10.2.0.1"),
        *extra,
    ]


def _db_ingress(*ports):
    return policy(
        "default/db-in",
        {"app": "db"},
        ingress=[rule([peer({"app": "api"})], [port(p) for p in ports])],
    )


def _pairs(report: DiffReport):
    return {(c.src, c.dst): (c.kind, str(c.before), str(c.after)) for c in report.changes}


def test_identical_snapshots_have_no_change():
    a = cluster(NSS, _pods(), [_db_ingress(5432)])
    b = cluster(NSS, _pods(), [_db_ingress(5432)])
    report = netreach.diff(a, b, by="pod")
    assert not report and report.changes == [] and report.counts["added"] == 0


def test_opening_a_port_is_a_changed_pair_that_grew():
    old = cluster(NSS, _pods(), [_db_ingress(5432)])
    new = cluster(NSS, _pods(), [_db_ingress(5432, 9187)])
    report = netreach.diff(old, new, by="pod", external=False)
    assert _pairs(report) == {
        ("default/api", "default/db"): ("changed", "TCP 5432", "TCP 5432,9187")
    }
    assert report.has("added") and report.has("changed") and not report.has("removed")
    assert report.changes[0].grown == ConnectionSet.ports("TCP", 9187)


def test_isolating_a_pod_removes_its_pairs():
    old = cluster(NSS, _pods())
    new = cluster(NSS, _pods(), [policy("default/deny", {"app": "db"})])
    report = netreach.diff(old, new, by="pod", external=False)
    removed = {k for k, v in _pairs(report).items() if v[0] == "removed"}
    # its traffic to itself too: it is subject to policy (--self-traffic policy)
    assert removed == {
        ("default/api", "default/db"),
        ("other/web", "default/db"),
        ("default/db", "default/db"),
    }
    assert report.has("removed") and not report.has("added")
    assert report.counts == {"added": 0, "removed": 3, "changed": 0}


def test_a_new_workload_appears_with_its_added_pairs():
    old = cluster(NSS, _pods())
    new = cluster(NSS, _pods(pod("other/cache", {"app": "cache"}, ip="10.2.0.9")))
    report = netreach.diff(old, new, by="pod", external=False)
    assert report.appeared == ["other/cache"] and report.vanished == []
    added = [c for c in report.changes if "other/cache" in (c.src, c.dst)]
    assert added and all(c.kind == "added" and c.appeared == ("other/cache",) for c in added)
    assert all(c.old == () for c in added)  # nothing to explain on the side where it is absent


def test_reasons_name_the_rule_that_opens_the_difference_and_what_isolated_before():
    old = cluster(NSS, _pods(), [_db_ingress(5432)])
    new = cluster(NSS, _pods(), [_db_ingress(5432), _web_to_db()])
    (change,) = netreach.diff(old, new, by="pod", external=False).changes
    assert (change.src, change.dst, change.kind) == ("other/web", "default/db", "added")
    old_in = next(w for w in change.old if w.direction == "ingress")
    new_in = next(w for w in change.new if w.direction == "ingress")
    assert old_in.isolated and old_in.allowed_by == () and old_in.isolated_by == ("default/db-in",)
    assert [str(r) for r in new_in.allowed_by] == ["default/web-db ingress[0]"]
    egress = next(w for w in change.new if w.direction == "egress")
    assert not egress.isolated and str(egress) == "egress from other/web: not isolated"


def _web_to_db():
    return policy(
        "default/web-db",
        {"app": "db"},
        ingress=[rule([peer(namespaces={"kubernetes.io/metadata.name": "other"})], [port(80)])],
    )


def test_external_ranges_are_compared_by_meaning_not_by_how_they_are_cut():
    def egress_to(*cidrs):
        return policy(
            "default/out",
            {"app": "api"},
            types=["egress"],
            egress=[rule([peer(cidr=c) for c in cidrs])],
        )

    old = cluster(NSS, _pods(), [egress_to("10.0.0.0/8")], ipblock_matches_pods=False)
    new = cluster(
        NSS, _pods(), [egress_to("10.0.0.0/16", "10.1.0.0/16")], ipblock_matches_pods=False
    )
    report = netreach.diff(old, new, by="pod")
    assert _pairs(report) == {
        ("default/api", "10.2.0.0-10.255.255.255"): ("removed", "All Connections", "No Connections")
    }
    assert report.changes[0].external == (False, True)


def test_workload_level_groups_replicas():
    from netreach.model import WorkloadRef

    def replicas():
        db = WorkloadRef("default", "db", "Deployment")
        out = [
            dataclasses.replace(
                pod(f"default/db-{i}", {"app": "db"}, ip=f"10.1.1.{i}"), workload=db
            )
            for i in range(3)
        ]
        return [pod("default/api", {"app": "api"}, ip="10.1.0.1"), *out]

    old = cluster(NSS, replicas(), [_db_ingress(5432)])
    new = cluster(NSS, replicas(), [_db_ingress(5433)])
    report = netreach.diff(old, new, external=False)
    assert _pairs(report) == {
        ("default/api[Pod]", "default/db[Deployment]"): ("changed", "TCP 5432", "TCP 5433")
    }


PORT_LISTS = st.lists(st.integers(1, 20), max_size=4, unique=True)


@settings(max_examples=examples(60), deadline=None)
@given(PORT_LISTS, PORT_LISTS, st.booleans(), st.booleans())
def test_diff_reversed_swaps_added_and_removed(old_ports, new_ports, old_deny, new_deny):
    def build(ports, deny):
        pols = [_db_ingress(*ports)] if ports else []
        if deny:
            pols.append(policy("other/deny", {}, types=["egress"]))
        return cluster(NSS, _pods(), pols)

    old, new = build(old_ports, old_deny), build(new_ports, new_deny)
    forward = netreach.diff(old, new, by="pod")
    backward = netreach.diff(new, old, by="pod")
    swap = {"added": "removed", "removed": "added", "changed": "changed"}
    assert {(c.src, c.dst): (swap[c.kind], c.after, c.before) for c in forward.changes} == {
        (c.src, c.dst): (c.kind, c.before, c.after) for c in backward.changes
    }
    # every change is real, and every real difference is reported
    old_map = {(c.src, c.dst): c.conns for c in old.connectivity("pod", external=False)}
    new_map = {(c.src, c.dst): c.conns for c in new.connectivity("pod", external=False)}
    expected = {
        k for k in old_map.keys() | new_map.keys() if old_map.get(k, EMPTY) != new_map.get(k, EMPTY)
    }
    internal = {(c.src, c.dst) for c in forward.changes if "/" in c.src and "/" in c.dst}
    assert internal == expected
