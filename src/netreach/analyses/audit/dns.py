"""Reach DNS from egress-isolated pods: the exception every egress deny needs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from netreach.analyses.audit import snippets
from netreach.analyses.audit.context import AuditContext
from netreach.analyses.audit.findings import Finding, ObjectRef
from netreach.analyses.audit.registry import CheckInfo, register
from netreach.analyses.guards import Guard, guards
from netreach.engine.verdict import Verdict
from netreach.model import (
    CalicoPolicy,
    CiliumPolicy,
    ContainerPort,
    LabelSelector,
    Namespace,
    Pod,
    Protocol,
    WorkloadRef,
)
from netreach.query.reach import Reach

DNS_BLOCKED = CheckInfo(
    "dns-blocked",
    "error",
    "dns",
    "An egress-isolated (or egress-restricted) pod cannot reach cluster DNS",
    "Service names resolve through the cluster DNS pods: an egress-isolated pod without an "
    "egress rule to them on UDP 53 fails every lookup. Without TCP 53, answers too large for "
    "UDP (many records, DNSSEC) fail (reported as a warning).",
    "Add an egress rule to the DNS pods (namespaceSelector AND podSelector, one peer) on UDP "
    "and TCP 53.",
)


def dns_endpoints(
    cluster: Reach, namespace: str, selector: LabelSelector
) -> tuple[Reach, list[Pod], bool]:
    """The DNS pods of the snapshot; when it has none, a cluster with one assumed DNS pod
    added (so a manifest folder without kube-system is still checked). The flag says so."""
    found = [p for p in cluster.pods if p.namespace == namespace and selector.matches(p.labels)]
    if found:
        return cluster, found, False
    labels = dict(selector.match_labels)
    for r in selector.match_expressions:
        if r.operator == "In":
            labels[r.key] = r.values[0]
        elif r.operator == "Exists":
            labels[r.key] = "true"
    if not selector.matches(labels):
        return cluster, [], False
    assumed = Pod(
        namespace,
        "cluster-dns (assumed)",
        labels,
        WorkloadRef(namespace, "cluster-dns", "Assumed"),
        ports=(ContainerPort(53, "UDP", "dns"), ContainerPort(53, "TCP", "dns-tcp")),
    )
    snap = cluster.snapshot
    namespaces = dict(snap.namespaces)
    if namespace not in namespaces:
        namespaces[namespace] = Namespace(
            namespace, {"kubernetes.io/metadata.name": namespace}, implied=True
        )
    augmented = replace(snap, namespaces=namespaces, pods=[*snap.pods, assumed])
    return type(cluster)(augmented, cluster.options), [assumed], True


def _reaches(cluster: Reach, pod: Pod, dns: list[Pod], protocol: Protocol) -> bool:
    """Whether some DNS pod takes `protocol` 53 from `pod`: read from the class matrix, the
    same for every pod of the class."""
    class_of = cluster.compiled.class_of
    src = class_of[pod.id]
    return any(cluster.matrix.conns(src, class_of[d.id]).contains(protocol, 53) for d in dns)


def _blocker(v: Verdict) -> str:
    side = v.egress if not v.egress.allowed else v.ingress
    unsure = ""
    if v.caveats:
        # a part netreach does not model could open it: say so rather than assert it
        more = f" (and {len(v.caveats) - 1} more)" if len(v.caveats) > 1 else ""
        unsure = f"; the answer may be incomplete: {v.caveats[0]}{more}"
    return f"{side.direction} side: {side.reason}{unsure}"


def _restricted(guard: Guard) -> str:
    """How the pod's egress is restricted, in words."""
    if guard.isolated:
        return "is isolated for egress"
    if guard.default_deny and guard.guard_labels:
        return f"has a default deny for egress ({', '.join(guard.guard_labels)})"
    by = list(dict.fromkeys(r.policy.id for r in (*guard.admin, *guard.cni, *guard.baseline)))
    return f"has its egress restricted ({', '.join(by[:3])})"


