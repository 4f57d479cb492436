"""Pods an operator creates: why a selector that matches no pod in the input may be fine.

Operators (prometheus-operator, Elastic, Strimzi, CloudNativePG...) create their pods from
custom resources at run time, so manifests hold the policy and the custom resource but never
the pods. A selector naming them matches nothing in the snapshot and everything in the
cluster. Evidence, strongest first: a custom resource of the input whose kind is a label
value or key of the selector (`Prometheus` <-> `app.kubernetes.io/name: prometheus`); a label
key only operators set; a name the operators give their pods.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from netreach.model import LabelSelector, Location

# Label keys set on the pods an operator makes (not by Helm or kubectl).
_KEYS = frozenset({"prometheus", "alertmanager", "thanos-ruler"})
_KEY_PARTS = ("operator", ".k8s.elastic.co/", "strimzi.io/", "cnpg.io/", "crunchydata.com/")
_MANAGED_BY = "app.kubernetes.io/managed-by"
_TOOLS = frozenset({"helm", "tiller", "kustomize", "kubectl", "argocd", "flux", "skaffold"})
# app.kubernetes.io/name values of pods prometheus-operator creates.
_NAMES = frozenset({"prometheus", "alertmanager", "thanos-ruler", "prometheus-agent"})


def _pairs(selector: LabelSelector) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = [(k, v) for k, v in selector.match_labels]
    for r in selector.match_expressions:
        if r.operator == "In":
            out += [(r.key, v) for v in r.values]
        elif r.operator == "Exists":
            out.append((r.key, None))
    return out


def operator_evidence(
    selector: LabelSelector, custom: Mapping[str, Sequence[Location]]
) -> str | None:
    """Why the pods `selector` asks for are likely made by an operator, or None.

    `custom`: kinds of the input netreach does not model (custom resources among them),
    with where they were read."""
    pairs = _pairs(selector)
    by_name = {kind.lower(): (kind, locs) for kind, locs in custom.items()}
    for k, v in pairs:
        for word in (v, k.rsplit("/", 1)[-1]):
            if word and word.lower() in by_name:
                kind, locs = by_name[word.lower()]
                where = f" at {locs[0]}" if locs else ""
                article = "an" if kind[:1].lower() in "aeiou" else "a"
                return (
                    f"the input holds {article} {kind} custom resource{where}, from which an "
                    "operator creates the pods"
                )
    for k, v in pairs:
        if k == _MANAGED_BY and v is not None and v.lower() not in _TOOLS:
            return f"label {k}={v} marks pods an operator creates"
        if k in _KEYS or any(part in k for part in _KEY_PARTS):
            return f"label key {k} is one operators set on the pods they create"
    for k, v in pairs:
        if k == "app.kubernetes.io/name" and v in _NAMES:
            return f"{k}={v} names pods prometheus-operator creates from a custom resource"
    return None


def operator_note(evidence: str, then: str) -> str:
    """The sentence an operator-made selector's finding says: `then` is what happens once
    the pods run ("the policy applies")."""
    return (
        f" in the input; the pods are likely created by an operator ({evidence}), so the "
        f"input cannot hold them and {then} once they run."
    )
