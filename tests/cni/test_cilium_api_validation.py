"""Cilium policies checked against real public manifests (cilium/cilium examples and the
cilium-cli connectivity tests, docs.cilium.io, Helm charts) and refused or accepted as Cilium
does. Sources, quoted per test:

- [crd] the cilium.io/v2 CRDs (pkg/k8s/apis/cilium.io/client/crds/v2/
  ciliumnetworkpolicies.yaml): `port` is `type: string`, `protocol` an enum, `spec` needs one
  of ingress / ingressDeny / egress / egressDeny (anyOf), toFQDNs patterns;
- [sanitize] pkg/policy/api rule_validation.go `Rule.Sanitize` and what it calls: a policy
  it refuses is never imported, so answering from it would be a confident wrong answer;
- [iana] pkg/iana svcname.go `IsSvcName` and `strconv.ParseUint(port, 0, 16)` (how
  PortProtocol.sanitize and createL4Filter read a port).
"""

from __future__ import annotations

import pytest
from cni_helpers import allowed, ccnp, cluster, errors
from cni_helpers import cilium_np as cnp

from netreach.loader import load_sources
from netreach.loader.sources import Source

API = "  endpointSelector: {matchLabels: {app: api}}\n"


def _ingress_port(port: str, proto: str = "TCP") -> str:
    return (
        API + "  ingress:\n  - fromEndpoints: [{matchLabels: {app: web}}]\n"
        f"    toPorts: [{{ports: [{{port: {port}, protocol: {proto}}}]}}]"
    )


@pytest.mark.parametrize(
    ("body", "want"),
    [
        (  # [crd] grafana/loki#19251, minio/minio#19232: "must be of type string"
            _ingress_port("8080"),
            'spec.ingress[0].toPorts[0].ports[0].port: Invalid value: 8080: must be a string (quote it: "80")',
        ),
        (  # [crd] anyOf ingress/ingressDeny/egress/egressDeny; [sanitize] non-empty
            API,
            "spec: Required value: rule must have at least one of Ingress, IngressDeny, Egress, EgressDeny",
        ),
        (
            API + "  ingress: []",
            "spec: Required value: rule must have at least one of Ingress, IngressDeny, Egress, EgressDeny",
        ),
        (  # [sanitize] CIDRRule.sanitize
            API + "  egress: [{toCIDRSet: [{cidr: 10.0.0.0/8, except: [192.168.0.0/16]}]}]",
            'spec.egress[0].toCIDRSet[0].except[0]: Invalid value: "192.168.0.0/16": allow CIDR prefix 10.0.0.0/8 does not contain exclude CIDR prefix 192.168.0.0/16',
        ),
        (  # [sanitize] PortRule.sanitize
            API
            + "  ingress: [{toPorts: [{ports: [{port: '53', protocol: UDP}], rules: {dns: [{matchPattern: '*'}]}}]}]",
            "spec.ingress[0].toPorts[0].rules.dns: Forbidden: DNS rules are not allowed on ingress",
        ),
        (  # [sanitize] an absent protocol is ANY, and HTTP rules need TCP
            API
            + "  ingress: [{toPorts: [{ports: [{port: '80'}], rules: {http: [{method: GET}]}}]}]",
            "spec.ingress[0].toPorts[0].ports: Forbidden: L7 rules can only apply to TCP (not ANY) except for DNS rules",
        ),
        (
            API
            + "  ingress: [{toPorts: [{ports: [{port: '0', protocol: TCP}], rules: {http: [{}]}}]}]",
            "spec.ingress[0].toPorts[0].ports: Forbidden: L7 rules can not be used when a port is 0",
        ),
        (
            API + "  egress: [{toPorts: [{rules: {dns: [{matchPattern: '*'}]}}]}]",
            "spec.egress[0].toPorts[0].ports: Required value: port 53 must be specified for DNS rules",
        ),
        (  # [sanitize] errUnsupportedICMPWithToPorts
            API
            + "  ingress: [{icmps: [{fields: [{type: 8}]}], toPorts: [{ports: [{port: '80'}]}]}]",
            "spec.ingress[0]: Forbidden: the ICMPs block may only be present without ToPorts",
        ),
        (  # [sanitize] IsValidCiliumLabelKey: the source is alphanumeric and not empty
            "  endpointSelector: {matchLabels: {':app': api}}\n  ingress: [{}]",
            'spec.endpointSelector.matchLabels.:app: Invalid value: ":app": label source should be a non empty string',
        ),
        (  # [crd] FQDNSelector matchName pattern
            API + "  egress: [{toFQDNs: [{matchName: 'a..b'}]}]",
            "spec.egress[0].toFQDNs[0].matchName: Invalid value: \"a..b\": should match '^([-a-zA-Z0-9_]+[.]?)+$'",
        ),
        (  # [crd] the protocol enum is upper case
            _ingress_port("'80'", "tcp"),
            'spec.ingress[0].toPorts[0].ports[0].protocol: Unsupported value: "tcp"',
        ),
        (  # [sanitize] an extended protocol has no port
            _ingress_port("'80'", "GRE"),
            'spec.ingress[0].toPorts[0].ports[0].port: Invalid value: "80": port must be empty or 0',
        ),
        (  # [iana] 08 is no octal number and no service name
            _ingress_port("'08'"),
            'spec.ingress[0].toPorts[0].ports[0].port: Invalid value: "08": unable to parse port',
        ),
    ],
)
def test_cilium_refuses_what_cilium_refuses(body: str, want: str) -> None:
    got = errors(cnp("p", "shop", body))
    assert any(want in g for g in got), got


