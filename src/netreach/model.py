"""Typed objects of a cluster snapshot: what the engine reads. No Kubernetes rule lives here
beyond label-selector matching, which is the definition of a selector."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from netreach.location import Location as Location
from netreach.location import PathPart as PathPart

if TYPE_CHECKING:
    from netreach.errors import Problem

Protocol = Literal["TCP", "UDP", "SCTP"]
PROTOCOLS: tuple[Protocol, ...] = ("TCP", "UDP", "SCTP")
Direction = Literal["ingress", "egress"]
DIRECTIONS: tuple[Direction, Direction] = ("ingress", "egress")


# --- label selectors -------------------------------------------------------------------------

Operator = Literal["In", "NotIn", "Exists", "DoesNotExist"]


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator == "In":
            return labels.get(self.key) in self.values
        if self.operator == "NotIn":
            # A missing key satisfies NotIn, as in k8s.io/apimachinery/pkg/labels.
            return self.key not in labels or labels[self.key] not in self.values
        if self.operator == "Exists":
            return self.key in labels
        return self.key not in labels

    def __str__(self) -> str:
        if self.operator == "Exists":
            return self.key
        if self.operator == "DoesNotExist":
            return f"!{self.key}"
        op = "in" if self.operator == "In" else "notin"
        return f"{self.key} {op} ({','.join(self.values)})"


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """matchLabels AND matchExpressions. The empty selector matches everything."""

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[Requirement, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.match_labels and not self.match_expressions

    def matches(self, labels: Mapping[str, str]) -> bool:
        for k, v in self.match_labels:
            if labels.get(k) != v:
                return False
        return all(r.matches(labels) for r in self.match_expressions)

    def __str__(self) -> str:
        if self.is_empty:
            return "{}"
        parts = [f"{k}={v}" for k, v in self.match_labels]
        parts += [str(r) for r in self.match_expressions]
        return ",".join(parts)


# --- cluster objects -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkloadRef:
    """The owner a pod is reported under: `namespace/name[Kind]`."""

    namespace: str
    name: str
    kind: str

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}[{self.kind}]"

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
    labels: Mapping[str, str]
    location: Location | None = None
    implied: bool = False  # referenced but not defined in the input
    inferred: bool = False  # labels assumed from a namespaceSelector (load/infer.py)


@dataclass(frozen=True, slots=True)
class ContainerPort:
    port: int
    protocol: Protocol = "TCP"
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Pod:
    namespace: str
    name: str
    labels: Mapping[str, str]
    workload: WorkloadRef
    ips: tuple[str, ...] = ()
    ports: tuple[ContainerPort, ...] = ()
    host_network: bool = False
    location: Location | None = None
    from_template: bool = False  # a representative pod made from a workload template
    inferred: bool = False  # not in the input: made from the policies' selectors (load/infer.py)

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}"

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class PolicyPort:
    """One `ports[]` entry after defaulting (protocol is never empty)."""

    protocol: Protocol = "TCP"
    port: int | str | None = None  # None: every port of the protocol
    end_port: int | None = None

    def __str__(self) -> str:
        if self.port is None:
            return f"{self.protocol} (all ports)"
        if self.end_port is not None:
            return f"{self.protocol} {self.port}-{self.end_port}"
        return f"{self.protocol} {self.port}"


@dataclass(frozen=True, slots=True)
class IPBlock:
    cidr: str
    except_: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.except_:
            return f"{self.cidr} except {', '.join(self.except_)}"
        return self.cidr


@dataclass(frozen=True, slots=True)
class Peer:
    """One `from[]`/`to[]` entry. podSelector and namespaceSelector in one peer are ANDed."""

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPBlock | None = None

    def __str__(self) -> str:
        if self.ip_block is not None:
            return f"ipBlock {self.ip_block}"
        parts = []
        if self.namespace_selector is not None:
            parts.append(f"namespaceSelector {self.namespace_selector}")
        if self.pod_selector is not None:
            parts.append(f"podSelector {self.pod_selector}")
        return " AND ".join(parts)


@dataclass(frozen=True, slots=True)
class Rule:
    """One ingress or egress rule. Empty `peers` means every peer; empty `ports` every port."""

    peers: tuple[Peer, ...] = ()
    ports: tuple[PolicyPort, ...] = ()


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    namespace: str
    name: str
    pod_selector: LabelSelector
    policy_types: tuple[Direction, ...]  # after API-server defaulting
    ingress: tuple[Rule, ...] = ()
    egress: tuple[Rule, ...] = ()
    location: Location | None = None
    explicit_policy_types: bool = True  # False when policyTypes came from defaulting

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}"

    def rules(self, direction: Direction) -> tuple[Rule, ...]:
        return self.ingress if direction == "ingress" else self.egress

    def isolates(self, direction: Direction) -> bool:
        return direction in self.policy_types

    def __str__(self) -> str:
        return self.id


# --- cluster-wide admin tiers (policy.networking.k8s.io) ----------------------------------

AdminKind = Literal["AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy"]
Tier = Literal["Admin", "Baseline"]
# ANP `Allow` and CNP `Accept` are the same action; netreach names it Allow.
AdminAction = Literal["Allow", "Deny", "Pass"]


@dataclass(frozen=True, slots=True)
class Node:
    """A Node object: peers of admin `nodes` rules match its addresses."""

    name: str
    labels: Mapping[str, str]
    addresses: tuple[str, ...] = ()
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class AdminSubject:
    """Pods in namespaces matching `namespaces`, and (when set) matching `pods` too."""

    namespaces: LabelSelector
    pods: LabelSelector | None = None

    def __str__(self) -> str:
        if self.pods is None:
            return f"namespaces {self.namespaces}"
        return f"namespaces {self.namespaces} AND pods {self.pods}"


@dataclass(frozen=True, slots=True)
class AdminPeer:
    """One `from[]`/`to[]` entry of an admin rule; exactly one part is set by the loader.

    `unsupported` names a peer kind netreach does not model (e.g. domainNames): it matches
    nothing, and the loader warns.
    """

    namespaces: LabelSelector | None = None
    pods: tuple[LabelSelector, LabelSelector] | None = None  # (namespaces, pods)
    networks: tuple[str, ...] = ()
    nodes: LabelSelector | None = None
    unsupported: str = ""

    def __str__(self) -> str:
        if self.namespaces is not None:
            return f"namespaces {self.namespaces}"
        if self.pods is not None:
            return f"pods {self.pods[1]} in namespaces {self.pods[0]}"
        if self.networks:
            return f"networks {', '.join(self.networks)}"
        if self.nodes is not None:
            return f"nodes {self.nodes}"
        return f"{self.unsupported} (unsupported: matches nothing)"


@dataclass(frozen=True, slots=True)
class AdminRule:
    """One admin rule. `ports` None: every connection (ports reuse PolicyPort: number,
    range via end_port, or a name resolved on the destination pod)."""

    name: str
    action: AdminAction
    peers: tuple[AdminPeer, ...] = ()
    ports: tuple[PolicyPort, ...] | None = None


@dataclass(frozen=True, slots=True)
class AdminPolicy:
    """AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy, normalized."""

    kind: AdminKind
    tier: Tier
    name: str
    priority: int  # Baseline policies: 0 (BANP has no priority)
    subject: AdminSubject
    ingress: tuple[AdminRule, ...] = ()
    egress: tuple[AdminRule, ...] = ()
    location: Location | None = None

    @property
    def id(self) -> str:
        return f"{self.kind}/{self.name}"

    def rules(self, direction: Direction) -> tuple[AdminRule, ...]:
        return self.ingress if direction == "ingress" else self.egress

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class ServicePort:
    """One `spec.ports[]` entry of a Service after defaulting (targetPort defaults to port)."""

    port: int
    target_port: int | str  # a number, or the name of a container port of the backing pods
    protocol: Protocol = "TCP"
    name: str | None = None

    def __str__(self) -> str:
        return f"{self.port}/{self.protocol}"


@dataclass(frozen=True, slots=True)
class Service:
    """A v1 Service: the name clients use; policies never see it, only the pods behind it."""

    namespace: str
    name: str
    selector: Mapping[str, str] | None  # None: no selector (endpoints managed by hand)
    ports: tuple[ServicePort, ...] = ()
    location: Location | None = None

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}"

    def __str__(self) -> str:
        return f"svc/{self.id}"


@dataclass(frozen=True, slots=True)
class Options:
    """Switches for points the Kubernetes specification leaves to the network plugin."""

    ipblock_matches_pods: bool = True
    # Whether a pod's traffic to itself is subject to its policies. Kubernetes leaves this open;
    # most plugins never see it (it stays on the pod's loopback path), so "always allowed".
    self_traffic: Literal["policy", "allowed"] = "policy"
    # hostNetwork pods share the node's network identity: Kubernetes leaves them out of
    # NetworkPolicy ("exempt"). "as-pods" treats them like other pods (netpol-analyzer does).
    host_network: Literal["exempt", "as-pods"] = "exempt"


@dataclass(frozen=True, slots=True)
class DroppedField:
    """An unknown field dropped by lenient loading: verdicts it could change say so.

    `scope` is the namespace whose pods' verdicts it may change (for a Namespace object: its
    own name, since its labels decide which selectors match its pods); None: any verdict
    (cluster-scoped objects such as admin-tier policies)."""

    object_ref: str  # e.g. "NetworkPolicy default/allow-db"
    kind: str
    scope: str | None
    name: str
    field: str  # e.g. "spec.podSelector.matchlabels"
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class Unmodelled:
    """An object of a network-policy kind netreach does not model (Cilium, Calico, Antrea,
    OVN-Kubernetes, Istio...): verdicts it could change say so. `namespace` None: it applies
    cluster-wide."""

    kind: str
    api_version: str
    name: str
    namespace: str | None
    location: Location | None = None
    layer: str = "L3/L4"  # "L7" for policies that can only refuse what L3/L4 allows

    @property
    def id(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name} ({self.api_version})"


@dataclass(slots=True)
class Snapshot:
    """Everything read from the input, after validation and defaulting."""

    namespaces: dict[str, Namespace] = field(default_factory=dict)
    pods: list[Pod] = field(default_factory=list)
    policies: list[NetworkPolicy] = field(default_factory=list)
    admin_policies: list[AdminPolicy] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    # kind -> locations of objects read but not modelled (other kinds), listed with -v
    skipped: dict[str, list[Location]] = field(default_factory=dict)
    invalid: list[Problem] = field(
        default_factory=list
    )  # errors of objects dropped by --skip-invalid
    services: list[Service] = field(default_factory=list)
    # lenient loading: unknown fields that were dropped (verdicts they could change say so)
    dropped: list[DroppedField] = field(default_factory=list)
    # network-policy objects of kinds netreach does not model (verdicts they could change say so)
    unmodelled: list[Unmodelled] = field(default_factory=list)
