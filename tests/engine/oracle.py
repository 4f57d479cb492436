"""A brute-force reading of the specification, for differential tests of the engine.

One connection at a time, pod by pod, rule by rule, straight from the model objects: no
classes, no bitsets, no partitions, no connection-set algebra. It is slow and obviously
right; the engine must agree with it everywhere.

- NetworkPolicy (kubernetes.io docs, API reference): a pod is isolated for a direction when a
  policy of its namespace selects it with that policy type; it then accepts a connection
  only if some rule of those policies admits the peer (podSelector alone: the policy's
  namespace; namespaceSelector alone: every pod there; both: AND; ipBlock: cidr minus except)
  and the port (none: all; protocol only: every port of it; endPort inclusive; a named port
  on the destination pod with the same protocol).
- Admin tiers (network-policy-api): Admin tier policies by priority then kind and name, rules
  in order, first match decides (Allow, Deny; Pass skips the rest of the tier); then
  NetworkPolicy; for pods NetworkPolicy does not isolate, the Baseline tier the same way;
  then allowed.
- ClusterNetworkPolicy leaves a pod's traffic to its own IP alone.
- Host-network pods are never selected nor matched by selectors (Options.host_network
  "exempt"); ipBlocks and networks match pod IPs under Options.ipblock_matches_pods.
"""

from __future__ import annotations

import ipaddress
import itertools
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from netreach.engine import ipset
from netreach.model import (
    AdminPeer,
    AdminPolicy,
    Direction,
    IPBlock,
    LabelSelector,
    Namespace,
    NetworkPolicy,
    Node,
    Options,
    Peer,
    Pod,
    PolicyPort,
    Protocol,
)

Endpoint = Pod | str


def _in_cidr(ip: str, cidr: str) -> bool:
    addr = ipaddress.ip_address(ip)
    net = ipaddress.ip_network(cidr, strict=False)
    return addr.version == net.version and addr in net


def _in_block(ip: str, block: IPBlock) -> bool:
    return _in_cidr(ip, block.cidr) and not any(_in_cidr(ip, e) for e in block.except_)


