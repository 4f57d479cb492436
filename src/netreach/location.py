"""Where something was read: the bottom layer, imported by errors, model and the loaders.

`Location` needs only a file name and a way to find a line, so it names that as a protocol
instead of importing the loader's `Source` (which would make the model depend on loading).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

PathPart = str | int


class Text(Protocol):
    """What a location needs from the text it points into (load.sources.Source is one)."""

    @property
    def name(self) -> str: ...

    def line_of(self, doc: int, path: tuple[PathPart, ...]) -> int | None: ...


@dataclass(frozen=True, slots=True)
class Location:
    """Where an object (or one of its fields) was read: file, document, path in the document.

    The line is resolved lazily from the source, so the fast loaders need not track positions.
    """

    source: Text
    doc: int = 0
    path: tuple[PathPart, ...] = ()

    @property
    def file(self) -> str:
        return self.source.name

    @property
    def line(self) -> int | None:
        return self.source.line_of(self.doc, self.path)

    def at(self, *sub: PathPart) -> Location:
        return Location(self.source, self.doc, self.path + sub)

    def __str__(self) -> str:
        line = self.line
        return f"{self.file}:{line}" if line is not None else self.file
