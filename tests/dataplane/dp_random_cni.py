"""Seeded random snapshots with Calico or Cilium policies over dp_random's six pods, drawn as
tests/cni/test_cni_oracle.py draws them for the engine's oracle: Calico tiers (order, default
action), Allow / Deny / Pass / Log rules, selectors of Calico's language over pod, namespace
and ServiceAccount labels, namespaceSelector (global() too), serviceAccounts, nets / notNets,
NetworkSets, ports / notPorts (named ports too), protocol / notProtocol, Kubernetes
NetworkPolicies in the default tier; Cilium allow and deny rules, default deny and
enableDefaultDeny, endpoints (namespace-scoped), CIDR sets with except, entities, L4-only
rules, Kubernetes NetworkPolicies beside them."""

from __future__ import annotations

import dataclasses
import ipaddress
import random
from collections.abc import Callable

from dp_random import _CIDRS, _EXCEPTS, PROBE_PORTS, _selector, random_snapshot
from dp_random_tiers import random_tiered_snapshot

from netreach.calico_selector import All, And, Eq, Expr, Global, Has, In, Ne, Not, Or
from netreach.model import (
    PROTOCOLS,
    V_NAMESPACE,
    V_NS_LABEL,
    V_SA_LABEL,
    V_SERVICE_ACCOUNT,
    AdminPolicy,
    AdminRule,
    CalicoEntity,
    CalicoPolicy,
    CalicoRule,
    CalicoTier,
    CiliumPolicy,
    CiliumRule,
    IPBlock,
    LabelSelector,
    NetworkPolicy,
    NetworkSet,
    Peer,
    PolicyPort,
    Rule,
    ServiceAccount,
    Snapshot,
)

NAMESPACES = ("r", "s")
ACCOUNTS = ("default", "sa1")
_KEYS = ("app", "tier", V_NS_LABEL + "team", V_SA_LABEL + "role")
_VALUES = ("x", "y", "1", "2", "a", "b")

# --- Calico ---------------------------------------------------------------------------------


def _expr(rng: random.Random, depth: int = 0) -> Expr:
    kind = rng.choice(["eq", "ne", "in", "notin", "has", "all", "ns", "sa", "not", "and", "or"])
    key, val = rng.choice(_KEYS), rng.choice(_VALUES)
    if kind in ("not", "and", "or") and depth >= 2:
        kind = "eq"
    if kind == "eq":
        return Eq(key, val)
    if kind == "ne":
        return Ne(key, val)
    if kind in ("in", "notin"):
        return In(key, tuple(sorted(set(rng.sample(_VALUES, rng.choice([1, 2]))))), kind == "notin")
    if kind == "has":
        return Has(key)
    if kind == "all":
        return All()
    if kind == "ns":
        return Eq(V_NAMESPACE, rng.choice(NAMESPACES))
    if kind == "sa":
        return In(V_SERVICE_ACCOUNT, (rng.choice(ACCOUNTS),))
    if kind == "not":
        return Not(_expr(rng, depth + 1))
    parts = (_expr(rng, depth + 1), _expr(rng, depth + 1))
    return And(parts) if kind == "and" else Or(parts)


def _calico_ports(rng: random.Random, proto: str) -> tuple[PolicyPort, ...]:
    out = []
    for _ in range(rng.choice([0, 1, 1, 2])):
        if rng.random() < 0.7:
            lo = rng.choice(PROBE_PORTS)
            end = lo + rng.choice([1, 2]) if rng.random() < 0.4 else None
            out.append(PolicyPort(proto, lo, end))  # type: ignore[arg-type]
        else:
            out.append(PolicyPort(proto, rng.choice(["svc", "alt"])))  # type: ignore[arg-type]
    return tuple(out)


def _entity(rng: random.Random, proto: str | None, ports: bool) -> CalicoEntity:
    sel = _expr(rng) if rng.random() < 0.6 else None
    not_sel = _expr(rng) if rng.random() < 0.2 else None
    ns_sel = None
    if rng.random() < 0.25:
        ns_sel = rng.choice([All(), Global(), Eq("team", "a"), Eq("projectcalico.org/name", "s")])
    nets: tuple[str, ...] = ()
    not_nets: tuple[str, ...] = ()
    if rng.random() < 0.3:
        nets = (rng.choice(_CIDRS),)
    if rng.random() < 0.15:
        not_nets = (rng.choice(_EXCEPTS),)
    p: tuple[PolicyPort, ...] = ()
    np_: tuple[PolicyPort, ...] = ()
    if ports and proto in PROTOCOLS:
        p = _calico_ports(rng, proto)
        np_ = _calico_ports(rng, proto) if rng.random() < 0.3 else ()
    return CalicoEntity(nets, not_nets, sel, not_sel, ns_sel, p, np_)


