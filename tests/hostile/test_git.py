"""`diff --git` reads revisions as a folder is read (docs/inputs.md): sizes checked before any
blob is read, symbolic links followed only inside the paths read."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hostile_cli import run

from netreach.errors import InputError
from netreach.loader import git as gitload
from netreach.loader.git import git_sources
from netreach.loader.limits import Limits

Cap = pytest.CaptureFixture[str]
NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "deploy").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "t")
    (repo / "deploy" / "ns.yaml").write_text(NS.format(name="a"))
    return repo


def commit(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "x")


def test_blob_sizes_are_checked_before_any_blob_is_read(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The finding: a 600 MB blob was read (1.28 GB RSS) before any size check."""
    (repo / "deploy" / "big.yaml").write_bytes(b"#" * 8_000_000)
    commit(repo)
    read: list[str] = []
    real_cat = gitload._cat

    def spy(revision: str, cwd: str, oids: list[str]) -> dict[str, bytes]:
        read.extend(oids)
        return real_cat(revision, cwd, oids)

    monkeypatch.setattr(gitload, "_cat", spy)
    with pytest.raises(InputError) as info:
        git_sources("HEAD", cwd=str(repo), limits=Limits(max_input_bytes=1_000_000))
    assert [str(p) for p in info.value.problems] == [
        "HEAD:deploy/big.yaml: input is over the size limit of 1,000,000 bytes (8,000,000 "
        "bytes so far); raise it with `max_input_bytes`"
    ]
    assert read == []


def test_size_limit_through_the_cli(
    capsys: Cap, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit(repo)
    (repo / "deploy" / "big.yaml").write_bytes(b"#" * 2_000_000)
    commit(repo)
    monkeypatch.chdir(repo)
    r = run(capsys, "diff", "--git", "HEAD~1..HEAD", "--max-input-bytes", "1000000")
    assert r.code == 2
    assert r.problems == [
        "HEAD:deploy/big.yaml: input is over the size limit of 1,000,000 bytes (2,000,000 "
        "bytes so far); raise it with --max-input-bytes"
    ]


def names(repo: Path, *paths: str) -> list[str]:
    return [s.name for s in git_sources("HEAD", paths, cwd=str(repo))]


def test_link_inside_the_paths_is_read_under_its_own_name(repo: Path) -> None:
    (repo / "deploy" / "data").mkdir()
    (repo / "deploy" / "data" / "real.txt").write_text(NS.format(name="b"))
    (repo / "deploy" / "alias.yaml").symlink_to("data/real.txt")
    commit(repo)
    sources = git_sources("HEAD", cwd=str(repo))
    assert [s.name for s in sources] == ["HEAD:deploy/alias.yaml", "HEAD:deploy/ns.yaml"]
    assert sources[0].read_bytes() == NS.format(name="b").encode()


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("/etc/passwd", "a symbolic link to /etc/passwd, outside the repository"),
        ("../../outside.yaml", "a symbolic link to ../../outside.yaml, outside the repository"),
        ("nowhere.yaml", "a symbolic link to nowhere.yaml, not a file of the paths read"),
    ],
)
def test_link_leaving_the_tree_is_refused(repo: Path, target: str, why: str) -> None:
    (repo / "deploy" / "evil.yaml").symlink_to(target)
    commit(repo)
    with pytest.raises(InputError) as info:
        git_sources("HEAD", cwd=str(repo))
    assert [str(p) for p in info.value.problems] == [
        f"HEAD:deploy/evil.yaml: {why}: not read (a link must stay inside the paths read)"
    ]


def test_link_out_of_the_paths_read_is_refused(repo: Path) -> None:
    (repo / "other").mkdir()
    (repo / "other" / "x.yaml").write_text(NS.format(name="x"))
    (repo / "deploy" / "x.yaml").symlink_to("../other/x.yaml")
    commit(repo)
    assert names(repo) == ["HEAD:deploy/ns.yaml", "HEAD:deploy/x.yaml", "HEAD:other/x.yaml"]
    with pytest.raises(InputError, match="not a file of the paths read"):
        names(repo, "deploy")


def test_link_loop_is_refused(repo: Path) -> None:
    (repo / "deploy" / "a.yaml").symlink_to("b.yaml")
    (repo / "deploy" / "b.yaml").symlink_to("a.yaml")
    commit(repo)
    with pytest.raises(InputError) as info:
        git_sources("HEAD", cwd=str(repo))
    assert [str(p) for p in info.value.problems] == [
        "HEAD:deploy/a.yaml: a symbolic link to b.yaml that cannot be followed: a loop",
        "HEAD:deploy/b.yaml: a symbolic link to a.yaml that cannot be followed: a loop",
    ]


def test_non_utf8_path_is_named_with_the_byte_shown(repo: Path) -> None:
    with open(os.fsdecode(bytes(repo) + b"/deploy/bad\xff.yaml"), "w") as f:
        f.write(NS.format(name="c"))
    commit(repo)
    assert "HEAD:deploy/bad\\xff.yaml" in names(repo)
