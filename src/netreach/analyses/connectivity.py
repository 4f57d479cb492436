"""Every allowed connection, at pod, workload or namespace level, streamed in sorted order.

Reads the class matrix of the engine; adds the grouping into report nodes, the external
address ranges (cut at ipBlock boundaries, neighbours with equal connections merged), the
self-traffic switch and the user's filters.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from netreach.engine import ipset
from netreach.engine.compile import Compiled
from netreach.engine.conns import ALL, EMPTY, ConnectionSet
from netreach.engine.matrix import ClassMatrix
from netreach.model import LabelSelector, Pod, Protocol, Requirement

Level = Literal["pod", "workload", "namespace"]


@dataclass(frozen=True, slots=True)
class Node:
    """A report endpoint: a pod, a workload, a namespace, or an external address range."""

    id: str
    kind: str  # "Pod", "Deployment", ..., "Namespace", "External"
    namespace: str | None

    @property
    def is_external(self) -> bool:
        return self.kind == "External"


@dataclass(frozen=True, slots=True)
class Connection:
    src: str
    dst: str
    conns: ConnectionSet

    def __str__(self) -> str:
        return f"{self.src} => {self.dst} : {self.conns}"


@dataclass(frozen=True)
class PortFilter:
    protocol: Protocol
    lo: int
    hi: int

    @property
    def conns(self) -> ConnectionSet:
        return ConnectionSet.ports(self.protocol, self.lo, self.hi)

    @classmethod
    def parse(cls, text: str) -> PortFilter:
        """`5432`, `5432/TCP`, `53/udp`, `8000-8080/TCP`."""
        port, _, proto = text.partition("/")
        protocol = (proto or "TCP").upper()
        if protocol not in ("TCP", "UDP", "SCTP"):
            raise ValueError(f"unknown protocol {proto!r} (expected TCP, UDP or SCTP)")
        lo_s, _, hi_s = port.partition("-")
        lo, hi = int(lo_s), int(hi_s or lo_s)
        if not 1 <= lo <= hi <= 65535:
            raise ValueError(f"port {port!r} is not within 1-65535")
        return cls(protocol, lo, hi)  # type: ignore[arg-type]


def parse_label_selector(text: str) -> LabelSelector:
    """kubectl's equality syntax: `app=db,tier!=web,env`."""
    labels: list[tuple[str, str]] = []
    exprs: list[Requirement] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        if "!=" in part:
            k, v = part.split("!=", 1)
            exprs.append(Requirement(k.strip(), "NotIn", (v.strip(),)))
        elif "=" in part:
            k, v = part.split("=", 1)
            labels.append((k.strip(), v.strip().lstrip("=")))
        elif part.startswith("!"):
            exprs.append(Requirement(part[1:], "DoesNotExist"))
        else:
            exprs.append(Requirement(part, "Exists"))
    return LabelSelector(tuple(labels), tuple(exprs))


