"""Line lookup on a one-line source (compact JSON) answers 1 without composing the file."""

from __future__ import annotations

from netreach.load.sources import Source


def test_one_line_json_is_line_1_without_composing():
    src = Source("c.json", b'{"kind": "List", "items": [{"metadata": {"name": "a"}}]}\n')
    assert src.line_of(0, ("items", 0, "metadata", "name")) == 1
    assert src._nodes is None and not src._composed


def test_multi_line_sources_still_compose():
    src = Source("c.json", b'{"kind": "List",\n "items": [\n  {"metadata": {"name": "a"}}]}\n')
    assert src.line_of(0, ("items", 0, "metadata", "name")) == 3
