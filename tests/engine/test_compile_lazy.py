"""The compiled form builds per-class views when asked (issue 17: a policy per pod selecting
every other pod makes them classes x policies). What is asked must not depend on when, or in
which order: these properties compare the lazy views with the rules written out directly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_properties import NS_NAMES, SETTINGS, labels_st, pods_st, policies
from test_tiers_properties import tiered

from builders import cluster
from netreach.engine import matrix as matrix_module
from netreach.engine.compile import Compiled
from netreach.engine.conns import ALL, EMPTY
from netreach.engine.matrix import ClassMatrix
from netreach.model import (
    DIRECTIONS,
    Direction,
    LabelSelector,
    Namespace,
    NetworkPolicy,
    Peer,
    Pod,
    Requirement,
    Rule,
    WorkloadRef,
)
from sampling import examples


@st.composite
def many_classes(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    """Up to 30 pods (so class bitsets span several bytes) and up to 8 policies."""
    nss = [Namespace(n, {**draw(labels_st), "kubernetes.io/metadata.name": n}) for n in NS_NAMES]
    pods = [draw(pods_st(i)) for i in range(draw(st.integers(1, 30)))]
    pols = [draw(policies(f"pol{i}")) for i in range(draw(st.integers(0, 8)))]
    return nss, pods, pols


def selecting(compiled: Compiled, pod: Pod, direction: Direction) -> list[int]:
    """The policies that isolate `pod` in `direction`, in input order, read off the model."""
    return [
        pi
        for pi, pol in enumerate(compiled.policies)
        if pol.namespace == pod.namespace
        and pol.isolates(direction)
        and pol.pod_selector.matches(pod.labels)
    ]


@SETTINGS
@given(many_classes())
def test_isolating_lists_every_selecting_policy_in_order(data) -> None:  # type: ignore[no-untyped-def]
    compiled = cluster(*data).compiled
    for direction in DIRECTIONS:
        iso = compiled.isolating[direction]
        assert len(iso) == len(compiled.classes)
        assert list(iso) == [iso[ci] for ci in range(len(compiled.classes))]
        for pod in compiled.snapshot.pods:
            ci = compiled.class_of[pod.id]
            assert iso[ci] == selecting(compiled, pod, direction), (pod.id, direction)
            assert compiled.is_isolated(ci, direction) == bool(iso[ci])


def stages_of(compiled: Compiled, ci: int, direction: Direction) -> list[tuple[object, ...]]:
    return [
        (s.tier, s.closed, s.np_closes, [r.id for r in s.rules], list(s.ids))
        for s in compiled.program(ci, direction).stages
    ]


@SETTINGS
@given(many_classes(), st.randoms(use_true_random=False))
def test_programs_do_not_depend_on_the_order_classes_are_asked(data, rnd) -> None:  # type: ignore[no-untyped-def]
    first = cluster(*data).compiled
    second = cluster(*data).compiled
    n = len(first.classes)
    order = list(range(n))
    rnd.shuffle(order)
    for direction in DIRECTIONS:
        seen = {ci: stages_of(second, ci, direction) for ci in order}
        for ci in range(n):
            assert stages_of(first, ci, direction) == seen[ci]
            # the NetworkPolicy stage: the rules of the isolating policies, in policy order
            np_rules = [
                r.id
                for s in first.program(ci, direction).stages
                if s.tier == "NetworkPolicy"
                for r in s.rules
            ]
            assert np_rules == [
                r.id
                for pi in first.isolating[direction][ci]
                for r in first.policy_rules[pi][direction]
            ]
            assert np_rules == [r.id for r in first.class_rules(ci, direction)]
        # classes isolated by the same policies share one program; the same rules make equal
        # programs (the matrix groups rows by them)
        iso = first.isolating[direction]
        for ci in range(n):
            for cj in range(n):
                a, b = first.program(ci, direction), first.program(cj, direction)
                if iso[ci] == iso[cj]:
                    assert a is b
                if stages_of(first, ci, direction) == stages_of(first, cj, direction):
                    assert a == b and hash(a) == hash(b)


def assert_rows_agree(compiled: Compiled) -> None:
    """Every class's row and external row, from its row program and from its own program."""
    m = ClassMatrix(compiled)
    for direction in DIRECTIONS:
        for ci, cls in enumerate(compiled.classes):
            own = cls.ports if direction == "ingress" else None
            full = compiled.program(ci, direction).effective
            row = compiled.row_program(ci, direction).effective
            assert np.array_equal(m.row(full, direction, own), m.row(row, direction, own))
            assert np.array_equal(
                m.external_row_for(full, direction, own), m.external_row_for(row, direction, own)
            )
            assert row.isolated == full.isolated
            assert {r.id for r in row.rules} <= {r.id for r in compiled.rules}


# more examples than the engine's other properties: merging two rules that differ in one
# field shows only when the input has such a pair
ROW_SETTINGS = settings(SETTINGS, max_examples=examples(200))


