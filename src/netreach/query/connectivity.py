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
from netreach.engine.conns import EMPTY, ConnectionSet
from netreach.engine.matrix import ClassMatrix
from netreach.model import Direction, LabelSelector, Pod, Requirement
from netreach.query.ports import PortSpec

Level = Literal["pod", "workload", "namespace"]


@dataclass(frozen=True, slots=True)
class MapNode:
    """A report endpoint: a pod, a workload, a namespace, or an external address range."""

    id: str
    kind: str  # "Pod", "Deployment", ..., "Namespace", "External"
    namespace: str | None
    # an external node's addresses as integer keys (engine.ipset: IPv4, then IPv6 offset)
    span: tuple[int, int] | None = None

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

    def matches(self, node: MapNode, pods: Sequence[Pod]) -> bool:
        if self.selector is not None:
            return any(self.selector.matches(p.labels) for p in pods)
        t = self.text
        if "/" not in t and "*" not in t and not node.is_external:
            return node.namespace == t or node.id == t
        return fnmatch.fnmatchcase(node.id, t)


class Connectivity:
    """The allowed connections of a cluster at one level of detail.

    Nodes (`nodes`) are the level's endpoints in id order, then external address ranges. The
    map is produced row by row (`rows()`): a source node, the destination nodes it reaches
    (node indexes, in id order) and the connection ids (into `sets`); rows of sources with
    the same pod classes are computed once. Iterating yields `Connection` objects.
    """

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
        port: PortSpec | None = None,
        ipv6: bool = True,
    ) -> None:
        self.compiled = compiled
        self._ipv6 = ipv6  # False: external IPv6 ranges left out (netpol-analyzer's convention)
        self.matrix = matrix
        self.by = by
        self.include_self = include_self
        self.sets = matrix.table.sets
        self._port = port.conns if port is not None else None
        groups: dict[str, tuple[MapNode, list[Pod]]] = {}
        for pod in compiled.snapshot.pods:
            if by == "pod":
                node = MapNode(pod.id, "Pod", pod.namespace)
            elif by == "workload":
                node = MapNode(pod.workload.id, pod.workload.kind, pod.namespace)
            else:
                node = MapNode(pod.namespace, "Namespace", pod.namespace)
            groups.setdefault(node.id, (node, []))[1].append(pod)
        ids = sorted(groups)
        self._nodes = [groups[i][0] for i in ids]
        self._pods = [groups[i][1] for i in ids]
        cls_of = compiled.class_of
        self._classes = [tuple(sorted({cls_of[p.id] for p in pods})) for pods in self._pods]
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
        # external connections per internal node: (range text, connection id)
        self._ext_out: dict[int, list[tuple[str, int]]] = {}
        self._ext_in: dict[int, list[tuple[str, int]]] = {}
        self._external_nodes: list[MapNode] = []
        self._merge_atoms = merge_external
        if external:
            self._build_external()
        self._spans = {n.id: n for n in self._external_nodes}
        # every node id's rank in one sorted order: rows merge internal and external nodes
        everything = sorted([n.id for n in self._nodes] + [n.id for n in self._external_nodes])
        rank = {node_id: r for r, node_id in enumerate(everything)}
        self._rank = np.array([rank[n.id] for n in self.nodes], dtype=np.intp)

    # --- public ---------------------------------------------------------------------------------
    @property
    def nodes(self) -> list[MapNode]:
        """Every node the map speaks of: the level's endpoints, then external ranges."""
        return [*self._nodes, *self._external_nodes]

    def span(self, node_id: str) -> tuple[int, int] | None:
        """An external node's address range as integer keys (None: not an external node)."""
        node = self._spans.get(node_id)
        return node.span if node is not None else None

    def __iter__(self) -> Iterator[Connection]:
        """Connections sorted by source then destination id; pairs with nothing omitted."""
        nodes = self.nodes
        sets = self.sets
        for i, dsts, conn_ids in self.rows():
            src_id = nodes[i].id
            for j, v in zip(dsts, conn_ids, strict=True):
                yield Connection(src_id, nodes[j].id, sets[v])

    def rows(self) -> Iterator[tuple[int, list[int], list[int]]]:
        """(source node, destination nodes, connection ids) per source with any connection,
        sources and destinations in id order."""
        n_internal = len(self._nodes)
        ext_in: dict[int, list[tuple[int, int]]] = {}  # external source -> (node, id)
        ext_index = {node.id: n_internal + k for k, node in enumerate(self._external_nodes)}
        for i, found in self._ext_in.items():
            for rng, v in found:
                ext_in.setdefault(ext_index[rng], []).append((i, v))
        sources = [*self._src_idx, *ext_in]
        sources.sort(key=lambda i: int(self._rank[i]))
        internal = self._internal()
        for i in sources:
            if i >= n_internal:
                dsts, vals = zip(*ext_in[i], strict=True)
                js, ids = self._ordered(list(dsts), list(vals))
            else:
                js, ids = internal(i)
                out = self._ext_out.get(i)
                if out:
                    js, ids = self._ordered(
                        js + [ext_index[rng] for rng, _ in out], ids + [v for _, v in out]
                    )
            if js:
                yield i, js, ids

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
    def _ordered(self, js: list[int], ids: list[int]) -> tuple[list[int], list[int]]:
        order = np.argsort(self._rank[np.asarray(js, dtype=np.intp)], kind="stable")
        return [js[k] for k in order.tolist()], [ids[k] for k in order.tolist()]

    def _internal(self) -> Callable[[int], tuple[list[int], list[int]]]:
        """A function giving a source node's internal row: (destination nodes, ids).

        A row over classes becomes a row over nodes through the classes' nodes: nodes of one
        class take its value directly (an index, found from the non-empty classes only), nodes
        of several classes take the union of theirs. The work is the classes plus the output.
        """
        matrix = self.matrix
        table = matrix.table
        n = matrix.n
        single: dict[int, list[int]] = {}
        multi: list[int] = []
        for j in self._dst_idx:
            classes = self._classes[j]
            if len(classes) == 1:
                single.setdefault(classes[0], []).append(j)
            else:
                multi.append(j)
        # destinations of one class, grouped by class (CSR), nodes in id order in each group
        counts = np.zeros(n, dtype=np.intp)
        for c, js in single.items():
            counts[c] = len(js)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.intp)
        flat = np.zeros(int(counts.sum()), dtype=np.intp)
        for c, js in single.items():
            flat[starts[c] : starts[c] + len(js)] = js
        width = max((len(self._classes[j]) for j in multi), default=0)
        multi_nodes = np.asarray(multi, dtype=np.intp)
        multi_cls = np.full((len(multi), width), n, dtype=np.intp)  # padding: an EMPTY column
        for k, j in enumerate(multi):
            multi_cls[k, : len(self._classes[j])] = self._classes[j]
        dst_set = set(self._dst_idx)
        self_mode = self.compiled.options.self_traffic == "allowed"
        port_id = table.id(self._port) if self._port is not None else None
        cache: dict[tuple[int, ...], tuple[Any, Any]] = {}

        def values(classes: tuple[int, ...]) -> tuple[Any, Any]:
            """(destination nodes in id order, their non-empty connection ids)."""
            got = cache.get(classes)
            if got is not None:
                return got
            row = matrix.rows_ids(classes)[0] if len(classes) == 1 else matrix.joined_row(classes)
            if port_id is not None:
                row = table.meet(row, np.full_like(row, port_id))
            hit = np.nonzero(row)[0]
            hit = hit[counts[hit] > 0]
            reps = counts[hit]
            total = int(reps.sum())
            # the index of every destination node of every hit class, without a Python loop
            offsets = np.repeat(starts[hit] - np.concatenate([[0], np.cumsum(reps)[:-1]]), reps)
            nodes = flat[np.arange(total, dtype=np.intp) + offsets]
            vals = np.repeat(row[hit], reps)
            if len(multi):
                padded = np.append(row, 0)
                mvals = table.reduce_join(padded[multi_cls], axis=1)
                keep = np.nonzero(mvals)[0]
                nodes = np.concatenate([nodes, multi_nodes[keep]])
                vals = np.concatenate([vals, mvals[keep]])
            order = np.argsort(nodes, kind="stable")
            got = (nodes[order], vals[order])
            if len(cache) < 4096:  # rows repeat within a namespace; memory stays bounded
                cache[classes] = got
            return got

        exempt = matrix.self_exempt and not self_mode

        def diagonal(i: int) -> int:
            """A node to itself when some rule leaves a pod's own traffic alone: pairs of
            distinct pods of the node, and each pod to itself."""
            per_class: dict[int, int] = {}
            for p in self._pods[i]:
                c = self.compiled.class_of[p.id]
                per_class[c] = per_class.get(c, 0) + 1
            ids = [matrix.self_id(c) for c in per_class]
            ids += [
                matrix.id(c, d) for c in per_class for d in per_class if c != d or per_class[c] > 1
            ]
            got = table.reduce_join(np.asarray(ids, dtype=np.intp)[:, None])[0]
            return int(got) if port_id is None else int(table.meet([got], [port_id])[0])

        def row_for(i: int) -> tuple[list[int], list[int]]:
            nodes, vals = values(self._classes[i])
            if exempt and self.include_self and i in dst_set:
                here = int(np.searchsorted(nodes, i))
                present = here < len(nodes) and nodes[here] == i
                v = diagonal(i)
                if present and v:
                    vals = vals.copy()
                    vals[here] = v
                elif present:
                    nodes, vals = np.delete(nodes, here), np.delete(vals, here)
                elif v:
                    nodes, vals = np.insert(nodes, here, i), np.insert(vals, here, v)
            if i in dst_set and (not self.include_self or self_mode):
                here = int(np.searchsorted(nodes, i))
                present = here < len(nodes) and nodes[here] == i
                if not self.include_self:
                    if present:
                        nodes = np.delete(nodes, here)
                        vals = np.delete(vals, here)
                else:  # --self-traffic allowed: a node always reaches itself
                    v = 1 if port_id is None else port_id
                    if present:
                        vals = vals.copy()
                        vals[here] = v
                    else:
                        nodes = np.insert(nodes, here, i)
                        vals = np.insert(vals, here, v)
            return nodes.tolist(), vals.tolist()

        return row_for

    def _build_external(self) -> None:
        atoms = self.compiled.atoms
        table = self.matrix.table
        ext_nodes: dict[str, MapNode] = {}
        port = self._port

        def ranges(row: Any) -> list[tuple[int, int, int]]:
            """Atom ids along the address line -> merged (lo, hi, id), nothing omitted."""
            res: list[tuple[int, int, int]] = []
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
                if run_v > 0 and (self._ipv6 or run_lo < ipset.V6_OFFSET):
                    res.append((run_lo, run_hi, run_v))
                run_lo, run_hi, run_v = lo, hi, v
            return res

        def node_rows(direction: Direction, i: int) -> list[tuple[int, int, int]]:
            classes = self._classes[i]
            rows = np.stack([self.matrix.external_row(c, direction) for c in classes])
            row = rows[0] if len(classes) == 1 else table.reduce_join(rows)
            if not self._merge_atoms:
                return [
                    (*atoms.bounds(a), v)
                    for a, v in enumerate(row.tolist())
                    if v and (self._ipv6 or atoms.bounds(a)[0] < ipset.V6_OFFSET)
                ]
            return ranges(row)

        # egress: node -> range; ingress: range -> node
        for direction, indexes, ok, found in (
            ("egress", self._src_idx, self._ext_dst_ok, self._ext_out),
            ("ingress", self._dst_idx, self._ext_src_ok, self._ext_in),
        ):
            if not ok:
                continue
            for i in indexes:
                for lo, hi, v in node_rows(direction, i):  # type: ignore[arg-type]
                    if port is not None:
                        v = table.id(table.sets[v] & port)
                    if v == 0:
                        continue
                    rng = ipset.range_text(lo, hi)
                    if rng not in ext_nodes:
                        ext_nodes[rng] = MapNode(rng, "External", None, (lo, hi))
                    found.setdefault(i, []).append((rng, v))
        self._external_nodes = [ext_nodes[k] for k in sorted(ext_nodes)]


def _external_filter(f: NodeFilter) -> bool:
    """Whether a --from/--to selection can match external ranges (globs only)."""
    return f.selector is None and ("*" in f.text or f.text[:1].isdigit() or ":" in f.text)


def node_json(node: MapNode) -> dict[str, Any]:
    return {"id": node.id, "kind": node.kind, "namespace": node.namespace}


def connection_json(c: Connection) -> dict[str, Any]:
    return {"src": c.src, "dst": c.dst, "allowed": c.conns.to_json()}
