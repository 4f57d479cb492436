"""Helpers for the loader tests: load text as if it were a file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from netreach.errors import InputError
from netreach.loader import load_sources
from netreach.loader.sources import Source
from netreach.model import Snapshot

LoadText = Callable[..., Snapshot]
ErrorsOf = Callable[..., list[str]]


def _load(text: str | bytes, name: str = "t.yaml", **kw: Any) -> Snapshot:
    data = text.encode() if isinstance(text, str) else text
    return load_sources([Source(name, data)], **kw)


@pytest.fixture
def load_text() -> LoadText:
    return _load


@pytest.fixture
def errors_of() -> ErrorsOf:
    """The error messages (str of each Problem) that loading the text raises."""

    def run(text: str | bytes, name: str = "t.yaml", **kw: Any) -> list[str]:
        with pytest.raises(InputError) as info:
            _load(text, name, **kw)
        return [str(p) for p in info.value.problems]

    return run
