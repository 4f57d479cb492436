"""Turn validated policy objects into concrete allowances: pod IPs, prefixes and port ranges.

This is the dataplane's own reading of the policies (independent of the engine): selectors are
matched against labels here, ipBlocks become prefixes, and named ports are looked up on pods.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from netreach.model import (
    AdminPeer,
    AdminPolicy,
    AdminRule,
    Direction,
    LabelSelector,
    NetworkPolicy,
    Peer,
    Pod,
    PolicyPort,
    Protocol,
    Rule,
    Snapshot,
)

IPv4Net = ipaddress.IPv4Network
PortRange = tuple[int, int]
EVERYWHERE = ipaddress.IPv4Network("0.0.0.0/0")
ALL_PORTS: PortRange = (0, 65535)


def pod_ipv4(pod: Pod) -> ipaddress.IPv4Address | None:
    """The pod's first IPv4 address: the one the lab gives it (the lab is IPv4-only)."""
    for ip in pod.ips:
        addr = ipaddress.ip_address(ip)
        if isinstance(addr, ipaddress.IPv4Address):
            return addr
    return None


def lab_pods(snapshot: Snapshot) -> list[Pod]:
    """Pods that get a namespace in the lab: not hostNetwork, with an IPv4 address."""
    return [p for p in snapshot.pods if not p.host_network and pod_ipv4(p) is not None]


@dataclass(frozen=True, slots=True)
class Allowance:
    """Traffic one rule allows for one selected pod: to/from `nets`, on `ports` (None = any)."""

    nets: tuple[IPv4Net, ...]
    ports: Mapping[Protocol, tuple[PortRange, ...]] | None


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """One ingress/egress rule of one policy, resolved for every pod the policy selects."""

    policy: NetworkPolicy
    direction: Direction
    index: int
    rule: Rule
    # (selected pod's IP, address/port entries) pairs; `ports is None` entries allow any protocol
    entries: tuple[tuple[ipaddress.IPv4Address, Allowance], ...]


@dataclass(frozen=True, slots=True)
class AdminResolvedRule:
    """One admin-tier rule resolved for every subject pod (the subject's IP is the key)."""

    policy: AdminPolicy
    direction: Direction
    index: int
    rule: AdminRule
    entries: tuple[tuple[ipaddress.IPv4Address, Allowance], ...]

    @property
    def has_ports(self) -> bool:
        return self.rule.ports is not None


def admin_order(policies: Iterable[AdminPolicy]) -> list[AdminPolicy]:
    """Admin tier first, by priority (lower first); ties by kind then name (netreach's
    documented choice where the spec leaves the order to the plugin)."""
    return sorted(policies, key=lambda p: (p.tier != "Admin", p.priority, p.kind, p.name))


