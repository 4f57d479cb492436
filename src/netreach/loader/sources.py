"""Input sources (files, directories, stdin), bytes to text as kubectl decodes them, and lazy
line lookup for messages.

The decoder keeps no positions for values: when a message needs a line, the document that
holds the path is composed once (libyaml, no construction; cached per document) and the path
is followed with the same key rules the decoder used (go-yaml keys, merges: `positions.py`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import yaml

from netreach.location import Location, PathPart

EXTENSIONS = (".yaml", ".yml", ".json")

# Location.doc for a position known only as a line (parse errors): path is (line,).
_LINE_DOC = -1
# A `List` document bigger than this is looked up one `items[i]` at a time.
_SLICE_ABOVE = 1 << 20


@dataclass(frozen=True)
class DocMarks:
    """Where a document is: 0-based first and last line, the 0-based lines of its `items[]`
    entries (YAML), and its text as an offset and length in the decoded file."""

    start: int
    end: int
    items: list[int]
    offset: int = 0
    length: int = -1
    kind: str = "yaml"  # or "json"


class Source:
    """One input file (or stdin, or text held in memory). `line_of` maps a document index and a
    path inside the document to a 1-based line number, or None when it cannot be told."""

    def __init__(self, name: str, data: bytes | None = None) -> None:
        self.name = name
        self._data = data
        self.marks: list[DocMarks] = []  # set by the decoder, one per document
        self.text_cache: str | None = None  # the decoded text, set by the decoder
        self._nodes: dict[tuple[int, int], yaml.Node | None] = {}  # (doc, item) -> node
        self._whole: list[yaml.Node] | None = None
        self._whole_lines: list[int] = []
        self._json_items: list[tuple[int, int]] | None = None  # (offset, end) of List items
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
        """The 1-based line of `path` in document `doc` (the nearest existing ancestor when
        the path goes further than the document)."""
        if doc == _LINE_DOC:
            return path[0] if path and isinstance(path[0], int) else None
        text = self._decoded()
        if text is None:
            return None
        if self._one_line_json(text):
            return 1  # compact JSON (e.g. kubectl -o json | jq -c): every node is on line 1
        from netreach.loader.positions import line_in

        if not self.marks:
            return self._line_whole(text, doc, path)
        if not 0 <= doc < len(self.marks):
            return None
        marks = self.marks[doc]
        item = path[1] if len(path) >= 2 and path[0] == "items" else None
        big = marks.length > _SLICE_ABOVE
        if big and isinstance(item, int) and marks.kind == "yaml" and 0 <= item < len(marks.items):
            node = self._item_node(text, doc, item)
            return line_in(node, path[2:], marks.items[item])
        if big and isinstance(item, int) and marks.kind == "json":
            spans = self._json_spans(text, marks)
            if spans is not None and 0 <= item < len(spans):
                lo, hi = spans[item]
                node = self._cached(doc, item, lambda: _compose_at(text, lo, hi))
                return line_in(node, path[2:], text.count("\n", 0, lo))
        node = self._cached(doc, -1, lambda: _compose_doc(text, marks))
        return line_in(node, path, marks.start)

    def _cached(self, doc: int, item: int, make: object) -> yaml.Node | None:
        key = (doc, item)
        if key not in self._nodes:
            self._nodes[key] = make()  # type: ignore[operator]
        return self._nodes[key]

    def _item_node(self, text: str, doc: int, item: int) -> yaml.Node | None:
        marks = self.marks[doc]

        def make() -> yaml.Node | None:
            lines = _line_starts(text)
            start = marks.items[item]
            end = marks.items[item + 1] if item + 1 < len(marks.items) else marks.end + 1
            lo = lines[start]
            hi = lines[end] if end < len(lines) else len(text)
            node = _compose_text(text[lo:hi])
            if not isinstance(node, yaml.SequenceNode) or not node.value:
                return None
            first: yaml.Node = node.value[0]
            return first

        return self._cached(doc, item, make)

    def _line_whole(self, text: str, doc: int, path: tuple[PathPart, ...]) -> int | None:
        """Sources read without the decoder (tests, other readers): compose all of it once."""
        from netreach.loader.positions import line_in

        if self._whole is None:
            from netreach.loader.goyaml import split_documents

            chunks, _ = split_documents(text)
            self._whole = []
            for chunk in chunks:
                node = _compose_text(chunk.text)
                if node is not None:
                    self._whole.append(node)
                    self._whole_lines.append(chunk.line)
        if not 0 <= doc < len(self._whole):
            return None
        return line_in(self._whole[doc], path, self._whole_lines[doc])

    def _one_line_json(self, text: str) -> bool:
        if self._single_line is None:  # asked once per message: a scan of the whole text
            self._single_line = text.lstrip()[:1] == "{" and "\n" not in text.rstrip("\r\n")
        return self._single_line

    def _decoded(self) -> str | None:
        if self.text_cache is None:
            try:
                text = decode_text(self.read_bytes())
            except OSError:
                return None
            self.text_cache = text if isinstance(text, str) else ""
        return self.text_cache or None

    def _json_spans(self, text: str, marks: DocMarks) -> list[tuple[int, int]] | None:
        """Offsets of each `items[]` element of a JSON List, found with the C decoder."""
        if self._json_items is None:
            self._json_items = []
            base = marks.offset
            key = text.find('"items"', base)
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


_LINE_STARTS: dict[int, list[int]] = {}


def _line_starts(text: str) -> list[int]:
    """Offsets where each line starts (one index per text, kept while the text lives)."""
    key = id(text)
    found = _LINE_STARTS.get(key)
    if found is None:
        found = [0]
        pos = text.find("\n")
        while pos >= 0:
            found.append(pos + 1)
            pos = text.find("\n", pos + 1)
        _LINE_STARTS.clear()
        _LINE_STARTS[key] = found
    return found


def _compose_text(text: str) -> yaml.Node | None:
    from netreach.loader.goyaml import compose_first

    try:
        return compose_first(text)
    except yaml.YAMLError:
        return None


def _compose_doc(text: str, marks: DocMarks) -> yaml.Node | None:
    """A document's node, composed from its own text; lines are relative to `marks.start`."""
    end = len(text) if marks.length < 0 else marks.offset + marks.length
    return _compose_at(text, marks.offset, end)


