"""Markdown rendering of an audit (a pull-request comment or a CI summary)."""

from __future__ import annotations

from netreach.analyses.audit import AuditReport
from netreach.escape import markdown as md
from netreach.escape import terminal
from netreach.render.audit_text import guard_caption, guarded_share


def _fence(text: str) -> str:
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}yaml\n{text}\n{ticks}" if ":" in text else f"{ticks}\n{text}\n{ticks}"


def render_audit_md(report: AuditReport) -> str:
    c = report.counts()
    out = [
        "# netreach audit",
        "",
        f"**{c['error']} error(s), {c['warning']} warning(s), {c['info']} info**",
        "",
        "| namespace | pods | ingress isolated | egress isolated | policies | errors "
        "| warnings | info |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in report.posture:
        f = p.findings
        ingress = guarded_share(p.ingress_isolated, p.ingress_guarded, p.pods, False)
        egress = guarded_share(p.egress_isolated, p.egress_guarded, p.pods, False)
        out.append(
            f"| {md(p.namespace)} | {p.pods} | {ingress} | {egress} | {p.policies} "
            f"| {f['error']} | {f['warning']} | {f['info']} |"
        )
    guards = [
        (p.namespace, d, ps) for p in report.posture for d, ps in sorted(p.tier_guards.items())
    ]
    if guards:
        out.append("")
        out += [f"- {md(line)}" for line in guard_caption(guards, escape=False)]
    out.append("")
    out += [f"> {md(note)}" for note in report.notes]
    for finding in report.findings:
        out.append(f"### {finding.severity}: `{finding.check}`")
        out.append("")
        out.append(md(finding.message))
        out.append("")
        for o in finding.objects:
            where = f" at {md(o.location)}" if o.location else ""
            out.append(f"- {md(str(o))}{where}")
        out.append("")
        if finding.fix:
            head, _, rest = finding.fix.partition("\n")
            out.append(f"**Fix:** {md(head)}")
            if rest:
                out.append("")
                # A code block shows text as it is, but a terminal or log viewer still
                # obeys ESC sequences; mentions and links are inert inside it.
                out.append(_fence(terminal(rest)))
            out.append("")
    return "\n".join(out).rstrip() + "\n"
