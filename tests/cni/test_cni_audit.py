"""The audit in Calico and Cilium terms: the lesson's pattern (a default deny, a DNS
exception, targeted allows) written as Calico or Cilium policies is recognised as such, and
the findings name the Calico / Cilium policy that guards or blocks.

- a GlobalNetworkPolicy with no rules for a direction in its types closes the pods it selects
  at the end of its tier (Calico's default deny); a CiliumClusterwideNetworkPolicy with
  `ingress: [{}]` puts them in default deny: neither is "no default deny";
- a pod such a policy restricts and that cannot reach DNS is reported (dns-blocked), with
  the fix written as a Calico rule or a Cilium egress rule for the policy concerned.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any
from unittest import mock

from cni_helpers import (
    BASE,
    calico_np,
    calico_tier,
    ccnp,
    cilium_np,
    cluster,
    docs,
    global_network_set,
    gnp,
    pod_doc,
)
from cni_oracle import CniOracle
from hypothesis import given
from hypothesis import strategies as st
from test_cni_oracle import calico_cluster, calico_clusters, cilium_policies, cilium_selectors

import netreach
from engine.test_properties import KEYS, NS_NAMES, SETTINGS, VALUES, clusters
from netreach.analyses.audit import Finding
from netreach.analyses.audit.config import AuditConfig
from netreach.analyses.audit.context import AuditContext
from netreach.cluster import Cluster
from netreach.engine.compile import Compiled
from netreach.engine.conns import ConnectionSet
from netreach.model import (
    V_NAMESPACE,
    CalicoEntity,
    CiliumPolicy,
    CiliumRule,
    LabelSelector,
    Options,
    PolicyPort,
    Snapshot,
)

ROOT = Path(__file__).resolve().parents[2]
DNS_POD = """
apiVersion: v1
kind: Namespace
metadata: {name: kube-system}
---
apiVersion: v1
kind: Pod
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec: {containers: [{name: c, image: x, ports: [{containerPort: 53, protocol: UDP}]}]}
status: {podIP: 10.1.9.9}
"""
# Calico: every pod outside kube-system closed both ways at the end of the default tier
CALICO_DENY_ALL = gnp(
    "default-deny",
    '  selector: all()\n  namespaceSelector: projectcalico.org/name != "kube-system"\n'
    "  types: [Ingress, Egress]",
)
CALICO_DNS = gnp(
    "allow-dns",
    '  order: 10\n  selector: all()\n  namespaceSelector: projectcalico.org/name != "kube-system"\n'
    "  types: [Egress]\n  egress:\n"
    "  - action: Allow\n    protocol: UDP\n    destination:\n"
    '      namespaceSelector: projectcalico.org/name == "kube-system"\n'
    '      selector: k8s-app == "kube-dns"\n      ports: [53]\n'
    "  - action: Allow\n    protocol: TCP\n    destination:\n"
    '      namespaceSelector: projectcalico.org/name == "kube-system"\n'
    '      selector: k8s-app == "kube-dns"\n      ports: [53]',
)
CILIUM_DENY_ALL = ccnp(
    "dd",
    "  endpointSelector:\n    matchExpressions:\n"
    "    - {key: io.kubernetes.pod.namespace, operator: NotIn, values: [kube-system]}\n"
    "  ingress: [{}]\n  egress: [{}]",
)
CILIUM_DENY_ALL_WITH_DNS = ccnp(
    "dd",
    "  endpointSelector:\n    matchExpressions:\n"
    "    - {key: io.kubernetes.pod.namespace, operator: NotIn, values: [kube-system]}\n"
    "  ingress: [{}]\n  egress:\n"
    "  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, "
    "k8s:k8s-app: kube-dns}}]\n"
    "    toPorts: [{ports: [{port: '53', protocol: ANY}]}]",
)


def _audit(text: str) -> list[Finding]:
    return cluster(docs(DNS_POD, text)).audit().findings


def _at(text: str, needle: str, nth: int = 0) -> str:
    """file:line of the `nth` occurrence of `needle` in `text` as _audit reads it."""
    full = BASE + "\n---\n" + docs(DNS_POD, text)
    at = -1
    for _ in range(nth + 1):
        at = full.index(needle, at + 1)
    return f"t.yaml:{full.count(chr(10), 0, at) + 1}"


def _checks(found: list[Finding], check: str) -> list[Finding]:
    return [f for f in found if f.check == check]


def test_calico_global_deny_all_with_dns_is_the_lessons_pattern() -> None:
    found = _audit(docs(CALICO_DENY_ALL, CALICO_DNS))
    assert not _checks(found, "no-default-deny-ingress")
    assert not _checks(found, "no-default-deny-egress")
    assert not _checks(found, "pod-not-isolated")
    assert not _checks(found, "dns-blocked")
    guards = _checks(found, "default-deny-from-tier")
    assert {f.details["direction"] for f in guards} == {"ingress", "egress"}
    for f in guards:
        # every policy of the tier selecting the pods closes it: allow-dns too, for egress
        assert "the end-of-tier deny of Calico tier default (" in f.message
        assert "GlobalNetworkPolicy/default-deny)" in f.message
        assert "a guard from Calico policies" in f.message
        assert ("GlobalNetworkPolicy", "default-deny") in {(o.kind, o.name) for o in f.objects}


def test_calico_deny_all_without_dns_cuts_dns_off_and_names_the_policy() -> None:
    found = _checks(_audit(CALICO_DENY_ALL), "dns-blocked")
    assert {f.objects[0].name for f in found} == {"api", "web", "mon"}
    f = found[0]
    assert f.severity == "error"
    assert "has a default deny for egress (the end-of-tier deny of Calico tier default" in (
        f.message
    )
    assert (f.objects[1].kind, f.objects[1].name) == ("GlobalNetworkPolicy", "default-deny")
    assert "add these rules to GlobalNetworkPolicy/default-deny" in f.fix
    assert 'selector: k8s-app == "kube-dns"' in f.fix


def test_calico_pass_tier_does_not_take_the_default_tiers_guard() -> None:
    """A tier whose policy passes everything on denies nothing at its end: the guard is the
    default tier's end-of-tier deny, and the finding names that policy only."""
    passing = gnp(
        "sec.pass", "  tier: sec\n  selector: all()\n  types: [Egress]\n  egress: [{action: Pass}]"
    )
    found = _audit(docs(calico_tier("sec", 100), passing, CALICO_DENY_ALL))
    (egress,) = [
        f
        for f in _checks(found, "default-deny-from-tier")
        if f.details["direction"] == "egress" and f.namespace == "shop"
    ]
    assert egress.details["guarded_by"] == [
        "the end-of-tier deny of Calico tier default (GlobalNetworkPolicy/default-deny)"
    ]


