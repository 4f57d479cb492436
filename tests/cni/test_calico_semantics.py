"""Calico (projectcalico.org/v3) semantics, one named test per rule, each citing Calico's docs:

- [policy] docs.tigera.io/calico/latest/reference/resources/networkpolicy and
  globalnetworkpolicy ("order", "types", "selector", entity rules, ports);
- [tiers] docs.tigera.io/calico/latest/network-policy/policy-tiers/tiered-policy ("policies
  in a tier are evaluated by order; ... Pass ... If no policy in the tier selects the
  endpoint the tier is skipped; if a policy selects it and no rule matched, end-of-tier
  deny" and the default tier, which holds Kubernetes NetworkPolicies at order 1000);
- [selectors] the selector syntax table of the NetworkPolicy reference.
"""

from __future__ import annotations

import pytest
from cni_helpers import allowed, cluster, docs, global_network_set, gnp, pod_doc
from cni_helpers import calico_np as cnp
from cni_helpers import calico_tier as tier

from netreach.calico_selector import SelectorError, parse

# --- order and first match ------------------------------------------------------------------


def test_calico_lower_order_applies_first() -> None:
    """[policy] order: "policies with lower order are applied first"."""
    deny = gnp("deny", '  order: 10\n  selector: app == "api"\n  ingress: [{action: Deny}]')
    allow = gnp("allow", '  order: 20\n  selector: app == "api"\n  ingress: [{action: Allow}]')
    assert not allowed(cluster(docs(deny, allow)), "shop/web", "shop/api", 8080)
    deny2 = deny.replace("order: 10", "order: 30")
    assert allowed(cluster(docs(deny2, allow)), "shop/web", "shop/api", 8080)


def test_calico_policy_without_order_applies_last() -> None:
    """[policy] "If the order field is omitted, the policy is applied last"."""
    deny = gnp("deny", '  selector: app == "api"\n  ingress: [{action: Deny}]')
    allow = gnp("allow", '  order: 99999\n  selector: app == "api"\n  ingress: [{action: Allow}]')
    assert allowed(cluster(docs(deny, allow)), "shop/web", "shop/api", 8080)


def test_calico_first_matching_rule_decides() -> None:
    """[policy] rules are evaluated in order; the first whose criteria all match decides."""
    body = '  selector: app == "api"\n  ingress:\n  - {action: Deny, protocol: TCP, destination: {ports: [8080]}}\n  - {action: Allow}'
    c = cluster(gnp("p", body))
    assert not allowed(c, "shop/web", "shop/api", 8080)
    assert allowed(c, "shop/web", "shop/api", 9090)


def test_calico_log_matches_and_goes_on() -> None:
    """[policy] action Log: logs the packet and continues with the next rule."""
    body = '  selector: app == "api"\n  ingress:\n  - {action: Log}\n  - {action: Deny, protocol: TCP, destination: {ports: [8080]}}\n  - {action: Allow}'
    c = cluster(gnp("p", body))
    assert not allowed(c, "shop/web", "shop/api", 8080)
    assert allowed(c, "shop/web", "shop/api", 9090)


# --- tiers ----------------------------------------------------------------------------------


def test_calico_end_of_tier_deny_for_endpoints_the_tier_selects() -> None:
    """[tiers] a tier whose policies select the endpoint and match nothing denies at its end:
    the later (default) tier's allow is never reached."""
    sec = gnp(
        "security.only-ops",
        '  tier: security\n  order: 1\n  selector: app == "api"\n  ingress:\n  - action: Allow\n    source: {namespaceSelector: team == "ops"}',
    )
    allow = gnp("allow-all", "  selector: all()\n  ingress: [{action: Allow}]")
    c = cluster(docs(tier("security", 100), sec, allow))
    assert allowed(c, "ops/mon", "shop/api", 8080)
    assert not allowed(c, "shop/web", "shop/api", 8080)
    v = c.check("shop/web", "shop/api", 8080)
    assert "end of the tier" in " ".join(v.ingress.chain)
    assert "Calico tier security" in " ".join(v.ingress.chain)


def test_calico_tier_that_selects_nothing_is_skipped() -> None:
    """[tiers] "If no policies in a tier apply to an endpoint, the tier is skipped"."""
    sec = gnp(
        "security.web", '  tier: security\n  selector: app == "web"\n  ingress: [{action: Deny}]'
    )
    c = cluster(docs(tier("security", 100), sec))
    assert allowed(c, "ops/mon", "shop/api", 8080)
    assert not allowed(c, "ops/mon", "shop/web", 80)


