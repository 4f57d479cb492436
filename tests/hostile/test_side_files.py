"""Files beside the manifests (`.netreach.yaml`, expectations, intents, flows) are as hostile as
the manifests: each goes through the same decoder, limits and error path (exit 2, one located
message per problem, never a traceback)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from hostile_cli import Run, run

from paths import LESSON

Cap = pytest.CaptureFixture[str]

DEEP = "[" * 5000 + "]" * 5000
BIG = "1" * 5000

# name -> (file name, invalid UTF-8, 5,000-level nesting, 5,000-digit integer)
CASES: dict[str, tuple[str, bytes, bytes, bytes]] = {
    "config": (
        ".netreach.yaml",
        b"audit:\n  disable: [\xff]\n",
        f"audit: {DEEP}\n".encode(),
        f"audit:\n  redundancy-budget: {BIG}\n".encode(),
    ),
    "expectations": (
        "e.yaml",
        b'expectations:\n- name: "\xff"\n',
        f"expectations: {DEEP}\n".encode(),
        (
            "expectations:\n- {name: x, from: {namespace: default}, to: {namespace: default}, "
            f"port: {BIG}, expect: allow}}\n"
        ).encode(),
    ),
    "intent": (
        "i.yaml",
        b'allow:\n- "\xff"\n',
        f"allow: {DEEP}\n".encode(),
        f"allow: {BIG}\n".encode(),
    ),
    "flows": (
        "f.jsonl",
        b'{"flow": "\xff"}\n',
        ('{"flow": ' + DEEP + "}\n").encode(),
        ('{"flow": {"l4": {"TCP": {"destination_port": ' + BIG + "}}}}\n").encode(),
    ),
}


def command(kind: str, path: str) -> list[str]:
    return {
        "config": ["audit", LESSON, "--config", path],
        "expectations": ["test", LESSON, "--expect", path],
        "intent": ["generate", LESSON, "--intent", path],
        "flows": ["generate", LESSON, "--flows", path],
    }[kind]


EXPECTED = {
    "utf8": r"invalid UTF-8 \(byte 0xff at line {line}\); expected UTF-8 text",
    "deep": "exceeded maximum nesting depth|depth limit exceeded",
    "int": "integer of 5,000 digits is too large|not JSON",
}


def one_problem(r: Run, name: str) -> str:
    assert r.code == 2, r.err
    assert r.err.splitlines()[-1] == "netreach: 1 problem in the input", r.err
    (problem,) = r.problems
    assert problem.startswith(name), problem
    return problem


@pytest.mark.parametrize("kind", CASES)
@pytest.mark.parametrize("shape", ["utf8", "deep", "int"])
def test_hostile_side_file_is_one_located_problem(
    capsys: Cap, tmp_path: Path, kind: str, shape: str
) -> None:
    name, utf8, deep, big = CASES[kind]
    data = {"utf8": utf8, "deep": deep, "int": big}[shape]
    path = tmp_path / name
    path.write_bytes(data)
    if shape == "int" and kind != "flows":
        # YAML: go-yaml (kubectl) reads a 5,000-digit plain integer as text (its float parse
        # overflows); whatever the file's reader makes of it, never a traceback
        r = run(capsys, *command(kind, str(path)))
        assert r.code in (0, 1, 2) and "Traceback" not in r.err, r.err
        return
    problem = one_problem(run(capsys, *command(kind, str(path))), str(path))
    pattern = EXPECTED[shape].format(line=1 if kind == "flows" else 2)
    assert re.search(pattern, problem), problem


@pytest.mark.parametrize("kind", CASES)
def test_side_file_over_the_size_limit_is_refused_unread(
    capsys: Cap, tmp_path: Path, kind: str
) -> None:
    name = CASES[kind][0]
    path = tmp_path / name
    with open(path, "wb") as f:
        f.truncate(1 << 30)  # sparse: reading it would take a gigabyte
    r = run(capsys, *command(kind, str(path)), "--max-input-bytes", "1000")
    problem = one_problem(r, str(path))
    assert "1,073,741,824 bytes, over the limit of 1,000" in problem


@pytest.mark.parametrize("kind", CASES)
def test_side_file_as_an_endless_stream_is_read_capped(capsys: Cap, kind: str) -> None:
    """Named on the command line, a device is read, only up to the limit plus one byte."""
    r = run(capsys, *command(kind, "/dev/zero"), "--max-input-bytes", "1000")
    assert one_problem(r, "/dev/zero") == (
        "/dev/zero: over the size limit of 1,000 bytes; raise it with --max-input-bytes"
    )


@pytest.mark.parametrize("kind", ["config", "expectations", "intent"])
def test_yaml_side_files_share_the_alias_limit(capsys: Cap, tmp_path: Path, kind: str) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    bomb += "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    name = CASES[kind][0]
    path = tmp_path / name
    path.write_text(bomb)
    r = run(capsys, *command(kind, str(path)), "--max-alias-nodes", "100")
    problem = one_problem(r, str(path))
    assert "YAML aliases expand the document by" in problem and "--max-alias-nodes" in problem


@pytest.mark.parametrize("kind", ["config", "expectations", "intent"])
def test_yaml_side_files_report_duplicate_keys(capsys: Cap, tmp_path: Path, kind: str) -> None:
    top = {"config": "audit", "expectations": "expectations", "intent": "allow"}[kind]
    path = tmp_path / CASES[kind][0]
    path.write_text(f"{top}: []\n{top}: []\n")
    problem = one_problem(run(capsys, *command(kind, str(path))), str(path))
    assert problem == (
        f'{path}:2: duplicate key "{top}" (strict decoding error; kubectl would silently keep '
        "the last one)"
    )


def test_stdin_closed_is_one_message(capsys: Cap, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", None)
    r = run(capsys, "validate", "-")
    assert r.code == 2
    assert r.problems == ["<stdin>: cannot read: standard input is closed"]


def _repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "deploy").mkdir()
    return tmp_path


def test_config_found_at_the_repository_root_is_named_on_stderr(
    capsys: Cap, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(tmp_path)
    (repo / ".netreach.yaml").write_text("audit:\n  disable: [dns-blocked]\n")
    monkeypatch.chdir(repo / "deploy")
    r = run(capsys, "audit", LESSON, "-o", "json")
    assert f"netreach: note: audit settings from {repo}/.netreach.yaml" in r.err.splitlines()
    assert '"dns-blocked"' not in r.out


@pytest.mark.parametrize("target", ["/dev/stdout", "/proc/self/environ", "fifo"])
def test_config_found_at_the_root_must_be_a_regular_file_inside_the_repository(
    capsys: Cap, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    """A pull request controls `.netreach.yaml`: a link to a device would hang, a link out of
    the checkout would read (and quote) a file outside it."""
    repo = _repo(tmp_path)
    if target == "fifo":
        os.mkfifo(repo / ".netreach.yaml")
    else:
        (repo / ".netreach.yaml").symlink_to(target)
    monkeypatch.chdir(repo / "deploy")
    r = run(capsys, "audit", LESSON)
    problem = one_problem(r, f"{repo}/.netreach.yaml")
    assert "not read" in problem


def test_config_named_with_dev_null_means_no_settings(
    capsys: Cap, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--config /dev/null` pins the defaults, whatever the pull request's `.netreach.yaml`."""
    repo = _repo(tmp_path)
    (repo / ".netreach.yaml").write_text("audit:\n  disable: [dns-blocked]\n")
    monkeypatch.chdir(repo)
    r = run(capsys, "audit", LESSON, "-o", "json", "--config", os.devnull)
    assert '"dns-blocked"' in r.out
    assert "audit settings from" not in r.err


def test_flows_csv_with_a_bare_carriage_return_is_a_located_problem(
    capsys: Cap, tmp_path: Path
) -> None:
    """Found by the side-file fuzzing: the csv module raised on a CR inside a field."""
    path = tmp_path / "f.csv"
    path.write_bytes(b"default/web,default/db,5432,TCP\ndefault/web,\r,1,TCP\n")
    problem = one_problem(run(capsys, *command("flows", str(path))), str(path))
    assert problem.startswith(f"{path}:2: not CSV: new-line character seen in unquoted field")
