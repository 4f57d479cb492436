"""What applies to one pod, per direction and across tiers, in plain sentences.

Each direction says what decides it, in the order the engine walks it: the Admin-tier rules
that apply (with their action), NetworkPolicy isolation and its rules, the Baseline-tier
rules when NetworkPolicy does not isolate the pod, and what is left (denied when
NetworkPolicy isolates, allowed otherwise). The effective access per workload and per
address range is read from the engine's rows (`ClassMatrix`), with the rules that speak for
it from `contributions`: the pod's side only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netreach.analyses.describe_admin import admin_rule_reading
from netreach.analyses.describe_np import rule_reading
from netreach.analyses.guards import Guard, guards, tier_label
from netreach.analyses.words import cni_peer_words, ranges_words
from netreach.engine import ipset
from netreach.engine.conns import EMPTY, ConnectionSet
from netreach.engine.intervals import normalize
from netreach.engine.rules import AnyRule
from netreach.engine.verdict import contributions
from netreach.errors import QueryError
from netreach.model import (
    AdminPolicy,
    Direction,
    NetworkPolicy,
    Pod,
)
from netreach.query.reach import Reach

DIRECTIONS: tuple[Direction, Direction] = ("ingress", "egress")
DEFAULT = "default (no tier decides it)"  # the rule name of what the default allows


@dataclass(frozen=True)
class Grant:
    """One rule that applies to the pod in one direction, in words."""

    rule: str  # "ns/policy ingress[0]"; admin tiers: 'AdminNetworkPolicy/x ingress[0] "name"'
    location: str
    reading: str
    tier: str = "NetworkPolicy"
    action: str = "Allow"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "location": self.location or None,
            "reading": self.reading,
            "tier": self.tier,
            "action": self.action,
        }


@dataclass(frozen=True)
class PeerAccess:
    """A workload of the snapshot and what this pod's side lets through with it."""

    workload: str
    conns: ConnectionSet
    rules: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"workload": self.workload, "allowed": str(self.conns), "rules": list(self.rules)}


@dataclass(frozen=True)
class AddressAccess:
    """Addresses outside the pods and what this pod's side lets through with them."""

    addresses: str
    conns: ConnectionSet
    rule: str  # the rules, joined (`rules` lists them)
    rules: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "addresses": self.addresses,
            "allowed": str(self.conns),
            "rule": self.rule,
            "rules": list(self.rules or (self.rule,)),
        }


@dataclass(frozen=True)
class PodDirection:
    direction: Direction
    isolated_by: tuple[NetworkPolicy, ...]
    grants: tuple[Grant, ...]  # NetworkPolicy rules of the isolating policies
    peers: tuple[PeerAccess, ...]  # effective, per workload
    host_network: bool = False
    addresses: tuple[AddressAccess, ...] = ()
    admin: tuple[Grant, ...] = ()  # Admin-tier rules that apply, in evaluation order
    baseline: tuple[Grant, ...] = ()  # Baseline rules that decide it (not isolated)
    skipped_baseline: tuple[Grant, ...] = ()  # Baseline rules NetworkPolicy isolation overrides
    guard: Guard | None = field(default=None, compare=False)
    # Calico tiers and Cilium stages that apply, in order: (title, rules, closed)
    cni: tuple[tuple[str, tuple[Grant, ...], bool], ...] = ()

    @property
    def isolated(self) -> bool:
        return bool(self.isolated_by)

    @property
    def restricted(self) -> bool:
        """Something restricts the direction: NetworkPolicy isolation or a tier's Deny."""
        return self.isolated or (self.guard is not None and self.guard.restricted)

    def _cni_summary(self) -> str:
        parts = []
        for title, rules, closed in self.cni:
            end = "; what it leaves is denied at its end" if closed else ""
            parts.append(f"{title} ({_count(rules)}{end})")
        return "decided in order by " + ", then ".join(parts)

    @property
    def nothing_allowed(self) -> bool:
        return self.restricted and not self.peers and not self.addresses

    def rest(self) -> str:
        """What happens to what no rule decides."""
        g = self.guard
        if self.isolated:
            return "what its rules do not allow is denied"
        if g is None or not g.restricted:
            return "every connection allowed (no tier denies any)"
        if g.default_deny:
            by = ", ".join(map(tier_label, g.guard_rules)) or "the end of a tier"
            text = f"what no rule allows is denied for every pod, by {by}"
            if g.open_addresses:
                return f"{text}; addresses no rule decides are allowed"
            return text
        return "what no tier decides is allowed"

    def summary(self) -> str:
        d = self.direction
        if self.host_network:
            return f"{d}: host-network pod; NetworkPolicy does not apply"
        names = ", ".join(p.id for p in self.isolated_by)
        if self.cni:
            text = f"{d}: {self._cni_summary()}; {self.rest()}"
            return f"{text}: all {d} denied" if self.nothing_allowed else text
        if not (self.admin or self.baseline or self.skipped_baseline):
            if not self.isolated:
                return f"{d}: not isolated (no policy selects it for {d}): every connection allowed"
            if not self.grants:
                return f"{d}: isolated by {names}; no rule allows anything: all {d} denied"
            return f"{d}: isolated by {names}; allowed only as the rules below say (their union)"
        parts: list[str] = []
        if self.admin:
            parts.append(f"the Admin tier decides first ({_count(self.admin)})")
        if self.isolated:
            parts.append(f"{'then ' if self.admin else ''}isolated by {names}")
        else:
            parts.append(f"not isolated by NetworkPolicy (no policy selects it for {d})")
        if self.baseline:
            parts.append(f"so the Baseline tier decides ({_count(self.baseline)})")
        if self.skipped_baseline:
            parts.append("the Baseline tier is never consulted (NetworkPolicy isolates it)")
        parts.append(self.rest())
        text = f"{d}: " + "; ".join(parts)
        return f"{text}: all {d} denied" if self.nothing_allowed else text

    def to_dict(self) -> dict[str, Any]:
        g = self.guard
        return {
            "direction": self.direction,
            "isolated": self.isolated,
            "isolated_by": [p.id for p in self.isolated_by],
            "summary": self.summary(),
            "rules": [r.to_dict() for r in self.grants],
            "workloads": [p.to_dict() for p in self.peers],
            "addresses": [a.to_dict() for a in self.addresses],
            "admin_rules": [r.to_dict() for r in self.admin],
            "baseline_rules": [r.to_dict() for r in self.baseline],
            "baseline_not_consulted": [r.to_dict() for r in self.skipped_baseline],
            "restricted": self.restricted,
            "default_deny": g.default_deny if g is not None else False,
            "default_deny_by": [tier_label(r) for r in g.guard_rules] if g is not None else [],
            "rest": self.rest(),
            "cni_stages": [
                {"stage": t, "rules": [r.to_dict() for r in rs], "closed": c}
                for t, rs, c in self.cni
            ],
        }