@ROW_SETTINGS
@given(many_classes(), st.booleans())
def test_row_programs_give_the_rows_of_the_class_programs(data, ipb: bool) -> None:  # type: ignore[no-untyped-def]
    assert_rows_agree(cluster(*data, ipblock_matches_pods=ipb).compiled)


@ROW_SETTINGS
@given(tiered())
def test_row_programs_with_admin_tiers(data) -> None:  # type: ignore[no-untyped-def]
    nss, pods, pols, adm = data
    assert_rows_agree(cluster(nss, pods, pols, admin=adm).compiled)


def test_per_pod_not_in_policies_share_one_row_program() -> None:
    """Each pod isolated by every other pod's policy (the same rule in each): one row program
    of one rule, while each class's own program keeps every isolating policy's rule."""
    n = 12
    pods = [
        Pod("x", f"p{i}", {"app": f"a{i}"}, WorkloadRef("x", f"p{i}", "Pod"), ips=(f"10.1.1.{i}",))
        for i in range(n)
    ]
    pols = [
        NetworkPolicy(
            "x",
            f"n{i}",
            LabelSelector((), (Requirement("app", "NotIn", (f"a{i}",)),)),
            ("ingress",),
            (Rule(),),
        )
        for i in range(n)
    ]
    compiled = cluster([Namespace("x", {})], pods, pols).compiled
    rows = {id(compiled.row_program(ci, "ingress")) for ci in range(n)}
    assert len(rows) == 1
    assert len(list(compiled.row_program(0, "ingress").rules)) == 1
    for ci in range(n):
        assert len(list(compiled.program(ci, "ingress").rules)) == n - 1
        assert len(compiled.isolating["ingress"][ci]) == n - 1
    assert_rows_agree(compiled)


def test_rules_that_admit_different_peers_stay_apart_in_the_row_program() -> None:
    """Same ports, different peers: both rules stay (each opens the port to its own pods)."""
    pods = [
        Pod("x", f"p{i}", {"app": f"a{i}"}, WorkloadRef("x", f"p{i}", "Pod"), ips=(f"10.1.1.{i}",))
        for i in range(3)
    ]
    target = LabelSelector((("app", "a0"),))
    pols = [
        NetworkPolicy(
            "x",
            f"from-a{i}",
            target,
            ("ingress",),
            (Rule((Peer(LabelSelector((("app", f"a{i}"),))),)),),
        )
        for i in (1, 2)
    ]
    compiled = cluster([Namespace("x", {})], pods, pols).compiled
    ci = compiled.class_of["x/p0"]
    assert len(list(compiled.row_program(ci, "ingress").rules)) == 2
    assert_rows_agree(compiled)


@ROW_SETTINGS
@given(many_classes(), st.integers(1, 2), st.data())
def test_joined_row_is_the_union_of_the_rows(data, block: int, more) -> None:  # type: ignore[no-untyped-def]
    """A node's row, joined a block of sources at a time, is the union of its classes' rows
    (each read on its own)."""
    compiled = cluster(*data).compiled
    m = ClassMatrix(compiled)
    n = len(compiled.classes)
    classes = more.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
    sets = m.table.sets
    whole = [EMPTY] * n
    for c in classes:
        whole = [w | sets[i] for w, i in zip(whole, m.rows_ids([c])[0].tolist(), strict=True)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(matrix_module, "_JOIN_BLOCK", block)
        joined = [sets[i] for i in m.joined_row(classes).tolist()]
    assert joined == whole


def test_joined_row_joins_every_block() -> None:
    """One source denied all egress, another open: the node reaches what the open one does,
    whichever block each source is in."""
    pods = [
        Pod("x", f"p{i}", {"app": f"a{i}"}, WorkloadRef("x", f"p{i}", "Pod"), ips=(f"10.1.1.{i}",))
        for i in range(3)
    ]
    deny = NetworkPolicy("x", "deny", LabelSelector((("app", "a0"),)), ("egress",))
    compiled = cluster([Namespace("x", {})], pods, [deny]).compiled
    m = ClassMatrix(compiled)
    closed, open_ = compiled.class_of["x/p0"], compiled.class_of["x/p1"]
    for block in (1, 2):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(matrix_module, "_JOIN_BLOCK", block)
            for order in ([closed, open_], [open_, closed]):
                row = [m.table.sets[i] for i in m.joined_row(order).tolist()]
                assert row == [m.table.sets[i] for i in m.rows_ids([open_])[0].tolist()]
                assert all(conns == ALL for conns in row)


@given(st.lists(st.integers(-(2**62), 2**62), max_size=40))
def test_distinct_values_are_np_unique(values: list[int]) -> None:
    # the matrix's stand-in for np.unique (which imports numpy.ma on its first call)
    array = np.asarray(values, dtype=np.int64)
    got = matrix_module._distinct(array)
    assert got.dtype == np.unique(array).dtype
    assert got.tolist() == np.unique(array).tolist()
