"""Options shared by commands that read a snapshot, and the error boundary of the CLI."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

# the frame (cli/guard.py), re-exported: command modules and tests import it from here
from netreach.cli.guard import Command as Command
from netreach.cli.guard import Group as Group
from netreach.cli.guard import run_guarded as run_guarded
from netreach.cli.guard import say as say
from netreach.cli.guard import say_each
from netreach.cli.inputs import Verbosity
from netreach.cli.inputs import input_options as input_options
from netreach.cluster import Cluster
from netreach.errors import NetreachError
from netreach.loader.infer import infer_workloads
from netreach.loader.inputs import Inputs, read_sources, reads_cluster
from netreach.loader.sources import Source
from netreach.model import Options, Snapshot
from netreach.render.text import make_console


class NothingToAnalyse(NetreachError):
    """No pod in the input and none inferred: a gate must not pass on an empty analysis."""


err_console = make_console(stderr=True)


def read_input_sources(inputs: Inputs) -> list[Source]:
    """Read every input of a command; notes (skipped kinds) go to stderr, requests with -v."""
    with step("reading the cluster" if reads_cluster(inputs) else "reading the input"):
        return read_sources(inputs, on_note=print_note, log=request_log(Verbosity.verbose))


@contextmanager
def step(label: str) -> Iterator[None]:
    """A spinner on stderr while a step that can take a while runs: only on a terminal, and
    not with -q (CI logs stay clean)."""
    if Verbosity.quiet or not err_console.is_terminal:
        yield
        return
    with err_console.status(f"{label}...", spinner="dots"):
        yield


def say_lines(text: str) -> None:
    """A block we composed one line per item (each item escaped where it was put in)."""
    say_each(text.splitlines())


def print_note(message: str) -> None:
    """A note on stderr (not with -q)."""
    if not Verbosity.quiet:
        say(f"netreach: note: {message}")


def request_log(verbose: int) -> Callable[[str], None] | None:
    if verbose < 1:
        return None
    return lambda message: say(f"netreach: {message}")


def echo_to_stdout(text: str) -> None:
    sys.stdout.write(text)


def cluster_from_inputs(
    inputs: Inputs, *, gate: bool = False, options: Options | None = None
) -> Cluster:
    """Read, validate and model the snapshot the inputs name; report warnings on stderr.
    `gate`: the command decides an exit code (audit, test, ...), so an input with nothing to
    analyse is an error (exit 2) rather than a note. `options` replace `inputs.options`."""
    return cluster_from_sources(read_input_sources(inputs), inputs, gate=gate, options=options)


def cluster_from_sources(
    sources: Sequence[Source],
    inputs: Inputs,
    *,
    gate: bool = False,
    options: Options | None = None,
) -> Cluster:
    """As `cluster_from_inputs`, for sources read elsewhere (e.g. from a git revision)."""
    snapshot = snapshot_from_sources(sources, inputs)
    return cluster_from_snapshot(snapshot, inputs, gate=gate, options=options)


def snapshot_from_sources(sources: Sequence[Source], inputs: Inputs) -> Snapshot:
    """Read and validate; warnings and dropped objects on stderr."""
    from netreach.loader import load_sources
    from netreach.loader.parallel import parsing

    # the child parser is forked before the spinner's thread starts (parallel.py)
    with parsing(sources, inputs.limits) as parse, step("validating"):
        snapshot = load_sources(
            sources,
            namespace=inputs.namespace,
            skip_invalid=inputs.skip_invalid,
            lenient=inputs.lenient,
            limits=inputs.limits,
            parse=parse,
        )
    report_load(snapshot)
    return snapshot


def cluster_from_snapshot(
    snapshot: Snapshot,
    inputs: Inputs,
    *,
    gate: bool = False,
    also: Sequence[Snapshot] = (),
    options: Options | None = None,
) -> Cluster:
    """Infer workloads where the policies select none (`--infer-workloads`; `also`: other
    snapshots whose policies count, as both sides of a diff), then model the cluster."""
    inference = infer_workloads(snapshot, inputs.infer_workloads, also)
    for problem in inference.problems:
        say(f"warning: {problem}")
    notes = inference.notes(Verbosity.verbose)
    if inference.nothing_to_analyse and gate:
        raise NothingToAnalyse(notes[-1])
    for note in notes:
        print_note(note)
    # The snapshot lives until the command ends: keep the cyclic collector from rescanning
    # it while the map streams out millions of short-lived objects.
    gc.freeze()
    cluster = Cluster(inference.snapshot, options or inputs.options)
    with step("compiling the policies"):
        cluster.compiled  # noqa: B018  (compiled here, under the spinner)
    return cluster


def report_load(snapshot: Snapshot) -> None:
    """Warnings, dropped objects and a count of objects not modelled on stderr; `-v` lists
    each object not modelled with its location."""
    lines = [f"skipped invalid: {problem}" for problem in snapshot.invalid]
    if snapshot.invalid:
        n = len(snapshot.invalid)
        lines.append(
            f"netreach: {n} problem{'s' if n != 1 else ''} skipped (--skip-invalid): "
            "the objects listed above are left out of every result"
        )
    lines.extend(f"warning: {warning}" for warning in snapshot.warnings)
    if not Verbosity.quiet:
        lines.extend(skipped_lines(snapshot, Verbosity.verbose))
    if lines:
        say_each(lines)


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
