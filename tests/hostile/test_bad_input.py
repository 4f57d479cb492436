"""Bad input through the CLI: exit code 2, one message per problem with file, line, object and
field, never a traceback; harmless oddities (BOM, CRLF, empty files) load fine."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_cli import Run, run, write

Cap = pytest.CaptureFixture[str]

NP = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: np
  namespace: default
spec:
  podSelector: {}
"""
NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n"


def validate(capsys: Cap, tmp_path: Path, name: str, content: str | bytes, *flags: str) -> Run:
    return run(capsys, "validate", write(tmp_path, name, content), *flags)


def one_problem(capsys: Cap, tmp_path: Path, name: str, content: str | bytes) -> str:
    """The single problem reported for the file, with the file's directory cut off."""
    r = validate(capsys, tmp_path, name, content)
    assert r.code == 2
    assert len(r.problems) == 1, r.err
    assert r.err.splitlines()[-1] == "netreach: 1 problem in the input"
    return r.problems[0].replace(str(tmp_path) + "/", "")


def test_prose_is_not_yaml(capsys: Cap, tmp_path: Path) -> None:
    text = "These are notes: about the cluster\n and: more: notes\n"
    assert one_problem(capsys, tmp_path, "notes.yaml", text) == (
        "notes.yaml:2: invalid YAML: mapping values are not allowed in this context"
    )


def test_binary_file(capsys: Cap, tmp_path: Path) -> None:
    assert one_problem(capsys, tmp_path, "img.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR") == (
        "img.yaml: binary file (contains NUL bytes); expected UTF-8 YAML or JSON"
    )


def test_syntax_error_has_line(capsys: Cap, tmp_path: Path) -> None:
    msg = one_problem(capsys, tmp_path, "a.yaml", NS + "---\nkind: [Pod\nmetadata: {}\n")
    assert msg.startswith("a.yaml:7: invalid YAML:")


@pytest.mark.parametrize("indent", ["\tname: x\n", "  labels:\n  \tapp: a\n"])
def test_tab_indentation_named(capsys: Cap, tmp_path: Path, indent: str) -> None:
    text = "apiVersion: v1\nkind: Namespace\nmetadata:\n" + indent
    msg = one_problem(capsys, tmp_path, "t.yaml", text)
    assert msg.startswith(f"t.yaml:{text.count(chr(10))}: invalid YAML:")
    assert msg.endswith("a tab: YAML indents with spaces only")


def test_ports_as_mapping(capsys: Cap, tmp_path: Path) -> None:
    text = NP + "  ingress:\n  - ports:\n      port: 80\n"
    assert one_problem(capsys, tmp_path, "np.yaml", text) == (
        "np.yaml:9: NetworkPolicy default/np: spec.ingress[0].ports: "
        'Invalid value: {"port":80}: must be a list, not object'
    )


@pytest.mark.parametrize(
    ("value", "shown", "type_"), [("80.5", "80.5", "number"), ("true", "true", "boolean")]
)
def test_port_of_wrong_type(
    capsys: Cap, tmp_path: Path, value: str, shown: str, type_: str
) -> None:
    text = NP + f"  ingress:\n  - ports:\n    - port: {value}\n"
    assert one_problem(capsys, tmp_path, "np.yaml", text) == (
        "np.yaml:10: NetworkPolicy default/np: spec.ingress[0].ports[0].port: "
        f"Invalid value: {shown}: must be an integer or a string, not {type_}"
    )


def test_unquoted_numeric_label_value(capsys: Cap, tmp_path: Path) -> None:
    assert one_problem(capsys, tmp_path, "ns.yaml", NS + "  labels:\n    version: 123\n") == (
        "ns.yaml:6: Namespace x: metadata.labels: Invalid value: 123: "
        "label values must be strings (quote it)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("apiVersion: v1\nmetadata:\n  name: x\n", "object default/x: kind: Required value"),
        ("kind: Namespace\nmetadata:\n  name: x\n", "Namespace x: apiVersion: Required value"),
        (
            "apiVersion: v1\nkind: Namespace\n",
            "Namespace (unnamed): metadata.name: Required value",
        ),
    ],
    ids=["kind", "apiVersion", "metadata"],
)
def test_missing_required_field(capsys: Cap, tmp_path: Path, text: str, expected: str) -> None:
    assert one_problem(capsys, tmp_path, "m.yaml", text).startswith(f"m.yaml:1: {expected}")


def test_unknown_api_version_for_known_kind(capsys: Cap, tmp_path: Path) -> None:
    text = NP.replace("networking.k8s.io/v1", "extensions/v1beta1")
    assert one_problem(capsys, tmp_path, "np.yaml", text) == (
        "np.yaml:1: NetworkPolicy default/np: apiVersion: "
        'no matches for kind "NetworkPolicy" in version "extensions/v1beta1"'
    )


@pytest.mark.parametrize(
    ("text", "what"), [("just words\n", "a scalar (str)"), ("- a\n- b\n", "a list")]
)
def test_document_not_a_mapping(capsys: Cap, tmp_path: Path, text: str, what: str) -> None:
    assert one_problem(capsys, tmp_path, "d.yaml", NS + "---\n" + text) == (
        f"d.yaml:6: document is {what}; expected a Kubernetes object "
        "(a mapping with apiVersion, kind and metadata)"
    )


