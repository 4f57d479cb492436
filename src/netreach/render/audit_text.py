"""Terminal rendering of an audit: posture table, then findings, most severe first."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from netreach.analyses.audit import AuditReport, Finding, NamespaceSummary
from netreach.render.text import safe

STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole}" + (f" ({100 * part // whole}%)" if whole else "")


def posture_table(rows: list[NamespaceSummary]) -> Table:
    """Per namespace; with admin-tier policies, `+N` after the isolated share counts the
    pods an admin-tier Deny guards instead, and the caption names those policies."""
    table = Table(title="Posture by namespace", header_style="bold", title_justify="left")
    cols = ("namespace", "pods", "ingress isolated", "egress isolated", "policies")
    for col in (*cols, "errors", "warnings", "info"):
        table.add_column(col, justify="left" if col == "namespace" else "right")
    for r in rows:
        table.add_row(
            safe(r.namespace),
            str(r.pods),
            guarded_share(r.ingress_isolated, r.ingress_guarded, r.pods),
            guarded_share(r.egress_isolated, r.egress_guarded, r.pods),
            str(r.policies),
            str(r.findings["error"]),
            str(r.findings["warning"]),
            str(r.findings["info"]),
        )
    guards = [(r.namespace, d, ps) for r in rows for d, ps in sorted(r.tier_guards.items())]
    if guards:
        table.caption = "\n".join(guard_caption(guards))
        table.caption_justify = "left"
    return table


def guarded_share(isolated: int, guarded: int, pods: int, percent: bool = True) -> str:
    """`0/2 (0%) +2`: isolated by NetworkPolicy, plus the pods an admin tier guards."""
    extra = f" +{guarded - isolated}" if guarded > isolated else ""
    return (_share(isolated, pods) if percent else f"{isolated}/{pods}") + extra


def guard_caption(guards: list[tuple[str, str, list[str]]], escape: bool = True) -> list[str]:
    """The caption of a posture table with admin tiers: what `+N` means and who guards
    (`escape`: for the terminal; Markdown escapes on its own)."""
    esc = safe if escape else str
    lines = [
        "+N: pods no NetworkPolicy isolates that an admin-tier Deny, a Calico end-of-tier deny "
        "or Cilium's default deny guards (default deny)"
    ]
    lines += [f"{esc(ns)} {d}: {esc(', '.join(ps))}" for ns, d, ps in guards]
    return lines


def summary_line(report: AuditReport) -> str:
    c = report.counts()
    return f"{c['error']} error(s), {c['warning']} warning(s), {c['info']} info"


def print_finding(console: Console, f: Finding, with_fix: bool = True) -> None:
    console.print(
        f"[{STYLE[f.severity]}]{f.severity}[/{STYLE[f.severity]}] [bold]{f.check}[/bold]: "
        f"{safe(f.message)}"
    )
    for o in f.objects:
        where = f" at {safe(o.location)}" if o.location else ""
        console.print(f"    {safe(str(o))}{where}", style="dim")
    if with_fix and f.fix:
        console.print("    fix:", style="green")
        for line in f.fix.splitlines():
            console.print(f"      {safe(line)}", style="green")


def print_audit(report: AuditReport, console: Console, with_fix: bool = True) -> None:
    console.print(posture_table(report.posture))
    console.print()
    for f in report.findings:
        print_finding(console, f, with_fix)
    for note in report.notes:
        console.print(f"note: {safe(note)}", style="dim")
    console.print(f"\n[bold]Audit:[/bold] {summary_line(report)}")


def print_audit_summary(report: AuditReport, console: Console) -> None:
    """The few lines `analyze` shows: counts, by check."""
    console.print(f"[bold]Audit:[/bold] {summary_line(report)}")
    for check, n in report.by_check().items():
        worst = next(f.severity for f in report.findings if f.check == check)
        console.print(f"    [{STYLE[worst]}]{check}[/{STYLE[worst]}]: {n}")
    if report.findings:
        console.print("    details and fixes: netreach audit PATH...", style="dim")
