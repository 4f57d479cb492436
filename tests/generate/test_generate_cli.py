"""`netreach generate` on the command line: output, proof on stderr, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from clirun import CliResult, run_cli
from paths import LESSON, ROOT

INTENT = str(ROOT / "examples" / "generate" / "lesson-intent.yaml")


def run(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> CliResult:
    return run_cli(capsys, "generate", *args)


def test_exact_intent_prints_yaml_and_the_proof(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run([LESSON, "--intent", INTENT], capsys, monkeypatch)
    assert code == 0
    assert "proof: exactly the intended connections" in err
    docs = list(yaml.safe_load_all(out))
    assert len(docs) == 18 and all(d["kind"] == "NetworkPolicy" for d in docs)


def test_output_directory_gets_one_file_per_namespace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run([LESSON, "--intent", INTENT, "--out", str(tmp_path)], capsys, monkeypatch)
    assert code == 0 and out == "" and f"wrote {tmp_path}/default.yaml" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "backend.yaml",
        "default.yaml",
        "kube-system.yaml",
        "monitoring.yaml",
    ]
    docs = list(yaml.safe_load_all((tmp_path / "backend.yaml").read_text()))
    assert {d["metadata"]["namespace"] for d in docs} == {"backend"}


def test_broader_than_intended_exits_1_unless_allowed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = [LESSON, "--intent", INTENT, "--style", "per-namespace"]
    code, _, err = run(args, capsys, monkeypatch)
    assert code == 1
    assert "pairs differ from the intent" in err and "too many: TCP" in err
    code, _, _ = run([*args, "--allow-broader"], capsys, monkeypatch)
    assert code == 0


def test_missing_connections_exit_1_even_with_allow_broader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "snap.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, labels: {app: web}}\n"
        "spec: {containers: [{name: c, image: i}]}\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: node, labels: {app: node}}\n"
        "spec: {hostNetwork: true, containers: [{name: c, image: i}]}\n"
    )
    (tmp_path / "intent.yaml").write_text("allow: [web -> node:9100]\n")
    args = [str(tmp_path / "snap.yaml"), "--intent", str(tmp_path / "intent.yaml")]
    code, _, err = run([*args, "--allow-broader"], capsys, monkeypatch)
    assert code == 1 and "missing: TCP 9100" in err


def test_intent_errors_exit_2_with_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "intent.yaml"
    bad.write_text("allow:\n  - web -> api\n")
    code, _, err = run([LESSON, "--intent", str(bad)], capsys, monkeypatch)
    assert code == 2 and f"{bad}:2:" in err and "needs a port" in err
    assert "Traceback" not in err


def test_exactly_one_of_intent_or_flows(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run([LESSON], capsys, monkeypatch)
    assert code == 2 and "exactly one of --intent FILE or --flows FILE" in err


def test_flows_from_hubble_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    flows = str(ROOT / "examples" / "generate" / "lesson-flows.jsonl")
    code, out, err = run([LESSON, "--flows", flows], capsys, monkeypatch)
    assert code == 0 and "proof: exactly the intended connections" in err
    assert "lesson-flows.jsonl:7: no TCP/UDP/SCTP destination port; left out" in err
    assert "netreach-ingress-db" in out


def test_proof_as_json_for_ci(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "proof.json"
    args = [LESSON, "--intent", INTENT, "--style", "per-namespace", "--proof-json", str(out)]
    code, _, _ = run(args, capsys, monkeypatch)
    proof = json.loads(out.read_text())
    assert code == 1 and proof["version"] == 1
    assert proof["exact"] is False and proof["broader_only"] is True
    first = proof["differences"][0]
    assert set(first) == {"src", "dst", "extra", "missing", "reason"}
    assert first["missing"] == {} and first["extra"]["TCP"]
