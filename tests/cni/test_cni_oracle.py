"""The engine against a brute-force reading of Calico's and Cilium's semantics
(tests/cni/cni_oracle.py), on random snapshots: tiers with orders and default actions,
Allow / Deny / Pass / Log rules, selectors of Calico's language over pod, namespace and
ServiceAccount labels, nets / notNets, ports / notPorts, protocol / notProtocol, Kubernetes
NetworkPolicies in the default tier; Cilium allow and deny rules, default deny and
enableDefaultDeny, endpoints / CIDR sets / entities, L4-only rules, Kubernetes
NetworkPolicies beside them. Every pod pair, every pod and external address, every probe
port: check, the matrix and the oracle must agree.
"""

from __future__ import annotations

import dataclasses

from cni_oracle import CniOracle
from hypothesis import given
from hypothesis import strategies as st

from engine.oracle import assert_agrees
from engine.test_properties import (
    KEYS,
    NS_NAMES,
    PORT_NAMES,
    PROBE_PORTS,
    SETTINGS,
    VALUES,
    clusters,
)
from netreach.calico_selector import All, And, Eq, Expr, Global, Has, In, Ne, Not, Or
from netreach.cluster import Cluster
from netreach.model import (
    PROTOCOLS,
    V_NAMESPACE,
    V_NS_LABEL,
    V_SA_LABEL,
    V_SERVICE_ACCOUNT,
    CalicoEntity,
    CalicoPolicy,
    CalicoRule,
    CalicoTier,
    CiliumPolicy,
    CiliumRule,
    IPBlock,
    LabelSelector,
    Options,
    PolicyPort,
    Requirement,
    ServiceAccount,
    Snapshot,
)

ADDRESSES = ["10.1.2.250", "10.9.0.1", "192.168.1.1", "10.1.3.240", "fd00::99"]
ACCOUNTS = ["default", "sa1"]
TIERS = ["t1", "t2", "default"]

# --- Calico ---------------------------------------------------------------------------------


@st.composite
def exprs(draw: st.DrawFn, depth: int = 0) -> Expr:
    kind = draw(
        st.sampled_from(["eq", "ne", "in", "notin", "has", "all", "ns", "sa", "not", "and", "or"])
    )
    key = draw(st.sampled_from([*KEYS, V_NS_LABEL + "team", V_SA_LABEL + "role"]))
    val = draw(st.sampled_from(VALUES))
    if kind in ("not", "and", "or") and depth >= 2:
        kind = "eq"
    if kind == "eq":
        return Eq(key, val)
    if kind == "ne":
        return Ne(key, val)
    if kind in ("in", "notin"):
        vals = tuple(sorted(draw(st.sets(st.sampled_from(VALUES), min_size=1, max_size=2))))
        return In(key, vals, kind == "notin")
    if kind == "has":
        return Has(key)
    if kind == "all":
        return All()
    if kind == "ns":
        return Eq(V_NAMESPACE, draw(st.sampled_from(NS_NAMES)))
    if kind == "sa":
        return In(V_SERVICE_ACCOUNT, (draw(st.sampled_from(ACCOUNTS)),))
    if kind == "not":
        return Not(draw(exprs(depth + 1)))
    parts = tuple(draw(st.lists(exprs(depth + 1), min_size=2, max_size=2)))
    return And(parts) if kind == "and" else Or(parts)


@st.composite
def calico_ports(draw: st.DrawFn, proto: str) -> tuple[PolicyPort, ...]:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        if draw(st.booleans()):
            lo = draw(st.integers(1, 10))
            out.append(PolicyPort(proto, lo, lo + draw(st.integers(0, 3)) or None))  # type: ignore[arg-type]
        else:
            out.append(PolicyPort(proto, draw(st.sampled_from(PORT_NAMES))))  # type: ignore[arg-type]
    return tuple(
        PolicyPort(p.protocol, p.port, p.end_port if p.end_port != p.port else None) for p in out
    )


@st.composite
def entities(draw: st.DrawFn, proto: str | None, ports: bool) -> CalicoEntity:
    sel = draw(st.one_of(st.none(), exprs()))
    not_sel = draw(st.one_of(st.none(), exprs())) if draw(st.integers(0, 3)) == 0 else None
    ns_sel = None
    if draw(st.integers(0, 3)) == 0:
        ns_sel = draw(
            st.sampled_from([All(), Global(), Eq("team", "a"), Eq("projectcalico.org/name", "x")])
        )
    nets = draw(st.sampled_from([(), ("10.1.0.0/16",), ("10.9.0.0/16", "10.1.2.0/24")]))
    not_nets = draw(st.sampled_from([(), (), ("10.1.3.0/24",)]))
    p: tuple[PolicyPort, ...] = ()
    np_: tuple[PolicyPort, ...] = ()
    if ports and proto in PROTOCOLS:
        p = draw(calico_ports(proto))
        np_ = draw(calico_ports(proto)) if draw(st.integers(0, 2)) == 0 else ()
    return CalicoEntity(nets, not_nets, sel, not_sel, ns_sel, p, np_)


