"""The compiled form: pods collapsed into classes, selectors into class bitsets, ports into
connection sets, ipBlocks into address ranges, and every rule of every tier into one
`CompiledRule`; per class and direction, a `Program` (engine/tiers.py) lists the rules that
decide it, in precedence order. Every query (check, matrix, audit, diff, generate) reads this.

Kubernetes rules implemented here, each pinned by a test in tests/engine/:
- a policy selects pods in its own namespace by podSelector; host-network pods are never
  selected (test_host_network_pod_is_never_isolated);
- isolation per direction comes from policyTypes, and only the rules of a listed direction
  count (test_policy_types_decide_isolation, test_egress_rules_ignored_without_egress_type);
- peers: podSelector alone = the policy's namespace; namespaceSelector alone = every pod of
  matching namespaces; both in one peer = AND; several peers = OR; no peers = everything;
- ports: none = every port of every protocol; a protocol without a port = every port of it;
  endPort is inclusive; a named port resolves on the destination pod, protocol included;
- ipBlock: cidr minus except, and (switch) pod IPs inside it.

network-policy-api rules (tests/engine/test_tiers.py):
- an admin subject selects pods by namespace selector, or namespace AND pod selector, in
  every namespace; host-network pods are never selected nor matched by namespaces/pods peers;
- Admin tier policies apply by priority (lower first), rules in written order; the Baseline
  tier after NetworkPolicy; equal priorities are ordered by kind then name (the spec leaves
  that order to the plugin; the loader warns);
- peers: namespaces, pods (namespace AND pod selector), networks (CIDRs: external addresses,
  and pod IPs inside them under --ipblock-matches-pods), nodes (the addresses of matching
  Node objects); unsupported peers (domainNames) match nothing;
- ports: absent = every connection; numbers, ranges, named ports (resolved on the
  destination pod).

Calico and Cilium (engine/calico.py, engine/cilium.py; tests/engine/test_calico.py and
test_cilium.py): their rules become CompiledRules too, and their tiers stages of the same
programs: Calico tiers in tier order (the network-policy-api tiers are Calico's kube-admin
and kube-baseline tiers, NetworkPolicy sits in its default tier), Cilium's deny rules before
its allow rules, which join NetworkPolicy's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from netreach.engine import ipset
from netreach.engine.classes import ClassTable, PodClass, PortsKey, SelectorUse, VirtualLabels
from netreach.engine.conns import ALL, EMPTY, ConnectionSet
from netreach.engine.intervals import Ranges, normalize
from netreach.engine.plugin import (
    DEFAULT_TIER,
    KUBE_ADMIN,
    KUBE_BASELINE,
    NETWORK_POLICY_ORDER,
    CalicoTierInfo,
    OrderedRules,
    node_block,
)
from netreach.engine.rules import (
    Action,
    AnyRule,
    CompiledRule,
    NPPeer,
    NPRule,
    PeerMatcher,
    PolicyObject,
    TierName,
    TierRule,
    port_matcher,
)
from netreach.engine.selectors import NamespaceIndex, Selector, indexes_of
from netreach.engine.tiers import OPEN, Program, Stage, StageKind
from netreach.engine.unions import UnionStages
from netreach.model import (
    DIRECTIONS,
    AdminPeer,
    AdminPolicy,
    AdminRule,
    CalicoEntity,
    CalicoPolicy,
    CiliumPolicy,
    Direction,
    IPBlock,
    LabelSelector,
    Namespace,
    NetworkPolicy,
    NotModelled,
    Options,
    Peer,
    Pod,
    PolicyPort,
    Rule,
    Snapshot,
)

if TYPE_CHECKING:
    from netreach.engine.calico import CalicoCompiler
    from netreach.engine.cilium import CiliumCompiler

__all__ = [
    "DIRECTIONS",
    "AnyRule",
    "Compiled",
    "CompiledRule",
    "NPPeer",
    "NPRule",
    "PeerMatcher",
    "PodClass",
    "PortsKey",
]


class _RuleRanges:
    """The rule ids of several policies in one direction, concatenated without a Python loop
    over the policies (each policy's rules of a direction have consecutive ids)."""

    def __init__(self, per_policy: list[tuple[AnyRule, ...]]) -> None:
        self._start = np.asarray([r[0].id if r else 0 for r in per_policy], dtype=np.intp)
        self._count = np.asarray([len(r) for r in per_policy], dtype=np.intp)

    def __call__(self, policies: tuple[int, ...]) -> Any:
        pols = np.asarray(policies, dtype=np.intp)
        counts = self._count[pols]
        starts = self._start[pols]
        total = int(counts.sum())
        # position within each run, added to that run's first id
        offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
        return np.arange(total, dtype=np.intp) + offsets


class _Isolating:
    """Per class, the indexes of the policies that isolate it in one direction, in policy
    order: a column of the policies' target bitsets, read when asked. Lists for every class
    would be classes x policies entries (3,900 pods, each with a policy selecting every other
    pod: 15 million), and a verdict reads one class."""

    def __init__(self, n: int, pis: list[int], targets: list[int]) -> None:
        self._n = n
        # the policy indexes as Python ints, shared by every list handed out (not one int
        # object per entry: 15 million entries when every class is asked)
        self._pool = tuple(pis)
        nbytes = (n + 7) // 8
        # one row of packed bits per isolating policy: policies x classes / 8 bytes
        self._rows = np.frombuffer(
            b"".join(t.to_bytes(nbytes, "little") for t in targets), np.uint8
        ).reshape(len(pis), nbytes)
        self._empty = n == 0 or not pis

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, ci: int) -> list[int]:
        if not 0 <= ci < self._n:
            raise IndexError(ci)
        if self._empty:
            return []
        column = self._rows[:, ci >> 3] & (1 << (ci & 7))
        idx = np.flatnonzero(column).tolist()
        if len(idx) > 1:
            return list(itemgetter(*idx)(self._pool))
        return [self._pool[i] for i in idx]

    def __iter__(self) -> Iterator[list[int]]:
        return (self[ci] for ci in range(self._n))

    def any(self, ci: int) -> bool:
        """Whether some policy isolates the class."""
        if not 0 <= ci < self._n:
            raise IndexError(ci)
        return not self._empty and bool((self._rows[:, ci >> 3] & (1 << (ci & 7))).any())


