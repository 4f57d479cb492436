"""Selectors that miss: policies and peers selecting nothing (with the likely typo), and
`from`/`to` lists whose two entries OR what was probably meant to be ANDed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from netreach.analyses.audit import snippets
from netreach.analyses.audit.cni_selectors import cilium_and_or, cilium_words, peers_select_nothing
from netreach.analyses.audit.context import AuditContext, describe_pairs, with_rules
from netreach.analyses.audit.findings import Finding, ObjectRef
from netreach.analyses.audit.operators import operator_evidence, operator_note
from netreach.analyses.audit.registry import CheckInfo, register
from netreach.analyses.audit.typos import near_labels
from netreach.engine.compile import NPPeer, NPRule
from netreach.engine.whatif import Change
from netreach.model import (
    CalicoPolicy,
    CiliumPolicy,
    LabelSelector,
    NetworkPolicy,
    Peer,
    Pod,
)

POLICY_NOTHING = CheckInfo(
    "policy-selects-nothing",
    "warning",
    "selectors",
    "A policy whose podSelector matches no pod",
    "A policy that selects nothing protects nothing: usually a label typo, so the pods it was "
    "written for are left open (or closed) without anyone noticing.",
    "Correct the podSelector to the labels the pods carry (the finding names the near label), "
    "or delete the policy. Pods an operator creates from a custom resource are not in "
    "manifests: such findings say so and are information only.",
)
PEER_NOTHING = CheckInfo(
    "peer-selects-nothing",
    "warning",
    "selectors",
    "A from/to entry (a Calico rule's peer, a Cilium fromEndpoints/toEndpoints selector) whose "
    "selectors match no pod",
    "A peer that matches nothing allows nothing: the connection it was written for stays "
    "blocked, usually because of a label typo.",
    "Correct the selector to labels that exist (the finding names the near label). Pods an "
    "operator creates are not in manifests: such findings say so and are information only; "
    "host-network pods are admitted by an ipBlock of their nodes' addresses, not selectors.",
)
AND_OR = CheckInfo(
    "and-or-confusion",
    "warning",
    "selectors",
    "A podSelector entry next to a namespaceSelector entry (OR; in Cilium, a pod-labels "
    "entry next to a namespace-only one) where one entry (AND) was likely meant",
    "Two list items are ORed: `- namespaceSelector: ...` and `- podSelector: ...` admit every "
    "pod of those namespaces plus the matching pods of the policy's own namespace. One item "
    "with both selectors admits only the matching pods in those namespaces.",
    "Merge the two entries into one (drop the dash before podSelector), unless the wider OR "
    "is what you mean.",
)


def _peer_key(rule: NPRule) -> str:
    return "from" if rule.direction == "ingress" else "to"


def _peer_ref(pol: NetworkPolicy, rule: NPRule, index: int) -> ObjectRef:
    return ObjectRef.policy(pol, "spec", rule.direction, rule.index, _peer_key(rule), index)


@register(POLICY_NOTHING)
def policy_selects_nothing(ctx: AuditContext) -> Iterator[Finding]:
    compiled = ctx.cluster.compiled
    for pi, pol in ctx.policies():
        if compiled.policy_targets[pi]:
            continue
        here = [p for p in ctx.cluster.pods if p.namespace == pol.namespace]
        pods = [p for p in here if not p.host_network]
        host = _host_matches(pol.pod_selector, here)
        if not pods and not host:
            continue  # nothing in the snapshot to judge by
        if host:
            yield ctx.finding(
                POLICY_NOTHING.id,
                f"{pol.id}: podSelector {pol.pod_selector} matches only host-network pods "
                f"({_workloads(host)}), which NetworkPolicy never selects (they use their "
                "node's address), so the policy has no effect on them (see host-network-pod).",
                [ObjectRef.policy(pol, "spec", "podSelector")],
                POLICY_NOTHING.fix,
                severity="info",
                host_network=_workload_ids(host),
                hints=[],
            )
            continue
        hints = near_labels(pol.pod_selector, (p.labels for p in pods))
        operator = operator_evidence(pol.pod_selector, ctx.cluster.snapshot.skipped)
        counted = f"none of the {len(pods)} pods of namespace {pol.namespace}"
        if operator is not None:
            yield ctx.finding(
                POLICY_NOTHING.id,
                f"{pol.id}: podSelector {pol.pod_selector} matches {counted} in the input; "
                f"the pods are likely created by an operator ({operator}), so the input "
                "cannot hold them and the policy applies once they run."
                + "".join(" " + h for h in hints),
                [ObjectRef.policy(pol, "spec", "podSelector")],
                POLICY_NOTHING.fix,
                severity="info",
                operator=operator,
                hints=hints,
            )
            continue
        yield ctx.finding(
            POLICY_NOTHING.id,
            f"{pol.id}: podSelector {pol.pod_selector} matches {counted}"
            f"{_host_note(here)}, so the policy has no effect." + "".join(" " + h for h in hints),
            [ObjectRef.policy(pol, "spec", "podSelector")],
            POLICY_NOTHING.fix,
            hints=hints,
        )
    yield from _cni_selects_nothing(ctx)


@register(PEER_NOTHING)
def peer_selects_nothing(ctx: AuditContext) -> Iterator[Finding]:
    for pi, pol in ctx.policies():
        for rule in ctx.rules(pi):
            for pm in rule.peers:
                if pm.peer.ip_block is not None or pm.classes:
                    continue
                found = _peer_nothing(ctx, pol, pm)
                if found is None:
                    continue
                message, hints, extra = found
                yield ctx.finding(
                    PEER_NOTHING.id,
                    f"{pol.id} {rule.direction}[{rule.index}] {_peer_key(rule)}[{pm.index}] "
                    f"({pm.peer}): {message}" + "".join(" " + h for h in hints),
                    [_peer_ref(pol, rule, pm.index)],
                    PEER_NOTHING.fix,
                    hints=hints,
                    **extra,
                )
    yield from peers_select_nothing(ctx, PEER_NOTHING)


def _peer_nothing(
    ctx: AuditContext, pol: NetworkPolicy, pm: NPPeer
) -> tuple[str, list[str], dict[str, Any]] | None:
    """(message, hints, details: severity, operator or host_network) or None."""
    compiled = ctx.cluster.compiled
    peer = pm.peer
    nothing = ", so this entry allows nothing."
    if peer.namespace_selector is not None:
        names = compiled.ns_index.select(peer.namespace_selector)
        if not names:
            labels = [n.labels for n in ctx.cluster.namespaces.values()]
            return (
                f"namespaceSelector {peer.namespace_selector} matches no namespace{nothing}",
                near_labels(peer.namespace_selector, labels),
                {},
            )
    else:
        names = (pol.namespace,)
    if peer.pod_selector is None:
        return None  # namespaces match but hold no pods here: nothing to judge by
    there = [p for p in ctx.cluster.pods if p.namespace in names]
    pods = [p for p in there if not p.host_network]
    host = _host_matches(peer.pod_selector, there)
    where = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
    selects = f"podSelector {peer.pod_selector} matches"
    if host:
        return (
            f"{selects} only host-network pods ({_workloads(host)}) in namespace(s) {where}: "
            "their traffic carries their node's address, which pod selectors never match"
            f"{nothing} Admit them with an ipBlock of the node addresses.",
            [],
            {"host_network": _workload_ids(host)},
        )
    if not pods:
        return None
    hints = near_labels(peer.pod_selector, (p.labels for p in pods))
    operator = operator_evidence(peer.pod_selector, ctx.cluster.snapshot.skipped)
    if operator is not None:
        return (
            f"{selects} no pod of namespace(s) {where} in the input; the pods are likely "
            f"created by an operator ({operator}), so the input cannot hold them and the "
            "entry admits them once they run.",
            hints,
            {"severity": "info", "operator": operator},
        )
    return (f"{selects} no pod in namespace(s) {where}{_host_note(there)}{nothing}", hints, {})


def _host_matches(selector: LabelSelector, pods: list[Pod]) -> list[Pod]:
    return [p for p in pods if p.host_network and selector.matches(p.labels)]


def _workload_ids(pods: list[Pod]) -> list[str]:
    return sorted({p.workload.id for p in pods})


def _workloads(pods: list[Pod]) -> str:
    ids = _workload_ids(pods)
    return ", ".join(ids[:3]) + (" ..." if len(ids) > 3 else "")


def _host_note(pods: list[Pod]) -> str:
    n = sum(1 for p in pods if p.host_network)
    return f" (not counting {n} host-network pod(s), which selectors never match)" if n else ""


@register(AND_OR)
def and_or_confusion(ctx: AuditContext) -> Iterator[Finding]:
    policies = ctx.cluster.compiled.policies
    for pi, pol in ctx.policies():
        for rule in ctx.rules(pi):
            pods_only = [pm for pm in rule.peers if _only(pm.peer, "pod")]
            ns_only = [pm for pm in rule.peers if _only(pm.peer, "namespace")]
            if not pods_only or not ns_only:
                continue
            a, b = pods_only[0], ns_only[0]
            pod_sel, ns_sel = a.peer.pod_selector, b.peer.namespace_selector
            assert pod_sel is not None and ns_sel is not None  # by _only
            merged = Peer(pod_selector=pod_sel, namespace_selector=ns_sel)
            at = min(a.index, b.index)
            peers = [merged if pm.index == at else pm.peer for pm in rule.peers]
            peers = [p for i, p in enumerate(peers) if i not in (a.index, b.index) or i == at]
            new_rule = replace(rule.rule, peers=tuple(peers))
            if ctx.cluster.compiled.splits_no_class(ns_sel, pod_sel):
                # in place: the AND entry selects whole classes (engine/whatif.py)
                compiled = ctx.cluster.compiled
                repl = compiled.network_policy_rule(
                    pi, rule.direction, rule.index, new_rule, detached=True
                )
                extra, _ = ctx.what_if(Change(rules={rule.id: repl}))
            else:  # the AND entry tells apart pods of one class: compile the changed snapshot
                rules = list(pol.rules(rule.direction))
                rules[rule.index] = new_rule
                new_pol = with_rules(pol, rule.direction, rules)
                changed = [new_pol if i == pi else p for i, p in enumerate(policies)]
                extra, _ = ctx.compare(changed, pol.namespace, rule.direction)
            if not extra:
                continue
            key = _peer_key(rule)
            first, second = sorted((a, b), key=lambda pm: pm.index)
            and_entry = {
                "namespaceSelector": snippets.selector_yaml(ns_sel),
                "podSelector": snippets.selector_yaml(pod_sel),
            }
            yield ctx.finding(
                AND_OR.id,
                f"{pol.id} {rule.direction}[{rule.index}] lists {key}[{first.index}] "
                f"({first.peer}) and {key}[{second.index}] ({second.peer}) as two entries, "
                f"which are ORed. Compared with one entry (AND), the OR also allows: "
                f"{describe_pairs(extra)}.",
                [_peer_ref(pol, rule, first.index), _peer_ref(pol, rule, second.index)],
                "If only the matching pods of those namespaces are meant, use one entry:\n"
                + snippets.to_yaml({key: [and_entry]}),
                extra=[
                    {"src": s, "dst": d, "allowed": c.to_json()}
                    for (s, d), c in sorted(extra.items())
                ],
            )
    yield from cilium_and_or(ctx, AND_OR)


def _only(peer: Peer, which: str) -> bool:
    if peer.ip_block is not None:
        return False
    if which == "pod":
        return peer.pod_selector is not None and peer.namespace_selector is None
    return peer.namespace_selector is not None and peer.pod_selector is None


# --- Calico and Cilium policies --------------------------------------------------------------


def _cni_selects_nothing(ctx: AuditContext) -> Iterator[Finding]:
    """policy-selects-nothing for Calico and Cilium policies: a Calico policy whose selector
    (namespaceSelector and serviceAccountSelector ANDed in) or a Cilium endpointSelector that
    matches none of the pods it could select. A GlobalNetworkPolicy may be written for host
    endpoints, which netreach does not read: information, saying so. Host-endpoint-only Calico
    policies and Cilium nodeSelector policies are not about pods: skipped."""
    compiled = ctx.cluster.compiled
    pols: list[CalicoPolicy | CiliumPolicy] = [*compiled.calico_policies, *compiled.cilium_policies]
    for pol in pols:
        if not ctx.in_scope(pol.namespace) or compiled.policy_classes(pol):
            continue
        loc = pol.location
        subject: LabelSelector | None = None
        if isinstance(pol, CalicoPolicy):
            if not pol.applies_to_pods or pol.host_endpoint:
                continue
            what = f"selector {pol.selector}"
            field = loc.at("spec", "selector") if loc is not None else None
            hints: list[str] = []
        else:
            subject = pol.subject
            if subject is None:
                continue
            what = f"endpointSelector {cilium_words(subject)}"
            field = loc.at(*pol.path, "endpointSelector") if loc is not None else None
        pods = [
            p
            for p in ctx.cluster.pods
            if not p.host_network and (pol.namespace is None or p.namespace == pol.namespace)
        ]
        if not pods:
            continue  # nothing in the snapshot to judge by
        where = f"namespace {pol.namespace}" if pol.namespace else "the cluster"
        text = f"{pol.id}: {what} matches none of the {len(pods)} pods of {where}"
        ref = [ObjectRef.any_policy(pol, str(field) if field is not None else "")]
        if subject is not None:
            hints = near_labels(subject, (p.labels for p in pods))
            operator = operator_evidence(subject, ctx.cluster.snapshot.skipped)
            if operator is not None:
                yield ctx.finding(
                    POLICY_NOTHING.id,
                    text
                    + operator_note(operator, "the policy applies")
                    + "".join(" " + h for h in hints),
                    ref,
                    POLICY_NOTHING.fix,
                    severity="info",
                    operator=operator,
                    hints=hints,
                )
                continue
        elif pol.namespace is None:
            yield ctx.finding(
                POLICY_NOTHING.id,
                f"{text}: it has no effect on pods. A GlobalNetworkPolicy also selects host "
                "endpoints, which netreach does not read: if it is written for them, this is "
                "expected.",
                ref,
                POLICY_NOTHING.fix,
                severity="info",
                hints=[],
            )
            continue
        yield ctx.finding(
            POLICY_NOTHING.id,
            f"{text}, so the policy has no effect." + "".join(" " + h for h in hints),
            ref,
            POLICY_NOTHING.fix,
            hints=hints,
        )
