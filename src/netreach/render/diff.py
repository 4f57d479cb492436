"""A `DiffReport` as colored text, JSON, Markdown (a pull-request comment), CSV, or plain lines."""

from __future__ import annotations

import csv
from typing import IO

import orjson
from rich.console import Console
from rich.text import Text

from netreach.analyses.diff import CHANGE_KINDS, Change, DiffReport, Why
from netreach.escape import csv_cell, markdown, one_line
from netreach.render.addresses import shown

FORMATS = ("text", "json", "md", "csv")  # and "txt": one line per change (not listed)

_MARK = {"added": ("+", "green"), "removed": ("-", "red"), "changed": ("~", "yellow")}
_TITLE = {"added": "Added", "removed": "Removed", "changed": "Changed"}


def conns_change(c: Change, compat: bool = False) -> str:
    if compat:
        return f"{c.before.compat_text()} -> {c.after.compat_text()}"
    if c.kind == "added":
        return str(c.after)
    if c.kind == "removed":
        return str(c.before)
    return f"{c.before} -> {c.after}"


def _endpoints_note(c: Change) -> str:
    notes = [f"{n} appeared" for n in c.appeared] + [f"{n} vanished" for n in c.vanished]
    return "; ".join(notes)


def side_lines(c: Change, side: str) -> list[str]:
    """The reasons on one side of a change; `absent` when an endpoint does not exist there."""
    missing = c.appeared if side == "old" else c.vanished
    if missing:
        return ["absent"]
    whys: tuple[Why, ...] = c.old if side == "old" else c.new
    return [str(w) for w in whys]


def print_text(report: DiffReport, console: Console) -> None:
    console.print(Text(one_line(report.summary()), style="bold"))
    for label, nodes in (("appeared", report.appeared), ("vanished", report.vanished)):
        for node in nodes:
            console.print(Text(f"  {label}: {one_line(node)}"))
    for c in report.changes:
        mark, style = _MARK[c.kind]
        line = Text(f"{mark} {c.kind:<7} ", style=f"bold {style}")
        src, dst = one_line(shown(c.src)), one_line(shown(c.dst))
        line.append(f"{src} => {dst} : {conns_change(c)}", style=style)
        console.print(line)
        note = _endpoints_note(c)
        if note:
            console.print(Text(f"    ({one_line(note)})", style="dim"))
        for side in ("old", "new"):
            for why in side_lines(c, side):
                console.print(Text(f"    {side}: {one_line(why)}", style="dim"))


def write_json(report: DiffReport, out: IO[str]) -> None:
    out.write(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")


def write_txt(report: DiffReport, out: IO[str], compat: bool = False) -> None:
    """One line per change; with `compat`, netpol-analyzer's diff line format."""
    for c in report.changes:
        if compat:
            src, dst = (
                f"{n}[External]" if ext else n
                for n, ext in zip((c.src, c.dst), c.external, strict=True)
            )
            line = (
                f"diff-type: {c.kind}, source: {src}, destination: {dst}, "
                f"ref1: {c.before.compat_text()}, ref2: {c.after.compat_text()}"
            )
            note = _endpoints_note(c)
            if note:
                line += f", workloads-diff-info: {note}"
        else:
            line = f"{c.kind} {shown(c.src)} => {shown(c.dst)} : {conns_change(c)}"
        out.write(one_line(line) + "\n")


def write_csv(report: DiffReport, out: IO[str]) -> None:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["kind", "src", "dst", "before", "after", "old", "new", "endpoints"])
    for c in report.changes:
        w.writerow(
            [
                csv_cell(one_line(x))
                for x in (
                    c.kind,
                    c.src,
                    c.dst,
                    str(c.before),
                    str(c.after),
                    " | ".join(str(w) for w in c.old),
                    " | ".join(str(w) for w in c.new),
                    _endpoints_note(c),
                )
            ]
        )


def write_md(report: DiffReport, out: IO[str], max_rows: int = 200) -> None:
    """A summary line, then one table per kind of change (at most `max_rows` rows each)."""
    n = report.counts
    if not report:
        out.write(f"**netreach diff** (by {report.by}): no reachability change.\n")
        return
    out.write(
        f"**netreach diff** (by {report.by}): **{n['added']} added**, "
        f"**{n['removed']} removed**, **{n['changed']} changed** connections"
    )
    if report.appeared:
        out.write(f"; appeared: {', '.join(markdown(a) for a in report.appeared)}")
    if report.vanished:
        out.write(f"; vanished: {', '.join(markdown(v) for v in report.vanished)}")
    out.write("\n")
    for kind in CHANGE_KINDS:
        rows = report.of_kind(kind)
        if not rows:
            continue
        out.write(f"\n### {_TITLE[kind]} ({len(rows)})\n\n")
        out.write("| source | destination | before | after | old side | new side |\n")
        out.write("|---|---|---|---|---|---|\n")
        for c in rows[:max_rows]:
            cells = [
                markdown(shown(c.src)),
                markdown(shown(c.dst)),
                markdown(str(c.before)),
                markdown(str(c.after)),
                "<br>".join(markdown(w) for w in side_lines(c, "old")),
                "<br>".join(markdown(w) for w in side_lines(c, "new")),
            ]
            out.write("| " + " | ".join(cells) + " |\n")
        if len(rows) > max_rows:
            out.write(f"\n… and {len(rows) - max_rows} more (see the json or csv output)\n")


def render(
    report: DiffReport, fmt: str, out: IO[str], console: Console, compat: bool = False
) -> None:
    if fmt == "text":
        print_text(report, console)
    elif fmt == "json":
        write_json(report, out)
    elif fmt == "md":
        write_md(report, out)
    elif fmt == "csv":
        write_csv(report, out)
    else:
        write_txt(report, out, compat)
