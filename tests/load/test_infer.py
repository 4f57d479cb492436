"""Inferred workloads for policies-only input (loader/infer.py, docs/inference.md): selectors are
solved exactly (In/NotIn/Exists/DoesNotExist, AND peers, namespaceSelectors), every rule is
exercised by the pods made, and nothing is invented where the input has pods."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import netreach
from builders import admin, apeer, cluster, ns, peer, pod, policy, port, rule, sel, service
from netreach.cluster import Cluster
from netreach.engine.verdict import contributions
from netreach.loader import load_snapshot
from netreach.loader.infer import (
    EXISTS_VALUE,
    FIRST_ASSUMED_PORT,
    INFERRED_KIND,
    boundary,
    infer_workloads,
    solve,
)
from netreach.model import LabelSelector, Pod, Requirement, Snapshot
from paths import ROOT, SHARED
from sampling import examples

POLICIES_ONLY = str(ROOT / "examples" / "policies-only")


def req(key: str, op: str, *values: str) -> Requirement:
    return Requirement(key, op, tuple(values))  # type: ignore[arg-type]


def snapshot_of(c: Cluster) -> Snapshot:
    return c.snapshot


def inferred(snap: Snapshot) -> dict[str, Pod]:
    return {p.workload.id: p for p in snap.pods if p.inferred}


# --- solving one selector ------------------------------------------------------------------


def test_match_labels_are_copied():
    assert solve(sel({"app": "web", "tier": "front"})) == {"app": "web", "tier": "front"}


def test_in_takes_the_first_value_written():
    assert solve(sel(None, req("app", "In", "db", "db-replica"))) == {"app": "db"}


def test_in_and_match_labels_intersect():
    assert solve(sel({"app": "b"}, req("app", "In", "a", "b"))) == {"app": "b"}


def test_notin_leaves_the_key_out_because_a_missing_key_satisfies_it():
    assert solve(sel(None, req("env", "NotIn", "dev"))) == {}


def test_notin_with_in_takes_an_allowed_value():
    assert solve(sel(None, req("tier", "In", "web", "api"), req("tier", "NotIn", "web"))) == {
        "tier": "api"
    }


def test_exists_gets_a_placeholder_value_not_excluded_by_notin():
    assert solve(sel(None, req("team", "Exists"))) == {"team": EXISTS_VALUE}
    got = solve(sel(None, req("team", "Exists"), req("team", "NotIn", EXISTS_VALUE)))
    assert got == {"team": f"{EXISTS_VALUE}-2"}


def test_does_not_exist_leaves_the_key_out():
    assert solve(sel({"app": "x"}, req("legacy", "DoesNotExist"))) == {"app": "x"}


@pytest.mark.parametrize(
    "selector",
    [
        sel({"app": "a"}, req("app", "NotIn", "a")),
        sel({"app": "a"}, req("app", "DoesNotExist")),
        sel(None, req("k", "Exists"), req("k", "DoesNotExist")),
        sel(None, req("k", "In", "a"), req("k", "In", "b")),
        sel(None, req("k", "In", "a", "b"), req("k", "NotIn", "a", "b")),
    ],
    ids=[
        "label-notin",
        "label-doesnotexist",
        "exists-doesnotexist",
        "disjoint-in",
        "in-all-banned",
    ],
)
def test_contradictions_match_no_pod(selector: LabelSelector):
    assert solve(selector) is None


KEYS = ("a", "b")
VALUES = ("x", "y", "z")
requirements = st.builds(
    Requirement,
    st.sampled_from(KEYS),
    st.sampled_from(("In", "NotIn", "Exists", "DoesNotExist")),
    st.lists(st.sampled_from(VALUES), min_size=1, max_size=3, unique=True).map(tuple),
).map(lambda r: r if r.operator in ("In", "NotIn") else Requirement(r.key, r.operator))
selectors = st.builds(
    LabelSelector,
    st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=2).map(
        lambda d: tuple(sorted(d.items()))
    ),
    st.lists(requirements, max_size=4).map(tuple),
)


@settings(max_examples=examples(400), deadline=None)
@given(selectors)
def test_solve_is_sound_and_complete(selector: LabelSelector):
    """The labels found match the selector; None only when no label set over the selector's
    keys can (checked by enumerating every assignment, with a value no selector names)."""
    got = solve(selector)
    if got is not None:
        assert selector.matches(got)
        return
    choices = [None, *VALUES, "w"]
    for values in itertools.product(choices, repeat=len(KEYS)):
        labels = {k: v for k, v in zip(KEYS, values, strict=True) if v is not None}
        assert not selector.matches(labels), labels


# --- the pods at a selector's edges ---------------------------------------------------------


def test_each_value_an_in_allows_gets_a_pod():
    s = sel(None, req("app", "In", "db", "db-replica"))
    assert list(boundary(s, {"app": "db"})) == [({"app": "db-replica"}, "app=db-replica")]


def test_notin_gets_the_pod_it_leaves_out():
    s = sel({"app": "db"}, req("env", "NotIn", "dev", "test"))
    assert list(boundary(s, {"app": "db"})) == [
        ({"app": "db", "env": "dev"}, "left out by env notin (dev,test)")
    ]


def test_does_not_exist_gets_the_pod_carrying_the_key():
    s = sel(None, req("job-name", "Exists"), req("legacy", "DoesNotExist"))
    assert list(boundary(s, {"job-name": EXISTS_VALUE})) == [
        ({}, "left out by job-name must exist"),
        ({"job-name": EXISTS_VALUE, "legacy": EXISTS_VALUE}, "left out by legacy must not exist"),
    ]


def test_no_boundary_pod_when_another_requirement_also_excludes_it():
    # `tier notin (web)` leaves out tier=web, but so does `tier in (api)`: nothing to show
    s = sel(None, req("tier", "In", "api"), req("tier", "NotIn", "web"))
    assert list(boundary(s, {"tier": "api"})) == []


@settings(max_examples=examples(300), deadline=None)
@given(selectors)
def test_boundary_pods_are_selected_or_left_out_by_exactly_one_requirement(selector: LabelSelector):
    base = solve(selector)
    if base is None:
        return
    for labels, why in boundary(selector, base):
        if why.startswith("left out"):
            failing = [r for r in selector.match_expressions if not r.matches(labels)]
            assert not selector.matches(labels) and len(failing) == 1
            assert all(labels.get(k) == v for k, v in selector.match_labels)
        else:
            assert selector.matches(labels)


def test_an_and_peer_also_gets_its_pod_labels_in_the_policy_namespace():
    snap = snapshot_of(
        cluster(
            [],
            [],
            [
                policy(
                    "shop/api",
                    {"app": "api"},
                    ingress=[rule([peer({"app": "prom"}, {"team": "obs"})], [port(9090)])],
                )
            ],
        )
    )
    c = Cluster(infer_workloads(snap).snapshot)
    assert c.check("obs/prom", "shop/api", 9090).allowed
    assert not c.check("shop/prom", "shop/api", 9090).allowed  # right pod, wrong namespace


# --- building the representative workloads ------------------------------------------------


def lesson_like() -> Snapshot:
    """Policies only: deny-all, api -> db, an AND peer from another namespace, a
    namespaceSelector-only peer, a named port."""
    return snapshot_of(
        cluster(
            [],
            [],
            [
                policy("default/deny", {}, ingress=[]),
                policy(
                    "default/db",
                    {"app": "db"},
                    ingress=[
                        rule([peer({"app": "api"})], [port(5432)]),
                        rule([peer({"app": "api"}, {"team": "backend"})], [port(5432)]),
                        rule([peer(None, {"team": "ops"})], [port("metrics")]),
                    ],
                ),
            ],
        )
    )


def test_policies_only_input_gets_one_pod_per_distinct_selector():
    result = infer_workloads(lesson_like())
    pods = inferred(result.snapshot)
    assert set(pods) == {
        "default/unlabelled[Inferred]",  # deny-all's `podSelector: {}`
        "default/db[Inferred]",
        "default/api[Inferred]",
        "backend/api[Inferred]",  # the AND peer: app=api in a namespace team=backend
        "ops/unlabelled[Inferred]",  # namespaceSelector only: any pod of a team=ops namespace
    }
    assert all(p.inferred and p.workload.kind == INFERRED_KIND for p in pods.values())
    spaces = result.snapshot.namespaces
    assert spaces["backend"].labels == {"team": "backend", "kubernetes.io/metadata.name": "backend"}
    assert spaces["backend"].inferred and spaces["ops"].inferred
    assert not spaces["default"].inferred


def test_inferred_pods_exercise_each_rule_and_nothing_more():
    c = Cluster(infer_workloads(lesson_like()).snapshot)
    assert c.check("default/api", "default/db", 5432).allowed
    assert c.check("backend/api", "default/db", 5432).allowed
    assert not c.check("backend/api", "default/db", 5433).allowed
    assert not c.check("default/unlabelled", "default/db", 5432).allowed  # deny-all's pod
    assert not c.check("ops/unlabelled", "default/db", 5432).allowed
    metrics = c.check("ops/unlabelled", "default/db", "metrics")  # named port, assumed number
    assert metrics.allowed and metrics.port == FIRST_ASSUMED_PORT


def test_an_and_peer_is_not_satisfied_by_either_half():
    """The AND peer's pod sits in a namespace carrying the namespace labels: a pod with the
    same labels in the policy's own namespace is a different workload."""
    c = Cluster(infer_workloads(lesson_like()).snapshot)
    verdict = c.check("backend/api", "default/db", 5432)
    reasons = verdict.explain()
    assert "namespaceSelector team=backend" in reasons or "ingress[1]" in reasons


