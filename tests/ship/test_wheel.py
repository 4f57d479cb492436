"""Packaging: the sdist and the wheel carry the graph library and both licenses, and a fresh
virtual environment holding only the wheel and its dependencies writes a report with the graph.

`python -m build` makes the sdist, then the wheel from the unpacked sdist, so the wheel proves
the sdist is complete too.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tarfile
import zipfile

import pytest

from netreach.render import vendor
from paths import ROOT

VENDORED = ROOT / "src" / "netreach" / "render" / "vendor"


def test_vendored_graph_library_is_the_pinned_release():
    code = (VENDORED / vendor.FILE_NAME).read_bytes()
    assert hashlib.sha256(code).hexdigest() == vendor.SHA256
    assert f'.version="{vendor.VERSION}"'.encode() in code
    license_text = (VENDORED / vendor.LICENSE_NAME).read_text()
    assert (
        "The Cytoscape Consortium" in license_text
        and "Permission is hereby granted" in license_text
    )
    readme = (VENDORED / "README.md").read_text()
    assert vendor.SHA256 in readme and vendor.VERSION in readme


def test_license_file_is_apache_2_and_matches_pyproject():
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'license = "Apache-2.0"' in pyproject  # an SPDX expression (PEP 639), not a table
    assert "license = {" not in pyproject


def test_sdist_carries_the_graph_library_and_licenses(dists):
    sdist, _ = dists
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert "LICENSE" in names
    assert "src/netreach/render/vendor/cytoscape.min.js" in names
    assert "src/netreach/render/vendor/cytoscape.LICENSE" in names


def test_wheel_carries_the_graph_library_and_licenses(dists):
    _, wheel = dists
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = z.read(metadata).decode()
        code = z.read("netreach/render/vendor/cytoscape.min.js")
    assert hashlib.sha256(code).hexdigest() == vendor.SHA256
    assert "netreach/render/vendor/cytoscape.LICENSE" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert any(n.endswith("cytoscape.LICENSE") and ".dist-info/" in n for n in names)
    assert "License-Expression: Apache-2.0" in meta
    assert "netreach/render/assets/report.js" in names


@pytest.mark.slow
def test_fresh_venv_with_only_the_wheel_writes_a_report_with_the_graph(installed_wheel, tmp_path):
    venv = installed_wheel.parent
    # Run away from the checkout, with no override: only the installed package can answer.
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in (vendor.ENV_VAR, "PYTHONPATH")}
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import netreach; print(netreach.__file__)"],
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
        check=True,
    )
    assert where.stdout.startswith(str(venv)), where.stdout
    done = subprocess.run(
        [
            str(venv / "bin" / "netreach"),
            "report",
            str(ROOT / "examples" / "lesson"),
            "--out",
            "lesson.html",
        ],
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "graph library" not in done.stderr  # no "not installed" note
    page = (work / "lesson.html").read_text()
    assert f"cytoscape.js {vendor.VERSION}" in page
    assert "The Cytoscape Consortium" in page  # the MIT notice travels inside the report
    assert len(page) > 400_000
