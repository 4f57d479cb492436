"""Calico's and Cilium's rules through the nft compiler and a real kernel: each test loads a
small snapshot, lets `verify` build the lab, and checks that the kernel does what the rule
says (docs.tigera.io "Policy tiers", "Get started with Calico network policy";
docs.cilium.io "Policy Enforcement Modes", "Deny Policies", "Layer 3 Examples") and that the
engine agrees on every probe. The ruleset's shape is checked without root."""

from __future__ import annotations

import pytest
from dp_helpers import need_dataplane

from netreach.dataplane import ProbeRecord, compile_ruleset, verify
from netreach.loader import load_sources
from netreach.loader.sources import Source

pytestmark = pytest.mark.dataplane

BASE = """
apiVersion: v1
kind: Namespace
metadata: {name: a, labels: {team: a}}
---
apiVersion: v1
kind: Namespace
metadata: {name: b, labels: {team: b}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: sa1, namespace: b, labels: {role: db}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: a, labels: {app: web}}
spec: {containers: [{name: c, ports: [{containerPort: 80, name: http}]}]}
status: {podIPs: [{ip: 10.244.1.2}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: a, labels: {app: api}}
spec: {containers: [{name: c, ports: [{containerPort: 80, name: http}]}]}
status: {podIPs: [{ip: 10.244.1.3}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: b, labels: {app: db}}
spec: {serviceAccountName: sa1, containers: [{name: c}]}
status: {podIPs: [{ip: 10.244.2.2}]}
---
apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: b, labels: {app: agent}}
spec: {hostNetwork: true, containers: [{name: c}]}
status: {podIPs: [{ip: 10.0.0.10}]}
"""


def _sources(policies: str) -> list[tuple[str, bytes]]:
    return [("base.yaml", BASE.encode()), ("policies.yaml", policies.encode())]


def _kernel(policies: str) -> dict[tuple[str, str, int], str]:
    """The kernel's verdict per (src, dst, port) over TCP, after checking that the engine
    agreed with it on every probe."""
    need_dataplane()
    sources = _sources(policies)
    snap = load_sources([Source(n, b) for n, b in sources])
    report = verify(snap, sources=sources, ports=[80, 81], protocols=["TCP"])
    assert report.ok, report.render()
    records: tuple[ProbeRecord, ...] = report.records
    return {(r.src, r.dst, r.port): r.dataplane for r in records}


SECURITY_TIER = """
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
"""

PASS = (
    SECURITY_TIER
    + """apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.api}
spec:
  tier: security
  selector: app == "api"
  ingress:
    - {action: Pass, source: {selector: app == "web"}}
    - {action: Deny}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: api, namespace: a}
spec:
  selector: app == "api"
  ingress:
    - {action: Allow, protocol: TCP, destination: {ports: [80]}}
"""
)


def test_calico_pass_hands_the_connection_to_the_next_tier() -> None:
    got = _kernel(PASS)
    # passed on by the security tier, allowed by the default tier
    assert got[("a/web", "a/api", 80)] == "allowed"
    # passed on, then the default tier's end-of-tier deny (its policy selects api)
    assert got[("a/web", "a/api", 81)] == "blocked"
    # the security tier's Deny decides: the default tier's Allow is never reached
    assert got[("b/db", "a/api", 80)] == "blocked"


def test_pass_compiles_to_a_jump_to_the_next_tier_chain() -> None:
    sources = _sources(PASS)
    text = compile_ruleset(load_sources([Source(n, b) for n, b in sources]), sources=sources)
    tiers = text[text.index("  chain in_s0 {") :]
    assert "goto in_s1 comment" in tiers  # the Pass rule
    assert tiers.index("chain in_s0") < tiers.index("chain in_s1")
    assert "# Calico tier security" in text and "# Calico tier default" in text


END_OF_TIER = (
    SECURITY_TIER
    + """apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.api}
spec:
  tier: security
  selector: app == "api"
  ingress:
    - {action: Allow, source: {selector: app == "web"}}
"""
)


def test_calico_end_of_tier_deny_applies_only_to_pods_the_tier_selects() -> None:
    got = _kernel(END_OF_TIER)
    assert got[("a/web", "a/api", 80)] == "allowed"
    assert got[("b/db", "a/api", 80)] == "blocked"  # selected, no rule matched: denied
    assert got[("a/api", "b/db", 80)] == "allowed"  # db: no policy of the tier selects it
    assert got[("a/web", "b/db", 81)] == "allowed"


ORDER = """
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: late, namespace: a}
spec:
  order: 20
  selector: app == "api"
  ingress:
    - {action: Allow}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: early, namespace: a}
spec:
  order: 10
  selector: app == "api"
  ingress:
    - {action: Deny, source: {selector: app == "web"}}
    - {action: Log}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: after-kubernetes}
spec:
  order: 2000
  selector: app == "web"
  ingress:
    - {action: Deny}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: a}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
    - from: [{namespaceSelector: {matchLabels: {team: b}}}]
      ports: [{port: http}]
"""


