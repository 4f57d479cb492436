"""Policy synthesis: deny-all per namespace, the DNS exception, then one ingress policy per
destination and one egress policy per source, as NetworkPolicy manifests (plain data).

Everything is built in a fixed order from sorted keys, so the same intent always yields the
same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from netreach import manifest as dump
from netreach.analyses.generate.groups import Group
from netreach.analyses.generate.intent import CidrSpec
from netreach.engine.conns import ConnectionSet
from netreach.loader.pods import NAMESPACE_LABEL
from netreach.model import PROTOCOLS, Direction, LabelSelector
from netreach.query.ports import NamedPort

PREFIX = "netreach"
MANAGED_BY = {"app.kubernetes.io/managed-by": "netreach"}

Party = Group | CidrSpec
Manifest = dict[str, Any]
Ports = tuple[ConnectionSet, frozenset[NamedPort]]  # numbers, and names


@dataclass(frozen=True, slots=True)
class ResolvedAllow:
    src: Party
    dst: Party
    conns: ConnectionSet
    names: frozenset[NamedPort] = frozenset()


# (direction, selected group, peer, ports, port names) -> whether existing policies open them
Covered = Callable[[Direction, Group, Party, ConnectionSet, frozenset[NamedPort]], bool]


def ports_json(
    conns: ConnectionSet, names: frozenset[NamedPort] = frozenset()
) -> list[dict[str, Any]]:
    """Contiguous ports as one entry with endPort; a whole protocol as protocol only; port
    names as written (the destination pod resolves them)."""
    out: list[dict[str, Any]] = []
    for proto, ranges in conns.items():
        for lo, hi in ranges:
            if (lo, hi) == (1, 65535):
                out.append({"protocol": proto})
            elif lo == hi:
                out.append({"protocol": proto, "port": lo})
            else:
                out.append({"protocol": proto, "port": lo, "endPort": hi})
    for name, proto in sorted(names, key=lambda n: (PROTOCOLS.index(n[1]), n[0])):
        out.append({"protocol": proto, "port": name})
    return out


def peer_json(side: Party, policy_namespace: str) -> dict[str, Any]:
    """One peer; across namespaces podSelector AND namespaceSelector in the same entry."""
    if isinstance(side, CidrSpec):
        return {"ipBlock": {"cidr": side.cidr}}
    pods = dump.selector(side.selector)
    if side.namespace is None:
        return {"namespaceSelector": {}, "podSelector": pods}
    if side.namespace == policy_namespace:
        return {"podSelector": pods}
    peer: dict[str, Any] = {"namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: side.namespace}}}
    if pods:
        peer["podSelector"] = pods
    return peer


def manifest(
    namespace: str,
    name: str,
    selector: LabelSelector,
    types: Iterable[Direction],
    rules: dict[Direction, list[dict[str, Any]]] | None = None,
) -> Manifest:
    spec: dict[str, Any] = {"policyTypes": dump.policy_types(types)}
    for direction, items in (rules or {}).items():
        spec[direction] = items
    return dump.network_policy(namespace, name, selector, spec, MANAGED_BY)


def _key(data: Any) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


@dataclass
class _Target:
    """The rules of one generated allow policy, peers merged by what they may use."""

    namespace: str
    group: Group
    peers: dict[bytes, tuple[dict[str, Any], Ports]] = field(default_factory=dict)

    def add(self, peer: dict[str, Any], ports: Ports) -> None:
        k = _key(peer)
        old = self.peers.get(k)
        self.peers[k] = (peer, (old[1][0] | ports[0], old[1][1] | ports[1]) if old else ports)

    def rules(self, direction: Direction) -> list[dict[str, Any]]:
        by_ports: dict[Ports, list[tuple[bytes, dict[str, Any]]]] = {}
        for k, (peer, ports) in self.peers.items():
            by_ports.setdefault(ports, []).append((k, peer))
        word = "from" if direction == "ingress" else "to"
        out: list[tuple[bytes, dict[str, Any]]] = []
        for (conns, names), peers in by_ports.items():
            peers.sort(key=lambda kp: kp[0])
            rule: dict[str, Any] = {word: [p for _, p in peers]}
            if not conns.is_all:
                rule["ports"] = ports_json(conns, names)
            out.append((peers[0][0], rule))
        return [r for _, r in sorted(out, key=lambda kr: kr[0])]


def target_namespaces(group: Group) -> list[str]:
    if group.namespace is not None:
        return [group.namespace]
    return group.namespaces


def allow_policies(
    allows: Iterable[ResolvedAllow], scope: Collection[str], covered: Covered | None = None
) -> list[Manifest]:
    """One ingress policy per destination group and one egress policy per source group, in
    the `scope` namespaces only: outside, pods stay unisolated and a lone allow policy would
    isolate them."""
    targets: dict[tuple[Direction, str, str], _Target] = {}

    def add(direction: Direction, group: Group, peer: Party, ports: Ports) -> None:
        if covered is not None and covered(direction, group, peer, *ports):
            return
        for ns in target_namespaces(group):
            if ns not in scope:
                continue
            t = targets.setdefault((direction, ns, group.key), _Target(ns, group))
            t.add(peer_json(peer, ns), ports)

    for a in allows:
        if isinstance(a.dst, Group):
            add("ingress", a.dst, a.src, (a.conns, a.names))
        if isinstance(a.src, Group):
            add("egress", a.src, a.dst, (a.conns, a.names))
    out: list[Manifest] = []
    taken: set[tuple[str, str]] = set()
    for (direction, ns, _), t in sorted(targets.items(), key=lambda kv: kv[0]):
        name = unique_name(f"{PREFIX}-{direction}-{t.group.slug}", ns, taken)
        out.append(
            manifest(ns, name, t.group.selector, [direction], {direction: t.rules(direction)})
        )
    return out


def unique_name(base: str, namespace: str, taken: set[tuple[str, str]]) -> str:
    name, n = base, 1
    while (namespace, name) in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add((namespace, name))
    return name


def deny_all(namespace: str) -> Manifest:
    return manifest(namespace, f"{PREFIX}-default-deny", LabelSelector(), ["ingress", "egress"])


def dns_egress(namespace: str, dns: Group, conns: ConnectionSet) -> Manifest:
    rule = {"to": [peer_json(dns, namespace)], "ports": ports_json(conns)}
    return manifest(
        namespace, f"{PREFIX}-allow-dns", LabelSelector(), ["egress"], {"egress": [rule]}
    )


def dns_ingress(dns: Group, conns: ConnectionSet) -> Manifest:
    """The DNS pods accept queries from every pod (their namespace gets a deny-all too)."""
    assert dns.namespace is not None
    rule = {"from": [{"namespaceSelector": {}}], "ports": ports_json(conns)}
    return manifest(
        dns.namespace, f"{PREFIX}-dns-ingress", dns.selector, ["ingress"], {"ingress": [rule]}
    )
