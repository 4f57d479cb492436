"""Shared by the packaging tests (tests/ship/)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def fresh_venv(where: Path) -> Path:
    """A virtual environment with nothing in it; returns its bin folder."""
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=120)
    return where / "bin"
