"""Merge keys count against --max-alias-nodes, and line lookup is one composition per
document: the two ways a hostile or big input used to take minutes."""

from __future__ import annotations

import time

from tests_load_helpers import errors

from netreach.errors import InputError
from netreach.loader import Limits, load_sources
from netreach.loader.sources import Source

NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels:\n"


def merge_bomb(anchors: int, keys: int, maps: int) -> str:
    """`maps` maps, each merging every anchor: anchors * keys entries copied per map."""
    lines = ["bomb:"]
    for a in range(anchors):
        body = ", ".join(f"k{a}x{k}: v" for k in range(keys))
        lines.append(f"  a{a}: &a{a} {{{body}}}")
    every = ", ".join(f"*a{a}" for a in range(anchors))
    lines += [f"  m{m}: {{<<: [{every}]}}" for m in range(maps)]
    return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n" + "\n".join(lines) + "\n"


def test_merge_keys_count_against_the_alias_limit() -> None:
    text = merge_bomb(anchors=100, keys=10, maps=200)  # 200,000 entries copied
    assert len(text) < 200_000
    start = time.perf_counter()
    (err,) = errors(text)
    assert time.perf_counter() - start < 20  # was 60 s and 1.58 GB for 125 KB
    assert "YAML merge keys (<<) copy over 100,000 entries" in err
    assert "`max_alias_nodes`" in err


def test_merges_within_the_limit_load() -> None:
    text = merge_bomb(anchors=5, keys=4, maps=10)  # 200 entries copied
    load_sources([Source("t.yaml", text.encode())])
    try:
        load_sources([Source("t.yaml", text.encode())], limits=Limits(max_alias_nodes=100))
    except InputError as e:
        assert "YAML merge keys" in str(e.problems[0])
    else:
        raise AssertionError("a merge over a lowered limit must be refused")


def test_thousands_of_errors_in_one_big_document_are_located_quickly() -> None:
    # one 400 KB document with 3,000 invalid label values: each message needs a line
    labels = "".join(f"    k{i}: 'bad value {i}'\n" for i in range(3000))
    pad = "".join(f"    # {'x' * 100}\n" for i in range(3200))
    text = NS + pad + labels
    assert len(text) > 400_000
    start = time.perf_counter()
    errs = errors(text)
    elapsed = time.perf_counter() - start
    assert len(errs) == 3000
    assert errs[0].startswith(f"t.yaml:{6 + 3200}: Namespace x: metadata.labels")
    assert errs[-1].startswith(f"t.yaml:{6 + 3200 + 2999}: ")
    assert elapsed < 30  # was 301 s: each lookup composed the document again
