"""`netreach check`: one connection, its verdict and the reasons."""

from __future__ import annotations

import click
import orjson

from netreach.cli.app import cli
from netreach.cli.common import cluster_from_inputs, input_options
from netreach.cli.options import output_option
from netreach.loader.inputs import Inputs
from netreach.loader.names import is_dns1123_label
from netreach.query.ports import PortSyntaxError, parse_port
from netreach.render.text import print_verdict


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
@output_option(["text", "json"])
@click.option(
    "--expect",
    type=click.Choice(["allow", "deny"]),
    default=None,
    help="The verdict you expect: exit 1 when it differs (for scripts).",
)
def check(src: str, dst: str, port: str, output: str, expect: str | None, inputs: Inputs) -> int:
    """Decide one connection and say why. Exit 0; 1 when --expect differs; 3 when the answer
    may be incomplete (the input holds policies netreach does not model: see the caveats).

    \b
    Example:
      netreach check examples/lesson --from default/api --to default/db --port 5432
    """
    try:
        # a container port's name or a Service port's (a DNS-1123 label, the wider rule)
        asked = parse_port(port, ranges=False, name_rule=is_dns1123_label)
    except PortSyntaxError as exc:
        raise click.BadParameter(str(exc), param_hint="--port") from exc
    cluster = cluster_from_inputs(inputs)
    verdict = cluster.check(src, dst, asked.number, asked.protocol)
    if output == "json":
        click.echo(orjson.dumps(verdict.to_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        print_verdict(verdict)
    if expect is not None and verdict.allowed != (expect == "allow"):
        return 1
    # 3: the answer may be incomplete (a policy kind netreach does not model, a dropped field)
    return 3 if verdict.caveats else 0
