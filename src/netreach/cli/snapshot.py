"""`netreach snapshot`: save what was read (typically a live cluster) as YAML files."""

from __future__ import annotations

from typing import Any

import click

from netreach.cli.app import cli
from netreach.cli.common import collect_inputs, input_options, print_note, request_log, say
from netreach.load.snapshot import write_snapshot


@cli.command()
@input_options
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(file_okay=False),
    help="Directory to create (or an empty one) for the YAML files.",
)
def snapshot(output: str, **kwargs: Any) -> None:
    """Save the inputs as YAML so an analysis can be repeated offline.

    \b
    netreach snapshot --kubeconfig ~/.kube/prod -o prod-2024-05-01/
    netreach check -f prod-2024-05-01/ frontend/web backend/api 8080
    """
    inputs = collect_inputs(kwargs)
    written = write_snapshot(
        inputs,
        output,
        on_note=print_note,
        log=request_log(inputs.verbose),
        limits=inputs.limits,
    )
    say(f"netreach: wrote {len(written)} files to {output}")