def test_calico_policy_that_selects_some_pods_leaves_the_others_open() -> None:
    some = gnp("api-only", '  selector: app == "api"\n  types: [Ingress]')
    found = _audit(some)
    open_ = _checks(found, "no-default-deny-ingress")
    assert sorted(f.namespace or "" for f in open_) == ["ops", "shop"]
    shop = next(f for f in open_ if f.namespace == "shop")
    assert shop.details["open_workloads"] == ["shop/web[Pod]"]


def test_cilium_clusterwide_default_deny_with_dns_is_the_lessons_pattern() -> None:
    found = _audit(CILIUM_DENY_ALL_WITH_DNS)
    assert not _checks(found, "no-default-deny-ingress")
    assert not _checks(found, "no-default-deny-egress")
    assert not _checks(found, "dns-blocked")
    guards = _checks(found, "default-deny-from-tier")
    assert guards and all(
        "Cilium default deny (CiliumClusterwideNetworkPolicy/dd)" in f.message
        and "a guard from Cilium policies" in f.message
        for f in guards
    )


def test_cilium_default_deny_without_dns_cuts_dns_off_with_a_cilium_fix() -> None:
    found = _checks(_audit(CILIUM_DENY_ALL), "dns-blocked")
    assert {f.objects[0].name for f in found} == {"api", "web", "mon"}
    f = found[0]
    assert "Cilium default deny (CiliumClusterwideNetworkPolicy/dd)" in f.message
    assert "add this egress rule to CiliumClusterwideNetworkPolicy/dd" in f.fix
    assert "k8s:io.kubernetes.pod.namespace: kube-system" in f.fix


def test_dns_blocked_by_a_verdict_with_caveats_is_a_warning_that_says_so() -> None:
    """A DNS verdict that a part netreach does not model could change (here a peer naming
    the cluster, as cilium-cli's client-egress-only-dns.yaml does) is not asserted as an
    error: the finding is a warning and quotes the caveat."""
    body = (
        "  endpointSelector: {matchLabels: {app: web}}\n  egress:\n  - toEndpoints:\n"
        "    - matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s-app: kube-dns}\n"
        "      matchExpressions: [{key: io.cilium.k8s.policy.cluster, operator: In, "
        "values: [kind-a]}]"
    )
    (f,) = _checks(_audit(cilium_np("dns", "shop", body)), "dns-blocked")
    assert f.severity == "warning"
    assert "the answer may be incomplete" in f.message and "cluster name" in f.message


def test_the_calico_and_cilium_examples_audit_as_measured() -> None:
    """examples/calico opens DNS on UDP only (a warning each, naming its tier's policy);
    examples/cilium on both protocols. Neither has a namespace without a default deny."""
    calico = netreach.load(str(ROOT / "examples" / "calico")).audit()
    dns = [f for f in calico.findings if f.check == "dns-blocked"]
    assert {f.severity for f in dns} == {"warning"}
    assert all("GlobalNetworkPolicy/security.dns" in f.fix for f in dns)
    cilium = netreach.load(str(ROOT / "examples" / "cilium")).audit()
    for report in (calico, cilium):
        assert not [f for f in report.findings if f.check.startswith("no-default-deny")]
    assert not [f for f in cilium.findings if f.check == "dns-blocked"]
    posture = {p.namespace: p for p in cilium.posture}
    assert posture["default"].policies == 3  # the Cilium policies written there
    assert posture["default"].egress_guarded == 3


# --- targeted allows: rules that open everything -------------------------------------------


def test_calico_allow_everything_rule_is_allow_all_naming_the_rule() -> None:
    p = gnp("open", '  selector: app == "api"\n  ingress: [{action: Allow}]')
    (f,) = _checks(_audit(p), "allow-all-ingress")
    assert f.message.startswith("GlobalNetworkPolicy/open ingress[0] admits every peer")
    assert (f.objects[0].kind, f.objects[0].name) == ("GlobalNetworkPolicy", "open")
    assert f.objects[0].location and f.objects[0].location.startswith("t.yaml:")


def test_calico_allow_everything_after_an_earlier_deny_is_not_allow_all() -> None:
    """An earlier tier that denies everything first leaves the Allow nothing to open."""
    deny = gnp("sec.deny", '  tier: sec\n  selector: app == "api"\n  ingress: [{action: Deny}]')
    p = gnp("open", '  selector: app == "api"\n  ingress: [{action: Allow}]')
    found = _audit(docs(calico_tier("sec", 100), deny, p))
    assert not _checks(found, "allow-all-ingress")
    assert not _checks(found, "world-open")


def test_calico_egress_to_every_address_is_world_open() -> None:
    p = gnp(
        "out",
        '  selector: app == "web"\n  types: [Egress]\n'
        "  egress: [{action: Allow, protocol: TCP, destination: {nets: [0.0.0.0/0], ports: [443]}}]",
    )
    (f,) = _checks(_audit(p), "world-open")
    assert f.severity == "warning" and "TCP 443" in f.message
    assert f.message.startswith("GlobalNetworkPolicy/out egress[0] admits")


def test_cilium_world_and_all_entities_in_audit_terms() -> None:
    world = ccnp(
        "w", "  endpointSelector: {matchLabels: {app: api}}\n  ingress: [{fromEntities: [world]}]"
    )
    (f,) = _checks(_audit(world), "world-open")
    assert f.severity == "error"
    assert f.message.startswith("CiliumClusterwideNetworkPolicy/w ingress[0] admits")
    everyone = ccnp(
        "a", "  endpointSelector: {matchLabels: {app: api}}\n  ingress: [{fromEntities: [all]}]"
    )
    assert _checks(_audit(everyone), "allow-all-ingress")
    denied = ccnp(
        "w",
        "  endpointSelector: {matchLabels: {app: api}}\n  ingress: [{fromEntities: [world]}]\n"
        "  ingressDeny: [{fromEntities: [world]}]",
    )
    assert not _checks(_audit(denied), "world-open")  # the deny rule takes all of it first


# --- every namespace: exposed-to-all-namespaces, world-open on a sensitive port -----------


def test_calico_namespace_selector_all_is_exposed_to_all_namespaces() -> None:
    """`namespaceSelector: all()` admits pods of every namespace, created later too, as
    NetworkPolicy's `namespaceSelector: {}` does."""
    p = calico_np(
        "api-in",
        "shop",
        '  selector: app == "api"\n  ingress:\n'
        '  - action: Allow\n    protocol: TCP\n    source: {namespaceSelector: all(), selector: app == "mon"}\n'
        "    destination: {ports: [8080]}",
    )
    (f,) = _checks(_audit(p), "exposed-to-all-namespaces")
    assert f.message.startswith("CalicoNetworkPolicy/shop/api-in ingress[0] source")
    assert "TCP 8080" in f.message and "1 pod(s)" in f.message
    assert f.objects[0].location and f.objects[0].location.startswith("t.yaml:")
    assert not _checks(_audit(p), "world-open")


