"""Lab addresses: every pod keeps the addresses of the snapshot (IPv4, IPv6 or both); a pod
without one gets, in each address family the snapshot uses, an address outside every CIDR
any policy names, so no ipBlock matches it, as none matches a pod without an IP.

The engine is then asked about a copy of the snapshot carrying exactly these addresses, so
both sides judge the same snapshot.
"""

from __future__ import annotations

import bisect
import dataclasses
import ipaddress
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from netreach.errors import NetreachError
from netreach.model import Pod, Snapshot

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Where addresses for pods without one come from, in order; then the node's gateway choices.
POD_POOLS: dict[int, tuple[str, ...]] = {
    4: ("10.244.0.0/16", "100.64.0.0/10", "172.16.0.0/12", "192.168.0.0/16", "10.0.0.0/8"),
    6: ("fd00:10:244::/64", "fd00:6e72::/32", "fc00::/7"),
}
SERVICE_POOLS: dict[int, tuple[str, ...]] = {4: ("10.96.0.0/12",), 6: ("fd00:10:96::/108",)}
GATEWAYS: dict[int, tuple[str, ...]] = {
    4: ("169.254.1.1", "169.254.1.2", "169.254.1.3"),
    6: ("fd00:6e72:6e72::1", "fd00:6e72:6e72::2", "fd00:6e72:6e72::3"),
}


def parse_address(text: str) -> Address | None:
    """An address from text, without any IPv6 zone: the lab renders addresses from their
    integer value only."""
    try:
        addr = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    return (
        ipaddress.ip_address(int(addr)) if addr.version == 4 else ipaddress.IPv6Address(int(addr))
    )


def parse_network(text: str) -> Network | None:
    """A CIDR (host bits allowed) from text, zone dropped; None when it is not one."""
    try:
        net = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None
    base = int(net.network_address)
    if net.version == 4:
        return ipaddress.IPv4Network((base, net.prefixlen))
    return ipaddress.IPv6Network((base, net.prefixlen))


@dataclass(frozen=True, slots=True)
class LabPod:
    """A pod as the lab runs it: its addresses, and whether it lives in the node's namespace."""

    id: str
    namespace: str
    host: bool
    v4: ipaddress.IPv4Address | None
    v6: ipaddress.IPv6Address | None
    assigned: bool = False  # the snapshot gave it no address: these are the lab's

    @property
    def addresses(self) -> tuple[Address, ...]:
        return tuple(a for a in (self.v4, self.v6) if a is not None)

    def address(self, family: int) -> Address | None:
        return self.v4 if family == 4 else self.v6

    @property
    def families(self) -> frozenset[int]:
        return frozenset(a.version for a in self.addresses)


@dataclass(frozen=True, slots=True)
class Addressing:
    pods: tuple[LabPod, ...]
    families: frozenset[int]
    gateways: dict[int, Address]
    notes: tuple[str, ...]

    def engine_snapshot(self, snapshot: Snapshot) -> Snapshot:
        """`snapshot` with every pod's addresses replaced by its lab addresses."""
        by_id = {p.id: p for p in self.pods}
        pods = [
            dataclasses.replace(p, ips=tuple(str(a) for a in by_id[p.id].addresses))
            for p in snapshot.pods
        ]
        return dataclasses.replace(snapshot, pods=pods)


class _Free:
    """Addresses of some pools that are outside every excluded network and not yet used."""

    def __init__(self, excluded: Iterable[Network], used: set[Address]) -> None:
        self.used = used
        self.excluded: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
        for net in excluded:
            self.excluded[net.version].append(
                (int(net.network_address), int(net.broadcast_address))
            )
        for version, spans in self.excluded.items():
            merged: list[tuple[int, int]] = []
            for lo, hi in sorted(spans):
                if merged and lo <= merged[-1][1] + 1:
                    merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
                else:
                    merged.append((lo, hi))
            self.excluded[version] = merged
        self.starts = {v: [lo for lo, _ in spans] for v, spans in self.excluded.items()}
        self.cursor: dict[tuple[str, bool], int] = {}

    def _covering(self, version: int, value: int) -> int | None:
        """The end of the excluded span covering `value`, if any (spans are disjoint)."""
        i = bisect.bisect_right(self.starts[version], value) - 1
        if i >= 0 and self.excluded[version][i][1] >= value:
            return self.excluded[version][i][1]
        return None

    def full(self, version: int) -> bool:
        """Whether the named networks cover the whole address space of `version`."""
        spans = self.excluded[version]
        top = 2**32 - 1 if version == 4 else 2**128 - 1
        return bool(spans) and spans[0][0] == 0 and spans[0][1] == top

    def take(self, pools: Sequence[str], version: int, outside: bool = True) -> Address | None:
        for text in pools:
            net = ipaddress.ip_network(text)
            # Resume where the last call stopped: addresses before it are taken or excluded.
            value = self.cursor.get((text, outside), int(net.network_address) + 2)
            last = int(net.broadcast_address) - 1
            while value <= last:
                end = self._covering(version, value) if outside else None
                if end is not None:
                    value = end + 1
                    continue
                addr = ipaddress.ip_address(value) if version == 4 else ipaddress.IPv6Address(value)
                value += 1
                if addr not in self.used:
                    self.used.add(addr)
                    self.cursor[(text, outside)] = value
                    return addr
            self.cursor[(text, outside)] = value
        return None


