"""Render Helm charts and Kustomize directories with the users' own tools, as loader `Source`s.

We run the real binaries rather than reimplementing templating: what netreach analyzes must be
exactly what `helm install` or `kubectl apply -k` would send.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from netreach.errors import NetreachError
from netreach.loader.sources import Source

RENDER_TIMEOUT = 300.0
HELM_RELEASE = "release-name"  # what `helm template` calls a release when given no name

HELM_INSTALL = "install Helm 3 (https://helm.sh/docs/intro/install/) and put it on PATH"
KUSTOMIZE_INSTALL = (
    "install kustomize (https://kubectl.docs.kubernetes.io/installation/kustomize/) or "
    "kubectl, and put it on PATH"
)


class RenderError(NetreachError):
    """A chart or kustomization could not be rendered."""


def helm_command(
    chart: str,
    values: Sequence[str] = (),
    set_values: Sequence[str] = (),
    namespace: str | None = None,
    release: str = HELM_RELEASE,
    helm: str = "helm",
) -> list[str]:
    """The `helm template` command line; values files and --set apply in the order given."""
    cmd = [helm, "template", release, chart]
    if namespace:
        cmd += ["--namespace", namespace]
    for path in values:
        cmd += ["--values", path]
    for assignment in set_values:
        if "=" not in assignment:
            raise RenderError(f"--set {assignment}: expected KEY=VALUE")
        cmd += ["--set", assignment]
    return cmd


def helm_template(
    chart: str,
    values: Sequence[str] = (),
    set_values: Sequence[str] = (),
    namespace: str | None = None,
    release: str = HELM_RELEASE,
) -> Source:
    """Render a chart (a directory, archive or repo/chart reference) with `helm template`."""
    return Source(f"helm:{chart}", render_helm(chart, values, set_values, namespace, release))


def render_helm(
    chart: str,
    values: Sequence[str] = (),
    set_values: Sequence[str] = (),
    namespace: str | None = None,
    release: str = HELM_RELEASE,
) -> bytes:
    """The YAML `helm template` prints for a chart."""
    for path in values:
        if path != "-" and not Path(path).is_file():
            raise RenderError(f"--values {path}: no such file")
    helm = _find(
        "helm",
        f"helm is not on PATH: {HELM_INSTALL}, or render the chart yourself "
        "(helm template CHART > rendered.yaml) and pass rendered.yaml",
    )
    cmd = helm_command(chart, values, set_values, namespace, release, helm)
    return _run(cmd, f"helm template {chart}")


def kustomize_command(directory: str) -> list[str]:
    """`kustomize build DIR`, or `kubectl kustomize DIR` when only kubectl is installed."""
    kustomize = shutil.which("kustomize")
    if kustomize:
        return [kustomize, "build", directory]
    kubectl = shutil.which("kubectl")
    if kubectl:
        return [kubectl, "kustomize", directory]
    raise RenderError(
        f"neither kustomize nor kubectl is on PATH: {KUSTOMIZE_INSTALL}, or render the "
        "directory yourself (kustomize build DIR > rendered.yaml) and pass rendered.yaml"
    )


def kustomize_build(directory: str) -> Source:
    """Render a kustomization directory (or a remote kustomize target) as `kubectl apply -k`."""
    return Source(f"kustomize:{directory}", render_kustomize(directory))


def render_kustomize(directory: str) -> bytes:
    """The YAML `kustomize build` prints for a directory."""
    if "://" not in directory and not Path(directory).is_dir():
        raise RenderError(f"--kustomize {directory}: no such directory")
    return _run(kustomize_command(directory), f"kustomize build {directory}")


def require_tool(kind: Literal["helm", "kustomize"], path: str) -> None:
    """Before rendering a chart folder or kustomization root given as a plain path: when the
    tool is missing, say what the folder is and every way forward."""
    if kind == "helm":
        if shutil.which("helm"):
            return
        raise RenderError(
            f"{path} is a Helm chart (it holds Chart.yaml); netreach renders it as --helm {path} "
            f"would, with helm, which is not on PATH: {HELM_INSTALL}, or render it yourself "
            f"(helm template {path} > rendered.yaml) and pass rendered.yaml"
        )
    if shutil.which("kustomize") or shutil.which("kubectl"):
        return
    raise RenderError(
        f"{path} is a kustomization root (it holds a kustomization file); netreach renders it "
        f"as --kustomize {path} would, with kustomize or kubectl, neither of which is on PATH: "
        f"{KUSTOMIZE_INSTALL}, or render it yourself (kubectl kustomize {path} > rendered.yaml) "
        "and pass rendered.yaml"
    )


def _find(name: str, missing: str) -> str:
    found = shutil.which(name)
    if not found:
        raise RenderError(missing)
    return found


def _run(cmd: list[str], what: str) -> bytes:
    # No shell: chart names and values come from the user's command line verbatim.
    try:
        done = subprocess.run(
            cmd,
            capture_output=True,
            timeout=RENDER_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RenderError(f"{what} did not finish within {RENDER_TIMEOUT:g}s") from None
    except OSError as exc:
        raise RenderError(f"{what}: cannot run {cmd[0]}: {exc.strerror}") from None
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip()
        lines = err.splitlines()[-15:]  # the tools put the cause last
        detail = ("\n  " + "\n  ".join(lines)) if lines else ""
        raise RenderError(f"{what} failed (exit {done.returncode}){':' if detail else ''}{detail}")
    return done.stdout
