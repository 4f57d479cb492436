"""Every stream, every command, every format: text from a pull request (file names, owner
references, unknown field names, kinds, expectation names, intent file names) never forges a
line, never becomes a GitHub Actions workflow command, never becomes Rich markup or emoji,
and never crashes an encoder (a file name that is not UTF-8). Write errors end cleanly."""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hostile_cli import Run
from hostile_cli import run as _run

from netreach.cli.streams import GuardedStream
from netreach.escape import ci_commands, markdown
from netreach.render.audit_md import render_audit_md
from paths import LESSON

Cap = pytest.CaptureFixture[str]

_INPUT_COMMANDS = frozenset(
    {"validate", "analyze", "check", "matrix", "audit", "exposure", "describe", "report",
     "diff", "test", "generate", "snapshot"}
)  # fmt: skip


def run(capsys: Cap, *args: str) -> Run:
    """The corpus holds an unknown field on purpose (its name is hostile text): read it
    leniently, so that it is a warning printed on stderr rather than an error."""
    if args and args[0] in _INPUT_COMMANDS:
        args = (args[0], "--lenient", *args[1:])
    return _run(capsys, *args)


# What a pull request can put in text netreach prints.
EVIL = (
    "w\n::error file=a.yaml::forged\r::stop-commands::tok ##[set-output name=x]y"
    " :white_check_mark: [bold]b[/] @org/team https://evil.example \x1b[2J\u202e"
)
EVIL_FILE = b"x\n::warning::file ##[error]y \x1b[31m\xff.yaml"

MANIFESTS = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}},
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "p",
            "namespace": "default",
            "labels": {"app": "a"},
            "ownerReferences": [{"kind": EVIL, "name": EVIL, "controller": True}],
            EVIL: "unknown field",
        },
        "spec": {"containers": [{"name": "c", "image": "x"}]},
        "status": {"phase": "Running", "podIP": "10.0.0.1"},
    },
    {"apiVersion": "v1", "kind": EVIL, "metadata": {"name": "k"}},
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "np", "namespace": "default"},
        "spec": {
            "podSelector": {"matchLabels": {"app": "a"}},
            "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}],
        },
    },
]

# A GitHub Actions runner reads these: `::name ...::` at a line start (after whitespace), and
# `##[name ...]` anywhere; lines end at CR or LF (actions/runner ActionCommand.cs).
V2 = re.compile(r"::[A-Za-z][\w-]*( [^\r\n]*?)?::")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e\ud800-\udfff]")


def assert_clean(text: str) -> None:
    for line in re.split(r"\r\n|\r|\n", text):
        assert not V2.match(line.lstrip()), line
        assert "##[" not in line, line
    assert not CONTROL.search(text), repr(CONTROL.search(text))
    assert "\u2705" not in text  # :white_check_mark: as an emoji


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    with open(os.fsdecode(bytes(d) + b"/" + EVIL_FILE), "w") as f:
        yaml.safe_dump_all(MANIFESTS, f)
    return d


COMMANDS: list[tuple[str, ...]] = [
    ("validate", "-v"),
    ("analyze",),
    ("check", "--from", "default/p", "--to", "default/p", "--port", "80"),
    ("check", "--from", "default/p", "--to", "default/p", "--port", "80", "-o", "json"),
    *[("matrix", "-o", f) for f in ("table", "txt", "json", "csv", "md", "dot")],
    *[("audit", "-o", f) for f in ("text", "json", "sarif", "md")],
    *[("exposure", "-o", f) for f in ("text", "json", "md")],
    ("describe", "-o", "text", "pod", "default/p"),
    ("describe", "-o", "json", "pod", "default/p"),
    ("describe", "-o", "text", "policy", "default/np"),
    ("describe", "-o", "json", "policy", "default/np"),
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: "-".join(a))
def test_every_command_and_format(capsys: Cap, corpus: Path, args: tuple[str, ...]) -> None:
    r = run(capsys, args[0], str(corpus), *args[1:])
    # 3: check's answer may be incomplete (the dropped field is in the pod's namespace)
    assert r.code in ((0, 1, 3) if args[0] == "check" else (0, 1)), r.err
    assert_clean(r.out + r.err)
    if "json" in args or "sarif" in args:
        json.loads(r.out)
    if args[0] in ("audit", "validate"):
        assert "\\xff.yaml" in r.out + r.err  # the file is named, its bad byte shown
    if "md" in args and "@" in r.out:
        assert "@org" not in r.out and "https://evil" not in r.out


