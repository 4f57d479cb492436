"""Connectivity maps in every format, written as a stream (never the whole text in memory).

The machine formats (txt, json, csv) are written a source row at a time from the map's rows
(node indexes and connection ids): each node and each connection set is encoded once, and a
row is joined as bytes, so a map of millions of connections costs no object per connection.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from netreach.engine.conns import ConnectionSet
from netreach.escape import csv_cell, dot_string, markdown, one_line
from netreach.query.connectivity import Connection, Connectivity, node_json
from netreach.render.addresses import shown

FORMATS = ("table", "text", "json", "csv", "md", "dot")
ALIASES = {"txt": "text"}  # the old name of `text`, still accepted


def conns_text(c: Connection, compat: bool = False) -> str:
    return c.conns.compat_text() if compat else str(c.conns)


def _compat_id(node_id: str) -> str:
    """netpol-analyzer marks address ranges `[External]`; pod and workload ids hold a '/'."""
    return node_id if "/" in node_id else f"{node_id}[External]"


Progress = Callable[[], None]  # called once per source row


class _Encoded:
    """Node ids and connection sets encoded once, by index and by id; a row's lines joined
    as `HEAD DST MID CONN TAIL` with `DST+MID` and `CONN+TAIL` precomputed, so that a line
    costs one concatenation (15 million lines: the per-line pieces were most of the time)."""

    def __init__(
        self,
        cmap: Connectivity,
        node: Callable[[str], bytes],
        conns: Callable[[ConnectionSet], bytes],
        mid: bytes = b"",
        tail: bytes = b"",
    ) -> None:
        self._conns = conns
        self._tail = tail
        self.nodes = [node(n.id) for n in cmap.nodes]
        self._dst = [n + mid for n in self.nodes]
        self.sets = cmap.sets
        self._by_id: list[bytes] = []

    def conn(self, v: int) -> bytes:
        by_id = self._by_id
        while len(by_id) <= v:  # the table grows while rows are computed
            by_id.append(self._conns(self.sets[len(by_id)]) + self._tail)
        return by_id[v]

    def row(self, head: bytes, sep: bytes, js: list[int], ids: list[int]) -> bytes:
        """`head DST MID CONN TAIL` for each destination, `sep` between lines."""
        if ids:
            self.conn(max(ids))
        dst, by_id = self._dst, self._by_id
        return head + (sep + head).join([dst[j] + by_id[v] for j, v in zip(js, ids, strict=True)])


def _rows(
    cmap: Connectivity, progress: Progress | None
) -> Iterator[tuple[int, list[int], list[int]]]:
    for row in cmap.rows():
        if progress is not None:
            progress()
        yield row


def _binary(out: IO[str]) -> tuple[Callable[[bytes], Any], Callable[[], None]]:
    """Write bytes to a text stream's buffer when it has one (stdout, files)."""
    buffer = getattr(out, "buffer", None)
    if buffer is not None:
        out.flush()
        return buffer.write, buffer.flush
    return (lambda b: out.write(b.decode())), out.flush


def write_txt(
    cmap: Connectivity, out: IO[str], compat: bool = False, progress: Progress | None = None
) -> int:
    """`SRC => DST : CONNECTIONS`, one line per connection; address ranges as CIDRs (as the
    range with `compat`, netpol-analyzer's format)."""
    enc = _Encoded(
        cmap,
        lambda i: one_line(_compat_id(i) if compat else shown(i)).encode(),
        lambda c: (c.compat_text() if compat else str(c)).encode(),
        mid=b" : ",
        tail=b"\n",
    )
    write, flush = _binary(out)
    n = 0
    for i, js, ids in _rows(cmap, progress):
        if js:
            write(enc.row(enc.nodes[i] + b" => ", b"", js, ids))
        n += len(js)
    flush()
    return n


def write_json(cmap: Connectivity, out: IO[str], progress: Progress | None = None) -> int:
    """`{"version": 1, "nodes": [...], "connections": [...]}`, one item per line."""
    write, flush = _binary(out)
    write(b'{"version": 1,\n "nodes": [')
    write(b",".join(b"\n  " + orjson.dumps(node_json(node)) for node in cmap.nodes))
    write(b'\n ],\n "connections": [')
    enc = _Encoded(
        cmap, orjson.dumps, lambda c: orjson.dumps(c.to_json()), mid=b',"allowed":', tail=b"}"
    )
    sep = b',\n  {"src":'
    n = 0
    for i, js, ids in _rows(cmap, progress):
        if js:
            row = enc.row(enc.nodes[i] + b',"dst":', sep, js, ids)
            write((b'\n  {"src":' if n == 0 else sep) + row)
        n += len(js)
    write(b"\n ]\n}\n")
    flush()
    return n


