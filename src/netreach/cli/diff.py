"""`netreach diff`: what a change of policies (or workloads) does to reachability."""

from __future__ import annotations

import dataclasses
import sys

import click

from netreach.analyses.diff import CHANGE_KINDS, diff
from netreach.cli.app import cli
from netreach.cli.common import (
    NothingToAnalyse,
    cluster_from_snapshot,
    input_options,
    read_input_sources,
    snapshot_from_sources,
)
from netreach.cli.matrix import COMPAT_MODES, compat_options
from netreach.cli.options import fail_on_option, flatten, output_option
from netreach.cluster import Cluster
from netreach.errors import NetreachError
from netreach.loader.git import git_sources, split_range
from netreach.loader.infer import nothing_message
from netreach.loader.inputs import Inputs
from netreach.model import Options
from netreach.render.diff import FORMATS, render
from netreach.render.text import make_console


def load_pair(
    inputs: Inputs,
    paths: tuple[str, ...],
    git: str | None,
    gate: bool = False,
    options: Options | None = None,
) -> tuple[Cluster, Cluster]:
    """OLD and NEW: two paths, or one git range over the given paths (default: everything).
    `inputs.paths` (-f) are read on both sides. Workloads are inferred from the policies of
    both sides, so both have the same ones. `gate`: no pod on either side is an error, not an
    empty diff."""
    if git is not None:
        old_rev, new_rev = split_range(git)
        old_sources = git_sources(old_rev, paths, limits=inputs.limits)
        new_sources = git_sources(new_rev, paths, limits=inputs.limits)
        if not old_sources and not new_sources:
            where = " ".join(paths) or "the repository"
            raise NetreachError(f"no YAML or JSON file under {where} at {old_rev} nor at {new_rev}")
    elif len(paths) != 2:
        raise click.UsageError(
            "give OLD and NEW (files or folders), or --git OLD..NEW [-- PATH...]"
        )
    else:
        old_sources, new_sources = (
            read_input_sources(dataclasses.replace(inputs, paths=(path, *inputs.paths)))
            for path in paths
        )
    old_snap = snapshot_from_sources(old_sources, inputs)
    new_snap = snapshot_from_sources(new_sources, inputs)
    old = cluster_from_snapshot(old_snap, inputs, also=(new_snap,), options=options)
    new = cluster_from_snapshot(new_snap, inputs, also=(old_snap,), options=options)
    if gate and not old.pods and not new.pods:
        raise NothingToAnalyse(nothing_message(new_snap, inputs.infer_workloads))
    return old, new


@cli.command("diff")
@input_options(paths=False)
@click.argument(
    "paths",
    nargs=-1,
    metavar="OLD NEW | --git OLD..NEW [-- PATH...]",
    type=click.Path(allow_dash=True),
)
@click.option(
    "--git",
    "git",
    metavar="OLD..NEW",
    help="Compare two git revisions of the repository here (PATHs limit the files read).",
)
@click.option(
    "--by",
    type=click.Choice(["pod", "workload", "namespace"]),
    default="workload",
    show_default=True,
    help="Level of detail.",
)
@click.option(
    "--external/--no-external",
    default=True,
    show_default=True,
    help="Include addresses outside the cluster.",
)
@output_option(
    FORMATS,
    aliases={"txt": "txt"},
    help="text: each change with the rules responsible; md: a pull-request comment; with "
    "--compat, text is netpol-analyzer's line format.",
)
@fail_on_option(
    CHANGE_KINDS,
    "Exit 1 when reachability grew (added), shrank (removed), or a pair's connections "
    "changed (changed). Comma-separated or repeated.",
)
@click.option(
    "--compat",
    type=click.Choice(COMPAT_MODES),
    default=None,
    help="A peer tool's conventions (as matrix --compat).",
)
def diff_command(
    paths: tuple[str, ...],
    git: str | None,
    by: str,
    external: bool,
    output: str,
    fail_on: tuple[tuple[str, ...], ...],
    compat: str | None,
    inputs: Inputs,
) -> int:
    """Connections added, removed or changed between OLD and NEW, and the rules responsible.

    \b
    Examples:
      netreach diff examples/lesson examples/lesson
      netreach diff --git HEAD..HEAD -- examples/lesson -o md
      netreach diff examples/lesson examples/lesson --fail-on added,removed
    """
    kinds = flatten(fail_on)
    options = compat_options(compat, inputs) if compat else None
    old, new = load_pair(inputs, paths, git, gate=bool(kinds), options=options)
    include_self = True
    if compat:
        by, external, include_self = "workload", True, False
    report = diff(
        old,
        new,
        by,  # type: ignore[arg-type]
        external=external,
        namespaces=inputs.scope,
        include_self=include_self,
        ipv6=compat is None,
    )
    fmt = "txt" if compat and output == "text" else output
    render(report, fmt, sys.stdout, make_console(), compat=compat is not None)
    return 1 if any(report.has(kind) for kind in CHANGE_KINDS if kind in kinds) else 0
