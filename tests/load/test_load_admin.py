"""Loading AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy and Node:
the normalized form, and CRD validation with field paths and lines."""

from __future__ import annotations

from collections.abc import Callable

from netreach.model import AdminPeer, LabelSelector, PolicyPort, Snapshot

LoadText = Callable[..., Snapshot]
ErrorsOf = Callable[..., list[str]]

ANP = """apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: guard
spec:
"""  # the spec body starts on line 6
CNP = """apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata:
  name: guard
spec:
"""


def spec(head: str, body: str) -> str:
    return head + "".join(f"  {line}\n" for line in body.splitlines())


GOOD_ANP = """priority: 10
subject:
  pods:
    namespaceSelector: {matchLabels: {team: a}}
    podSelector: {matchLabels: {app: db}}
ingress:
- name: pass-monitoring
  action: Pass
  from:
  - namespaces: {matchLabels: {role: monitoring}}
  ports:
  - portNumber: {port: 9090}
  - portRange: {protocol: UDP, start: 1000, end: 2000}
  - namedPort: metrics
egress:
- action: Deny
  to:
  - networks: [10.0.0.1/8]
  - nodes: {matchLabels: {role: infra}}
"""


def test_anp_is_read_into_the_normalized_form(load_text: LoadText) -> None:
    snap = load_text(spec(ANP, GOOD_ANP))
    (p,) = snap.admin_policies
    assert (p.kind, p.tier, p.name, p.priority) == ("AdminNetworkPolicy", "Admin", "guard", 10)
    assert p.subject.pods == LabelSelector((("app", "db"),))
    rule = p.ingress[0]
    assert (rule.name, rule.action) == ("pass-monitoring", "Pass")
    assert rule.peers == (AdminPeer(namespaces=LabelSelector((("role", "monitoring"),))),)
    assert rule.ports is not None
    assert rule.ports[:2] == (PolicyPort("TCP", 9090), PolicyPort("UDP", 1000, 2000))
    # a named port has no protocol in the CRD: it stands for the name in every protocol
    assert {pp.protocol for pp in rule.ports[2:]} == {"TCP", "UDP", "SCTP"}
    assert p.egress[0].peers[0].networks == ("10.0.0.0/8",)
    assert p.egress[0].peers[1].nodes == LabelSelector((("role", "infra"),))
    assert p.egress[0].ports is None  # no ports: every connection


def test_cnp_accept_is_allow_and_protocols_are_read(load_text: LoadText) -> None:
    body = """tier: Baseline
priority: 3
subject: {namespaces: {}}
ingress:
- action: Accept
  from: [{namespaces: {}}]
  protocols:
  - tcp: {destinationPort: {number: 80}}
  - udp: {destinationPort: {range: {start: 50, end: 60}}}
  - sctp: {}
  - destinationNamedPort: http
"""
    (p,) = load_text(spec(CNP, body)).admin_policies
    assert (p.kind, p.tier, p.priority) == ("ClusterNetworkPolicy", "Baseline", 3)
    rule = p.ingress[0]
    assert rule.action == "Allow"
    assert rule.ports is not None
    assert rule.ports[:3] == (
        PolicyPort("TCP", 80),
        PolicyPort("UDP", 50, 60),
        PolicyPort("SCTP", None),
    )


def test_banp_has_no_priority_and_no_pass(errors_of: ErrorsOf) -> None:
    text = """apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata:
  name: other
spec:
  subject: {namespaces: {}}
  ingress:
  - action: Pass
    from: [{namespaces: {}}]
"""
    errors = errors_of(text)
    assert errors == [
        't.yaml:4: BaselineAdminNetworkPolicy other: metadata.name: Invalid value: "other": '
        "Only one BANP can exist, named default",
        "t.yaml:8: BaselineAdminNetworkPolicy other: spec.ingress[0].action: Unsupported value: "
        '"Pass": supported values: "Allow", "Deny"',
    ]


def test_priority_range_and_required_fields(errors_of: ErrorsOf) -> None:
    errors = errors_of(spec(ANP, "priority: 1001\ningress:\n- action: Allow"))
    assert errors == [
        "t.yaml:6: AdminNetworkPolicy guard: spec.priority: Invalid value: 1001: "
        "must be between 0 and 1000 inclusive",
        "t.yaml:5: AdminNetworkPolicy guard: spec.subject: Required value",
        "t.yaml:8: AdminNetworkPolicy guard: spec.ingress[0].from: Required value: "
        "must have at least 1 item",
    ]


def test_peer_and_subject_are_exactly_one_of(errors_of: ErrorsOf) -> None:
    body = """priority: 1
subject: {namespaces: {}, pods: {namespaceSelector: {}, podSelector: {}}}
egress:
- action: Deny
  to:
  - {}
  - {namespaces: {}, networks: [10.0.0.0/8]}
"""
    errors = errors_of(spec(ANP, body))
    assert any("spec.subject: Forbidden: exactly one of namespaces, pods" in e for e in errors)
    assert any("spec.egress[0].to[0]: Required value: exactly one of" in e for e in errors)
    assert any("spec.egress[0].to[1]: Forbidden: exactly one of" in e for e in errors)


