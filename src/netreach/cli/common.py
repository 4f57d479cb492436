"""Options shared by commands that read a snapshot, and the error boundary of the CLI."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import click
from rich.console import Console

from netreach.cluster import Cluster
from netreach.errors import InputError, NetreachError, QueryError
from netreach.load.sources import Source
from netreach.model import Options, Snapshot

F = TypeVar("F", bound=Callable[..., Any])

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


@dataclass(frozen=True)
class InputOptions:
    paths: tuple[str, ...]
    namespace: str | None
    all_namespaces: bool
    skip_invalid: bool
    strict: bool
    ipblock_matches_pods: bool
    self_traffic: str
    verbose: int


def input_options(func: F) -> F:
    """Add the snapshot-reading arguments and options to a command; they arrive as `inputs`."""

    options = [
        click.argument("paths", nargs=-1, type=click.Path(allow_dash=True)),
        click.option(
            "-n",
            "--namespace",
            default=None,
            help="Namespace for objects that name none, and the scope of the output.",
        ),
        click.option(
            "-A", "--all-namespaces", is_flag=True, help="Report on every namespace (default)."
        ),
        click.option(
            "--skip-invalid",
            is_flag=True,
            help="Drop objects the API server would refuse (listed) and go on.",
        ),
        click.option("--strict", is_flag=True, help="Treat unknown or ignored fields as errors."),
        click.option(
            "--ipblock-matches-pods/--ipblock-external-only",
            default=True,
            show_default=True,
            help="Whether an ipBlock also matches pod IPs (left to the network plugin).",
        ),
        click.option(
            "--self-traffic",
            type=click.Choice(["policy", "allowed"]),
            default="policy",
            show_default=True,
            help="Whether a pod's traffic to itself is subject to its policies.",
        ),
        click.option("-v", "--verbose", count=True, help="More detail (skipped objects, ...)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def collect_inputs(kwargs: dict[str, Any]) -> InputOptions:
    """Take the input options out of a command's keyword arguments."""
    return InputOptions(
        paths=tuple(kwargs.pop("paths")),
        namespace=kwargs.pop("namespace"),
        all_namespaces=kwargs.pop("all_namespaces"),
        skip_invalid=kwargs.pop("skip_invalid"),
        strict=kwargs.pop("strict"),
        ipblock_matches_pods=kwargs.pop("ipblock_matches_pods"),
        self_traffic=kwargs.pop("self_traffic"),
        verbose=kwargs.pop("verbose"),
    )


def run_guarded(command: click.Command) -> int:
    """Run the CLI; turn netreach's own errors into messages and exit codes, never tracebacks."""
    try:
        result = command.main(standalone_mode=False)
    except click.exceptions.Abort:
        err_console.print("Aborted.")
        return 130
    except click.ClickException as exc:
        exc.show()
        return 2 if exc.exit_code == 2 else exc.exit_code
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except InputError as exc:
        for problem in exc.problems:
            err_console.print(str(problem), markup=False)
        n = len(exc.problems)
        err_console.print(
            f"netreach: {n} problem{'s' if n != 1 else ''} in the input", markup=False
        )
        return 2
    except QueryError as exc:
        err_console.print(f"netreach: {exc}", markup=False)
        return 2
    except NetreachError as exc:
        err_console.print(f"netreach: {exc}", markup=False)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    return int(result) if isinstance(result, int) else 0


def echo_to_stdout(text: str) -> None:
    sys.stdout.write(text)


def cluster_from_inputs(inputs: InputOptions) -> Cluster:
    """Read, validate and model the snapshot the options name; report warnings on stderr."""
    from netreach.load.sources import read_paths

    if not inputs.paths:
        raise click.UsageError("give at least one file, directory or - (stdin)")
    return cluster_from_sources(read_paths(inputs.paths), inputs)


def cluster_from_sources(sources: Sequence[Source], inputs: InputOptions) -> Cluster:
    """As `cluster_from_inputs`, for sources read elsewhere (e.g. from a git revision)."""
    from netreach.load import load_sources

    snapshot = load_sources(
        sources,
        namespace=inputs.namespace,
        skip_invalid=inputs.skip_invalid,
        strict=inputs.strict,
    )
    report_load(snapshot, inputs.verbose)
    options = Options(
        ipblock_matches_pods=inputs.ipblock_matches_pods,
        self_traffic="allowed" if inputs.self_traffic == "allowed" else "policy",
    )
    return Cluster(snapshot, options)


def report_load(snapshot: Snapshot, verbose: int) -> None:
    """Warnings, dropped objects and (with -v) skipped objects, on stderr."""
    for problem in snapshot.invalid:
        err_console.print(f"skipped invalid: {problem}", markup=False)
    for warning in snapshot.warnings:
        err_console.print(f"warning: {warning}", markup=False)
    if snapshot.skipped:
        total = sum(len(v) for v in snapshot.skipped.values())
        kinds = ", ".join(f"{k} ({len(v)})" for k, v in sorted(snapshot.skipped.items()))
        if verbose:
            err_console.print(f"not modelled: {total} objects: {kinds}", markup=False)
            if verbose > 1:
                for kind, locs in sorted(snapshot.skipped.items()):
                    for loc in locs:
                        err_console.print(f"  {loc}: {kind}", markup=False)


def namespaces_in_scope(inputs: InputOptions) -> list[str] | None:
    """-n NS limits the output to one namespace; -A (or nothing) means every namespace."""
    if inputs.namespace and not inputs.all_namespaces:
        return [inputs.namespace]
    return None
