"""What to probe: lab IPs for pods that have none, the ports worth probing, the probe matrix."""

from __future__ import annotations

import dataclasses
import ipaddress
from collections import Counter
from collections.abc import Iterable, Sequence

from netreach.dataplane.probe import Probe
from netreach.dataplane.resolve import lab_pods, pod_ipv4
from netreach.errors import NetreachError
from netreach.model import Protocol, Snapshot

LAB_NET = ipaddress.IPv4Network("10.244.0.0/16")
UNLISTED_PORTS = (81, 1234, 4321, 12345)  # one port no policy names, to see defaults at work


def with_lab_ips(snapshot: Snapshot) -> tuple[Snapshot, dict[str, str]]:
    """A copy of `snapshot` where every non-hostNetwork pod has an IPv4 address, and the IPs
    assigned. The engine and the compiler must both read this copy."""
    owners = Counter(str(pod_ipv4(p)) for p in lab_pods(snapshot))
    dup = sorted(ip for ip, n in owners.items() if n > 1)
    if dup:
        raise NetreachError(f"several pods have the same IP address: {', '.join(dup)}")
    used = set(owners)
    free = (str(h) for h in LAB_NET.hosts() if str(h) not in used and int(h) & 0xFF not in (0, 1))
    assigned: dict[str, str] = {}
    pods = []
    for pod in snapshot.pods:
        if not pod.host_network and pod_ipv4(pod) is None:
            ip = next(free)
            assigned[pod.id] = ip
            pod = dataclasses.replace(pod, ips=(ip, *pod.ips))
        pods.append(pod)
    return dataclasses.replace(snapshot, pods=pods), assigned


def auto_ports(snapshot: Snapshot) -> list[int]:
    """Ports where verdicts can change: every port policies or pods name, both ends of every
    range and their outside neighbours, plus one port nobody names."""
    ports: set[int] = set()
    for policy in snapshot.policies:
        for rule in (*policy.ingress, *policy.egress):
            for pp in rule.ports:
                if isinstance(pp.port, int):
                    end = pp.end_port if pp.end_port is not None else pp.port
                    ports.update({pp.port - 1, pp.port, end, end + 1})
    for admin in snapshot.admin_policies:
        for arule in (*admin.ingress, *admin.egress):
            for pp in arule.ports or ():
                if isinstance(pp.port, int):
                    end = pp.end_port if pp.end_port is not None else pp.port
                    ports.update({pp.port - 1, pp.port, end, end + 1})
    for pod in snapshot.pods:
        ports.update(cp.port for cp in pod.ports)
    ports.add(next(p for p in UNLISTED_PORTS if p not in ports))
    return sorted(p for p in ports if 1 <= p <= 65535)


def matrix(snapshot: Snapshot, protocols: Sequence[Protocol], ports: Iterable[int]) -> list[Probe]:
    """Every ordered pair of distinct lab pods x protocol x port. A pod's traffic to itself
    stays on its loopback and never meets the node, so it is not probed."""
    ids = [p.id for p in lab_pods(snapshot)]
    port_list = sorted(set(ports))
    return [
        Probe(src, dst, proto, port)
        for src in ids
        for dst in ids
        if src != dst
        for proto in protocols
        for port in port_list
    ]
