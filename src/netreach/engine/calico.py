"""Calico's policies compiled into the engine's one rule type and its stages.

What Calico does (docs.tigera.io, "Get started with Calico network policy", "Policy tiers";
libcalico-go updateprocessors/rules.go; felix calc/policy_sorter.go), each pinned by a test in
tests/engine/test_calico.py:

- A NetworkPolicy selects pods of its namespace by `selector` (and `serviceAccountSelector`,
  on the labels of the pod's ServiceAccount); a GlobalNetworkPolicy pods of every namespace
  (of the namespaces `namespaceSelector` picks). Host-network pods are host endpoints, never
  selected. preDNAT / doNotTrack / applyOnForward policies are for host endpoints only.
- Tiers apply in order (lower first; none last; then by name); within a tier, policies by
  order (none last), then "name/namespace/kind"; within a policy, rules in order. The first
  rule that matches decides: Allow, Deny; Pass goes to the next tier; Log matches and goes
  on. A pod that some policy of a tier selects (with the direction in its types) and that no
  rule of the tier decided gets the tier's default action: Deny (end of tier), or Pass.
  After the last tier, the namespace's profile allows.
- A rule matches when every criterion does: protocol / notProtocol; the peer entity (source
  of an ingress rule, destination of an egress one) by nets, notNets, selector, notSelector,
  namespaceSelector, serviceAccounts; the pod's own entity the same way; destination ports
  and notPorts (numbers, ranges, named ports on the destination pod).
- An entity's selector matches pods, and the addresses of NetworkSets / GlobalNetworkSets
  whose labels match (a pod whose address is in such a set matches too). In a namespaced
  policy, as soon as any selector field is used the entity is limited to the policy's
  namespace (or to the namespaces namespaceSelector picks; `global()`: only what lives
  outside namespaces); notSelector itself is never limited (rules.go GetEntityRuleSelector).
- nets / notNets match addresses, pod addresses included.
- ipVersion limits a rule to one address family: its peers and the pods it applies to are
  the pods with an address of that family (a pod without an address: the families the
  snapshot's pods use, IPv4 when none has one). The engine answers per pod, so between two
  dual-stack pods such a rule decides for both families, and the verdict says so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from netreach.engine import ipset
from netreach.engine.classes import SelectorUse
from netreach.engine.conns import ALL, EMPTY, ConnectionSet
from netreach.engine.intervals import Ranges, intersect, normalize, subtract
from netreach.engine.plugin import BUILTIN_TIERS, CalicoTierInfo, CompiledLike, OrderedRules
from netreach.engine.rules import AnyRule, PeerMatcher
from netreach.engine.selectors import indexes_of
from netreach.model import (
    PROTOCOLS,
    V_NAMESPACE,
    V_NS_LABEL,
    CalicoEntity,
    CalicoPolicy,
    CalicoRule,
    CalicoSelector,
    Direction,
    IPBlock,
    NetworkSet,
    NotModelled,
)

DIRECTIONS: tuple[Direction, Direction] = ("ingress", "egress")
_NUMBERED: dict[str, str] = {"6": "TCP", "17": "UDP", "132": "SCTP"}
# Registered as pod blocks when some rule has ipVersion: the classes then know each family.
FAMILY_BLOCKS: dict[int, IPBlock] = {4: IPBlock("0.0.0.0/0"), 6: IPBlock("::/0")}


def protocol_set(name: str | None) -> ConnectionSet:
    """The connections a `protocol` value covers (None: all; ICMP and others: none that
    netreach models)."""
    if name is None:
        return ALL
    proto = _NUMBERED.get(name, name)
    if proto in PROTOCOLS:
        return ConnectionSet.ports(proto)
    return EMPTY


@dataclass(frozen=True)
class _Families:
    classes: dict[int, int]  # IP version -> classes with an address of it
    dual_stack: bool  # some pod has both


# An entity's reach before ports: pod classes, addresses, or everyone.
Reach = tuple[int, Ranges]
GLOBAL = "global"  # namespace scope of `namespaceSelector: global()`
Scope = frozenset[str] | str | None  # namespaces; GLOBAL; None: everywhere


class CalicoCompiler:
    """Compiles the snapshot's Calico policies for one `Compiled`."""

    def __init__(self, compiled: CompiledLike) -> None:
        self.c = compiled
        self.policies: list[CalicoPolicy] = compiled.calico_policies
        snap = compiled.snapshot
        self.sets: list[NetworkSet] = list(snap.network_sets)
        self.tiers: list[CalicoTierInfo] = self._tiers()
        self._set_labels = [self._labels_of(s) for s in self.sets]
        self._set_cache: dict[tuple[CalicoSelector | None, Scope], tuple[int, Ranges]] = {}
        self.targets: list[int] = []
        # per policy and direction: the partition of its targets by the rules that apply
        self.parts: list[dict[Direction, list[tuple[int, tuple[AnyRule, ...]]]]] = []

    def _tiers(self) -> list[CalicoTierInfo]:
        tiers = {t.name: t for t in BUILTIN_TIERS}
        for t in self.c.snapshot.calico_tiers:
            tiers[t.name] = CalicoTierInfo(t.name, t.order, t.default_action)
        for p in self.policies:
            # a tier no Tier object defines: Calico would refuse the policy; the loader warned
            tiers.setdefault(p.tier, CalicoTierInfo(p.tier, None, "Deny"))
        inf = float("inf")
        return sorted(
            tiers.values(), key=lambda t: (t.order if t.order is not None else inf, t.name)
        )

    def _labels_of(self, s: NetworkSet) -> Mapping[str, str]:
        """A network set's labels as selectors see them: a namespaced set carries its
        namespace and inherits the namespace's labels (Calico's namespace profile)."""
        if s.namespace is None:
            return s.labels
        ns = self.c.namespaces.get(s.namespace)
        inherited = {V_NS_LABEL + k: v for k, v in (ns.labels if ns else {}).items()}
        return {**inherited, **s.labels, V_NAMESPACE: s.namespace}

    # --- before the classes: what the policies name ------------------------------------------
    def sources(
        self,
        uses: list[SelectorUse],
        names: set[str],
        blocks: set[IPBlock],
        pod_blocks: set[IPBlock],
    ) -> None:
        def net_blocks(nets: Iterable[str]) -> None:
            for n in nets:
                b = IPBlock(n)
                blocks.add(b)
                pod_blocks.add(b)

        for s in self.sets:
            net_blocks(s.nets)
        if any(r.ip_version is not None for p in self.policies for r in (*p.ingress, *p.egress)):
            net_blocks(b.cidr for b in FAMILY_BLOCKS.values())
        for pol in self.policies:
            uses.append(SelectorUse(pol.selector, self._subject_scope(pol)))
            for rule in (*pol.ingress, *pol.egress):
                for entity in (rule.source, rule.destination):
                    net_blocks(entity.nets)
                    net_blocks(entity.not_nets)
                    names.update(
                        p.port
                        for p in (*entity.ports, *entity.not_ports)
                        if isinstance(p.port, str)
                    )
                    scope = self._scope(entity, pol.namespace)
                    if entity.selector is not None and scope != GLOBAL:
                        uses.append(SelectorUse(entity.selector, _as_uses_scope(scope)))
                    if entity.not_selector is not None:
                        uses.append(SelectorUse(entity.not_selector, None))

    def _subject_scope(self, pol: CalicoPolicy) -> frozenset[str] | None:
        if pol.namespace is not None:
            return frozenset((pol.namespace,))
        if pol.namespace_selector is not None:
            return frozenset(self.c.ns_index.select(pol.namespace_selector))
        return None

    def _scope(self, entity: CalicoEntity, policy_ns: str | None) -> Scope:
        sel = entity.namespace_selector
        if sel is not None:
            if sel.is_global:
                return GLOBAL
            return frozenset(self.c.ns_index.select(sel))
        if policy_ns is not None:
            return frozenset((policy_ns,))
        return None

    # --- peers --------------------------------------------------------------------------------
    def _in_scope(self, s: NetworkSet, scope: Scope) -> bool:
        if scope == GLOBAL:
            return s.namespace is None
        if scope is None:
            return True
        return s.namespace in scope

    def _sets(self, selector: CalicoSelector | None, scope: Scope) -> tuple[int, Ranges]:
        """Network sets in `scope` whose labels `selector` matches: the classes with an
        address inside them, and their addresses."""
        key = (selector, scope)
        got = self._set_cache.get(key)
        if got is None:
            blocks = [
                IPBlock(n)
                for s, labels in zip(self.sets, self._set_labels, strict=True)
                if self._in_scope(s, scope) and (selector is None or selector.matches(labels))
                for n in s.nets
            ]
            got = (self.c.in_ranges(blocks), ipset.union(ipset.block_ranges(b) for b in blocks))
            self._set_cache[key] = got
        return got

    def entity(self, entity: CalicoEntity, policy_ns: str | None) -> Reach:
        """Whom an entity admits, as pod classes and addresses."""
        c = self.c
        classes, ranges = c.all_classes, ipset.EVERYTHING
        scope = self._scope(entity, policy_ns) if entity.uses_selectors else None
        # A positive selector: the entity's own, or its namespace limit (rules.go)
        if entity.selector is not None or scope is not None:
            pods = 0 if scope == GLOBAL else c.pods_in(_as_uses_scope(scope), entity.selector)
            set_classes, set_ranges = self._sets(entity.selector, scope)
            classes, ranges = pods | set_classes, set_ranges
        if entity.not_selector is not None:
            pods = c.pods_in(None, entity.not_selector)
            set_classes, set_ranges = self._sets(entity.not_selector, None)
            classes &= ~(pods | set_classes)
            ranges = subtract(ranges, set_ranges)
        if entity.nets:
            classes &= c.in_ranges(IPBlock(n) for n in entity.nets)
            ranges = intersect(ranges, _net_ranges(entity.nets))
        if entity.not_nets:
            classes &= ~c.in_ranges(IPBlock(n) for n in entity.not_nets)
            ranges = subtract(ranges, _net_ranges(entity.not_nets))
        return classes, ranges

    # --- rules --------------------------------------------------------------------------------
    def build(self) -> None:
        c = self.c
        for pi, pol in enumerate(self.policies):
            # host-endpoint policies and host-network pods: never a pod's policy
            targets = (
                c.pods_in(self._subject_scope(pol), pol.selector) if pol.applies_to_pods else 0
            )
            self.targets.append(targets)
            per: dict[Direction, list[tuple[int, tuple[AnyRule, ...]]]] = {}
            for direction in DIRECTIONS:
                rules = tuple(
                    self._rule(pi, pol, direction, i, r) for i, r in enumerate(pol.rules(direction))
                )
                per[direction] = _partition(targets, rules)
            self.parts.append(per)

    def _rule(
        self, pi: int, pol: CalicoPolicy, direction: Direction, index: int, rule: CalicoRule
    ) -> AnyRule:
        peer, own = (
            (rule.source, rule.destination)
            if direction == "ingress"
            else (rule.destination, rule.source)
        )
        protocols = protocol_set(rule.protocol)
        if rule.not_protocol is not None:
            protocols = protocols - protocol_set(rule.not_protocol)
        version = rule.ip_version
        family = self._families.classes[version] if version is not None else 0
        all_peers = peer.is_empty and version is None
        peers: tuple[PeerMatcher[CalicoEntity], ...] = ()
        notes = rule.notes
        if not all_peers:
            classes, ranges = self.entity(peer, pol.namespace)
            if version is not None:
                classes &= family
                ranges = intersect(ranges, ipset.V4_ALL if version == 4 else ipset.V6_ALL)
            peers = (PeerMatcher(0, peer, classes, ranges),)
        subjects = None if own.is_empty else self.entity(own, pol.namespace)[0]
        if version is not None:
            subjects = family if subjects is None else subjects & family
            if self._families.dual_stack:
                other = 10 - version
                notes = (
                    *notes,
                    NotModelled(
                        f"ipVersion {version} between dual-stack pods (answered per pod: "
                        f"the pods' IPv{other} traffic does not meet this rule)",
                        "admits",
                        "pods",
                    ),
                )
        dst = rule.destination
        return self.c.make_rule(
            "Calico",
            rule.action,
            pol,
            pi,
            direction,
            index,
            rule,
            peers,
            all_peers,
            dst.ports or None,
            not_ports=dst.not_ports,
            protocols=protocols,
            subjects=subjects,
            stage=pol.tier,
            notes=notes,
        )

    @cached_property
    def _families(self) -> _Families:
        """Per IP version, the classes of the pods with an address of it (read once the
        classes exist, and only for rules with ipVersion); a pod without an address is taken
        to have the families the others have (IPv4 if none has one)."""
        c = self.c
        seen: set[int] = set()
        dual = False
        for pod in c.snapshot.pods:
            mine = {6 if ":" in ip else 4 for ip in pod.ips}
            seen |= mine
            dual = dual or len(mine) == 2
        has = {v: c.in_block(b) for v, b in FAMILY_BLOCKS.items()}
        unaddressed = c.all_classes & ~(has[4] | has[6])
        assumed = seen or {4}
        return _Families(
            {v: bits | (unaddressed if v in assumed else 0) for v, bits in has.items()}, dual
        )

    # --- programs -----------------------------------------------------------------------------
    def per_class(self, direction: Direction) -> list[tuple[object, ...]]:
        """Per class: the (policy, part) pairs of the Calico policies that select it in
        `direction` (the key its program is interned by)."""
        per: list[list[tuple[int, int]]] = [[] for _ in self.c.classes]
        for pi, pol in enumerate(self.policies):
            if not pol.isolates(direction):
                continue
            for part, (bits, _) in enumerate(self.parts[pi][direction]):
                for ci in indexes_of(bits):
                    per[ci].append((pi, part))
        return [tuple(x) for x in per]

    def entries(
        self, direction: Direction, key: tuple[object, ...]
    ) -> tuple[dict[str, OrderedRules], set[str]]:
        """Per tier, the selecting policies' rules with their order keys; and the tiers some
        policy of which selects the class (for the end-of-tier action)."""
        out: dict[str, OrderedRules] = defaultdict(list)
        selecting: set[str] = set()
        for item in key:
            assert isinstance(item, tuple)
            pi: int = item[0]
            part: int = item[1]
            pol = self.policies[pi]
            selecting.add(pol.tier)
            out[pol.tier].append((pol.order_key, self.parts[pi][direction][part][1]))
        for entries in out.values():
            entries.sort(key=lambda e: e[0])
        return out, selecting


def _as_uses_scope(scope: Scope) -> frozenset[str] | None:
    if scope == GLOBAL:
        return frozenset()
    return scope  # type: ignore[return-value]


def _net_ranges(nets: Iterable[str]) -> Ranges:
    return normalize(r for n in nets for r in ipset.block_ranges(IPBlock(n)))


def _partition(targets: int, rules: tuple[AnyRule, ...]) -> list[tuple[int, tuple[AnyRule, ...]]]:
    """The policy's targets split by which of its rules apply (a rule's own-side entity may
    leave some out); one part when none does."""
    parts: list[tuple[int, list[AnyRule]]] = [(targets, [])]
    for r in rules:
        if r.rule.inert:
            continue  # it matches nothing (its notes say it may)
        if r.subjects is None:
            for _, rs in parts:
                rs.append(r)
            continue
        out: list[tuple[int, list[AnyRule]]] = []
        for bits, rs in parts:
            inside = bits & r.subjects
            rest = bits & ~r.subjects
            if inside:
                out.append((inside, [*rs, r]))
            if rest:
                out.append((rest, rs))
        parts = out
    return [(bits, tuple(rs)) for bits, rs in parts if bits]
