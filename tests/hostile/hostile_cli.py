"""Run the netreach CLI in-process through its error boundary, on files written for the test."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from netreach.cli import cli
from netreach.cli.common import run_guarded


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    @property
    def problems(self) -> list[str]:
        """The stderr lines before the closing "netreach: N problems" line."""
        return [line for line in self.err.splitlines() if not line.startswith("netreach: ")]


def write(tmp: Path, name: str, content: str | bytes) -> str:
    path = tmp / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    code = run_guarded(cli, list(args))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return Run(code, captured.out, captured.err)