def _csv_cell(text: str) -> bytes:
    """One CSV field as csv.writer writes it (quoted when it must be)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([text])
    return buf.getvalue().encode()


def write_csv(cmap: Connectivity, out: IO[str], progress: Progress | None = None) -> int:
    write, flush = _binary(out)
    write(b"src,dst,connections\n")
    enc = _Encoded(
        cmap,
        lambda i: _csv_cell(csv_cell(one_line(i))),
        lambda c: _csv_cell(str(c)),
        mid=b",",
        tail=b"\n",
    )
    n = 0
    for i, js, ids in _rows(cmap, progress):
        if js:
            write(enc.row(enc.nodes[i] + b",", b"", js, ids))
        n += len(js)
    flush()
    return n


def write_md(conns: Iterable[Connection], out: IO[str]) -> int:
    out.write("| src | dst | connections |\n|---|---|---|\n")
    n = 0
    for c in conns:
        src, dst = markdown(shown(c.src)), markdown(shown(c.dst))
        out.write(f"| {src} | {dst} | {markdown(str(c.conns))} |\n")
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
                label = dot_string(shown(nid).replace(", ", "\n"))
                out.write(f'  "{dot_string(nid)}" [label="{label}", shape=box, style=dashed];\n')
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


# Past this many rows a Rich table costs minutes and gigabytes (a 1,055-pod map of 1.1 million
# rows: 381 s, 3.3 GB): longer maps are laid out as aligned columns, streamed.
TABLE_ROWS = 5_000


def print_table(conns: Iterable[Connection], console: Console, title: str = "") -> int:
    """The map as a Rich table (for maps up to `TABLE_ROWS`; see `write_table`)."""
    table = Table(title=title or None, show_lines=False, header_style="bold")
    table.add_column("source", overflow="fold")
    table.add_column("destination", overflow="fold")
    table.add_column("connections", overflow="fold")
    n = 0
    for c in conns:
        # Text, not str: a str cell is Rich markup, and ids such as `ns/x[Kind]` hold brackets.
        table.add_row(
            Text(one_line(shown(c.src))), Text(one_line(shown(c.dst))), Text(str(c.conns))
        )
        n += 1
    console.print(table)
    return n


def write_table(
    cmap: Connectivity,
    console: Console,
    progress: Progress | None = None,
    limit: int = TABLE_ROWS,
) -> int:
    """A Rich table up to `limit` rows; a longer map as aligned `source  destination
    connections` columns as wide as its longest node id, streamed a source row at a time."""
    rows = _rows(cmap, progress)
    head: list[tuple[int, list[int], list[int]]] = []
    count = 0
    for row in rows:
        head.append(row)
        count += len(row[1])
        if count > limit:
            break
    else:
        nodes, sets = cmap.nodes, cmap.sets
        return print_table(
            (
                Connection(nodes[i].id, nodes[j].id, sets[v])
                for i, js, ids in head
                for j, v in zip(js, ids, strict=True)
            ),
            console,
        )
    shown_ids = [one_line(shown(n.id)) for n in cmap.nodes]
    width = max(len("destination"), *map(len, shown_ids))
    padded = {n.id: text.ljust(width) for n, text in zip(cmap.nodes, shown_ids, strict=True)}
    enc = _Encoded(
        cmap, lambda i: padded[i].encode(), lambda c: str(c).encode(), mid=b"  ", tail=b"\n"
    )
    out = console.file
    write, flush = _binary(out)
    write(f"{'source'.ljust(width)}  {'destination'.ljust(width)}  connections\n".encode())
    n = 0
    for i, js, ids in itertools.chain(head, rows):
        if js:
            write(enc.row(enc.nodes[i] + b"  ", b"", js, ids))
        n += len(js)
    flush()
    return n


def render(
    cmap: Connectivity,
    fmt: str,
    out: IO[str],
    console: Console,
    progress: Progress | None = None,
    compat: bool = False,
) -> int:
    """Write the map in `fmt`; returns the number of connections written. `progress` is
    called once per source row."""

    def stream() -> Iterator[Connection]:
        nodes, sets = cmap.nodes, cmap.sets
        for i, js, ids in _rows(cmap, progress):
            for j, v in zip(js, ids, strict=True):
                yield Connection(nodes[i].id, nodes[j].id, sets[v])

    writers: dict[str, Callable[[], int]] = {
        "text": lambda: write_txt(cmap, out, compat, progress),
        "json": lambda: write_json(cmap, out, progress),
        "csv": lambda: write_csv(cmap, out, progress),
        "md": lambda: write_md(stream(), out),
        "dot": lambda: write_dot(cmap, out, stream()),
        "table": lambda: write_table(cmap, console, progress),
    }
    return writers[ALIASES.get(fmt, fmt)]()
