"""Tier precedence on connection sets: Admin tier -> NetworkPolicy -> Baseline tier -> allow.

Within a tier the first matching rule decides a connection: Allow and Deny are final, Pass
hands it to the next tier. A pod isolated by NetworkPolicy for the direction is decided by
NetworkPolicy for what the Admin tier left undecided (Baseline is never consulted for it);
otherwise the Baseline tier decides, and what it leaves is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from netreach.engine.conns import ALL, EMPTY, ConnectionSet
from netreach.model import AdminAction


@dataclass(frozen=True, slots=True)
class TierWalk:
    """What one tier's rules decided so far, walking them in order."""

    allowed: ConnectionSet = EMPTY
    denied: ConnectionSet = EMPTY
    passed: ConnectionSet = EMPTY
    remaining: ConnectionSet = ALL

    def step(self, action: AdminAction, conns: ConnectionSet) -> TierWalk:
        """Apply one matching rule opening `conns`: it decides only what is still open."""
        part = self.remaining & conns
        if part.is_empty:
            return self
        rest = self.remaining - part
        if action == "Allow":
            return TierWalk(self.allowed | part, self.denied, self.passed, rest)
        if action == "Deny":
            return TierWalk(self.allowed, self.denied | part, self.passed, rest)
        return TierWalk(self.allowed, self.denied, self.passed | part, rest)

    @property
    def undecided(self) -> ConnectionSet:
        """What the next tier decides: passed, or matched by no rule."""
        return ALL - self.allowed - self.denied


NO_RULES = TierWalk()


def walk(steps: Iterable[tuple[AdminAction, ConnectionSet]]) -> TierWalk:
    state = NO_RULES
    for action, conns in steps:
        state = state.step(action, conns)
    return state


def resolve(
    admin: TierWalk, isolated: bool, np_allowed: ConnectionSet, baseline: TierWalk
) -> ConnectionSet:
    """The connections one direction allows, from the three tiers' outcomes."""
    undecided = admin.undecided
    if isolated:
        return admin.allowed | (undecided & np_allowed)
    return admin.allowed | (undecided - baseline.denied)
