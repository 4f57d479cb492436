"""Paths tests share: import these rather than computing them from `__file__`."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
LESSON_DIR = EXAMPLES / "lesson"
LESSON = str(LESSON_DIR)  # as a command-line argument
SHARED = ROOT.parent / "shared"
