"""`describe policy` for Calico and Cilium policies: found by the names kubectl takes (and
netreach's ids), without colliding with NetworkPolicy or the admin tiers; read in sentences
with tier, order, types, actions, peers in words and who each peer matches now (the engine's
answer), and the parts netreach does not model said on the rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cni_helpers import calico_np, calico_tier, cluster, docs, gnp, pod_doc

from netreach.analyses.describe import describe_policy, find_policy
from netreach.analyses.describe_cni import CalicoPolicyReading, CiliumPolicyReading
from netreach.cli import cli
from netreach.errors import QueryError
from netreach.model import CalicoPolicy, CiliumPolicy, NetworkPolicy

ROOT = Path(__file__).resolve().parents[2]
CALICO = str(ROOT / "examples" / "calico")
CILIUM = str(ROOT / "examples" / "cilium")


def cilium(kind: str, name: str, ns: str | None, body: str) -> str:
    """A Cilium policy of either kind; `body` holds `spec:` or `specs:` itself."""
    where = f", namespace: {ns}" if ns else ""
    return f"apiVersion: cilium.io/v2\nkind: {kind}\nmetadata: {{name: {name}{where}}}\n{body}"


def k8s_np(name: str, ns: str) -> str:
    return f"""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: {name}, namespace: {ns}}}
