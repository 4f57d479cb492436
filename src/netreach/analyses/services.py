"""Services: the name clients use, translated to what policies see (backing pods, pod port).

NetworkPolicy never sees a Service: kube-proxy (or its replacement) rewrites the Service
address and port to one backing pod and its targetPort before policy applies. Everything
here is that translation; the verdicts themselves come from the engine.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netreach.analyses.connectivity import Node, NodeFilter
from netreach.errors import QueryError
from netreach.model import Direction, NetworkPolicy, Pod, Service, ServicePort

if TYPE_CHECKING:
    from netreach.cluster import Cluster
    from netreach.engine.verdict import Verdict

PREFIX = "svc/"


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
    return isinstance(ref, str) and ref.strip().startswith(PREFIX)


def find_service(cluster: Cluster, ref: str) -> Service:
    """`svc/NS/NAME` (or `svc/NAME` in default) -> the Service of the snapshot."""
    text = ref.strip()[len(PREFIX) :] if is_service_ref(ref) else ref.strip()
    if "/" not in text:
        text = f"default/{text}"
    for svc in cluster.snapshot.services:
        if svc.id == text:
            return svc
    have = ", ".join(sorted(s.id for s in cluster.snapshot.services)) or "none"
    raise QueryError(f"no Service {text!r} in the snapshot (Services read: {have})")


def backing_pods(cluster: Cluster, service: Service) -> list[Pod]:
    """The pods the Service's selector matches in its namespace (none without a selector)."""
    if not service.selector:
        return []
    sel = service.selector
    return [
        p
        for p in cluster.pods
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
    cluster: Cluster, ref: str, port: int | str | None, protocol: str | None = None
) -> ServiceRoute:
    service = find_service(cluster, ref)
    sp = service_port(service, port, protocol)
    backends = tuple(Backend(p, target_on(p, sp)) for p in backing_pods(cluster, service))
    return ServiceRoute(service, sp, backends)


def check_service(
    cluster: Cluster, src: str | Pod, ref: str, port: int | str, protocol: str
) -> Verdict:
    """`Cluster.check` towards a Service: decided on each backing pod at its pod port.

    The verdict shown is the first backing pod's, or the first denied one's when they differ
    (a client is only sure to get through when every backend admits it).
    """
    r = route(cluster, ref, port, protocol)
    if not r.reachable:
        raise QueryError(r.explain())
    verdicts = []
    for b in r.reachable:
        assert b.port is not None
        verdicts.append(cluster.check(src, b.pod, b.port, r.port.protocol))
    shown = next((v for v in verdicts if not v.allowed), verdicts[0])
    note = r.explain()
    allowed = sum(v.allowed for v in verdicts)
    if 0 < allowed < len(verdicts):
        note += f"; only {allowed} of {len(verdicts)} backing pods admit it"
    return dataclasses.replace(shown, translation=note, service=r.service.id)


class PodsFilter(NodeFilter):
    """A `--to svc/NS/NAME` selection: the nodes holding one of the Service's backing pods."""

    def __init__(self, text: str, pods: Sequence[Pod]) -> None:
        super().__init__(text)
        self.selector = None
        self.pod_ids = frozenset(p.id for p in pods)

    def matches(self, node: Node, pods: Sequence[Pod]) -> bool:
        return any(p.id in self.pod_ids for p in pods)


# --- analyze: a policy opening the Service port instead of the pod port ----------------------


@dataclass(frozen=True)
class PortMismatch:
    """A rule that opens a Service's port on its pods, while the pods listen on targetPort."""

    service: Service
    port: ServicePort
    target: int
    rule_label: str
    location: str
    direction: Direction

    def message(self) -> str:
        p = self.port
        side = "to" if self.direction == "egress" else "on"
        return (
            f"{self.rule_label} allows {p.port}/{p.protocol} {side} the pods of Service "
            f"{self.service.id}, but that Service sends port {p.port} to pod port "
            f"{self.target}/{p.protocol}: policies see the pod port, so allow "
            f"{self.target} instead"
        )


def port_mismatches(cluster: Cluster) -> list[PortMismatch]:
    """Rules that allow a Service port (not the targetPort) towards that Service's pods."""
    compiled = cluster.compiled
    out: list[PortMismatch] = []
    seen: set[tuple[str, int, str, int, str]] = set()
    for svc in cluster.snapshot.services:
        pods = backing_pods(cluster, svc)
        classes = 0
        for p in pods:
            if not compiled.exempt(p):
                classes |= 1 << compiled.class_of[p.id]
        if not classes:
            continue
        for sp in svc.ports:
            for p in pods:
                target = target_on(p, sp)
                if target is None or target == sp.port:
                    continue
                for rule in compiled.rules:
                    np = isinstance(rule.policy, NetworkPolicy)
                    # a rule of any tier: its policy's pods (ingress) or its peers (egress)
                    targets = (compiled.policy_targets if np else compiled.admin_targets)[
                        rule.policy_index
                    ]
                    applies = (targets if rule.direction == "ingress" else rule.classes) & classes
                    if not applies or not rule.ports:
                        continue
                    if np and not rule.policy.isolates(rule.direction):
                        continue
                    conns = rule.conns_for(p.ports)
                    if not conns.contains(sp.protocol, sp.port) or conns.contains(
                        sp.protocol, target
                    ):
                        continue
                    key = (svc.id, sp.port, sp.protocol, rule.id, str(target))
                    if key in seen:
                        continue
                    seen.add(key)
                    loc = rule.policy.location
                    where = str(loc.at("spec", rule.direction, rule.index)) if loc else ""
                    out.append(PortMismatch(svc, sp, target, rule.label, where, rule.direction))
    return out
