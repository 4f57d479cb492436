"""Cilium's policies compiled into the engine's one rule type and its stages.

What Cilium does at L3/L4 (docs.cilium.io "Policy Enforcement Modes", "Layer 3 Examples",
"Layer 4 Examples", "Deny Policies"; pkg/k8s/apis/cilium.io/utils/utils.go), each pinned by a
test in tests/engine/test_cilium.py:

- A rule's endpointSelector selects pods (of the policy's namespace for a
  CiliumNetworkPolicy; of every namespace for a CiliumClusterwideNetworkPolicy). Host-network
  pods have the host's identity: no endpointSelector selects them.
- Deny rules (ingressDeny / egressDeny) of every policy take precedence over every allow
  rule, of Cilium's policies and of Kubernetes NetworkPolicies alike.
- A pod some rule selects with ingress (or ingressDeny) rules is in default deny for
  ingress, unless the rule says `enableDefaultDeny: {ingress: false}` (egress alike); then only
  what some allow rule admits passes. NetworkPolicy's isolation is the same default deny.
- Peers: fromEndpoints / toEndpoints selectors (in a CiliumNetworkPolicy limited to the
  policy's namespace unless they name io.kubernetes.pod.namespace: a namespace-labels key
  does not lift the limit, as utils.go getEndpointSelector adds it; in a clusterwide policy
  every namespace),
  fromCIDR / fromCIDRSet with except (addresses outside the cluster only: CIDR rules never
  match pods), entities `world` (outside the cluster: not a pod, not a node), `cluster` (every
  pod and node), `all`. A rule with ports and no peer admits every peer; a rule with neither
  admits no one; a peer list written empty admits no one.
- toPorts: TCP, UDP, SCTP or ANY (all three), port 0 (every port), endPort ranges, named
  ports on the destination pod; ICMP rules open none of the connections netreach models.
"""

from __future__ import annotations

from netreach.engine import ipset
from netreach.engine.classes import SelectorUse
from netreach.engine.intervals import Ranges, intersect, normalize, subtract
from netreach.engine.plugin import CompiledLike, node_block
from netreach.engine.rules import AnyRule, PeerMatcher
from netreach.engine.selectors import indexes_of
from netreach.model import (
    V_NAMESPACE,
    CiliumPolicy,
    CiliumRule,
    Direction,
    IPBlock,
    LabelSelector,
)

DIRECTIONS: tuple[Direction, Direction] = ("ingress", "egress")
_KEYS = {
    ("ingress", False): "ingress",
    ("ingress", True): "ingressDeny",
    ("egress", False): "egress",
    ("egress", True): "egressDeny",
}


def selector_scope(sel: LabelSelector) -> frozenset[str] | None:
    """The namespaces a selector can match pods in, from its namespace label (None: any)."""
    for k, v in sel.match_labels:
        if k == V_NAMESPACE:
            return frozenset((v,))
    for req in sel.match_expressions:
        if req.key == V_NAMESPACE and req.operator == "In":
            return frozenset(req.values)
    return None


