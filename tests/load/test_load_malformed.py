"""Malformed input: one clear problem with file and line, never a traceback."""

from __future__ import annotations

import re
from collections.abc import Callable

from netreach.loader import load_sources
from netreach.loader.sources import Source
from netreach.model import Snapshot

LoadText = Callable[..., Snapshot]  # the load_text fixture (conftest.py)
ErrorsOf = Callable[..., list[str]]  # the errors_of fixture

NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"


def test_malformed_yaml_has_line(errors_of: ErrorsOf) -> None:
    errs = errors_of(NS.format(name="a") + "---\nkind: [Pod\nmetadata: {}\n")
    assert len(errs) == 1
    assert errs[0].startswith("t.yaml:7: invalid YAML:")


def test_malformed_yaml_bad_indentation(errors_of: ErrorsOf) -> None:
    errs = errors_of("a:\n  b: 1\n c: 2\n")
    assert len(errs) == 1 and errs[0].startswith("t.yaml:3: invalid YAML:")


def test_malformed_json_has_line(errors_of: ErrorsOf) -> None:
    errs = errors_of('{\n "kind": "Namespace",\n "metadata": {"name": "x"\n}\n', name="x.json")
    # file, line and column are ours; the reason between them is the JSON parser's own words
    assert len(errs) == 1 and re.fullmatch(r"x\.json:5: invalid JSON: \S.* \(column 1\)", errs[0])


def test_json_trailing_garbage(errors_of: ErrorsOf) -> None:
    errs = errors_of('{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x"}}\n}', "x.json")
    # kubectl reads the first object, then the rest as YAML; when that fails, the JSON error
    assert len(errs) == 1 and re.fullmatch(r"x\.json:2: invalid JSON: \S.* \(column 1\)", errs[0])


def test_utf16_file_with_bom_is_read_as_kubectl_reads_it(load_text: LoadText) -> None:
    # kubectl's file reader honours UTF-16 byte-order marks (unicode.BOMOverride)
    for codec in ("utf-16", "utf-16-be"):
        data = NS.format(name="a").encode(codec)
        if codec == "utf-16-be":
            data = b"\xfe\xff" + data
        assert list(load_text(data).namespaces) == ["a"]


def test_utf32_file_refused(errors_of: ErrorsOf) -> None:
    errs = errors_of(NS.format(name="a").encode("utf-32"))
    assert errs == [
        "t.yaml: file is UTF-32 encoded; expected UTF-8 or UTF-16 (kubectl refuses it too; "
        "convert it, e.g. iconv -f UTF-32 -t UTF-8)"
    ]


def test_utf16_without_bom(errors_of: ErrorsOf) -> None:
    errs = errors_of(NS.format(name="a").encode("utf-16-le"))
    assert len(errs) == 1 and "UTF-16" in errs[0] and "expected UTF-8" in errs[0]


def test_latin1_file(errors_of: ErrorsOf) -> None:
    text = NS.format(name="a") + "  labels: {owner: Jos\xe9}\n"
    errs = errors_of(text.encode("latin-1"))
    assert len(errs) == 1
    assert errs[0].startswith("t.yaml:5: invalid UTF-8 (byte 0xe9 at line 5); expected UTF-8")


def test_binary_file(errors_of: ErrorsOf) -> None:
    errs = errors_of(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01")
    assert errs == ["t.yaml: binary file (contains NUL bytes); expected UTF-8 YAML or JSON"]


def test_document_is_scalar(errors_of: ErrorsOf) -> None:
    errs = errors_of("just text\n")
    assert errs == [
        "t.yaml:1: document is a scalar (str); expected a Kubernetes object "
        "(a mapping with apiVersion, kind and metadata)"
    ]


def test_document_is_list(errors_of: ErrorsOf) -> None:
    errs = errors_of(NS.format(name="a") + "---\n- a\n- b\n")
    assert errs == [
        "t.yaml:6: document is a list; expected a Kubernetes object "
        "(a mapping with apiVersion, kind and metadata)"
    ]


def test_missing_kind(errors_of: ErrorsOf) -> None:
    errs = errors_of("apiVersion: v1\nmetadata: {name: x}\n")
    assert errs == ["t.yaml:1: object default/x: kind: Required value: kind not set"]


def test_missing_api_version(errors_of: ErrorsOf) -> None:
    errs = errors_of("kind: Namespace\nmetadata: {name: x}\n")
    assert errs == ["t.yaml:1: Namespace x: apiVersion: Required value: apiVersion not set"]


def test_missing_metadata(errors_of: ErrorsOf) -> None:
    errs = errors_of("apiVersion: v1\nkind: Pod\nspec: {}\n")
    assert errs == [
        "t.yaml:1: Pod (unnamed): metadata.name: Required value: name or generateName is required"
    ]


def test_unknown_api_version_for_known_kind(errors_of: ErrorsOf) -> None:
    errs = errors_of(
        "apiVersion: networking.k8s.io/v2\nkind: NetworkPolicy\n"
        "metadata: {name: p, namespace: default}\nspec: {}\n"
    )
    assert errs == [
        't.yaml:1: NetworkPolicy default/p: apiVersion: no matches for kind "NetworkPolicy" '
        'in version "networking.k8s.io/v2"'
    ]


def test_duplicate_mapping_key(errors_of: ErrorsOf) -> None:
    text = (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: p, namespace: default}\nspec:\n  podSelector: {}\n"
        "  ingress: []\n  ingress:\n  - {}\n"
    )
    assert errors_of(text) == [
        't.yaml:7: NetworkPolicy default/p: duplicate key "ingress" (strict decoding error; kubectl would silently keep the last one)'
    ]


def test_merge_keys_are_not_duplicates(load_text: LoadText) -> None:
    text = (
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: m\n"
        "  labels:\n    <<: {a: b}\n    c: d\n"
    )
    assert load_text(text).namespaces["m"].labels["a"] == "b"


def test_timestamps_stay_strings(load_text: LoadText) -> None:
    snap = load_text(NS.format(name="t") + "  labels: {released: 2024-01-01}\n")
    assert snap.namespaces["t"].labels["released"] == "2024-01-01"


def test_error_in_one_document_keeps_others_reported(errors_of: ErrorsOf) -> None:
    errs = errors_of(NS.format(name="Bad") + "---\n" + NS.format(name="also_bad"))
    assert [e.split(":")[1] for e in errs] == ["4", "9"]


def test_skip_invalid_drops_malformed_files() -> None:
    good = Source("good.yaml", NS.format(name="good").encode())
    bad = Source("bad.yaml", b"a: [")
    snap = load_sources([good, bad], skip_invalid=True)
    assert set(snap.namespaces) == {"good"}
    assert len(snap.invalid) == 1 and str(snap.invalid[0]).startswith("bad.yaml:")
