"""`netreach compile`: the nftables ruleset that enforces a snapshot's policies."""

from __future__ import annotations

import click

from netreach.cli.app import cli
from netreach.cli.common import (
    echo_to_stdout,
    input_options,
    read_input_sources,
    snapshot_from_sources,
)
from netreach.cli.options import output_option
from netreach.loader.inputs import Inputs


@cli.command("compile")
@input_options
@output_option(["text"], help="An nftables ruleset (`nft -f`).")
@click.option(
    "--nft",
    "nft",
    is_flag=True,
    help="Emit an nftables ruleset: the only backend, and the default.",
)
def compile_cmd(output: str, nft: bool, inputs: Inputs) -> int:
    """Compile the policies to the ruleset `verify` loads, for learning and debugging.

    The manifests are read a second time, by the dataplane's own decoder. Pods without an IP
    get a lab address outside every CIDR a policy names (listed at the top).

    \b
    Example:
      netreach compile examples/lesson
    """
    from netreach.dataplane import compile_ruleset

    sources = read_input_sources(inputs)
    snapshot = snapshot_from_sources(sources, inputs)
    echo_to_stdout(
        compile_ruleset(
            snapshot,
            sources=[(s.name, s.read_bytes()) for s in sources],
            options=inputs.options,
            default_namespace=inputs.namespace or "default",
        )
    )
    return 0
