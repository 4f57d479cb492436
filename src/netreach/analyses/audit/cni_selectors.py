"""Selectors that miss, in Calico and Cilium rules: a rule's peer selector that matches
nothing, and Cilium's `fromEndpoints` / `toEndpoints` OR trap. Read from the engine's
compiled rules (their peers' pod classes and addresses): nothing here matches labels again.

selectors.py calls these for its check ids (`peer-selects-nothing`, `and-or-confusion`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from netreach.analyses.audit import snippets
from netreach.analyses.audit.context import AuditContext, describe_pairs
from netreach.analyses.audit.findings import Finding, ObjectRef
from netreach.analyses.audit.operators import operator_evidence, operator_note
from netreach.analyses.audit.registry import CheckInfo
from netreach.analyses.audit.typos import near_labels
from netreach.analyses.audit.whatif import ConnMap
from netreach.engine.cilium import selector_scope
from netreach.engine.rules import AnyRule, PeerMatcher
from netreach.engine.selectors import indexes_of
from netreach.engine.whatif import Change
from netreach.model import (
    V_ABSENT,
    V_CLUSTER,
    V_NAMESPACE,
    V_NS_LABEL,
    CalicoEntity,
    CalicoPolicy,
    CiliumPolicy,
    LabelSelector,
    Pod,
    Requirement,
    virtual_key_text,
)


def cilium_words(sel: LabelSelector) -> str:
    """A Cilium selector as written (Cilium's own labels by name, not netreach's keys)."""
    parts = [f"{virtual_key_text(k)}={v}" for k, v in sel.match_labels]
    parts += [
        str(Requirement(virtual_key_text(r.key), r.operator, r.values))
        for r in sel.match_expressions
    ]
    return ",".join(parts) or "{}"


def _keys(sel: LabelSelector) -> list[str]:
    return [k for k, _ in sel.match_labels] + [r.key for r in sel.match_expressions]


def _judged(ctx: AuditContext, namespaces: Sequence[str] | None) -> list[Pod] | None:
    """The pods a peer selector of `namespaces` (None: every namespace) is judged against:
    those a selector can match (not host-network). None when there is nothing to judge by:
    no such pod, or only pods inferred from the policies' selectors (policies-only input:
    inference made a pod for every selector it could read, so a miss there says the selector
    could not be read, a service account or a string operator, not that it is wrong)."""
    pods = [
        p
        for p in ctx.cluster.pods
        if not p.host_network and (namespaces is None or p.namespace in namespaces)
    ]
    if not pods or all(p.inferred for p in pods):
        return None
    return pods


def _where(namespaces: Sequence[str] | None) -> str:
    if namespaces is None:
        return "the cluster"
    shown = ", ".join(namespaces[:5]) + (" ..." if len(namespaces) > 5 else "")
    return f"namespace{'s' if len(namespaces) > 1 else ''} {shown}"


_DEAD = {
    "Allow": "allows nothing: what it was written to let through is left to the rules after it",
    "Deny": "denies nothing: what it was written to stop is left to the rules after it",
    "Pass": "passes nothing to the next tier",
    "Log": "logs nothing",
}


def _rule_ref(rule: AnyRule, *path: str | int) -> ObjectRef:
    """The rule's policy, located at a field of the rule (file:line)."""
    pol = rule.policy
    loc = pol.location
    prefix = pol.path if isinstance(pol, CiliumPolicy) else ("spec",)
    where = str(loc.at(*prefix, rule.list_name, rule.index, *path)) if loc else ""
    return ObjectRef.any_policy(pol, where)


_TYPO = ("Often a mistyped label.",)


# --- peer-selects-nothing -------------------------------------------------------------------


def peers_select_nothing(ctx: AuditContext, check: CheckInfo) -> Iterator[Finding]:
    """A Calico rule whose peer entity's selector (in its namespace scope) matches no pod and
    no network-set address, and a Cilium fromEndpoints / toEndpoints selector matching no
    endpoint: the rule (Calico) or the entry (Cilium) never matches."""
    for rule in ctx.cluster.compiled.rules:
        if rule.tier not in ("Calico", "Cilium") or not ctx.in_scope(rule.policy.namespace):
            continue
        if rule.tier == "Calico":
            yield from _calico_peer(ctx, check, rule)
            yield from _calico_own(ctx, check, rule)
        else:
            yield from _cilium_peers(ctx, check, rule)


