"""`netreach completion SHELL`: print the shell completion script (click's own machinery)."""

from __future__ import annotations

import os
import sys

import click
from click.shell_completion import get_completion_class

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
    # Completes the name it was called by: netreach, or kubectl-netreach as a kubectl plugin.
    prog = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "netreach"
    if prog not in ("netreach", "kubectl-netreach"):
        prog = "netreach"
    complete_var = "_{}_COMPLETE".format(prog.replace("-", "_").upper())
    shell_class = get_completion_class(shell)
    if shell_class is None:  # pragma: no cover - click ships all three
        raise click.UsageError(f"no completion support for {shell}")
    echo_to_stdout(shell_class(cli, {}, prog, complete_var).source())
