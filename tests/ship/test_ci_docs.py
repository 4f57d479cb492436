"""The recipes of docs/ci.md are valid files of their kind: GitHub workflows and GitLab
pipelines against their SchemaStore schemas (vendored in check-jsonschema), the pre-commit
configuration by pre-commit itself, and every hook id and action input they use exists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from paths import ROOT

DOC = ROOT / "docs" / "ci.md"
BLOCK = re.compile(r"<!-- file: (\S+) -->\n```yaml\n(.*?)```", re.S)
RECIPES = dict(BLOCK.findall(DOC.read_text()))
TOOLS = Path(sys.executable).parent


def test_the_doc_has_a_recipe_for_each_ci():
    assert set(RECIPES) == {
        ".github/workflows/netreach.yml",
        ".github/workflows/netreach-plain.yml",
        ".gitlab-ci.yml",
        ".gitlab-ci-image.yml",
        ".pre-commit-config.yaml",
    }


@pytest.mark.parametrize(
    ("name", "schema"),
    [
        (".github/workflows/netreach.yml", "vendor.github-workflows"),
        (".github/workflows/netreach-plain.yml", "vendor.github-workflows"),
        (".gitlab-ci.yml", "vendor.gitlab-ci"),
        (".gitlab-ci-image.yml", "vendor.gitlab-ci"),
    ],
)
def test_ci_recipes_match_their_schemas(name, schema, tmp_path):
    target = tmp_path / Path(name).name
    target.write_text(RECIPES[name])
    done = subprocess.run(
        [str(TOOLS / "check-jsonschema"), "--builtin-schema", schema, str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_pre_commit_recipe_is_a_valid_config_using_our_hooks(tmp_path):
    target = tmp_path / ".pre-commit-config.yaml"
    target.write_text(RECIPES[".pre-commit-config.yaml"])
    done = subprocess.run(
        [str(TOOLS / "pre-commit"), "validate-config", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    ours = {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    used = {
        h["id"]
        for r in yaml.safe_load(RECIPES[".pre-commit-config.yaml"])["repos"]
        for h in r["hooks"]
    }
    assert used == ours


def test_the_action_recipe_uses_only_inputs_the_action_has():
    inputs = set(yaml.safe_load((ROOT / "action.yml").read_text())["inputs"])
    steps = yaml.safe_load(RECIPES[".github/workflows/netreach.yml"])["jobs"]["netreach"]["steps"]
    (ours,) = [s for s in steps if "netreach@" in s.get("uses", "")]
    assert set(ours["with"]) <= inputs
    text = DOC.read_text()
    for name in inputs:
        assert f"`{name}`" in text, f"input {name} is not documented"
