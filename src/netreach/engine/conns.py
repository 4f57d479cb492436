"""Connection sets: which protocol x port combinations a connection may use.

A small algebra (union, intersection, difference, emptiness, all) over TCP/UDP/SCTP x
1-65535, stored as sorted disjoint inclusive ranges per protocol. Values are immutable and
hashable, so the engine can intern them and cache operations on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache

from netreach.engine.intervals import Ranges
from netreach.engine.intervals import intersect as _intersect
from netreach.engine.intervals import normalize as _normalize
from netreach.engine.intervals import subtract as _subtract
from netreach.model import PROTOCOLS, Protocol

MIN_PORT = 1
MAX_PORT = 65535
_FULL: Ranges = ((MIN_PORT, MAX_PORT),)


def _ranges_text(ranges: Ranges) -> str:
    return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ranges)


class ConnectionSet:
    """An immutable set of (protocol, port) pairs.

    >>> ConnectionSet.ports("TCP", 80) | ConnectionSet.ports("UDP", 53)
    ConnectionSet('TCP 80; UDP 53')
    """

    __slots__ = ("_hash", "_ranges", "_text")

    def __init__(self, ranges: Mapping[Protocol, Iterable[tuple[int, int]]] | None = None) -> None:
        given = ranges or {}
        self._ranges: tuple[Ranges, Ranges, Ranges] = (
            _normalize(given.get("TCP", ())),
            _normalize(given.get("UDP", ())),
            _normalize(given.get("SCTP", ())),
        )
        self._hash = hash(self._ranges)
        self._text: str | None = None

    @classmethod
    def _of(cls, ranges: tuple[Ranges, Ranges, Ranges]) -> ConnectionSet:
        obj = cls.__new__(cls)
        obj._ranges = ranges
        obj._hash = hash(ranges)
        obj._text = None
        return obj

    # --- constructors ---------------------------------------------------------------------
    @classmethod
    def empty(cls) -> ConnectionSet:
        return EMPTY

    @classmethod
    def all(cls) -> ConnectionSet:
        return ALL

    @classmethod
    def ports(
        cls, protocol: Protocol, lo: int | None = None, hi: int | None = None
    ) -> ConnectionSet:
        """`protocol` on ports lo..hi; lo None means every port of the protocol."""
        if lo is None:
            rng: Ranges = _FULL
        else:
            rng = ((lo, hi if hi is not None else lo),)
        return cls({protocol: rng})

    @classmethod
    def from_json(cls, data: Mapping[str, Sequence[Sequence[int]]]) -> ConnectionSet:
        ranges: dict[Protocol, list[tuple[int, int]]] = {}
        for proto in PROTOCOLS:
            ranges[proto] = [(int(r[0]), int(r[1])) for r in data.get(proto, ())]
        return cls(ranges)

    # --- algebra ----------------------------------------------------------------------------
    def __or__(self, other: ConnectionSet) -> ConnectionSet:
        return _union(self, other)

    def __and__(self, other: ConnectionSet) -> ConnectionSet:
        return _intersection(self, other)

    def __sub__(self, other: ConnectionSet) -> ConnectionSet:
        return _difference(self, other)

    union = __or__
    intersection = __and__
    difference = __sub__

    def __bool__(self) -> bool:
        return not self.is_empty

    @property
    def is_empty(self) -> bool:
        return not (self._ranges[0] or self._ranges[1] or self._ranges[2])

    @property
    def is_all(self) -> bool:
        return self._ranges == (_FULL, _FULL, _FULL)

    def contains(self, protocol: Protocol, port: int) -> bool:
        for lo, hi in self._ranges[PROTOCOLS.index(protocol)]:
            if lo <= port <= hi:
                return True
            if lo > port:
                return False
        return False

    def __contains__(self, item: tuple[Protocol, int]) -> bool:
        return self.contains(item[0], item[1])

    def issubset(self, other: ConnectionSet) -> bool:
        return (self - other).is_empty

    def ranges(self, protocol: Protocol) -> Ranges:
        return self._ranges[PROTOCOLS.index(protocol)]

    def items(self) -> Iterator[tuple[Protocol, Ranges]]:
        """Protocols with at least one port, in TCP, UDP, SCTP order."""
        for proto, rng in zip(PROTOCOLS, self._ranges, strict=True):
            if rng:
                yield proto, rng

    def size(self) -> int:
        return sum(hi - lo + 1 for rng in self._ranges for lo, hi in rng)

    # --- text and data forms ----------------------------------------------------------------
    def __str__(self) -> str:
        """Canonical text: `All Connections`, `No Connections`, or `TCP 80,8000-8080; UDP 53`."""
        if self._text is None:
            self._text = self._render()
        return self._text

    def _render(self) -> str:
        if self.is_all:
            return "All Connections"
        if self.is_empty:
            return "No Connections"
        return "; ".join(f"{proto} {_ranges_text(rng)}" for proto, rng in self.items())

    def compat_text(self) -> str:
        """netpol-analyzer's form: protocols alphabetical, comma separated."""
        if self.is_all:
            return "All Connections"
        if self.is_empty:
            return "No Connections"
        parts = sorted(self.items(), key=lambda item: item[0])
        return ",".join(f"{proto} {_ranges_text(rng)}" for proto, rng in parts)

    def to_json(self) -> dict[str, list[list[int]]]:
        return {proto: [[lo, hi] for lo, hi in rng] for proto, rng in self.items()}

    def __repr__(self) -> str:
        return f"ConnectionSet({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConnectionSet) and self._ranges == other._ranges

    def __hash__(self) -> int:
        return self._hash

    @classmethod
    def parse(cls, text: str) -> ConnectionSet:
        """Read the canonical text (and netpol-analyzer's comma form) back."""
        text = text.strip()
        if text in ("All Connections", "all"):
            return ALL
        if text in ("No Connections", ""):
            return EMPTY
        ranges: dict[Protocol, list[tuple[int, int]]] = {p: [] for p in PROTOCOLS}
        current: Protocol | None = None
        for token in text.replace(";", ",").split(","):
            token = token.strip()
            if not token:
                continue
            head, _, rest = token.partition(" ")
            if head.upper() in PROTOCOLS:
                current = head.upper()  # type: ignore[assignment]
                token = rest.strip()
            if current is None:
                raise ValueError(f"port range {token!r} before any protocol in {text!r}")
            if not token:
                ranges[current].append((MIN_PORT, MAX_PORT))
                continue
            lo_s, _, hi_s = token.partition("-")
            ranges[current].append((int(lo_s), int(hi_s or lo_s)))
        return cls(ranges)


