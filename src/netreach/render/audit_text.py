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
    table = Table(title="Posture by namespace", header_style="bold", title_justify="left")
    cols = ("namespace", "pods", "ingress isolated", "egress isolated", "policies")
    for col in (*cols, "errors", "warnings", "info"):
        table.add_column(col, justify="left" if col == "namespace" else "right")
    for r in rows:
        table.add_row(
            safe(r.namespace),
            str(r.pods),
            _share(r.ingress_isolated, r.pods),
            _share(r.egress_isolated, r.pods),
            str(r.policies),
            str(r.findings["error"]),
            str(r.findings["warning"]),
            str(r.findings["info"]),
        )
    return table


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
