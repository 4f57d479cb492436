"""What a policy does, and what applies to a pod, in plain sentences.

The words come from the policy's structure (how Kubernetes reads each peer: AND inside a
peer, OR across peers); every "who matches now" comes from the compiled form, so the listed
pods and namespaces are the engine's answer, not a re-reading of the YAML.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from netreach.cluster import Cluster
from netreach.engine.compile import NPPeer, NPRule
from netreach.engine.conns import EMPTY, ConnectionSet
from netreach.engine.selectors import indexes_of
from netreach.engine.verdict import contributions
from netreach.errors import QueryError
from netreach.model import (
    Direction,
    IPBlock,
    LabelSelector,
    NetworkPolicy,
    Peer,
    Pod,
    PolicyPort,
    Requirement,
)

DIRECTIONS: tuple[Direction, Direction] = ("ingress", "egress")


# --- words ------------------------------------------------------------------------------------


def _requirement_words(r: Requirement) -> str:
    if r.operator == "In":
        return f"{r.key} in ({', '.join(r.values)})"
    if r.operator == "NotIn":
        return f"{r.key} not in ({', '.join(r.values)}) or without {r.key}"
    if r.operator == "Exists":
        return f"with label {r.key}"
    return f"without label {r.key}"


def selector_words(sel: LabelSelector) -> str:
    """`labelled app=api and tier in (a, b)`; empty for the empty selector (everything)."""
    parts = [f"{k}={v}" for k, v in sel.match_labels]
    parts += [_requirement_words(r) for r in sel.match_expressions]
    return "labelled " + " and ".join(parts) if parts else ""


NAME_LABEL = "kubernetes.io/metadata.name"  # set by the API server to the namespace's name


def named_namespaces(sel: LabelSelector) -> tuple[str, ...] | None:
    """The namespaces a selector names outright (by the name label alone), else None."""
    if len(sel.match_labels) + len(sel.match_expressions) != 1:
        return None
    if sel.match_labels and sel.match_labels[0][0] == NAME_LABEL:
        return (sel.match_labels[0][1],)
    if sel.match_expressions:
        r = sel.match_expressions[0]
        if r.key == NAME_LABEL and r.operator == "In":
            return tuple(r.values)
    return None


def namespace_words(sel: LabelSelector) -> str:
    named = named_namespaces(sel)
    if named is not None:
        return ("namespace " if len(named) == 1 else "namespaces ") + ", ".join(named)
    return f"namespaces {selector_words(sel)}"


def block_words(block: IPBlock) -> str:
    whole = block.cidr in ("0.0.0.0/0", "::/0")
    text = f"every address ({block.cidr}: the whole internet)" if whole else block.cidr
    if block.except_:
        text += f" except {', '.join(block.except_)}"
    return text


def peer_words(peer: Peer, policy_namespace: str) -> str:
    """How Kubernetes reads one `from[]`/`to[]` entry, in a sentence."""
    if peer.ip_block is not None:
        return f"addresses in {block_words(peer.ip_block)}"
    pods = selector_words(peer.pod_selector) if peer.pod_selector is not None else ""
    pod_part = f"pods {pods}" if pods else "every pod"
    if peer.namespace_selector is None:
        return f"{pod_part} in namespace {policy_namespace} (the policy's own)"
    if peer.namespace_selector.is_empty:
        return f"{pod_part} in every namespace, including namespaces created later"
    nss = namespace_words(peer.namespace_selector)
    if pods:
        return f"{pod_part} in {nss}: both conditions"
    return f"{pod_part} in {nss}"


def port_words(p: PolicyPort) -> str:
    if p.port is None:
        return f"every {p.protocol} port"
    if isinstance(p.port, str):
        return f"{p.protocol} port named {p.port}"
    if p.end_port is not None:
        return f"{p.protocol} {p.port}-{p.end_port}"
    return f"{p.protocol} {p.port}"


def ports_words(ports: tuple[PolicyPort, ...]) -> str:
    return ", ".join(port_words(p) for p in ports) if ports else "every port and protocol"


def _rule_location(rule: NPRule) -> str:
    loc = rule.policy.location
    return str(loc.at("spec", rule.direction, rule.index)) if loc is not None else ""


# --- a policy ---------------------------------------------------------------------------------


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


def _pods_of(cluster: Cluster, classes: int) -> tuple[str, ...]:
    compiled = cluster.compiled
    return tuple(sorted(p.id for ci in indexes_of(classes) for p in compiled.classes[ci].pods))


def _peer_reading(cluster: Cluster, pol: NetworkPolicy, pm: NPPeer) -> PeerReading:
    nss: tuple[str, ...] = ()
    if pm.peer.namespace_selector is not None:
        nss = tuple(sorted(cluster.compiled.ns_index.select(pm.peer.namespace_selector)))
    return PeerReading(
        pm.index, peer_words(pm.peer, pol.namespace), _pods_of(cluster, pm.classes), nss
    )


def _named_now(cluster: Cluster, rule: NPRule, targets: int) -> str:
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


def find_policy(cluster: Cluster, ref: str) -> tuple[int, NetworkPolicy]:
    text = ref.strip()
    if "/" not in text:
        text = f"default/{text}"
    for i, pol in enumerate(cluster.compiled.policies):
        if pol.id == text:
            return i, pol
    close = difflib.get_close_matches(text, [p.id for p in cluster.policies], n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise QueryError(f"no NetworkPolicy {text!r} in the snapshot{hint}")


def describe_policy(cluster: Cluster, ref: str) -> PolicyReading:
    """What one policy does: the pods it selects now, isolation, each rule in words."""
    pi, pol = find_policy(cluster, ref)
    compiled = cluster.compiled
    readings: list[RuleReading] = []
    for d in DIRECTIONS:
        for rule in compiled.policy_rules[pi][d]:
            readings.append(
                RuleReading(
                    d,
                    rule.index,
                    _rule_location(rule),
                    tuple(_peer_reading(cluster, pol, pm) for pm in rule.peers),
                    ports_words(rule.rule.ports),
                    pol.isolates(d),
                    _named_now(cluster, rule, compiled.policy_targets[pi]),
                )
            )
    selected = tuple(
        p for ci in indexes_of(compiled.policy_targets[pi]) for p in compiled.classes[ci].pods
    )
    return PolicyReading(pol, tuple(sorted(selected, key=lambda p: p.id)), tuple(readings))


# --- a pod ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """One rule's part of a pod's effective access in one direction."""

    rule: str  # "ns/policy ingress[0]"
    location: str
    reading: str

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "location": self.location or None, "reading": self.reading}


@dataclass(frozen=True)
class PeerAccess:
    """A workload of the snapshot and what this pod's policies let through with it."""

    workload: str
    conns: ConnectionSet
    rules: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"workload": self.workload, "allowed": str(self.conns), "rules": list(self.rules)}


