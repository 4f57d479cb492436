"""`netreach verify`: check the engine's verdicts on a real dataplane (nftables in netns)."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from netreach.cli.app import cli
from netreach.cli.common import collect_inputs, echo_to_stdout, err_console, input_options
from netreach.model import PROTOCOLS, Protocol


def _ports(text: str) -> list[int] | None:
    if text == "auto":
        return None
    ports: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            raise click.BadParameter(f"not a port or range: {part!r}", param_hint="--ports")
        ports += range(int(lo), int(hi or lo) + 1)
    if not ports or not all(1 <= p <= 65535 for p in ports):
        raise click.BadParameter("ports must be within 1-65535", param_hint="--ports")
    return ports


def _protocols(text: str) -> list[Protocol]:
    out: list[Protocol] = []
    for part in text.split(","):
        proto = next((p for p in PROTOCOLS if p == part.strip().upper()), None)
        if proto is None:
            raise click.BadParameter(f"unknown protocol {part!r}", param_hint="--protocols")
        out.append(proto)
    return out


@cli.command("verify")
@input_options
@click.option(
    "--ports",
    default="auto",
    show_default=True,
    help="Ports to probe: 'auto' (chosen from the policies) or a list like 80,8000-8010.",
)
@click.option("--protocols", default="tcp,udp,sctp", show_default=True)
@click.option("--parallel", default=32, show_default=True, type=click.IntRange(1, 1024))
@click.option(
    "--timeout",
    default=3.0,
    show_default=True,
    type=click.FloatRange(0.1, 60),
    help="Seconds before a probe counts as timed out.",
)
def verify_cmd(ports: str, protocols: str, parallel: int, timeout: float, **kwargs: Any) -> int:
    """Build the snapshot as network namespaces, enforce its policies with nftables, probe
    every pod pair and compare with the engine. Exit 0: all agree, 1: disagreements,
    2: cannot run here. Runs in its own namespaces; the host is never touched."""
    from netreach.dataplane import missing_requirements, verify
    from netreach.dataplane.sandbox import inside_sandbox, reexec_command
    from netreach.load import load_snapshot

    port_list, proto_list = _ports(ports), _protocols(protocols)
    inputs = collect_inputs(kwargs)
    missing = missing_requirements()
    if missing:
        err_console.print(
            f"netreach verify: cannot run here: missing {', '.join(missing)}", markup=False
        )
        return 2
    if not inside_sandbox():
        # Become `unshare` running this very command: killing us then kills the lab too.
        command = reexec_command(sys.argv[1:])
        sys.stdout.flush()
        os.execvp(command[0], command)
    snapshot = load_snapshot(
        *inputs.paths,
        namespace=inputs.namespace,
        skip_invalid=inputs.skip_invalid,
        strict=inputs.strict,
    )
    report = verify(
        snapshot, ports=port_list, protocols=proto_list, parallel=parallel, timeout=timeout
    )
    echo_to_stdout(report.render())
    if inputs.verbose:
        for pod_id, ip in report.assigned_ips.items():
            err_console.print(f"lab IP {ip} for {pod_id}", markup=False)
        figures = ", ".join(f"{k} {v:.2f} s" for k, v in report.timings.items())
        err_console.print(f"timings: {figures}", markup=False)
    if report.sanity_failures:
        return 2
    return 0 if report.ok else 1
