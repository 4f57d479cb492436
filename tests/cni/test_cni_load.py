"""Calico and Cilium objects validated as their APIs validate them: messages with the file,
line, object and field path (Calico: libcalico-go validator/v3 and the CRDs; Cilium: the CRD
schema and pkg/policy/api Sanitize), and read as those APIs default them."""

from __future__ import annotations

import pytest
from cni_helpers import cluster, errors

from netreach.model import V_NAMESPACE, LabelSelector

CALICO_NP = "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n"
GNP = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\nspec:\n"
CNP = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n"
CCNP = (
    "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: p}\nspec:\n"
)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (
            GNP + "  selector: app == web\n",
            't.yaml:5: GlobalNetworkPolicy p: spec.selector: Invalid value: "app == web": invalid selector: expected string',
        ),
        (
            CALICO_NP + "  ingress: [{action: Reject}]\n",
            't.yaml:5: NetworkPolicy shop/p: spec.ingress[0].action: Unsupported value: "Reject": supported values: "Allow", "Deny", "Log", "Pass"',
        ),
        (
            CALICO_NP + "  ingress: [{action: Allow, destination: {ports: [80]}}]\n",
            "t.yaml:5: NetworkPolicy shop/p: spec.ingress[0].destination.ports[0]: Invalid value: 80: rules with numeric port or port range must set protocol to TCP or UDP or SCTP",
        ),
        (
            GNP + "  selectr: all()\n",
            't.yaml:5: GlobalNetworkPolicy p: unknown field "spec.selectr" (strict decoding error); did you mean "selector"?',
        ),
        (
            GNP + "  ingress: [{action: Allow, source: {selector: global()}}]\n",
            't.yaml:5: GlobalNetworkPolicy p: spec.ingress[0].source.selector: Invalid value: "global()": global() can only be used in an EntityRule namespaceSelector',
        ),
        (
            GNP + "  ingress: [{action: Allow, source: {notNets: [0.0.0.0/0]}}]\n",
            't.yaml:5: GlobalNetworkPolicy p: spec.ingress[0].source.notNets[0]: Invalid value: "0.0.0.0/0": catch-all CIDR in negation creates logical contradiction (matches no traffic)',
        ),
        (
            "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: default}\nspec: {order: 5}\n",
            "t.yaml:4: Tier default: spec.order: Invalid value: 5.0: default tier order must be 1000000",
        ),
        (
            CNP + "  ingress: [{}]\n",
            "t.yaml:4: CiliumNetworkPolicy shop/p: spec.endpointSelector: Required value: rule must have one of EndpointSelector or NodeSelector",
        ),
        (
            CNP + "  endpointSelector: {}\n  ingress: [{fromEntities: [everyone]}]\n",
            't.yaml:6: CiliumNetworkPolicy shop/p: spec.ingress[0].fromEntities[0]: Unsupported value: "everyone": supported values: "all", "cluster", "health", "host", "ingress", "init", "kube-apiserver", "none", "remote-node", "unmanaged", "world", "world-ipv4", "world-ipv6"',
        ),
        (
            CNP
            + "  endpointSelector: {}\n  egress:\n  - toPorts: [{ports: [{port: '90', endPort: 80}]}]\n",
            "t.yaml:7: CiliumNetworkPolicy shop/p: spec.egress[0].toPorts[0].ports[0].endPort: Invalid value: 80: endPort must be greater than or equal to port",
        ),
        (
            CNP
            + "  endpointSelector: {}\n  ingress: [{fromEndpoints: [{}], fromCIDR: [10.0.0.0/8]}]\n",
            "t.yaml:6: CiliumNetworkPolicy shop/p: spec.ingress[0]: Forbidden: combining fromEndpoints and fromCIDR is not supported yet",
        ),
        (
            CCNP + "  endpointSelector: {}\n  ingress: [{fromCIDRSet: [{cidr: 10.0.0.0/33}]}]\n",
            't.yaml:6: CiliumClusterwideNetworkPolicy p: spec.ingress[0].fromCIDRSet[0].cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
        ),
        (
            CNP + "  nodeSelector: {}\n",
            "t.yaml:5: CiliumNetworkPolicy shop/p: spec.nodeSelector: Forbidden: a CiliumNetworkPolicy cannot use NodeSelector",
        ),
        (
            CNP + "  endpointSelector: {}\n  ingress: [{toFQDNs: [{matchName: x}]}]\n",
            't.yaml:6: CiliumNetworkPolicy shop/p: unknown field "spec.ingress[0].toFQDNs" (strict decoding error)',
        ),
    ],
)
def test_invalid_cni_objects_are_refused_with_field_paths(text: str, want: str) -> None:
    got = errors(text)
    assert any(g.startswith(want) for g in got), got


def test_calico_types_and_order_defaults() -> None:
    """Calico: types default from the rules; no order means last; the tier defaults to
    "default"."""
    c = cluster(GNP + "  egress: [{action: Allow}]\n", base=False)
    pol = c.snapshot.calico_policies[0]
    assert pol.types == ("egress",) and pol.order is None and pol.tier == "default"


def test_cilium_namespaced_selectors_get_the_policy_namespace() -> None:
    """A CiliumNetworkPolicy's endpointSelector and fromEndpoints are limited to its namespace
    unless they name one (k8s:io.kubernetes.pod.namespace)."""
    text = CNP + (
        "  endpointSelector: {matchLabels: {app: api}}\n"
        "  ingress: [{fromEndpoints: [{matchLabels: {k8s:app: web}}, {matchLabels: {k8s:io.kubernetes.pod.namespace: ops}}]}]\n"
    )
    pol = cluster(text, base=False).snapshot.cilium_policies[0]
    assert pol.subject == LabelSelector(((V_NAMESPACE, "shop"), ("app", "api")))
    own, other = pol.ingress[0].endpoints
    assert own == LabelSelector(((V_NAMESPACE, "shop"), ("app", "web")))
    assert other == LabelSelector(((V_NAMESPACE, "ops"),))
    assert pol.default_deny == ("ingress",)


def test_cilium_specs_list_is_read_rule_by_rule() -> None:
    text = (
        "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p, namespace: shop}\n"
        "specs:\n- endpointSelector: {}\n  ingress: [{}]\n- endpointSelector: {}\n  egress: [{}]\n"
    )
    pols = cluster(text, base=False).snapshot.cilium_policies
    assert [p.id for p in pols] == [
        "CiliumNetworkPolicy/shop/p specs[0]",
        "CiliumNetworkPolicy/shop/p specs[1]",
    ]


def test_calico_policy_in_an_undefined_tier_warns() -> None:
    c = cluster(
        GNP.replace("spec:\n", "spec:\n  tier: security\n") + "  selector: all()\n", base=False
    )
    assert any('tier "security" is not defined' in str(w) for w in c.snapshot.warnings)
