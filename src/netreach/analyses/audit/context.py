"""What every check reads: the cluster, the settings, and engine questions checks share
(representative pods, the connections a changed set of policies would allow)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from functools import cached_property
from typing import Any

from netreach.analyses.audit import whatif as recompiled
from netreach.analyses.audit.config import AuditConfig
from netreach.analyses.audit.findings import Finding, ObjectRef, Severity
from netreach.analyses.audit.registry import CHECKS
from netreach.analyses.audit.whatif import ConnMap, Maps
from netreach.engine import ipset, whatif
from netreach.engine.compile import Compiled, NPRule
from netreach.engine.conns import EMPTY, ConnectionSet
from netreach.engine.whatif import Change
from netreach.model import Direction, NetworkPolicy, Pod, Rule, Snapshot
from netreach.query.reach import Reach


class AuditContext:
    def __init__(self, cluster: Reach, config: AuditConfig) -> None:
        self.cluster = cluster
        self.config = config
        self.notes: list[str] = []  # what the report should say beside its findings
        self._grouped: dict[str, tuple[int, list[str]]] = {}  # note template -> (at, items)

    def note(self, template: str, item: str) -> None:
        """One note per template, listing every item once (`{}` in the template)."""
        at, items = self._grouped.get(template, (len(self.notes), []))
        if item not in items:
            items.append(item)
        text = template.replace("{}", ", ".join(items))
        if template in self._grouped:
            self.notes[at] = text
        else:
            self.notes.append(text)
        self._grouped[template] = (at, items)

    # --- scope and naming ---------------------------------------------------------------------
    def in_scope(self, namespace: str | None) -> bool:
        return self.config.in_scope(namespace)

    def finding(
        self,
        check: str,
        message: str,
        objects: Sequence[ObjectRef],
        fix: str,
        *,
        severity: Severity | None = None,
        **details: Any,
    ) -> Finding:
        return Finding(
            check, severity or CHECKS[check].severity, message, list(objects), fix, details
        )

    @cached_property
    def workload_pods(self) -> list[Pod]:
        """One pod per workload (replicas are alike to every policy), sorted by workload id."""
        return [
            pods[0] for w, pods in sorted(self.cluster.workloads.items(), key=lambda x: x[0].id)
        ]

    def policies(self) -> Iterator[tuple[int, NetworkPolicy]]:
        """Policies in scope, with their index in the compiled form."""
        for pi, pol in enumerate(self.cluster.compiled.policies):
            if self.in_scope(pol.namespace):
                yield pi, pol

    def rules(self, pi: int) -> Iterator[NPRule]:
        """The rules of policy `pi` in the directions it isolates (the others do nothing)."""
        pol = self.cluster.compiled.policies[pi]
        for direction in pol.policy_types:
            yield from self.cluster.compiled.policy_rules[pi][direction]

    def pods_of_classes(self, bits: int) -> list[Pod]:
        compiled = self.cluster.compiled
        out: list[Pod] = []
        for c in compiled.classes:
            if bits >> c.index & 1:
                out.extend(c.pods)
        return out

    # --- what-if: ask the engine about a changed set of policies ------------------------------
    @cached_property
    def _now(self) -> Maps:
        return Maps(self.cluster.compiled, self.cluster.matrix)

    def _pod_pairs(self, change: Change) -> Iterator[tuple[str, str, ConnectionSet, ConnectionSet]]:
        """The changed class pairs as pod pairs (src, dst, old, new); a pod's traffic to
        itself is left out when it is always allowed."""
        compiled = self.cluster.compiled
        atoms = compiled.atoms
        self_free = compiled.options.self_traffic == "allowed"
        for pc in whatif.differences(self.cluster.matrix, change):
            if pc.atom is not None:
                rng = ipset.range_text(*atoms.bounds(pc.atom))
                if pc.src is not None:
                    for p in compiled.classes[pc.src].pods:
                        yield p.id, rng, pc.old, pc.new
                else:
                    assert pc.dst is not None
                    for p in compiled.classes[pc.dst].pods:
                        yield rng, p.id, pc.old, pc.new
                continue
            assert pc.src is not None and pc.dst is not None
            for ps in compiled.classes[pc.src].pods:
                for pd in compiled.classes[pc.dst].pods:
                    if ps is pd and self_free:
                        continue  # always allowed, both sides
                    yield ps.id, pd.id, pc.old, pc.new

    def changes_nothing(self, change: Change) -> bool:
        """Whether the change leaves every connection as it is."""
        return next(self._pod_pairs(change), None) is None

    def what_if(self, change: Change) -> tuple[ConnMap, ConnMap]:
        """(lost, gained): per pair, what the current policies allow that the change would
        not, and the reverse."""
        lost: ConnMap = {}
        gained: ConnMap = {}
        for src, dst, old, new in self._pod_pairs(change):
            if not (old - new).is_empty:
                lost[(src, dst)] = old - new
            if not (new - old).is_empty:
                gained[(src, dst)] = new - old
        return lost, gained

    def compare(
        self, changed: Sequence[NetworkPolicy], namespace: str, *directions: Direction
    ) -> tuple[ConnMap, ConnMap]:
        """(lost, gained) against a recompiled snapshot with the policies `changed`: for a
        change the engine's classes cannot express in place (a selector that splits a class).

        Only pairs a policy of `namespace` can affect in `directions` are compared: from its
        pods (egress) and to its pods (ingress)."""
        return self.compare_snapshot(
            replace(self.cluster.snapshot, policies=list(changed)), namespace, *directions
        )

    def compare_snapshot(
        self, snapshot: Snapshot, namespace: str, *directions: Direction
    ) -> tuple[ConnMap, ConnMap]:
        """`compare` against a changed snapshot (policies of any kind changed)."""
        then = Maps(Compiled(snapshot, self.cluster.options))
        lost: ConnMap = {}
        gained: ConnMap = {}
        for d in directions:
            lo, ga = recompiled.compare(self._now, then, namespace, d)
            lost |= lo
            gained |= ga
        return lost, gained


def diff(a: ConnMap, b: ConnMap) -> ConnMap:
    """Per pair, what `a` has that `b` has not (pairs with nothing left out)."""
    out: ConnMap = {}
    for pair, conns in a.items():
        rest = conns - b.get(pair, EMPTY)
        if not rest.is_empty:
            out[pair] = rest
    return out


def describe_pairs(pairs: ConnMap, limit: int = 3) -> str:
    """`a -> b : TCP 80; ...` for the first pairs, and how many more."""
    items = sorted(pairs.items())
    shown = "; ".join(f"{s} -> {d} : {c}" for (s, d), c in items[:limit])
    more = len(items) - limit
    return shown + (f" (and {more} more)" if more > 0 else "")


def with_rules(pol: NetworkPolicy, direction: Direction, rules: Sequence[Rule]) -> NetworkPolicy:
    """The policy with the rules of one direction replaced (for what-if questions)."""
    if direction == "ingress":
        return replace(pol, ingress=tuple(rules))
    return replace(pol, egress=tuple(rules))
