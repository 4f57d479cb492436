"""`netreach test`: check connectivity expectations (docs/expectations.md) for CI."""

from __future__ import annotations

import sys
from typing import Any

import click

from netreach.analyses.expect import check_expectations
from netreach.analyses.expect_file import load_expectations
from netreach.cli.app import cli
from netreach.cli.common import cluster_from_inputs, collect_inputs, err_console, input_options
from netreach.escape import terminal
from netreach.query.caveats import snapshot_caveats
from netreach.render.expect import FORMATS, junit_xml, print_text, write_json
from netreach.render.text import make_console
from netreach.writes import write_file


@cli.command("test")
@input_options
@click.option(
    "--expect",
    "expect_file",
    required=True,
    metavar="FILE.yaml",
    type=click.Path(dir_okay=False),
    help="The expectations to check (docs/expectations.md).",
)
@click.option("-o", "--output", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--junit",
    "junit_path",
    metavar="FILE.xml",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write a JUnit XML report here (for CI test reports).",
)
def test_command(expect_file: str, output: str, junit_path: str | None, **kwargs: Any) -> int:
    """Check expectations; exit 1 if any fails, 2 if the file is invalid, 3 if all pass but
    the input holds policies netreach does not model (the answers may be incomplete).

    \b
    Examples:
      netreach test examples/lesson --expect examples/lesson-expectations.yaml
      netreach test deploy/ --expect netpol-expectations.yaml -o junit > report.xml
    """
    inputs = collect_inputs(kwargs)
    expectations = load_expectations(expect_file, inputs.limits)
    cluster = cluster_from_inputs(inputs, gate=True)
    results = check_expectations(cluster, expectations)
    if output == "json":
        write_json(results, sys.stdout)
    elif output == "junit":
        sys.stdout.write(junit_xml(results))
    else:
        print_text(results, make_console())
    if junit_path is not None:
        write_file(junit_path, junit_xml(results))
    if not all(r.passed for r in results):
        return 1
    caveats = snapshot_caveats(cluster.snapshot)
    for caveat in caveats:
        err_console.print(terminal(f"netreach: caveat: {caveat}"), markup=False)
    return 3 if caveats else 0  # 3: the answers may be incomplete
