"""Bytes to documents, exactly as kubectl reads them: YAML through libyaml's parser with
go-yaml v2's scalar rules and sigs.k8s.io/yaml's JSON conversion (`goyaml.py`), JSON through
orjson. A file whose first non-blank character is `{` is a stream of JSON objects, and
whatever does not parse as JSON from there on is read as YAML (apimachinery's
YAMLOrJSONDecoder); the file's name does not matter.

No positions are kept for the values; problems the decoder finds (syntax errors, duplicate
keys, values with no JSON form) carry their line directly, and `Source.line_of` finds the
line of a field path later, only when a message needs it.

`parse_source` is the entry point for any file netreach reads (manifests, and configuration,
expectation or intent files): it returns the documents as kubectl would send them.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from netreach.errors import Problem
from netreach.loader import goyaml
from netreach.loader.goyaml import PLAIN, YAMLValueError
from netreach.loader.limits import Limits, document_problem
from netreach.loader.recognize import go_template_line, go_template_message
from netreach.loader.sources import DecodeFailure, DocMarks, Source, decode_text
from netreach.model import Location

__all__ = ["Parsed", "parse_source", "parse_text"]

_STR = goyaml.STR


class _Failure(Exception):
    """The document cannot be read as kubectl would read it; `line` is 0-based in the chunk."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Parsed:
    """The documents of one source, by index (None for an empty document)."""

    docs: list[tuple[int, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Repeated mapping keys: (document index, key, line or None). kubectl keeps the last one
    # silently; the builder makes them errors (strict) or warnings (lenient).
    duplicates: list[tuple[int, str, int | None]] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    measure: set[int] = field(default_factory=set)  # documents to measure against the limits

    def duplicate_problems(
        self, source: Source, ref_of: Callable[[Any], str], severity: str = "error"
    ) -> list[Problem]:
        """One problem per repeated key, naming the object of its document via `ref_of`."""
        values = dict(self.docs)
        how = (
            "(strict decoding error; kubectl would silently keep the last one)"
            if severity == "error"
            else "(the last one is used, as kubectl does)"
        )
        return [
            Problem(
                f'duplicate key "{key}" {how}',
                _loc(source, line),
                ref_of(values.get(doc)),
                severity=severity,
            )
            for doc, key, line in self.duplicates
        ]


def parse_source(source: Source, limits: Limits | None = None) -> Parsed:
    """The documents of a source; documents over a limit are replaced by a problem."""
    limits = limits or Limits()
    out = Parsed()
    try:
        raw = source.read_bytes()
    except OSError as e:
        out.problems.append(Problem(f"cannot read: {e.strerror or e}", _loc(source, None)))
        return out
    text = decode_text(raw)
    if isinstance(text, DecodeFailure):
        out.problems.append(Problem(text.message, _loc(source, text.line)))
        return out
    parse_text(source, text, out, limits)
    if out.measure:
        # documents with YAML aliases, and JSON ones: measured (alias expansion, depth); the
        # others were checked while they were converted
        kept: list[tuple[int, Any]] = []
        for index, value in out.docs:
            why = document_problem(value, limits) if index in out.measure else None
            if why is None:
                kept.append((index, value))
            else:
                out.problems.append(Problem(why, Location(source, index)))
        out.docs = kept
    return out


def parse_text(source: Source, text: str, out: Parsed, limits: Limits) -> None:
    """Decode `text` (the content of `source`) into `out`, as kubectl would."""
    source.marks = []
    source.text_cache = text
    if text.lstrip()[:1] != "{":
        _parse_yaml(source, text, 0, out, limits)
        return
    rest = _parse_json_stream(source, text, out)
    if rest is None:
        return
    # kubectl reads the rest as YAML; when that fails too, it reports the JSON error.
    docs, problems = len(out.docs), len(out.problems)
    _parse_yaml(source, text, rest, out, limits)
    if len(out.docs) == docs and len(out.problems) > problems:
        del out.problems[problems:]
        out.problems.append(_json_error(source, text, rest))


def _json_error(source: Source, text: str, pos: int) -> Problem:
    base = text.count("\n", 0, pos)
    try:
        orjson.loads(text[pos:])
    except orjson.JSONDecodeError as e:
        # orjson counts from the slice: lines add up, the first line's columns shift
        return Problem(f"invalid JSON: {e.msg} (column {e.colno})", source.at_line(base + e.lineno))
    return Problem("invalid JSON", source.at_line(base + 1))


# --- JSON ------------------------------------------------------------------------------------

# Numbers that kubectl holds differently from orjson: floats (`80.0` is sent as 80) and
# integers beyond int64 (floats in kubectl).
_NUMBER_TOKEN = re.compile(r"[:\[,]\s*-?[0-9]+(\.[0-9]*)?[eE.]|[:\[,]\s*-?[0-9]{19}")


def _parse_json_stream(source: Source, text: str, out: Parsed) -> int | None:
    """JSON objects from the start; None when all of the text was JSON, else the offset where
    the YAML decoder takes over (as YAMLOrJSONDecoder does after a JSON error)."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    else:
        _add_json(source, text, 0, len(text), value, out, 0)
        return None
    decoder = json.JSONDecoder(parse_constant=_no_constant)
    pos = 0
    end = len(text)
    lines = _LineCounter(text)
    while True:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end:
            return None
        try:
            value, stop = decoder.raw_decode(text, pos)
        except (ValueError, RecursionError):
            return pos  # the rest is YAML (a flow mapping `{a: b}` lands here whole)
        _add_json(source, text, pos, stop, value, out, lines.at(pos))
        pos = stop


def _no_constant(word: str) -> Any:
    """Go's JSON has no NaN or Infinity: such text falls through to the YAML decoder."""
    raise ValueError(word)


class _LineCounter:
    """0-based line of increasing offsets, counting each newline once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.offset = 0
        self.line = 0

    def at(self, offset: int) -> int:
        self.line += self.text.count("\n", self.offset, offset)
        self.offset = offset
        return self.line


def _add_json(
    source: Source, text: str, start: int, stop: int, value: Any, out: Parsed, first: int
) -> None:
    index = len(source.marks)
    last = first + text.count("\n", start, stop)
    source.marks.append(DocMarks(first, last, [], start, stop - start, "json"))
    piece = text[start:stop] if (start, stop) != (0, len(text)) else text
    if _NUMBER_TOKEN.search(piece):
        try:
            value = _json_numbers(value)
        except YAMLValueError as e:
            out.problems.append(Problem(f"invalid JSON: {e}", source.at_line(first + 1)))
            return
    out.docs.append((index, value))
    out.measure.add(index)
    for key in _json_duplicate_keys(piece):
        lines: list[int | None] = [*_key_lines(piece, key, first)]
        out.duplicates.extend((index, key, line) for line in lines or [None])


def _json_numbers(value: Any) -> Any:
    """Numbers as kubectl's unstructured decoder holds them: int64 when the text is an
    integer that fits, else float64 (which goes out as `80` when integral)."""
    stack: list[Any] = [value]
    if isinstance(value, float | int) and not isinstance(value, bool):
        return _json_number(value)
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, v in items:
            if isinstance(v, dict | list):
                stack.append(v)
            elif isinstance(v, float | int) and not isinstance(v, bool):
                node[k] = _json_number(v)
    return value


def _json_number(v: float | int) -> float | int:
    if isinstance(v, int):
        return v if goyaml.INT64_MIN <= v <= goyaml.INT64_MAX else float(v)
    out: float | int = goyaml.to_json_value(v)
    return out


def _json_duplicate_keys(text: str) -> list[str]:
    """Keys that repeat within one JSON object (orjson silently keeps the last one)."""
    found: list[str] = []

    def pairs_hook(pairs: list[tuple[str, Any]]) -> None:
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen and key not in found:
                found.append(key)
            seen.add(key)

    # orjson parsed it; too deep for json here means the depth limit reports it.
    with contextlib.suppress(ValueError, RecursionError):
        json.loads(text, object_pairs_hook=pairs_hook)
    return found


def _key_lines(text: str, key: str, first_line: int) -> list[int]:
    """Lines of the repeated occurrences of `key` (JSON is YAML: compose it, keep no values)."""
    lines: list[int] = []
    try:
        stack: list[Node] = list(yaml.compose_all(text, Loader=yaml.CSafeLoader))
    except yaml.YAMLError:
        return lines
    while stack:
        node = stack.pop()
        if isinstance(node, MappingNode):
            seen = False
            for k, v in node.value:
                if isinstance(k, ScalarNode) and k.value == key:
                    if seen:
                        lines.append(first_line + k.start_mark.line + 1)
                    seen = True
                stack.append(v)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return sorted(lines)


# --- YAML ------------------------------------------------------------------------------------


def _loc(source: Source, line: int | None) -> Location:
    return source.at_line(line) if line is not None else Location(source)


def _char_at(text: str, line: int, column: int) -> str:
    """The character at a 0-based line and column, "" past the end."""
    start = 0
    for _ in range(line):
        start = text.find("\n", start) + 1
        if start == 0:
            return ""
    return text[start + column : start + column + 1]


def _parse_yaml(source: Source, text: str, offset: int, out: Parsed, limits: Limits) -> None:
    """Documents cut at `---` lines, each read alone (its first document only, as go-yaml's
    Unmarshal does)."""
    base_line = text.count("\n", 0, offset)
    body = text[offset:] if offset else text
    chunks, separator_errors = goyaml.split_documents(body)
    for line, message in separator_errors:
        out.problems.append(Problem(message, source.at_line(base_line + line + 1)))
    for chunk in chunks:
        _parse_chunk(source, chunk, base_line, offset, out, limits)


def _parse_chunk(
    source: Source, chunk: goyaml.Chunk, base_line: int, offset: int, out: Parsed, limits: Limits
) -> None:
    first_line = base_line + chunk.line
    try:
        node = goyaml.compose_first(chunk.text)
    except yaml.MarkedYAMLError as e:
        template = go_template_line(chunk.text)
        if template is not None:  # "found unhashable key" says nothing to a chart author
            at, action = template
            out.problems.append(
                Problem(go_template_message(action), source.at_line(first_line + at))
            )
            return
        out.problems.append(_syntax_problem(source, chunk.text, first_line, e))
        return
    except yaml.YAMLError as e:
        out.problems.append(Problem(f"invalid YAML: {e}", source.at_line(first_line + 1)))
        return
    except RecursionError:
        out.problems.append(
            Problem("invalid YAML: nested too deeply", source.at_line(first_line + 1))
        )
        return
    if node is None:
        return  # comments or blank lines only: kubectl skips it
    index = len(source.marks)
    last_line = first_line + chunk.text.count("\n")
    converter = _Converter(limits, chunk.text)
    try:
        value = converter.value(node, 0)
    except _Failure as e:
        line = first_line + e.line + 1 if e.line is not None else None
        out.problems.append(Problem(e.message, _loc(source, line)))
        source.marks.append(DocMarks(first_line, last_line, [], offset + chunk.offset,
                                     len(chunk.text), "yaml"))  # fmt: skip
        return
    items: list[int] = []
    if isinstance(node, MappingNode):
        for key, item in node.value:
            if key.value == "items" and isinstance(item, SequenceNode):
                items = [first_line + i.start_mark.line for i in item.value]
    source.marks.append(
        DocMarks(first_line, last_line, items, offset + chunk.offset, len(chunk.text), "yaml")
    )
    if value is None:
        return  # `null`, `~`: kubectl skips it too
    out.docs.append((index, value))
    if converter.aliases:
        out.measure.add(index)
    out.duplicates.extend((index, key, first_line + line + 1) for key, line in converter.dups)
    out.warnings.extend(
        Problem(message, source.at_line(first_line + line + 1), severity="warning")
        for message, line in converter.notes
    )


def _syntax_problem(source: Source, text: str, first_line: int, e: yaml.MarkedYAMLError) -> Problem:
    mark = e.problem_mark or e.context_mark
    what = e.problem or str(e)
    if e.context:
        what = f"{what} ({e.context}"
        if e.context_mark is not None and mark is not e.context_mark:
            what += f" at line {first_line + e.context_mark.line + 1}"
        what += ")"
    if mark is not None and _char_at(text, mark.line, mark.column) == "\t":
        what += "; a tab: YAML indents with spaces only"
    line = first_line + mark.line + 1 if mark is not None else first_line + 1
    return Problem(f"invalid YAML: {what}", source.at_line(line))


_MERGE_NEEDS_MAP = "map merge requires map or sequence of maps as the value"
# Texts of plain keys that go-yaml reads as the string itself, whatever their node (so not
# `<<`, `80`, `yes` or ``): keys repeat in every object, and this skips their resolution.
_STRING_KEYS: set[str] = set()


def _remember_string_key(node: Node) -> None:
    text = node.value
    if (
        type(node) is ScalarNode
        and node.tag == PLAIN
        and text
        and len(_STRING_KEYS) < 100_000
        and goyaml.resolve_plain(text)[0] == _STR
    ):
        _STRING_KEYS.add(text)


# Plain scalars repeat (label values, `TCP`, port numbers): resolve each text once.
_RESOLVED: dict[str, Any] = {}


class _Converter:
    """libyaml nodes to the JSON values kubectl sends, with go-yaml v2's rules."""

    def __init__(self, limits: Limits, text: str) -> None:
        self.limits = limits
        self.text = text
        # Without `*` no node is shared: no memo, no cycle to look for, nothing to measure.
        self.aliases = "*" in text
        self.memo: dict[int, Any] = {}
        self.open: set[int] = set()
        self.merged = 0  # entries copied by merge keys: they count as alias expansion
        self.dups: list[tuple[str, int]] = []  # (key, 0-based line)
        self.notes: list[tuple[str, int]] = []  # warnings: (message, 0-based line)
        self.keys_of: dict[int, dict[str, tuple[Any, int]]] = {}  # node -> json key -> go key
        # node -> json key -> every Go key of that map behind it (only where there are several,
        # with equal values: 1 and 1.0 both `a`), so a merge of the map brings them all along
        self.go_keys_of: dict[int, dict[str, tuple[Any, ...]]] = {}

    def value(self, node: Node, depth: int) -> Any:
        if type(node) is ScalarNode:
            return self.scalar(node)
        if not self.aliases:
            if depth >= self.limits.max_depth:
                self._too_deep(node)
            if type(node) is SequenceNode:
                return [self.value(child, depth + 1) for child in node.value]
            return self.mapping(node, depth)  # type: ignore[arg-type]
        key = id(node)
        known = self.memo.get(key, _MISSING)
        if known is not _MISSING:
            return known
        if key in self.open:
            raise _Failure(
                "YAML alias refers to itself (an infinite document); expected a finite object",
                node.start_mark.line,
            )
        if depth >= self.limits.max_depth:
            self._too_deep(node)
        self.open.add(key)
        if type(node) is SequenceNode:
            result: Any = [self.value(child, depth + 1) for child in node.value]
        else:
            result = self.mapping(node, depth)  # type: ignore[arg-type]
        self.open.discard(key)
        self.memo[key] = result
        return result

    def _too_deep(self, node: Node) -> None:
        raise _Failure(
            f"document nests more than {self.limits.max_depth:,} levels deep, over the limit "
            f"of {self.limits.max_depth:,} (raise it with `max_depth`)",
            node.start_mark.line,
        )

    def scalar(self, node: ScalarNode) -> Any:
        text: str = node.value
        tag = node.tag
        try:
            if tag == PLAIN:
                value = _RESOLVED.get(text, _MISSING)
                if value is _MISSING:
                    value = goyaml.to_json_value(goyaml.resolve_plain(text)[1])
                    if len(_RESOLVED) < 100_000:
                        _RESOLVED[text] = value
                if type(value) is not str and self._non_specific(node):
                    return text
                return value
            if tag == _STR:
                return text
            return goyaml.to_json_value(goyaml.resolve_tagged(tag, text))
        except YAMLValueError as e:
            raise _Failure(f"invalid value {text!r}: {e}", node.start_mark.line) from None

    def _non_specific(self, node: ScalarNode) -> bool:
        """Whether the plain scalar carries the tag `!` (libyaml reports it like an untagged
        plain scalar; go-yaml then keeps the text as a string)."""
        text = self.text
        i = node.start_mark.index
        if text[i : i + 1] == "&":  # an anchor first: `&a ! 80`
            while i < len(text) and not text[i].isspace():
                i += 1
            while i < len(text) and text[i] in " \t\r\n":
                i += 1
        return text[i : i + 1] == "!" and text[i + 1 : i + 2] in (" ", "\t", "\n", "\r")

    def go_key(self, node: Node) -> Any:
        """The Go value of a mapping key (before JSON conversion)."""
        if type(node) is not ScalarNode:
            raise _Failure(
                "a map key that is a list or a map cannot become a JSON key (kubectl refuses it)",
                node.start_mark.line,
            )
        try:
            if node.tag == PLAIN:
                go = goyaml.resolve_plain(node.value)[1]
                return node.value if type(go) is not str and self._non_specific(node) else go
            if node.tag == _STR:
                return node.value
            return goyaml.resolve_tagged(node.tag, node.value)
        except YAMLValueError as e:
            raise _Failure(f"invalid key {node.value!r}: {e}", node.start_mark.line) from None

    def mapping(self, node: MappingNode, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        # json key -> (go key identity, 0-based line, set by a merge?) for keys seen so far;
        # only filled once something unusual (a merge, a repeat, a non-string key) happens.
        origin: dict[str, tuple[Any, int, bool]] | None = None
        # json key -> {go key identity: (0-based line, value)}: every Go key that ends up in
        # go-yaml's map, so that two of them meeting in one JSON key are caught even when a
        # merge set them far apart (kubectl then keeps one at random)
        held: dict[str, dict[Any, tuple[int, Any]]] = {}
        for index, (key_node, value_node) in enumerate(node.value):
            if (
                type(key_node) is ScalarNode
                and key_node.tag == PLAIN
                and key_node.value in _STRING_KEYS
            ):
                go: Any = key_node.value  # the common case: a plain word seen before
                name = go
            else:
                if (
                    type(key_node) is ScalarNode
                    and key_node.value == "<<"
                    and key_node.tag in (PLAIN, goyaml.MERGE)
                ):
                    if origin is None:
                        origin = self._origins(node, index)
                        _hold(held, origin, out)
                    self._merge(out, origin, held, value_node, depth, key_node.start_mark.line)
                    continue
                if (
                    type(key_node) is ScalarNode
                    and key_node.tag == PLAIN
                    and (not key_node.value or key_node.value[0] not in goyaml.HINTED)
                ):
                    go = key_node.value  # a plain word
                else:
                    go = self.go_key(key_node)
                name = self._json_key(go, key_node)
                _remember_string_key(key_node)
            if origin is None and (name in out or type(go) is not str):
                origin = self._origins(node, index)
                _hold(held, origin, out)
            # a scalar directly: the most common value, no depth to check
            if type(value_node) is ScalarNode:
                value = self.scalar(value_node)
            else:
                value = self.value(value_node, depth + 1)
            if origin is not None:
                line = key_node.start_mark.line
                self._set_again(out, origin, name, go, line, value)
            out[name] = value
            if origin is not None:
                go_id = goyaml.go_key(go)
                origin[name] = (go_id, line, False)
                held.setdefault(name, {})[go_id] = (line, value)
        if origin is not None:
            self.keys_of[id(node)] = {k: (v[0], v[1]) for k, v in origin.items()}
            _one_value_per_json_key(held)
            several = {k: tuple(v) for k, v in held.items() if len(v) > 1}
            if several:
                self.go_keys_of[id(node)] = several
        return out

    def _json_key(self, go: Any, key_node: Node) -> str:
        try:
            return goyaml.json_key(go)
        except YAMLValueError as e:
            raise _Failure(
                f"invalid key {key_node.value!r}: {e}", key_node.start_mark.line
            ) from None

    def _origins(self, node: MappingNode, stop: int) -> dict[str, tuple[Any, int, bool]]:
        """Origins of the keys of the first `stop` entries: explicit keys only (a merge before
        `stop` would have started the bookkeeping already)."""
        found: dict[str, tuple[Any, int, bool]] = {}
        for key_node, _ in node.value[:stop]:
            go = self.go_key(key_node)
            found[self._json_key(go, key_node)] = (
                goyaml.go_key(go),
                key_node.start_mark.line,
                False,
            )
        return found

    def _set_again(
        self,
        out: dict[str, Any],
        origin: dict[str, tuple[Any, int, bool]],
        name: str,
        go: Any,
        line: int,
        value: Any,
    ) -> None:
        """A key set a second time: a repeat (kubectl keeps the last), the same JSON key from
        two different Go keys (kubectl keeps one at random: refused), or a merge override."""
        before = origin.get(name)
        if before is None or name not in out:
            return
        same = before[0] == goyaml.go_key(go)
        if not same:
            if _json_equal(out[name], value):
                return  # both Go keys stay; either way the JSON is the same
            raise _Failure(
                f'two keys become the JSON key "{name}" (lines {before[1] + 1} and {line + 1}); '
                "kubectl would keep one of them at random",
                line,
            )
        if not before[2]:
            self.dups.append((name, line))

    def _merge(
        self,
        out: dict[str, Any],
        origin: dict[str, tuple[Any, int, bool]],
        held: dict[str, dict[Any, tuple[int, Any]]],
        value_node: Node,
        depth: int,
        line: int,
    ) -> None:
        """`<<`: a map, or a list of maps of which the first wins; in go-yaml v2 the merged
        entries overwrite keys set before the `<<` and are overwritten by keys after it."""
        if type(value_node) is MappingNode:
            sources = [value_node]
        elif type(value_node) is SequenceNode and all(
            type(n) is MappingNode for n in value_node.value
        ):
            sources = list(reversed(value_node.value))
        else:
            raise _Failure(_MERGE_NEEDS_MAP, line)
        for src in sources:
            merged = self.value(src, depth + 1)
            self.merged += len(merged)
            if self.merged > self.limits.max_alias_nodes:
                raise _Failure(
                    f"YAML merge keys (<<) copy over {self.limits.max_alias_nodes:,} entries "
                    "(a merge bomb? raise the limit with `max_alias_nodes`)",
                    line,
                )
            keys = self.keys_of.get(id(src), {})
            go_keys = self.go_keys_of.get(id(src), {})
            for name, item in merged.items():
                go_id, _ = keys.get(name, (("str", name), line))
                before = origin.get(name)
                if before is not None and name in out:
                    if before[0] != go_id and not _json_equal(out[name], item):
                        raise _Failure(
                            f'two keys become the JSON key "{name}" (lines {before[1] + 1} and '
                            f"{line + 1}); kubectl would keep one of them at random",
                            line,
                        )
                    if not before[2]:
                        self.notes.append(
                            (
                                f'the merge key "<<" replaces "{name}" set above it at line '
                                f"{before[1] + 1} (go-yaml, as kubectl uses it, applies merges "
                                "in order; put the explicit key after the merge to keep it)",
                                line,
                            )
                        )
                out[name] = item
                origin[name] = (go_id, line, True)
                for each in go_keys.get(name, (go_id,)):
                    held.setdefault(name, {})[each] = (line, item)


_MISSING: Any = object()


def _hold(
    held: dict[str, dict[Any, tuple[int, Any]]],
    origin: dict[str, tuple[Any, int, bool]],
    out: dict[str, Any],
) -> None:
    """Seed `held` with the keys read before the bookkeeping started."""
    for name, (go_id, line, _) in origin.items():
        if name in out:
            held.setdefault(name, {})[go_id] = (line, out[name])


def _one_value_per_json_key(held: dict[str, dict[Any, tuple[int, Any]]]) -> None:
    """Go keys that differ (1, 1.0, 0x1 after a merge) but share a JSON key: sigs.k8s.io/yaml
    writes them one after the other in Go's random map order, so kubectl keeps either value.
    Equal values are harmless; different ones are refused."""
    for name, by_go in held.items():
        if len(by_go) < 2:
            continue
        entries = sorted(by_go.values(), key=lambda e: e[0])
        first_line, first = entries[0]
        for line, value in entries[1:]:
            if not _json_equal(first, value):
                raise _Failure(
                    f'two keys become the JSON key "{name}" (lines {first_line + 1} and '
                    f"{line + 1}); kubectl would keep one of them at random",
                    line,
                )


def _json_equal(a: Any, b: Any) -> bool:
    """Equal as JSON values (1 and true differ; key order does not matter)."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if type(a) is list:
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


sys.setrecursionlimit(max(sys.getrecursionlimit(), 4000))