def test_report_and_its_messages(capsys: Cap, corpus: Path, tmp_path: Path) -> None:
    r = run(capsys, "report", str(corpus), "--out", str(tmp_path / "r.html"))
    assert r.code == 0, r.err
    assert_clean(r.out + r.err)
    assert "\\xff.yaml" in (tmp_path / "r.html").read_text()


@pytest.mark.parametrize("fmt", ["text", "json", "md", "csv", "txt"])
def test_diff(capsys: Cap, corpus: Path, tmp_path: Path, fmt: str) -> None:
    old = tmp_path / "old"
    old.mkdir()
    (old / "ns.yaml").write_text(yaml.safe_dump(MANIFESTS[0]))
    r = run(capsys, "diff", str(old), str(corpus), "-o", fmt)
    assert r.code == 0, r.err
    assert_clean(r.out + r.err)


@pytest.mark.parametrize("fmt", ["text", "json", "junit"])
def test_expectation_names(capsys: Cap, corpus: Path, tmp_path: Path, fmt: str) -> None:
    exp = tmp_path / os.fsdecode(EVIL_FILE)
    exp.write_text(
        yaml.safe_dump(
            {
                "expectations": [
                    {
                        "name": EVIL,
                        "from": {"namespace": "default"},
                        "to": {"namespace": "x"},
                        "expect": "allow",
                    },
                ]
            }
        )
    )
    r = run(capsys, "test", str(corpus), "--expect", str(exp), "-o", fmt)
    assert r.code == 1, r.err
    assert_clean(r.out + r.err)


def test_generate_proof_and_notes(capsys: Cap, corpus: Path, tmp_path: Path) -> None:
    intent = tmp_path / os.fsdecode(EVIL_FILE)
    intent.write_text(
        "allow:\n  - default/p -> 192.0.2.1/32:443\n  - default/p -> 10.9.9.9/32:80\n"
    )
    r = run(capsys, "generate", str(corpus), "--intent", str(intent))
    assert r.code in (0, 1), r.err
    assert_clean(r.out + r.err)


