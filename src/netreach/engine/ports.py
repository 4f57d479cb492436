"""Named ports: a rule's ports resolved towards one destination's container ports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netreach.engine.conns import ConnectionSet

if TYPE_CHECKING:
    from netreach.engine.compile import PortMatcher, PortsKey


def rule_conns(
    numeric: ConnectionSet,
    ports: tuple[PortMatcher, ...],
    has_named: bool,
    cache: dict[PortsKey | None, ConnectionSet],
    dst_ports: PortsKey | None,
) -> ConnectionSet:
    """What a rule's ports open towards one destination: the numeric ports plus its named
    ports resolved on that destination (cached per port map, the same for every replica)."""
    if not has_named:
        return numeric
    got = cache.get(dst_ports)
    if got is None:
        got = numeric
        for pm in ports:
            if pm.name is not None:
                got = got | pm.conns_for(dst_ports)
        cache[dst_ports] = got
    return got
