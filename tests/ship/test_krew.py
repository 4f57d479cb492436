"""The krew plugin: krew/build.py makes the archive (a pex of netreach for this machine, built
offline from the wheelhouse) and the manifest; the manifest follows krew's rules, its checksum
and file list match the archive, and the unpacked plugin runs, as `kubectl netreach` too when
kubectl is installed."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from paths import ROOT

BUILD = ROOT / "krew" / "build.py"


@pytest.fixture(scope="module")
def built(
    wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("krew")
    subprocess.run(
        [sys.executable, str(BUILD), "--version", "0.1.0", "--repo", "example/netreach",
         "--out", str(out), "--platforms", "current", "--wheelhouse", str(wheelhouse)],
        check=True, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    return out, yaml.safe_load((out / "netreach.yaml").read_text())


@pytest.mark.slow
def test_the_manifest_follows_krews_rules(built):
    _, m = built
    assert m["apiVersion"] == "krew.googlecontainertools.github.com/v1alpha2"
    assert m["kind"] == "Plugin" and m["metadata"]["name"] == "netreach"
    spec = m["spec"]
    assert re.fullmatch(r"v\d+\.\d+\.\d+", spec["version"])
    assert spec["homepage"] == "https://github.com/example/netreach"
    assert 0 < len(spec["shortDescription"]) <= 50 and spec["description"].strip()
    (platform,) = spec["platforms"]
    assert set(platform["selector"]["matchLabels"]) == {"os", "arch"}
    assert platform["bin"] == "kubectl-netreach"
    assert platform["uri"].startswith(
        "https://github.com/example/netreach/releases/download/v0.1.0/"
    )
    assert re.fullmatch(r"[0-9a-f]{64}", platform["sha256"])


def test_every_platform_of_a_release_is_listed():
    from importlib.util import module_from_spec, spec_from_file_location

    spec = spec_from_file_location("krew_build", BUILD)
    assert spec is not None and spec.loader is not None
    mod = module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert set(mod.PLATFORMS) == {
        ("linux", "amd64"), ("linux", "arm64"), ("darwin", "amd64"), ("darwin", "arm64")
    }  # fmt: skip


@pytest.mark.slow
def test_the_archive_matches_the_manifest_and_runs(built, tmp_path):
    out, m = built
    (platform,) = m["spec"]["platforms"]
    archive = out / platform["uri"].rsplit("/", 1)[1]
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == platform["sha256"]
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        tar.extractall(tmp_path / "plugin", filter="data")
    assert {f["from"] for f in platform["files"]} == names
    assert names == {"kubectl-netreach", "LICENSE", "cytoscape.LICENSE"}
    plugin = tmp_path / "plugin" / "kubectl-netreach"
    assert os.access(plugin, os.X_OK)
    env = {
        "PATH": f"{plugin.parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "PEX_ROOT": str(tmp_path / "pex"),
    }
    done = subprocess.run(
        [str(plugin), "check", str(ROOT / "examples" / "lesson"), "--from", "default/api",
         "--to", "default/db", "--port", "5432"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "port 5432/TCP: ALLOWED" in done.stdout
    kubectl = shutil.which("kubectl")
    if kubectl is not None:  # plugin discovery, where kubectl is there to do it
        listed = subprocess.run(
            [kubectl, "plugin", "list"], capture_output=True, text=True, env=env, check=False
        )
        assert str(plugin) in listed.stdout
