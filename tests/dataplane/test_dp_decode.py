"""The dataplane's own decoder (the second reading of the manifests): YAML as kubectl reads
it, the API server's defaulting, every policy kind; bad input becomes a listed problem."""

from __future__ import annotations

import json

import pytest

from netreach.dataplane.decode import _go_int, decode, resolve_plain
from netreach.dataplane.objects import (
    AdminPeer,
    Expression,
    Peer,
    Port,
    Selector,
    ServicePort,
)


def _one(text: str, default_namespace: str = "default"):  # type: ignore[no-untyped-def]
    return decode([("t.yaml", text.encode())], default_namespace)


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("80", "int", 80),
        ("0x50", "int", 80),
        ("0o17", "int", 15),
        ("017", "int", 15),  # Go base 0: a leading 0 is octal
        ("1_000", "int", 1000),
        ("-3", "int", -3),
        ("yes", "bool", True),
        ("Off", "bool", False),
        ("y", "bool", True),  # go-yaml v2 (YAML 1.1) reads y/n as booleans
        ("~", "null", None),
        ("", "null", None),
        ("1.5", "float", None),
        ("http", "str", None),
        ("08", "float", None),  # not an int for Go's base 0, but ParseFloat takes it
        ("_0", "str", None),  # underscores are dropped only after a digit or sign
        (".5", "float", 0.5),
        ("-.inf", "float", float("-inf")),
        ("2024-1-2", "timestamp", None),
    ],
)
def test_plain_scalars_resolve_as_go_yaml_v2(text: str, kind: str, value: object) -> None:
    got = resolve_plain(text)
    assert got.kind == kind and (value is None or got.value == value)


def test_go_int_bounds_and_timestamps() -> None:
    assert _go_int(str(2**64)) is None and _go_int(str(2**64 - 1)) == 2**64 - 1  # ParseUint
    assert _go_int("0x") is None and _go_int("+") is None
    assert resolve_plain("2024-1-2").text == "2024-01-02T00:00:00Z"
    assert resolve_plain("2001-12-14t21:59:43.10-05:00").text == "2001-12-14T21:59:43.1-05:00"
    assert resolve_plain("2001-02-30").kind == "str"  # no such day: not a timestamp


def test_only_strings_fill_string_fields() -> None:
    """kubectl turns YAML into JSON before decoding: `yes` is a boolean and `1.10` a number,
    which a label (a string) cannot hold; a quoted value is a string."""
    m = _one(
        """
apiVersion: v1
kind: Pod
metadata: {name: p, labels: {app: yes, ver: 1.10, n: "010", ok: "yes"}}
spec: {containers: [{name: c, ports: [{containerPort: 0x50, name: web}]}]}
"""
    )
    info = m.pods[("default", "p")]
    # A key is not a string field: go-yaml v2 reads `n` as false, and sigs.k8s.io/yaml
    # writes that key as "false", as kubectl does.
    assert dict(info.labels) == {"false": "010", "ok": "yes"}
    assert [(p.port, p.protocol, p.name) for p in info.ports] == [(80, "TCP", "web")]


def test_aliases_and_merge_keys() -> None:
    m = _one(
        """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector:
    matchLabels: &base {app: db, tier: data}
  ingress:
  - from:
    - podSelector:
        matchLabels:
          <<: *base
          tier: web
"""
    )
    pol = m.policies[("x", "p")]
    assert pol.selector == Selector((("app", "db"), ("tier", "data")))
    peer = pol.ingress[0].peers[0]
    assert peer.pods == Selector((("app", "db"), ("tier", "web")))  # explicit keys win


def test_network_policy_defaulting() -> None:
    m = _one(
        """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a}
spec:
  podSelector: {}
  egress: [{}]
  ingress:
  - ports: [{port: 53}, {protocol: UDP, port: dns}, {port: 8000, endPort: 8080}]
    from:
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
    - namespaceSelector: {matchExpressions: [{key: team, operator: In, values: [a]}]}
      podSelector: null
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b, namespace: ny}
spec:
  podSelector: {}
  egress: []
"""
    )
    a, b = m.policies[("default", "a")], m.policies[("ny", "b")]
    # policyTypes default: Ingress always, Egress when there is an egress rule
    assert (a.ingress_isolated, a.egress_isolated) == (True, True)
    assert (b.ingress_isolated, b.egress_isolated) == (True, False)
    rule = a.ingress[0]
    assert rule.ports == (Port("TCP", 53), Port("UDP", "dns"), Port("TCP", 8000, 8080))
    assert rule.peers == (
        Peer(cidr="10.0.0.0/8", excepts=("10.1.0.0/16",)),
        Peer(namespaces=Selector((), (Expression("team", "In", ("a",)),))),
    )


