"""Who nothing guards: namespaces without a default deny, pods left open, host-network pods
no policy can select, and policies whose direction was left to defaulting.

Every tier counts (analyses/guards.py): a pod NetworkPolicy does not isolate still has a
default deny when an Admin- or Baseline-tier Deny reaches every pod (a BaselineAdminNetworkPolicy
deny-all); that guard is reported as information, with what it leaves open. A pod some tier
restricts only in part is still reported, with the tier rules that restrict it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from netreach.analyses.audit import snippets
from netreach.analyses.audit.context import AuditContext
from netreach.analyses.audit.findings import Finding, ObjectRef
from netreach.analyses.audit.registry import CheckInfo, register
from netreach.analyses.guards import Guard, guards, merged_closers, tier_label
from netreach.analyses.inferred import outside_input
from netreach.analyses.words import addresses_words
from netreach.model import DIRECTIONS, Direction, LabelSelector, NetworkPolicy, Pod

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
    "policyTypes left to defaulting where the default changes what the rules say",
    "Without policyTypes the API server sets Ingress, and Egress only if egress rules are "
    "present. That is what an ingress-only policy means, but a policy with egress rules and "
    "no ingress rules also isolates ingress (every connection to its pods is then denied), "
    "and an `egress: []` meant as an egress deny-all restricts nothing.",
    "State `policyTypes` explicitly.",
)


TIER_DENY = CheckInfo(
    "default-deny-from-tier",
    "info",
    "isolation",
    "A namespace's pods guarded by an admin-tier, Calico or Cilium deny, not a NetworkPolicy",
    "No NetworkPolicy isolates these pods, but an AdminNetworkPolicy, "
    "BaselineAdminNetworkPolicy or ClusterNetworkPolicy Deny reaches every pod (including "
    "pods of namespaces created later), or a Calico tier's end-of-tier deny or Cilium's "
    "default deny closes them, so what no rule allows is denied. An admin-tier guard belongs "
    "to the cluster's administrators, not the namespace: a Baseline guard stops applying to "
    "a pod the moment a NetworkPolicy isolates it (that policy then decides), and ingress "
    "rules of these tiers cannot name addresses outside the cluster, which stay allowed. A "
    "Calico or Cilium guard holds only while its policy's selector selects the pods.",
    "Nothing, if the cluster-wide guard is intended. For a guard the namespace owns (and "
    "one covering addresses outside the cluster), add a NetworkPolicy default deny.",
)


def _guard(ctx: AuditContext, pod: Pod, d: Direction) -> Guard:
    return guards(ctx.cluster).of(ctx.cluster.compiled.class_of[pod.id], d)


def _tier_denies(found: list[Guard]) -> list[str]:
    """The tier, Calico and Cilium Deny rules that apply to these pods, in order, once each."""
    out: list[str] = []
    for g in found:
        for rule in (*g.admin, *g.cni, *g.baseline):
            if rule.action == "Deny" and tier_label(rule) not in out:
                out.append(tier_label(rule))
    return out


def _listed(names: list[str], most: int = 5) -> str:
    return ", ".join(names[:most]) + (" ..." if len(names) > most else "")


@register(NO_DENY["ingress"], NO_DENY["egress"], TIER_DENY)
def default_deny(ctx: AuditContext) -> Iterator[Finding]:
    by_ns: dict[str, list[Pod]] = {}
    for p in ctx.cluster.pods:
        if not p.host_network:
            by_ns.setdefault(p.namespace, []).append(p)
    for namespace, pods in sorted(by_ns.items()):
        if not _deny_checked(ctx, namespace):
            continue
        ref = ObjectRef.namespace_of(namespace, ctx.cluster.namespaces.get(namespace))
        for d in DIRECTIONS:
            side = {p.id: _guard(ctx, p, d) for p in pods}
            open_pods = [p for p in pods if not side[p.id].default_deny]
            by_tier = [p for p in pods if side[p.id].tier_guard]
            if by_tier:
                yield _tier_guard(ctx, namespace, d, len(pods), [side[p.id] for p in by_tier], ref)
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
            denies = _tier_denies([side[p.id] for p in open_pods])
            share = f"namespace {namespace}: {len(open_pods)} of {len(pods)} pods"
            extra: dict[str, Any] = {"tier_denies": denies} if denies else {}
            if denies:
                text = (
                    f"{share} ({_listed(workloads)}) have no default deny for {d}: no "
                    f"NetworkPolicy isolates them and the admin tiers deny only part of it "
                    f"({_listed(denies, 3)}); the rest is allowed by default."
                )
            else:
                text = (
                    f"{share} are not isolated for {d} ({_listed(workloads)}); no "
                    f"default-deny {d} policy covers them."
                )
            yield ctx.finding(
                NO_DENY[d].id,
                text,
                [ref],
                fix,
                direction=d,
                open_workloads=workloads,
                **extra,
            )


def _tier_guard(
    ctx: AuditContext, namespace: str, d: Direction, total: int, found: list[Guard], ref: ObjectRef
) -> Finding:
    rules: list[str] = []
    for g in found:
        rules += [tier_label(r) for r in g.guard_rules if tier_label(r) not in rules]
    closers = merged_closers(found)
    rules += [c.label for c in closers]
    ranges = sorted({r for g in found for r in g.open_addresses})
    word = "from" if d == "ingress" else "to"
    tiers = {r.tier for g in found for r in g.guard_rules}
    tiers |= {"Cilium" if c.stage == "Cilium" else "Calico" for c in closers}
    source = " and ".join(
        words
        for words, on in (
            ("the admin tiers", bool(tiers & {"Admin", "Baseline"})),
            ("Calico policies", "Calico" in tiers),
            ("Cilium policies", "Cilium" in tiers),
        )
        if on
    )
    text = (
        f"namespace {namespace}: {len(found)} of {total} pods have no NetworkPolicy default "
        f"deny for {d}; {_listed(rules, 3)} denies what no rule allows {word} every pod "
        f"instead (a guard from {source or 'the admin tiers'}"
    )
    if any(r.tier == "Baseline" for g in found for r in g.guard_rules):
        text += "; a NetworkPolicy isolating a pod replaces it for that pod"
    text += ")."
    if ranges:
        where = addresses_words(tuple(ranges))
        text += (
            f" Addresses outside the cluster may still connect to them by default: {where}."
            if d == "ingress"
            else f" They may still connect to addresses outside the cluster by default: {where}."
        )
    policies: dict[str, ObjectRef] = {}
    for g in found:
        for r in g.guard_rules:
            loc = str(r.location) or None
            policies.setdefault(r.policy.id, ObjectRef(r.kind, None, r.policy.name, loc))
    for c in closers:
        for p in c.policies:
            policies.setdefault(p.id, ObjectRef.any_policy(p))
    return ctx.finding(
        TIER_DENY.id,
        text,
        [ref, *policies.values()],
        TIER_DENY.fix,
        direction=d,
        guarded_by=rules,
        open_addresses=addresses_words(tuple(ranges)) if ranges else None,
    )


@register(POD_NOT_ISOLATED)
def pods_not_isolated(ctx: AuditContext) -> Iterator[Finding]:
    for pod in ctx.workload_pods:
        if pod.host_network or not _deny_checked(ctx, pod.namespace):
            continue
        for d in DIRECTIONS:
            guard = _guard(ctx, pod, d)
            if guard.default_deny:
                continue  # isolated, or guarded by a tier (default-deny-from-tier says so)
            denies = _tier_denies([guard])
            if denies:
                what = (
                    "accepts connections no tier rule denies"
                    if d == "ingress"
                    else "may connect wherever no tier rule denies"
                )
                tiers = f"; the admin tiers deny only part of it ({_listed(denies, 3)})"
            else:
                what = "may connect anywhere"
                if d == "ingress":
                    what = "accepts connections from anywhere"
                tiers = ""
            yield ctx.finding(
                POD_NOT_ISOLATED.id,
                f"{pod.workload.id} is not isolated for {d}: no policy selects it with "
                f"policyTypes {d.capitalize()}{tiers}, so it {what}.",
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
            selecting = [
                pol.id
                for pol in ctx.cluster.compiled.policies
                if pol.namespace == pod.namespace and pol.pod_selector.matches(pod.labels)
            ]
            aimed = (
                f" NetworkPolicy {_listed(selecting, 3)} select{'s' if len(selecting) == 1 else ''}"
                " its labels but cannot apply to it."
                if selecting
                else ""
            )
            yield ctx.finding(
                HOST_NETWORK.id,
                f"{pod.workload.id} runs on the host network (hostNetwork: true): it uses its "
                "node's address, so no NetworkPolicy can select or restrict it, and pod or "
                "namespace selectors in other policies do not match it (only an ipBlock of "
                f"the node addresses does).{aimed}",
                [ObjectRef.pod(pod)],
                HOST_NETWORK.fix,
                selected_by=selecting,
            )


@register(MISSING_TYPES)
def missing_policy_types(ctx: AuditContext) -> Iterator[Finding]:
    for _, pol in ctx.policies():
        if pol.explicit_policy_types:
            continue
        chosen = snippets.policy_types(pol.policy_types)
        if pol.egress and not pol.ingress:
            # defaulting adds Ingress with no rule: it denies every connection to the pods
            effect = (
                "it has egress rules only, yet it also isolates ingress with no ingress rule, "
                f"so every connection to the pods it selects ({pol.pod_selector}) is denied"
            )
            meant = ["Egress"]
        elif _wrote_empty_egress(pol):
            effect = (
                "its `egress: []` restricts nothing, since Egress is defaulted only when "
                "egress rules are present"
            )
            meant = ["Ingress", "Egress"]
        else:
            continue  # the default is what the rules say: ingress-only, or both directions
        yield ctx.finding(
            MISSING_TYPES.id,
            f"{pol.id} has no policyTypes; the API server defaulted it to "
            f"[{', '.join(chosen)}]: {effect}. State the intent explicitly.",
            [ObjectRef.policy(pol, "spec")],
            f"Add to the spec of {pol.id} the directions it is meant to isolate, e.g.:\n"
            + snippets.to_yaml({"policyTypes": meant}),
            defaulted_to=chosen,
        )


def _wrote_empty_egress(pol: NetworkPolicy) -> bool:
    """Whether the source spells out an empty `egress:` list (read from where the key is:
    its line differs from the spec's only when the key exists)."""
    loc = pol.location
    if loc is None or pol.egress:
        return False
    spec, egress = loc.at("spec").line, loc.at("spec", "egress").line
    return spec is not None and egress is not None and egress != spec


def _examined(ctx: AuditContext, namespace: str) -> bool:
    return ctx.in_scope(namespace) and not outside_input(ctx.cluster, namespace)


def _deny_checked(ctx: AuditContext, namespace: str) -> bool:
    """Whether the default-deny checks look at `namespace` (system namespaces are left out
    unless named with -n; the report's notes say which were)."""
    if not _examined(ctx, namespace):
        return False
    if ctx.config.default_deny_checked(namespace):
        return True
    ctx.note(
        "system namespace(s) {} are outside the default-deny checks (no-default-deny-*, "
        "pod-not-isolated): a deny-all there cuts cluster DNS and the control plane off. "
        "Setting `system-namespaces` changes the list; -n NAMESPACE checks one.",
        namespace,
    )
    return False


def _labels(pod: Pod) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(pod.labels.items())) or "its pods"
