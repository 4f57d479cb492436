"""Fixtures and settings every test directory shares. Paths live in `paths.py`, the in-process
command line in `clirun.py`, sample sizes in `sampling.py` (plain modules, so helpers can
import them too)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import settings

from clirun import CliResult, run_cli
from sampling import FAST_EXAMPLES, THOROUGH_EXAMPLES

# `make test` samples; `make test-slow` (pytest --hypothesis-profile thorough) draws all.
settings.register_profile("fast", max_examples=FAST_EXAMPLES)
settings.register_profile("thorough", max_examples=THOROUGH_EXAMPLES)
settings.load_profile("fast")

RunCli = Callable[..., CliResult]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> RunCli:
    """Run the CLI in-process: `code, out, err = run("check", LESSON, ...)`."""

    def go(*args: str) -> CliResult:
        return run_cli(capsys, *args)

    return go
