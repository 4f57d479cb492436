"""`netreach verify`: check the engine's verdicts on a real dataplane (nftables in netns)."""

from __future__ import annotations

import sys
from typing import Any

import click
import orjson

from netreach.cli.app import cli
from netreach.cli.common import (
    echo_to_stdout,
    err_console,
    input_options,
    read_input_sources,
    say,
    snapshot_from_sources,
)
from netreach.cli.inputs import Verbosity
from netreach.cli.options import output_option
from netreach.loader.inputs import Inputs
from netreach.model import Protocol
from netreach.query.ports import PortSyntaxError, parse_numbers, parse_protocol


def parse_ports(text: str) -> list[int] | None:
    """`auto`, or a list like `80,8000-8010`."""
    if text == "auto":
        return None
    try:
        return parse_numbers(text)
    except PortSyntaxError as exc:
        raise click.BadParameter(str(exc), param_hint="--ports") from exc


def parse_protocols(text: str) -> list[Protocol]:
    try:
        return [parse_protocol(part) for part in text.split(",")]
    except PortSyntaxError as exc:
        raise click.BadParameter(str(exc), param_hint="--protocols") from exc


class _Bar:
    """A Rich progress bar on stderr (drawn by the sandboxed process, which shares it)."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self.progress = Progress(
            "{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        )
        self.task: Any = None

    def start(self, phase: str, total: int) -> None:
        self.progress.start()
        self.task = self.progress.add_task(phase, total=total)

    def advance(self, n: int) -> None:
        self.progress.advance(self.task, n)

    def stop(self) -> None:
        self.progress.stop()


@cli.command("verify")
@input_options
@click.option(
    "--ports",
    default="auto",
    show_default=True,
    help="Ports to probe: 'auto' (both ends of every range a policy names, the port after "
    "each, and one port outside them) or a list like 80,8000-8010.",
)
@click.option(
    "--protocols",
    default="tcp,udp,sctp",
    show_default=True,
    help="Protocols to probe (comma-separated: tcp, udp, sctp).",
)
@click.option(
    "--parallel",
    default=32,
    show_default=True,
    type=click.IntRange(1, 1024),
    help="Probes in flight at once.",
)
@click.option(
    "--timeout",
    default=3.0,
    show_default=True,
    type=click.FloatRange(0.1, 60),
    help="Seconds before a probe counts as timed out.",
)
@output_option(["text", "json"], help="text: disagreements and a summary; json: every probe.")
def verify_cmd(
    ports: str, protocols: str, parallel: int, timeout: float, output: str, inputs: Inputs
) -> int:
    """Build the snapshot as network namespaces, enforce its policies with nftables (read a
    second time, independently of the engine), probe every pod pair, every pod's traffic to
    itself and every Service port, and compare with the engine.

    Exit 0: all agree; 1: a disagreement; 2: nothing to probe, or it cannot run here. Runs in
    its own namespaces; the host is never touched.
    """
    from netreach.dataplane import missing_requirements, verify

    port_list, proto_list = parse_ports(ports), parse_protocols(protocols)
    missing = missing_requirements()
    if missing:
        say(f"netreach verify: cannot run here: missing {', '.join(missing)}")
        return 2
    sources = read_input_sources(inputs)
    snapshot = snapshot_from_sources(sources, inputs)
    report = verify(
        snapshot,
        sources=[(s.name, s.read_bytes()) for s in sources],
        options=inputs.options,
        ports=port_list,
        protocols=proto_list,
        namespaces=inputs.scope,
        parallel=parallel,
        timeout=timeout,
        progress=_Bar() if sys.stderr.isatty() and not Verbosity.quiet else None,
        default_namespace=inputs.namespace or "default",
    )
    if output == "json":
        echo_to_stdout(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
        for line in [*report.problem_lines(), report.summary()]:
            say(f"netreach verify: {line}")
    else:
        echo_to_stdout(report.render())
    if Verbosity.verbose:
        for pod_id, addresses in report.assigned.items():
            say(f"lab addresses {', '.join(addresses)} for {pod_id}")
        figures = ", ".join(f"{k} {v:.2f} s" for k, v in report.timings.items())
        say(f"timings: {figures}")
    return report.exit_code