def test_admin_kinds_v1alpha1_and_v1alpha2() -> None:
    m = _one(
        """
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: anp}
spec:
  priority: 7
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}}
  egress:
  - name: out
    action: Pass
    to: [{networks: [10.0.0.0/8]}, {nodes: {}}, {domainNames: [example.com]}]
    ports: [{portNumber: {port: 80}}, {namedPort: web}, {portRange: {protocol: UDP, start: 5, end: 9}}]
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: cnp}
spec:
  tier: Baseline
  priority: 3
  subject: {namespaces: {}}
  ingress:
  - action: Accept
    from: [{namespaces: {}}]
    protocols: [{tcp: {destinationPort: {number: 443}}}, {sctp: {}}, {udp: {destinationPort: {range: {start: 1, end: 2}}}}, {destinationNamedPort: dns}]
"""
    )
    anp = m.admin[("AdminNetworkPolicy", "anp")]
    assert (anp.baseline, anp.priority, anp.subject_pods) == (False, 7, Selector((("app", "db"),)))
    rule = anp.egress[0]
    assert (rule.name, rule.action) == ("out", "Pass")
    assert [p.kind for p in rule.peers] == ["networks", "nodes", "unsupported"]
    assert rule.ports == (Port("TCP", 80), Port(None, "web"), Port("UDP", 5, 9))
    cnp = m.admin[("ClusterNetworkPolicy", "cnp")]
    assert cnp.baseline and cnp.ingress[0].action == "Allow"
    assert cnp.ingress[0].peers == (AdminPeer("namespaces", namespaces=Selector()),)
    assert cnp.ingress[0].ports == (
        Port("TCP", 443),
        Port("SCTP"),
        Port("UDP", 1, 2),
        Port(None, "dns"),
    )


def test_services_workloads_lists_and_json() -> None:
    doc = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "s", "namespace": "n"},
                "spec": {"selector": {"app": "a"}, "clusterIP": "None", "ports": [{"port": 80}]},
            },
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "metadata": {"name": "c", "namespace": "n"},
                "spec": {
                    "jobTemplate": {
                        "spec": {
                            "template": {
                                "metadata": {"labels": {"app": "a"}},
                                "spec": {"hostNetwork": True, "containers": []},
                            }
                        }
                    }
                },
            },
        ],
    }
    m = decode([("live", json.dumps(doc).encode())])
    svc = m.services[("n", "s")]
    assert svc.headless and svc.ports == (ServicePort(80, 80, "TCP"),)  # targetPort = port
    job = m.workloads[("n", "CronJob", "c")]
    assert job.host_network and dict(job.labels) == {"app": "a"}


def test_namespace_gets_its_name_label_and_pods_keep_status_ips() -> None:
    m = _one(
        """
apiVersion: v1
kind: Namespace
metadata: {name: x, labels: {kubernetes.io/metadata.name: other, team: a}}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: x}
status: {podIPs: [{ip: 10.0.0.1}, {ip: "fd00::1"}], podIP: 10.9.9.9}
"""
    )
    assert dict(m.namespaces["x"]) == {"kubernetes.io/metadata.name": "x", "team": "a"}
    assert m.pods[("x", "p")].ips == ("10.0.0.1", "fd00::1")


def _merge_chain(n: int) -> bytes:
    """Each mapping merges the one before: quadratic once expanded (a merge-key bomb)."""
    lines = ["m0: &m0 {k0: 0}"]
    lines += [f"m{i}: &m{i} {{<<: *m{i - 1}, k{i}: {i}}}" for i in range(1, n)]
    return "\n".join(lines).encode()


def test_aliases_are_shared_not_copied() -> None:
    """A billion-laughs document costs nothing: aliases share one value."""
    bomb = b"a: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
        b"%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n" % ((c, c) + (c - 1,) * 9)
        for c in range(98, 122)
    )
    assert decode([("bomb.yaml", bomb)]).problems == []


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"a: \xc3\x28", "not UTF-8"),
        (b"a: [unclosed", "YAML the dataplane decoder cannot read"),
        (b"a: " + b"[" * 300 + b"]" * 300, "nested deeper"),
        (_merge_chain(3000), "too large"),
    ],
)
def test_unreadable_input_is_a_problem_not_a_crash(data: bytes, problem: str) -> None:
    m = decode([("bad.yaml", data)])
    assert any(problem in p for p in m.problems), m.problems
