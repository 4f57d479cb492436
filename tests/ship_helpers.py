"""Shared by the packaging tests (tests/ship/)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def fresh_venv(where: Path) -> Path:
    """A virtual environment with nothing in it; returns its bin folder."""
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=120)
    return where / "bin"


def install_offline(where: Path, wheelhouse: Path, *requirements: str) -> Path:
    """A virtual environment with `requirements` installed from `wheelhouse` alone, no index
    (the Dockerfile's runtime stage); returns its bin folder. The venv gets no pip of its own
    and nothing is byte-compiled: what is installed is the same, in seconds instead of 25."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, timeout=120
    )
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(where / "bin" / "python"), "install",
         "-q", "--no-compile", "--no-index", "--find-links", str(wheelhouse), *requirements],
        capture_output=True, text=True, timeout=900, check=False,
        env={**os.environ, "PIP_CONFIG_FILE": os.devnull},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
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


def offline_pip(wheelhouse: Path) -> dict[str, str]:
    """The environment that makes every pip below (the action's, pre-commit's) install from
    `wheelhouse` alone: no index, nothing byte-compiled (most of an install's time, and
    nothing the tests look at)."""
    return {
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheelhouse),
        "PIP_NO_COMPILE": "1",
        "PIP_CONFIG_FILE": os.devnull,
    }
