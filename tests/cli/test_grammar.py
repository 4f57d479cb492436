"""One grammar for every command (issue 19): -o is a format, --out a path, --fail-on the gate;
every option explained, a command's own options listed first, and every example in --help and
in the docs runs (or, when it names files that only exist on the reader's side, parses)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest

from netreach.cli import cli
from netreach.cli.app import COMMANDS
from netreach.cli.common import run_guarded

ROOT = Path(__file__).resolve().parents[2]
LESSON = str(ROOT / "examples" / "lesson")
Run = Callable[..., tuple[int, str, str]]


def _command(name: str) -> click.Command:
    ctx = click.Context(cli)
    command = cli.get_command(ctx, name)  # type: ignore[attr-defined]
    assert command is not None
    return command


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_has_help(name: str) -> None:
    command = _command(name)
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"{name} {param.opts}: no help"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_commands_own_options_come_before_the_shared_ones(name: str, run: Run) -> None:
    code, out, _ = run(name, "--help")
    assert code == 0
    if "Input options" not in out:
        return  # completion: no input
    own, shared = out.split("Input options", 1)
    assert "--max-depth" in shared and "--max-depth" not in own
    assert "--help" in own


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_o_is_a_format_everywhere(name: str) -> None:
    """-o takes a format of the one vocabulary; no command takes a path there."""
    vocabulary = {"text", "table", "json", "yaml", "csv", "md", "dot", "sarif", "junit", "html"}
    for param in _command(name).params:
        if "-o" in getattr(param, "opts", ()):
            assert isinstance(param.type, click.Choice)
            assert set(param.type.choices) <= vocabulary, (name, param.type.choices)


def test_a_path_given_to_o_points_to_out(run: Run, tmp_path: Path) -> None:
    code, _, err = run("report", LESSON, "-o", str(tmp_path / "r.html"))
    assert code == 2
    assert "--out" in err and "is not a format" in err
    assert not (tmp_path / "r.html").exists()


def test_old_spellings_still_work(run: Run) -> None:
    assert run("matrix", LESSON, "-o", "txt") == run("matrix", LESSON, "-o", "text")
    assert run("exposure", LESSON, "--fail")[0] == run("exposure", LESSON, "--fail-on", "any")[0]
    exp = str(ROOT / "examples" / "lesson-expectations.yaml")
    assert run("test", LESSON, "--expect", exp)[:2] == run("test", LESSON, "-e", exp)[:2]


def test_namespace_is_repeatable(run: Run) -> None:
    _, both, _ = run("matrix", LESSON, "-o", "text", "-n", "default", "-n", "backend")
    _, one, _ = run("matrix", LESSON, "-o", "text", "-n", "backend")
    assert "backend/api[Pod]" in both and "default/api[Deployment]" in both
    assert "default/api[Deployment]" not in one


def test_fail_on_takes_a_list(run: Run, tmp_path: Path) -> None:
    assert run("diff", LESSON, LESSON, "--fail-on", "added,removed")[0] == 0
    assert run("diff", LESSON, LESSON, "--fail-on", "nonsense")[0] == 2
    assert run("exposure", LESSON, "--fail-on", "unprotected")[0] == 1
    assert run("exposure", LESSON, "--fail-on", "never")[0] == 0


def test_quiet_leaves_only_warnings_and_errors(run: Run, tmp_path: Path) -> None:
    _, _, loud = run("report", LESSON, "--out", str(tmp_path / "a.html"))
    _, _, quiet = run("report", LESSON, "--out", str(tmp_path / "b.html"), "-q")
    assert "wrote" in loud and quiet == ""


def test_compile_needs_no_backend_flag(run: Run) -> None:
    plain, flagged = run("compile", LESSON), run("compile", LESSON, "--nft")
    assert plain[0] == 0 and plain[1] == flagged[1]


def test_diff_usage_names_old_and_new(run: Run) -> None:
    _, out, _ = run("diff", "--help")
    assert "OLD NEW" in out.splitlines()[0]


def test_validate_and_analyze_speak_json(run: Run) -> None:
    import orjson

    code, out, _ = run("validate", LESSON, "-o", "json")
    assert code == 0 and orjson.loads(out)["pods"] == 6
    code, out, _ = run("analyze", LESSON, "-o", "json")
    data = orjson.loads(out)
    assert code == 0 and data["snapshot"]["workloads"] == 6
    assert {"total", "self", "external", "between"} <= set(data["connections"])


def test_one_connection_count(run: Run) -> None:
    """analyze's count is the library's one definition, with its breakdown."""
    import orjson

    import netreach
    from netreach.analyses.summary import count_connections

    count = count_connections(netreach.load(LESSON))
    assert count.total == count.between + count.self + count.external
    _, out, _ = run("analyze", LESSON)
    assert str(count) in out
    _, js, _ = run("analyze", LESSON, "-o", "json")
    assert orjson.loads(js)["connections"] == count.to_dict()
    # the matrix lists the same pairs: --external with self edges
    _, lines, _ = run("matrix", LESSON, "--external", "-o", "text")
    assert len(lines.splitlines()) == count.total


def test_the_report_counts_connections_as_everywhere() -> None:
    import netreach
    from netreach.analyses.report import build_report
    from netreach.analyses.summary import count_connections

    cluster = netreach.load(LESSON)
    count = count_connections(cluster)
    data = build_report(cluster)
    assert data.counts["connections"] == count.total
    assert data.counts["self_connections"] == count.self
    assert data.counts["external_connections"] == count.external
    assert all(e.src != e.dst for e in data.edges)  # counted, not drawn


def test_no_truncation_without_a_terminal(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)  # pytest-xdist's workers set COLUMNS=80
    long = "a-namespace-name-long-enough-to-push-the-table-past-80-columns"
    name = "and-a-pod-name-that-is-long-as-well"
    (tmp_path / "p.yaml").write_text(
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {long}}}\n"
        "spec: {containers: [{name: c, image: i}]}\nstatus: {podIP: 10.0.0.1}\n"
    )
    code, out, err = run("matrix", str(tmp_path / "p.yaml"))
    assert code == 0, err
    assert f"{long}/{name}[Pod]" in out


# --- every example runs -----------------------------------------------------------------------


def _help_examples() -> Iterator[tuple[str, str]]:
    for name in sorted(COMMANDS):
        text = _command(name).help or ""
        lines = text.replace("\\\n", " ").splitlines()
        for line in lines:
            stripped = line.strip()
            if stripped.startswith("netreach ") and name in stripped.split()[1:2]:
                yield name, stripped


_FENCE = re.compile(r"```[a-z]*\n(.*?)```", re.S)
_DOC_LINE = re.compile(r"^\s*(?:\$ |- run: |- )?(?:sudo )?netreach (.*)$")


def _doc_examples() -> Iterator[tuple[str, str]]:
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for block in _FENCE.findall(doc.read_text()):
            for line in block.replace("\\\n", " ").splitlines():
                m = _DOC_LINE.match(line)
                if m:
                    yield doc.name, "netreach " + m.group(1)


def _words(line: str) -> list[str]:
    """The arguments of an example: no comment, nothing after a redirection or a pipe."""
    line = re.sub(r"\s+#.*$", "", line)
    words = shlex.split(line)[1:]
    for i, w in enumerate(words):
        if w in (">", ">>", "|", "2>", "&&"):
            return words[:i]
    return words


def _placeholder(words: list[str]) -> bool:
    return any(w.endswith("...") or w.startswith(("[", "<")) or "|" in w for w in words)


_OUTPUTS = ("--out", "--report", "--junit", "--proof-json")
_FILES = (".yaml", ".yml", ".json", ".jsonl", ".csv", ".xml", ".html", "/")


def _runnable(words: list[str], where: Path) -> bool:
    """The example reads only the repository's examples (not the reader's deploy/ or cluster)."""
    if not any(w.startswith("examples/") for w in words):
        return False
    if any(w in ("--kubeconfig", "--context", "--cluster") for w in words):
        return False
    for before, w in zip(["", *words], words, strict=False):
        if before in _OUTPUTS or w.startswith("-") or not w.endswith(_FILES):
            continue
        if not (where / w).exists():
            return False
    return True


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the examples, in a git repository with two commits (for `diff --git`)."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "."], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "one"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "two"], cwd=tmp_path, check=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _check_example(line: str, capsys: pytest.CaptureFixture[str]) -> None:
    words = _words(line)
    if _placeholder(words) or not words:
        return
    if words[0] not in COMMANDS:
        pytest.fail(f"{line}: no such command")
    command = _command(words[0])
    if _runnable(words, Path.cwd()):
        code = run_guarded(cli, words)
        _, err = capsys.readouterr()
        # 1 is a verdict (a finding, a difference), 3 an incomplete answer: not a usage error
        assert code in (0, 1, 3), f"{line}: exit {code}\n{err}"
        return
    # Names files only the reader has (deploy/, a cluster): the command line must parse.
    try:
        command.make_context(words[0], words[1:], parent=click.Context(cli))
    except click.ClickException as exc:
        pytest.fail(f"{line}: {exc.format_message()}")


@pytest.mark.parametrize(("name", "line"), list(_help_examples()))
def test_help_examples_run(
    name: str, line: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _runnable(_words(line), workdir) or "kubeconfig" in line, f"{line}: not runnable"
    _check_example(line, capsys)


@pytest.mark.parametrize(("doc", "line"), list(_doc_examples()))
def test_doc_examples_run_or_parse(
    doc: str, line: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _check_example(line, capsys)


def test_library_messages_name_parameters_the_cli_its_flags(run: Run, tmp_path: Path) -> None:
    """The library says `max_input_bytes`; the command line --max-input-bytes. A Kubernetes
    field in backquotes (`port`) is left as it is."""
    import netreach
    from netreach.errors import InputError
    from netreach.loader.limits import Limits

    with pytest.raises(InputError) as info:
        netreach.load(LESSON, limits=Limits(max_input_bytes=10))
    assert "`max_input_bytes`" in str(info.value.problems[0])
    _, _, err = run("validate", LESSON, "--max-input-bytes", "10")
    assert "--max-input-bytes" in err and "`max_input_bytes`" not in err
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: p, namespace: default}\nspec:\n  podSelector: {}\n"
        "  ingress:\n  - ports: [{port: 80, endPort: 79}]\n"
    )
    code, out, err = run("validate", str(bad), "-o", "json")
    assert code == 2 and "must be greater than or equal to `port`" in err
    import orjson

    data = orjson.loads(out)
    assert data["valid"] is False and data["problems"][0]["line"] == 7
