"""Cilium (cilium.io/v2) L3/L4 semantics, one named test per rule, each citing Cilium's docs:

- [modes] docs.cilium.io/en/stable/security/policy/intro ("Policy Enforcement Modes": an
  endpoint a rule selects with an ingress section goes into default deny at ingress);
- [deny] docs.cilium.io/en/stable/security/policy/deny ("Deny policies take precedence over
  allow policies, regardless of whether they are a Cilium Network Policy, a Clusterwide
  Cilium Network Policy or even a Kubernetes Network Policy");
- [rule] the Rule API (enableDefaultDeny: "the default is true for each traffic direction
  that has rules ... if multiple policies apply, default deny is enabled if any requests
  it");
- [l3] docs.cilium.io/en/stable/security/policy/language ("Layer 3 Examples": endpoints
  based, namespaces via k8s:io.kubernetes.pod.namespace, entities, IP/CIDR based with
  except; "Layer 4 Examples": toPorts, ANY, endPort, L4-only rules).
"""

from __future__ import annotations

from cni_helpers import allowed, ccnp, cluster
from cni_helpers import cilium_np as cnp

API = "  endpointSelector: {matchLabels: {app: api}}\n"


def test_cilium_ingress_deny_from_all_entities_denies_everything() -> None:
    """[deny] the issue's example: ingressDeny from every entity on app=api."""
    c = cluster(cnp("d", "shop", API + "  ingressDeny: [{fromEntities: [all]}]"))
    assert not allowed(c, "shop/web", "shop/api", 8080)
    assert not allowed(c, "203.0.113.9", "shop/api", 8080)
    assert allowed(c, "shop/api", "shop/web", 8080)  # egress untouched
    v = c.check("shop/web", "shop/api", 8080)
    assert v.ingress.decided_by == "Cilium"
    assert "ingressDeny[0]" in " ".join(v.ingress.chain)
    assert v.ingress.tier_matches[0].location == "t.yaml:40"  # spec.ingressDeny[0]


def test_cilium_deny_takes_precedence_over_every_allow() -> None:
    """[deny] a deny rule wins over Cilium allows and over Kubernetes NetworkPolicy allows."""
    knp = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-all, namespace: shop}
