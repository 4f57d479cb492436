"""Connectivity maps in every format, written as a stream (never the whole text in memory)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from typing import IO

import orjson
from rich.console import Console
from rich.table import Table

from netreach.analyses.connectivity import Connection, Connectivity, connection_json, node_json
from netreach.render.escape import csv_cell, dot_string, markdown, terminal

FORMATS = ("table", "txt", "json", "csv", "md", "dot")


def conns_text(c: Connection, compat: bool = False) -> str:
    return c.conns.compat_text() if compat else str(c.conns)


def _compat_id(node_id: str) -> str:
    """netpol-analyzer marks address ranges `[External]`; pod and workload ids hold a '/'."""
    return node_id if "/" in node_id else f"{node_id}[External]"


def write_txt(conns: Iterable[Connection], out: IO[str], compat: bool = False) -> int:
    n = 0
    for c in conns:
        src, dst = (_compat_id(c.src), _compat_id(c.dst)) if compat else (c.src, c.dst)
        out.write(f"{terminal(src)} => {terminal(dst)} : {conns_text(c, compat)}\n")
        n += 1
    return n


def write_json(cmap: Connectivity, out: IO[str], conns: Iterable[Connection]) -> int:
    """`{"version": 1, "nodes": [...], "connections": [...]}`, one item per line."""
    out.write('{"version": 1,\n "nodes": [')
    for i, node in enumerate(cmap.nodes):
        out.write(("\n  " if i == 0 else ",\n  ") + orjson.dumps(node_json(node)).decode())
    out.write('\n ],\n "connections": [')
    n = 0
    for c in conns:
        out.write(("\n  " if n == 0 else ",\n  ") + orjson.dumps(connection_json(c)).decode())
        n += 1
    out.write("\n ]\n}\n")
    return n


def write_csv(conns: Iterable[Connection], out: IO[str]) -> int:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["src", "dst", "connections"])
    n = 0
    for c in conns:
        w.writerow([csv_cell(c.src), csv_cell(c.dst), csv_cell(str(c.conns))])
        n += 1
    return n


def write_md(conns: Iterable[Connection], out: IO[str]) -> int:
    out.write("| src | dst | connections |\n|---|---|---|\n")
    n = 0
    for c in conns:
        out.write(f"| {markdown(c.src)} | {markdown(c.dst)} | {markdown(str(c.conns))} |\n")
        n += 1
    return n


def write_dot(cmap: Connectivity, out: IO[str], conns: Iterable[Connection]) -> int:
    """Namespaces as clusters, external ranges as boxes, edges labelled with ports."""
    out.write(
        "digraph netreach {\n  rankdir=LR;\n  node [shape=ellipse, fontsize=10];\n"
        "  edge [fontsize=9];\n"
    )
    by_ns: dict[str | None, list[str]] = {}
    for node in cmap.nodes:
        by_ns.setdefault(node.namespace, []).append(node.id)
    for i, (ns, ids) in enumerate(sorted(by_ns.items(), key=lambda kv: kv[0] or "~")):
        if ns is None:
            for nid in ids:
                out.write(f'  "{dot_string(nid)}" [shape=box, style=dashed];\n')
            continue
        out.write(f'  subgraph cluster_{i} {{\n    label="{dot_string(ns)}";\n    style=rounded;\n')
        for nid in ids:
            label = nid.split("/", 1)[1] if "/" in nid else nid
            out.write(f'    "{dot_string(nid)}" [label="{dot_string(label)}"];\n')
        out.write("  }\n")
    n = 0
    for c in conns:
        out.write(
            f'  "{dot_string(c.src)}" -> "{dot_string(c.dst)}" '
            f'[label="{dot_string(str(c.conns))}"];\n'
        )
        n += 1
    out.write("}\n")
    return n


def print_table(conns: Iterable[Connection], console: Console, title: str = "") -> int:
    table = Table(title=title or None, show_lines=False, header_style="bold")
    table.add_column("source", overflow="fold")
    table.add_column("destination", overflow="fold")
    table.add_column("connections", overflow="fold")
    n = 0
    for c in conns:
        table.add_row(terminal(c.src), terminal(c.dst), str(c.conns))
        n += 1
    console.print(table)
    return n


def render(
    cmap: Connectivity,
    fmt: str,
    out: IO[str],
    console: Console,
    conns: Iterator[Connection] | None = None,
    compat: bool = False,
) -> int:
    """Write the map in `fmt`; returns the number of connections written."""
    stream = conns if conns is not None else iter(cmap)
    writers: dict[str, Callable[[], int]] = {
        "txt": lambda: write_txt(stream, out, compat),
        "json": lambda: write_json(cmap, out, stream),
        "csv": lambda: write_csv(stream, out),
        "md": lambda: write_md(stream, out),
        "dot": lambda: write_dot(cmap, out, stream),
        "table": lambda: print_table(stream, console),
    }
    return writers[fmt]()
