"""`netreach validate`: the API server's checks, every problem of every object at once."""

from __future__ import annotations

from typing import Any

from netreach.cli.app import cli
from netreach.cli.common import (
    collect_inputs,
    input_options,
    read_input_sources,
    snapshot_from_sources,
)
from netreach.cluster import Cluster
from netreach.render.summary import snapshot_counts
from netreach.render.text import console


@cli.command()
@input_options
def validate(**kwargs: Any) -> int:
    """Check the input as the API server would; exit 2 listing every problem.

    \b
    Example:
      netreach validate examples/lesson
    """
    inputs = collect_inputs(kwargs)
    # The input as it is: nothing inferred (validation is about what was written).
    cluster = Cluster(snapshot_from_sources(read_input_sources(inputs), inputs))
    snap = cluster.snapshot
    console.print(f"valid: {snapshot_counts(cluster)}", markup=False)
    if snap.invalid:
        console.print(f"dropped {len(snap.invalid)} invalid object problem(s) (--skip-invalid)")
    if snap.warnings:
        console.print(f"{len(snap.warnings)} warning(s) (see above)")
    return 0
