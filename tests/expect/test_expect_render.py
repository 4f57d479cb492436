"""Failure text: one line per group of alike pairs, and the count of those not shown."""

from __future__ import annotations

from builders import cluster, ns, pod, policy
from netreach.analyses.expect import MAX_REPORTED, Expectation, Selector, check_expectations
from netreach.render.expect import failure_text, summary


def test_failure_text_counts_similar_and_unshown_pairs():
    groups = MAX_REPORTED + 2
    pods = [pod(f"a/p{i}", {"n": str(i % groups)}) for i in range(30)]
    # ingress policies in `a` read label n, so the engine tells the groups apart (a→b egress
    # stays open)
    readers = [policy(f"a/n{k}", {"n": str(k)}) for k in range(groups)]
    c = cluster(
        [ns("a"), ns("b")], [*pods, pod("b/db", {"app": "db"})], [policy("b/deny", {}), *readers]
    )
    (r,) = check_expectations(
        c, [Expectation("x", (Selector(namespace="a"),), (Selector(namespace="b"),), None, "allow")]
    )
    text = failure_text(r)
    assert "a/p0 -> b/db: All Connections denied (and 2 similar pairs)" in text
    shown = sum(1 + o.similar for o in r.offences)
    assert text.endswith(f"... and {30 - shown} more offending pairs")
    assert summary([r]) == "1 expectation: 0 passed, 1 failed"