def test_empty_namespace_selector_puts_the_peer_in_another_namespace():
    snap = snapshot_of(
        cluster(
            [], [], [policy("shop/db", {"app": "db"}, ingress=[rule([peer({"app": "x"}, {})])])]
        )
    )
    pods = inferred(infer_workloads(snap).snapshot)
    assert "shop/db[Inferred]" in pods
    (other,) = [p for p in pods.values() if p.labels == {"app": "x"}]
    assert other.namespace != "shop"


def test_namespace_name_in_a_selector_names_the_namespace():
    snap = snapshot_of(
        cluster(
            [],
            [],
            [
                policy(
                    "shop/db",
                    {"app": "db"},
                    ingress=[
                        rule(
                            [
                                peer(
                                    None,
                                    sel(
                                        None,
                                        req("kubernetes.io/metadata.name", "In", "ingress-nginx"),
                                    ),
                                )
                            ]
                        )
                    ],
                )
            ],
        )
    )
    pods = inferred(infer_workloads(snap).snapshot)
    assert "ingress-nginx/unlabelled[Inferred]" in pods


def test_a_defined_namespace_that_matches_is_used():
    snap = snapshot_of(
        cluster(
            [ns("shop"), ns("mon", team="ops")],
            [],
            [
                policy(
                    "shop/db",
                    {"app": "db"},
                    ingress=[rule([peer({"app": "prom"}, {"team": "ops"})])],
                )
            ],
        )
    )
    result = infer_workloads(snap)
    assert "mon/prom[Inferred]" in inferred(result.snapshot)
    assert result.namespaces == []  # nothing invented


