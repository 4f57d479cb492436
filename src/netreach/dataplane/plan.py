"""What to probe: the ports where verdicts can differ, and the probes themselves.

Verdicts are constant between the boundaries of the port ranges policies name, so probing
the first and last port of every range, the port after each, and one port outside every
range of the protocol covers every case. A pod's traffic to itself is probed (the lab
routes it through the node), and every Service port through its DNAT, once per backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from netreach.dataplane.nft import render_address
from netreach.dataplane.objects import PROTOS, Proto
from netreach.dataplane.resolve import Endpoint
from netreach.dataplane.scenario import Scenario
from netreach.model import PolicyPort

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


def _ranges(scenario: Scenario) -> dict[Proto, set[tuple[int, int]]]:
    """Every port range either reading names, per protocol; container ports count as
    one-port ranges (named ports resolve to them)."""
    out: dict[Proto, set[tuple[int, int]]] = {p: set() for p in PROTOS}

    def add(protocol: Proto | None, port: object, end: int | None) -> None:
        if isinstance(port, int) and not isinstance(port, bool):
            for proto in (protocol,) if protocol else PROTOS:
                out[proto].add((port, end if end is not None else port))

    snap = scenario.snapshot
    model_ports: list[PolicyPort] = [
        pp for pol in snap.policies for r in (*pol.ingress, *pol.egress) for pp in r.ports
    ]
    model_ports += [
        pp
        for ap in snap.admin_policies
        for ar in (*ap.ingress, *ap.egress)
        for pp in ar.ports or ()
    ]
    for pp in model_ports:
        add(pp.protocol, pp.port, pp.end_port)
    m = scenario.manifests
    for pol in m.policies.values():
        for rule in (*pol.ingress, *pol.egress):
            for p in rule.ports:
                add(p.protocol, p.port, p.end)
    for ap in m.admin.values():
        for arule in (*ap.ingress, *ap.egress):
            for p in arule.ports or ():
                add(p.protocol, p.port, p.end)
    for pod in snap.pods:
        for cp in pod.ports:
            add(cp.protocol, cp.port, None)
    for e in scenario.endpoints:
        for dcp in e.ports:
            add(dcp.protocol, dcp.port, None)
    return out


def _outside(port: int, ranges: Sequence[tuple[int, int]]) -> bool:
    return not any(lo <= port <= hi for lo, hi in ranges)


def representative_ports(scenario: Scenario, protocols: Iterable[Proto]) -> dict[Proto, list[int]]:
    """Per protocol: both ends of every range, the port after each, and a port outside all
    (every port outside all ranges is alike)."""
    out: dict[Proto, list[int]] = {}
    ranges = _ranges(scenario)
    for proto in protocols:
        points: set[int] = set()
        for lo, hi in ranges[proto]:
            if (lo, hi) == (0, 65535):
                continue  # every port alike: no boundary
            points.update((lo, hi, hi + 1))
        inside = sorted(ranges[proto])
        if not any(_outside(p, inside) for p in points if 1 <= p <= 65535):
            # one port no range names (a port after a range often is one already)
            candidates = (*UNLISTED_PORTS, *range(1, 65536))
            spare = next((p for p in candidates if _outside(p, inside)), None)
            if spare is not None:
                points.add(spare)
        out[proto] = sorted(p for p in points if 1 <= p <= 65535)
    return out


def _name(src: Endpoint, dst: Endpoint, family: int, both: bool) -> str:
    address = dst.pod.address(family)
    return render_address(address) if both and address is not None else ""


def pod_probes(
    scenario: Scenario, ports: Mapping[Proto, Sequence[int]], scope: set[str]
) -> tuple[list[Probe], int]:
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
            for family in families:
                name = _name(s, d, family, len(families) > 1)
                for proto, plist in ports.items():
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
    scenario: Scenario, ports: Mapping[Proto, Sequence[int]]
) -> dict[Proto, list[int]]:
    """Ports every pod listens on: the probed ones and every Service backend's pod port."""
    out = {proto: set(plist) for proto, plist in ports.items()}
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
