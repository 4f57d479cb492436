"""`netreach diff OLD NEW` and `--git`: formats, exit codes, reading git without the work tree."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import pytest

from paths import LESSON

# The monitoring agent may now also reach the database port.
OPEN_5432 = (
    "        - {protocol: TCP, port: 9187}\n",
    "        - {protocol: TCP, port: 9187}\n        - {protocol: TCP, port: 5432}\n",
)


def _edit(folder: Path, old: str, new: str) -> None:
    path = folder / "policies.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_no_change_prints_zero_counts_and_exits_0(run):
    code, out, _ = run("diff", LESSON, LESSON, "--fail-on", "added")
    assert code == 0
    assert "0 connections changed by workload: 0 added, 0 removed, 0 changed" in out


def test_opened_port_is_shown_with_the_rule_and_fails_on_added(run, lesson_copy):
    _edit(lesson_copy, *OPEN_5432)
    code, out, _ = run("diff", LESSON, str(lesson_copy), "--fail-on", "added")
    assert code == 1
    agent, db = "monitoring/agent[DaemonSet]", "default/db[Deployment]"
    assert f"~ changed {agent} => {db} : TCP 9187 -> TCP 5432,9187" in out
    assert f"new: ingress to {db}: allowed by default/allow-monitoring-to-db ingress[0]" in out
    assert "policies.yaml:" in out
    code, _, _ = run("diff", LESSON, str(lesson_copy), "--fail-on", "removed")
    assert code == 0


def test_json_output_lists_changes_with_sets(run, lesson_copy):
    _edit(lesson_copy, *OPEN_5432)
    code, out, _ = run("diff", LESSON, str(lesson_copy), "-o", "json")
    data = json.loads(out)
    assert code == 0 and data["summary"] == {"added": 0, "removed": 0, "changed": 1}
    (change,) = data["changes"]
    assert change["after_set"] == {"TCP": [[5432, 5432], [9187, 9187]]}
    assert change["new"][1]["allowed_by"][0]["policy"] == "default/allow-monitoring-to-db"


def test_markdown_starts_with_a_summary_line_then_tables(run, lesson_copy):
    _edit(lesson_copy, *OPEN_5432)
    _, out, _ = run("diff", LESSON, str(lesson_copy), "-o", "md")
    lines = out.splitlines()
    assert lines[0].startswith(
        "**netreach diff** (by workload): **0 added**, **0 removed**, **1 changed**"
    )
    assert "### Changed (1)" in lines
    assert "| source | destination | before | after | old side | new side |" in lines


def test_csv_has_one_row_per_change(run, lesson_copy):
    _edit(lesson_copy, *OPEN_5432)
    _, out, _ = run("diff", LESSON, str(lesson_copy), "-o", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["kind"], r["before"], r["after"]) for r in rows] == [
        ("changed", "TCP 9187", "TCP 5432,9187")
    ]


def test_removed_workload_is_reported_as_vanished(run, lesson_copy):
    text = (lesson_copy / "workloads.yaml").read_text()
    docs = [d for d in text.split("\n---\n") if "\n  name: web\n" not in d]
    (lesson_copy / "workloads.yaml").write_text("\n---\n".join(docs))
    code, out, _ = run("diff", LESSON, str(lesson_copy), "-o", "json", "--fail-on", "removed")
    data = json.loads(out)
    assert code == 1
    assert data["vanished"] == ["default/web[Deployment]"]
    assert all(
        c["kind"] == "removed"
        for c in data["changes"]
        if "default/web[Deployment]" in (c["src"], c["dst"])
    )


def test_compat_txt_prints_the_peer_line_format(run, lesson_copy):
    _edit(lesson_copy, *OPEN_5432)
    _, out, _ = run("diff", LESSON, str(lesson_copy), "--compat", "netpol-analyzer", "-o", "txt")
    assert out.splitlines() == [
        "diff-type: changed, source: monitoring/agent[DaemonSet], destination: "
        "default/db[Deployment], ref1: TCP 9187, ref2: TCP 5432,9187"
    ]


def test_one_path_is_a_usage_error(run):
    code, _, err = run("diff", LESSON)
    assert code == 2 and "give OLD and NEW" in err


# --- git ------------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path, lesson_copy: Path) -> Path:
    """A git repository with the lesson in deploy/ at `main`, the opened port on `HEAD` of
    branch `change`, and an uncommitted edit in the work tree."""
    if subprocess.run(["git", "--version"], capture_output=True).returncode != 0:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    deploy = repo / "deploy"
    subprocess.run(["cp", "-r", str(lesson_copy), str(deploy)], check=True)
    (repo / "README.md").write_text("not a manifest\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "lesson")
    _git(repo, "checkout", "-qb", "change")
    _edit(deploy, *OPEN_5432)
    _git(repo, "commit", "-qam", "open 5432 to monitoring")
    # uncommitted: must not be read
    (deploy / "policies.yaml").write_text("this: is not read\n")
    return repo


def test_git_range_reads_both_revisions_without_the_work_tree(run, repo, monkeypatch):
    monkeypatch.chdir(repo)
    before = _git(repo, "status", "--porcelain")
    code, out, _ = run("diff", "--git", "main..HEAD", "-o", "txt", "--fail-on", "added")
    assert code == 1
    assert out.splitlines() == [
        "changed monitoring/agent[DaemonSet] => default/db[Deployment] : TCP 9187 -> TCP 5432,9187"
    ]
    assert _git(repo, "status", "--porcelain") == before


def test_git_paths_limit_the_files_read(run, repo, monkeypatch):
    monkeypatch.chdir(repo / "deploy")
    # only the namespaces and workloads: no policy on either side, so nothing changes
    code, out, _ = run(
        "diff", "--git", "main..change", "-o", "txt", "--", "namespaces.yaml", "workloads.yaml"
    )
    assert code == 0 and out == ""


def test_git_locations_name_the_revision(run, repo, monkeypatch):
    monkeypatch.chdir(repo)
    _, out, _ = run("diff", "--git", "main..change")
    assert "(change:deploy/policies.yaml:" in out
    assert "(main:deploy/policies.yaml:" in out


def test_git_unknown_revision_is_an_error_not_a_traceback(run, repo, monkeypatch):
    monkeypatch.chdir(repo)
    code, _, err = run("diff", "--git", "nosuch..HEAD")
    assert code == 2
    assert "git could not read revision 'nosuch'" in err and "Traceback" not in err


def test_git_paths_matching_no_manifest_are_an_error(run, repo, monkeypatch):
    monkeypatch.chdir(repo)
    code, _, err = run("diff", "--git", "main..change", "--", "deplyo/")
    assert code == 2
    assert "no YAML or JSON file under deplyo/ at main nor at change" in err