def test_calico_namespace_selector_of_one_namespace_is_not_reported() -> None:
    p = calico_np(
        "api-in",
        "shop",
        '  selector: app == "api"\n  ingress:\n'
        "  - action: Allow\n    protocol: TCP\n"
        '    source: {namespaceSelector: projectcalico.org/name == "ops"}\n'
        "    destination: {ports: [8080]}",
    )
    assert not _checks(_audit(p), "exposed-to-all-namespaces")


def test_calico_every_namespace_on_a_sensitive_port_is_world_open() -> None:
    p = gnp(
        "db-in",
        '  selector: app == "api"\n  ingress:\n'
        "  - action: Allow\n    protocol: TCP\n    source: {namespaceSelector: all()}\n"
        "    destination: {ports: [5432]}",
    )
    found = _audit(p)
    (f,) = _checks(found, "world-open")
    assert "every pod of every namespace on sensitive port(s) TCP 5432" in f.message
    assert f.message.startswith("GlobalNetworkPolicy/db-in ingress[0]")
    assert not _checks(found, "exposed-to-all-namespaces")


def test_calico_every_namespace_after_an_earlier_deny_is_not_reported() -> None:
    """A Deny earlier in the tier takes the traffic first: the Allow opens nothing."""
    p = gnp(
        "db-in",
        '  selector: app == "api"\n  ingress:\n'
        "  - action: Deny\n    protocol: TCP\n    destination: {ports: [5432]}\n"
        "  - action: Allow\n    protocol: TCP\n    source: {namespaceSelector: all()}\n"
        "    destination: {ports: [5432]}",
    )
    found = _audit(p)
    assert not _checks(found, "world-open")
    assert not _checks(found, "exposed-to-all-namespaces")


def test_calico_dns_open_to_every_namespace_is_not_reported() -> None:
    p = gnp(
        "dns-in",
        '  selector: k8s-app == "kube-dns"\n  ingress:\n'
        "  - action: Allow\n    protocol: UDP\n    source: {namespaceSelector: all()}\n"
        "    destination: {ports: [53]}",
    )
    assert not _checks(_audit(p), "exposed-to-all-namespaces")


def test_cilium_clusterwide_empty_endpoint_selector_is_every_namespace() -> None:
    """In a CiliumClusterwideNetworkPolicy `fromEndpoints: [{}]` selects every endpoint of
    the cluster; in a CiliumNetworkPolicy only those of its namespace."""
    rule = (
        "  endpointSelector: {matchLabels: {app: api}}\n  ingress:\n"
        "  - fromEndpoints: [{}]\n    toPorts: [{ports: [{port: '8080', protocol: TCP}]}]"
    )
    (f,) = _checks(_audit(ccnp("from-all", rule)), "exposed-to-all-namespaces")
    assert f.message.startswith(
        "CiliumClusterwideNetworkPolicy/from-all ingress[0] fromEndpoints[0] admits pods"
    )
    assert not _checks(_audit(cilium_np("from-ns", "shop", rule)), "exposed-to-all-namespaces")


def test_cilium_namespace_label_exists_and_cluster_entity_are_every_namespace() -> None:
    exists = cilium_np(
        "any-ns",
        "shop",
        "  endpointSelector: {matchLabels: {app: api}}\n  ingress:\n  - fromEndpoints:\n"
        "    - matchLabels: {app: mon}\n"
        "      matchExpressions: [{key: k8s:io.kubernetes.pod.namespace, operator: Exists}]\n"
        "    toPorts: [{ports: [{port: '8080', protocol: TCP}]}]",
    )
    assert _checks(_audit(exists), "exposed-to-all-namespaces")
    cluster_redis = ccnp(
        "redis",
        "  endpointSelector: {matchLabels: {app: api}}\n  ingress:\n"
        "  - fromEntities: [cluster]\n    toPorts: [{ports: [{port: '6379', protocol: TCP}]}]",
    )
    (f,) = _checks(_audit(cluster_redis), "world-open")
    assert "fromEntities[0] cluster" in f.message and "TCP 6379" in f.message


def test_cilium_every_namespace_taken_by_a_deny_rule_is_not_reported() -> None:
    p = ccnp(
        "redis",
        "  endpointSelector: {matchLabels: {app: api}}\n  ingress:\n"
        "  - fromEndpoints: [{}]\n    toPorts: [{ports: [{port: '6379', protocol: TCP}]}]\n"
        "  ingressDeny:\n  - fromEntities: [cluster]",
    )
    found = _audit(p)
    assert not _checks(found, "world-open")
    assert not _checks(found, "exposed-to-all-namespaces")


# --- selectors that select nothing ---------------------------------------------------------


def test_calico_namespaced_policy_selecting_no_pod_is_policy_selects_nothing() -> None:
    p = calico_np("typo", "shop", '  selector: app == "apii"\n  ingress: [{action: Allow}]')
    (f,) = _checks(_audit(p), "policy-selects-nothing")
    assert f.severity == "warning"
    assert f.message.startswith('CalicoNetworkPolicy/shop/typo: selector app == "apii" matches')
    assert "none of the 2 pods of namespace shop" in f.message
    assert f.objects[0].location and f.objects[0].location.startswith("t.yaml:")
    selecting = calico_np("ok", "shop", '  selector: app == "api"\n  ingress: [{action: Allow}]')
    assert not _checks(_audit(selecting), "policy-selects-nothing")


def test_calico_global_policy_selecting_no_pod_is_information_host_endpoints() -> None:
    """A GlobalNetworkPolicy may be written for host endpoints, which netreach does not read."""
    p = gnp("hosts", "  selector: has(node-role)\n  ingress: [{action: Allow}]")
    (f,) = _checks(_audit(p), "policy-selects-nothing")
    assert f.severity == "info" and "host endpoints" in f.message


def test_cilium_endpoint_selector_typo_is_policy_selects_nothing_with_a_hint() -> None:
    p = cilium_np("typo", "shop", "  endpointSelector: {matchLabels: {app: webb}}\n  ingress: [{}]")
    (f,) = _checks(_audit(p), "policy-selects-nothing")
    assert f.severity == "warning"
    assert f.message.startswith("CiliumNetworkPolicy/shop/typo: endpointSelector")
    assert "<namespace>=shop" in f.message and "did you mean app: web" in f.message
    fine = ccnp("ok", "  endpointSelector: {matchLabels: {app: web}}\n  ingress: [{}]")
    assert not _checks(_audit(fine), "policy-selects-nothing")


# --- rules shadowed by the rules before them: redundant-rule --------------------------------


