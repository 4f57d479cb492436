"""Rules and policies whose removal changes no connection, computed by the engine: take one
out (engine/whatif.py), walk again only the rows it touches, compare."""

from __future__ import annotations

from collections.abc import Generator, Iterator

from netreach.analyses.audit.context import AuditContext
from netreach.analyses.audit.findings import Finding, ObjectRef
from netreach.analyses.audit.registry import CheckInfo, register
from netreach.analyses.guards import EVERY_POD, guards, rules_before
from netreach.engine.compile import NPRule
from netreach.engine.conns import ALL
from netreach.engine.intervals import intersect
from netreach.engine.rules import AnyRule
from netreach.engine.selectors import indexes_of
from netreach.engine.whatif import Change
from netreach.model import DIRECTIONS, CalicoPolicy, CiliumPolicy, Direction, NetworkPolicy

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
    redundant = yield from _cni_redundant_policies(ctx)
    yield from _cni_shadowed(ctx, redundant)


CniPolicy = CalicoPolicy | CiliumPolicy


def _speaks(pol: CniPolicy, direction: Direction) -> bool:
    """Whether the policy is in its pods' programs for `direction` (engine/calico.py,
    engine/cilium.py per_class)."""
    if isinstance(pol, CalicoPolicy):
        return pol.isolates(direction)
    return bool(pol.rules(direction) or pol.rules(direction, True)) or (
        direction in pol.default_deny
    )


GroupKey = tuple[str, Direction]


def _group(pol: CniPolicy, direction: Direction) -> GroupKey:
    """Policies that close a pod alike in `direction`: those of one Calico tier (its
    end-of-tier deny), or Cilium's (its default deny)."""
    return ("Calico " + pol.tier if isinstance(pol, CalicoPolicy) else "Cilium", direction)


def _closes(pol: CniPolicy, direction: Direction) -> bool:
    if isinstance(pol, CalicoPolicy):
        return pol.isolates(direction)
    return direction in pol.default_deny


class _Closing:
    """Per group: its policies with their classes, the classes some of them close, and those
    two or more close (one policy's removal leaves those closed)."""

    def __init__(self, ctx: AuditContext) -> None:
        self.members: dict[GroupKey, list[tuple[CniPolicy, int]]] = {}
        self.closed: dict[GroupKey, int] = {}
        self.shared: dict[GroupKey, int] = {}
        for pol, targets in guards(ctx.cluster).cni_targets:
            for d in DIRECTIONS:
                if targets and _closes(pol, d):
                    key = _group(pol, d)
                    self.members.setdefault(key, []).append((pol, targets))
                    seen = self.closed.get(key, 0)
                    self.shared[key] = self.shared.get(key, 0) | (seen & targets)
                    self.closed[key] = seen | targets

    def by_others(self, pol: CniPolicy, targets: int, direction: Direction) -> list[str] | None:
        """The other policies closing `pol`'s classes in `direction`, or None when some class
        only `pol` closes (or none does)."""
        key = _group(pol, direction)
        covered = self.shared if _closes(pol, direction) else self.closed
        if targets & ~covered.get(key, 0):
            return None
        return [o.id for o, t in self.members.get(key, []) if o is not pol and t & targets]


def _cni_redundant_policies(ctx: AuditContext) -> Generator[Finding, None, set[int]]:
    """redundant-policy for Calico and Cilium policies: its rules taken out in the engine
    change no connection, and its default deny stays, because other policies close each of
    its pods in each direction it speaks (the same Calico tier selects them; another Cilium
    policy's default deny). Only then is removing the policy removing its rules, which the
    engine's what-if models; a policy that alone closes some pod is not judged. Left out, as
    for NetworkPolicy: policies without rules (a default deny guards pods created later),
    allow-alls, and policies with a part netreach does not model. Returns the ids of the
    policies reported (their rules are not reported again)."""
    compiled = ctx.cluster.compiled
    g = guards(ctx.cluster)
    found: set[int] = set()
    closing = _Closing(ctx)
    by_policy: dict[int, list[AnyRule]] = {}
    for r in compiled.rules:
        if r.tier in ("Calico", "Cilium"):
            by_policy.setdefault(id(r.policy), []).append(r)
    for pol, targets in g.cni_targets:
        rules = by_policy.get(id(pol), [])
        if not targets or not ctx.in_scope(pol.namespace) or not rules:
            continue
        if any(r.notes or getattr(r.rule, "inert", False) for r in rules):
            continue  # what it decides is not all known
        directions = [d for d in DIRECTIONS if _speaks(pol, d)]
        live = [r for r in rules if r.direction in directions]
        if not any(r.all_peers or r.classes or r.ips for r in live):
            continue  # rules admitting no one: the policy is its pods' default deny
        if all(any(_opens_all(r) for r in live if r.direction == d) for d in directions):
            continue  # allow-all: keeps its pods open on purpose
        closers = [closing.by_others(pol, targets, d) for d in directions]
        if any(ids is None for ids in closers):
            continue  # removing it would also remove a default deny the what-if keeps
        if not ctx.changes_nothing(Change(rules={r.id: None for r in rules})):
            continue
        found.add(id(pol))
        covering = sorted({i for ids in closers for i in ids or ()})
        yield ctx.finding(
            REDUNDANT_POLICY.id,
            f"{pol.id}: removing it changes no connection: what its rules decide is decided "
            "alike without them (by other rules, or blocked on the other side), and "
            f"{', '.join(covering)} {'keeps' if len(covering) == 1 else 'keep'} its pods "
            "closed in every direction it applies in.",
            [ObjectRef.any_policy(pol)],
            REDUNDANT_POLICY.fix,
            covered_by=covering,
        )
    return found


def _opens_all(rule: AnyRule) -> bool:
    return rule.action == "Allow" and rule.all_peers and rule.numeric == ALL


def _cni_shadowed(ctx: AuditContext, redundant: set[int]) -> Iterator[Finding]:
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
        if id(pol) in redundant:
            continue  # redundant-policy says so for the whole policy
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
