"""Everything a command reads, combined: files and directories, a live cluster, Helm charts and
Kustomize directories, each turned into loader `Source`s.

When a live cluster is read together with other inputs, those inputs are what the user
proposes to apply: an object they define replaces the live object of the same kind, namespace
and name, as `kubectl apply` would.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from netreach.errors import NetreachError
from netreach.loader.decode import parse_source
from netreach.loader.files import read_paths
from netreach.loader.helm import render_helm, render_kustomize, require_tool
from netreach.loader.infer import INFER_MODES, InferMode
from netreach.loader.limits import DEFAULT_TIMEOUT, Limits
from netreach.loader.recognize import nested_roots, nested_roots_message, root_kind
from netreach.loader.sources import Source
from netreach.model import Options

CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "Node",
        "AdminNetworkPolicy",
        "BaselineAdminNetworkPolicy",
        "ClusterNetworkPolicy",
    }
)


@dataclass(frozen=True)
class Inputs:
    """Everything a command reads, and how: one value for the library (`netreach.load`) and
    the command line (cli/inputs.py builds it from the options every command shares).

    `paths`: files, directories (recursive) and "-" (stdin); a chart folder or kustomization
    root among them is rendered. `namespaces`: the scope of the output and of what is read
    from a live cluster (empty: every namespace, as `all_namespaces`); the first is also the
    namespace of objects that name none (else "default"). A live cluster is read when
    `cluster`, `kubeconfig` or `context` is set, or when nothing else is given (as kubectl).
    `helm` (with `values` files and `set_values` KEY=VALUE) and `kustomize` directories are
    rendered with their tools. `limits` bound the input; `skip_invalid` drops objects the API
    server would refuse (listed in `Snapshot.invalid`); `lenient` turns unknown fields and
    duplicate keys into warnings; `infer_workloads` makes representative pods for
    policies-only input (docs/inference.md); `options` are the points Kubernetes leaves to
    the network plugin."""

    paths: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    all_namespaces: bool = False
    cluster: bool = False
    kubeconfig: str | None = None
    context: str | None = None
    request_timeout: float = DEFAULT_TIMEOUT
    helm: str | None = None
    values: tuple[str, ...] = ()
    set_values: tuple[str, ...] = ()
    kustomize: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    skip_invalid: bool = False
    lenient: bool = False
    infer_workloads: InferMode = "auto"
    options: Options = field(default_factory=Options)

    def __post_init__(self) -> None:
        # Tuples whatever was passed (a list, or one string by mistake).
        for name in ("paths", "namespaces", "values", "set_values", "kustomize"):
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            object.__setattr__(self, name, tuple(value))
        if self.infer_workloads not in INFER_MODES:
            raise ValueError(
                f"infer_workloads={self.infer_workloads!r}: expected one of {INFER_MODES}"
            )

    @property
    def namespace(self) -> str | None:
        """The namespace of objects that name none (the first of `namespaces`)."""
        return self.namespaces[0] if self.namespaces else None

    @property
    def scope(self) -> list[str] | None:
        """The namespaces the output covers; None: every namespace."""
        if self.namespaces and not self.all_namespaces:
            return list(dict.fromkeys(self.namespaces))
        return None

    @property
    def strict(self) -> bool:
        return not self.lenient


def reads_cluster(inputs: Inputs) -> bool:
    """A live cluster is read when asked for, or when nothing else is given (as kubectl)."""
    if inputs.cluster or inputs.kubeconfig or inputs.context:
        return True
    return not (inputs.paths or inputs.helm or inputs.kustomize)


def read_sources(
    inputs: Inputs,
    *,
    on_note: Callable[[str], None] | None = None,
    log: Callable[[str], None] | None = None,
) -> list[Source]:
    """All inputs as loader sources: the live cluster first, then what is proposed (files
    and directories, the rendered chart, the kustomizations). `inputs.limits` caps what is
    read from stdin and parsed here; the loader enforces them in full."""
    limits = inputs.limits
    paths = inputs.paths
    charts = [p for p in paths if root_kind(p) == "helm"]
    if (inputs.values or inputs.set_values) and not inputs.helm and len(charts) != 1:
        raise NetreachError("`values` and `set_values` apply to a chart: add `helm` CHART")
    proposed = _read_paths(paths, inputs, limits)
    if inputs.helm:
        data = render_helm(inputs.helm, inputs.values, inputs.set_values, inputs.namespace)
        proposed.append(Source(f"helm:{inputs.helm}", data))
    for directory in inputs.kustomize:
        proposed.append(Source(f"kustomize:{directory}", render_kustomize(directory)))
    if not reads_cluster(inputs):
        return proposed
    # One namespace is read alone (a namespaced service account can do it); several, or
    # none, read the whole cluster (the output is limited to the scope).
    scope = inputs.scope
    from netreach.loader.kube import read_cluster_lists  # the HTTP stack, only when needed

    lists = read_cluster_lists(
        inputs.kubeconfig,
        inputs.context,
        scope[0] if scope is not None and len(scope) == 1 else None,
        request_timeout=inputs.request_timeout or DEFAULT_TIMEOUT,
        on_note=on_note,
        log=log,
        max_bytes=limits.max_input_bytes,
    )
    if proposed:
        replaced = defined_keys(proposed, inputs.namespace or "default", limits)
        lists = [(name, _without(doc, replaced)) for name, doc in lists]
    return [Source(name, orjson.dumps(doc)) for name, doc in lists] + proposed


def _read_paths(paths: Sequence[str], inputs: Inputs, limits: Limits) -> list[Source]:
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
