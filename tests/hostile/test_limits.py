"""Resource limits: hostile inputs stop with a clear error (or load) within bounded memory."""

from __future__ import annotations

import io
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_cli import run, write
from hypothesis import given
from hypothesis import strategies as st

from netreach.errors import InputError
from netreach.loader import Limits, Source, load_sources
from netreach.loader.limits import measure

Cap = pytest.CaptureFixture[str]
NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n"


def alias_bomb(levels: int = 9, width: int = 10) -> str:
    """ "Billion laughs": each level lists the previous one `width` times."""
    rows = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    rows += [
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels + 1)
    ]
    return NS + "  labels:\n" + "".join(f"    {r}\n" for r in rows)


def deep_flow(depth: int) -> str:
    return NS + "  labels: " + "[" * depth + "]" * depth + "\n"


def deep_block(depth: int) -> str:
    # One more space per level: 10,000 levels take 50 MB.
    return NS + "  labels:\n" + "".join(" " * (3 + i) + "k:\n" for i in range(depth))


def deep_json(depth: int) -> str:
    inner = "[" * depth + "]" * depth
    return (
        '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x", "a": ' + inner + "}}"
    )


def wide_mapping(keys: int) -> str:
    # a ConfigMap: decoded whole, then not modelled (annotations would be over 256 KiB)
    head = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n"
    return head + "".join(f"  k{i}: v\n" for i in range(keys))


def big_string(size: int) -> str:
    return NS + "  labels:\n    big: " + "x" * size + "\n"


def problems(text: str, name: str = "t.yaml", **limits: int) -> list[str]:
    with pytest.raises(InputError) as info:
        load_sources([Source(name, text.encode())], limits=Limits(**limits))
    return [str(p) for p in info.value.problems]


def test_alias_bomb_refused() -> None:
    assert problems(alias_bomb()) == [
        "t.yaml:1: YAML aliases expand the document by 12,345,678,990 nodes, over the limit of "
        "100,000 (an alias bomb? raise it with `max_alias_nodes`)"
    ]


def test_alias_limit_can_be_raised() -> None:
    # 3 levels of 10: 1,110 nodes gained; over a limit of 1,000, under the default.
    text = alias_bomb(levels=3)
    assert "over the limit of 1,000" in problems(text, max_alias_nodes=1000)[0]
    # Within the limit, the document reaches validation (labels must be a map of strings).
    assert "metadata.labels" in problems(text)[0]


def test_recursive_alias_refused() -> None:
    assert problems(NS + "  labels: &a [*a]\n") == [
        "t.yaml:5: YAML alias refers to itself (an infinite document); expected a finite object"
    ]


@pytest.mark.parametrize("make", [deep_flow, deep_block], ids=["flow", "block"])
def test_yaml_nesting_10000_refused(make: object) -> None:
    assert callable(make)
    (msg,) = problems(make(10_000))
    assert msg.startswith("t.yaml:") and "nesting depth" in msg


def test_json_nesting_10000_refused() -> None:
    (msg,) = problems(deep_json(10_000), name="t.json")
    assert msg.startswith("t.json:1: invalid JSON: depth limit exceeded")


def test_nesting_over_depth_limit_refused() -> None:
    assert problems(deep_flow(150)) == [
        "t.yaml:5: document nests more than 100 levels deep, over the limit of 100 "
        "(raise it with `max_depth`)"
    ]


def test_depth_limit_can_be_raised() -> None:
    assert "metadata.labels" in problems(deep_flow(150), max_depth=200)[0]


def test_megabyte_string_cut_in_message() -> None:
    (msg,) = problems(big_string(1_000_000))
    assert len(msg) < 2_000
    assert msg.endswith('xxx"... (1,000,000 characters): must be no more than 63 bytes')


def test_input_size_limit_counts_all_files() -> None:
    sources = [Source(f"{n}.yaml", NS.replace("x", n).encode()) for n in ("a", "b")]
    with pytest.raises(InputError) as info:
        load_sources(sources, limits=Limits(max_input_bytes=len(NS) + 10))
    assert [str(p) for p in info.value.problems] == [
        f"b.yaml: input is over the size limit of {len(NS) + 10} bytes "
        f"({2 * len(NS)} bytes so far); raise it with `max_input_bytes`"
    ]


def test_input_size_flag(capsys: Cap, tmp_path: Path) -> None:
    path = write(tmp_path, "ns.yaml", NS)
    r = run(capsys, "validate", path, "--max-input-bytes", "10")
    assert r.code == 2 and "over the size limit of 10 bytes" in r.err
    assert run(capsys, "validate", path, "--max-input-bytes", "100").code == 0


