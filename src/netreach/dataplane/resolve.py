"""The dataplane's reading of the policies made concrete: selectors matched against the lab's
pods, ipBlocks turned into prefixes (`cidr` minus every `except`), ports into ranges, named
ports looked up on the pod that owns them. Reads `objects.py` types only, never the engine.

Kubernetes rules as applied here (docs/verify.md lists them):
- a policy selects pods of its namespace; host-network pods are never selected, nor matched
  by pod or namespace selectors (they carry the node's address); ipBlocks match them by IP;
- podSelector alone: the policy's namespace; namespaceSelector alone: every pod of the
  matching namespaces; both in one peer: AND; several peers: OR; no peers: everything;
- no ports: every port of every protocol; a protocol without a port: all its ports; endPort
  is inclusive; a named port is looked up on the destination (the selected pod for ingress,
  the peer for egress, every pod inside the block for egress to an ipBlock);
- ipBlocks (and admin networks/nodes) match pod addresses only with `ipblock_matches_pods`;
- a ClusterNetworkPolicy rule never applies to a pod's traffic to its own address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from netreach.dataplane.addresses import Address, LabPod, Network, parse_address, parse_network
from netreach.dataplane.objects import (
    AdminPeer,
    AdminPolicy,
    ContainerPort,
    Manifests,
    Peer,
    Policy,
    PolicyRule,
    Port,
    Proto,
    Selector,
)

Direction = Literal["ingress", "egress"]
PortRange = tuple[int, int]
ALL_PORTS: PortRange = (0, 65535)
EVERYWHERE: tuple[Network, ...] = (
    ipaddress.IPv4Network("0.0.0.0/0"),
    ipaddress.IPv6Network("::/0"),
)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A lab pod with the labels and container ports the dataplane decoder read for it."""

    pod: LabPod
    labels: Mapping[str, str]
    ports: tuple[ContainerPort, ...]
    service_account: str = "default"

    @property
    def id(self) -> str:
        return self.pod.id

    def host_nets(self) -> list[Network]:
        return [ipaddress.ip_network(a) for a in self.pod.addresses]


@dataclass(frozen=True, slots=True)
class Allowance:
    """Traffic one rule opens for one subject pod: peers in `nets`, on `ports` (None: any)."""

    nets: tuple[Network, ...]
    ports: Mapping[Proto, tuple[PortRange, ...]] | None


@dataclass(frozen=True, slots=True)
class ResolvedRule:
    """One rule resolved for every pod it applies to (the subject's address is the key)."""

    where: str  # `ns/policy ingress[0]` or `Kind/name egress[1]`: user text, escape it
    summary: str  # what the rule says, for a comment: user text too
    direction: Direction
    has_ports: bool
    entries: tuple[tuple[Endpoint, Allowance], ...]
    tier: Literal["Admin", "NetworkPolicy", "Baseline", "Calico", "Cilium"] = "NetworkPolicy"
    action: Literal["Allow", "Deny", "Pass"] = "Allow"


def subtract(nets: Iterable[Network], holes: Iterable[Address]) -> list[Network]:
    """`nets` without the single addresses in `holes`, as sorted disjoint prefixes."""
    out: list[Network] = []
    by_version: dict[int, list[int]] = {4: [], 6: []}
    for h in holes:
        by_version[h.version].append(int(h))
    for version in (4, 6):
        spans = sorted(
            (int(n.network_address), int(n.broadcast_address)) for n in nets if n.version == version
        )
        merged: list[list[int]] = []
        for lo, hi in spans:
            if merged and lo <= merged[-1][1] + 1:
                merged[-1][1] = max(hi, merged[-1][1])
            else:
                merged.append([lo, hi])
        cuts = sorted(set(by_version[version]))
        pieces: list[tuple[int, int]] = []
        for lo, hi in merged:
            for c in cuts:
                if lo <= c <= hi:
                    if lo < c:
                        pieces.append((lo, c - 1))
                    lo = c + 1
            if lo <= hi:
                pieces.append((lo, hi))
        make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
        for lo, hi in pieces:
            out += ipaddress.summarize_address_range(make(lo), make(hi))
    return out


def block_nets(cidr: str, excepts: Iterable[str]) -> list[Network] | None:
    """cidr minus every except, as disjoint prefixes; None when `cidr` is not a CIDR."""
    base = parse_network(cidr)
    if base is None:
        return None
    nets: list[Network] = [base]
    for text in excepts:
        cut = parse_network(text)
        if cut is None or cut.version != base.version:
            continue
        rest: list[Network] = []
        for n in nets:
            if cut.supernet_of(n):  # type: ignore[arg-type]
                continue
            if n.supernet_of(cut):  # type: ignore[arg-type]
                rest.extend(n.address_exclude(cut))  # type: ignore[arg-type]
            else:
                rest.append(n)
        nets = rest
    return collapse(nets)


def collapse(nets: Iterable[Network]) -> list[Network]:
    """Sorted, merged prefixes of both families."""
    listed = list(nets)
    v4 = [n for n in listed if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in listed if isinstance(n, ipaddress.IPv6Network)]
    return [*ipaddress.collapse_addresses(v4), *ipaddress.collapse_addresses(v6)]