def _calico_peer(ctx: AuditContext, check: CheckInfo, rule: AnyRule) -> Iterator[Finding]:
    pol: CalicoPolicy = rule.policy
    if not pol.applies_to_pods or pol.host_endpoint or not pol.isolates(rule.direction):
        return  # host endpoints only, or a direction the policy does not apply in
    if rule.all_peers or not rule.peers:
        return
    entity: CalicoEntity = rule.peers[0].peer
    ns_sel = entity.namespace_selector
    if entity.selector is None and ns_sel is None:
        return  # nets / notSelector only: no selector to miss
    if ns_sel is not None and ns_sel.is_global:
        return  # global(): global network sets and host endpoints, which are not read
    compiled = ctx.cluster.compiled
    # the selector and its namespace scope alone, as the engine compiles them (nets, notNets,
    # notSelector narrow it further: their emptiness is not a selector's typo)
    classes, ranges = compiled.calico_entity(
        CalicoEntity(selector=entity.selector, namespace_selector=ns_sel), pol.namespace
    )
    if classes or ranges:
        return
    side = "source" if rule.direction == "ingress" else "destination"
    head = f"{rule.label} {side}"
    dead = f"so the rule never matches and {_DEAD[rule.action]}."
    namespaces: Sequence[str] | None
    if ns_sel is not None:
        namespaces = compiled.ns_index.select(ns_sel)
        if not namespaces:
            if _judged(ctx, None) is None:
                return
            yield ctx.finding(
                check.id,
                f"{head}: namespaceSelector {ns_sel} matches no namespace, {dead}",
                [_rule_ref(rule, side, "namespaceSelector")],
                check.fix,
                hints=[],
                rule=rule.label,
            )
            return
    else:
        namespaces = (pol.namespace,) if pol.namespace is not None else None
    pods = _judged(ctx, namespaces)
    if pods is None:
        return  # nothing in the snapshot to judge by
    sets = [
        s
        for s in ctx.cluster.snapshot.network_sets
        if namespaces is None or s.namespace in namespaces
    ]
    counted = f"none of the {len(pods)} pods" + (f" and {len(sets)} network set(s)" if sets else "")
    field = "selector" if entity.selector is not None else "namespaceSelector"
    what = f"selector {entity.selector}" if entity.selector is not None else "namespaceSelector"
    scope = f" (namespaceSelector {ns_sel})" if ns_sel is not None and field == "selector" else ""
    text = f"{head}: {what}{scope} matches {counted} of {_where(namespaces)}, {dead}"
    if pol.namespace is None and ns_sel is None:
        # a GlobalNetworkPolicy's entity selector also matches host endpoints
        yield ctx.finding(
            check.id,
            f"{text} A GlobalNetworkPolicy's selector also matches host endpoints, which "
            "netreach does not read: if it is written for them, this is expected.",
            [_rule_ref(rule, side, field)],
            check.fix,
            severity="info",
            hints=[],
            rule=rule.label,
        )
        return
    yield ctx.finding(
        check.id,
        f"{text} {_TYPO[0]}",
        [_rule_ref(rule, side, field)],
        check.fix,
        hints=[],
        rule=rule.label,
    )


def _calico_own(ctx: AuditContext, check: CheckInfo, rule: AnyRule) -> Iterator[Finding]:
    """The rule's own side (the destination of an ingress rule, the source of an egress one):
    a selector there narrows the pods the policy selects; one that keeps none of them means
    the rule never applies."""
    pol: CalicoPolicy = rule.policy
    if not pol.applies_to_pods or pol.host_endpoint or not pol.isolates(rule.direction):
        return
    raw = rule.rule
    own: CalicoEntity = raw.destination if rule.direction == "ingress" else raw.source
    ns_sel = own.namespace_selector
    if own.selector is None or (ns_sel is not None and ns_sel.is_global):
        return  # no selector to miss (nets, notSelector, namespaceSelector alone)
    compiled = ctx.cluster.compiled
    targets = compiled.policy_classes(pol)
    if not targets:
        return  # the policy selects nothing: policy-selects-nothing says so
    classes, _ = compiled.calico_entity(
        CalicoEntity(selector=own.selector, namespace_selector=ns_sel), pol.namespace
    )
    if classes & targets:
        return
    selected = [p for ci in indexes_of(targets) for p in compiled.classes[ci].pods]
    if all(p.inferred for p in selected):
        return  # policies-only input: inferred pods say nothing of a selector's typo
    side = "destination" if rule.direction == "ingress" else "source"
    text = (
        f"{rule.label} {side}: selector {own.selector} keeps none of the "
        f"{len(selected)} pods the policy selects, so the rule never applies and "
        f"{_DEAD[rule.action]}."
    )
    yield ctx.finding(
        check.id,
        f"{text} {_TYPO[0]}",
        [_rule_ref(rule, side, "selector")],
        check.fix,
        hints=[],
        rule=rule.label,
        side="own",
    )


