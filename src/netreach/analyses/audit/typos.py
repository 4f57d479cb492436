"""Near-miss labels: the label a selector probably meant when it matches nothing."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping

from netreach.model import LabelSelector

_SEPARATORS = re.compile(r"[-_.\s]")


def _fold(text: str) -> str:
    return _SEPARATORS.sub("", text.lower())


def similar(a: str, b: str) -> bool:
    """Same but for case or separators (`Web`/`web`, `back-end`/`backend`), or one typo."""
    if a == b:
        return True
    if _fold(a) == _fold(b):
        return True
    return len(a) >= 4 and difflib.SequenceMatcher(None, a, b).ratio() >= 0.8


def near_labels(selector: LabelSelector, label_maps: Iterable[Mapping[str, str]]) -> list[str]:
    """For each `key=value` the selector asks for that no map has: existing pairs with the
    same key and a close value, as `you wrote X; did you mean Y?` hints. Another key is
    never offered: `app.kubernetes.io/name: prometheus` is not a typo of
    `app.kubernetes.io/part-of: kube-prometheus`, however alike the strings."""
    present: set[tuple[str, str]] = set()
    for m in label_maps:
        present.update(m.items())
    wanted = list(selector.match_labels)
    for r in selector.match_expressions:
        if r.operator == "In":
            wanted += [(r.key, v) for v in r.values]
    hints: list[str] = []
    for k, v in wanted:
        if (k, v) in present:
            continue
        close = sorted(
            f"{k2}: {v2}" for k2, v2 in present if k2 == k and v2 != v and similar(v, v2)
        )
        if close:
            hints.append(f"You wrote {k}: {v}; did you mean {' or '.join(close[:3])}?")
    return hints
