from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from netreach.cli import cli
from netreach.cli.common import run_guarded

ROOT = Path(__file__).resolve().parents[2]
LESSON_DIR = ROOT / "examples" / "lesson"


@pytest.fixture
def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[int, str, str]]:
    """Run the CLI in-process: (exit code, stdout, stderr)."""

    def go(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["netreach", *args])
        code = run_guarded(cli)
        out, err = capsys.readouterr()
        return code, out, err

    return go


@pytest.fixture
def lesson_copy(tmp_path: Path) -> Path:
    """A writable copy of the lesson example, to change policies in."""
    dst = tmp_path / "lesson"
    shutil.copytree(LESSON_DIR, dst)
    return dst
