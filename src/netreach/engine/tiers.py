"""The one tier walk: how a pod's rules of every tier decide a direction, on connection sets.

Tiers apply in precedence order: the Admin tier (AdminNetworkPolicy and ClusterNetworkPolicy
admin rules, by priority), NetworkPolicy, the Baseline tier, then the default (allowed).
Within a tier the first matching rule decides a connection: Allow and Deny are final, Pass
hands it to the next tier. NetworkPolicy rules all allow, so first match and union agree;
a pod that NetworkPolicy isolates for the direction (a policy selects it with that policy
type) has the tier *closed*: what its rules leave undecided is denied at the end of the tier,
so the Baseline tier never sees it. What no tier decides is allowed.

The same walk serves the network plugins' own tiers: each Calico tier is a stage (first match
within it; Allow, Deny final, Pass to the next tier, Log matches and goes on), closed when
some policy of the tier selects the pod and the tier's default action is Deny; Cilium's deny
rules are a stage of Deny rules before the stage of its allow rules (with NetworkPolicy's),
closed when default deny applies. Stage kinds are listed in `StageKind`.

Every query goes through here: a verdict walks one connection (engine/verdict.py), the matrix
walks the other side's classes as a partition (engine/matrix.py), and the audit and diff read
the same walk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np

from netreach.engine.conns import ALL, EMPTY, ConnectionSet
from netreach.engine.rules import Action, AnyRule

# Admin / Baseline: network-policy-api tiers; NetworkPolicy: Kubernetes NetworkPolicy alone;
# Calico: one Calico tier (its name in Stage.name); CiliumDeny: Cilium's deny rules;
# Cilium: Cilium's allow rules with NetworkPolicy's.
StageKind = Literal["Admin", "NetworkPolicy", "Baseline", "Calico", "CiliumDeny", "Cilium"]


@dataclass(frozen=True, slots=True)
class TierWalk:
    """What the walk decided so far. Within a tier: `passed` waits for the next tier and
    `remaining` is still open to this tier's later rules."""

    allowed: ConnectionSet = EMPTY
    denied: ConnectionSet = EMPTY
    passed: ConnectionSet = EMPTY
    remaining: ConnectionSet = ALL

    def step(self, action: Action, conns: ConnectionSet) -> TierWalk:
        """Apply one matching rule opening `conns`: it decides only what is still open."""
        if action == "Log":
            return self  # logs, and the next rule decides
        part = self.remaining & conns
        if part.is_empty:
            return self
        rest = self.remaining - part
        if action == "Allow":
            return TierWalk(self.allowed | part, self.denied, self.passed, rest)
        if action == "Deny":
            return TierWalk(self.allowed, self.denied | part, self.passed, rest)
        return TierWalk(self.allowed, self.denied, self.passed | part, rest)

    def close(self, closed: bool) -> TierWalk:
        """The end of a tier: a closed tier denies what its rules left open; passed and
        (in an open tier) unmatched connections go on to the next tier."""
        if closed:
            return TierWalk(self.allowed, self.denied | self.remaining, EMPTY, self.passed)
        if self.passed.is_empty:
            return self
        return TierWalk(self.allowed, self.denied, EMPTY, self.remaining | self.passed)

    @property
    def undecided(self) -> ConnectionSet:
        """What later tiers decide: passed, or matched by no rule yet."""
        return self.remaining | self.passed

    @property
    def result(self) -> ConnectionSet:
        """Allowed once no tier is left: what no tier decided is allowed."""
        return self.allowed | self.remaining | self.passed


START = TierWalk()


@dataclass(frozen=True)
class Stage:
    """One tier's rules that apply to a class in one direction, in evaluation order."""

    tier: StageKind
    rules: tuple[AnyRule, ...]
    closed: bool = False  # NetworkPolicy isolates the class: undecided means denied

    rule_ids: Any = field(default=None, compare=False, repr=False)  # given when known
    name: str = ""  # the Calico tier's name
    # closed only because NetworkPolicy isolates the class (a what-if that removes the
    # isolating policies opens it)
    np_closes: bool = False

    @property
    def title(self) -> str:
        """How explanations name the stage: `Admin`, `Calico tier security`..."""
        if self.name and self.tier in ("Calico", "Admin", "NetworkPolicy", "Baseline"):
            return f"Calico tier {self.name}" if self.tier == "Calico" else self.tier
        return {"CiliumDeny": "Cilium deny", "Cilium": "Cilium"}.get(self.tier, self.tier)

    @cached_property
    def can_pass(self) -> bool:
        return any(r.action == "Pass" for r in self.rules)

    @cached_property
    def ids(self) -> Any:
        """The rules' ids as a numpy array (for work over thousands of rules at once)."""
        if self.rule_ids is not None:
            return self.rule_ids
        return np.fromiter((r.id for r in self.rules), dtype=np.intp, count=len(self.rules))


