"""The full connectivity map, computed on pod classes with numpy.

Classes selected by the same policies share one egress row (or one ingress column, plus
their named ports), so each distinct row is computed once by partition refinement over class
bitsets, then broadcast. A pair's connections are egress(src -> dst) AND ingress(dst <- src):
an elementwise intersection of two interned-id matrices through a lookup table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from netreach.engine.admin import AdminCompiledRule
from netreach.engine.compile import Compiled, CompiledRule, PortsKey
from netreach.engine.conns import ALL, EMPTY, ConnectionSet
from netreach.engine.tiers import NO_RULES, TierWalk, resolve
from netreach.model import Direction

Part = tuple[int, ConnectionSet]  # (class bitset, connections)
WalkPart = tuple[int, TierWalk]  # (class bitset, a tier's outcome so far)


class ConnTable:
    """Interned connection sets: id 0 is the empty set, id 1 is everything."""

    def __init__(self) -> None:
        self.sets: list[ConnectionSet] = [EMPTY, ALL]
        self._ids: dict[ConnectionSet, int] = {EMPTY: 0, ALL: 1}

    def id(self, conns: ConnectionSet) -> int:
        got = self._ids.get(conns)
        if got is None:
            got = len(self.sets)
            self.sets.append(conns)
            self._ids[conns] = got
        return got

    def __len__(self) -> int:
        return len(self.sets)


def bits_to_mask(bits: int, size: int) -> Any:
    """A Python-int bitset as a numpy bool array of `size` entries."""
    nbytes = (size + 7) // 8
    raw = np.frombuffer(bits.to_bytes(nbytes, "little"), dtype=np.uint8)
    return np.unpackbits(raw, bitorder="little")[:size].astype(bool)


def refine(parts: list[Part], bits: int, conns: ConnectionSet) -> list[Part]:
    """Add `conns` on the classes in `bits` to a partition of classes."""
    if not bits or conns.is_empty:
        return parts
    out: list[Part] = []
    for pbits, pconns in parts:
        inside = pbits & bits
        if inside:
            out.append((inside, pconns | conns))
            rest = pbits & ~bits
            if rest:
                out.append((rest, pconns))
        else:
            out.append((pbits, pconns))
    return out


def refine_walk(
    parts: list[WalkPart], bits: int, rule: AdminCompiledRule, conns: ConnectionSet
) -> list[WalkPart]:
    """Apply one admin rule (opening `conns` to the classes in `bits`) to a partition."""
    if not bits or conns.is_empty:
        return parts
    out: list[WalkPart] = []
    for pbits, state in parts:
        inside = pbits & bits
        if inside:
            out.append((inside, state.step(rule.action, conns)))
            rest = pbits & ~bits
            if rest:
                out.append((rest, state))
        else:
            out.append((pbits, state))
    return out


class ClassMatrix:
    """Allowed connections between every pair of pod classes (and, on demand, IP atoms)."""

    def __init__(self, compiled: Compiled) -> None:
        self.compiled = compiled
        self.table = ConnTable()
        n = len(compiled.classes)
        self.n = n
        self._named_groups: dict[PortsKey, int] | None = None
        egress = np.empty((n, n), dtype=np.int32)
        ingress = np.empty((n, n), dtype=np.int32)  # ingress[d, s]
        for rows, row in self._rows("egress"):
            egress[rows] = row
        for rows, row in self._rows("ingress"):
            ingress[rows] = row
        self.ids = self._intersect(egress, ingress.T)

    # --- rows ----------------------------------------------------------------------------------
    def _ports_groups(self) -> dict[PortsKey, int]:
        if self._named_groups is None:
            groups: dict[PortsKey, int] = {}
            for c in self.compiled.classes:
                groups[c.ports] = groups.get(c.ports, 0) | (1 << c.index)
            self._named_groups = groups
        return self._named_groups

    def _signature(self, ci: int, direction: Direction) -> tuple[object, ...]:
        pols = tuple(self.compiled.isolating[direction][ci])
        admin, baseline = self.compiled.tier_rules(ci, direction)
        if admin or baseline:
            if pols:
                baseline = []  # never consulted for a pod NetworkPolicy isolates
            named = direction == "ingress" and (
                any(r.has_named for r in (*admin, *baseline))
                or any(
                    r.has_named for pi in pols for r in self.compiled.policy_rules[pi]["ingress"]
                )
            )
            tiers = (tuple(id(r) for r in admin), tuple(id(r) for r in baseline))
            return ("tiers", pols, tiers, self.compiled.classes[ci].ports if named else None)
        if not pols:
            return ()
        if direction == "ingress" and any(
            r.has_named for pi in pols for r in self.compiled.policy_rules[pi]["ingress"]
        ):
            return (pols, self.compiled.classes[ci].ports)
        return (pols,)

    def _rows(self, direction: Direction) -> Iterable[tuple[Any, Any]]:
        groups: dict[tuple[object, ...], list[int]] = {}
        for c in self.compiled.classes:
            groups.setdefault(self._signature(c.index, direction), []).append(c.index)
        for sig, members in groups.items():
            rows = np.array(members, dtype=np.intp)
            if not sig:
                yield rows, np.full(self.n, 1, dtype=np.int32)
                continue
            ci = members[0]
            if sig[0] == "tiers":
                yield rows, self._tier_row(ci, direction)
                continue
            parts = self.parts(ci, direction)
            row = np.zeros(self.n, dtype=np.int32)
            for bits, conns in parts:
                if not conns.is_empty:
                    row[bits_to_mask(bits, self.n)] = self.table.id(conns)
            yield rows, row

    def parts(self, ci: int, direction: Direction) -> list[Part]:
        """For an isolated class: the other side's classes partitioned by allowed connections."""
        compiled = self.compiled
        parts: list[Part] = [(compiled.all_classes, EMPTY)]
        own_ports = compiled.classes[ci].ports
        for rule in compiled.class_rules(ci, direction):
            if direction == "ingress" or not rule.has_named:
                # ingress: named ports resolve on this (destination) class
                parts = refine(parts, rule.classes, rule.conns_for(own_ports))
            else:
                # egress: named ports resolve on each destination, grouped by port map
                for ports, gbits in self._ports_groups().items():
                    parts = refine(parts, rule.classes & gbits, rule.conns_for(ports))
        return parts

    def walk_parts(
        self, ci: int, direction: Direction, rules: Sequence[AdminCompiledRule]
    ) -> list[WalkPart]:
        """The other side's classes partitioned by one tier's outcome for class `ci`."""
        parts: list[WalkPart] = [(self.compiled.all_classes, NO_RULES)]
        own_ports = self.compiled.classes[ci].ports
        for rule in rules:
            if direction == "ingress" or not rule.has_named:
                parts = refine_walk(parts, rule.classes, rule, rule.conns_for(own_ports))
            else:
                for ports, gbits in self._ports_groups().items():
                    parts = refine_walk(parts, rule.classes & gbits, rule, rule.conns_for(ports))
        return parts

    def _tier_row(self, ci: int, direction: Direction) -> Any:
        """A row of class `ci` with admin tiers: each tier's partition labelled per class,
        the distinct label triples resolved once (engine/tiers.py), then broadcast."""
        compiled = self.compiled
        admin, baseline = compiled.tier_rules(ci, direction)
        isolated = compiled.is_isolated(ci, direction)
        walks: list[TierWalk] = []
        walk_ids: dict[TierWalk, int] = {}

        def wid_of(state: TierWalk) -> int:
            wid = walk_ids.get(state)
            if wid is None:
                wid = walk_ids[state] = len(walks)
                walks.append(state)
            return wid

        def label_walks(parts: list[WalkPart]) -> Any:
            out = np.zeros(self.n, dtype=np.int32)
            for bits, state in parts:
                out[bits_to_mask(bits, self.n)] = wid_of(state)
            return out

        a_ids = label_walks(self.walk_parts(ci, direction, admin))
        if isolated:
            np_ids = np.zeros(self.n, dtype=np.int32)
            for bits, conns in self.parts(ci, direction):
                if not conns.is_empty:
                    np_ids[bits_to_mask(bits, self.n)] = self.table.id(conns)
            b_ids = np.full(self.n, wid_of(NO_RULES), dtype=np.int32)
        else:
            np_ids = np.ones(self.n, dtype=np.int32)
            b_ids = label_walks(self.walk_parts(ci, direction, baseline))
        keys = np.stack([a_ids, np_ids, b_ids], axis=1)
        uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
        results = np.array(
            [
                self.table.id(
                    resolve(walks[int(a)], isolated, self.table.sets[int(n)], walks[int(b)])
                )
                for a, n, b in uniq.tolist()
            ],
            dtype=np.int32,
        )
        return results[inverse.reshape(-1)]

    def _intersect(self, egress: Any, ingress_t: Any) -> Any:
        t = self.table
        e_ids = np.unique(egress)
        i_ids = np.unique(ingress_t)
        lut = np.zeros(
            (int(e_ids.max(initial=0)) + 1, int(i_ids.max(initial=0)) + 1), dtype=np.int32
        )
        for a in e_ids.tolist():
            for b in i_ids.tolist():
                lut[a, b] = t.id(t.sets[a] & t.sets[b])
        return lut[egress, ingress_t]

    def conns(self, src_class: int, dst_class: int) -> ConnectionSet:
        return self.table.sets[int(self.ids[src_class, dst_class])]

    # --- external addresses ----------------------------------------------------------------------
    def external(self, direction: Direction) -> Any:
        """Per class and IP atom: egress to the atom, or ingress from it (only the pod's side)."""
        compiled = self.compiled
        atoms = compiled.atoms
        out = np.ones((self.n, len(atoms)), dtype=np.int32)
        cache: dict[tuple[object, ...], Any] = {}
        for c in compiled.classes:
            sig = self._signature(c.index, direction)
            if not sig:
                continue
            if c.host_network:
                continue
            row = cache.get(sig)
            if row is None:
                row = self._external_row(
                    compiled.class_rules(c.index, direction), c.ports, direction
                )
                if sig[0] == "tiers":
                    row = self._external_tier_row(c.index, direction, row)
                cache[sig] = row
            out[c.index] = row
        for c in compiled.classes:
            if c.host_network:
                out[c.index] = 1
        return out

    def _external_row(
        self, rules: Sequence[CompiledRule], own_ports: PortsKey, direction: Direction
    ) -> Any:
        atoms = self.compiled.atoms
        per_atom: list[ConnectionSet] = [EMPTY] * len(atoms)
        for rule in rules:
            # an IP destination has no named ports; an ingress rule resolves on this pod
            conns = rule.conns_for(own_ports if direction == "ingress" else None)
            if conns.is_empty:
                continue
            for a in atoms.covered(rule.ips):
                per_atom[a] = per_atom[a] | conns
        return np.array([self.table.id(c) for c in per_atom], dtype=np.int32)

    def _external_tier_row(self, ci: int, direction: Direction, np_row: Any) -> Any:
        """Per IP atom: the tiers resolved, with `np_row` the NetworkPolicy ids per atom."""
        compiled = self.compiled
        atoms = compiled.atoms
        admin, baseline = compiled.tier_rules(ci, direction)
        isolated = compiled.is_isolated(ci, direction)
        own_ports = compiled.classes[ci].ports if direction == "ingress" else None

        def walks(rules: Sequence[AdminCompiledRule]) -> list[TierWalk]:
            per_atom = [NO_RULES] * len(atoms)
            for rule in rules:
                conns = rule.conns_for(own_ports)
                if conns.is_empty or not rule.ips:
                    continue
                for a in atoms.covered(rule.ips):
                    per_atom[a] = per_atom[a].step(rule.action, conns)
            return per_atom

        a_walks = walks(admin)
        b_walks = walks(baseline) if not isolated else [NO_RULES] * len(atoms)
        return np.array(
            [
                self.table.id(
                    resolve(
                        a_walks[i],
                        isolated,
                        self.table.sets[int(np_row[i])] if isolated else ALL,
                        b_walks[i],
                    )
                )
                for i in range(len(atoms))
            ],
            dtype=np.int32,
        )
