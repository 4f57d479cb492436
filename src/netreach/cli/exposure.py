"""`netreach exposure`: what each workload is open to beyond named peers."""

from __future__ import annotations

import sys
from typing import Any

import click

from netreach.analyses.exposure import Thresholds, exposure
from netreach.cli.app import cli
from netreach.cli.common import (
    cluster_from_inputs,
    collect_inputs,
    input_options,
    namespaces_in_scope,
)
from netreach.render.exposure import FORMATS, print_text, write_json, write_markdown
from netreach.render.text import console


@cli.command("exposure")
@input_options
@click.option("-o", "--output", type=click.Choice(FORMATS), default="text", show_default=True)
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
@click.option("--fail", is_flag=True, help="Exit 1 when anything is exposed or unprotected.")
def exposure_command(
    output: str, wide_prefix: int, wide_prefix6: int, fail: bool, **kwargs: Any
) -> int:
    """Workloads open to the internet, to every or future namespaces, or not protected.

    \b
    Examples:
      netreach exposure examples/lesson
      netreach exposure cluster/ -n shop -o md
    """
    inputs = collect_inputs(kwargs)
    cluster = cluster_from_inputs(inputs, gate=fail)
    report = exposure(
        cluster,
        namespaces=namespaces_in_scope(inputs),
        thresholds=Thresholds(wide_prefix, wide_prefix6),
    )
    if output == "json":
        write_json(report, sys.stdout)
    elif output == "md":
        write_markdown(report, sys.stdout)
    else:
        print_text(report, console, workloads=len(cluster.workloads))
    return 1 if fail and (report.exposures or report.unprotected) else 0
