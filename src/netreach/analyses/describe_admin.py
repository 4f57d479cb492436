"""What an AdminNetworkPolicy, BaselineAdminNetworkPolicy or ClusterNetworkPolicy does, in
plain sentences: its tier and priority, the pods it applies to now, each rule with its action,
peers and ports, and who each peer matches now (the engine's answer, from the compiled form).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netreach.analyses.words import (
    admin_peer_words,
    admin_ports_words,
    admin_rule_words,
    namespace_words,
    selector_words,
)
from netreach.engine.compile import admin_peer_selectors
from netreach.engine.rules import TierRule
from netreach.engine.selectors import indexes_of
from netreach.model import AdminPeer, AdminPolicy, AdminSubject, Direction, Pod
from netreach.query.reach import Reach

DIRECTIONS: tuple[Direction, Direction] = ("ingress", "egress")


def after_pass(tier: str) -> str:
    """Where a Pass hands a connection."""
    if tier == "Admin":
        return "NetworkPolicy (then the Baseline tier)"
    return "the default (allowed)"


def subject_words(subject: AdminSubject) -> str:
    if subject.pods is None:
        if subject.namespaces.is_empty:
            return "every pod in every namespace"
        return f"every pod in {namespace_words(subject.namespaces)}"
    pods = selector_words(subject.pods)
    pod_part = f"pods {pods}" if pods else "every pod"
    if subject.namespaces.is_empty:
        return f"{pod_part} in every namespace"
    return f"{pod_part} in {namespace_words(subject.namespaces)}"


@dataclass(frozen=True)
class AdminPeerReading:
    index: int
    words: str
    pods: tuple[str, ...]  # pods it matches now (by selector, or by IP inside a network)
    namespaces: tuple[str, ...] = ()  # namespaces its namespace selector matches now
    nodes: tuple[str, ...] | None = None  # a nodes peer: the Node objects it matches now

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "peer": self.index,
            "reading": self.words,
            "pods_now": list(self.pods),
            "namespaces_now": list(self.namespaces),
        }
        if self.nodes is not None:
            out["nodes_now"] = list(self.nodes)
        return out


@dataclass(frozen=True)
class AdminRuleReading:
    tier: str
    direction: Direction
    index: int
    name: str
    action: str
    location: str
    peers: tuple[AdminPeerReading, ...]
    ports: str

    @property
    def label(self) -> str:
        name = f' "{self.name}"' if self.name else ""
        return f"{self.direction}[{self.index}]{name}"

    def sentence(self) -> str:
        return admin_rule_words(
            self.direction,
            self.action,  # type: ignore[arg-type]
            [p.words for p in self.peers],
            self.ports,
            after_pass(self.tier),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "rule": self.index,
            "name": self.name or None,
            "action": self.action,
            "location": self.location or None,
            "reading": self.sentence(),
            "ports": self.ports,
            "peers": [p.to_dict() for p in self.peers],
        }


@dataclass(frozen=True)
class AdminPolicyReading:
    policy: AdminPolicy
    subjects: tuple[Pod, ...]  # pods the subject selects now
    rules: tuple[AdminRuleReading, ...]

    def summary(self) -> list[str]:
        pol = self.policy
        if pol.tier == "Admin":
            lines = [
                f"Admin tier, priority {pol.priority}: its rules apply before every "
                "NetworkPolicy, lower priority numbers first. The first rule that matches a "
                "connection decides it: Allow and Deny are final, Pass hands it to "
                "NetworkPolicy (then the Baseline tier)."
            ]
        else:
            prio = f", priority {pol.priority}" if pol.kind == "ClusterNetworkPolicy" else ""
            lines = [
                f"Baseline tier{prio}: its rules apply only to the pods no NetworkPolicy "
                "isolates in that direction, after the Admin tier. The first rule that matches "
                "a connection decides it; what no rule decides is allowed."
            ]
        lines.append(
            f"Applies to {subject_words(pol.subject)}: {len(self.subjects)} pod(s) now "
            "(host-network pods are never subjects)."
        )
        for d in DIRECTIONS:
            if not any(r.direction == d for r in self.rules):
                lines.append(f"No {d} rules: it leaves {d} to the other tiers.")
        if pol.kind == "ClusterNetworkPolicy":
            lines.append("A pod's traffic to its own IP is not subject to it.")
        return lines

    def to_dict(self) -> dict[str, Any]:
        pol = self.policy
        return {
            "policy": pol.id,
            "kind": pol.kind,
            "name": pol.name,
            "tier": pol.tier,
            # BaselineAdminNetworkPolicy has no priority (there is one, named default)
            "priority": pol.priority if pol.kind != "BaselineAdminNetworkPolicy" else None,
            "location": str(pol.location) if pol.location else None,
            "subject": subject_words(pol.subject),
            "applies_to": [p.id for p in self.subjects],
            "summary": self.summary(),
            "rules": [r.to_dict() for r in self.rules],
        }


def _pods_of(cluster: Reach, classes: int) -> tuple[str, ...]:
    compiled = cluster.compiled
    return tuple(sorted(p.id for ci in indexes_of(classes) for p in compiled.classes[ci].pods))


def _peer_reading(cluster: Reach, index: int, peer: AdminPeer, classes: int) -> AdminPeerReading:
    compiled = cluster.compiled
    words = admin_peer_words(peer, compiled.options.ipblock_matches_pods)
    pods = _pods_of(cluster, classes)
    selectors = admin_peer_selectors(peer)
    if selectors is not None:
        nss = tuple(sorted(compiled.ns_index.select(selectors[0])))
        return AdminPeerReading(index, words, pods, nss)
    if peer.nodes is not None:
        sel = peer.nodes
        nodes = tuple(sorted(n.name for n in cluster.nodes if sel.matches(n.labels)))
        return AdminPeerReading(index, words, pods, (), nodes)
    return AdminPeerReading(index, words, pods)


def admin_rule_reading(cluster: Reach, rule: TierRule) -> AdminRuleReading:
    return AdminRuleReading(
        rule.tier,
        rule.direction,
        rule.index,
        rule.name,
        rule.action,
        rule.location,
        tuple(_peer_reading(cluster, pm.index, pm.peer, pm.classes) for pm in rule.peers),
        admin_ports_words(rule.rule.ports),
    )


def describe_admin_policy(cluster: Reach, ai: int) -> AdminPolicyReading:
    """Admin policy `ai` (an index in `compiled.admin_policies`) in sentences."""
    compiled = cluster.compiled
    pol = compiled.admin_policies[ai]
    rules = tuple(
        admin_rule_reading(cluster, r)
        for d in DIRECTIONS
        for r in compiled.admin_policy_rules[ai][d]
    )
    subjects = tuple(
        sorted(
            (p for ci in indexes_of(compiled.admin_targets[ai]) for p in compiled.classes[ci].pods),
            key=lambda p: p.id,
        )
    )
    return AdminPolicyReading(pol, subjects, rules)