class _ClassKey(NamedTuple):
    """What decides a class's program in one direction: its Admin-tier rules, the policies
    isolating it, its Baseline-tier rules, and its Calico and Cilium policies."""

    admin: tuple[AnyRule, ...]
    pols: tuple[int, ...]
    base: tuple[AnyRule, ...]
    cal: tuple[object, ...]
    cil: tuple[object, ...]


class _Programs:
    """Per class, its program in one direction, built when first asked (and interned: classes
    with the same rules share one Program)."""

    def __init__(self, compiled: Compiled, direction: Direction, ids_of: _RuleRanges) -> None:
        self._c = compiled
        self._direction = direction
        self._ids_of = ids_of
        self._admin, self._baseline = compiled._admin_per_class(direction)
        self._calico, self._cilium = compiled._plugins_per_class(direction)
        self._built: dict[int, Program] = {}
        self._interned: dict[_ClassKey, Program] = {}
        self._unions: UnionStages | None = None

    def __len__(self) -> int:
        return len(self._c.classes)

    def __getitem__(self, ci: int) -> Program:
        prog = self._built.get(ci)
        if prog is not None:
            return prog
        c = self._c.classes[ci]
        if c.host_network:
            prog = OPEN
        else:
            admin = tuple(self._admin[ci])
            pols = tuple(self._c.isolating[self._direction][ci])
            base = tuple(self._baseline[ci])
            cal: tuple[object, ...] = self._calico[ci] if self._calico is not None else ()
            cil: tuple[object, ...] = self._cilium[ci] if self._cilium is not None else ()
            key = _ClassKey(admin, pols, base, cal, cil)
            prog = self._interned.get(key)
            if prog is None:
                prog = self._c._class_program(self._direction, key, self._ids_of)
                self._interned[key] = prog
        self._built[ci] = prog
        return prog

    def __iter__(self) -> Iterator[Program]:
        return (self[ci] for ci in range(len(self)))

    def union(self, ci: int) -> Program:
        """The program as the matrix's rows read it: for a class NetworkPolicy alone decides,
        its stage as a union of distinct rule meanings (engine/unions.py); else its own."""
        c = self._c
        d = self._direction
        if (
            c.classes[ci].host_network
            or c.has_calico
            or (self._cilium is not None and self._cilium[ci])
            or self._admin[ci]
            or self._baseline[ci]
            or not c.isolating[d].any(ci)
        ):
            return self[ci]
        if self._unions is None:
            self._unions = UnionStages(
                len(c.classes),
                [
                    t if pol.isolates(d) else 0
                    for pol, t in zip(c.policies, c.policy_targets, strict=True)
                ],
                [per[d] for per in c.policy_rules],
            )
        return self._unions.program(ci)


