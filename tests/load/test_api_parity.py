"""API-server parity: CIDRs as Go reads them, annotations, ClusterNetworkPolicy v1alpha2's
optional namespaceSelector, and the removed AdminNetworkPolicy forms."""

from __future__ import annotations

import pytest
from tests_load_helpers import errors, snapshot

from netreach.loader.cidr import parse_cidr


def _policy(cidr: str) -> str:
    return (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: p, namespace: default}\nspec:\n  podSelector: {}\n"
        f"  egress:\n  - to:\n    - ipBlock: {{cidr: '{cidr}'}}\n"
    )


@pytest.mark.parametrize(
    ("cidr", "why"),
    [
        ("fe80::1%eth0/64", "an IPv6 zone"),  # Go's net.ParseCIDR refuses zones
        ("10.0.0.0/255.0.0.0", "must be a valid CIDR"),  # netmask prefix: Python only
        ("10.0.0.0/0.255.255.255", "must be a valid CIDR"),  # hostmask prefix: Python only
        ("010.0.0.0/8", "leading 0s"),  # octal to libc, decimal to Go: ambiguous
        ("::ffff:10.0.0.0/104", "IPv4-mapped"),
        ("10.0.0.0/+8", "must be a valid CIDR"),
        ("10.0.0.0/33", "must be a valid CIDR"),
        ("10.0.0/8", "must be a valid CIDR"),
    ],
)
def test_cidr_refused_as_the_api_server_refuses_it(cidr: str, why: str) -> None:
    (err,) = errors(_policy(cidr))
    assert err.startswith(
        f't.yaml:8: NetworkPolicy default/p: spec.egress[0].to[0].ipBlock.cidr: Invalid value: "{cidr}"'
    )
    assert why in err


@pytest.mark.parametrize(
    ("cidr", "network"),
    [
        ("10.0.0.1/8", "10.0.0.0/8"),  # host bits: the network (legacy field)
        ("10.0.0.0/08", "10.0.0.0/8"),  # a leading zero in the prefix length: Go's dtoi reads it
        ("2001:DB8:0:0::/32", "2001:db8::/32"),
    ],
)
def test_cidr_accepted_as_go_reads_it(cidr: str, network: str) -> None:
    net, why = parse_cidr(cidr)
    assert (str(net), why) == (network, "")
    assert snapshot(_policy(cidr)).policies[0].egress[0].peers[0].ip_block.cidr == network  # type: ignore[union-attr]


NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n  annotations:\n"


def test_annotation_key_syntax_checked() -> None:
    assert errors(NS + "    bad key: x\n")[0].startswith(
        't.yaml:6: Namespace ns: metadata.annotations: Invalid value: "bad key": name part must'
    )


def test_annotation_keys_checked_lower_cased_as_the_api_server_does() -> None:
    assert snapshot(NS + "    Example.COM/Key: x\n").namespaces["ns"]


def test_annotations_over_256_kib_refused() -> None:
    big = "a" * (128 * 1024)
    text = NS + f"    a: {big}\n    b: {big}\n"
    assert errors(text) == [
        "t.yaml:5: Namespace ns: metadata.annotations: Too long: must have at most 262144 bytes"
    ]


def test_annotation_value_must_be_a_string() -> None:
    assert "annotation values must be strings" in errors(NS + "    a: 1\n")[0]


CNP_PODS = """apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: guard}
spec:
  tier: Admin
  priority: 1
  subject:
    pods:
      podSelector: {matchLabels: {app: a}}
  ingress:
  - action: Deny
    from:
    - pods:
        podSelector: {}
"""


def test_cnp_v1alpha2_pods_without_namespace_selector_selects_all_namespaces() -> None:
    (cnp,) = snapshot(CNP_PODS).admin_policies
    assert cnp.subject.namespaces.is_empty and cnp.subject.pods is not None
    (peer,) = cnp.ingress[0].peers
    assert peer.pods is not None and peer.pods[0].is_empty


def test_anp_v1alpha1_pods_still_needs_namespace_selector() -> None:
    text = CNP_PODS.replace("v1alpha2", "v1alpha1").replace(
        "ClusterNetworkPolicy", "AdminNetworkPolicy"
    )
    text = text.replace("  tier: Admin\n", "")
    assert any("subject.pods.namespaceSelector: Required value" in e for e in errors(text))


ANP_OLD = """apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: tenants}
spec:
  priority: 5
  subject: {namespaces: {}}
  ingress:
  - action: Deny
    from:
    - namespaces:
        %s
"""


@pytest.mark.parametrize(
    ("form", "hint"),
    [
        ("namespaceSelector: {matchLabels: {a: b}}", "namespaces: {matchLabels: ...}"),
        ("sameLabels: [tenant]", "removed without replacement"),
        ("notSameLabels: [tenant]", "removed without replacement"),
    ],
)
def test_removed_admin_forms_name_the_current_form_even_when_lenient(form: str, hint: str) -> None:
    for lenient in (False, True):
        errs = errors(ANP_OLD % form, lenient=lenient)
        assert any("removed from the AdminNetworkPolicy API" in e and hint in e for e in errs), errs


def _cnp(name: str, tier: str, priority: int) -> str:
    return (
        f"---\napiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\n"
        f"metadata: {{name: {name}}}\nspec:\n  tier: {tier}\n  priority: {priority}\n"
        "  subject: {namespaces: {}}\n  ingress:\n  - action: Deny\n    from: [{namespaces: {}}]\n"
    )


@pytest.mark.parametrize("tier", ["Admin", "Baseline"])
def test_equal_priorities_warn_in_every_tier(tier: str) -> None:
    snap = snapshot(_cnp("a", tier, 7) + _cnp("b", tier, 7) + _cnp("c", tier, 8))
    (w,) = [str(w) for w in snap.warnings if "share priority" in str(w)]
    assert (
        f"{tier}-tier policies ClusterNetworkPolicy/a, ClusterNetworkPolicy/b share priority 7" in w
    )


def test_same_priority_in_different_tiers_is_no_tie() -> None:
    snap = snapshot(_cnp("a", "Admin", 7) + _cnp("b", "Baseline", 7))
    assert not [w for w in snap.warnings if "share priority" in str(w)]


def test_null_label_value_is_the_empty_string_as_go_decodes_it() -> None:
    text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n  labels: {a: null, b: ~}\n"
    assert dict(snapshot(text).namespaces["ns"].labels) == {
        "a": "",
        "b": "",
        "kubernetes.io/metadata.name": "ns",
    }


def test_a_merge_after_an_explicit_key_replaces_it_and_says_so() -> None:
    # go-yaml v2 (kubectl) applies `<<` in order: the merged value replaces the key above it
    text = (
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n  labels:\n"
        "    app: a\n    <<: {app: b}\n"
    )
    snap = snapshot(text)
    assert snap.namespaces["ns"].labels["app"] == "b"
    (w,) = [str(w) for w in snap.warnings if "merge key" in str(w)]
    assert w.startswith('t.yaml:7: the merge key "<<" replaces "app" set above it at line 6')
