"""What a Calico or Cilium policy does, in plain sentences.

Calico (projectcalico.org/v3 NetworkPolicy, GlobalNetworkPolicy): its tier and order and what
they mean for when it applies, its types, the pods its selector picks now, each rule with its
action (Pass: to the next tier), source and destination in words and who the peer entity
matches now, the tier's end-of-tier action. Cilium (CiliumNetworkPolicy,
CiliumClusterwideNetworkPolicy, every entry of `specs`): the endpointSelector and the pods now,
default deny per direction, allow and deny rules (deny wins), peers and ports. Parts netreach
does not model are said on the rule they belong to.

The words come from the policy's structure (analyses/words.py); every "now" comes from the
compiled rules (engine/calico.py, engine/cilium.py), so it is the engine's answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netreach.analyses.words import (
    admin_ports_words,
    calico_entity_words,
    calico_selector_words,
    cilium_endpoint_words,
    cni_peer_words,
    ranges_words,
)
from netreach.engine.calico import protocol_set
from netreach.engine.plugin import DEFAULT_TIER, NETWORK_POLICY_ORDER, CalicoTierInfo
from netreach.engine.rules import AnyRule
from netreach.engine.selectors import indexes_of
from netreach.model import (
    DIRECTIONS,
    CalicoPolicy,
    CalicoRule,
    CiliumPolicy,
    CiliumRule,
    Direction,
    NotModelled,
    Pod,
)
from netreach.query.reach import Reach

_LISTS = ("ingress", "ingressDeny", "egress", "egressDeny")


@dataclass(frozen=True)
class CniPeerReading:
    index: int
    words: str
    pods: tuple[str, ...]  # pods it matches now
    addresses: str  # addresses it matches now, in words ("" for none)

    def to_dict(self) -> dict[str, Any]:
        return {
            "peer": self.index,
            "reading": self.words,
            "pods_now": list(self.pods),
            "addresses_now": self.addresses or None,
        }


@dataclass(frozen=True)
class CniRuleReading:
    """One rule of a Calico or Cilium policy, in words."""

    list_name: str  # ingress, egress, ingressDeny, egressDeny
    direction: Direction
    index: int
    action: str
    location: str
    reading: str
    peers: tuple[CniPeerReading, ...]  # empty: every peer (or none, as `reading` says)
    ports: str
    counted: bool = True  # False: Calico types leave the direction out (the rule is ignored)
    applies_to: tuple[str, ...] | None = None  # Calico own-side entity: the pods it covers now
    not_modelled: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.list_name}[{self.index}]"

    def sentence(self) -> str:
        if self.counted:
            return self.reading
        return f"{self.reading} [IGNORED: types omits {self.direction}]"

    def to_dict(self) -> dict[str, Any]:
        return {
            "list": self.list_name,
            "direction": self.direction,
            "rule": self.index,
            "action": self.action,
            "location": self.location or None,
            "reading": self.sentence(),
            "ports": self.ports,
            "peers": [p.to_dict() for p in self.peers],
            "counted": self.counted,
            "applies_to_now": list(self.applies_to) if self.applies_to is not None else None,
            "not_modelled": list(self.not_modelled),
        }


def _pods(cluster: Reach, bits: int) -> tuple[str, ...]:
    classes = cluster.compiled.classes
    return tuple(sorted(p.id for ci in indexes_of(bits) for p in classes[ci].pods))


def _peer_readings(cluster: Reach, rule: AnyRule) -> tuple[CniPeerReading, ...]:
    own = rule.policy.namespace
    return tuple(
        CniPeerReading(
            i,
            cni_peer_words(pm.peer, own),
            _pods(cluster, pm.classes),
            ranges_words(pm.ips) if pm.ips else "",
        )
        for i, pm in enumerate(rule.peers)
    )


def _notes(notes: tuple[NotModelled, ...]) -> tuple[str, ...]:
    return tuple(n.what for n in notes)


def _policy_rules(cluster: Reach, policy: object) -> list[AnyRule]:
    """The compiled rules of one policy, in the order they are written (per list)."""
    rules = [r for r in cluster.compiled.rules if r.policy is policy]
    return sorted(rules, key=lambda r: (_LISTS.index(r.list_name), r.index))


# --- Calico --------------------------------------------------------------------------------------


def _calico_ports(rule: CalicoRule) -> str:
    """The connections a rule's protocol and destination ports cover, in words."""
    dst = rule.destination
    if dst.ports:
        text = admin_ports_words(dst.ports)
    elif rule.protocol is not None:
        text = f"every {rule.protocol} port"
    else:
        text = "every port and protocol"
    if rule.not_protocol is not None:
        text += f", not protocol {rule.not_protocol}"
    if dst.not_ports:
        text += f", except {admin_ports_words(dst.not_ports)}"
    if rule.ip_version is not None:
        text += f" (IPv{rule.ip_version} only)"
    return text


