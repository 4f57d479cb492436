"""Paths tests share."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LESSON = str(ROOT / "examples" / "lesson")
SHARED = ROOT.parent / "shared"
