"""Rules that open too much: everything, the whole internet, every namespace.

A NetworkPolicy rule opens only what the Admin tier leaves NetworkPolicy to decide for the
pods it selects (analyses/guards.py): an Admin Deny (or Allow) of the same traffic takes it
first, so the finding is narrowed to what is left, or dropped when nothing is."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from netreach.analyses.audit.context import AuditContext
from netreach.analyses.audit.entry import EntryPoints
from netreach.analyses.audit.findings import Finding, ObjectRef
from netreach.analyses.audit.registry import CheckInfo, register
from netreach.analyses.breadth import Thresholds, address_scope, every_namespace
from netreach.analyses.guards import EVERY_POD, FuturePods, Guards, guards, peer_pods
from netreach.analyses.words import addresses_words
from netreach.engine import ipset
from netreach.engine.compile import NPRule
from netreach.engine.conns import ALL, EMPTY, ConnectionSet
from netreach.engine.intervals import Ranges
from netreach.engine.rules import AnyRule, PeerMatcher
from netreach.engine.selectors import indexes_of
from netreach.model import (
    V_NAMESPACE,
    V_NS_LABEL,
    CalicoEntity,
    CalicoPolicy,
    LabelSelector,
    NetworkPolicy,
    Pod,
)

ALLOW_ALL = {
    d: CheckInfo(
        f"allow-all-{d}",
        "warning",
        "exposure",
        f"A rule that allows all {d}",
        f"A rule admitting every peer on every port undoes the isolation of the pods it selects "
        f"for {d}: any pod, and any address outside the cluster, "
        + ("may connect to them." if d == "ingress" else "is reachable from them."),
        "Replace it with rules naming the peers (selectors) and ports the workload needs.",
    )
    for d in ("ingress", "egress")
}
WORLD_OPEN = CheckInfo(
    "world-open",
    "warning",
    "exposure",
    "Open to (or reaching) every address, or every namespace on a sensitive port",
    "ipBlock 0.0.0.0/0 or ::/0, or a rule without peers, admits the whole internet "
    "(an error for ingress: anyone may connect; a warning for egress: data may leave to "
    "anywhere). `namespaceSelector: {}` without podSelector on a database, SSH or kubelet port "
    "lets any compromised pod in the cluster reach it.",
    "Narrow the peer to the address ranges or the workloads (namespaceSelector AND podSelector) "
    "that need the connection. An intended public entry point (a workload behind a "
    "LoadBalancer or NodePort Service, or named in the audit setting entry-points) open on "
    "no sensitive port is reported as information.",
)
ALL_NAMESPACES = CheckInfo(
    "exposed-to-all-namespaces",
    "warning",
    "exposure",
    "Ingress admitted from every namespace",
    "A namespaceSelector matching every namespace admits pods of namespaces created later "
    "too, and of every team: the opposite of least privilege. Cluster DNS serving every "
    "namespace on port 53 is the expected exception and is not reported.",
    "Name the namespaces (by `kubernetes.io/metadata.name` or a team label) and the pods "
    "(podSelector in the same entry).",
)


def _targets_conns(ctx: AuditContext, pi: int, rule: NPRule) -> ConnectionSet:
    """What the rule opens on the policy's selected pods (ingress named ports resolved)."""
    compiled = ctx.cluster.compiled
    out = EMPTY
    for ci in indexes_of(compiled.policy_targets[pi]):
        out = out | rule.conns_for(compiled.classes[ci].ports)
    return out


def _left(
    ctx: AuditContext,
    pi: int,
    rule: NPRule,
    classes: int,
    future: FuturePods | None,
    ips: Ranges,
    every: bool = False,
) -> ConnectionSet:
    """What the Admin tier leaves the rule to decide for some of its peers, on any of the
    pods its policy selects (`every`: for every one of those peers, on every such pod); ALL
    when no admin-tier rule exists."""
    compiled = ctx.cluster.compiled
    if not compiled.has_tiers:
        return ALL
    g = guards(ctx.cluster)
    out: ConnectionSet | None = None
    seen: set[int] = set()
    for ci in indexes_of(compiled.policy_targets[pi]):
        program = compiled.program(ci, rule.direction)
        if id(program) in seen and rule.direction == "egress":
            continue  # egress walks do not depend on the class's own ports
        seen.add(id(program))
        left = g.left_open(ci, rule, classes, future, ips, every)
        out = left if out is None else (out & left if every else out | left)
    return EMPTY if out is None else out


