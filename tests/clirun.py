"""The netreach command line run in-process, through its error boundary (`run_guarded`), as
`main()` runs it: monkeypatches apply, and output is what a user would see.

Tests take the `run` fixture (tests/conftest.py); helpers that already hold `capsys` call
`run_cli`; code without fixtures (hypothesis bodies) calls `run_cli_io`."""

from __future__ import annotations

import contextlib
import io
from typing import NamedTuple

import pytest

from netreach.cli import cli
from netreach.cli.common import run_guarded


class CliResult(NamedTuple):
    """Exit code, stdout and stderr; unpacks as `code, out, err`."""

    code: int
    out: str
    err: str

    @property
    def problems(self) -> list[str]:
        """The stderr lines before the closing "netreach: N problems" line."""
        return [line for line in self.err.splitlines() if not line.startswith("netreach: ")]


def _checked(code: int, out: str, err: str) -> CliResult:
    # the error boundary's one promise: a message, never a traceback
    assert "Traceback" not in err + out, err
    return CliResult(code, out, err)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
    """Run `netreach ARGS...`; stdout and stderr as pytest captured them."""
    code = run_guarded(cli, list(args))
    out, err = capsys.readouterr()
    return _checked(code, out, err)


def run_cli_io(*args: str) -> CliResult:
    """Run `netreach ARGS...` with stdout and stderr redirected to memory (no fixture)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run_guarded(cli, list(args))
    return _checked(code, out.getvalue(), err.getvalue())
