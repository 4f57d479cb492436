"""What the HTML report shows, as plain typed data: counts, isolation, the map with the rules
behind every edge, the namespace matrix and the audit findings.

Everything is asked of the engine (connectivity, isolation, contributions); the renderer only
lays it out. Big maps are capped (`max_edges`) so the file stays small enough to open.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from ipaddress import ip_address
from typing import Literal

from netreach.analyses.audit import SEVERITIES, ObjectRef, Severity, audit
from netreach.analyses.guards import guards
from netreach.analyses.posture import NamespacePosture, posture
from netreach.analyses.refs import RuleRef
from netreach.engine.compile import AnyRule
from netreach.engine.conns import ConnectionSet
from netreach.engine.verdict import Endpoint, contributions
from netreach.errors import QueryError
from netreach.model import DIRECTIONS, Direction, Pod
from netreach.query.caveats import snapshot_caveats
from netreach.query.connectivity import MapNode
from netreach.query.reach import Reach

ReportLevel = Literal["workload", "pod"]
DEFAULT_MAX_EDGES = 100_000
EXTERNAL = "(external)"  # the namespace matrix's name for every address outside the cluster


@dataclass(frozen=True)
class ReportNode:
    id: str
    name: str
    kind: str
    namespace: str | None  # None: an external address range
    labels: dict[str, str]
    pods: int
    isolated_by: dict[Direction, tuple[str, ...]]  # policy ids; empty: not isolated
    # not isolated, yet a default deny from an admin tier: the ids of the guarding policies
    guarded_by: dict[Direction, tuple[str, ...]] = field(
        default_factory=lambda: {"ingress": (), "egress": ()}
    )
    inferred: bool = False  # made from the policies' selectors, not in the input

    @property
    def is_external(self) -> bool:
        return self.namespace is None


@dataclass(frozen=True)
class ReportEdge:
    """An allowed connection and, per side, the rules that open it (None: side not isolated,
    so everything is allowed there; an external side is never evaluated)."""

    src: str
    dst: str
    conns: ConnectionSet
    egress_rules: tuple[int, ...] | None
    ingress_rules: tuple[int, ...] | None


@dataclass(frozen=True)
class FindingObject:
    text: str  # "Deployment default/web (workloads.yaml:44)"
    workload: str | None  # its graph node id when it is a workload: "default/web[Deployment]"


@dataclass(frozen=True)
class FindingView:
    """An audit finding as the report shows it."""

    check: str
    severity: Severity
    message: str
    objects: tuple[FindingObject, ...]
    fix: str

    @property
    def workloads(self) -> tuple[str, ...]:
        return tuple(o.workload for o in self.objects if o.workload is not None)


@dataclass
class ReportData:
    title: str
    by: ReportLevel
    counts: dict[str, int]
    posture: list[NamespacePosture]
    nodes: list[ReportNode]
    edges: list[ReportEdge]
    rules: list[RuleRef]
    namespace_matrix: list[tuple[str, str, ConnectionSet]]
    findings: list[FindingView]
    truncated: bool = False  # more connections are allowed than the map lists
    notes: list[str] = field(default_factory=list)

    @property
    def findings_by_severity(self) -> dict[str, int]:
        counts = Counter(f.severity for f in self.findings)
        return {s: counts[s] for s in SEVERITIES if s in counts}


def build_report(
    cluster: Reach,
    by: ReportLevel = "workload",
    title: str = "netreach report",
    *,
    namespaces: Sequence[str] | None = None,
    max_edges: int = DEFAULT_MAX_EDGES,
) -> ReportData:
    """Gather everything the report shows. `max_edges` caps the listed map (the namespace
    matrix stays complete): the map then stops, and a note says so. Counting the rest would
    cost as much as listing it (an open cluster of 5,000 workloads allows 25 million pairs)."""
    if by not in ("workload", "pod"):
        raise QueryError(f"unknown level {by!r} (expected workload or pod)")
    # Self connections are counted (one definition of "allowed connections" everywhere:
    # analyses/summary.py) but not drawn.
    cmap = cluster.connectivity(by, external=True, namespaces=namespaces, include_self=True)
    members = _members(cluster, by)
    explainer = _Explainer(cluster)
    edges: list[ReportEdge] = []
    own = 0
    truncated = False
    for c in cmap:
        if c.src == c.dst:
            own += 1
            continue
        if len(edges) >= max_edges:
            truncated = True
            break
        src, dst = members.get(c.src), members.get(c.dst)
        edges.append(
            ReportEdge(
                c.src,
                c.dst,
                c.conns,
                explainer.rules("egress", src, dst or _address(c.dst)) if src else None,
                explainer.rules("ingress", dst, src or _address(c.src)) if dst else None,
            )
        )
    # The map lists every node; keep those in scope, and external ranges something reaches.
    scope = set(namespaces) if namespaces else None
    touched = {e.src for e in edges} | {e.dst for e in edges}
    nodes = [
        _node(cluster, n, members.get(n.id, []))
        for n in cmap.nodes
        if (n.id in touched if n.is_external else scope is None or n.namespace in scope)
    ]
    matrix = _namespace_matrix(cluster, namespaces)
    findings, audit_notes = _findings(cluster)
    rows = posture(cluster)
    if namespaces:
        rows = [r for r in rows if r.namespace in set(namespaces)]
    data = ReportData(
        title=title,
        by=by,
        counts=_counts(cluster, scope, nodes, edges, own),
        posture=rows,
        nodes=nodes,
        edges=edges,
        rules=explainer.table,
        namespace_matrix=matrix,
        findings=findings,
        truncated=truncated,
        # first: what may make every answer of the report incomplete
        notes=[f"May be incomplete: {c}" for c in snapshot_caveats(cluster.snapshot)] + audit_notes,
    )
    if truncated:
        data.notes.append(
            f"The map lists the first {max_edges} allowed connections (by source) and leaves "
            "out the rest; the namespace matrix is complete. Narrow with -n NAMESPACE."
        )
    return data


def _counts(
    cluster: Reach,
    scope: set[str] | None,
    nodes: list[ReportNode],
    edges: list[ReportEdge],
    own: int = 0,
) -> dict[str, int]:
    """The summary's numbers, over what the report shows (the namespaces in scope), so they
    agree with the graph: workloads are in-cluster nodes only, external ranges are their own
    count, and connections touching an external range are counted apart too."""
    pods = [p for p in cluster.pods if scope is None or p.namespace in scope]
    external = {n.id for n in nodes if n.is_external}
    return {
        "namespaces": sum(1 for n in cluster.namespaces if scope is None or n in scope),
        "pods": len(pods),
        "workloads": len({p.workload for p in pods}),
        "inferred": len({p.workload for p in pods if p.inferred}),
        "policies": sum(1 for p in cluster.policies if scope is None or p.namespace in scope),
        "external_ranges": len(external),
        # as ConnectionCount (analyses/summary.py): self and external included, and apart
        "connections": len(edges) + own,
        "self_connections": own,
        "external_connections": sum(1 for e in edges if e.src in external or e.dst in external),
    }


def _namespace_matrix(
    cluster: Reach, namespaces: Sequence[str] | None
) -> list[tuple[str, str, ConnectionSet]]:
    """Namespace x namespace connection sets; every address outside the cluster is one row and
    column, EXTERNAL (the union over ranges)."""
    ns_map = cluster.connectivity("namespace", True, namespaces=namespaces, include_self=True)
    cells: dict[tuple[str, str], ConnectionSet] = {}
    kinds = {n.id: n.is_external for n in ns_map.nodes}
    for c in ns_map:
        key = (EXTERNAL if kinds[c.src] else c.src, EXTERNAL if kinds[c.dst] else c.dst)
        cells[key] = cells[key] | c.conns if key in cells else c.conns
    return [(s, d, conns) for (s, d), conns in sorted(cells.items())]


def _members(cluster: Reach, by: ReportLevel) -> dict[str, list[Pod]]:
    """Report node id -> its pods, one per pod class (pods of one class explain alike)."""
    out: dict[str, list[Pod]] = {}
    seen: set[tuple[str, int]] = set()
    class_of = cluster.compiled.class_of
    for pod in cluster.pods:
        key = pod.workload.id if by == "workload" else pod.id
        ci = class_of[pod.id]
        if (key, ci) in seen:
            continue
        seen.add((key, ci))
        out.setdefault(key, []).append(pod)
    return out


def _node(cluster: Reach, node: MapNode, pods: list[Pod]) -> ReportNode:
    if node.is_external:
        name = _range_name(node.id)
        return ReportNode(node.id, name, "External", None, {}, 0, {"ingress": (), "egress": ()})
    first = pods[0]
    by_pod = node.id == first.id
    name = first.name if by_pod else first.workload.name
    isolated: dict[Direction, tuple[str, ...]] = {}
    guarded: dict[Direction, tuple[str, ...]] = {}
    g = guards(cluster)
    for direction in DIRECTIONS:
        ids: dict[str, None] = {}
        tier_ids: dict[str, None] = {}
        for p in pods:
            for pol in cluster.isolated(p, direction):
                ids[pol.id] = None
            if not p.host_network:
                guard = g.of(cluster.compiled.class_of[p.id], direction)
                tier_ids.update(dict.fromkeys(r.policy.id for r in guard.guard_rules))
        isolated[direction] = tuple(ids)
        guarded[direction] = tuple(tier_ids)
    # Labels of the first pod stand for the node (a workload's pods share their template).
    count = 1 if by_pod else len(cluster.workloads.get(first.workload, []))
    return ReportNode(
        node.id,
        name,
        node.kind,
        node.namespace,
        dict(first.labels),
        count,
        isolated,
        guarded,
        inferred=first.inferred,
    )


def _range_name(range_text: str) -> str:
    """`10.0.0.0-10.255.255.255` -> `10.0.0.0/8` when the range is one CIDR block."""
    lo, _, hi = range_text.partition("-")
    try:
        blocks = list(ipaddress.summarize_address_range(ip_address(lo), ip_address(hi)))
    except (ValueError, TypeError):
        return range_text
    return str(blocks[0]) if len(blocks) == 1 else range_text


def _address(range_text: str) -> str:
    """The first address of an external range (`lo-hi`): it stands for the whole range,
    since the engine cuts ranges where any ipBlock boundary lies."""
    return range_text.split("-", 1)[0]


class _Explainer:
    """Rules behind an edge, asked of the engine and numbered into one shared table."""

    def __init__(self, cluster: Reach) -> None:
        self.cluster = cluster
        self.table: list[RuleRef] = []
        self._index: dict[object, int] = {}
        self._cache: dict[tuple[Direction, int, object], tuple[int, ...] | None] = {}

    def rules(
        self, direction: Direction, side: list[Pod], peer: list[Pod] | str
    ) -> tuple[int, ...] | None:
        """Union over the side's pod classes; None when none of them is isolated."""
        compiled = self.cluster.compiled
        peers: list[Endpoint] = [peer] if isinstance(peer, str) else list(peer)
        out: dict[int, None] = {}
        isolated = False
        for pod in side:
            ci = compiled.class_of[pod.id]
            if pod.host_network or compiled.program(ci, direction).is_open:
                continue
            isolated = True
            for other in peers:
                peer_key = compiled.class_of[other.id] if isinstance(other, Pod) else other
                key = (direction, ci, peer_key)
                got = self._cache.get(key)
                if got is None:
                    found = contributions(compiled, direction, pod, other)
                    got = tuple(
                        self._number(rule) for rule, _ in found if rule.tier == "NetworkPolicy"
                    )
                    got += tuple(
                        self._tier_number(rule) for rule, _ in found if rule.tier != "NetworkPolicy"
                    )
                    self._cache[key] = got
                out.update(dict.fromkeys(got))
        return tuple(sorted(out)) if isolated else None

    def _tier_number(self, rule: AnyRule) -> int:
        """An Admin- or Baseline-tier rule deciding part of the edge, with its action."""
        key = ("tier", rule.policy.id, rule.direction, rule.index)
        got = self._index.get(key)
        if got is None:
            got = len(self.table)
            self._index[key] = got
            label = f"[{rule.tier}] {rule.policy.id} {rule.action}"
            self.table.append(RuleRef(label, rule.direction, rule.index, rule.location))
        return got

    def _number(self, rule: AnyRule) -> int:
        got = self._index.get(rule.id)
        if got is None:
            got = len(self.table)
            self._index[rule.id] = got
            loc = rule.policy.location
            where = str(loc.at("spec", rule.direction, rule.index)) if loc is not None else ""
            self.table.append(RuleRef(rule.policy.id, rule.direction, rule.index, where))
        return got


def _findings(cluster: Reach) -> tuple[list[FindingView], list[str]]:
    """The audit's findings, and its notes (checks skipped, and why)."""
    report = audit(cluster)
    views = [
        FindingView(
            f.check,
            f.severity,
            f.message,
            tuple(FindingObject(_object_text(o), _workload_id(o)) for o in f.objects),
            f.fix,
        )
        for f in report.findings
    ]
    return views, [f"audit: {note}" for note in report.notes]


def _workload_id(obj: ObjectRef) -> str | None:
    """The audit names a pod by its workload (kind, namespace, name): the graph's node id."""
    if not obj.namespace or obj.kind in ("NetworkPolicy", "Namespace"):
        return None
    return f"{obj.namespace}/{obj.name}[{obj.kind}]"


def _object_text(obj: ObjectRef) -> str:
    return f"{obj} ({obj.location})" if obj.location else str(obj)
