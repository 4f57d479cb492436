"""Shared by the packaging tests (tests/ship/)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def fresh_venv(where: Path) -> Path:
    """A virtual environment with nothing in it; returns its bin folder."""
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=120)
    return where / "bin"


def copy_checkout(target: Path) -> Path:
    """This repository's files as a user would get them (tracked and new, not ignored)."""
    from paths import ROOT

    files = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target / name)
    return target
