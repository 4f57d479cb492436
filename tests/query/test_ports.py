"""The one port syntax (netreach.query.ports): what every command and file accepts, and the
message for what it refuses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netreach.engine.conns import ConnectionSet
from netreach.loader.names import is_dns1123_label
from netreach.query.ports import (
    PortSpec,
    PortSyntaxError,
    parse_numbers,
    parse_port,
    parse_port_list,
    parse_protocol,
)


def test_a_number_is_tcp_by_default() -> None:
    assert parse_port("5432") == PortSpec("TCP", 5432, 5432)


def test_protocol_is_case_insensitive() -> None:
    assert parse_port("53/udp") == PortSpec("UDP", 53, 53)
    assert parse_port("3868/Sctp").protocol == "SCTP"


def test_a_range_is_inclusive() -> None:
    spec = parse_port("8000-8080/TCP")
    assert (spec.lo, spec.hi) == (8000, 8080)
    assert spec.conns == ConnectionSet.ports("TCP", 8000, 8080)


def test_a_name_is_a_container_port_name() -> None:
    assert parse_port("dns/UDP") == PortSpec("UDP", name="dns")
    assert parse_port("http").number == "http"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0", "is not within 1-65535 (low-high)"),
        ("65536", "is not within 1-65535 (low-high)"),
        ("90-80", "is not within 1-65535 (low-high)"),
        ("9" * 5000, "is not within 1-65535 (low-high)"),
        ("80/ICMP", "unknown protocol 'ICMP'"),
        ("http!", "is neither a number, a range nor a port name"),
        ("a-very-long-port-name", "is neither a number, a range nor a port name"),
        ("/TCP", "no port number or name"),
    ],
)
def test_refused_with_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(PortSyntaxError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_port(text)


def test_where_names_ranges_or_protocols_are_not_allowed() -> None:
    with pytest.raises(PortSyntaxError, match="not a port or range"):
        parse_port("http", names=False)
    with pytest.raises(PortSyntaxError, match="not a range"):
        parse_port("80-90", ranges=False)
    with pytest.raises(PortSyntaxError, match="no protocol here"):
        parse_port("80/TCP", protocol=False)


def test_service_port_names_are_dns_labels() -> None:
    """A Service port name is a DNS-1123 label (up to 63), longer than a container's (15)."""
    name = "metrics-over-http-port"
    with pytest.raises(PortSyntaxError):
        parse_port(name)
    assert parse_port(name, name_rule=is_dns1123_label).name == name


def test_a_list_unions_numbers_and_keeps_names() -> None:
    conns, names = parse_port_list("53/UDP, 53/TCP,8000-8001,http")
    assert conns == ConnectionSet.ports("UDP", 53) | ConnectionSet.ports(
        "TCP", 53
    ) | ConnectionSet.ports("TCP", 8000, 8001)
    assert names == frozenset({("http", "TCP")})
    with pytest.raises(PortSyntaxError, match="no port given"):
        parse_port_list(" , ")


def test_numbers_are_sorted_and_unique() -> None:
    assert parse_numbers("81,80,80-82") == [80, 81, 82]


def test_protocols() -> None:
    assert parse_protocol(" tcp ") == "TCP"
    with pytest.raises(PortSyntaxError, match="unknown protocol 'icmp'"):
        parse_protocol("icmp")


@given(st.integers(1, 65535), st.integers(0, 100), st.sampled_from(["TCP", "UDP", "SCTP"]))
def test_str_reads_back(lo: int, width: int, proto: str) -> None:
    spec = PortSpec(proto, lo, min(lo + width, 65535))  # type: ignore[arg-type]
    assert parse_port(str(spec)) == spec
