"""SARIF 2.1.0 for code scanning (GitHub shows each result on the line it points at)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from netreach.analyses.audit import CHECKS, AuditReport, Finding, ObjectRef
from netreach.analyses.audit.findings import split_location
from netreach.version import __version__

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
DOCS = "docs/audit.md"


def _uri(file: str, root: Path) -> str | None:
    """A repository-relative URI when the file is under `root`; None for stdin."""
    if file in ("-", "<stdin>", ""):
        return None
    p = Path(file)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(root.resolve())
        except ValueError:
            return p.resolve().as_uri()
    return Path(os.path.normpath(p)).as_posix()


def _location(ref: ObjectRef, root: Path) -> dict[str, Any] | None:
    if not ref.location:
        return None
    file, line = split_location(ref.location)
    uri = _uri(file, root)
    if uri is None:
        return None
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
    if line is not None:
        physical["region"] = {"startLine": line}
    return {
        "physicalLocation": physical,
        "logicalLocations": [{"name": ref.name, "fullyQualifiedName": str(ref), "kind": "object"}],
    }


def _result(f: Finding, index: dict[str, int], root: Path) -> dict[str, Any]:
    locations = [loc for o in f.objects if (loc := _location(o, root)) is not None]
    result: dict[str, Any] = {
        "ruleId": f.check,
        "ruleIndex": index[f.check],
        "level": LEVEL[f.severity],
        "message": {"text": f"{f.message}\nFix: {f.fix}"},
        # Stable across runs and line moves, so code scanning keeps one alert per problem.
        "partialFingerprints": {"netreachFinding/v1": _fingerprint(f)},
        "properties": {
            "objects": [o.to_dict() for o in f.objects],
            "fix": f.fix,
            "severity": f.severity,
        },
    }
    if locations:
        result["locations"] = locations[:1]
        if len(locations) > 1:
            result["relatedLocations"] = [
                {"id": i, **loc} for i, loc in enumerate(locations[1:], start=1)
            ]
    return result


def to_sarif(report: AuditReport, root: str | Path = ".") -> dict[str, Any]:
    """The report as one SARIF run; file URIs relative to `root` (the repository)."""
    base = Path(root)
    ids = list(CHECKS)
    index = {cid: i for i, cid in enumerate(ids)}
    rules = [
        {
            "id": c.id,
            "name": "".join(w.capitalize() for w in c.id.split("-")),
            "shortDescription": {"text": c.title},
            "fullDescription": {"text": c.why},
            "help": {
                "text": f"{c.fix} (netreach {DOCS}, {c.id})",
                "markdown": f"**Why:** {c.why}\n\n**Fix:** {c.fix}",
            },
            "defaultConfiguration": {"level": LEVEL[c.severity]},
            "properties": {"family": c.family},
        }
        for c in CHECKS.values()
    ]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "netreach",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "results": [_result(f, index, base) for f in report.findings],
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def _fingerprint(f: Finding) -> str:
    """The check, the objects (without lines) and the message."""
    objects = ";".join(f"{o.kind}/{o.namespace}/{o.name}" for o in f.objects)
    return hashlib.sha256(f"{f.check}|{objects}|{f.message}".encode()).hexdigest()[:32]
