"""Reading formats: files, directories, stdin, multi-document YAML, JSON, lists, encodings."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from netreach.errors import InputError
from netreach.loader import load_snapshot, load_sources, read_paths
from netreach.loader.sources import Source
from netreach.model import Snapshot

NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"
POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: default\n"
POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {name}
  namespace: default
spec:
  podSelector: {{}}
"""

LoadText = Callable[..., Snapshot]  # the load_text fixture (conftest.py)
ErrorsOf = Callable[..., list[str]]  # the errors_of fixture


def test_lesson_example_loads() -> None:
    snap = load_snapshot("examples/lesson")
    assert len(snap.namespaces) == 4
    assert len(snap.pods) == 6
    assert len(snap.policies) == 7
    assert snap.warnings == []
    assert snap.invalid == []


def test_multi_document_yaml(load_text: LoadText) -> None:
    snap = load_text(NS.format(name="a") + "---\n" + NS.format(name="b") + "---\n")
    assert set(snap.namespaces) == {"a", "b"}


def test_json_object(load_text: LoadText) -> None:
    doc = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "j"}}
    snap = load_text(orjson.dumps(doc), name="ns.json")
    assert "j" in snap.namespaces


def test_json_on_stdin_detected_by_content(load_text: LoadText) -> None:
    doc = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "j"}}
    snap = load_text(orjson.dumps(doc), name="<stdin>")
    assert "j" in snap.namespaces


def test_kind_list_items_located(load_text: LoadText) -> None:
    text = "apiVersion: v1\nkind: List\nitems:\n" + "".join(
        f"- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: n{i}\n" for i in range(3)
    )
    snap = load_text(text)
    assert set(snap.namespaces) == {"n0", "n1", "n2"}
    loc = snap.namespaces["n2"].location
    assert loc is not None and loc.path == ("items", 2)
    assert loc.line == 12


def test_typed_list_items_take_kind_from_list(load_text: LoadText) -> None:
    doc = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicyList",
        "items": [{"metadata": {"name": "p", "namespace": "default"}, "spec": {}}],
    }
    snap = load_text(orjson.dumps(doc), name="list.json")
    assert [p.name for p in snap.policies] == ["p"]


def test_typed_pod_list(load_text: LoadText) -> None:
    text = (
        "apiVersion: v1\nkind: PodList\nitems:\n"
        "- metadata: {name: a, namespace: default}\n  spec: {containers: []}\n"
    )
    snap = load_text(text)
    assert [p.name for p in snap.pods] == ["a"]


def test_deployment_list(load_text: LoadText) -> None:
    text = (
        "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n"
        "- metadata: {name: web, namespace: default}\n"
        "  spec: {template: {metadata: {labels: {app: web}}}}\n"
    )
    snap = load_text(text)
    assert [p.workload.id for p in snap.pods] == ["default/web[Deployment]"]


def test_utf8_bom(load_text: LoadText) -> None:
    snap = load_text(b"\xef\xbb\xbf" + NS.format(name="bom").encode())
    assert "bom" in snap.namespaces


def test_utf8_bom_json(load_text: LoadText) -> None:
    snap = load_text(
        b'\xef\xbb\xbf{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"b"}}', name="x.json"
    )
    assert "b" in snap.namespaces


def test_crlf_line_endings_and_line_numbers(errors_of: ErrorsOf) -> None:
    text = POLICY.format(name="p") + "  policyTypes: [Sideways]\n"
    errs = errors_of(text.replace("\n", "\r\n"))
    assert errs == [
        "t.yaml:8: NetworkPolicy default/p: spec.policyTypes[0]: Unsupported value: "
        '"Sideways": supported values: "Egress", "Ingress"'
    ]


def test_empty_file(load_text: LoadText) -> None:
    snap = load_text(b"")
    assert not snap.namespaces and not snap.pods and not snap.policies


def test_separator_only_file(load_text: LoadText) -> None:
    snap = load_text("---\n---\n# comment\n")
    assert not snap.namespaces


def test_empty_json_file(load_text: LoadText) -> None:
    assert not load_text(b"  \n", name="x.json").namespaces


def test_directory_recursive_and_sorted(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "deep").mkdir()
    (tmp_path / "a.yaml").write_text(NS.format(name="a"))
    (tmp_path / "b" / "c.yml").write_text(NS.format(name="c"))
    (tmp_path / "b" / "deep" / "d.json").write_text(
        '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"d"}}'
    )
    (tmp_path / "b" / "notes.txt").write_text("not: [yaml")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.yaml").write_text("not: [yaml")
    names = [s.name for s in read_paths([str(tmp_path)])]
    assert names == sorted(names)
    assert [Path(n).name for n in names] == ["a.yaml", "c.yml", "d.json"]
    assert set(load_snapshot(str(tmp_path)).namespaces) == {"a", "c", "d"}


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = io.TextIOWrapper(io.BytesIO(NS.format(name="piped").encode()))
    monkeypatch.setattr(sys, "stdin", fake)
    sources = read_paths(["-"])
    assert [s.name for s in sources] == ["<stdin>"]
    snap = load_sources(sources)
    assert "piped" in snap.namespaces


def test_stdin_line_numbers_kept_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    text = NS.format(name="ok") + "---\n" + NS.format(name="Bad_Name")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    with pytest.raises(InputError) as info:
        load_snapshot("-")
    assert str(info.value.problems[0]).startswith("<stdin>:9: Namespace Bad_Name: metadata.name:")


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or directory"):
        read_paths([str(tmp_path / "nope.yaml")])


def test_file_source_reads_lazily(tmp_path: Path) -> None:
    f = tmp_path / "x.yaml"
    f.write_text(NS.format(name="lazy"))
    src = Source.from_path(str(f))
    assert src.line_of(0, ("metadata", "name")) == 4
    assert src.line_of(0, ("metadata", "missing", 3)) == 3  # nearest existing ancestor
    assert src.line_of(5, ()) is None


def test_line_of_in_json(load_text: LoadText) -> None:
    src = Source("x.json", b'{\n "a": [\n  1,\n  {"b": 2}\n ]\n}\n')
    assert src.line_of(0, ("a", 1, "b")) == 4


def test_line_of_unparseable_is_none() -> None:
    assert Source("x.yaml", b"a: [").line_of(0, ("a",)) is None


def test_unknown_kinds_are_skipped_and_counted(load_text: LoadText) -> None:
    snap = load_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s1}\n---\n"
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s2}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
    )
    assert {k: len(v) for k, v in snap.skipped.items()} == {"Secret": 2, "ConfigMap": 1}
    assert snap.skipped["ConfigMap"][0].line == 9


def test_list_with_null_items(load_text: LoadText) -> None:
    assert not load_text("apiVersion: v1\nkind: PodList\nitems: null\n").pods


def test_list_items_not_a_list(errors_of: ErrorsOf) -> None:
    assert errors_of("apiVersion: v1\nkind: List\nitems: {a: 1}\n") == [
        't.yaml:3: List: items: Invalid value: {"a":1}: must be a list, not object'
    ]
