"""`netreach compile --nft`: print the nftables ruleset that enforces a snapshot's policies."""

from __future__ import annotations

from typing import Any

import click

from netreach.cli.app import cli
from netreach.cli.common import (
    collect_inputs,
    echo_to_stdout,
    input_options,
    read_input_sources,
    report_load,
)
from netreach.model import Options


@cli.command("compile")
@input_options
@click.option("--nft", "nft", is_flag=True, help="Emit an nftables ruleset (the only backend).")
def compile_cmd(nft: bool, **kwargs: Any) -> int:
    """Compile the policies to the ruleset `verify` loads, for learning and debugging.

    The manifests are read a second time, by the dataplane's own decoder. Pods without an IP
    get a lab address outside every CIDR a policy names (listed at the top).
    """
    if not nft:
        raise click.UsageError("choose a backend: --nft")
    from netreach.dataplane import compile_ruleset
    from netreach.load import load_sources

    inputs = collect_inputs(kwargs)
    sources = read_input_sources(inputs)
    snapshot = load_sources(
        sources,
        namespace=inputs.namespace,
        skip_invalid=inputs.skip_invalid,
        strict=inputs.strict,
        limits=inputs.limits,
    )
    report_load(snapshot, inputs.verbose)
    options = Options(
        ipblock_matches_pods=inputs.ipblock_matches_pods,
        self_traffic="allowed" if inputs.self_traffic == "allowed" else "policy",
    )
    echo_to_stdout(
        compile_ruleset(
            snapshot,
            sources=[(s.name, s.read_bytes()) for s in sources],
            options=options,
            default_namespace=inputs.namespace or "default",
        )
    )
    return 0