def test_a_defined_namespace_without_the_labels_is_never_relabelled():
    snap = snapshot_of(
        cluster(
            [ns("shop"), ns("mon")],
            [],
            [
                policy(
                    "shop/db",
                    {"app": "db"},
                    ingress=[
                        rule([peer(None, {"kubernetes.io/metadata.name": "mon", "team": "ops"})])
                    ],
                )
            ],
        )
    )
    result = infer_workloads(snap)
    assert result.snapshot.namespaces["mon"].labels == ns("mon").labels
    assert [p.message for p in result.problems] == [
        "namespaceSelector kubernetes.io/metadata.name=mon,team=ops needs namespace mon with "
        "labels the input does not give it (peer of NetworkPolicy shop/db ingress[0] from[0]): "
        "no workload inferred for it"
    ]


def test_a_contradictory_selector_is_reported_and_gets_no_pod():
    bad = sel({"app": "a"}, req("app", "NotIn", "a"))
    snap = snapshot_of(
        cluster([], [], [policy("shop/p", bad, ingress=[rule([peer({"app": "b"})])])])
    )
    result = infer_workloads(snap)
    assert set(inferred(result.snapshot)) == {"shop/b[Inferred]"}
    (problem,) = result.problems
    assert problem.severity == "warning" and "can match no pod" in problem.message
    assert problem in result.snapshot.warnings


