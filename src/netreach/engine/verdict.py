"""One connection decided, with the reason: the verdict pipeline.

A connection needs egress allowed at the source AND ingress allowed at the destination. Each
direction is resolved through tiers in order; the NetworkPolicy tier is the one Kubernetes
core defines (isolated by any selecting policy -> allowed only if some rule of those
policies matches; not isolated -> allowed). Admin tiers slot in before and after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from netreach.engine import ipset
from netreach.engine.admin import AdminCompiledRule
from netreach.engine.compile import Compiled, CompiledRule
from netreach.engine.conns import ALL, ConnectionSet
from netreach.model import Direction, NetworkPolicy, Pod, Protocol

Endpoint = Pod | str  # a pod, or an IP address outside the cluster


def endpoint_id(ep: Endpoint) -> str:
    return ep.id if isinstance(ep, Pod) else ep


@dataclass(frozen=True)
class RuleMatch:
    """A rule that allows the connection: policy, direction, rule index, peer and port index."""

    rule: CompiledRule
    peer_index: int | None  # None: the rule has no peers (admits everyone)
    port_index: int | None  # None: the rule has no ports (every connection)

    @property
    def policy(self) -> NetworkPolicy:
        return self.rule.policy

    @property
    def location(self) -> str:
        loc = self.policy.location
        if loc is None:
            return ""
        return str(loc.at("spec", self.rule.direction, self.rule.index))

    def describe(self) -> str:
        key = "from" if self.rule.direction == "ingress" else "to"
        parts = [f"{self.policy.id} {self.rule.direction}[{self.rule.index}]"]
        parts.append(f"{key}[{self.peer_index}]" if self.peer_index is not None else f"(any {key})")
        parts.append(f"ports[{self.port_index}]" if self.port_index is not None else "(any port)")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy.id,
            "tier": "NetworkPolicy",
            "direction": self.rule.direction,
            "rule": self.rule.index,
            "peer": self.peer_index,
            "port": self.port_index,
            "location": self.location or None,
        }


Outcome = Literal["allowed", "denied", "not-evaluated"]
DecidedBy = Literal["Admin", "NetworkPolicy", "Baseline", "default"]


@dataclass(frozen=True)
class TierMatch:
    """An admin-tier rule that matched the connection (it decided it, or passed it on)."""

    rule: AdminCompiledRule
    peer_index: int

    @property
    def location(self) -> str:
        return self.rule.location

    def describe(self) -> str:
        return f"[{self.rule.tier}] {self.rule.action} ({self.rule.label})"

    def to_dict(self) -> dict[str, Any]:
        pol = self.rule.policy
        return {
            "policy": pol.name,
            "kind": pol.kind,
            "tier": pol.tier,
            "priority": pol.priority if pol.tier == "Admin" else None,
            "direction": self.rule.direction,
            "rule": self.rule.index,
            "rule_name": self.rule.rule.name or None,
            "action": self.rule.action,
            "peer": self.peer_index,
            "location": self.location or None,
        }


@dataclass(frozen=True)
class DirectionVerdict:
    """How one side (egress at the source, or ingress at the destination) decided."""

    direction: Direction
    pod: Pod | None  # None when that side is an external address (not evaluated)
    allowed: bool
    isolated: bool = False
    isolating: tuple[NetworkPolicy, ...] = ()
    matches: tuple[RuleMatch, ...] = ()
    note: str = ""
    chain: tuple[str, ...] = field(default=())  # one entry per tier that spoke
    near_misses: tuple[str, ...] = ()  # rules that matched the peer or the port, not both
    decided_by: DecidedBy = "NetworkPolicy"
    tier_matches: tuple[TierMatch, ...] = ()  # admin-tier rules that spoke, in order

    @property
    def reason(self) -> str:
        if self.pod is None:
            return self.note or "external address: not evaluated (only the pod's side counts)"
        if self.note:
            return self.note
        if self.decided_by in ("Admin", "Baseline") and self.chain:
            return " -> ".join(self.chain)
        if self.decided_by == "default" and self.chain:
            return " -> ".join(self.chain)
        if not self.isolated:
            return f"not isolated for {self.direction}: no policy selects it with {self._ptype}"
        if self.matches:
            return "allowed by " + "; ".join(m.describe() for m in self.matches)
        return f"no {self.direction} rule of the isolating policies admits this connection"

    @property
    def _ptype(self) -> str:
        return "policyTypes " + ("Ingress" if self.direction == "ingress" else "Egress")

    def to_dict(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "pod": self.pod.id if self.pod is not None else None,
            "evaluated": self.pod is not None,
            "allowed": self.allowed,
            "isolated": self.isolated,
            "isolated_by": [
                {"policy": p.id, "location": str(p.location) if p.location else None}
                for p in self.isolating
            ],
            "allowed_by": [m.to_dict() for m in self.matches],
            "reason": self.reason,
            "near_misses": list(self.near_misses),
            "decided_by": self.decided_by,
            "chain": list(self.chain),
            "tier_rules": [m.to_dict() for m in self.tier_matches],
        }


@dataclass(frozen=True)
class Verdict:
    src: Endpoint
    dst: Endpoint
    port: int
    protocol: Protocol
    egress: DirectionVerdict
    ingress: DirectionVerdict
    port_name: str | None = None  # the name the user gave, resolved on the destination
    service: str | None = None  # `ns/name` when the destination was given as a Service
    translation: str | None = None  # how the Service and its port became a pod and a pod port
    # Why the answer may be incomplete (objects netreach does not model, fields dropped by
    # --lenient); empty: the answer is exact. Computed by netreach.analyses.caveats.
    caveats: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.caveats

    @property
    def allowed(self) -> bool:
        return self.egress.allowed and self.ingress.allowed

    @property
    def reasons(self) -> tuple[DirectionVerdict, DirectionVerdict]:
        return (self.egress, self.ingress)

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def port_text(self) -> str:
        named = f" ({self.port_name})" if self.port_name else ""
        return f"{self.port}/{self.protocol}{named}"

    def explain(self) -> str:
        """A readable account of both directions."""
        word = "ALLOWED" if self.allowed else "DENIED"
        lines = [
            f"{endpoint_id(self.src)} -> {endpoint_id(self.dst)} port {self.port_text}: {word}"
            + (" (may be incomplete: see the caveats)" if self.caveats else "")
        ]
        lines.extend(f"  caveat: {c}" for c in self.caveats)
        if self.translation:
            lines.append(f"  via {self.translation}")
        for side in self.reasons:
            where = "egress from" if side.direction == "egress" else "ingress to"
            who = _describe_endpoint(
                side.pod
                if side.pod is not None
                else (self.src if side.direction == "egress" else self.dst)
            )
            mark = "allowed" if side.allowed else "denied"
            lines.append(f"  {where} {who}: {mark}")
            if side.chain:
                lines.append(f"    chain: {' -> '.join(side.chain)}")
                lines.extend(
                    f"    {m.describe()} ({m.location})" for m in side.tier_matches if m.location
                )
                if side.decided_by != "NetworkPolicy":
                    continue
            if side.pod is not None and side.isolated and side.isolating:
                iso = ", ".join(_with_location(p) for p in side.isolating)
                lines.append(f"    isolated by {iso}")
            if side.matches:
                for m in side.matches:
                    loc = f" ({m.location})" if m.location else ""
                    lines.append(f"    allowed by {m.describe()}{loc}")
            else:
                lines.append(f"    {side.reason}")
                lines.extend(f"    near miss: {n}" for n in side.near_misses)
        # One line per item: a newline inside a name (owner references are not validated)
        # must not forge a line.
        return "\n".join(line.replace("\n", "\\n") for line in lines)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "src": endpoint_id(self.src),
            "dst": endpoint_id(self.dst),
            "port": self.port,
            "port_name": self.port_name,
            "protocol": self.protocol,
            "allowed": self.allowed,
            "egress": self.egress.to_dict(),
            "ingress": self.ingress.to_dict(),
            "complete": self.complete,
            "caveats": list(self.caveats),
        }
        if self.service is not None:  # only when asked through a Service
            out["service"] = self.service
            out["translation"] = self.translation
        return out


def _describe_endpoint(ep: Endpoint) -> str:
    if isinstance(ep, Pod):
        return f"{ep.id} ({ep.workload.id})" if ep.workload.kind != "Pod" else ep.id
    return f"{ep} (external)"


def _with_location(p: NetworkPolicy) -> str:
    return f"{p.id} ({p.location})" if p.location is not None else p.id


def peer_keys(compiled: Compiled, peer: Endpoint) -> tuple[int | None, int | None]:
    """The other side as the matchers take it: a pod class, or an address on the IP line."""
    if isinstance(peer, Pod):
        return compiled.class_of.get(peer.id), None
    return None, ipset.ip_key(peer)


def decide_direction(
    compiled: Compiled,
    direction: Direction,
    pod: Pod,
    peer: Endpoint,
    protocol: Protocol,
    port: int,
    dst_pod: Pod | None,
) -> DirectionVerdict:
    """Egress at `pod` towards `peer`, or ingress at `pod` from `peer`, for one port."""
    if compiled.exempt(pod):
        return DirectionVerdict(
            direction, pod, True, note="host-network pod: NetworkPolicy does not select it"
        )
    np_verdict = _decide_network_policy(compiled, direction, pod, peer, protocol, port, dst_pod)
    admin, baseline = compiled.tier_rules(compiled.class_of[pod.id], direction)
    if not admin and not baseline:
        return np_verdict
    return _decide_tiers(np_verdict, admin, baseline, peer, protocol, port, dst_pod, compiled)


def _decide_tiers(
    np_verdict: DirectionVerdict,
    admin: list[AdminCompiledRule],
    baseline: list[AdminCompiledRule],
    peer: Endpoint,
    protocol: Protocol,
    port: int,
    dst_pod: Pod | None,
    compiled: Compiled,
) -> DirectionVerdict:
    """Admin tier (first matching rule; Pass goes on) -> NetworkPolicy -> Baseline -> allow."""
    peer_class, peer_key = peer_keys(compiled, peer)
    dst_ports = dst_pod.ports if dst_pod is not None else None
    spoke: list[TierMatch] = []

    def first(rules: list[AdminCompiledRule]) -> TierMatch | None:
        for rule in rules:
            pi = rule.matches_peer(peer_class, peer_key)
            if pi is not None and rule.conns_for(dst_ports).contains(protocol, port):
                return TierMatch(rule, pi)
        return None

    hit = first(admin)
    if hit is not None:
        spoke.append(hit)
        if hit.rule.action != "Pass":
            return replace(
                np_verdict,
                allowed=hit.rule.action == "Allow",
                matches=(),
                near_misses=(),
                chain=(hit.describe(),),
                decided_by="Admin",
                tier_matches=tuple(spoke),
            )
    chain = [m.describe() for m in spoke]
    if np_verdict.isolated:
        word = "allowed" if np_verdict.allowed else "denied"
        by = "; ".join(m.describe() for m in np_verdict.matches)
        chain.append(f"[NetworkPolicy] {word}" + (f" by {by}" if by else ": no rule admits it"))
        return replace(np_verdict, chain=tuple(chain), tier_matches=tuple(spoke))
    if spoke:
        chain.append("[NetworkPolicy] not isolated: no policy selects the pod")
    hit = first(baseline)
    if hit is not None:
        spoke.append(hit)
        chain.append(hit.describe())
        return replace(
            np_verdict,
            allowed=hit.rule.action != "Deny",
            chain=tuple(chain),
            decided_by="Baseline",
            tier_matches=tuple(spoke),
        )
    chain.append("[default] allowed: no tier decided it")
    return replace(np_verdict, chain=tuple(chain), decided_by="default", tier_matches=tuple(spoke))


def _decide_network_policy(
    compiled: Compiled,
    direction: Direction,
    pod: Pod,
    peer: Endpoint,
    protocol: Protocol,
    port: int,
    dst_pod: Pod | None,
) -> DirectionVerdict:
    ci = compiled.class_of[pod.id]
    isolating = tuple(compiled.policies[pi] for pi in compiled.isolating[direction][ci])
    if not isolating:
        return DirectionVerdict(direction, pod, True)
    peer_class, peer_key = peer_keys(compiled, peer)
    dst_ports = dst_pod.ports if dst_pod is not None else None
    matches: list[RuleMatch] = []
    near: list[str] = []
    other = "source" if direction == "ingress" else "destination"
    for rule in compiled.class_rules(ci, direction):
        peer_index = _matching_peer(rule, peer_class, peer_key)
        port_index = _matching_port(rule, protocol, port, dst_ports)
        if peer_index is not False and port_index is not False:
            matches.append(RuleMatch(rule, peer_index, port_index))
        elif peer_index is not False:
            opens = rule.conns_for(dst_ports)
            near.append(f"{rule.label} admits this {other} but only on {opens}")
        elif port_index is not False and rule.peers:
            peers = " OR ".join(str(pm.peer) for pm in rule.peers)
            near.append(f"{rule.label} opens this port but only for {peers}")
    return DirectionVerdict(
        direction,
        pod,
        bool(matches),
        isolated=True,
        isolating=isolating,
        matches=tuple(matches),
        near_misses=tuple(near) if not matches else (),
    )


def _matching_peer(
    rule: CompiledRule, peer_class: int | None, peer_key: int | None
) -> int | bool | None:
    """Index of the first peer admitting the other side; None if the rule admits everyone;
    False if no peer does."""
    if rule.all_peers:
        return None
    for pm in rule.peers:
        if peer_class is not None and pm.classes >> peer_class & 1:
            return pm.index
        if peer_key is not None and pm.ips and ipset.contains(pm.ips, peer_key):
            return pm.index
    return False


def _matching_port(
    rule: CompiledRule, protocol: Protocol, port: int, dst_ports: tuple[Any, ...] | None
) -> int | bool | None:
    if not rule.ports:
        return None
    for pm in rule.ports:
        if pm.conns_for(dst_ports).contains(protocol, port):
            return pm.index
    return False


def contributions(
    compiled: Compiled, direction: Direction, pod: Pod, peer: Endpoint
) -> list[tuple[CompiledRule, ConnectionSet]]:
    """The rules of `pod`'s isolating policies that admit `peer`, each with what it opens.

    Egress rules resolve named ports on the peer (the destination); ingress rules on `pod`.
    """
    if compiled.exempt(pod):
        return []
    ci = compiled.class_of[pod.id]
    peer_class, peer_key = peer_keys(compiled, peer)
    if direction == "ingress":
        dst_ports: tuple[Any, ...] | None = pod.ports
    else:
        dst_ports = peer.ports if isinstance(peer, Pod) else None
    out: list[tuple[CompiledRule, ConnectionSet]] = []
    for rule in compiled.class_rules(ci, direction):
        if _matching_peer(rule, peer_class, peer_key) is False:
            continue
        conns = rule.conns_for(dst_ports)
        if not conns.is_empty:
            out.append((rule, conns))
    return out


def tier_contributions(
    compiled: Compiled, direction: Direction, pod: Pod, peer: Endpoint
) -> list[tuple[AdminCompiledRule, ConnectionSet]]:
    """The Admin- and Baseline-tier rules that decide part of `pod`'s traffic with `peer`,
    each with the part it decides (first match wins within a tier; Baseline only decides for
    pods NetworkPolicy does not isolate, and only what the Admin tier left undecided).
    Actions are on the rule (`rule.action`): Allow, Deny or Pass."""
    if compiled.exempt(pod):
        return []
    ci = compiled.class_of[pod.id]
    admin, baseline = compiled.tier_rules(ci, direction)
    if not admin and not baseline:
        return []
    peer_class, peer_key = peer_keys(compiled, peer)
    if direction == "ingress":
        dst_ports: tuple[Any, ...] | None = pod.ports
    else:
        dst_ports = peer.ports if isinstance(peer, Pod) else None
    out: list[tuple[AdminCompiledRule, ConnectionSet]] = []

    def walk(rules: list[AdminCompiledRule], remaining: ConnectionSet) -> ConnectionSet:
        """Record each matching rule's part; return what stays undecided (passed or unmatched)."""
        undecided = remaining
        for rule in rules:
            if rule.matches_peer(peer_class, peer_key) is None:
                continue
            part = remaining & rule.conns_for(dst_ports)
            if part.is_empty:
                continue
            out.append((rule, part))
            remaining = remaining - part
            if rule.action != "Pass":
                undecided = undecided - part
        return undecided

    undecided = walk(admin, ALL)
    if not compiled.isolating[direction][ci]:
        walk(baseline, undecided)
    return out
