"""`netreach test`: check connectivity expectations (docs/expectations.md) for CI."""

from __future__ import annotations

import sys

import click

from netreach.analyses.expect import check_expectations
from netreach.analyses.expect_file import load_expectations
from netreach.cli.app import cli
from netreach.cli.common import cluster_from_inputs, err_console, input_options
from netreach.cli.options import output_option
from netreach.escape import terminal
from netreach.loader.inputs import Inputs
from netreach.query.caveats import snapshot_caveats
from netreach.render.expect import FORMATS, junit_xml, print_text, write_json
from netreach.render.text import make_console
from netreach.writes import write_file


@cli.command("test")
@input_options
@click.option(
    "-e",
    "--expectations",
    "expect_file",
    metavar="FILE.yaml",
    type=click.Path(dir_okay=False),
    help="The expectations to check (docs/expectations.md).  [required]",
)
@click.option(
    "--expect",
    "old_expect",
    hidden=True,
    type=click.Path(dir_okay=False),
    help="The old name of --expectations.",
)
@output_option(FORMATS)
@click.option(
    "--junit",
    "junit_path",
    metavar="FILE.xml",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write a JUnit XML report here (for CI test reports).",
)
def test_command(
    expect_file: str | None,
    old_expect: str | None,
    output: str,
    junit_path: str | None,
    inputs: Inputs,
) -> int:
    """Check expectations; exit 1 if any fails, 2 if the file is invalid, 3 if all pass but
    the input holds policies netreach does not model (the answers may be incomplete).

    \b
    Examples:
      netreach test examples/lesson -e examples/lesson-expectations.yaml
      netreach test examples/lesson -e examples/lesson-expectations.yaml -o junit
    """
    if expect_file is not None and old_expect is not None:
        raise click.UsageError("give the expectations once: --expectations FILE")
    expect_file = expect_file or old_expect
    if expect_file is None:
        raise click.UsageError("Missing option '-e' / '--expectations' (the expectations file).")
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