def describe_rule(rule: PolicyRule, direction: Direction) -> str:
    word = "from" if direction == "ingress" else "to"
    peers = "; ".join(_peer_text(p) for p in rule.peers) if rule.peers else "anywhere"
    ports = ", ".join(_port_text(p) for p in rule.ports) if rule.ports else "all ports"
    return f"{word} {peers}; {ports}"


def _selector_text(sel: Selector) -> str:
    parts = [f"{k}={v}" for k, v in sel.labels]
    parts += [f"{e.key} {e.operator} ({','.join(e.values)})" for e in sel.expressions]
    return ",".join(parts) or "(all)"


def _peer_text(peer: Peer) -> str:
    if peer.cidr is not None:
        return f"ipBlock {peer.cidr}" + (
            f" except {', '.join(peer.excepts)}" if peer.excepts else ""
        )
    parts = []
    if peer.namespaces is not None:
        parts.append(f"namespaceSelector {_selector_text(peer.namespaces)}")
    if peer.pods is not None:
        parts.append(f"podSelector {_selector_text(peer.pods)}")
    return " AND ".join(parts) or "podSelector (all)"


def _port_text(p: Port) -> str:
    proto = p.protocol or "any protocol"
    if p.port is None:
        return f"{proto} (all ports)"
    if p.end is not None:
        return f"{proto} {p.port}-{p.end}"
    return f"{proto} {p.port}"


