"""Typed objects of a cluster snapshot: what the engine reads. No Kubernetes rule lives here
beyond label-selector matching, which is the definition of a selector."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from typing import Protocol as Interface  # `Protocol` below is the L4 protocol

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
    inferred: bool = False  # labels assumed from a namespaceSelector (loader/infer.py)


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
    # spec.serviceAccountName (the API server's admission sets "default" when it is absent):
    # Calico's serviceAccountSelector and Cilium's serviceaccount label read it.
    service_account: str = "default"
    inferred: bool = False  # not in the input: made from the policies' selectors (loader/infer.py)

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}"

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    """A ServiceAccount: Calico's serviceAccountSelector reads its labels."""

    namespace: str
    name: str
    labels: Mapping[str, str]
    location: Location | None = None


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


def ipv4_number(text: str) -> int | None:
    """The number of an IPv4 address written canonically (dotted quad, no leading zeros:
    how the loader writes every pod IP), as `ipaddress` reads it; None for anything else.
    Checked without `ipaddress`, which costs ~20 us a call at 150,000 pods."""
    parts = text.split(".")
    if len(parts) != 4:
        return None
    number = 0
    for p in parts:
        if not (p.isdigit() and p.isascii() and (p == "0" or p[0] != "0")) or len(p) > 3:
            return None
        octet = int(p)
        if octet > 255:
            return None
        number = number << 8 | octet
    return number


def canonical_ip(text: str) -> str:
    """An IP address as `ipaddress` writes it (raises ValueError for anything else); a
    canonical dotted quad, the common case, is returned without parsing it."""
    if ipv4_number(text) is not None:
        return text
    import ipaddress  # only for the other forms (IPv6, zeros, ...)

    return str(ipaddress.ip_address(text))


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


# --- what a policy part netreach does not model may change ---------------------------------


@dataclass(frozen=True, slots=True)
class NotModelled:
    """A part of a rule netreach does not model (Cilium L7 rules and toFQDNs, Calico HTTP
    matches and source ports...). The rule is modelled without it, and every verdict the
    part could change says so (netreach.analyses.caveats):

    - `when` "matched": only where the rule matches the connection (an L7 rule can only refuse
      requests of a connection its L3/L4 part allows; a mutual-authentication requirement);
    - `when` "admits": wherever the rule admits the peer, whatever the verdict (an
      ipVersion rule between dual-stack pods decides one family only);
    - `when` "port": wherever the rule applies to the pod and opens the port, whoever the
      peer (a peer kind netreach does not model matches nothing here, but may match);
    - `peers`: which other sides it can concern: "any", "external" (addresses outside the
      cluster), "node" (nodes and host-network pods, or addresses netreach cannot tell from
      them), "pods".
    """

    what: str
    when: Literal["matched", "admits", "port"] = "port"
    peers: Literal["any", "external", "node", "pods"] = "any"


# --- virtual labels ------------------------------------------------------------------------
# Calico and Cilium selectors read more than a pod's own labels: its namespace and that
# namespace's labels, its service account and that account's labels. The loaders write such
# keys as these virtual labels, which the engine adds to what selectors see of a pod. They
# start with NUL: no Kubernetes label key (and so no NetworkPolicy selector) can name them.
V_NAMESPACE = "\x00ns"
V_NS_LABEL = "\x00ns:"  # + a namespace label key
V_SERVICE_ACCOUNT = "\x00sa"
V_SA_LABEL = "\x00sa:"  # + a ServiceAccount label key
V_ORCHESTRATOR = "\x00orch"  # Calico's projectcalico.org/orchestrator: "k8s" on every pod
V_CLUSTER = "\x00cluster"  # Cilium's io.cilium.k8s.policy.cluster: the cluster name
V_ABSENT = "\x00absent:"  # + a key: a label no pod carries (reserved identities, filtered)

# Cilium's labels for what a pod's own labels do not say (pkg/k8s/apis/cilium.io/const.go)
CILIUM_POD_NAMESPACE = "io.kubernetes.pod.namespace"
CILIUM_NS_LABELS = "io.cilium.k8s.namespace.labels."
CILIUM_SERVICE_ACCOUNT = "io.cilium.k8s.policy.serviceaccount"
CILIUM_CLUSTER = "io.cilium.k8s.policy.cluster"


def cilium_label_name(key: str) -> str:
    """The label a selector key names, as Cilium writes it: a virtual label by Cilium's own
    name, a label of another source (`reserved:host`) with its source, a pod label as is
    (without the `k8s:` source, which the callers add where they want it). The inverse of
    loader/cilium.label_key."""
    if key == V_NAMESPACE:
        return CILIUM_POD_NAMESPACE
    if key == V_SERVICE_ACCOUNT:
        return CILIUM_SERVICE_ACCOUNT
    if key == V_CLUSTER:
        return CILIUM_CLUSTER
    if key.startswith(V_NS_LABEL):
        return CILIUM_NS_LABELS + key[len(V_NS_LABEL) :]
    if key.startswith(V_ABSENT):
        return key[len(V_ABSENT) :]
    return key


