"""Policies-only repositories on the command line: every output marks the inferred workloads,
analyses run on them, and a gate never passes on an analysis of nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from paths import ROOT

POLICIES_ONLY = str(ROOT / "examples" / "policies-only")
EXPECTATIONS = str(ROOT / "examples" / "policies-only-expectations.yaml")
NOTE = "netreach: note: inferred 13 workloads and 3 namespaces from the policies' selectors"


def test_analyze_is_a_real_analysis_with_inferred_workloads(run):
    code, out, err = run("analyze", POLICIES_ONLY)
    assert code == 0
    assert NOTE in err and "--infer-workloads never" in err
    assert "13 pods in 13 workloads (13 inferred from the policies' selectors)" in out
    assert "shop/frontend[Inferred] => shop/api[Inferred] : TCP 8080" in out
    assert "shop/db[Inferred] accepts" in out


def test_matrix_text_and_json_mark_inferred_workloads(run):
    code, out, _ = run("matrix", POLICIES_ONLY, "-o", "txt")
    assert code == 0
    lines = out.splitlines()
    assert "shop/api[Inferred] => shop/db[Inferred] : TCP 5432" in lines
    assert "shop/job-name[Inferred] => shop/db[Inferred] : TCP 5432" in lines
    assert "observability/prometheus[Inferred] => shop/api[Inferred] : TCP 49152" in lines
    code, out, _ = run("matrix", POLICIES_ONLY, "-o", "json")
    internal = [n for n in json.loads(out)["nodes"] if n["kind"] != "External"]
    assert len(internal) == 13 and {n["kind"] for n in internal} == {"Inferred"}


def test_pod_level_names_mark_inferred_pods(run):
    code, out, _ = run("matrix", POLICIES_ONLY, "--by", "pod", "-o", "txt")
    assert code == 0
    assert "shop/api-inferred => shop/db-inferred : TCP 5432" in out.splitlines()


def test_verbose_lists_each_inferred_workload_and_why(run):
    _, _, err = run("matrix", POLICIES_ONLY, "-o", "txt", "-v")
    assert (
        "shop/db[Inferred] (app=db): peer of NetworkPolicy shop/api egress[0] to[0]; "
        "subject of NetworkPolicy shop/db; peer of NetworkPolicy shop/batch egress[0] to[0]"
    ) in err
    assert (
        "namespace observability (team=observability,kubernetes.io/metadata.name=observability)"
        in err
    )
    assert "named ports assumed on inferred pods: http=80, metrics=49152" in err


def test_audit_json_names_inferred_workloads(run):
    code, out, _ = run("audit", POLICIES_ONLY, "-o", "json", "--fail-on", "never")
    assert code == 0
    report = json.loads(out)
    assert sum(p["pods"] for p in report["posture"]) == 13
    # the representative peers in namespaces the input never defines are nobody's finding
    assert {p["namespace"] for p in report["posture"]} >= {"shop"}
    assert not [
        f
        for f in report["findings"]
        if f["check"].startswith(("no-default-deny", "pod-not-isolated"))
    ]


def test_audit_finds_what_an_inferred_workload_exposes(run, tmp_path: Path):
    repo = tmp_path / "repo"
    shutil.copytree(POLICIES_ONLY, repo)
    (repo / "deny.yaml").unlink()  # no default deny any more
    code, out, _ = run("audit", str(repo), "-o", "json", "--fail-on", "warning")
    assert code == 1
    findings = json.loads(out)["findings"]
    kinds = {o["kind"] for f in findings for o in f["objects"]}
    assert "Inferred" in kinds
    assert any(f["check"] == "pod-not-isolated" for f in findings)


def test_expectations_are_checked_on_inferred_workloads(run):
    code, out, _ = run("test", POLICIES_ONLY, "--expect", EXPECTATIONS)
    assert code == 0, out
    assert "5 expectations: 5 passed, 0 failed" in out


def test_a_broken_promise_fails_on_inferred_workloads(run, tmp_path: Path):
    repo = tmp_path / "repo"
    shutil.copytree(POLICIES_ONLY, repo)
    api = repo / "api.yaml"
    api.write_text(api.read_text().replace("app: frontend", "app: web"))
    code, out, _ = run("test", str(repo), "--expect", EXPECTATIONS)
    assert code == 1
    assert "FAIL the frontend reaches the api" in out


def test_exposure_names_inferred_workloads(run):
    code, out, _ = run("exposure", POLICIES_ONLY)
    assert code == 0
    assert "shop/frontend[Inferred] <= every pod of namespace ingress-nginx : TCP 80" in out


def test_diff_of_two_policies_only_trees_shows_exactly_the_change(run, tmp_path: Path):
    """Dropping an exclusion (`legacy DoesNotExist`) opens the database to legacy batch jobs:
    the pod at that boundary, inferred on both sides alike, shows it."""
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(POLICIES_ONLY, old)
    shutil.copytree(POLICIES_ONLY, new)
    db = new / "db.yaml"
    lines = db.read_text().splitlines(keepends=True)
    db.write_text("".join(line for line in lines if "legacy, operator" not in line))
    code, out, _ = run("diff", str(old), str(new), "-o", "json", "--fail-on", "added")
    assert code == 1
    changes = json.loads(out)["changes"]
    assert [(c["kind"], c["src"], c["dst"]) for c in changes] == [
        ("added", "shop/job-name-legacy[Inferred]", "shop/db-dev[Inferred]"),
        ("added", "shop/job-name-legacy[Inferred]", "shop/db[Inferred]"),
    ]
    assert run("diff", str(old), str(old), "--fail-on", "added")[0] == 0


def test_never_leaves_policies_only_input_unanalysed_and_gates_say_so(run):
    for args in (
        ("audit", POLICIES_ONLY),
        ("test", POLICIES_ONLY, "--expect", EXPECTATIONS),
        ("exposure", POLICIES_ONLY, "--fail"),
    ):
        code, out, err = run(*args, "--infer-workloads", "never")
        assert code == 2, args
        assert "nothing to analyse: the input has 6 policies but no pods" in err
        assert out == ""


@pytest.mark.parametrize(
    "args",
    [
        ("audit",),
        ("audit", "--fail-on", "warning"),
        ("test", "--expect", EXPECTATIONS),
        ("exposure", "--fail"),
    ],
    ids=["audit", "audit-warning", "test", "exposure-fail"],
)
def test_an_empty_input_fails_every_gate(run, tmp_path: Path, args: tuple[str, ...]):
    (tmp_path / "configmap.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {}\n"
    )
    code, _, err = run(args[0], str(tmp_path), *args[1:])
    assert code == 2
    assert "nothing to analyse: the input has no pods and no policies" in err


def test_an_empty_diff_fails_its_gate_only(run, tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    assert run("diff", str(a), str(b), "--fail-on", "added")[0] == 2
    code, _, err = run("diff", str(a), str(b))
    assert code == 0 and "nothing to analyse" in err


def test_non_gates_say_nothing_was_analysed(run, tmp_path: Path):
    code, out, err = run("matrix", str(tmp_path), "-o", "txt")
    assert code == 0 and out == ""
    assert "netreach: note: nothing to analyse: the input has no pods and no policies" in err
    code, out, _ = run("exposure", POLICIES_ONLY, "--infer-workloads", "never")
    assert code == 0
    assert "no workload in the input: nothing was examined" in out
    assert "every workload is isolated" not in out


def test_validate_reports_the_input_as_it_is(run):
    code, out, err = run("validate", POLICIES_ONLY)
    assert code == 0
    assert "0 pods in 0 workloads" in out and "Inferred" not in out + err


def test_input_with_pods_is_never_supplemented_by_default(run):
    code, _, err = run("matrix", str(ROOT / "examples" / "lesson"), "-o", "txt")
    assert code == 0 and "inferred" not in err


def test_always_fills_the_selectors_no_pod_satisfies(run, tmp_path: Path):
    (tmp_path / "all.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: shop, labels: {app: db}}\n"
        "spec: {containers: [{name: c, image: x}]}\n---\n"
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: db, namespace: shop}\n"
        "spec:\n  podSelector: {matchLabels: {app: db}}\n  ingress:\n"
        "  - from:\n    - podSelector: {matchLabels: {app: api}}\n"
    )
    assert "Inferred" not in run("matrix", str(tmp_path), "-o", "txt")[1]
    code, out, err = run("matrix", str(tmp_path), "-o", "txt", "--infer-workloads", "always")
    assert code == 0 and "(--infer-workloads always)" in err
    assert "shop/api[Inferred] => shop/db[Pod] : All Connections" in out.splitlines()