def _first_cni(guard: Guard) -> CalicoPolicy | CiliumPolicy | None:
    """The first Calico policy that restricts the pod, else the first Cilium one."""
    cni = [r.policy for r in guard.cni] + [p for c in guard.closers for p in c.policies]
    found = next((p for p in cni if isinstance(p, CalicoPolicy)), None)
    return found or next((p for p in cni if isinstance(p, CiliumPolicy)), None)


def _objects(pod: Pod, guard: Guard) -> list[ObjectRef]:
    first = None if guard.isolated else _first_cni(guard)
    return [ObjectRef.pod(pod)] + ([ObjectRef.any_policy(first)] if first is not None else [])


def _fix(pod: Pod, guard: Guard, namespace: str, selector: LabelSelector) -> str:
    """The rule to add, in the terms of the policies that restrict the pod: a NetworkPolicy
    egress rule, or Calico rules for the earliest Calico policy that selects it, or a Cilium
    egress rule."""
    who = pod.workload.id
    first = None if guard.isolated else _first_cni(guard)
    if isinstance(first, CalicoPolicy):
        return (
            f"Allow DNS from {who}: add these rules to {first.id} (tier {first.tier}, the "
            "first Calico policy that selects it), before its Deny and Pass rules:\n"
            + snippets.to_yaml({"egress": snippets.calico_dns_egress_rules(namespace, selector)})
        )
    if isinstance(first, CiliumPolicy):
        return (
            f"Allow DNS from {who}: add this egress rule to {first.id} (or to another Cilium "
            "policy selecting it); no egressDeny rule may cover it:\n"
            + snippets.to_yaml({"egress": [snippets.cilium_dns_egress_rule(namespace, selector)]})
        )
    return (
        f"Allow DNS from {who}: add this egress rule to a policy selecting it "
        "(or to the namespace's default deny, for every pod):\n"
        + snippets.to_yaml({"egress": [snippets.dns_egress_rule(namespace, selector)]})
    )


@register(DNS_BLOCKED)
def dns_blocked(ctx: AuditContext) -> Iterator[Finding]:
    cfg = ctx.config
    cluster, dns, assumed = dns_endpoints(ctx.cluster, cfg.dns_namespace, cfg.dns_selector)
    if not dns:
        return
    dns_ids = {d.id for d in dns}
    where = f"{cfg.dns_namespace} {cfg.dns_selector}" + (
        " (none in the snapshot: assumed)" if assumed else ""
    )
    reach: dict[int, tuple[bool, bool]] = {}  # per pod class: (UDP 53, TCP 53)
    every = guards(ctx.cluster)
    for pod in ctx.workload_pods:
        if pod.host_network or pod.id in dns_ids or not ctx.in_scope(pod.namespace):
            continue
        # NetworkPolicy isolation, or some tier / Calico / Cilium policy that denies egress
        guard = every.of(ctx.cluster.compiled.class_of[pod.id], "egress")
        if not guard.restricted:
            continue
        key = cluster.compiled.class_of[pod.id]
        got = reach.get(key)
        if got is None:
            got = reach[key] = (
                _reaches(cluster, pod, dns, "UDP"),
                _reaches(cluster, pod, dns, "TCP"),
            )
        udp, tcp = got
        if udp and tcp:
            continue
        fix = _fix(pod, guard, cfg.dns_namespace, cfg.dns_selector)
        if not udp:
            verdict = cluster.check(pod, dns[0], 53, "UDP")
            yield ctx.finding(
                DNS_BLOCKED.id,
                f"{pod.workload.id} {_restricted(guard)} and cannot reach cluster DNS "
                f"({where}) on UDP 53: every name lookup fails ({_blocker(verdict)}).",
                _objects(pod, guard),
                fix,
                severity="warning" if verdict.caveats else None,
                udp=False,
                tcp=tcp,
                assumed_dns=assumed,
            )
        else:
            yield ctx.finding(
                DNS_BLOCKED.id,
                f"{pod.workload.id} reaches cluster DNS ({where}) on UDP 53 but not TCP 53: "
                f"large answers will fail ({_blocker(cluster.check(pod, dns[0], 53, 'TCP'))}).",
                _objects(pod, guard),
                fix,
                severity="warning",
                udp=True,
                tcp=False,
                assumed_dns=assumed,
            )
