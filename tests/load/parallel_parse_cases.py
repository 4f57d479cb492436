"""Cases for test_parallel_parse.py, run in a fresh single-threaded interpreter (loader/parallel
forks only in a process running one thread; pytest-xdist workers run several).

Parsing ahead in a forked child (loader/parallel.py) changes nothing: the same objects,
the same errors and warnings at the same file:line, whichever process parsed a file; small
inputs and single sources (stdin) are parsed here, without a child."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from netreach.errors import InputError
from netreach.loader import load_sources, parallel
from netreach.loader.decode import parse_source
from netreach.loader.limits import Limits
from netreach.loader.sources import Source

POD = """apiVersion: v1
kind: Pod
metadata: {{name: p{i}, namespace: ns{f}, labels: {{app: a{i}, "on": "yes"}}}}
spec: {{containers: [{{name: c, image: x, ports: [{{containerPort: 0x50}}]}}]}}
status: {{podIP: 10.0.{f}.{i}}}
"""
POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: np{f}, namespace: ns{f}, labels: &b {{app: a1}}}}
spec:
  podSelector: {{matchLabels: {{<<: *b}}}}
  ingress: [{{from: [{{podSelector: {{}}}}], ports: [{{port: 8e1}}]}}]
"""
# problems, in a file the child parses: a repeated key, a merge over an explicit key, a
# value kubectl cannot send, an unknown field (its line found later, from the marks), a syntax
# error
TROUBLE = """apiVersion: v1
kind: Pod
metadata: {name: dup, namespace: ns9, name: dup}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm, namespace: ns9}
data:
  a: 1
  <<: {a: 2}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: nan, namespace: ns9}
data: {a: .nan}
---
apiVersion: v1
kind: Pod
metadata: {name: typo, namespace: ns9}
spec:
  containers: [{name: c, image: x}]
  hostNetwerk: true
---
apiVersion: v1
kind: Pod
metadata: [oops
"""


def _sources(trouble: bool) -> list[Source]:
    files = []
    for f in range(6):
        docs = [POD.format(i=i, f=f) for i in range(20)] + [POLICY.format(f=f)]
        files.append(Source(f"f{f}.yaml", "---\n".join(docs).encode()))
    if trouble:
        files.insert(4, Source("trouble.yaml", TROUBLE.encode()))
    return files


@pytest.fixture
def fork_always(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    yield
    assert not parallel._SHARED


def _ahead(parse: object) -> parallel._Ahead:
    """The parent's side of the child behind `parse`."""
    owner = getattr(parse, "__self__", None)
    assert isinstance(owner, parallel._Ahead)
    return owner


def _outcome(sources: list[Source], ahead: bool, **kw: Any) -> tuple[Any, ...]:
    def load() -> Any:
        if not ahead:
            return load_sources(sources, **kw)
        with parallel.parsing(sources) as parse:
            snap = load_sources(sources, parse=parse, **kw)
            assert not _ahead(parse).failed  # the child's results were used
            return snap

    try:
        snap = load()
    except InputError as e:
        return ("error", [str(p) for p in e.problems])
    return (
        sorted((p.namespace, p.name, p.ips, tuple(sorted(p.labels.items()))) for p in snap.pods),
        sorted(repr(p) for p in snap.policies),
        [str(w) for w in snap.warnings],
        [str(p) for p in snap.invalid],
    )


def test_a_child_parses_the_later_sources_of_a_large_input(fork_always: None) -> None:
    sources = _sources(trouble=False)
    assert parallel._split(sources) not in (None, 0)
    with parallel.parsing(sources) as parse:
        assert parse is not None
        ahead = _ahead(parse)
        for source in sources:
            got = parse(source)
            fresh = Source(source.name, source.read_bytes())
            want = parse_source(fresh)
            assert (got.docs, got.problems, got.duplicates) == (want.docs, [], [])
            assert (source.marks, source.text_cache) == (fresh.marks, fresh.text_cache)
        assert not ahead.failed


@pytest.mark.parametrize("lenient", [False, True])
def test_parsing_ahead_changes_no_result_error_or_line(fork_always: None, lenient: bool) -> None:
    for trouble in (False, True):
        alone = _outcome(_sources(trouble), ahead=False, lenient=lenient)
        assert _outcome(_sources(trouble), ahead=True, lenient=lenient) == alone
    errors = _outcome(_sources(True), ahead=True, skip_invalid=True, lenient=lenient)
    assert any("trouble.yaml:28: invalid YAML" in p for p in errors[3])  # by its line


def test_problems_found_by_the_child_name_this_process_sources(fork_always: None) -> None:
    sources = _sources(trouble=True)
    with parallel.parsing(sources) as parse:
        assert parse is not None
        for source in sources:
            parsed = parse(source)
            for problem in parsed.problems:
                assert problem.location is not None and problem.location.source is source


def test_small_inputs_and_single_sources_are_parsed_here() -> None:
    assert parallel._split(_sources(trouble=False)) is None  # well under MIN_BYTES
    big = [Source("-", b"a: b\n" * (parallel.MIN_BYTES // 4))]
    assert parallel._split(big) is None  # one source (stdin): no child
    with parallel.parsing(big) as parse:
        assert parse is None


def test_no_child_on_one_core(fork_always: None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert parallel._split(_sources(trouble=False)) is not None
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda _: {0})
    assert parallel._split(_sources(trouble=False)) is None


def test_a_load_that_stops_early_stops_and_reaps_the_child(fork_always: None) -> None:
    sources = _sources(trouble=False)
    with pytest.raises(InputError, match="size limit"), parallel.parsing(sources) as parse:
        load_sources(sources, parse=parse, limits=Limits(max_input_bytes=3000))
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # no child left behind, not even a zombie


def test_a_child_that_dies_is_replaced_by_parsing_here(
    fork_always: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = parallel.parse_source

    def dies_on_the_third(source: Source, limits: Any = None) -> Any:
        if os.getpid() != parent and source.name == "f3.yaml":
            os._exit(1)
        return real(source, limits)

    parent = os.getpid()
    monkeypatch.setattr(parallel, "parse_source", dies_on_the_third)
    alone = load_sources(_sources(trouble=True), skip_invalid=True)
    sources = _sources(trouble=True)
    with parallel.parsing(sources) as parse:
        snap = load_sources(sources, parse=parse, skip_invalid=True)
        assert _ahead(parse).failed
    assert [str(p) for p in snap.invalid] == [str(p) for p in alone.invalid]
    assert sorted(p.name for p in snap.pods) == sorted(p.name for p in alone.pods)
