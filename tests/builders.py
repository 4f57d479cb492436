"""Small constructors for engine tests: snapshots written as Python, no YAML needed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from netreach.cluster import Cluster
from netreach.model import (
    AdminAction,
    AdminKind,
    AdminPeer,
    AdminPolicy,
    AdminRule,
    AdminSubject,
    ContainerPort,
    Direction,
    IPBlock,
    LabelSelector,
    Namespace,
    NetworkPolicy,
    Node,
    Options,
    Peer,
    Pod,
    PolicyPort,
    Protocol,
    Requirement,
    Rule,
    Service,
    ServicePort,
    Snapshot,
    WorkloadRef,
)


def sel(labels: Mapping[str, str] | None = None, *exprs: Requirement) -> LabelSelector:
    return LabelSelector(tuple(sorted((labels or {}).items())), tuple(exprs))


def ns(name: str, **labels: str) -> Namespace:
    return Namespace(name, {**labels, "kubernetes.io/metadata.name": name})


def pod(
    ref: str,
    labels: Mapping[str, str] | None = None,
    *,
    ip: str | None = None,
    ports: Iterable[tuple[str | None, int, Protocol]] = (),
    host_network: bool = False,
) -> Pod:
    namespace, name = ref.split("/")
    return Pod(
        namespace=namespace,
        name=name,
        labels=dict(labels or {}),
        workload=WorkloadRef(namespace, name, "Pod"),
        ips=(ip,) if ip else (),
        ports=tuple(ContainerPort(port, proto, pname) for pname, port, proto in ports),
        host_network=host_network,
    )


def peer(
    pods: Mapping[str, str] | LabelSelector | None = None,
    namespaces: Mapping[str, str] | LabelSelector | None = None,
    cidr: str | None = None,
    except_: Iterable[str] = (),
) -> Peer:
    def as_sel(x: Mapping[str, str] | LabelSelector | None) -> LabelSelector | None:
        if x is None or isinstance(x, LabelSelector):
            return x
        return sel(x)

    block = IPBlock(cidr, tuple(except_)) if cidr else None
    return Peer(as_sel(pods), as_sel(namespaces), block)


def port(
    p: int | str | None = None, protocol: Protocol = "TCP", end: int | None = None
) -> PolicyPort:
    return PolicyPort(protocol, p, end)


def rule(peers: Iterable[Peer] = (), ports: Iterable[PolicyPort] = ()) -> Rule:
    return Rule(tuple(peers), tuple(ports))


def policy(
    ref: str,
    selector: Mapping[str, str] | LabelSelector | None = None,
    *,
    types: Iterable[Direction] = ("ingress",),
    ingress: Iterable[Rule] = (),
    egress: Iterable[Rule] = (),
) -> NetworkPolicy:
    namespace, name = ref.split("/")
    s = selector if isinstance(selector, LabelSelector) else sel(selector)
    return NetworkPolicy(namespace, name, s, tuple(types), tuple(ingress), tuple(egress))


def apeer(
    namespaces: Mapping[str, str] | None = None,
    pods: tuple[Mapping[str, str], Mapping[str, str]] | None = None,
    networks: Iterable[str] = (),
    nodes: Mapping[str, str] | None = None,
) -> AdminPeer:
    """An admin peer; `pods` is (namespace labels, pod labels)."""
    return AdminPeer(
        namespaces=sel(namespaces) if namespaces is not None else None,
        pods=(sel(pods[0]), sel(pods[1])) if pods is not None else None,
        networks=tuple(networks),
        nodes=sel(nodes) if nodes is not None else None,
    )


def arule(
    action: AdminAction,
    peers: Iterable[AdminPeer] = (),
    ports: Iterable[PolicyPort] | None = None,
    name: str = "",
) -> AdminRule:
    """An admin rule; no peers given means every namespace (the common `namespaces: {}`)."""
    ps = tuple(peers) or (AdminPeer(namespaces=LabelSelector()),)
    return AdminRule(name, action, ps, tuple(ports) if ports is not None else None)


def admin(
    name: str,
    priority: int = 10,
    *,
    namespaces: Mapping[str, str] | None = None,
    pods: Mapping[str, str] | None = None,
    ingress: Iterable[AdminRule] = (),
    egress: Iterable[AdminRule] = (),
    baseline: bool = False,
    kind: AdminKind | None = None,
) -> AdminPolicy:
    """An Admin-tier policy (AdminNetworkPolicy) or, with baseline=True, a Baseline one."""
    k: AdminKind = kind or ("BaselineAdminNetworkPolicy" if baseline else "AdminNetworkPolicy")
    return AdminPolicy(
        kind=k,
        tier="Baseline" if baseline else "Admin",
        name=name,
        priority=0 if baseline else priority,
        subject=AdminSubject(sel(namespaces), sel(pods) if pods is not None else None),
        ingress=tuple(ingress),
        egress=tuple(egress),
    )


def node(name: str, labels: Mapping[str, str] | None = None, *addresses: str) -> Node:
    return Node(name, dict(labels or {}), tuple(addresses))


def cluster(
    namespaces: Iterable[Namespace],
    pods: Iterable[Pod],
    policies: Iterable[NetworkPolicy] = (),
    services: Iterable[Service] = (),
    *,
    admin: Iterable[AdminPolicy] = (),
    nodes: Iterable[Node] = (),
    **options: object,
) -> Cluster:
    snap = Snapshot(
        namespaces={n.name: n for n in namespaces},
        pods=list(pods),
        policies=list(policies),
        services=list(services),
        admin_policies=list(admin),
        nodes=list(nodes),
    )
    return Cluster(snap, Options(**options))  # type: ignore[arg-type]


def service(
    ref: str, selector: Mapping[str, str] | None, *ports: tuple[int, int | str, Protocol]
) -> Service:
    """`service("ns/name", {"app": "db"}, (5432, "postgres", "TCP"))`."""
    namespace, name = ref.split("/")
    return Service(
        namespace,
        name,
        dict(selector) if selector is not None else None,
        tuple(
            ServicePort(p, t, proto, f"p{i}" if len(ports) > 1 else None)
            for i, (p, t, proto) in enumerate(ports)
        ),
    )
