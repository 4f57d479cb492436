"""The options every command that reads a snapshot shares, built once into an `Inputs` value
(netreach.loader.inputs), and the help layout that lists a command's own options first."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, overload

import click

from netreach.loader.infer import INFER_MODES
from netreach.loader.inputs import Inputs
from netreach.loader.limits import DEFAULT_TIMEOUT, Limits
from netreach.model import Options

F = TypeVar("F", bound=Callable[..., Any])

_DEFAULTS = Limits()


class InputOption(click.Option):
    """A shared input option: listed after the command's own in `--help`."""

    shared = True


class InputArgument(click.Argument):
    shared = True

    def get_help_record(self, ctx: click.Context) -> tuple[str, str]:
        return (
            "PATH...",
            "Files and directories (recursive) to read, - for stdin; a Helm chart folder or "
            "kustomization root is rendered.",
        )


def _option(*decls: str, **attrs: Any) -> Callable[[F], F]:
    return click.option(*decls, cls=InputOption, **attrs)


class Verbosity:
    """-v and -q of the running command (stderr notes, progress); set by `input_options`."""

    verbose = 0
    quiet = False


def _shared_options(paths: bool) -> list[Callable[[F], F]]:
    options: list[Callable[[F], F]] = []
    if paths:
        options.append(
            click.argument(
                "paths",
                nargs=-1,
                metavar="[PATH]...",
                type=click.Path(allow_dash=True),
                cls=InputArgument,
            )
        )
    options += [
        _option(
            "-n",
            "--namespace",
            "namespaces",
            multiple=True,
            metavar="NS",
            help="Only this namespace in the output, and in what is read from a live cluster "
            "(repeatable). The first is the namespace of objects that name none.",
        ),
        _option(
            "-A", "--all-namespaces", is_flag=True, help="Report on every namespace (default)."
        ),
        _option(
            "-f",
            "--filename",
            "filenames",
            multiple=True,
            type=click.Path(allow_dash=True),
            help="A file or directory to read (repeatable); with a live cluster: what you would "
            "apply.",
        ),
        _option(
            "--cluster",
            is_flag=True,
            help="Read the live cluster (implied by --kubeconfig/--context, and when no other "
            "input is given).",
        ),
        _option(
            "--kubeconfig",
            type=click.Path(dir_okay=False),
            help="Kubeconfig of the live cluster [default: $KUBECONFIG, ~/.kube/config, or the "
            "pod's service account].",
        ),
        _option("--context", help="Kubeconfig context [default: the current context]."),
        _option(
            "--request-timeout",
            type=click.FloatRange(min=0, min_open=True),
            default=DEFAULT_TIMEOUT,
            show_default=True,
            help="Seconds to wait for each API server answer.",
        ),
        _option(
            "--helm",
            metavar="CHART",
            type=click.Path(),
            help="Render a Helm chart with `helm template`.",
        ),
        _option(
            "--values", multiple=True, type=click.Path(allow_dash=True), help="Helm values file."
        ),
        _option("--set", "set_values", multiple=True, metavar="KEY=VALUE", help="Helm --set."),
        _option(
            "--kustomize",
            multiple=True,
            metavar="DIR",
            type=click.Path(),
            help="Render a kustomization with `kustomize build` (or `kubectl kustomize`).",
        ),
        _option(
            "--skip-invalid",
            is_flag=True,
            help="Drop objects the API server would refuse (listed) and go on.",
        ),
        _option(
            "--strict",
            is_flag=True,
            help="Unknown fields and duplicate keys are errors (the default, as kubectl apply).",
        ),
        _option(
            "--lenient",
            is_flag=True,
            help="Unknown fields and duplicate keys are warnings; verdicts they could change "
            "say so.",
        ),
        _option(
            "--ipblock-matches-pods/--ipblock-external-only",
            default=True,
            show_default=True,
            help="Whether an ipBlock also matches pod IPs (left to the network plugin).",
        ),
        _option(
            "--self-traffic",
            type=click.Choice(["policy", "allowed"]),
            default="policy",
            show_default=True,
            help="Whether a pod's traffic to itself is subject to its policies.",
        ),
        _option(
            "--infer-workloads",
            type=click.Choice(INFER_MODES),
            default="auto",
            show_default=True,
            help="Representative pods made from the policies' selectors, marked [Inferred]: "
            "auto when the input has policies but no pods (policies-only repositories), "
            "always for every selector no pod of the input satisfies, or never.",
        ),
        _option(
            "--max-input-bytes",
            type=click.IntRange(min=0),
            default=_DEFAULTS.max_input_bytes,
            show_default=True,
            help="Refuse inputs larger than this in total (see docs/limits.md).",
        ),
        _option(
            "--max-alias-nodes",
            type=click.IntRange(min=0),
            default=_DEFAULTS.max_alias_nodes,
            show_default=True,
            help="Refuse a YAML document whose aliases expand it by more nodes (alias bombs).",
        ),
        _option(
            "--max-depth",
            type=click.IntRange(min=1),
            default=_DEFAULTS.max_depth,
            show_default=True,
            help="Refuse a document nested deeper than this.",
        ),
        _option(
            "-v", "--verbose", count=True, help="More detail on stderr (skipped objects, ...)."
        ),
        _option(
            "-q",
            "--quiet",
            is_flag=True,
            help="Nothing on stderr but warnings and errors (no notes, no progress).",
        ),
    ]
    return options


