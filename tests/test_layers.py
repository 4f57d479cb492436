"""The import rule (docs/architecture.md): imports run one way, down the layers, and no two
modules import each other, whether at the top of a module, inside a function (lazy) or under
`TYPE_CHECKING`.

    cli  >  render  >  front door (netreach, netreach.cluster)  >  analyses, dataplane
         >  query  >  engine | loader (beside each other, never importing each other)
         >  base (version, location, errors, model, escape, paths, writes, manifest)
"""

from __future__ import annotations

import ast
from pathlib import Path

from paths import ROOT

SRC = ROOT / "src"

# top-level part of the module name -> layer (higher imports lower, never the reverse)
LAYERS: dict[str, int] = {
    **dict.fromkeys(
        ["version", "location", "errors", "model", "escape", "paths", "writes", "manifest"], 0
    ),
    **dict.fromkeys(["engine", "loader", "calico_selector"], 1),
    "query": 2,
    **dict.fromkeys(["analyses", "dataplane"], 3),
    **dict.fromkeys(["", "cluster"], 4),
    "render": 5,
    **dict.fromkeys(["cli", "__main__"], 6),
}
# same layer, yet kept apart: the engine decides, the input layer reads
APART = {"engine", "loader"}


def _modules() -> dict[str, Path]:
    out = {}
    for f in sorted((SRC / "netreach").rglob("*.py")):
        parts = f.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


def _imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Every netreach module each module imports, wherever the import statement is."""
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for m, f in mods.items():
        package = m if f.name == "__init__.py" else m.rpartition(".")[0]
        for node in ast.walk(ast.parse(f.read_text(), str(f))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                # `from pkg import submodule` imports the submodule; other names, the package
                subs = [f"{base}.{a.name}" for a in node.names]
                targets = [t for t in subs if t in mods]
                if len(targets) < len(subs):
                    targets.append(base)
            edges[m].update(t for t in targets if t in mods and t != m)
    return edges


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    component = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        component.append(w)
                        if w == v:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_every_module_has_a_layer() -> None:
    assert {_top(m) for m in _modules()} - set(LAYERS) == set()


def test_no_import_cycle() -> None:
    assert _cycles(_imports(_modules())) == []


def test_cycle_finder_finds_a_cycle() -> None:
    # the rule above would pass vacuously if the finder never found anything
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_imports_only_go_down() -> None:
    upward = []
    for m, targets in _imports(_modules()).items():
        for t in targets:
            a, b = _top(m), _top(t)
            if LAYERS[b] > LAYERS[a] or (a != b and {a, b} <= APART):
                upward.append(f"{m} -> {t}")
    assert sorted(upward) == []


def test_the_parser_sees_lazy_and_type_only_imports() -> None:
    edges = _imports(_modules())
    # netreach.cluster imports its analyses inside methods, and Reach only for annotations
    assert "netreach.analyses.audit" in edges["netreach.cluster"]
    assert "netreach.query.reach" in edges["netreach.analyses.posture"]