@st.composite
def calico_rules(draw: st.DrawFn) -> CalicoRule:
    action = draw(st.sampled_from(["Allow", "Deny", "Pass", "Log", "Allow", "Deny"]))
    proto = draw(st.sampled_from([None, "TCP", "UDP", "SCTP", "ICMP"]))
    not_proto = draw(st.sampled_from([None, None, None, "UDP"]))
    src = draw(entities(proto, False)) if draw(st.booleans()) else CalicoEntity()
    dst = draw(entities(proto, True)) if draw(st.booleans()) else CalicoEntity()
    version = draw(st.sampled_from([None, None, None, 4, 6]))
    if version == 6 and any(e.nets or e.not_nets for e in (src, dst)):
        version = 4  # Calico refuses a rule whose nets are of the other family
    return CalicoRule(action, proto, not_proto, version, src, dst)  # type: ignore[arg-type]


@st.composite
def calico_policies(draw: st.DrawFn, i: int) -> CalicoPolicy:
    namespaced = draw(st.booleans())
    types = draw(st.sampled_from([("ingress",), ("egress",), ("ingress", "egress")]))
    return CalicoPolicy(
        kind="NetworkPolicy" if namespaced else "GlobalNetworkPolicy",
        namespace=draw(st.sampled_from(NS_NAMES)) if namespaced else None,
        name=f"c{i}",
        tier=draw(st.sampled_from(TIERS)),
        order=draw(st.sampled_from([None, 1.0, 500.0, 1000.0, 2000.0])),
        selector=draw(exprs()),
        types=types,  # type: ignore[arg-type]
        ingress=tuple(draw(st.lists(calico_rules(), max_size=3))),
        egress=tuple(draw(st.lists(calico_rules(), max_size=3))),
        namespace_selector=None
        if namespaced or draw(st.booleans())
        else Eq("team", draw(st.sampled_from(VALUES))),
    )


def _snapshot(nss, pods, pols, **more) -> Snapshot:  # type: ignore[no-untyped-def]
    return Snapshot(
        namespaces={n.name: n for n in nss}, pods=list(pods), policies=list(pols), **more
    )


@st.composite
def calico_clusters(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    nss, pods, pols = draw(clusters(max_policies=2))
    nss = [
        dataclasses.replace(n, labels={**n.labels, "team": draw(st.sampled_from(VALUES))})
        for n in nss
    ]
    pods = [
        dataclasses.replace(
            p,
            service_account=draw(st.sampled_from(ACCOUNTS)),
            host_network=draw(st.integers(0, 5)) == 0,
            ips=draw(st.sampled_from([p.ips, p.ips, tuple(_v6(ip) for ip in p.ips), _dual(p.ips)])),
        )
        for p in pods
    ]
    accounts = [
        ServiceAccount(ns, "sa1", {"role": draw(st.sampled_from(VALUES))}) for ns in NS_NAMES
    ]
    cal = [draw(calico_policies(i)) for i in range(draw(st.integers(1, 4)))]
    tiers = [
        CalicoTier(
            "t1", draw(st.sampled_from([10.0, 2e6])), draw(st.sampled_from(["Deny", "Pass"]))
        ),
        CalicoTier(
            "t2", draw(st.sampled_from([None, 20.0])), draw(st.sampled_from(["Deny", "Pass"]))
        ),
    ]
    return nss, pods, pols, cal, tiers, accounts


def _v6(ip: str) -> str:
    return f"fd00::{ip.replace('.', ':')}"


def _dual(ips: tuple[str, ...]) -> tuple[str, ...]:
    return (*ips, *(_v6(ip) for ip in ips))


def calico_cluster(data) -> tuple[Cluster, CniOracle]:  # type: ignore[no-untyped-def]
    """A drawn `calico_clusters()` as a Cluster, with the oracle reading it."""
    nss, pods, pols, cal, tiers, accounts = data
    snap = _snapshot(
        nss, pods, pols, calico_policies=cal, calico_tiers=tiers, service_accounts=accounts
    )
    c = Cluster(snap, Options(ipblock_matches_pods=True, self_traffic="policy"))
    acc = {(a.namespace, a.name): a.labels for a in accounts}
    oracle = CniOracle(c.namespaces, pols, c.options, cal, tiers, accounts=acc)
    oracle.unaddressed = {6 if ":" in ip else 4 for p in pods for ip in p.ips} or {4}
    return c, oracle


@SETTINGS
@given(calico_clusters())
def test_engine_agrees_with_the_oracle_on_calico_policies(data) -> None:  # type: ignore[no-untyped-def]
    c, oracle = calico_cluster(data)
    assert_agrees(c, ADDRESSES, PROBE_PORTS, oracle, check_pods=True)


# --- Cilium ---------------------------------------------------------------------------------


@st.composite
def cilium_selectors(draw: st.DrawFn, namespace: str | None) -> LabelSelector:
    ml = dict(draw(st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=1)))
    exprs_: list[Requirement] = []
    if draw(st.booleans()):
        op = draw(st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]))
        vals = (draw(st.sampled_from(VALUES)),) if op in ("In", "NotIn") else ()
        exprs_.append(Requirement(draw(st.sampled_from([*KEYS, V_NS_LABEL + "team"])), op, vals))  # type: ignore[arg-type]
    if draw(st.integers(0, 2)) == 0:
        ml[V_NAMESPACE] = draw(st.sampled_from(NS_NAMES))
    elif namespace is not None:
        ml[V_NAMESPACE] = namespace  # what the loader adds in a namespaced policy
    return LabelSelector(tuple(sorted(ml.items())), tuple(exprs_))


