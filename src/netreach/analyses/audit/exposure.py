"""Rules that open too much: everything, the whole internet, every namespace."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from netreach.analyses.audit.context import AuditContext
from netreach.analyses.audit.findings import Finding, ObjectRef
from netreach.analyses.audit.registry import CheckInfo, register
from netreach.engine import ipset
from netreach.engine.compile import NPPeer, NPRule
from netreach.engine.conns import ALL, EMPTY, ConnectionSet
from netreach.engine.selectors import indexes_of
from netreach.model import NetworkPolicy

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
    "that need the connection.",
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


def _opens_all(ctx: AuditContext, rule: NPRule) -> bool:
    compiled = ctx.cluster.compiled
    return (
        rule.ips == ipset.EVERYTHING
        and (rule.classes | compiled.host_network_bits) == compiled.all_classes
        and rule.numeric == ALL
    )


def _rule_ref(pol: NetworkPolicy, rule: NPRule) -> ObjectRef:
    return ObjectRef.policy(pol, "spec", rule.direction, rule.index)


def _all_namespaces(ctx: AuditContext, pm: NPPeer) -> bool:
    sel = pm.peer.namespace_selector
    if sel is None or pm.peer.ip_block is not None:
        return False
    if sel.is_empty:
        return True
    names = ctx.cluster.namespaces
    return len(names) > 1 and len(ctx.cluster.compiled.ns_index.select(sel)) == len(names)


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
    for pi, pol in ctx.policies():
        if not compiled.policy_targets[pi]:
            continue
        for rule in ctx.rules(pi):
            d = rule.direction
            key = "from" if d == "ingress" else "to"
            if _opens_all(ctx, rule):
                yield ctx.finding(
                    ALLOW_ALL[d].id,
                    f"{pol.id} {d}[{rule.index}] admits every peer on every port: the pods it "
                    f"selects ({pol.pod_selector}) are in effect not isolated for {d}.",
                    [_rule_ref(pol, rule)],
                    ALLOW_ALL[d].fix,
                    direction=d,
                )
                continue
            opened = _targets_conns(ctx, pi, rule) if d == "ingress" else rule.numeric
            if not rule.peers and not opened.is_empty:
                yield _world(ctx, pol, rule, f"has no {key} (any peer, any address)", opened)
                continue
            for pm in rule.peers:
                block = pm.peer.ip_block
                if block is not None:
                    if ipaddress.ip_network(block.cidr, strict=False).prefixlen == 0:
                        yield _world(
                            ctx, pol, rule, f"{key}[{pm.index}] is ipBlock {block}", opened
                        )
                    continue
                if d != "ingress" or not _all_namespaces(ctx, pm):
                    continue
                exposed = opened & sensitive
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
                if targets <= dns_classes and opened.issubset(dns_conns):
                    continue  # cluster DNS serves everyone
                yield ctx.finding(
                    ALL_NAMESPACES.id,
                    f"{pol.id} ingress[{rule.index}] from[{pm.index}] ({pm.peer}) admits pods "
                    f"of every namespace, present and future, to {pol.pod_selector} on "
                    f"{_ports(opened)}.",
                    [ObjectRef.policy(pol, "spec", d, rule.index, key, pm.index)],
                    ALL_NAMESPACES.fix,
                )


def _world(
    ctx: AuditContext, pol: NetworkPolicy, rule: NPRule, what: str, opened: ConnectionSet
) -> Finding:
    ingress = rule.direction == "ingress"
    effect = (
        "anyone, inside or outside the cluster, may connect to"
        if ingress
        else "data may leave to any address from"
    )
    return ctx.finding(
        WORLD_OPEN.id,
        f"{pol.id} {rule.direction}[{rule.index}] {what}: {effect} the pods it selects "
        f"({pol.pod_selector}) on {_ports(opened)}.",
        [_rule_ref(pol, rule)],
        WORLD_OPEN.fix,
        severity="error" if ingress else "warning",
        direction=rule.direction,
    )


def _ports(conns: ConnectionSet) -> str:
    return "every port" if conns.is_all else str(conns)
