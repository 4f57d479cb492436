"""Values quoted in messages: always printable, never huge, never an exception."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netreach.loader.check import MAX_QUOTED, fmt_value


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (float("nan"), "nan"),
        (float("-inf"), "-inf"),
        (10**5000, "<integer>"),
        (b"\x00", "<bytes>"),
        ({1, 2}, "<set>"),
        ("x" * 2000, '"' + "x" * MAX_QUOTED + '"... (2,000 characters)'),
        ("\x1b[31m", '"\\u001b[31m"'),
    ],
    ids=["nan", "inf", "huge-int", "bytes", "set", "long-string", "escape"],
)
def test_fmt_value(value: Any, shown: str) -> None:
    assert fmt_value(value) == shown


def test_fmt_value_of_deep_nesting() -> None:
    deep: Any = []
    for _ in range(2000):
        deep = [deep]
    assert fmt_value(deep) == "<array>"


@given(st.recursive(st.none() | st.floats() | st.integers() | st.text(), st.lists, max_leaves=50))
def test_fmt_value_is_bounded(value: Any) -> None:
    assert len(fmt_value(value)) <= MAX_QUOTED + 40
