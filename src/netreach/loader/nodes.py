"""Node objects: only what admin `nodes` peers need (labels and status addresses)."""

from __future__ import annotations

from typing import Any

from netreach.loader.check import Checker
from netreach.loader.meta import read_meta
from netreach.loader.names import is_dns1123_subdomain
from netreach.model import Location, Node, canonical_ip

# Address types that carry an IP (Hostname/InternalDNS/ExternalDNS carry names).
_IP_TYPES = frozenset({"InternalIP", "ExternalIP"})


def read_node(c: Checker, obj: dict[str, Any], loc: Location) -> Node:
    meta = read_meta(c, obj, is_dns1123_subdomain, namespaced=False)
    status = c.mapping(obj.get("status"), ("status",)) or {}
    addresses: list[str] = []
    path = ("status", "addresses")
    for i, item in enumerate(c.array(status.get("addresses"), path)):
        raw = c.mapping(item, (*path, i))
        if raw is None:
            continue
        kind = c.string(raw.get("type"), (*path, i, "type"))
        text = c.string(raw.get("address"), (*path, i, "address"))
        if kind not in _IP_TYPES or text is None:
            continue
        try:
            addresses.append(canonical_ip(text))
        except ValueError:
            c.invalid((*path, i, "address"), text, "must be a valid IP address")
    return Node(meta.name, meta.labels, tuple(dict.fromkeys(addresses)), loc)
