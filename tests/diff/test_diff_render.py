"""Diff renderers: the Markdown table cap, the peer's line format, escaping."""

from __future__ import annotations

import io

import netreach
from builders import cluster, ns, pod, policy
from netreach.render.diff import write_md, write_txt


def _report(n_pods: int):
    pods = [pod(f"1st/p{i}", {"app": "x"}) for i in range(n_pods)]
    old = cluster([ns("1st")], pods)
    new = cluster([ns("1st")], pods, [policy("1st/deny", {})])
    return netreach.diff(old, new, by="pod", external=False)


def test_markdown_caps_each_table_and_counts_the_rest():
    report = _report(3)  # 9 removed pairs (self pairs included)
    out = io.StringIO()
    write_md(report, out, max_rows=4)
    text = out.getvalue()
    assert text.startswith("**netreach diff** (by pod): **0 added**, **9 removed**")
    assert text.count("\n| 1st/p") == 4
    assert "… and 5 more (see the json or csv output)" in text


def test_markdown_says_so_when_nothing_changed():
    out = io.StringIO()
    write_md(_report(0), out)
    assert out.getvalue() == "**netreach diff** (by pod): no reachability change.\n"


def test_compat_lines_tag_only_address_ranges_as_external():
    old = cluster([ns("1st")], [pod("1st/a", {"app": "a"})])
    new = cluster(
        [ns("1st")], [pod("1st/a", {"app": "a"})], [policy("1st/deny", {}, types=["egress"])]
    )
    out = io.StringIO()
    write_txt(netreach.diff(old, new, by="pod", include_self=False, ipv6=False), out, compat=True)
    assert out.getvalue().splitlines() == [
        "diff-type: removed, source: 1st/a, destination: 0.0.0.0-255.255.255.255[External], "
        "ref1: All Connections, ref2: No Connections"
    ]
