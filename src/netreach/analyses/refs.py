"""A reference to one policy rule, as analyses report it (diff's reasons, the report's edges)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netreach.model import Direction


@dataclass(frozen=True, slots=True)
class RuleRef:
    """One rule (`policy direction[index]`) with where it is written (`file:line`)."""

    policy: str  # ns/name, or an admin-tier label with its action
    direction: Direction
    index: int
    location: str | None = None

    @property
    def text(self) -> str:
        return f"{self.policy} {self.direction}[{self.index}]"

    def __str__(self) -> str:
        return f"{self.text} ({self.location})" if self.location else self.text

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "direction": self.direction,
            "rule": self.index,
            "location": self.location,
        }
