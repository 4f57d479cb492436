"""The composite GitHub Action (action.yml), run here step by step as a runner would: its
`run` steps execute for real (install into a fresh virtual environment, then the analysis in a
git repository with a pull request's two commits), `${{ }}` expressions are evaluated from the
inputs and contexts, and the `uses` steps (setup-python, upload-sarif) are checked for what
they would receive. `gh` is a stand-in that records the comment it would post."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from paths import ROOT
from ship_helpers import copy_checkout, fresh_venv, offline_pip

ACTION = ROOT / "action.yml"
SCRIPT = ROOT / "action" / "run.sh"
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
FAKE_GH = """#!/bin/sh
printf '%s\\n' "$@" >> "$0.calls"
cp "$5" "$0.body" 2>/dev/null || true
"""


def bin_of(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def test_action_yml_matches_the_github_actions_schema():
    done = subprocess.run(
        [bin_of("check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(ACTION)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_script_passes_shellcheck():
    done = subprocess.run(
        [bin_of("shellcheck"), str(SCRIPT)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout


def test_run_steps_take_inputs_through_env_never_inline():
    """`${{ inputs.x }}` pasted into a script is a command injection (a branch name is text
    anyone writes); every run step reads its inputs from env."""
    for step in yaml.safe_load(ACTION.read_text())["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("name")


class Runner:
    """Just enough of a GitHub runner for this action: contexts, `if:`, env, outputs."""

    def __init__(self, inputs: dict[str, str], github: dict[str, Any], env: dict[str, str]):
        spec = yaml.safe_load(ACTION.read_text())
        self.spec = spec
        self.github = github
        self.env = env
        self.steps: dict[str, dict[str, str]] = {}
        self.inputs = {k: str(v.get("default", "")) for k, v in spec["inputs"].items()}
        self.inputs = {k: self.expand(v) for k, v in self.inputs.items()}
        self.inputs.update(inputs)
        self.used: list[tuple[str, dict[str, str]]] = []
        self.codes: list[int] = []

    def value(self, path: str) -> Any:
        head, *rest = path.split(".")
        node: Any = {
            "inputs": self.inputs,
            "github": self.github,
            "steps": {k: {"outputs": v} for k, v in self.steps.items()},
            "runner": {"temp": self.env["RUNNER_TEMP"]},
        }[head]
        for part in rest:
            node = node.get(part, "") if isinstance(node, dict) else ""
        return node

    def expand(self, text: str) -> str:
        return EXPR.sub(lambda m: str(self.value(m.group(1))), text)

    def condition(self, text: str) -> bool:
        """`always() && a == 'x' && b != ''` (the only forms action.yml uses)."""
        ok = True
        for part in text.split("&&"):
            part = part.strip()
            if part == "always()":
                continue
            m = re.fullmatch(r"([\w.-]+) (==|!=) '(.*)'", part)
            assert m, f"expression the test runner does not know: {part}"
            same = str(self.value(m.group(1))) == m.group(3)
            ok = ok and (same if m.group(2) == "==" else not same)
        return ok

    def run(self) -> None:
        failed = False
        for step in self.spec["runs"]["steps"]:
            cond = step.get("if", "success()")
            if cond == "success()" and failed:
                continue
            if cond != "success()" and not self.condition(cond):
                continue
            if "uses" in step:
                self.used.append(
                    (
                        step["uses"],
                        {k: self.expand(str(v)) for k, v in step.get("with", {}).items()},
                    )
                )
                continue
            output = Path(self.env["RUNNER_TEMP"]) / f"output-{len(self.codes)}"
            output.write_text("")
            env = {**self.env, "GITHUB_OUTPUT": str(output)}
            env.update({k: self.expand(str(v)) for k, v in step.get("env", {}).items()})
            done = subprocess.run(
                ["bash", "-e", "-c", step["run"]],
                env=env,
                cwd=self.env["GITHUB_WORKSPACE"],
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            self.codes.append(done.returncode)
            failed = failed or done.returncode != 0
            if "id" in step:
                self.steps[step["id"]] = dict(
                    line.split("=", 1) for line in output.read_text().splitlines() if "=" in line
                )


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def installed(
    wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, dict[str, str]]:
    """The action's checkout (this repository's files) and a runner's Python with nothing in it;
    the action's install step is what puts netreach there."""
    tmp = tmp_path_factory.mktemp("action")
    action_path = copy_checkout(tmp / "action-checkout")
    python_bin = fresh_venv(tmp / "runner-python")
    return action_path, python_bin, offline_pip(wheelhouse)


