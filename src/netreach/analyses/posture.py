"""Who is isolated or guarded, and what reaches the guarded workloads: the summary `analyze`
prints, the audit's posture table and the report's.

A pod is *guarded* in a direction when it has a default deny there, from any tier
(analyses/guards.py): NetworkPolicy isolation, or an Admin- or Baseline-tier Deny that reaches
every pod (a BaselineAdminNetworkPolicy deny-all)."""

from __future__ import annotations

from dataclasses import dataclass, field

from netreach.analyses.guards import guards, tier_label
from netreach.analyses.words import addresses_words
from netreach.engine.conns import EMPTY, ConnectionSet
from netreach.engine.verdict import contributions
from netreach.model import DIRECTIONS, Direction, LabelSelector, NetworkPolicy, Pod, WorkloadRef
from netreach.query.reach import Reach

DNS_SELECTOR = LabelSelector((("k8s-app", "kube-dns"),))
DNS_NAMESPACE = "kube-system"
DNS_CONNS = ConnectionSet.ports("UDP", 53) | ConnectionSet.ports("TCP", 53)


_CNI_KINDS = ("CalicoNetworkPolicy/", "GlobalNetworkPolicy/", "Cilium")


@dataclass
class NamespacePosture:
    namespace: str
    pods: int = 0
    ingress_isolated: int = 0  # by NetworkPolicy
    egress_isolated: int = 0
    policies: int = 0  # written in the namespace: NetworkPolicies, Calico's and Cilium's
    host_network: int = 0
    ingress_guarded: int = 0  # a default deny from any tier (isolation included)
    egress_guarded: int = 0
    tier_policies: list[str] = field(default_factory=list)  # admin-tier policies applying here
    # per direction: the admin-tier policies whose Deny guards pods NetworkPolicy does not isolate
    tier_guards: dict[Direction, list[str]] = field(
        default_factory=lambda: {"ingress": [], "egress": []}
    )

    def guards_text(self, direction: Direction) -> str:
        """What guards the direction, in a few words: `NetworkPolicy 2/3, Baseline tier
        (BaselineAdminNetworkPolicy/default) 1/3`."""
        isolated = self.ingress_isolated if direction == "ingress" else self.egress_isolated
        guarded = self.ingress_guarded if direction == "ingress" else self.egress_guarded
        parts = []
        if isolated:
            parts.append(f"NetworkPolicy {isolated}/{self.pods}")
        if guarded > isolated:
            ids = self.tier_guards[direction]
            cni = any(i.startswith(_CNI_KINDS) for i in ids)
            admin = not ids or any(not i.startswith(_CNI_KINDS) for i in ids)
            who = " and ".join(
                w for w, on in (("admin tiers", admin), ("Calico / Cilium", cni)) if on
            )
            parts.append(f"{who} ({', '.join(ids)}) {guarded - isolated}/{self.pods}")
        return ", ".join(parts) or "nothing"

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
    guarded_by: tuple[str, ...] = ()  # not isolated: the tier Deny rules that guard it
    open_addresses: str = ""  # tier-guarded: address ranges the default still allows, in words


def posture(cluster: Reach) -> list[NamespacePosture]:
    out: dict[str, NamespacePosture] = {n: NamespacePosture(n) for n in sorted(cluster.namespaces)}
    compiled = cluster.compiled
    cilium = {(p.kind, p.namespace, p.name): p.namespace for p in compiled.cilium_policies}
    for ns in [
        *(p.namespace for p in cluster.policies),
        *(p.namespace for p in compiled.calico_policies),
        *cilium.values(),  # one per object, whatever its rule sets (`specs`)
    ]:
        if ns is not None:
            out.setdefault(ns, NamespacePosture(ns)).policies += 1
    g = guards(cluster)
    for pod in cluster.pods:
        p = out.setdefault(pod.namespace, NamespacePosture(pod.namespace))
        p.pods += 1
        p.host_network += pod.host_network
        p.ingress_isolated += bool(cluster.isolated(pod, "ingress"))
        p.egress_isolated += bool(cluster.isolated(pod, "egress"))
        ci = compiled.class_of[pod.id]
        for d in DIRECTIONS:
            guard = g.of(ci, d)
            if d == "ingress":
                p.ingress_guarded += guard.default_deny
            else:
                p.egress_guarded += guard.default_deny
            have = p.tier_guards[d]
            have += [q.id for q in guard.guard_policies if q.id not in have]
        for ai, apol in enumerate(compiled.admin_policies):
            if compiled.admin_targets[ai] >> ci & 1 and apol.id not in p.tier_policies:
                p.tier_policies.append(apol.id)
    return list(out.values())


def dns_pods(
    cluster: Reach, selector: LabelSelector = DNS_SELECTOR, namespace: str = DNS_NAMESPACE
) -> list[Pod]:
    return [p for p in cluster.pods if p.namespace == namespace and selector.matches(p.labels)]


def isolated_reach(cluster: Reach, direction: Direction) -> list[WorkloadReach]:
    """For each workload guarded in `direction` (isolated by NetworkPolicy, or with a default
    deny from an admin tier): every workload it may reach (egress) or be reached from
    (ingress), with connections and the allowing rules of every tier."""
    cmap = cluster.connectivity("workload", include_self=False)
    pairs: dict[str, dict[str, ConnectionSet]] = {}
    for c in cmap:
        mine, other = (c.src, c.dst) if direction == "egress" else (c.dst, c.src)
        pairs.setdefault(mine, {})[other] = c.conns
    reps = {w.id: pods[0] for w, pods in cluster.workloads.items()}
    dns = dns_pods(cluster)
    compiled = cluster.compiled
    g = guards(cluster)
    out: list[WorkloadReach] = []
    for wl in sorted(cluster.workloads, key=lambda w: w.id):
        pod = reps[wl.id]
        isolating = cluster.isolated(pod, direction)
        guard = None if pod.host_network else g.of(compiled.class_of[pod.id], direction)
        if not isolating and (guard is None or not guard.tier_guard):
            continue
        access: list[Access] = []
        for other_id, conns in sorted(pairs.get(wl.id, {}).items()):
            rules = [
                f"{rule.policy.name} {rule.direction}[{rule.index}]"
                if rule.tier == "NetworkPolicy"
                else tier_label(rule)
                for rule, part in contributions(compiled, direction, pod, reps[other_id])
                if rule.action == "Allow" and not (part & conns).is_empty
            ]
            access.append(Access(other_id, conns, rules))
        reached = {a.peer for a in access} | {wl.id}
        blocked = sorted(w.id for w in cluster.workloads if w.id not in reached)
        dns_conns = None
        if direction == "egress":
            dns_conns = EMPTY
            for d in dns:
                dns_conns = dns_conns | (pairs.get(wl.id, {}).get(d.workload.id, EMPTY) & DNS_CONNS)
        guarded: tuple[str, ...] = ()
        addresses = ""
        if not isolating and guard is not None:
            guarded = guard.guard_labels
            if guard.open_addresses:
                addresses = addresses_words(guard.open_addresses)
        out.append(
            WorkloadReach(wl, direction, isolating, access, blocked, dns_conns, guarded, addresses)
        )
    return out