def _calico_rule(rng: random.Random) -> CalicoRule:
    action = rng.choice(["Allow", "Deny", "Pass", "Log", "Allow", "Deny"])
    proto = rng.choice([None, None, "TCP", "UDP", "SCTP", "ICMP"])
    not_proto = rng.choice([None, None, None, "UDP"])
    src = _entity(rng, proto, False) if rng.random() < 0.5 else CalicoEntity()
    dst = _entity(rng, proto, True) if rng.random() < 0.6 else CalicoEntity()
    return CalicoRule(action, proto, not_proto, None, src, dst)  # type: ignore[arg-type]


def _calico_policy(rng: random.Random, i: int) -> CalicoPolicy:
    namespaced = rng.random() < 0.5
    return CalicoPolicy(
        kind="NetworkPolicy" if namespaced else "GlobalNetworkPolicy",
        namespace=rng.choice(NAMESPACES) if namespaced else None,
        name=f"c{i}",
        tier=rng.choice(["t1", "t2", "default"]),
        order=rng.choice([None, 1.0, 500.0, 1000.0, 2000.0]),
        selector=_expr(rng),
        types=rng.choice([("ingress",), ("egress",), ("ingress", "egress")]),  # type: ignore[arg-type]
        ingress=tuple(_calico_rule(rng) for _ in range(rng.choice([0, 1, 2, 3]))),
        egress=tuple(_calico_rule(rng) for _ in range(rng.choice([0, 1, 2, 3]))),
        namespace_selector=None
        if namespaced or rng.random() < 0.5
        else Eq("team", rng.choice("ab")),
    )


def random_calico_snapshot(seed: int) -> Snapshot:
    rng = random.Random(30_000 + seed)
    # admin tiers now and then: Calico's kube-admin and kube-baseline tiers hold them
    snap = random_tiered_snapshot(seed) if rng.random() < 0.3 else random_snapshot(seed)
    snap.policies = snap.policies[: rng.choice([0, 1, 2])]  # NetworkPolicies in the default tier
    snap.pods = [dataclasses.replace(p, service_account=rng.choice(ACCOUNTS)) for p in snap.pods]
    snap.service_accounts = [ServiceAccount(n, "sa1", {"role": rng.choice("ab")}) for n in "rs"]
    snap.calico_tiers = [
        CalicoTier("t1", rng.choice([10.0, 2e6]), rng.choice(["Deny", "Pass"])),
        CalicoTier("t2", rng.choice([None, 20.0]), rng.choice(["Deny", "Pass"])),
    ]
    snap.network_sets = [
        NetworkSet(None, "gs", {"kind": "set", "app": rng.choice("xy")}, (rng.choice(_CIDRS),)),
        NetworkSet(
            rng.choice(NAMESPACES), "ns", {"app": rng.choice("xy")}, (rng.choice(_EXCEPTS),)
        ),
    ]
    snap.calico_policies = [_calico_policy(rng, i) for i in range(rng.randint(1, 4))]
    return snap


# --- Cilium ---------------------------------------------------------------------------------


def _cilium_selector(rng: random.Random, namespace: str | None) -> LabelSelector:
    base = _selector(rng, ("app", "tier"), "xy12")
    labels = dict(base.match_labels)
    exprs = list(base.match_expressions)
    if rng.random() < 0.2:
        labels[V_NS_LABEL + "team"] = rng.choice("ab")
    if rng.random() < 0.3:
        labels[V_NAMESPACE] = rng.choice(NAMESPACES)
    elif namespace is not None:
        labels[V_NAMESPACE] = namespace  # what the loader adds in a namespaced policy
    return LabelSelector(tuple(sorted(labels.items())), tuple(exprs))


def _cilium_ports(rng: random.Random) -> tuple[PolicyPort, ...]:
    out: list[PolicyPort] = []
    for _ in range(rng.choice([1, 2])):
        proto = rng.choice([*PROTOCOLS, "ANY"])
        protos = PROTOCOLS if proto == "ANY" else (proto,)
        pick = rng.choice(["num", "range", "name", "all"])
        lo = rng.choice(PROBE_PORTS)
        name = rng.choice(["svc", "alt"])
        for p in protos:
            if pick == "num":
                out.append(PolicyPort(p, lo))
            elif pick == "range":
                out.append(PolicyPort(p, lo, lo + rng.choice([1, 2])))
            elif pick == "name":
                out.append(PolicyPort(p, name))
            else:
                out.append(PolicyPort(p))
    return tuple(out)


