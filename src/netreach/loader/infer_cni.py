"""Calico and Cilium selectors as the Kubernetes label selectors inference solves (infer.py).

A Cilium selector is a label selector whose keys may be virtual labels (model.V_*): the
pod's namespace (`io.kubernetes.pod.namespace`) and its namespace's labels
(`io.cilium.k8s.namespace.labels.*`) become where the inferred pod lives; the cluster name
and labels of other sources (`reserved:`...) are judged here. A Calico selector is an
expression: its conjunctive part (`==`, `!=`, `in`, `not in`, `has()`, `!has()`, `&&`,
`all()`; of an `||`, its first branch a pod can meet) reads as a label selector the same way,
and a namespaceSelector's `projectcalico.org/name` is the namespace's name label.

What cannot be read so (a service-account selector: inferred pods run as `default`; string
operators; `global()`) gives None: no pod is inferred for it.
"""

from __future__ import annotations

from netreach.calico_selector import All, And, Eq, Expr, Has, In, Ne, Not, Or
from netreach.loader.pods import NAMESPACE_LABEL
from netreach.model import (
    CLUSTER_NAME,
    V_ABSENT,
    V_CLUSTER,
    V_NAMESPACE,
    V_NS_LABEL,
    V_ORCHESTRATOR,
    CalicoSelector,
    LabelSelector,
    Requirement,
)

CALICO_NAME_LABEL = "projectcalico.org/name"
# what every pod carries under these virtual keys (engine/classes.py VirtualLabels)
_FIXED = {V_CLUSTER: CLUSTER_NAME, V_ORCHESTRATOR: "k8s"}

Place = tuple[str | None, LabelSelector | None, LabelSelector]


def split_virtual(sel: LabelSelector) -> Place | None:
    """(the namespace it names, a selector on namespace labels, the pod's own labels), or
    None when no inferred pod can meet it."""
    namespace: str | None = None
    ns_labels: list[tuple[str, str]] = []
    ns_reqs: list[Requirement] = []
    labels: list[tuple[str, str]] = []
    reqs: list[Requirement] = []
    for key, value in sel.match_labels:
        if key == V_NAMESPACE:
            namespace = value
        elif key.startswith(V_NS_LABEL):
            ns_labels.append((key[len(V_NS_LABEL) :], value))
        elif key in _FIXED or key.startswith(V_ABSENT):
            if _FIXED.get(key) != value:
                return None
        elif key.startswith("\x00"):
            return None  # the service account and its labels
        else:
            labels.append((key, value))
    for r in sel.match_expressions:
        if r.key == V_NAMESPACE:
            ns_reqs.append(Requirement(NAMESPACE_LABEL, r.operator, r.values))
        elif r.key.startswith(V_NS_LABEL):
            ns_reqs.append(Requirement(r.key[len(V_NS_LABEL) :], r.operator, r.values))
        elif r.key in _FIXED or r.key.startswith(V_ABSENT):
            fixed = {r.key: _FIXED[r.key]} if r.key in _FIXED else {}
            if not r.matches(fixed):
                return None
        elif r.key.startswith("\x00"):
            return None
        else:
            reqs.append(r)
    namespaces = None
    if ns_labels or ns_reqs:
        namespaces = LabelSelector(tuple(ns_labels), tuple(ns_reqs))
    return namespace, namespaces, LabelSelector(tuple(labels), tuple(reqs))


def _parts(expr: Expr) -> list[tuple[str, str] | Requirement] | None:
    """The conjunction an expression implies, as label-selector parts (None: not readable)."""
    if isinstance(expr, All):
        return []
    if isinstance(expr, Eq):
        return [(expr.key, expr.value)]
    if isinstance(expr, Ne):
        return [Requirement(expr.key, "NotIn", (expr.value,))]
    if isinstance(expr, In):
        return [Requirement(expr.key, "NotIn" if expr.negated else "In", expr.values)]
    if isinstance(expr, Has):
        return [Requirement(expr.key, "Exists")]
    if isinstance(expr, Not):
        inner = expr.inner
        if isinstance(inner, Has):
            return [Requirement(inner.key, "DoesNotExist")]
        if isinstance(inner, Eq):
            return [Requirement(inner.key, "NotIn", (inner.value,))]
        if isinstance(inner, Ne):
            return [(inner.key, inner.value)]
        if isinstance(inner, In):
            return [Requirement(inner.key, "In" if inner.negated else "NotIn", inner.values)]
        return None
    if isinstance(expr, And):
        out: list[tuple[str, str] | Requirement] = []
        for part in expr.parts:
            got = _parts(part)
            if got is None:
                return None
            out += got
        return out
    if isinstance(expr, Or):
        for part in expr.parts:  # a pod meeting one branch meets the whole
            got = _parts(part)
            if got is not None:
                return got
    return None


def calico_selector(
    expr: CalicoSelector, rename: dict[str, str] | None = None
) -> LabelSelector | None:
    """A Calico selector as a label selector a pod meeting it meets (None: not readable)."""
    if not isinstance(expr, Expr):
        return None
    parts = _parts(expr)
    if parts is None:
        return None
    names = rename or {}
    labels = tuple((names.get(p[0], p[0]), p[1]) for p in parts if isinstance(p, tuple))
    reqs = tuple(
        Requirement(names.get(p.key, p.key), p.operator, p.values)
        for p in parts
        if isinstance(p, Requirement)
    )
    return LabelSelector(labels, reqs)


def calico_namespaces(expr: CalicoSelector) -> LabelSelector | None:
    """A Calico namespaceSelector as a selector on namespace labels (its name included)."""
    return calico_selector(expr, {CALICO_NAME_LABEL: NAMESPACE_LABEL})