def admin_order(policies: Iterable[AdminPolicy]) -> list[AdminPolicy]:
    """Evaluation order within each tier: priority, then kind and name for ties."""
    return sorted(policies, key=lambda p: (p.tier != "Admin", p.priority, p.kind, p.name))


def admin_peer_selectors(peer: AdminPeer) -> tuple[LabelSelector, LabelSelector | None] | None:
    """(namespace selector, pod selector or None) of a namespaces/pods peer, else None."""
    if peer.namespaces is not None:
        return peer.namespaces, None
    if peer.pods is not None:
        return peer.pods
    return None


@dataclass(frozen=True)
class _Sources:
    """What the policies name, gathered before the pods are classed. `pod_blocks`: the blocks
    some peer matches pod IPs against (the others only cut the external address line)."""

    blocks: list[IPBlock]
    uses: list[SelectorUse]
    port_names: frozenset[str]
    pod_blocks: frozenset[IPBlock]


def _by_policy(rules: tuple[AnyRule, ...]) -> OrderedRules:
    """Admin-tier rules (in admin order) grouped by policy, keyed as Calico orders the
    policies it converts from network-policy-api: order = priority, then the name."""
    out: OrderedRules = []
    for r in rules:
        pol = r.policy
        if out and out[-1][1][-1].policy is pol:
            out[-1] = (out[-1][0], (*out[-1][1], r))
        else:
            out.append(((float(pol.priority), f"{pol.name}//{pol.kind}"), (r,)))
    return out


def _merge(
    calico: OrderedRules, others: OrderedRules, kind: StageKind
) -> tuple[tuple[AnyRule, ...], StageKind]:
    """The rules of one Calico tier: Calico's policies and the converted ones by order."""
    if not calico:
        return tuple(r for _, rs in others for r in rs), kind
    merged = sorted([*calico, *others], key=itemgetter(0))
    return tuple(r for _, rs in merged for r in rs), "Calico"