def test_calico_pass_hands_over_to_the_next_tier() -> None:
    """[tiers] Pass: "skips the rest of the policies in the tier and goes to the next tier"."""
    sec = gnp(
        "security.pass",
        '  tier: security\n  selector: app == "api"\n  ingress:\n  - action: Pass\n    source: {selector: app == "web"}',
    )
    later = gnp(
        "later",
        '  order: 5\n  selector: app == "api"\n  ingress: [{action: Deny, source: {selector: app == "web"}}, {action: Allow}]',
    )
    c = cluster(docs(tier("security", 100), sec, later))
    assert not allowed(c, "shop/web", "shop/api", 8080)  # passed, then denied by the default tier
    assert not allowed(c, "ops/mon", "shop/api", 8080)  # not passed: end of the security tier
    chain = " ".join(c.check("shop/web", "shop/api", 8080).ingress.chain)
    assert "Pass" in chain and "Deny" in chain


def test_calico_tier_default_action_pass() -> None:
    """[tiers] Tier spec.defaultAction Pass: unmatched traffic goes to the next tier instead
    of the end-of-tier deny."""
    sec = gnp(
        "security.nothing",
        '  tier: security\n  selector: app == "api"\n  ingress: [{action: Deny, source: {nets: [192.0.2.0/24]}}]',
    )
    c = cluster(docs(tier("security", 100, "Pass"), sec))
    assert allowed(c, "shop/web", "shop/api", 8080)
    c2 = cluster(docs(tier("security", 100, "Deny"), sec))
    assert not allowed(c2, "shop/web", "shop/api", 8080)


def test_calico_tiers_apply_in_order() -> None:
    """[tiers] tiers are ordered by their order field: a lower-order tier decides first."""
    a = gnp("first.deny", '  tier: first\n  selector: app == "api"\n  ingress: [{action: Deny}]')
    b = gnp(
        "second.allow", '  tier: second\n  selector: app == "api"\n  ingress: [{action: Allow}]'
    )
    assert not allowed(
        cluster(docs(tier("first", 10), tier("second", 20), a, b)), "shop/web", "shop/api", 1
    )
    assert allowed(
        cluster(docs(tier("first", 30), tier("second", 20), a, b)), "shop/web", "shop/api", 1
    )


def test_kubernetes_network_policy_sits_in_the_default_tier_at_order_1000() -> None:
    """[tiers] Kubernetes NetworkPolicies are in the default tier with order 1000: a Calico
    policy of that tier with a lower order decides before them, a higher one after them."""
    knp = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]
"""
    before = gnp(
        "before",
        '  order: 500\n  selector: app == "api"\n  ingress: [{action: Deny, source: {selector: app == "web"}}]',
    )
    c = cluster(docs(knp, before))
    assert not allowed(c, "shop/web", "shop/api", 8080)
    after = before.replace("order: 500", "order: 1500")
    assert allowed(cluster(docs(knp, after)), "shop/web", "shop/api", 8080)
    # an Allow after the NetworkPolicy still opens what the NetworkPolicy does not (the end-of-tier
    # deny comes after every policy of the tier)
    late_allow = gnp(
        "late",
        '  order: 2000\n  selector: app == "api"\n  ingress: [{action: Allow, source: {selector: app == "mon"}}]',
    )
    assert allowed(cluster(docs(knp, late_allow)), "ops/mon", "shop/api", 8080)
    assert not allowed(cluster(knp), "ops/mon", "shop/api", 8080)


# --- types ----------------------------------------------------------------------------------


def test_calico_types_default_to_ingress_and_egress_when_egress_rules_exist() -> None:
    """[policy] types: "if not specified, defaults to Ingress, plus Egress if there are egress
    rules; Egress only when there are only egress rules"."""
    only_egress = gnp(
        "e",
        '  selector: app == "web"\n  egress: [{action: Allow, destination: {selector: app == "api"}}]',
    )
    c = cluster(only_egress)
    assert c.snapshot.calico_policies[0].types == ("egress",)
    assert not allowed(c, "shop/web", "ops/mon", 1)
    assert allowed(c, "ops/mon", "shop/web", 1)  # ingress not selected
    none = gnp("nothing", '  selector: app == "web"')
    assert cluster(none).snapshot.calico_policies[0].types == ("ingress",)
    assert not allowed(cluster(none), "ops/mon", "shop/web", 1)


