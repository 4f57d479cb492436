"""`netreach report`: the self-contained HTML report (graph, findings, matrix)."""

from __future__ import annotations

from typing import Any

import click

from netreach.analyses.report import DEFAULT_MAX_EDGES
from netreach.cli.app import cli
from netreach.cli.common import (
    cluster_from_inputs,
    collect_inputs,
    input_options,
    namespaces_in_scope,
    say,
)
from netreach.render.html import ReportResult, write_report


def tell(result: ReportResult) -> None:
    """One line on stderr saying what was written, then any note (left out, no graph)."""
    size = f"{result.bytes / 1_000_000:.1f} MB" if result.bytes >= 100_000 else f"{result.bytes} B"
    say(f"wrote {result.path} ({size}, {result.nodes} nodes, {result.edges} connections)")
    for note in result.notes:
        say(f"note: {note}")


@cli.command()
@input_options
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="The HTML file to write.",
)
@click.option(
    "--by",
    type=click.Choice(["workload", "pod"]),
    default="workload",
    show_default=True,
    help="Graph nodes: workloads or single pods.",
)
@click.option("--title", default="netreach report", show_default=True, help="Page title.")
@click.option(
    "--max-connections",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_EDGES,
    show_default=True,
    help="Connections listed in the map; past that it is cut (the matrix stays complete).",
)
def report(output: str, by: str, title: str, max_connections: int, **kwargs: Any) -> int:
    """Write one self-contained HTML file: summary, graph, findings, matrix. Opens offline.

    \b
    Example:
      netreach report examples/lesson -o report.html
    """
    inputs = collect_inputs(kwargs)
    cluster = cluster_from_inputs(inputs)
    result = write_report(
        cluster,
        output,
        by="pod" if by == "pod" else "workload",
        title=title,
        namespaces=namespaces_in_scope(inputs),
        max_edges=max_connections,
    )
    tell(result)
    return 0
