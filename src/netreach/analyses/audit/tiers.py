"""Admin-tier checks: rules the tier order makes dead or misleading, computed by the engine's
tier walk (engine/tiers.py) over every pod class a rule names and every external address
atom it covers, once per distinct program of the subject pods."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from netreach.analyses.audit.context import AuditContext
from netreach.analyses.audit.findings import Finding, ObjectRef
from netreach.analyses.audit.registry import CheckInfo, register
from netreach.engine.compile import PortsKey
from netreach.engine.rules import AnyRule
from netreach.engine.selectors import indexes_of
from netreach.engine.tiers import Program, Stage
from netreach.model import DIRECTIONS, AdminPolicy, Direction

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


def _stages_before(program: Program, rule: AnyRule) -> Program:
    """The program's rules that come before `rule`: earlier stages, and the rules of its own
    stage written before it (that stage last)."""
    out: list[Stage] = []
    for stage in program.stages:
        if rule in stage.rules:
            out.append(Stage(stage.tier, stage.rules[: stage.rules.index(rule)], stage.closed))
            break
        out.append(stage)
    return Program(tuple(out))


def _admin_stages(program: Program) -> Program:
    """The Admin stage alone, as NetworkPolicy finds what it left (passed counts as left)."""
    return Program(tuple(s for s in program.stages if s.tier == "Admin"))


def _by_program(
    ctx: AuditContext, classes: Iterable[int], d: Direction
) -> dict[tuple[Program, PortsKey | None], int]:
    """Subject classes grouped as the matrix groups rows (one walk answers for the group)."""
    compiled = ctx.cluster.compiled
    out: dict[tuple[Program, PortsKey | None], int] = {}
    for ci in classes:
        program = compiled.program(ci, d)
        own = compiled.classes[ci].ports if d == "ingress" else None
        out.setdefault((program, own), ci)
    return out


@register(DENY_SHADOWED, PASS_TO_NOTHING)
def admin_rules(ctx: AuditContext) -> Iterator[Finding]:
    compiled = ctx.cluster.compiled
    if not compiled.has_tiers:
        return
    matrix = ctx.cluster.matrix
    for ai, pol in enumerate(compiled.admin_policies):
        targets = indexes_of(compiled.admin_targets[ai])
        for d in DIRECTIONS:
            groups = _by_program(ctx, targets, d)
            for r in compiled.admin_policy_rules[ai][d]:
                if r.action == "Deny" and (r.classes or r.ips) and groups:
                    alive = any(
                        matrix.left_after(_stages_before(program, r), d, own, r, False)
                        for program, own in groups
                    )
                    if not alive:
                        yield ctx.finding(
                            DENY_SHADOWED.id,
                            f"{r.label} denies nothing: rules of higher precedence already "
                            f"allow or pass every {d} connection it names.",
                            [_admin_ref(pol, d, r.index)],
                            DENY_SHADOWED.fix,
                            direction=d,
                        )
                if (
                    r.action == "Pass"
                    and targets
                    and all(
                        not program.isolated
                        and not any(s.tier == "Baseline" and s.rules for s in program.stages)
                        for program, _ in groups
                    )
                ):
                    yield ctx.finding(
                        PASS_TO_NOTHING.id,
                        f"{r.label} passes {d} traffic, but no NetworkPolicy isolates its "
                        "subject pods and no Baseline rule applies to them: the passed traffic "
                        "is allowed.",
                        [_admin_ref(pol, d, r.index)],
                        PASS_TO_NOTHING.fix,
                        direction=d,
                    )


@register(NP_OVERRIDDEN)
def overridden(ctx: AuditContext) -> Iterator[Finding]:
    compiled = ctx.cluster.compiled
    if not compiled.has_tiers:
        return
    matrix = ctx.cluster.matrix
    for pi, pol in ctx.policies():
        targets = indexes_of(compiled.policy_targets[pi])
        for rule in ctx.rules(pi):
            d = rule.direction
            if not targets or not (rule.classes or rule.ips):
                continue
            groups = _by_program(ctx, targets, d)
            if any(
                matrix.left_after(_admin_stages(program), d, own, rule, True)
                for program, own in groups
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
