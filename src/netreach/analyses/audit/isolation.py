"""Who no policy isolates: namespaces without a default deny, pods left open, host-network
pods no policy can select, and policies whose direction was left to defaulting."""

from __future__ import annotations

from collections.abc import Iterator

from netreach.analyses.audit import snippets
from netreach.analyses.audit.context import AuditContext
from netreach.analyses.audit.findings import Finding, ObjectRef
from netreach.analyses.audit.registry import CheckInfo, register
from netreach.analyses.inferred import outside_input
from netreach.model import Direction, LabelSelector, Pod

DIRECTIONS: tuple[Direction, Direction] = ("ingress", "egress")

NO_DENY = {
    d: CheckInfo(
        f"no-default-deny-{d}",
        "warning",
        "isolation",
        f"A namespace has pods that no policy isolates for {d}",
        f"Without a default-deny {d} policy, every pod not selected by some policy accepts "
        f"{'connections from anywhere' if d == 'ingress' else 'and opens connections to anywhere'}"
        ", and every new workload starts open.",
        f"Add a policy with `podSelector: {{}}` and `policyTypes: [{d.capitalize()}]` to the "
        "namespace, then allow what each workload needs.",
    )
    for d in DIRECTIONS
}
POD_NOT_ISOLATED = CheckInfo(
    "pod-not-isolated",
    "warning",
    "isolation",
    "A workload no policy selects, per direction",
    "A pod no policy selects for a direction is open in that direction, whatever other policies "
    "in the namespace say.",
    "Add a default deny to the namespace, or a policy selecting the workload's labels with that "
    "direction in policyTypes.",
)
HOST_NETWORK = CheckInfo(
    "host-network-pod",
    "warning",
    "isolation",
    "A pod on the host network, which NetworkPolicy cannot protect",
    "hostNetwork pods use the node's address: policies never select them and pod/namespace "
    "selectors never match them, so neither their ingress nor their egress can be restricted.",
    "Drop hostNetwork unless the pod needs it (CNI agents, node exporters); protect such pods "
    "on the node (host firewall) instead.",
)
MISSING_TYPES = CheckInfo(
    "missing-policy-types",
    "warning",
    "isolation",
    "policyTypes left to defaulting",
    "Without policyTypes the API server sets Ingress, and Egress only if egress rules are "
    "present: a policy meant to restrict egress with no rules yet restricts nothing.",
    "State `policyTypes` explicitly.",
)


@register(NO_DENY["ingress"], NO_DENY["egress"])
def default_deny(ctx: AuditContext) -> Iterator[Finding]:
    by_ns: dict[str, list[Pod]] = {}
    for p in ctx.cluster.pods:
        if not p.host_network:
            by_ns.setdefault(p.namespace, []).append(p)
    for namespace, pods in sorted(by_ns.items()):
        if not _examined(ctx, namespace):
            continue
        for d in DIRECTIONS:
            open_pods = [p for p in pods if not ctx.cluster.isolated(p, d)]
            if not open_pods:
                continue
            workloads = sorted({p.workload.id for p in open_pods})
            fix = (
                f"Deny {d} by default in {namespace}, then allow what each workload needs:\n"
                + snippets.network_policy(
                    namespace,
                    f"default-deny-{d}",
                    LabelSelector(),
                    {"policyTypes": [d.capitalize()]},
                )
            )
            yield ctx.finding(
                NO_DENY[d].id,
                f"namespace {namespace}: {len(open_pods)} of {len(pods)} pods are not isolated "
                f"for {d} ({', '.join(workloads[:5])}{' ...' if len(workloads) > 5 else ''}); "
                f"no default-deny {d} policy covers them.",
                [ObjectRef.namespace_of(namespace, ctx.cluster.namespaces.get(namespace))],
                fix,
                direction=d,
                open_workloads=workloads,
            )


@register(POD_NOT_ISOLATED)
def pods_not_isolated(ctx: AuditContext) -> Iterator[Finding]:
    for pod in ctx.workload_pods:
        if pod.host_network or not _examined(ctx, pod.namespace):
            continue
        for d in DIRECTIONS:
            if ctx.cluster.isolated(pod, d):
                continue
            what = "accepts connections from anywhere" if d == "ingress" else "may connect anywhere"
            yield ctx.finding(
                POD_NOT_ISOLATED.id,
                f"{pod.workload.id} is not isolated for {d}: no policy selects it with "
                f"policyTypes {d.capitalize()}, so it {what}.",
                [ObjectRef.pod(pod)],
                f"Add a default-deny {d} policy to namespace {pod.namespace} (see "
                f"no-default-deny-{d}), or a policy selecting "
                f"{_labels(pod)} with policyTypes [{d.capitalize()}].",
                direction=d,
                pods=len(ctx.cluster.workloads[pod.workload]),
            )


@register(HOST_NETWORK)
def host_network(ctx: AuditContext) -> Iterator[Finding]:
    for pod in ctx.workload_pods:
        if pod.host_network and ctx.in_scope(pod.namespace):
            yield ctx.finding(
                HOST_NETWORK.id,
                f"{pod.workload.id} runs on the host network: no NetworkPolicy can select or "
                "restrict it, and selectors in other policies do not match it.",
                [ObjectRef.pod(pod)],
                HOST_NETWORK.fix,
            )


@register(MISSING_TYPES)
def missing_policy_types(ctx: AuditContext) -> Iterator[Finding]:
    for _, pol in ctx.policies():
        if pol.explicit_policy_types:
            continue
        chosen = snippets.policy_types(pol.policy_types)
        missing = [d for d in DIRECTIONS if d not in pol.policy_types]
        effect = f"; it does not restrict {' or '.join(missing)}" if missing else ""
        yield ctx.finding(
            MISSING_TYPES.id,
            f"{pol.id} has no policyTypes; the API server defaulted it to "
            f"[{', '.join(chosen)}]{effect}. State the intent explicitly.",
            [ObjectRef.policy(pol, "spec")],
            f"Add to the spec of {pol.id} the directions it is meant to isolate, e.g.:\n"
            + snippets.to_yaml({"policyTypes": chosen}),
            defaulted_to=chosen,
        )


def _examined(ctx: AuditContext, namespace: str) -> bool:
    return ctx.in_scope(namespace) and not outside_input(ctx.cluster, namespace)


def _labels(pod: Pod) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(pod.labels.items())) or "its pods"
