"""Input sources (files, directories, stdin) and lazy line lookup for messages."""

from __future__ import annotations

from netreach.model import PathPart


class Source:
    """One input file (or stdin). `line_of` maps a document index and a path inside the
    document to a 1-based line number, or None when it cannot be told."""

    def __init__(self, name: str, data: bytes | None = None) -> None:
        self.name = name
        self._data = data

    def line_of(self, doc: int, path: tuple[PathPart, ...]) -> int | None:
        return None
