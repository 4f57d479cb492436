"""What `analyze` shows, as data: counts, isolation, reach of isolated workloads, the map, and
the one definition of "allowed connections" every output uses."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netreach.model import Direction
    from netreach.query.connectivity import Connection
    from netreach.query.reach import Reach


@dataclass(frozen=True)
class ConnectionCount:
    """Allowed connections: ordered pairs of endpoints (workloads, pods or namespaces at the
    level asked for, and external address ranges) with anything allowed between them. `self`
    counts an endpoint's connections to itself (a workload's pods among themselves),
    `external` those with an address range outside the cluster on one side; the rest are
    between two endpoints of the cluster."""

    total: int
    self: int
    external: int

    @property
    def between(self) -> int:
        return self.total - self.self - self.external

    def __str__(self) -> str:
        s = "s" if self.total != 1 else ""
        return (
            f"{self.total} allowed connection{s} ({self.between} between endpoints, "
            f"{self.self} self, {self.external} external)"
        )

    def to_dict(self) -> dict[str, int]:
        return {
            "total": self.total,
            "between": self.between,
            "self": self.self,
            "external": self.external,
        }

    @classmethod
    def of(cls, connections: Iterable[Connection]) -> ConnectionCount:
        total = own = external = 0
        for c in connections:
            total += 1
            if c.src == c.dst:
                own += 1
            elif is_address_range(c.src) or is_address_range(c.dst):
                external += 1
        return cls(total, own, external)


def is_address_range(node_id: str) -> bool:
    """An external node's id is an address range `first-last` (docs/output.md); no pod,
    workload or namespace id parses as two addresses."""
    first, dash, last = node_id.partition("-")
    if not dash or "/" in node_id:
        return False
    try:
        ipaddress.ip_address(first)
        ipaddress.ip_address(last)
    except ValueError:
        return False
    return True


def count_connections(
    cluster: Reach, by: str = "workload", namespaces: Sequence[str] | None = None
) -> ConnectionCount:
    """The allowed connections at level `by`, external address ranges and self included."""
    cmap = cluster.connectivity(
        by,  # type: ignore[arg-type]
        external=True,
        namespaces=namespaces,
        include_self=True,
    )
    return ConnectionCount.of(cmap)


def analysis(cluster: Reach, namespaces: Sequence[str] | None = None) -> dict[str, Any]:
    """`analyze` as JSON: snapshot counts, isolation by namespace, what reaches the isolated
    workloads, the workload map (between workloads), the connection count and the audit."""
    from netreach.analyses.audit import audit
    from netreach.analyses.posture import isolated_reach, posture

    snap = cluster.snapshot
    scope = set(namespaces) if namespaces else None

    def inside(ns: str | None) -> bool:
        return scope is None or ns in scope

    reach: dict[str, list[dict[str, Any]]] = {}
    directions: tuple[Direction, ...] = ("ingress", "egress")
    for direction in directions:
        reach[direction] = [
            {
                "workload": r.workload.id,
                "isolated_by": [f"{p.namespace}/{p.name}" for p in r.isolated_by],
                "guarded_by": list(r.guarded_by),
                "access": [
                    {"peer": a.peer, "allowed": a.conns.to_json(), "rules": a.rules}
                    for a in r.access
                ],
                "open_addresses": r.open_addresses or None,
                "blocked": r.blocked,
                **({"dns": r.dns.to_json()} if r.dns is not None else {}),
            }
            for r in isolated_reach(cluster, direction)
            if inside(r.workload.namespace)
        ]
    cmap = cluster.connectivity("workload", external=True, namespaces=namespaces)
    connections = list(cmap)
    report = audit(cluster)
    return {
        "version": 1,
        "snapshot": {
            "namespaces": len(snap.namespaces),
            "pods": len(snap.pods),
            "workloads": len(cluster.workloads),
            "inferred_pods": sum(1 for p in snap.pods if p.inferred),
            "policies": len(snap.policies),
            "admin_policies": len(snap.admin_policies),
            "nodes": len(snap.nodes),
            "warnings": [str(w) for w in snap.warnings],
        },
        "posture": [
            {
                "namespace": r.namespace,
                "pods": r.pods,
                "ingress_isolated": r.ingress_isolated,
                "egress_isolated": r.egress_isolated,
                "ingress_guarded": r.ingress_guarded,
                "egress_guarded": r.egress_guarded,
                "policies": r.policies,
                "host_network": r.host_network,
            }
            for r in posture(cluster)
            if inside(r.namespace)
        ],
        "isolated_reach": reach,
        "connections": ConnectionCount.of(connections).to_dict(),
        "map": [{"src": c.src, "dst": c.dst, "allowed": c.conns.to_json()} for c in connections],
        "audit": report.to_dict(),
    }
