"""The lesson's report, written once per module and opened in Chromium per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import netreach
from netreach.render.html import write_report
from reportkit import LESSON, OpenedPage, chromium, need_graph_library, open_report

__all__ = ["chromium"]  # the session fixture, for every test module here


@pytest.fixture(scope="module")
def lesson_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    need_graph_library()
    out = tmp_path_factory.mktemp("report") / "lesson.html"
    # a relative path, so the rules' file:line read as in the repository (docs screenshot)
    write_report(netreach.load(os.path.relpath(LESSON)), out, title="netreach report: the lesson")
    return out


@pytest.fixture
def lesson(chromium: Any, lesson_file: Path) -> Iterator[OpenedPage]:
    opened = open_report(chromium, lesson_file)
    yield opened
    opened.page.close()
