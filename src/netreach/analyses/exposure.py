"""Exposure: what each workload is open to beyond named peers, through every tier.

Named peers are pods picked by label in a namespace picked by name. Everything else an
allowing rule admits is exposure: anyone (a rule without peers), the whole internet or a
wide address range, every namespace (`namespaceSelector: {}`, admin `namespaces: {}`),
namespaces picked by a label that any new namespace could carry, every pod of a namespace.

Every tier counts (docs/exposure.md): an Admin-tier Allow rule is classified as a
NetworkPolicy peer is; a NetworkPolicy rule exposes only what the Admin tier leaves it to
decide (an Admin Deny of everything leaves it nothing); a Baseline Allow only what the tiers
before it leave. A pod NetworkPolicy does not isolate but some tier restricts is exposed to
what no tier decides (the default allows it). Only a direction nothing restricts, in any
tier, is "not protected". Read from the compiled programs and the engine's walk
(analyses/guards.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from netreach.analyses.breadth import (
    SCOPES as SCOPES,
)
from netreach.analyses.breadth import (
    Scope as Scope,
)
from netreach.analyses.breadth import (
    Thresholds as Thresholds,
)
from netreach.analyses.breadth import (
    address_scope,
    selector_scope,
)
from netreach.analyses.guards import (
    EVERY_POD,
    FuturePods,
    Guard,
    guards,
    peer_pods,
    tier_label,
)
from netreach.analyses.inferred import outside_input
from netreach.analyses.words import (
    addresses_words,
    block_words,
)
from netreach.engine import ipset
from netreach.engine.compile import admin_peer_selectors
from netreach.engine.conns import EMPTY, ConnectionSet
from netreach.engine.intervals import Ranges, intersect
from netreach.engine.rules import AnyRule, PeerMatcher
from netreach.engine.selectors import indexes_of
from netreach.model import (
    DIRECTIONS,
    V_NAMESPACE,
    AdminPeer,
    CalicoEntity,
    Direction,
    IPBlock,
    LabelSelector,
    Peer,
    Pod,
)
from netreach.query.reach import Reach

# Where an exposure comes from: a rule of a tier, or what no tier decides (the default).
TIERS: tuple[str, ...] = ("Admin", "NetworkPolicy", "Baseline", "Calico", "Cilium", "default")
DEFAULT_RULE = "default (no tier decides it)"


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
    tier: str = "NetworkPolicy"  # one of TIERS

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
            "tier": self.tier,
        }


@dataclass(frozen=True)
class Unprotected:
    """A workload nothing restricts in one direction: no NetworkPolicy isolates it and no
    Admin- or Baseline-tier rule denies any of it. Open to everything that way."""

    workload: str
    direction: Direction
    host_network: bool = False
    tiers: bool = False  # admin-tier rules apply to it, but none denies anything

    @property
    def reason(self) -> str:
        if self.host_network:
            return "host-network pods: NetworkPolicy does not apply"
        why = f"no policy selects it with policyTypes {self.direction.capitalize()}"
        if self.tiers:
            why += f", and no Admin- or Baseline-tier rule denies any of its {self.direction}"
        return why

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


@dataclass(frozen=True)
class Scoped:
    """One kind of unnamed peer a rule admits, with who stands for it in the engine: pod
    classes, pods created later, address ranges."""

    scope: Scope
    words: str
    now: tuple[str, ...]
    classes: int
    future: FuturePods | None
    ips: Ranges


def classify(
    cluster: Reach, rule: AnyRule, pm: PeerMatcher[Any], limits: Thresholds
) -> list[Scoped]:
    """The exposures one peer of a rule (any tier) creates; empty for a named peer."""
    compiled = cluster.compiled
    peer = pm.peer
    out: list[Scoped] = []
    if isinstance(peer, Peer):
        if peer.ip_block is not None:
            scope = address_scope(peer.ip_block.cidr, limits)
            if scope is not None:
                words = f"addresses in {block_words(peer.ip_block)}"
                out.append(Scoped(scope, words, (), pm.classes, None, pm.ips))
            return out
        own = rule.policy.namespace
        found = selector_scope(cluster, peer.namespace_selector, peer.pod_selector, own)
        if found is not None:
            out.append(Scoped(*found, pm.classes, peer_pods(peer, own), ()))
        return out
    if not isinstance(peer, AdminPeer):
        return _cni_scopes(cluster, rule, pm, limits)
    selectors = admin_peer_selectors(peer)
    if selectors is not None:
        found = selector_scope(cluster, *selectors, None)
        if found is not None:
            out.append(Scoped(*found, pm.classes, peer_pods(peer, None), ()))
        return out
    for cidr in peer.networks:  # nodes peers name machines: not exposure
        scope = address_scope(cidr, limits)
        if scope is None:
            continue
        block = IPBlock(cidr)
        classes = compiled.block_bits.get(compiled.block_id[block], 0)
        words = f"addresses in {block_words(block)}"
        out.append(Scoped(scope, words, (), classes, None, ipset.block_ranges(block)))
    return out


def _cni_scopes(
    cluster: Reach, rule: AnyRule, pm: PeerMatcher[Any], limits: Thresholds
) -> list[Scoped]:
    """The exposures of a Calico entity or a Cilium peer (endpoint selector, CIDR, entity)."""
    peer = pm.peer
    if isinstance(peer, str):  # a Cilium entity
        out: list[Scoped] = []
        if peer in ("all", "world", "world-ipv4", "world-ipv6"):
            out.append(Scoped("internet", f"the {peer} entity", (), 0, None, pm.ips))
        if peer in ("all", "cluster"):
            now = tuple(sorted(cluster.compiled.namespaces))
            words = f"every pod of every namespace, existing or future (the {peer} entity)"
            out.append(Scoped("all-namespaces", words, now, pm.classes, EVERY_POD, ()))
        return out
    if isinstance(peer, IPBlock):  # a Cilium CIDR
        scope = address_scope(peer.cidr, limits)
        words = f"addresses in {block_words(peer)}"
        return [Scoped(scope, words, (), pm.classes, None, pm.ips)] if scope else []
    if isinstance(peer, LabelSelector):  # a Cilium endpoint selector
        keys = {k for k, _ in peer.match_labels} | {r.key for r in peer.match_expressions}
        if not keys:
            now = tuple(sorted(cluster.compiled.namespaces))
            return [
                Scoped("all-namespaces", "every pod of every namespace", now, pm.classes, None, ())
            ]
        if keys == {V_NAMESPACE} and peer.match_labels:
            ns = peer.match_labels[0][1]
            return [
                Scoped(
                    "whole-namespace", f"every pod of namespace {ns}", (ns,), pm.classes, None, ()
                )
            ]
        return []
    if isinstance(peer, CalicoEntity):
        out = []
        for net in peer.nets:
            scope = address_scope(net, limits)
            if scope is not None:
                out.append(Scoped(scope, f"addresses in {net}", (), pm.classes, None, pm.ips))
        if (
            peer.selector is None
            and peer.namespace_selector is not None
            and peer.namespace_selector.is_empty
        ):
            now = tuple(sorted(cluster.compiled.namespaces))
            out.append(
                Scoped("all-namespaces", "every pod of every namespace", now, pm.classes, None, ())
            )
        return out
    return []


def _rule_exposures(
    cluster: Reach, workload: str, pod: Pod, ci: int, rule: AnyRule, limits: Thresholds
) -> list[Exposure]:
    """What one allowing rule opens to unnamed peers, limited to what the rules before it
    (the Admin tier, earlier rules of its own tier) leave it to decide."""
    d = rule.direction
    named: tuple[str, ...] = ()
    if d == "ingress":
        opens = rule.conns_for(pod.ports)  # named ports resolve on this pod
    else:
        opens = rule.numeric
        named = tuple(sorted({pm.name for pm in rule.ports if pm.name is not None}))
    if opens.is_empty and not named:
        return []
    every = ipset.EVERYTHING
    if rule.all_peers:
        words = "anyone: every pod of every namespace (existing or future) and every address"
        scopes = [Scoped("everyone", words, (), cluster.compiled.all_classes, EVERY_POD, every)]
    else:
        scopes = [s for pm in rule.peers for s in classify(cluster, rule, pm, limits)]
    g = guards(cluster)
    out: list[Exposure] = []
    for s in scopes:
        left = g.left_open(ci, rule, s.classes, s.future, s.ips)
        conns = left & opens
        if conns.is_empty and (left.is_empty or not named):
            continue  # the rules before it decide all it opens to these peers
        label = tier_label(rule)
        out.append(Exposure(workload, d, s.scope, s.words, conns, named, [label], s.now, rule.tier))
    return out


def _default_exposures(
    cluster: Reach, workload: str, guard: Guard, limits: Thresholds
) -> list[Exposure]:
    """What a pod NetworkPolicy does not isolate leaves to the default (allowed): pods, pods
    created later, address ranges that no tier rule decides."""
    d = guard.direction
    left = guard.left
    compiled = cluster.compiled
    rules = [DEFAULT_RULE]
    out: list[Exposure] = []
    classes = 0
    conns = left.future
    for bits, part in left.classes:
        classes |= bits
        conns = conns | part
    namespaces = sorted({compiled.classes[ci].namespace for ci in indexes_of(classes)})
    if not left.future.is_empty:
        words = "every pod in every namespace, existing or future, that no tier rule decides"
        out.append(
            Exposure(
                workload, d, "all-namespaces", words, conns, (), rules, tuple(namespaces), "default"
            )
        )
    else:
        for ns in namespaces:
            bits = classes & compiled.ns_bits.get(ns, 0)
            part = EMPTY
            for cbits, cconns in left.classes:
                if cbits & bits:
                    part = part | cconns
            words = f"pods of namespace {ns} that no tier rule decides"
            out.append(
                Exposure(workload, d, "whole-namespace", words, part, (), rules, (ns,), "default")
            )
    if left.addresses:
        ranges = left.address_ranges
        scope = _size_scope(ranges, limits)
        if scope is not None:
            aconns = EMPTY
            for _, part in left.addresses:
                aconns = aconns | part
            words = f"{addresses_words(ranges)} that no tier rule decides"
            out.append(Exposure(workload, d, scope, words, aconns, (), rules, (), "default"))
    return out


def _size_scope(ranges: Ranges, limits: Thresholds) -> Scope | None:
    """Address ranges by how many addresses they hold, as ipBlocks by prefix: half an address
    family or more is the internet; a wide prefix's worth is a wide range."""
    for family, bits, wide in (
        (ipset.V4_ALL, 32, limits.ipv4_prefix),
        (ipset.V6_ALL, 128, limits.ipv6_prefix),
    ):
        size = sum(hi - lo + 1 for lo, hi in intersect(ranges, family))
        if size >= 1 << (bits - 1):
            return "internet"
        if size >= 1 << (bits - wide):
            return "wide-range"
    return None