def test_calico_rules_of_a_direction_not_in_types_are_ignored() -> None:
    """[policy] types decides which directions the policy applies to."""
    body = '  selector: app == "web"\n  types: [Ingress]\n  ingress: [{action: Allow}]\n  egress: [{action: Deny}]'
    assert allowed(cluster(gnp("p", body)), "shop/web", "ops/mon", 1)


# --- selectors and entities -----------------------------------------------------------------


def test_calico_namespaced_policy_selects_pods_of_its_namespace_only() -> None:
    """[policy] NetworkPolicy: "selector ... in the same namespace as the policy"."""
    c = cluster(cnp("deny", "shop", "  selector: all()\n  ingress: [{action: Deny}]"))
    assert not allowed(c, "ops/mon", "shop/api", 1)
    assert allowed(c, "shop/api", "ops/mon", 1)


def test_calico_entity_selector_in_a_namespaced_policy_means_its_namespace() -> None:
    """[policy] entity rule selector: "in the same namespace as the policy, unless
    namespaceSelector is also set"."""
    body = '  selector: app == "api"\n  ingress: [{action: Allow, source: {selector: has(app)}}]'
    c = cluster(cnp("p", "shop", body))
    assert allowed(c, "shop/web", "shop/api", 8080)
    assert not allowed(c, "ops/mon", "shop/api", 8080)
    body2 = '  selector: app == "api"\n  ingress: [{action: Allow, source: {selector: has(app), namespaceSelector: team == "ops"}}]'
    c2 = cluster(cnp("p", "shop", body2))
    assert allowed(c2, "ops/mon", "shop/api", 8080)
    assert not allowed(c2, "shop/web", "shop/api", 8080)


def test_calico_global_policy_namespace_selector_limits_its_subjects() -> None:
    """[globalnetworkpolicy] namespaceSelector: the policy applies to endpoints of the
    namespaces it selects."""
    body = '  namespaceSelector: team == "ops"\n  selector: all()\n  ingress: [{action: Deny}]'
    c = cluster(gnp("p", body))
    assert not allowed(c, "shop/web", "ops/mon", 1)
    assert allowed(c, "ops/mon", "shop/web", 1)


def test_calico_service_account_selectors() -> None:
    """[policy] serviceAccountSelector (the policy's subjects) and an entity's
    serviceAccounts names / selector match pods by their ServiceAccount and its labels."""
    by_name = gnp(
        "p",
        '  selector: app == "api"\n  ingress: [{action: Allow, source: {serviceAccounts: {names: [web-sa]}}}]',
    )
    c = cluster(by_name)
    assert allowed(c, "shop/web", "shop/api", 1)
    assert not allowed(c, "ops/mon", "shop/api", 1)
    by_label = gnp(
        "p",
        '  selector: app == "api"\n  ingress: [{action: Allow, source: {serviceAccounts: {selector: role == "frontend"}}}]',
    )
    c2 = cluster(by_label)
    assert allowed(c2, "shop/web", "shop/api", 1)
    assert not allowed(c2, "ops/mon", "shop/api", 1)
    subjects = gnp("p", '  serviceAccountSelector: role == "frontend"\n  egress: [{action: Deny}]')
    c3 = cluster(subjects)
    assert not allowed(c3, "shop/web", "shop/api", 1)
    assert allowed(c3, "shop/api", "shop/web", 1)


def test_calico_not_selector_excludes() -> None:
    """[policy] notSelector: "Negative match on selected endpoints"."""
    body = '  selector: app == "api"\n  ingress: [{action: Allow, source: {notSelector: app == "web"}}]'
    c = cluster(gnp("p", body))
    assert not allowed(c, "shop/web", "shop/api", 1)
    assert allowed(c, "ops/mon", "shop/api", 1)


