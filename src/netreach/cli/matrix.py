"""`netreach matrix`: every allowed connection, in the format asked for."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from netreach.cli.app import cli
from netreach.cli.common import cluster_from_inputs, input_options, say
from netreach.cli.inputs import Verbosity
from netreach.cli.options import output_option
from netreach.loader.inputs import Inputs
from netreach.model import Options
from netreach.query.connectivity import Connectivity
from netreach.query.services import route_asked, service_id
from netreach.render.matrix import ALIASES, FORMATS, render
from netreach.render.text import make_console

COMPAT_MODES = ("netpol-analyzer",)


def compat_options(tool: str, inputs: Inputs) -> Options:
    """A peer tool's conventions (Options.compat), with the self-traffic switch as given."""
    return Options.compat(tool, self_traffic=inputs.options.self_traffic)


@contextmanager
def progress_bar(cmap: Connectivity, enabled: bool) -> Iterator[Callable[[], None] | None]:
    """A progress bar on stderr (one step per source row) when it is a terminal."""
    if not enabled:
        yield None
        return
    # imported here: only a terminal draws it, and Rich's progress costs start-up time
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("computing map"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=make_console(stderr=True, soft_wrap=False),
        transient=True,
    ) as bar:
        task = bar.add_task("map", total=len(cmap.nodes))
        yield lambda: bar.advance(task)


@cli.command()
@input_options
@click.option(
    "--by",
    type=click.Choice(["pod", "workload", "namespace"]),
    default="workload",
    show_default=True,
    help="Level of detail.",
)
@click.option(
    "--external/--no-external",
    default=False,
    show_default=True,
    help="Include addresses outside the cluster.",
)
@click.option(
    "--from",
    "src",
    metavar="SEL",
    help="Only sources matching: glob on ids, namespace, or labels (app=db).",
)
@click.option(
    "--to",
    "dst",
    metavar="SEL",
    help="Only destinations matching, as --from; or svc/NS/NAME (with the Service port).",
)
@click.option("--port", metavar="P[/PROTO]", help="Only this port or range, e.g. 5432/TCP, 53/UDP.")
@output_option(
    FORMATS,
    default="table",
    aliases=ALIASES,
    help="table: for people; text: one `SRC => DST : CONNECTIONS` line each (streamed; "
    "netpol-analyzer's lines with --compat, its default there).",
)
@click.option(
    "--compat",
    type=click.Choice(COMPAT_MODES),
    default=None,
    help="A peer tool's conventions: workload level, external-only ipBlocks, no self edges.",
)
@click.option("--no-self", is_flag=True, help="Leave out a node's connections to itself.")
def matrix(
    by: str,
    external: bool,
    src: str | None,
    dst: str | None,
    port: str | None,
    output: str,
    compat: str | None,
    no_self: bool,
    inputs: Inputs,
) -> int:
    """Every allowed connection: SRC => DST : CONNECTIONS.

    \b
    Examples:
      netreach matrix examples/lesson
      netreach matrix examples/lesson --by pod -o json
      netreach matrix examples/lesson --external --to 'default/*' --port 5432/TCP -o csv
    """
    options = compat_options(compat, inputs) if compat else None
    cluster = cluster_from_inputs(inputs, options=options)
    if compat:
        by, external, no_self = "workload", True, True
        source = click.get_current_context().get_parameter_source("output")
        if source is click.core.ParameterSource.DEFAULT:
            output = "text"  # the peer tool's own default
    if dst is not None and service_id(cluster, dst) is not None and not Verbosity.quiet:
        say(route_asked(cluster, dst, port).explain())
    cmap = cluster.connectivity(
        by,  # type: ignore[arg-type]
        external,
        namespaces=inputs.scope,
        src=src,
        dst=dst,
        port=port,
        include_self=not no_self,
        merge_external=compat is None,
        ipv6=compat is None,  # the peer tool ignores IPv6 ranges (docs/compat.md)
    )
    console = make_console(soft_wrap=False)
    bar = sys.stderr.isatty() and output != "table" and not Verbosity.quiet
    with progress_bar(cmap, bar) as progress:
        render(cmap, output, sys.stdout, console, progress, compat=compat is not None)
    return 0
