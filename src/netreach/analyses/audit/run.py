"""Run the registered checks over a cluster and summarise the posture per namespace."""

from __future__ import annotations

from collections import Counter

from netreach.analyses.audit.config import AuditConfig
from netreach.analyses.audit.context import AuditContext
from netreach.analyses.audit.findings import (
    SEVERITIES,
    AuditReport,
    Finding,
    NamespaceSummary,
    Severity,
    severity_rank,
    split_location,
)
from netreach.analyses.audit.registry import CHECKS, FAMILIES
from netreach.analyses.posture import posture
from netreach.errors import QueryError
from netreach.query.reach import Reach


def audit(cluster: Reach, config: AuditConfig | None = None) -> AuditReport:
    """Every finding of the enabled checks, most severe first, and the posture summary."""
    config = config or AuditConfig()
    unknown = sorted((set(config.disable) | set(config.severity)) - set(CHECKS))
    if unknown:
        raise QueryError(
            f"unknown check id(s) {', '.join(unknown)}; known: {', '.join(sorted(CHECKS))}"
        )
    ctx = AuditContext(cluster, config)
    ctx.notes.extend(
        f"{key} in the configuration is obsolete and has no effect (every check always runs)"
        for key in config.obsolete
    )
    findings: list[Finding] = []
    for family in FAMILIES:
        if all(i in config.disable for i in family.ids):
            continue
        for f in family.run(ctx):
            if f.check in config.disable or not config.in_scope(f.namespace):
                continue
            override = config.severity.get(f.check)
            if override is not None:
                f.severity = override
            findings.append(f)
    findings.sort(key=_order)
    checks = [c for c in CHECKS if c not in config.disable]
    return AuditReport(findings, _posture(cluster, config, findings), checks, ctx.notes)


def _posture(
    cluster: Reach, config: AuditConfig, findings: list[Finding]
) -> list[NamespaceSummary]:
    per_ns: dict[str, Counter[Severity]] = {}
    for f in findings:
        per_ns.setdefault(f.namespace or "", Counter())[f.severity] += 1
    out: list[NamespaceSummary] = []
    for p in posture(cluster):
        if not config.in_scope(p.namespace):
            continue
        counts = per_ns.get(p.namespace, Counter())
        out.append(
            NamespaceSummary(
                p.namespace,
                p.pods,
                p.ingress_isolated,
                p.egress_isolated,
                p.policies,
                {s: counts.get(s, 0) for s in SEVERITIES},
                p.ingress_guarded,
                p.egress_guarded,
                p.tier_policies,
                {d: list(rules) for d, rules in p.tier_guards.items() if rules},
            )
        )
    return out


def _order(f: Finding) -> tuple[int, str, str, int, str]:
    file, line = split_location(f.location) if f.location else ("", None)
    return (severity_rank(f.severity), f.check, file, line or 0, f.message)