def test_calico_allow_after_a_deny_of_the_same_traffic_is_redundant() -> None:
    """Calico rules are first match: an Allow of what an earlier rule of the tier denies
    never decides a connection."""
    p = gnp(
        "db-in",
        '  selector: app == "api"\n  ingress:\n'
        "  - action: Deny\n    protocol: TCP\n    destination: {ports: [5432]}\n"
        '  - action: Allow\n    protocol: TCP\n    source: {selector: app == "web"}\n'
        "    destination: {ports: [5432]}",
    )
    (f,) = _checks(_audit(p), "redundant-rule")
    assert f.message.startswith("GlobalNetworkPolicy/db-in ingress[1]: it never decides")
    assert "GlobalNetworkPolicy/db-in ingress[0] (t.yaml:" in f.message
    assert f.details["covered_by"] == ["GlobalNetworkPolicy/db-in ingress[0]"]
    assert f.objects[0].location and f.objects[0].location.startswith("t.yaml:")


def test_calico_rule_an_earlier_rule_covers_only_in_part_is_not_redundant() -> None:
    p = gnp(
        "db-in",
        '  selector: app == "api"\n  ingress:\n'
        "  - action: Deny\n    protocol: TCP\n    destination: {ports: [5432]}\n"
        '  - action: Allow\n    protocol: TCP\n    source: {selector: app == "web"}\n'
        "    destination: {ports: [5432, 8080]}",
    )
    assert not _checks(_audit(p), "redundant-rule")


def test_calico_rule_an_earlier_tier_decides_is_redundant() -> None:
    deny = gnp("sec.deny", '  tier: sec\n  selector: app == "api"\n  ingress: [{action: Deny}]')
    p = gnp(
        "open",
        '  selector: app == "api"\n  ingress:\n'
        '  - action: Allow\n    protocol: TCP\n    source: {selector: app == "web"}\n'
        "    destination: {ports: [8080]}",
    )
    found = _checks(_audit(docs(calico_tier("sec", 100), deny, p)), "redundant-rule")
    assert [f.message.split(":")[0] for f in found] == ["GlobalNetworkPolicy/open ingress[0]"]
    assert "GlobalNetworkPolicy/sec.deny ingress[0]" in found[0].message


def test_cilium_allow_taken_by_a_deny_rule_is_redundant_default_deny_idiom_is_not() -> None:
    p = ccnp(
        "api",
        "  endpointSelector: {matchLabels: {app: api}}\n  ingress:\n"
        "  - fromEndpoints: [{matchLabels: {app: web}}]\n"
        "    toPorts: [{ports: [{port: '8080', protocol: TCP}]}]\n"
        "  ingressDeny:\n  - fromEntities: [cluster]",
    )
    (f,) = _checks(_audit(p), "redundant-rule")
    assert f.message.startswith("CiliumClusterwideNetworkPolicy/api ingress[0]: it never decides")
    assert "CiliumClusterwideNetworkPolicy/api ingressDeny[0]" in f.message
    assert not _checks(_audit(CILIUM_DENY_ALL), "redundant-rule")


# --- peers that select nothing: peer-selects-nothing -----------------------------------------


def _api_in(source: str, action: str = "Allow") -> str:
    """A Calico NetworkPolicy of shop with one ingress rule to api from `source`."""
    return calico_np(
        "api-in",
        "shop",
        f'  selector: app == "api"\n  ingress:\n  - action: {action}\n    source: {source}',
    )


def test_calico_peer_selector_typo_is_peer_selects_nothing_naming_the_rule() -> None:
    p = _api_in('{selector: app == "webb"}')
    (f,) = _checks(_audit(p), "peer-selects-nothing")
    assert f.severity == "warning"
    assert f.message.startswith(
        'CalicoNetworkPolicy/shop/api-in ingress[0] source: selector app == "webb" matches '
        "none of the 2 pods of namespace shop, so the rule never matches and allows nothing"
    )
    assert (f.objects[0].kind, f.objects[0].name) == ("CalicoNetworkPolicy", "api-in")
    assert f.objects[0].location == _at(p, "source:")
    fine = p.replace('"webb"', '"web"')
    assert not _checks(_audit(fine), "peer-selects-nothing")


def test_calico_peer_is_judged_in_its_namespace_scope() -> None:
    """A namespaced policy's entity selector looks in its own namespace; namespaceSelector
    moves it: `app == "mon"` matches nothing in shop but the mon pod of ops."""
    own = _api_in('{selector: app == "mon"}', "Deny")
    (f,) = _checks(_audit(own), "peer-selects-nothing")
    assert "so the rule never matches and denies nothing" in f.message
    there = own.replace(
        'source: {selector: app == "mon"}',
        'source: {selector: app == "mon", namespaceSelector: team == "ops"}',
    )
    assert not _checks(_audit(there), "peer-selects-nothing")


def test_calico_peer_namespace_selector_matching_no_namespace_is_reported() -> None:
    p = _api_in('{namespaceSelector: team == "opps"}')
    (f,) = _checks(_audit(p), "peer-selects-nothing")
    assert 'source: namespaceSelector team == "opps" matches no namespace' in f.message


def test_calico_peer_matching_a_network_set_is_not_reported() -> None:
    """An entity selector matches network sets' addresses as well as pods."""
    netset = global_network_set("partners", "{role: partner}", "[198.51.100.0/24]")
    p = gnp(
        "api-in",
        '  selector: app == "api"\n  ingress:\n'
        '  - action: Allow\n    source: {selector: role == "partner"}',
    )
    assert not _checks(_audit(docs(netset, p)), "peer-selects-nothing")
    # without the set: a GlobalNetworkPolicy's selector may be for host endpoints (info)
    (f,) = _checks(_audit(p), "peer-selects-nothing")
    assert f.severity == "info" and "host endpoints" in f.message


def test_calico_peer_narrowed_by_nets_is_judged_by_its_selector_alone() -> None:
    """nets / notSelector narrowing a selector that matches pods is not a selector typo."""
    p = _api_in('{selector: app == "web", nets: [192.0.2.0/24]}')
    assert not _checks(_audit(p), "peer-selects-nothing")


def test_cilium_endpoint_peer_typo_is_peer_selects_nothing_with_a_hint() -> None:
    p = cilium_np(
        "api-in",
        "shop",
        "  endpointSelector: {matchLabels: {app: api}}\n  ingress:\n"
        "  - fromEndpoints: [{matchLabels: {app: web}}, {matchLabels: {app: webb}}]\n"
        "  ingressDeny:\n  - fromEndpoints: [{matchLabels: {reserved:host: ''}}]",
    )
    (f,) = _checks(_audit(p), "peer-selects-nothing")  # the reserved identity is not a pod
    assert f.severity == "warning"
    assert f.message.startswith(
        "CiliumNetworkPolicy/shop/api-in ingress[0] fromEndpoints[1] (<namespace>=shop,app=webb) "
        "matches none of the 2 pods of namespace shop, so this entry allows nothing"
    )
    assert "did you mean app: web?" in f.message
    assert f.objects[0].location == _at(p, "- fromEndpoints:")  # the entries' line


