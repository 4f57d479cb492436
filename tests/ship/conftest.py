"""Shared by the packaging tests: the sdist and wheel, built once per session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from netreach.render import vendor
from paths import ROOT


@pytest.fixture(scope="session")
def dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """`python -m build`: the sdist, then the wheel built from the unpacked sdist."""
    out = tmp_path_factory.mktemp("dist")
    env = {k: v for k, v in os.environ.items() if k != vendor.ENV_VAR}
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (sdist,) = out.glob("netreach-*.tar.gz")
    (wheel,) = out.glob("netreach-*.whl")
    return sdist, wheel


@pytest.fixture(scope="session")
def wheelhouse(dists: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel and the wheels of all its dependencies (`pip wheel`, as the Dockerfile's
    build stage does): what the image and the krew plugin are made of."""
    _, wheel = dists
    out = tmp_path_factory.mktemp("wheelhouse")
    (out / wheel.name).write_bytes(wheel.read_bytes())
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--wheel-dir",
            str(out),
            str(out / wheel.name),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out