class CiliumCompiler:
    """Compiles the snapshot's Cilium policies for one `Compiled`."""

    def __init__(self, compiled: CompiledLike) -> None:
        self.c = compiled
        self.policies: list[CiliumPolicy] = compiled.cilium_policies
        self.targets: list[int] = []
        self.rules: list[dict[tuple[Direction, bool], tuple[AnyRule, ...]]] = []
        nodes = [a for n in compiled.snapshot.nodes for a in n.addresses]
        self._node_ranges: Ranges = normalize(
            r for a in nodes for r in ipset.block_ranges(node_block(a))
        )

    # --- before the classes: what the policies name ------------------------------------------
    def sources(
        self,
        uses: list[SelectorUse],
        names: set[str],
        blocks: set[IPBlock],
        pod_blocks: set[IPBlock],
    ) -> None:
        entities = False
        for pol in self.policies:
            if pol.subject is not None:
                uses.append(SelectorUse(pol.subject, selector_scope(pol.subject)))
            for direction in DIRECTIONS:
                for deny in (False, True):
                    for rule in pol.rules(direction, deny):
                        uses.extend(SelectorUse(s, selector_scope(s)) for s in rule.endpoints)
                        blocks.update(rule.cidrs)  # addresses only: never pod_blocks
                        entities = entities or bool(rule.entities)
                        names.update(p.port for p in rule.ports or () if isinstance(p.port, str))
        if entities:  # world excludes the nodes' addresses, cluster includes them
            blocks.update(node_block(a) for n in self.c.snapshot.nodes for a in n.addresses)

    # --- rules --------------------------------------------------------------------------------
    def build(self) -> None:
        c = self.c
        for pi, pol in enumerate(self.policies):
            targets = 0
            if pol.subject is not None:
                targets = c.pods_in(selector_scope(pol.subject), pol.subject)
            self.targets.append(targets)
            self.rules.append(
                {
                    (direction, deny): tuple(
                        self._rule(pi, pol, direction, deny, i, r)
                        for i, r in enumerate(pol.rules(direction, deny))
                    )
                    for direction in DIRECTIONS
                    for deny in (False, True)
                }
            )

    def _entity(self, name: str) -> tuple[int, Ranges]:
        c = self.c
        if name == "all":
            return c.all_classes, ipset.EVERYTHING
        if name == "cluster":
            return c.all_classes, self._node_ranges
        if name.startswith("world"):
            world = subtract(ipset.EVERYTHING, self._node_ranges)
            if name == "world-ipv4":
                world = intersect(world, ipset.V4_ALL)
            elif name == "world-ipv6":
                world = intersect(world, ipset.V6_ALL)
            return 0, world
        # host, remote-node, kube-apiserver, ingress, health, init, unmanaged: not modelled
        # (the rule carries a note), none: nothing
        return 0, ()

    def _rule(
        self,
        pi: int,
        pol: CiliumPolicy,
        direction: Direction,
        deny: bool,
        index: int,
        rule: CiliumRule,
    ) -> AnyRule:
        c = self.c
        peers: list[PeerMatcher[object]] = []
        for j, sel in enumerate(rule.endpoints):
            peers.append(PeerMatcher(j, sel, c.pods_in(selector_scope(sel), sel), ()))
        for j, block in enumerate(rule.cidrs):
            peers.append(PeerMatcher(j, block, 0, ipset.block_ranges(block)))
        for j, name in enumerate(rule.entities):
            classes, ranges = self._entity(name)
            peers.append(PeerMatcher(j, name, classes, ranges))
        # no peer named: an L4-only rule admits every peer on its ports; a rule with neither
        # peers nor ports (`ingress: [{}]`, Cilium's default-deny idiom) admits no one
        all_peers = not rule.l3 and not rule.empty_l3 and rule.ports is not None
        return c.make_rule(
            "Cilium",
            rule.action,
            pol,
            pi,
            direction,
            index,
            rule,
            tuple(peers),
            all_peers,
            rule.ports,
            key=_KEYS[(direction, deny)],
            notes=rule.notes,
        )

    # --- programs -----------------------------------------------------------------------------
    def per_class(self, direction: Direction) -> list[tuple[object, ...]]:
        """Per class: the policies that select it and speak in `direction` (rules or default
        deny)."""
        per: list[list[int]] = [[] for _ in self.c.classes]
        for pi, pol in enumerate(self.policies):
            rules = self.rules[pi]
            if (
                not rules[(direction, False)]
                and not rules[(direction, True)]
                and direction not in pol.default_deny
            ):
                continue
            for ci in indexes_of(self.targets[pi]):
                per[ci].append(pi)
        return [tuple(x) for x in per]

    def stage_rules(
        self, direction: Direction, key: tuple[object, ...]
    ) -> tuple[tuple[AnyRule, ...], tuple[AnyRule, ...], bool]:
        """(deny rules, allow rules, default deny) of the policies in `key`."""
        deny: list[AnyRule] = []
        allow: list[AnyRule] = []
        closed = False
        for pi in key:
            assert isinstance(pi, int)
            deny.extend(self.rules[pi][(direction, True)])
            allow.extend(self.rules[pi][(direction, False)])
            closed = closed or direction in self.policies[pi].default_deny
        return tuple(deny), tuple(allow), closed