def test_calico_not_selector_alone_is_scoped_only_in_a_namespaced_policy() -> None:
    """[policy] libcalico-go rules.go: a namespaced policy's entity with any selector field
    matches only endpoints of its namespace; in a GlobalNetworkPolicy a notSelector alone
    is "any source not among these endpoints", addresses outside the cluster included."""
    body = '  selector: app == "api"\n  ingress: [{action: Allow, source: {notSelector: app == "web"}}]'
    glob = cluster(gnp("p", body))
    assert allowed(glob, "192.0.2.1", "shop/api", 1)
    assert allowed(glob, "ops/mon", "shop/api", 1)
    ns = cluster(cnp("p", "shop", body))
    assert not allowed(ns, "192.0.2.1", "shop/api", 1)
    assert not allowed(ns, "ops/mon", "shop/api", 1)
    assert not allowed(ns, "shop/web", "shop/api", 1)


def test_calico_nets_and_not_nets() -> None:
    """[policy] nets / notNets match addresses (pod addresses included)."""
    body = '  selector: app == "api"\n  ingress: [{action: Allow, source: {nets: [192.0.2.0/24], notNets: [192.0.2.128/25]}}]'
    c = cluster(gnp("p", body))
    assert allowed(c, "192.0.2.1", "shop/api", 1)
    assert not allowed(c, "192.0.2.200", "shop/api", 1)
    assert not allowed(c, "shop/web", "shop/api", 1)
    pods = gnp(
        "p", '  selector: app == "api"\n  ingress: [{action: Allow, source: {nets: [10.1.0.1/32]}}]'
    )
    assert allowed(cluster(pods), "shop/web", "shop/api", 1)


def test_calico_network_sets_are_selected_by_labels() -> None:
    """[globalnetworkset] "Rules can select a GlobalNetworkSet by its labels"."""
    gns = global_network_set("partners", "{kind: partner}", "[198.51.100.0/24]")
    body = '  selector: app == "api"\n  ingress: [{action: Allow, source: {selector: kind == "partner"}}]'
    c = cluster(docs(gns, gnp("p", body)))
    assert allowed(c, "198.51.100.7", "shop/api", 1)
    assert not allowed(c, "203.0.113.1", "shop/api", 1)


# --- ports and protocols --------------------------------------------------------------------


def test_calico_ports_ranges_named_and_not_ports() -> None:
    """[policy] ports: numbers, "min:max" ranges and named ports; notPorts excludes."""
    body = (
        '  selector: app == "api"\n  ingress:\n'
        "  - {action: Allow, protocol: TCP, destination: {ports: ['8000:8100'], notPorts: [8050]}}\n"
        "  - {action: Allow, protocol: TCP, destination: {ports: [metrics]}}"
    )
    c = cluster(gnp("p", body))
    assert allowed(c, "shop/web", "shop/api", 8080)
    assert not allowed(c, "shop/web", "shop/api", 8050)
    assert allowed(c, "shop/web", "shop/api", 9090)  # metrics, named on the api pod
    assert not allowed(c, "shop/web", "shop/api", 8080, "UDP")
    assert not allowed(c, "shop/web", "shop/api", 7000)


def test_calico_protocol_and_not_protocol() -> None:
    """[policy] protocol / notProtocol match the IP protocol."""
    body = '  selector: app == "api"\n  ingress: [{action: Allow, notProtocol: UDP}]'
    c = cluster(gnp("p", body))
    assert allowed(c, "shop/web", "shop/api", 53, "TCP")
    assert not allowed(c, "shop/web", "shop/api", 53, "UDP")
    icmp = gnp("p", '  selector: app == "api"\n  ingress: [{action: Allow, protocol: ICMP}]')
    assert not allowed(cluster(icmp), "shop/web", "shop/api", 1)


# --- address families -----------------------------------------------------------------------

SIX = "apiVersion: v1\nkind: Namespace\nmetadata: {name: six}\n"


def six_pods(client: tuple[str, ...] = ("fd00::1",), server: tuple[str, ...] = ("fd00::2",)) -> str:
    """Namespace six with a client and a server pod at these addresses (IPv6 by default)."""
    return docs(
        SIX,
        pod_doc("six", "client", "{app: client}", *client),
        pod_doc("six", "server", "{app: server}", *server),
    )


V6_PODS = six_pods()


def _only(version: int, action: str = "Allow") -> str:
    """Ingress to app=server/app=api: `action` for ipVersion `version`, then end-of-tier."""
    return gnp(
        "fam",
        f"  selector: app in {{'server', 'api'}}\n  ingress:\n  - {{action: {action}, ipVersion: {version}}}",
    )


