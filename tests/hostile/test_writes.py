"""Files are written only where asked: never through a symbolic link a pull request committed,
never half-written (writes.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hostile_cli import Run, run

from netreach import writes as files
from paths import LESSON, ROOT

Cap = pytest.CaptureFixture[str]
INTENT = str(ROOT / "examples" / "generate" / "lesson-intent.yaml")
EXPECT = str(ROOT / "examples" / "lesson-expectations.yaml")
VICTIM = "precious\n"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout (where CI runs) and a file outside it that must stay untouched."""
    checkout = tmp_path / "checkout"
    (checkout / ".git").mkdir(parents=True)
    (tmp_path / "victim").write_text(VICTIM)
    (tmp_path / "victim-dir").mkdir()
    monkeypatch.chdir(checkout)
    return checkout


def refused(r: Run, path: str) -> None:
    assert r.code == 2, r.err
    (message,) = [line for line in r.err.splitlines() if line.startswith("netreach: ")]
    assert message.startswith(f"netreach: {path}: "), r.err
    assert "is a symbolic link" in message and "does not write through links" in message
    assert "wrote " not in r.err  # nothing was written before the refusal


def writes(kind: str, target: str) -> list[str]:
    return {
        "report": ["report", LESSON, "--out", target],
        "analyze": ["analyze", LESSON, "--report", target],
        "junit": ["test", LESSON, "--expect", EXPECT, "--junit", target],
        "proof": ["generate", LESSON, "--intent", INTENT, "--proof-json", target],
    }[kind]


@pytest.mark.parametrize("kind", ["report", "analyze", "junit", "proof"])
def test_a_file_that_is_a_link_is_not_written_through(capsys: Cap, repo: Path, kind: str) -> None:
    (repo / "out.html").symlink_to(repo.parent / "victim")
    refused(run(capsys, *writes(kind, "out.html")), f"{repo}/out.html")
    assert (repo.parent / "victim").read_text() == VICTIM


@pytest.mark.parametrize("kind", ["report", "junit", "proof"])
def test_a_folder_that_is_a_link_is_not_written_into(capsys: Cap, repo: Path, kind: str) -> None:
    (repo / "out").symlink_to(repo.parent / "victim-dir")
    refused(run(capsys, *writes(kind, "out/r.html")), f"{repo}/out")
    assert list((repo.parent / "victim-dir").iterdir()) == []


def test_generate_output_folder_that_is_a_link_is_refused(capsys: Cap, repo: Path) -> None:
    (repo / "policies").symlink_to(repo.parent / "victim-dir")
    refused(
        run(capsys, "generate", LESSON, "--intent", INTENT, "--out", "policies"), f"{repo}/policies"
    )
    assert list((repo.parent / "victim-dir").iterdir()) == []


def test_generate_never_writes_through_a_link_in_its_folder(capsys: Cap, repo: Path) -> None:
    (repo / "policies").mkdir()
    (repo / "policies" / "default.yaml").symlink_to(repo.parent / "victim")
    r = run(capsys, "generate", LESSON, "--intent", INTENT, "--out", "policies")
    refused(r, f"{repo}/policies/default.yaml")
    assert (repo.parent / "victim").read_text() == VICTIM


def test_generate_writes_regular_files(capsys: Cap, repo: Path) -> None:
    r = run(capsys, "generate", LESSON, "--intent", INTENT, "--out", "policies")
    assert r.code == 0, r.err
    written = sorted(p.name for p in (repo / "policies").iterdir())
    assert "default.yaml" in written and not [n for n in written if n.startswith(".")]
    mode = (repo / "policies" / "default.yaml").stat().st_mode & 0o777
    assert mode == 0o666 & ~_umask()


def test_snapshot_output_that_is_a_link_is_refused(capsys: Cap, repo: Path) -> None:
    (repo / "snap").symlink_to(repo.parent / "victim-dir")
    r = run(capsys, "snapshot", "-f", LESSON, "--out", "snap")
    refused(r, f"{repo}/snap")
    assert list((repo.parent / "victim-dir").iterdir()) == []


def test_snapshot_honours_max_input_bytes(capsys: Cap, repo: Path) -> None:
    """It was ignored: `snapshot --max-input-bytes 100` saved everything."""
    r = run(capsys, "snapshot", "-f", LESSON, "--out", "snap", "--max-input-bytes", "100")
    assert r.code == 2, r.err
    assert r.problems == [
        f"{LESSON}/namespaces.yaml: input is over the size limit of 100 bytes (352 bytes so "
        "far); raise it with --max-input-bytes"
    ]
    assert not (repo / "snap").exists()


def test_links_above_the_working_tree_are_the_machines_own(
    capsys: Cap, repo: Path, tmp_path: Path
) -> None:
    """`/tmp` is a link on macOS: a path outside the checkout is checked at its end only."""
    (tmp_path / "real").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    r = run(capsys, "report", LESSON, "--out", str(tmp_path / "linked" / "r.html"))
    assert r.code == 0, r.err
    assert (tmp_path / "real" / "r.html").is_file()


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = repo / "r.html"
    target.write_text("old")

    def full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", full)
    with pytest.raises(files.WriteRefused, match="No space left on device"):
        files.write_file(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in repo.iterdir() if p.name != ".git"] == ["r.html"]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