def test_named_ports_are_defined_on_the_destination():
    snap = snapshot_of(
        cluster(
            [],
            [],
            [
                policy("shop/web", {"app": "web"}, ingress=[rule([], [port("http")])]),
                policy(
                    "shop/client",
                    {"app": "client"},
                    types=("egress",),
                    egress=[rule([peer({"app": "api"})], [port("grpc")])],
                ),
            ],
        )
    )
    result = infer_workloads(snap)
    pods = inferred(result.snapshot)
    assert [(cp.name, cp.port) for cp in pods["shop/web[Inferred]"].ports] == [("http", 80)]
    assert [(cp.name, cp.port) for cp in pods["shop/api[Inferred]"].ports] == [
        ("grpc", FIRST_ASSUMED_PORT)
    ]
    assert pods["shop/client[Inferred]"].ports == ()
    assert result.assumed_ports == {"http": 80, "grpc": FIRST_ASSUMED_PORT}


def test_admin_policies_subjects_and_peers_are_inferred():
    snap = snapshot_of(
        cluster(
            [],
            [],
            admin=[
                admin(
                    "guard",
                    namespaces={"env": "prod"},
                    ingress=[],
                    egress=[],
                ),
                admin(
                    "scrape",
                    namespaces={"env": "prod"},
                    pods={"app": "api"},
                    ingress=[],
                ),
            ],
        )
    )
    # give the policies rules with both peer forms
    a, b = snap.admin_policies
    from builders import arule

    b = dataclasses.replace(
        b, ingress=(arule("Allow", [apeer(pods=({"team": "ops"}, {"app": "prom"}))]),)
    )
    snap = dataclasses.replace(snap, admin_policies=[a, b])
    pods = inferred(infer_workloads(snap).snapshot)
    assert set(pods) == {"prod/unlabelled[Inferred]", "prod/api[Inferred]", "ops/prom[Inferred]"}


def test_service_selectors_are_inferred_with_their_named_target_ports():
    snap = snapshot_of(
        cluster(
            [],
            [],
            [policy("shop/deny", {}, ingress=[])],
            [service("shop/db", {"app": "db"}, (5432, "postgres", "TCP"))],
        )
    )
    pods = inferred(infer_workloads(snap).snapshot)
    assert [(cp.name, cp.port) for cp in pods["shop/db[Inferred]"].ports] == [("postgres", 5432)]


# --- when to infer ---------------------------------------------------------------------------


def test_auto_does_nothing_when_the_input_has_pods():
    """Pods given: a selector matching none of them is a finding, not a cue to invent pods."""
    snap = snapshot_of(
        cluster([ns("shop")], [pod("shop/x", {"app": "x"})], [policy("shop/p", {"app": "web"})])
    )
    result = infer_workloads(snap)
    assert result.pods == [] and result.snapshot is snap


def test_always_fills_only_the_selectors_no_pod_satisfies():
    snap = snapshot_of(
        cluster(
            [ns("shop")],
            [pod("shop/web-1", {"app": "web"})],
            [policy("shop/p", {"app": "web"}, ingress=[rule([peer({"app": "api"})])])],
        )
    )
    result = infer_workloads(snap, "always")
    assert set(inferred(result.snapshot)) == {"shop/api[Inferred]"}
    assert len(result.snapshot.pods) == 2


def test_never_leaves_policies_only_input_empty():
    result = infer_workloads(lesson_like(), "never")
    assert result.nothing_to_analyse and result.pods == []
    assert "`infer_workloads` never" in result.notes()[-1]