spec: {{podSelector: {{}}, policyTypes: [Ingress]}}
"""


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, list(args))
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    return res.exit_code, res.output


# --- names --------------------------------------------------------------------------------------

NAMED = docs(
    gnp("guard", "  selector: all()\n  types: [Ingress]"),
    calico_np("guard", "shop", '  selector: app == "api"\n  types: [Ingress]'),
    k8s_np("guard", "shop"),
    calico_np("only-calico", "shop", '  selector: app == "api"\n  types: [Ingress]'),
    cilium(
        "CiliumNetworkPolicy",
        "only-cilium",
        "shop",
        "spec: {endpointSelector: {matchLabels: {app: api}}, ingress: [{}]}",
    ),
    cilium(
        "CiliumClusterwideNetworkPolicy",
        "edge",
        None,
        "spec: {endpointSelector: {}, ingress: [{fromEntities: [world]}]}",
    ),
)


@pytest.mark.parametrize(
    "ref",
    [
        "globalnetworkpolicy/guard",
        "GlobalNetworkPolicy/guard",
        "gnp/guard",
        "globalnetworkpolicies.projectcalico.org/guard",
    ],
)
def test_describe_finds_a_global_network_policy_by_its_kubectl_names(ref: str) -> None:
    _, pol = find_policy(cluster(NAMED), ref)
    assert isinstance(pol, CalicoPolicy) and pol.id == "GlobalNetworkPolicy/guard"


@pytest.mark.parametrize(
    "ref",
    [
        "CalicoNetworkPolicy/shop/guard",
        "caliconetworkpolicy/shop/guard",
        "networkpolicies.projectcalico.org/shop/guard",
        "networkpolicy.projectcalico.org/shop/guard",
    ],
)
def test_describe_finds_a_calico_network_policy_by_kind_namespace_and_name(ref: str) -> None:
    _, pol = find_policy(cluster(NAMED), ref)
    assert isinstance(pol, CalicoPolicy) and pol.id == "CalicoNetworkPolicy/shop/guard"


def test_ns_slash_name_finds_the_one_policy_of_any_namespaced_kind() -> None:
    c = cluster(NAMED)
    assert find_policy(c, "shop/only-calico")[1].id == "CalicoNetworkPolicy/shop/only-calico"
    assert find_policy(c, "shop/only-cilium")[1].id == "CiliumNetworkPolicy/shop/only-cilium"
    assert find_policy(c, "ccnp/edge")[1].kind == "CiliumClusterwideNetworkPolicy"
    assert find_policy(c, "ciliumnetworkpolicies.cilium.io/shop/only-cilium")[1].name == (
        "only-cilium"
    )


def test_a_name_several_kinds_carry_is_refused_with_the_candidates() -> None:
    c = cluster(NAMED)
    with pytest.raises(QueryError) as ns_name:
        find_policy(c, "shop/guard")
    assert "CalicoNetworkPolicy/shop/guard, shop/guard" in str(ns_name.value)
    assert "KIND/NS/NAME" in str(ns_name.value)
    with pytest.raises(QueryError) as bare:
        find_policy(
            cluster(docs(NAMED, calico_np("guard", "default", "  selector: all()"))), "guard"
        )
    assert "CalicoNetworkPolicy/default/guard, GlobalNetworkPolicy/guard" in str(bare.value)
    # the kind settles it: NetworkPolicy stays Kubernetes'
    assert isinstance(find_policy(c, "networkpolicy/shop/guard")[1], NetworkPolicy)


def test_cnp_stays_cluster_network_policy_not_cilium() -> None:
    """`cnp` is ClusterNetworkPolicy's short name here; Cilium's kubectl short name for
    CiliumNetworkPolicy would collide, so it is not taken."""
    with pytest.raises(QueryError, match="no ClusterNetworkPolicy 'shop/only-cilium'"):
        find_policy(cluster(NAMED), "cnp/shop/only-cilium")


def test_a_miss_suggests_calico_and_cilium_names() -> None:
    with pytest.raises(QueryError, match=r"did you mean.*GlobalNetworkPolicy/guard"):
        find_policy(cluster(NAMED), "gnp/gaurd")


# --- Calico readings ------------------------------------------------------------------------


def _calico(text: str, ref: str) -> CalicoPolicyReading:
    got = describe_policy(cluster(text), ref)
    assert isinstance(got, CalicoPolicyReading)
    return got


def test_calico_reading_says_tier_order_and_end_of_tier_deny() -> None:
    text = docs(
        calico_tier("security", 100),
        gnp(
            "security.dns",
            "  tier: security\n  order: 10\n  selector: all()\n  types: [Egress]\n"
            "  egress:\n  - {action: Allow, protocol: UDP, destination: {ports: [53]}}\n"
            "  - {action: Pass}",
        ),
        gnp("security.last", "  tier: security\n  selector: all()\n  types: [Egress]"),
    )
    r = _calico(text, "gnp/security.dns")
    lines = "\n".join(r.summary())
    assert "Tier security (order 100)" in lines
    assert "Order 10: within the tier, policies apply by order, lower first (1 of 2" in lines
    assert "Does not apply to ingress (not in types)" in lines
    assert "is denied at the end of the tier (end-of-tier deny)" in lines
    assert [x.sentence() for x in r.rules] == [
        "allows connections to anyone (every endpoint and address), on UDP 53",
        "passes to the next tier (tier kube-admin; then default, kube-baseline) connections "
        "to anyone (every endpoint and address), on every port and protocol",
    ]
    last = _calico(text, "security.last")
    assert any("No order: applied last in its tier" in x for x in last.summary())
    assert any("a default deny" in x for x in last.summary())
    assert [p.id for p in last.subjects] == ["ops/mon", "shop/api", "shop/web"]


def test_calico_reading_places_default_tier_policies_around_kubernetes_ones() -> None:
    before = _calico(gnp("a", "  order: 100\n  selector: all()"), "a")
    after = _calico(gnp("b", "  selector: all()"), "b")
    assert any("order 1,000: it applies before them" in x for x in before.summary())
    assert any("order 1,000: it applies after them" in x for x in after.summary())


def test_calico_tier_default_action_pass_is_said() -> None:
    text = docs(
        calico_tier("t", 10, "Pass"),
        gnp("t.p", "  tier: t\n  selector: all()\n  types: [Ingress]"),
    )
    r = _calico(text, "t.p")
    assert any("the tier's defaultAction is Pass" in x for x in r.summary())


def test_calico_entities_in_words_with_who_they_match_now() -> None:
    body = (
        '  selector: app == "api"\n'
        "  ingress:\n"
        "  - action: Allow\n"
        "    protocol: TCP\n"
        '    source: {selector: app == "web"}\n'
        "    destination: {ports: [http, '9000:9100'], notPorts: [9050]}\n"
        "  - action: Deny\n"
        '    source: {notSelector: app == "web", namespaceSelector: team == "ops"}\n'
        "  - action: Allow\n"
        "    source: {serviceAccounts: {names: [web-sa]}}\n"
        "  - action: Log\n"
        "    notProtocol: UDP\n"
        "    source: {nets: [10.1.0.0/16], notNets: [10.1.0.2/32]}\n"
    )
    r = _calico(calico_np("api", "shop", body), "caliconetworkpolicy/shop/api")
    web, ops, sa, nets = r.rules
    assert web.sentence() == (
        'allows connections from endpoints (pods and network sets) where app == "web" in '
        "namespace shop (the policy's own), on TCP port named http, TCP 9000-9100, "
        "except TCP 9050"
    )
    assert web.peers[0].pods == ("shop/web",)
    assert ops.action == "Deny"
    assert 'in namespaces where team == "ops", except endpoints where app == "web"' in (
        ops.sentence()
    )
    assert ops.peers[0].pods == ("ops/mon",)
    assert '<serviceaccount> in {"web-sa"}' in sa.sentence()
    assert sa.peers[0].pods == ("shop/web",)
    assert nets.sentence().startswith("logs (then the next rule decides) connections from ")
    assert "addresses in 10.1.0.0/16 (pod addresses too), except addresses in 10.1.0.2/32" in (
        nets.sentence()
    )
    assert "not protocol UDP" in nets.ports
    # 10.1.0.1 and 10.1.1.1 are in 10.1.0.0/16; 10.1.0.2 is taken out
    assert nets.peers[0].pods == ("ops/mon", "shop/web")


def test_calico_own_side_entity_and_rules_of_a_direction_left_out_of_types() -> None:
    body = (
        "  selector: all()\n"
        "  types: [Ingress]\n"
        '  ingress: [{action: Allow, destination: {selector: app == "api"}}]\n'
        "  egress: [{action: Deny}]\n"
    )
    r = _calico(gnp("p", body), "p")
    ingress, egress = r.rules
    assert "; only for the selected pods that are endpoints" in ingress.sentence()
    assert ingress.applies_to == ("shop/api",)
    assert not egress.counted and egress.sentence().endswith("[IGNORED: types omits egress]")


def test_calico_parts_netreach_does_not_model_are_said_on_the_rule() -> None:
    body = (
        "  selector: all()\n"
        "  ingress:\n"
        "  - {action: Allow, protocol: TCP, source: {ports: [1234]}}\n"
        "  - {action: Allow, protocol: ICMP}\n"
    )
    r = _calico(gnp("p", body), "p")
    ports, icmp = r.rules
    assert "matches nothing in netreach" in ports.sentence()
    assert any("source ports" in n for n in ports.not_modelled)
    assert any("protocol ICMP" in n for n in icmp.not_modelled)


# --- Cilium readings ------------------------------------------------------------------------


def _cilium(text: str, ref: str) -> CiliumPolicyReading:
    got = describe_policy(cluster(text), ref)
    assert isinstance(got, CiliumPolicyReading)
    return got


def test_cilium_reading_default_deny_deny_precedence_and_peers() -> None:
    body = """spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: web}}]
    toPorts: [{ports: [{port: http, protocol: TCP}]}]
  - fromCIDRSet: [{cidr: 203.0.113.0/24, except: [203.0.113.8/29]}]
  - fromEntities: [cluster, host]
  ingressDeny:
  - fromEndpoints: [{matchLabels: {io.kubernetes.pod.namespace: ops}}]
  egress:
  - toPorts: [{ports: [{port: '53', protocol: ANY}]}]
  enableDefaultDeny: {egress: false}
