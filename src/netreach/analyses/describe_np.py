"""What a NetworkPolicy does, in plain sentences.

The words come from the policy's structure (how Kubernetes reads each peer: AND inside a
peer, OR across peers); every "who matches now" comes from the compiled form, so the listed
pods and namespaces are the engine's answer, not a re-reading of the YAML.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netreach.analyses.words import peer_words, ports_words, selector_words
from netreach.engine.compile import NPPeer, NPRule
from netreach.engine.conns import EMPTY
from netreach.engine.selectors import indexes_of
from netreach.model import Direction, NetworkPolicy, Pod
from netreach.query.reach import Reach

DIRECTIONS: tuple[Direction, Direction] = ("ingress", "egress")


def _rule_location(rule: NPRule) -> str:
    loc = rule.policy.location
    return str(loc.at("spec", rule.direction, rule.index)) if loc is not None else ""


@dataclass(frozen=True)
class PeerReading:
    index: int
    words: str
    pods: tuple[str, ...]  # pods admitted now
    namespaces: tuple[str, ...]  # namespaces the namespaceSelector matches now

    def to_dict(self) -> dict[str, Any]:
        return {
            "peer": self.index,
            "reading": self.words,
            "pods_now": list(self.pods),
            "namespaces_now": list(self.namespaces),
        }


@dataclass(frozen=True)
class RuleReading:
    direction: Direction
    index: int
    location: str
    peers: tuple[PeerReading, ...]  # empty: every peer
    ports: str
    counted: bool  # False when policyTypes leaves this direction out (the rule is ignored)
    # What named ports mean now: per destination pod's container ports (ingress: the selected
    # pods; egress: the pods the peers admit). Empty when the rule names no port.
    named_now: str = ""

    @property
    def label(self) -> str:
        return f"{self.direction}[{self.index}]"

    def sentence(self) -> str:
        verb = "admits connections from" if self.direction == "ingress" else "allows connections to"
        if not self.peers:
            who = "anyone (every pod in every namespace, and every address)"
        elif len(self.peers) == 1:
            who = self.peers[0].words
        else:
            who = "any of (each one is enough): " + "; ".join(
                f"({p.index + 1}) {p.words}" for p in self.peers
            )
        text = f"{verb} {who}, on {self.ports}"
        return text if self.counted else f"{text} [IGNORED: policyTypes omits {self.direction}]"

    def to_dict(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "rule": self.index,
            "location": self.location or None,
            "reading": self.sentence(),
            "ports": self.ports,
            "any_peer": not self.peers,
            "peers": [p.to_dict() for p in self.peers],
            "counted": self.counted,
            "named_ports_now": self.named_now or None,
        }


@dataclass(frozen=True)
class PolicyReading:
    policy: NetworkPolicy
    selected: tuple[Pod, ...]
    rules: tuple[RuleReading, ...]

    @property
    def isolates(self) -> tuple[Direction, ...]:
        return self.policy.policy_types

    def summary(self) -> list[str]:
        """The sentences, in order: selection, isolation, one per rule."""
        pol = self.policy
        sel = selector_words(pol.pod_selector)
        who = f"pods {sel}" if sel else "every pod"
        lines = [f"Selects {who} in namespace {pol.namespace}: {len(self.selected)} now."]
        for d in DIRECTIONS:
            rules = [r for r in self.rules if r.direction == d and r.counted]
            if d not in pol.policy_types:
                lines.append(f"Does not isolate {d}: it leaves the selected pods' {d} alone.")
            elif not rules:
                lines.append(
                    f"Isolates {d} and has no {d} rule: it denies all {d} unless another "
                    "policy selecting the same pods allows it."
                )
            else:
                lines.append(
                    f"Isolates {d}: only what its {d} rules (or other policies selecting "
                    "the same pods) allow gets through."
                )
        if not pol.explicit_policy_types:
            lines.append(
                "policyTypes was not written; the API server set it from the rules "
                f"({', '.join(t.capitalize() for t in pol.policy_types)})."
            )
        return lines

    def to_dict(self) -> dict[str, Any]:
        pol = self.policy
        return {
            "policy": pol.id,
            "location": str(pol.location) if pol.location else None,
            "selects": [p.id for p in self.selected],
            "isolates": list(pol.policy_types),
            "summary": self.summary(),
            "rules": [r.to_dict() for r in self.rules],
        }


def _pods_of(cluster: Reach, classes: int) -> tuple[str, ...]:
    compiled = cluster.compiled
    return tuple(sorted(p.id for ci in indexes_of(classes) for p in compiled.classes[ci].pods))


def _peer_reading(cluster: Reach, pol: NetworkPolicy, pm: NPPeer) -> PeerReading:
    nss: tuple[str, ...] = ()
    if pm.peer.namespace_selector is not None:
        nss = tuple(sorted(cluster.compiled.ns_index.select(pm.peer.namespace_selector)))
    return PeerReading(
        pm.index, peer_words(pm.peer, pol.namespace), _pods_of(cluster, pm.classes), nss
    )


def _named_now(cluster: Reach, rule: NPRule, targets: int) -> str:
    """The numbers a rule's named ports stand for on the pods they resolve on, now."""
    names = [pm for pm in rule.ports if pm.name is not None]
    if not names:
        return ""
    compiled = cluster.compiled
    dst_classes = targets if rule.direction == "ingress" else rule.classes
    conns = EMPTY
    for ci in indexes_of(dst_classes):
        for pm in names:
            conns = conns | pm.conns_for(compiled.classes[ci].ports)
    return str(conns) if not conns.is_empty else "no pod has a container port by that name"


def rule_reading(
    cluster: Reach, rule: NPRule, counted: bool = True, targets: int | None = None
) -> RuleReading:
    """One rule in words, with who its peers match now (`targets`: the policy's selected
    classes, where ingress named ports resolve; None: named ports are not resolved)."""
    return RuleReading(
        rule.direction,
        rule.index,
        _rule_location(rule),
        tuple(_peer_reading(cluster, rule.policy, pm) for pm in rule.peers),
        ports_words(rule.rule.ports),
        counted,
        _named_now(cluster, rule, targets) if targets is not None else "",
    )


def describe_network_policy(cluster: Reach, pi: int) -> PolicyReading:
    """NetworkPolicy `pi` (an index in `compiled.policies`): the pods it selects now,
    isolation, each rule in words."""
    compiled = cluster.compiled
    pol = compiled.policies[pi]
    targets = compiled.policy_targets[pi]
    readings = tuple(
        rule_reading(cluster, rule, pol.isolates(d), targets)
        for d in DIRECTIONS
        for rule in compiled.policy_rules[pi][d]
    )
    selected = tuple(p for ci in indexes_of(targets) for p in compiled.classes[ci].pods)
    return PolicyReading(pol, tuple(sorted(selected, key=lambda p: p.id)), readings)