def test_stderr_warnings_are_one_line_each(capsys: Cap, corpus: Path) -> None:
    """Unknown field names and kinds reach stderr; each stays on its own line."""
    r = run(capsys, "validate", str(corpus), "-v")
    warnings = [line for line in r.err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and "unknown field" in warnings[0]
    assert "\\n::error file=a.yaml::forged\\x0d::stop-commands" in warnings[0]
    assert "[bold]b[/] " in warnings[0] and ":white_check_mark:" in warnings[0]


def test_non_utf8_text_argument_is_refused(capsys: Cap, corpus: Path) -> None:
    r = run(
        capsys,
        "check",
        str(corpus),
        "--from",
        "default/\udcff",
        "--to",
        "default/p",
        "--port",
        "80",
    )
    assert r.code == 2
    assert "is not valid UTF-8 text" in r.err


# --- the guard and the escapes on their own ------------------------------------------------


def test_ci_commands_neutralised_losslessly_in_json() -> None:
    text = json.dumps({"a": "##[error]x", "b": "::error::y"})
    assert json.loads(ci_commands(text)) == {"a": "##[error]x", "b": "::error::y"}
    assert ci_commands("  ::error file=x,line=1::boom") == "  \\u003a:error file=x,line=1::boom"
    # IPv6 ranges at a line start are not commands and stay as they are.
    assert ci_commands("::ffff:10.0.0.0/104 => a::b\n::/0 => x") == (
        "::ffff:10.0.0.0/104 => a::b\n::/0 => x"
    )


def test_guard_holds_a_line_until_it_is_whole() -> None:
    import io

    raw = io.StringIO()
    g = GuardedStream(raw, "stdout")
    for piece in (":", ":err", "or::x\n", "ok ##", "[warning]\n"):
        g.write(piece)
    g.flush()
    assert raw.getvalue() == "\\u003a:error::x\nok #\\u0023[warning]\n"


def test_markdown_neutralises_mentions_and_links() -> None:
    out = markdown("@org/team see https://evil.example, www.evil.example, a@b.example")
    assert "@org" not in out and "https://" not in out and "www.evil" not in out
    assert out.count("&#8203;") == 4


def test_markdown_fix_blocks_hold_no_escape_bytes() -> None:
    from netreach.analyses.audit.findings import AuditReport, Finding

    finding = Finding("dns-blocked", "error", "m", [], "head\nkey: \x1b[2Jvalue\n")
    md = render_audit_md(AuditReport(findings=[finding], posture=[], checks=["dns-blocked"]))
    assert "\x1b" not in md and "\\x1b[2Jvalue" in md


# --- write errors, closed streams, memory: one message, no traceback -----------------------

CLI = [sys.executable, "-c", "from netreach.cli import main; main()"]


def shell(cmd: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", cmd], capture_output=True, text=True, timeout=300, check=False, **kw
    )  # type: ignore[call-overload]


def netreach() -> str:
    return " ".join(f"'{a}'" for a in CLI)


def big_input(tmp_path: Path, pods: int = 300) -> str:
    docs = []
    for i in range(pods):
        docs.append(
            f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: default, "
            f"labels: {{app: a{i}}}}}\nspec: {{containers: [{{name: c, image: x}}]}}\n"
            f"status: {{phase: Running, podIP: 10.1.{i // 250}.{i % 250 + 1}}}\n"
        )
    path = tmp_path / "pods.yaml"
    path.write_text("---\n".join(docs))
    return str(path)


def test_reader_closing_the_pipe_ends_quietly_with_141(tmp_path: Path) -> None:
    """As kubectl (killed by SIGPIPE): the shell sees 141, no message, no traceback."""
    pods = big_input(tmp_path)
    p = shell(f'{netreach()} matrix {pods} --by pod -o txt | head -1; echo "${{PIPESTATUS[*]}}"')
    lines = p.stdout.splitlines()
    assert lines[0] == "default/p0 => default/p0 : All Connections"
    assert lines[-1] == "141 0"
    assert p.stderr == ""


def test_small_output_into_head_is_exit_0(tmp_path: Path) -> None:
    """An output that fits the pipe is written before `head` leaves: nothing was lost."""
    p = shell(f"set -o pipefail; {netreach()} validate {LESSON} | head -1")
    assert p.returncode == 0 and p.stderr == ""


def test_full_disk_is_one_message_and_exit_2(tmp_path: Path) -> None:
    pods = big_input(tmp_path)
    p = shell(f"{netreach()} matrix {pods} --by pod -o txt > /dev/full")
    assert p.returncode == 2
    assert p.stderr == "netreach: cannot write to stdout: No space left on device\n"


def test_closed_stdout_is_one_message_and_exit_2() -> None:
    p = shell(f"{netreach()} validate {LESSON} >&-")
    assert p.returncode == 2
    assert p.stderr == "netreach: cannot write to stdout: it is closed\n"


@pytest.mark.parametrize("redirect", ["2>/dev/full", "2>&-"])
def test_unwritable_stderr_keeps_the_exit_code(tmp_path: Path, redirect: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: [\n")
    assert shell(f"{netreach()} validate {bad} {redirect}").returncode == 2
    assert shell(f"{netreach()} validate {LESSON} {redirect}").returncode == 0


def test_closed_stdin_is_one_message() -> None:
    p = shell(f"{netreach()} validate - <&-")
    assert p.returncode == 2
    assert p.stderr.splitlines() == [
        "<stdin>: cannot read: standard input is closed",
        "netreach: 1 problem in the input",
    ]


def test_memory_error_anywhere_is_one_message(capsys: Cap, monkeypatch: pytest.MonkeyPatch) -> None:
    from netreach.loader import build

    def boom(*_: object, **__: object) -> None:
        raise MemoryError

    monkeypatch.setattr(build, "parse_source", boom)
    r: Run = run(capsys, "validate", LESSON)
    assert r.code == 2
    assert r.err.splitlines() == [
        "netreach: out of memory: the input is too large for this machine (lower "
        "--max-input-bytes to refuse it early; docs/limits.md)"
    ]


def _limit_memory() -> None:
    limit = 700 << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@pytest.mark.slow
def test_running_out_of_memory_for_real_is_one_message(tmp_path: Path) -> None:
    """An input under the size limit that does not fit a small machine: MemoryError wherever
    it strikes becomes one message, exit 2."""
    path = tmp_path / "big.json"
    item = '{"metadata":{"name":"p%d","namespace":"default","labels":{"a":"b"}},"spec":{}}'
    with open(path, "w") as f:
        f.write('{"apiVersion":"v1","kind":"List","items":[')
        f.write(",".join(item % i for i in range(1_500_000)))
        f.write("]}")
    proc = subprocess.run(
        [*CLI, "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=_limit_memory,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
        check=False,
    )
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 2, proc.stderr[-2000:]
    # Where it strikes decides the words: the JSON parser's own ("Not enough memory to
    # allocate buffer"), or the CLI's ("out of memory").
    assert "memory" in proc.stderr.lower(), proc.stderr[-2000:]