def _number(value: float) -> str:
    return f"{int(value):,}" if value == int(value) else f"{value:g}"


CALICO_VERBS = {"Allow": "allows", "Deny": "denies", "Log": "logs (then the next rule decides)"}


@dataclass(frozen=True)
class CalicoPolicyReading:
    policy: CalicoPolicy
    tier: CalicoTierInfo
    next_tier: str  # where a Pass goes
    rank: tuple[int, int]  # its place among the snapshot's policies of its tier (1-based), of
    subjects: tuple[Pod, ...]  # pods it selects now
    rules: tuple[CniRuleReading, ...]

    @property
    def title(self) -> str:
        pol = self.policy
        if pol.namespace is None:
            return f"Calico GlobalNetworkPolicy {pol.name}"
        return f"Calico NetworkPolicy {pol.namespace}/{pol.name}"

    def _order_lines(self) -> list[str]:
        pol, tier = self.policy, self.tier
        tier_order = "no order: last" if tier.order is None else f"order {_number(tier.order)}"
        lines = [
            f"Tier {tier.name} ({tier_order}): tiers apply lowest order first; a pod's "
            "connection meets the policies of earlier tiers before this one."
        ]
        place = f"{self.rank[0]} of {self.rank[1]} in the tier here"
        if pol.order is None:
            lines.append(
                f"No order: applied last in its tier, after every policy with an order "
                f"(ties by name; {place})."
            )
        else:
            lines.append(
                f"Order {_number(pol.order)}: within the tier, policies apply by order, lower "
                f"first ({place})."
            )
        if tier.name == DEFAULT_TIER:
            nps = NETWORK_POLICY_ORDER
            if pol.order is not None and pol.order < nps:
                when = "before them"
            elif pol.order is not None and pol.order == nps:
                when = "with them (ties by name)"
            else:
                when = "after them"
            lines.append(
                f"Kubernetes NetworkPolicies sit in this tier at order {_number(nps)}: it "
                f"applies {when}."
            )
        return lines

    def summary(self) -> list[str]:
        pol, tier = self.policy, self.tier
        lines = self._order_lines()
        lines.append(
            "Rules apply in order; the first that matches a connection decides it: Allow and "
            f"Deny are final, Pass hands it to the next tier ({self.next_tier}), Log records "
            "it and goes on."
        )
        if pol.namespace is None:
            scope = "every namespace"
            if pol.namespace_selector is not None:
                scope = f"namespaces where {calico_selector_words(pol.namespace_selector)}"
        else:
            scope = f"namespace {pol.namespace}"
        sel = str(pol.selector)
        who = (
            "every endpoint"
            if sel == "all()" or pol.selector.is_empty
            else f"endpoints where {calico_selector_words(pol.selector)}"
        )
        lines.append(
            f"Selects {who} in {scope}: {len(self.subjects)} pod(s) now "
            "(host-network pods are host endpoints, never selected)."
        )
        if pol.host_endpoint:
            only = " only" if not pol.applies_to_pods else ""
            lines.append(
                f"{pol.host_endpoint}: a policy for host endpoints{only}, which netreach does "
                "not model (verdicts with an address or a host-network pod say so)."
            )
        types = ", ".join(d.capitalize() for d in pol.types) or "none"
        lines.append(f"Types: {types}.")
        end = (
            "denied at the end of the tier (end-of-tier deny)"
            if tier.default_action == "Deny"
            else f"passed to the next tier ({self.next_tier}; the tier's defaultAction is Pass)"
        )
        for d in DIRECTIONS:
            if d not in pol.types:
                lines.append(f"Does not apply to {d} (not in types): its {d} rules are ignored.")
                continue
            if any(r.direction == d for r in self.rules):
                lines.append(
                    f"{d.capitalize()}: for the pods it selects, what no rule of tier "
                    f"{tier.name}'s policies decides is {end}."
                )
            else:
                lines.append(
                    f"No {d} rule: for the pods it selects, {d} that no other policy of tier "
                    f"{tier.name} decides is {end}: a default deny."
                    if tier.default_action == "Deny"
                    else f"No {d} rule: for the pods it selects, {d} that no other policy of "
                    f"tier {tier.name} decides is {end}."
                )
        return lines

    def to_dict(self) -> dict[str, Any]:
        pol = self.policy
        return {
            "policy": pol.id,
            "kind": pol.kind,
            "api": "projectcalico.org/v3",
            "namespace": pol.namespace,
            "name": pol.name,
            "tier": self.tier.name,
            "tier_order": self.tier.order,
            "tier_default_action": self.tier.default_action,
            "order": pol.order,
            "pass_goes_to": self.next_tier,
            "types": list(pol.types),
            "location": str(pol.location) if pol.location else None,
            "applies_to": [p.id for p in self.subjects],
            "summary": self.summary(),
            "rules": [r.to_dict() for r in self.rules],
        }