def assign(snapshot: Snapshot, named: Iterable[str]) -> Addressing:
    """Lab addresses for every pod of `snapshot`; `named` is every CIDR or address that any
    policy, admin policy or Node names (both readings)."""
    excluded = [n for n in (parse_network(t) for t in named) if n is not None]
    notes: list[str] = []
    own: list[tuple[Pod, ipaddress.IPv4Address | None, ipaddress.IPv6Address | None]] = []
    for pod in snapshot.pods:
        parsed = [a for a in (parse_address(t) for t in pod.ips) if a is not None]
        v4 = next((a for a in parsed if isinstance(a, ipaddress.IPv4Address)), None)
        v6 = next((a for a in parsed if isinstance(a, ipaddress.IPv6Address)), None)
        if len(parsed) > len([a for a in (v4, v6) if a is not None]):
            notes.append(
                f"pod {pod.id} has several addresses of one family: the lab uses the first"
            )
        own.append((pod, v4, v6))
    _refuse_shared(own)
    families = frozenset(a.version for _, v4, v6 in own for a in (v4, v6) if a is not None)
    used: set[Address] = {a for _, v4, v6 in own for a in (v4, v6) if a is not None}
    free = _Free(excluded, used)
    if not families:
        # No pod has an address: IPv4, unless policies name all of it (0.0.0.0/0) and IPv6
        # still has room outside every named CIDR.
        families = frozenset({6 if free.full(4) and not free.full(6) else 4})
    gateways: dict[int, Address] = {}
    for version in (4, 6):
        gw = next((a for t in GATEWAYS[version] if (a := parse_address(t)) not in used), None)
        if gw is None:
            raise NetreachError("every lab gateway address is a pod address of the snapshot")
        used.add(gw)
        gateways[version] = gw
    pods = []
    for pod, v4, v6 in own:
        if v4 is not None or v6 is not None:
            pods.append(LabPod(pod.id, pod.namespace, pod.host_network, v4, v6))
            continue
        got: dict[int, Address] = {}
        for version in sorted(families):
            addr = free.take(POD_POOLS[version], version)
            if addr is None:
                addr = free.take(POD_POOLS[version], version, outside=False)
                notes.append(
                    f"pod {pod.id} has no IP and every IPv{version} lab address is inside a "
                    f"CIDR some policy names: it runs as {addr}, which such ipBlocks match"
                )
            if addr is not None:
                got[version] = addr
        pods.append(
            LabPod(
                pod.id,
                pod.namespace,
                pod.host_network,
                got.get(4),  # type: ignore[arg-type]
                got.get(6),  # type: ignore[arg-type]
                assigned=True,
            )
        )
    return Addressing(tuple(pods), families, gateways, tuple(notes))


def _refuse_shared(
    own: Sequence[tuple[Pod, ipaddress.IPv4Address | None, ipaddress.IPv6Address | None]],
) -> None:
    """Two pods cannot hold one address, except host-network pods (they share their node's)."""
    owner: dict[Address, tuple[str, bool]] = {}
    clashes: list[str] = []
    for pod, v4, v6 in own:
        for a in (v4, v6):
            if a is None:
                continue
            first = owner.setdefault(a, (pod.id, pod.host_network))
            if first[0] != pod.id and not (first[1] and pod.host_network):
                clashes.append(f"{a} ({first[0]} and {pod.id})")
    if clashes:
        raise NetreachError(
            "several pods have the same IP address: " + ", ".join(sorted(set(clashes))[:10])
        )


def service_addresses(
    wanted: Iterable[tuple[str, tuple[str, ...]]], families: Iterable[int], used: set[Address]
) -> Iterator[tuple[str, dict[int, Address]]]:
    """A virtual IP per family for each (service id, cluster IPs as written): the written one
    when it is a free address of that family, else one from the lab's service range."""
    free = _Free((), used)
    for service_id, written in wanted:
        got: dict[int, Address] = {}
        for version in sorted(families):
            mine = [a for a in (parse_address(t) for t in written) if a and a.version == version]
            if mine and mine[0] not in used:
                used.add(mine[0])
                got[version] = mine[0]
                continue
            addr = free.take(SERVICE_POOLS[version], version)
            if addr is not None:
                got[version] = addr
        yield service_id, got