def _cilium_rule(rng: random.Random, action: str, namespace: str | None) -> CiliumRule:
    kind = rng.choice(["endpoints", "endpoints", "cidr", "entity", "l4", "none", "empty"])
    endpoints: tuple[LabelSelector, ...] = ()
    cidrs: tuple[IPBlock, ...] = ()
    entities: tuple[str, ...] = ()
    if kind == "endpoints":
        endpoints = tuple(_cilium_selector(rng, namespace) for _ in range(rng.choice([1, 2])))
    elif kind == "cidr":
        cidr = rng.choice(_CIDRS)
        cidrs = (IPBlock(cidr, tuple(e for e in _EXCEPTS if rng.random() < 0.3)),)
    elif kind == "entity":
        entities = (rng.choice(["all", "world", "cluster"]),)
    ports = _cilium_ports(rng) if kind == "l4" or rng.random() < 0.5 else None
    l3 = bool(endpoints or cidrs or entities)
    return CiliumRule(action, endpoints, cidrs, entities, l3, kind == "empty", ports)  # type: ignore[arg-type]


def _cilium_policy(rng: random.Random, i: int) -> CiliumPolicy:
    namespaced = rng.random() < 0.5
    ns = rng.choice(NAMESPACES) if namespaced else None
    lists = {
        k: tuple(
            _cilium_rule(rng, "Deny" if "deny" in k else "Allow", ns)
            for _ in range(rng.choice([0, 1, 1, 2]))
        )
        for k in ("ingress", "egress", "ingress_deny", "egress_deny")
    }
    default_deny = []
    for d, allow, deny in (
        ("ingress", "ingress", "ingress_deny"),
        ("egress", "egress", "egress_deny"),
    ):
        flag = rng.choice([None, None, True, False])
        if flag or (flag is None and (lists[allow] or lists[deny])):
            default_deny.append(d)
    return CiliumPolicy(
        kind="CiliumNetworkPolicy" if namespaced else "CiliumClusterwideNetworkPolicy",
        namespace=ns,
        name=f"k{i}",
        spec_index=None,
        subject=_cilium_selector(rng, ns),
        default_deny=tuple(default_deny),  # type: ignore[arg-type]
        **lists,
    )


def random_cilium_snapshot(seed: int) -> Snapshot:
    rng = random.Random(40_000 + seed)
    # admin tiers now and then: before Cilium's deny rules, the Baseline tier after
    snap = random_tiered_snapshot(seed) if rng.random() < 0.3 else random_snapshot(seed)
    snap.policies = snap.policies[: rng.choice([0, 1, 2])]  # NetworkPolicies beside them
    snap.cilium_policies = [_cilium_policy(rng, i) for i in range(rng.randint(1, 3))]
    return snap


# --- both -----------------------------------------------------------------------------------


def random_mixed_snapshot(seed: int) -> Snapshot:
    """Calico's and Cilium's policies in one input (as the engine orders them together)."""
    snap = random_calico_snapshot(seed)
    rng = random.Random(50_000 + seed)
    snap.cilium_policies = [_cilium_policy(rng, i) for i in range(rng.randint(1, 3))]
    return snap


# --- IPv6 and dual stack --------------------------------------------------------------------

_V6 = int(ipaddress.IPv6Address("fd00:10:244::"))


def _v6(text: str) -> str:
    """An IPv4 address or CIDR moved into fd00:10:244::/96 (0.0.0.0/0: all of IPv6)."""
    net = ipaddress.IPv4Network(text, strict=False)
    if net.prefixlen == 0:
        return "::/0"
    address = ipaddress.IPv6Address(_V6 + int(net.network_address))
    return str(address) if "/" not in text else f"{address}/{96 + net.prefixlen}"