spec: {podSelector: {}, ingress: [{}]}
"""
    allow = cnp("a", "shop", API + "  ingress: [{fromEntities: [all]}]")
    deny = cnp(
        "d",
        "shop",
        API
        + "  ingressDeny:\n  - fromEndpoints: [{matchLabels: {app: web}}]\n    toPorts: [{ports: [{port: '8080', protocol: TCP}]}]",
    )
    c = cluster("\n---\n".join((knp, allow, deny)))
    assert not allowed(c, "shop/web", "shop/api", 8080)
    assert allowed(c, "shop/web", "shop/api", 9090)
    assert allowed(c, "shop/api", "shop/api", 8080)


def test_cilium_selected_endpoint_is_in_default_deny_for_that_direction() -> None:
    """[modes] a rule with an ingress section puts the endpoint in default deny at ingress;
    only what some allow rule admits passes; egress stays open."""
    body = API + "  ingress: [{fromEndpoints: [{matchLabels: {app: web}}]}]"
    c = cluster(cnp("a", "shop", body))
    assert allowed(c, "shop/web", "shop/api", 8080)
    assert not allowed(c, "ops/mon", "shop/api", 8080)
    assert allowed(c, "shop/api", "ops/mon", 1)


def test_cilium_empty_ingress_rule_is_the_default_deny_idiom() -> None:
    """[modes] `ingress: [{}]`: default deny without allowing anything."""
    c = cluster(cnp("a", "shop", API + "  ingress: [{}]"))
    assert not allowed(c, "shop/web", "shop/api", 8080)


def test_cilium_deny_only_policy_also_puts_the_endpoint_in_default_deny() -> None:
    """[rule] enableDefaultDeny defaults to true for a direction with rules, ingressDeny
    included; `enableDefaultDeny: {ingress: false}` keeps the rest allowed."""
    body = (
        API
        + "  ingressDeny: [{fromEndpoints: [{matchLabels: {app: mon}, matchExpressions: [{key: io.kubernetes.pod.namespace, operator: Exists}]}]}]"
    )
    c = cluster(cnp("d", "shop", body))
    assert not allowed(c, "ops/mon", "shop/api", 1)
    assert not allowed(c, "shop/web", "shop/api", 1)  # default deny
    off = body + "\n  enableDefaultDeny: {ingress: false}"
    c2 = cluster(cnp("d", "shop", off))
    assert not allowed(c2, "ops/mon", "shop/api", 1)
    assert allowed(c2, "shop/web", "shop/api", 1)


def test_cilium_default_deny_is_on_if_any_policy_asks_for_it() -> None:
    """[rule] "that endpoint's default deny will be enabled if any policy requests it"."""
    lax = cnp(
        "lax",
        "shop",
        API
        + "  ingress: [{fromEndpoints: [{matchLabels: {app: web}}]}]\n  enableDefaultDeny: {ingress: false}",
    )
    c = cluster(lax)
    assert allowed(c, "ops/mon", "shop/api", 1)
    strict = cnp("strict", "shop", API + "  ingress: [{}]")
    c2 = cluster(lax + "\n---\n" + strict)
    assert not allowed(c2, "ops/mon", "shop/api", 1)
    assert allowed(c2, "shop/web", "shop/api", 1)


def test_cilium_from_endpoints_means_the_policy_namespace_unless_it_names_one() -> None:
    """[l3] a CiliumNetworkPolicy's endpoint selectors apply in its namespace;
    k8s:io.kubernetes.pod.namespace selects another one."""
    body = API + "  ingress: [{fromEndpoints: [{}]}]"
    c = cluster(cnp("a", "shop", body))
    assert allowed(c, "shop/web", "shop/api", 1)
    assert not allowed(c, "ops/mon", "shop/api", 1)
    other = (
        API
        + "  ingress: [{fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: ops}}]}]"
    )
    c2 = cluster(cnp("a", "shop", other))
    assert allowed(c2, "ops/mon", "shop/api", 1)
    assert not allowed(c2, "shop/web", "shop/api", 1)


def test_cilium_namespace_labels_are_selectable() -> None:
    """[l3] io.cilium.k8s.namespace.labels.<key> matches the namespace's labels."""
    body = (
        API
        + "  ingress: [{fromEndpoints: [{matchLabels: {io.cilium.k8s.namespace.labels.team: ops, io.kubernetes.pod.namespace: ops}}]}]"
    )
    c = cluster(cnp("a", "shop", body))
    assert allowed(c, "ops/mon", "shop/api", 1)
    assert not allowed(c, "shop/web", "shop/api", 1)


def test_cilium_clusterwide_policy_selects_in_every_namespace() -> None:
    """[l3] a CiliumClusterwideNetworkPolicy's selectors are not limited to a namespace."""
    c = cluster(
        ccnp(
            "all",
            "  endpointSelector: {}\n  ingress: [{fromEndpoints: [{matchLabels: {app: web}}]}]",
        )
    )
    assert allowed(c, "shop/web", "ops/mon", 1)
    assert not allowed(c, "shop/api", "ops/mon", 1)
    assert not allowed(c, "ops/mon", "shop/api", 1)


def test_cilium_entities_world_and_cluster() -> None:
    """[l3] world: outside the cluster; cluster: every endpoint of the cluster."""
    world = cluster(cnp("w", "shop", API + "  ingress: [{fromEntities: [world]}]"))
    assert allowed(world, "203.0.113.9", "shop/api", 1)
    assert not allowed(world, "shop/web", "shop/api", 1)
    inside = cluster(cnp("c", "shop", API + "  ingress: [{fromEntities: [cluster]}]"))
    assert allowed(inside, "ops/mon", "shop/api", 1)
    assert not allowed(inside, "203.0.113.9", "shop/api", 1)


def test_cilium_cidr_set_except() -> None:
    """[l3] fromCIDRSet with except: the CIDR minus the exceptions; CIDR rules select
    addresses outside the cluster, never pods."""
    body = API + "  ingress: [{fromCIDRSet: [{cidr: 192.0.2.0/24, except: [192.0.2.128/25]}]}]"
    c = cluster(cnp("a", "shop", body))
    assert allowed(c, "192.0.2.1", "shop/api", 1)
    assert not allowed(c, "192.0.2.200", "shop/api", 1)
    pods = cluster(cnp("a", "shop", API + "  ingress: [{fromCIDR: [10.1.0.0/16]}]"))
    assert not allowed(pods, "shop/web", "shop/api", 1)


