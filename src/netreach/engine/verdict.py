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
from netreach.engine.classes import PortsKey
from netreach.engine.compile import Compiled
from netreach.engine.conns import EMPTY, ConnectionSet
from netreach.engine.rules import AnyRule, PolicyObject
from netreach.engine.tiers import Program, Stage, walk
from netreach.model import AdminPolicy, CalicoPolicy, Direction, NetworkPolicy, Pod, Protocol

Endpoint = Pod | str  # a pod, or an IP address outside the cluster


def endpoint_id(ep: Endpoint) -> str:
    return ep.id if isinstance(ep, Pod) else ep


@dataclass(frozen=True)
class RuleMatch:
    """A rule that spoke for the connection: a NetworkPolicy rule that allows it, or an
    admin-tier rule that decided it (or passed it on); with the peer and port it matched."""

    rule: AnyRule
    peer_index: int | None  # None: the rule has no peers (admits everyone)
    port_index: int | None = None  # None: the rule has no ports (every connection)

    @property
    def policy(self) -> PolicyObject:
        policy: PolicyObject = self.rule.policy
        return policy

    @property
    def location(self) -> str:
        return self.rule.location

    def describe(self) -> str:
        rule = self.rule
        if rule.tier in ("Calico", "Cilium"):
            where = f"{self.policy.id} {rule.list_name}[{rule.index}]"
            pol = rule.policy
            if isinstance(pol, CalicoPolicy):
                order = "none" if pol.order is None else f"{pol.order:g}"
                where += f", tier {pol.tier}, order {order}"
            return f"{rule.action} ({where})"
        if rule.tier != "NetworkPolicy":
            return f"[{rule.tier}] {rule.action} ({rule.label})"
        key = "from" if rule.direction == "ingress" else "to"
        parts = [f"{self.policy.id} {rule.direction}[{rule.index}]"]
        parts.append(f"{key}[{self.peer_index}]" if self.peer_index is not None else f"(any {key})")
        parts.append(f"ports[{self.port_index}]" if self.port_index is not None else "(any port)")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        rule = self.rule
        pol = rule.policy
        if isinstance(pol, NetworkPolicy):
            return {
                "policy": pol.id,
                "tier": "NetworkPolicy",
                "direction": rule.direction,
                "rule": rule.index,
                "peer": self.peer_index,
                "port": self.port_index,
                "location": self.location or None,
            }
        if not isinstance(pol, AdminPolicy):  # Calico, Cilium
            return {
                "policy": pol.id,
                "kind": rule.kind,
                "tier": pol.tier if isinstance(pol, CalicoPolicy) else "Cilium",
                "order": pol.order if isinstance(pol, CalicoPolicy) else None,
                "direction": rule.direction,
                "list": rule.list_name,
                "rule": rule.index,
                "action": rule.action,
                "peer": self.peer_index,
                "port": self.port_index,
                "location": self.location or None,
            }
        return {
            "policy": pol.name,
            "kind": pol.kind,
            "tier": pol.tier,
            "priority": pol.priority if pol.tier == "Admin" else None,
            "direction": rule.direction,
            "rule": rule.index,
            "rule_name": rule.name or None,
            "action": rule.action,
            "peer": self.peer_index,
            "location": self.location or None,
        }


