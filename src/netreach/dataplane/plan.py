"""What to probe: the ports where verdicts can differ, and the probes themselves.

Verdicts are constant between the boundaries of the port ranges policies name, so probing
the first and last port of every range, the port after each, and one port outside every
range of the protocol covers every case. A pod's traffic to itself is probed (the lab
routes it through the node), and every Service port through its DNAT, once per backend.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from netreach.dataplane.nft import render_address
from netreach.dataplane.objects import NAMESPACE_NAME_LABEL, PROTOS, Port, Proto
from netreach.dataplane.resolve import Endpoint, Resolver
from netreach.dataplane.scenario import Scenario
from netreach.model import PolicyPort, Snapshot

# Candidates for "a port no range names", in order of preference.
UNLISTED_PORTS = (81, 1234, 4321, 12345, 23456, 34567, 45678)


@dataclass(frozen=True, slots=True, order=True)
class Probe:
    """One connection attempt. `dst` is a pod id or `svc/NS/NAME`; a Service probe is steered
    to the backend pod `backend`. `name` names the destination in records when the pair is
    probed in both address families (the destination's address)."""

    src: str
    dst: str
    protocol: Proto
    port: int
    family: int = 4
    backend: str = ""
    name: str = ""

    @property
    def target(self) -> str:
        return self.name or self.dst

    def __str__(self) -> str:
        via = f" (to {self.backend})" if self.backend else ""
        return f"{self.src} -> {self.target} {self.protocol}/{self.port}{via}"


PortSet = dict[Proto, set[tuple[int, int]]]


def _add(into: PortSet, protocol: Proto | None, port: object, end: int | None) -> None:
    if isinstance(port, int) and not isinstance(port, bool):
        for proto in (protocol,) if protocol else PROTOS:
            into[proto].add((port, end if end is not None else port))


def _outside(port: int, ranges: Iterable[tuple[int, int]]) -> bool:
    return not any(lo <= port <= hi for lo, hi in ranges)


def representative(ranges: Iterable[tuple[int, int]]) -> list[int]:
    """Both ends of every range, the port after each, and a port outside all of them (every
    port outside all ranges is alike; a port after a range often is one already)."""
    listed = sorted(set(ranges))
    points: set[int] = set()
    for lo, hi in listed:
        if (lo, hi) != (0, 65535):  # every port alike: no boundary
            points.update((lo, hi, hi + 1))
    points = {p for p in points if 1 <= p <= 65535}
    if not any(_outside(p, listed) for p in points):
        candidates = (*UNLISTED_PORTS, *range(1, 65536))
        spare = next((p for p in candidates if _outside(p, listed)), None)
        if spare is not None:
            points.add(spare)
        elif not points:
            points.add(UNLISTED_PORTS[0])  # every port is alike: any one will do
    return sorted(points)


@dataclass
class _Side:
    """The port ranges and port names of the rules that apply to a pod in one direction."""

    ranges: PortSet = field(default_factory=lambda: {p: set() for p in PROTOS})
    names: set[tuple[str, Proto | None]] = field(default_factory=set)  # None: any protocol

    def add(self, protocol: Proto | None, port: object, end: int | None) -> None:
        if isinstance(port, str):
            self.names.add((port, protocol))
        else:
            _add(self.ranges, protocol, port, end)

    def add_rules(self, rules: Iterable[Iterable[Port] | Iterable[PolicyPort] | None]) -> None:
        for ports in rules:
            for p in ports or ():
                if isinstance(p, PolicyPort):
                    self.add(p.protocol, p.port, p.end_port)
                else:
                    self.add(p.protocol, p.port, p.end)


class PortPlan:
    """The ports worth probing between two pods: the boundaries of the port ranges of the
    rules that apply to the pair (the source's egress rules and the destination's ingress
    rules, in both readings, admin tiers included), named ports resolved on the
    destination, and one port outside them. Between those points no verdict can change.
    `fixed` (the --ports option) replaces them for every pair."""

    def __init__(
        self, scenario: Scenario, protocols: Iterable[Proto], fixed: Sequence[int] | None = None
    ) -> None:
        self.protocols = list(protocols)
        self.fixed = sorted(set(fixed)) if fixed is not None else None
        self.egress: dict[str, _Side] = defaultdict(_Side)
        self.ingress: dict[str, _Side] = defaultdict(_Side)
        self.named: dict[str, list[tuple[str, Proto, int]]] = defaultdict(list)
        self._cache: dict[tuple[object, ...], dict[Proto, list[int]]] = {}
        if self.fixed is None:
            self._model_side(scenario.snapshot)
            self._decoded_side(scenario)

    def _model_side(self, snap: Snapshot) -> None:
        """The loader's reading, so that a boundary only the engine sees is probed too."""
        pods = [p for p in snap.pods if not p.host_network]
        for pol in snap.policies:
            for p in pods:
                if p.namespace == pol.namespace and pol.pod_selector.matches(p.labels):
                    self.ingress[p.id].add_rules(r.ports for r in pol.ingress)
                    self.egress[p.id].add_rules(r.ports for r in pol.egress)
        for ap in snap.admin_policies:
            sub = ap.subject
            for p in pods:
                ns = snap.namespaces.get(p.namespace)
                labels = ns.labels if ns is not None else {NAMESPACE_NAME_LABEL: p.namespace}
                if sub.namespaces.matches(labels) and (
                    sub.pods is None or sub.pods.matches(p.labels)
                ):
                    self.ingress[p.id].add_rules(r.ports for r in ap.ingress)
                    self.egress[p.id].add_rules(r.ports for r in ap.egress)
        for pod in snap.pods:
            self.named[pod.id] += [(cp.name, cp.protocol, cp.port) for cp in pod.ports if cp.name]

    def _decoded_side(self, scenario: Scenario) -> None:
        resolver = Resolver(scenario.manifests, scenario.endpoints)
        for pol in scenario.manifests.policies.values():
            for e in resolver.selected(pol):
                self.ingress[e.id].add_rules(r.ports for r in pol.ingress)
                self.egress[e.id].add_rules(r.ports for r in pol.egress)
        for ap in scenario.manifests.admin.values():
            for e in resolver.subjects(ap):
                self.ingress[e.id].add_rules(r.ports for r in ap.ingress)
                self.egress[e.id].add_rules(r.ports for r in ap.egress)
        for e in scenario.endpoints:
            self.named[e.id] += [(cp.name, cp.protocol, cp.port) for cp in e.ports if cp.name]

    def for_pair(self, src: str, dst: str) -> dict[Proto, list[int]]:
        if self.fixed is not None:
            return {proto: self.fixed for proto in self.protocols}
        out, into = self.egress[src], self.ingress[dst]
        names = out.names | into.names
        # a named port is looked up on the destination, for egress and ingress rules alike
        resolved = frozenset(
            (pr, port)
            for name, pr, port in self.named[dst]
            if (name, pr) in names or (name, None) in names
        )
        key = (id(out), id(into), resolved)
        got = self._cache.get(key)
        if got is None:
            got = {}
            for proto in self.protocols:
                ranges = out.ranges[proto] | into.ranges[proto]
                ranges |= {(port, port) for pr, port in resolved if pr == proto}
                got[proto] = representative(ranges)
            self._cache[key] = got
        return got


def _name(src: Endpoint, dst: Endpoint, family: int, both: bool) -> str:
    address = dst.pod.address(family)
    return render_address(address) if both and address is not None else ""


def pod_probes(scenario: Scenario, ports: PortPlan, scope: set[str]) -> tuple[list[Probe], int]:
    """Every ordered pair of pods (a pod and itself included) in every address family both
    have, on every port; and the number of pairs with no family in common (not probed)."""
    out: list[Probe] = []
    apart = 0
    eps = scenario.endpoints
    for s in eps:
        for d in eps:
            if s.id not in scope and d.id not in scope:
                continue
            families = sorted(s.pod.families & d.pod.families)
            if not families:
                apart += 1
                continue
            pair_ports = ports.for_pair(s.id, d.id)
            for family in families:
                name = _name(s, d, family, len(families) > 1)
                for proto, plist in pair_ports.items():
                    out += [Probe(s.id, d.id, proto, port, family, "", name) for port in plist]
    return out, apart


def service_probes(
    scenario: Scenario, protocols: Iterable[Proto], scope: set[str], namespaces: set[str] | None
) -> list[Probe]:
    """From every pod to every Service port it can reach, once per backend (steered)."""
    wanted = set(protocols)
    out: list[Probe] = []
    for svc in scenario.services:
        svc_ns = svc.id.split("/", 1)[0]
        for sp in svc.ports:
            if sp.protocol not in wanted:
                continue
            families = [f for f, b in sp.backends.items() if b and f in svc.vips]
            for family in families:
                vip = render_address(svc.vips[family]) if len(families) > 1 else ""
                for s in scenario.endpoints:
                    if s.pod.address(family) is None:
                        continue
                    if s.id not in scope and not (namespaces is None or svc_ns in namespaces):
                        continue
                    out += [
                        Probe(s.id, svc.ref, sp.protocol, sp.port, family, b.endpoint.id, vip)
                        for b in sp.backends[family]
                    ]
    return out


def listen_ports(
    scenario: Scenario, probes: Iterable[Probe], protocols: Iterable[Proto]
) -> dict[Proto, list[int]]:
    """Ports every pod listens on: every port a pod is probed on, and every Service
    backend's pod port."""
    out: dict[Proto, set[int]] = {proto: set() for proto in protocols}
    for p in probes:
        if not p.backend:
            out[p.protocol].add(p.port)
    for svc in scenario.services:
        for sp in svc.ports:
            if sp.protocol in out:
                out[sp.protocol].update(b.port for bs in sp.backends.values() for b in bs)
    return {proto: sorted(plist) for proto, plist in out.items()}


def sanity_probes(scenario: Scenario, listened: Mapping[Proto, Sequence[int]]) -> list[Probe]:
    """With no policy loaded everything must get through: each pod is reached on every port
    it listens on from one neighbour, reaches itself once, and every Service backend is
    reached once through its DNAT. Linear in pods."""
    eps = scenario.endpoints
    out: list[Probe] = []
    for i, d in enumerate(eps):
        for family in sorted(d.pod.families):
            src = next(
                (
                    eps[(i + k) % len(eps)]
                    for k in range(1, len(eps))
                    if eps[(i + k) % len(eps)].pod.address(family) is not None
                ),
                d,
            )
            for proto, plist in listened.items():
                out += [Probe(src.id, d.id, proto, port, family) for port in plist]
            first = next((proto for proto, plist in listened.items() if plist), None)
            if first is not None and src is not d:
                out.append(Probe(d.id, d.id, first, listened[first][0], family))
    for svc in scenario.services:
        for sp in svc.ports:
            if sp.protocol not in listened:
                continue
            for family, backends in sp.backends.items():
                client = next((e for e in eps if e.pod.address(family) is not None), None)
                if client is None or family not in svc.vips:
                    continue
                out += [
                    Probe(client.id, svc.ref, sp.protocol, sp.port, family, b.endpoint.id)
                    for b in backends
                ]
    return out