def exposure(
    cluster: Reach,
    *,
    namespaces: Sequence[str] | None = None,
    thresholds: Thresholds | None = None,
) -> ExposureReport:
    """For each workload: unnamed peers it is open to (through the rules of every tier, and
    what no tier decides), and the directions nothing restricts."""
    limits = thresholds or Thresholds()
    compiled = cluster.compiled
    g = guards(cluster)
    merged: dict[tuple[str, Direction, Scope, str, str], Exposure] = {}
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
            if not compiled.exempt(p):
                reps.setdefault(compiled.class_of[p.id], p)
        for d in DIRECTIONS:
            if not reps:
                unprotected.append(Unprotected(wl.id, d, host_network=True))
                continue
            open_guard = next((x for x in (g.of(ci, d) for ci in reps) if not x.restricted), None)
            if open_guard is not None:
                unprotected.append(Unprotected(wl.id, d, tiers=open_guard.has_tiers))
                continue
            for ci, p in reps.items():
                for e in _class_exposures(cluster, wl.id, p, ci, d, limits):
                    key = (e.workload, e.direction, e.scope, e.peer, e.tier)
                    have = merged.get(key)
                    if have is None:
                        merged[key] = e
                        continue
                    have.conns = have.conns | e.conns
                    have.named_ports = tuple(sorted({*have.named_ports, *e.named_ports}))
                    have.rules += [r for r in e.rules if r not in have.rules]
    order = {s: i for i, s in enumerate(SCOPES)}
    tiers = {t: i for i, t in enumerate(TIERS)}
    exposures = sorted(
        merged.values(),
        key=lambda e: (e.direction, e.workload, order[e.scope], tiers[e.tier], e.peer),
    )
    return ExposureReport(exposures, unprotected)


def _class_exposures(
    cluster: Reach, workload: str, pod: Pod, ci: int, d: Direction, limits: Thresholds
) -> list[Exposure]:
    """Every allowing rule of the class's program (Admin Allow, NetworkPolicy, Baseline
    Allow), then what the default allows when NetworkPolicy does not isolate it."""
    out: list[Exposure] = []
    for rule in cluster.compiled.program(ci, d).effective.rules:
        if rule.action == "Allow":
            out += _rule_exposures(cluster, workload, pod, ci, rule, limits)
    guard = guards(cluster).of(ci, d)
    if not guard.isolated:
        out += _default_exposures(cluster, workload, guard, limits)
    return out