def test_cilium_peer_naming_operator_made_pods_is_information() -> None:
    """The input holds a Kafka custom resource: its pods are made at run time."""
    kafka = (
        "apiVersion: kafka.strimzi.io/v1beta2\nkind: Kafka\n"
        "metadata: {name: events, namespace: shop}\nspec: {}"
    )
    p = cilium_np(
        "api-in",
        "shop",
        "  endpointSelector: {matchLabels: {app: api}}\n  ingress:\n"
        "  - fromEndpoints: [{matchLabels: {app.kubernetes.io/name: kafka}}]",
    )
    (f,) = _checks(_audit(docs(kafka, p)), "peer-selects-nothing")
    assert f.severity == "info"
    assert "the pods are likely created by an operator (the input holds a Kafka" in f.message
    assert f.details["operator"].startswith("the input holds a Kafka custom resource")
    (g,) = _checks(_audit(p), "peer-selects-nothing")
    assert g.severity == "warning"


def test_cni_peer_in_a_namespace_the_input_has_no_pods_of_is_not_reported() -> None:
    """kube-system's DNS pods are often not in the input: nothing to judge the selector by."""
    p = ccnp(
        "dns",
        "  endpointSelector: {}\n  egress:\n"
        "  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, "
        "k8s:k8s-app: kube-dns}}]",
    )
    assert not _checks(cluster(p).audit().findings, "peer-selects-nothing")
    typo = p.replace("kube-dns}", "kube-dsn}")
    assert _checks(_audit(typo), "peer-selects-nothing")  # with the DNS pod in the input
    empty = "apiVersion: v1\nkind: Namespace\nmetadata: {name: empty}"
    calico = calico_np(
        "api-in",
        "shop",
        '  selector: app == "api"\n  ingress:\n  - action: Allow\n'
        '    source: {namespaceSelector: projectcalico.org/name == "empty", selector: app == "x"}',
    )
    assert not _checks(_audit(docs(empty, calico)), "peer-selects-nothing")


def test_cni_peer_selects_nothing_leaves_policies_only_input_alone(tmp_path: Path) -> None:
    """Policies-only input: the inferred pods come from these very selectors, and one the
    inference cannot read (a service account) is no typo."""
    p = calico_np(
        "api-in",
        "shop",
        '  selector: app == "api"\n  ingress:\n'
        "  - action: Allow\n    source: {serviceAccounts: {names: [batch-sa]}}",
    )
    assert _checks(_audit(p), "peer-selects-nothing")  # real pods, none runs as batch-sa
    (tmp_path / "p.yaml").write_text(p)
    alone = netreach.load(str(tmp_path / "p.yaml"))
    assert alone.pods and all(pod.inferred for pod in alone.pods)
    assert not _checks(alone.audit().findings, "peer-selects-nothing")


# --- Cilium's fromEndpoints / toEndpoints OR: and-or-confusion ------------------------------

# ops' pods, or shop's web pods: probably meant as web pods of ops
OR_ENTRIES = (
    "  endpointSelector: {matchLabels: {app: api}}\n  ingress:\n  - fromEndpoints:\n"
    "    - matchLabels: {k8s:io.kubernetes.pod.namespace: ops}\n"
    "    - matchLabels: {app: web}\n"
    "    toPorts: [{ports: [{port: '8080', protocol: TCP}]}]"
)


def test_cilium_namespace_entry_next_to_a_pod_entry_is_and_or_confusion() -> None:
    (f,) = _checks(_audit(cilium_np("api-in", "shop", OR_ENTRIES)), "and-or-confusion")
    assert f.severity == "warning"
    assert f.message.startswith(
        "CiliumNetworkPolicy/shop/api-in ingress[0] lists fromEndpoints[0] (<namespace>=ops) "
        "and fromEndpoints[1] (<namespace>=shop,app=web) as two entries, which are ORed"
    )
    assert "the OR also allows: ops/mon -> shop/api : TCP 8080; shop/web -> shop/api" in (f.message)
    text = cilium_np("api-in", "shop", OR_ENTRIES)
    assert [o.location for o in f.objects] == [_at(text, "- matchLabels", n) for n in (0, 1)]
    assert {(e["src"], e["dst"]) for e in f.details["extra"]} == {
        ("ops/mon", "shop/api"),
        ("shop/web", "shop/api"),
    }
    (g,) = _checks(_audit(ccnp("api-in", OR_ENTRIES)), "and-or-confusion")
    assert "fromEndpoints[1] (app=web)" in g.message  # clusterwide: any namespace's web


def test_cilium_and_entry_telling_apart_pods_of_one_class_is_compiled_again() -> None:
    """In ops, nothing but `app: web` tells mon from a web pod there (one class): the AND
    entry is judged on a recompiled snapshot, and admits that pod only."""
    web_in_ops = pod_doc("ops", "web", "{app: web}", "10.1.1.2")
    c = cluster(docs(DNS_POD, web_in_ops, cilium_np("api-in", "shop", OR_ENTRIES)))
    assert c.compiled.class_of["ops/mon"] == c.compiled.class_of["ops/web"]
    (f,) = _checks(c.audit().findings, "and-or-confusion")
    assert {(e["src"], e["dst"]) for e in f.details["extra"]} == {
        ("ops/mon", "shop/api"),
        ("shop/web", "shop/api"),
    }


def test_cilium_and_or_recompiled_compares_the_pods_the_rule_applies_to() -> None:
    """A CiliumNetworkPolicy of ops whose endpointSelector names shop: the extra connections
    are those to its pods in shop. `tier: back` tells api from api2 (one class: no selector
    reads tier there), so the AND entry is judged on a recompiled snapshot."""
    api2 = pod_doc("shop", "api2", "{app: api}", "10.1.0.3")
    p = cilium_np(
        "api-in",
        "ops",
        "  endpointSelector:\n    matchLabels: {k8s:io.kubernetes.pod.namespace: shop, app: api}\n"
        "  ingress:\n  - fromEndpoints:\n"
        "    - matchLabels: {k8s:io.kubernetes.pod.namespace: shop}\n"
        "    - matchLabels: {tier: back}",
    )
    c = cluster(docs(DNS_POD, api2, p))
    assert c.compiled.class_of["shop/api"] == c.compiled.class_of["shop/api2"]
    (f,) = _checks(c.audit().findings, "and-or-confusion")
    assert {(e["src"], e["dst"]) for e in f.details["extra"]} == {
        ("shop/web", "shop/api"),
        ("shop/web", "shop/api2"),
        ("shop/api2", "shop/api"),
        ("shop/api2", "shop/api2"),  # to itself: policy decides (the default option)
    }