"""
    r = _cilium(cilium("CiliumNetworkPolicy", "a", "shop", body), "ciliumnetworkpolicy/shop/a")
    (spec,) = r.specs
    lines = "\n".join(spec.summary())
    assert "Selects pods labelled app=api in namespace shop: 1 pod(s) now" in lines
    assert "Ingress: default deny for the pods it selects" in lines
    assert "Egress: enableDefaultDeny.egress is false" in lines
    assert "Deny rules (ingressDeny / egressDeny) take precedence" in lines
    web, cidr, entities, deny, dns = spec.rules
    assert web.sentence() == (
        "allows connections from pods labelled app=web in namespace shop, on TCP port named http"
    )
    assert web.peers[0].pods == ("shop/web",)
    assert "addresses in 203.0.113.0/24 except 203.0.113.8/29" in cidr.sentence()
    assert cidr.peers[0].pods == ()
    assert "every pod and node of the cluster (entity cluster)" in entities.sentence()
    assert "entity host (not modelled" in entities.sentence()
    assert any("host" in n for n in entities.not_modelled)
    assert deny.label == "ingressDeny[0]" and deny.action == "Deny"
    assert deny.sentence().endswith("(deny rules win over every allow)")
    assert deny.peers[0].pods == ("ops/mon",)
    assert "every peer (no peer named: an L4-only rule)" in dns.sentence()
    assert dns.ports == "TCP 53, UDP 53, SCTP 53"


def test_cilium_default_deny_idiom_and_l7_are_said() -> None:
    body = """spec:
  endpointSelector: {}
  ingress:
  - {}
  - fromEndpoints: [{matchLabels: {app: web}}]
    toPorts: [{ports: [{port: '8080', protocol: TCP}], rules: {http: [{method: GET}]}}]
  egress:
  - toFQDNs: [{matchName: example.com}]