def pull_request(tmp: Path) -> tuple[Path, str]:
    """A repository whose pull request drops an exclusion from a policy."""
    repo = tmp / "repo"
    shutil.copytree(ROOT / "examples" / "policies-only", repo / "deploy")
    shutil.copy(ROOT / "examples" / "policies-only-expectations.yaml", repo / "expectations.yaml")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")
    base = git(repo, "rev-parse", "HEAD")
    db = repo / "deploy" / "db.yaml"
    db.write_text(
        "".join(x for x in db.read_text().splitlines(True) if "legacy, operator" not in x)
    )
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "let legacy jobs in")
    return repo, base


def runner_for(
    tmp: Path, installed: tuple[Path, Path, dict[str, str]], repo: Path, pr_base: str, **inputs: str
) -> Runner:
    action_path, python_bin, pip_env = installed
    tools = tmp / "tools"
    tools.mkdir(exist_ok=True)
    gh = tools / "gh"
    gh.write_text(FAKE_GH)
    gh.chmod(0o755)
    temp = tmp / "runner-temp"
    temp.mkdir(exist_ok=True)
    summary = temp / "summary.md"
    env = {
        "PATH": f"{python_bin}{os.pathsep}{tools}{os.pathsep}{os.environ['PATH']}",
        "HOME": os.environ.get("HOME", str(tmp)),
        "GITHUB_ACTION_PATH": str(action_path),
        "GITHUB_WORKSPACE": str(repo),
        "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(temp),
        **pip_env,
    }
    github = {
        "action_path": str(action_path),
        "event_name": "pull_request",
        "event": {"pull_request": {"number": 7, "base": {"sha": pr_base}}},
        "token": "t0ken",
    }
    return Runner(inputs, github, env)


@pytest.mark.slow
def test_the_action_on_a_pull_request(installed, tmp_path):
    repo, base = pull_request(tmp_path)
    r = runner_for(
        tmp_path,
        installed,
        repo,
        base,
        paths="deploy",
        expectations="expectations.yaml",
        **{"diff-fail-on": "added"},
    )
    r.run()
    install, analyse, comment = r.codes
    assert install == 0
    assert analyse == 1  # the diff gate: reachability grew
    assert comment == 0  # still posted (if: always())
    out = r.steps["netreach"]
    assert out["result"] == "fail"
    # the uses: steps get what they need
    (setup, sarif_upload) = r.used
    assert setup == ("actions/setup-python@v5", {"python-version": "3.11"})
    assert sarif_upload[0] == "github/codeql-action/upload-sarif@v3"
    sarif = json.loads(Path(sarif_upload[1]["sarif_file"]).read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["tool"]["driver"]["name"] == "netreach"
    assert Path(out["junit"]).read_text().startswith("<?xml")
    # the comment: every section, posted once on PR 7
    body = Path(out["comment"]).read_text()
    assert body.startswith("<!-- netreach -->\n## netreach")
    assert f"### Reachability changes against {base[:12]}" in body
    assert "shop/job-name-legacy\\[Inferred\\]" in body  # Markdown-escaped
    assert "5 expectations: 5 passed, 0 failed" in body
    assert "### Audit" in body and "world-open" in body
    calls = (tmp_path / "tools" / "gh.calls").read_text().split("\n")
    assert calls[:4] == ["pr", "comment", "7", "--body-file"]
    assert (tmp_path / "tools" / "gh.body").read_text() == body
    assert (tmp_path / "runner-temp" / "summary.md").read_text() == body


@pytest.mark.slow
def test_the_action_without_a_gate_passes(installed, tmp_path):
    repo, base = pull_request(tmp_path)
    r = runner_for(
        tmp_path, installed, repo, base, paths="deploy", expectations="expectations.yaml"
    )
    r.run()
    assert r.codes == [0, 0, 0] and r.steps["netreach"]["result"] == "pass"


@pytest.mark.slow
def test_nothing_to_analyse_fails_the_action(installed, tmp_path):
    repo, base = pull_request(tmp_path)
    (repo / "empty").mkdir()
    r = runner_for(
        tmp_path, installed, repo, base, paths="empty", base="", fail="false", comment="false"
    )
    r.run()
    assert r.codes[1] == 2  # even with fail: false
    assert r.steps["netreach"]["result"] == "error"
    assert r.steps["netreach"]["sarif"] == ""  # nothing to upload
    assert [u for u, _ in r.used] == ["actions/setup-python@v5"]
    body = Path(r.steps["netreach"]["comment"]).read_text()
    assert "nothing to analyse" in body
