"""The root command group. Commands are modules loaded when first used (cli/guard.py), so
`netreach --version`, `--help` and tab completion stay fast."""

from __future__ import annotations

import click

from netreach.cli.guard import Group
from netreach.version import __version__

# command name -> the module that defines it (importing it registers the command on `cli`)
COMMANDS = {
    name: f"netreach.cli.{module}"
    for name, module in {
        "analyze": "analyze",
        "audit": "audit",
        "check": "check",
        "compile": "compile",
        "completion": "completion",
        "describe": "describe",
        "diff": "diff",
        "exposure": "exposure",
        "generate": "generate",
        "matrix": "matrix",
        "report": "report",
        "snapshot": "snapshot",
        "test": "test",
        "validate": "validate",
        "verify": "verify",
    }.items()
}


@click.group(
    cls=Group,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="netreach")
def cli() -> None:
    """netreach: what your Kubernetes NetworkPolicies allow, and why."""