Outcome = Literal["allowed", "denied", "not-evaluated"]
DecidedBy = Literal["Admin", "NetworkPolicy", "Baseline", "Calico", "Cilium", "default"]


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
    tier_matches: tuple[RuleMatch, ...] = ()  # admin-tier rules that spoke, in order

    @property
    def reason(self) -> str:
        if self.pod is None:
            return self.note or "external address: not evaluated (only the pod's side counts)"
        if self.note:
            return self.note
        if self.decided_by in ("Admin", "Baseline", "Calico", "Cilium") and self.chain:
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
    # --lenient); empty: the answer is exact. Computed by netreach.query.caveats.
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
    """Egress at `pod` towards `peer`, or ingress at `pod` from `peer`, for one port: the
    tier walk (engine/tiers.py) on that one connection, with the reasons."""
    if compiled.exempt(pod):
        return DirectionVerdict(
            direction, pod, True, note="host-network pod: NetworkPolicy does not select it"
        )
    ci = compiled.class_of[pod.id]
    program = compiled.program(ci, direction)
    if isinstance(peer, Pod) and peer.id == pod.id:
        program = program.without(lambda r: r.self_exempt)  # its own IP: CNP stays out
    peer_class, peer_key = peer_keys(compiled, peer)
    dst_ports = dst_pod.ports if dst_pod is not None else None
    conn = ConnectionSet.ports(protocol, port)
    hits: dict[int, RuleMatch] = {}

    def matches(rule: AnyRule) -> ConnectionSet:
        ok, peer_index = rule.admits(peer_class, peer_key)
        if not ok:
            return EMPTY
        opens, port_index = rule.port_index(protocol, port, dst_ports)
        if not opens:
            return EMPTY
        hits[rule.id] = RuleMatch(rule, peer_index, port_index)
        return conn

    spoke: list[RuleMatch] = []
    state = walk(program, matches, lambda rule, _part: spoke.append(hits[rule.id]))
    allowed = state.result.contains(protocol, port)

    isolating = tuple(compiled.policies[pi] for pi in compiled.isolating[direction][ci])
    np_rules = [r for s in program.stages if s.tier == "NetworkPolicy" for r in s.rules]
    # NetworkPolicy rules add up: every one that admits the connection is a reason.
    np_matches = tuple(hits[r.id] for r in np_rules if r.id in hits)
    near = (
        _near_misses(np_rules, direction, peer_class, peer_key, dst_ports)
        if isolating and not np_matches
        else ()
    )
    base = DirectionVerdict(
        direction,
        pod,
        bool(np_matches) if isolating else True,
        isolated=bool(isolating),
        isolating=isolating,
        matches=np_matches,
        near_misses=near,
    )
    if not any(s.tier != "NetworkPolicy" for s in program.stages):
        return base
    if any(s.tier in _PLUGIN_STAGES for s in program.stages):
        return _with_plugin(base, allowed, spoke, program)
    return _with_tiers(base, allowed, spoke)


_PLUGIN_STAGES = frozenset({"Calico", "CiliumDeny", "Cilium"})


def _stage_word(stage: Stage) -> str:
    if stage.tier == "Cilium" or stage.tier == "CiliumDeny":
        return stage.title
    return f"Calico tier {stage.name}" if stage.name else stage.title


def _with_plugin(
    base: DirectionVerdict, allowed: bool, spoke: list[RuleMatch], program: Program
) -> DirectionVerdict:
    """The verdict of a pod Calico or Cilium policies concern: each stage (a Calico tier,
    Cilium's deny rules, Cilium's allow rules with NetworkPolicy's) that spoke, in order: the
    rule that decided, Passes on the way, or the end of a tier that denies what it left."""
    stage_of = {r.id: i for i, st in enumerate(program.stages) for r in st.rules}
    chain: list[str] = []
    decided_by: DecidedBy = "default"
    passed: set[int] = set()
    final: RuleMatch | None = None
    for m in spoke:
        st = program.stages[stage_of[m.rule.id]]
        chain.append(f"[{_stage_word(st)}] {m.describe()}")
        if m.rule.action == "Pass":
            passed.add(stage_of[m.rule.id])
        elif m.rule.action in ("Allow", "Deny"):
            final = m
    if final is not None:
        decided_by = _family(final.rule.tier)
    else:
        for i, st in enumerate(program.stages):
            if i in passed or not st.closed:
                continue
            why = (
                "a policy of the tier selects the pod and no rule matched"
                if st.tier != "Cilium"
                else "the pod is in default deny and no allow rule admits it"
            )
            chain.append(f"[{_stage_word(st)}] denied at the end of the tier: {why}")
            decided_by = "Calico" if st.tier == "Calico" else "Cilium"
            if st.tier == "NetworkPolicy":
                decided_by = "NetworkPolicy"
            break
        else:
            chain.append("[default] allowed: no tier decided it")
    return replace(
        base,
        allowed=allowed,
        matches=(),
        near_misses=(),
        chain=tuple(chain),
        decided_by=decided_by,
        tier_matches=tuple(spoke),
    )