def test_pods_peer_needs_both_selectors(errors_of: ErrorsOf) -> None:
    body = "priority: 1\nsubject: {namespaces: {}}\ningress:\n- action: Deny\n  from:\n  - pods: {namespaceSelector: {}}"
    errors = errors_of(spec(ANP, body))
    assert errors == [
        "t.yaml:11: AdminNetworkPolicy guard: spec.ingress[0].from[0].pods.podSelector: "
        "Required value"
    ]


def test_ingress_peers_cannot_be_networks(errors_of: ErrorsOf) -> None:
    # Strict: the unknown field is an error; the CRD would also prune it and find the peer
    # empty, which it rejects.
    body = (
        "priority: 1\nsubject: {namespaces: {}}\ningress:\n- action: Deny\n  from:\n"
        "  - networks: [10.0.0.0/8]"
    )
    unknown, error = errors_of(spec(ANP, body))
    assert unknown.startswith(
        't.yaml:11: AdminNetworkPolicy guard: unknown field "spec.ingress[0].from[0].networks"'
    )
    assert error == (
        "t.yaml:11: AdminNetworkPolicy guard: spec.ingress[0].from[0]: Required value: "
        "exactly one of namespaces, pods must be set"
    )


def test_named_port_beside_networks_is_rejected(errors_of: ErrorsOf) -> None:
    body = """priority: 1
subject: {namespaces: {}}
egress:
- action: Allow
  to: [{networks: [10.0.0.0/8]}]
  ports: [{namedPort: http}]
"""
    (error,) = errors_of(spec(ANP, body))
    assert "spec.egress[0]: Invalid value" in error and "namedPorts" in error


def test_cnp_port_range_start_below_end_and_tier_values(errors_of: ErrorsOf) -> None:
    body = """tier: Middle
priority: 1
subject: {namespaces: {}}
ingress:
- action: Accept
  from: [{namespaces: {}}]
  protocols: [{tcp: {destinationPort: {range: {start: 90, end: 80}}}}]
"""
    errors = errors_of(spec(CNP, body))
    assert errors[0] == (
        't.yaml:6: ClusterNetworkPolicy guard: spec.tier: Unsupported value: "Middle": '
        'supported values: "Admin", "Baseline"'
    )
    assert "Start port must be less than End port" in errors[1]


def test_domain_names_warn_and_match_nothing(load_text: LoadText) -> None:
    body = """tier: Admin
priority: 1
subject: {namespaces: {}}
egress:
- action: Accept
  to: [{domainNames: ["*.example.com"]}]
"""
    snap = load_text(spec(CNP, body))
    assert snap.admin_policies[0].egress[0].peers == (AdminPeer(unsupported="domainNames"),)
    assert any("domainNames peers are not supported" in str(w) for w in snap.warnings)


def test_equal_admin_priorities_warn(load_text: LoadText) -> None:
    one = spec(ANP, "priority: 5\nsubject: {namespaces: {}}")
    two = one.replace("name: guard", "name: other")
    snap = load_text(one + "---\n" + two)
    (w,) = [str(w) for w in snap.warnings if "share priority" in str(w)]
    assert "AdminNetworkPolicy/guard, AdminNetworkPolicy/other share priority 5" in w


def test_nodes_are_read_with_their_ip_addresses(load_text: LoadText) -> None:
    text = """apiVersion: v1
kind: Node
metadata: {name: n1, labels: {role: infra}}
status:
  addresses:
  - {type: InternalIP, address: 172.16.0.1}
  - {type: Hostname, address: n1}
  - {type: ExternalIP, address: "2001:db8::1"}
"""
    (n,) = load_text(text).nodes
    assert (n.name, dict(n.labels), n.addresses) == (
        "n1",
        {"role": "infra"},
        ("172.16.0.1", "2001:db8::1"),
    )


def test_crd_selector_key_formats_only_warn(load_text: LoadText, errors_of: ErrorsOf) -> None:
    """The network-policy-api CRDs give metav1.LabelSelector keys and values no format, so
    the API server accepts `reserved:host` (cilium-cli's connectivity test
    echo-ingress-from-client-tiered-wildcard-pass-l7.yaml applies it): read, with a warning,
    as a key no pod label has. A NetworkPolicy's selector is still refused (the API server
    runs ValidateLabelSelector on it), and so is an operator no implementation can read."""
    body = """tier: Admin
priority: 1
subject: {namespaces: {}}
ingress:
- action: Accept
  from:
  - pods:
      podSelector:
        matchExpressions: [{key: "reserved:host", operator: Exists}]
        matchLabels: {"bad key!": "a b"}
"""
    snap = load_text(spec(CNP, body))
    (peer,) = snap.admin_policies[0].ingress[0].peers
    assert peer.pods is not None
    assert peer.pods[1].match_expressions[0].key == "reserved:host"
    assert peer.pods[1].match_labels == (("bad key!", "a b"),)
    warned = [str(w) for w in snap.warnings if "the CRD accepts it" in str(w)]
    assert len(warned) == 3  # the expression's key, the label's key and its value
    bad_op = body.replace("operator: Exists", "operator: Has")
    assert any("not a valid selector operator" in e for e in errors_of(spec(CNP, bad_op)))
    knp = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: default}
spec:
  podSelector: {matchExpressions: [{key: "reserved:host", operator: Exists}]}
"""
    assert any('"reserved:host"' in e for e in errors_of(knp))
