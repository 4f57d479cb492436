"""Rules and policies whose removal changes no connection, computed by the engine: take one
out (engine/whatif.py), walk again only the rows it touches, compare."""

from __future__ import annotations

from collections.abc import Iterator

from netreach.analyses.audit.context import AuditContext
from netreach.analyses.audit.findings import Finding, ObjectRef
from netreach.analyses.audit.registry import CheckInfo, register
from netreach.analyses.guards import EVERY_POD, guards, rules_before
from netreach.engine.compile import NPRule
from netreach.engine.intervals import intersect
from netreach.engine.rules import AnyRule
from netreach.engine.selectors import indexes_of
from netreach.engine.whatif import Change
from netreach.model import CalicoPolicy, NetworkPolicy

REDUNDANT_RULE = CheckInfo(
    "redundant-rule",
    "info",
    "redundancy",
    "A rule whose removal changes no connection",
    "A rule that other rules already cover (or that the other side's policies block) is dead "
    "weight: reviewers read it as if it mattered, and it hides what actually grants access.",
    "Delete the rule, or keep it deliberately (team-owned overlap) and disable the check.",
)
REDUNDANT_POLICY = CheckInfo(
    "redundant-policy",
    "info",
    "redundancy",
    "A policy whose removal changes no connection",
    "A policy other policies fully cover adds review burden and can mislead: editing it "
    "changes nothing.",
    "Delete the policy, or merge it with the ones that cover it. A default deny "
    "(`podSelector: {}` without rules) is never reported: it guards pods created later; nor "
    "is an allow-all (a rule with no peers and no ports in each direction it isolates): it "
    "keeps its pods open on purpose, also once a default deny is added.",
)


def _overlaps(a: AnyRule, b: AnyRule) -> bool:
    peers = bool(a.classes & b.classes) or bool(intersect(a.ips, b.ips))
    ports = a.has_named or b.has_named or not (a.numeric & b.numeric).is_empty
    return peers and ports


def _covering_rules(ctx: AuditContext, pi: int, rule: NPRule) -> list[NPRule]:
    compiled = ctx.cluster.compiled
    seen: dict[int, NPRule] = {}
    for ci in indexes_of(compiled.policy_targets[pi]):
        for other in compiled.class_rules(ci, rule.direction):
            if other is not rule and _overlaps(rule, other):
                seen[other.id] = other
    return [seen[k] for k in sorted(seen)]


@register(REDUNDANT_POLICY, REDUNDANT_RULE)
def redundancy(ctx: AuditContext) -> Iterator[Finding]:
    """Each policy, then each rule, taken out in the engine (engine/whatif.py): only the
    rows of the pods it selects are walked again."""
    compiled = ctx.cluster.compiled
    policies = compiled.policies
    for pi, pol in ctx.policies():
        if not compiled.policy_targets[pi]:
            continue  # policy-selects-nothing says so
        if _is_allow_all(pol):
            continue  # allow-all-* reports what it opens; removing it is not the point
        if not _is_default_deny(pol) and ctx.changes_nothing(Change(policies=frozenset({pi}))):
            covering = sorted(
                {
                    policies[j].id
                    for d in pol.policy_types
                    for ci in indexes_of(compiled.policy_targets[pi])
                    for j in compiled.isolating[d][ci]
                    if j != pi
                }
            )
            yield ctx.finding(
                REDUNDANT_POLICY.id,
                f"{pol.id}: removing it changes no connection: what it allows is also allowed "
                "by other rules or blocked on the other side, and "
                + (
                    f"{', '.join(covering)} isolate the same pods."
                    if covering
                    else "it isolates nothing that matters."
                ),
                [ObjectRef.policy(pol)],
                REDUNDANT_POLICY.fix,
                covered_by=covering,
            )
            continue
        for rule in ctx.rules(pi):
            if not rule.classes and not rule.ips:
                continue  # selects nothing: peer-selects-nothing says so
            if rule.numeric.is_empty:
                continue  # named ports only; named-port-* checks say when they open nothing
            if not ctx.changes_nothing(Change(rules={rule.id: None})):
                continue
            rules = _covering_rules(ctx, pi, rule)
            if rules:
                why = "covered by " + ", ".join(_rule_text(r) for r in rules)
            else:
                why = "what it opens is blocked on the other side of every connection"
            yield ctx.finding(
                REDUNDANT_RULE.id,
                f"{rule.label}: removing this rule changes no connection ({why}).",
                [ObjectRef.policy(pol, "spec", rule.direction, rule.index)],
                REDUNDANT_RULE.fix,
                covered_by=[r.label for r in rules],
            )
    yield from _cni_shadowed(ctx)