"""
    r = _cilium(cilium("CiliumClusterwideNetworkPolicy", "dd", None, body), "ccnp/dd")
    idiom, l7, fqdn = r.specs[0].rules
    assert "no one (neither peer nor port: Cilium's default-deny idiom)" in idiom.sentence()
    assert any("L7" in n for n in l7.not_modelled)
    assert "no peer netreach models" in fqdn.sentence()
    assert any("toFQDNs" in n for n in fqdn.not_modelled)
    assert "a clusterwide policy" in r.summary()[0]
    assert [p.id for p in r.specs[0].subjects] == ["ops/mon", "shop/api", "shop/web"]


def test_cilium_specs_are_read_together() -> None:
    body = """specs:
- endpointSelector: {matchLabels: {app: api}}
  ingress: [{fromEntities: [world]}]
- endpointSelector: {matchLabels: {app: web}}
  egressDeny: [{toEntities: [all]}]
"""
    r = _cilium(cilium("CiliumNetworkPolicy", "two", "shop", body), "shop/two")
    assert [s.label for s in r.specs] == ["specs[0]", "specs[1]"]
    assert [p.id for p in r.specs[1].subjects] == ["shop/web"]
    assert r.specs[1].rules[0].label == "egressDeny[0]"
    assert isinstance(r.specs[0].policy, CiliumPolicy)
    assert r.to_dict()["specs"][1]["default_deny"] == ["egress"]


# --- the command ----------------------------------------------------------------------------


def test_cli_describes_the_calico_example_policy() -> None:
    code, out = run("describe", CALICO, "policy", "security.dns")
    assert code == 0
    assert "Calico GlobalNetworkPolicy security.dns" in out
    assert "Tier security (order 100)" in out
    assert "pods now: kube-system/coredns-" in out
    code, out = run("describe", CALICO, "policy", "gnp/default-deny", "-o", "json")
    data = json.loads(out)
    assert (data["tier"], data["order"], data["types"]) == (
        "default",
        2000.0,
        ["ingress", "egress"],
    )
    assert data["rules"] == [] and len(data["applies_to"]) == 5


def test_cli_describes_the_cilium_example_policy() -> None:
    code, out = run("describe", CILIUM, "policy", "ciliumnetworkpolicy/default/db", "-o", "json")
    assert code == 0
    data = json.loads(out)
    assert data["policy"] == "CiliumNetworkPolicy/default/db"
    rules = data["specs"][0]["rules"]
    assert [(r["list"], r["action"]) for r in rules] == [
        ("ingress", "Allow"),
        ("ingress", "Allow"),
        ("ingressDeny", "Deny"),
    ]
    assert rules[2]["peers"][0]["pods_now"][0].startswith("default/web-")


def test_describe_calico_ip_version_rule_names_the_family_and_its_pods() -> None:
    """A rule with ipVersion applies to, and admits, only pods with an address of that
    family: describe says so and lists those pods only."""
    six = pod_doc("shop", "six", "{app: api}", "fd00::6")
    pol = gnp("v6", "  selector: app == 'api'\n  ingress: [{action: Allow, ipVersion: 6}]")
    c = cluster(docs(six, pol))
    reading = describe_policy(c, "v6")
    assert isinstance(reading, CalicoPolicyReading)
    rule = reading.rules[0]
    assert "only for the selected pods with an IPv6 address" in rule.reading
    assert rule.applies_to == ("shop/six",)
    assert rule.peers[0].pods == ("shop/six",)


def test_describe_names_a_cilium_host_policy_as_not_modelled() -> None:
    """A Cilium policy made only of nodeSelector (host firewall) rules is read but not
    modelled: describe finds it by name and says so, with where it is, instead of "no
    policy"."""
    host = cilium(
        "CiliumClusterwideNetworkPolicy",
        "host-fw",
        None,
        "spec: {nodeSelector: {matchLabels: {role: worker}}, ingress: [{fromEntities: [cluster]}]}",
    )
    c = cluster(docs(host))
    for ref in ("host-fw", "ccnp/host-fw"):
        with pytest.raises(QueryError) as err:
            describe_policy(c, ref)
        text = str(err.value)
        assert "CiliumClusterwideNetworkPolicy host-fw" in text, text
        assert "nodeSelector (host firewall) rule" in text and "does not model" in text
        assert "t.yaml:" in text
    with pytest.raises(QueryError, match="no CiliumClusterwideNetworkPolicy 'other'"):
        describe_policy(c, "ccnp/other")
