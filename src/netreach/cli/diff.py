"""`netreach diff`: what a change of policies (or workloads) does to reachability."""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

import click

from netreach.analyses.diff import CHANGE_KINDS, diff
from netreach.cli.app import cli
from netreach.cli.common import (
    InputOptions,
    NothingToAnalyse,
    cluster_from_snapshot,
    collect_inputs,
    input_options,
    namespaces_in_scope,
    read_input_sources,
    snapshot_from_sources,
)
from netreach.cli.matrix import COMPAT_MODES, compat_cluster
from netreach.cluster import Cluster
from netreach.errors import NetreachError
from netreach.load.git import git_sources, split_range
from netreach.load.infer import nothing_message
from netreach.render.diff import FORMATS, render
from netreach.render.text import make_console


def load_pair(inputs: InputOptions, git: str | None, gate: bool = False) -> tuple[Cluster, Cluster]:
    """OLD and NEW: two paths, or one git range over the given paths (default: everything).
    Workloads are inferred from the policies of both sides, so both have the same ones.
    `gate`: no pod on either side is an error, not an empty diff."""
    if git is not None:
        old_rev, new_rev = split_range(git)
        old_sources = git_sources(old_rev, inputs.paths, limits=inputs.limits)
        new_sources = git_sources(new_rev, inputs.paths, limits=inputs.limits)
        if not old_sources and not new_sources:
            where = " ".join(inputs.paths) or "the repository"
            raise NetreachError(f"no YAML or JSON file under {where} at {old_rev} nor at {new_rev}")
    elif len(inputs.paths) != 2:
        raise click.UsageError(
            "give OLD and NEW (files or folders), or --git OLD..NEW [-- PATH...]"
        )
    else:
        old_sources, new_sources = (
            read_input_sources(dataclasses.replace(inputs, paths=(path,))) for path in inputs.paths
        )
    old_snap = snapshot_from_sources(old_sources, inputs)
    new_snap = snapshot_from_sources(new_sources, inputs)
    old = cluster_from_snapshot(old_snap, inputs, also=(new_snap,))
    new = cluster_from_snapshot(new_snap, inputs, also=(old_snap,))
    if gate and not old.pods and not new.pods:
        raise NothingToAnalyse(nothing_message(new_snap, inputs.infer_workloads))
    return old, new


@cli.command("diff")
@input_options
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
@click.option("--no-external", is_flag=True, help="Leave out addresses outside the cluster.")
@click.option("-o", "--output", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--fail-on",
    type=click.Choice(CHANGE_KINDS),
    multiple=True,
    help="Exit 1 when reachability grew (added), shrank (removed), or a pair's connections "
    "changed (changed). Repeatable.",
)
@click.option(
    "--compat",
    type=click.Choice(COMPAT_MODES),
    default=None,
    help="A peer tool's conventions (as matrix --compat); -o txt prints its line format.",
)
def diff_command(
    git: str | None,
    by: str,
    no_external: bool,
    output: str,
    fail_on: tuple[str, ...],
    compat: str | None,
    **kwargs: Any,
) -> int:
    """Connections added, removed or changed between OLD and NEW, and the rules responsible.

    \b
    Examples:
      netreach diff old/ new/
      netreach diff --git main..HEAD -- deploy/ -o md > comment.md
      netreach diff old/ new/ --fail-on added
    """
    inputs = collect_inputs(kwargs)
    old, new = load_pair(inputs, git, gate=bool(fail_on))
    include_self = True
    if compat:
        old, new = compat_cluster(old), compat_cluster(new)
        by, no_external, include_self = "workload", False, False
    report = diff(
        old,
        new,
        by,  # type: ignore[arg-type]
        external=not no_external,
        namespaces=namespaces_in_scope(inputs),
        include_self=include_self,
        ipv6=compat is None,
    )
    render(
        report,
        output,
        sys.stdout,
        make_console(),
        compat=compat is not None,
    )
    return 1 if any(report.has(kind) for kind in CHANGE_KINDS if kind in fail_on) else 0
