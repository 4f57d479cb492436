"""The command line's frame: commands loaded when first used, text arguments checked, and
every error turned into a message and an exit code (never a traceback).

Kept light on purpose: `netreach --version`, `--help` and tab completion import this and
click only; a command's own module (and the engine, numpy, the Kubernetes client) loads
when that command runs.
"""

from __future__ import annotations

import gc
import importlib
import re
from collections.abc import Iterable

import click
from click.shell_completion import CompletionItem

from netreach.cli.streams import OutputClosed, OutputError, guarded_streams, silence
from netreach.errors import InputError, NetreachError
from netreach.escape import one_line

# Library parameter -> the flag that sets it: library messages name parameters in backquotes
# (`max_input_bytes`); the command line shows its own flags. Only names no Kubernetes field
# has in a message (the API server's own say `port`, `endPort`...).
PARAM_FLAGS = {
    "namespaces": "-n",
    "kubeconfig": "--kubeconfig",
    "context": "--context",
    "request_timeout": "--request-timeout",
    "helm": "--helm",
    "values": "--values",
    "set_values": "--set",
    "kustomize": "--kustomize",
    "skip_invalid": "--skip-invalid",
    "lenient": "--lenient",
    "infer_workloads": "--infer-workloads",
    "max_input_bytes": "--max-input-bytes",
    "max_alias_nodes": "--max-alias-nodes",
    "max_depth": "--max-depth",
    "git": "--git",
}
_PARAM = re.compile(r"`(" + "|".join(PARAM_FLAGS) + r")`")


def flag_names(text: str) -> str:
    """A library message as the command line says it: `max_depth` -> --max-depth."""
    return _PARAM.sub(lambda m: PARAM_FLAGS[m.group(1)], text)


def say(text: str) -> None:
    """One line on stderr. Every message goes through here: user text in it (file names,
    field names, kinds, API-server messages) can neither start a line of its own, nor move
    the cursor, nor be read as Rich markup or emoji. Rich loads when there is something to say."""
    say_each((text,))


# Lines per print in `say_each`: one Rich print per line costs about 0.2 ms (52,000
# problems: 10 s); a batch prints the same bytes at a fraction of that.
_BATCH = 1000


def say_each(texts: Iterable[str]) -> None:
    """`say` for each text, through one console, a batch of lines per print (the lines have no
    newline of their own, so a batch is the same bytes as one print per line)."""
    from netreach.render.text import make_console

    console = make_console(stderr=True)
    batch: list[str] = []
    for text in texts:
        batch.append(one_line(flag_names(text)))
        if len(batch) == _BATCH:
            console.print("\n".join(batch), markup=False, emoji=False, highlight=False)
            batch.clear()
    if batch:
        console.print("\n".join(batch), markup=False, emoji=False, highlight=False)


class Command(click.Command):
    """A command whose text arguments must be UTF-8: only file paths may hold other bytes
    (they name files; messages show such bytes as `\\xff`)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, args)
        for param in self.get_params(ctx):
            if isinstance(param.type, click.Path) or param.name is None:
                continue
            value = ctx.params.get(param.name)
            values = value if isinstance(value, tuple | list) else (value,)
            if any(isinstance(v, str) and _SURROGATE.search(v) for v in values):
                raise click.BadParameter(
                    f"{one_line(str(values[0]))!s} is not valid UTF-8 text", ctx, param
                )
        return rest

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command's own options first, then the input options every command shares."""
        own: list[tuple[str, str]] = []
        shared: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None:
                (shared if getattr(param, "shared", False) else own).append(record)
        if own:
            with formatter.section("Options"):
                formatter.write_dl(own)
        if shared:
            with formatter.section("Input options (every command)"):
                formatter.write_dl(shared)


_SURROGATE = re.compile(r"[\ud800-\udfff]")


class Group(click.Group):
    """A group whose commands are modules imported on first use (`lazy`: name -> module;
    importing the module registers the command on the group)."""

    command_class = Command

    def __init__(self, *args: object, lazy: dict[str, str] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            importlib.import_module(self.lazy[cmd_name])
        return super().get_command(ctx, cmd_name)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        """Command names without importing every command (tab completion stays fast); the
        group's own options as click completes them."""
        names = [n for n in self.list_commands(ctx) if n.startswith(incomplete)]
        items = [
            CompletionItem(
                n, help=self.commands[n].get_short_help_str() if n in self.commands else None
            )
            for n in names
        ]
        return items + click.Command.shell_complete(self, ctx, incomplete)


def run_guarded(command: click.Command, args: list[str] | None = None) -> int:
    """Run the CLI; turn netreach's own errors into messages and exit codes, never tracebacks.

    Every output goes through one guard (cli/streams.py). A reader that closes the pipe early
    (`| head`) ends the run as it ends kubectl's: silently, exit 141 (128 + SIGPIPE), which a
    shell reports as a broken pipe and `set -o pipefail` as a failure. Exit 0 would claim a
    verdict (`test`, `audit --fail-on`) that nobody read. Any other write error on stdout (a
    full disk) is one message and exit 2. stderr is best effort: if it cannot be written, the
    run goes on and ends with its own exit code."""
    with guarded_streams() as (out, err):
        try:
            code = _run(command, args)
            out.flush()
        except OutputClosed:
            silence(out)
            code = 141
        except OutputError as exc:
            silence(out)
            say(f"netreach: {exc}")
            code = 2
        err.flush()
        return code


def _run(command: click.Command, args: list[str] | None) -> int:
    try:
        result = command.main(args=args, prog_name="netreach", standalone_mode=False)
    except click.exceptions.Abort:
        say("Aborted.")
        return 130
    except click.ClickException as exc:
        exc.show()
        return 2 if exc.exit_code == 2 else exc.exit_code
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except InputError as exc:
        n = len(exc.problems)
        say_each(
            [
                *(str(problem) for problem in exc.problems),
                f"netreach: {n} problem{'s' if n != 1 else ''} in the input",
            ]
        )
        return 2
    except (OutputError, OutputClosed):
        raise
    except NetreachError as exc:
        say(f"netreach: {flag_names(str(exc))}")
        return 2
    except KeyboardInterrupt:
        return 130
    except MemoryError:
        # Whatever held the memory is unreachable now; free it before printing.
        gc.collect()
        say(
            "netreach: out of memory: the input is too large for this machine (lower "
            "--max-input-bytes to refuse it early; docs/limits.md)"
        )
        return 2
    except RecursionError:
        say("netreach: the input is nested too deeply to process (see --max-depth)")
        return 2
    return int(result) if isinstance(result, int) else 0
