"""Services: the name clients use, translated to what policies see (backing pods, pod port).

NetworkPolicy never sees a Service: kube-proxy (or its replacement) rewrites the Service
address and port to one backing pod and its targetPort before policy applies. Everything
here is that translation; the verdicts themselves come from the engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from netreach.errors import QueryError
from netreach.model import Pod, Service, ServicePort, Snapshot
from netreach.query.connectivity import MapNode, NodeFilter


class Snapshotted(Protocol):
    """What the Service translation needs: the snapshot (a `Reach` or `Cluster` is one)."""

    @property
    def snapshot(self) -> Snapshot: ...


PREFIXES = ("svc", "service")


@dataclass(frozen=True)
class Backend:
    """One pod behind a Service port: the pod port the traffic arrives on."""

    pod: Pod
    port: int | None  # None: the named targetPort is not a container port of this pod


@dataclass(frozen=True)
class ServiceRoute:
    """`svc/NS/NAME:port` translated: the backing pods and the pod port policies see."""

    service: Service
    port: ServicePort
    backends: tuple[Backend, ...]

    @property
    def reachable(self) -> tuple[Backend, ...]:
        """Backends the Service actually sends to (a missing named port gets no endpoint)."""
        return tuple(b for b in self.backends if b.port is not None)

    @property
    def target_ports(self) -> tuple[int, ...]:
        return tuple(sorted({b.port for b in self.reachable if b.port is not None}))

    def explain(self) -> str:
        """E.g. `Service default/db:5432 -> pods db-* port 5432/TCP; policies see the pod port`."""
        sp = self.port
        head = f"Service {self.service.id}:{sp.port}"
        if not self.reachable:
            why = (
                f"no backing pod has a container port named {sp.target_port!r}"
                if self.backends
                else "its selector matches no pod"
            )
            return f"{head} -> no pod ({why})"
        pods = _pod_names(b.pod for b in self.reachable)
        ports = ",".join(str(p) for p in self.target_ports)
        named = f" (targetPort {sp.target_port})" if isinstance(sp.target_port, str) else ""
        return f"{head} -> pods {pods} port {ports}/{sp.protocol}{named}; policies see the pod port"


def _pod_names(pods: Iterable[Pod]) -> str:
    """The pods of one workload as `name-*`; otherwise their names, comma-separated."""
    listed = list(pods)
    workloads = {p.workload for p in listed}
    if len(workloads) == 1 and (len(listed) > 1 or listed[0].from_template):
        return f"{next(iter(workloads)).name}-*"
    return ", ".join(sorted(p.name for p in listed))


def is_service_ref(ref: object) -> bool:
    """Written as a Service (`svc/...` or `service/...`)? Whether it names one is
    `service_id`'s answer, which also sees the snapshot."""
    return isinstance(ref, str) and ref.strip().partition("/")[0] in PREFIXES


def service_id(cluster: Snapshotted, ref: object) -> str | None:
    """The Service an endpoint names (`ns/name`), or None when it names something else.

    `svc/NS/NAME` and `service/NS/NAME` always name a Service (a pod or workload is `NS/NAME`:
    three parts cannot be one). `svc/NAME` names the Service NAME in `default`, unless the
    snapshot has a pod or workload NAME in a namespace called `svc` (then it is that pod,
    and the Service is `svc/default/NAME`); when both exist the reference is refused.
    """
    if not is_service_ref(ref):
        return None
    assert isinstance(ref, str)
    prefix, _, rest = ref.strip().partition("/")
    if rest.count("/") == 1:
        return rest
    if "/" in rest or not rest:
        raise QueryError(f"{ref!r}: a Service is {prefix}/NAMESPACE/NAME")
    pod = any(
        p.namespace == prefix and rest in (p.name, p.workload.name) for p in cluster.snapshot.pods
    )
    if not pod:
        return f"default/{rest}"
    if any(s.id == f"default/{rest}" for s in cluster.snapshot.services):
        raise QueryError(
            f"{ref!r} names both the pod or workload {prefix}/{rest} and the Service "
            f"default/{rest}: write {prefix}/default/{rest} for the Service, or "
            f"{prefix}/{rest}[Kind] for the workload"
        )
    return None