class Resolver:
    """Resolves one reading of the policies against the lab's endpoints."""

    def __init__(
        self,
        manifests: Manifests,
        endpoints: Sequence[Endpoint],
        ipblock_matches_pods: bool = True,
    ) -> None:
        self.manifests = manifests
        self.endpoints = list(endpoints)
        self.pods = [e for e in self.endpoints if not e.pod.host]
        # Under --ipblock-external-only, address blocks never match a pod of the lab.
        self.holes: list[Address] = (
            [] if ipblock_matches_pods else [a for e in self.endpoints for a in e.pod.addresses]
        )
        self.problems: list[str] = []

    def _ns_labels(self, e: Endpoint) -> Mapping[str, str]:
        return self.manifests.namespace_labels(e.pod.namespace)

    # --- NetworkPolicy ------------------------------------------------------------------
    def selected(self, policy: Policy) -> list[Endpoint]:
        return [
            e
            for e in self.pods
            if e.pod.namespace == policy.namespace and policy.selector.matches(e.labels)
        ]

    def isolated(self, direction: Direction) -> list[Endpoint]:
        out: dict[str, Endpoint] = {}
        for policy in self.manifests.policies.values():
            if policy.ingress_isolated if direction == "ingress" else policy.egress_isolated:
                out.update((e.id, e) for e in self.selected(policy))
        return list(out.values())

    def peer_pods(self, policy: Policy, peer: Peer) -> list[Endpoint]:
        out = []
        for e in self.pods:
            if peer.namespaces is None:
                if e.pod.namespace != policy.namespace:
                    continue
            elif not peer.namespaces.matches(self._ns_labels(e)):
                continue
            if peer.pods is not None and not peer.pods.matches(e.labels):
                continue
            out.append(e)
        return out

    def network_policy_rules(self) -> list[ResolvedRule]:
        return [r for p in self.manifests.policies.values() for r in self.policy_rules(p)]

    def policy_rules(self, policy: Policy, only: Direction | None = None) -> list[ResolvedRule]:
        """One NetworkPolicy's rules (of the directions it isolates; `only` one of them)."""
        out: list[ResolvedRule] = []
        selected = self.selected(policy)
        pid = f"{policy.namespace}/{policy.name}"
        for direction, isolated, rules in (
            ("ingress", policy.ingress_isolated, policy.ingress),
            ("egress", policy.egress_isolated, policy.egress),
        ):
            if not isolated or only not in (None, direction):
                continue  # rules of a direction not in policyTypes are ignored
            d: Direction = "ingress" if direction == "ingress" else "egress"
            for index, rule in enumerate(rules):
                where = f"{pid} {d}[{index}]"
                targets: list[tuple[Network, Endpoint | None]] = (
                    [(n, None) for n in EVERYWHERE]
                    if not rule.peers
                    else [t for p in rule.peers for t in self._peer_nets(policy, p, where)]
                )
                entries = tuple(
                    (e, a) for e in selected for a in self._allowances(targets, d, rule.ports, e)
                )
                out.append(
                    ResolvedRule(where, describe_rule(rule, d), d, bool(rule.ports), entries)
                )
        return out

    def _peer_nets(
        self, policy: Policy, peer: Peer, where: str
    ) -> list[tuple[Network, Endpoint | None]]:
        if peer.cidr is not None:
            nets = block_nets(peer.cidr, peer.excepts)
            if nets is None:
                self.problems.append(f"{where}: ipBlock cidr is not a CIDR: it matches nothing")
                return []
            return [(n, None) for n in subtract(nets, self.holes)]
        return [(n, e) for e in self.peer_pods(policy, peer) for n in e.host_nets()]

    def _allowances(
        self,
        targets: list[tuple[Network, Endpoint | None]],
        direction: Direction,
        ports: Sequence[Port] | None,
        subject: Endpoint,
    ) -> Iterator[Allowance]:
        if not ports:
            if targets:
                yield Allowance(tuple(n for n, _ in targets), None)
            return
        for net, peer in targets:
            for p in ports:
                if not isinstance(p.port, str):
                    rng = ALL_PORTS if p.port is None else (p.port, p.end or p.port)
                    # An inverted or out-of-range entry (the API server refuses it) opens nothing.
                    if p.protocol is not None and 0 <= rng[0] <= rng[1] <= 65535:
                        yield Allowance((net,), {p.protocol: (rng,)})
                elif direction == "ingress":
                    yield from _named(net, subject, p)  # looked up on the destination
                elif peer is not None:
                    yield from _named(net, peer, p)
                else:  # egress to an address block: the destination is whoever holds the address
                    for dst in self.endpoints:
                        for own in dst.host_nets():
                            if own.version == net.version and own.subnet_of(net):  # type: ignore[arg-type]
                                yield from _named(own, dst, p)

    # --- admin tiers --------------------------------------------------------------------
    def subjects(self, policy: AdminPolicy) -> list[Endpoint]:
        return [
            e
            for e in self.pods
            if policy.subject_namespaces.matches(self._ns_labels(e))
            and (policy.subject_pods is None or policy.subject_pods.matches(e.labels))
        ]

    def _admin_peer_nets(self, peer: AdminPeer) -> list[tuple[Network, Endpoint | None]]:
        if peer.kind in ("namespaces", "pods"):
            ns_sel = peer.namespaces or Selector()
            return [
                (n, e)
                for e in self.pods
                if ns_sel.matches(self._ns_labels(e))
                and (peer.pods is None or peer.pods.matches(e.labels))
                for n in e.host_nets()
            ]
        nets: list[Network] = []
        if peer.kind == "networks":
            for text in peer.networks:
                got = parse_network(text)
                if got is None:
                    self.problems.append(f"admin networks peer {text!r} is not a CIDR")
                else:
                    nets.append(got)
        elif peer.kind == "nodes" and peer.nodes is not None:
            sel = peer.nodes
            for node in self.manifests.nodes.values():
                if sel.matches(node.labels):
                    addrs = (parse_address(a) for a in node.addresses)
                    nets += [ipaddress.ip_network(a) for a in addrs if a is not None]
        return [(n, None) for n in subtract(nets, self.holes)]

    def admin_order(self) -> list[AdminPolicy]:
        """Admin policies in evaluation order: Admin by priority (lower first), ties by kind
        then name; Baseline last."""
        return sorted(
            self.manifests.admin.values(), key=lambda p: (p.baseline, p.priority, p.kind, p.name)
        )

    def admin_rules(self) -> list[ResolvedRule]:
        """Admin and Baseline rules in evaluation order (rules in written order; egress and
        ingress kept apart)."""
        return [r for policy in self.admin_order() for r in self.admin_policy_rules(policy)]

    def admin_policy_rules(
        self, policy: AdminPolicy, only: Direction | None = None
    ) -> list[ResolvedRule]:
        out: list[ResolvedRule] = []
        subjects = self.subjects(policy)
        # "A Pod connecting to its own Pod IP is not subject to CNP" (network-policy-api):
        # a CNP rule never matches the subject's own addresses.
        cnp = policy.kind == "ClusterNetworkPolicy"
        for d, rules in (("egress", policy.egress), ("ingress", policy.ingress)):
            direction: Direction = "egress" if d == "egress" else "ingress"
            if only not in (None, direction):
                continue
            for index, rule in enumerate(rules):
                targets = [t for p in rule.peers for t in self._admin_peer_nets(p)]
                entries: tuple[tuple[Endpoint, Allowance], ...] = ()
                if targets and rule.ports != ():
                    entries = tuple(
                        (e, _not_itself(e, a) if cnp else a)
                        for e in subjects
                        for a in self._allowances(targets, direction, rule.ports, e)
                    )
                name = f" ({rule.name})" if rule.name else ""
                out.append(
                    ResolvedRule(
                        where=f"{policy.kind}/{policy.name} {direction}[{index}]",
                        summary=f"{rule.action}{name}",
                        direction=direction,
                        has_ports=rule.ports is not None,
                        entries=entries,
                        tier="Baseline" if policy.baseline else "Admin",
                        action=rule.action,
                    )
                )
        return out


def _not_itself(subject: Endpoint, allowance: Allowance) -> Allowance:
    own = subject.pod.addresses
    if not any(a in n for n in allowance.nets for a in own if a.version == n.version):
        return allowance
    return Allowance(tuple(subtract(allowance.nets, own)), allowance.ports)


def _named(net: Network, pod: Endpoint, p: Port) -> Iterator[Allowance]:
    for cp in pod.ports:
        if not 0 <= cp.port <= 65535:
            continue
        if cp.name == p.port and (p.protocol is None or cp.protocol == p.protocol):
            yield Allowance((net,), {cp.protocol: ((cp.port, cp.port),)})
