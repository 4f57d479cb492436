"""Exposure: what each workload is open to beyond named peers.

Named peers are pods picked by label in a namespace picked by name. Everything else a rule
admits is exposure: anyone (a rule without peers), the whole internet or a wide address
range, every namespace (`namespaceSelector: {}`), namespaces picked by a label that any new
namespace could carry, every pod of a namespace. Workloads that no policy isolates are not
protected at all. Read from the compiled rules that apply to each workload's pods.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from netreach.analyses.describe import (
    block_words,
    named_namespaces,
    namespace_words,
    selector_words,
)
from netreach.analyses.inferred import outside_input
from netreach.cluster import Cluster
from netreach.engine.compile import NPPeer, NPRule
from netreach.engine.conns import ConnectionSet
from netreach.model import Direction, Pod

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
DIRECTIONS: tuple[Direction, Direction] = ("ingress", "egress")


@dataclass(frozen=True)
class Thresholds:
    """An ipBlock counts as a wide range at or below these prefix lengths."""

    ipv4_prefix: int = 16
    ipv6_prefix: int = 48


@dataclass
class Exposure:
    """One workload open, in one direction, to one kind of unnamed peer."""

    workload: str
    direction: Direction
    scope: Scope
    peer: str  # in words
    conns: ConnectionSet
    named_ports: tuple[str, ...] = ()  # egress named ports: resolved only on a known peer
    rules: list[str] = field(default_factory=list)
    namespaces_now: tuple[str, ...] = ()  # for namespace scopes: what matches today

    @property
    def ports_text(self) -> str:
        parts = [str(self.conns)] if not self.conns.is_empty else []
        parts += [f"port named {n}" for n in self.named_ports]
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "direction": self.direction,
            "scope": self.scope,
            "peer": self.peer,
            "allowed": self.conns.to_json(),
            "allowed_text": self.ports_text,
            "named_ports": list(self.named_ports),
            "rules": self.rules,
            "namespaces_now": list(self.namespaces_now),
        }


@dataclass(frozen=True)
class Unprotected:
    """A workload no policy isolates in one direction: open to everything that way."""

    workload: str
    direction: Direction
    host_network: bool = False

    @property
    def reason(self) -> str:
        if self.host_network:
            return "host-network pods: NetworkPolicy does not apply"
        return f"no policy selects it with policyTypes {self.direction.capitalize()}"

    def to_dict(self) -> dict[str, Any]:
        return {"workload": self.workload, "direction": self.direction, "reason": self.reason}


@dataclass
class ExposureReport:
    exposures: list[Exposure]
    unprotected: list[Unprotected]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "exposures": [e.to_dict() for e in self.exposures],
            "unprotected": [u.to_dict() for u in self.unprotected],
        }


def _block_scope(pm: NPPeer, limits: Thresholds) -> Scope | None:
    assert pm.peer.ip_block is not None
    net = ipaddress.ip_network(pm.peer.ip_block.cidr)
    if net.prefixlen == 0:
        return "internet"
    wide = limits.ipv4_prefix if net.version == 4 else limits.ipv6_prefix
    return "wide-range" if net.prefixlen <= wide else None


def classify(
    cluster: Cluster, rule: NPRule, pm: NPPeer, limits: Thresholds
) -> tuple[Scope, str, tuple[str, ...]] | None:
    """The exposure one peer of a rule creates: scope, words, namespaces matched now; None
    for a named peer."""
    peer = pm.peer
    if peer.ip_block is not None:
        scope = _block_scope(pm, limits)
        return (scope, f"addresses in {block_words(peer.ip_block)}", ()) if scope else None
    pods = selector_words(peer.pod_selector) if peer.pod_selector is not None else ""
    pod_part = f"pods {pods}" if pods else "every pod"
    ns_sel = peer.namespace_selector
    if ns_sel is None:
        if pods:
            return None
        own = rule.policy.namespace
        return "whole-namespace", f"every pod of namespace {own}", (own,)
    now = tuple(sorted(cluster.compiled.ns_index.select(ns_sel)))
    if ns_sel.is_empty:
        return "all-namespaces", f"{pod_part} in every namespace, existing or future", now
    named = named_namespaces(ns_sel)
    if named is not None:
        if pods:
            return None
        return "whole-namespace", f"every pod of {namespace_words(ns_sel)}", now
    return (
        "namespaces-by-label",
        f"{pod_part} in any namespace {selector_words(ns_sel)} (also ones created later)",
        now,
    )


def _rule_exposures(
    cluster: Cluster, workload: str, pod: Pod, rule: NPRule, limits: Thresholds
) -> list[Exposure]:
    d = rule.direction
    named: tuple[str, ...] = ()
    if d == "ingress":
        conns = rule.conns_for(pod.ports)  # named ports resolve on this pod
    else:
        conns = rule.numeric
        named = tuple(pm.name for pm in rule.ports if pm.name is not None)
    if conns.is_empty and not named:
        return []
    if rule.all_peers:
        words = "anyone: every pod of every namespace (existing or future) and every address"
        return [Exposure(workload, d, "everyone", words, conns, named, [rule.label])]
    out: list[Exposure] = []
    for pm in rule.peers:
        found = classify(cluster, rule, pm, limits)
        if found is not None:
            scope, words, now = found
            out.append(Exposure(workload, d, scope, words, conns, named, [rule.label], now))
    return out


def exposure(
    cluster: Cluster,
    *,
    namespaces: Sequence[str] | None = None,
    thresholds: Thresholds | None = None,
) -> ExposureReport:
    """For each workload: unnamed peers it is open to, and the directions no policy guards."""
    limits = thresholds or Thresholds()
    compiled = cluster.compiled
    merged: dict[tuple[str, Direction, Scope, str], Exposure] = {}
    unprotected: list[Unprotected] = []
    for wl in sorted(cluster.workloads, key=lambda w: w.id):
        if namespaces is not None and wl.namespace not in namespaces:
            continue
        if outside_input(cluster, wl.namespace):
            continue  # an inferred peer's own exposure is nobody's finding
        pods = cluster.workloads[wl]
        # One pod per class: pods of a class are indistinguishable to every policy.
        reps: dict[int, Pod] = {}
        for p in pods:
            reps.setdefault(compiled.class_of[p.id], p)
        for d in DIRECTIONS:
            if all(compiled.exempt(p) for p in pods):
                unprotected.append(Unprotected(wl.id, d, host_network=True))
                continue
            if any(
                not compiled.is_isolated(ci, d) for ci, p in reps.items() if not compiled.exempt(p)
            ):
                unprotected.append(Unprotected(wl.id, d))
                continue
            for ci, p in reps.items():
                for rule in compiled.class_rules(ci, d):
                    for e in _rule_exposures(cluster, wl.id, p, rule, limits):
                        key = (e.workload, e.direction, e.scope, e.peer)
                        have = merged.get(key)
                        if have is None:
                            merged[key] = e
                            continue
                        have.conns = have.conns | e.conns
                        have.named_ports = tuple(sorted({*have.named_ports, *e.named_ports}))
                        have.rules += [r for r in e.rules if r not in have.rules]
    order = {s: i for i, s in enumerate(SCOPES)}
    exposures = sorted(
        merged.values(), key=lambda e: (e.direction, e.workload, order[e.scope], e.peer)
    )
    return ExposureReport(exposures, unprotected)