def _in_family(snap: Snapshot, rng: random.Random, dual: bool) -> Snapshot:
    """`snap` with IPv6-only pods (or dual-stack ones) and its Calico and Cilium CIDRs in
    IPv6 (dual stack: IPv4 or IPv6, drawn per CIDR); Calico rules with `ipVersion` now and
    then. With dual stack, the NetworkPolicies and admin policies naming addresses go: an
    ipBlock is matched per packet by the kernel and per pod by the engine (docs/verify.md),
    an honest difference the NetworkPolicy cases test by name (test_dp_families.py)."""

    def move(text: str, v6: bool) -> str:
        return _v6(text) if v6 else text

    def nets(texts: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(move(t, not dual or rng.random() < 0.5) for t in texts)

    def entity(e: CalicoEntity, v6: bool) -> CalicoEntity:
        moved = (tuple(move(t, v6) for t in e.nets), tuple(move(t, v6) for t in e.not_nets))
        return dataclasses.replace(e, nets=moved[0], not_nets=moved[1])

    def calico_rule(r: CalicoRule) -> CalicoRule:
        # as Calico validates a rule: one family for its nets, ipVersion agreeing with it
        v6 = not dual or rng.random() < 0.5
        src, dst = entity(r.source, v6), entity(r.destination, v6)
        named = any(e.nets or e.not_nets for e in (src, dst))
        version = rng.choice([None, None, None, 6 if v6 else 4] if named else [None, 4, 6])
        if dual:  # per packet in the kernel, per pod in the engine (a caveat says so)
            version = None
        return dataclasses.replace(r, ip_version=version, source=src, destination=dst)

    def cilium_rule(r: CiliumRule) -> CiliumRule:
        v6 = not dual or rng.random() < 0.5
        blocks = tuple(
            IPBlock(move(b.cidr, v6), tuple(move(x, v6) for x in b.except_)) for b in r.cidrs
        )
        return dataclasses.replace(r, cidrs=blocks)

    pods = [
        dataclasses.replace(p, ips=(*(p.ips if dual else ()), *(_v6(ip) for ip in p.ips)))
        for p in snap.pods
    ]
    if dual:
        snap.policies = [
            p
            for p in snap.policies
            if not any(peer.ip_block for r in (*p.ingress, *p.egress) for peer in r.peers)
        ]
        snap.admin_policies = [
            p
            for p in snap.admin_policies
            if not any(peer.networks for r in (*p.ingress, *p.egress) for peer in r.peers)
        ]
    else:
        snap.policies = [_np_in_v6(p) for p in snap.policies]
        snap.admin_policies = [_admin_in_v6(p) for p in snap.admin_policies]
    snap.pods = pods
    snap.network_sets = [dataclasses.replace(s, nets=nets(s.nets)) for s in snap.network_sets]
    snap.calico_policies = [
        dataclasses.replace(
            p,
            ingress=tuple(calico_rule(r) for r in p.ingress),
            egress=tuple(calico_rule(r) for r in p.egress),
        )
        for p in snap.calico_policies
    ]
    snap.cilium_policies = [
        dataclasses.replace(
            p,
            **{
                k: tuple(cilium_rule(r) for r in getattr(p, k))
                for k in ("ingress", "egress", "ingress_deny", "egress_deny")
            },
        )
        for p in snap.cilium_policies
    ]
    return snap


def _np_in_v6(p: NetworkPolicy) -> NetworkPolicy:
    def peer(x: Peer) -> Peer:
        b = x.ip_block
        if b is None:
            return x
        return dataclasses.replace(x, ip_block=IPBlock(_v6(b.cidr), tuple(map(_v6, b.except_))))

    def rules(rs: tuple[Rule, ...]) -> tuple[Rule, ...]:
        return tuple(dataclasses.replace(r, peers=tuple(map(peer, r.peers))) for r in rs)

    return dataclasses.replace(p, ingress=rules(p.ingress), egress=rules(p.egress))


def _admin_in_v6(p: AdminPolicy) -> AdminPolicy:
    def rules(rs: tuple[AdminRule, ...]) -> tuple[AdminRule, ...]:
        return tuple(
            dataclasses.replace(
                r,
                peers=tuple(
                    dataclasses.replace(x, networks=tuple(map(_v6, x.networks))) for x in r.peers
                ),
            )
            for r in rs
        )

    return dataclasses.replace(p, ingress=rules(p.ingress), egress=rules(p.egress))


def _moved(make: Callable[[int], Snapshot], salt: int, dual: bool) -> Callable[[int], Snapshot]:
    def made(seed: int) -> Snapshot:
        return _in_family(make(seed), random.Random(salt + seed), dual)

    return made


random_calico_v6_snapshot = _moved(random_calico_snapshot, 60_000, dual=False)
random_calico_dual_snapshot = _moved(random_calico_snapshot, 70_000, dual=True)
random_cilium_v6_snapshot = _moved(random_cilium_snapshot, 80_000, dual=False)
random_cilium_dual_snapshot = _moved(random_cilium_snapshot, 90_000, dual=True)
