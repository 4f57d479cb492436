"""One compiled rule type for every tier: NetworkPolicy, AdminNetworkPolicy,
BaselineAdminNetworkPolicy, ClusterNetworkPolicy, Calico and Cilium rules all become a
`CompiledRule`: its tier and action, where it was written, the peers it admits (pod classes
and address ranges) and the connections its ports open.

Named ports resolve on the destination pod, protocol included: towards an address (no pod)
a named port opens nothing. Calico's negations are set differences: `notPorts` (numeric
and named) are taken out of what the ports open, `protocol`/`notProtocol` restrict it to a
protocol set; `notSelector`/`notNets` are already out of the peers' classes and ranges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from netreach.engine import ipset
from netreach.engine.classes import PortsKey
from netreach.engine.conns import ALL, EMPTY, ConnectionSet
from netreach.engine.intervals import Ranges
from netreach.model import (
    AdminPeer,
    AdminPolicy,
    AdminRule,
    CalicoPolicy,
    CiliumPolicy,
    Direction,
    NetworkPolicy,
    NotModelled,
    Peer,
    PolicyPort,
    Protocol,
    Rule,
)

# Log (Calico) matches and goes on: it decides nothing.
Action = Literal["Allow", "Deny", "Pass", "Log"]
# A rule's family: how it speaks. NetworkPolicy rules all allow and add up; Admin and
# Baseline rules follow network-policy-api; Calico rules are first match within a Calico tier;
# Cilium rules allow (and add up) or deny (and take precedence).
TierName = Literal["Admin", "NetworkPolicy", "Baseline", "Calico", "Cilium"]
PolicyObject = NetworkPolicy | AdminPolicy | CalicoPolicy | CiliumPolicy
PolicyT = TypeVar("PolicyT", NetworkPolicy, AdminPolicy, CalicoPolicy, CiliumPolicy)
PeerT = TypeVar("PeerT")
RuleT = TypeVar("RuleT")


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
        """What this entry opens towards a destination with these container ports (None: an
        address, where a named port opens nothing)."""
        name = self.name
        if name is None:
            return self.numeric
        out = EMPTY
        for cp in dst_ports or ():
            if cp.name == name and cp.protocol == self.port.protocol:
                out = out | ConnectionSet.ports(cp.protocol, cp.port)
        return out


def port_matcher(index: int, port: PolicyPort) -> PortMatcher:
    if isinstance(port.port, str):
        numeric = EMPTY
    elif port.port is None:
        numeric = ConnectionSet.ports(port.protocol)
    else:
        numeric = ConnectionSet.ports(port.protocol, port.port, port.end_port or port.port)
    return PortMatcher(index, port, numeric)


@dataclass(frozen=True, eq=False)
class PeerMatcher(Generic[PeerT]):
    """One compiled `from[]`/`to[]` entry: the pod classes and addresses it admits."""

    index: int
    peer: PeerT
    classes: int
    ips: Ranges


@dataclass(eq=False)
class CompiledRule(Generic[PolicyT, RuleT, PeerT]):
    """A rule of any tier, compiled against the snapshot's classes and address atoms.

    `all_peers`: the rule names no peer and admits everyone (a NetworkPolicy rule without
    from/to). `ports` empty with `numeric` ALL: every connection. `numeric` is what the rule
    opens whatever the destination (protocols, numeric ports minus numeric notPorts);
    `subjects` limits the pods of its policy it applies to (a Calico rule's own side).
    """

    id: int
    tier: TierName
    action: Action
    policy: PolicyT
    policy_index: int  # in Compiled.policies (NetworkPolicy) or Compiled.admin_policies
    direction: Direction
    index: int
    rule: RuleT
    peers: tuple[PeerMatcher[PeerT], ...]
    ports: tuple[PortMatcher, ...]
    all_peers: bool
    classes: int  # union of the peers' classes (every class when all_peers)
    ips: Ranges  # union of the peers' addresses (everything when all_peers)
    numeric: ConnectionSet  # union of the numeric ports (ALL without ports)
    has_named: bool
    not_ports: tuple[PortMatcher, ...] = ()
    protocols: ConnectionSet = ALL
    neg_numeric: ConnectionSet = EMPTY  # the numeric notPorts
    subjects: int | None = None  # None: every pod its policy applies to
    key: str = ""  # the rule list it is in ("ingressDeny"...); "" means `direction`
    stage: str = ""  # the Calico tier it belongs to ("" for other kinds)
    notes: tuple[NotModelled, ...] = ()
    _by_ports: dict[PortsKey | None, ConnectionSet] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        """The rule's own name (admin tiers); empty for NetworkPolicy rules."""
        return self.rule.name if isinstance(self.rule, AdminRule) else ""

    @property
    def kind(self) -> str:
        pol = self.policy
        if isinstance(pol, NetworkPolicy):
            return "NetworkPolicy"
        if isinstance(pol, CalicoPolicy):
            return "CalicoNetworkPolicy" if pol.kind == "NetworkPolicy" else pol.kind
        return pol.kind

    @property
    def list_name(self) -> str:
        return self.key or self.direction

    @property
    def self_exempt(self) -> bool:
        """The rule does not apply to a pod's traffic to its own IP: ClusterNetworkPolicy
        ("A Pod connecting to its own Pod IP is not subject to CNP", network-policy-api)."""
        return self.kind == "ClusterNetworkPolicy"

    @property
    def label(self) -> str:
        name = f' "{self.name}"' if self.name else ""
        return f"{self.policy.id} {self.list_name}[{self.index}]{name}"

    @property
    def location(self) -> str:
        pol = self.policy
        loc = pol.location
        if loc is None:
            return ""
        prefix = pol.path if isinstance(pol, CiliumPolicy) else ("spec",)
        return str(loc.at(*prefix, self.list_name, self.index))

    @property
    def port_list(self) -> tuple[PolicyPort, ...]:
        """The rule's ports as written (empty: every connection)."""
        return tuple(pm.port for pm in self.ports)

    def conns_for(self, dst_ports: PortsKey | None) -> ConnectionSet:
        """What the rule opens towards a destination with these container ports: the numeric
        ports plus its named ports resolved there, minus the notPorts (named ones resolved
        there too), within its protocols (cached per port map)."""
        if not self.has_named:
            return self.numeric
        got = self._by_ports.get(dst_ports)
        if got is None:
            got = self.numeric
            for pm in self.ports:
                if pm.name is not None:
                    got = got | ((pm.conns_for(dst_ports) & self.protocols) - self.neg_numeric)
            for pm in self.not_ports:
                if pm.name is not None:
                    got = got - pm.conns_for(dst_ports)
            self._by_ports[dst_ports] = got
        return got

    def admits(self, peer_class: int | None, peer_key: int | None) -> tuple[bool, int | None]:
        """Whether the rule admits the other side (a pod class, or an address on the IP line),
        and through which peer (None: the rule admits everyone)."""
        if self.all_peers:
            return True, None
        for pm in self.peers:
            if peer_class is not None and pm.classes >> peer_class & 1:
                return True, pm.index
            if peer_key is not None and pm.ips and ipset.contains(pm.ips, peer_key):
                return True, pm.index
        return False, None

    def port_index(
        self, protocol: Protocol, port: int, dst_ports: PortsKey | None
    ) -> tuple[bool, int | None]:
        """Whether the rule opens this port, and through which `ports[]` entry (None: the
        rule has no ports and opens every connection)."""
        opens = self.conns_for(dst_ports).contains(protocol, port)
        if not self.ports or not opens:
            return opens, None
        for pm in self.ports:
            if pm.conns_for(dst_ports).contains(protocol, port):
                return True, pm.index
        return True, None


NPRule = CompiledRule[NetworkPolicy, Rule, Peer]
TierRule = CompiledRule[AdminPolicy, AdminRule, AdminPeer]
AnyRule = CompiledRule[Any, Any, Any]
NPPeer = PeerMatcher[Peer]
