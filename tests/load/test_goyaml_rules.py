"""Each go-yaml / sigs.k8s.io/yaml rule as kubectl applies it, one named case each (the kubectl
differential test proves the same texts against kubectl itself)."""

from __future__ import annotations

from typing import Any

import pytest

from netreach.loader.decode import parse_source
from netreach.loader.sources import Source


def decode(text: str) -> Any:
    parsed = parse_source(Source("t.yaml", text.encode()))
    assert not parsed.problems, [str(p) for p in parsed.problems]
    return parsed.docs[0][1]


def refused(text: str) -> str:
    parsed = parse_source(Source("t.yaml", text.encode()))
    assert parsed.problems and parsed.problems[0].location is not None
    return str(parsed.problems[0])


RULES: dict[str, tuple[str, Any]] = {
    "int-decimal": ("v: 80", 80),
    "int-0o-octal": ("v: 0o120", 80),
    "int-leading-zero-octal": ("v: 0120", 80),
    "int-hex": ("v: 0x50", 80),
    "int-binary": ("v: 0b1010000", 80),
    "int-underscores-dropped": ("v: 8_0", 80),
    "int-plus-sign": ("v: +80", 80),
    "float-exponent-sent-as-int": ("v: 8e1", 80),
    "float-integral-sent-as-int": ("v: 80.0", 80),
    "not-octal-is-a-float": ("v: 080", 80),
    "float-fraction-stays": ("v: 80.5", 80.5),
    "beyond-int64-is-a-float": ("v: 9223372036854775808", 9223372036854775808.0),
    "float-overflow-is-text": ("v: 1e400", "1e400"),
    "bool-y": ("v: y", True),
    "bool-yes": ("v: Yes", True),
    "bool-on": ("v: ON", True),
    "bool-n": ("v: n", False),
    "bool-off": ("v: off", False),
    "mixed-case-is-text": ("v: yEs", "yEs"),
    "no-sexagesimal": ("v: 1:20", "1:20"),
    "equals-is-text": ("v: =", "="),
    "null-tilde": ("v: ~", None),
    "null-empty": ("v:", None),
    "timestamp-is-text": ("v: 2001-12-14", "2001-12-14"),
    "quoted-is-text": ("v: '80'", "80"),
    "str-tag": ("v: !!str 80", "80"),
    "int-tag-on-quoted": ("v: !!int '80'", 80),
    "non-specific-tag-is-text": ("v: ! 80", "80"),
    "custom-tag-is-text": ("v: !foo 80", "80"),
    "binary-decoded": ("v: !!binary aGVsbG8=", "hello"),
    "int-key": ("{1: a}", {"1": "a"}),
    "bool-key": ("{y: a}", {"true": "a"}),
    "float-key-float32": ("{0.1: a, 8e1: b}", {"0.1": "a", "80": "b"}),
    "hex-key": ("{0x10: a}", {"16": "a"}),
    "merge-first-map-wins": ("v: {<<: [{a: 1}, {a: 2, b: 3}]}", {"a": 1, "b": 3}),
    "merge-after-explicit-overrides": ("v: {a: 1, <<: {a: 2}}", {"a": 2}),
    "explicit-after-merge-wins": ("v: {<<: {a: 2}, a: 1}", {"a": 1}),
    "merge-alias": ("m: &m {a: 1}\nv: {<<: *m, b: 2}", {"m": {"a": 1}, "v": {"a": 1, "b": 2}}),
    "quoted-merge-key-is-a-key": ("v: {'<<': {a: 1}}", {"<<": {"a": 1}}),
    "anchors-and-aliases": ("a: &x [1, 2]\nb: *x", {"a": [1, 2], "b": [1, 2]}),
}


@pytest.mark.parametrize("rule", RULES)
def test_go_yaml_rule(rule: str) -> None:
    text, expected = RULES[rule]
    got = decode(text)
    value = got["v"] if text.startswith("v:") else got
    assert value == expected and type(value) is type(expected)


REFUSED: dict[str, tuple[str, str]] = {
    "nan": ("v: .nan", "JSON has no NaN"),
    "infinity": ("v: -.inf", "JSON has no -Inf"),
    "null-key": ("v: {~: a}", "null map key"),
    "list-key": ("? [a]\n: b", "list or a map cannot become a JSON key"),
    "key-beyond-int64": ("v: {18446744073709551615: a}", "beyond int64"),
    "bad-int-tag": ("v: !!int abc", "cannot decode !!str `abc` as a !!int"),
    "merge-of-scalar": ("v: {<<: 1}", "map merge requires map or sequence of maps"),
    "one-json-key-two-values": ("v: {1: a, '1': b}", "kubectl would keep one of them at random"),
    # 1.0 (first map wins over the second's) and 0x1 are two Go keys of the merged map with
    # different values: sigs.k8s.io/yaml writes both to "1" in Go's random map order (kubectl
    # answered 'a' 6 times and 'b' twice in 8 runs of the same file)
    # a merged map holding 1.0 and 1 (equal values) brings both Go keys along; the first
    # map's 1 then differs from the third's 1.0
    "merged-map-with-two-go-keys": (
        "v: {<<: [{1: 1}, {x: 1}, {1.0: a, 1: a}]}",
        "kubectl would keep one of them at random",
    ),
    "merged-maps-meet-in-one-json-key": (
        "v: {<<: [{1.0: a}, {1.0: b, t: b}, {0x1: b}]}",
        "kubectl would keep one of them at random",
    ),
    # a file starting with `{` is JSON first: when YAML fails too, kubectl reports the JSON error
    "json-first-error": ("{~: a}", "invalid JSON: "),
    "separator-with-content": ("a: 1\n--- {b: 2}\n", "invalid Yaml document separator"),
    "recursive-alias": ("a: &a [*a]", "alias refers to itself"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_go_yaml_refuses(case: str) -> None:
    text, message = REFUSED[case]
    assert message in refused(text)


def test_same_json_key_with_the_same_value_is_accepted() -> None:
    assert decode("{1: a, '1': a}") == {"1": "a"}
    assert decode("{<<: [{1.0: a}, {0x1: a}]}") == {"1": "a"}


def test_only_the_first_document_of_a_chunk_is_read() -> None:
    # kubectl cuts documents at `---` lines; go-yaml's Unmarshal reads one document of each
    assert decode("a: 1\n...\nb: 2\n") == {"a": 1}
