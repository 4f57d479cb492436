"""Compile a snapshot's NetworkPolicies to one nftables table for a node's forward hook.

Every pod-to-pod packet is routed by the node, so one `forward` chain sees all of them. A packet
passes when its source's egress allows it (or no policy isolates the source for egress) and its
destination's ingress allows it. Each policy rule becomes one concatenated interval set keyed by
the selected pod's IP, and one rule in the `egress` or `ingress` chain; anything not allowed by an
isolated pod's rules is rejected with ICMP admin-prohibited, so probes learn it at once.

Pure: no root, no kernel; this reads the validated policies, never the engine's verdicts.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable

from netreach.dataplane.resolve import (
    AdminResolvedRule,
    Allowance,
    IPv4Net,
    PortRange,
    Resolver,
    lab_pods,
    pod_ipv4,
)
from netreach.model import Protocol, Rule, Snapshot

TABLE = "netreach"
REJECT = "reject with icmpx type admin-prohibited"
_PROTO = {"TCP": "tcp", "UDP": "udp", "SCTP": "sctp"}
# For ingress the key is the destination (selected pod), for egress the source.
_MATCH = {
    "ingress": ("ip daddr . ip saddr", "accept"),
    "egress": ("ip saddr . ip daddr", "return"),
}
_ANY_TYPE = "ipv4_addr . ipv4_addr"
_PORTS_TYPE = "ipv4_addr . ipv4_addr . inet_proto . inet_service"


def compile_ruleset(snapshot: Snapshot, table: str = TABLE) -> str:
    """The nft script (for `nft -f`) enforcing `snapshot`'s policies between its pods."""
    resolver = Resolver(snapshot)
    rules = resolver.compile()
    pods = lab_pods(snapshot)
    iso: dict[str, set[str]] = {"ingress": set(), "egress": set()}
    for policy in snapshot.policies:
        for direction in policy.policy_types:
            iso[direction].update(str(pod_ipv4(p)) for p in resolver.selected(policy))

    out = [
        "# netreach: NetworkPolicies compiled for a node's forward hook",
        f"# ({len(pods)} pods, {len(snapshot.policies)} policies).",
        "# A packet passes when the source's egress and the destination's ingress both allow",
        "# it. A pod is isolated in a direction when a policy with that policyType selects it.",
        *(f"#   pod {safe(p.id)} = {pod_ipv4(p)}" for p in pods),
        f"table inet {table} {{",
    ]
    if snapshot.admin_policies:
        out[1] = f"# ({len(pods)} pods, {len(snapshot.policies)} policies, "
        out[1] += f"{len(snapshot.admin_policies)} admin-tier policies)."
    chains: dict[str, list[str]] = {"ingress": [], "egress": []}
    for direction in ("egress", "ingress"):
        prefix = "eg" if direction == "egress" else "in"
        out.append(f"  # pods isolated for {direction}")
        out += _set(f"{prefix}_iso", "ipv4_addr", sorted(iso[direction], key=_ip_key))
    counters = {"ingress": 0, "egress": 0}
    for cr in rules:
        prefix = "in" if cr.direction == "ingress" else "eg"
        name = f"{prefix}_{counters[cr.direction]}"
        counters[cr.direction] += 1
        where = safe(f"{cr.policy.id} {cr.direction}[{cr.index}]")
        out.append(f"  # {where}: {safe(describe(cr.rule, cr.direction))}")
        lines = _elements(cr.entries, bool(cr.rule.ports))
        key, verdict = _MATCH[cr.direction]
        if not lines:
            out.append("  #   (allows nothing here: no selected pod or no matching peer/port)")
            continue
        if cr.rule.ports:
            out += _set(name, _PORTS_TYPE, lines)
            match = f"{key} . meta l4proto . th dport @{name}"
        else:
            out += _set(name, _ANY_TYPE, lines)
            match = f"{key} @{name}"
        chains[cr.direction].append(f'    {match} {verdict} comment "{where}"')
    if snapshot.admin_policies:
        return "\n".join(out + _tiered(resolver.compile_admin(), chains)) + "\n"
    out += [
        "  # egress of isolated sources: 'return' hands an allowed packet to the ingress check",
        "  chain egress {",
        *chains["egress"],
        f"    {REJECT}",
        "  }",
        "  chain ingress {",
        *chains["ingress"],
        f"    {REJECT}",
        "  }",
        "  chain forward {",
        "    type filter hook forward priority filter; policy accept;",
        "    # replies (and their ICMP errors) belong to a connection already allowed",
        "    ct state established,related accept",
        "    ip saddr @eg_iso jump egress",
        "    ip daddr @in_iso jump ingress",
        "  }",
        "}",
    ]
    return "\n".join(out) + "\n"


