"""One comparison of two maps over the address line: diff, generate's proof and compat all
re-cut both sides' address ranges on the union of their boundaries here.

A piece is `(lo, hi, connections)` with integer address keys (engine.ipset: IPv4 first, then
IPv6 from V6_OFFSET), as `Connectivity.span` gives them. Pieces of one side may overlap:
their connections add up (a union), as several rules' address blocks do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from itertools import pairwise

from netreach.engine import ipset
from netreach.engine.conns import EMPTY, ConnectionSet

Piece = tuple[int, int, ConnectionSet]
Cut = tuple[int, int, ConnectionSet, ConnectionSet]  # lo, hi, before (old), after (new)


def recut(old: Iterable[Piece], new: Iterable[Piece]) -> list[Cut]:
    """The ranges where the two sides' connections differ, as (lo, hi, before, after);
    neighbours with the same (before, after) merged, never across IPv4 and IPv6."""
    events: dict[int, list[tuple[int, int, ConnectionSet]]] = {ipset.V6_OFFSET: []}
    for side, pieces in ((0, old), (1, new)):
        for lo, hi, conns in pieces:
            events.setdefault(lo, []).append((side, 1, conns))
            events.setdefault(hi + 1, []).append((side, -1, conns))
    if len(events) == 1:
        return []
    open_sets: tuple[Counter[ConnectionSet], Counter[ConnectionSet]] = (Counter(), Counter())
    out: list[Cut] = []
    for a, b in pairwise(sorted(events)):
        for side, delta, conns in events[a]:
            count = open_sets[side][conns] + delta
            if count:
                open_sets[side][conns] = count
            else:
                del open_sets[side][conns]  # the unions below read only what is open
        before = _union(open_sets[0])
        after = _union(open_sets[1])
        if before == after:
            continue
        if out and out[-1][1] == a - 1 and out[-1][2:] == (before, after) and a != ipset.V6_OFFSET:
            out[-1] = (out[-1][0], b - 1, before, after)
        else:
            out.append((a, b - 1, before, after))
    return out


def differences(actual: Iterable[Piece], expected: Iterable[Piece]) -> list[Cut]:
    """`recut` as (lo, hi, extra, missing): what `actual` allows beyond `expected`, and what
    it lacks; neighbours with the same difference merged (never across IPv4 and IPv6)."""
    out: list[Cut] = []
    for lo, hi, have, want in recut(actual, expected):
        extra, missing = have - want, want - have
        if (
            out
            and out[-1][1] == lo - 1
            and out[-1][2:] == (extra, missing)
            and lo != ipset.V6_OFFSET
        ):
            out[-1] = (out[-1][0], hi, extra, missing)
        else:
            out.append((lo, hi, extra, missing))
    return out


def _union(items: Iterable[ConnectionSet]) -> ConnectionSet:
    acc = EMPTY
    for c in items:
        acc = acc | c
    return acc
