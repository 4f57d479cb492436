"""Reading netpol-analyzer's connectivity lists and comparing them with ours by meaning.

Its lists cut the IPv4 space at every ipBlock boundary of any policy and do not merge
neighbours; ours merge. So external endpoints are compared address by address (as ranges
re-partitioned on the union of both sides' boundaries), pod-level pairs by connection set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from netreach.engine import ipset
from netreach.engine.conns import EMPTY, ConnectionSet
from netreach.query.compare import recut
from netreach.query.connectivity import Connection

_EXTERNAL = re.compile(r"^(?P<lo>[0-9a-fA-F.:]+)-(?P<hi>[0-9a-fA-F.:]+)(\[External\])?$")
_LINE = re.compile(r"^(?P<src>\S+) => (?P<dst>\S+) : (?P<conns>.+)$")


@dataclass(frozen=True)
class Endpoint:
    """A workload id, or an external range (lo, hi) on the address line."""

    name: str | None
    lo: int = 0
    hi: int = 0

    @property
    def is_external(self) -> bool:
        return self.name is None


def parse_endpoint(text: str) -> Endpoint:
    m = _EXTERNAL.match(text)
    if m and ("." in m["lo"] or ":" in m["lo"]):
        return Endpoint(None, ipset.ip_key(m["lo"]), ipset.ip_key(m["hi"]))
    return Endpoint(text)


def parse_conns(text: str) -> tuple[ConnectionSet, tuple[str, ...]]:
    """The peer's connection text; named ports it could not resolve come back separately."""
    if text.strip() in ("All Connections", "No Connections"):
        return ConnectionSet.parse(text), ()
    names: list[str] = []
    kept: list[str] = []
    proto = ""
    for token in (t.strip() for t in text.split(",")):
        head, _, rest = token.partition(" ")
        if head in ("TCP", "UDP", "SCTP"):
            proto, token = head, rest
        if token and not token[0].isdigit():
            names.append(f"{proto} {token}")
            continue
        kept.append(f"{proto} {token}" if token else proto)
    if not kept and names:
        return EMPTY, tuple(names)
    return ConnectionSet.parse(",".join(kept)), tuple(names)


@dataclass
class ConnList:
    """Connections keyed by endpoints; external ranges kept per workload and direction."""

    pairs: dict[tuple[str, str], ConnectionSet] = field(default_factory=dict)
    # (workload, "egress"|"ingress") -> [(lo, hi, conns)]
    external: dict[tuple[str, str], list[tuple[int, int, ConnectionSet]]] = field(
        default_factory=dict
    )
    named_ports: list[str] = field(default_factory=list)

    def add(self, src: Endpoint, dst: Endpoint, conns: ConnectionSet) -> None:
        if src.is_external and dst.name is not None:
            self.external.setdefault((dst.name, "ingress"), []).append((src.lo, src.hi, conns))
        elif dst.is_external and src.name is not None:
            self.external.setdefault((src.name, "egress"), []).append((dst.lo, dst.hi, conns))
        elif src.name is not None and dst.name is not None:
            key = (src.name, dst.name)
            self.pairs[key] = self.pairs.get(key, EMPTY) | conns


def parse_connlist(lines: Iterable[str]) -> ConnList:
    out = ConnList()
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        m = _LINE.match(line)
        if m is None:
            raise ValueError(f"not a connection line: {line!r}")
        conns, names = parse_conns(m["conns"])
        out.named_ports += [f"{m['src']} => {m['dst']}: {n}" for n in names]
        out.add(parse_endpoint(m["src"]), parse_endpoint(m["dst"]), conns)
    return out


def from_connections(conns: Iterable[Connection], ipv4_only: bool = True) -> ConnList:
    out = ConnList()
    for c in conns:
        src, dst = parse_endpoint(c.src), parse_endpoint(c.dst)
        if ipv4_only and any(e.is_external and e.lo >= ipset.V6_OFFSET for e in (src, dst)):
            continue
        out.add(src, dst, c.conns)
    return out


def compare(expected: ConnList, actual: ConnList) -> list[str]:
    """Differences by meaning, as readable lines (empty: the lists agree)."""
    diffs: list[str] = []
    for key in sorted(set(expected.pairs) | set(actual.pairs)):
        e = expected.pairs.get(key, EMPTY)
        a = actual.pairs.get(key, EMPTY)
        if e != a:
            diffs.append(f"{key[0]} => {key[1]}: expected {e}, got {a}")
    for key in sorted(set(expected.external) | set(actual.external)):
        wl, direction = key
        cuts = recut(expected.external.get(key, []), actual.external.get(key, []))
        for lo, hi, e, a in cuts:
            if lo >= ipset.V4_SIZE:
                continue  # the peer's output is IPv4 only
            rng = ipset.range_text(lo, min(hi, ipset.V4_SIZE - 1))
            arrow = f"{wl} => {rng}" if direction == "egress" else f"{rng} => {wl}"
            diffs.append(f"{arrow}: expected {e}, got {a}")
    return diffs