@dataclass(frozen=True)
class AddressAccess:
    """Addresses outside the pods (an ipBlock, or every address) a rule lets through."""

    addresses: str
    conns: ConnectionSet
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return {"addresses": self.addresses, "allowed": str(self.conns), "rule": self.rule}


@dataclass(frozen=True)
class PodDirection:
    direction: Direction
    isolated_by: tuple[NetworkPolicy, ...]
    grants: tuple[Grant, ...]
    peers: tuple[PeerAccess, ...]  # effective, merged across policies, per workload
    host_network: bool = False
    addresses: tuple[AddressAccess, ...] = ()

    @property
    def isolated(self) -> bool:
        return bool(self.isolated_by)

    def summary(self) -> str:
        d = self.direction
        if self.host_network:
            return f"{d}: host-network pod; NetworkPolicy does not apply"
        if not self.isolated:
            return f"{d}: not isolated (no policy selects it for {d}): every connection allowed"
        names = ", ".join(p.id for p in self.isolated_by)
        if not self.grants:
            return f"{d}: isolated by {names}; no rule allows anything: all {d} denied"
        return f"{d}: isolated by {names}; allowed only as the rules below say (their union)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "isolated": self.isolated,
            "isolated_by": [p.id for p in self.isolated_by],
            "summary": self.summary(),
            "rules": [g.to_dict() for g in self.grants],
            "workloads": [p.to_dict() for p in self.peers],
            "addresses": [a.to_dict() for a in self.addresses],
        }


