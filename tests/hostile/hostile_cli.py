"""Run the netreach CLI in-process through its error boundary, on files written for the test."""

from __future__ import annotations

from pathlib import Path

from clirun import CliResult as Run
from clirun import run_cli as run

__all__ = ["Run", "run", "write"]


def write(tmp: Path, name: str, content: str | bytes) -> str:
    path = tmp / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return str(path)
