"""API-server validation: every rule passes a valid case and rejects an invalid one with the
API server's field path and wording, at the right line. And defaulting."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from netreach.model import IPBlock, LabelSelector, Peer, PolicyPort, Requirement, Rule, Snapshot

HEAD = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {name}
  namespace: default
spec:
"""  # the spec body starts on line 7

LoadText = Callable[..., Snapshot]  # the load_text fixture (conftest.py)
ErrorsOf = Callable[..., list[str]]  # the errors_of fixture


def policy(body: str, name: str = "p") -> str:
    return HEAD.format(name=name) + "".join(f"  {line}\n" for line in body.splitlines())


REF = "t.yaml:{line}: NetworkPolicy default/p: "
SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
NAME_PART_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
PORT_RANGE = "must be between 1 and 65535, inclusive"
CIDR_MSG = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"

# (spec body, expected errors as (line, field: message)) -- an empty list means valid.
CASES: dict[str, tuple[str, list[tuple[int, str]]]] = {
    "match_labels_valid": (
        "podSelector:\n  matchLabels: {example.com/app: v1.0_a, app: ''}",
        [],
    ),
    "match_labels_key_invalid": (
        "podSelector:\n  matchLabels:\n    -bad: x",
        [(9, f'spec.podSelector.matchLabels: Invalid value: "-bad": {NAME_PART_MSG}')],
    ),
    "match_labels_key_prefix_invalid": (
        "podSelector:\n  matchLabels:\n    Bad.com/x: v",
        [
            (
                9,
                f'spec.podSelector.matchLabels: Invalid value: "Bad.com/x": prefix part {SUBDOMAIN_MSG}',
            )
        ],
    ),
    "match_labels_key_empty_prefix": (
        "podSelector:\n  matchLabels:\n    /x: v",
        [(9, 'spec.podSelector.matchLabels: Invalid value: "/x": prefix part must be non-empty')],
    ),
    "match_labels_key_two_slashes": (
        "podSelector:\n  matchLabels:\n    a/b/c: v",
        [
            (
                9,
                'spec.podSelector.matchLabels: Invalid value: "a/b/c": a valid label key must '
                "consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
                "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
                "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an "
                "optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
            )
        ],
    ),
    "match_labels_value_invalid": (
        "podSelector:\n  matchLabels:\n    app: -bad-",
        [(9, f'spec.podSelector.matchLabels: Invalid value: "-bad-": {VALUE_MSG}')],
    ),
    "match_labels_value_too_long": (
        "podSelector:\n  matchLabels:\n    app: " + "a" * 64,
        [
            (
                9,
                f'spec.podSelector.matchLabels: Invalid value: "{"a" * 64}": must be no more than 63 bytes',
            )
        ],
    ),
    "match_labels_value_number": (
        "podSelector:\n  matchLabels:\n    version: 123",
        [
            (
                9,
                "spec.podSelector.matchLabels: Invalid value: 123: label values must be strings (quote it)",
            )
        ],
    ),
    "match_expressions_valid": (
        "podSelector:\n  matchExpressions:\n"
        "  - {key: app, operator: In, values: [a, b]}\n"
        "  - {key: app, operator: NotIn, values: [c]}\n"
        "  - {key: tier, operator: Exists}\n"
        "  - {key: x, operator: DoesNotExist, values: []}",
        [],
    ),
    "match_expressions_bad_operator": (
        "podSelector:\n  matchExpressions:\n  - {key: app, operator: Like, values: [a]}",
        [
            (
                9,
                'spec.podSelector.matchExpressions[0].operator: Invalid value: "Like": not a valid selector operator',
            )
        ],
    ),
    "match_expressions_in_without_values": (
        "podSelector:\n  matchExpressions:\n  - {key: app, operator: In}",
        [
            (
                9,
                "spec.podSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
            )
        ],
    ),
    "match_expressions_exists_with_values": (
        "podSelector:\n  matchExpressions:\n  - {key: app, operator: Exists, values: [a]}",
        [
            (
                9,
                "spec.podSelector.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            )
        ],
    ),
    "match_expressions_bad_key": (
        "podSelector:\n  matchExpressions:\n  - {key: 'a b', operator: Exists}",
        [(9, f'spec.podSelector.matchExpressions[0].key: Invalid value: "a b": {NAME_PART_MSG}')],
    ),
    "match_expressions_bad_value": (
        "podSelector:\n  matchExpressions:\n  - key: app\n    operator: In\n    values: [ok, 'no way']",
        [
            (
                11,
                f'spec.podSelector.matchExpressions[0].values[1]: Invalid value: "no way": {VALUE_MSG}',
            )
        ],
    ),
    "match_expressions_every_bad_part_reported": (
        "podSelector:\n  matchExpressions:\n  - key: 'a b'\n    operator: In\n    values: ['x y', 'no way']",
        [
            (
                11,
                f'spec.podSelector.matchExpressions[0].values[0]: Invalid value: "x y": {VALUE_MSG}',
            ),
            (
                11,
                f'spec.podSelector.matchExpressions[0].values[1]: Invalid value: "no way": {VALUE_MSG}',
            ),
            (9, f'spec.podSelector.matchExpressions[0].key: Invalid value: "a b": {NAME_PART_MSG}'),
        ],
    ),
    "port_valid": (
        "podSelector: {}\ningress:\n- ports:\n  - {port: 1}\n  - {port: 65535}\n  - {port: http-alt}",
        [],
    ),
    "port_zero": (
        "podSelector: {}\ningress:\n- ports:\n  - port: 0",
        [(10, f"spec.ingress[0].ports[0].port: Invalid value: 0: {PORT_RANGE}")],
    ),
    "port_too_big": (
        "podSelector: {}\negress:\n- ports:\n  - port: 65536",
        [(10, f"spec.egress[0].ports[0].port: Invalid value: 65536: {PORT_RANGE}")],
    ),
    "named_port_uppercase": (
        "podSelector: {}\ningress:\n- ports:\n  - port: Http",
        [
            (
                10,
                'spec.ingress[0].ports[0].port: Invalid value: "Http": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
            )
        ],
    ),
    "named_port_digits_only": (
        "podSelector: {}\ningress:\n- ports:\n  - port: '8080'",
        [
            (
                10,
                'spec.ingress[0].ports[0].port: Invalid value: "8080": must contain at least one letter (a-z)',
            )
        ],
    ),
    "named_port_double_hyphen": (
        "podSelector: {}\ningress:\n- ports:\n  - port: a--b",
        [
            (
                10,
                'spec.ingress[0].ports[0].port: Invalid value: "a--b": must not contain consecutive hyphens',
            )
        ],
    ),
    "named_port_edge_hyphen": (
        "podSelector: {}\ningress:\n- ports:\n  - port: web-",
        [
            (
                10,
                'spec.ingress[0].ports[0].port: Invalid value: "web-": must not begin or end with a hyphen',
            )
        ],
    ),
    "named_port_too_long": (
        "podSelector: {}\ningress:\n- ports:\n  - port: abcdefghijklmnop",
        [
            (
                10,
                'spec.ingress[0].ports[0].port: Invalid value: "abcdefghijklmnop": must be no more than 15 bytes',
            )
        ],
    ),
    "end_port_valid": (
        "podSelector: {}\ningress:\n- ports:\n  - {port: 80, endPort: 80}\n  - {port: 80, endPort: 65535}",
        [],
    ),
    "end_port_below_port": (
        "podSelector: {}\ningress:\n- ports:\n  - port: 80\n  - port: 80\n    endPort: 79",
        [
            (
                12,
                "spec.ingress[0].ports[1].endPort: Invalid value: 79: must be greater than or equal to `port`",
            )
        ],
    ),
    "end_port_too_big": (
        "podSelector: {}\ningress:\n- ports:\n  - {port: 80, endPort: 65536}",
        [(10, f"spec.ingress[0].ports[0].endPort: Invalid value: 65536: {PORT_RANGE}")],
    ),
    "end_port_with_named_port": (
        "podSelector: {}\ningress:\n- ports:\n  - {port: http, endPort: 90}",
        [
            (
                10,
                "spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is non-numeric",
            )
        ],
    ),
    "end_port_without_port": (
        "podSelector: {}\ningress:\n- ports:\n  - {endPort: 90}",
        [
            (
                10,
                "spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is not specified",
            )
        ],
    ),
    "protocol_valid": (
        "podSelector: {}\ningress:\n- ports:\n  - protocol: TCP\n  - protocol: UDP\n  - protocol: SCTP",
        [],
    ),
    "protocol_unsupported": (
        "podSelector: {}\ningress:\n- ports:\n  - protocol: ICMP",
        [
            (
                10,
                'spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
            )
        ],
    ),
    "protocol_lowercase": (
        "podSelector: {}\ningress:\n- ports:\n  - protocol: tcp",
        [
            (
                10,
                'spec.ingress[0].ports[0].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"',
            )
        ],
    ),
    "peer_valid": (
        "podSelector: {}\ningress:\n- from:\n  - podSelector: {}\n  - namespaceSelector: {}\n"
        "  - {podSelector: {}, namespaceSelector: {}}\n  - ipBlock: {cidr: 10.0.0.0/8}",
        [],
    ),
    "peer_empty": (
        "podSelector: {}\ningress:\n- from:\n  - {}",
        [(10, "spec.ingress[0].from[0]: Required value: must specify a peer")],
    ),
    "peer_ipblock_and_selector": (
        "podSelector: {}\negress:\n- to:\n  - ipBlock: {cidr: 10.0.0.0/8}\n    namespaceSelector: {}",
        [(10, "spec.egress[0].to[0]: Forbidden: may not specify both ipBlock and another peer")],
    ),
    "cidr_valid": (
        "podSelector: {}\ningress:\n- from:\n  - ipBlock: {cidr: 'fd00::/8', except: ['fd00::/16']}\n"
        "  - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.2.3.4/32]}",
        [],
    ),
    "cidr_invalid": (
        "podSelector: {}\ningress:\n- from:\n  - ipBlock:\n      cidr: 10.0.0.0/33",
        [(11, f'spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "10.0.0.0/33": {CIDR_MSG}')],
    ),
    "cidr_not_a_cidr": (
        "podSelector: {}\ningress:\n- from:\n  - ipBlock:\n      cidr: 10.0.0.1",
        [(11, f'spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "10.0.0.1": {CIDR_MSG}')],
    ),
    "cidr_missing": (
        "podSelector: {}\ningress:\n- from:\n  - ipBlock: {except: [10.0.0.0/8]}",
        [(10, "spec.ingress[0].from[0].ipBlock.cidr: Required value")],
    ),
    "except_not_strict_subset": (
        "podSelector: {}\ningress:\n- from:\n  - ipBlock:\n      cidr: 10.0.0.0/16\n"
        "      except: [10.0.0.0/16, 10.1.0.0/24, 'fd00::/64']",
        [
            (
                12,
                'spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "10.0.0.0/16": must be a strict subset of `cidr`',
            ),
            (
                12,
                'spec.ingress[0].from[0].ipBlock.except[1]: Invalid value: "10.1.0.0/24": must be a strict subset of `cidr`',
            ),
            (
                12,
                'spec.ingress[0].from[0].ipBlock.except[2]: Invalid value: "fd00::/64": must be a strict subset of `cidr`',
            ),
        ],
    ),
    "except_invalid_cidr": (
        "podSelector: {}\ningress:\n- from:\n  - ipBlock:\n      cidr: 10.0.0.0/16\n      except:\n      - nope",
        [(13, f'spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "nope": {CIDR_MSG}')],
    ),
    "policy_types_valid": ("podSelector: {}\npolicyTypes: [Egress, Ingress]", []),
    "policy_types_too_many": (
        "podSelector: {}\npolicyTypes: [Ingress, Egress, Ingress]",
        [
            (
                8,
                'spec.policyTypes: Invalid value: ["Ingress","Egress","Ingress"]: may not specify more than two policyTypes',
            )
        ],
    ),
    "policy_types_unsupported": (
        "podSelector: {}\npolicyTypes:\n- Ingress\n- ingress",
        [
            (
                10,
                'spec.policyTypes[1]: Unsupported value: "ingress": supported values: "Egress", "Ingress"',
            )
        ],
    ),
    "ports_as_mapping": (
        "podSelector: {}\ningress:\n- ports:\n    port: 80",
        [(9, 'spec.ingress[0].ports: Invalid value: {"port":80}: must be a list, not object')],
    ),
    "port_float": (
        "podSelector: {}\ningress:\n- ports:\n  - port: 80.5",
        [
            (
                10,
                "spec.ingress[0].ports[0].port: Invalid value: 80.5: must be an integer or a string, not number",
            )
        ],
    ),
    "port_boolean": (
        "podSelector: {}\ningress:\n- ports:\n  - port: true",
        [
            (
                10,
                "spec.ingress[0].ports[0].port: Invalid value: true: must be an integer or a string, not boolean",
            )
        ],
    ),
    "end_port_string": (
        "podSelector: {}\ningress:\n- ports:\n  - {port: 80, endPort: '90'}",
        [
            (
                10,
                'spec.ingress[0].ports[0].endPort: Invalid value: "90": must be an integer, not string',
            )
        ],
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_network_policy_rule(load_text: LoadText, errors_of: ErrorsOf, case: str) -> None:
    body, expected = CASES[case]
    if not expected:
        snap = load_text(policy(body))
        assert len(snap.policies) == 1
        assert snap.warnings == []
        return
    assert errors_of(policy(body)) == [REF.format(line=line) + msg for line, msg in expected]


def test_policy_name_valid(load_text: LoadText) -> None:
    assert load_text(policy("podSelector: {}", name="allow.db-1")).policies[0].name == "allow.db-1"


def test_policy_name_invalid(errors_of: ErrorsOf) -> None:
    assert errors_of(policy("podSelector: {}", name="Allow_DB")) == [
        f't.yaml:4: NetworkPolicy default/Allow_DB: metadata.name: Invalid value: "Allow_DB": {SUBDOMAIN_MSG}'
    ]


def test_policy_name_too_long(errors_of: ErrorsOf) -> None:
    name = "a" * 254
    errs = errors_of(policy("podSelector: {}", name=name))
    assert errs == [
        f't.yaml:4: NetworkPolicy default/{name}: metadata.name: Invalid value: "{name}": '
        "must be no more than 253 bytes"
    ]


def test_all_errors_of_all_objects_in_one_run(errors_of: ErrorsOf) -> None:
    text = policy("podSelector: {}", name="A") + "---\n" + policy("podSelector: {}", name="B")
    assert len(errors_of(text)) == 2


# --- Namespaces and Pods ---------------------------------------------------------------------


def test_namespace_name_is_dns_label(load_text: LoadText, errors_of: ErrorsOf) -> None:
    ok = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {}\n"
    assert "team-1" in load_text(ok.format("team-1")).namespaces
    assert errors_of(ok.format("a.b")) == [
        't.yaml:4: Namespace a.b: metadata.name: Invalid value: "a.b": must not contain dots'
    ]


def test_namespace_labels_validated(errors_of: ErrorsOf) -> None:
    text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n  labels:\n    team: 'a b'\n"
    assert errors_of(text) == [
        f't.yaml:6: Namespace ns: metadata.labels: Invalid value: "a b": {VALUE_MSG}'
    ]


def test_pod_label_value_number_rejected(errors_of: ErrorsOf) -> None:
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    v: 1.5\n"
    assert errors_of(text) == [
        "t.yaml:6: Pod default/p: metadata.labels: Invalid value: 1.5: "
        "label values must be strings (quote it)"
    ]


def test_pod_container_ports_validated(load_text: LoadText, errors_of: ErrorsOf) -> None:
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n"
        "    ports:\n    - {containerPort: %s, name: %s}\n"
    )
    assert len(load_text(text % (8080, "http")).pods[0].ports) == 1
    assert errors_of(text % (70000, "HTTP")) == [
        f"t.yaml:8: Pod default/p: spec.containers[0].ports[0].containerPort: Invalid value: 70000: {PORT_RANGE}",
        't.yaml:8: Pod default/p: spec.containers[0].ports[0].name: Invalid value: "HTTP": '
        "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
        't.yaml:8: Pod default/p: spec.containers[0].ports[0].name: Invalid value: "HTTP": '
        "must contain at least one letter (a-z)",
    ]


def test_workload_template_labels_validated(errors_of: ErrorsOf) -> None:
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n"
        "    metadata:\n      labels:\n        app: -x\n"
    )
    assert errors_of(text) == [
        f't.yaml:8: Deployment default/d: spec.template.metadata.labels: Invalid value: "-x": {VALUE_MSG}'
    ]


def test_namespace_field_validated(errors_of: ErrorsOf) -> None:
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: Team\n"
    errs = errors_of(text)
    assert len(errs) == 1
    assert errs[0].startswith('t.yaml:5: Pod Team/p: metadata.namespace: Invalid value: "Team": ')


# --- unknown fields ---------------------------------------------------------------------------


def test_unknown_field_is_a_warning_when_lenient(load_text: LoadText) -> None:
    snap = load_text(
        policy("podSelector: {}\ningress:\n- from:\n  - podselector: {}\n    podSelector: {}"),
        lenient=True,
    )
    assert [str(w) for w in snap.warnings] == [
        't.yaml:10: NetworkPolicy default/p: unknown field "spec.ingress[0].from[0].podselector" '
        "dropped (`lenient`), as the API server would drop it; results it could change say so; "
        'did you mean "podSelector"?'
    ]
    assert all(w.severity == "warning" for w in snap.warnings)


def test_unknown_field_is_an_error_by_default(errors_of: ErrorsOf) -> None:
    errs = errors_of(policy("podSelector: {}\npolicytypes: [Ingress]"))
    assert errs == [
        't.yaml:8: NetworkPolicy default/p: unknown field "spec.policytypes" '
        '(strict decoding error); did you mean "policyTypes"?'
    ]


def test_known_fields_everywhere_give_no_warning(load_text: LoadText) -> None:
    body = (
        "podSelector: {matchLabels: {a: b}, matchExpressions: [{key: a, operator: Exists}]}\n"
        "policyTypes: [Ingress, Egress]\n"
        "ingress:\n- from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/9]}}]\n"
        "  ports: [{protocol: TCP, port: 1, endPort: 2}]\n"
        "egress:\n- to: [{namespaceSelector: {}, podSelector: {}}]"
    )
    assert load_text(policy(body), strict=True).warnings == []


# --- defaulting -------------------------------------------------------------------------------


def test_defaulting_policy_types_ingress_only(load_text: LoadText) -> None:
    p = load_text(policy("podSelector: {}")).policies[0]
    assert p.policy_types == ("ingress",) and not p.explicit_policy_types


def test_defaulting_policy_types_with_egress_rules(load_text: LoadText) -> None:
    p = load_text(policy("podSelector: {}\negress:\n- {}")).policies[0]
    assert p.policy_types == ("ingress", "egress") and not p.explicit_policy_types


def test_defaulting_policy_types_empty_egress(load_text: LoadText) -> None:
    p = load_text(policy("podSelector: {}\negress: []")).policies[0]
    assert p.policy_types == ("ingress",)


def test_explicit_policy_types(load_text: LoadText) -> None:
    p = load_text(policy("podSelector: {}\npolicyTypes: [Egress]")).policies[0]
    assert p.policy_types == ("egress",) and p.explicit_policy_types


def test_defaulting_protocol_tcp_and_port_none(load_text: LoadText) -> None:
    body = "podSelector: {}\ningress:\n- ports:\n  - port: 80\n  - protocol: UDP"
    rule = load_text(policy(body)).policies[0].ingress[0]
    assert rule.ports == (PolicyPort("TCP", 80), PolicyPort("UDP", None))


def test_empty_from_and_absent_ports(load_text: LoadText) -> None:
    body = "podSelector: {}\ningress:\n- from: []\n- {}\n- from: null\n  ports: []"
    p = load_text(policy(body)).policies[0]
    assert p.ingress == (Rule(), Rule(), Rule())


def test_missing_pod_selector_is_empty(load_text: LoadText) -> None:
    p = load_text(policy("policyTypes: [Ingress]")).policies[0]
    assert p.pod_selector == LabelSelector()


def test_selectors_and_ipblock_modelled(load_text: LoadText) -> None:
    body = (
        "podSelector:\n  matchLabels: {b: '2', a: '1'}\n"
        "  matchExpressions: [{key: t, operator: NotIn, values: [x]}]\n"
        "egress:\n- to:\n  - ipBlock: {cidr: 10.0.0.1/8, except: [10.1.0.0/16]}\n"
        "  - {namespaceSelector: {matchLabels: {team: a}}, podSelector: {}}"
    )
    p = load_text(policy(body)).policies[0]
    assert p.pod_selector == LabelSelector(
        (("a", "1"), ("b", "2")), (Requirement("t", "NotIn", ("x",)),)
    )
    assert p.egress[0].peers == (
        Peer(ip_block=IPBlock("10.0.0.0/8", ("10.1.0.0/16",))),
        Peer(pod_selector=LabelSelector(), namespace_selector=LabelSelector((("team", "a"),))),
    )
