"""The command line: thin wrappers over the library. No Kubernetes rule lives here."""

from __future__ import annotations

import sys

import click

from netreach.cli import analyze as _analyze  # noqa: F401
from netreach.cli import audit as _audit  # noqa: F401
from netreach.cli import check as _check  # noqa: F401
from netreach.cli import compile as _compile  # noqa: F401
from netreach.cli import completion as _completion  # noqa: F401
from netreach.cli import describe as _describe  # noqa: F401
from netreach.cli import exposure as _exposure  # noqa: F401
from netreach.cli import generate as _generate  # noqa: F401
from netreach.cli import matrix as _matrix  # noqa: F401
from netreach.cli import report as _report  # noqa: F401
from netreach.cli import snapshot as _snapshot  # noqa: F401
from netreach.cli import validate as _validate  # noqa: F401
from netreach.cli import verify as _verify  # noqa: F401

# Command modules register themselves on `cli` when imported.
from netreach.cli.app import cli
from netreach.cli.common import run_guarded


def main() -> None:
    sys.exit(run_guarded(cli))


__all__ = ["cli", "click", "main"]