def test_cilium_upper_case_port_name_is_accepted_and_matches_case_insensitively() -> None:
    """[iana] IsSvcName allows upper case and PortProtocol.sanitize lower-cases the name:
    `HTTP` is the container port named `http`."""
    c = cluster(cnp("p", "shop", _ingress_port("HTTP")))
    assert allowed(c, "shop/web", "shop/api", 8080)
    assert not allowed(c, "shop/web", "shop/api", 9090)


def test_cilium_port_with_a_leading_zero_is_octal() -> None:
    """[iana] ParseUint(port, 0, 16): `010` is port 8, not 10; `1_0` is 10."""
    c = cluster(cnp("p", "shop", _ingress_port("'010'")))
    assert allowed(c, "shop/web", "shop/api", 8)
    assert not allowed(c, "shop/web", "shop/api", 10)
    c = cluster(cnp("p", "shop", _ingress_port("'1_0'")))
    assert allowed(c, "shop/web", "shop/api", 10)


def test_cilium_extended_protocols_are_accepted_and_open_no_tcp_port() -> None:
    """[crd] the protocol enum has GRE, IPIP, IPV6, ESP, AH beside VRRP and IGMP; none of
    them is a connection netreach models, so the rule opens nothing it decides."""
    body = API + "  ingress: [{toPorts: [{ports: [{protocol: GRE}, {protocol: ESP}]}]}]"
    c = cluster(cnp("p", "shop", body))
    assert not allowed(c, "shop/web", "shop/api", 8080)


def test_cilium_peer_naming_the_cluster_puts_a_caveat_on_its_verdicts() -> None:
    """cilium-cli's client-egress-only-dns.yaml allows DNS to pods with
    `io.cilium.k8s.policy.cluster In [<its cluster>]`: netreach assumes the cluster is named
    "default" (Cilium's default cluster-name), so the verdict says it may be incomplete
    rather than deny with confidence. `Exists` (any cluster) does not depend on the name."""
    body = (
        API + "  egress:\n  - toEndpoints:\n    - matchLabels: {app: web}\n"
        "      matchExpressions: [{key: io.cilium.k8s.policy.cluster, operator: In, "
        "values: [kind-a]}]"
    )
    v = cluster(cnp("p", "shop", body)).check("shop/api", "shop/web", 8080)
    assert not v.allowed
    assert any('assumes this cluster is named "default"' in c for c in v.caveats), v.caveats
    exists = body.replace("operator: In, values: [kind-a]", "operator: Exists")
    v = cluster(cnp("p", "shop", exists)).check("shop/api", "shop/web", 8080)
    assert v.allowed and not v.caveats


def test_cilium_port_less_entry_warns_that_cilium_may_refuse_the_policy() -> None:
    """[sanitize] PortProtocol.sanitize: "port must be specified" unless the agent runs with
    enable-extended-ip-protocols (then every port): accepted as every port, with a warning;
    an extended protocol (VRRP, GRE...) has no port and does not warn."""

    def warnings(ports: str) -> list[str]:
        body = API + f"  ingress: [{{toPorts: [{{ports: [{ports}]}}]}}]"
        snap = load_sources([Source("t.yaml", cnp("p", "shop", body).encode())])
        return [str(w) for w in snap.warnings if "no port: Cilium" in str(w)]

    assert len(warnings("{protocol: TCP}")) == 1
    assert not warnings("{protocol: VRRP}")
    assert not warnings("{port: '0', protocol: TCP}")
    body = API + "  ingress: [{toPorts: [{ports: [{protocol: UDP}]}]}]"
    c = cluster(cnp("p", "shop", body))
    assert allowed(c, "shop/web", "shop/api", 5353, "UDP")
    assert not allowed(c, "shop/web", "shop/api", 8080)


def test_cilium_host_policy_refuses_l7_at_host_ingress_and_http_at_host_egress() -> None:
    """[sanitize] IngressRule.sanitize: "L7 policy is not supported on host ingress yet";
    EgressRule.sanitize: HTTP "is not supported on host egress yet" (DNS is)."""
    dns = (
        "  - toPorts: [{ports: [{port: '53', protocol: UDP}], rules: {dns: [{matchPattern: '*'}]}}]"
    )
    http = "  - toPorts: [{ports: [{port: '80', protocol: TCP}], rules: {http: [{method: GET}]}}]"
    got = errors(ccnp("h", f"  nodeSelector: {{}}\n  egress:\n{dns}\n{http}"))
    assert got == [
        "t.yaml:9: CiliumClusterwideNetworkPolicy h: spec.egress[1].toPorts[0].rules.http: "
        "Forbidden: L7 protocol HTTP is not supported on host egress yet"
    ]
    got = errors(ccnp("h", f"  nodeSelector: {{}}\n  ingress:\n{http}"))
    assert any("L7 protocol HTTP is not supported on host ingress yet" in g for g in got), got


def test_cilium_l7_rules_keys_are_checked_against_every_release() -> None:
    """[crd] L7Rules has http and dns (kafka, l7proto and l7 in earlier releases' CRDs, so
    they are accepted, and noted as L7); a misspelt key is an unknown field, not a silent
    no-op."""
    ports = "ports: [{port: '9092', protocol: TCP}]"
    body = API + f"  ingress: [{{toPorts: [{{{ports}, rules: {{kafka: [{{topic: t}}]}}}}]}}]"
    c = cluster(cnp("p", "shop", body))
    assert c.check("shop/web", "shop/api", 9092).caveats
    got = errors(cnp("p", "shop", body.replace("kafka:", "htpp:")))
    assert any('unknown field "spec.ingress[0].toPorts[0].rules.htpp"' in g for g in got), got
