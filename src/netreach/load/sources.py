"""Input sources (files, directories, stdin) and lazy line lookup for messages.

The fast loaders keep no positions: when a message needs a line, the source text is composed
once (libyaml, no construction) and the node at the wanted path is looked up.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import yaml

from netreach.errors import InputError, Problem
from netreach.model import Location, PathPart

EXTENSIONS = (".yaml", ".yml", ".json")

# Location.doc for a position known only as a line (parse errors): path is (line,).
_LINE_DOC = -1


class Source:
    """One input file (or stdin, or text held in memory). `line_of` maps a document index and a
    path inside the document to a 1-based line number, or None when it cannot be told."""

    def __init__(self, name: str, data: bytes | None = None) -> None:
        self.name = name
        self._data = data
        self._nodes: list[yaml.Node] | None = None
        self._composed = False
        self._single_line: bool | None = None

    @classmethod
    def from_path(cls, path: str) -> Source:
        return cls(path)

    def __repr__(self) -> str:
        return f"Source({self.name!r})"

    def read_bytes(self) -> bytes:
        """The raw bytes; files are read on each call (kept only for stdin/in-memory data)."""
        if self._data is not None:
            return self._data
        with open(self.name, "rb") as f:
            return f.read()

    @property
    def is_json(self) -> bool:
        return self.name.lower().endswith(".json")

    def at_line(self, line: int) -> Location:
        """A location known only by its line (e.g. where the parser stopped)."""
        return Location(self, _LINE_DOC, (line,))

    def line_of(self, doc: int, path: tuple[PathPart, ...]) -> int | None:
        if doc == _LINE_DOC:
            return path[0] if path and isinstance(path[0], int) else None
        if self.is_json and self._one_line():
            return 1  # compact JSON: no need to compose a large file to know that
        nodes = self._compose()
        if nodes is None or not 0 <= doc < len(nodes):
            return None
        node = nodes[doc]
        line = node.start_mark.line
        for part in path:
            step = _child(node, part)
            if step is None:
                break  # nearest existing ancestor
            line, node = step
        return line + 1

    def _one_line(self) -> bool:
        if self._single_line is None:
            try:
                self._single_line = self.read_bytes().rstrip(b"\r\n").count(b"\n") == 0
            except OSError:
                self._single_line = False
        return self._single_line

    def _compose(self) -> list[yaml.Node] | None:
        if not self._composed:
            self._composed = True
            try:
                text = decode_text(self.read_bytes())
                if isinstance(text, str):
                    self._nodes = list(yaml.compose_all(text, Loader=yaml.CSafeLoader))
            except (OSError, yaml.YAMLError):
                self._nodes = None
        return self._nodes


def _child(node: yaml.Node, part: PathPart) -> tuple[int, yaml.Node] | None:
    """The child at `part` and the line to report for it (a mapping entry: its key's line)."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key.start_mark.line, value
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item: yaml.Node = node.value[part]
        return item.start_mark.line, item
    return None


_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xfe\xff", "UTF-16"),
    (b"\xff\xfe", "UTF-16"),
)


def decode_text(raw: bytes) -> str | DecodeFailure:
    """UTF-8 text without BOM, or a `DecodeFailure` saying why the bytes are not UTF-8 text."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return DecodeFailure(
                f"file is {encoding} encoded; expected UTF-8 "
                f"(convert it, e.g. iconv -f {encoding} -t UTF-8)"
            )
    if b"\x00" in raw[:8192]:
        # NULs between ASCII characters: UTF-16 without BOM; otherwise binary data.
        if raw[1:64:2].count(0) > 8 or raw[0:64:2].count(0) > 8:
            return DecodeFailure(
                "file looks UTF-16 encoded; expected UTF-8 "
                "(convert it, e.g. iconv -f UTF-16 -t UTF-8)"
            )
        return DecodeFailure("binary file (contains NUL bytes); expected UTF-8 YAML or JSON")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        return DecodeFailure(
            f"invalid UTF-8 (byte 0x{raw[e.start]:02x} at line {line}); expected UTF-8 text "
            "(a Latin-1 file? convert it, e.g. iconv -f LATIN1 -t UTF-8)",
            line,
        )


class DecodeFailure:
    """Why bytes could not be decoded, with the line when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message = message
        self.line = line


def read_paths(paths: Sequence[str]) -> list[Source]:
    """Sources for files, directories (recursive, YAML/JSON files, sorted) and "-" (stdin)."""
    sources: list[Source] = []
    missing: list[Problem] = []
    for path in paths:
        if path == "-":
            sources.append(Source("<stdin>", sys.stdin.buffer.read()))
        elif os.path.isdir(path):
            sources.extend(Source.from_path(p) for p in _walk(path))
        elif os.path.exists(path):
            sources.append(Source.from_path(path))
        else:
            missing.append(Problem(f"{path}: no such file or directory"))
    if missing:
        raise InputError(missing)
    return sources


def _walk(root: str) -> list[str]:
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(
            os.path.join(dirpath, f)
            for f in filenames
            if f.lower().endswith(EXTENSIONS) and not f.startswith(".")
        )
    return sorted(found)