@st.composite
def cilium_rules(draw: st.DrawFn, action: str, namespace: str | None) -> CiliumRule:
    kind = draw(st.sampled_from(["endpoints", "cidr", "entity", "l4", "none", "empty"]))
    endpoints: tuple[LabelSelector, ...] = ()
    cidrs: tuple[IPBlock, ...] = ()
    ents: tuple[str, ...] = ()
    if kind == "endpoints":
        endpoints = tuple(draw(st.lists(cilium_selectors(namespace), min_size=1, max_size=2)))
    elif kind == "cidr":
        cidrs = (
            draw(
                st.sampled_from(
                    [
                        IPBlock("10.0.0.0/8", ("10.1.2.0/24",)),
                        IPBlock("192.168.0.0/16"),
                        IPBlock("0.0.0.0/0"),
                    ]
                )
            ),
        )
    elif kind == "entity":
        ents = (draw(st.sampled_from(["all", "world", "cluster"])),)
    ports = None
    if draw(st.booleans()) or kind == "l4":
        plist = []
        for _ in range(draw(st.integers(1, 2))):
            proto = draw(st.sampled_from([*PROTOCOLS, "ANY"]))
            protos = PROTOCOLS if proto == "ANY" else (proto,)
            pick = draw(st.sampled_from(["num", "range", "name", "all"]))
            lo = draw(st.integers(1, 10))
            name = draw(st.sampled_from(PORT_NAMES))
            hi = lo + draw(st.integers(1, 3))
            for p in protos:
                plist.append(
                    PolicyPort(p, lo)
                    if pick == "num"
                    else PolicyPort(p, lo, hi)
                    if pick == "range"
                    else PolicyPort(p, name)
                    if pick == "name"
                    else PolicyPort(p)  # type: ignore[arg-type]
                )
        ports = tuple(plist)
    l3 = bool(endpoints or cidrs or ents)
    return CiliumRule(action, endpoints, cidrs, ents, l3=l3, empty_l3=kind == "empty", ports=ports)  # type: ignore[arg-type]


@st.composite
def cilium_policies(draw: st.DrawFn, i: int) -> CiliumPolicy:
    namespaced = draw(st.booleans())
    ns = draw(st.sampled_from(NS_NAMES)) if namespaced else None
    lists = {
        k: tuple(draw(st.lists(cilium_rules("Deny" if "deny" in k else "Allow", ns), max_size=2)))
        for k in ("ingress", "egress", "ingress_deny", "egress_deny")
    }
    dd = []
    for d, a, b in (("ingress", "ingress", "ingress_deny"), ("egress", "egress", "egress_deny")):
        flag = draw(st.sampled_from([None, None, True, False]))
        if flag or (flag is None and (lists[a] or lists[b])):
            dd.append(d)
    return CiliumPolicy(
        kind="CiliumNetworkPolicy" if namespaced else "CiliumClusterwideNetworkPolicy",
        namespace=ns,
        name=f"k{i}",
        spec_index=None,
        subject=draw(cilium_selectors(ns)),
        default_deny=tuple(dd),  # type: ignore[arg-type]
        **lists,
    )


@SETTINGS
@given(clusters(max_policies=2), st.data())
def test_engine_agrees_with_the_oracle_on_cilium_policies(data, more) -> None:  # type: ignore[no-untyped-def]
    nss, pods, pols = data
    nss = [
        dataclasses.replace(n, labels={**n.labels, "team": more.draw(st.sampled_from(VALUES))})
        for n in nss
    ]
    pods = [dataclasses.replace(p, host_network=more.draw(st.integers(0, 5)) == 0) for p in pods]
    cil = [more.draw(cilium_policies(i)) for i in range(more.draw(st.integers(1, 3)))]
    snap = _snapshot(nss, pods, pols, cilium_policies=cil)
    # Cilium: CIDR peers (and Kubernetes ipBlocks) select addresses outside the cluster only
    c = Cluster(snap, Options(ipblock_matches_pods=False, self_traffic="policy"))
    assert_agrees(
        c,
        ADDRESSES,
        PROBE_PORTS,
        CniOracle(c.namespaces, pols, c.options, cilium=cil),
        check_pods=True,
    )
