"""Shared by the packaging tests: the sdist, the wheel and the wheelhouse, built once per run
(the pytest-xdist workers share them through a lock, as pytest-xdist's docs advise)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

from netreach.render import vendor
from paths import ROOT
from ship_helpers import install_offline


def _once(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """`build(folder)` run by the first worker that needs `name`; the others wait, then reuse."""
    shared = factory.getbasetemp().parent  # every worker's base, one run's
    out = shared / name
    with FileLock(str(out) + ".lock"):
        if not (out / ".done").exists():
            out.mkdir(exist_ok=True)
            build(out)
            (out / ".done").touch()
    return out


def _build_dists(out: Path) -> None:
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


@pytest.fixture(scope="session")
def dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """`python -m build`: the sdist, then the wheel built from the unpacked sdist."""
    out = _once(tmp_path_factory, "dist", _build_dists)
    (sdist,) = out.glob("netreach-*.tar.gz")
    (wheel,) = out.glob("netreach-*.whl")
    return sdist, wheel


@pytest.fixture(scope="session")
def wheelhouse(dists: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel and the wheels of all its dependencies (`pip wheel`, as the Dockerfile's
    build stage does): what the image and the krew plugin are made of."""
    _, wheel = dists

    def build(out: Path) -> None:
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
                # the build backend too, so that installs from a source tree can run offline
                "setuptools>=77",
            ],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]

    return _once(tmp_path_factory, "wheelhouse", build)


@pytest.fixture(scope="session")
def installed_wheel(wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """netreach installed from the wheelhouse alone into a fresh environment: its bin folder."""
    return install_offline(tmp_path_factory.mktemp("runtime") / "venv", wheelhouse, "netreach")