def test_cilium_and_or_fix_is_the_one_entry_that_allows_only_the_and() -> None:
    """The fix, pasted in place of the two entries, loads and admits what the AND admits:
    ops has no web pod, so nothing; the finding is gone."""
    (f,) = _checks(_audit(cilium_np("api-in", "shop", OR_ENTRIES)), "and-or-confusion")
    entry = f.fix.split("fromEndpoints:\n", 1)[1]
    fixed = OR_ENTRIES.replace(
        "    - matchLabels: {k8s:io.kubernetes.pod.namespace: ops}\n"
        "    - matchLabels: {app: web}\n",
        "".join(f"    {line}\n" for line in entry.splitlines()),
    )
    c = cluster(docs(DNS_POD, cilium_np("api-in", "shop", fixed)))
    assert not _checks(c.audit().findings, "and-or-confusion")
    assert not c.check("ops/mon", "shop/api", 8080).allowed
    assert not c.check("shop/web", "shop/api", 8080).allowed


def test_cilium_or_that_allows_nothing_more_than_the_and_is_not_reported() -> None:
    """Another rule already admits every pod the OR adds: the dash changes nothing."""
    wide = OR_ENTRIES + "\n  - fromEntities: [cluster]"
    assert not _checks(_audit(cilium_np("api-in", "shop", wide)), "and-or-confusion")


def test_cilium_one_entry_with_both_keys_and_own_namespace_entries_are_not_reported() -> None:
    both = OR_ENTRIES.replace(
        "    - matchLabels: {k8s:io.kubernetes.pod.namespace: ops}\n"
        "    - matchLabels: {app: web}\n",
        "    - matchLabels: {k8s:io.kubernetes.pod.namespace: ops, app: web}\n",
    )
    assert not _checks(_audit(cilium_np("api-in", "shop", both)), "and-or-confusion")
    # `{}` in a CiliumNetworkPolicy is its own namespace: no namespace-only entry
    own = OR_ENTRIES.replace("{k8s:io.kubernetes.pod.namespace: ops}", "{}")
    assert not _checks(_audit(cilium_np("api-in", "shop", own)), "and-or-confusion")


def test_cilium_namespace_labels_entry_in_a_clusterwide_policy_is_and_or_confusion() -> None:
    labels = OR_ENTRIES.replace(
        "k8s:io.kubernetes.pod.namespace: ops", "k8s:io.cilium.k8s.namespace.labels.team: ops"
    )
    (f,) = _checks(_audit(ccnp("api-in", labels)), "and-or-confusion")
    assert "(<namespace label team>=ops)" in f.message
    assert "k8s:io.cilium.k8s.namespace.labels.team: ops" in f.fix


def test_cni_selector_findings_in_the_cli_text_and_sarif(tmp_path: Path, run: Any) -> None:
    """`netreach audit` shows both, located at the rule's file:line, in text and SARIF."""
    typo = _api_in('{selector: app == "webb"}')
    text = BASE + "\n---\n" + docs(typo, cilium_np("or", "shop", OR_ENTRIES))
    path = tmp_path / "p.yaml"
    path.write_text(text)

    def line(needle: str) -> int:
        return text.count("\n", 0, text.index(needle)) + 1

    _, out, _ = run("audit", str(path))
    assert "warning peer-selects-nothing: CalicoNetworkPolicy/shop/api-in ingress[0] source" in out
    assert f"CalicoNetworkPolicy shop/api-in at {path}:{line('source:')}" in out
    assert "warning and-or-confusion: CiliumNetworkPolicy/shop/or ingress[0] lists" in out
    _, out, _ = run("audit", str(path), "-o", "sarif")
    found = {
        r["ruleId"]: r["locations"][0]["physicalLocation"]
        for r in json.loads(out)["runs"][0]["results"]
        if r["ruleId"] in ("peer-selects-nothing", "and-or-confusion")
    }
    assert found["peer-selects-nothing"]["region"]["startLine"] == line("source:")
    assert found["and-or-confusion"]["region"]["startLine"] == line("- matchLabels")


# --- policies whose removal changes nothing: redundant-policy -------------------------------

CALICO_DENY_DB = gnp(
    "deny-db",
    '  order: 10\n  selector: app == "api"\n  ingress:\n'
    "  - action: Deny\n    protocol: TCP\n    destination: {ports: [5432]}",
)
CALICO_DB_IN = gnp(
    "db-in",
    '  order: 20\n  selector: app == "api"\n  ingress:\n'
    '  - action: Allow\n    protocol: TCP\n    source: {selector: app == "web"}\n'
    "    destination: {ports: [5432]}",
)


def test_calico_policy_an_earlier_policy_of_its_tier_decides_is_redundant_policy() -> None:
    """db-in only allows what deny-db denies first, and deny-db (same tier, selecting the
    same pods for ingress) keeps the end-of-tier deny: removing db-in changes nothing."""
    found = _audit(docs(CALICO_DENY_DB, CALICO_DB_IN))
    (f,) = _checks(found, "redundant-policy")
    assert f.message.startswith("GlobalNetworkPolicy/db-in: removing it changes no connection")
    assert f.details["covered_by"] == ["GlobalNetworkPolicy/deny-db"]
    assert (f.objects[0].kind, f.objects[0].name) == ("GlobalNetworkPolicy", "db-in")
    # its rule is not reported again as redundant-rule
    assert not [r for r in _checks(found, "redundant-rule") if "db-in" in r.message]


def test_calico_policy_that_alone_closes_its_pods_is_not_redundant_policy() -> None:
    """An earlier tier (passing the rest) denies what db-in allows; but db-in alone puts api
    under the default tier's end-of-tier deny: without it, api is open to every other peer.
    Taking out its rules alone would say "nothing changes"."""
    sec = calico_tier("sec", 100, "Pass")
    deny = gnp(
        "sec.deny-web",
        '  tier: sec\n  selector: app == "api"\n  ingress:\n'
        '  - action: Deny\n    protocol: TCP\n    source: {selector: app == "web"}\n'
        "    destination: {ports: [5432]}",
    )
    c = cluster(docs(DNS_POD, sec, deny, CALICO_DB_IN))
    assert not _checks(c.audit().findings, "redundant-policy")
    assert not c.check("ops/mon", "shop/api", 5432).allowed  # closed by db-in's tier end


CILIUM_DENY_WEB = ccnp(
    "deny-web",
    "  endpointSelector: {matchLabels: {app: api}}\n"
    "  ingressDeny: [{fromEndpoints: [{matchLabels: {app: web}}]}]",
)
CILIUM_WEB_IN = cilium_np(
    "web-in",
    "shop",
    "  endpointSelector: {matchLabels: {app: api}}\n  ingress:\n"
    "  - fromEndpoints: [{matchLabels: {app: web}}]\n"
    "    toPorts: [{ports: [{port: '8080', protocol: TCP}]}]",
)