def test_cilium_to_ports_any_and_end_port() -> None:
    """[l3] toPorts: protocol ANY covers TCP, UDP and SCTP; endPort makes a range; a rule
    with ports and no peer admits every peer (L4-only)."""
    body = API + "  ingress: [{toPorts: [{ports: [{port: '8000', endPort: 8100, protocol: ANY}]}]}]"
    c = cluster(cnp("a", "shop", body))
    assert allowed(c, "ops/mon", "shop/api", 8080, "UDP")
    assert allowed(c, "203.0.113.9", "shop/api", 8100, "SCTP")
    assert not allowed(c, "ops/mon", "shop/api", 8101)
    named = cluster(
        cnp(
            "a", "shop", API + "  ingress: [{toPorts: [{ports: [{port: metrics, protocol: TCP}]}]}]"
        )
    )
    assert allowed(named, "ops/mon", "shop/api", 9090)
    assert not allowed(named, "ops/mon", "shop/api", 8080)


def test_cilium_empty_to_ports_restricts_no_port() -> None:
    """[l3] toPorts absent or empty: the rule's peers on every port."""
    c = cluster(
        cnp(
            "a",
            "shop",
            API + "  ingress: [{fromEndpoints: [{matchLabels: {app: web}}], toPorts: []}]",
        )
    )
    assert allowed(c, "shop/web", "shop/api", 9090)
    assert allowed(c, "shop/web", "shop/api", 53, "UDP")


def test_cilium_egress_default_deny_and_to_endpoints() -> None:
    """[modes] egress alike: toEndpoints admits, the rest is denied."""
    body = "  endpointSelector: {matchLabels: {app: web}}\n  egress: [{toEndpoints: [{matchLabels: {app: api}}], toPorts: [{ports: [{port: '8080'}]}]}]"
    c = cluster(cnp("e", "shop", body))
    assert allowed(c, "shop/web", "shop/api", 8080)
    assert allowed(c, "shop/web", "shop/api", 8080, "UDP")  # no protocol: ANY
    assert not allowed(c, "shop/web", "shop/api", 9090)
    assert not allowed(c, "shop/web", "ops/mon", 8080)


# --- what is not modelled says so -------------------------------------------------------------


def test_cilium_to_fqdns_puts_a_caveat_on_external_verdicts() -> None:
    body = "  endpointSelector: {matchLabels: {app: web}}\n  egress: [{toFQDNs: [{matchName: example.com}]}]"
    c = cluster(cnp("e", "shop", body))
    v = c.check("shop/web", "203.0.113.9", 443)
    assert not v.allowed
    assert any("not modelled: toFQDNs" in x for x in v.caveats)
    assert not v.complete
    # towards a pod a DNS name cannot apply: exact
    assert c.check("shop/web", "shop/api", 443).complete


def test_cilium_l7_rules_caveat_only_allowed_verdicts_of_their_rule() -> None:
    body = (
        API
        + "  ingress:\n  - fromEndpoints: [{matchLabels: {app: web}}]\n    toPorts: [{ports: [{port: '8080', protocol: TCP}], rules: {http: [{method: GET}]}}]"
    )
    c = cluster(cnp("a", "shop", body))
    v = c.check("shop/web", "shop/api", 8080)
    assert v.allowed
    assert any("not modelled: L7" in x for x in v.caveats)
    assert c.check("ops/mon", "shop/api", 8080).complete  # denied at L3: L7 cannot change it


def test_cilium_host_entities_caveat() -> None:
    c = cluster(cnp("a", "shop", API + "  ingress: [{fromEntities: [host, remote-node]}]"))
    v = c.check("203.0.113.9", "shop/api", 1)
    assert not v.allowed
    assert any("host entity" in x for x in v.caveats)
    assert c.check("shop/web", "shop/api", 1).complete


def test_cilium_node_selector_rules_are_not_modelled_and_say_so() -> None:
    body = "  nodeSelector: {}\n  ingress: [{fromEntities: [cluster]}]"
    c = cluster(ccnp("host", body))
    assert not c.snapshot.cilium_policies
    assert any("nodeSelector" in x for x in c.check("203.0.113.9", "shop/api", 1).caveats)
    assert c.check("shop/web", "shop/api", 1).complete
