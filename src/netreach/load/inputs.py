"""Everything a command reads, combined: files and directories, a live cluster, Helm charts and
Kustomize directories, each turned into loader `Source`s.

When a live cluster is read together with other inputs, those inputs are what the user
proposes to apply: an object they define replaces the live object of the same kind, namespace
and name, as `kubectl apply` would.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import orjson

from netreach.errors import NetreachError
from netreach.load.decode import parse_source
from netreach.load.files import read_paths
from netreach.load.helm import render_helm, render_kustomize, require_tool
from netreach.load.kube import DEFAULT_TIMEOUT, read_cluster_lists
from netreach.load.limits import Limits
from netreach.load.recognize import nested_roots, nested_roots_message, root_kind
from netreach.load.sources import Source

CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "Node",
        "AdminNetworkPolicy",
        "BaselineAdminNetworkPolicy",
        "ClusterNetworkPolicy",
    }
)


class InputSpec(Protocol):
    """What `read_sources` needs to know; the CLI's `InputOptions` is one."""

    @property
    def paths(self) -> tuple[str, ...]: ...
    @property
    def filenames(self) -> tuple[str, ...]: ...
    @property
    def namespace(self) -> str | None: ...
    @property
    def all_namespaces(self) -> bool: ...
    @property
    def cluster(self) -> bool: ...
    @property
    def kubeconfig(self) -> str | None: ...
    @property
    def context(self) -> str | None: ...
    @property
    def request_timeout(self) -> float: ...
    @property
    def helm(self) -> str | None: ...
    @property
    def values(self) -> tuple[str, ...]: ...
    @property
    def set_values(self) -> tuple[str, ...]: ...
    @property
    def kustomize(self) -> tuple[str, ...]: ...


def reads_cluster(inputs: InputSpec) -> bool:
    """A live cluster is read when asked for, or when nothing else is given (as kubectl)."""
    if inputs.cluster or inputs.kubeconfig or inputs.context:
        return True
    return not (inputs.paths or inputs.filenames or inputs.helm or inputs.kustomize)


def read_sources(
    inputs: InputSpec,
    *,
    on_note: Callable[[str], None] | None = None,
    log: Callable[[str], None] | None = None,
    limits: Limits | None = None,
) -> list[Source]:
    """All inputs of a command as loader sources: the live cluster first, then what is
    proposed (files and directories, the rendered chart, the kustomizations). `limits` caps
    what is read from stdin and parsed here; the loader enforces them in full."""
    limits = limits or Limits()
    paths = (*inputs.paths, *inputs.filenames)
    charts = [p for p in paths if root_kind(p) == "helm"]
    if (inputs.values or inputs.set_values) and not inputs.helm and len(charts) != 1:
        raise NetreachError("--values and --set apply to a chart: add --helm CHART")
    proposed = _read_paths(paths, inputs, limits)
    if inputs.helm:
        data = render_helm(inputs.helm, inputs.values, inputs.set_values, inputs.namespace)
        proposed.append(Source(f"helm:{inputs.helm}", data))
    for directory in inputs.kustomize:
        proposed.append(Source(f"kustomize:{directory}", render_kustomize(directory)))
    if not reads_cluster(inputs):
        return proposed
    scope = None if inputs.all_namespaces else inputs.namespace
    lists = read_cluster_lists(
        inputs.kubeconfig,
        inputs.context,
        scope,
        request_timeout=inputs.request_timeout or DEFAULT_TIMEOUT,
        on_note=on_note,
        log=log,
        max_bytes=limits.max_input_bytes,
    )
    if proposed:
        replaced = defined_keys(proposed, inputs.namespace or "default", limits)
        lists = [(name, _without(doc, replaced)) for name, doc in lists]
    return [Source(name, orjson.dumps(doc)) for name, doc in lists] + proposed


def _read_paths(paths: Sequence[str], inputs: InputSpec, limits: Limits) -> list[Source]:
    """Files and folders as given; a chart folder or kustomization root is rendered (as
    --helm / --kustomize), and a folder holding some is refused with what to do instead."""
    sources: list[Source] = []
    plain: list[str] = []
    for path in paths:
        kind = root_kind(path)
        if kind is None:
            nested = nested_roots(path) if os.path.isdir(path) else []
            if nested:
                raise NetreachError(nested_roots_message(path, nested))
            plain.append(path)
            continue
        sources += read_paths(plain, limits.max_input_bytes)
        plain = []
        if kind == "helm":
            require_tool("helm", path)
            data = render_helm(path, inputs.values, inputs.set_values, inputs.namespace)
            sources.append(Source(f"helm:{path}", data))
        else:
            require_tool("kustomize", path)
            sources.append(Source(f"kustomize:{path}", render_kustomize(path)))
    return sources + read_paths(plain, limits.max_input_bytes)


Key = tuple[str, str, str, str]  # API group, kind, namespace ("" if cluster-scoped), name


def defined_keys(
    sources: Sequence[Source], default_namespace: str, limits: Limits | None = None
) -> set[Key]:
    """The objects that proposed inputs define. Unparsable input, or input over the limits,
    is skipped here: the loader reports it with its line."""
    limits = limits or Limits()
    keys: set[Key] = set()
    total = 0
    for source in sources:
        try:
            total += source.size()
        except OSError:
            continue
        if total > limits.max_input_bytes:
            break
        for _, doc in parse_source(source, limits).docs:
            for obj in _objects(doc):
                keys.add(_key(obj, default_namespace))
    return keys


def _objects(doc: Any) -> list[dict[str, Any]]:
    if not isinstance(doc, dict):
        return []
    if str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list):
        return [item for item in doc["items"] if isinstance(item, dict)]
    return [doc]


def _key(obj: dict[str, Any], default_namespace: str) -> Key:
    api_version = str(obj.get("apiVersion", ""))
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    kind = str(obj.get("kind", ""))
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
    scoped = kind not in CLUSTER_SCOPED_KINDS
    namespace = str(meta.get("namespace") or default_namespace) if scoped else ""
    return group, kind, namespace, str(meta.get("name", ""))


def _without(doc: dict[str, Any], keys: set[Key]) -> dict[str, Any]:
    items = [item for item in doc["items"] if _key(item, "") not in keys]
    return {**doc, "items": items}
