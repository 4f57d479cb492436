"""`netreach audit`: findings against the secure pattern, for people and for CI."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

import click
import orjson

from netreach.analyses.audit import AuditConfig, config_from_mapping, load_config
from netreach.analyses.audit.config import config_from_source
from netreach.cli.app import cli
from netreach.cli.common import cluster_from_inputs, echo_to_stdout, input_options, print_note
from netreach.cli.options import output_option
from netreach.errors import InputError, Problem
from netreach.loader.files import FileSource, found_file
from netreach.loader.inputs import Inputs
from netreach.loader.limits import Limits
from netreach.paths import display_path, repository_root
from netreach.render.audit_md import render_audit_md
from netreach.render.audit_text import print_audit
from netreach.render.sarif import to_sarif
from netreach.render.text import console

DEFAULT_CONFIG = ".netreach.yaml"


def audit_config(
    config: str | None,
    disable: str,
    namespaces: list[str] | None,
    limits: Limits | None = None,
    system_namespaces: str | None = None,
    entry_points: tuple[str, ...] = (),
) -> AuditConfig:
    """--config FILE, else `.netreach.yaml` at the top of the git work tree when present;
    then --disable, -n, --system-namespaces and --entry-point on top."""
    if config is not None:
        base = load_config(config, limits)
    else:
        base = default_config(limits) or AuditConfig()
    extra = {x.strip() for x in disable.split(",") if x.strip()}
    flags: dict[str, Any] = {}
    if system_namespaces is not None:
        flags["system-namespaces"] = [x.strip() for x in system_namespaces.split(",") if x.strip()]
    if entry_points:
        flags["entry-points"] = list(entry_points)
    if flags:  # checked as the settings file is
        given = config_from_mapping(flags, "command line")
        base = replace(
            base,
            system_namespaces=given.system_namespaces if system_namespaces is not None
            else base.system_namespaces,
            entry_points=base.entry_points + given.entry_points,
        )  # fmt: skip
    return replace(
        base,
        disable=base.disable | extra,
        namespaces=tuple(namespaces) if namespaces else None,
    )


def default_config(limits: Limits | None = None, start: str = ".") -> AuditConfig | None:
    """`.netreach.yaml` at the top of the git work tree holding `start`, if there is one.
    A pull request controls that file: it must be a regular file inside the work tree (no
    link out of it, no FIFO), and a note on stderr says it is used."""
    root = repository_root(start)
    if root is None:
        return None
    path = os.path.join(root, DEFAULT_CONFIG)
    if not os.path.lexists(path):
        return None
    why, target = found_file(path, os.path.realpath(root), root)
    if why is not None:
        raise InputError([Problem(f"{display_path(path)}: {why}")])
    limit = (limits or Limits()).max_input_bytes
    source = FileSource(target, name=display_path(path), limit=limit)
    print_note(f"audit settings from {source.name}")
    return config_from_source(source, limits)


@cli.command()
@input_options
@output_option(["text", "json", "sarif", "md"], help="sarif: for code scanning.")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info", "never"]),
    default="error",
    show_default=True,
    help="Exit 1 when a finding is at least this severe.",
)
@click.option("--disable", default="", metavar="ID,...", help="Check ids to skip.")
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    default=None,
    help=f"Settings file (key `audit:`); default: {DEFAULT_CONFIG} at the top of the git "
    "work tree, when present.",
)
@click.option(
    "--system-namespaces",
    default=None,
    metavar="NS,...",
    help="Namespaces left out of the default-deny checks (default: kube-system, "
    "kube-public, kube-node-lease; '' for none).",
)
@click.option(
    "--entry-point",
    "entry_points",
    multiple=True,
    metavar="NS[/WORKLOAD]",
    help="An intended public entry point (a namespace, e.g. an ingress controller's, or one "
    "workload): its world-open findings become information. Repeatable.",
)
@click.option("--no-fix", is_flag=True, help="Text output: leave out the suggested fixes.")
def audit(
    output: str,
    fail_on: str,
    disable: str,
    config: str | None,
    no_fix: bool,
    system_namespaces: str | None,
    entry_points: tuple[str, ...],
    inputs: Inputs,
) -> int:
    """Find where the policies depart from the secure pattern, and how to fix it.

    \b
    Examples:
      netreach audit examples/lesson
      netreach audit examples/lesson -o sarif --fail-on never
    Exit codes: 0 clean, 1 findings at --fail-on or above, 2 unusable input.
    """
    cfg = audit_config(
        config,
        disable,
        inputs.scope,
        inputs.limits,
        system_namespaces,
        entry_points,
    )
    cluster = cluster_from_inputs(inputs, gate=fail_on != "never")
    report = cluster.audit(cfg)
    if output == "json":
        echo_to_stdout(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
    elif output == "sarif":
        echo_to_stdout(orjson.dumps(to_sarif(report), option=orjson.OPT_INDENT_2).decode() + "\n")
    elif output == "md":
        echo_to_stdout(render_audit_md(report))
    else:
        print_audit(report, console, with_fix=not no_fix)
    if fail_on != "never" and report.fails(fail_on):  # type: ignore[arg-type]
        return 1
    return 0