def _cilium_peers(ctx: AuditContext, check: CheckInfo, rule: AnyRule) -> Iterator[Finding]:
    pol: CiliumPolicy = rule.policy
    if pol.subject is None:
        return  # a nodeSelector (host) policy
    key = "fromEndpoints" if rule.direction == "ingress" else "toEndpoints"
    for pm in rule.peers:
        sel = pm.peer
        if not isinstance(sel, LabelSelector) or pm.classes:
            continue
        if any(k.startswith(V_ABSENT) or k == V_CLUSTER for k in _keys(sel)):
            # a reserved identity (host, remote-node...): never a pod by design; a cluster
            # name: clustermesh peers of other clusters, never in the input
            continue
        scope = selector_scope(sel)
        namespaces = sorted(scope) if scope is not None else None
        pods = _judged(ctx, namespaces)
        if pods is None:
            continue  # no pod there in the input (kube-system left out...): nothing to judge
        hints = near_labels(sel, (p.labels for p in pods))
        ref = [_rule_ref(rule, key, pm.index)]
        text = (
            f"{rule.label} {key}[{pm.index}] ({cilium_words(sel)}) matches none of the "
            f"{len(pods)} pods of {_where(namespaces)}"
        )
        operator = operator_evidence(sel, ctx.cluster.snapshot.skipped)
        details: dict[str, Any] = {}
        if operator is not None:  # information: the input cannot hold those pods
            text += operator_note(operator, "the entry matches them")
            details = {"severity": "info", "operator": operator}
        else:
            text += f", so this entry {_DEAD[rule.action]}."
        yield ctx.finding(
            check.id,
            text + "".join(" " + h for h in hints or (() if operator else _TYPO)),
            ref,
            check.fix,
            hints=hints,
            rule=rule.label,
            entry=pm.index,
            **details,
        )


# --- and-or-confusion -----------------------------------------------------------------------


def _namespace_only(sel: LabelSelector, namespace: str | None) -> bool:
    """An entry naming only where (the pod's namespace, its namespace's labels). In a
    CiliumNetworkPolicy it must name the namespace itself: an entry without it was limited to
    the policy's own namespace by the loader, as Cilium does, and reads as `{}` there."""
    keys = _keys(sel)
    if not keys or not all(k == V_NAMESPACE or k.startswith(V_NS_LABEL) for k in keys):
        return False
    return namespace is None or (V_NAMESPACE, namespace) not in sel.match_labels


def _pods_only(sel: LabelSelector, namespace: str | None) -> LabelSelector | None:
    """The pod labels of an entry naming only pod labels (in a CiliumNetworkPolicy, within
    its own namespace, which Cilium adds), or None."""
    labels = tuple(
        (k, v)
        for k, v in sel.match_labels
        if namespace is None or (k, v) != (V_NAMESPACE, namespace)
    )
    pods = LabelSelector(labels, sel.match_expressions)
    keys = _keys(pods)
    if not keys or any(k.startswith("\x00") for k in keys):
        return None  # no pod label, or a virtual one (another namespace, account, reserved)
    return pods


