"""What to probe: the ports where verdicts can differ, and the probes themselves.

Verdicts are constant between the boundaries of the port ranges policies name, so probing
the first and last port of every range, the port after each, and one port outside every
range of the protocol covers every case. A pod's traffic to itself is probed (the lab
routes it through the node), and every Service port through its DNAT, once per backend.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from netreach.dataplane.addresses import Address, Network
from netreach.dataplane.nft import render_address
from netreach.dataplane.objects import PROTOS, Manifests, Port, Proto
from netreach.dataplane.resolve import Direction, Endpoint
from netreach.dataplane.scenario import Scenario
from netreach.model import PolicyPort, Snapshot

# Candidates for "a port no range names", in order of preference.
UNLISTED_PORTS = (81, 1234, 4321, 12345, 23456, 34567, 45678)


class Probe(NamedTuple):
    """One connection attempt. `dst` is a pod id or `svc/NS/NAME`; a Service probe is steered
    to the backend pod `backend`. `name` names the destination in records when the pair is
    probed in both address families (the destination's address). A tuple: a large matrix
    makes hundreds of thousands."""

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
        candidates = itertools.chain(UNLISTED_PORTS, range(1, 65536))
        spare = next((p for p in candidates if _outside(p, listed)), None)
        if spare is not None:
            points.add(spare)
        elif not points:
            points.add(UNLISTED_PORTS[0])  # every port is alike: any one will do
    return sorted(points)


PortRange3 = tuple[Proto, int, int]  # protocol, first and last port


def _model_ranges(snap: Snapshot) -> tuple[set[PortRange3], set[tuple[str, Proto]]]:
    """Every numeric range and every port name the loader's reading holds."""
    ranges: set[PortRange3] = set()
    names: set[tuple[str, Proto]] = set()
    ports: list[PolicyPort] = [
        pp for pol in snap.policies for r in (*pol.ingress, *pol.egress) for pp in r.ports
    ]
    ports += [
        pp for ap in snap.admin_policies for r in (*ap.ingress, *ap.egress) for pp in r.ports or ()
    ]
    for cp in snap.calico_policies:
        for cr in (*cp.ingress, *cp.egress):
            ports += [*cr.destination.ports, *cr.destination.not_ports]
    for kp in snap.cilium_policies:
        for kr in (*kp.ingress, *kp.egress, *kp.ingress_deny, *kp.egress_deny):
            ports += kr.ports or ()
    for pp in ports:
        if isinstance(pp.port, str):
            names.add((pp.port, pp.protocol))
        elif pp.port is not None:
            ranges.add((pp.protocol, pp.port, pp.end_port or pp.port))
    return ranges, names


def _decoded_ranges(manifests: Manifests) -> tuple[set[PortRange3], set[tuple[str, Proto]]]:
    ranges: set[PortRange3] = set()
    names: set[tuple[str, Proto]] = set()
    ports: list[Port] = [
        p
        for pol in manifests.policies.values()
        for r in (*pol.ingress, *pol.egress)
        for p in r.ports
    ]
    ports += [
        p
        for ap in manifests.admin.values()
        for r in (*ap.ingress, *ap.egress)
        for p in r.ports or ()
    ]
    for c in manifests.calico.values():
        for cr in (*c.ingress, *c.egress):
            ports += [*cr.destination.ports, *cr.destination.not_ports]
    for specs in manifests.cilium.values():
        for k in specs:
            for kr in (*k.ingress, *k.egress, *k.ingress_deny, *k.egress_deny):
                ports += kr.ports or ()
    for p in ports:
        for proto in (p.protocol,) if p.protocol else PROTOS:
            if isinstance(p.port, str):
                names.add((p.port, proto))
            elif p.port is not None:
                ranges.add((proto, p.port, p.end or p.port))
    return ranges, names


def _key(a: Address) -> int:
    return int(a) | (a.version << 128)


class _Addresses:
    """The lab's addresses, sorted, to find those inside a prefix at once."""

    def __init__(self, endpoints: Sequence[Endpoint]) -> None:
        self.sorted = sorted({_key(a) for e in endpoints for a in e.pod.addresses})

    def inside(self, net: Network) -> list[int]:
        lo = _key(net.network_address)
        hi = _key(net.broadcast_address)
        return self.sorted[
            bisect.bisect_left(self.sorted, lo) : bisect.bisect_right(self.sorted, hi)
        ]


class _Reach:
    """What one pod's rules of one direction open, by the address of the peer (only lab
    addresses matter: the prefixes are resolved against them once)."""

    def __init__(self) -> None:
        self.by_peer: dict[int, set[PortRange3]] = defaultdict(set)

    def add(self, keys: Iterable[int], ranges: frozenset[PortRange3]) -> None:
        for key in keys:
            self.by_peer[key] |= ranges

    def ranges_for(self, peer: Endpoint) -> set[PortRange3]:
        out: set[PortRange3] = set()
        for a in peer.pod.addresses:
            out |= self.by_peer.get(_key(a), set())
        return out


class PortPlan:
    """The ports worth probing between two pods: the boundaries of the port ranges of the
    rules that can decide the pair (the source's egress rules whose peers include the
    destination, the destination's ingress rules whose peers include the source, admin
    tiers included, named ports resolved on the destination), and one port outside them.
    Between those points no verdict can change. The rules are the dataplane decoder's; a
    range or port name only the loader's reading holds (a loader bug) is probed for every
    pair. `fixed` (the --ports option) replaces all this for every pair."""

    def __init__(
        self, scenario: Scenario, protocols: Iterable[Proto], fixed: Sequence[int] | None = None
    ) -> None:
        self.protocols = list(protocols)
        self.fixed = sorted(set(fixed)) if fixed is not None else None
        self.reach: dict[tuple[Direction, str], _Reach] = defaultdict(_Reach)
        self.named: dict[str, list[tuple[str, Proto, int]]] = defaultdict(list)
        self.extra: set[PortRange3] = set()
        self.extra_names: set[tuple[str, Proto]] = set()
        self._cache: dict[frozenset[PortRange3], dict[Proto, list[int]]] = {}
        if self.fixed is not None:
            return
        resolved = scenario.resolved
        addresses = _Addresses(scenario.endpoints)
        for rule in resolved.all_rules:
            for subject, allowance in rule.entries:
                if allowance.ports is None:
                    continue  # every port alike: no boundary
                ranges = frozenset(
                    (proto, lo, hi) for proto, rs in allowance.ports.items() for lo, hi in rs
                )
                reach = self.reach[(rule.direction, subject.id)]
                for net in allowance.nets:
                    reach.add(addresses.inside(net), ranges)
        model, model_names = _model_ranges(scenario.snapshot)
        decoded, decoded_names = _decoded_ranges(scenario.manifests)
        self.extra = model - decoded
        self.extra_names = model_names - decoded_names
        for pod in scenario.snapshot.pods:
            self.named[pod.id] += [(cp.name, cp.protocol, cp.port) for cp in pod.ports if cp.name]
        for e in scenario.endpoints:
            self.named[e.id] += [(cp.name, cp.protocol, cp.port) for cp in e.ports if cp.name]

    def for_pair(self, src: Endpoint, dst: Endpoint) -> dict[Proto, list[int]]:
        if self.fixed is not None:
            return {proto: self.fixed for proto in self.protocols}
        ranges = self.reach[("egress", src.id)].ranges_for(dst)
        ranges |= self.reach[("ingress", dst.id)].ranges_for(src)
        ranges |= self.extra
        ranges |= {
            (proto, port, port)
            for name, proto, port in self.named[dst.id]
            if (name, proto) in self.extra_names
        }
        key = frozenset(ranges)
        got = self._cache.get(key)
        if got is None:
            got = {
                proto: representative((lo, hi) for p, lo, hi in key if p == proto)
                for proto in self.protocols
            }
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
    families_of = {e.id: e.pod.families for e in eps}
    for s in eps:
        for d in eps:
            if s.id not in scope and d.id not in scope:
                continue
            families = sorted(families_of[s.id] & families_of[d.id])
            if not families:
                apart += 1
                continue
            pair_ports = ports.for_pair(s, d)
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
