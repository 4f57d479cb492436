"""Bytes to documents: YAML through libyaml (CSafeLoader), JSON through orjson.

No positions are kept here; problems that only the parser can place (syntax errors, duplicate
keys) carry their line directly.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import orjson
import yaml

from netreach.errors import Problem
from netreach.load.limits import Limits, document_problem
from netreach.load.recognize import go_template_line, go_template_message
from netreach.load.sources import DecodeFailure, DocMarks, Source, decode_text
from netreach.model import Location

_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.CSafeLoader):
    """CSafeLoader that records duplicate mapping keys (Kubernetes strict decoding rejects
    them) and keeps timestamps as strings (Kubernetes fields and labels are strings)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, int]] = []
        self.marks: list[DocMarks] = []

    def construct_document(self, node: yaml.Node) -> Any:
        """Note where each document (and each item of a `List`) starts, for lazy line lookup
        of huge `kubectl get -o yaml` files: composing them whole again is slow."""
        items: list[int] = []
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == "items" and isinstance(value, yaml.SequenceNode):
                    items = [item.start_mark.line for item in value.value]
        self.marks.append(DocMarks(node.start_mark.line, node.end_mark.line, items))
        return super().construct_document(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[str] = set()
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE_TAG:
                if key.value in seen:
                    self.duplicates.append((key.value, key.start_mark.line + 1))
                seen.add(key.value)
        return super().construct_mapping(node, deep)

    def construct_int(self, node: yaml.ScalarNode) -> int:
        """Python refuses to convert integers of over 4,300 digits: say where, not a traceback."""
        try:
            value: int = super().construct_yaml_int(node)
        except ValueError:
            raise yaml.constructor.ConstructorError(
                None, None, f"integer of {len(node.value):,} digits is too large", node.start_mark
            ) from None
        return value


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_int)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class Parsed:
    """The documents of one source, by index (None for an empty document)."""

    docs: list[tuple[int, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Repeated mapping keys: (document index, key, line or None); the builder names the object.
    duplicates: list[tuple[int, str, int | None]] = field(default_factory=list)

    def duplicate_problems(self, source: Source, ref_of: Callable[[Any], str]) -> list[Problem]:
        """One error per repeated key, naming the object of its document via `ref_of`."""
        values = dict(self.docs)
        return [
            Problem(
                f'duplicate key "{key}" (strict decoding error)',
                _loc(source, line),
                ref_of(values.get(doc)),
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
    stripped = text.lstrip()
    if source.is_json or (stripped.startswith("{") and not source.name.endswith((".yaml", ".yml"))):
        _parse_json(source, text, out)
    else:
        _parse_yaml(source, text, out)
    kept: list[tuple[int, Any]] = []
    for index, value in out.docs:
        why = document_problem(value, limits)
        if why is None:
            kept.append((index, value))
        else:
            out.problems.append(Problem(why, Location(source, index)))
    out.docs = kept
    return out


def _loc(source: Source, line: int | None) -> Location:
    return source.at_line(line) if line is not None else Location(source)


def _parse_json(source: Source, text: str, out: Parsed) -> None:
    if not text.strip():
        return
    try:
        out.docs.append((0, orjson.loads(text)))
    except orjson.JSONDecodeError as e:
        out.problems.append(
            Problem(f"invalid JSON: {e.msg} (column {e.colno})", source.at_line(e.lineno))
        )
        return
    for key in _json_duplicate_keys(text):
        lines: list[int | None] = [*_key_lines(text, key)]
        out.duplicates.extend((0, key, line) for line in lines or [None])


def _char_at(text: str, line: int, column: int) -> str:
    """The character at a 0-based line and column, "" past the end."""
    start = 0
    for _ in range(line):
        start = text.find("\n", start) + 1
        if start == 0:
            return ""
    return text[start + column : start + column + 1]


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


def _key_lines(text: str, key: str) -> list[int]:
    """Lines of the repeated occurrences of `key` (JSON is YAML: compose it, keep no values)."""
    lines: list[int] = []
    try:
        stack: list[yaml.Node] = list(yaml.compose_all(text, Loader=yaml.CSafeLoader))
    except yaml.YAMLError:
        return lines
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen = False
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == key:
                    if seen:
                        lines.append(k.start_mark.line + 1)
                    seen = True
                stack.append(v)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return sorted(lines)


def _parse_yaml(source: Source, text: str, out: Parsed) -> None:
    loader = _Loader(text)
    source.marks = loader.marks
    index = 0
    try:
        while loader.check_data():  # type: ignore[no-untyped-call]  # untyped in the stubs
            value = loader.get_data()
            out.duplicates.extend((index, key, line) for key, line in loader.duplicates)
            loader.duplicates.clear()
            out.docs.append((index, value))
            index += 1
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = e.problem or str(e)
        if e.context:
            what = f"{what} ({e.context}"
            if e.context_mark is not None and mark is not e.context_mark:
                what += f" at line {e.context_mark.line + 1}"
            what += ")"
        err_line = mark.line + 1 if mark is not None else None
        if mark is not None and _char_at(text, mark.line, mark.column) == "\t":
            what += "; a tab: YAML indents with spaces only"
        template = go_template_line(text)
        if template is not None:  # "found unhashable key" says nothing to a chart author
            line, action = template
            out.problems.append(Problem(go_template_message(action), _loc(source, line)))
            return
        out.problems.append(Problem(f"invalid YAML: {what}", _loc(source, err_line)))
    except yaml.YAMLError as e:
        out.problems.append(Problem(f"invalid YAML: {e}", _loc(source, None)))
    except (ValueError, RecursionError) as e:  # a constructor's own limits; no line known
        out.problems.append(Problem(f"invalid YAML: {e}", _loc(source, None)))
    finally:
        loader.dispose()