def test_no_policies_and_no_pods_is_nothing_to_analyse():
    result = infer_workloads(Snapshot())
    assert result.nothing_to_analyse
    assert result.notes() == ["nothing to analyse: the input has no pods and no policies"]


def test_both_sides_of_a_diff_infer_the_same_workloads():
    old = snapshot_of(
        cluster([], [], [policy("shop/db", {"app": "db"}, ingress=[rule([peer({"app": "api"})])])])
    )
    new = snapshot_of(
        cluster(
            [],
            [],
            [
                policy(
                    "shop/db",
                    {"app": "db"},
                    ingress=[rule([peer({"app": "api"})]), rule([peer({"app": "batch"})])],
                )
            ],
        )
    )
    a = inferred(infer_workloads(old, also=[new]).snapshot)
    b = inferred(infer_workloads(new, also=[old]).snapshot)
    assert set(a) == set(b) == {"shop/db[Inferred]", "shop/api[Inferred]", "shop/batch[Inferred]"}


def test_library_load_infers_by_default_and_can_be_told_not_to():
    assert {p.workload.kind for p in netreach.load(POLICIES_ONLY).pods} == {INFERRED_KIND}
    assert netreach.load(POLICIES_ONLY, infer_workloads="never").pods == []


def test_inference_is_deterministic():
    one = [(p.id, dict(p.labels)) for p in netreach.load(POLICIES_ONLY).pods]
    two = [(p.id, dict(p.labels)) for p in netreach.load(POLICIES_ONLY).pods]
    assert one == two


# --- every rule exercised, on real manifests ----------------------------------------------


def rule_exercised(c: Cluster, pol_id: str, direction: str, index: int) -> bool:
    """Some inferred subject of the policy and some inferred peer get traffic through rule
    `index` of `direction` (the engine's own contributions)."""
    compiled = c.compiled
    pol = next(p for p in c.policies if p.id == pol_id)
    subjects = [
        p for p in c.pods if p.namespace == pol.namespace and pol.pod_selector.matches(p.labels)
    ]
    for s in subjects:
        for other in c.pods:
            for r, _ in contributions(compiled, direction, s, other):  # type: ignore[arg-type]
                if r.policy.id == pol_id and r.direction == direction and r.index == index:
                    return True
    return False


def policies_only_cases() -> list[Path]:
    """This repository's policies-only example, and the peer tool's cases that hold valid
    NetworkPolicies (when ../shared is there)."""
    corpus = SHARED / "corpora" / "netpol-analyzer" / "cases"
    found = [Path(POLICIES_ONLY)]
    if corpus.is_dir():
        found += sorted(
            p / "input"
            for p in corpus.iterdir()
            if (p / "input").is_dir()
            and load_snapshot(str(p / "input"), skip_invalid=True).policies
        )
    return found


@pytest.mark.parametrize(
    "case", policies_only_cases(), ids=lambda p: p.parent.name if p.name == "input" else p.name
)
def test_every_satisfiable_rule_is_exercised_with_the_pods_removed(case: Path):
    """Strip the pods of real test inputs (a peer tool's cases) and infer: every rule whose
    peers name pods (not only ipBlocks) admits some inferred peer to some inferred subject."""
    snap = load_snapshot(str(case), skip_invalid=True)
    assert snap.policies
    bare = dataclasses.replace(snap, pods=[])
    result = infer_workloads(bare)
    c = Cluster(result.snapshot)
    unsatisfiable = {p.location for p in result.problems}
    for pol in c.policies:
        if pol.location is not None and pol.location.at("spec", "podSelector") in unsatisfiable:
            continue
        for direction in ("ingress", "egress"):
            if direction not in pol.policy_types:
                continue
            for i, r in enumerate(pol.rules(direction)):  # type: ignore[arg-type]
                if r.peers and all(p.ip_block is not None for p in r.peers):
                    continue
                if any(
                    pol.location is not None
                    and pol.location.at(
                        "spec", direction, i, "from" if direction == "ingress" else "to", j
                    )
                    in unsatisfiable
                    for j in range(len(r.peers))
                ):
                    continue
                assert rule_exercised(c, pol.id, direction, i), f"{pol.id} {direction}[{i}]"
