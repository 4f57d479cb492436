"""Resource limits on the input, so hostile files stop with a message instead of eating memory.

Parsed YAML shares aliased nodes (a "billion laughs" document is small in memory), but anything
that walks it (validation, messages quoting a value) would expand every alias. So every parsed
document is measured once, sharing-aware, before anything else looks at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MIB = 1 << 20
# Seconds for one API request to a live cluster (connect and each read).
DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class Limits:
    """Input limits; each has a CLI flag of the same name (e.g. --max-input-bytes)."""

    # Sum of the sizes of all input files (and stdin). Loaded objects take about 10 (JSON) to
    # 20 (YAML) times their text in memory: 256 MiB fits `kubectl get -o json` of a
    # 150,000-pod cluster with slim pods (about 100 MB, 1.1 GiB loaded) and refuses a 1 GB file.
    max_input_bytes: int = 256 * MIB
    # Nodes a document gains by expanding its YAML aliases (0 aliases: gains nothing).
    max_alias_nodes: int = 100_000
    # Nesting of mappings and lists in a document; Kubernetes objects need about 15. The parsers
    # stop at about 1,000 whatever this says.
    max_depth: int = 100


@dataclass(frozen=True, slots=True)
class Shape:
    """Size of a document: its nodes as stored, as expanded, and its depth."""

    nodes: int
    expanded: int
    depth: int

    @property
    def alias_nodes(self) -> int:
        return self.expanded - self.nodes


class RecursiveDocument(Exception):
    """A YAML alias refers to one of its own ancestors (the document is infinite)."""


def measure(value: Any) -> Shape:
    """Nodes (each mapping, list and scalar), expanded nodes and depth of a parsed document, in
    time proportional to the stored size. Iterative: depth is not bounded by Python's stack."""
    if not isinstance(value, dict | list):
        return Shape(1, 1, 0)
    done: dict[int, tuple[int, int]] = {}  # id -> (expanded nodes, depth) of the subtree
    open_: set[int] = set()  # containers whose subtree is being walked: the ancestors
    nodes = 0
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        node, finishing = stack.pop()
        key = id(node)
        children = node.values() if isinstance(node, dict) else node
        if finishing:
            expanded, depth = 1, 0
            nodes += 1
            for child in children:
                if isinstance(child, dict | list):
                    e, d = done[id(child)]
                    expanded += e
                    depth = max(depth, d)
                else:
                    expanded += 1
                    nodes += 1
            done[key] = (expanded, depth + 1)
            open_.discard(key)
            continue
        if key in done:
            continue
        if key in open_:
            raise RecursiveDocument
        open_.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if isinstance(c, dict | list))
    expanded, depth = done[id(value)]
    return Shape(nodes, expanded, depth)


def document_problem(value: Any, limits: Limits) -> str | None:
    """Why a parsed document breaks a limit (a message naming the flag), or None."""
    try:
        shape = measure(value)
    except RecursiveDocument:
        return "YAML alias refers to itself (an infinite document); expected a finite object"
    if shape.alias_nodes > limits.max_alias_nodes:
        return (
            f"YAML aliases expand the document by {shape.alias_nodes:,} nodes, over the limit of "
            f"{limits.max_alias_nodes:,} (an alias bomb? raise it with `max_alias_nodes`)"
        )
    if shape.depth > limits.max_depth:
        return (
            f"document nests {shape.depth:,} levels deep, over the limit of {limits.max_depth:,} "
            "(raise it with `max_depth`)"
        )
    return None
