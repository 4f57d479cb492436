"""`netreach validate`: the API server's checks, every problem of every object at once."""

from __future__ import annotations

import orjson

from netreach.cli.app import cli
from netreach.cli.common import (
    echo_to_stdout,
    input_options,
    read_input_sources,
    snapshot_from_sources,
)
from netreach.cli.options import output_option
from netreach.cluster import Cluster
from netreach.errors import InputError, Problem
from netreach.loader.inputs import Inputs
from netreach.render.summary import snapshot_counts
from netreach.render.text import console


@cli.command()
@input_options
@output_option(["text", "json"], help="json: the counts, warnings and skipped problems.")
def validate(output: str, inputs: Inputs) -> int:
    """Check the input as the API server would; exit 2 listing every problem.

    \b
    Examples:
      netreach validate examples/lesson
      netreach validate examples/lesson -o json
    """
    # The input as it is: nothing inferred (validation is about what was written).
    try:
        cluster = Cluster(snapshot_from_sources(read_input_sources(inputs), inputs))
    except InputError as exc:
        if output != "json":
            raise
        # The problems as data on stdout (exit 2 still); the messages on stderr as always.
        data = {"version": 1, "valid": False, "problems": [_problem(p) for p in exc.problems]}
        echo_to_stdout(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")
        raise
    snap = cluster.snapshot
    if output == "json":
        data = {
            "version": 1,
            "valid": True,
            "namespaces": len(snap.namespaces),
            "pods": len(snap.pods),
            "workloads": len(cluster.workloads),
            "policies": len(snap.policies),
            "admin_policies": len(snap.admin_policies),
            "nodes": len(snap.nodes),
            "skipped_invalid": [str(p) for p in snap.invalid],
            "warnings": [str(w) for w in snap.warnings],
            "not_modelled": {kind: len(locs) for kind, locs in sorted(snap.skipped.items())},
        }
        echo_to_stdout(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    console.print(f"valid: {snapshot_counts(cluster)}", markup=False)
    if snap.invalid:
        console.print(f"dropped {len(snap.invalid)} invalid object problem(s) (--skip-invalid)")
    if snap.warnings:
        console.print(f"{len(snap.warnings)} warning(s) (see above)")
    return 0


def _problem(problem: Problem) -> dict[str, object]:
    loc = problem.location
    return {
        "file": loc.file if loc else None,
        "line": loc.line if loc else None,
        "object": problem.object_ref or None,
        "field": problem.field or None,
        "message": problem.message,
        "text": str(problem),
    }
