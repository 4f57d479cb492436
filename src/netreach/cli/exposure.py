"""`netreach exposure`: what each workload is open to beyond named peers."""

from __future__ import annotations

import sys

import click

from netreach.analyses.exposure import Thresholds, exposure
from netreach.cli.app import cli
from netreach.cli.common import cluster_from_inputs, input_options
from netreach.cli.options import fail_on_option, flatten, output_option
from netreach.loader.inputs import Inputs
from netreach.render.exposure import FORMATS, print_text, write_json, write_markdown
from netreach.render.text import console


@cli.command("exposure")
@input_options
@output_option(FORMATS)
@click.option(
    "--wide-prefix",
    type=click.IntRange(0, 32),
    default=16,
    show_default=True,
    help="An IPv4 ipBlock this wide or wider (/N) counts as exposure.",
)
@click.option(
    "--wide-prefix6",
    type=click.IntRange(0, 128),
    default=48,
    show_default=True,
    help="The same for IPv6.",
)
@fail_on_option(
    ("exposed", "unprotected", "any", "never"),
    "Exit 1 when a workload is exposed, not protected, or either (any). Comma-separated or "
    "repeated.",
    default="never",
)
@click.option("--fail", "fail_any", is_flag=True, hidden=True, help="The old --fail-on any.")
def exposure_command(
    output: str,
    wide_prefix: int,
    wide_prefix6: int,
    fail_on: tuple[tuple[str, ...], ...],
    fail_any: bool,
    inputs: Inputs,
) -> int:
    """Workloads open to the internet, to every or future namespaces, or not protected.

    \b
    Examples:
      netreach exposure examples/lesson
      netreach exposure examples/lesson -n default -o md
      netreach exposure examples/lesson --fail-on unprotected
    """
    conditions = set(flatten(fail_on)) - {"never"}
    if fail_any or "any" in conditions:
        conditions = {"exposed", "unprotected"}
    cluster = cluster_from_inputs(inputs, gate=bool(conditions))
    report = exposure(
        cluster,
        namespaces=inputs.scope,
        thresholds=Thresholds(wide_prefix, wide_prefix6),
    )
    if output == "json":
        write_json(report, sys.stdout)
    elif output == "md":
        write_markdown(report, sys.stdout)
    else:
        print_text(report, console, workloads=len(cluster.workloads))
    failed = ("exposed" in conditions and report.exposures) or (
        "unprotected" in conditions and report.unprotected
    )
    return 1 if failed else 0