class Compiled:
    """The compiled form of a snapshot under a set of options."""

    def __init__(self, snapshot: Snapshot, options: Options) -> None:
        self.snapshot = snapshot
        self.options = options
        self.namespaces: Mapping[str, Namespace] = snapshot.namespaces
        self.policies: list[NetworkPolicy] = list(snapshot.policies)
        self.admin_policies: list[AdminPolicy] = admin_order(snapshot.admin_policies)
        self.calico_policies: list[CalicoPolicy] = sorted(
            snapshot.calico_policies, key=lambda p: (p.tier, p.order_key)
        )
        self.cilium_policies: list[CiliumPolicy] = list(snapshot.cilium_policies)
        self.ns_index = NamespaceIndex(self.namespaces)
        # each plugin's compiler imported only when its policies are there (5 ms of start-up)
        self._calico: CalicoCompiler | None = None
        self._cilium: CiliumCompiler | None = None
        if self.calico_policies:
            from netreach.engine.calico import CalicoCompiler

            self._calico = CalicoCompiler(self)
        if self.cilium_policies:
            from netreach.engine.cilium import CiliumCompiler

            self._cilium = CiliumCompiler(self)

        sources = self._sources()
        self.blocks: list[IPBlock] = sources.blocks
        self.block_id: dict[IPBlock, int] = {b: i for i, b in enumerate(self.blocks)}
        block_ranges = [ipset.block_ranges(b) for b in self.blocks]
        # External addresses are cut at every cidr/except boundary: each atom is admitted by
        # exactly the same peers, so it is one external endpoint for every query.
        self.atoms = ipset.Atoms(block_ranges)

        virtual = (
            VirtualLabels(
                self.namespaces,
                {(a.namespace, a.name): a.labels for a in snapshot.service_accounts},
            )
            if self._calico is not None or self._cilium is not None
            else None
        )
        table = ClassTable(
            snapshot.pods,
            sources.uses,
            sources.port_names,
            [
                r if b in sources.pod_blocks else ()
                for b, r in zip(self.blocks, block_ranges, strict=True)
            ],
            bool(sources.pod_blocks),
            options.host_network == "exempt",
            virtual,
        )
        self.classes: list[PodClass] = table.classes
        self.class_of: dict[str, int] = table.class_of
        self.all_classes = table.all
        self.ns_bits = table.ns_bits
        self.host_network_bits = table.host_network_bits
        self.label_index = table.label_index
        self.block_bits: dict[int, int] = {i: b for i, b in enumerate(table.block_bits) if b}

        self.rules: list[AnyRule] = []
        self._detached = 0
        self._build_network_policies()
        self._build_admin()
        if self._calico is not None:
            self._calico.build()
        if self._cilium is not None:
            self._cilium.build()
        self.programs: dict[Direction, _Programs] = {}
        self._build_programs()

    # --- what the policies name ---------------------------------------------------------------
    def _sources(self) -> _Sources:
        blocks: set[IPBlock] = set()
        uses: list[SelectorUse] = []
        names: set[str] = set()
        for pol in self.policies:
            own = frozenset((pol.namespace,))
            uses.append(SelectorUse(pol.pod_selector, own))
            for rule in (*pol.ingress, *pol.egress):
                names.update(p.port for p in rule.ports if isinstance(p.port, str))
                for peer in rule.peers:
                    if peer.ip_block is not None:
                        blocks.add(peer.ip_block)
                    elif peer.pod_selector is not None:
                        scope = (
                            own
                            if peer.namespace_selector is None
                            else frozenset(self.ns_index.select(peer.namespace_selector))
                        )
                        uses.append(SelectorUse(peer.pod_selector, scope))
        any_nodes = False
        for apol in self.admin_policies:
            if apol.subject.pods is not None:
                scope = frozenset(self.ns_index.select(apol.subject.namespaces))
                uses.append(SelectorUse(apol.subject.pods, scope))
            for arule in (*apol.ingress, *apol.egress):
                names.update(p.port for p in arule.ports or () if isinstance(p.port, str))
                for apeer in arule.peers:
                    blocks.update(IPBlock(n) for n in apeer.networks)
                    any_nodes = any_nodes or apeer.nodes is not None
                    if apeer.pods is not None:
                        ns_sel, pod_sel = apeer.pods
                        uses.append(SelectorUse(pod_sel, frozenset(self.ns_index.select(ns_sel))))
        if any_nodes:
            blocks.update(node_block(a) for node in self.snapshot.nodes for a in node.addresses)
        pod_blocks = set(blocks) if self.options.ipblock_matches_pods else set()
        for plugin in (self._calico, self._cilium):
            if plugin is not None:
                plugin.sources(uses, names, blocks, pod_blocks)
        ordered = sorted(blocks, key=lambda b: (b.cidr, b.except_))
        return _Sources(ordered, uses, frozenset(names), frozenset(pod_blocks))

    # --- selectors -----------------------------------------------------------------------------
    def namespaces_bits(self, names: Iterable[str]) -> int:
        out = 0
        for n in names:
            out |= self.ns_bits.get(n, 0)
        return out

    def pod_classes(
        self,
        namespaces: Selector | None,
        pods: Selector | None,
        own_namespace: str | None = None,
    ) -> int:
        """Classes of the non-host-network pods in the namespaces `namespaces` selects (or
        `own_namespace` when it is None) that `pods` selects (all when None)."""
        if namespaces is not None:
            bits = self.namespaces_bits(self.ns_index.select(namespaces))
        else:
            bits = self.ns_bits.get(own_namespace or "", 0)
        bits &= ~self.host_network_bits
        if pods is not None and bits:
            bits &= self.label_index.select(pods)
        return bits

    def pods_in(self, scope: frozenset[str] | None, selector: Selector | None) -> int:
        """Classes of the non-host-network pods in the namespaces `scope` (None: all) that
        `selector` matches (None: all)."""
        bits = self.all_classes if scope is None else self.namespaces_bits(scope)
        bits &= ~self.host_network_bits
        if selector is not None and bits:
            bits &= self.label_index.select(selector)
        return bits

    def in_block(self, block: IPBlock) -> int:
        """Classes with an address inside `block` (only for the blocks some peer matches pod
        addresses against; the callers apply their own switch)."""
        return self.block_bits.get(self.block_id[block], 0)

    def in_ranges(self, blocks: Iterable[IPBlock]) -> int:
        out = 0
        for b in blocks:
            out |= self.in_block(b)
        return out

    def peer_classes(self, policy_namespace: str, peer: Peer) -> int:
        """Pod classes a NetworkPolicy peer admits (before ports)."""
        if peer.ip_block is not None:
            if not self.options.ipblock_matches_pods:
                return 0
            return self.in_block(peer.ip_block)
        # Host-network pods carry the node's address: pod and namespace selectors never
        # match them (Kubernetes leaves them unspecified; every major plugin behaves so).
        return self.pod_classes(peer.namespace_selector, peer.pod_selector, policy_namespace)

    def selected_classes(self, policy: NetworkPolicy) -> int:
        return self.pod_classes(None, policy.pod_selector, policy.namespace)

    def splits_no_class(self, namespaces: LabelSelector, pods: LabelSelector) -> bool:
        """Whether a pod selector, applied in the namespaces a selector picks, matches every
        pod of a class or none: then class bitsets express it exactly (a what-if may use it
        without classing the pods again)."""
        bits = self.namespaces_bits(self.ns_index.select(namespaces)) & ~self.host_network_bits
        return not self.splits_a_class(bits, pods)

    def splits_a_class(self, bits: int, pods: LabelSelector) -> bool:
        """Whether a selector on pod labels matches some but not all pods of one of the
        classes `bits` (then no class bitset expresses it there)."""
        for ci in indexes_of(bits):
            c = self.classes[ci]
            first = pods.matches(c.pods[0].labels)
            if any(pods.matches(p.labels) != first for p in c.pods[1:]):
                return True
        return False

    def admin_subject_classes(self, pol: AdminPolicy) -> int:
        return self.pod_classes(pol.subject.namespaces, pol.subject.pods)

    def admin_peer_classes(self, peer: AdminPeer) -> int:
        selectors = admin_peer_selectors(peer)
        if selectors is not None:
            return self.pod_classes(*selectors)
        if not self.options.ipblock_matches_pods:
            return 0
        return self.in_ranges(self.admin_peer_blocks(peer))

    def admin_peer_blocks(self, peer: AdminPeer) -> list[IPBlock]:
        if peer.networks:
            return [IPBlock(n) for n in peer.networks]
        if peer.nodes is not None:
            sel = peer.nodes
            return [
                node_block(a)
                for node in self.snapshot.nodes
                if sel.matches(node.labels)
                for a in node.addresses
            ]
        return []

    # --- rules ---------------------------------------------------------------------------------
    def _rule(
        self,
        tier: TierName,
        policy: PolicyObject,
        policy_index: int,
        direction: Direction,
        index: int,
        rule: Rule | AdminRule,
        peers: tuple[PeerMatcher[Any], ...],
        all_peers: bool,
        detached: bool = False,
    ) -> AnyRule:
        action: Action = rule.action if isinstance(rule, AdminRule) else "Allow"
        # An admin rule without ports opens everything (None); a NetworkPolicy rule, when
        # its ports list is empty.
        ports = rule.ports if isinstance(rule, AdminRule) else (rule.ports or None)
        return self.make_rule(
            tier,
            action,
            policy,
            policy_index,
            direction,
            index,
            rule,
            peers,
            all_peers,
            ports,
            detached=detached,
        )

    def make_rule(
        self,
        tier: TierName,
        action: Action,
        policy: PolicyObject,
        policy_index: int,
        direction: Direction,
        index: int,
        rule: Any,
        peers: tuple[PeerMatcher[Any], ...],
        all_peers: bool,
        ports: tuple[PolicyPort, ...] | None,
        *,
        not_ports: tuple[PolicyPort, ...] = (),
        protocols: ConnectionSet = ALL,
        subjects: int | None = None,
        key: str = "",
        stage: str = "",
        notes: tuple[NotModelled, ...] = (),
        detached: bool = False,
    ) -> AnyRule:
        """A compiled rule of any kind. `ports` None: every port (within `protocols`)."""
        pms = tuple(port_matcher(i, p) for i, p in enumerate(ports or ()))
        npms = tuple(port_matcher(i, p) for i, p in enumerate(not_ports))
        if all_peers:
            classes, ips = self.all_classes, ipset.EVERYTHING
        else:
            classes = 0
            for pm in peers:
                classes |= pm.classes
            ips = normalize(r for pm in peers for r in pm.ips)
        numeric = ALL if ports is None else EMPTY
        for port in pms:
            numeric = numeric | port.numeric
        neg = EMPTY
        for port in npms:
            neg = neg | port.numeric
        numeric = (numeric & protocols) - neg
        if detached:  # a what-if rule: not part of the snapshot, an id no real rule has
            self._detached -= 1
        cr: AnyRule = CompiledRule(
            id=self._detached if detached else len(self.rules),
            tier=tier,
            action=action,
            policy=policy,
            policy_index=policy_index,
            direction=direction,
            index=index,
            rule=rule,
            peers=peers,
            ports=pms,
            all_peers=all_peers,
            classes=classes,
            ips=ips,
            numeric=numeric,
            has_named=any(p.name is not None for p in (*pms, *npms)),
            not_ports=npms,
            protocols=protocols,
            neg_numeric=neg,
            subjects=subjects,
            key=key,
            stage=stage,
            notes=notes,
        )
        if not detached:
            self.rules.append(cr)
        return cr

    def _build_network_policies(self) -> None:
        self.policy_rules: list[dict[Direction, tuple[NPRule, ...]]] = []
        self.policy_targets: list[int] = []
        # per class and direction: indexes of the policies that isolate it for that direction
        for pi, pol in enumerate(self.policies):
            self.policy_targets.append(self.selected_classes(pol))
            self.policy_rules.append(
                {
                    direction: tuple(
                        self.network_policy_rule(pi, direction, ri, rule)
                        for ri, rule in enumerate(pol.rules(direction))
                    )
                    for direction in DIRECTIONS
                }
            )
        self.isolating = {d: self._isolating(d) for d in DIRECTIONS}

    def _isolating(self, direction: Direction) -> _Isolating:
        pis = [pi for pi, pol in enumerate(self.policies) if pol.isolates(direction)]
        return _Isolating(len(self.classes), pis, [self.policy_targets[pi] for pi in pis])

    def network_policy_rule(
        self, pi: int, direction: Direction, index: int, rule: Rule, detached: bool = False
    ) -> NPRule:
        """Rule `index` of policy `pi` in `direction`, compiled (`detached`: a what-if rule,
        not added to the snapshot's rules)."""
        pol = self.policies[pi]
        peers = tuple(
            PeerMatcher(
                i,
                peer,
                self.peer_classes(pol.namespace, peer),
                ipset.block_ranges(peer.ip_block) if peer.ip_block is not None else (),
            )
            for i, peer in enumerate(rule.peers)
        )
        return self._rule(
            "NetworkPolicy", pol, pi, direction, index, rule, peers, not rule.peers, detached
        )

    def _build_admin(self) -> None:
        self.admin_targets: list[int] = []
        self.admin_policy_rules: list[dict[Direction, tuple[TierRule, ...]]] = []
        for ai, pol in enumerate(self.admin_policies):
            self.admin_targets.append(self.admin_subject_classes(pol))
            per: dict[Direction, tuple[TierRule, ...]] = {}
            for direction in DIRECTIONS:
                per[direction] = tuple(
                    self._rule(
                        pol.tier,
                        pol,
                        ai,
                        direction,
                        ri,
                        rule,
                        tuple(
                            PeerMatcher(
                                i,
                                p,
                                self.admin_peer_classes(p),
                                normalize(
                                    r
                                    for b in self.admin_peer_blocks(p)
                                    for r in ipset.block_ranges(b)
                                ),
                            )
                            for i, p in enumerate(rule.peers)
                        ),
                        False,
                    )
                    for ri, rule in enumerate(pol.rules(direction))
                )
            self.admin_policy_rules.append(per)

    # --- programs ------------------------------------------------------------------------------
    def _build_programs(self) -> None:
        """Per direction and class: the rules of every tier that decide it, in order. Classes
        with the same program share every row of the matrix. Built when a class is asked:
        listing every class's rules is classes x policies (a policy per pod selecting every
        other pod), and a verdict needs two classes."""
        ids_of = {d: _RuleRanges([per[d] for per in self.policy_rules]) for d in DIRECTIONS}
        for direction in DIRECTIONS:
            self.programs[direction] = _Programs(self, direction, ids_of[direction])

    def _admin_per_class(self, direction: Direction) -> tuple[list[list[AnyRule]], ...]:
        """Per class: its Admin-tier and Baseline-tier rules in `direction`, in order."""
        n = len(self.classes)
        admin: list[list[AnyRule]] = [[] for _ in range(n)]
        baseline: list[list[AnyRule]] = [[] for _ in range(n)]
        for ai, pol in enumerate(self.admin_policies):
            rules = self.admin_policy_rules[ai][direction]
            if not rules:
                continue
            per = admin if pol.tier == "Admin" else baseline
            for ci in indexes_of(self.admin_targets[ai]):
                per[ci].extend(rules)
        return admin, baseline

    def _plugins_per_class(
        self, direction: Direction
    ) -> tuple[list[tuple[object, ...]] | None, list[tuple[object, ...]] | None]:
        """Per class: the keys of the Calico and Cilium policies that concern it (None: no
        policy of that plugin in the input)."""
        cal = self._calico.per_class(direction) if self._calico is not None else None
        cil = self._cilium.per_class(direction) if self._cilium is not None else None
        return cal, cil

    def _class_program(self, direction: Direction, key: _ClassKey, ids_of: _RuleRanges) -> Program:
        admin, pols, base, cal, cil = key
        if cal or cil or self._calico is not None:
            stages = self._plugin_stages(direction, key, ids_of)
        else:
            stages = []
            if admin:
                stages.append(Stage("Admin", admin))
            if pols:
                ids = ids_of(pols)
                stages.append(
                    Stage("NetworkPolicy", self._rules_of(ids.tolist()), True, ids, np_closes=True)
                )
            if base:
                stages.append(Stage("Baseline", base))
        return Program(tuple(stages)) if stages else OPEN

    def _plugin_stages(
        self, direction: Direction, key: _ClassKey, ids_of: _RuleRanges
    ) -> list[Stage]:
        """The stages of a class that Calico or Cilium policies concern.

        Cilium: its deny rules first (they take precedence over every allow), then its allow
        rules with NetworkPolicy's, closed when either puts the pod in default deny. Calico:
        one stage per tier in tier order; network-policy-api's admin tiers are Calico's
        kube-admin and kube-baseline tiers, NetworkPolicy is in its default tier at order
        1000 (Cilium's rules, if both plugins' policies are in the input, join that tier)."""
        admin, pols, base, cal, cil = key
        deny: tuple[AnyRule, ...] = ()
        allow: tuple[AnyRule, ...] = ()
        cil_closed = False
        if cil and self._cilium is not None:
            deny, allow, cil_closed = self._cilium.stage_rules(direction, cil)
        np_ids = ids_of(pols) if pols else None
        np_rules = self._rules_of(np_ids.tolist()) if np_ids is not None else ()
        if self._calico is None:
            stages: list[Stage] = []
            if admin:
                stages.append(Stage("Admin", admin))
            if deny:
                stages.append(Stage("CiliumDeny", deny))
            if allow or cil_closed:
                stages.append(
                    Stage(
                        "Cilium",
                        np_rules + allow,
                        bool(pols) or cil_closed,
                        np_closes=bool(pols) and not cil_closed,
                    )
                )
            elif pols:
                stages.append(Stage("NetworkPolicy", np_rules, True, np_ids, np_closes=True))
            if base:
                stages.append(Stage("Baseline", base))
            return stages

        entries, selecting = self._calico.entries(direction, cal)
        stages = []
        for tier in self._calico.tiers:
            mine = entries.get(tier.name, [])
            kind: StageKind = "Calico"
            rules: tuple[AnyRule, ...]
            closed_by = tier.name in selecting
            if tier.name == KUBE_ADMIN and admin:
                rules, kind = _merge(mine, _by_policy(admin), "Admin")
            elif tier.name == KUBE_BASELINE and base:
                rules, kind = _merge(mine, _by_policy(base), "Baseline")
            elif tier.name == DEFAULT_TIER and (pols or allow or cil_closed):
                nps = [
                    (
                        (NETWORK_POLICY_ORDER, f"{p.name}/{p.namespace}/KubernetesNetworkPolicy"),
                        self.policy_rules[pi][direction],
                    )
                    for pi in pols
                    for p in (self.policies[pi],)
                ]
                rules, kind = _merge(mine, nps, "NetworkPolicy")
                closed_by = closed_by or bool(pols) or cil_closed
                if deny:
                    stages.append(Stage("CiliumDeny", deny))
                if allow:
                    rules, kind = rules + allow, "Calico"
                if kind == "NetworkPolicy" and not closed_by:
                    kind = "Calico"
            else:
                rules = tuple(r for _, rs in mine for r in rs)
            closed = closed_by and tier.default_action == "Deny"
            if kind == "NetworkPolicy" and (tier.name in selecting or not closed):
                kind = "Calico"  # a Calico policy closes it: not NetworkPolicy's stage alone
            if rules or closed:
                ids = np_ids if kind == "NetworkPolicy" else None
                np_closes = (
                    closed
                    and tier.name == DEFAULT_TIER
                    and bool(pols)
                    and not cil_closed
                    and tier.name not in selecting
                )
                stages.append(Stage(kind, rules, closed, ids, name=tier.name, np_closes=np_closes))
        if deny and not any(s.tier == "CiliumDeny" for s in stages):
            stages.insert(0, Stage("CiliumDeny", deny))
        return stages

    def _rules_of(self, ids: list[int]) -> tuple[AnyRule, ...]:
        if len(ids) == 1:
            return (self.rules[ids[0]],)
        got: tuple[AnyRule, ...] = itemgetter(*ids)(self.rules) if ids else ()
        return got

    def rule_targets(self, rule: AnyRule) -> int:
        """The classes whose programs (in the rule's direction) may hold the rule."""
        if rule.tier == "NetworkPolicy":
            pol = self.policies[rule.policy_index]
            return self.policy_targets[rule.policy_index] if pol.isolates(rule.direction) else 0
        if rule.tier in ("Admin", "Baseline"):
            return self.admin_targets[rule.policy_index]
        if rule.tier == "Calico" and self._calico is not None:
            bits = self._calico.targets[rule.policy_index]
            return bits if rule.subjects is None else bits & rule.subjects
        if rule.tier == "Cilium" and self._cilium is not None:
            return self._cilium.targets[rule.policy_index]
        return 0

    def policy_classes(self, policy: PolicyObject) -> int:
        """The classes a policy of any kind applies to (its subjects)."""
        if isinstance(policy, NetworkPolicy):
            return self.policy_targets[self.policies.index(policy)]
        if isinstance(policy, AdminPolicy):
            return self.admin_targets[self.admin_policies.index(policy)]
        if isinstance(policy, CalicoPolicy) and self._calico is not None:
            return self._calico.targets[self.calico_policies.index(policy)]
        if isinstance(policy, CiliumPolicy) and self._cilium is not None:
            return self._cilium.targets[self.cilium_policies.index(policy)]
        return 0

    @property
    def calico_tiers(self) -> list[CalicoTierInfo]:
        """Calico's tiers in evaluation order, built-in ones included (empty without Calico)."""
        return list(self._calico.tiers) if self._calico is not None else []

    @property
    def has_calico(self) -> bool:
        return self._calico is not None

    @property
    def has_cilium(self) -> bool:
        return self._cilium is not None

    def calico_entity(
        self, entity: CalicoEntity, policy_namespace: str | None
    ) -> tuple[int, Ranges]:
        """Whom a Calico `source` / `destination` of a policy of `policy_namespace` admits: pod
        classes and network-set addresses. Exact for the selectors the snapshot's policies use
        (the classes are drawn by them), with their namespace scope."""
        if self._calico is None:
            return 0, ()
        return self._calico.entity(entity, policy_namespace)

    # --- per-class views -----------------------------------------------------------------------
    @property
    def has_tiers(self) -> bool:
        """Whether any admin-tier rule exists."""
        return any(r.tier != "NetworkPolicy" for r in self.rules)

    def program(self, class_index: int, direction: Direction) -> Program:
        return self.programs[direction][class_index]

    def row_program(self, class_index: int, direction: Direction) -> Program:
        """The program the matrix computes the class's row from: the same connections as
        `program`, its NetworkPolicy rules deduplicated by meaning when NetworkPolicy alone
        decides the class (no explanation reads it: they name the class's own rules)."""
        return self.programs[direction].union(class_index)

    def exempt(self, pod: Pod) -> bool:
        """Whether NetworkPolicy leaves this pod alone (a host-network pod, by default)."""
        return self.classes[self.class_of[pod.id]].host_network

    def is_isolated(self, class_index: int, direction: Direction) -> bool:
        return self.isolating[direction].any(class_index)

    def class_rules(self, class_index: int, direction: Direction) -> list[NPRule]:
        """The NetworkPolicy rules of the policies isolating the class, in policy order."""
        return [
            r
            for pi in self.isolating[direction][class_index]
            for r in self.policy_rules[pi][direction]
        ]

    def tier_rules(self, class_index: int, direction: Direction) -> Iterator[AnyRule]:
        """The Admin- and Baseline-tier rules that decide the class, in evaluation order."""
        for stage in self.program(class_index, direction).stages:
            if stage.tier != "NetworkPolicy":
                yield from stage.rules

    def pods_of(self, bits: int) -> list[Pod]:
        return [p for ci in indexes_of(bits) for p in self.classes[ci].pods]