def test_calico_policies_apply_by_order_and_kubernetes_policies_sit_at_1000() -> None:
    got = _kernel(ORDER)
    assert got[("a/web", "a/api", 80)] == "blocked"  # order 10 denies before order 20 allows
    assert got[("b/db", "a/api", 80)] == "allowed"  # Log decides nothing; order 20 allows
    # the NetworkPolicy (order 1000) allows before the Calico Deny at order 2000
    assert got[("b/db", "a/web", 80)] == "allowed"
    assert got[("b/db", "a/web", 81)] == "blocked"
    assert got[("a/api", "a/web", 80)] == "blocked"


SETS = """
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: trusted, labels: {role: trusted}}
spec: {nets: [10.244.1.2/32]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: db}
spec:
  selector: app == "db"
  ingress:
    - {action: Allow, source: {selector: role == "trusted"}}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: api}
spec:
  selector: app == "api"
  ingress:
    - {action: Allow, source: {serviceAccounts: {selector: role == "db"}}}
    - {action: Allow, protocol: TCP, source: {namespaceSelector: team == "a"},
       destination: {notPorts: [80]}}
"""


def test_calico_network_sets_service_accounts_namespaces_and_not_ports() -> None:
    got = _kernel(SETS)
    assert got[("a/web", "b/db", 80)] == "allowed"  # its address is in the set
    assert got[("a/api", "b/db", 80)] == "blocked"
    assert got[("b/agent", "b/db", 80)] == "blocked"  # host network: no selector matches it
    assert got[("b/db", "a/api", 80)] == "allowed"  # its ServiceAccount's labels
    assert got[("a/web", "a/api", 81)] == "allowed"  # namespace a, not port 80
    assert got[("a/web", "a/api", 80)] == "blocked"


DENY = """
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api, namespace: a}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
    - fromEntities: [all]
  ingressDeny:
    - fromEndpoints: [{matchLabels: {app: web}}]
      toPorts: [{ports: [{port: "80", protocol: TCP}]}]
"""


def test_cilium_deny_rules_take_precedence_over_allow_rules() -> None:
    got = _kernel(DENY)
    assert got[("a/web", "a/api", 80)] == "blocked"
    assert got[("a/web", "a/api", 81)] == "allowed"
    assert got[("b/db", "a/api", 80)] == "allowed"


def test_cilium_deny_rules_come_first_in_the_ruleset() -> None:
    sources = _sources(DENY)
    text = compile_ruleset(load_sources([Source(n, b) for n, b in sources]), sources=sources)
    assert text.index("# Cilium deny rules") < text.index("# Cilium allow rules")


DEFAULT_DENY = """
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api, namespace: a}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
    - fromEndpoints: [{matchLabels: {app: web}}]
      toPorts: [{ports: [{port: http}]}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: db, namespace: b}
spec:
  endpointSelector: {}
  enableDefaultDeny: {ingress: false}
  ingressDeny:
    - fromEndpoints: [{matchLabels: {"k8s:io.kubernetes.pod.namespace": a, app: web}}]
"""


def test_cilium_default_deny_once_a_rule_selects_a_pod() -> None:
    got = _kernel(DEFAULT_DENY)
    assert got[("a/web", "a/api", 80)] == "allowed"  # the named port, on api
    assert got[("a/web", "a/api", 81)] == "blocked"  # default deny for api's ingress
    assert got[("b/db", "a/api", 80)] == "blocked"
    assert got[("a/api", "b/db", 80)] == "allowed"  # egress: no rule, no default deny
    # enableDefaultDeny false: only the deny rule bites
    assert got[("a/web", "b/db", 80)] == "blocked"
    assert got[("a/api", "b/db", 81)] == "allowed"


ENTITIES = """
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: world-only}
spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress:
    - fromEntities: [world]
    - fromCIDR: [10.244.0.0/16]
---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: cluster}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
    - fromEntities: [cluster]
      toPorts: [{ports: [{port: "80", endPort: 80, protocol: ANY}]}]
"""


def test_cilium_entities_world_cidr_and_cluster() -> None:
    got = _kernel(ENTITIES)
    # world and CIDR peers are outside the cluster: no pod matches them
    assert got[("a/web", "b/db", 80)] == "blocked"
    assert got[("a/api", "b/db", 81)] == "blocked"
    assert got[("b/agent", "b/db", 80)] == "blocked"  # a host-network pod is not world
    # cluster: every pod, host-network pods too
    assert got[("b/agent", "a/api", 80)] == "allowed"
    assert got[("a/web", "a/api", 80)] == "allowed"
    assert got[("b/db", "a/api", 80)] == "allowed"
    assert got[("b/db", "a/api", 81)] == "blocked"