# User text (names, labels, CIDRs as written) only ever reaches the ruleset inside a comment,
# reduced to characters that can neither end the comment nor the quoted string.
_UNSAFE = re.compile(r"[^A-Za-z0-9 ._/:=,()\[\]+*!<>-]")
_MAX_COMMENT = 160


def safe(text: str) -> str:
    """`text` as nft comment text: every other character becomes `?`, long text is cut."""
    cleaned = _UNSAFE.sub("?", text)
    return cleaned if len(cleaned) <= _MAX_COMMENT else cleaned[: _MAX_COMMENT - 3] + "..."


def describe(rule: Rule, direction: str) -> str:
    word = "from" if direction == "ingress" else "to"
    peers = "; ".join(str(p) for p in rule.peers) if rule.peers else "anywhere"
    ports = ", ".join(str(p) for p in rule.ports) if rule.ports else "all ports"
    return f"{word} {peers}; {ports}"


def _set(name: str, typ: str, elements: list[str]) -> list[str]:
    head = [f"  set {name} {{", f"    type {typ}", "    flags interval"]
    if elements:
        head.append("    elements = {")
        head += [f"      {e}," for e in elements[:-1]] + [f"      {elements[-1]}"]
        head.append("    }")
    return [*head, "  }"]


# What an admin action does in each direction's chain. Egress runs first and `return`s to
# the forward chain for the ingress check; Pass jumps to the NetworkPolicy tier.
_ADMIN_VERDICT = {
    ("egress", "Allow"): "return",
    ("egress", "Deny"): REJECT,
    ("egress", "Pass"): "goto eg_np",
    ("ingress", "Allow"): "accept",
    ("ingress", "Deny"): REJECT,
    ("ingress", "Pass"): "goto in_np",
}
_BASELINE_VERDICT = {
    ("egress", "Allow"): "return",
    ("egress", "Deny"): REJECT,
    ("egress", "Pass"): "return",
    ("ingress", "Allow"): "accept",
    ("ingress", "Deny"): REJECT,
    ("ingress", "Pass"): "accept",
}


def _tiered(admin: list[AdminResolvedRule], np_rules: dict[str, list[str]]) -> list[str]:
    """Sets and chains with the admin tiers: Admin -> NetworkPolicy -> Baseline -> accept.

    `np_rules` holds the NetworkPolicy rule lines per direction (their sets are already out).
    """
    out: list[str] = []
    tier_rules: dict[tuple[str, str], list[str]] = defaultdict(list)
    for i, ar in enumerate(admin):
        prefix = "in" if ar.direction == "ingress" else "eg"
        tier = ar.policy.tier
        name = f"{prefix}_{tier.lower()}_{i}"
        rule_name = f" ({safe(ar.rule.name)})" if ar.rule.name else ""
        where = safe(f"{ar.policy.kind}/{ar.policy.name} {ar.direction}[{ar.index}]")
        out.append(f"  # [{tier}] {ar.rule.action} {where}{rule_name}")
        lines = _elements(ar.entries, ar.has_ports)
        if not lines:
            out.append("  #   (matches nothing here: no subject pod or no matching peer/port)")
            continue
        key, _ = _MATCH[ar.direction]
        if ar.has_ports:
            out += _set(name, _PORTS_TYPE, lines)
            match = f"{key} . meta l4proto . th dport @{name}"
        else:
            out += _set(name, _ANY_TYPE, lines)
            match = f"{key} @{name}"
        verdicts = _ADMIN_VERDICT if tier == "Admin" else _BASELINE_VERDICT
        verdict = verdicts[(ar.direction, ar.rule.action)]
        tier_rules[(ar.direction, tier)].append(f'    {match} {verdict} comment "{where}"')
    return [
        *out,
        "  # Admin tier: the first matching rule decides; Pass goes on to NetworkPolicy",
        "  chain egress {",
        *tier_rules[("egress", "Admin")],
        "    goto eg_np",
        "  }",
        "  chain eg_np {",
        "    ip saddr @eg_iso goto eg_np_rules",
        "    goto eg_baseline",
        "  }",
        "  chain eg_np_rules {",
        *np_rules["egress"],
        f"    {REJECT}",
        "  }",
        "  chain eg_baseline {",
        *tier_rules[("egress", "Baseline")],
        "    return",
        "  }",
        "  chain ingress {",
        *tier_rules[("ingress", "Admin")],
        "    goto in_np",
        "  }",
        "  chain in_np {",
        "    ip daddr @in_iso goto in_np_rules",
        "    goto in_baseline",
        "  }",
        "  chain in_np_rules {",
        *np_rules["ingress"],
        f"    {REJECT}",
        "  }",
        "  chain in_baseline {",
        *tier_rules[("ingress", "Baseline")],
        "    accept",
        "  }",
        "  chain forward {",
        "    type filter hook forward priority filter; policy accept;",
        "    ct state established,related accept",
        "    jump egress",
        "    jump ingress",
        "  }",
        "}",
    ]