def _family(tier: str) -> DecidedBy:
    if tier in ("Admin", "Baseline", "Calico", "Cilium", "NetworkPolicy"):
        return tier  # type: ignore[return-value]
    return "default"


def _with_tiers(base: DirectionVerdict, allowed: bool, spoke: list[RuleMatch]) -> DirectionVerdict:
    """The verdict of a pod that admin-tier rules select: the chain of tiers that spoke."""
    admin = [m for m in spoke if m.rule.tier == "Admin"]
    chain = [m.describe() for m in admin]
    if admin and admin[-1].rule.action != "Pass":
        return replace(
            base,
            allowed=allowed,
            matches=(),
            near_misses=(),
            chain=(admin[-1].describe(),),
            decided_by="Admin",
            tier_matches=tuple(admin),
        )
    if base.isolated:
        word = "allowed" if base.allowed else "denied"
        by = "; ".join(m.describe() for m in base.matches)
        chain.append(f"[NetworkPolicy] {word}" + (f" by {by}" if by else ": no rule admits it"))
        return replace(base, chain=tuple(chain), tier_matches=tuple(admin))
    if admin:
        chain.append("[NetworkPolicy] not isolated: no policy selects the pod")
    baseline = [m for m in spoke if m.rule.tier == "Baseline"]
    if baseline:
        chain.append(baseline[0].describe())
        return replace(
            base,
            allowed=allowed,
            chain=tuple(chain),
            decided_by="Baseline",
            tier_matches=(*admin, baseline[0]),
        )
    chain.append("[default] allowed: no tier decided it")
    return replace(base, chain=tuple(chain), decided_by="default", tier_matches=tuple(admin))


def _near_misses(
    rules: list[AnyRule],
    direction: Direction,
    peer_class: int | None,
    peer_key: int | None,
    dst_ports: PortsKey | None,
) -> tuple[str, ...]:
    """Rules that matched the peer or the port, not both."""
    other = "source" if direction == "ingress" else "destination"
    out: list[str] = []
    for rule in rules:
        if rule.admits(peer_class, peer_key)[0]:
            out.append(f"{rule.label} admits this {other} but only on {rule.conns_for(dst_ports)}")
        elif rule.peers:
            out.append(
                f"{rule.label} opens this port but only for "
                + " OR ".join(str(pm.peer) for pm in rule.peers)
            )
    return tuple(out)


def contributions(
    compiled: Compiled, direction: Direction, pod: Pod, peer: Endpoint
) -> list[tuple[AnyRule, ConnectionSet]]:
    """The rules of every tier that speak for `pod`'s traffic with `peer`, each with the part
    it decides, in walk order: NetworkPolicy rules with all they open (they add up), admin-tier
    rules with the part they decide first (Allow, Deny or Pass: `rule.action`).

    Egress rules resolve named ports on the peer (the destination); ingress rules on `pod`.
    """
    if compiled.exempt(pod):
        return []
    program = compiled.program(compiled.class_of[pod.id], direction)
    peer_class, peer_key = peer_keys(compiled, peer)
    if direction == "ingress":
        dst_ports: PortsKey | None = pod.ports
    else:
        dst_ports = peer.ports if isinstance(peer, Pod) else None
    out: list[tuple[AnyRule, ConnectionSet]] = []

    def matches(rule: AnyRule) -> ConnectionSet:
        if not rule.admits(peer_class, peer_key)[0]:
            return EMPTY
        conns = rule.conns_for(dst_ports)
        if rule.tier == "NetworkPolicy" and not conns.is_empty:
            out.append((rule, conns))
        return conns

    def decided(rule: AnyRule, part: ConnectionSet) -> None:
        if rule.tier != "NetworkPolicy":
            out.append((rule, part))

    walk(program, matches, decided)
    return out