def _opens_all(ctx: AuditContext, rule: NPRule) -> bool:
    compiled = ctx.cluster.compiled
    return (
        rule.ips == ipset.EVERYTHING
        and (rule.classes | compiled.host_network_bits) == compiled.all_classes
        and rule.numeric == ALL
    )


def _rule_ref(pol: NetworkPolicy, rule: NPRule) -> ObjectRef:
    return ObjectRef.policy(pol, "spec", rule.direction, rule.index)


@register(ALLOW_ALL["ingress"], ALLOW_ALL["egress"], WORLD_OPEN, ALL_NAMESPACES)
def exposure(ctx: AuditContext) -> Iterator[Finding]:
    compiled = ctx.cluster.compiled
    sensitive = EMPTY
    for p in ctx.config.sensitive_ports:
        sensitive = sensitive | ConnectionSet.ports("TCP", p)
    dns_classes = {
        compiled.class_of[p.id]
        for p in ctx.cluster.pods
        if p.namespace == ctx.config.dns_namespace and ctx.config.dns_selector.matches(p.labels)
    }
    dns_conns = ConnectionSet.ports("UDP", 53) | ConnectionSet.ports("TCP", 53)
    entries = EntryPoints(ctx.cluster, ctx.config)
    for pi, pol in ctx.policies():
        if not compiled.policy_targets[pi]:
            continue
        for rule in ctx.rules(pi):
            d = rule.direction
            key = "from" if d == "ingress" else "to"
            opened = _targets_conns(ctx, pi, rule) if d == "ingress" else rule.numeric
            opens_all = _opens_all(ctx, rule)
            if opens_all or not rule.peers:
                peers = (compiled.all_classes, EVERY_POD, ipset.EVERYTHING)
                some = _left(ctx, pi, rule, *peers)
                if (opened & some).is_empty:
                    continue  # the Admin tier decides all of it first
                # in effect open to every peer only if the Admin tier takes none of it
                opens_all = opens_all and _left(ctx, pi, rule, *peers, every=True).is_all
                opened = opened & some
            if opens_all:
                entry = (
                    _entry(ctx, entries, _selected(ctx, pi), opened, sensitive)
                    if d == "ingress"
                    else None
                )
                text = (
                    f"{pol.id} {d}[{rule.index}] admits every peer on every port: the pods it "
                    f"selects ({pol.pod_selector}) are in effect not isolated for {d}."
                )
                yield ctx.finding(
                    ALLOW_ALL[d].id,
                    text + (_entry_words(entry) if entry else ""),
                    [_rule_ref(pol, rule)],
                    ALLOW_ALL[d].fix,
                    severity="info" if entry else None,
                    direction=d,
                    **_entry_details(entry),
                )
                continue
            if not rule.peers and not opened.is_empty:
                pods = _left(ctx, pi, rule, compiled.all_classes, EVERY_POD, ())
                outside = (opened & pods).is_empty  # the Admin tier takes every pod first
                what = f"has no {key} (any peer, any address)"
                entry = (
                    _entry(ctx, entries, _selected(ctx, pi), opened, sensitive)
                    if d == "ingress"
                    else None
                )
                yield _world(ctx, pol, rule, what, opened, outside, entry)
                continue
            for pm in rule.peers:
                block = pm.peer.ip_block
                if block is not None:
                    if address_scope(block.cidr, Thresholds()) == "internet":
                        left = opened & _left(ctx, pi, rule, pm.classes, None, pm.ips)
                        if not left.is_empty:
                            what = f"{key}[{pm.index}] is ipBlock {block}"
                            entry = (
                                _entry(ctx, entries, _selected(ctx, pi), left, sensitive)
                                if d == "ingress"
                                else None
                            )
                            yield _world(ctx, pol, rule, what, left, False, entry)
                    continue
                if (
                    d != "ingress"
                    or pm.peer.ip_block is not None
                    or not every_namespace(ctx.cluster, pm.peer.namespace_selector)
                ):
                    continue
                future = peer_pods(pm.peer, pol.namespace)
                now = opened & _left(ctx, pi, rule, pm.classes, future, ())
                if now.is_empty:
                    continue  # the Admin tier decides all of it first
                exposed = now & sensitive
                if pm.peer.pod_selector is None and not exposed.is_empty:
                    yield ctx.finding(
                        WORLD_OPEN.id,
                        f"{pol.id} ingress[{rule.index}] from[{pm.index}] admits every pod of "
                        f"every namespace on sensitive port(s) {exposed}.",
                        [ObjectRef.policy(pol, "spec", d, rule.index, key, pm.index)],
                        WORLD_OPEN.fix,
                        sensitive=exposed.to_json(),
                    )
                    continue
                targets = set(indexes_of(compiled.policy_targets[pi]))
                if targets <= dns_classes and now.issubset(dns_conns):
                    continue  # cluster DNS serves everyone
                yield ctx.finding(
                    ALL_NAMESPACES.id,
                    f"{pol.id} ingress[{rule.index}] from[{pm.index}] ({pm.peer}) admits pods "
                    f"of every namespace, present and future, to {pol.pod_selector} on "
                    f"{_ports(now)}.",
                    [ObjectRef.policy(pol, "spec", d, rule.index, key, pm.index)],
                    ALL_NAMESPACES.fix,
                )

    yield from _cni_exposure(ctx, entries, sensitive, (dns_classes, dns_conns))


