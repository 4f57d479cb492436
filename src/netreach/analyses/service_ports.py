"""Rules that open a Service's port on its pods while the pods listen on the targetPort:
policies see the pod port (kube-proxy translates first), so such a rule opens nothing useful.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from netreach.model import Direction, NetworkPolicy, Service, ServicePort
from netreach.query.services import backing_pods, target_on

if TYPE_CHECKING:
    from netreach.query.reach import Reach


@dataclass(frozen=True)
class PortMismatch:
    """A rule that opens a Service's port on its pods, while the pods listen on targetPort."""

    service: Service
    port: ServicePort
    target: int
    rule_label: str
    location: str
    direction: Direction

    def message(self) -> str:
        p = self.port
        side = "to" if self.direction == "egress" else "on"
        return (
            f"{self.rule_label} allows {p.port}/{p.protocol} {side} the pods of Service "
            f"{self.service.id}, but that Service sends port {p.port} to pod port "
            f"{self.target}/{p.protocol}: policies see the pod port, so allow "
            f"{self.target} instead"
        )


def port_mismatches(cluster: Reach) -> list[PortMismatch]:
    """Rules that allow a Service port (not the targetPort) towards that Service's pods."""
    compiled = cluster.compiled
    out: list[PortMismatch] = []
    seen: set[tuple[str, int, str, int, str]] = set()
    for svc in cluster.snapshot.services:
        pods = backing_pods(cluster, svc)
        classes = 0
        for p in pods:
            if not compiled.exempt(p):
                classes |= 1 << compiled.class_of[p.id]
        if not classes:
            continue
        for sp in svc.ports:
            for p in pods:
                target = target_on(p, sp)
                if target is None or target == sp.port:
                    continue
                for rule in compiled.rules:
                    np = isinstance(rule.policy, NetworkPolicy)
                    # a rule of any tier: its policy's pods (ingress) or its peers (egress)
                    targets = (compiled.policy_targets if np else compiled.admin_targets)[
                        rule.policy_index
                    ]
                    applies = (targets if rule.direction == "ingress" else rule.classes) & classes
                    if not applies or not rule.ports:
                        continue
                    if np and not rule.policy.isolates(rule.direction):
                        continue
                    conns = rule.conns_for(p.ports)
                    if not conns.contains(sp.protocol, sp.port) or conns.contains(
                        sp.protocol, target
                    ):
                        continue
                    key = (svc.id, sp.port, sp.protocol, rule.id, str(target))
                    if key in seen:
                        continue
                    seen.add(key)
                    loc = rule.policy.location
                    where = str(loc.at("spec", rule.direction, rule.index)) if loc else ""
                    out.append(PortMismatch(svc, sp, target, rule.label, where, rule.direction))
    return out
