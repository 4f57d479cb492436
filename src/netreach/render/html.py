"""The self-contained HTML report: one file, every script and style inline, no network.

Safety: the data travels as JSON in a non-executed `<script type="application/json">` with
`<`, `>` and `&` escaped, the page script builds the DOM with `textContent` only, and a
Content-Security-Policy allows no network at all and only our own scripts (by hash), so a
`<script>` hidden in a label or annotation can neither run nor call out.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from netreach.analyses.report import DEFAULT_MAX_EDGES, ReportData, ReportLevel, build_report
from netreach.cluster import Cluster
from netreach.escape import html_text, script_json
from netreach.render.vendor import GraphLibrary, graph_library
from netreach.version import __version__
from netreach.writes import write_file

_SCRIPT_END = re.compile(r"</(script)", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{\{(?:CSP|TITLE|STYLE|DATA|SCRIPTS)\}\}")


@dataclass(frozen=True)
class ReportResult:
    """What was written, for the CLI to tell the user."""

    path: Path
    bytes: int
    nodes: int
    edges: int
    graph_library: str | None  # e.g. "cytoscape.js 3.35.0"; None: the list-only fallback
    notes: tuple[str, ...]


def report_json(data: ReportData) -> dict[str, Any]:
    """The page's data: nodes by index, edges as compact rows, rules in one table."""
    index = {n.id: i for i, n in enumerate(data.nodes)}
    return {
        "title": data.title,
        "by": data.by,
        "version": __version__,
        "generated": _generated().strftime("%Y-%m-%d %H:%M UTC"),
        "counts": data.counts,
        "posture": [
            {
                "namespace": p.namespace,
                "pods": p.pods,
                "ingress_isolated": p.ingress_isolated,
                "egress_isolated": p.egress_isolated,
                "policies": p.policies,
            }
            for p in data.posture
        ],
        "nodes": [
            {
                "id": n.id,
                "name": n.name,
                "kind": n.kind,
                "ns": n.namespace,
                "labels": n.labels,
                "pods": n.pods,
                "iso_in": list(n.isolated_by["ingress"]),
                "iso_out": list(n.isolated_by["egress"]),
                "inferred": n.inferred,
            }
            for n in data.nodes
        ],
        # [src, dst, text, {proto: [[lo, hi]]}, egress rules | null, ingress rules | null]
        "edges": [
            [
                index[e.src],
                index[e.dst],
                str(e.conns),
                e.conns.to_json(),
                list(e.egress_rules) if e.egress_rules is not None else None,
                list(e.ingress_rules) if e.ingress_rules is not None else None,
            ]
            for e in data.edges
        ],
        "rules": [
            {"policy": r.policy, "direction": r.direction, "index": r.index, "at": r.location}
            for r in data.rules
        ],
        "ns_matrix": [[s, d, str(c)] for s, d, c in data.namespace_matrix],
        "findings": [
            {
                "check": f.check,
                "severity": f.severity,
                "message": f.message,
                "objects": [[o.text, o.workload] for o in f.objects],
                "fix": f.fix,
                "workloads": list(f.workloads),
            }
            for f in data.findings
        ],
        "findings_by_severity": data.findings_by_severity,
        "notes": data.notes,
    }


def _generated() -> datetime:
    """Now, or $SOURCE_DATE_EPOCH (reproducible builds): then the same input gives the same
    file, byte for byte."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC)


def _asset(name: str) -> str:
    return resources.files("netreach.render").joinpath("assets", name).read_text("utf-8")


def _script_hash(code: str) -> str:
    digest = hashlib.sha256(code.encode()).digest()
    return "'sha256-" + base64.b64encode(digest).decode() + "'"


def render_html(data: ReportData, library: GraphLibrary | None) -> str:
    """The whole page as one string."""
    app = _asset("report.js")
    # `</script` (any case) would end the element early; `<\/` means the same in JavaScript.
    lib = _SCRIPT_END.sub(r"<\\/\1", library.code) if library is not None else ""
    scripts = [lib, app] if lib else [app]
    csp = "; ".join(
        [
            "default-src 'none'",
            "script-src " + " ".join(_script_hash(s) for s in scripts),
            "style-src 'unsafe-inline'",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    payload = report_json(data)
    payload["graph_library"] = library.label if library is not None else None
    replacements = {
        "{{CSP}}": html_text(csp),
        "{{TITLE}}": html_text(data.title),
        "{{STYLE}}": _asset("report.css"),
        "{{DATA}}": script_json(payload),
        "{{SCRIPTS}}": "".join(f"<script>{s}</script>\n" for s in scripts),
    }
    # One pass over the template only: a title holding "{{DATA}}" stays text.
    return _PLACEHOLDER.sub(lambda m: replacements[m.group(0)], _asset("report.html"))


def write_report(
    cluster: Cluster,
    path: str | Path,
    by: ReportLevel = "workload",
    title: str = "netreach report",
    *,
    namespaces: list[str] | None = None,
    max_edges: int = DEFAULT_MAX_EDGES,
) -> ReportResult:
    """Write the HTML report of `cluster` to `path`; returns what was written."""
    data = build_report(cluster, by, title, namespaces=namespaces, max_edges=max_edges)
    library = graph_library()
    page = render_html(data, library)
    target = Path(path)
    write_file(target, page, "the report")  # never through a link; atomic (writes.py)
    notes = list(data.notes)
    if library is None:
        notes.append(
            "the graph library (cytoscape.js) is not installed: the report shows lists and "
            "the matrix only; see docs/report.md to add it"
        )
    return ReportResult(
        target,
        len(page.encode()),
        len(data.nodes),
        len(data.edges),
        library.label if library else None,
        tuple(notes),
    )