def _calico_rule(
    cluster: Reach, pol: CalicoPolicy, rule: AnyRule, targets: int, next_tier: str
) -> CniRuleReading:
    raw: CalicoRule = rule.rule
    ingress = rule.direction == "ingress"
    peer_entity, own_entity = (
        (raw.source, raw.destination) if ingress else (raw.destination, raw.source)
    )
    verb = CALICO_VERBS.get(rule.action) or f"passes to the next tier ({next_tier})"
    key = "from" if ingress else "to"
    peer = calico_entity_words(peer_entity, pol.namespace)
    ports = _calico_ports(raw)
    text = f"{verb} connections {key} {peer}, on {ports}"
    applies: tuple[str, ...] | None = None
    if not own_entity.is_empty:
        mine = calico_entity_words(own_entity, pol.namespace)
        text += f"; only for the selected pods that are {mine}"
    if raw.ip_version is not None:
        text += f"; only for the selected pods with an IPv{raw.ip_version} address"
    if not own_entity.is_empty or raw.ip_version is not None:
        applies = _pods(cluster, targets & (rule.subjects or 0))
    notes = list(_notes(raw.notes))
    if protocol_set(raw.protocol).is_empty:
        notes.append(
            f"protocol {raw.protocol}: netreach models TCP, UDP and SCTP, so the rule "
            "matches none of the connections it answers for"
        )
    if raw.inert:
        text += " [matches nothing in netreach: a part it cannot know decides; see below]"
    return CniRuleReading(
        rule.list_name,
        rule.direction,
        rule.index,
        rule.action,
        rule.location,
        text,
        _peer_readings(cluster, rule),
        ports,
        rule.direction in pol.types,
        applies,
        tuple(notes),
    )


def describe_calico_policy(cluster: Reach, index: int) -> CalicoPolicyReading:
    """Calico policy `index` (in `compiled.calico_policies`) in sentences."""
    compiled = cluster.compiled
    pol = compiled.calico_policies[index]
    tiers = compiled.calico_tiers
    at = next(i for i, t in enumerate(tiers) if t.name == pol.tier)
    later = [t.name for t in tiers[at + 1 :]]
    next_tier = (
        f"tier {later[0]}" + (f"; then {', '.join(later[1:])}" if later[1:] else "")
        if later
        else "no tier is left: allowed by the namespace profile"
    )
    mates = [p for p in compiled.calico_policies if p.tier == pol.tier]
    mates.sort(key=lambda p: p.order_key)
    rank = (mates.index(pol) + 1, len(mates))
    targets = compiled.policy_classes(pol)
    subjects = tuple(sorted(compiled.pods_of(targets), key=lambda p: p.id))
    rules = tuple(
        _calico_rule(cluster, pol, r, targets, next_tier) for r in _policy_rules(cluster, pol)
    )
    return CalicoPolicyReading(pol, tiers[at], next_tier, rank, subjects, rules)


# --- Cilium --------------------------------------------------------------------------------------


def _cilium_rule(cluster: Reach, rule: AnyRule) -> CniRuleReading:
    raw: CiliumRule = rule.rule
    ports = "every port and protocol" if raw.ports is None else admin_ports_words(raw.ports)
    key = "from" if rule.direction == "ingress" else "to"
    peers = _peer_readings(cluster, rule)
    if rule.all_peers:
        who = "every peer (no peer named: an L4-only rule)"
    elif raw.empty_l3:
        who = "no one (a peer list written empty selects nothing)"
    elif not raw.l3:
        who = "no one (neither peer nor port: Cilium's default-deny idiom)"
    elif not peers:
        who = "no peer netreach models (it matches nothing here; see below)"
    elif len(peers) == 1:
        who = peers[0].words
    else:
        who = "any of: " + "; ".join(f"({p.index + 1}) {p.words}" for p in peers)
    if rule.action == "Deny":
        text = f"denies connections {key} {who}, on {ports} (deny rules win over every allow)"
    else:
        text = f"allows connections {key} {who}, on {ports}"
    return CniRuleReading(
        rule.list_name,
        rule.direction,
        rule.index,
        rule.action,
        rule.location,
        text,
        peers,
        ports,
        not_modelled=_notes(raw.notes),
    )