def _count(rules: tuple[Grant, ...]) -> str:
    return f"{len(rules)} rule{'s' if len(rules) != 1 else ''} below"


@dataclass(frozen=True)
class PodReading:
    pod: Pod
    selecting: tuple[NetworkPolicy, ...]
    ingress: PodDirection
    egress: PodDirection
    tier_policies: tuple[AdminPolicy, ...] = ()  # admin-tier policies whose subject holds it
    cni_policies: tuple[str, ...] = ()  # Calico / Cilium policies that select it

    def to_dict(self) -> dict[str, Any]:
        return {
            "pod": self.pod.id,
            "workload": self.pod.workload.id,
            "labels": dict(self.pod.labels),
            "selected_by": [
                {"policy": p.id, "policy_types": list(p.policy_types)} for p in self.selecting
            ],
            "tier_policies": [
                {
                    "policy": p.id,
                    "tier": p.tier,
                    "priority": p.priority if p.kind != "BaselineAdminNetworkPolicy" else None,
                }
                for p in self.tier_policies
            ],
            "cni_policies": list(self.cni_policies),
            "ingress": self.ingress.to_dict(),
            "egress": self.egress.to_dict(),
        }


def describe_pod(cluster: Reach, ref: str | Pod) -> PodReading:
    """Every policy of every tier that applies to a pod, and its effective ingress and egress,
    rule by rule."""
    ep = cluster.resolve(ref)
    if not isinstance(ep, Pod):
        raise QueryError(f"{ref} is not a pod of the snapshot")
    compiled = cluster.compiled
    ci = compiled.class_of[ep.id]
    selecting: tuple[NetworkPolicy, ...] = ()
    tiers: tuple[AdminPolicy, ...] = ()
    if not compiled.exempt(ep):
        selecting = tuple(
            pol for pi, pol in enumerate(compiled.policies) if compiled.policy_targets[pi] >> ci & 1
        )
        tiers = tuple(
            pol
            for ai, pol in enumerate(compiled.admin_policies)
            if compiled.admin_targets[ai] >> ci & 1
        )
    cni: tuple[str, ...] = ()
    if not compiled.exempt(ep):
        cni = tuple(p.id for p, bits in guards(cluster).cni_targets if bits >> ci & 1)
    sides = {d: _pod_direction(cluster, ep, ci, d) for d in DIRECTIONS}
    return PodReading(ep, selecting, sides["ingress"], sides["egress"], tiers, cni)


def _tier_grant(cluster: Reach, rule: AnyRule) -> Grant:
    reading = admin_rule_reading(cluster, rule)
    return Grant(rule.label, rule.location, reading.sentence(), rule.tier, rule.action)


