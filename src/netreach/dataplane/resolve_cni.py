"""Calico's and Cilium's policies, in the dataplane's reading, resolved against the lab's pods
into stages: each stage is an ordered list of rules (the first that matches decides: Allow,
Deny; Pass goes to the next stage) and the pods the stage denies at its end. nft.py compiles
stages to one chain each. Reads `objects.py` types and resolve.py's Resolver, never the engine.

The stages, per direction, as docs/semantics.md and docs/verify.md state them:
- Calico: one stage per tier (built-in kube-admin 1000, default 1e6, kube-baseline 1e7 and
  the Tier objects; by order, none last, then name). In a tier, policies by order (none
  last), then "name/namespace/kind"; the admin tiers' policies are in kube-admin and
  kube-baseline (order = priority), Kubernetes NetworkPolicies in default at order 1000. A
  tier whose default action is Deny denies, at its end, the pods some policy of it selects
  (NetworkPolicy isolation counts in the default tier). Log rules decide nothing.
- Cilium: the Admin tier; Cilium's deny rules; Cilium's allow rules with NetworkPolicy's,
  denying at the end the pods in default deny (a Cilium policy's, or NetworkPolicy
  isolation); the Baseline tier.
- Both in one input: Calico's tiers, Cilium's allow rules ending the default tier and its
  deny rules just before it (before every tier for a pod only they concern), as the engine
  orders them (no cluster runs both plugins' policies at once).

Peers are matched per lab pod (labels, namespace, addresses), exactly as the engine decides
a pod; what is left of an address peer outside the lab's addresses is compiled as prefixes
(and not probed). Calico's address peers (nets, notNets, NetworkSets) match pod addresses
whatever `--ipblock-external-only` says (they are not ipBlocks); Cilium's CIDR peers never
match pods.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from netreach.calico_selector import Expr
from netreach.dataplane.addresses import Network, parse_address, parse_network
from netreach.dataplane.decode_cni import BUILTIN_TIERS, POD_NAMESPACE, SA_NAME
from netreach.dataplane.objects import (
    PROTOS,
    CalicoEntity,
    CalicoPolicy,
    CalicoRule,
    CalicoTier,
    CiliumPolicy,
    CiliumRule,
    NetworkSet,
    Port,
    Proto,
)
from netreach.dataplane.resolve import (
    ALL_PORTS,
    EVERYWHERE,
    Allowance,
    Direction,
    Endpoint,
    PortRange,
    ResolvedRule,
    Resolver,
    block_nets,
)

Action = Literal["Allow", "Deny", "Pass"]
Target = tuple[Network, Endpoint | None]  # a peer prefix, and the lab pod it is (if one)
_CALICO_OWN = ("projectcalico.org/namespace", "projectcalico.org/serviceaccount")
_CILIUM_NS_LABELS = "io.cilium.k8s.namespace.labels."
_CILIUM_OWN = (POD_NAMESPACE, "io.cilium.k8s.policy.serviceaccount", "io.cilium.k8s.policy.cluster")
_GLOBAL = "global"
Scope = frozenset[str] | str | None  # namespaces; _GLOBAL: outside namespaces; None: all
NP_ORDER = 1000.0  # Kubernetes NetworkPolicies in Calico's default tier


@dataclass(frozen=True, slots=True)
class Stage:
    title: str  # for a comment: user text (a tier's name), escaped by the compiler
    rules: tuple[ResolvedRule, ...]
    closed: tuple[Endpoint, ...] = ()  # denied at the end of the stage


# --- address arithmetic over both families ---------------------------------------------------

Spans = dict[int, list[tuple[int, int]]]  # version -> sorted disjoint [lo, hi]


def _spans(nets: Iterable[Network]) -> Spans:
    out: Spans = {4: [], 6: []}
    for n in sorted(nets, key=lambda n: (n.version, int(n.network_address))):
        lo, hi = int(n.network_address), int(n.broadcast_address)
        spans = out[n.version]
        if spans and lo <= spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], max(hi, spans[-1][1]))
        else:
            spans.append((lo, hi))
    return out


def _nets(spans: Spans) -> list[Network]:
    out: list[Network] = []
    for version, make in ((4, ipaddress.IPv4Address), (6, ipaddress.IPv6Address)):
        for lo, hi in spans[version]:
            out += ipaddress.summarize_address_range(make(lo), make(hi))
    return out


def _cut(a: list[tuple[int, int]], b: list[tuple[int, int]], keep: bool) -> list[tuple[int, int]]:
    """a ∩ b (keep) or a − b, on sorted disjoint spans."""
    out: list[tuple[int, int]] = []
    for lo, hi in a:
        pieces = []
        cur = lo
        for blo, bhi in b:
            if bhi < lo or blo > hi:
                continue
            if keep:
                pieces.append((max(lo, blo), min(hi, bhi)))
            else:
                if blo > cur:
                    pieces.append((cur, blo - 1))
                cur = max(cur, bhi + 1)
        if not keep and cur <= hi:
            pieces.append((cur, hi))
        out += pieces
    return out


def intersect(a: Iterable[Network], b: Iterable[Network]) -> list[Network]:
    sa, sb = _spans(a), _spans(b)
    return _nets({v: _cut(sa[v], sb[v], True) for v in (4, 6)})


def minus(a: Iterable[Network], b: Iterable[Network]) -> list[Network]:
    sa, sb = _spans(a), _spans(b)
    return _nets({v: _cut(sa[v], sb[v], False) for v in (4, 6)})


def _parsed(texts: Iterable[str]) -> list[Network]:
    return [n for n in (parse_network(t) for t in texts) if n is not None]


def _ranges_minus(ranges: list[PortRange], cuts: list[PortRange]) -> list[PortRange]:
    spans = _cut(sorted(_merge(ranges)), sorted(_merge(cuts)), False)
    return [(lo, hi) for lo, hi in spans]


def _merge(ranges: Iterable[PortRange]) -> list[PortRange]:
    out: list[PortRange] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return out


def _port_ranges(ports: Sequence[Port], proto: Proto, dst: Endpoint | None) -> list[PortRange]:
    """The ranges `ports` give `proto` (a named port looked up on the destination pod)."""
    out: list[PortRange] = []
    for p in ports:
        if p.protocol not in (None, proto):
            continue
        if isinstance(p.port, str):
            if dst is not None:
                out += [
                    (cp.port, cp.port)
                    for cp in dst.ports
                    if cp.name == p.port and cp.protocol == proto and 0 <= cp.port <= 65535
                ]
        elif p.port is None:
            out.append(ALL_PORTS)
        elif 0 <= p.port <= (p.end or p.port) <= 65535:
            out.append((p.port, p.end or p.port))
    return out


def _allowances(
    subject: Endpoint,
    direction: Direction,
    targets: Sequence[Target],
    ports: PortsFor,
    per_peer: bool,
) -> list[Allowance]:
    """What one rule opens for one subject: one allowance when the ports do not depend on
    the peer, else one per peer (named ports on an egress rule's destination)."""
    if not targets:
        return []
    if direction == "ingress" or not per_peer:
        opened = ports(subject if direction == "ingress" else None)
        return [Allowance(tuple(n for n, _ in targets), opened)] if opened else []
    out = []
    for net, peer in targets:
        opened = ports(peer)
        if opened:
            out.append(Allowance((net,), opened))
    return out


class PortsFor:
    """The ports a rule opens towards a destination pod (None: an address outside the lab)."""

    def __init__(
        self, protocols: Sequence[Proto], ports: Sequence[Port] | None, not_ports: Sequence[Port]
    ) -> None:
        self.protocols = protocols
        self.ports = ports
        self.not_ports = not_ports

    def __call__(self, dst: Endpoint | None) -> Mapping[Proto, tuple[PortRange, ...]]:
        out: dict[Proto, tuple[PortRange, ...]] = {}
        for proto in self.protocols:
            ranges = [ALL_PORTS] if self.ports is None else _port_ranges(self.ports, proto, dst)
            ranges = _ranges_minus(ranges, _port_ranges(self.not_ports, proto, dst))
            if ranges:
                out[proto] = tuple(ranges)
        return out

    @property
    def named(self) -> bool:
        return any(isinstance(p.port, str) for p in (*(self.ports or ()), *self.not_ports))


# --- the resolver ------------------------------------------------------------------------------


class CniResolver:
    """Stages of the lab's pods for Calico's or Cilium's policies (and the Kubernetes kinds
    beside them), per direction."""

    def __init__(self, base: Resolver) -> None:
        self.base = base
        self.m = base.manifests
        self.endpoints = base.endpoints
        self.pods = base.pods
        self.lab: list[Network] = [n for e in self.endpoints for n in e.host_nets()]
        nodes = [parse_address(a) for n in self.m.nodes.values() for a in n.addresses]
        self.node_nets: list[Network] = [ipaddress.ip_network(a) for a in nodes if a is not None]
        self._labels: dict[str, dict[str, str]] = {}

    # --- Calico -------------------------------------------------------------------------------
    def calico_labels(self, e: Endpoint) -> dict[str, str]:
        """A pod's labels as Calico's selectors read them: its own, its namespace's (pcns.),
        its ServiceAccount's (pcsa.), and Calico's (namespace, serviceaccount, orchestrator)."""
        got = self._labels.get(e.id)
        if got is None:
            ns, sa = e.pod.namespace, e.service_account
            got = {
                k: v
                for k, v in e.labels.items()
                if not k.startswith(("pcns.", "pcsa."))
                and k not in _CALICO_OWN
                and k != "projectcalico.org/orchestrator"
            }
            got.update({"pcns." + k: v for k, v in self.m.namespace_labels(ns).items()})
            got.update({"pcsa." + k: v for k, v in self.m.accounts.get((ns, sa), {}).items()})
            got.update(
                {
                    "pcns.projectcalico.org/name": ns,
                    "projectcalico.org/namespace": ns,
                    "pcsa.projectcalico.org/name": sa,
                    SA_NAME: sa,
                    "projectcalico.org/orchestrator": "k8s",
                }
            )
            self._labels[e.id] = got
        return got

    def _ns_calico(self, ns: str) -> dict[str, str]:
        return {**self.m.namespace_labels(ns), "projectcalico.org/name": ns}

    def _namespaces(self, sel: Expr) -> frozenset[str]:
        names = {e.pod.namespace for e in self.endpoints} | set(self.m.namespaces)
        names |= {s.namespace for s in self.m.network_sets.values() if s.namespace}
        return frozenset(n for n in names if sel.matches(self._ns_calico(n)))

    def _set_labels(self, s: NetworkSet) -> Mapping[str, str]:
        if s.namespace is None:
            return s.labels
        inherited = {"pcns." + k: v for k, v in self.m.namespace_labels(s.namespace).items()}
        return {
            **inherited,
            **s.labels,
            "pcns.projectcalico.org/name": s.namespace,
            "projectcalico.org/namespace": s.namespace,
        }

    def _sets(self, selector: Expr | None, scope: Scope) -> list[Network]:
        out: list[Network] = []
        for s in self.m.network_sets.values():
            if scope == _GLOBAL and s.namespace is not None:
                continue
            if isinstance(scope, frozenset) and s.namespace not in scope:
                continue
            if selector is None or selector.matches(self._set_labels(s)):
                out += _parsed(s.nets)
        return out

    def _scope(self, entity: CalicoEntity, policy_ns: str | None) -> Scope:
        if not entity.uses_selectors:
            return None
        sel = entity.namespace_selector
        if sel is not None:
            return _GLOBAL if sel.is_global else self._namespaces(sel)
        return frozenset((policy_ns,)) if policy_ns is not None else None

    @staticmethod
    def _inside(e: Endpoint, nets: Sequence[Network]) -> bool:
        return any(a in n for a in e.pod.addresses for n in nets if a.version == n.version)

    def calico_entity(
        self, entity: CalicoEntity, policy_ns: str | None
    ) -> tuple[list[Endpoint], list[Network]]:
        """The lab pods an entity matches, and its addresses outside the lab."""
        scope = self._scope(entity, policy_ns)
        positive = entity.selector is not None or scope is not None
        pos_sets = self._sets(entity.selector, scope) if positive else []
        not_sets = self._sets(entity.not_selector, None) if entity.not_selector is not None else []
        nets, not_nets = _parsed(entity.nets), _parsed(entity.not_nets)
        pods: list[Endpoint] = []
        for e in self.endpoints:
            if positive:
                by_labels = (
                    not e.pod.host
                    and scope != _GLOBAL
                    and (scope is None or e.pod.namespace in scope)
                    and (entity.selector is None or entity.selector.matches(self.calico_labels(e)))
                )
                if not by_labels and not self._inside(e, pos_sets):
                    continue
            if entity.not_selector is not None:
                if not e.pod.host and entity.not_selector.matches(self.calico_labels(e)):
                    continue
                if self._inside(e, not_sets):
                    continue
            if nets and not self._inside(e, nets):
                continue
            if not_nets and self._inside(e, not_nets):
                continue
            pods.append(e)
        external: list[Network] = pos_sets if positive else list(EVERYWHERE)
        if not_sets:
            external = minus(external, not_sets)
        if nets:
            external = intersect(external, nets)
        if not_nets:
            external = minus(external, not_nets)
        return pods, minus(external, self.lab)

    def calico_selected(self, policy: CalicoPolicy, direction: Direction) -> list[Endpoint]:
        if direction not in policy.types or not policy.applies_to_pods:
            return []
        ns_sel = policy.namespace_selector
        return [
            e
            for e in self.pods
            if (policy.namespace is None or e.pod.namespace == policy.namespace)
            and (ns_sel is None or ns_sel.matches(self._ns_calico(e.pod.namespace)))
            and policy.selector.matches(self.calico_labels(e))
        ]

    def calico_rule(
        self,
        policy: CalicoPolicy,
        direction: Direction,
        index: int,
        rule: CalicoRule,
        selected: list[Endpoint],
    ) -> ResolvedRule:
        peer, own = (
            (rule.source, rule.destination)
            if direction == "ingress"
            else (rule.destination, rule.source)
        )
        where = f"{_calico_id(policy)} {direction}[{index}]"
        summary = f"{rule.action} (Calico tier {policy.tier})"
        action: Action = "Deny" if rule.action == "Log" else rule.action  # (Log never comes)
        entries: list[tuple[Endpoint, Allowance]] = []
        if not rule.inert and rule.protocols:
            subjects = selected
            if own.nets or own.not_nets or own.uses_selectors:
                mine = {e.id for e in self.calico_entity(own, policy.namespace)[0]}
                subjects = [e for e in selected if e.id in mine]
            everyone = not (peer.nets or peer.not_nets or peer.uses_selectors)
            if everyone and rule.ip_version is None:
                pods, external = self.endpoints, minus(EVERYWHERE, self.lab)
            else:
                pods, external = self.calico_entity(peer, policy.namespace)
                if rule.ip_version is not None:
                    external = intersect(external, [EVERYWHERE[rule.ip_version == 6]])
            # ipVersion per packet, as the kernel does (the engine answers per pod: between
            # dual-stack pods they differ, and the engine's verdict says so)
            targets: list[Target] = [
                (n, e)
                for e in pods
                for n in e.host_nets()
                if rule.ip_version is None or n.version == rule.ip_version
            ]
            targets += [(n, None) for n in external]
            dst = rule.destination
            ports = PortsFor(rule.protocols, dst.ports or None, dst.not_ports)
            for e in subjects:
                entries += [(e, a) for a in _allowances(e, direction, targets, ports, ports.named)]
        return ResolvedRule(
            where, summary, direction, True, tuple(entries), tier="Calico", action=action
        )

    def calico_tiers(self) -> list[CalicoTier]:
        tiers = dict(BUILTIN_TIERS)
        tiers.update(self.m.tiers)
        for p in self.m.calico.values():
            tiers.setdefault(p.tier, CalicoTier(p.tier, None, "Deny"))
        inf = float("inf")
        return sorted(tiers.values(), key=lambda t: (inf if t.order is None else t.order, t.name))

    def calico_stages(self, direction: Direction, cilium: bool = False) -> list[Stage]:
        """Calico's tiers; with `cilium`, Cilium's policies too, as the engine orders both
        plugins' policies together (docs/verify.md): Cilium's allow rules at the end of the
        default tier (its default deny closes that tier), its deny rules in a stage just
        before the default tier; for a pod that Cilium's deny rules alone concern in a
        direction (no allow rule, no default deny, no isolating NetworkPolicy), before
        every tier."""
        early: list[ResolvedRule] = []
        late: list[ResolvedRule] = []
        allow: list[ResolvedRule] = []
        cil_closed: dict[str, Endpoint] = {}
        if cilium:
            allow = self.cilium_rules(direction, False)
            speaks = {e.id for e in self.base.isolated(direction)}
            for specs in self.m.cilium.values():
                for pol in specs:
                    selected = self.cilium_selected(pol)
                    if direction in pol.default_deny:
                        cil_closed.update((e.id, e) for e in selected)
                    if pol.rules(direction, False) or direction in pol.default_deny:
                        speaks.update(e.id for e in selected)
            for r in self.cilium_rules(direction, True):
                first = tuple(x for x in r.entries if x[0].id not in speaks)
                rest = tuple(x for x in r.entries if x[0].id in speaks)
                early.append(dataclasses.replace(r, entries=first))
                late.append(dataclasses.replace(r, entries=rest))
        stages = self._calico_tiers(direction, tuple(allow), cil_closed, tuple(late))
        if any(r.entries for r in early):
            stages.insert(
                0, Stage("Cilium deny rules (no Cilium allow or default deny)", tuple(early))
            )
        return stages

    def _calico_tiers(
        self,
        direction: Direction,
        cilium_allow: tuple[ResolvedRule, ...],
        cilium_closed: Mapping[str, Endpoint],
        cilium_deny: tuple[ResolvedRule, ...],
    ) -> list[Stage]:
        Entry = tuple[tuple[float, str], list[ResolvedRule]]
        by_tier: dict[str, list[Entry]] = {}
        closing: dict[str, dict[str, Endpoint]] = {}
        for pol in self.m.calico.values():
            selected = self.calico_selected(pol, direction)
            rules = [  # a Log rule decides nothing: the next rule does
                self.calico_rule(pol, direction, i, r, selected)
                for i, r in enumerate(pol.ingress if direction == "ingress" else pol.egress)
                if r.action != "Log"
            ]
            by_tier.setdefault(pol.tier, []).append((pol.order_key, rules))
            closing.setdefault(pol.tier, {}).update((e.id, e) for e in selected)
        stages: list[Stage] = []
        for tier in self.calico_tiers():
            mine = by_tier.get(tier.name, [])
            others: list[Entry] = []
            closed = dict(closing.get(tier.name, {}))
            if tier.name in ("kube-admin", "kube-baseline"):
                baseline = tier.name == "kube-baseline"
                for ap in self.base.admin_order():
                    if ap.baseline == baseline:
                        key = (float(ap.priority), f"{ap.name}//{ap.kind}")
                        others.append((key, self.base.admin_policy_rules(ap, direction)))
            elif tier.name == "default":
                for np in self.m.policies.values():
                    rules = self.base.policy_rules(np, direction)
                    if np.ingress_isolated if direction == "ingress" else np.egress_isolated:
                        key = (NP_ORDER, f"{np.name}/{np.namespace}/KubernetesNetworkPolicy")
                        others.append((key, rules))
                        closed.update((e.id, e) for e in self.base.selected(np))
                closed.update(cilium_closed)
            # as the engine merges them: by order when Calico's policies are in the tier
            entries = sorted([*mine, *others], key=lambda x: x[0]) if mine else others
            ordered = tuple(r for _, rs in entries for r in rs)
            if tier.name == "default" and cilium_deny:
                stages.append(Stage("Cilium deny rules", cilium_deny))
            if tier.name == "default":
                ordered += cilium_allow
            shut = tuple(closed.values()) if tier.default_action == "Deny" else ()
            if ordered or shut:
                stages.append(Stage(f"Calico tier {tier.name}", ordered, shut))
        return stages

    # --- Cilium -------------------------------------------------------------------------------
    def cilium_labels(self, e: Endpoint) -> dict[str, str]:
        ns = e.pod.namespace
        out = {
            k: v
            for k, v in e.labels.items()
            if k not in _CILIUM_OWN and not k.startswith(_CILIUM_NS_LABELS)
        }
        out.update({_CILIUM_NS_LABELS + k: v for k, v in self.m.namespace_labels(ns).items()})
        out[POD_NAMESPACE] = ns
        out["io.cilium.k8s.policy.serviceaccount"] = e.service_account
        out["io.cilium.k8s.policy.cluster"] = "default"
        return out

    def cilium_selected(self, policy: CiliumPolicy) -> list[Endpoint]:
        sel = policy.subject
        if sel is None:
            return []  # a nodeSelector (host) policy
        return [e for e in self.pods if sel.matches(self.cilium_labels(e))]

    def _cilium_targets(self, rule: CiliumRule) -> list[Target]:
        everyone = [(n, e) for e in self.endpoints for n in e.host_nets()]
        outside = minus(EVERYWHERE, self.lab)
        if not rule.l3:
            if rule.empty_l3 or rule.ports is None:
                return []  # `ingress: [{}]` or an empty peer list: no one
            return everyone + [(n, None) for n in outside]
        out: list[Target] = []
        for sel in rule.endpoints:
            out += [
                (n, e)
                for e in self.pods
                if sel.matches(self.cilium_labels(e))
                for n in e.host_nets()
            ]
        for cidr, excepts in rule.cidrs:  # addresses outside the cluster only
            out += [(n, None) for n in minus(block_nets(cidr, excepts) or [], self.lab)]
        v4, v6 = EVERYWHERE
        for entity in rule.entities:
            if entity == "all":
                out += everyone + [(n, None) for n in outside]
            elif entity == "cluster":
                out += everyone + [(n, None) for n in minus(self.node_nets, self.lab)]
            elif entity.startswith("world"):
                world = minus(outside, self.node_nets)
                if entity == "world-ipv4":
                    world = intersect(world, [v4])
                elif entity == "world-ipv6":
                    world = intersect(world, [v6])
                out += [(n, None) for n in world]
            # host, remote-node, kube-apiserver...: not modelled (a note says so); none: no one
        return out

    def cilium_rules(self, direction: Direction, deny: bool) -> list[ResolvedRule]:
        out: list[ResolvedRule] = []
        for (kind, ns, name), specs in self.m.cilium.items():
            for si, pol in enumerate(specs):
                selected = self.cilium_selected(pol)
                key = f"{direction}Deny" if deny else direction
                spec = f" specs[{si}]" if len(specs) > 1 else ""
                for index, rule in enumerate(pol.rules(direction, deny)):
                    where = f"{kind}/{ns + '/' if ns else ''}{name}{spec} {key}[{index}]"
                    targets = self._cilium_targets(rule)
                    ports = PortsFor(PROTOS, rule.ports, ())
                    entries = [
                        (e, a)
                        for e in selected
                        for a in _allowances(e, direction, targets, ports, ports.named)
                    ]
                    out.append(
                        ResolvedRule(
                            where,
                            "Deny" if deny else "Allow",
                            direction,
                            True,
                            tuple(entries),
                            tier="Cilium",
                            action="Deny" if deny else "Allow",
                        )
                    )
        return out

    def cilium_stages(self, direction: Direction) -> list[Stage]:
        admin = [r for r in self.base.admin_rules() if r.direction == direction]
        closed: dict[str, Endpoint] = {e.id: e for e in self.base.isolated(direction)}
        for specs in self.m.cilium.values():
            for pol in specs:
                if direction in pol.default_deny:
                    closed.update((e.id, e) for e in self.cilium_selected(pol))
        np_rules = [r for r in self.base.network_policy_rules() if r.direction == direction]
        stages = [
            Stage("Admin tier", tuple(r for r in admin if r.tier == "Admin")),
            Stage("Cilium deny rules", tuple(self.cilium_rules(direction, True))),
            Stage(
                "Cilium allow rules and NetworkPolicy (default deny at the end)",
                tuple(np_rules + self.cilium_rules(direction, False)),
                tuple(closed.values()),
            ),
            Stage("Baseline tier", tuple(r for r in admin if r.tier == "Baseline")),
        ]
        return [s for s in stages if s.rules or s.closed]


def _calico_id(policy: CalicoPolicy) -> str:
    if policy.namespace is None:
        return f"GlobalNetworkPolicy/{policy.name}"
    return f"CalicoNetworkPolicy/{policy.namespace}/{policy.name}"
