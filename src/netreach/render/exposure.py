"""Rendering of `exposure`: terminal text, Markdown, JSON."""

from __future__ import annotations

from typing import TextIO

import orjson
from rich.console import Console

from netreach.analyses.exposure import ExposureReport
from netreach.escape import markdown
from netreach.render.text import heading, safe

FORMATS = ("text", "json", "md")
_TITLES = {
    "ingress": "Ingress: who can open connections to it",
    "egress": "Egress: where it can connect",
}


def print_text(report: ExposureReport, out: Console, workloads: int | None = None) -> None:
    """`workloads`: how many were examined (0: say so rather than "all isolated")."""
    for d in ("ingress", "egress"):
        rows = [e for e in report.exposures if e.direction == d]
        heading(out, f"[bold]{_TITLES[d]}, beyond named peers[/bold]")
        if not rows:
            out.print("nothing beyond named peers", style="green")
        arrow = "<=" if d == "ingress" else "=>"
        for e in rows:
            now = ""
            if e.scope in ("namespaces-by-label", "all-namespaces"):
                now = f" [dim](now: {safe(', '.join(e.namespaces_now) or 'none')})[/dim]"
            out.print(
                f"{safe(e.workload)} {arrow} {safe(e.peer)}{now} : "
                f"[yellow]{safe(e.ports_text)}[/yellow]  [dim]via {safe(', '.join(e.rules))}[/dim]"
            )
    heading(out, "[bold]Not protected: open to everything[/bold]")
    if workloads == 0:
        out.print("no workload in the input: nothing was examined", style="yellow")
    elif not report.unprotected:
        out.print(
            "every workload is isolated, or restricted by an admin tier, in both directions",
            style="green",
        )
    for u in report.unprotected:
        out.print(
            f"{safe(u.workload)} {u.direction}: [red]not protected[/red] "
            f"[dim]({safe(u.reason)})[/dim]"
        )


def write_json(report: ExposureReport, out: TextIO) -> None:
    out.write(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")


def write_markdown(report: ExposureReport, out: TextIO) -> None:
    out.write("| workload | direction | open to | connections | rules |\n")
    out.write("| --- | --- | --- | --- | --- |\n")
    for e in report.exposures:
        out.write(
            f"| {markdown(e.workload)} | {e.direction} | {markdown(e.peer)} | "
            f"{markdown(e.ports_text)} | {markdown(', '.join(e.rules))} |\n"
        )
    for u in report.unprotected:
        out.write(
            f"| {markdown(u.workload)} | {u.direction} | everything (not protected) | "
            f"All Connections | {markdown(u.reason)} |\n"
        )