def test_duplicate_yaml_key(capsys: Cap, tmp_path: Path) -> None:
    assert one_problem(capsys, tmp_path, "np.yaml", NP + "  podSelector: {}\n") == (
        'np.yaml:8: NetworkPolicy default/np: duplicate key "podSelector" (strict decoding error; kubectl would silently keep the last one)'
    )


def test_duplicate_json_key(capsys: Cap, tmp_path: Path) -> None:
    text = (
        '{"apiVersion": "v1",\n "kind": "Namespace",\n "metadata": {"name": "x",\n'
        '  "labels": {"a": "1",\n   "a": "2"}}}\n'
    )
    assert one_problem(capsys, tmp_path, "ns.json", text) == (
        'ns.json:5: Namespace x: duplicate key "a" (strict decoding error; kubectl would silently keep the last one)'
    )


def test_json_without_duplicates_loads(capsys: Cap, tmp_path: Path) -> None:
    text = (
        '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x", "labels": {"a": "1"}}}'
    )
    r = validate(capsys, tmp_path, "ns.json", text)
    assert r.code == 0 and r.err == ""


def test_utf16_file_with_bom_loads(capsys: Cap, tmp_path: Path) -> None:
    """kubectl decodes UTF-16 with a byte-order mark; so does netreach."""
    r = validate(capsys, tmp_path, "u.yaml", NS.encode("utf-16"))
    assert r.code == 0, r.err


def test_latin1_file(capsys: Cap, tmp_path: Path) -> None:
    text = (NS + "  labels: {owner: Jos\xe9}\n").encode("latin-1")
    assert one_problem(capsys, tmp_path, "l.yaml", text).startswith(
        "l.yaml:5: invalid UTF-8 (byte 0xe9 at line 5); expected UTF-8 text"
    )


def test_json_trailing_garbage(capsys: Cap, tmp_path: Path) -> None:
    text = '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}\n}'
    assert one_problem(capsys, tmp_path, "g.json", text) == (
        "g.json:2: invalid JSON: unexpected character, expected a JSON value (column 1)"
    )


def test_every_problem_of_every_file_reported(capsys: Cap, tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "kind: [\n")
    write(tmp_path, "b.yaml", NS + "  labels:\n    v: 1\n")
    r = run(capsys, "validate", str(tmp_path))
    assert r.code == 2
    assert [p.split(":")[0].rsplit("/", 1)[-1] for p in r.problems] == ["a.yaml", "b.yaml"]
    assert r.err.splitlines()[-1] == "netreach: 2 problems in the input"


@pytest.mark.parametrize(
    ("content", "namespaces"),
    [
        (b"\xef\xbb\xbf" + NS.encode(), 2),
        (NS.replace("\n", "\r\n").encode(), 2),
        (b"", 1),
        (b"---\n", 1),
        (b"# only a comment\n", 1),
    ],
    ids=["utf8-bom", "crlf", "empty", "dashes", "comment"],
)
def test_harmless_oddities_load(
    capsys: Cap, tmp_path: Path, content: bytes, namespaces: int
) -> None:
    other = write(tmp_path, "other.yaml", NS.replace("name: x", "name: z"))
    r = run(capsys, "validate", write(tmp_path, "odd.yaml", content), other)
    assert r.code == 0, r.err
    assert r.err == ""
    assert r.out.startswith(f"valid: {namespaces} namespaces")


def test_crlf_keeps_line_numbers(capsys: Cap, tmp_path: Path) -> None:
    text = (NS + "  labels:\n    v: 1\n").replace("\n", "\r\n")
    assert one_problem(capsys, tmp_path, "c.yaml", text).startswith("c.yaml:6: Namespace x:")


def test_control_characters_in_messages_are_escaped(capsys: Cap, tmp_path: Path) -> None:
    # The object's name is quoted raw in "Namespace <name>:"; the value JSON-escaped.
    text = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "\\e[31mred\\r"\n'
    r = validate(capsys, tmp_path, "e.yaml", text)
    assert r.code == 2
    assert "\x1b" not in r.err and "\r" not in r.err
    assert "Namespace \\x1b[31mred\\x0d:" in r.err


def test_label_value_of_list_type(capsys: Cap, tmp_path: Path) -> None:
    """Found by fuzzing: a list is not hashable, so no lookup may use it as a key."""
    assert one_problem(capsys, tmp_path, "ns.yaml", NS + "  labels:\n    a: [1]\n") == (
        "ns.yaml:6: Namespace x: metadata.labels: Invalid value: [1]: "
        "label values must be strings (quote it)"
    )


def test_container_port_with_integer_key(capsys: Cap, tmp_path: Path) -> None:
    """Found by fuzzing: mixed key types cannot be sorted."""
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        "  - name: c\n    ports:\n    - {containerPort: 80, 1: x}\n"
    )
    r = validate(capsys, tmp_path, "pod.yaml", pod, "--lenient")  # strict: an unknown field
    assert r.code == 0
    assert 'unknown field "spec.containers[0].ports[0].1"' in r.err
