"""`netreach compile --nft` and `netreach verify` from the command line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from dp_helpers import need_dataplane

LESSON = str(Path(__file__).resolve().parents[2] / "examples" / "lesson")


def _netreach(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    code = "from netreach.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_compile_prints_a_commented_ruleset() -> None:
    done = _netreach("compile", LESSON, "--nft")
    assert done.returncode == 0, done.stderr
    assert "table inet netreach {" in done.stdout
    assert "# default/allow-api-to-db ingress[0]: from podSelector app=api; TCP 5432" in done.stdout
    assert "reject with icmpx type admin-prohibited" in done.stdout


def test_compile_needs_a_backend() -> None:
    assert _netreach("compile", LESSON).returncode == 2


def test_verify_says_what_is_missing() -> None:
    done = _netreach("verify", LESSON, env={**os.environ, "PATH": "/nonexistent"})
    assert done.returncode == 2
    assert "cannot run here: missing" in done.stderr and "`nft`" in done.stderr


@pytest.mark.dataplane
def test_verify_lesson_end_to_end() -> None:
    need_dataplane()
    done = _netreach("verify", LESSON, "--protocols", "tcp,udp", "--parallel", "16")
    assert done.returncode == 0, done.stdout + done.stderr
    match = re.search(r"^(\d+) probes, (\d+) agree", done.stdout, re.M)
    assert match is not None and match[1] == match[2] and int(match[1]) > 0
