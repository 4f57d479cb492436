"""External address ranges as people read them: CIDRs (or single addresses), not `first-last`.

Machine formats (json, csv) keep the range ids, which every output shares so they can be
joined (docs/output.md); human formats (text, tables, Markdown, dot) show the minimal list of
CIDR blocks that covers exactly the same addresses."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from netreach.analyses.summary import is_address_range


@lru_cache(maxsize=4096)
def cidrs(node_id: str) -> str:
    """`10.0.0.0-10.0.255.255` -> `10.0.0.0/16`; `0.0.0.0-10.96.0.0` -> `0.0.0.0/5, ...,
    10.96.0.0`; anything that is not an address range is returned as it is."""
    if not is_address_range(node_id):
        return node_id
    first, _, last = node_id.partition("-")
    lo, hi = ipaddress.ip_address(first), ipaddress.ip_address(last)
    if lo.version != hi.version or int(lo) > int(hi):
        return node_id
    blocks = ipaddress.summarize_address_range(lo, hi)
    return ", ".join(str(b.network_address) if b.num_addresses == 1 else str(b) for b in blocks)


def shown(node_id: str, compat: bool = False) -> str:
    """A node id in a human format: CIDRs for an address range; unchanged with `compat` (a
    peer tool's format prints ranges)."""
    return node_id if compat else cidrs(node_id)
