"""Every output format escapes what it prints: names come from manifests written by anyone.

Validated names cannot hold these characters, but two paths let them through: library users
building snapshots in Python, and fields the API server does not check (an owner reference's
kind and name become the workload's id).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import orjson
import pytest
from hostile_cli import run, write
from rich.console import Console

from builders import cluster, ns, pod
from netreach.query.connectivity import Connectivity
from netreach.render.matrix import FORMATS, render
from netreach.render.text import print_verdict

Cap = pytest.CaptureFixture[str]

# Each starts a CSV cell with a formula character, and holds Markdown/HTML specials, terminal
# control characters (ANSI colour, carriage return, newline) and Rich markup.
HOSTILE_NS = ["=cmd|' -C calc'!A0", "+1+1", "-2+3", "@SUM(A1)"]
HOSTILE_POD = '<script>x|*y*_[bold]z`\x1b[31mred\x1b[0m\rfake\nline&amp;"q\\'


def hostile_map(by: str) -> Connectivity:
    c = cluster(
        [ns(n) for n in HOSTILE_NS],
        [pod(f"{n}/{HOSTILE_POD}") for n in HOSTILE_NS],
    )
    return c.connectivity(by)  # type: ignore[arg-type]


def rendered(fmt: str, by: str = "pod") -> str:
    out = io.StringIO()
    console = Console(file=out, width=400, color_system=None, highlight=False)
    render(hostile_map(by), fmt, out, console)
    return out.getvalue()


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("by", ["pod", "namespace"])
def test_no_control_characters_in_any_format(fmt: str, by: str) -> None:
    text = rendered(fmt, by)
    assert not CONTROL.search(text), repr(text[:300])


@pytest.mark.parametrize("fmt", ["txt", "csv", "md"])
def test_one_line_per_connection(fmt: str) -> None:
    """A newline in a name must not forge an output line."""
    lines = rendered(fmt).splitlines()
    connections = len(list(hostile_map("pod")))
    assert len(lines) == connections + (2 if fmt == "md" else 1 if fmt == "csv" else 0)
    assert all(line.count("line&") == 2 for line in lines[-connections:])


@pytest.mark.parametrize("by", ["pod", "namespace"])
def test_csv_cells_never_start_a_formula(by: str) -> None:
    rows = list(csv.reader(io.StringIO(rendered("csv", by))))
    cells = [cell for row in rows[1:] for cell in row]
    assert cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert {c for c in cells if c.startswith("'")} >= {f"'{n}" for n in HOSTILE_NS} or by == "pod"


def test_markdown_cells_hold_text_only() -> None:
    md = rendered("md")
    body = md.splitlines()[2:]
    assert body
    for row in body:
        # Exactly the four table pipes are unescaped.
        assert len(re.findall(r"(?<!\\)\|", row)) == 4, row
    assert "<script>" not in md and "line&amp;amp;" in md and "\\*y\\*" in md and "\\[bold\\]" in md


Q = r'"(?:[^"\\]|\\.)*"'  # a DOT quoted string: no bare quote inside
DOT_LINE = re.compile(
    rf"\s*(label={Q};|{Q} \[label={Q}\];|{Q} \[shape=box, style=dashed\];"
    rf"|{Q} -> {Q} \[label={Q}\];)"
)


def test_dot_strings_are_closed() -> None:
    lines = [line for line in rendered("dot").splitlines() if '"' in line]
    assert lines
    for line in lines:
        assert DOT_LINE.fullmatch(line), line


@pytest.mark.parametrize("by", ["pod", "namespace"])
def test_json_keeps_names_exact(by: str) -> None:
    data = json.loads(rendered("json", by))
    ids = {n["id"] for n in data["nodes"]}
    assert ids == {n.id for n in hostile_map(by).nodes}


def test_table_shows_markup_as_text() -> None:
    assert "[bold]z" in rendered("table")


def test_txt_shows_controls_visibly() -> None:
    assert "\\x1b[31mred" in rendered("txt")


def test_check_text_and_json_escape() -> None:
    c = cluster([ns("default")], [pod(f"default/{HOSTILE_POD}"), pod("default/b")])
    verdict = c.check(f"default/{HOSTILE_POD}", "default/b", 80)
    out = io.StringIO()
    print_verdict(verdict, Console(file=out, width=400, color_system=None, highlight=False))
    text = out.getvalue()
    assert not CONTROL.search(text)
    assert "[bold]z" in text
    assert text.splitlines()[0].endswith("port 80/TCP: ALLOWED")
    assert orjson.loads(orjson.dumps(verdict.to_dict()))["src"] == f"default/{HOSTILE_POD}"


# --- through the real loader: owner references are not validated ---------------------------

OWNED_POD = """apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: default
  ownerReferences:
  - {kind: "=HYPERLINK(\\"http://x\\")", name: "<i>w</i>|\\e[2J\\r\\nfake", controller: true}
"""


@pytest.mark.parametrize("fmt", FORMATS)
def test_matrix_cli_escapes_owner_reference_names(capsys: Cap, tmp_path: Path, fmt: str) -> None:
    r = run(capsys, "matrix", write(tmp_path, "pod.yaml", OWNED_POD), "-o", fmt)
    assert r.code == 0, r.err
    assert not CONTROL.search(r.out)
    if fmt != "table":  # the table wraps long cells, so a row may start anywhere
        assert not [line for line in r.out.splitlines() if line.startswith("fake")]
    if fmt == "md":
        assert "<i>" not in r.out
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(r.out)))
        assert not [c for row in rows for c in row if c.startswith(("=", "+", "-", "@"))]


OWNED_AND_OPEN = (
    OWNED_POD.replace("  namespace: default\n", "  namespace: default\n  labels: {app: a}\n", 1)
    + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
    "metadata: {name: np, namespace: default}\n"
    "spec:\n  podSelector: {matchLabels: {app: a}}\n"
    "  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}]}]\n"
)
COMMANDS = [
    ("analyze",),
    ("check", "--from", "default/p", "--to", "default/p", "--port", "80"),
    ("check", "--from", "default/p", "--to", "default/p", "--port", "80", "-o", "json"),
    *[("audit", "-o", fmt) for fmt in ("text", "json", "sarif", "md")],
    *[("exposure", "-o", fmt) for fmt in ("text", "json", "md")],
    ("describe", "-o", "text", "pod", "default/p"),
    ("describe", "-o", "json", "pod", "default/p"),
    ("validate", "-v"),
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: "-".join(a[:3]))
def test_every_command_escapes_owner_reference_names(
    capsys: Cap, tmp_path: Path, args: tuple[str, ...]
) -> None:
    path = write(tmp_path, "in.yaml", OWNED_AND_OPEN)
    command, rest = args[0], list(args[1:])
    # Paths go before positional arguments (describe's KIND NAME).
    r = run(capsys, command, path, *rest)
    assert r.code in (0, 1), r.err
    text = r.out + r.err
    assert "=HYPERLINK" in text or command in ("validate", "check")
    assert not CONTROL.search(text)
    assert not [line for line in text.splitlines() if line.startswith("fake")]
    if "md" in args:
        assert "<i>" not in r.out


@pytest.mark.parametrize("fmt", ["text", "json", "md", "csv", "txt"])
def test_diff_escapes_owner_reference_names(capsys: Cap, tmp_path: Path, fmt: str) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    write(tmp_path / "old", "a.yaml", OWNED_AND_OPEN.split("---\n")[0])
    write(tmp_path / "new", "a.yaml", OWNED_AND_OPEN)
    r = run(capsys, "diff", str(tmp_path / "old"), str(tmp_path / "new"), "-o", fmt)
    assert r.code == 0, r.err
    assert "HYPERLINK" in r.out
    assert not CONTROL.search(r.out + r.err)
    assert not [line for line in r.out.splitlines() if line.startswith("fake")]
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(r.out)))
        assert not [c for row in rows for c in row if c.startswith(("=", "+", "-", "@"))]
    if fmt == "md":
        assert "<i>" not in r.out
