"""`netreach report`: the self-contained HTML report (graph, findings, matrix)."""

from __future__ import annotations

import click

from netreach.analyses.report import DEFAULT_MAX_EDGES
from netreach.cli.app import cli
from netreach.cli.common import cluster_from_inputs, input_options, say, step
from netreach.cli.inputs import Verbosity
from netreach.cli.options import out_option, output_option
from netreach.loader.inputs import Inputs
from netreach.render.html import ReportResult, write_report


def tell(result: ReportResult) -> None:
    """One line on stderr saying what was written, then any note (left out, no graph)."""
    size = f"{result.bytes / 1_000_000:.1f} MB" if result.bytes >= 100_000 else f"{result.bytes} B"
    if Verbosity.quiet:
        return  # -q: the notes are in the report itself
    say(f"wrote {result.path} ({size}, {result.nodes} nodes, {result.edges} connections drawn)")
    for note in result.notes:
        say(f"note: {note}")


@cli.command()
@input_options
@out_option("The HTML file to write.", required=True)
@output_option(["html"], default="html", help="The report is one HTML file.")
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
def report(out: str, output: str, by: str, title: str, max_connections: int, inputs: Inputs) -> int:
    """Write one self-contained HTML file: summary, graph, findings, matrix. Opens offline.

    \b
    Example:
      netreach report examples/lesson --out report.html
    """
    cluster = cluster_from_inputs(inputs)
    with step("writing the report"):
        result = write_report(
            cluster,
            out,
            by="pod" if by == "pod" else "workload",
            title=title,
            namespaces=inputs.scope,
            max_edges=max_connections,
        )
    tell(result)
    return 0