@dataclass(frozen=True)
class CiliumSpecReading:
    """One rule set (`spec`, or one entry of `specs`) of a Cilium policy."""

    policy: CiliumPolicy
    subjects: tuple[Pod, ...]
    rules: tuple[CniRuleReading, ...]

    @property
    def label(self) -> str:
        i = self.policy.spec_index
        return "spec" if i is None else f"specs[{i}]"

    def summary(self) -> list[str]:
        pol = self.policy
        if pol.subject is None:
            return [
                "nodeSelector: a host policy (Cilium's host firewall), which netreach does not "
                "model (verdicts with an address or a host-network pod say so)."
            ]
        lines = [
            f"Selects {cilium_endpoint_words(pol.subject)}: {len(self.subjects)} pod(s) now "
            "(host-network pods have the host's identity: never selected)."
        ]
        for d in DIRECTIONS:
            rules = [r for r in self.rules if r.direction == d]
            if d in pol.default_deny:
                lines.append(
                    f"{d.capitalize()}: default deny for the pods it selects: what no allow rule "
                    "(of any Cilium policy or NetworkPolicy selecting them) admits is denied."
                )
            elif rules:
                lines.append(
                    f"{d.capitalize()}: enableDefaultDeny.{d} is false: its rules add to what "
                    "other policies say without putting the pods in default deny."
                )
            else:
                lines.append(f"No {d} rules: it leaves {d} to other policies.")
        if any(r.action == "Deny" for r in self.rules):
            lines.append(
                "Deny rules (ingressDeny / egressDeny) take precedence over every allow rule, "
                "of every policy, Kubernetes NetworkPolicies included."
            )
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "spec": self.label,
            "default_deny": list(self.policy.default_deny),
            "applies_to": [p.id for p in self.subjects],
            "summary": self.summary(),
            "rules": [r.to_dict() for r in self.rules],
        }


@dataclass(frozen=True)
class CiliumPolicyReading:
    specs: tuple[CiliumSpecReading, ...]  # one per rule set, in order

    @property
    def policy(self) -> CiliumPolicy:
        return self.specs[0].policy

    @property
    def id(self) -> str:
        pol = self.policy
        where = f"{pol.namespace}/" if pol.namespace else ""
        return f"{pol.kind}/{where}{pol.name}"

    def summary(self) -> list[str]:
        pol = self.policy
        if pol.namespace is None:
            scope = "a clusterwide policy: its selectors span every namespace"
        else:
            scope = (
                f"its selectors apply in namespace {pol.namespace} unless they name "
                "io.kubernetes.pod.namespace"
            )
        lines = [f"{pol.kind} ({scope})."]
        if len(self.specs) > 1:
            lines.append(f"{len(self.specs)} rule sets (specs), each read on its own below.")
        return lines

    def to_dict(self) -> dict[str, Any]:
        pol = self.policy
        return {
            "policy": self.id,
            "kind": pol.kind,
            "api": "cilium.io/v2",
            "namespace": pol.namespace,
            "name": pol.name,
            "location": str(pol.location) if pol.location else None,
            "summary": self.summary(),
            "specs": [s.to_dict() for s in self.specs],
        }


def describe_cilium_policy(cluster: Reach, index: int) -> CiliumPolicyReading:
    """The Cilium policy whose rule set `index` (in `compiled.cilium_policies`) is, with every
    rule set of the same object, in sentences."""
    compiled = cluster.compiled
    first = compiled.cilium_policies[index]
    same = [
        p
        for p in compiled.cilium_policies
        if (p.kind, p.namespace, p.name) == (first.kind, first.namespace, first.name)
    ]
    specs = []
    for pol in same:
        targets = compiled.policy_classes(pol)
        subjects = tuple(sorted(compiled.pods_of(targets), key=lambda p: p.id))
        rules = tuple(_cilium_rule(cluster, r) for r in _policy_rules(cluster, pol))
        specs.append(CiliumSpecReading(pol, subjects, rules))
    return CiliumPolicyReading(tuple(specs))
