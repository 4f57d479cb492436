"""The Dockerfile. `docker build` cannot run on the development machines nor in CI (no Docker
daemon), so this checks what can be checked without one: hadolint passes, BuildKit's own parser
reads two stages with the shape we promise (multi-stage, non-root, `netreach` as entry point),
the build context lets in exactly what the COPY lines need, and the two stages' commands work
when replayed in virtual environments (the wheels of stage 1 install offline in stage 2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dockerfile
import pytest

from paths import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[dockerfile.Command]:
    return list(dockerfile.parse_file(str(DOCKERFILE)))


def stages() -> list[list[dockerfile.Command]]:
    out: list[list[dockerfile.Command]] = []
    for c in instructions():
        if c.cmd == "FROM":
            out.append([])
        if out:
            out[-1].append(c)
    return out


def test_hadolint_finds_nothing():
    done = subprocess.run(
        [str(Path(sys.executable).parent / "hadolint"), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_two_stages_build_then_runtime():
    build, runtime = stages()
    assert build[0].value[1:] == ("AS", "build") and runtime[0].value[1:] == ("AS", "runtime")
    assert all(
        v[0].startswith("python:${PYTHON_VERSION}-slim") for v in (build[0].value, runtime[0].value)
    )
    # the runtime stage takes only the built wheels from the build stage, never the source
    copies = [c for c in runtime if c.cmd in ("COPY", "ADD")]
    assert [(c.cmd, c.flags, c.value[0]) for c in copies] == [("COPY", ("--from=build",), "/dist")]
    assert not [c for c in instructions() if c.cmd == "ADD"]


def test_runs_as_a_non_root_user_with_netreach_as_entry_point():
    _, runtime = stages()
    cmds = [c.cmd for c in runtime]
    user = runtime[cmds.index("USER")]
    uid = user.value[0].split(":")[0]
    assert uid.isdigit() and int(uid) >= 1000  # numeric: runtimes can check it is not root
    assert max(i for i, c in enumerate(cmds) if c == "RUN") < cmds.index("USER")
    assert f"--uid {uid}" in " ".join(c.value[0] for c in runtime if c.cmd == "RUN")
    entry = runtime[cmds.index("ENTRYPOINT")]
    assert entry.json and entry.value == ("netreach",)  # exec form: signals reach netreach
    assert cmds[-1] == "CMD" and runtime[-1].value == ("--help",)


def test_the_build_context_holds_what_the_copies_need_and_nothing_else():
    ignore = (ROOT / ".dockerignore").read_text().split("\n")
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert "*" in ignore  # everything else stays out (.venv, .git, tests, bench...)
    sources = {v for c in instructions() if c.cmd == "COPY" and not c.flags for v in c.value[:-1]}
    assert {s.rstrip("/") for s in sources} == allowed


@pytest.mark.slow
def test_the_stages_commands_work_replayed_in_virtual_environments(installed_wheel):
    """Stage 1: `pip wheel` of the built wheel gathers every dependency as a wheel (the
    `wheelhouse` fixture runs it); stage 2: `pip install --no-index --find-links` installs
    netreach from those alone, with no index configured (the `installed_wheel` fixture)."""
    out = subprocess.run(
        [str(installed_wheel / "netreach"), "--help"], capture_output=True, text=True, check=True
    )
    assert "netreach" in out.stdout


@pytest.mark.parametrize("line", ["USER root", "USER 0", "ENTRYPOINT netreach"])
def test_the_checks_catch_a_broken_dockerfile(tmp_path, line):
    """The shape checks are not vacuous: a root user or a shell-form entry point fails them."""
    text = DOCKERFILE.read_text()
    if line.startswith("USER"):
        text = text.replace("USER 10001:10001", line)
    else:
        text = text.replace('ENTRYPOINT ["netreach"]', line)
    broken = tmp_path / "Dockerfile"
    broken.write_text(text)
    parsed = list(dockerfile.parse_file(str(broken)))
    entry = next(c for c in parsed if c.cmd == "ENTRYPOINT")
    user = next(c for c in parsed if c.cmd == "USER").value[0].split(":")[0]
    assert not (entry.json and user.isdigit() and int(user) >= 1000)
