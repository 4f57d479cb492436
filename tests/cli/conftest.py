from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from netreach.cli import cli
from netreach.cli.common import run_guarded

ROOT = Path(__file__).resolve().parents[2]
LESSON = str(ROOT / "examples" / "lesson")


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run the CLI in-process: (exit code, stdout, stderr)."""

    def go(*args: str) -> tuple[int, str, str]:
        code = run_guarded(cli, list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return go