@overload
def input_options(func: F) -> F: ...
@overload
def input_options(*, paths: bool) -> Callable[[F], F]: ...


def input_options(func: F | None = None, *, paths: bool = True) -> Any:
    """Add the options that say what to read to a command; they arrive as one `inputs:
    Inputs`. `paths=False`: the command takes its positional arguments itself (diff: OLD NEW);
    `-f` files still arrive in `inputs.paths`."""

    def decorate(f: F) -> F:
        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            kwargs["inputs"] = collect_inputs(kwargs, positional=paths)
            return f(*args, **kwargs)

        for option in reversed(_shared_options(paths)):
            wrapper = option(wrapper)
        return wrapper  # type: ignore[return-value]

    return decorate(func) if func is not None else decorate


def collect_inputs(kwargs: dict[str, Any], *, positional: bool = True) -> Inputs:
    """Take the input options out of a command's keyword arguments."""
    strict, lenient = kwargs.pop("strict"), kwargs.pop("lenient")
    if strict and lenient:
        raise click.UsageError("--strict and --lenient contradict each other")
    Verbosity.verbose = kwargs.pop("verbose")
    Verbosity.quiet = kwargs.pop("quiet")
    if Verbosity.quiet and Verbosity.verbose:
        raise click.UsageError("--quiet and --verbose contradict each other")
    given = tuple(kwargs.pop("paths")) if positional else ()
    return Inputs(
        paths=(*given, *kwargs.pop("filenames")),
        namespaces=tuple(kwargs.pop("namespaces")),
        all_namespaces=kwargs.pop("all_namespaces"),
        cluster=kwargs.pop("cluster"),
        kubeconfig=kwargs.pop("kubeconfig"),
        context=kwargs.pop("context"),
        request_timeout=kwargs.pop("request_timeout"),
        helm=kwargs.pop("helm"),
        values=tuple(kwargs.pop("values")),
        set_values=tuple(kwargs.pop("set_values")),
        kustomize=tuple(kwargs.pop("kustomize")),
        limits=Limits(
            max_input_bytes=kwargs.pop("max_input_bytes"),
            max_alias_nodes=kwargs.pop("max_alias_nodes"),
            max_depth=kwargs.pop("max_depth"),
        ),
        skip_invalid=kwargs.pop("skip_invalid"),
        lenient=lenient,
        infer_workloads=kwargs.pop("infer_workloads"),
        options=Options(
            ipblock_matches_pods=kwargs.pop("ipblock_matches_pods"),
            self_traffic="allowed" if kwargs.pop("self_traffic") == "allowed" else "policy",
        ),
    )
