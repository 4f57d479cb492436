"""`netreach matrix`: every allowed connection, in the format asked for."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from netreach.cli.app import cli
from netreach.cli.common import (
    cluster_from_inputs,
    collect_inputs,
    input_options,
    namespaces_in_scope,
    say,
)
from netreach.cluster import Cluster
from netreach.query.connectivity import Connectivity
from netreach.query.services import route, service_id
from netreach.render.matrix import FORMATS, render
from netreach.render.text import make_console

COMPAT_MODES = ("netpol-analyzer",)


@contextmanager
def progress_bar(cmap: Connectivity, enabled: bool) -> Iterator[Callable[[], None] | None]:
    """A progress bar on stderr (one step per source row) when it is a terminal."""
    if not enabled:
        yield None
        return
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


def compat_cluster(cluster: Cluster) -> Cluster:
    """netpol-analyzer's conventions: ipBlocks never match pod IPs; host-network pods are
    modelled as ordinary pods."""
    options = dataclasses.replace(
        cluster.options, ipblock_matches_pods=False, host_network="as-pods"
    )
    return Cluster(cluster.snapshot, options)


@cli.command()
@input_options
@click.option(
    "--by",
    type=click.Choice(["pod", "workload", "namespace"]),
    default="workload",
    show_default=True,
    help="Level of detail.",
)
@click.option("--external", is_flag=True, help="Include addresses outside the cluster.")
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
@click.option(
    "-o",
    "--output",
    type=click.Choice(FORMATS),
    default=None,
    help="Output format (default: table; txt with --compat).",
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
    output: str | None,
    compat: str | None,
    no_self: bool,
    **kwargs: Any,
) -> int:
    """Every allowed connection: SRC => DST : CONNECTIONS.

    \b
    Examples:
      netreach matrix examples/lesson
      netreach matrix examples/lesson --by pod -o json
      netreach matrix cluster/ --external --to 'default/*' --port 5432/TCP -o csv
    """
    inputs = collect_inputs(kwargs)
    cluster = cluster_from_inputs(inputs)
    if compat:
        cluster = compat_cluster(cluster)
        by, external, no_self = "workload", True, True
    output = output or ("txt" if compat else "table")
    if dst is not None and service_id(cluster, dst) is not None:
        number = (port or "").partition("/")[0] or None
        proto = (port or "").partition("/")[2] or None
        say(route(cluster, dst, number, proto).explain())
    cmap = cluster.connectivity(
        by,  # type: ignore[arg-type]
        external,
        namespaces=namespaces_in_scope(inputs),
        src=src,
        dst=dst,
        port=port,
        include_self=not no_self,
        merge_external=compat is None,
        ipv6=compat is None,  # the peer tool ignores IPv6 ranges (docs/compat.md)
    )
    console = make_console(soft_wrap=False)
    with progress_bar(cmap, sys.stderr.isatty() and output != "table") as progress:
        render(cmap, output, sys.stdout, console, progress, compat=compat is not None)
    return 0