# --- Calico and Cilium allow rules ------------------------------------------------------------

# Addresses a rule may leave out and still be open to the internet: node addresses, private
# ranges, exceptions (no more than a /8's worth of the IPv4 space).
_INTERNET_SLACK = 1 << 24


def _internet_wide(ips: Ranges) -> bool:
    """Whether the ranges hold (nearly) every IPv4 address: 0.0.0.0/0, Cilium's world."""
    missing = ipset.subtract(ipset.V4_ALL, ips)
    return sum(hi - lo + 1 for lo, hi in missing) <= _INTERNET_SLACK


def _cni_left(
    g: Guards,
    rule: AnyRule,
    targets: int,
    classes: int,
    future: FuturePods | None,
    ips: Ranges,
    every: bool,
) -> ConnectionSet:
    """What the rules before a Calico / Cilium rule leave it for these peers, on any of the
    classes it applies to (`every`: for every peer, on every class)."""
    out: ConnectionSet | None = None
    for ci in indexes_of(targets):
        got = g.left_open(ci, rule, classes, future, ips, every)
        out = got if out is None else (out & got if every else out | got)
    return EMPTY if out is None else out


def _cni_exposure(
    ctx: AuditContext,
    entries: EntryPoints,
    sensitive: ConnectionSet,
    dns: tuple[set[int], ConnectionSet],
) -> Iterator[Finding]:
    """allow-all-* and world-open for Calico and Cilium Allow rules: a rule admitting every
    peer on every port (Calico `action: Allow` with no source, Cilium `fromEntities: [all]`),
    or every address outside the cluster (nets 0.0.0.0/0, the world entity, a rule with
    ports and no peer), narrowed to what the rules before it leave (earlier tiers, earlier
    rules of its Calico tier, Cilium's deny rules)."""
    compiled = ctx.cluster.compiled
    g = guards(ctx.cluster)
    for rule in compiled.rules:
        pol = rule.policy
        if rule.tier not in ("Calico", "Cilium") or rule.action != "Allow":
            continue
        if getattr(rule.rule, "inert", False) or not ctx.in_scope(pol.namespace):
            continue
        if isinstance(pol, CalicoPolicy) and not pol.isolates(rule.direction):
            continue
        targets = compiled.rule_targets(rule)
        if not targets:
            continue
        d = rule.direction

        opened = rule.numeric
        if d == "ingress":
            opened = EMPTY
            for ci in indexes_of(targets):
                opened = opened | rule.conns_for(compiled.classes[ci].ports)
        pods = ctx.pods_of_classes(targets)
        every_peer = rule.all_peers or (
            rule.ips == ipset.EVERYTHING
            and (rule.classes | compiled.host_network_bits) == compiled.all_classes
        )
        if every_peer and opened.is_all:
            everyone = (compiled.all_classes, EVERY_POD, ipset.EVERYTHING)
            if _cni_left(g, rule, targets, *everyone, every=True).is_all:
                entry = _entry(ctx, entries, pods, opened, sensitive) if d == "ingress" else None
                yield ctx.finding(
                    ALLOW_ALL[d].id,
                    f"{rule.label} admits every peer on every port: the {len(pods)} pod(s) it "
                    f"applies to are in effect not isolated for {d}."
                    + (_entry_words(entry) if entry else ""),
                    [ObjectRef.any_policy(pol, rule.location)],
                    ALLOW_ALL[d].fix,
                    severity="info" if entry else None,
                    direction=d,
                    **_entry_details(entry),
                )
                continue
        if d == "ingress":
            yield from _cni_all_namespaces(ctx, rule, targets, opened, sensitive, dns)
        if not _internet_wide(rule.ips):
            continue
        now = opened & _cni_left(g, rule, targets, 0, None, rule.ips, every=False)
        if now.is_empty:
            continue  # the rules before it decide all of it
        entry = _entry(ctx, entries, pods, now, sensitive) if d == "ingress" else None
        ingress = d == "ingress"
        effect = (
            "any address outside the cluster may connect to"
            if ingress
            else "data may leave to any address outside the cluster from"
        )
        yield ctx.finding(
            WORLD_OPEN.id,
            f"{rule.label} admits {addresses_words(rule.ips)}: {effect} the {len(pods)} pod(s) "
            f"it applies to on {_ports(now)}." + (_entry_words(entry) if entry else ""),
            [ObjectRef.any_policy(pol, rule.location)],
            WORLD_OPEN.fix,
            severity="info" if entry else "error" if ingress else "warning",
            direction=d,
            **_entry_details(entry),
        )


