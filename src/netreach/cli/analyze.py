"""`netreach analyze`: the main job. Validation, isolation, reach of isolated workloads, map."""

from __future__ import annotations

from typing import Any

import click

from netreach.cli.app import cli
from netreach.cli.common import cluster_from_inputs, collect_inputs, input_options
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
def analyze(map_limit: int, **kwargs: Any) -> int:
    """Validate, then show what is isolated, what reaches it and the workload map.

    \b
    Example:
      netreach analyze examples/lesson
    """
    inputs = collect_inputs(kwargs)
    cluster = cluster_from_inputs(inputs)
    print_analysis(cluster, console, map_limit=map_limit)
    return 0
