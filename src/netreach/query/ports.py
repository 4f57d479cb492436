"""The port syntax, read one way by every command and file: `5432`, `5432/TCP`, `53/udp`,
`8000-8080/TCP`, a container port name (`http`, `dns/UDP`), and comma lists of these.

TCP when no protocol is given. A name must be one a container port can have (IANA_SVC_NAME,
as the API server checks it) and is resolved on each destination pod. Every message quotes
the user's text (shortened) and says what was expected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from netreach.engine.conns import EMPTY, ConnectionSet
from netreach.loader.names import is_valid_port_name
from netreach.model import PROTOCOLS, Pod, Protocol

NamedPort = tuple[str, Protocol]

EXPECTED = "expected PORT[-END][/PROTOCOL] or a port name, e.g. 8080/TCP"


class PortSyntaxError(ValueError):
    """A port, range, name or protocol that does not follow the syntax."""


@dataclass(frozen=True, slots=True)
class PortSpec:
    """A port number, a range, or a container port name (resolved on each destination)."""

    protocol: Protocol
    lo: int = 0
    hi: int = 0
    name: str | None = None

    @property
    def number(self) -> int | str:
        """The one port a connection goes to: a number or a name (ranges: the first)."""
        return self.name if self.name is not None else self.lo

    @property
    def conns(self) -> ConnectionSet:
        """The numbers as a connection set (a name: empty; see `conns_for`)."""
        if self.name is not None:
            return EMPTY
        return ConnectionSet.ports(self.protocol, self.lo, self.hi)

    def conns_for(self, dst: Pod | None) -> ConnectionSet:
        if self.name is None:
            return self.conns
        if dst is None:
            return EMPTY  # an address outside the cluster has no named ports
        out = EMPTY
        for cp in dst.ports:
            if cp.name == self.name and cp.protocol == self.protocol:
                out = out | ConnectionSet.ports(cp.protocol, cp.port)
        return out

    def __str__(self) -> str:
        if self.name is not None:
            return f"{self.name}/{self.protocol}"
        span = str(self.lo) if self.lo == self.hi else f"{self.lo}-{self.hi}"
        return f"{span}/{self.protocol}"


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "...")


def parse_protocol(text: str) -> Protocol:
    """`tcp`, `UDP`, `Sctp` -> the protocol."""
    proto = text.strip().upper()
    for p in PROTOCOLS:
        if p == proto:
            return p
    raise PortSyntaxError(f"unknown protocol {_shown(text.strip())} (expected TCP, UDP or SCTP)")


def parse_port(
    text: str,
    *,
    names: bool = True,
    ranges: bool = True,
    protocol: bool = True,
    name_rule: Callable[[str], list[str]] = is_valid_port_name,
) -> PortSpec:
    """One port. `names`: a name is allowed, valid by `name_rule` (a container port's by
    default; a Service port's is a DNS-1123 label); `ranges`: `LO-HI` is allowed;
    `protocol`: a `/PROTOCOL` suffix is allowed (else the port is TCP)."""
    raw = text.strip()
    port, slash, proto = raw.partition("/")
    if not port:
        raise PortSyntaxError(f"port {_shown(raw)}: no port number or name ({EXPECTED})")
    if slash and not protocol:
        raise PortSyntaxError(f"port {_shown(raw)}: no protocol here, only PORT[-END]")
    try:
        protocol_: Protocol = parse_protocol(proto) if slash else "TCP"
    except PortSyntaxError:
        raise PortSyntaxError(
            f"port {_shown(raw)}: unknown protocol {_shown(proto)} (expected TCP, UDP or SCTP)"
        ) from None
    lo_s, dash, hi_s = port.partition("-")
    if lo_s.isascii() and lo_s.isdigit() and (not dash or (hi_s.isascii() and hi_s.isdigit())):
        if dash and not ranges:
            raise PortSyntaxError(f"port {_shown(port)}: one port here, not a range")
        # five digits at most also keeps int() off 5,000-digit text
        lo = int(lo_s) if len(lo_s) <= 5 else 0
        hi = (int(hi_s) if len(hi_s) <= 5 else 0) if dash else lo
        if not 1 <= lo <= hi <= 65535:
            raise PortSyntaxError(f"port {_shown(port)} is not within 1-65535 (low-high)")
        return PortSpec(protocol_, lo, hi)
    if not names:
        raise PortSyntaxError(
            f"port {_shown(port)} is not a port or range (a number, or LO-HI); "
            "a port name is not allowed here"
        )
    if name_rule(port):
        raise PortSyntaxError(
            f"port {_shown(port)} is neither a number, a range nor a port name ({EXPECTED})"
        )
    return PortSpec(protocol_, name=port)


def parse_port_list(
    text: str, *, names: bool = True, protocol: bool = True
) -> tuple[ConnectionSet, frozenset[NamedPort]]:
    """`53/UDP,53/TCP,8000-8080,http`: the numbers as a connection set, and the names with
    their protocols."""
    conns = EMPTY
    named: set[NamedPort] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        spec = parse_port(part, names=names, protocol=protocol)
        if spec.name is not None:
            named.add((spec.name, spec.protocol))
        else:
            conns = conns | spec.conns
    if conns.is_empty and not named:
        raise PortSyntaxError(f"no port given in {_shown(text)} ({EXPECTED})")
    return conns, frozenset(named)


def parse_numbers(text: str) -> list[int]:
    """`80,8000-8010`: the port numbers, sorted, each once (no names, no protocols)."""
    conns, _ = parse_port_list(text, names=False, protocol=False)
    return [p for lo, hi in conns.ranges("TCP") for p in range(lo, hi + 1)]