def _calico_every_namespace(ctx: AuditContext, entity: CalicoEntity) -> bool:
    """A Calico peer admitting pods of every namespace: `namespaceSelector: all()` (or one
    every namespace of the snapshot matches, when it has more than one) and no nets. A
    GlobalNetworkPolicy peer with only `selector` also reaches every namespace, but it is
    Calico's way to name a workload wherever it runs (and network sets): not reported."""
    sel = entity.namespace_selector
    if sel is None or entity.nets or entity.not_nets or sel.is_global:
        return False
    if sel.is_empty:
        return True
    names = ctx.cluster.namespaces
    return len(names) > 1 and len(ctx.cluster.compiled.ns_index.select(sel)) == len(names)


def _cilium_every_namespace(sel: LabelSelector) -> bool:
    """A Cilium endpoint selector (namespace scoping applied) with no limit on the namespace:
    `{}` in a CiliumClusterwideNetworkPolicy, or `io.kubernetes.pod.namespace` Exists."""
    for k, _ in sel.match_labels:
        if k == V_NAMESPACE or k.startswith(V_NS_LABEL):
            return False
    return all(
        (r.key == V_NAMESPACE and r.operator == "Exists")
        or (r.key != V_NAMESPACE and not r.key.startswith(V_NS_LABEL))
        for r in sel.match_expressions
    )


def _cilium_pods_only_by_namespace(sel: LabelSelector) -> bool:
    """Whether the selector says nothing of the pods' own labels."""
    return not sel.match_labels and all(r.key == V_NAMESPACE for r in sel.match_expressions)


def _cni_namespace_peers(
    ctx: AuditContext, rule: AnyRule
) -> Iterator[tuple[PeerMatcher[Any], str, bool]]:
    """The peers of a Calico / Cilium ingress rule that admit pods of every namespace, present
    and future: (peer, how it is written, whether it names no pod label either)."""
    for pm in rule.peers:
        peer = pm.peer
        if isinstance(peer, CalicoEntity):
            if _calico_every_namespace(ctx, peer):
                no_pods = peer.selector is None and peer.not_selector is None
                yield pm, "source namespaceSelector " + str(peer.namespace_selector), no_pods
        elif isinstance(peer, LabelSelector):
            if _cilium_every_namespace(peer):
                yield pm, f"fromEndpoints[{pm.index}]", _cilium_pods_only_by_namespace(peer)
        elif peer == "cluster":  # Cilium's cluster entity: every pod (and node)
            yield pm, f"fromEntities[{pm.index}] cluster", True


