"""The command line: thin wrappers over the library. No Kubernetes rule lives here.

Command modules are imported when their command runs (cli/app.py), not here: start-up
stays at click's cost.
"""

from __future__ import annotations

import sys

import click

from netreach.cli.app import cli
from netreach.cli.guard import run_guarded


def main() -> None:
    sys.exit(run_guarded(cli))


__all__ = ["cli", "click", "main"]