class NodeFilter:
    """`--from`/`--to` selections: a glob on ids (`default/*`, `*/db*`), a namespace name,
    or a label selector (`app=db`) on the pods behind a node."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.selector = parse_label_selector(text) if "=" in text else None

    def matches(self, node: Node, pods: Sequence[Pod]) -> bool:
        if self.selector is not None:
            return any(self.selector.matches(p.labels) for p in pods)
        t = self.text
        if "/" not in t and "*" not in t and not node.is_external:
            return node.namespace == t or node.id == t
        return fnmatch.fnmatchcase(node.id, t)


class Connectivity:
    """The allowed connections of a cluster at one level of detail."""

    def __init__(
        self,
        compiled: Compiled,
        matrix: ClassMatrix,
        *,
        by: Level = "pod",
        external: bool = False,
        merge_external: bool = True,
        include_self: bool = True,
        namespaces: Sequence[str] | None = None,
        src: NodeFilter | None = None,
        dst: NodeFilter | None = None,
        port: PortFilter | None = None,
    ) -> None:
        self.compiled = compiled
        self.matrix = matrix
        self.by = by
        self.include_self = include_self
        self._port = port.conns if port is not None else None
        groups: dict[str, tuple[Node, list[Pod]]] = {}
        for pod in compiled.snapshot.pods:
            if by == "pod":
                node = Node(pod.id, "Pod", pod.namespace)
            elif by == "workload":
                node = Node(pod.workload.id, pod.workload.kind, pod.namespace)
            else:
                node = Node(pod.namespace, "Namespace", pod.namespace)
            groups.setdefault(node.id, (node, []))[1].append(pod)
        ids = sorted(groups)
        self._nodes = [groups[i][0] for i in ids]
        self._pods = [groups[i][1] for i in ids]
        cls_of = compiled.class_of
        self._classes = [sorted({cls_of[p.id] for p in pods}) for pods in self._pods]
        in_scope = set(namespaces) if namespaces else None

        def keep(i: int, f: NodeFilter | None) -> bool:
            node = self._nodes[i]
            if in_scope is not None and node.namespace not in in_scope:
                return False
            return f is None or f.matches(node, self._pods[i])

        self._src_idx = [i for i in range(len(ids)) if keep(i, src)]
        self._dst_idx = [i for i in range(len(ids)) if keep(i, dst)]
        self._ext_src_ok = src is None or _external_filter(src)
        self._ext_dst_ok = dst is None or _external_filter(dst)
        self._external: list[Connection] = []
        self._external_nodes: list[Node] = []
        self._merge_atoms = merge_external
        if external:
            self._build_external(src, dst)

    # --- public ---------------------------------------------------------------------------------
    @property
    def nodes(self) -> list[Node]:
        """Every node the map speaks of: the level's endpoints, then external ranges."""
        return [*self._nodes, *self._external_nodes]

    def __iter__(self) -> Iterator[Connection]:
        """Connections sorted by source then destination id; pairs with nothing omitted."""
        ext_by_src: dict[str, list[Connection]] = {}
        for c in self._external:
            ext_by_src.setdefault(c.src, []).append(c)
        streams = self._internal_rows()
        internal_ids = {src_id for src_id, _ in streams}
        streams += [
            (s, lambda: [])
            for s in ext_by_src
            if s not in internal_ids  # external sources
        ]
        streams.sort(key=lambda item: item[0])
        for src_id, make in streams:
            conns = make()
            ext = ext_by_src.get(src_id)
            if ext:  # internal rows come sorted already; external ones must be merged in
                conns = sorted(conns + ext, key=lambda c: c.dst)
            yield from conns

    def get(self, src: str, dst: str) -> ConnectionSet:
        for c in self:
            if c.src == src and c.dst == dst:
                return c.conns
        return EMPTY

    def to_json(self) -> dict[str, Any]:
        """The documented JSON contract (docs/output.md), built in memory."""
        return {
            "version": 1,
            "nodes": [node_json(n) for n in self.nodes],
            "connections": [connection_json(c) for c in self],
        }

    # --- internals --------------------------------------------------------------------------
    def _internal_rows(self) -> list[tuple[str, Callable[[], list[Connection]]]]:
        matrix = self.matrix
        ids = self.matrix.ids
        sets = matrix.table.sets
        dst_idx = self._dst_idx
        self_allowed = self.compiled.options.self_traffic == "allowed"
        single = all(len(c) == 1 for c in self._classes)
        port = self._port
        nodes = self._nodes

        if single:
            dst_classes = np.array([self._classes[j][0] for j in dst_idx], dtype=np.intp)
        else:
            dst_classes = np.zeros(0, dtype=np.intp)
        dst_arr = np.array(dst_idx, dtype=np.intp)

        def row_for(i: int) -> list[Connection]:
            out: list[Connection] = []
            if single:
                row = ids[self._classes[i][0]][dst_classes]
                hits = np.nonzero(row)[0]
                values = row[hits].tolist()
                targets = dst_arr[hits].tolist()
                pairs = list(zip(targets, values, strict=True))
                if self_allowed and i in dst_idx and i not in targets:
                    pairs.append((i, 1))
            else:
                pairs = []
                rows = ids[self._classes[i]]
                for j in dst_idx:
                    sub = np.unique(rows[:, self._classes[j]])
                    acc = EMPTY
                    for v in sub.tolist():
                        acc = acc | sets[v]
                    pairs.append((j, matrix.table.id(acc)) if not acc.is_empty else (j, 0))
                pairs = [(j, v) for j, v in pairs if v or (self_allowed and j == i)]
            src_id = nodes[i].id
            if port is None and not self_allowed and (self.include_self or i not in dst_idx):
                # the common case, kept tight: millions of pairs at cluster scale
                return [Connection(src_id, nodes[j].id, sets[v]) for j, v in pairs]
            for j, v in pairs:
                conns = sets[v]
                if j == i:
                    if not self.include_self:
                        continue
                    if self_allowed:
                        conns = ALL
                if port is not None:
                    conns = conns & port
                if conns.is_empty:
                    continue
                out.append(Connection(src_id, nodes[j].id, conns))
            return out

        return [(nodes[i].id, lambda i=i: row_for(i)) for i in self._src_idx]  # type: ignore[misc]

    def _build_external(self, src: NodeFilter | None, dst: NodeFilter | None) -> None:
        atoms = self.compiled.atoms
        sets = self.matrix.table.sets
        out_ids = self.matrix.external("egress") if self._ext_dst_ok else None
        in_ids = self.matrix.external("ingress") if self._ext_src_ok else None
        ext_nodes: dict[str, Node] = {}
        port = self._port

        def ranges(row: Any) -> list[tuple[str, ConnectionSet]]:
            """Atom ids along the address line -> merged (range text, conns), nothing omitted."""
            res: list[tuple[str, ConnectionSet]] = []
            run_lo = -1
            run_v = -1
            run_hi = -1
            values = row.tolist()
            for a, v in enumerate([*values, -2]):
                lo, hi = atoms.bounds(a) if a < len(values) else (0, 0)
                boundary = a < len(values) and lo == ipset.V6_OFFSET
                if a < len(values) and v == run_v and not boundary:
                    run_hi = hi
                    continue
                if run_v > 0:
                    res.append((ipset.range_text(run_lo, run_hi), sets[run_v]))
                run_lo, run_hi, run_v = lo, hi, v
            return res

        def node_rows(ids: Any, i: int) -> list[tuple[str, ConnectionSet]]:
            classes = self._classes[i]
            if len(classes) == 1:
                row = ids[classes[0]]
            else:
                merged = [matrix_union(sets, ids[classes, a]) for a in range(ids.shape[1])]
                row = np.array([self.matrix.table.id(c) for c in merged], dtype=np.int32)
            if not self._merge_atoms:
                return [
                    (ipset.range_text(*atoms.bounds(a)), sets[v])
                    for a, v in enumerate(row.tolist())
                    if v
                ]
            return ranges(row)

        # egress: node -> range (rows of out_ids); ingress: range -> node (rows of in_ids)
        for ids, indexes, outbound in (
            (out_ids, self._src_idx, True),
            (in_ids, self._dst_idx, False),
        ):
            if ids is None:
                continue
            for i in indexes:
                node_id = self._nodes[i].id
                for rng, conns in node_rows(ids, i):
                    c = conns & port if port is not None else conns
                    if c.is_empty:
                        continue
                    ext_nodes[rng] = Node(rng, "External", None)
                    pair = (node_id, rng) if outbound else (rng, node_id)
                    self._external.append(Connection(*pair, c))
        self._external_nodes = [ext_nodes[k] for k in sorted(ext_nodes)]


def matrix_union(sets: Sequence[ConnectionSet], values: Any) -> ConnectionSet:
    acc = EMPTY
    for v in np.unique(values).tolist():
        acc = acc | sets[v]
    return acc


def _external_filter(f: NodeFilter) -> bool:
    """Whether a --from/--to selection can match external ranges (globs only)."""
    return f.selector is None and ("*" in f.text or f.text[:1].isdigit() or ":" in f.text)


def node_json(node: Node) -> dict[str, Any]:
    return {"id": node.id, "kind": node.kind, "namespace": node.namespace}


def connection_json(c: Connection) -> dict[str, Any]:
    return {"src": c.src, "dst": c.dst, "allowed": c.conns.to_json()}
