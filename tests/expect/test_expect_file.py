"""The expectations file: what it accepts, and file:line for each problem (all at once)."""

from __future__ import annotations

import pytest

from netreach.analyses.expect import PortSpec, Selector
from netreach.analyses.expect_file import parse_expectations
from netreach.errors import InputError
from netreach.loader.sources import Source


def parse(text: str):
    return parse_expectations(Source("exp.yaml", text.encode()))


def problems(text: str) -> list[str]:
    with pytest.raises(InputError) as info:
        parse(text)
    return [str(p) for p in info.value.problems]


def test_the_documented_example_is_read():
    (a, b, c) = parse(
        """
expectations:
  - name: api reaches db
    from: {namespace: default, labels: {app: api}}
    to: {namespace: default, workload: db}
    port: 5432/TCP
    expect: allow
  - name: db is reachable only from api and monitoring
    to: {namespace: default, labels: {app: db}}
    only-from:
      - {namespace: default, labels: {app: api}}
      - {namespace: monitoring}
  - name: nothing leaves default except DNS
    from: {namespace: default}
    to: {cidr: 0.0.0.0/0}
    expect: deny
"""
    )
    assert a.src == (Selector(namespace="default", labels={"app": "api"}),)
    assert a.port == PortSpec("TCP", 5432, 5432) and a.expect == "allow"
    assert str(a.location) == "exp.yaml:3"
    assert b.only_from == (
        Selector(namespace="default", labels={"app": "api"}),
        Selector("monitoring"),
    )
    assert c.dst == (Selector(cidr="0.0.0.0/0"),) and c.port is None


@pytest.mark.parametrize(
    ("text", "port"),
    [
        ("5432", PortSpec("TCP", 5432, 5432)),
        ("53/udp", PortSpec("UDP", 53, 53)),
        ("8000-8080/TCP", PortSpec("TCP", 8000, 8080)),
        ("dns-tcp", PortSpec("TCP", name="dns-tcp")),
        ("dns/UDP", PortSpec("UDP", name="dns")),
    ],
)
def test_ports_by_number_range_or_name(text, port):
    (e,) = parse(f"expectations:\n  - {{name: x, to: {{pod: a}}, port: {text}, expect: deny}}\n")
    assert e.port == port


def test_every_problem_is_reported_with_its_line():
    got = problems(
        """expectations:
  - name: one
    from: {namespace: default, lables: {app: api}}
    to: {cidr: 10.0.0.0/33}
    port: 99999
    expect: allow
  - from: {namespace: default}
    to: {namespace: default}
    expect: maybe
  - name: only
    from: {namespace: default}
    only-from: [{namespace: x}]
"""
    )
    assert got == [
        "exp.yaml:3: expectations[0].from.lables: unknown selector key 'lables' "
        "(expected namespace, pod, workload, labels, namespace-labels, cidr)",
        "exp.yaml:4: expectations[0].to.cidr: `cidr` '10.0.0.0/33' is not a CIDR (e.g. 10.0.0.0/8)",
        "exp.yaml:5: expectations[0].port: port '99999' is not within 1-65535 (low-high)",
        "exp.yaml:7: expectations[1]: `name` is required (a short sentence)",
        "exp.yaml:9: expectations[1].expect: `expect` is allow or deny, not 'maybe'",
        "exp.yaml:12: expectations[2].only-from: `only-from` needs `to` (and no `from`)",
    ]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("{name: x, to: {pod: a}}", "give exactly one of `expect`, `only-from` or `only-to`"),
        ("{name: x, expect: allow}", "`expect` needs `from`, `to` or both"),
        ("{name: x, to: {cidr: 10.0.0.0/8, namespace: a}, expect: deny}", "takes no other key"),
        ("{name: x, to: {labels: {v: 1}}, expect: deny}", "(quote numbers)"),
        ("{name: x, to: {pod: a}, port: 'http!', expect: deny}", "neither a number"),
        ("{name: x, to: {pod: a}, port: 80/ICMP, expect: deny}", "unknown protocol 'ICMP'"),
        ("{name: x, from: {cidr: 10.0.0.0/8}, only-to: [{pod: a}]}", "must select pods"),
        ("{name: x, to: {pod: a}, expect: deny, when: now}", "unknown key 'when'"),
        ("{name: x, to: {cidr: 0.0.0.0/0}, port: http, expect: allow}", "needs pod destinations"),
        ("{name: x, from: {cidr: 1.0.0.0/8}, to: {cidr: 2.0.0.0/8}, expect: deny}", "select pods"),
    ],
)
def test_malformed_items_are_refused(item, message):
    (got,) = problems(f"expectations:\n  - {item}\n")
    assert got.startswith("exp.yaml:2:") and message in got


def test_not_yaml_is_refused_with_the_line():
    (got,) = problems("expectations:\n  - name: [x\n")
    assert got.startswith("exp.yaml:3: invalid YAML")  # the manifests' decoder and message


def test_a_file_without_expectations_is_refused():
    assert problems("hello: 1\n") == ["exp.yaml:1: expected a mapping with a list `expectations:`"]
