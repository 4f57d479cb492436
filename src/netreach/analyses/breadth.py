"""How broad a peer is: the one classification exposure and the audit share (every address,
a wide range, every namespace, namespaces picked by label, a whole namespace, or named)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

from netreach.analyses.words import named_namespaces, namespace_words, selector_words
from netreach.model import LabelSelector
from netreach.query.reach import Reach

Scope = Literal[
    "everyone", "internet", "wide-range", "all-namespaces", "namespaces-by-label", "whole-namespace"
]
SCOPES: tuple[Scope, ...] = (
    "everyone",
    "internet",
    "wide-range",
    "all-namespaces",
    "namespaces-by-label",
    "whole-namespace",
)


@dataclass(frozen=True)
class Thresholds:
    """An ipBlock counts as a wide range at or below these prefix lengths."""

    ipv4_prefix: int = 16
    ipv6_prefix: int = 48


def address_scope(cidr: str, limits: Thresholds) -> Scope | None:
    """Every address (internet), a range at least as wide as the thresholds, or None."""
    net = ipaddress.ip_network(cidr, strict=False)
    if net.prefixlen == 0:
        return "internet"
    wide = limits.ipv4_prefix if net.version == 4 else limits.ipv6_prefix
    return "wide-range" if net.prefixlen <= wide else None


def selector_scope(
    cluster: Reach,
    ns_sel: LabelSelector | None,
    pod_sel: LabelSelector | None,
    own: str | None,
) -> tuple[Scope, str, tuple[str, ...]] | None:
    """Pods picked by a namespace selector (None: the namespace `own`) and a pod selector:
    scope, words, namespaces matched now; None for a named peer."""
    pods = selector_words(pod_sel) if pod_sel is not None else ""
    pod_part = f"pods {pods}" if pods else "every pod"
    if ns_sel is None:
        if pods or own is None:
            return None
        return "whole-namespace", f"every pod of namespace {own}", (own,)
    now = tuple(sorted(cluster.compiled.ns_index.select(ns_sel)))
    if ns_sel.is_empty:
        return "all-namespaces", f"{pod_part} in every namespace, existing or future", now
    if named_namespaces(ns_sel) is not None:
        if pods:
            return None
        return "whole-namespace", f"every pod of {namespace_words(ns_sel)}", now
    return (
        "namespaces-by-label",
        f"{pod_part} in any namespace {selector_words(ns_sel)} (also ones created later)",
        now,
    )


def every_namespace(cluster: Reach, ns_sel: LabelSelector | None) -> bool:
    """A namespace selector admitting every namespace: `{}`, or labels that every namespace
    of the snapshot carries (when it has more than one)."""
    if ns_sel is None:
        return False
    if ns_sel.is_empty:
        return True
    names = cluster.namespaces
    return len(names) > 1 and len(cluster.compiled.ns_index.select(ns_sel)) == len(names)
