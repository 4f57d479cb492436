"""The audit over a peer tool's corpus (../shared/corpora/netpol-analyzer): real-world shapes
of policies must give well-formed findings, never an exception."""

from __future__ import annotations

from pathlib import Path

import pytest

import netreach
from netreach.analyses.audit import CHECKS, SEVERITIES
from netreach.errors import NetreachError
from paths import SHARED

CORPUS = SHARED / "corpora" / "netpol-analyzer"
CASES = sorted((CORPUS / "cases").iterdir()) if (CORPUS / "cases").is_dir() else []


@pytest.mark.skipif(not CASES, reason=f"corpus not present at {CORPUS}")
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_audit_gives_well_formed_findings_on_corpus_case(case: Path) -> None:
    try:
        cluster = netreach.load(str(case / "input"), skip_invalid=True)
    except NetreachError:
        pytest.skip("input refused by the loader (covered by the loader tests)")
    report = cluster.audit()
    for f in report.findings:
        assert f.check in CHECKS and f.severity in SEVERITIES
        assert f.objects and f.message and f.fix
    assert sum(p.pods for p in report.posture) == len(cluster.pods)
