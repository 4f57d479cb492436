"""Following a field path through composed YAML nodes to its line, with the decoder's key rules:
keys are matched by the JSON key kubectl makes of them (`y:` is "true", `0x10:` is "16") and
merge keys (`<<`) are followed, the entry that wins in go-yaml being the one reported."""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from netreach.load import goyaml
from netreach.model import PathPart


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
        return _entry(node, str(part), set())
    if isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        item: Node = node.value[part]
        return item.start_mark.line, item
    return None


def _entry(node: MappingNode, name: str, seen: set[int]) -> tuple[int, Node] | None:
    """The winning entry for JSON key `name`: the last writer in go-yaml's order, where a merge
    writes its maps (the first of a list winning) at the place of the `<<` key."""
    if id(node) in seen:
        return None  # a recursive alias
    seen.add(id(node))
    found: tuple[int, Node] | None = None
    for key, value in node.value:
        if not isinstance(key, ScalarNode):
            continue
        if key.value == "<<" and key.tag in (goyaml.PLAIN, goyaml.MERGE):
            merged = _merged(value, name, seen)
            if merged is not None:
                found = merged
            continue
        if _json_key(key) == name:
            found = (key.start_mark.line, value)
    return found


def _merged(value: Node, name: str, seen: set[int]) -> tuple[int, Node] | None:
    sources = [value] if isinstance(value, MappingNode) else []
    if isinstance(value, SequenceNode):
        sources = [n for n in value.value if isinstance(n, MappingNode)]
    for src in sources:  # the first map that has the key wins
        got = _entry(src, name, set(seen))
        if got is not None:
            return got
    return None


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
