"""What-if questions on the compiled form: the connections that would change if some rules
were removed or replaced, or some NetworkPolicies removed (their isolation with them).

Nothing is recompiled: only the rows of the classes whose programs the change touches are
walked again (engine/tiers.py), and compared with today's rows; a pair changes where its
egress or ingress row changes. The audit asks this for every rule and policy, so its cost is
the affected rows, not the cluster.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from netreach.engine.classes import PortsKey
from netreach.engine.compile import Compiled
from netreach.engine.conns import ConnectionSet
from netreach.engine.matrix import ClassMatrix
from netreach.engine.rules import AnyRule
from netreach.engine.selectors import indexes_of
from netreach.engine.tiers import OPEN, Program, Stage
from netreach.model import DIRECTIONS, Direction


@dataclass(frozen=True)
class Change:
    """Rules removed or replaced (rule id -> replacement, None to remove) and NetworkPolicies
    removed (by index in `Compiled.policies`)."""

    rules: Mapping[int, AnyRule | None] = field(default_factory=dict)
    policies: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class PairChange:
    """One class pair (or class and address atom) whose connections change."""

    src: int | None  # a class, or None for an address atom (ingress from it)
    dst: int | None  # a class, or None for an address atom (egress to it)
    atom: int | None
    old: ConnectionSet
    new: ConnectionSet


def program_with(compiled: Compiled, ci: int, direction: Direction, change: Change) -> Program:
    """The class's program under the change."""
    program = compiled.program(ci, direction)
    if program.is_open and not compiled.classes[ci].host_network:
        return program  # nothing selects it, and a change only takes rules away
    stages: list[Stage] = []
    for stage in program.stages:
        rules: list[AnyRule] = []
        for r in stage.rules:
            if r.tier == "NetworkPolicy" and r.policy_index in change.policies:
                continue
            if r.id in change.rules:
                repl = change.rules[r.id]
                if repl is not None:
                    rules.append(repl)
                continue
            rules.append(r)
        closed = stage.closed
        if stage.np_closes:
            isolating = [
                pi for pi in compiled.isolating[direction][ci] if pi not in change.policies
            ]
            if not isolating:
                if stage.tier == "NetworkPolicy":
                    continue  # no longer isolated: later tiers decide
                closed = False
        stages.append(Stage(stage.tier, tuple(rules), closed, name=stage.name))
    return Program(tuple(stages)) if stages else OPEN


def affected(compiled: Compiled, change: Change, direction: Direction) -> int:
    """Classes whose program in `direction` the change touches."""
    bits = 0
    for rid in change.rules:
        r = compiled.rules[rid]  # ids of the snapshot's rules are their index
        if r.direction == direction:
            bits |= compiled.rule_targets(r)
    for pi in change.policies:
        if compiled.policies[pi].isolates(direction):
            bits |= compiled.policy_targets[pi]
    return bits


def differences(matrix: ClassMatrix, change: Change, external: bool = True) -> Iterator[PairChange]:
    """Every class pair (and class-atom pair) whose allowed connections the change alters."""
    compiled = matrix.compiled
    table = matrix.table
    new_rows: dict[Direction, dict[int, Any]] = {}
    new_ext: dict[Direction, dict[int, Any]] = {}
    for d in DIRECTIONS:
        rows: dict[int, Any] = {}
        ext: dict[int, Any] = {}
        cache: dict[tuple[Program, PortsKey | None], tuple[Any, Any]] = {}
        side = matrix.egress if d == "egress" else matrix.ingress
        for ci in indexes_of(affected(compiled, change, d)):
            program = program_with(compiled, ci, d, change).effective
            own = compiled.classes[ci].ports if d == "ingress" and program.has_named else None
            # (the same key as ClassMatrix.row_key: own ports only with named ingress ports)
            key = (program, own)
            got = cache.get(key)
            if got is None:
                row = matrix.row(program, d, own)
                ext_row = matrix.external_row_for(program, d, own) if external else None
                got = cache[key] = (row, ext_row)
            old = side.row_of(ci)
            if not np.array_equal(old, got[0]):
                rows[ci] = got[0]
            if external and not np.array_equal(matrix.external_row(ci, d), got[1]):
                ext[ci] = got[1]
        new_rows[d] = rows
        new_ext[d] = ext
    egress_new, ingress_new = new_rows["egress"], new_rows["ingress"]

    sets = table.sets
    # pairs from a class whose egress row changed: every destination where it changed, and
    # every destination whose ingress row changed (both sides new)
    changed_dst = np.zeros(matrix.n, dtype=bool)
    for dc in ingress_new:
        changed_dst[dc] = True
    for s, row in egress_new.items():
        dsts = np.nonzero((row != matrix.egress.row_of(s)) | changed_dst)[0]
        ingress = matrix.ingress_towards(s, dsts)
        for k, dc in enumerate(dsts.tolist()):
            new_in = ingress_new.get(dc)
            if new_in is not None:
                ingress[k] = new_in[s]
        old = matrix.row_ids(s)[dsts]
        new = table.meet(row[dsts], ingress)
        for k in np.nonzero(old != new)[0].tolist():
            yield PairChange(s, int(dsts[k]), None, sets[int(old[k])], sets[int(new[k])])
    # pairs into a class whose ingress row changed, from sources whose egress did not
    for dc, row in ingress_new.items():
        srcs = np.nonzero(row != matrix.ingress.row_of(dc))[0]
        srcs = srcs[np.fromiter((s not in egress_new for s in srcs.tolist()), bool, len(srcs))]
        if not len(srcs):
            continue
        egress = matrix.egress.rows[matrix.egress.group_of[srcs], dc]
        old = table.meet(egress, matrix.ingress.row_of(dc)[srcs])
        new = table.meet(egress, row[srcs])
        for k in np.nonzero(old != new)[0].tolist():
            yield PairChange(int(srcs[k]), dc, None, sets[int(old[k])], sets[int(new[k])])
    for direction, found in new_ext.items():
        for ci, row in found.items():
            old = matrix.external_row(ci, direction)
            for a in np.nonzero(row != old)[0].tolist():
                src, dst = (ci, None) if direction == "egress" else (None, ci)
                yield PairChange(src, dst, a, table.sets[int(old[a])], table.sets[int(row[a])])
