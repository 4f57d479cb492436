"""CIDRs as the API server reads them: Go's net.ParseCIDR (k8s.io/utils' ParseCIDRSloppy) with
Kubernetes' strict IP/CIDR validation (apimachinery validation/ip.go), not Python's ipaddress.

Python accepts what Go refuses: IPv6 zones (`fe80::1%eth0/64`) and netmask or hostmask
prefixes (`10.0.0.0/255.0.0.0`). Leading zeros in an IPv4 octet (`010.0.0.0/8`: octal to
libc, decimal to Go's sloppy parser) and IPv4-mapped IPv6 addresses are ambiguous, and
StrictIPCIDRValidation refuses them: so does netreach. Host bits beyond the prefix
(`10.0.0.1/8`) are read as the network, as the legacy fields always were.
"""

from __future__ import annotations

import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
INVALID = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
_DIGITS = frozenset("0123456789")


def parse_cidr(value: str) -> tuple[Network | None, str]:
    """(network, "") or (None, the API server's message)."""
    addr, sep, mask = value.partition("/")
    if not sep or not mask or not set(mask) <= _DIGITS:
        return None, INVALID
    if "%" in addr:
        return None, INVALID + "; an IPv6 zone (%...) is not allowed"
    if ":" in addr:
        try:
            ip6 = ipaddress.IPv6Address(addr)
        except ValueError:
            return None, INVALID
        if int(mask) > 128:
            return None, INVALID
        if ip6.ipv4_mapped is not None:
            return None, "must not have an IPv4-mapped IPv6 address"
        return ipaddress.IPv6Network((ip6, int(mask)), strict=False), ""
    parts = addr.split(".")
    if len(parts) != 4 or not all(p and len(p) <= 3 and set(p) <= _DIGITS for p in parts):
        return None, INVALID
    if any(int(p) > 255 for p in parts) or int(mask) > 32:
        return None, INVALID
    if any(len(p) > 1 and p[0] == "0" for p in parts):
        return None, "must not have leading 0s in IP or prefix length"
    return ipaddress.IPv4Network((addr, int(mask)), strict=False), ""
