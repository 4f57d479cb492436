"""Admin tiers compiled: each AdminNetworkPolicy / BaselineAdminNetworkPolicy /
ClusterNetworkPolicy rule as a peer class bitset, peer address ranges and ports, listed per
pod class and direction in evaluation order.

Kubernetes (network-policy-api) rules implemented here, each pinned in tests/engine/test_tiers.py:
- a subject selects pods by namespace selector, or namespace AND pod selector, in every
  namespace; host-network pods are never selected nor matched by namespaces/pods peers;
- Admin tier policies apply by priority (lower first), rules in written order; the Baseline
  tier after NetworkPolicy; equal priorities are ordered by kind then name (the spec leaves
  that order to the plugin; the loader warns);
- peers: namespaces, pods (namespace AND pod selector), networks (CIDRs: external addresses,
  and pod IPs inside them under --ipblock-matches-pods), nodes (the addresses of matching
  Node objects); unsupported peers (domainNames) match nothing;
- ports: absent = every connection; numbers, ranges, named ports (resolved on the
  destination pod, any protocol).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from netreach.engine import ipset
from netreach.engine.conns import ALL, EMPTY, ConnectionSet
from netreach.engine.intervals import Ranges, normalize
from netreach.engine.ports import rule_conns
from netreach.model import (
    AdminAction,
    AdminPeer,
    AdminPolicy,
    AdminRule,
    Direction,
    IPBlock,
    LabelSelector,
    Node,
)

if TYPE_CHECKING:
    from netreach.engine.compile import Compiled, PortMatcher, PortsKey


def admin_order(policies: Iterable[AdminPolicy]) -> list[AdminPolicy]:
    """Evaluation order within each tier: priority, then kind and name for ties."""
    return sorted(policies, key=lambda p: (p.tier != "Admin", p.priority, p.kind, p.name))


def node_block(address: str) -> IPBlock:
    return IPBlock(f"{address}/{128 if ':' in address else 32}")


def admin_blocks(policies: Iterable[AdminPolicy], nodes: Iterable[Node]) -> set[IPBlock]:
    """Address blocks the admin peers name: networks, and every Node address when any rule
    has a nodes peer (each becomes an external endpoint boundary)."""
    out: set[IPBlock] = set()
    any_nodes = False
    for pol in policies:
        for rule in (*pol.ingress, *pol.egress):
            for peer in rule.peers:
                out.update(IPBlock(n) for n in peer.networks)
                any_nodes = any_nodes or peer.nodes is not None
    if any_nodes:
        out.update(node_block(a) for node in nodes for a in node.addresses)
    return out


@dataclass(frozen=True, eq=False)
class AdminPeerMatcher:
    index: int
    peer: AdminPeer
    classes: int
    ips: Ranges


@dataclass(eq=False)
class AdminCompiledRule:
    """One admin rule, compiled; `ports` empty with `numeric` ALL when the rule has none."""

    policy: AdminPolicy
    direction: Direction
    index: int
    rule: AdminRule
    peers: tuple[AdminPeerMatcher, ...]
    ports: tuple[PortMatcher, ...]
    classes: int
    ips: Ranges
    numeric: ConnectionSet
    has_named: bool
    _by_ports: dict[PortsKey | None, ConnectionSet] = field(default_factory=dict)

    @property
    def action(self) -> AdminAction:
        return self.rule.action

    @property
    def tier(self) -> str:
        return self.policy.tier

    @property
    def label(self) -> str:
        name = f' "{self.rule.name}"' if self.rule.name else ""
        return f"{self.policy.id} {self.direction}[{self.index}]{name}"

    @property
    def location(self) -> str:
        loc = self.policy.location
        return str(loc.at("spec", self.direction, self.index)) if loc is not None else ""

    def conns_for(self, dst_ports: PortsKey | None) -> ConnectionSet:
        return rule_conns(self.numeric, self.ports, self.has_named, self._by_ports, dst_ports)

    def matches_peer(self, peer_class: int | None, peer_key: int | None) -> int | None:
        """Index of the first peer matching the other side, or None."""
        for pm in self.peers:
            if peer_class is not None and pm.classes >> peer_class & 1:
                return pm.index
            if peer_key is not None and pm.ips and ipset.contains(pm.ips, peer_key):
                return pm.index
        return None


def compile_admin(compiled: Compiled) -> None:
    """Fill `compiled.admin_rules` / `compiled.baseline_rules` per direction and class."""
    from netreach.engine.compile import DIRECTIONS, port_matcher

    if not compiled.admin_policies:
        return  # NetworkPolicy only: tier_rules() answers from has_tiers without lists
    n = len(compiled.classes)
    compiled.admin_rules = {d: [[] for _ in range(n)] for d in DIRECTIONS}
    compiled.baseline_rules = {d: [[] for _ in range(n)] for d in DIRECTIONS}
    compiled.admin_compiled = []
    for pol in compiled.admin_policies:
        targets = subject_classes(compiled, pol)
        per = compiled.admin_rules if pol.tier == "Admin" else compiled.baseline_rules
        for direction in DIRECTIONS:
            rules: list[AdminCompiledRule] = []
            for ri, rule in enumerate(pol.rules(direction)):
                peers = tuple(
                    AdminPeerMatcher(i, p, peer_classes(compiled, p), peer_ips(compiled, p))
                    for i, p in enumerate(rule.peers)
                )
                ports = tuple(port_matcher(i, p) for i, p in enumerate(rule.ports or ()))
                numeric = ALL if rule.ports is None else EMPTY
                for pm in ports:
                    numeric = numeric | pm.numeric
                classes = 0
                for pm2 in peers:
                    classes |= pm2.classes
                cr = AdminCompiledRule(
                    policy=pol,
                    direction=direction,
                    index=ri,
                    rule=rule,
                    peers=peers,
                    ports=ports,
                    classes=classes,
                    ips=normalize(r for pm2 in peers for r in pm2.ips),
                    numeric=numeric,
                    has_named=any(pm.name is not None for pm in ports),
                )
                rules.append(cr)
                compiled.admin_compiled.append(cr)
            if not rules:
                continue
            bits = targets
            while bits:
                low = bits & -bits
                per[direction][low.bit_length() - 1].extend(rules)
                bits ^= low


def subject_classes(compiled: Compiled, pol: AdminPolicy) -> int:
    bits = compiled.namespaces_bits(compiled.ns_index.select(pol.subject.namespaces))
    bits &= ~compiled.host_network_bits
    if pol.subject.pods is not None:
        bits &= compiled.label_index.select(pol.subject.pods)
    return bits


def peer_classes(compiled: Compiled, peer: AdminPeer) -> int:
    selectors = peer_selectors(peer)
    if selectors is not None:
        ns_sel, pod_sel = selectors
        bits = compiled.namespaces_bits(compiled.ns_index.select(ns_sel))
        bits &= ~compiled.host_network_bits
        if pod_sel is not None:
            bits &= compiled.label_index.select(pod_sel)
        return bits
    bits = 0
    for block in _peer_blocks(compiled, peer):
        bits |= compiled.block_bits.get(compiled.block_id[block], 0)
    return bits


def peer_selectors(peer: AdminPeer) -> tuple[LabelSelector, LabelSelector | None] | None:
    """(namespace selector, pod selector or None) of a namespaces/pods peer, else None."""
    if peer.namespaces is not None:
        return peer.namespaces, None
    if peer.pods is not None:
        return peer.pods
    return None


def peer_ips(compiled: Compiled, peer: AdminPeer) -> Ranges:
    return normalize(r for b in _peer_blocks(compiled, peer) for r in ipset.block_ranges(b))


def _peer_blocks(compiled: Compiled, peer: AdminPeer) -> list[IPBlock]:
    if peer.networks:
        return [IPBlock(n) for n in peer.networks]
    if peer.nodes is not None:
        sel = peer.nodes
        return [
            node_block(a)
            for node in compiled.snapshot.nodes
            if sel.matches(node.labels)
            for a in node.addresses
        ]
    return []