def _compose_at(text: str, lo: int, hi: int) -> yaml.Node | None:
    # keep the columns: pad the first line as it stands in the file
    head = text.rfind("\n", 0, lo) + 1
    return _compose_text(" " * (lo - head) + text[lo:hi])


_UTF32_BOMS = (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")
_UTF16_BOMS = ((b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"))


def decode_text(raw: bytes) -> str | DecodeFailure:
    """The text of a file as kubectl reads it: UTF-8, or UTF-16 with a byte-order mark (its
    reader honours UTF-8 and UTF-16 BOMs, as unicode.BOMOverride does); a UTF-8 BOM is dropped.
    Anything else (UTF-32, UTF-16 without BOM, Latin-1, binary) is a `DecodeFailure`."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if raw.startswith(_UTF32_BOMS):
        return DecodeFailure(
            "file is UTF-32 encoded; expected UTF-8 or UTF-16 (kubectl refuses it too; "
            "convert it, e.g. iconv -f UTF-32 -t UTF-8)"
        )
    for bom, codec in _UTF16_BOMS:
        if raw.startswith(bom):
            text = raw[len(bom) :].decode(codec, errors="replace")  # unpaired halves: U+FFFD
            if "\x00" in text:
                return DecodeFailure("binary file (contains NUL characters); expected YAML or JSON")
            return text
    if b"\x00" in raw[:8192]:
        # NULs between ASCII characters: UTF-16 without BOM; otherwise binary data.
        if raw[1:64:2].count(0) > 8 or raw[0:64:2].count(0) > 8:
            return DecodeFailure(
                "file looks UTF-16 encoded without a byte-order mark; expected UTF-8, or UTF-16 "
                "with a BOM (kubectl refuses it too; convert it, e.g. iconv -f UTF-16 -t UTF-8)"
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
