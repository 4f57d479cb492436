"""Small constructors for engine tests: snapshots written as Python, no YAML needed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from netreach.cluster import Cluster
from netreach.model import (
    ContainerPort,
    Direction,
    IPBlock,
    LabelSelector,
    Namespace,
    NetworkPolicy,
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


def cluster(
    namespaces: Iterable[Namespace],
    pods: Iterable[Pod],
    policies: Iterable[NetworkPolicy] = (),
    services: Iterable[Service] = (),
    **options: object,
) -> Cluster:
    snap = Snapshot(
        namespaces={n.name: n for n in namespaces},
        pods=list(pods),
        policies=list(policies),
        services=list(services),
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