def _elements(
    entries: Iterable[tuple[ipaddress.IPv4Address, Allowance]], has_ports: bool
) -> list[str]:
    """Set elements of one rule, made disjoint: the kernel refuses overlapping intervals."""
    by_key: dict[ipaddress.IPv4Address, list[Allowance]] = defaultdict(list)
    for ip, allowance in entries:
        by_key[ip].append(allowance)
    lines: list[str] = []
    for ip in sorted(by_key):
        allowances = by_key[ip]
        if not has_ports:
            nets = ipaddress.collapse_addresses(n for a in allowances for n in a.nets)
            lines += [f"{ip} . {_net(n)}" for n in nets]
            continue
        per_proto: dict[Protocol, list[tuple[IPv4Net, PortRange]]] = defaultdict(list)
        for a in allowances:
            assert a.ports is not None
            for proto, ranges in a.ports.items():
                per_proto[proto] += [(n, r) for n in a.nets for r in ranges]
        for proto in sorted(per_proto):
            for net, ports in _disjoint(per_proto[proto]):
                lines += [f"{ip} . {_net(net)} . {_PROTO[proto]} . {_port(r)}" for r in ports]
    return lines


def _disjoint(
    entries: list[tuple[IPv4Net, PortRange]],
) -> list[tuple[IPv4Net, list[PortRange]]]:
    """Split overlapping (prefix, port range) pairs into disjoint prefixes, each with the
    merged port ranges of every entry covering it."""
    bounds = sorted(
        {int(n.network_address) for n, _ in entries}
        | {int(n.broadcast_address) + 1 for n, _ in entries}
    )
    segments: list[tuple[int, int, list[PortRange]]] = []
    for lo, hi in itertools.pairwise(bounds):
        ranges = [
            r
            for n, r in entries
            if int(n.network_address) <= lo and hi - 1 <= int(n.broadcast_address)
        ]
        merged = merge_ranges(ranges)
        if not merged:
            continue
        if segments and segments[-1][1] == lo and segments[-1][2] == merged:
            segments[-1] = (segments[-1][0], hi, merged)  # same ports: extend the segment
        else:
            segments.append((lo, hi, merged))
    out: list[tuple[IPv4Net, list[PortRange]]] = []
    for lo, hi, merged in segments:
        first, last = ipaddress.IPv4Address(lo), ipaddress.IPv4Address(hi - 1)
        out += [(n, merged) for n in ipaddress.summarize_address_range(first, last)]
    return out


def merge_ranges(ranges: Iterable[PortRange]) -> list[PortRange]:
    merged: list[PortRange] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def _net(n: IPv4Net) -> str:
    return str(n.network_address) if n.prefixlen == 32 else str(n)


def _port(r: PortRange) -> str:
    return str(r[0]) if r[0] == r[1] else f"{r[0]}-{r[1]}"


def _ip_key(ip: str) -> int:
    return int(ipaddress.IPv4Address(ip))
