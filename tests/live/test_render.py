"""Helm and Kustomize rendering, the kubectl plugin and shell completion."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from netreach.loader import helm
from netreach.loader.helm import RenderError, helm_command, helm_template, kustomize_build

HAS_KUSTOMIZE = bool(shutil.which("kustomize") or shutil.which("kubectl"))
BIN = Path(sys.executable).parent

KUSTOMIZATION = """\
namespace: shop
commonLabels:
  team: payments
resources:
  - policy.yaml
"""
POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-all
spec:
  podSelector: {}
  policyTypes: [Ingress]
"""


@pytest.mark.skipif(not HAS_KUSTOMIZE, reason="needs kustomize or kubectl on PATH")
def test_kustomize_build_for_real(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(KUSTOMIZATION)
    (tmp_path / "policy.yaml").write_text(POLICY)
    source = kustomize_build(str(tmp_path))
    assert source.name == f"kustomize:{tmp_path}"
    (doc,) = list(yaml.safe_load_all(helm.render_kustomize(str(tmp_path))))
    assert doc["metadata"] == {
        "labels": {"team": "payments"},
        "name": "deny-all",
        "namespace": "shop",
    }


@pytest.mark.skipif(not HAS_KUSTOMIZE, reason="needs kustomize or kubectl on PATH")
def test_kustomize_failure_is_reported(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    with pytest.raises(RenderError, match=r"kustomize build .* failed \(exit 1\):"):
        kustomize_build(str(tmp_path))


def test_kustomize_prefers_kustomize_then_kubectl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("kustomize", "kubectl"):
        fake = tmp_path / name
        fake.write_text("#!/bin/sh\n")
        fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert helm.kustomize_command("d") == [str(tmp_path / "kustomize"), "build", "d"]
    (tmp_path / "kustomize").unlink()
    assert helm.kustomize_command("d") == [str(tmp_path / "kubectl"), "kustomize", "d"]


def test_missing_binaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RenderError, match="neither kustomize nor kubectl is on PATH: install"):
        kustomize_build(str(tmp_path))
    with pytest.raises(RenderError, match="helm is not on PATH: install Helm 3"):
        helm_template(str(tmp_path))


def test_helm_command_line() -> None:
    cmd = helm_command("./chart", ["a.yaml", "b.yaml"], ["x=1", "y.z=two"], namespace="shop")
    assert cmd == [
        "helm", "template", "release-name", "./chart", "--namespace", "shop",
        "--values", "a.yaml", "--values", "b.yaml", "--set", "x=1", "--set", "y.z=two",
    ]  # fmt: skip
    with pytest.raises(RenderError, match="--set oops: expected KEY=VALUE"):
        helm_command("c", set_values=["oops"])


FAKE_HELM = """\
#!/bin/sh
# Stands in for helm: records its arguments, prints a manifest, fails on request.
printf '%s\\n' "$@" > "$(dirname "$0")/args"
case "$*" in *broken*) echo 'Error: chart "broken" not found' >&2; exit 1;; esac
printf 'apiVersion: v1\\nkind: Namespace\\nmetadata:\\n  name: from-helm\\n'
"""


def test_helm_template_runs_helm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "helm"
    fake.write_text(FAKE_HELM)
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    values = tmp_path / "v.yaml"
    values.write_text("a: 1\n")
    source = helm_template("./chart", [str(values)], ["img.tag=2"], namespace="ns")
    assert source.name == "helm:./chart"
    assert helm.render_helm("./chart").startswith(b"apiVersion: v1\nkind: Namespace")
    helm.render_helm("./chart", [str(values)], ["img.tag=2"], namespace="ns")
    assert (tmp_path / "args").read_text().split() == [
        "template", "release-name", "./chart", "--namespace", "ns",
        "--values", str(values), "--set", "img.tag=2",
    ]  # fmt: skip
    with pytest.raises(
        RenderError, match=r'(?s)helm template broken failed.*chart "broken" not found'
    ):
        helm.render_helm("broken")
    with pytest.raises(RenderError, match=r"--values nope\.yaml: no such file"):
        helm.render_helm("./chart", ["nope.yaml"])


def _netreach(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "netreach"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_completion_scripts() -> None:
    for shell, marker in (("bash", "complete -o"), ("zsh", "compdef"), ("fish", "complete")):
        done = _netreach("completion", shell)
        assert done.returncode == 0, done.stderr
        assert marker in done.stdout and "_NETREACH_COMPLETE" in done.stdout
    done = _netreach(env={"_NETREACH_COMPLETE": "bash_complete", "COMP_WORDS": "netreach comp",
                          "COMP_CWORD": "1"})  # fmt: skip
    assert "completion" in done.stdout


@pytest.mark.skipif(not shutil.which("kubectl"), reason="needs kubectl on PATH")
def test_kubectl_plugin(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path)}
    done = subprocess.run(
        ["kubectl", "netreach", "--version"], capture_output=True, text=True, env=env, timeout=60,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "netreach, version" in done.stdout


def test_kubectl_plugin_completion(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(BIN / "kubectl_complete-netreach"), "check", "--kube"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.stdout.splitlines()[0].startswith("--kubeconfig\t")
    assert done.stdout.splitlines()[-1] == ":4"
    if _kubectl_minor() < 26:  # plugin completion came with kubectl 1.26
        return
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path)}
    done = subprocess.run(
        ["kubectl", "__complete", "netreach", "comple"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert done.stdout.splitlines() == ["completion\tPrint a completion script for SHELL.", ":4"]


def _kubectl_minor() -> int:
    if not shutil.which("kubectl"):
        return 0
    done = subprocess.run(
        ["kubectl", "version", "--client", "-o", "json"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    try:
        minor = json.loads(done.stdout)["clientVersion"]["minor"]
    except (ValueError, KeyError):
        return 0
    return int("".join(c for c in minor if c.isdigit()) or 0)
