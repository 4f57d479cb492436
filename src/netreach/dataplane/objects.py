"""The dataplane's own reading of the manifests: the few fields enforcement needs, in types of
its own (not netreach.model), so that a bug in the loader or the model cannot hide itself by
being read the same way on both sides of `verify`.

Filled by `decode.py` (from manifest bytes) and read by `resolve.py`; nothing here is
rendered into a ruleset as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from netreach.calico_selector import Expr

Proto = Literal["TCP", "UDP", "SCTP"]
PROTOS: tuple[Proto, ...] = ("TCP", "UDP", "SCTP")
Action = Literal["Allow", "Deny", "Pass"]
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True, slots=True)
class Expression:
    key: str
    operator: str  # In, NotIn, Exists, DoesNotExist (anything else matches nothing)
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        have = self.key in labels
        if self.operator == "In":
            return have and labels[self.key] in self.values
        if self.operator == "NotIn":
            return not have or labels[self.key] not in self.values
        if self.operator == "Exists":
            return have
        if self.operator == "DoesNotExist":
            return not have
        return False


@dataclass(frozen=True, slots=True)
class Selector:
    """metav1.LabelSelector: every matchLabels pair and every expression must hold."""

    labels: tuple[tuple[str, str], ...] = ()
    expressions: tuple[Expression, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in self.labels) and all(
            e.matches(labels) for e in self.expressions
        )


@dataclass(frozen=True, slots=True)
class Port:
    """A port entry: `protocol` None means any protocol (admin named ports); `port` None
    means every port of the protocol; a str is a container port name."""

    protocol: Proto | None
    port: int | str | None = None
    end: int | None = None


@dataclass(frozen=True, slots=True)
class Peer:
    """A NetworkPolicy peer: selectors (None = not set), or an ipBlock."""

    pods: Selector | None = None
    namespaces: Selector | None = None
    cidr: str | None = None
    excepts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PolicyRule:
    peers: tuple[Peer, ...] = ()  # empty: every peer
    ports: tuple[Port, ...] = ()  # empty: every port


@dataclass(frozen=True, slots=True)
class Policy:
    namespace: str
    name: str
    selector: Selector
    ingress_isolated: bool
    egress_isolated: bool
    ingress: tuple[PolicyRule, ...] = ()
    egress: tuple[PolicyRule, ...] = ()


AdminPeerKind = Literal["namespaces", "pods", "networks", "nodes", "unsupported"]


@dataclass(frozen=True, slots=True)
class AdminPeer:
    kind: AdminPeerKind
    namespaces: Selector | None = None
    pods: Selector | None = None  # with kind "pods" (namespaces is then its namespaceSelector)
    networks: tuple[str, ...] = ()
    nodes: Selector | None = None


@dataclass(frozen=True, slots=True)
class AdminRule:
    name: str
    action: Action
    peers: tuple[AdminPeer, ...]
    ports: tuple[Port, ...] | None  # None: every connection


@dataclass(frozen=True, slots=True)
class AdminPolicy:
    kind: str  # AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy
    name: str
    baseline: bool
    priority: int
    subject_namespaces: Selector
    subject_pods: Selector | None
    ingress: tuple[AdminRule, ...] = ()
    egress: tuple[AdminRule, ...] = ()


@dataclass(frozen=True, slots=True)
class ServicePort:
    port: int
    target: int | str
    protocol: Proto
    name: str = ""


@dataclass(frozen=True, slots=True)
class Service:
    namespace: str
    name: str
    type: str
    selector: Mapping[str, str] | None
    ports: tuple[ServicePort, ...]
    cluster_ips: tuple[str, ...] = ()  # as written; "None" marks a headless Service

    @property
    def headless(self) -> bool:
        return "None" in self.cluster_ips


@dataclass(frozen=True, slots=True)
class ContainerPort:
    port: int
    protocol: Proto
    name: str = ""


@dataclass(frozen=True, slots=True)
class PodInfo:
    """A Pod, or the pod template of a workload: what selectors and named ports read."""

    labels: Mapping[str, str]
    ports: tuple[ContainerPort, ...]
    host_network: bool
    ips: tuple[str, ...] = ()
    service_account: str = "default"


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    labels: Mapping[str, str]
    addresses: tuple[str, ...]


# --- Calico (projectcalico.org/v3) and Cilium (cilium.io/v2), read by decode_cni.py -----------

CalicoAction = Literal["Allow", "Deny", "Pass", "Log"]
Direction = Literal["ingress", "egress"]


@dataclass(frozen=True, slots=True)
class CalicoEntity:
    """A rule's source or destination. Selectors read Calico's labels of an endpoint as
    written (`pcns.*`, `pcsa.*`, `projectcalico.org/namespace`...); `selector` has the
    serviceAccounts match ANDed in; `ports` are destination ports (numbers, ranges, names)."""

    nets: tuple[str, ...] = ()
    not_nets: tuple[str, ...] = ()
    selector: Expr | None = None
    not_selector: Expr | None = None
    namespace_selector: Expr | None = None
    ports: tuple[Port, ...] = ()
    not_ports: tuple[Port, ...] = ()

    @property
    def uses_selectors(self) -> bool:
        return not (
            self.selector is None and self.not_selector is None and self.namespace_selector is None
        )


@dataclass(frozen=True, slots=True)
class CalicoRule:
    action: CalicoAction
    protocols: tuple[Proto, ...]  # what protocol / notProtocol leave of TCP, UDP, SCTP
    ip_version: int | None = None
    source: CalicoEntity = CalicoEntity()
    destination: CalicoEntity = CalicoEntity()
    inert: bool = False  # decided by what a snapshot cannot know (source ports, services)


@dataclass(frozen=True, slots=True)
class CalicoPolicy:
    kind: str  # NetworkPolicy or GlobalNetworkPolicy
    namespace: str | None
    name: str
    tier: str
    order: float | None
    selector: Expr  # serviceAccountSelector ANDed in
    types: tuple[Direction, ...]
    ingress: tuple[CalicoRule, ...] = ()
    egress: tuple[CalicoRule, ...] = ()
    namespace_selector: Expr | None = None  # GlobalNetworkPolicy only
    applies_to_pods: bool = True  # False for preDNAT / doNotTrack (host endpoints only)

    @property
    def order_key(self) -> tuple[float, str]:
        """Felix's order: `order` (none last), then "name/namespace/kind"."""
        order = self.order if self.order is not None else float("inf")
        return order, f"{self.name}/{self.namespace or ''}/{self.kind}"


