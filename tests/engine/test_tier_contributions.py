"""Admin-tier rules named as reasons where outputs list the rules behind a connection."""

from __future__ import annotations

import shutil
from pathlib import Path

import netreach
from netreach.analyses.diff import diff
from netreach.engine.verdict import contributions
from netreach.model import Pod
from paths import LESSON_DIR as LESSON
from paths import ROOT

TIERS = ROOT / "examples" / "tiers"


def test_contributions_name_the_deciding_admin_rule_with_its_action() -> None:
    c = netreach.load(str(LESSON), str(TIERS))
    agent = c.resolve("monitoring/agent")
    db = c.resolve("default/db")
    assert isinstance(agent, Pod) and isinstance(db, Pod)
    found = [
        (rule, part)
        for rule, part in contributions(c.compiled, "ingress", db, agent)
        if rule.tier != "NetworkPolicy"
    ]
    assert found, "the lesson's db is a subject of the example's admin policy"
    assert all(rule.action in ("Allow", "Deny", "Pass") for rule, _ in found)
    # parts decided within one tier never overlap (first match wins)
    admin_parts = [part for rule, part in found if rule.tier == "Admin"]
    for i, a in enumerate(admin_parts):
        for b in admin_parts[i + 1 :]:
            assert (a & b).is_empty


def test_contributions_empty_without_admin_policies() -> None:
    c = netreach.load(str(LESSON))
    db = c.resolve("default/db")
    agent = c.resolve("monitoring/agent")
    assert isinstance(db, Pod)
    found = contributions(c.compiled, "ingress", db, agent)
    assert found and all(rule.tier == "NetworkPolicy" for rule, _ in found)


def test_diff_names_the_baseline_deny_that_removes_a_connection(tmp_path: Path) -> None:
    new = tmp_path / "new"
    shutil.copytree(LESSON, new)
    shutil.copy(next(TIERS.glob("*.yaml")), new / "tiers.yaml")
    report = diff(netreach.load(str(LESSON)), netreach.load(str(new)))
    text = "\n".join(str(w) for ch in report.changes for w in ch.new)
    assert "[Baseline] BaselineAdminNetworkPolicy/default Deny" in text