CLUSTER_NAME = "default"  # Cilium's default cluster-name


def virtual_key_text(key: str) -> str:
    """How messages show a virtual label key."""
    if key == V_NAMESPACE:
        return "<namespace>"
    if key == V_SERVICE_ACCOUNT:
        return "<serviceaccount>"
    if key == V_ORCHESTRATOR:
        return "<orchestrator>"
    if key == V_CLUSTER:
        return "<cluster>"
    for prefix, what in ((V_NS_LABEL, "namespace"), (V_SA_LABEL, "serviceaccount")):
        if key.startswith(prefix):
            return f"<{what} label {key[len(prefix) :]}>"
    if key.startswith(V_ABSENT):
        return key[len(V_ABSENT) :]
    return key


# --- Calico (projectcalico.org/v3) ---------------------------------------------------------


class CalicoSelector(Interface):
    """A parsed Calico selector expression (netreach.calico_selector.Expr): what the model
    and the engine need of it. Immutable and hashable."""

    def matches(self, labels: Mapping[str, str]) -> bool: ...

    def evaluate(self, index: Any) -> int: ...

    def reads(self) -> Iterator[tuple[str, tuple[str, ...] | None]]: ...

    @property
    def is_empty(self) -> bool: ...

    @property
    def is_global(self) -> bool: ...

    def __hash__(self) -> int: ...


CalicoAction = Literal["Allow", "Deny", "Pass", "Log"]
CalicoKind = Literal["NetworkPolicy", "GlobalNetworkPolicy"]


@dataclass(frozen=True, slots=True)
class CalicoTier:
    """A Tier: its policies apply after those of lower-order tiers; `default_action` is what
    an endpoint some policy of the tier selects gets when no rule of the tier decided."""

    name: str
    order: float | None  # None: last
    default_action: Literal["Deny", "Pass"] = "Deny"
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class NetworkSet:
    """A NetworkSet (namespaced) or GlobalNetworkSet (namespace None): addresses that rule
    selectors match by the set's labels."""

    namespace: str | None
    name: str
    labels: Mapping[str, str]
    nets: tuple[str, ...]
    location: Location | None = None

    @property
    def id(self) -> str:
        if self.namespace is None:
            return f"GlobalNetworkSet/{self.name}"
        return f"NetworkSet/{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class CalicoEntity:
    """A rule's `source` or `destination` after the loader's work: `selector` is the AND of
    the serviceAccounts match (names, selector on the account's labels) and the endpoint
    selector; `namespace_selector` selects namespaces by their labels (and
    projectcalico.org/name), `global()` only what lives outside namespaces. Ports are the
    connection's destination ports (a source entity's ports are in the rule's notes)."""

    nets: tuple[str, ...] = ()
    not_nets: tuple[str, ...] = ()
    selector: CalicoSelector | None = None
    not_selector: CalicoSelector | None = None
    namespace_selector: CalicoSelector | None = None
    ports: tuple[PolicyPort, ...] = ()
    not_ports: tuple[PolicyPort, ...] = ()

    @property
    def uses_selectors(self) -> bool:
        """Calico limits a namespaced policy's entity to its namespace as soon as any selector
        field is set (libcalico-go GetEntityRuleSelector)."""
        return (
            self.selector is not None
            or self.not_selector is not None
            or self.namespace_selector is not None
        )

    @property
    def is_empty(self) -> bool:
        return not (self.nets or self.not_nets or self.uses_selectors)


@dataclass(frozen=True, slots=True)
class CalicoRule:
    """One Calico rule. `protocol` None: any; a name other than TCP, UDP, SCTP (ICMP,
    UDPLite, a number) opens none of the connections netreach models."""

    action: CalicoAction
    protocol: str | None = None
    not_protocol: str | None = None
    ip_version: int | None = None
    source: CalicoEntity = CalicoEntity()
    destination: CalicoEntity = CalicoEntity()
    notes: tuple[NotModelled, ...] = ()
    # a part netreach cannot know (the client's port, a Service match) decides whether it
    # matches: it is modelled as matching nothing, and its notes say it may
    inert: bool = False


