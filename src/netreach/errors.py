"""Error types. Every problem a user can act on is a `Problem` with a location."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from netreach.location import Location


@dataclass(frozen=True, slots=True)
class Problem:
    """One input problem: where it is, which object, which field, and what is wrong."""

    message: str
    location: Location | None = None
    object_ref: str = ""  # e.g. "NetworkPolicy default/allow-db"
    field: str = ""  # API field path, e.g. "spec.ingress[0].ports[1].endPort"
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        parts: list[str] = []
        if self.location is not None:
            parts.append(f"{self.location}:")
        if self.object_ref:
            parts.append(f"{self.object_ref}:")
        if self.field:
            parts.append(f"{self.field}:")
        parts.append(self.message)
        return " ".join(parts)


class NetreachError(Exception):
    """Base class of every error netreach raises on purpose."""


class InputError(NetreachError):
    """The input cannot be used: one or more problems, each with its location."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(self.problems)

    def __str__(self) -> str:
        # formatted when asked, not when raised: each line looks its location up, and the
        # CLI formats every problem once on its own (52,000 problems: seconds saved)
        return "\n".join(str(p) for p in self.problems)


class QueryError(NetreachError):
    """A question about the cluster names something that does not exist or is malformed."""