def test_alias_and_depth_flags(capsys: Cap, tmp_path: Path) -> None:
    path = write(tmp_path, "deep.yaml", deep_flow(150))
    assert "--max-depth" in run(capsys, "validate", path).err
    assert "metadata.labels" in run(capsys, "validate", path, "--max-depth", "200").err
    path = write(tmp_path, "bomb.yaml", alias_bomb(levels=3))
    assert "--max-alias-nodes" in run(capsys, "validate", path, "--max-alias-nodes", "5").err


# --- measure: the sharing-aware size of a document -----------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=30,
)


def _tree_size(v: object) -> tuple[int, int]:
    if isinstance(v, dict):
        v = list(v.values())
    if isinstance(v, list):
        sizes = [_tree_size(c) for c in v]
        return 1 + sum(s for s, _ in sizes), 1 + max((d for _, d in sizes), default=0)
    return 1, 0


@given(json_values)
def test_measure_of_a_tree_counts_every_node_once(value: object) -> None:
    shape = measure(value)
    size, depth = _tree_size(value)
    assert (shape.nodes, shape.expanded, shape.depth) == (size, size, depth)
    assert shape.alias_nodes == 0


@given(json_values.filter(lambda v: isinstance(v, list | dict)), st.integers(2, 5))
def test_measure_counts_shared_subtrees_as_expansions(value: object, copies: int) -> None:
    # Only mappings and lists are shared (YAML aliases); scalars count once per occurrence.
    size, _ = _tree_size(value)
    shape = measure([value] * copies)
    assert shape.expanded == 1 + copies * size
    assert shape.alias_nodes == (copies - 1) * size


# --- the whole CLI under a 2 GiB address-space limit ----------------------------------------

LIMIT_AS = 2 << 30


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_AS, LIMIT_AS))


HOSTILE = {
    "bomb.yaml": (alias_bomb, 2),
    "deep-flow.yaml": (lambda: deep_flow(10_000), 2),
    "deep-block.yaml": (lambda: deep_block(10_000), 2),
    "deep.json": (lambda: deep_json(10_000), 2),
    "wide.yaml": (lambda: wide_mapping(200_000), 0),
    "string.yaml": (lambda: big_string(1_000_000), 2),
}


@pytest.mark.parametrize("name", [*HOSTILE, "gigabyte.yaml"])
def test_cli_within_2gib(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name == "gigabyte.yaml":
        with open(path, "wb") as f:  # sparse: the size is checked before reading
            f.truncate(1 << 30)
        code = 2
    else:
        make, code = HOSTILE[name]
        path.write_text(make())  # type: ignore[operator]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", "from netreach.cli import main; main()", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limit_memory,
        env=env,
        check=False,
    )
    assert "Traceback" not in proc.stderr
    assert proc.returncode == code, proc.stderr[-2000:]
    if code == 2:
        assert proc.stderr.startswith(str(path)), proc.stderr[:500]


def test_stdin_read_only_up_to_the_limit(capsys: Cap, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.BytesIO(NS.encode() * 1000)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(stream))
    r = run(capsys, "validate", "-", "--max-input-bytes", "100")
    assert r.code == 2
    assert r.problems == [
        "<stdin>: input is over the size limit of 100 bytes (101 bytes so far); "
        "raise it with --max-input-bytes"
    ]
    assert stream.tell() <= 8192  # one buffered read, not the whole stream


def test_endless_device_named_on_the_command_line_is_read_capped(capsys: Cap) -> None:
    """A stream named explicitly is read, but only up to the limit plus one byte."""
    r = run(capsys, "validate", "/dev/zero", "--max-input-bytes", "1000")
    assert r.code == 2
    assert r.problems == [
        "/dev/zero: input is over the size limit of 1,000 bytes "
        "(1,001 bytes so far); raise it with --max-input-bytes"
    ]


def test_link_to_an_endless_device_in_a_folder_is_not_read(capsys: Cap, tmp_path: Path) -> None:
    """A checkout may hold `evil.yaml -> /dev/zero`: found in a folder, it is refused unread
    (tests/hostile/test_files.py has the other special files)."""
    (tmp_path / "evil.yaml").symlink_to("/dev/zero")
    r = run(capsys, "validate", str(tmp_path), "--max-input-bytes", "1000")
    assert r.code == 2
    assert r.problems == [
        f"{tmp_path}/evil.yaml: a symbolic link to /dev/zero, outside {tmp_path}: not read "
        "(a link found in a folder must stay inside it; name the file on the command line "
        "to read it)"
    ]
