"""`netreach test`: exit codes (0 pass, 1 failure, 2 bad file), json and JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from paths import LESSON, ROOT

EXAMPLE = str(ROOT / "examples" / "lesson-expectations.yaml")

FAILING = """expectations:
  - name: web reaches db
    from: {namespace: default, workload: web}
    to: {namespace: default, labels: {app: db}}
    port: 5432
    expect: allow
  - name: api reaches db
    from: {namespace: default, workload: "api[Deployment]"}
    to: {namespace: default, workload: db}
    port: postgres
    expect: allow
"""


def test_the_bundled_example_passes(run):
    import netreach

    results = netreach.check_expectations(
        netreach.load(LESSON), netreach.load_expectations(EXAMPLE)
    )
    assert [r.passed for r in results] == [True] * 4
    code, out, _ = run("test", LESSON, "--expect", EXAMPLE)
    assert code == 0
    assert out.splitlines()[-1] == "4 expectations: 4 passed, 0 failed"


def test_a_failure_exits_1_and_shows_the_pair_and_the_reason(run, tmp_path):
    exp = tmp_path / "e.yaml"
    exp.write_text(FAILING)
    code, out, _ = run("test", LESSON, "--expect", str(exp))
    assert code == 1
    assert f"FAIL web reaches db  ({exp}:2)" in out
    assert "PASS api reaches db" in out
    assert "-> default/db-" in out and ": TCP 5432 denied" in out
    assert "near miss: default/allow-api-to-db ingress[0] opens this port" in out


def test_json_output(run, tmp_path):
    exp = tmp_path / "e.yaml"
    exp.write_text(FAILING)
    code, out, _ = run("test", LESSON, "--expect", str(exp), "-o", "json")
    data = json.loads(out)
    assert code == 1 and (data["passed"], data["failed"]) == (1, 1)
    first = data["results"][0]
    assert first["passed"] is False and first["failures"] == 1
    assert first["offences"][0]["problem"] == "denied"


def test_junit_report_has_one_testcase_per_expectation(run, tmp_path):
    exp = tmp_path / "e.yaml"
    exp.write_text(FAILING)
    report = tmp_path / "report.xml"
    code, _, _ = run("test", LESSON, "--expect", str(exp), "-o", "junit", "--junit", str(report))
    assert code == 1
    root = ET.parse(report).getroot()
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["web reaches db", "api reaches db"]
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("message") == "1 offending pair"
    assert "DENIED" in (failure.text or "")
    assert cases[1].find("failure") is None and cases[0].get("line") == "2"


def test_a_bad_file_exits_2_with_file_and_line(run, tmp_path):
    exp = tmp_path / "e.yaml"
    exp.write_text("expectations:\n  - name: x\n    expect: sometimes\n    to: {pod: a}\n")
    code, out, err = run("test", LESSON, "--expect", str(exp))
    assert code == 2 and out == ""
    assert f"{exp}:3: expectations[0].expect: `expect` is allow or deny" in err
    assert "Traceback" not in err