def test_cilium_policy_a_deny_rule_decides_is_redundant_policy() -> None:
    """deny-web takes web's traffic first and puts api in default deny itself."""
    found = _audit(docs(CILIUM_DENY_WEB, CILIUM_WEB_IN))
    (f,) = _checks(found, "redundant-policy")
    assert f.message.startswith("CiliumNetworkPolicy/shop/web-in: removing it changes no")
    assert f.details["covered_by"] == ["CiliumClusterwideNetworkPolicy/deny-web"]
    assert not [r for r in _checks(found, "redundant-rule") if "web-in" in r.message]


def test_cilium_policy_whose_default_deny_is_the_only_one_is_not_redundant_policy() -> None:
    """With `enableDefaultDeny: {ingress: false}` on deny-web, web-in's default deny is the
    only one closing api: removing web-in opens api to mon."""
    no_default = CILIUM_DENY_WEB.replace(
        "  ingressDeny:", "  enableDefaultDeny: {ingress: false}\n  ingressDeny:"
    )
    c = cluster(docs(DNS_POD, no_default, CILIUM_WEB_IN))
    assert not _checks(c.audit().findings, "redundant-policy")
    assert not c.check("ops/mon", "shop/api", 8080).allowed


def test_cni_default_deny_policy_is_never_redundant_policy() -> None:
    """Two default denies of the same pods: each alone could go, but a default deny guards
    pods created later (as for NetworkPolicy)."""
    twice = CILIUM_DENY_ALL.replace("name: dd", "name: dd2")
    assert not _checks(_audit(docs(CILIUM_DENY_ALL, twice)), "redundant-policy")


def test_cni_allow_all_policy_is_not_redundant_policy_its_shadowed_rule_is_redundant_rule() -> None:
    """An allow-all keeps its pods open on purpose (as for NetworkPolicy); when an earlier
    Deny of its tier takes everything first, redundant-rule names the rule instead."""
    deny_all = gnp("deny-all", '  order: 10\n  selector: app == "api"\n  ingress: [{action: Deny}]')
    open_ = gnp("open", '  order: 20\n  selector: app == "api"\n  ingress: [{action: Allow}]')
    found = _audit(docs(deny_all, open_))
    assert not _checks(found, "redundant-policy")
    (f,) = _checks(found, "redundant-rule")
    assert f.message.startswith("GlobalNetworkPolicy/open ingress[0]: it never decides")


def test_compare_on_a_fresh_matrix_translates_the_sets_its_pairs_intern() -> None:
    """Comparing with a changed snapshot reads pairs no check read before: their meets
    (web's egress TCP 1-9000 and api's ingress TCP 8000-65535: TCP 8000-9000) are new sets,
    translated too (an IndexError before)."""
    out = gnp(
        "out",
        '  selector: app == "web"\n  types: [Egress]\n  egress:\n'
        '  - action: Allow\n    protocol: TCP\n    destination: {ports: ["1:9000"]}',
    )
    in_ = gnp(
        "in",
        '  selector: app == "api"\n  ingress:\n'
        '  - action: Allow\n    protocol: TCP\n    destination: {ports: ["8000:65535"]}',
    )
    c = cluster(docs(out, in_))
    ctx = AuditContext(c, AuditConfig())
    without_in = dataclasses.replace(c.snapshot, calico_policies=[c.compiled.calico_policies[1]])
    assert without_in.calico_policies[0].name == "out"
    lost, gained = ctx.compare_snapshot(without_in, "shop", "egress")
    assert not lost
    assert gained[("shop/web", "shop/api")] == ConnectionSet.ports("TCP", 1, 7999)


# --- redundant-policy against the truth: the snapshot compiled without the policy ----------


def _cilium_snapshot(data: Any, more: Any, *first: CiliumPolicy) -> Snapshot:
    """A drawn `clusters()` with `first` and one to three drawn Cilium policies."""
    nss, pods, pols = data
    cil = [*first, *(more.draw(cilium_policies(i)) for i in range(more.draw(st.integers(1, 3))))]
    return Snapshot(
        namespaces={n.name: n for n in nss},
        pods=list(pods),
        policies=list(pols),
        cilium_policies=cil,
    )


def _assert_cni_redundant_policies_change_nothing(c: Cluster) -> None:
    """Each Calico / Cilium redundant-policy finding, checked on the snapshot compiled again
    without that policy (its default deny going with it): no pair changes."""
    ctx = AuditContext(c, AuditConfig())
    snap = c.snapshot
    for f in _checks(c.audit().findings, "redundant-policy"):
        if f.objects[0].kind == "NetworkPolicy":
            continue
        pol = next(
            p
            for p in (*snap.calico_policies, *snap.cilium_policies)
            if f.message.startswith(p.id + ":")
        )
        without = dataclasses.replace(
            snap,
            calico_policies=[p for p in snap.calico_policies if p is not pol],
            cilium_policies=[p for p in snap.cilium_policies if p is not pol],
        )
        for ns in sorted({p.namespace for p in snap.pods}):
            for d in ("ingress", "egress"):
                assert ctx.compare_snapshot(without, ns, d) == ({}, {}), (f.message, ns, d)


@SETTINGS
@given(calico_clusters())
def test_calico_redundant_policy_holds_on_the_snapshot_without_it(data: Any) -> None:
    c, _ = calico_cluster(data)
    _assert_cni_redundant_policies_change_nothing(c)


@SETTINGS
@given(clusters(max_policies=2), st.data())
def test_cilium_redundant_policy_holds_on_the_snapshot_without_it(data: Any, more: Any) -> None:
    _assert_cni_redundant_policies_change_nothing(Cluster(_cilium_snapshot(data, more), Options()))


@st.composite
def or_policies(draw: st.DrawFn) -> CiliumPolicy:
    """A Cilium policy whose allow rule lists a namespace-only entry and a pod-labels-only one
    (in a CiliumNetworkPolicy, scoped to its namespace as the loader does), in either order."""
    ns = draw(st.sampled_from([None, *NS_NAMES]))
    pods = {draw(st.sampled_from(KEYS)): draw(st.sampled_from(VALUES))}
    if ns is not None:
        pods[V_NAMESPACE] = ns
    entries = (
        LabelSelector(((V_NAMESPACE, draw(st.sampled_from(NS_NAMES))),)),
        LabelSelector(tuple(sorted(pods.items()))),
    )
    rule = CiliumRule(
        "Allow",
        tuple(draw(st.permutations(entries))),
        l3=True,
        ports=draw(st.sampled_from([None, (PolicyPort("TCP", 1),)])),
    )
    direction = draw(st.sampled_from(["ingress", "egress"]))
    return CiliumPolicy(
        kind="CiliumNetworkPolicy" if ns else "CiliumClusterwideNetworkPolicy",
        namespace=ns,
        name="or",
        spec_index=None,
        subject=draw(cilium_selectors(ns)),
        default_deny=(direction,),
        **{direction: (rule,)},  # type: ignore[arg-type]
    )


