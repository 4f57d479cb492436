"""Who is isolated, and what reaches the isolated workloads: the summary `analyze` prints."""

from __future__ import annotations

from dataclasses import dataclass, field

from netreach.cluster import Cluster
from netreach.engine.conns import EMPTY, ConnectionSet
from netreach.engine.verdict import contributions
from netreach.model import Direction, LabelSelector, NetworkPolicy, Pod, WorkloadRef

DNS_SELECTOR = LabelSelector((("k8s-app", "kube-dns"),))
DNS_NAMESPACE = "kube-system"
DNS_CONNS = ConnectionSet.ports("UDP", 53) | ConnectionSet.ports("TCP", 53)


@dataclass
class NamespacePosture:
    namespace: str
    pods: int = 0
    ingress_isolated: int = 0
    egress_isolated: int = 0
    policies: int = 0
    host_network: int = 0

    @staticmethod
    def share(part: int, whole: int) -> str:
        return f"{part}/{whole}" + (f" ({100 * part // whole}%)" if whole else "")


@dataclass
class Access:
    """One peer a workload may talk to (or hear from), and the rules that say so."""

    peer: str
    conns: ConnectionSet
    rules: list[str] = field(default_factory=list)


@dataclass
class WorkloadReach:
    workload: WorkloadRef
    direction: Direction
    isolated_by: tuple[NetworkPolicy, ...]
    access: list[Access]
    blocked: list[str]
    dns: ConnectionSet | None = None  # egress only: what reaches the cluster DNS


def posture(cluster: Cluster) -> list[NamespacePosture]:
    out: dict[str, NamespacePosture] = {n: NamespacePosture(n) for n in sorted(cluster.namespaces)}
    for pol in cluster.policies:
        out.setdefault(pol.namespace, NamespacePosture(pol.namespace)).policies += 1
    for pod in cluster.pods:
        p = out.setdefault(pod.namespace, NamespacePosture(pod.namespace))
        p.pods += 1
        p.host_network += pod.host_network
        p.ingress_isolated += bool(cluster.isolated(pod, "ingress"))
        p.egress_isolated += bool(cluster.isolated(pod, "egress"))
    return list(out.values())


def dns_pods(
    cluster: Cluster, selector: LabelSelector = DNS_SELECTOR, namespace: str = DNS_NAMESPACE
) -> list[Pod]:
    return [p for p in cluster.pods if p.namespace == namespace and selector.matches(p.labels)]


def isolated_reach(cluster: Cluster, direction: Direction) -> list[WorkloadReach]:
    """For each workload isolated in `direction`: every workload it may reach (egress) or be
    reached from (ingress), with connections and the rules responsible."""
    cmap = cluster.connectivity("workload", include_self=False)
    pairs: dict[str, dict[str, ConnectionSet]] = {}
    for c in cmap:
        mine, other = (c.src, c.dst) if direction == "egress" else (c.dst, c.src)
        pairs.setdefault(mine, {})[other] = c.conns
    reps = {w.id: pods[0] for w, pods in cluster.workloads.items()}
    dns = dns_pods(cluster)
    out: list[WorkloadReach] = []
    for wl in sorted(cluster.workloads, key=lambda w: w.id):
        pod = reps[wl.id]
        isolating = cluster.isolated(pod, direction)
        if not isolating:
            continue
        access: list[Access] = []
        for other_id, conns in sorted(pairs.get(wl.id, {}).items()):
            rules = [
                f"{rule.policy.name} {rule.direction}[{rule.index}]"
                for rule, _ in contributions(cluster.compiled, direction, pod, reps[other_id])
                if rule.tier == "NetworkPolicy"
            ]
            access.append(Access(other_id, conns, rules))
        reached = {a.peer for a in access} | {wl.id}
        blocked = sorted(w.id for w in cluster.workloads if w.id not in reached)
        dns_conns = None
        if direction == "egress":
            dns_conns = EMPTY
            for d in dns:
                dns_conns = dns_conns | (pairs.get(wl.id, {}).get(d.workload.id, EMPTY) & DNS_CONNS)
        out.append(WorkloadReach(wl, direction, isolating, access, blocked, dns_conns))
    return out
