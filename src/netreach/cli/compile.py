"""`netreach compile --nft`: print the nftables ruleset that enforces a snapshot's policies."""

from __future__ import annotations

from typing import Any

import click

from netreach.cli.app import cli
from netreach.cli.common import collect_inputs, echo_to_stdout, input_options


@cli.command("compile")
@input_options
@click.option("--nft", "nft", is_flag=True, help="Emit an nftables ruleset (the only backend).")
def compile_cmd(nft: bool, **kwargs: Any) -> int:
    """Compile the policies to a dataplane ruleset, for learning and debugging.

    Pods without an IP get a lab address (listed at the top of the ruleset).
    """
    if not nft:
        raise click.UsageError("choose a backend: --nft")
    from netreach.dataplane import compile_ruleset
    from netreach.dataplane.plan import with_lab_ips
    from netreach.load import load_snapshot

    inputs = collect_inputs(kwargs)
    snapshot = load_snapshot(
        *inputs.paths,
        namespace=inputs.namespace,
        skip_invalid=inputs.skip_invalid,
        strict=inputs.strict,
    )
    snapshot, _ = with_lab_ips(snapshot)
    echo_to_stdout(compile_ruleset(snapshot))
    return 0
