"""`netreach generate`: least-privilege policies from an intent or observed flows, proved."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import orjson

from netreach.analyses.generate import Flows, Intent, generate
from netreach.analyses.generate.flows import read_flows
from netreach.analyses.generate.intent import read_intent
from netreach.cli.app import cli
from netreach.cli.common import cluster_from_inputs, input_options, say, say_lines, step
from netreach.cli.inputs import Verbosity
from netreach.cli.options import out_option, output_option
from netreach.loader.files import read_named
from netreach.loader.inputs import Inputs
from netreach.paths import display_path
from netreach.writes import output_dir, write_files


@cli.command(name="generate")
@input_options
@click.option(
    "--intent",
    "intent_path",
    metavar="FILE",
    type=click.Path(allow_dash=True, dir_okay=False),
    help="Intent file (YAML `allow:` list).",
)
@click.option(
    "--flows",
    "flows_path",
    metavar="FILE",
    type=click.Path(allow_dash=True, dir_okay=False),
    help="Observed flows: `hubble observe -o json` lines, or CSV src,dst,port,protocol.",
)
@output_option(["yaml"], default="yaml", help="The policies are YAML manifests.")
@out_option("Directory for one NAMESPACE.yaml per namespace [default: stdout].", dir_okay=True)
@click.option(
    "--dns/--no-dns",
    default=True,
    show_default=True,
    help="Allow every pod UDP/TCP 53 to the cluster DNS pods.",
)
@click.option(
    "--style",
    type=click.Choice(["per-workload", "per-namespace"]),
    default="per-workload",
    show_default=True,
    help="Select workloads by labels, or whole namespaces (broader).",
)
@click.option(
    "--scope",
    "scope",
    multiple=True,
    metavar="NS",
    help="Namespace to isolate and prove (repeatable); default: those the intent names.",
)
@click.option(
    "--existing",
    is_flag=True,
    help="Keep the snapshot's policies and add only what they do not already allow.",
)
@click.option(
    "--proof-json",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the proof as JSON (exact, differences with reasons) to FILE.",
)
@click.option(
    "--allow-broader",
    is_flag=True,
    help="Exit 0 when the policies allow more than the intent (but nothing is missing).",
)
def generate_command(
    intent_path: str | None,
    flows_path: str | None,
    output: str,
    out: str | None,
    dns: bool,
    style: str,
    existing: bool,
    allow_broader: bool,
    scope: tuple[str, ...],
    proof_json: str | None,
    inputs: Inputs,
) -> int:
    """Write deny-all plus one allow per needed connection, then prove them with the engine.

    Exit 0 when the policies allow exactly the intent, 1 when they differ (listed on stderr).

    \b
    Examples:
      netreach generate examples/lesson --intent examples/generate/lesson-intent.yaml
      netreach generate examples/lesson --intent examples/generate/lesson-intent.yaml \\
        --out policies/
    """
    if (intent_path is None) == (flows_path is None):
        raise click.UsageError("give exactly one of --intent FILE or --flows FILE")
    if out == "-":
        out = None  # the old `-o -`: stdout
    # The intent (or flows) file first: a bad one fails before the snapshot is loaded.
    wanted = read_named(intent_path or flows_path or "", inputs.limits)
    source: Intent | Flows | None = None
    if intent_path is not None:
        source = read_intent(wanted, inputs.namespace or "default", inputs.limits)
    cluster = cluster_from_inputs(inputs)
    if source is None:
        source = read_flows(wanted, cluster, inputs.limits)
    with step("generating and proving"):
        result = generate(
            cluster,
            source,
            dns=dns,
            style="per-namespace" if style == "per-namespace" else "per-workload",
            existing=existing,
            namespaces=list(scope) or None,
        )
    for note in result.notes:
        say(f"note: {note}")
    outputs: list[tuple[Path, str | bytes]] = []
    if out is not None:
        folder = output_dir(out)
        outputs += [(folder / f"{ns}.yaml", result.yaml(ns)) for ns in result.namespaces]
    if proof_json is not None:
        proof = orjson.dumps(result.proof.to_dict(), option=orjson.OPT_INDENT_2)
        outputs.append((Path(proof_json), proof))
    write_files(outputs)  # every path checked before any is written
    if out is None:
        sys.stdout.write(result.yaml())
    if not Verbosity.quiet:
        for path, _ in outputs[: len(outputs) - (proof_json is not None)]:
            say(f"wrote {display_path(str(path))}")
    if not (Verbosity.quiet and result.proof.exact):  # the differences are why it exits 1
        say_lines(result.proof.text())
    if result.proof.exact or (allow_broader and result.proof.broader_only):
        return 0
    return 1