def _cni_all_namespaces(
    ctx: AuditContext,
    rule: AnyRule,
    targets: int,
    opened: ConnectionSet,
    sensitive: ConnectionSet,
    dns: tuple[set[int], ConnectionSet],
) -> Iterator[Finding]:
    """exposed-to-all-namespaces and world-open's sensitive-port case for a Calico / Cilium
    ingress Allow rule, narrowed to what the rules before it leave (pods created later stand
    for the namespaces created later)."""
    g = guards(ctx.cluster)
    pol = rule.policy
    dns_classes, dns_conns = dns
    for pm, written, no_pods in _cni_namespace_peers(ctx, rule):
        now = opened & _cni_left(g, rule, targets, pm.classes, EVERY_POD, (), every=False)
        if now.is_empty:
            continue  # the rules before it decide all of it
        exposed = now & sensitive
        if no_pods and not exposed.is_empty:
            yield ctx.finding(
                WORLD_OPEN.id,
                f"{rule.label} {written} admits every pod of every namespace on sensitive "
                f"port(s) {exposed}.",
                [ObjectRef.any_policy(pol, rule.location)],
                WORLD_OPEN.fix,
                sensitive=exposed.to_json(),
            )
            continue
        if set(indexes_of(targets)) <= dns_classes and now.issubset(dns_conns):
            continue  # cluster DNS serves everyone
        yield ctx.finding(
            ALL_NAMESPACES.id,
            f"{rule.label} {written} admits pods of every namespace, present and future, to "
            f"the {len(ctx.pods_of_classes(targets))} pod(s) it applies to on {_ports(now)}.",
            [ObjectRef.any_policy(pol, rule.location)],
            ALL_NAMESPACES.fix,
        )


def _world(
    ctx: AuditContext,
    pol: NetworkPolicy,
    rule: NPRule,
    what: str,
    opened: ConnectionSet,
    outside_only: bool = False,
    entry: tuple[str, str] | None = None,
) -> Finding:
    ingress = rule.direction == "ingress"
    effect = (
        "anyone, inside or outside the cluster, may connect to"
        if ingress
        else "data may leave to any address from"
    )
    if outside_only:  # the Admin tier decides every pod's part first
        effect = (
            "any address outside the cluster may connect to"
            if ingress
            else "data may leave to any address outside the cluster from"
        )
    text = (
        f"{pol.id} {rule.direction}[{rule.index}] {what}: {effect} the pods it selects "
        f"({pol.pod_selector}) on {_ports(opened)}."
    )
    return ctx.finding(
        WORLD_OPEN.id,
        text + (_entry_words(entry) if entry else ""),
        [_rule_ref(pol, rule)],
        WORLD_OPEN.fix,
        severity="info" if entry else "error" if ingress else "warning",
        direction=rule.direction,
        **_entry_details(entry),
    )


def _selected(ctx: AuditContext, pi: int) -> list[Pod]:
    return ctx.pods_of_classes(ctx.cluster.compiled.policy_targets[pi])


def _entry(
    ctx: AuditContext,
    entries: EntryPoints,
    pods: list[Pod],
    opened: ConnectionSet,
    sensitive: ConnectionSet,
) -> tuple[str, str] | None:
    """(why, what is left to narrow) when every pod of `pods` (those a policy selects) is an
    intended public entry point and the rule opens none of the sensitive ports on them; else
    None.

    A rule open on every port is judged on the ports the containers declare (a pod that
    declares none cannot be judged)."""
    why = entries.of_all(pods)
    if why is None:
        return None
    if not opened.is_all:
        return None if not (opened & sensitive).is_empty else (why, "")
    if any(not p.ports for p in pods):
        return None
    declared = EMPTY
    for p in pods:
        for cp in p.ports:
            declared = declared | ConnectionSet.ports(cp.protocol, cp.port)
    if not (declared & sensitive).is_empty:
        return None
    return why, (
        f" Its containers declare {declared}: a rule naming those ports keeps the entry "
        "point and closes the rest."
    )


def _entry_words(entry: tuple[str, str]) -> str:
    why, rest = entry
    return f" It is an intended public entry point ({why}), so this is information.{rest}"


def _entry_details(entry: tuple[str, str] | None) -> dict[str, Any]:
    """The details of a finding lowered for an entry point (severity info)."""
    return {"entry_point": entry[0]} if entry else {}


def _ports(conns: ConnectionSet) -> str:
    return "every port" if conns.is_all else str(conns)
