"""The audit's checks: each id with its default severity and documentation, and the function
that produces its findings. Family modules register themselves here when imported."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netreach.analyses.audit.findings import Severity

if TYPE_CHECKING:
    from netreach.analyses.audit.context import AuditContext
    from netreach.analyses.audit.findings import Finding

CheckFn = Callable[["AuditContext"], Iterable["Finding"]]


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


def register(*infos: CheckInfo) -> Callable[[CheckFn], CheckFn]:
    def wrap(fn: CheckFn) -> CheckFn:
        for info in infos:
            if info.id in CHECKS:
                raise ValueError(f"check id {info.id} registered twice")
            CHECKS[info.id] = info
        FAMILIES.append(Family(tuple(i.id for i in infos), fn))
        return fn

    return wrap
