"""Options shared by commands that read a snapshot, and the error boundary of the CLI."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import click

# the frame (cli/guard.py), re-exported: command modules and tests import it from here
from netreach.cli.guard import Command as Command
from netreach.cli.guard import Group as Group
from netreach.cli.guard import run_guarded as run_guarded
from netreach.cli.guard import say as say
from netreach.cluster import Cluster
from netreach.errors import NetreachError
from netreach.load.infer import INFER_MODES, InferMode, infer_workloads
from netreach.load.inputs import read_sources
from netreach.load.kube import DEFAULT_TIMEOUT
from netreach.load.limits import Limits
from netreach.load.sources import Source
from netreach.model import Options, Snapshot
from netreach.render.text import make_console

_DEFAULTS = Limits()


class NothingToAnalyse(NetreachError):
    """No pod in the input and none inferred: a gate must not pass on an empty analysis."""


F = TypeVar("F", bound=Callable[..., Any])

err_console = make_console(stderr=True)


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
    limits: Limits = _DEFAULTS
    # Where to read from besides `paths` (see netreach.load.inputs.read_sources).
    filenames: tuple[str, ...] = ()
    cluster: bool = False
    kubeconfig: str | None = None
    context: str | None = None
    request_timeout: float = DEFAULT_TIMEOUT
    helm: str | None = None
    values: tuple[str, ...] = ()
    set_values: tuple[str, ...] = ()
    kustomize: tuple[str, ...] = ()
    infer_workloads: InferMode = "auto"


SOURCE_OPTIONS = [
    click.option(
        "-f",
        "--filename",
        "filenames",
        multiple=True,
        type=click.Path(allow_dash=True),
        help="A file or directory to read (repeatable); with a live cluster: what you would apply.",
    ),
    click.option(
        "--cluster",
        is_flag=True,
        help="Read the live cluster (implied by --kubeconfig/--context, and when no other "
        "input is given).",
    ),
    click.option(
        "--kubeconfig",
        type=click.Path(dir_okay=False),
        help="Kubeconfig of the live cluster [default: $KUBECONFIG, ~/.kube/config, or the "
        "pod's service account].",
    ),
    click.option("--context", help="Kubeconfig context [default: the current context]."),
    click.option(
        "--request-timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=DEFAULT_TIMEOUT,
        show_default=True,
        help="Seconds to wait for each API server answer.",
    ),
    click.option(
        "--helm",
        metavar="CHART",
        type=click.Path(),
        help="Render a Helm chart with `helm template`.",
    ),
    click.option(
        "--values", multiple=True, type=click.Path(allow_dash=True), help="Helm values file."
    ),
    click.option("--set", "set_values", multiple=True, metavar="KEY=VALUE", help="Helm --set."),
    click.option(
        "--kustomize",
        multiple=True,
        metavar="DIR",
        type=click.Path(),
        help="Render a kustomization with `kustomize build` (or `kubectl kustomize`).",
    ),
]


def input_options(func: F) -> F:
    """Add the snapshot-reading arguments and options to a command; they arrive as `inputs`."""

    options = [
        click.argument("paths", nargs=-1, type=click.Path(allow_dash=True)),
        click.option(
            "-n",
            "--namespace",
            default=None,
            help="Namespace for objects that name none, the scope of the output, and of what "
            "is read from a live cluster.",
        ),
        click.option(
            "-A", "--all-namespaces", is_flag=True, help="Report on every namespace (default)."
        ),
        click.option(
            "--skip-invalid",
            is_flag=True,
            help="Drop objects the API server would refuse (listed) and go on.",
        ),
        click.option(
            "--strict",
            is_flag=True,
            help="Unknown fields and duplicate keys are errors (the default, as kubectl apply).",
        ),
        click.option(
            "--lenient",
            is_flag=True,
            help="Unknown fields and duplicate keys are warnings; verdicts they could change "
            "say so.",
        ),
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
        click.option(
            "--max-input-bytes",
            type=click.IntRange(min=0),
            default=_DEFAULTS.max_input_bytes,
            show_default=True,
            help="Refuse inputs larger than this in total (see docs/limits.md).",
        ),
        click.option(
            "--max-alias-nodes",
            type=click.IntRange(min=0),
            default=_DEFAULTS.max_alias_nodes,
            show_default=True,
            help="Refuse a YAML document whose aliases expand it by more nodes (alias bombs).",
        ),
        click.option(
            "--max-depth",
            type=click.IntRange(min=1),
            default=_DEFAULTS.max_depth,
            show_default=True,
            help="Refuse a document nested deeper than this.",
        ),
        *SOURCE_OPTIONS,
        click.option(
            "--infer-workloads",
            type=click.Choice(INFER_MODES),
            default="auto",
            show_default=True,
            help="Representative pods made from the policies' selectors, marked [Inferred]: "
            "auto when the input has policies but no pods (policies-only repositories), "
            "always for every selector no pod of the input satisfies, or never.",
        ),
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
        strict=_strict(kwargs.pop("strict"), kwargs.pop("lenient")),
        ipblock_matches_pods=kwargs.pop("ipblock_matches_pods"),
        self_traffic=kwargs.pop("self_traffic"),
        verbose=kwargs.pop("verbose"),
        limits=Limits(
            max_input_bytes=kwargs.pop("max_input_bytes"),
            max_alias_nodes=kwargs.pop("max_alias_nodes"),
            max_depth=kwargs.pop("max_depth"),
        ),
        filenames=tuple(kwargs.pop("filenames")),
        cluster=kwargs.pop("cluster"),
        kubeconfig=kwargs.pop("kubeconfig"),
        context=kwargs.pop("context"),
        request_timeout=kwargs.pop("request_timeout"),
        helm=kwargs.pop("helm"),
        values=tuple(kwargs.pop("values")),
        set_values=tuple(kwargs.pop("set_values")),
        kustomize=tuple(kwargs.pop("kustomize")),
        infer_workloads=kwargs.pop("infer_workloads"),
    )


def _strict(strict: bool, lenient: bool) -> bool:
    if strict and lenient:
        raise click.UsageError("--strict and --lenient contradict each other")
    return not lenient


def read_input_sources(inputs: InputOptions) -> list[Source]:
    """Read every input of a command; notes (skipped kinds) go to stderr, requests with -v."""
    return read_sources(
        inputs, on_note=print_note, log=request_log(inputs.verbose), limits=inputs.limits
    )


def say_lines(text: str) -> None:
    """A block we composed one line per item (each item escaped where it was put in)."""
    for line in text.splitlines():
        say(line)


def print_note(message: str) -> None:
    say(f"netreach: note: {message}")


def request_log(verbose: int) -> Callable[[str], None] | None:
    if verbose < 1:
        return None
    return lambda message: say(f"netreach: {message}")


def echo_to_stdout(text: str) -> None:
    sys.stdout.write(text)


def cluster_from_inputs(inputs: InputOptions, *, gate: bool = False) -> Cluster:
    """Read, validate and model the snapshot the options name; report warnings on stderr.
    `gate`: the command decides an exit code (audit, test, ...), so an input with nothing to
    analyse is an error (exit 2) rather than a note."""
    return cluster_from_sources(read_input_sources(inputs), inputs, gate=gate)


def cluster_from_sources(
    sources: Sequence[Source], inputs: InputOptions, *, gate: bool = False
) -> Cluster:
    """As `cluster_from_inputs`, for sources read elsewhere (e.g. from a git revision)."""
    return cluster_from_snapshot(snapshot_from_sources(sources, inputs), inputs, gate=gate)


def snapshot_from_sources(sources: Sequence[Source], inputs: InputOptions) -> Snapshot:
    """Read and validate; warnings and dropped objects on stderr."""
    from netreach.load import load_sources

    snapshot = load_sources(
        sources,
        namespace=inputs.namespace,
        skip_invalid=inputs.skip_invalid,
        strict=inputs.strict,
        limits=inputs.limits,
    )
    report_load(snapshot, inputs.verbose)
    return snapshot


def cluster_from_snapshot(
    snapshot: Snapshot,
    inputs: InputOptions,
    *,
    gate: bool = False,
    also: Sequence[Snapshot] = (),
) -> Cluster:
    """Infer workloads where the policies select none (`--infer-workloads`; `also`: other
    snapshots whose policies count, as both sides of a diff), then model the cluster."""
    inference = infer_workloads(snapshot, inputs.infer_workloads, also)
    for problem in inference.problems:
        say(f"warning: {problem}")
    notes = inference.notes(inputs.verbose)
    if inference.nothing_to_analyse and gate:
        raise NothingToAnalyse(notes[-1])
    for note in notes:
        print_note(note)
    snapshot = inference.snapshot
    options = Options(
        ipblock_matches_pods=inputs.ipblock_matches_pods,
        self_traffic="allowed" if inputs.self_traffic == "allowed" else "policy",
    )
    # The snapshot lives until the command ends: keep the cyclic collector from rescanning
    # it while the map streams out millions of short-lived objects.
    gc.freeze()
    return Cluster(snapshot, options)


def report_load(snapshot: Snapshot, verbose: int) -> None:
    """Warnings, dropped objects and a count of objects not modelled on stderr; `-v` lists
    each object not modelled with its location."""
    for problem in snapshot.invalid:
        say(f"skipped invalid: {problem}")
    if snapshot.invalid:
        n = len(snapshot.invalid)
        say(
            f"netreach: {n} problem{'s' if n != 1 else ''} skipped (--skip-invalid): "
            "the objects listed above are left out of every result"
        )
    for warning in snapshot.warnings:
        say(f"warning: {warning}")
    for line in skipped_lines(snapshot, verbose):
        say(line)


def skipped_lines(snapshot: Snapshot, verbose: int) -> list[str]:
    """A count of the objects read but not modelled (other kinds, finished pods), by kind;
    with `verbose`, one line per object."""
    if not snapshot.skipped:
        return []
    total = sum(len(v) for v in snapshot.skipped.values())
    kinds = ", ".join(f"{k} ({len(v)})" for k, v in sorted(snapshot.skipped.items()))
    lines = [f"not modelled: {total} object{'s' if total != 1 else ''}: {kinds}"]
    if not verbose:
        lines[0] += " (-v lists them)"
        return lines
    for kind, locs in sorted(snapshot.skipped.items()):
        lines.extend(f"  {loc}: {kind}" for loc in locs)
    return lines


def namespaces_in_scope(inputs: InputOptions) -> list[str] | None:
    """-n NS limits the output to one namespace; -A (or nothing) means every namespace."""
    if inputs.namespace and not inputs.all_namespaces:
        return [inputs.namespace]
    return None