def find_service(cluster: Snapshotted, ref: str) -> Service:
    """`svc/NS/NAME` (or `svc/NAME` in default; see `service_id`) -> the Service."""
    text = service_id(cluster, ref) if is_service_ref(ref) else ref.strip()
    if text is None:
        raise QueryError(f"{ref!r} names a pod or workload, not a Service")
    if "/" not in text:
        text = f"default/{text}"
    for svc in cluster.snapshot.services:
        if svc.id == text:
            return svc
    have = ", ".join(sorted(s.id for s in cluster.snapshot.services)) or "none"
    raise QueryError(f"no Service {text!r} in the snapshot (Services read: {have})")


def backing_pods(cluster: Snapshotted, service: Service) -> list[Pod]:
    """The pods the Service's selector matches in its namespace (none without a selector)."""
    if not service.selector:
        return []
    sel = service.selector
    return [
        p
        for p in cluster.snapshot.pods
        if p.namespace == service.namespace and all(p.labels.get(k) == v for k, v in sel.items())
    ]


def service_port(service: Service, port: int | str | None, protocol: str | None) -> ServicePort:
    """The Service port by number or name (and protocol when given)."""
    candidates = [
        sp
        for sp in service.ports
        if (port is None or sp.port == port or sp.name == port or str(sp.port) == str(port))
        and (protocol is None or sp.protocol == protocol.upper())
    ]
    if len(candidates) == 1:
        return candidates[0]
    have = ", ".join(
        f"{sp.port}/{sp.protocol}" + (f" ({sp.name})" if sp.name else "") for sp in service.ports
    )
    if not candidates:
        wanted = "any port" if port is None else f"port {port}"
        raise QueryError(f"Service {service.id} has no {wanted} (it has {have or 'no ports'})")
    raise QueryError(f"Service {service.id} has several ports ({have}); give one with --port")


def target_on(pod: Pod, sp: ServicePort) -> int | None:
    """The pod port a Service port sends to on this pod."""
    if isinstance(sp.target_port, int):
        return sp.target_port
    for cp in pod.ports:
        if cp.name == sp.target_port and cp.protocol == sp.protocol:
            return cp.port
    return None


def route(
    cluster: Snapshotted, ref: str, port: int | str | None, protocol: str | None = None
) -> ServiceRoute:
    service = find_service(cluster, ref)
    sp = service_port(service, port, protocol)
    backends = tuple(Backend(p, target_on(p, sp)) for p in backing_pods(cluster, service))
    return ServiceRoute(service, sp, backends)


def route_asked(cluster: Snapshotted, ref: str, port: str | None) -> ServiceRoute:
    """`route` for a port written by a user: `80`, `80/UDP`, a Service port name (a DNS-1123
    label); the protocol picks among the Service's ports only when it is written."""
    from netreach.loader.names import is_dns1123_label
    from netreach.query.ports import PortSyntaxError, parse_port

    try:
        asked = parse_port(port, ranges=False, name_rule=is_dns1123_label) if port else None
    except PortSyntaxError as exc:
        raise QueryError(str(exc)) from exc
    if asked is None:
        return route(cluster, ref, None)
    return route(cluster, ref, asked.number, asked.protocol if "/" in str(port) else None)


class PodsFilter(NodeFilter):
    """A `--to svc/NS/NAME` selection: the nodes holding one of the Service's backing pods."""

    def __init__(self, text: str, pods: Sequence[Pod]) -> None:
        super().__init__(text)
        self.selector = None
        self.pod_ids = frozenset(p.id for p in pods)

    def matches(self, node: MapNode, pods: Sequence[Pod]) -> bool:
        return any(p.id in self.pod_ids for p in pods)
