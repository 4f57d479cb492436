"""IP address sets as integer ranges over one key space: IPv4 first, then IPv6.

Keeping both families on one number line lets the engine cut the whole address space into
atoms with the same interval code it uses for ports.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from collections.abc import Iterable
from functools import lru_cache

from netreach.engine.intervals import Ranges, normalize, subtract
from netreach.model import IPBlock, ipv4_number

V4_SIZE = 1 << 32
V6_OFFSET = V4_SIZE
SPACE_END = V6_OFFSET + (1 << 128) - 1
V4_ALL: Ranges = ((0, V4_SIZE - 1),)
V6_ALL: Ranges = ((V6_OFFSET, SPACE_END),)
EVERYTHING: Ranges = ((0, SPACE_END),)


def ip_key(address: str) -> int:
    v4 = ipv4_number(address)  # pod IPs: no `ipaddress` object needed
    if v4 is not None:
        return v4
    ip = ipaddress.ip_address(address)
    return int(ip) if ip.version == 4 else V6_OFFSET + int(ip)


def key_address(key: int) -> str:
    if key < V4_SIZE:
        return str(ipaddress.IPv4Address(key))
    return str(ipaddress.IPv6Address(key - V6_OFFSET))


def range_text(lo: int, hi: int) -> str:
    """Inclusive range as text, e.g. `10.0.0.0-10.255.255.255`."""
    return f"{key_address(lo)}-{key_address(hi)}"


def parse_range(text: str) -> tuple[int, int]:
    """The inverse of `range_text` (`A-B`, or one address); raises ValueError."""
    lo, _, hi = text.partition("-")  # addresses never contain "-"
    return ip_key(lo), ip_key(hi or lo)


def cidr_range(cidr: str) -> tuple[int, int]:
    net = ipaddress.ip_network(cidr, strict=False)
    base = 0 if net.version == 4 else V6_OFFSET
    return base + int(net.network_address), base + int(net.broadcast_address)


@lru_cache(maxsize=4096)
def block_ranges(block: IPBlock) -> Ranges:
    """The addresses an ipBlock admits: cidr minus every except."""
    cut = normalize(cidr_range(c) for c in block.except_)
    return subtract((cidr_range(block.cidr),), cut)


def contains(ranges: Ranges, key: int) -> bool:
    i = bisect_right(ranges, (key, SPACE_END + 1)) - 1
    return i >= 0 and ranges[i][0] <= key <= ranges[i][1]


def union(parts: Iterable[Ranges]) -> Ranges:
    return normalize(r for part in parts for r in part)


class Atoms:
    """The address space cut at every boundary of the given ranges.

    Atom i covers [starts[i], starts[i+1]-1]; every given range is a union of whole atoms.
    """

    def __init__(self, cuts: Iterable[Ranges]) -> None:
        points = {0}
        for ranges in cuts:
            for lo, hi in ranges:
                points.add(lo)
                if hi < SPACE_END:
                    points.add(hi + 1)
        # Keep IPv4 and IPv6 apart: an atom never spans both families.
        points.add(V6_OFFSET)
        self.starts: list[int] = sorted(points)

    def __len__(self) -> int:
        return len(self.starts)

    def bounds(self, i: int) -> tuple[int, int]:
        hi = self.starts[i + 1] - 1 if i + 1 < len(self.starts) else SPACE_END
        return self.starts[i], hi

    def index(self, key: int) -> int:
        return bisect_right(self.starts, key) - 1

    def covered(self, ranges: Ranges) -> list[int]:
        """Indexes of the atoms inside `ranges` (which must be a union of atoms)."""
        out: list[int] = []
        for lo, hi in ranges:
            i = self.index(lo)
            while i < len(self.starts) and self.starts[i] <= hi:
                out.append(i)
                i += 1
        return out


__all__ = [
    "EVERYTHING",
    "V4_ALL",
    "V6_ALL",
    "Atoms",
    "block_ranges",
    "cidr_range",
    "contains",
    "ip_key",
    "key_address",
    "parse_range",
    "range_text",
    "subtract",
    "union",
]