class Resolver:
    """Resolves selectors against one snapshot's namespaces and lab pods (cached per selector)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.pods = lab_pods(snapshot)

    def namespace_labels(self, name: str) -> Mapping[str, str]:
        ns = self.snapshot.namespaces.get(name)
        # An undefined namespace still carries the label the API server always sets.
        return ns.labels if ns is not None else {"kubernetes.io/metadata.name": name}

    def selected(self, policy: NetworkPolicy) -> list[Pod]:
        return [
            p
            for p in self.pods
            if p.namespace == policy.namespace and policy.pod_selector.matches(p.labels)
        ]

    def peer_pods(self, policy: NetworkPolicy, peer: Peer) -> list[Pod]:
        """Pods a selector peer names: podSelector alone stays in the policy's namespace,
        namespaceSelector alone takes every pod of the matching namespaces, both are ANDed."""
        out: list[Pod] = []
        for p in self.pods:
            if peer.namespace_selector is None:
                if p.namespace != policy.namespace:
                    continue
            elif not peer.namespace_selector.matches(self.namespace_labels(p.namespace)):
                continue
            if peer.pod_selector is not None and not peer.pod_selector.matches(p.labels):
                continue
            out.append(p)
        return out

    def compile(self) -> list[CompiledRule]:
        out: list[CompiledRule] = []
        for policy in self.snapshot.policies:
            selected = self.selected(policy)
            for direction in policy.policy_types:
                for index, rule in enumerate(policy.rules(direction)):
                    # Peers do not depend on the selected pod: resolve them once per rule.
                    targets: list[tuple[IPv4Net, Pod | None]] = (
                        [(EVERYWHERE, None)]
                        if not rule.peers
                        else [t for peer in rule.peers for t in self._peer_nets(policy, peer)]
                    )
                    entries = tuple(
                        (ip, allowance)
                        for pod in selected
                        if (ip := pod_ipv4(pod)) is not None
                        for allowance in self._allowances(targets, direction, rule, pod)
                    )
                    out.append(CompiledRule(policy, direction, index, rule, entries))
        return out

    def subjects(self, policy: AdminPolicy) -> list[Pod]:
        sub = policy.subject
        return [
            p
            for p in self.pods
            if sub.namespaces.matches(self.namespace_labels(p.namespace))
            and (sub.pods is None or sub.pods.matches(p.labels))
        ]

    def _admin_peer_nets(self, peer: AdminPeer) -> list[tuple[IPv4Net, Pod | None]]:
        pod_sel: LabelSelector | None = None
        if peer.namespaces is not None:
            ns_sel: LabelSelector | None = peer.namespaces
        elif peer.pods is not None:
            ns_sel, pod_sel = peer.pods
        else:
            ns_sel = None
        if ns_sel is not None:
            return [
                (_host(p), p)
                for p in self.pods
                if ns_sel.matches(self.namespace_labels(p.namespace))
                and (pod_sel is None or pod_sel.matches(p.labels))
            ]
        if peer.networks:
            return [(n, None) for cidr in peer.networks for n in ipblock_nets(cidr, ())]
        if peer.nodes is not None:
            sel = peer.nodes
            return [
                (n, None)
                for node in self.snapshot.nodes
                if sel.matches(node.labels)
                for a in node.addresses
                for n in ipblock_nets(a + ("/128" if ":" in a else "/32"), ())
            ]
        return []  # unsupported peers (domainNames) match nothing

    def compile_admin(self) -> list[AdminResolvedRule]:
        """Admin and Baseline rules in evaluation order, resolved like NetworkPolicy rules."""
        out: list[AdminResolvedRule] = []
        for policy in admin_order(self.snapshot.admin_policies):
            subjects = self.subjects(policy)
            for direction in ("egress", "ingress"):
                d: Direction = "egress" if direction == "egress" else "ingress"
                for index, rule in enumerate(policy.rules(d)):
                    targets = [t for peer in rule.peers for t in self._admin_peer_nets(peer)]
                    as_rule = Rule(ports=rule.ports or ())
                    entries: tuple[tuple[ipaddress.IPv4Address, Allowance], ...] = ()
                    if targets and rule.ports != ():
                        entries = tuple(
                            (ip, allowance)
                            for pod in subjects
                            if (ip := pod_ipv4(pod)) is not None
                            for allowance in self._allowances(targets, d, as_rule, pod)
                        )
                    out.append(AdminResolvedRule(policy, d, index, rule, entries))
        return out

    def _peer_nets(self, policy: NetworkPolicy, peer: Peer) -> list[tuple[IPv4Net, Pod | None]]:
        """Prefixes a peer covers, each with its pod when it stands for one pod."""
        if peer.ip_block is not None:
            return [(n, None) for n in ipblock_nets(peer.ip_block.cidr, peer.ip_block.except_)]
        return [(_host(p), p) for p in self.peer_pods(policy, peer)]

    def _allowances(
        self,
        targets: list[tuple[IPv4Net, Pod | None]],
        direction: Direction,
        rule: Rule,
        pod: Pod,
    ) -> Iterator[Allowance]:
        if not rule.ports:
            yield Allowance(tuple(ipaddress.collapse_addresses(n for n, _ in targets)), None)
            return
        for net, peer_pod in targets:
            for pp in rule.ports:
                if not isinstance(pp.port, str):
                    yield Allowance((net,), {pp.protocol: (numeric_range(pp),)})
                elif direction == "ingress":
                    # A named port is looked up on the destination: the selected pod.
                    yield from _named(net, pod, pp)
                elif peer_pod is not None:
                    yield from _named(net, peer_pod, pp)
                else:
                    # Egress to an ipBlock: the destination is whichever pod holds the address.
                    for dst in self.pods:
                        if _host(dst).subnet_of(net):
                            yield from _named(_host(dst), dst, pp)


def _host(pod: Pod) -> IPv4Net:
    ip = pod_ipv4(pod)
    assert ip is not None  # lab pods always have one
    return ipaddress.IPv4Network(ip)


def _named(net: IPv4Net, pod: Pod, pp: PolicyPort) -> Iterator[Allowance]:
    for cp in pod.ports:
        if cp.name == pp.port and cp.protocol == pp.protocol:
            yield Allowance((net,), {pp.protocol: ((cp.port, cp.port),)})


def numeric_range(pp: PolicyPort) -> PortRange:
    if pp.port is None:
        return ALL_PORTS
    assert isinstance(pp.port, int)
    return (pp.port, pp.end_port if pp.end_port is not None else pp.port)


def ipblock_nets(cidr: str, excepts: Iterable[str]) -> list[IPv4Net]:
    """cidr minus every except, as disjoint prefixes; IPv6 blocks never match the IPv4 lab."""
    base = ipaddress.ip_network(cidr, strict=False)
    if not isinstance(base, ipaddress.IPv4Network):
        return []
    nets = [base]
    for text in excepts:
        cut = ipaddress.ip_network(text, strict=False)
        if not isinstance(cut, ipaddress.IPv4Network):
            continue
        rest: list[IPv4Net] = []
        for n in nets:
            if cut.supernet_of(n):
                continue
            if n.supernet_of(cut):
                rest.extend(n.address_exclude(cut))
            else:
                rest.append(n)
        nets = rest
    return sorted(ipaddress.collapse_addresses(nets))
