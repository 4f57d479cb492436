"""`netreach completion SHELL`: print the shell completion script (click's own machinery)."""

from __future__ import annotations

import sys

import click
from click.shell_completion import ShellComplete, get_completion_class

from netreach.cli.app import cli
from netreach.cli.common import echo_to_stdout

SHELLS = ("bash", "zsh", "fish")


@cli.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print a completion script for SHELL.

    \b
    bash:  eval "$(netreach completion bash)"     (e.g. in ~/.bashrc)
    zsh:   eval "$(netreach completion zsh)"      (e.g. in ~/.zshrc)
    fish:  netreach completion fish > ~/.config/fish/completions/netreach.fish
    """
    # `run_guarded` runs the CLI as "netreach" whatever its file name, so that is the name the
    # script completes and the variable it sets.
    prog, complete_var = "netreach", "_NETREACH_COMPLETE"
    shell_class = get_completion_class(shell)
    if shell_class is None:  # pragma: no cover - click ships all three
        raise click.UsageError(f"no completion support for {shell}")
    echo_to_stdout(shell_class(cli, {}, prog, complete_var).source())


def kubectl_complete() -> None:
    """`kubectl_complete-netreach`: completes `kubectl netreach ...` (kubectl 1.26+ runs it with
    the words after `netreach`, the last being the one to complete, and reads cobra's format:
    one candidate a line, then `:DIRECTIVE`)."""
    args = sys.argv[1:]
    incomplete = args[-1] if args else ""
    completer = ShellComplete(cli, {}, "netreach", "_NETREACH_COMPLETE")
    items = completer.get_completions(args[:-1], incomplete)
    for item in items:
        if item.type == "plain":
            sys.stdout.write(f"{item.value}\t{item.help}\n" if item.help else f"{item.value}\n")
    # 0: let the shell complete file names too (paths, -f); 4: only the candidates printed.
    wants_files = any(item.type in ("file", "dir") for item in items)
    sys.stdout.write(":0\n" if wants_files or not items else ":4\n")