class Oracle:
    def __init__(
        self,
        namespaces: Mapping[str, Namespace],
        policies: list[NetworkPolicy],
        admin: list[AdminPolicy],
        nodes: list[Node],
        options: Options,
    ) -> None:
        self.namespaces = namespaces
        self.policies = policies
        self.admin = sorted(
            (p for p in admin if p.tier == "Admin"), key=lambda p: (p.priority, p.kind, p.name)
        )
        self.baseline = sorted(
            (p for p in admin if p.tier == "Baseline"), key=lambda p: (p.kind, p.name)
        )
        self.nodes = nodes
        self.options = options

    # --- matching -----------------------------------------------------------------------------
    def _exempt(self, pod: Pod) -> bool:
        return pod.host_network and self.options.host_network == "exempt"

    def _ns_labels(self, ns: str) -> Mapping[str, str]:
        got = self.namespaces.get(ns)
        return got.labels if got is not None else {"kubernetes.io/metadata.name": ns}

    def _ips(self, ep: Endpoint) -> tuple[str, ...]:
        """Addresses an ipBlock or network may match: an address, or a pod's IPs when
        ipBlocks match pods."""
        if isinstance(ep, str):
            return (ep,)
        return ep.ips if self.options.ipblock_matches_pods else ()

    def _selected(
        self,
        pod: Pod,
        ns_sel: LabelSelector | None,
        pod_sel: LabelSelector | None,
        own_ns: str | None,
    ) -> bool:
        if self._exempt(pod):
            return False
        if ns_sel is not None:
            if not ns_sel.matches(self._ns_labels(pod.namespace)):
                return False
        elif pod.namespace != own_ns:
            return False
        return pod_sel is None or pod_sel.matches(pod.labels)

    def _peer(self, peer: Peer, own_ns: str, other: Endpoint) -> bool:
        if peer.ip_block is not None:
            return any(_in_block(ip, peer.ip_block) for ip in self._ips(other))
        return isinstance(other, Pod) and self._selected(
            other, peer.namespace_selector, peer.pod_selector, own_ns
        )

    def _admin_peer(self, peer: AdminPeer, other: Endpoint) -> bool:
        if peer.namespaces is not None:
            return isinstance(other, Pod) and self._selected(other, peer.namespaces, None, None)
        if peer.pods is not None:
            return isinstance(other, Pod) and self._selected(other, *peer.pods, None)
        if peer.networks:
            return any(_in_cidr(ip, n) for ip in self._ips(other) for n in peer.networks)
        if peer.nodes is not None:
            addrs = {
                a for node in self.nodes if peer.nodes.matches(node.labels) for a in node.addresses
            }
            return any(
                ipaddress.ip_address(ip) == ipaddress.ip_address(a)
                for ip in self._ips(other)
                for a in addrs
            )
        return False

    @staticmethod
    def _port(p: PolicyPort, protocol: Protocol, port: int, dst: Endpoint) -> bool:
        if p.protocol != protocol:
            return False
        if p.port is None:
            return True
        if isinstance(p.port, str):
            return isinstance(dst, Pod) and any(
                cp.name == p.port and cp.protocol == protocol and cp.port == port
                for cp in dst.ports
            )
        return p.port <= port <= (p.end_port or p.port)

    # --- one direction --------------------------------------------------------------------------
    def _side(
        self,
        direction: Direction,
        pod: Pod,
        other: Endpoint,
        dst: Endpoint,
        protocol: Protocol,
        port: int,
    ) -> bool:
        if self._exempt(pod):
            return True
        # "A Pod connecting to its own Pod IP is not subject to CNP" (network-policy-api)
        own = other is pod
        for pol in self.admin:
            if own and pol.kind == "ClusterNetworkPolicy":
                continue
            if not self._selected(pod, pol.subject.namespaces, pol.subject.pods, None):
                continue
            outcome = self._first(pol, direction, other, dst, protocol, port)
            if outcome == "Pass":
                break
            if outcome is not None:
                return outcome == "Allow"
        isolating = [
            p
            for p in self.policies
            if direction in p.policy_types
            and p.namespace == pod.namespace
            and self._selected(pod, None, p.pod_selector, p.namespace)
        ]
        if isolating:
            return any(
                (not rule.peers or any(self._peer(pr, pol.namespace, other) for pr in rule.peers))
                and (not rule.ports or any(self._port(p, protocol, port, dst) for p in rule.ports))
                for pol in isolating
                for rule in pol.rules(direction)
            )
        for pol in self.baseline:
            if own and pol.kind == "ClusterNetworkPolicy":
                continue
            if not self._selected(pod, pol.subject.namespaces, pol.subject.pods, None):
                continue
            outcome = self._first(pol, direction, other, dst, protocol, port)
            if outcome is not None:
                return outcome != "Deny"
        return True

    def _first(
        self,
        pol: AdminPolicy,
        direction: Direction,
        other: Endpoint,
        dst: Endpoint,
        protocol: Protocol,
        port: int,
    ) -> str | None:
        """The action of the policy's first rule matching the connection, else None."""
        for rule in pol.rules(direction):
            if not any(self._admin_peer(pr, other) for pr in rule.peers):
                continue
            if rule.ports is None or any(self._port(p, protocol, port, dst) for p in rule.ports):
                return rule.action
        return None

    def allowed(self, src: Endpoint, dst: Endpoint, protocol: Protocol, port: int) -> bool:
        if (
            isinstance(src, Pod)
            and isinstance(dst, Pod)
            and src is dst
            and self.options.self_traffic == "allowed"
        ):
            return True
        egress = not isinstance(src, Pod) or self._side("egress", src, dst, dst, protocol, port)
        ingress = not isinstance(dst, Pod) or self._side("ingress", dst, src, dst, protocol, port)
        return egress and ingress


class Decides(typing.Protocol):
    def allowed(self, src: Endpoint, dst: Endpoint, protocol: Protocol, port: int) -> bool: ...


def assert_agrees(
    c: Any,
    addresses: Sequence[str],
    ports: Sequence[tuple[Protocol, int]],
    oracle: Decides,
    *,
    check_pods: bool = False,
) -> None:
    """The engine's map (pod pairs, and each pod's external rows at `addresses`) and `check`
    against the oracle on `ports`. `check_pods`: also `check` every pod pair (not only the
    map)."""
    pairs = {(x.src, x.dst): x.conns for x in c.connectivity(by="pod")}
    compiled, matrix = c.compiled, c.matrix
    for a, b in itertools.product(c.pods, repeat=2):
        got = pairs.get((a.id, b.id))
        for proto, n in ports:
            want = oracle.allowed(a, b, proto, n)
            if check_pods:
                assert c.check(a, b, n, proto).allowed == want, (a.id, b.id, proto, n)
            assert (got is not None and got.contains(proto, n)) == want, (a.id, b.id, proto, n)
    for p, ip in itertools.product(c.pods, addresses):
        atom = compiled.atoms.index(ipset.ip_key(ip))
        ci = compiled.class_of[p.id]
        out = matrix.table.sets[int(matrix.external_row(ci, "egress")[atom])]
        into = matrix.table.sets[int(matrix.external_row(ci, "ingress")[atom])]
        for proto, n in ports:
            want_out = oracle.allowed(p, ip, proto, n)
            want_in = oracle.allowed(ip, p, proto, n)
            assert c.check(p, ip, n, proto).allowed == want_out, (p.id, ip, proto, n)
            assert c.check(ip, p, n, proto).allowed == want_in, (ip, p.id, proto, n)
            # the matrix's external rows hold only the pod's side
            assert out.contains(proto, n) == want_out, (p.id, ip, proto, n)
            assert into.contains(proto, n) == want_in, (ip, p.id, proto, n)