def test_calico_ip_version_4_rule_does_not_match_ipv6_only_pods() -> None:
    """[policy] Rule ipVersion: "Positive IP version match" (4 or 6): an IPv4 rule never
    matches IPv6 traffic, so between IPv6-only pods it admits nothing (end of tier denies),
    while IPv4 pods are admitted."""
    c = cluster(docs(V6_PODS, _only(4)))
    assert not allowed(c, "six/client", "six/server", 80)
    assert allowed(c, "shop/web", "shop/api", 8080)
    assert c.check("six/client", "six/server", 80).caveats == ()  # decided, no caveat


def test_calico_ip_version_6_rule_matches_ipv6_pods_only() -> None:
    """[policy] ipVersion 6 matches IPv6 traffic: IPv6-only pods are admitted, IPv4 pods not."""
    c = cluster(docs(V6_PODS, _only(6)))
    assert allowed(c, "six/client", "six/server", 80)
    assert not allowed(c, "shop/web", "shop/api", 8080)
    assert c.check("six/client", "six/server", 80).caveats == ()


def test_calico_ip_version_also_limits_the_pods_a_rule_applies_to() -> None:
    """[policy] the packet's family is both ends': an IPv4 Deny in the policy of an IPv6-only
    pod never meets its traffic, whatever family the peer entity names."""
    deny = gnp(
        "deny4",
        "  order: 1\n  selector: app == 'server'\n  ingress:\n  - {action: Deny, ipVersion: 4}\n  - {action: Allow}",
    )
    c = cluster(docs(V6_PODS, deny))
    assert allowed(c, "six/client", "six/server", 80)


def test_calico_ip_version_pods_without_address_take_the_snapshot_families() -> None:
    """A pod without an address (a template) is taken to be in the families the snapshot's
    pods use: IPv6 in an IPv6-only snapshot, so an IPv4 rule does not admit it."""
    tmpl = six_pods(client=())
    c = cluster(docs(tmpl, _only(4)), base=False)
    assert not allowed(c, "six/client", "six/server", 80)
    c6 = cluster(docs(tmpl, _only(6)), base=False)
    assert allowed(c6, "six/client", "six/server", 80)


def test_calico_ip_version_between_dual_stack_pods_says_the_answer_is_per_pod() -> None:
    """Between dual-stack pods an ipVersion rule decides one family; netreach answers per pod
    and the verdict says the other family's traffic does not meet the rule."""
    dual = six_pods(("10.9.0.1", "fd00::1"), ("10.9.0.2", "fd00::2"))
    c = cluster(docs(dual, _only(4)))
    v = c.check("six/client", "six/server", 80)
    assert v.allowed
    assert any("ipVersion 4 between dual-stack pods" in x for x in v.caveats), v.caveats
    deny = cluster(docs(dual, _only(6, "Deny")))
    v = deny.check("six/client", "six/server", 80)
    assert not v.allowed
    assert any("IPv4 traffic does not meet this rule" in x for x in v.caveats), v.caveats


# --- the selector language ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "labels", "want"),
    [
        ('a == "x"', {"a": "x"}, True),
        ('a == "x"', {}, False),
        ('a != "x"', {}, True),  # absent key: != holds
        ('a in {"x", "y"}', {"a": "y"}, True),
        ('a not in {"x"}', {}, True),
        ("has(a)", {"a": ""}, True),
        ("!has(a)", {"a": ""}, False),
        ("all()", {}, True),
        ('a == "1" || b == "2" && c == "3"', {"a": "1"}, True),  # && binds tighter
        ('(a == "1" || b == "2") && c == "3"', {"a": "1"}, False),
        ('a contains "ell"', {"a": "hello"}, True),
        ('a starts with "he"', {"a": "hello"}, True),
        ('a ends with "lo"', {"a": "hello"}, True),
        ("", {}, True),
    ],
)
def test_calico_selector_language(text: str, labels: dict[str, str], want: bool) -> None:
    """[selectors] the operators of Calico's selector syntax."""
    assert parse(text).matches(labels) is want


@pytest.mark.parametrize("text", ['a = "x"', "a ==", "has(a", 'a in {"x"', "a b", '"x"'])
def test_calico_selector_syntax_errors(text: str) -> None:
    with pytest.raises(SelectorError):
        parse(text)
