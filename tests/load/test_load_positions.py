"""Lazy line lookup: slicing big inputs must find the same lines as composing them whole."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import yaml

from netreach.loader import load_snapshot, sources
from netreach.loader.decode import parse_source
from netreach.loader.sources import Source

# `List` documents above 1 MiB are looked up one item at a time. The threshold is lowered here
# so that inputs of a few hundred kilobytes take that sliced path; each test asserts that its
# input is over it (at 1 MiB, a 3000-pod YAML List was composed whole and never sliced).
_SLICE_ABOVE = 64 * 1024


@pytest.fixture(autouse=True)
def _slice_from_64k(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "_SLICE_ABOVE", _SLICE_ABOVE)


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


def _dump(data: object) -> str:
    """yaml.safe_dump through libyaml's emitter: the same text, a third of the time."""
    return yaml.dump(data, Dumper=yaml.CSafeDumper)


def _dump_all(docs: list[dict[str, object]]) -> str:
    return yaml.dump_all(docs, Dumper=yaml.CSafeDumper)


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
    n = 800
    f = tmp_path / "big.yaml"
    f.write_text(_dump({"apiVersion": "v1", "kind": "List", "items": _pods(n)}))
    src = Source(str(f))
    parse_source(src)
    assert src.marks and len(src.marks[0].items) == n
    assert src.marks[0].length > _SLICE_ABOVE
    for path in _paths(random.Random(1), n):
        fast = src.line_of(0, path)
        assert fast is not None
        assert fast == _full_line(Source(str(f)), 0, path), path


def test_yaml_multi_document_lines_by_slice(tmp_path: Path) -> None:
    f = tmp_path / "docs.yaml"
    f.write_text(_dump_all(_pods(2500)))
    src = Source(str(f))
    parse_source(src)
    for doc in (0, 1, 1234, 2499):
        path = ("metadata", "labels", "app")
        assert src.line_of(doc, path) == _full_line(Source(str(f)), doc, path)


def test_json_list_lines_by_slice_equal_whole_compose(tmp_path: Path) -> None:
    n = 800
    f = tmp_path / "big.json"
    f.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": _pods(n)}, indent=2))
    src = Source(str(f))
    parse_source(src)
    assert src.marks[0].kind == "json" and src.marks[0].length > _SLICE_ABOVE
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
        json.dumps({"apiVersion": "v1", "kind": "List", "items": [*_pods(800), pol]}, indent=1)
    )
    assert f.stat().st_size > _SLICE_ABOVE
    snap = load_snapshot(str(f))
    loc = snap.policies[0].location
    assert loc is not None
    lines = f.read_text().splitlines()
    assert (
        '"kind": "NetworkPolicy"' in lines[loc.line]
        or '"apiVersion": "networking' in lines[loc.line]
    )