def _pod_direction(cluster: Reach, pod: Pod, ci: int, d: Direction) -> PodDirection:
    if cluster.compiled.exempt(pod):
        return PodDirection(d, (), (), (), host_network=True)
    compiled = cluster.compiled
    guard = guards(cluster).of(ci, d)
    grants = tuple(
        Grant(rule.label, rule.location, rule_reading(cluster, rule).sentence())
        for rule in compiled.class_rules(ci, d)
    )
    peers: tuple[PeerAccess, ...] = ()
    addresses: tuple[AddressAccess, ...] = ()
    if guard.restricted:
        peers = _workload_access(cluster, pod, ci, d)
        addresses = _address_access(cluster, pod, ci, d)
    return PodDirection(
        d,
        guard.isolating,
        grants,
        peers,
        False,
        addresses,
        tuple(_tier_grant(cluster, r) for r in guard.admin),
        tuple(_tier_grant(cluster, r) for r in guard.baseline),
        tuple(_tier_grant(cluster, r) for r in guard.skipped_baseline),
        guard,
        _cni_stages(cluster, ci, d),
    )


_CNI_STAGES = frozenset({"Calico", "CiliumDeny", "Cilium"})


def _cni_stages(
    cluster: Reach, ci: int, d: Direction
) -> tuple[tuple[str, tuple[Grant, ...], bool], ...]:
    """The stages of the class's program when Calico or Cilium policies speak in it (every
    stage then, Kubernetes ones included, as the walk takes them)."""
    program = cluster.compiled.program(ci, d)
    if not any(s.tier in _CNI_STAGES for s in program.stages):
        return ()
    out = []
    for st in program.stages:
        title = f"Calico tier {st.name}" if st.tier == "Calico" or st.name else st.title
        grants = tuple(
            Grant(
                r.label, r.location, r.action.lower() + " " + _words(cluster, r), r.tier, r.action
            )
            for r in st.rules
        )
        out.append((title, grants, st.closed))
    return tuple(out)


def _words(cluster: Reach, rule: AnyRule) -> str:
    own = rule.policy.namespace
    peers = (
        "every peer"
        if rule.all_peers
        else " or ".join(cni_peer_words(pm.peer, own) for pm in rule.peers)
    )
    ports = ", ".join(map(str, rule.port_list)) if rule.has_named else str(rule.numeric)
    return f"{peers or 'no peer'} on {ports}"


def _speakers(
    cluster: Reach, d: Direction, pod: Pod, peer: Pod | str, allowed: ConnectionSet
) -> tuple[str, ...]:
    """The rules that allow part of `allowed`, and the default when it allows the rest."""
    rules: list[str] = []
    by_rules = EMPTY
    for rule, part in contributions(cluster.compiled, d, pod, peer):
        if rule.action != "Allow" or (part & allowed).is_empty:
            continue
        by_rules = by_rules | part
        if tier_label(rule) not in rules:
            rules.append(tier_label(rule))
    if not (allowed - by_rules).is_empty:
        rules.append(DEFAULT)
    return tuple(rules)


def _workload_access(cluster: Reach, pod: Pod, ci: int, d: Direction) -> tuple[PeerAccess, ...]:
    """Per workload of the snapshot, what this pod's side allows (the engine's row)."""
    compiled = cluster.compiled
    matrix = cluster.matrix
    row = (matrix.ingress if d == "ingress" else matrix.egress).row_of(ci)
    sets = matrix.table.sets
    out: list[PeerAccess] = []
    for wl in sorted(cluster.workloads, key=lambda w: w.id):
        reps: dict[int, Pod] = {}
        for p in cluster.workloads[wl]:
            reps.setdefault(compiled.class_of[p.id], p)
        conns = EMPTY
        rules: list[str] = []
        for pci, rep in reps.items():
            allowed = sets[int(row[pci])]
            if allowed.is_empty:
                continue
            conns = conns | allowed
            rules += [r for r in _speakers(cluster, d, pod, rep, allowed) if r not in rules]
        if not conns.is_empty:
            out.append(PeerAccess(wl.id, conns, tuple(rules)))
    return tuple(out)


def _address_access(cluster: Reach, pod: Pod, ci: int, d: Direction) -> tuple[AddressAccess, ...]:
    """Address ranges outside the pods with what this pod's side allows (the engine's external
    row), grouped by connections and the rules that allow them."""
    compiled = cluster.compiled
    matrix = cluster.matrix
    row = matrix.external_row(ci, d)
    sets = matrix.table.sets
    groups: dict[tuple[int, tuple[str, ...]], list[tuple[int, int]]] = {}
    for atom, cid in enumerate(row.tolist()):
        if not cid:
            continue
        lo, hi = compiled.atoms.bounds(atom)
        rules = _speakers(cluster, d, pod, ipset.key_address(lo), sets[cid])
        groups.setdefault((cid, rules), []).append((lo, hi))
    out = [
        AddressAccess(ranges_words(normalize(ranges)), sets[cid], ", ".join(rules), rules)
        for (cid, rules), ranges in groups.items()
    ]
    return tuple(sorted(out, key=lambda a: (a.rule, a.addresses)))
