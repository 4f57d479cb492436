"""Input sources (files, directories, stdin) and lazy line lookup for messages.

The fast loaders keep no positions: when a message needs a line, the source text is composed
once (libyaml, no construction) and the node at the wanted path is looked up.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import yaml

from netreach.model import Location, PathPart

EXTENSIONS = (".yaml", ".yml", ".json")

# Location.doc for a position known only as a line (parse errors): path is (line,).
_LINE_DOC = -1


@dataclass(frozen=True)
class DocMarks:
    """0-based lines where a YAML document starts and ends, and where its `items[]` start."""

    start: int
    end: int
    items: list[int]


class Source:
    """One input file (or stdin, or text held in memory). `line_of` maps a document index and a
    path inside the document to a 1-based line number, or None when it cannot be told."""

    def __init__(self, name: str, data: bytes | None = None) -> None:
        self.name = name
        self._data = data
        self._nodes: list[yaml.Node] | None = None
        self._composed = False
        self.marks: list[DocMarks] = []  # set by the YAML decoder
        self._json_items: list[tuple[int, int]] | None = None  # (offset, end) of List items
        self._text: str | None = None
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

    def size(self) -> int:
        """Bytes in the source, without reading a file."""
        if self._data is not None:
            return len(self._data)
        return os.path.getsize(self.name)

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
            return 1  # compact JSON (e.g. kubectl -o json | jq -c): every node is on line 1
        # Big inputs: compose only the slice of text that holds the wanted object.
        sliced = self._line_in_slice(doc, path)
        if sliced is not None:
            return sliced
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
        if self._single_line is None:  # asked once per message: a scan of the whole text
            text = self._decoded()
            self._single_line = text is not None and "\n" not in text.rstrip("\r\n")
        return self._single_line

    def _decoded(self) -> str | None:
        if self._text is None:
            try:
                text = decode_text(self.read_bytes())
            except OSError:
                return None
            self._text = text if isinstance(text, str) else ""
        return self._text or None

    def _line_in_slice(self, doc: int, path: tuple[PathPart, ...]) -> int | None:
        """The line of `path` found by composing only one document or one `items[i]` entry."""
        text = self._decoded()
        if text is None or len(text) < _SLICE_ABOVE:
            return None
        item = path[1] if len(path) >= 2 and path[0] == "items" else None
        if self.marks and 0 <= doc < len(self.marks):
            marks = self.marks[doc]
            lines = text.splitlines(keepends=True)
            if isinstance(item, int) and 0 <= item < len(marks.items):
                start = marks.items[item]
                end = marks.items[item + 1] if item + 1 < len(marks.items) else marks.end + 1
                return _walk_slice("".join(lines[start:end]), start, path[2:], in_list=True)
            return _walk_slice("".join(lines[marks.start : marks.end + 1]), marks.start, path)
        if doc == 0 and isinstance(item, int) and text.lstrip().startswith("{"):
            spans = self._json_spans(text)
            if spans is not None and 0 <= item < len(spans):
                lo, hi = spans[item]
                start = text.count("\n", 0, lo)
                # keep the columns: pad the item's first line as it stands in the file
                head = text.rfind("\n", 0, lo) + 1
                return _walk_slice(" " * (lo - head) + text[lo:hi], start, path[2:])
        return None

    def _json_spans(self, text: str) -> list[tuple[int, int]] | None:
        """Offsets of each `items[]` element of a JSON List, found with the C decoder."""
        if self._json_items is None:
            self._json_items = []
            key = text.find('"items"')
            bracket = text.find("[", key) if key >= 0 else -1
            if bracket < 0:
                return None
            decoder = json.JSONDecoder()
            pos = bracket + 1
            try:
                while True:
                    while text[pos] in " \t\r\n,":
                        pos += 1
                    if text[pos] == "]":
                        break
                    _, end = decoder.raw_decode(text, pos)
                    self._json_items.append((pos, end))
                    pos = end
            except (ValueError, IndexError):
                self._json_items = []
        return self._json_items or None

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


# Sources smaller than this are composed whole: simpler, and fast enough.
_SLICE_ABOVE = 256 * 1024


def _walk_slice(
    text: str, first_line: int, path: tuple[PathPart, ...], in_list: bool = False
) -> int | None:
    """Compose `text` (one document, or one `- item` of a list) and find `path` in it."""
    try:
        node = next(iter(yaml.compose_all(text, Loader=yaml.CSafeLoader)), None)
    except yaml.YAMLError:
        return None
    if node is None:
        return None
    if in_list:
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            return None
        node = node.value[0]
    line = node.start_mark.line
    for part in path:
        step = _child(node, part)
        if step is None:
            break
        line, node = step
    return first_line + line + 1


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