def cilium_and_or(ctx: AuditContext, check: CheckInfo) -> Iterator[Finding]:
    """A Cilium rule whose fromEndpoints / toEndpoints list holds an entry with only the
    namespace (label) and another with only pod labels: ORed, where one entry with both
    ANDs. Reported when the OR allows more than the one entry would (an allow rule), or
    denies more (a deny rule: traffic meant to pass is cut), by the engine's what-if."""
    for rule in ctx.cluster.compiled.rules:
        pol = rule.policy
        if rule.tier != "Cilium" or not ctx.in_scope(pol.namespace):
            continue
        if pol.subject is None:
            continue
        sels = [pm for pm in rule.peers if isinstance(pm.peer, LabelSelector)]
        ns_only = [pm for pm in sels if _namespace_only(pm.peer, pol.namespace)]
        pod_only = [(pm, s) for pm in sels if (s := _pods_only(pm.peer, pol.namespace))]
        if not ns_only or not pod_only:
            continue
        (a, pods), b = pod_only[0], ns_only[0]
        merged = LabelSelector(
            tuple(sorted((*b.peer.match_labels, *pods.match_labels))),
            (*b.peer.match_expressions, *pods.match_expressions),
        )
        deny = rule.action == "Deny"
        lost, gained = _or_changes(ctx, rule, a, b, pods, merged)
        extra = gained if deny else lost  # what the OR denies / allows beyond the AND
        if not extra:
            continue
        key = "fromEndpoints" if rule.direction == "ingress" else "toEndpoints"
        first, second = sorted((a, b), key=lambda pm: pm.index)
        refs = [_rule_ref(rule, key, pm.index) for pm in (first, second)]
        verb = "denied" if deny else "allowed"
        yield ctx.finding(
            check.id,
            f"{rule.label} lists {key}[{first.index}] ({cilium_words(first.peer)}) and "
            f"{key}[{second.index}] ({cilium_words(second.peer)}) as two entries, which are "
            f"ORed (a peer matching either is {verb}). Compared with one entry holding both "
            f"(AND), the OR also {'denies' if deny else 'allows'}: {describe_pairs(extra)}.",
            refs,
            "If only the matching pods of that namespace are meant, use one entry:\n"
            + snippets.to_yaml({key: [snippets.cilium_selector(merged)]}),
            extra=[{"src": s, "dst": d, verb: c.to_json()} for (s, d), c in sorted(extra.items())],
        )


def _or_changes(
    ctx: AuditContext,
    rule: AnyRule,
    a: PeerMatcher[Any],
    b: PeerMatcher[Any],
    pods: LabelSelector,
    merged: LabelSelector,
) -> tuple[ConnMap, ConnMap]:
    """(lost, gained): what the snapshot allows now and would not, and the reverse, with the
    pod-labels entry `a` (its labels `pods`) and the namespace entry `b` of the rule merged
    into one entry, `merged`."""
    pol: CiliumPolicy = rule.policy
    at = min(a.index, b.index)
    compiled = ctx.cluster.compiled
    if not compiled.splits_a_class(b.classes, pods):
        # the pod labels match whole classes where `b` looks (always so in a clusterwide
        # policy, whose `a` draws the classes everywhere): the rule changed in place
        # (engine/whatif.py)
        first = a if a.index == at else b
        one = PeerMatcher(at, merged, b.classes & compiled.pods_in(None, pods), ())
        peers = tuple(
            one if pm is first else pm for pm in rule.peers if pm is first or pm not in (a, b)
        )
        repl = compiled.make_rule(
            "Cilium",
            rule.action,
            pol,
            rule.policy_index,
            rule.direction,
            rule.index,
            rule.rule,
            peers,
            rule.all_peers,
            rule.rule.ports,
            key=rule.key,
            notes=rule.notes,
            detached=True,
        )
        return ctx.what_if(Change(rules={rule.id: repl}))
    # the pod labels tell apart pods of one class there (they were read in the policy's own
    # namespace only): compile the changed snapshot
    endpoints = [e for i, e in enumerate(rule.rule.endpoints) if i not in (a.index, b.index)]
    endpoints.insert(at, merged)
    new_rule = replace(rule.rule, endpoints=tuple(endpoints))
    deny = rule.action == "Deny"  # the rule's own list: ingress / egress or their Deny lists
    rules = list(pol.rules(rule.direction, deny))
    rules[rule.index] = new_rule
    field = f"{rule.direction}{'_deny' if deny else ''}"
    new_pol = replace(pol, **{field: tuple(rules)})  # type: ignore[arg-type]
    snapshot = ctx.cluster.snapshot
    changed = replace(
        snapshot, cilium_policies=[new_pol if p is pol else p for p in snapshot.cilium_policies]
    )
    # the pairs of the pods the rule applies to, in whichever namespaces they are (a
    # clusterwide policy's, or an endpointSelector naming another namespace)
    where = sorted(
        {compiled.classes[ci].namespace for ci in indexes_of(compiled.rule_targets(rule))}
    )
    lost: ConnMap = {}
    gained: ConnMap = {}
    for ns in where:
        lo, ga = ctx.compare_snapshot(changed, ns, rule.direction)
        lost |= lo
        gained |= ga
    return lost, gained
