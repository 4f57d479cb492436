"""The audit's checks: each id with its default severity and documentation, and the function
that produces its findings. Family modules register themselves here when imported."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from netreach.analyses.audit.findings import Finding, Severity

# A check reads an AuditContext (which reads this registry: naming its type here would make
# the two modules import each other). The decorator keeps each check's own signature.
CheckFn = Callable[..., Iterable[Finding]]
F = TypeVar("F", bound=CheckFn)


@dataclass(frozen=True, slots=True)
class CheckInfo:
    id: str
    severity: Severity  # default; a finding may be milder (dns-blocked on TCP only) or overridden
    family: str
    title: str  # one line
    why: str  # why it matters
    fix: str  # how to fix, in general


@dataclass(frozen=True, slots=True)
class Family:
    """One function producing the findings of one or more related check ids."""

    ids: tuple[str, ...]
    run: CheckFn


CHECKS: dict[str, CheckInfo] = {}
FAMILIES: list[Family] = []


def register(*infos: CheckInfo) -> Callable[[F], F]:
    def wrap(fn: F) -> F:
        for info in infos:
            if info.id in CHECKS:
                raise ValueError(f"check id {info.id} registered twice")
            CHECKS[info.id] = info
        FAMILIES.append(Family(tuple(i.id for i in infos), fn))
        return fn

    return wrap
