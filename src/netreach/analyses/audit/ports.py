"""Ports: named ports no destination defines (or defines with another protocol), and endPort,
which only some network plugins enforce."""

from __future__ import annotations

from collections.abc import Iterator

from netreach.analyses.audit.context import AuditContext
from netreach.analyses.audit.findings import Finding, ObjectRef
from netreach.analyses.audit.registry import CheckInfo, register

UNRESOLVED = CheckInfo(
    "named-port-unresolved",
    "warning",
    "ports",
    "A named port no container of the destination pods defines",
    "A named port resolves on each destination pod's container ports; when none has that "
    "name, the entry opens nothing and the connection it was written for stays blocked.",
    "Use the name the container ports carry, or the port number.",
)
MISMATCH = CheckInfo(
    "named-port-protocol-mismatch",
    "warning",
    "ports",
    "A named port the destination defines with another protocol",
    "A named port matches only a container port of the same name AND protocol: `dns` on UDP "
    "in the container and TCP (the default) in the policy opens nothing.",
    "Set `protocol:` in the policy's port entry to the container port's protocol.",
)
ENDPORT = CheckInfo(
    "endport-cni-support",
    "info",
    "ports",
    "A port range (endPort), which the network plugin must support",
    "endPort is stable since Kubernetes 1.25 but enforced only by plugins that implement it; "
    "others ignore the field or the whole entry.",
    "Check that your network plugin supports endPort; otherwise list the ports one by one.",
)


@register(UNRESOLVED, MISMATCH)
def named_ports(ctx: AuditContext) -> Iterator[Finding]:
    compiled = ctx.cluster.compiled
    for pi, pol in ctx.policies():
        for rule in ctx.rules(pi):
            # Ingress names resolve on the selected pods; egress names on the destinations.
            bits = compiled.policy_targets[pi] if rule.direction == "ingress" else rule.classes
            if not bits:
                continue
            pods = ctx.pods_of_classes(bits)
            for pm in rule.ports:
                name = pm.name
                if name is None:
                    continue
                same = [
                    p
                    for p in pods
                    if any(c.name == name and c.protocol == pm.port.protocol for c in p.ports)
                ]
                if same:
                    continue
                other = sorted({c.protocol for p in pods for c in p.ports if c.name == name})
                whose = "selected pods" if rule.direction == "ingress" else "destination pods"
                workloads = sorted({p.workload.id for p in pods})
                ref = ObjectRef.policy(pol, "spec", rule.direction, rule.index, "ports", pm.index)
                if other:
                    yield ctx.finding(
                        MISMATCH.id,
                        f"{pol.id} {rule.direction}[{rule.index}] ports[{pm.index}] names port "
                        f"{name!r} with protocol {pm.port.protocol}, but the {whose} define it "
                        f"with {', '.join(other)}: the entry opens nothing.",
                        [ref],
                        f"Set `protocol: {other[0]}` on this port entry.",
                        defined_as=other,
                    )
                else:
                    yield ctx.finding(
                        UNRESOLVED.id,
                        f"{pol.id} {rule.direction}[{rule.index}] ports[{pm.index}] names port "
                        f"{name!r}, which no container of the {whose} "
                        f"({', '.join(workloads[:5])}) defines: the entry opens nothing.",
                        [ref],
                        UNRESOLVED.fix,
                        workloads=workloads,
                    )


@register(ENDPORT)
def end_ports(ctx: AuditContext) -> Iterator[Finding]:
    for pi, pol in ctx.policies():
        for rule in ctx.rules(pi):
            for pm in rule.ports:
                if pm.port.end_port is None:
                    continue
                yield ctx.finding(
                    ENDPORT.id,
                    f"{pol.id} {rule.direction}[{rule.index}] ports[{pm.index}] uses a range "
                    f"({pm.port}): enforced only if the network plugin supports endPort.",
                    [ObjectRef.policy(pol, "spec", rule.direction, rule.index, "ports", pm.index)],
                    ENDPORT.fix,
                )
