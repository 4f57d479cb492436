"""The compiled form: pods collapsed into classes, selectors into class bitsets, ports into
connection sets, ipBlocks into address ranges. Every query (check, matrix, audit, diff,
generate) reads this; none re-reads the policies' YAML meaning.

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

Admin-tier rules are compiled by engine/admin.py into the same classes and atoms.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from netreach.engine import ipset
from netreach.engine.admin import AdminCompiledRule, admin_blocks, admin_order, compile_admin
from netreach.engine.conns import ALL, EMPTY, ConnectionSet
from netreach.engine.intervals import Ranges, normalize
from netreach.engine.ports import rule_conns
from netreach.engine.selectors import LabelIndex, NamespaceIndex, indexes_of
from netreach.model import (
    ContainerPort,
    Direction,
    IPBlock,
    Namespace,
    NetworkPolicy,
    Options,
    Peer,
    Pod,
    PolicyPort,
    Rule,
    Snapshot,
)

DIRECTIONS: tuple[Direction, Direction] = ("ingress", "egress")
PortsKey = tuple[ContainerPort, ...]


@dataclass(eq=False)
class PodClass:
    """Pods no policy can tell apart: same namespace, labels, named ports, ipBlock matches."""

    index: int
    namespace: str
    labels: Mapping[str, str]
    ports: PortsKey
    host_network: bool
    pods: list[Pod] = field(default_factory=list)


@dataclass(frozen=True, eq=False)
class PortMatcher:
    """One compiled `ports[]` entry."""

    index: int
    port: PolicyPort
    numeric: ConnectionSet  # what it opens regardless of the destination (EMPTY if named)

    @property
    def name(self) -> str | None:
        return self.port.port if isinstance(self.port.port, str) else None

    def conns_for(self, dst_ports: PortsKey | None) -> ConnectionSet:
        """What this entry opens towards a destination with these container ports.

        A named port opens the numbers that the destination's containers give that name with
        the same protocol; with no pod destination (an IP address) it opens nothing.
        """
        name = self.name
        if name is None:
            return self.numeric
        out = EMPTY
        for cp in dst_ports or ():
            if cp.name == name and cp.protocol == self.port.protocol:
                out = out | ConnectionSet.ports(cp.protocol, cp.port)
        return out


@dataclass(frozen=True, eq=False)
class PeerMatcher:
    """One compiled `from[]`/`to[]` entry: the pod classes and external addresses it admits."""

    index: int
    peer: Peer
    classes: int
    ips: Ranges


@dataclass(eq=False)
class CompiledRule:
    id: int
    policy: NetworkPolicy
    policy_index: int
    direction: Direction
    index: int
    rule: Rule
    peers: tuple[PeerMatcher, ...]  # empty: every peer
    ports: tuple[PortMatcher, ...]  # empty: every connection
    classes: int  # union of the peers' classes
    ips: Ranges  # union of the peers' addresses
    numeric: ConnectionSet  # union of the numeric ports
    has_named: bool
    _by_ports: dict[PortsKey | None, ConnectionSet] = field(default_factory=dict)

    @property
    def all_peers(self) -> bool:
        return not self.peers

    def conns_for(self, dst_ports: PortsKey | None) -> ConnectionSet:
        """Connections this rule opens towards a destination with these container ports."""
        return rule_conns(self.numeric, self.ports, self.has_named, self._by_ports, dst_ports)

    @property
    def label(self) -> str:
        return f"{self.policy.id} {self.direction}[{self.index}]"


def port_matcher(index: int, port: PolicyPort) -> PortMatcher:
    if isinstance(port.port, str):
        numeric = EMPTY
    elif port.port is None:
        numeric = ConnectionSet.ports(port.protocol)
    else:
        numeric = ConnectionSet.ports(port.protocol, port.port, port.end_port or port.port)
    return PortMatcher(index, port, numeric)


class Compiled:
    """The compiled form of a snapshot under a set of options."""

    def __init__(self, snapshot: Snapshot, options: Options) -> None:
        self.snapshot = snapshot
        self.options = options
        self.namespaces: Mapping[str, Namespace] = snapshot.namespaces
        self.policies: list[NetworkPolicy] = list(snapshot.policies)

        self.admin_policies = admin_order(snapshot.admin_policies)
        blocks = sorted(
            {
                peer.ip_block
                for pol in self.policies
                for rule in (*pol.ingress, *pol.egress)
                for peer in rule.peers
                if peer.ip_block is not None
            }
            | admin_blocks(self.admin_policies, snapshot.nodes),
            key=lambda b: (b.cidr, b.except_),
        )
        self.blocks: list[IPBlock] = blocks
        self.block_id: dict[IPBlock, int] = {b: i for i, b in enumerate(blocks)}
        block_ranges = [ipset.block_ranges(b) for b in blocks]
        # External addresses are cut at every cidr/except boundary: each atom is admitted by
        # exactly the same peers, so it is one external endpoint for every query.
        self.atoms = ipset.Atoms(block_ranges)

        self._build_classes(block_ranges)
        self._build_rules()
        # Admin tiers, per direction and class, in evaluation order (engine/admin.py).
        self.admin_rules: dict[Direction, list[list[AdminCompiledRule]]] = {}
        self.baseline_rules: dict[Direction, list[list[AdminCompiledRule]]] = {}
        self.admin_compiled: list[AdminCompiledRule] = []
        compile_admin(self)

    @property
    def has_tiers(self) -> bool:
        """Whether any admin-tier rule applies (else the NetworkPolicy-only fast paths hold)."""
        return bool(self.admin_compiled)

    def tier_rules(
        self, class_index: int, direction: Direction
    ) -> tuple[list[AdminCompiledRule], list[AdminCompiledRule]]:
        """The Admin-tier and Baseline-tier rules whose subject selects the class, in order."""
        if not self.admin_compiled:
            return [], []
        return (
            self.admin_rules[direction][class_index],
            self.baseline_rules[direction][class_index],
        )

    # --- pod classes ----------------------------------------------------------------------
    def _build_classes(self, block_ranges: Sequence[Ranges]) -> None:
        ip_sig_of_atom: list[frozenset[int]] = []
        if self.options.ipblock_matches_pods and block_ranges:
            per_atom: list[set[int]] = [set() for _ in range(len(self.atoms))]
            for bid, ranges in enumerate(block_ranges):
                for a in self.atoms.covered(ranges):
                    per_atom[a].add(bid)
            ip_sig_of_atom = [frozenset(s) for s in per_atom]

        classes: list[PodClass] = []
        by_key: dict[tuple[object, ...], PodClass] = {}
        class_of: dict[str, int] = {}
        self.pod_ip_sig: dict[int, frozenset[int]] = {}
        exempt_host = self.options.host_network == "exempt"
        for pod in self.snapshot.pods:
            host = pod.host_network and exempt_host
            sig: frozenset[int] = frozenset()
            if ip_sig_of_atom:
                s: set[int] = set()
                for ip in pod.ips:
                    s |= ip_sig_of_atom[self.atoms.index(ipset.ip_key(ip))]
                sig = frozenset(s)
            key = (
                pod.namespace,
                tuple(sorted(pod.labels.items())),
                pod.ports,
                host,
                sig,
            )
            pc = by_key.get(key)
            if pc is None:
                pc = PodClass(len(classes), pod.namespace, pod.labels, pod.ports, host)
                classes.append(pc)
                by_key[key] = pc
                self.pod_ip_sig[pc.index] = sig
            pc.pods.append(pod)
            class_of[pod.id] = pc.index
        self.classes = classes
        self.class_of = class_of
        self.all_classes = (1 << len(classes)) - 1
        self.label_index = LabelIndex([c.labels for c in classes])
        self.ns_index = NamespaceIndex(self.namespaces)
        ns_bits: dict[str, int] = defaultdict(int)
        host_bits = 0
        for c in classes:
            ns_bits[c.namespace] |= 1 << c.index
            if c.host_network:
                host_bits |= 1 << c.index
        self.ns_bits: dict[str, int] = dict(ns_bits)
        self.host_network_bits = host_bits
        block_bits: dict[int, int] = defaultdict(int)
        for idx, sig in self.pod_ip_sig.items():
            for bid in sig:
                block_bits[bid] |= 1 << idx
        self.block_bits: dict[int, int] = dict(block_bits)

    # --- selectors --------------------------------------------------------------------------
    def namespaces_bits(self, names: Iterable[str]) -> int:
        out = 0
        for n in names:
            out |= self.ns_bits.get(n, 0)
        return out

    def peer_classes(self, policy_namespace: str, peer: Peer) -> int:
        """Pod classes a peer admits (before ports)."""
        if peer.ip_block is not None:
            return self.block_bits.get(self.block_id[peer.ip_block], 0)
        # Host-network pods carry the node's address: pod and namespace selectors never
        # match them (Kubernetes leaves them unspecified; every major plugin behaves so).
        bits = self.all_classes & ~self.host_network_bits
        if peer.namespace_selector is not None:
            bits &= self.namespaces_bits(self.ns_index.select(peer.namespace_selector))
        else:
            bits &= self.ns_bits.get(policy_namespace, 0)
        if peer.pod_selector is not None:
            bits &= self.label_index.select(peer.pod_selector)
        return bits

    def selected_classes(self, policy: NetworkPolicy) -> int:
        bits = self.ns_bits.get(policy.namespace, 0) & ~self.host_network_bits
        return bits & self.label_index.select(policy.pod_selector)

    # --- rules ------------------------------------------------------------------------------
    def _build_rules(self) -> None:
        self.rules: list[CompiledRule] = []
        self.policy_rules: list[dict[Direction, tuple[CompiledRule, ...]]] = []
        self.policy_targets: list[int] = []
        # per class and direction: indexes of the policies that select it for that direction
        self.isolating: dict[Direction, list[list[int]]] = {
            d: [[] for _ in self.classes] for d in DIRECTIONS
        }
        for pi, pol in enumerate(self.policies):
            targets = self.selected_classes(pol)
            self.policy_targets.append(targets)
            compiled: dict[Direction, tuple[CompiledRule, ...]] = {}
            for direction in DIRECTIONS:
                compiled[direction] = tuple(
                    self._compile_rule(pi, pol, direction, ri, rule)
                    for ri, rule in enumerate(pol.rules(direction))
                )
                if pol.isolates(direction):
                    for ci in indexes_of(targets):
                        self.isolating[direction][ci].append(pi)
            self.policy_rules.append(compiled)

    def _compile_rule(
        self, pi: int, pol: NetworkPolicy, direction: Direction, ri: int, rule: Rule
    ) -> CompiledRule:
        peers = tuple(
            PeerMatcher(
                i,
                peer,
                self.peer_classes(pol.namespace, peer),
                ipset.block_ranges(peer.ip_block) if peer.ip_block is not None else (),
            )
            for i, peer in enumerate(rule.peers)
        )
        ports = tuple(port_matcher(i, p) for i, p in enumerate(rule.ports))
        if peers:
            classes = 0
            for pm in peers:
                classes |= pm.classes
            ips = normalize(r for pm in peers for r in pm.ips)
        else:
            classes = self.all_classes
            ips = ipset.EVERYTHING
        if ports:
            numeric = EMPTY
            for port in ports:
                numeric = numeric | port.numeric
        else:
            numeric = ALL
        cr = CompiledRule(
            id=len(self.rules),
            policy=pol,
            policy_index=pi,
            direction=direction,
            index=ri,
            rule=rule,
            peers=peers,
            ports=ports,
            classes=classes,
            ips=ips,
            numeric=numeric,
            has_named=any(p.name is not None for p in ports),
        )
        self.rules.append(cr)
        return cr

    # --- per-class views ----------------------------------------------------------------------
    def exempt(self, pod: Pod) -> bool:
        """Whether NetworkPolicy leaves this pod alone (a host-network pod, by default)."""
        return self.classes[self.class_of[pod.id]].host_network

    def is_isolated(self, class_index: int, direction: Direction) -> bool:
        return bool(self.isolating[direction][class_index])

    def class_rules(self, class_index: int, direction: Direction) -> list[CompiledRule]:
        return [
            r
            for pi in self.isolating[direction][class_index]
            for r in self.policy_rules[pi][direction]
        ]
