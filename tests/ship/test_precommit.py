"""The pre-commit hooks (.pre-commit-hooks.yaml), used as a project would: pre-commit clones
this repository at a commit, installs it in its own environment and runs the hooks on a
repository of policies."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from paths import ROOT
from ship_helpers import copy_checkout, offline_pip

PRE_COMMIT = str(Path(sys.executable).parent / "pre-commit")
HOOKS = ROOT / ".pre-commit-hooks.yaml"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_the_manifest_is_valid_for_pre_commit():
    done = subprocess.run(
        [PRE_COMMIT, "validate-manifest", str(HOOKS)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    ids = [h["id"] for h in yaml.safe_load(HOOKS.read_text())]
    assert ids == ["netreach-validate", "netreach-audit", "netreach-test"]


@pytest.fixture(scope="module")
def hooks_repo(
    wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str, Path, dict[str, str]]:
    """This repository as pre-commit sees it: a git repository at a commit; and a home for
    pre-commit's environments, shared by the tests (the first run installs netreach)."""
    tmp = tmp_path_factory.mktemp("pre-commit")
    src = copy_checkout(tmp / "netreach")
    git(src, "init", "-q", "-b", "main")
    git(src, "add", ".")
    git(src, "commit", "-qm", "netreach")
    return src, git(src, "rev-parse", "HEAD"), tmp / "home", offline_pip(wheelhouse)


def run_hooks(
    tmp: Path, hooks_repo: tuple[Path, str, Path, dict[str, str]], hooks: list[dict[str, object]]
):
    src, rev, home, pip_env = hooks_repo
    repo = tmp / "policies"
    if not repo.exists():
        shutil.copytree(ROOT / "examples" / "policies-only", repo / "deploy")
        shutil.copy(ROOT / "examples" / "policies-only-expectations.yaml", repo / "expect.yaml")
        git(repo, "init", "-q", "-b", "main")
    config = {"repos": [{"repo": str(src), "rev": rev, "hooks": hooks}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    git(repo, "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), **pip_env}
    env.pop("KUBECONFIG", None)
    return subprocess.run(
        [PRE_COMMIT, "run", "--all-files", "--color", "never"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )


@pytest.mark.slow
def test_validate_audit_and_test_pass_on_a_sound_repository(tmp_path, hooks_repo):
    done = run_hooks(
        tmp_path,
        hooks_repo,
        [
            {"id": "netreach-validate", "args": ["deploy/"]},
            {"id": "netreach-audit", "args": ["deploy/"]},
            {"id": "netreach-test", "args": ["deploy/", "-e", "expect.yaml"]},
        ],
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("Passed") == 3


@pytest.mark.slow
def test_audit_fails_at_the_severity_asked(tmp_path, hooks_repo):
    done = run_hooks(
        tmp_path,
        hooks_repo,
        [{"id": "netreach-audit", "args": ["deploy/", "--fail-on", "warning"]}],
    )
    assert done.returncode == 1
    assert "netreach audit" in done.stdout and "Failed" in done.stdout
    assert "world-open" in done.stdout


@pytest.mark.slow
def test_a_broken_promise_fails_the_test_hook(tmp_path, hooks_repo):
    done = run_hooks(tmp_path, hooks_repo, [])  # lays the repository out
    api = tmp_path / "policies" / "deploy" / "api.yaml"
    api.write_text(api.read_text().replace("app: frontend", "app: web"))
    done = run_hooks(
        tmp_path,
        hooks_repo,
        [{"id": "netreach-test", "args": ["deploy/", "-e", "expect.yaml"]}],
    )
    assert done.returncode == 1
    assert "FAIL the frontend reaches the api" in done.stdout


@pytest.mark.slow
def test_a_hook_without_paths_stops_and_never_reads_a_cluster(tmp_path, hooks_repo):
    done = run_hooks(tmp_path, hooks_repo, [{"id": "netreach-validate"}])
    assert done.returncode == 1
    assert "Option '-f' requires an argument" in done.stdout
    assert "kubeconfig" not in done.stdout.lower()
