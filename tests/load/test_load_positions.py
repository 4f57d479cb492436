"""Lazy line lookup: slicing big inputs must find the same lines as composing them whole."""

from __future__ import annotations

import json
import random
from pathlib import Path

import yaml

from netreach.load import load_snapshot
from netreach.load.decode import parse_source
from netreach.load.sources import Source


def _pods(n: int) -> list[dict[str, object]]:
    return [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"p{i}", "namespace": "default", "labels": {"app": f"a{i % 7}"}},
            "spec": {
                "containers": [
                    {"name": "c", "image": "x", "ports": [{"containerPort": 80 + i % 3}]}
                ]
            },
        }
        for i in range(n)
    ]


_REFERENCE: dict[str, Source] = {}


def _full_line(source: Source, doc: int, path: tuple[str | int, ...]) -> int | None:
    """The line found by composing the whole file (no decoder marks, no slicing)."""
    ref = _REFERENCE.setdefault(source.name, Source(source.name))
    ref.marks = []
    return ref.line_of(doc, path)


def _paths(rnd: random.Random, n: int) -> list[tuple[str | int, ...]]:
    out: list[tuple[str | int, ...]] = []
    for _ in range(40):
        i = rnd.randrange(n)
        out += [
            ("items", i),
            ("items", i, "metadata", "labels", "app"),
            ("items", i, "spec", "containers", 0, "ports", 0, "containerPort"),
        ]
    return out


def test_yaml_list_lines_by_slice_equal_whole_compose(tmp_path: Path) -> None:
    n = 3000
    f = tmp_path / "big.yaml"
    f.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": _pods(n)}))
    assert f.stat().st_size > 256 * 1024
    src = Source(str(f))
    parse_source(src)
    assert src.marks and len(src.marks[0].items) == n
    for path in _paths(random.Random(1), n):
        fast = src.line_of(0, path)
        assert fast is not None
        assert fast == _full_line(Source(str(f)), 0, path), path


def test_yaml_multi_document_lines_by_slice(tmp_path: Path) -> None:
    f = tmp_path / "docs.yaml"
    f.write_text(yaml.safe_dump_all(_pods(2500)))
    src = Source(str(f))
    parse_source(src)
    for doc in (0, 1, 1234, 2499):
        path = ("metadata", "labels", "app")
        assert src.line_of(doc, path) == _full_line(Source(str(f)), doc, path)


def test_json_list_lines_by_slice_equal_whole_compose(tmp_path: Path) -> None:
    n = 3000
    f = tmp_path / "big.json"
    f.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": _pods(n)}, indent=2))
    src = Source(str(f))
    for path in _paths(random.Random(2), n):
        fast = src.line_of(0, path)
        assert fast is not None
        assert fast == _full_line(Source(str(f)), 0, path), path


def test_policy_location_in_a_big_json_list(tmp_path: Path) -> None:
    pol = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "deny", "namespace": "default"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    }
    f = tmp_path / "all.json"
    f.write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": [*_pods(3000), pol]}, indent=1)
    )
    snap = load_snapshot(str(f))
    loc = snap.policies[0].location
    assert loc is not None
    lines = f.read_text().splitlines()
    assert (
        '"kind": "NetworkPolicy"' in lines[loc.line]
        or '"apiVersion": "networking' in lines[loc.line]
    )
