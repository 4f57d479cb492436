"""`netreach analyze`: the main job. Validation, isolation, reach of isolated workloads, map."""

from __future__ import annotations

from typing import Any

import click
from rich.markup import escape

from netreach.cli.app import cli
from netreach.cli.common import (
    cluster_from_inputs,
    collect_inputs,
    input_options,
    namespaces_in_scope,
)
from netreach.cli.report import tell
from netreach.escape import terminal
from netreach.query.caveats import snapshot_caveats
from netreach.render.html import write_report
from netreach.render.summary import print_analysis
from netreach.render.text import console


@cli.command()
@input_options
@click.option(
    "--map-limit",
    type=int,
    default=200,
    show_default=True,
    help="Rows of the connectivity map to show.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Also write the HTML report (as `netreach report`) to this file.",
)
def analyze(map_limit: int, report_path: str | None, **kwargs: Any) -> int:
    """Validate, then show what is isolated, what reaches it and the workload map.

    \b
    Example:
      netreach analyze examples/lesson
    """
    inputs = collect_inputs(kwargs)
    cluster = cluster_from_inputs(inputs)
    caveats = snapshot_caveats(cluster.snapshot)
    if caveats:
        # At the top: every answer below may be incomplete where these apply.
        console.print(
            f"[bold yellow]The answers below may be incomplete[/] ({len(caveats)} caveat"
            f"{'s' if len(caveats) != 1 else ''}):"
        )
        for caveat in caveats:
            console.print(f"  caveat: {escape(terminal(caveat))}")
        console.print()
    print_analysis(cluster, console, map_limit=map_limit)
    if report_path is not None:
        tell(write_report(cluster, report_path, namespaces=namespaces_in_scope(inputs)))
    return 0