@dataclass(frozen=True, slots=True)
class CalicoPolicy:
    """NetworkPolicy (namespaced) or GlobalNetworkPolicy of projectcalico.org/v3."""

    kind: CalicoKind
    namespace: str | None
    name: str
    tier: str
    order: float | None  # None: after every ordered policy of the tier
    selector: CalicoSelector  # the endpoints it applies to (serviceAccountSelector ANDed in)
    types: tuple[Direction, ...]  # after Calico's defaulting
    ingress: tuple[CalicoRule, ...] = ()
    egress: tuple[CalicoRule, ...] = ()
    namespace_selector: CalicoSelector | None = (
        None  # GlobalNetworkPolicy: pods of these namespaces
    )
    location: Location | None = None
    # preDNAT / doNotTrack / applyOnForward: the policy is (also) for host endpoints, which
    # netreach does not model; preDNAT and doNotTrack policies apply to nothing else
    host_endpoint: str = ""

    @property
    def applies_to_pods(self) -> bool:
        return self.host_endpoint not in ("preDNAT", "doNotTrack")

    @property
    def id(self) -> str:
        if self.namespace is None:
            return f"GlobalNetworkPolicy/{self.name}"
        return f"CalicoNetworkPolicy/{self.namespace}/{self.name}"

    @property
    def order_key(self) -> tuple[float, str]:
        """Evaluation order within the tier, as Felix sorts: order (none: last), then
        "name/namespace/kind" (felix/calc PolKVLess)."""
        order = self.order if self.order is not None else float("inf")
        return order, f"{self.name}/{self.namespace or ''}/{self.kind}"

    def rules(self, direction: Direction) -> tuple[CalicoRule, ...]:
        return self.ingress if direction == "ingress" else self.egress

    def isolates(self, direction: Direction) -> bool:
        return direction in self.types

    def __str__(self) -> str:
        return self.id


# --- Cilium (cilium.io/v2) -----------------------------------------------------------------

CiliumKind = Literal["CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"]


@dataclass(frozen=True, slots=True)
class CiliumRule:
    """One entry of ingress / egress (Allow) or ingressDeny / egressDeny (Deny).

    Peers: `endpoints` (label selectors over pods, namespace scoping already applied),
    `cidrs` (fromCIDR / fromCIDRSet: external addresses only), `entities` (world, cluster,
    all... as written). `l3` False: the rule names no peer; then it admits everyone when it
    has ports (an L4-only rule) and no one otherwise. `empty_l3`: a peer list written empty
    (`fromEndpoints: []`), which selects no one. `ports` None: every connection.
    """

    action: Literal["Allow", "Deny"]
    endpoints: tuple[LabelSelector, ...] = ()
    cidrs: tuple[IPBlock, ...] = ()
    entities: tuple[str, ...] = ()
    l3: bool = False
    empty_l3: bool = False
    ports: tuple[PolicyPort, ...] | None = None
    notes: tuple[NotModelled, ...] = ()


@dataclass(frozen=True, slots=True)
class CiliumPolicy:
    """One rule (`spec`, or one entry of `specs`) of a CiliumNetworkPolicy or a
    CiliumClusterwideNetworkPolicy. `subject` None: a nodeSelector rule (host policy)."""

    kind: CiliumKind
    namespace: str | None
    name: str
    spec_index: int | None  # None: `spec`; else the index in `specs`
    subject: LabelSelector | None
    ingress: tuple[CiliumRule, ...] = ()
    egress: tuple[CiliumRule, ...] = ()
    ingress_deny: tuple[CiliumRule, ...] = ()
    egress_deny: tuple[CiliumRule, ...] = ()
    default_deny: tuple[Direction, ...] = ()
    location: Location | None = None

    @property
    def id(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        spec = f" specs[{self.spec_index}]" if self.spec_index is not None else ""
        return f"{self.kind}/{where}{self.name}{spec}"

    @property
    def path(self) -> tuple[PathPart, ...]:
        return ("specs", self.spec_index) if self.spec_index is not None else ("spec",)

    def rules(self, direction: Direction, deny: bool = False) -> tuple[CiliumRule, ...]:
        if direction == "ingress":
            return self.ingress_deny if deny else self.ingress
        return self.egress_deny if deny else self.egress

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
    type: str = "ClusterIP"  # LoadBalancer and NodePort publish the pods outside the cluster

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

    @classmethod
    def compat(cls, tool: str, *, self_traffic: Literal["policy", "allowed"] = "policy") -> Options:
        """A peer tool's conventions, to compare outputs with it. "netpol-analyzer": ipBlocks
        never match pod IPs; host-network pods are modelled as ordinary pods
        (docs/compat.md)."""
        if tool != "netpol-analyzer":
            raise ValueError(f"unknown tool {tool!r} (expected netpol-analyzer)")
        return cls(ipblock_matches_pods=False, self_traffic=self_traffic, host_network="as-pods")


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
    # "all": any verdict with a pod of `namespace` (or any, when None); "host": only verdicts
    # with a host-network pod or an address outside the cluster on either side
    reach: Literal["all", "host"] = "all"
    what: str = ""  # why it is not modelled, when it is a part of a modelled kind

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
    service_accounts: list[ServiceAccount] = field(default_factory=list)
    calico_policies: list[CalicoPolicy] = field(default_factory=list)
    calico_tiers: list[CalicoTier] = field(default_factory=list)
    network_sets: list[NetworkSet] = field(default_factory=list)
    cilium_policies: list[CiliumPolicy] = field(default_factory=list)
