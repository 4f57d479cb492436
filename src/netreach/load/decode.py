"""Bytes to documents: YAML through libyaml (CSafeLoader), JSON through orjson.

No positions are kept here; problems that only the parser can place (syntax errors, duplicate
keys) carry their line directly.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import orjson
import yaml

from netreach.errors import Problem
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


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class Parsed:
    """The documents of one source, by index (None for an empty document)."""

    docs: list[tuple[int, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def parse_source(source: Source) -> Parsed:
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


def _parse_yaml(source: Source, text: str, out: Parsed) -> None:
    loader = _Loader(text)
    source.marks = loader.marks
    index = 0
    try:
        while loader.check_data():  # type: ignore[no-untyped-call]  # untyped in the stubs
            value = loader.get_data()
            for key, line in loader.duplicates:
                out.problems.append(
                    Problem(f'duplicate key "{key}" (strict decoding error)', source.at_line(line))
                )
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
        out.problems.append(Problem(f"invalid YAML: {what}", _loc(source, err_line)))
    except yaml.YAMLError as e:
        out.problems.append(Problem(f"invalid YAML: {e}", _loc(source, None)))
    finally:
        loader.dispose()
