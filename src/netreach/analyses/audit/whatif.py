"""What-if: the connections the current policies allow against those of a changed set, over
the same pods, read from the engine's class matrices (no pod-level map is built).

Pods are grouped by their (current class, changed class) pair, so each group is compared
once; external addresses are compared on the cuts of both address-atom sets.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from netreach.engine import ipset
from netreach.engine.compile import Compiled
from netreach.engine.conns import ConnectionSet
from netreach.engine.matrix import ClassMatrix
from netreach.model import Direction, Pod

ConnMap = dict[tuple[str, str], ConnectionSet]


class Maps:
    """One compiled snapshot and its matrices (external rows computed once, on demand)."""

    def __init__(self, compiled: Compiled, matrix: ClassMatrix | None = None) -> None:
        self.compiled = compiled
        self.matrix = matrix or ClassMatrix(compiled)
        self._external: dict[Direction, Any] = {}

    def external(self, direction: Direction) -> Any:
        got = self._external.get(direction)
        if got is None:
            got = self._external[direction] = self.matrix.external(direction)
        return got


def compare(now: Maps, then: Maps, namespace: str, direction: Direction) -> tuple[ConnMap, ConnMap]:
    """(lost, gained) per pair, for connections from (egress) or to (ingress) the pods of
    `namespace`: what `now` allows that `then` does not, and the reverse."""
    a, b = now.compiled, then.compiled
    groups: dict[tuple[int, int], list[Pod]] = {}
    for p in a.snapshot.pods:
        groups.setdefault((a.class_of[p.id], b.class_of[p.id]), []).append(p)
    keys = list(groups)
    pods = [groups[k] for k in keys]
    ja = np.array([k[0] for k in keys], dtype=np.intp)
    jb = np.array([k[1] for k in keys], dtype=np.intp)
    mine = np.array([i for i, ps in enumerate(pods) if ps[0].namespace == namespace], dtype=np.intp)
    lost: ConnMap = {}
    gained: ConnMap = {}
    if not len(mine):
        return lost, gained
    ext_now, ext_then = now.external(direction), then.external(direction)  # interns sets
    if direction == "egress":
        old_ids = now.matrix.block_ids(ja[mine], ja)
        new = then.matrix.block_ids(jb[mine], jb)
    else:
        old_ids = now.matrix.block_ids(ja, ja[mine])
        new = then.matrix.block_ids(jb, jb[mine])
    table = then.matrix.table
    # now's interned ids translated into then's table, so equal sets have equal ids: built
    # after reading the pairs above, which interns the sets their meets make
    lut = np.array([table.id(s) for s in now.matrix.table.sets], dtype=np.int32)
    old = lut[old_ids]
    self_free = a.options.self_traffic == "allowed"

    def record(src: str, dst: str, old: ConnectionSet, new: ConnectionSet) -> None:
        if not (old - new).is_empty:
            lost[(src, dst)] = old - new
        if not (new - old).is_empty:
            gained[(src, dst)] = new - old

    for r, c in zip(*np.nonzero(old != new), strict=True):
        src, dst = (mine[r], c) if direction == "egress" else (r, mine[c])
        for ps in pods[src]:
            for pd in pods[dst]:
                if ps is pd and self_free:
                    continue  # always allowed, both sides
                record(ps.id, pd.id, table.sets[old[r, c]], table.sets[new[r, c]])

    starts = sorted(set(a.atoms.starts) | set(b.atoms.starts))
    ia = np.array([a.atoms.index(s) for s in starts], dtype=np.intp)
    ib = np.array([b.atoms.index(s) for s in starts], dtype=np.intp)
    old_x = lut[ext_now[np.ix_(ja[mine], ia)]]
    new_x = ext_then[np.ix_(jb[mine], ib)]
    for r, k in zip(*np.nonzero(old_x != new_x), strict=True):
        hi = starts[k + 1] - 1 if k + 1 < len(starts) else ipset.SPACE_END
        rng = ipset.range_text(starts[k], hi)
        for p in pods[mine[r]]:
            src, dst = (p.id, rng) if direction == "egress" else (rng, p.id)
            record(src, dst, table.sets[old_x[r, k]], table.sets[new_x[r, k]])
    return lost, gained
