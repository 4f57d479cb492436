"""Manifests written back: the inverse of loading, for audit fixes, generated policies and
saved snapshots. One dumper, so every YAML netreach writes quotes user text the same way
(PyYAML's emitter: a label like `y`, `1e3` or `on` stays a string when read back)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from netreach.model import Direction, LabelSelector

# libyaml's emitter when present: the pure-Python one costs milliseconds per document, and
# an audit of a large cluster writes thousands of fixes
Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def to_yaml(obj: Any) -> str:
    """One document, keys in the order given, block style."""
    return yaml.dump(
        obj, Dumper=Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True
    )


def to_yaml_all(docs: Iterable[Any]) -> str:
    """Several documents, each starting with `---`."""
    return yaml.dump_all(
        docs,
        Dumper=Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        explicit_start=True,
    )


def selector(sel: LabelSelector) -> dict[str, Any]:
    """A LabelSelector as the API writes it (`{}` selects everything)."""
    out: dict[str, Any] = {}
    if sel.match_labels:
        out["matchLabels"] = dict(sel.match_labels)
    if sel.match_expressions:
        out["matchExpressions"] = [
            {"key": r.key, "operator": r.operator}
            | ({"values": list(r.values)} if r.values else {})
            for r in sel.match_expressions
        ]
    return out


def policy_types(directions: Iterable[Direction]) -> list[str]:
    return ["Ingress" if d == "ingress" else "Egress" for d in directions]


def network_policy(
    namespace: str,
    name: str,
    pod_selector: LabelSelector,
    spec: Mapping[str, Any],
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A NetworkPolicy manifest: `spec` holds everything after podSelector."""
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        metadata["labels"] = dict(labels)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata,
        "spec": {"podSelector": selector(pod_selector), **spec},
    }
