"""Services as the lab runs them: a virtual IP per address family, and for each port the
backends kube-proxy would send to (the pods the selector matches in the Service's namespace,
at the targetPort, a name looked up on each pod's container ports)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from netreach.dataplane.addresses import Address, service_addresses
from netreach.dataplane.objects import Proto, Service
from netreach.dataplane.resolve import Endpoint

# DSCP values 1..62 steer a probe to one backend; 0 (no steering) picks one at random.
MAX_STEERED = 62


@dataclass(frozen=True, slots=True)
class Backend:
    endpoint: Endpoint
    port: int  # the pod port
    dscp: int  # the DSCP value that steers a probe to this backend


@dataclass(frozen=True, slots=True)
class LabServicePort:
    port: int
    protocol: Proto
    backends: dict[int, tuple[Backend, ...]]  # per address family


@dataclass(frozen=True, slots=True)
class LabService:
    id: str  # ns/name
    vips: dict[int, Address]
    ports: tuple[LabServicePort, ...]

    @property
    def ref(self) -> str:
        return f"svc/{self.id}"


def lab_services(
    services: Sequence[Service],
    endpoints: Sequence[Endpoint],
    families: frozenset[int],
    used: set[Address],
) -> tuple[list[LabService], list[str]]:
    """The Services the lab translates, and notes on those it cannot."""
    notes: list[str] = []
    wanted: list[Service] = []
    for svc in services:
        sid = f"{svc.namespace}/{svc.name}"
        if svc.type == "ExternalName":
            notes.append(f"Service {sid} is ExternalName: DNS outside the cluster, not probed")
        elif svc.headless:
            notes.append(
                f"Service {sid} is headless: clients reach its pods directly (probed as pods)"
            )
        elif not svc.selector:
            notes.append(f"Service {sid} has no selector (hand-made endpoints): not probed")
        else:
            wanted.append(svc)
        if svc.type in ("NodePort", "LoadBalancer"):
            notes.append(f"Service {sid} is {svc.type}: only its cluster IP is probed")
    vips = dict(
        service_addresses(
            ((f"{s.namespace}/{s.name}", s.cluster_ips) for s in wanted), families, used
        )
    )
    out: list[LabService] = []
    for svc in wanted:
        sid = f"{svc.namespace}/{svc.name}"
        selector = svc.selector or {}
        pods = [
            e
            for e in endpoints
            if e.pod.namespace == svc.namespace
            and all(e.labels.get(k) == v for k, v in selector.items())
        ]
        ports = []
        seen: set[tuple[int, Proto]] = set()
        for sp in svc.ports:
            if not 1 <= sp.port <= 65535 or (sp.port, sp.protocol) in seen:
                continue  # the API server refuses both
            seen.add((sp.port, sp.protocol))
            per_family: dict[int, tuple[Backend, ...]] = {}
            for family in sorted(vips[sid]):
                backends = []
                for e in pods:
                    target = _target(e, sp.target, sp.protocol)
                    if target is not None and e.pod.address(family) is not None:
                        backends.append((e, target))
                if len(backends) > MAX_STEERED:
                    notes.append(
                        f"Service {sid} port {sp.port}/{sp.protocol} has {len(backends)} "
                        f"IPv{family} backends: the first {MAX_STEERED} are probed"
                    )
                per_family[family] = tuple(
                    Backend(e, port, i + 1) for i, (e, port) in enumerate(backends[:MAX_STEERED])
                )
            ports.append(LabServicePort(sp.port, sp.protocol, per_family))
        out.append(LabService(sid, vips[sid], tuple(ports)))
    return out, notes


def _target(e: Endpoint, target: int | str, protocol: Proto) -> int | None:
    """The pod port a Service port sends to on this pod (None: not an endpoint)."""
    port = target if isinstance(target, int) else None
    for cp in e.ports:
        if port is None and cp.name == target and cp.protocol == protocol:
            port = cp.port
    return port if port is not None and 1 <= port <= 65535 else None
