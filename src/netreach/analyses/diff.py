"""What a policy change does to reachability: connections added, removed or changed.

Both sides are read from `Reach.connectivity()`; external address ranges are re-cut on
the union of both sides' boundaries, so a range split differently on each side compares by
meaning. The reasons on each side (which rules open the difference, which policies isolate)
come from the engine (`contributions`, `Compiled.isolating`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, Protocol

from netreach.analyses.refs import RuleRef
from netreach.engine import ipset
from netreach.engine.compile import NPRule
from netreach.engine.conns import EMPTY, ConnectionSet
from netreach.engine.verdict import Endpoint, contributions
from netreach.errors import QueryError
from netreach.model import Direction, Pod
from netreach.query.compare import Piece, recut
from netreach.query.connectivity import Connectivity, Level

if TYPE_CHECKING:
    from netreach.query.reach import Reach

ChangeKind = Literal["added", "removed", "changed"]
CHANGE_KINDS: tuple[ChangeKind, ...] = ("added", "removed", "changed")
# src, dst, before, after, src is an address range, dst is an address range
_Row = tuple[str, str, ConnectionSet, ConnectionSet, bool, bool]


@dataclass(frozen=True, slots=True)
class Why:
    """One direction on one side: egress at the source, or ingress at the destination."""

    direction: Direction
    endpoint: str
    isolated: bool
    allowed_by: tuple[RuleRef, ...] = ()
    isolated_by: tuple[str, ...] = ()  # "ns/name (file:line)"

    def __str__(self) -> str:
        where = "egress from" if self.direction == "egress" else "ingress to"
        head = f"{where} {self.endpoint}: "
        if not self.isolated:
            return head + "not isolated"
        if self.allowed_by:
            # Admin-tier rules carry their action (Allow, Deny, Pass) in their name
            tiered = any(r.policy.startswith("[") for r in self.allowed_by)
            verb = "decided by " if tiered else "allowed by "
            return head + verb + "; ".join(str(r) for r in self.allowed_by)
        return head + "isolated by " + ", ".join(self.isolated_by) + ", no rule opens it"

    def to_dict(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "endpoint": self.endpoint,
            "isolated": self.isolated,
            "allowed_by": [r.to_dict() for r in self.allowed_by],
            "isolated_by": list(self.isolated_by),
        }


class Explainer(Protocol):
    def why(self, src: str, dst: str, delta: ConnectionSet) -> tuple[Why, ...]: ...


@dataclass(frozen=True)
class Change:
    """One ordered pair whose allowed connections differ between OLD and NEW."""

    kind: ChangeKind
    src: str
    dst: str
    before: ConnectionSet
    after: ConnectionSet
    appeared: tuple[str, ...] = ()  # endpoints of this pair that exist only in NEW
    vanished: tuple[str, ...] = ()  # endpoints of this pair that exist only in OLD
    external: tuple[bool, bool] = (False, False)  # src, dst: an address range?
    # Reasons are worked out on first use: a large diff rendered as a capped table (or only
    # checked with --fail-on) needs few of them.
    sides: tuple[Explainer | None, Explainer | None] = field(
        default=(None, None), repr=False, compare=False
    )

    @cached_property
    def old(self) -> tuple[Why, ...]:
        """The reasons on the old side (empty: an endpoint is absent there)."""
        side = self.sides[0]
        return side.why(self.src, self.dst, self.delta) if side is not None else ()

    @cached_property
    def new(self) -> tuple[Why, ...]:
        side = self.sides[1]
        return side.why(self.src, self.dst, self.delta) if side is not None else ()

    @property
    def delta(self) -> ConnectionSet:
        """The connections allowed on one side only."""
        return self.grown | self.shrunk

    @property
    def grown(self) -> ConnectionSet:
        return self.after - self.before

    @property
    def shrunk(self) -> ConnectionSet:
        return self.before - self.after

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "src": self.src,
            "dst": self.dst,
            "before": str(self.before),
            "after": str(self.after),
            "before_set": self.before.to_json(),
            "after_set": self.after.to_json(),
            "old": [w.to_dict() for w in self.old],
            "new": [w.to_dict() for w in self.new],
            "appeared": list(self.appeared),
            "vanished": list(self.vanished),
            "external": list(self.external),
        }


@dataclass
class DiffReport:
    """Every changed pair, sorted by source then destination, and the endpoints that
    appeared or vanished."""

    by: Level
    changes: list[Change] = field(default_factory=list)
    appeared: list[str] = field(default_factory=list)
    vanished: list[str] = field(default_factory=list)

    def of_kind(self, kind: ChangeKind) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]

    @property
    def counts(self) -> dict[ChangeKind, int]:
        out: dict[ChangeKind, int] = dict.fromkeys(CHANGE_KINDS, 0)
        for c in self.changes:
            out[c.kind] += 1
        return out

    def __bool__(self) -> bool:
        return bool(self.changes or self.appeared or self.vanished)

    def has(self, kind: ChangeKind) -> bool:
        """`added`: some connection is newly allowed (a new pair, or a pair that gained ports);
        `removed`: some connection is no longer allowed; `changed`: some pair allowed on both
        sides has a different connection set."""
        if kind == "added":
            return any(not c.grown.is_empty for c in self.changes)
        if kind == "removed":
            return any(not c.shrunk.is_empty for c in self.changes)
        return any(c.kind == "changed" for c in self.changes)

    def summary(self) -> str:
        n = self.counts
        total = len(self.changes)
        text = (
            f"{total} connection{'s' if total != 1 else ''} changed by {self.by}: "
            f"{n['added']} added, {n['removed']} removed, {n['changed']} changed"
        )
        if self.appeared:
            text += f"; {len(self.appeared)} {self.by}(s) appeared"
        if self.vanished:
            text += f"; {len(self.vanished)} {self.by}(s) vanished"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "by": self.by,
            "summary": dict(self.counts),
            "appeared": list(self.appeared),
            "vanished": list(self.vanished),
            "changes": [c.to_dict() for c in self.changes],
        }


def diff(
    old: Reach,
    new: Reach,
    by: Level = "workload",
    *,
    external: bool = True,
    namespaces: Sequence[str] | None = None,
    include_self: bool = True,
    ipv6: bool = True,
    explain: bool = True,
) -> DiffReport:
    """The connections `new` allows that `old` did not (added), the reverse (removed), and
    the pairs allowed on both sides with different connection sets (changed).

    `by`: pod, workload or namespace. `external`: include address ranges outside the cluster.
    `ipv6=False` leaves IPv6 ranges out. `explain`: compute the reasons on each side.
    """
    if by not in ("pod", "workload", "namespace"):
        raise QueryError(f"unknown level {by!r} (expected pod, workload or namespace)")
    maps = [
        c.connectivity(by, external, namespaces=namespaces, include_self=include_self)
        for c in (old, new)
    ]
    old_nodes, new_nodes = (_internal_nodes(m) for m in maps)
    old_int, old_ext = _split(maps[0], old_nodes)
    new_int, new_ext = _split(maps[1], new_nodes)

    raw: list[_Row] = []
    starts: dict[str, int] = {}  # each re-cut address range's first address (integer key)
    for key, after in new_int.items():
        before = old_int.pop(key, EMPTY)
        if before != after:
            raw.append((key[0], key[1], before, after, False, False))
    raw.extend((s, d, before, EMPTY, False, False) for (s, d), before in old_int.items())
    for key in old_ext.keys() | new_ext.keys():
        node, direction = key
        for lo, hi, before, after in recut(old_ext.get(key, []), new_ext.get(key, [])):
            if not ipv6 and lo >= ipset.V6_OFFSET:
                continue
            rng = ipset.range_text(lo, hi)
            starts[rng] = lo
            if direction == "egress":
                raw.append((node, rng, before, after, False, True))
            else:
                raw.append((rng, node, before, after, True, False))

    # names first, sorted; address ranges after them, by address
    def sort_key(node: str, external: bool) -> tuple[int, int, str]:
        return (1, starts[node], "") if external else (0, 0, node)

    raw.sort(key=lambda r: (sort_key(r[0], r[4]), sort_key(r[1], r[5])))

    appeared = sorted(new_nodes.keys() - old_nodes.keys())
    vanished = sorted(old_nodes.keys() - new_nodes.keys())
    only_new, only_old = set(appeared), set(vanished)
    sides: tuple[Explainer | None, Explainer | None] = (
        (_Side(old, old_nodes, by, starts), _Side(new, new_nodes, by, starts))
        if explain
        else (None, None)
    )
    changes = [
        Change(
            "added" if before.is_empty else "removed" if after.is_empty else "changed",
            src,
            dst,
            before,
            after,
            appeared=_members(src, dst, only_new),
            vanished=_members(src, dst, only_old),
            external=(src_ext, dst_ext),
            sides=sides,
        )
        for src, dst, before, after, src_ext, dst_ext in raw
    ]
    return DiffReport(by, changes, appeared, vanished)


# --- internals ---------------------------------------------------------------------------------


def _members(src: str, dst: str, nodes: set[str]) -> tuple[str, ...]:
    if not nodes:
        return ()
    return tuple(n for n in ((src,) if src == dst else (src, dst)) if n in nodes)


Pair = tuple[str, str]
ExtKey = tuple[str, Direction]  # (internal node, egress to ranges | ingress from ranges)


def _internal_nodes(cmap: Connectivity) -> dict[str, str | None]:
    return {n.id: n.namespace for n in cmap.nodes if not n.is_external}


def _span(cmap: Connectivity, node: str) -> tuple[int, int]:
    span = cmap.span(node)
    assert span is not None, node  # not internal, so an external node of this map
    return span


def _split(
    cmap: Connectivity, internal: dict[str, str | None]
) -> tuple[dict[Pair, ConnectionSet], dict[ExtKey, list[Piece]]]:
    pairs: dict[Pair, ConnectionSet] = {}
    ext: dict[ExtKey, list[Piece]] = {}
    for c in cmap:
        if c.src in internal and c.dst in internal:
            pairs[(c.src, c.dst)] = c.conns
        elif c.src in internal:
            ext.setdefault((c.src, "egress"), []).append((*_span(cmap, c.dst), c.conns))
        else:
            ext.setdefault((c.dst, "ingress"), []).append((*_span(cmap, c.src), c.conns))
    return pairs, ext


class _Side:
    """Reasons on one side: which rules open the difference, which policies isolate."""

    def __init__(
        self, cluster: Reach, nodes: dict[str, str | None], by: Level, starts: dict[str, int]
    ) -> None:
        self.cluster = cluster
        self.nodes = nodes
        self.by = by
        self._starts = starts  # address range -> its first address (shared by both sides)
        self._pods: dict[str, Pod] = {}
        if by == "pod":
            self._pods = {p.id: p for p in cluster.pods}
        elif by == "workload":
            for wl, pods in cluster.workloads.items():
                self._pods.setdefault(wl.id, pods[0])
        self._cache: dict[
            tuple[str, int, int, ConnectionSet], tuple[bool, tuple[RuleRef, ...], tuple[str, ...]]
        ] = {}
        self._rules: dict[int, RuleRef] = {}
        self._addresses: dict[str, str] = {}
        self._policies: dict[int, str] = {}

    def endpoint(self, node: str) -> Endpoint | None:
        """A pod standing for the node, an address for a range; None when absent."""
        if node in self.nodes:
            return self._pods.get(node)
        got = self._addresses.get(node)
        if got is None:
            start = self._starts.get(node)
            if start is None:
                return None
            got = self._addresses[node] = ipset.key_address(start)
        return got

    def why(self, src: str, dst: str, delta: ConnectionSet) -> tuple[Why, ...]:
        s, d = self.endpoint(src), self.endpoint(dst)
        if s is None or d is None:
            return ()
        out: list[Why] = []
        if isinstance(s, Pod):
            out.append(self._direction("egress", s, d, src, delta))
        if isinstance(d, Pod):
            out.append(self._direction("ingress", d, s, dst, delta))
        return tuple(out)

    def _direction(
        self, direction: Direction, pod: Pod, peer: Endpoint, label: str, delta: ConnectionSet
    ) -> Why:
        """Cached per (direction, pod class, peer class or IP atom, difference): the engine
        treats every member alike, and a large diff repeats the same few questions."""
        compiled = self.cluster.compiled
        if pod.host_network:
            return Why(direction, label, False)
        ci = compiled.class_of[pod.id]
        peer_key = (
            compiled.class_of[peer.id]
            if isinstance(peer, Pod)
            else -1 - compiled.atoms.index(ipset.ip_key(peer))
        )
        key = (direction, ci, peer_key, delta)
        got = self._cache.get(key)
        if got is None:
            got = self._reasons(direction, ci, pod, peer, delta)
            self._cache[key] = got
        return Why(direction, label, *got)

    def _reasons(
        self, direction: Direction, ci: int, pod: Pod, peer: Endpoint, delta: ConnectionSet
    ) -> tuple[bool, tuple[RuleRef, ...], tuple[str, ...]]:
        compiled = self.cluster.compiled
        isolating = compiled.isolating[direction][ci]
        found = contributions(compiled, direction, pod, peer)
        tiers = [
            (rule, part)
            for rule, part in found
            if rule.tier != "NetworkPolicy" and not (part & delta).is_empty
        ]
        # Calico tiers and Cilium's default deny close a stage without NetworkPolicy's isolation
        closed = tuple(
            f"{'Calico tier ' + st.name if st.tier == 'Calico' else st.title} (its end denies)"
            for st in compiled.program(ci, direction).stages
            if st.closed and st.tier in ("Calico", "Cilium")
        )
        if not isolating and not tiers and not closed:
            return False, (), ()
        rules = tuple(
            self._rule_ref(rule)
            for rule, conns in found
            if rule.tier == "NetworkPolicy" and not (conns & delta).is_empty
        )
        # Admin and Baseline rules that decide part of the difference (Allow, Deny or Pass)
        rules += tuple(
            RuleRef(
                f"[{rule.tier}] {rule.policy.id} {rule.action}",
                direction,
                rule.index,
                rule.location or None,
            )
            for rule, _ in tiers
        )
        return True, rules, tuple(self._policy_text(i) for i in isolating) + closed

    def _rule_ref(self, rule: NPRule) -> RuleRef:
        got = self._rules.get(rule.id)
        if got is None:
            loc = rule.policy.location
            where = str(loc.at("spec", rule.direction, rule.index)) if loc is not None else None
            got = RuleRef(rule.policy.id, rule.direction, rule.index, where)
            self._rules[rule.id] = got
        return got

    def _policy_text(self, index: int) -> str:
        got = self._policies.get(index)
        if got is None:
            p = self.cluster.compiled.policies[index]
            got = f"{p.id} ({p.location})" if p.location is not None else p.id
            self._policies[index] = got
        return got
