"""A class's NetworkPolicy stage as the matrix reads it: a union.

When NetworkPolicy alone decides a class (no admin tier, no Calico or Cilium policy), its
program is one closed stage of Allow rules, and what it allows is the union of what the
rules open: rules that admit the same peers with the same ports count once, whichever
policy wrote them. A policy per pod selecting every other pod (3,900 pods) gives each class
its own list of 3,900 rules, all different programs for the same row; as unions of distinct
rule meanings they are one program, so the matrix computes one row.

Only the matrix's rows read these programs: verdicts and explanations name the rules and the
isolating policies of the class's own program (`Compiled.program`).
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

import numpy as np

from netreach.engine.rules import AnyRule
from netreach.engine.tiers import Program, Stage
from netreach.model import PolicyPort


def meaning(rule: AnyRule) -> tuple[object, ...]:
    """What a NetworkPolicy rule contributes to a union stage: the peers it admits (classes,
    addresses) and what it opens (numeric ports, and named ports resolved per destination)."""
    named: tuple[PolicyPort, ...] = tuple(pm.port for pm in rule.ports if pm.name is not None)
    return (rule.all_peers, rule.classes, rule.ips, rule.numeric, named)


class UnionStages:
    """Per class of one direction, the NetworkPolicy stage with one rule per distinct meaning
    among the rules of the policies isolating it (the first such rule of the snapshot)."""

    def __init__(self, n: int, targets: Sequence[int], rules: Sequence[Sequence[AnyRule]]) -> None:
        """`targets[i]`: the classes policy i isolates in the direction (0 if none);
        `rules[i]`: its rules of the direction."""
        index: dict[tuple[object, ...], int] = {}
        self._reps: list[AnyRule] = []
        classes: list[int] = []  # per meaning: the classes some isolating policy gives it
        for bits, own in zip(targets, rules, strict=True):
            if not bits:
                continue
            for rule in own:
                key = meaning(rule)
                m = index.get(key)
                if m is None:
                    m = index[key] = len(self._reps)
                    self._reps.append(rule)
                    classes.append(0)
                classes[m] |= bits
        nbytes = (n + 7) // 8
        self._rows: Any = np.frombuffer(
            b"".join(c.to_bytes(nbytes, "little") for c in classes), np.uint8
        ).reshape(len(classes), nbytes)
        self._ids = np.fromiter((r.id for r in self._reps), dtype=np.intp, count=len(self._reps))
        self._programs: dict[bytes, Program] = {}

    def program(self, ci: int) -> Program:
        """The union program of an isolated class (closed, as the class's own)."""
        column = (self._rows[:, ci >> 3] & (1 << (ci & 7))) != 0
        key = np.packbits(column).tobytes()
        prog = self._programs.get(key)
        if prog is None:
            which = np.flatnonzero(column)
            picked = which.tolist()
            # one C call however many meanings (thousands when every rule differs)
            rules: tuple[AnyRule, ...] = (
                itemgetter(*picked)(self._reps)
                if len(picked) > 1
                else tuple(self._reps[m] for m in picked)
            )
            stage = Stage("NetworkPolicy", rules, True, self._ids[which], np_closes=True)
            prog = self._programs[key] = Program((stage,))
        return prog