@dataclass(frozen=True, slots=True)
class CalicoTier:
    name: str
    order: float | None
    default_action: Literal["Deny", "Pass"] = "Deny"


@dataclass(frozen=True, slots=True)
class NetworkSet:
    namespace: str | None  # None: a GlobalNetworkSet
    name: str
    labels: Mapping[str, str]
    nets: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CiliumRule:
    """An entry of ingress / egress (Allow) or ingressDeny / egressDeny (Deny). `l3`: some peer
    field is set and not empty; `empty_l3`: a peer list written empty. `ports` None: every
    connection; empty: none netreach models (ICMP only)."""

    action: Literal["Allow", "Deny"]
    endpoints: tuple[Selector, ...] = ()
    cidrs: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (cidr, excepts)
    entities: tuple[str, ...] = ()
    l3: bool = False
    empty_l3: bool = False
    ports: tuple[Port, ...] | None = None


@dataclass(frozen=True, slots=True)
class CiliumPolicy:
    """One `spec` or `specs[i]` of a CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy;
    selector keys without their `k8s:` / `any:` source, namespace scoping applied."""

    kind: str
    namespace: str | None
    name: str
    subject: Selector | None  # None: a nodeSelector (host) rule
    ingress: tuple[CiliumRule, ...] = ()
    egress: tuple[CiliumRule, ...] = ()
    ingress_deny: tuple[CiliumRule, ...] = ()
    egress_deny: tuple[CiliumRule, ...] = ()
    default_deny: tuple[Direction, ...] = ()

    def rules(self, direction: Direction, deny: bool) -> tuple[CiliumRule, ...]:
        if direction == "ingress":
            return self.ingress_deny if deny else self.ingress
        return self.egress_deny if deny else self.egress


@dataclass(slots=True)
class Manifests:
    """Everything the dataplane read, keyed the way objects are identified in Kubernetes."""

    namespaces: dict[str, Mapping[str, str]] = field(default_factory=dict)
    pods: dict[tuple[str, str], PodInfo] = field(default_factory=dict)  # (ns, name)
    workloads: dict[tuple[str, str, str], PodInfo] = field(default_factory=dict)  # (ns, kind, name)
    policies: dict[tuple[str, str], Policy] = field(default_factory=dict)
    admin: dict[tuple[str, str], AdminPolicy] = field(default_factory=dict)  # (kind, name)
    services: dict[tuple[str, str], Service] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)
    calico: dict[tuple[str, str, str], CalicoPolicy] = field(default_factory=dict)  # kind, ns, name
    tiers: dict[str, CalicoTier] = field(default_factory=dict)
    network_sets: dict[tuple[str, str, str], NetworkSet] = field(default_factory=dict)
    accounts: dict[tuple[str, str], Mapping[str, str]] = field(default_factory=dict)  # labels
    cilium: dict[tuple[str, str, str], tuple[CiliumPolicy, ...]] = field(default_factory=dict)
    # documents or objects the decoder could not read (`file: why`)
    problems: list[str] = field(default_factory=list)

    def namespace_labels(self, name: str) -> Mapping[str, str]:
        """A namespace's labels; one not in the input has only the label the API server sets."""
        return self.namespaces.get(name, {NAMESPACE_NAME_LABEL: name})
