"""Following a field path through composed YAML nodes to its line, with the decoder's key rules:
keys are matched by the JSON key kubectl makes of them (`y:` is "true", `0x10:` is "16") and
merge keys (`<<`) are followed, the entry that wins in go-yaml being the one reported."""

from __future__ import annotations

import weakref

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from netreach.loader import goyaml
from netreach.location import PathPart


def line_in(node: Node | None, path: tuple[PathPart, ...], first_line: int) -> int | None:
    """1-based line of `path` below `node`, whose text starts at 0-based `first_line`; the
    nearest existing ancestor when the path goes further than the document."""
    if node is None:
        return None
    line = node.start_mark.line
    for part in path:
        step = child(node, part)
        if step is None:
            break
        line, node = step
    return first_line + line + 1


def child(node: Node, part: PathPart) -> tuple[int, Node] | None:
    """The child at `part` and the line to report for it (a mapping entry: its key's line)."""
    if isinstance(node, MappingNode):
        return _index(node).get(str(part))
    if isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        item: Node = node.value[part]
        return item.start_mark.line, item
    return None


# mapping node -> its entries by JSON key: one pass per mapping, however many lookups
_INDEX: weakref.WeakKeyDictionary[MappingNode, dict[str, tuple[int, Node]]] = (
    weakref.WeakKeyDictionary()
)
_OPEN: set[int] = set()  # mappings being indexed (a recursive merge is not followed)


def _index(node: MappingNode) -> dict[str, tuple[int, Node]]:
    """JSON key -> (line of its key, value node), the winning entry in go-yaml's order: the
    last writer, where a merge writes its maps (the first of a list winning) at the place of
    the `<<` key."""
    found = _INDEX.get(node)
    if found is not None:
        return found
    found = {}
    _OPEN.add(id(node))
    try:
        for key, value in node.value:
            if not isinstance(key, ScalarNode):
                continue
            if key.value == "<<" and key.tag in (goyaml.PLAIN, goyaml.MERGE):
                found.update(_merged(value))
                continue
            name = _json_key(key)
            if name is not None:
                found[name] = (key.start_mark.line, value)
    finally:
        _OPEN.discard(id(node))
    _INDEX[node] = found
    return found


def _merged(value: Node) -> dict[str, tuple[int, Node]]:
    sources = [value] if isinstance(value, MappingNode) else []
    if isinstance(value, SequenceNode):
        sources = [n for n in value.value if isinstance(n, MappingNode)]
    merged: dict[str, tuple[int, Node]] = {}
    for src in reversed(sources):  # the first map that has a key wins
        if id(src) not in _OPEN:
            merged.update(_index(src))
    return merged


def _json_key(key: ScalarNode) -> str | None:
    tag = key.tag
    try:
        if tag == goyaml.PLAIN:
            go = goyaml.resolve_plain(key.value)[1]
        else:
            go = goyaml.resolve_tagged(tag, key.value)
        return goyaml.json_key(go)
    except goyaml.YAMLValueError:
        return None
