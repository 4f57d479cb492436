"""Comparing address ranges: what the engine allows against what the intent asks."""

from __future__ import annotations

from netreach.engine import ipset
from netreach.engine.conns import ConnectionSet
from netreach.query.compare import differences as compare_spans

TCP80 = ConnectionSet.ports("TCP", 80)
TCP443 = ConnectionSet.ports("TCP", 443)


def span(cidr: str, conns: ConnectionSet) -> tuple[int, int, ConnectionSet]:
    lo, hi = ipset.cidr_range(cidr)
    return lo, hi, conns


def test_overlapping_intent_ranges_add_up_against_the_engines_atoms() -> None:
    expected = [span("10.0.0.0/8", TCP443), span("10.1.0.0/16", TCP80)]
    lo8, hi8 = ipset.cidr_range("10.0.0.0/8")
    lo16, hi16 = ipset.cidr_range("10.1.0.0/16")
    actual = [
        (lo8, lo16 - 1, TCP443),
        (lo16, hi16, TCP80 | TCP443),
        (hi16 + 1, hi8, TCP443),
    ]
    assert compare_spans(actual, expected) == []


def test_extra_and_missing_ranges_are_reported_merged() -> None:
    expected = [span("10.0.0.0/8", TCP443)]
    actual = [span("10.0.0.0/9", TCP443), span("10.128.0.0/9", TCP443 | TCP80)]
    actual += [span("11.0.0.0/8", TCP443), span("12.0.0.0/8", TCP443)]
    diffs = [
        (ipset.range_text(lo, hi), str(extra), str(missing))
        for lo, hi, extra, missing in compare_spans(actual, expected)
    ]
    assert diffs == [
        ("10.128.0.0-10.255.255.255", "TCP 80", "No Connections"),
        ("11.0.0.0-12.255.255.255", "TCP 443", "No Connections"),
    ]


def test_a_difference_never_spans_ipv4_and_ipv6() -> None:
    actual = [span("255.255.255.255/32", TCP80), span("::/128", TCP80)]
    diffs = compare_spans(actual, [])
    assert [ipset.range_text(lo, hi) for lo, hi, _, _ in diffs] == [
        "255.255.255.255-255.255.255.255",
        "::-::",
    ]