def _cni_shadowed(ctx: AuditContext) -> Iterator[Finding]:
    """redundant-rule for Calico and Cilium rules: an Allow, Deny or Pass that the rules
    before it (earlier tiers, earlier rules of its Calico tier, Cilium's deny rules for an
    allow rule) decide every connection of, on every pod it applies to: it never matches
    first. Rules with a part netreach does not model, and rules admitting no one (Cilium's
    `ingress: [{}]` default-deny idiom), are left out: what they decide is not all known."""
    compiled = ctx.cluster.compiled
    g = guards(ctx.cluster)
    for rule in compiled.rules:
        if rule.tier not in ("Calico", "Cilium") or rule.action == "Log":
            continue
        pol = rule.policy
        if rule.notes or getattr(rule.rule, "inert", False) or not ctx.in_scope(pol.namespace):
            continue
        if isinstance(pol, CalicoPolicy) and not pol.isolates(rule.direction):
            continue
        if not rule.all_peers and not rule.classes and not rule.ips:
            continue
        targets = compiled.rule_targets(rule)
        if not targets:
            continue
        future = EVERY_POD if rule.all_peers else None
        covering: dict[int, AnyRule] = {}
        shadowed = held = False
        for ci in indexes_of(targets):
            program = compiled.program(ci, rule.direction)
            if not any(r is rule for stage in program.stages for r in stage.rules):
                continue  # left_open has nothing to say of a class the rule is not for
            shadowed = True
            ports = compiled.classes[ci].ports
            matched = rule.conns_for(ports) if rule.direction == "ingress" else rule.numeric
            held = held or not matched.is_empty  # else named-port-* says it opens nothing
            left = g.left_open(ci, rule, rule.classes, future, rule.ips)
            if not (matched & left).is_empty or (rule.direction == "egress" and rule.has_named):
                shadowed = False
                break
            # the whole program: its effective form stops at the rule that decides everything
            for other in rules_before(program, rule):
                if _overlaps(rule, other):
                    covering.setdefault(other.id, other)
        if not (held and shadowed):
            continue
        rules = [covering[k] for k in sorted(covering)]
        why = ", ".join(_rule_text(r) for r in rules) or "the rules before it"
        yield ctx.finding(
            REDUNDANT_RULE.id,
            f"{rule.label}: it never decides a connection: every connection it matches on "
            f"the pods it applies to is decided first by {why}.",
            [ObjectRef.any_policy(pol, rule.location)],
            REDUNDANT_RULE.fix,
            covered_by=[r.label for r in rules],
        )


def _rule_text(rule: AnyRule) -> str:
    if rule.tier != "NetworkPolicy":
        return f"{rule.label} ({rule.location})" if rule.location else rule.label
    loc = rule.policy.location
    return f"{rule.label} ({loc.at('spec', rule.direction, rule.index)})" if loc else rule.label


def _is_default_deny(pol: NetworkPolicy) -> bool:
    """`podSelector: {}` with no rules: it guards the pods created later, so it is never
    redundant even when today's pods are all covered by other policies."""
    return pol.pod_selector.is_empty and not any(pol.rules(d) for d in pol.policy_types)


def _is_allow_all(pol: NetworkPolicy) -> bool:
    """A rule with no peers and no ports in every direction the policy isolates: an explicit
    allow-all. Today it may change nothing (no other policy isolates its pods), but it states
    that the pods stay open, and keeps them open when a default deny arrives."""
    return all(any(not r.peers and not r.ports for r in pol.rules(d)) for d in pol.policy_types)
