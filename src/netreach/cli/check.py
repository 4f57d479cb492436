"""`netreach check`: one connection, its verdict and the reasons."""

from __future__ import annotations

from typing import Any

import click
import orjson

from netreach.cli.app import cli
from netreach.cli.common import cluster_from_inputs, collect_inputs, input_options
from netreach.render.text import print_verdict


def parse_port(text: str) -> tuple[int | str, str]:
    """`5432`, `5432/TCP`, `dns/UDP`, `postgres` -> (port or name, protocol)."""
    port, _, proto = text.partition("/")
    protocol = (proto or "TCP").upper()
    if protocol not in ("TCP", "UDP", "SCTP"):
        raise click.BadParameter(
            f"unknown protocol {proto!r}: use TCP, UDP or SCTP", param_hint="--port"
        )
    if not port:
        raise click.BadParameter("empty port", param_hint="--port")
    return (int(port) if port.isdigit() else port), protocol


@cli.command()
@input_options
@click.option(
    "--from",
    "src",
    required=True,
    metavar="SRC",
    help="Source: ns/pod, ns/workload, ns/name[Kind] or an IP address.",
)
@click.option(
    "--to",
    "dst",
    required=True,
    metavar="DST",
    help="Destination, as --from; or svc/NS/NAME with the Service port in --port.",
)
@click.option(
    "--port",
    "port",
    required=True,
    metavar="PORT[/PROTO]",
    help="Port number or name (resolved on the destination), protocol TCP by default.",
)
@click.option(
    "-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--expect",
    type=click.Choice(["allow", "deny"]),
    default=None,
    help="Exit 1 when the verdict differs (for scripts).",
)
def check(src: str, dst: str, port: str, output: str, expect: str | None, **kwargs: Any) -> int:
    """Decide one connection and say why. Exit 0; 1 when --expect differs; 3 when the answer
    may be incomplete (the input holds policies netreach does not model: see the caveats).

    \b
    Example:
      netreach check examples/lesson --from default/api --to default/db --port 5432
    """
    inputs = collect_inputs(kwargs)
    cluster = cluster_from_inputs(inputs)
    number, protocol = parse_port(port)
    verdict = cluster.check(src, dst, number, protocol)
    if output == "json":
        click.echo(orjson.dumps(verdict.to_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        print_verdict(verdict)
    if expect is not None and verdict.allowed != (expect == "allow"):
        return 1
    # 3: the answer may be incomplete (a policy kind netreach does not model, a dropped field)
    return 3 if verdict.caveats else 0