@dataclass(frozen=True)
class Program:
    """How one class decides one direction: its stages in precedence order. No stage at all
    (nothing selects the class): everything is allowed."""

    stages: tuple[Stage, ...] = ()
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # programs key the matrix's row groups: hash a long rule list once, not per lookup
        object.__setattr__(self, "_hash", hash(self.stages))

    def __hash__(self) -> int:
        return self._hash

    @property
    def is_open(self) -> bool:
        return not self.stages

    @property
    def rules(self) -> Iterable[AnyRule]:
        for stage in self.stages:
            yield from stage.rules

    @property
    def isolated(self) -> bool:
        """NetworkPolicy isolates the class in this direction."""
        return any(s.closed for s in self.stages)

    @cached_property
    def has_named(self) -> bool:
        return any(r.has_named for r in self.rules)

    @property
    def effective(self) -> Program:
        """The stages that can decide anything: none after a closed stage (a class NetworkPolicy
        isolates is never decided by the Baseline tier), unless that stage can Pass (a Calico
        tier's Pass rule hands connections on past its end-of-tier deny)."""
        for i, stage in enumerate(self.stages):
            if stage.closed and i + 1 < len(self.stages) and not stage.can_pass:
                return Program(self.stages[: i + 1])
        return self

    def without(self, skip: Callable[[AnyRule], bool], keep_closed: bool = True) -> Program:
        """The same program with some rules left out (the audit's what-if): stages stay, so
        isolation is unchanged unless `keep_closed` is False."""
        return Program(
            tuple(
                Stage(
                    s.tier,
                    tuple(r for r in s.rules if not skip(r)),
                    s.closed and keep_closed,
                    name=s.name,
                    np_closes=s.np_closes,
                )
                for s in self.stages
            )
        )


OPEN = Program()


def walk(
    program: Program,
    matches: Callable[[AnyRule], ConnectionSet],
    on_match: Callable[[AnyRule, ConnectionSet], None] | None = None,
    on_close: Callable[[Stage, ConnectionSet], None] | None = None,
) -> TierWalk:
    """Walk one peer through `program`. `matches(rule)` is what the rule opens towards that
    peer (EMPTY when it does not admit it); `on_match(rule, part)` hears each rule that
    decided (or passed on) part of the traffic, with that part; `on_close(stage, part)` each
    closed stage that denied what its rules left (the end-of-tier deny), with that part."""
    state = START
    for stage in program.stages:
        for rule in stage.rules:
            conns = matches(rule)
            if conns.is_empty:
                continue
            before = state.remaining
            state = state.step(rule.action, conns)
            if on_match is not None:
                part = before & conns
                if not part.is_empty:
                    on_match(rule, part)
        if on_close is not None and stage.closed and not state.remaining.is_empty:
            on_close(stage, state.remaining)
        state = state.close(stage.closed)
    return state


Part = tuple[int, TierWalk]  # (bitset of the other side's classes, their walk so far)
Pieces = Callable[[AnyRule], Sequence[tuple[int, ConnectionSet]]]


def walk_parts(
    program: Program, everyone: int, pieces: Pieces, close_last: bool = True
) -> list[Part]:
    """Walk every class of the other side at once: a partition of `everyone` by outcome.

    `pieces(rule)` gives the classes the rule admits with what it opens towards them (one
    piece, or one per destination port map for an egress rule with named ports). With
    `close_last` False the last stage stays open (its passed connections stay apart).
    """
    parts: list[Part] = [(everyone, START)]
    steps: dict[tuple[TierWalk, Action, ConnectionSet], TierWalk] = {}
    for i, stage in enumerate(program.stages):
        for rule in stage.rules:
            for bits, conns in pieces(rule):
                if bits and not conns.is_empty:
                    parts = _refine(parts, bits, rule.action, conns, steps)
        if not close_last and i + 1 == len(program.stages):
            break
        merged: dict[TierWalk, int] = {}
        for bits, state in parts:
            end = state.close(stage.closed)
            merged[end] = merged.get(end, 0) | bits
        parts = [(bits, state) for state, bits in merged.items()]
    return parts


def _refine(
    parts: list[Part],
    bits: int,
    action: Action,
    conns: ConnectionSet,
    steps: dict[tuple[TierWalk, Action, ConnectionSet], TierWalk],
) -> list[Part]:
    out: list[Part] = []
    for pbits, state in parts:
        inside = pbits & bits
        if not inside:
            out.append((pbits, state))
            continue
        key = (state, action, conns)
        new = steps.get(key)
        if new is None:
            new = steps[key] = state.step(action, conns)
        if new is state or new == state:
            out.append((pbits, state))
            continue
        out.append((inside, new))
        rest = pbits & ~bits
        if rest:
            out.append((rest, state))
    return out
