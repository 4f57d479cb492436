"""The proof: the engine's pod-level connectivity of snapshot + generated policies, compared
with the intent expanded to pod pairs (and address ranges). Every difference carries the
reason the engine gives for it, and a note when two workloads cannot be told apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from netreach.analyses.generate.intent import resolve_names
from netreach.engine import ipset
from netreach.engine.conns import EMPTY, ConnectionSet
from netreach.engine.verdict import DirectionVerdict
from netreach.model import Peer, Pod
from netreach.query.compare import differences
from netreach.query.ports import NamedPort
from netreach.query.reach import Reach

Span = tuple[int, int, ConnectionSet]  # an address range (ipset keys) and its connections


@dataclass(frozen=True, slots=True)
class Difference:
    """A pair whose allowed connections differ from the intent."""

    src: str
    dst: str
    extra: ConnectionSet  # allowed but not intended
    missing: ConnectionSet  # intended but not allowed
    reason: str

    def __str__(self) -> str:
        parts = []
        if not self.extra.is_empty:
            parts.append(f"too many: {self.extra}")
        if not self.missing.is_empty:
            parts.append(f"missing: {self.missing}")
        return f"{self.src} => {self.dst} : {'; '.join(parts)} ({self.reason})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "src": self.src,
            "dst": self.dst,
            "extra": self.extra.to_json(),
            "missing": self.missing.to_json(),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Proof:
    differences: tuple[Difference, ...] = ()

    @property
    def exact(self) -> bool:
        return not self.differences

    @property
    def broader_only(self) -> bool:
        """Nothing intended is missing; some pairs may allow more."""
        return all(d.missing.is_empty for d in self.differences)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "exact": self.exact,
            "broader_only": self.broader_only,
            "differences": [d.to_dict() for d in self.differences],
        }

    def text(self) -> str:
        if self.exact:
            return "proof: exactly the intended connections"
        n = len(self.differences)
        lines = [f"proof: {n} {'pair differs' if n == 1 else 'pairs differ'} from the intent"]
        # One line per difference: a newline in a name or reason must not forge a line.
        lines += [f"  {d}".replace("\n", "\\n") for d in self.differences]
        return "\n".join(lines)


@dataclass
class Expected:
    """The intent at pod level: pod pairs, and address ranges per pod."""

    pairs: dict[tuple[str, str], ConnectionSet] = field(default_factory=dict)
    egress_ranges: dict[str, list[Span]] = field(default_factory=dict)
    ingress_ranges: dict[str, list[Span]] = field(default_factory=dict)

    def add_pairs(
        self,
        srcs: Iterable[Pod],
        dsts: Iterable[Pod],
        conns: ConnectionSet,
        names: frozenset[NamedPort] = frozenset(),
    ) -> None:
        """`names`: container port names, resolved on each destination pod."""
        dst_list = [(d, conns | resolve_names(names, d) if names else conns) for d in dsts]
        for s in srcs:
            for d, on_d in dst_list:
                key = (s.id, d.id)
                self.pairs[key] = self.pairs.get(key, EMPTY) | on_d

    def add_range(self, pods: Iterable[Pod], cidr: str, conns: ConnectionSet, egress: bool) -> None:
        lo, hi = ipset.cidr_range(cidr)
        table = self.egress_ranges if egress else self.ingress_ranges
        for p in pods:
            table.setdefault(p.id, []).append((lo, hi, conns))


def prove(
    cluster: Reach,
    expected: Expected,
    scope: set[str],
    indistinct: Mapping[str, list[str]] | None = None,
) -> Proof:
    """Compare `cluster` (snapshot + generated policies) with `expected`, on every pair with
    at least one pod in the `scope` namespaces (the others are not the generator's)."""
    include_self = cluster.options.self_traffic == "policy"
    # A host-network pod's own side is never decided by policy: only pairs where the other
    # side is a policy-governed pod say anything about the generated policies.
    host = {p.id for p in cluster.pods if p.host_network}
    actual: dict[tuple[str, str], ConnectionSet] = {}
    out_ranges: dict[str, list[Span]] = {}
    in_ranges: dict[str, list[Span]] = {}
    conn_map = cluster.connectivity(
        "pod", external=True, merge_external=False, include_self=include_self
    )
    for c in conn_map:
        if (span := conn_map.span(c.dst)) is not None:
            out_ranges.setdefault(c.src, []).append((*span, c.conns))
        elif (span := conn_map.span(c.src)) is not None:
            in_ranges.setdefault(c.dst, []).append((*span, c.conns))
        else:
            actual[(c.src, c.dst)] = c.conns
    notes = indistinct or {}
    diffs: list[Difference] = []
    for s, d in sorted(set(actual) | set(expected.pairs)):
        if (s == d and not include_self) or not (_ns(s) in scope or _ns(d) in scope):
            continue
        if s in host and d in host:
            continue
        have, want = actual.get((s, d), EMPTY), expected.pairs.get((s, d), EMPTY)
        if have != want:
            diffs.append(_difference(cluster, s, d, s, d, have - want, want - have, notes))
    for pod_id in sorted(
        p
        for p in set(out_ranges) | set(expected.egress_ranges)
        if _ns(p) in scope and p not in host
    ):
        for lo, hi, extra, missing in differences(
            out_ranges.get(pod_id, []), expected.egress_ranges.get(pod_id, [])
        ):
            rng, ip = ipset.range_text(lo, hi), ipset.key_address(lo)
            diffs.append(_difference(cluster, pod_id, rng, pod_id, ip, extra, missing, notes))
    for pod_id in sorted(
        p
        for p in set(in_ranges) | set(expected.ingress_ranges)
        if _ns(p) in scope and p not in host
    ):
        for lo, hi, extra, missing in differences(
            in_ranges.get(pod_id, []), expected.ingress_ranges.get(pod_id, [])
        ):
            rng, ip = ipset.range_text(lo, hi), ipset.key_address(lo)
            diffs.append(_difference(cluster, rng, pod_id, ip, pod_id, extra, missing, notes))
    return Proof(tuple(diffs))


def _ns(pod_id: str) -> str:
    return pod_id.partition("/")[0]


def _difference(
    cluster: Reach,
    src: str,
    dst: str,
    src_ref: str,
    dst_ref: str,
    extra: ConnectionSet,
    missing: ConnectionSet,
    indistinct: Mapping[str, list[str]],
) -> Difference:
    """The engine's account of one sample connection of the difference (`*_ref`: a pod id or
    an address the engine can check)."""
    reasons: list[str] = []
    for pod_id in (src, dst):
        for group in indistinct.get(pod_id, []):
            reasons.append(
                f"{pod_id} carries every stable label of {group}: no selector tells them apart"
            )
    for conns, allowed in ((extra, True), (missing, False)):
        if conns.is_empty:
            continue
        proto, ranges = next(conns.items())
        verdict = cluster.check(src_ref, dst_ref, ranges[0][0], proto)
        sides = [v for v in verdict.reasons if v.pod is not None]
        if not allowed and not verdict.allowed:
            sides = [v for v in sides if not v.allowed]  # only the side that refuses
        reasons.append(f"e.g. {ranges[0][0]}/{proto}: " + "; ".join(_side(v) for v in sides))
        reasons += _ip_block_notes(verdict.egress, dst_ref)
        reasons += _ip_block_notes(verdict.ingress, src_ref)
    return Difference(src, dst, extra, missing, "; ".join(reasons))


def _ip_block_notes(side: DirectionVerdict, peer_ref: str) -> list[str]:
    """An ipBlock that admits a pod peer: pod IPs count as addresses of the range."""
    out = []
    for m in side.matches:
        if m.peer_index is None:
            continue
        peer = m.rule.peers[m.peer_index].peer
        block = peer.ip_block if isinstance(peer, Peer) else None
        if block is not None and "/" in peer_ref:
            out.append(
                f"ipBlock {block} also matches the IP of pod {peer_ref} (--ipblock-matches-pods)"
            )
    return out


def _side(side: DirectionVerdict) -> str:
    return f"{side.direction} {'allowed' if side.allowed else 'denied'}: {side.reason}"
