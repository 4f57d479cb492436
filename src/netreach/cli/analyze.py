"""`netreach analyze`: the main job. Validation, isolation, reach of isolated workloads, map."""

from __future__ import annotations

import click
import orjson
from rich.markup import escape

from netreach.cli.app import cli
from netreach.cli.common import cluster_from_inputs, echo_to_stdout, input_options, step
from netreach.cli.options import output_option
from netreach.cli.report import tell
from netreach.escape import terminal
from netreach.loader.inputs import Inputs
from netreach.query.caveats import snapshot_caveats
from netreach.render.html import write_report
from netreach.render.summary import print_analysis
from netreach.render.text import console


@cli.command()
@input_options
@output_option(["text", "json"], help="json: every figure and the whole map (docs/output.md).")
@click.option(
    "--map-limit",
    type=int,
    default=200,
    show_default=True,
    help="Rows of the connectivity map to show (text).",
)
@click.option(
    "--report",
    "report_path",
    metavar="FILE",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Also write the HTML report (as `netreach report`) to this file.",
)
def analyze(output: str, map_limit: int, report_path: str | None, inputs: Inputs) -> int:
    """Validate, then show what is isolated, what reaches it and the workload map.

    \b
    Examples:
      netreach analyze examples/lesson
      netreach analyze examples/lesson -o json
    """
    cluster = cluster_from_inputs(inputs)
    if output == "json":
        from netreach.analyses.summary import analysis

        with step("analysing"):
            data = analysis(cluster, inputs.scope)
        data["caveats"] = snapshot_caveats(cluster.snapshot)
        echo_to_stdout(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
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
        with step("writing the report"):
            result = write_report(cluster, report_path, namespaces=inputs.scope)
        tell(result)
    return 0
