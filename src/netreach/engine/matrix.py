"""The full connectivity map on pod classes, factored so that memory stays linear in classes
times row groups, never classes squared.

A pair's connections are egress(src -> dst) AND ingress(dst <- src). Classes with the same
program (engine/tiers.py) for a direction share one row of that direction: the egress row of
a group is what its members may send to every class, the ingress row what its members accept
from every class. Each distinct row is computed once, by walking the other side's classes as
a partition (`walk_parts`), and stored as interned connection-set ids. A pair is then one
lookup in each row and one entry of an intersection table; a whole source row is a numpy
gather over the destinations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from netreach.engine.classes import PortsKey, bits_to_mask
from netreach.engine.compile import Compiled
from netreach.engine.conns import ALL, EMPTY, ConnectionSet
from netreach.engine.intervals import Ranges
from netreach.engine.rules import AnyRule
from netreach.engine.tiers import Program, Stage, walk_parts
from netreach.model import Direction


def _distinct(values: Any) -> Any:
    """The sorted distinct values of a 1-D array: np.unique's answer, without the import of
    numpy.ma that np.unique makes on its first call (10 ms of every run's start)."""
    ordered = np.sort(values)
    if ordered.size > 1:
        ordered = ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]
    return ordered


class ConnTable:
    """Interned connection sets: id 0 is the empty set, id 1 is everything.

    Unions and intersections of ids work on whole numpy arrays through tables filled
    lazily: a pair of ids is computed once, then every later pair is a lookup.
    """

    def __init__(self) -> None:
        self.sets: list[ConnectionSet] = [EMPTY, ALL]
        self._ids: dict[ConnectionSet, int] = {EMPTY: 0, ALL: 1}
        self._tables: dict[str, Any] = {}

    def id(self, conns: ConnectionSet) -> int:
        got = self._ids.get(conns)
        if got is None:
            got = len(self.sets)
            self.sets.append(conns)
            self._ids[conns] = got
        return got

    def __len__(self) -> int:
        return len(self.sets)

    def join(self, a: Any, b: Any) -> Any:
        """Elementwise union of two id arrays."""
        return self._apply("or", a, b)

    def meet(self, a: Any, b: Any) -> Any:
        """Elementwise intersection of two id arrays."""
        return self._apply("and", a, b)

    def _apply(self, op: str, a: Any, b: Any) -> Any:
        a = np.asarray(a, dtype=np.intp)
        b = np.asarray(b, dtype=np.intp)
        size = len(self.sets)
        if size > _DENSE_LIMIT:
            return self._apply_sparse(op, a, b)
        table = self._tables.get(op)
        if table is None or table.shape[0] < size:
            grown = np.full((size, size), -1, dtype=np.int32)
            if table is not None:
                grown[: table.shape[0], : table.shape[1]] = table
            table = self._tables[op] = grown
        got = table[a, b]
        missing = got < 0
        if missing.any():
            # the distinct missing pairs, as one integer key each (a 1-D unique is fast)
            keys = _distinct(a[missing].astype(np.int64) * size + b[missing])
            sets = self.sets
            for x, y in zip((keys // size).tolist(), (keys % size).tolist(), strict=True):
                res = sets[x] | sets[y] if op == "or" else sets[x] & sets[y]
                table[x, y] = self.id(res)
            if len(self.sets) > table.shape[0]:  # new sets: make room for later pairs
                self._tables[op] = table = np.pad(
                    table, (0, len(self.sets) - table.shape[0]), constant_values=-1
                )
            got = table[a, b]
        return got

    def _apply_sparse(self, op: str, a: Any, b: Any) -> Any:
        """Many distinct sets (a hostile input): pairs through a dict, no square table."""
        cache: dict[tuple[int, int], int] = self._tables.setdefault(op + "-pairs", {})
        size = len(self.sets)
        keys, inverse = np.unique(
            a.ravel().astype(np.int64) * size + b.ravel(), return_inverse=True
        )
        sets = self.sets
        out = []
        for x, y in zip((keys // size).tolist(), (keys % size).tolist(), strict=True):
            got = cache.get((x, y))
            if got is None:
                res = sets[x] | sets[y] if op == "or" else sets[x] & sets[y]
                got = cache[(x, y)] = self.id(res)
            out.append(got)
        return np.asarray(out, dtype=np.int32)[inverse.reshape(-1)].reshape(a.shape)

    def reduce_join(self, rows: Any, axis: int = 0) -> Any:
        """The union along one axis of a 2-D id array."""
        rows = np.asarray(rows)
        if rows.shape[axis] == 0:
            shape = list(rows.shape)
            del shape[axis]
            return np.zeros(shape, dtype=np.int32)
        rows = np.moveaxis(rows, axis, 0)
        acc = rows[0]
        for more in rows[1:]:
            if not np.array_equal(acc, more):
                acc = self.join(acc, more)
        return acc


RowKey = tuple[Program, PortsKey | None]
# Sources per block in `ClassMatrix.joined_row`.
_JOIN_BLOCK = 256
# Past this many distinct connection sets, pair tables would be too big to keep square.
_DENSE_LIMIT = 2048


class DirectionRows:
    """One direction's rows: per row group, connection ids towards every class of the other
    side (egress: destinations; ingress: sources)."""

    def __init__(self, matrix: ClassMatrix, direction: Direction) -> None:
        compiled = matrix.compiled
        self.direction = direction
        self.matrix = matrix
        n = len(compiled.classes)
        keys: dict[RowKey, int] = {}
        self.group_of = np.zeros(n, dtype=np.intp)
        self.keys: list[RowKey] = []
        self.members: list[list[int]] = []
        for c in compiled.classes:
            key = matrix.row_key(c.index, direction)
            g = keys.get(key)
            if g is None:
                g = keys[key] = len(self.keys)
                self.keys.append(key)
                self.members.append([])
            self.group_of[c.index] = g
            self.members[g].append(c.index)
        self.rows = np.empty((len(self.keys), n), dtype=np.int32)
        for g, (program, own_ports) in enumerate(self.keys):
            self.rows[g] = matrix.row(program, direction, own_ports)

    def row_of(self, ci: int) -> Any:
        return self.rows[self.group_of[ci]]


class ClassMatrix:
    """Allowed connections between every pair of pod classes (and, on demand, IP atoms)."""

    def __init__(self, compiled: Compiled) -> None:
        self.compiled = compiled
        self.table = ConnTable()
        self.n = len(compiled.classes)
        self._port_groups: list[tuple[PortsKey, int]] | None = None
        self._rule_atoms: dict[int, int] = {}
        self._rule_bits = _RuleBits(compiled)
        self._self_ids: dict[int, int] = {}
        self._external_cache: dict[Direction, Any] = {}
        self.egress = DirectionRows(self, "egress")
        self.ingress = DirectionRows(self, "ingress")
        # ingress ids laid out by source class, so a source's view of every destination
        # group is one contiguous row
        self._ingress_by_src = np.ascontiguousarray(self.ingress.rows.T)

    # --- rows ----------------------------------------------------------------------------------
    def row_key(self, ci: int, direction: Direction) -> RowKey:
        """What a class's row depends on: its program and, for ingress rules with named ports,
        its own container ports (named ports resolve on the destination)."""
        program = self.compiled.row_program(ci, direction).effective
        if direction == "ingress" and self._has_named(program):
            return program, self.compiled.classes[ci].ports
        return program, None

    def _has_named(self, program: Program) -> bool:
        if not all(_snapshot_rules(s) for s in program.stages):
            return program.has_named
        named = self._rule_bits.named
        return any(bool(named[s.ids].any()) for s in program.stages if s.rules)

    def port_groups(self) -> list[tuple[PortsKey, int]]:
        """Destination classes grouped by container ports (egress named ports resolve there)."""
        if self._port_groups is None:
            groups: dict[PortsKey, int] = {}
            for c in self.compiled.classes:
                groups[c.ports] = groups.get(c.ports, 0) | (1 << c.index)
            self._port_groups = list(groups.items())
        return self._port_groups

    def pieces(
        self, rule: AnyRule, direction: Direction, own_ports: PortsKey | None
    ) -> list[tuple[int, ConnectionSet]]:
        """The other side's classes a rule admits, with what it opens towards them."""
        if direction == "ingress" or not rule.has_named:
            # ingress: named ports resolve on this (destination) class
            dst = own_ports if direction == "ingress" else None
            return [(rule.classes, rule.conns_for(dst))]
        return [(rule.classes & bits, rule.conns_for(ports)) for ports, bits in self.port_groups()]

    def parts(
        self, program: Program, direction: Direction, own_ports: PortsKey | None
    ) -> list[tuple[int, ConnectionSet]]:
        """The other side's classes partitioned by what the program allows them."""
        if program.is_open:
            return [(self.compiled.all_classes, ALL)]
        if (
            len(program.stages) == 1
            and program.stages[0].tier == "NetworkPolicy"
            and _snapshot_rules(program.stages[0])
        ):
            return self._union_parts(program.stages[0], direction, own_ports)
        walked = walk_parts(
            program,
            self.compiled.all_classes,
            lambda r: self.pieces(r, direction, own_ports),
        )
        merged: dict[ConnectionSet, int] = {}
        for bits, state in walked:
            res = state.result
            merged[res] = merged.get(res, 0) | bits
        return [(bits, conns) for conns, bits in merged.items()]

    def _union_parts(
        self, stage: Stage, direction: Direction, own_ports: PortsKey | None
    ) -> list[tuple[int, ConnectionSet]]:
        """NetworkPolicy alone (a closed stage of Allow rules): the walk is the union of what
        the rules open, so rules opening the same connections merge into one bitset first
        (one numpy OR over their packed bitsets), and only the distinct connection sets
        refine the partition."""
        by_conns: dict[ConnectionSet, int] = {}
        bits_of = self._rule_bits
        ids = stage.ids
        named = bits_of.named[ids]
        for rid in ids[named].tolist():  # named ports resolve per destination: one by one
            for bits, conns in self.pieces(self.compiled.rules[rid], direction, own_ports):
                if bits and not conns.is_empty:
                    by_conns[conns] = by_conns.get(conns, 0) | bits
        plain = ids[~named]
        keys = bits_of.numeric_key[plain]
        for key in _distinct(keys).tolist():
            conns = bits_of.numerics[key]
            if not conns.is_empty:
                bits = bits_of.union(plain[keys == key])
                by_conns[conns] = by_conns.get(conns, 0) | bits
        parts: list[tuple[int, ConnectionSet]] = [(self.compiled.all_classes, EMPTY)]
        for conns, bits in by_conns.items():
            if not bits:
                continue
            out: list[tuple[int, ConnectionSet]] = []
            for pbits, pconns in parts:
                inside = pbits & bits
                if inside:
                    out.append((inside, pconns | conns))
                    rest = pbits & ~bits
                    if rest:
                        out.append((rest, pconns))
                else:
                    out.append((pbits, pconns))
            parts = out
        return parts

    def row(self, program: Program, direction: Direction, own_ports: PortsKey | None) -> Any:
        """Connection ids towards every class of the other side."""
        if program.is_open:
            return np.ones(self.n, dtype=np.int32)
        out = np.zeros(self.n, dtype=np.int32)
        for bits, conns in self.parts(program, direction, own_ports):
            if not conns.is_empty:
                out[bits_to_mask(bits, self.n)] = self.table.id(conns)
        return out

    # --- pairs -----------------------------------------------------------------------------
    def row_ids(self, src_class: int) -> Any:
        """Connection ids from one source class to every destination class."""
        egress = self.egress.row_of(src_class)
        ingress = self._ingress_by_src[src_class][self.ingress.group_of]
        return self.table.meet(egress, ingress)

    def rows_ids(self, src_classes: Sequence[int] | Any) -> Any:
        """`row_ids` for several sources at once (a 2-D array, one row per source)."""
        src = np.asarray(src_classes, dtype=np.intp)
        egress = self.egress.rows[self.egress.group_of[src]]
        ingress = self._ingress_by_src[src][:, self.ingress.group_of]
        return self.table.meet(egress, ingress)

    def joined_row(self, src_classes: Sequence[int]) -> Any:
        """The union of several sources' rows (a node of many classes), a block of sources at
        a time: memory stays a block times the classes, not sources times classes (a namespace
        of 3,900 classes: 15 million ids at once, 600 MB with their temporaries)."""
        acc: Any = None
        for lo in range(0, len(src_classes), _JOIN_BLOCK):
            part = self.table.reduce_join(self.rows_ids(src_classes[lo : lo + _JOIN_BLOCK]))
            acc = part if acc is None else self.table.join(acc, part)
        return acc

    def ingress_towards(self, src_class: int, dst_classes: Any) -> Any:
        """The ingress side only: what each destination class accepts from `src_class`."""
        return self._ingress_by_src[src_class][self.ingress.group_of[dst_classes]].copy()

    def block_ids(self, src_classes: Any, dst_classes: Any) -> Any:
        """Connection ids for every (source, destination) of two lists of classes."""
        return self.rows_ids(src_classes)[:, np.asarray(dst_classes, dtype=np.intp)]

    def id(self, src_class: int, dst_class: int) -> int:
        e = self.egress.rows[self.egress.group_of[src_class], dst_class]
        i = self.ingress.rows[self.ingress.group_of[dst_class], src_class]
        return int(self.table.meet(np.array([e]), np.array([i]))[0])

    def conns(self, src_class: int, dst_class: int) -> ConnectionSet:
        return self.table.sets[self.id(src_class, dst_class)]

    # --- a pod's traffic to itself ---------------------------------------------------------
    @property
    def self_exempt(self) -> bool:
        """Whether some rule leaves a pod's traffic to itself alone (ClusterNetworkPolicy),
        so a pod's connection to itself may differ from its class's pairs."""
        return any(r.self_exempt for r in self.compiled.rules)

    def self_id(self, ci: int) -> int:
        """What a pod of class `ci` may send to itself: its class pair, walked without the
        rules that leave self traffic alone."""
        got = self._self_ids.get(ci)
        if got is None:
            if not self.self_exempt:
                got = self.id(ci, ci)
            else:
                got = self.table.id(self._self_side(ci, "egress") & self._self_side(ci, "ingress"))
            self._self_ids[ci] = got
        return got

    def _self_side(self, ci: int, direction: Direction) -> ConnectionSet:
        program = self.compiled.program(ci, direction).without(lambda r: r.self_exempt).effective
        own = self.compiled.classes[ci].ports if direction == "ingress" else None
        walked = walk_parts(program, 1 << ci, lambda r: self.pieces(r, direction, own))
        return walked[0][1].result

    # --- what earlier rules leave ------------------------------------------------------------
    def left_after(
        self,
        earlier: Program,
        direction: Direction,
        own_ports: PortsKey | None,
        rule: AnyRule,
        include_passed: bool,
    ) -> bool:
        """Whether `rule` still has something to decide after the rules of `earlier` (the
        stages before it, its own tier last and left open): for some peer it names, some of
        what it opens is still open to it (`include_passed`: or was passed on by a Pass)."""
        pieces = self.pieces(rule, direction, own_ports)
        for bits, state in walk_parts(
            earlier,
            rule.classes,
            lambda r: self.pieces(r, direction, own_ports),
            close_last=False,
        ):
            left = state.undecided if include_passed else state.remaining
            for pbits, conns in pieces:
                if pbits & bits and not (left & conns).is_empty:
                    return True
        atoms = self._atom_bits(rule)
        if not atoms:
            return False
        dst = own_ports if direction == "ingress" else None
        opens = rule.conns_for(dst)
        for _, state in walk_parts(
            earlier, atoms, lambda r: [(self._atom_bits(r), r.conns_for(dst))], close_last=False
        ):
            left = state.undecided if include_passed else state.remaining
            if not (left & opens).is_empty:
                return True
        return False

    # --- external addresses ------------------------------------------------------------------
    def atom_bits(self, rule: AnyRule) -> int:
        """The IP atoms a rule's peers admit, as a bitset over atoms (for analyses that walk
        address atoms themselves: exposure, guards)."""
        return self._atom_bits(rule)

    def atoms_of(self, ranges: Ranges) -> int:
        """The atoms inside `ranges` (a union of whole atoms, e.g. a peer's addresses)."""
        return _ranges_atoms(self.compiled, ranges)

    def _atom_bits(self, rule: AnyRule) -> int:
        """The IP atoms a rule's peers admit, as a bitset over atoms."""
        got = self._rule_atoms.get(rule.id)
        if got is None:
            got = _ranges_atoms(self.compiled, rule.ips)
            self._rule_atoms[rule.id] = got
        return got

    def external_row(self, class_index: int, direction: Direction) -> Any:
        """Per IP atom: the class's egress to it, or ingress from it (only the pod's side)."""
        side = self.egress if direction == "egress" else self.ingress
        return self._external_rows(direction)[side.group_of[class_index]]

    def external(self, direction: Direction) -> Any:
        """Per class and IP atom (a 2-D array of connection ids)."""
        side = self.egress if direction == "egress" else self.ingress
        return self._external_rows(direction)[side.group_of]

    def _external_rows(self, direction: Direction) -> Any:
        got = self._external_cache.get(direction)
        if got is not None:
            return got
        side = self.egress if direction == "egress" else self.ingress
        rows = np.ones((len(side.keys), len(self.compiled.atoms)), dtype=np.int32)
        for g, (program, own_ports) in enumerate(side.keys):
            if not program.is_open:
                rows[g] = self.external_row_for(program, direction, own_ports)
        self._external_cache[direction] = rows
        return rows

    def external_row_for(
        self, program: Program, direction: Direction, own_ports: PortsKey | None
    ) -> Any:
        """Per IP atom: what the program allows towards (egress) or from (ingress) it."""
        n_atoms = len(self.compiled.atoms)
        if program.is_open:
            return np.ones(n_atoms, dtype=np.int32)
        # an address has no named ports; an ingress rule resolves on this pod
        dst = own_ports if direction == "ingress" else None
        walked = walk_parts(
            program, (1 << n_atoms) - 1, lambda r: [(self._atom_bits(r), r.conns_for(dst))]
        )
        row = np.zeros(n_atoms, dtype=np.int32)
        for bits, state in walked:
            res = state.result
            if not res.is_empty:
                row[bits_to_mask(bits, n_atoms)] = self.table.id(res)
        return row


def _snapshot_rules(stage: Stage) -> bool:
    """Whether every rule of the stage is one of the snapshot's (a what-if may add detached
    rules, whose ids are negative and index nothing)."""
    return not len(stage.ids) or int(stage.ids.min()) >= 0


class _RuleBits:
    """Every rule's peer classes as packed bits, one row per rule, with its numeric
    connections interned: the union of many rules' classes is one numpy OR over rows
    (per-pod NotIn selectors give thousands of rules per class)."""

    def __init__(self, compiled: Compiled) -> None:
        rules = compiled.rules
        self._rules = rules
        self._nbytes = max((len(compiled.classes) + 7) // 8, 1)
        self._rows: Any = None
        self.named = np.fromiter((r.has_named for r in rules), dtype=bool, count=len(rules))
        keys: dict[ConnectionSet, int] = {}
        self.numeric_key = np.fromiter(
            (keys.setdefault(r.numeric, len(keys)) for r in rules), dtype=np.intp, count=len(rules)
        )
        self.numerics = list(keys)

    def union(self, ids: Any) -> int:
        if len(ids) < 32:  # a few rules: Python ints are quicker than a gather
            out = 0
            for i in ids.tolist():
                out |= self._rules[i].classes
            return out
        if self._rows is None:
            self._rows = np.frombuffer(
                b"".join(r.classes.to_bytes(self._nbytes, "little") for r in self._rules),
                np.uint8,
            ).reshape(len(self._rules), self._nbytes)
        got = np.bitwise_or.reduce(self._rows[ids], axis=0)
        return int.from_bytes(got.tobytes(), "little")


def _ranges_atoms(compiled: Compiled, ranges: Ranges) -> int:
    """Atoms inside `ranges` (a union of whole atoms) as a bitset."""
    atoms = compiled.atoms
    bits = 0
    for lo, hi in ranges:
        i = atoms.index(lo)
        j = atoms.index(hi)
        bits |= ((1 << (j - i + 1)) - 1) << i
    return bits