@dataclass(frozen=True)
class PodReading:
    pod: Pod
    selecting: tuple[NetworkPolicy, ...]
    ingress: PodDirection
    egress: PodDirection

    def to_dict(self) -> dict[str, Any]:
        return {
            "pod": self.pod.id,
            "workload": self.pod.workload.id,
            "labels": dict(self.pod.labels),
            "selected_by": [
                {"policy": p.id, "policy_types": list(p.policy_types)} for p in self.selecting
            ],
            "ingress": self.ingress.to_dict(),
            "egress": self.egress.to_dict(),
        }


def describe_pod(cluster: Cluster, ref: str | Pod) -> PodReading:
    """Every policy selecting a pod and its effective ingress and egress, rule by rule."""
    ep = cluster.resolve(ref)
    if not isinstance(ep, Pod):
        raise QueryError(f"{ref} is not a pod of the snapshot")
    compiled = cluster.compiled
    ci = compiled.class_of[ep.id]
    selecting: tuple[NetworkPolicy, ...] = ()
    if not compiled.exempt(ep):
        selecting = tuple(
            pol for pi, pol in enumerate(compiled.policies) if compiled.policy_targets[pi] >> ci & 1
        )
    reps = {w.id: pods[0] for w, pods in cluster.workloads.items()}
    sides = {d: _pod_direction(cluster, ep, ci, d, reps) for d in DIRECTIONS}
    return PodReading(ep, selecting, sides["ingress"], sides["egress"])


def _pod_direction(
    cluster: Cluster, pod: Pod, ci: int, d: Direction, reps: dict[str, Pod]
) -> PodDirection:
    if cluster.compiled.exempt(pod):
        return PodDirection(d, (), (), (), host_network=True)
    compiled = cluster.compiled
    isolating = cluster.isolated(pod, d)
    grants: list[Grant] = []
    for rule in compiled.class_rules(ci, d):
        reading = RuleReading(
            d,
            rule.index,
            "",
            tuple(_peer_reading(cluster, rule.policy, pm) for pm in rule.peers),
            ports_words(rule.rule.ports),
            True,
        ).sentence()
        grants.append(Grant(rule.label, _rule_location(rule), reading))
    peers: list[PeerAccess] = []
    addresses: list[AddressAccess] = []
    for rule in compiled.class_rules(ci, d) if isolating else []:
        # Named ports open nothing towards an address (no container to name them).
        conns = rule.conns_for(pod.ports) if d == "ingress" else rule.numeric
        if conns.is_empty:
            continue
        if rule.all_peers:
            addresses.append(AddressAccess("every address", conns, rule.label))
        for pm in rule.peers:
            if pm.peer.ip_block is not None:
                addresses.append(AddressAccess(block_words(pm.peer.ip_block), conns, rule.label))
    if isolating:
        for wid in sorted(reps):
            acc = EMPTY
            rules: list[str] = []
            for rule, conns in contributions(compiled, d, pod, reps[wid]):
                if rule.tier != "NetworkPolicy":
                    continue
                acc = acc | conns
                rules.append(rule.label)
            if not acc.is_empty:
                peers.append(PeerAccess(wid, acc, tuple(rules)))
    return PodDirection(d, isolating, tuple(grants), tuple(peers), False, tuple(addresses))
