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


def _is_sampled(item: pytest.Item) -> bool:
    """A hypothesis test: how much it finds depends on the profile."""
    return bool(getattr(getattr(item, "obj", None), "is_hypothesis_test", False))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Property tests are `slow` (sampled here, drawn in full by `make test-slow`). Under
    pytest-xdist (`make test`: `--dist loadfile`, a module's tests on one worker, as they share
    module fixtures and state), modules holding slow tests are handed out first, so that the
    longest ones do not start last."""
    slow_modules: set[str] = set()
    for item in items:
        if _is_sampled(item):
            item.add_marker(pytest.mark.slow)
        if item.get_closest_marker("slow") is not None:
            slow_modules.add(item.nodeid.split("::")[0])
    if hasattr(config, "workerinput"):  # xdist hands modules out in the workers' order
        items.sort(key=lambda item: item.nodeid.split("::")[0] not in slow_modules)
