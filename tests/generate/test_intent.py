"""The intent file: endpoints, ports, and errors that point at the line."""

from __future__ import annotations

import pytest

from netreach.analyses.generate.intent import (
    CidrSpec,
    LabelSpec,
    NamespaceSpec,
    WorkloadSpec,
    parse_allow,
    parse_endpoint,
    parse_intent,
    parse_ports,
)
from netreach.engine.conns import ConnectionSet
from netreach.errors import InputError
from netreach.model import LabelSelector


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("api", WorkloadSpec("default", "api")),
        ("backend/api", WorkloadSpec("backend", "api")),
        ("backend/api[StatefulSet]", WorkloadSpec("backend", "api", "StatefulSet")),
        ("monitoring/*", NamespaceSpec("monitoring")),
        ("app=web", LabelSpec("default", LabelSelector((("app", "web"),)))),
        (
            "shop/app=web,tier=fe",
            LabelSpec("shop", LabelSelector((("app", "web"), ("tier", "fe")))),
        ),
        ("*/app=web", LabelSpec(None, LabelSelector((("app", "web"),)))),
        ("10.0.0.0/8", CidrSpec("10.0.0.0/8")),
        ("10.1.2.3/8", CidrSpec("10.0.0.0/8")),
        ("203.0.113.7", CidrSpec("203.0.113.7/32")),
        ("fd00::/8", CidrSpec("fd00::/8")),
    ],
)
def test_endpoint_forms(text: str, spec: object) -> None:
    assert parse_endpoint(text) == spec


def test_bare_names_use_the_given_default_namespace() -> None:
    assert parse_endpoint("api", "shop") == WorkloadSpec("shop", "api")


@pytest.mark.parametrize("text", ["*/api", "Bad_Name", "/x", ""])
def test_bad_endpoints_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_endpoint(text)


def test_ports_default_to_tcp_and_accept_ranges_and_lists() -> None:
    assert parse_ports("5432") == ConnectionSet.ports("TCP", 5432)
    assert parse_ports("8000-8080/tcp,53/UDP") == ConnectionSet.parse("TCP 8000-8080; UDP 53")


@pytest.mark.parametrize("text", ["0", "70000", "80/ICMP", "http", "90-80"])
def test_bad_ports_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_ports(text)


def test_an_ipv6_destination_keeps_its_colons() -> None:
    allow = parse_allow("api -> fd00::/8:443")
    assert allow.dst == CidrSpec("fd00::/8")
    assert allow.conns == ConnectionSet.ports("TCP", 443)


def test_a_destination_without_port_is_refused_with_an_example() -> None:
    with pytest.raises(ValueError, match="needs a port"):
        parse_allow("api -> db")


def test_every_bad_line_is_reported_with_its_line_number() -> None:
    text = "allow:\n  - web -> api:8080\n  - web -> api\n  - web => api:80\n"
    with pytest.raises(InputError) as exc:
        parse_intent(text, "intent.yaml")
    refs = [p.object_ref for p in exc.value.problems]
    assert refs == ["intent.yaml:3", "intent.yaml:4"]


def test_unknown_top_level_key_is_refused() -> None:
    with pytest.raises(InputError, match="unknown key 'allows'"):
        parse_intent("allows:\n  - web -> api:80\n", "i.yaml")


def test_a_file_without_allow_list_is_refused() -> None:
    with pytest.raises(InputError, match="no `allow:` list"):
        parse_intent("{}", "i.yaml")
    with pytest.raises(InputError, match="invalid YAML"):  # the manifests' decoder
        parse_intent("allow: [", "i.yaml")


def test_origin_records_where_each_allow_was_written() -> None:
    parsed = parse_intent("# c\nallow:\n  - web -> api:80\n", "i.yaml")
    assert [a.origin for a in parsed.allows] == ["i.yaml:3"]


def test_port_names_are_kept_with_their_protocol() -> None:
    allow = parse_allow("api -> db:postgres,dns/UDP,9187")
    assert allow.conns == ConnectionSet.ports("TCP", 9187)
    assert allow.names == frozenset({("postgres", "TCP"), ("dns", "UDP")})


def test_a_port_name_towards_an_address_range_is_refused() -> None:
    with pytest.raises(ValueError, match="a port name needs pods as destination"):
        parse_allow("api -> 10.0.0.0/8:https")
