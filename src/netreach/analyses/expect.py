"""Connectivity expectations ("api reaches db on 5432", "db only from api") checked against a
cluster, with the offending pairs and the engine's explanation of each.

Pairs are evaluated per pod class (the engine's unit: pods no policy can tell apart), so a
selection of thousands of pods costs as many checks as it has classes; offending pod pairs
are then counted exactly and the first few reported. External addresses are evaluated per IP
atom (a range every policy treats alike). A pod's traffic to itself is never checked.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from netreach.engine import ipset
from netreach.engine.conns import EMPTY, ConnectionSet
from netreach.model import Location, Pod, Protocol
from netreach.query.ports import PortSpec

if TYPE_CHECKING:
    from netreach.query.reach import Reach

Expected = Literal["allow", "deny"]
MAX_REPORTED = 10  # groups of offending pairs shown per expectation (all pairs are counted)


@dataclass(frozen=True)
class Selector:
    """Pods (every given field must hold) or, with `cidr`, external addresses."""

    namespace: str | None = None
    pod: str | None = None
    workload: str | None = None  # `name` or `name[Kind]`
    labels: Mapping[str, str] = field(default_factory=dict)
    namespace_labels: Mapping[str, str] = field(default_factory=dict)
    cidr: str | None = None

    @property
    def is_cidr(self) -> bool:
        return self.cidr is not None

    @property
    def ranges(self) -> tuple[int, int]:
        assert self.cidr is not None
        return ipset.cidr_range(self.cidr)

    def matches(self, pod: Pod, namespace_labels: Mapping[str, str]) -> bool:
        if self.cidr is not None:
            return False
        if self.namespace is not None and pod.namespace != self.namespace:
            return False
        if self.pod is not None and pod.name != self.pod:
            return False
        if self.workload is not None and self.workload not in (
            pod.workload.name,
            f"{pod.workload.name}[{pod.workload.kind}]",
        ):
            return False
        if any(pod.labels.get(k) != v for k, v in self.labels.items()):
            return False
        return all(namespace_labels.get(k) == v for k, v in self.namespace_labels.items())

    def __str__(self) -> str:
        if self.cidr is not None:
            return f"cidr {self.cidr}"
        parts = [
            f"{key} {value}"
            for key, value in (
                ("namespace", self.namespace),
                ("pod", self.pod),
                ("workload", self.workload),
            )
            if value is not None
        ]
        if self.labels:
            parts.append("labels " + ",".join(f"{k}={v}" for k, v in sorted(self.labels.items())))
        if self.namespace_labels:
            parts.append(
                "namespace-labels "
                + ",".join(f"{k}={v}" for k, v in sorted(self.namespace_labels.items()))
            )
        return " ".join(parts) or "every pod"


@dataclass(frozen=True)
class Expectation:
    """`expect` (allow/deny for every pair of `src` x `dst`), or `only_from` / `only_to`
    (the complete set of peers allowed to reach `dst` / be reached from `src`)."""

    name: str
    src: tuple[Selector, ...] = ()  # empty: every pod (for `expect`)
    dst: tuple[Selector, ...] = ()
    port: PortSpec | None = None
    expect: Expected | None = None
    only_from: tuple[Selector, ...] | None = None
    only_to: tuple[Selector, ...] | None = None
    location: Location | None = None


@dataclass(frozen=True)
class Offence:
    """One offending pair: what is allowed (or missing), and the engine's account of it.
    `similar` counts the other offending pairs the engine cannot tell apart from this one
    (same pod classes, or same address atom): same connections, same explanation."""

    src: str
    dst: str
    conns: ConnectionSet
    problem: str  # "allowed" (should not be) or "denied" (should be allowed)
    explanation: str
    similar: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "src": self.src,
            "dst": self.dst,
            "problem": self.problem,
            "connections": str(self.conns),
            "explanation": self.explanation,
            "similar": self.similar,
        }


@dataclass
class Result:
    expectation: Expectation
    offences: list[Offence] = field(default_factory=list)  # one per group, the first few
    failures: int = 0  # offending pairs (pod pairs, or pod x address range), all counted
    note: str = ""  # why it failed without pairs (e.g. a selection matches nothing)

    @property
    def passed(self) -> bool:
        return self.failures == 0 and not self.note

    def to_dict(self) -> dict[str, Any]:
        loc = self.expectation.location
        return {
            "name": self.expectation.name,
            "location": str(loc) if loc is not None else None,
            "passed": self.passed,
            "failures": self.failures,
            "note": self.note or None,
            "offences": [o.to_dict() for o in self.offences],
        }


def check_expectations(cluster: Reach, expectations: Sequence[Expectation]) -> list[Result]:
    """Evaluate every expectation; the results are in the same order."""
    checker = _Checker(cluster)
    return [checker.check(e) for e in expectations]


# --- evaluation ----------------------------------------------------------------------------------


class _Checker:
    def __init__(self, cluster: Reach) -> None:
        self.cluster = cluster
        self.compiled = cluster.compiled
        self.matrix = cluster.matrix
        self._external: dict[str, Any] = {}

    # selections
    def pods(self, selectors: Sequence[Selector]) -> list[Pod]:
        ns = self.cluster.namespaces
        out: list[Pod] = []
        for p in self.cluster.pods:
            labels = ns[p.namespace].labels if p.namespace in ns else {}
            if not selectors or any(s.matches(p, labels) for s in selectors):
                out.append(p)
        return out

    def by_class(self, pods: Sequence[Pod]) -> dict[int, list[Pod]]:
        groups: dict[int, list[Pod]] = {}
        for p in pods:
            groups.setdefault(self.compiled.class_of[p.id], []).append(p)
        return groups

    def external(self, direction: Literal["egress", "ingress"]) -> Any:
        if direction not in self._external:
            self._external[direction] = self.matrix.external(direction)
        return self._external[direction]

    def atoms_in(self, lo: int, hi: int) -> Iterator[tuple[int, int, int]]:
        """(atom index, lo, hi) of the atoms overlapping [lo, hi], clipped to it."""
        atoms = self.compiled.atoms
        a = atoms.index(lo)
        while a < len(atoms):
            alo, ahi = atoms.bounds(a)
            if alo > hi:
                break
            yield a, max(alo, lo), min(ahi, hi)
            a += 1

    def pair_conns(self, src: int, dst: int) -> ConnectionSet:
        return self.matrix.conns(src, dst)

    # one expectation
    def check(self, e: Expectation) -> Result:
        if e.expect is not None:
            return self._expect(e)
        if e.only_from is not None:
            return self._only(e, e.dst, e.only_from, "ingress")
        assert e.only_to is not None
        return self._only(e, e.src, e.only_to, "egress")

    def _wanted(self, e: Expectation, dst: Pod | None) -> ConnectionSet | None:
        """The connections the expectation speaks of; None: "any connection"."""
        return e.port.conns_for(dst) if e.port is not None else None

    def _side(self, selectors: Sequence[Selector]) -> tuple[list[Pod], list[Selector]]:
        """The pods and the address selections of one side; no selector: every pod."""
        cidrs = [s for s in selectors if s.is_cidr]
        pod_selectors = [s for s in selectors if not s.is_cidr]
        pods = self.pods(pod_selectors) if pod_selectors or not selectors else []
        return pods, cidrs

    def _expect(self, e: Expectation) -> Result:
        result = Result(e)
        allow = e.expect == "allow"
        src_pods, src_cidrs = self._side(e.src)
        dst_pods, dst_cidrs = self._side(e.dst)
        for key, pods, cidrs in (("from", src_pods, src_cidrs), ("to", dst_pods, dst_cidrs)):
            if not pods and not cidrs:
                result.note = f"`{key}` selects no pod in the snapshot"
                return result

        def judge(allowed: ConnectionSet, wanted: ConnectionSet | None) -> ConnectionSet:
            """What offends: the wanted connections missing (allow) or present (deny)."""
            if wanted is None:
                if allow:
                    return ConnectionSet.all() if allowed.is_empty else EMPTY
                return allowed
            return wanted - allowed if allow else wanted & allowed

        problem = "denied" if allow else "allowed"
        src_groups, dst_groups = self.by_class(src_pods), self.by_class(dst_pods)
        for cs, spods in src_groups.items():
            for cd, dpods in dst_groups.items():
                pairs = [(sp, dp) for sp in spods for dp in dpods if sp.id != dp.id]
                if not pairs:
                    continue
                wanted = self._wanted(e, dpods[0])
                if allow and wanted is not None and wanted.is_empty:
                    self._add(result, pairs, None, problem, e)  # no such named port
                    continue
                offending = judge(self.pair_conns(cs, cd), wanted)
                if not offending.is_empty:
                    self._add(result, pairs, offending, problem, e)
        for sel in dst_cidrs:
            lo, hi = sel.ranges
            ids = self.external("egress")
            for cs, spods in src_groups.items():
                for a, alo, ahi in self.atoms_in(lo, hi):
                    allowed = self.matrix.table.sets[int(ids[cs, a])]
                    offending = judge(allowed, self._wanted(e, None))
                    if not offending.is_empty:
                        rng = ipset.range_text(alo, ahi)
                        self._add(result, [(s, rng) for s in spods], offending, problem, e)
        for sel in src_cidrs:
            lo, hi = sel.ranges
            ids = self.external("ingress")
            for cd, dpods in dst_groups.items():
                for a, alo, ahi in self.atoms_in(lo, hi):
                    allowed = self.matrix.table.sets[int(ids[cd, a])]
                    offending = judge(allowed, self._wanted(e, dpods[0]))
                    if not offending.is_empty:
                        rng = ipset.range_text(alo, ahi)
                        self._add(result, [(rng, d) for d in dpods], offending, problem, e)
        return result

    def _only(
        self,
        e: Expectation,
        anchor: Sequence[Selector],
        allowed_peers: Sequence[Selector],
        direction: Literal["ingress", "egress"],
    ) -> Result:
        """Every peer with a connection to (ingress) / from (egress) the anchor pods must
        match one of `allowed_peers`."""
        result = Result(e)
        anchors = self.pods(anchor)
        if not anchors:
            key = "to" if direction == "ingress" else "from"
            result.note = f"`{key}` selects no pod in the snapshot"
            return result
        ns = self.cluster.namespaces
        pod_sels = [s for s in allowed_peers if not s.is_cidr]
        permitted_ips = ipset.union([(s.ranges,) for s in allowed_peers if s.is_cidr])
        everyone = self.by_class(self.cluster.pods)
        for ca, apods in self.by_class(anchors).items():
            for cp, ppods in everyone.items():
                if direction == "ingress":
                    allowed = self.pair_conns(cp, ca)
                    wanted = self._wanted(e, apods[0])
                else:
                    allowed = self.pair_conns(ca, cp)
                    wanted = self._wanted(e, ppods[0])
                reach = allowed if wanted is None else allowed & wanted
                if reach.is_empty:
                    continue
                strangers = [
                    p
                    for p in ppods
                    if not any(
                        s.matches(p, ns[p.namespace].labels if p.namespace in ns else {})
                        for s in pod_sels
                    )
                ]
                pairs = [
                    (p, a) if direction == "ingress" else (a, p)
                    for a in apods
                    for p in strangers
                    if p.id != a.id
                ]
                self._add(result, pairs, reach, "allowed", e)
            ids = self.external(direction)
            for a, alo, ahi in self.atoms_in(0, ipset.SPACE_END):
                allowed = self.matrix.table.sets[int(ids[ca, a])]
                wanted = self._wanted(e, apods[0] if direction == "ingress" else None)
                reach = allowed if wanted is None else allowed & wanted
                if reach.is_empty:
                    continue
                for rlo, rhi in ipset.subtract(((alo, ahi),), permitted_ips):
                    rng = ipset.range_text(rlo, rhi)
                    pairs_ext = [(rng, p) if direction == "ingress" else (p, rng) for p in apods]
                    self._add(result, pairs_ext, reach, "allowed", e)
        return result

    # reporting
    def _add(
        self,
        result: Result,
        pairs: Sequence[tuple[Pod | str, Pod | str]],
        conns: ConnectionSet | None,
        problem: str,
        e: Expectation,
    ) -> None:
        """Count a group of pairs the engine treats alike; report its first pair."""
        if not pairs:
            return
        result.failures += len(pairs)
        if len(result.offences) >= MAX_REPORTED:
            return
        src, dst = pairs[0]
        s_id = src.id if isinstance(src, Pod) else src
        d_id = dst.id if isinstance(dst, Pod) else dst
        similar = len(pairs) - 1
        if conns is None:
            text = f"{d_id} has no container port named {e.port}"
            result.offences.append(Offence(s_id, d_id, EMPTY, "denied", text, similar))
        else:
            explanation = self._explain(src, dst, conns)
            result.offences.append(Offence(s_id, d_id, conns, problem, explanation, similar))

    def _explain(self, src: Pod | str, dst: Pod | str, conns: ConnectionSet) -> str:
        """The engine's verdict for the first offending port (one address of a range)."""
        proto, port = _first(conns)
        s = src if isinstance(src, Pod) else ipset.key_address(ipset.parse_range(src)[0])
        d = dst if isinstance(dst, Pod) else ipset.key_address(ipset.parse_range(dst)[0])
        return self.cluster.check(s, d, port, proto).explain()


def _first(conns: ConnectionSet) -> tuple[Protocol, int]:
    for proto, ranges in conns.items():
        if ranges:
            return proto, ranges[0][0]
    return "TCP", 1
