"""Small helpers for the loader tests: load text as if it were the file t.yaml."""

from __future__ import annotations

from typing import Any

from netreach.errors import InputError
from netreach.loader import load_sources
from netreach.loader.sources import Source
from netreach.model import Snapshot


def snapshot(text: str, name: str = "t.yaml", **kw: Any) -> Snapshot:
    return load_sources([Source(name, text.encode())], **kw)


def errors(text: str, name: str = "t.yaml", **kw: Any) -> list[str]:
    try:
        snapshot(text, name, **kw)
    except InputError as e:
        return [str(p) for p in e.problems]
    raise AssertionError("no error")
