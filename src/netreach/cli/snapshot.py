"""`netreach snapshot`: save what was read (typically a live cluster) as YAML files."""

from __future__ import annotations

from netreach.cli.app import cli
from netreach.cli.common import input_options, print_note, request_log, say, step
from netreach.cli.inputs import Verbosity
from netreach.cli.options import out_option
from netreach.loader.inputs import Inputs
from netreach.loader.snapshot import write_snapshot


@cli.command()
@input_options
@out_option(
    "Directory to create (or an empty one) for the YAML files.", required=True, dir_okay=True
)
def snapshot(out: str, inputs: Inputs) -> None:
    """Save the inputs as YAML so an analysis can be repeated offline.

    \b
    Examples:
      netreach snapshot --kubeconfig ~/.kube/prod --out prod-2024-05-01/
      netreach check -f prod-2024-05-01/ --from frontend/web --to backend/api --port 8080
    """
    with step("reading the input"):
        written = write_snapshot(
            inputs, out, on_note=print_note, log=request_log(Verbosity.verbose)
        )
    if not Verbosity.quiet:
        say(f"netreach: wrote {len(written)} files to {out}")