@SETTINGS
@given(clusters(max_policies=2), or_policies(), st.data())
def test_cilium_and_or_in_place_answers_as_the_recompiled_snapshot(
    data: Any, trap: CiliumPolicy, more: Any
) -> None:
    """and-or-confusion's extra connections are the same whether the merged entry is judged
    in place (when its pod labels split no class) or on a recompiled snapshot."""
    snap = _cilium_snapshot(data, more, trap)

    def and_or() -> list[tuple[str, Any]]:
        found = _checks(Cluster(snap, Options()).audit().findings, "and-or-confusion")
        return [(f.message, f.details["extra"]) for f in found]

    in_place = and_or()
    with mock.patch.object(Compiled, "splits_a_class", lambda *_: True):
        assert and_or() == in_place


# --- peer-selects-nothing against the oracle's own matching -------------------------------


def _peer_findings(c: Cluster) -> list[tuple[Any, Finding]]:
    """Each Calico / Cilium peer-selects-nothing finding with the compiled rule it names."""
    rules = {r.label: r for r in c.compiled.rules if r.tier in ("Calico", "Cilium")}
    found = _checks(c.audit().findings, "peer-selects-nothing")
    return [(rules[f.details["rule"]], f) for f in found if "rule" in f.details]


@SETTINGS
@given(calico_clusters())
def test_calico_peer_selects_nothing_matches_no_pod_by_the_oracle(data: Any) -> None:
    """The entity's selector and namespace scope, as the oracle matches them (libcalico-go's
    reading, written apart from the engine), admit no pod (the drawn clusters hold no
    network set)."""
    c, oracle = calico_cluster(data)
    for rule, f in _peer_findings(c):
        pol = rule.policy
        if f.details.get("side") == "own":  # the rule's own side: none of the selected pods
            e = rule.rule.destination if rule.direction == "ingress" else rule.rule.source
            alone = CalicoEntity(selector=e.selector, namespace_selector=e.namespace_selector)
            selected = [p for p in c.pods if oracle._calico_selects(pol, p, rule.direction)]
            assert selected, f.message
            assert not any(oracle._entity(alone, p, pol.namespace) for p in selected), f.message
            continue
        e = rule.peers[0].peer
        alone = CalicoEntity(selector=e.selector, namespace_selector=e.namespace_selector)
        assert not any(oracle._entity(alone, p, pol.namespace) for p in c.pods), f.message


@SETTINGS
@given(clusters(max_policies=2), st.data())
def test_cilium_peer_selects_nothing_matches_no_pod_by_the_oracle(data: Any, more: Any) -> None:
    snap = _cilium_snapshot(data, more)
    c = Cluster(snap, Options())
    oracle = CniOracle(c.namespaces, snap.policies, c.options, cilium=snap.cilium_policies)
    for rule, f in _peer_findings(c):
        sel = rule.rule.endpoints[f.details["entry"]]
        assert not any(sel.matches(oracle.labels(p)) for p in c.pods if not p.host_network), (
            f.message
        )


def test_calico_own_side_selector_keeping_none_of_the_selected_pods_is_peer_selects_nothing() -> (
    None
):
    """An ingress rule's destination selector narrows the pods the policy selects: one that
    keeps none of them (a typo) means the rule never applies."""
    p = calico_np(
        "api-in",
        "shop",
        '  selector: app == "api"\n  ingress:\n  - action: Allow\n'
        '    destination: {selector: tier == "bak"}',
    )
    (f,) = _checks(_audit(p), "peer-selects-nothing")
    assert f.severity == "warning"
    assert f.message.startswith(
        'CalicoNetworkPolicy/shop/api-in ingress[0] destination: selector tier == "bak" keeps '
        "none of the 1 pods the policy selects, so the rule never applies and allows nothing"
    ), f.message
    assert f.objects[0].location == _at(p, "destination:")
    assert f.details["side"] == "own"
    fine = p.replace('"bak"', '"back"')
    assert not _checks(_audit(fine), "peer-selects-nothing")


OR_DENY = (
    "  endpointSelector: {matchLabels: {app: api}}\n"
    "  ingress:\n  - fromEntities: [all]\n"
    "  ingressDeny:\n  - fromEndpoints:\n"
    "    - matchLabels: {k8s:io.kubernetes.pod.namespace: ops}\n"
    "    - matchLabels: {app: web}\n"
    "    toPorts: [{ports: [{port: '8080', protocol: TCP}]}]"
)


def test_cilium_deny_rule_or_entries_that_deny_more_than_the_and_is_and_or_confusion() -> None:
    """In an ingressDeny list the OR trap cuts traffic meant to pass: the namespace entry
    denies every pod of ops, the pod entry every web pod, where one entry would deny only
    web pods of ops (none here)."""
    c = cluster(docs(DNS_POD, cilium_np("api-deny", "shop", OR_DENY)))
    assert not c.check("ops/mon", "shop/api", 8080).allowed  # what the OR does
    (f,) = _checks(c.audit().findings, "and-or-confusion")
    assert "ingressDeny[0] lists fromEndpoints[0] (<namespace>=ops)" in f.message, f.message
    assert "a peer matching either is denied" in f.message
    assert "the OR also denies: ops/mon -> shop/api : TCP 8080; shop/web -> shop/api" in f.message
    assert {(e["src"], e["dst"]) for e in f.details["extra"]} == {
        ("ops/mon", "shop/api"),
        ("shop/web", "shop/api"),
    }
    assert all("denied" in e for e in f.details["extra"])


def test_cilium_deny_rule_and_entry_telling_apart_pods_of_one_class_is_compiled_again() -> None:
    """The deny rule's AND entry splits ops's one class (mon, web): the snapshot is compiled
    again with the entries merged in the ingressDeny list (not the ingress list)."""
    web_in_ops = pod_doc("ops", "web", "{app: web}", "10.1.1.2")
    c = cluster(docs(DNS_POD, web_in_ops, cilium_np("api-deny", "shop", OR_DENY)))
    assert c.compiled.class_of["ops/mon"] == c.compiled.class_of["ops/web"]
    (f,) = _checks(c.audit().findings, "and-or-confusion")
    assert {(e["src"], e["dst"]) for e in f.details["extra"]} == {
        ("ops/mon", "shop/api"),
        ("shop/web", "shop/api"),
    }
