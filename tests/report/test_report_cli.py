"""`netreach report` and `netreach analyze --report`: thin layers over write_report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from reportkit import LESSON


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from netreach.cli import main; main()", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_report_command_writes_the_file_and_says_so(tmp_path: Path):
    out = tmp_path / "report.html"
    proc = run("report", str(LESSON), "--out", str(out), "--title", "Lesson")
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {out}" in proc.stderr
    assert "<title>Lesson</title>" in out.read_text()


def test_report_by_pod(tmp_path: Path):
    out = tmp_path / "report.html"
    assert run("report", str(LESSON), "--out", str(out), "--by", "pod").returncode == 0
    assert '"by":"pod"' in out.read_text()


def test_analyze_writes_the_report_alongside_the_summary(tmp_path: Path):
    out = tmp_path / "a.html"
    proc = run("analyze", str(LESSON), "--report", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "Isolation by namespace" in proc.stdout
    assert out.exists() and f"wrote {out}" in proc.stderr


def test_unwritable_target_is_a_message_not_a_traceback(tmp_path: Path):
    proc = run("report", str(LESSON), "--out", str(tmp_path / "no" / "such" / "r.html"))
    assert proc.returncode == 2
    assert "cannot write the report" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_report_needs_an_output(tmp_path: Path):
    proc = run("report", str(LESSON))
    assert proc.returncode == 2
    assert "--out" in proc.stderr


def test_max_connections_cuts_the_map_and_says_so(tmp_path: Path):
    out = tmp_path / "r.html"
    proc = run("report", str(LESSON), "--out", str(out), "--max-connections", "3")
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stderr and "3 connections" in proc.stderr
    assert "note: The map lists the first 3 allowed connections" in proc.stderr