EMPTY = ConnectionSet._of(((), (), ()))
ALL = ConnectionSet._of((_FULL, _FULL, _FULL))


@lru_cache(maxsize=65536)
def _union(a: ConnectionSet, b: ConnectionSet) -> ConnectionSet:
    if a.is_empty or b.is_all:
        return b
    if b.is_empty or a.is_all:
        return a
    return ConnectionSet._of(
        tuple(_normalize(x + y) for x, y in zip(a._ranges, b._ranges, strict=True))  # type: ignore[arg-type]
    )


@lru_cache(maxsize=65536)
def _intersection(a: ConnectionSet, b: ConnectionSet) -> ConnectionSet:
    if a.is_empty or b.is_all:
        return a
    if b.is_empty or a.is_all:
        return b
    return ConnectionSet._of(
        tuple(_intersect(x, y) for x, y in zip(a._ranges, b._ranges, strict=True))  # type: ignore[arg-type]
    )


@lru_cache(maxsize=65536)
def _difference(a: ConnectionSet, b: ConnectionSet) -> ConnectionSet:
    if a.is_empty or b.is_empty:
        return a
    if b.is_all:
        return EMPTY
    return ConnectionSet._of(
        tuple(_subtract(x, y) for x, y in zip(a._ranges, b._ranges, strict=True))  # type: ignore[arg-type]
    )
