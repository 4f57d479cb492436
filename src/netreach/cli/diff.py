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
    cluster_from_inputs,
    cluster_from_sources,
    collect_inputs,
    input_options,
    namespaces_in_scope,
)
from netreach.cli.matrix import COMPAT_MODES, compat_cluster
from netreach.cluster import Cluster
from netreach.errors import NetreachError
from netreach.load.git import git_sources, split_range
from netreach.render.diff import FORMATS, render
from netreach.render.text import make_console


def load_pair(inputs: InputOptions, git: str | None) -> tuple[Cluster, Cluster]:
    """OLD and NEW: two paths, or one git range over the given paths (default: everything)."""
    if git is not None:
        old_rev, new_rev = split_range(git)
        old_sources = git_sources(old_rev, inputs.paths, limits=inputs.limits)
        new_sources = git_sources(new_rev, inputs.paths, limits=inputs.limits)
        if not old_sources and not new_sources:
            where = " ".join(inputs.paths) or "the repository"
            raise NetreachError(f"no YAML or JSON file under {where} at {old_rev} nor at {new_rev}")
        return (
            cluster_from_sources(old_sources, inputs),
            cluster_from_sources(new_sources, inputs),
        )
    if len(inputs.paths) != 2:
        raise click.UsageError(
            "give OLD and NEW (files or folders), or --git OLD..NEW [-- PATH...]"
        )
    old, new = inputs.paths
    return (
        cluster_from_inputs(dataclasses.replace(inputs, paths=(old,))),
        cluster_from_inputs(dataclasses.replace(inputs, paths=(new,))),
    )


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
    old, new = load_pair(inputs, git)
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
