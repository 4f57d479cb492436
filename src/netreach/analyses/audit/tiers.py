"""Admin-tier checks: rules the tier order makes dead or misleading, computed by the engine's
tier walk (engine/tiers.py) peer by peer: every pod class a rule names, and every external
address atom it covers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from netreach.analyses.audit.context import AuditContext
from netreach.analyses.audit.findings import Finding, ObjectRef
from netreach.analyses.audit.registry import CheckInfo, register
from netreach.engine.admin import AdminCompiledRule
from netreach.engine.compile import DIRECTIONS, PortsKey
from netreach.engine.conns import ConnectionSet
from netreach.engine.selectors import indexes_of
from netreach.engine.tiers import NO_RULES, TierWalk
from netreach.model import AdminPolicy, Direction

DENY_SHADOWED = CheckInfo(
    "admin-deny-shadowed",
    "warning",
    "tiers",
    "An Admin-tier Deny that earlier Allow/Pass rules leave nothing to deny",
    "Every connection the Deny names was already decided by a rule of higher precedence "
    "(lower priority number, or earlier in the same policy): the guardrail it looks like "
    "does not exist.",
    "Move the Deny before the rules that take its traffic (a lower priority number, or "
    "earlier in the list), or narrow those Allow/Pass rules.",
)
PASS_TO_NOTHING = CheckInfo(
    "admin-pass-to-nothing",
    "info",
    "tiers",
    "An Admin-tier Pass with nothing below it",
    "Pass hands traffic to NetworkPolicy and then the Baseline tier; when neither selects the "
    "subject pods in that direction, passed traffic is simply allowed, which a reader of "
    "`Pass` may not expect.",
    "Write Allow if that is the intent, or add the NetworkPolicy / Baseline rule the Pass "
    "was meant to reach.",
)
NP_OVERRIDDEN = CheckInfo(
    "network-policy-overridden",
    "warning",
    "tiers",
    "A NetworkPolicy rule the Admin tier makes irrelevant",
    "Admin-tier Allow/Deny rules decide every connection this rule names before "
    "NetworkPolicy is consulted: the namespace owner's rule has no effect.",
    "Remove the rule, or Pass that traffic in the Admin tier so the namespace decides it.",
)


def _admin_ref(pol: AdminPolicy, direction: Direction, index: int) -> ObjectRef:
    loc = str(pol.location.at("spec", direction, index)) if pol.location else None
    return ObjectRef(pol.kind, None, pol.name, loc)


def _walk(
    rules: Iterable[AdminCompiledRule],
    peer_class: int | None,
    peer_key: int | None,
    dst_ports: PortsKey | None,
) -> TierWalk:
    state = NO_RULES
    for r in rules:
        if r.matches_peer(peer_class, peer_key) is not None:
            state = state.step(r.action, r.conns_for(dst_ports))
    return state


def _peers(
    ctx: AuditContext, classes: int, ips: Sequence[tuple[int, int]]
) -> Iterator[tuple[int | None, int | None]]:
    """(peer class, None) for every class in `classes`, (None, address) per covered atom."""
    for pj in indexes_of(classes):
        yield pj, None
    atoms = ctx.cluster.compiled.atoms
    for a in atoms.covered(tuple(ips)) if ips else ():
        yield None, atoms.bounds(a)[0]


def _dst_ports(
    ctx: AuditContext, direction: Direction, ci: int, peer_class: int | None
) -> PortsKey | None:
    classes = ctx.cluster.compiled.classes
    if direction == "ingress":
        return classes[ci].ports
    return classes[peer_class].ports if peer_class is not None else None


def _left_for(
    ctx: AuditContext,
    direction: Direction,
    ci: int,
    earlier: list[AdminCompiledRule],
    classes: int,
    ips: Sequence[tuple[int, int]],
    conns_of: Callable[[PortsKey | None], ConnectionSet],
    undecided: bool,
) -> bool:
    """Whether some peer still has connections of the rule left after the earlier rules:
    still open (`undecided=False`: not matched at all) or not Allowed/Denied (`True`)."""
    for pj, key in _peers(ctx, classes, ips):
        ports = _dst_ports(ctx, direction, ci, pj)
        state = _walk(earlier, pj, key, ports)
        left = state.undecided if undecided else state.remaining
        if not (left & conns_of(ports)).is_empty:
            return True
    return False


@register(DENY_SHADOWED, PASS_TO_NOTHING)
def admin_rules(ctx: AuditContext) -> Iterator[Finding]:
    compiled = ctx.cluster.compiled
    if not compiled.has_tiers:
        return
    for d in DIRECTIONS:
        subjects: dict[int, list[int]] = {}  # id(rule) -> subject classes
        rules: dict[int, AdminCompiledRule] = {}
        for ci, per_class in enumerate(compiled.admin_rules[d]):
            for r in per_class:
                subjects.setdefault(id(r), []).append(ci)
                rules[id(r)] = r
        for rid, r in rules.items():
            cis = subjects[rid]
            if r.action == "Deny" and (r.classes or r.ips):
                alive = False
                for ci in cis:
                    order = compiled.admin_rules[d][ci]
                    earlier = order[: order.index(r)]
                    if _left_for(ctx, d, ci, earlier, r.classes, r.ips, r.conns_for, False):
                        alive = True
                        break
                if not alive:
                    yield ctx.finding(
                        DENY_SHADOWED.id,
                        f"{r.label} denies nothing: rules of higher precedence already "
                        f"allow or pass every {d} connection it names.",
                        [_admin_ref(r.policy, d, r.index)],
                        DENY_SHADOWED.fix,
                        direction=d,
                    )
            if r.action == "Pass" and all(
                not compiled.is_isolated(ci, d) and not compiled.baseline_rules[d][ci] for ci in cis
            ):
                yield ctx.finding(
                    PASS_TO_NOTHING.id,
                    f"{r.label} passes {d} traffic, but no NetworkPolicy isolates its subject "
                    "pods and no Baseline rule applies to them: the passed traffic is allowed.",
                    [_admin_ref(r.policy, d, r.index)],
                    PASS_TO_NOTHING.fix,
                    direction=d,
                )


@register(NP_OVERRIDDEN)
def overridden(ctx: AuditContext) -> Iterator[Finding]:
    compiled = ctx.cluster.compiled
    if not compiled.has_tiers:
        return
    for pi, pol in ctx.policies():
        for rule in ctx.rules(pi):
            d = rule.direction
            targets = indexes_of(compiled.policy_targets[pi])
            if not targets or not (rule.classes or rule.ips):
                continue
            if any(
                _left_for(
                    ctx,
                    d,
                    ci,
                    compiled.admin_rules[d][ci],
                    rule.classes,
                    rule.ips,
                    rule.conns_for,
                    True,
                )
                for ci in targets
            ):
                continue
            yield ctx.finding(
                NP_OVERRIDDEN.id,
                f"{rule.label} has no effect: the Admin tier allows or denies every {d} "
                "connection it names before NetworkPolicy is consulted.",
                [ObjectRef.policy(pol, "spec", d, rule.index)],
                NP_OVERRIDDEN.fix,
                direction=d,
            )
