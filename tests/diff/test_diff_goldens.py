"""`netreach diff --compat netpol-analyzer -o txt` against the peer's diff goldens, by meaning.

Both sides are parsed into (src, dst) -> (before, after); external ranges are re-cut on the
union of both sides' boundaries (the peer does not merge neighbouring ranges; we do).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from netreach.engine import ipset
from netreach.engine.conns import ConnectionSet
from netreach.query.compare import recut
from paths import SHARED

CORPUS = SHARED / "corpora" / "netpol-analyzer"
DIFFS = sorted((CORPUS / "diffs").glob("*__to__*.txt")) if CORPUS.is_dir() else []

# Cases whose difference comes from AdminNetworkPolicy / BaselineAdminNetworkPolicy, which
# the engine does not model yet (strict xfail: the day they pass, this list must shrink).
# golden -> why we differ on purpose (docs/compat.md)
DELIBERATE = {
    "anp_test_11__to__anp_test_11_swapping_rules": (
        "both sides hold an AdminNetworkPolicy `pods` peer without podSelector, which the "
        "network-policy-api CRD rejects: netreach refuses the input as the API server would"
    ),
}

LINE = re.compile(
    r"diff-type: (?P<kind>\w+), source: (?P<src>.*?), destination: (?P<dst>.*?), "
    r"ref1: (?P<ref1>.*?), ref2: (?P<ref2>.*?)(, workloads-diff-info: .*)?$"
)

Row = tuple[str, str, ConnectionSet, ConnectionSet]


def _external(node: str) -> bool:
    return node[:1].isdigit() or node.startswith(":")


def canonical(rows: list[Row]) -> tuple[dict[object, object], dict[object, object]]:
    """Pairs between named nodes, and per (node, direction) the IPv4 ranges re-cut."""
    pairs: dict[object, object] = {}
    ranges: dict[tuple[str, str], list[tuple[int, int, ConnectionSet, ConnectionSet]]] = {}
    for src, dst, before, after in rows:
        if not (_external(src) or _external(dst)):
            pairs[(src, dst)] = (before, after)
            continue
        node, direction, rng = (dst, "in", src) if _external(src) else (src, "out", dst)
        lo, hi = ipset.parse_range(rng)
        if lo < ipset.V6_OFFSET:  # the peer ignores IPv6
            ranges.setdefault((node, direction), []).append((lo, hi, before, after))
    recut_: dict[object, object] = {}
    for key, items in ranges.items():
        old = [(lo, hi, b) for lo, hi, b, _ in items if not b.is_empty]
        new = [(lo, hi, a) for lo, hi, _, a in items if not a.is_empty]
        recut_[key] = recut(old, new)
    return pairs, recut_


def parse_lines(text: str) -> list[Row]:
    rows: list[Row] = []
    for line in text.splitlines():
        m = LINE.match(line.strip())
        if m:
            src, dst = (m[k].removesuffix("[External]") for k in ("src", "dst"))
            rows.append((src, dst, ConnectionSet.parse(m["ref1"]), ConnectionSet.parse(m["ref2"])))
    return rows


def _case(name: str) -> str:
    return str(CORPUS / "cases" / name / "input")


@pytest.mark.skipif(not DIFFS, reason=f"peer corpus not present at {CORPUS}")
@pytest.mark.parametrize(
    "golden",
    [
        pytest.param(
            p,
            id=p.stem,
            marks=[pytest.mark.xfail(strict=True, reason=DELIBERATE[p.stem])]
            if p.stem in DELIBERATE
            else [],
        )
        for p in DIFFS
    ]
    or [pytest.param(None, id="no-corpus")],
)
def test_diff_matches_the_peer_golden_by_meaning(golden: Path, run) -> None:
    old_name, new_name = golden.stem.split("__to__")
    old, new = _case(old_name), _case(new_name)
    code, out, _ = run("diff", old, new, "--compat", "netpol-analyzer", "-o", "txt")
    assert code == 0
    assert canonical(parse_lines(out)) == canonical(parse_lines(golden.read_text()))
