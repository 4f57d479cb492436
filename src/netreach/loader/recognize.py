"""Inputs that are not manifests yet: a Helm chart folder, a kustomization root, a file of Go
templates. Recognised so they are rendered (as --helm / --kustomize would) or named in a
message that says what to do, instead of failing as "invalid YAML" or "duplicate Deployment".
"""

from __future__ import annotations

import os
import re
from typing import Literal

RootKind = Literal["helm", "kustomize"]

CHART_FILE = "Chart.yaml"
# The names kustomize accepts for the file that makes a folder a kustomization root.
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

# A Go template action: `{{ .Values.x }}`, `{{- if ... }}`, `{{ include "..." . }}`,
# `{{/* comment */}}`, `{{ $var }}`.
_GO_ACTION = re.compile(r"\{\{-?\s*(?:[.$]|/\*|[A-Za-z_])")


def root_kind(path: str) -> RootKind | None:
    """ "helm" for a chart folder (it holds Chart.yaml), "kustomize" for a kustomization
    root, None for anything else (a file, a plain folder)."""
    if not os.path.isdir(path):
        return None
    if os.path.isfile(os.path.join(path, CHART_FILE)):
        return "helm"
    if any(os.path.isfile(os.path.join(path, name)) for name in KUSTOMIZATION_FILES):
        return "kustomize"
    return None


def nested_roots(path: str) -> list[tuple[str, RootKind]]:
    """Charts and kustomization roots inside a folder (not the folder itself), outermost
    only, in sorted order; hidden folders are skipped as the reader skips them."""
    found: list[tuple[str, RootKind]] = []
    for dirpath, dirnames, _ in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        if dirpath == path:
            continue
        kind = root_kind(dirpath)
        if kind is not None:
            found.append((dirpath, kind))
            dirnames[:] = []  # a chart's subcharts are the chart's business
    return found


def go_template_line(text: str) -> tuple[int, str] | None:
    """The first line holding a Go template action, 1-based, with the action's text."""
    m = _GO_ACTION.search(text)
    if m is None:
        return None
    line = text.count("\n", 0, m.start()) + 1
    end = text.find("}}", m.start())
    action = text[m.start() : end + 2] if 0 <= end - m.start() < 80 else text[m.start() : m.end()]
    return line, action


def go_template_message(action: str) -> str:
    return (
        f"Go template syntax ({action}): this is a Helm chart template, not a "
        "Kubernetes manifest; give netreach the chart folder (the one holding Chart.yaml) or "
        "--helm CHART, so that helm renders it"
    )


def nested_roots_message(path: str, roots: list[tuple[str, RootKind]]) -> str:
    """What to do when a folder holds charts or kustomizations: their files are templates and
    patches, which read as plain manifests would give wrong answers or errors."""
    what = ", ".join(
        f"{p} (a Helm chart)" if kind == "helm" else f"{p} (a kustomization)" for p, kind in roots
    )
    return (
        f"{path} holds {what}: their templates and patches are not manifests, so netreach does "
        "not read the folder as plain files. Pass the chart or kustomization to analyse as a "
        f"path of its own to have it rendered (e.g. netreach analyze {roots[0][0]}), or use "
        "--helm CHART / --kustomize DIR, with the plain manifests as paths beside it"
    )
