from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from paths import LESSON_DIR


@pytest.fixture
def lesson_copy(tmp_path: Path) -> Path:
    """A writable copy of the lesson example, to change policies in."""
    dst = tmp_path / "lesson"
    shutil.copytree(LESSON_DIR, dst)
    return dst