def test_what_the_engine_does_not_model_is_named_not_checked() -> None:
    from netreach.dataplane import prepare

    fqdn = (
        DENY
        + """---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: out, namespace: a}
spec:
  endpointSelector: {matchLabels: {app: web}}
  egress:
    - toFQDNs: [{matchName: example.com}]
"""
    )
    sources = _sources(fqdn)
    scenario = prepare(load_sources([Source(n, b) for n, b in sources]), sources=sources)
    assert scenario.cni == "cilium"
    assert any(n.startswith("toFQDNs") and "(1 rule(s))" in n for n in scenario.unmodelled)
    assert len(scenario.engine_snapshot.cilium_policies) == 2  # both sides enforce them


BOTH = (
    SECURITY_TIER
    + """apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.sec}
spec:
  tier: security
  selector: app in {"api", "db"}
  ingress:
    - {action: Allow, protocol: TCP, source: {selector: app == "web"}, destination: {ports: [80]}}
    - {action: Pass}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api, namespace: a}
spec:
  endpointSelector: {matchLabels: {app: api}}
  enableDefaultDeny: {ingress: false}
  ingressDeny:
    - fromEndpoints: [{matchLabels: {app: web}}]
      toPorts: [{ports: [{port: "80", protocol: TCP}]}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: db, namespace: b}
spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress:
    - fromEndpoints: [{matchLabels: {"k8s:io.kubernetes.pod.namespace": a, app: web}}]
  ingressDeny:
    - fromEndpoints: [{matchLabels: {"k8s:io.kubernetes.pod.namespace": a, app: web}}]
      toPorts: [{ports: [{port: "80", protocol: TCP}]}]
"""
)


def test_calico_and_cilium_in_one_input_are_ordered_as_the_engine_orders_them() -> None:
    """One cluster enforces one plugin's policies; with both in one input the lab runs the
    engine's order (docs/verify.md): Cilium's allow rules end Calico's default tier, its deny
    rules come just before that tier, or before every tier for a pod that only Cilium's deny
    rules concern in the direction."""
    got = _kernel(BOTH)
    # api: deny rules only, no default deny: Cilium's deny comes before the security tier
    assert got[("a/web", "a/api", 80)] == "blocked"
    assert got[("a/web", "a/api", 81)] == "allowed"  # passed on; nothing closes api
    assert got[("b/db", "a/api", 80)] == "allowed"
    # db: Cilium allows and denies: the security tier's Allow decides before Cilium's deny
    assert got[("a/web", "b/db", 80)] == "allowed"
    assert got[("a/web", "b/db", 81)] == "allowed"  # passed on, Cilium's allow rule
    assert got[("a/api", "b/db", 80)] == "blocked"  # passed on, Cilium's default deny


def test_calico_and_cilium_in_one_input_compile_into_calicos_tiers() -> None:
    from netreach.dataplane import prepare

    sources = _sources(BOTH)
    scenario = prepare(load_sources([Source(n, b) for n, b in sources]), sources=sources)
    assert scenario.cni == "both"
    assert len(scenario.engine_snapshot.calico_policies) == 1
    assert len(scenario.engine_snapshot.cilium_policies) == 2
    text = scenario.ruleset()
    first = text.index("# Cilium deny rules (no Cilium allow or default deny)")
    assert first < text.index("# Calico tier security")
    assert text.index("# Calico tier security") < text.index("# Cilium deny rules:")
    assert text.index("# Cilium deny rules:") < text.index("# Calico tier default")


def test_the_decoder_reads_calico_and_cilium_with_their_defaults() -> None:
    from netreach.dataplane.decode import decode

    text = b"""
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: default}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  selector: all()
  egress:
  - {action: Allow, protocol: 6, destination: {ports: ["80", 81, "82:84", http]}}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: c, namespace: a}
specs:
- endpointSelector: {matchLabels: {"k8s:app": web}}
  egressDeny: [{toEntities: [world]}]
- endpointSelector: {matchLabels: {"k8s:io.kubernetes.pod.namespace": b}}
  enableDefaultDeny: {ingress: true}
"""
    m = decode([("x.yaml", text)])
    assert m.problems == []
    assert m.tiers["default"].order == 1_000_000.0 and m.tiers["default"].default_action == "Deny"
    pol = m.calico[("NetworkPolicy", "a", "p")]
    assert pol.types == ("egress",)  # egress rules only: Egress
    assert pol.egress[0].protocols == ("TCP",)
    ports = pol.egress[0].destination.ports
    assert [(p.port, p.end) for p in ports] == [(80, None), (81, None), (82, 84), ("http", None)]
    first, second = m.cilium[("CiliumNetworkPolicy", "a", "c")]
    assert first.subject is not None
    assert dict(first.subject.labels) == {"app": "web", "io.kubernetes.pod.namespace": "a"}
    assert first.default_deny == ("egress",)  # a direction with rules is default deny
    assert second.default_deny == ("ingress",)  # asked for, without rules
    assert second.subject is not None
    assert dict(second.subject.labels) == {"io.kubernetes.pod.namespace": "b"}
