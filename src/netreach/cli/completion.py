"""`netreach completion SHELL`: print the shell completion script (click's own machinery)."""

from __future__ import annotations

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
    # `run_guarded` runs the CLI as "netreach" whatever its file name, so that is the name the
    # script completes and the variable it sets.
    prog, complete_var = "netreach", "_NETREACH_COMPLETE"
    shell_class = get_completion_class(shell)
    if shell_class is None:  # pragma: no cover - click ships all three
        raise click.UsageError(f"no completion support for {shell}")
    echo_to_stdout(shell_class(cli, {}, prog, complete_var).source())
