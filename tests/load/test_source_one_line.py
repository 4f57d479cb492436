"""Line lookup on compact (one-line) JSON answers 1 at once, however large the file."""

from __future__ import annotations

import json
import time

from netreach.loader.sources import Source


def test_one_line_json_is_line_1():
    src = Source("c.json", b'{"kind": "List", "items": [{"metadata": {"name": "a"}}]}\n')
    assert src.line_of(0, ("items", 0, "metadata", "name")) == 1


def test_large_one_line_json_answers_quickly():
    container = {"name": "c", "image": "x", "ports": [{"containerPort": 80}]}
    items = [
        {"kind": "Pod", "metadata": {"name": f"p{i}"}, "spec": {"containers": [container]}}
        for i in range(20000)
    ]
    src = Source("big.json", json.dumps({"kind": "List", "items": items}).encode())
    started = time.perf_counter()
    lines = [src.line_of(0, ("items", i, "spec", "containers", 0)) for i in range(19950, 20000)]
    assert lines == [1] * 50
    assert time.perf_counter() - started < 0.5  # composing slices takes over a second here


def test_multi_line_json_still_reports_the_line():
    src = Source("c.json", b'{"kind": "List",\n "items": [\n  {"metadata": {"name": "a"}}]}\n')
    assert src.line_of(0, ("items", 0, "metadata", "name")) == 3
