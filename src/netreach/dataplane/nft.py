"""Compile the dataplane's reading of a snapshot to one nftables table for the lab's node.

Every pod-to-pod packet is routed by the node, so one `forward` chain sees all of them; a pod's
traffic to itself is routed through the node too. Host-network pods live in the node: traffic
to them meets the `input` chain, traffic from them the `output` chain. A packet passes when
its source's egress allows it (or nothing isolates the source) and its destination's ingress
allows it. Each rule becomes one concatenated interval set per address family, keyed by the
selected pod's address; what an isolated pod does not allow is rejected with ICMP
admin-prohibited, so probes learn it at once. ClusterIP Services are translated by
kube-proxy-like DNAT rules before any of this.

User text is never syntax: chains and sets are named from indices, addresses and ports are
rendered from integers, protocols from a fixed table, and names appear only in comments
reduced to a safe character set. The output holds one table and nothing outside it.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from netreach.dataplane.addresses import Address, Network
from netreach.dataplane.objects import Proto
from netreach.dataplane.resolve import (
    Allowance,
    Direction,
    Endpoint,
    PortRange,
    ResolvedRule,
)
from netreach.dataplane.resolve_cni import Stage
from netreach.dataplane.services import LabService

TABLE = "netreach"
REJECT = "reject with icmpx type admin-prohibited"
_PROTO: dict[str, str] = {"TCP": "tcp", "UDP": "udp", "SCTP": "sctp"}
_FAMILY = {4: ("ip", "ipv4_addr"), 6: ("ip6", "ipv6_addr")}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


@dataclass(frozen=True, slots=True)
class RulesetInput:
    """What the compiler reads: the dataplane's resolved rules and the lab's layout."""

    endpoints: Sequence[Endpoint]
    rules: Sequence[ResolvedRule]  # NetworkPolicy rules
    admin: Sequence[ResolvedRule]  # Admin and Baseline rules, in evaluation order
    isolated: Mapping[Direction, Sequence[Endpoint]]
    services: Sequence[LabService] = ()
    self_allowed: bool = False  # --self-traffic allowed: a pod may always reach itself
    policies: int = 0
    admin_policies: int = 0
    # Calico's or Cilium's policies: every tier as stages, per direction (rules and admin
    # are then unused)
    stages: Mapping[Direction, Sequence[Stage]] | None = None
    cni_policies: int = 0


# --- rendering of values: only ever from parsed objects ------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9 ._/:;=,()\[\]+*!<>-]")


def safe(text: str, limit: int = 160) -> str:
    """User text as nft comment text: every other character becomes `?`, long text is cut.
    Such text can end neither a `#` comment (no newline) nor a quoted string (no quote)."""
    cleaned = _UNSAFE.sub("?", text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 3] + "..."


def render_address(a: Address) -> str:
    """From the integer value, so no zone or other text of the input comes along."""
    if a.version == 4:
        return str(ipaddress.IPv4Address(int(a)))
    return str(ipaddress.IPv6Address(int(a)))


def render_network(n: Network) -> str:
    prefix = int(n.prefixlen)
    full = 32 if n.version == 4 else 128
    base = render_address(n.network_address)
    return base if prefix == full else f"{base}/{prefix}"


def render_ports(r: PortRange) -> str:
    lo, hi = int(r[0]), int(r[1])
    if not 0 <= lo <= hi <= 65535:
        raise ValueError(f"port range out of bounds: {lo}-{hi}")
    return str(lo) if lo == hi else f"{lo}-{hi}"


def _comment(where: str) -> str:
    return f'comment "{safe(where, 120)}"'


# --- the ruleset ---------------------------------------------------------------------------


def render(spec: RulesetInput, table: str = TABLE, enforce: bool = True) -> str:
    """The nft script (for `nft -f`). With `enforce` False only the Service translation is
    loaded: every connection passes (the lab's check of itself)."""
    if not _NAME.match(table):
        raise ValueError(f"not a table name: {table!r}")
    out = _header(spec, enforce)
    out.append(f"table inet {table} {{")
    body: list[str] = []
    chains: list[str] = []
    if enforce:
        body, chains = _filter(spec)
    nat_sets, nat_chains = _services(spec.services)
    out += body + nat_sets + chains + nat_chains
    out.append("}")
    return "\n".join(out) + "\n"


def _header(spec: RulesetInput, enforce: bool) -> list[str]:
    what = "NetworkPolicies" + (" and admin tiers" if spec.admin_policies else "")
    if spec.stages is not None:
        what += f", with {spec.cni_policies} Calico/Cilium policies"
    lines = [
        f"# netreach: {what} compiled for the lab's node"
        + ("" if enforce else " (Service translation only)"),
        f"# ({len(spec.endpoints)} pods, {spec.policies} policies, "
        f"{spec.admin_policies} admin-tier policies).",
        "# A packet passes when the source's egress and the destination's ingress both allow",
        "# it. A pod is isolated in a direction when a policy with that policyType selects it.",
    ]
    for e in spec.endpoints:
        where = " (host network: the node)" if e.pod.host else ""
        addrs = ", ".join(render_address(a) for a in e.pod.addresses)
        lines.append(f"#   pod {safe(e.id)} = {addrs}{where}")
    for svc in spec.services:
        vips = ", ".join(render_address(a) for _, a in sorted(svc.vips.items()))
        lines.append(f"#   svc/{safe(svc.id)} = {vips}")
    return lines


def _set(
    name: str, typ: str, elements: Sequence[str], interval: bool = True, keyword: str = "set"
) -> list[str]:
    head = [f"  {keyword} {name} {{", f"    type {typ}"]
    if interval:
        head.append("    flags interval")
    if elements:
        head.append("    elements = {")
        head += [f"      {e}," for e in elements[:-1]] + [f"      {elements[-1]}"]
        head.append("    }")
    return [*head, "  }"]


def _key(direction: Direction, family: int) -> str:
    """For ingress the key is the destination (the selected pod), for egress the source."""
    p = _FAMILY[family][0]
    return f"{p} daddr . {p} saddr" if direction == "ingress" else f"{p} saddr . {p} daddr"


def _rule_sets(
    name: str, rule: ResolvedRule, verdict: str, header: str
) -> tuple[list[str], list[str]]:
    """The sets of one rule (one per address family) and the chain lines that use them."""
    sets: list[str] = [f"  # {safe(header)}"]
    lines: list[str] = []
    for family in (4, 6):
        elements = _elements(rule.entries, rule.has_ports, family)
        if not elements:
            continue
        typ = _FAMILY[family][1]
        set_name = f"{name}_{family}"
        if rule.has_ports:
            sets += _set(set_name, f"{typ} . {typ} . inet_proto . inet_service", elements)
            match = f"{_key(rule.direction, family)} . meta l4proto . th dport @{set_name}"
        else:
            sets += _set(set_name, f"{typ} . {typ}", elements)
            match = f"{_key(rule.direction, family)} @{set_name}"
        lines.append(f"    {match} {verdict} {_comment(rule.where)}")
    if not lines:
        sets.append("  #   (matches nothing here: no selected pod or no matching peer/port)")
    return sets, lines


def _iso_sets(spec: RulesetInput) -> list[str]:
    out: list[str] = []
    for direction, prefix in (("egress", "eg"), ("ingress", "in")):
        out.append(f"  # pods isolated for {direction}")
        pods = spec.isolated.get(direction, ())  # type: ignore[call-overload]
        for family in (4, 6):
            addrs = sorted({int(a) for e in pods if (a := e.pod.address(family)) is not None})
            make = ipaddress.IPv4Address if family == 4 else ipaddress.IPv6Address
            out += _set(
                f"{prefix}_iso{family}",
                _FAMILY[family][1],
                [render_address(make(a)) for a in addrs],
            )
    return out


def _self_sets(spec: RulesetInput) -> list[str]:
    out = ["  # --self-traffic allowed: a pod may always reach itself"]
    for family in (4, 6):
        typ = _FAMILY[family][1]
        pairs = sorted({int(a) for e in spec.endpoints if (a := e.pod.address(family)) is not None})
        make = ipaddress.IPv4Address if family == 4 else ipaddress.IPv6Address
        elements = [f"{render_address(make(a))} . {render_address(make(a))}" for a in pairs]
        out += _set(f"self{family}", f"{typ} . {typ}", elements, interval=False)
    return out


_CT = "    ct state established,related accept"
_ICMP = "    meta l4proto { icmp, ipv6-icmp } accept"


def _filter(spec: RulesetInput) -> tuple[list[str], list[str]]:
    if spec.stages is not None:
        sets, chains = _staged(spec.stages)
        if spec.self_allowed:
            sets = _self_sets(spec) + sets
        checks = {"egress": ["    jump egress"], "ingress": ["    jump ingress"]}
        return sets, chains + _hooks(spec, checks)
    sets = _iso_sets(spec)
    if spec.self_allowed:
        sets += _self_sets(spec)
    np_lines: dict[Direction, list[str]] = {"ingress": [], "egress": []}
    for i, rule in enumerate(spec.rules):
        verdict = "accept" if rule.direction == "ingress" else "return"
        header = f"{rule.where}: {rule.summary}"
        s, lines = _rule_sets(f"np{i}", rule, verdict, header)
        sets += s
        np_lines[rule.direction] += lines
    if spec.admin:
        tier_sets, chains = _tiered(spec.admin, np_lines)
        sets += tier_sets
        checks = {"egress": ["    jump egress"], "ingress": ["    jump ingress"]}
    else:
        chains = [
            "  # egress of isolated sources: 'return' hands an allowed packet on",
            "  chain egress {",
            *np_lines["egress"],
            f"    {REJECT}",
            "  }",
            "  chain ingress {",
            *np_lines["ingress"],
            f"    {REJECT}",
            "  }",
        ]
        checks = {
            "egress": ["    ip saddr @eg_iso4 jump egress", "    ip6 saddr @eg_iso6 jump egress"],
            "ingress": [
                "    ip daddr @in_iso4 jump ingress",
                "    ip6 daddr @in_iso6 jump ingress",
            ],
        }
    return sets, chains + _hooks(spec, checks)


def _hooks(spec: RulesetInput, checks: Mapping[str, list[str]]) -> list[str]:
    """The base chains: every packet a pod sends or receives meets the checks."""
    self_accept = (
        ["    ip saddr . ip daddr @self4 accept", "    ip6 saddr . ip6 daddr @self6 accept"]
        if spec.self_allowed
        else []
    )
    return [
        "  # pod to pod (and a pod to itself): the node routes it",
        "  chain forward {",
        "    type filter hook forward priority filter; policy accept;",
        _CT,
        *self_accept,
        *checks["egress"],
        *checks["ingress"],
        "  }",
        "  # to a host-network pod: only the source's egress (NetworkPolicy never selects it)",
        "  chain input {",
        "    type filter hook input priority filter; policy accept;",
        _CT,
        '    iif "lo" accept',
        _ICMP,
        *checks["egress"],
        "  }",
        "  # from a host-network pod: only the destination's ingress; the node's own rejects pass",
        "  chain output {",
        "    type filter hook output priority filter; policy accept;",
        _CT,
        '    oif "lo" accept',
        _ICMP,
        *checks["ingress"],
        "  }",
    ]


# What an admin action does in each direction's chain. Egress runs first and `return`s to
# the calling chain for the ingress check; Pass goes on to the NetworkPolicy tier.
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


def _tiered(
    admin: Sequence[ResolvedRule], np_lines: Mapping[Direction, list[str]]
) -> tuple[list[str], list[str]]:
    """Sets and chains with the admin tiers: Admin -> NetworkPolicy -> Baseline -> accept."""
    sets: list[str] = []
    tier_lines: dict[tuple[str, str], list[str]] = defaultdict(list)
    for i, rule in enumerate(admin):
        verdicts = _ADMIN_VERDICT if rule.tier == "Admin" else _BASELINE_VERDICT
        verdict = verdicts[(rule.direction, rule.action)]
        header = f"[{rule.tier}] {rule.summary} {rule.where}"
        s, lines = _rule_sets(f"ad{i}", rule, verdict, header)
        sets += s
        tier_lines[(rule.direction, rule.tier)] += lines
    chains = [
        "  # Admin tier: the first matching rule decides; Pass goes on to NetworkPolicy",
        "  chain egress {",
        *tier_lines[("egress", "Admin")],
        "    goto eg_np",
        "  }",
        "  chain eg_np {",
        "    ip saddr @eg_iso4 goto eg_np_rules",
        "    ip6 saddr @eg_iso6 goto eg_np_rules",
        "    goto eg_baseline",
        "  }",
        "  chain eg_np_rules {",
        *np_lines["egress"],
        f"    {REJECT}",
        "  }",
        "  chain eg_baseline {",
        *tier_lines[("egress", "Baseline")],
        "    return",
        "  }",
        "  chain ingress {",
        *tier_lines[("ingress", "Admin")],
        "    goto in_np",
        "  }",
        "  chain in_np {",
        "    ip daddr @in_iso4 goto in_np_rules",
        "    ip6 daddr @in_iso6 goto in_np_rules",
        "    goto in_baseline",
        "  }",
        "  chain in_np_rules {",
        *np_lines["ingress"],
        f"    {REJECT}",
        "  }",
        "  chain in_baseline {",
        *tier_lines[("ingress", "Baseline")],
        "    accept",
        "  }",
    ]
    return sets, chains


_STAGE_VERDICT = {
    ("egress", "Allow"): "return",
    ("egress", "Deny"): REJECT,
    ("ingress", "Allow"): "accept",
    ("ingress", "Deny"): REJECT,
}


def _staged(stages: Mapping[Direction, Sequence[Stage]]) -> tuple[list[str], list[str]]:
    """One chain per stage and direction, in evaluation order: the first rule that matches
    decides (Allow, Deny; Pass goes to the next stage's chain); then the stage's end denies
    the pods it closes; what no stage decided is allowed. Egress allows by `return`ing to
    the hook, which goes on to the ingress check."""
    sets: list[str] = []
    chains: list[str] = []
    n = 0
    for direction, prefix in (("egress", "eg"), ("ingress", "in")):
        mine = [s for s in stages.get(direction, ()) if s.rules or s.closed]  # type: ignore[call-overload]
        names = [f"{prefix}_s{i}" for i in range(len(mine))]
        last = "return" if direction == "egress" else "accept"
        chains += [
            f"  chain {direction} {{",
            f"    goto {names[0]}" if names else f"    {last}",
            "  }",
        ]
        for i, stage in enumerate(mine):
            after = f"goto {names[i + 1]}" if i + 1 < len(mine) else last
            lines: list[str] = []
            for rule in stage.rules:
                if rule.action == "Pass":
                    verdict = after if i + 1 < len(mine) else last
                else:
                    verdict = _STAGE_VERDICT[(direction, rule.action)]
                header = f"[{stage.title}] {rule.summary} {rule.where}"
                s, ls = _rule_sets(f"cn{n}", rule, verdict, header)
                n += 1
                sets += s
                lines += ls
            if stage.closed:
                p = "saddr" if direction == "egress" else "daddr"
                for family in (4, 6):
                    addrs = sorted(
                        {int(a) for e in stage.closed if (a := e.pod.address(family)) is not None}
                    )
                    make = ipaddress.IPv4Address if family == 4 else ipaddress.IPv6Address
                    set_name = f"{names[i]}_end{family}"
                    sets += _set(
                        set_name,
                        _FAMILY[family][1],
                        [render_address(make(a)) for a in addrs],
                    )
                    lines.append(f"    {_FAMILY[family][0]} {p} @{set_name} {REJECT}")
            chains += [
                f"  # {safe(stage.title)}: the first matching rule decides",
                f"  chain {names[i]} {{",
                *lines,
                f"    {after}",
                "  }",
            ]
    return sets, chains


def _services(services: Sequence[LabService]) -> tuple[list[str], list[str]]:
    """kube-proxy-like DNAT: VIP . protocol . port -> a chain choosing a backend (the DSCP
    value steers a probe to one backend; otherwise one at random) -> DNAT to pod:port."""
    if not services:
        return [], []
    entries: dict[int, list[str]] = {4: [], 6: []}
    chains: list[str] = ["  # Services: DNAT to a backend before any filter sees the packet"]
    for i, svc in enumerate(services):
        chains.append(f"  # svc/{safe(svc.id)}")
        for j, sp in enumerate(svc.ports):
            proto = _PROTO[sp.protocol]
            for family, backends in sorted(sp.backends.items()):
                vip = svc.vips.get(family)
                if vip is None or not backends:
                    continue
                p = _FAMILY[family][0]
                name = f"svc{i}_{j}_{family}"
                key = f"{render_address(vip)} . {proto} . {render_ports((sp.port, sp.port))}"
                entries[family].append(f"{key} : goto {name}")
                steer = ", ".join(
                    f"{int(b.dscp)} : goto {name}_{k}" for k, b in enumerate(backends)
                )
                pick = ", ".join(f"{k} : goto {name}_{k}" for k in range(len(backends)))
                chains += [
                    f"  chain {name} {{",
                    f"    {p} dscp vmap {{ {steer} }}",
                    f"    numgen random mod {len(backends)} vmap {{ {pick} }}",
                    "  }",
                ]
                for k, b in enumerate(backends):
                    addr = b.endpoint.pod.address(family)
                    assert addr is not None
                    target = render_ports((b.port, b.port))
                    dest = render_address(addr) if family == 4 else f"[{render_address(addr)}]"
                    chains += [
                        f"  chain {name}_{k} {{",
                        f"    meta l4proto {proto} dnat {p} to {dest}:{target}",
                        "  }",
                    ]
    sets: list[str] = []
    for family in (4, 6):
        typ = _FAMILY[family][1]
        typ = f"{typ} . inet_proto . inet_service : verdict"
        sets += _set(f"svc{family}", typ, entries[family], interval=False, keyword="map")
    lookups = [
        "    ip daddr . meta l4proto . th dport vmap @svc4",
        "    ip6 daddr . meta l4proto . th dport vmap @svc6",
    ]
    chains += [
        "  chain nat_pre {",
        "    type nat hook prerouting priority dstnat; policy accept;",
        *lookups,
        "  }",
        "  chain nat_out {",
        "    type nat hook output priority -100; policy accept;",
        *lookups,
        "  }",
    ]
    return sets, chains


def _elements(
    entries: Iterable[tuple[Endpoint, Allowance]], has_ports: bool, family: int
) -> list[str]:
    """Set elements of one rule for one family, made disjoint: the kernel refuses
    overlapping intervals."""
    by_key: dict[int, list[Allowance]] = defaultdict(list)
    for e, allowance in entries:
        addr = e.pod.address(family)
        if addr is not None:
            by_key[int(addr)].append(allowance)
    make = ipaddress.IPv4Address if family == 4 else ipaddress.IPv6Address
    lines: list[str] = []
    for key_int in sorted(by_key):
        key = render_address(make(key_int))
        allowances = by_key[key_int]
        if not has_ports:
            nets = ipaddress.collapse_addresses(  # type: ignore[type-var]
                n for a in allowances for n in a.nets if n.version == family
            )
            lines += [f"{key} . {render_network(n)}" for n in nets]
            continue
        per_proto: dict[Proto, list[tuple[Network, PortRange]]] = defaultdict(list)
        for a in allowances:
            assert a.ports is not None
            for proto, ranges in a.ports.items():
                per_proto[proto] += [(n, r) for n in a.nets if n.version == family for r in ranges]
        for proto in sorted(per_proto):
            for net, ports in _disjoint(per_proto[proto], family):
                lines += [
                    f"{key} . {render_network(net)} . {_PROTO[proto]} . {render_ports(r)}"
                    for r in ports
                ]
    return lines


def _disjoint(
    entries: list[tuple[Network, PortRange]], family: int
) -> list[tuple[Network, list[PortRange]]]:
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
    make = ipaddress.IPv4Address if family == 4 else ipaddress.IPv6Address
    out: list[tuple[Network, list[PortRange]]] = []
    for lo, hi, merged in segments:
        out += [(n, merged) for n in ipaddress.summarize_address_range(make(lo), make(hi - 1))]
    return out


def merge_ranges(ranges: Iterable[PortRange]) -> list[PortRange]:
    merged: list[PortRange] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged
