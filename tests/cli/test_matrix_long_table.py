"""A map longer than a Rich table can lay out in reasonable time is printed as aligned
columns, every connection once, in the map's order (render.matrix.write_table)."""

from __future__ import annotations

import io

from rich.console import Console

import netreach
from netreach.render.addresses import shown
from netreach.render.matrix import write_table
from paths import LESSON


def _table(limit: int) -> tuple[int, str]:
    cluster = netreach.load(LESSON)
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None)
    n = write_table(cluster.connectivity("workload", True), console, limit=limit)
    return n, out.getvalue()


def test_past_the_limit_every_connection_is_a_row_of_aligned_columns() -> None:
    n_table, table = _table(10_000)
    n_cols, cols = _table(3)
    assert n_cols == n_table > 3
    lines = cols.splitlines()
    assert lines[0].split() == ["source", "destination", "connections"]
    assert len(lines) == 1 + n_cols
    dst_at = lines[0].index("destination")
    assert all(line[dst_at - 2 : dst_at] == "  " for line in lines[1:])
    cluster = netreach.load(LESSON)
    want = list(cluster.connectivity("workload", True))
    conns_at = lines[0].index("connections")
    for line, c in zip(lines[1:], want, strict=True):
        assert line[:dst_at].rstrip() == shown(c.src)
        assert line[dst_at:conns_at].rstrip() == shown(c.dst)
        assert line[conns_at:] == str(c.conns)
    assert "source" in table  # under the limit: the Rich table
