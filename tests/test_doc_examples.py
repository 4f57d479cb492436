"""The examples users copy run as written: `pycon` blocks in README.md and docs/, and the
`>>>` examples in the library's docstrings."""

from __future__ import annotations

import doctest
import importlib
import os
import re
from collections.abc import Iterator

import pytest

from paths import ROOT

BLOCK = re.compile(r"^```pycon\n(.*?)^```", re.S | re.M)


def _doc_blocks() -> Iterator[tuple[str, int, str]]:
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for m in BLOCK.finditer(text):
            line = text.count("\n", 0, m.start()) + 2
            yield str(path.relative_to(ROOT)), line, m.group(1)


def _modules_with_examples() -> list[str]:
    src = ROOT / "src"
    names = []
    for f in sorted((src / "netreach").rglob("*.py")):
        if ">>>" in f.read_text(encoding="utf-8"):
            parts = f.relative_to(src).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _run(test: doctest.DocTest) -> None:
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    cwd = os.getcwd()
    os.chdir(ROOT)  # the examples name examples/... relative to the project
    try:
        runner.run(test, out=out.append)
    finally:
        os.chdir(cwd)
    assert runner.failures == 0, "".join(out)
    assert runner.tries > 0


@pytest.mark.parametrize(("doc", "line", "block"), list(_doc_blocks()), ids=lambda v: str(v)[:40])
def test_doc_block_runs(doc: str, line: int, block: str) -> None:
    test = doctest.DocTestParser().get_doctest(block, {}, doc, doc, line)
    _run(test)


@pytest.mark.parametrize("module", _modules_with_examples())
def test_docstring_examples_run(module: str) -> None:
    tests = doctest.DocTestFinder().find(importlib.import_module(module))
    tests = [t for t in tests if t.examples]
    assert tests, f"{module} mentions >>> but doctest finds no example"
    for t in tests:
        _run(t)


def test_readme_has_examples() -> None:
    assert any(doc == "README.md" for doc, _, _ in _doc_blocks())
