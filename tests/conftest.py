"""Fixtures every test directory shares. Paths live in `paths.py`, the in-process command
line in `clirun.py` (plain modules, so helpers can import them too)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from clirun import CliResult, run_cli

RunCli = Callable[..., CliResult]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> RunCli:
    """Run the CLI in-process: `code, out, err = run("check", LESSON, ...)`."""

    def go(*args: str) -> CliResult:
        return run_cli(capsys, *args)

    return go
