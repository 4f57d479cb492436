"""Pod classes: pods that no policy can tell apart.

Two pods are one class when they are in the same namespace, every selector that could apply
to them (policy subjects and peers of every tier) matches both or neither, the named ports
that rules use resolve alike on both, their addresses fall in the same ipBlocks, and both are
host-network pods or neither. A label that no selector reads (`pod-template-hash`,
`statefulset.kubernetes.io/pod-name`, `controller-uid`...) never splits a class, so the class
count is bounded by the policies, not by the pods.

The work is linear in pods: each pod's labels are projected onto what the namespace's
selectors read (a key they test, a value they name), pods with equal projections are grouped
in one pass, and only those groups (few per namespace) are told apart by evaluating the
selectors as bitsets.

Selectors are Kubernetes label selectors or Calico expressions (engine/selectors.py). Calico
and Cilium selectors also read virtual labels (model.V_*): the pod's namespace and its labels,
the pod's service account and its labels. Those of the namespace are the same for every pod
of it, so they are added per namespace, never per pod; those of the service account are read
per pod only when some selector reads them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from netreach.engine import ipset
from netreach.engine.intervals import Ranges
from netreach.engine.selectors import LabelIndex, Selector
from netreach.model import (
    CLUSTER_NAME,
    V_CLUSTER,
    V_NAMESPACE,
    V_NS_LABEL,
    V_ORCHESTRATOR,
    V_SA_LABEL,
    V_SERVICE_ACCOUNT,
    ContainerPort,
    LabelSelector,
    Namespace,
    Pod,
)

PortsKey = tuple[ContainerPort, ...]

# A label value no selector names: stands for every such value (label values never hold NUL).
_OTHER = "\x00"


@dataclass(eq=False)
class PodClass:
    """Pods no policy can tell apart (see the module docstring).

    `ports` holds the container ports under a name some rule uses: all a rule's named ports
    can resolve to on these pods. `labels` are one member's labels: every member is matched by
    exactly the same selectors.
    """

    index: int
    namespace: str
    ports: PortsKey
    host_network: bool
    pods: list[Pod] = field(default_factory=list)
    # what selectors see of every member: one member's labels and the virtual labels read
    selector_labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def labels(self) -> Mapping[str, str]:
        return self.pods[0].labels


@dataclass(frozen=True)
class SelectorUse:
    """A pod selector some rule or subject applies, and the namespaces it applies in
    (None: every namespace)."""

    selector: Selector
    namespaces: frozenset[str] | None


@dataclass(frozen=True)
class VirtualLabels:
    """Where virtual labels come from: namespaces' labels and ServiceAccounts' labels
    ((namespace, name) -> labels; an account missing from the input has none)."""

    namespaces: Mapping[str, Namespace]
    accounts: Mapping[tuple[str, str], Mapping[str, str]]

    def of_namespace(self, ns: str, read: frozenset[str]) -> dict[str, str]:
        got = self.namespaces.get(ns)
        labels = got.labels if got is not None else {}
        out: dict[str, str] = {}
        for key in read:
            if key == V_NAMESPACE:
                out[key] = ns
            elif key == V_ORCHESTRATOR:
                out[key] = "k8s"
            elif key == V_CLUSTER:
                out[key] = CLUSTER_NAME
            elif key.startswith(V_NS_LABEL):
                value = labels.get(key[len(V_NS_LABEL) :])
                if value is not None:
                    out[key] = value
        return out

    def of_account(self, pod: Pod, read: frozenset[str]) -> dict[str, str]:
        labels = self.accounts.get((pod.namespace, pod.service_account), {})
        out: dict[str, str] = {}
        for key in read:
            if key == V_SERVICE_ACCOUNT:
                out[key] = pod.service_account
            elif key.startswith(V_SA_LABEL):
                value = labels.get(key[len(V_SA_LABEL) :])
                if value is not None:
                    out[key] = value
        return out


def _reads(selector: Selector) -> Iterator[str]:
    if isinstance(selector, LabelSelector):
        yield from (k for k, _ in selector.match_labels)
        yield from (r.key for r in selector.match_expressions)
    else:
        yield from (k for k, _ in selector.reads())


class ClassTable:
    """Pods grouped into classes, with the bitsets the compiler needs."""

    def __init__(
        self,
        pods: Sequence[Pod],
        uses: Iterable[SelectorUse],
        port_names: frozenset[str],
        blocks: Sequence[Ranges],
        ipblock_matches_pods: bool,
        exempt_host_network: bool,
        virtual: VirtualLabels | None = None,
    ) -> None:
        per_ns: dict[str, set[Selector]] = defaultdict(set)
        everywhere: set[Selector] = set()
        read: set[str] = set()
        for use in uses:
            if use.selector.is_empty:
                continue  # matches every pod: never tells two apart
            if virtual is not None:
                read.update(k for k in _reads(use.selector) if k.startswith("\x00"))
            if use.namespaces is None:
                everywhere.add(use.selector)
            else:
                for ns in use.namespaces:
                    per_ns[ns].add(use.selector)

        pods_by_ns: dict[str, list[Pod]] = defaultdict(list)
        for pod in pods:
            pods_by_ns[pod.namespace].append(pod)

        ip_of = _AddressClasses(pods, blocks) if ipblock_matches_pods and blocks else None
        self.classes: list[PodClass] = []
        self.class_of: dict[str, int] = {}
        self._ip_keys: list[tuple[int, ...]] = []  # per class: its address ids
        self._virtual = virtual if read else None
        self._read = frozenset(read)
        for ns in sorted(pods_by_ns):
            selectors = sorted(per_ns.get(ns, set()) | everywhere, key=_selector_key)
            self._split_namespace(
                ns, pods_by_ns[ns], selectors, port_names, ip_of, exempt_host_network
            )
        n = len(self.classes)
        self.all = (1 << n) - 1
        ns_bits: dict[str, int] = defaultdict(int)
        host = 0
        for c in self.classes:
            ns_bits[c.namespace] |= 1 << c.index
            if c.host_network:
                host |= 1 << c.index
        self.ns_bits: dict[str, int] = dict(ns_bits)
        self.host_network_bits = host
        self.label_index = LabelIndex([c.selector_labels for c in self.classes])
        # Classes whose addresses each block admits (pods inside an ipBlock are peers of it).
        self.block_bits: list[int] = (
            ip_of.block_bits([self._ip_keys[i] for i in range(n)])
            if ip_of is not None
            else [0] * len(blocks)
        )

    def _split_namespace(
        self,
        ns: str,
        pods: list[Pod],
        selectors: list[Selector],
        port_names: frozenset[str],
        ip_of: _AddressClasses | None,
        exempt_host_network: bool,
    ) -> None:
        read = _Projection(selectors)
        virtual, vread = self._virtual, self._read
        ns_extra = virtual.of_namespace(ns, vread) if virtual is not None else {}
        by_account = virtual is not None and any(
            k == V_SERVICE_ACCOUNT or k.startswith(V_SA_LABEL) for k in vread
        )
        groups: dict[tuple[Any, ...], list[Pod]] = {}
        for pod in pods:
            host = pod.host_network and exempt_host_network
            ports = tuple(sorted({cp for cp in pod.ports if cp.name in port_names}, key=_port_key))
            ips = ip_of.key(pod) if ip_of is not None else ()
            # Host-network pods are never matched by selectors: their labels never matter.
            if host:
                labels: tuple[tuple[str, str], ...] = ()
            elif by_account and virtual is not None:
                labels = read.project({**pod.labels, **virtual.of_account(pod, vread)})
            else:
                labels = read.project(pod.labels)
            groups.setdefault((host, ports, ips, labels), []).append(pod)
        keys = list(groups)
        signature = _signatures([{**dict(k[3]), **ns_extra} for k in keys], selectors)
        merged: dict[tuple[Any, ...], PodClass] = {}
        for key, sig in zip(keys, signature, strict=True):
            host, ports, ips, _ = key
            ckey = (host, ports, ips, sig)
            pc = merged.get(ckey)
            if pc is None:
                pc = PodClass(len(self.classes), ns, ports, host)
                first = groups[key][0]
                if virtual is None:
                    pc.selector_labels = first.labels
                else:
                    account = virtual.of_account(first, vread) if by_account else {}
                    pc.selector_labels = {**first.labels, **account, **ns_extra}
                merged[ckey] = pc
                self.classes.append(pc)
                self._ip_keys.append(ips)
            pc.pods.extend(groups[key])
        for pc in merged.values():
            for pod in pc.pods:
                self.class_of[pod.id] = pc.index


def _selector_key(sel: Selector) -> str:
    return repr(sel)


def _port_key(cp: ContainerPort) -> tuple[str, int, str]:
    return (cp.name or "", cp.port, cp.protocol)


class _Projection:
    """A pod's labels as a namespace's selectors read them: keys they test, and the values
    they name (any other value of a tested key becomes one stand-in)."""

    def __init__(self, selectors: Iterable[Selector]) -> None:
        values: dict[str, set[str]] = defaultdict(set)
        raw: set[str] = set()  # keys a string operator reads: every value matters
        for sel in selectors:
            if isinstance(sel, LabelSelector):
                for k, v in sel.match_labels:
                    values[k].add(v)
                for req in sel.match_expressions:
                    values[req.key].update(req.values)
                continue
            for key, named in sel.reads():
                if named is None:
                    raw.add(key)
                    values.setdefault(key, set())
                else:
                    values[key].update(named)
        self.values = dict(values)
        self.raw = frozenset(raw)

    def project(self, labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
        values = self.values
        if not values:
            return ()
        raw = self.raw
        out = [
            (k, v if v in values[k] or k in raw else _OTHER)
            for k, v in labels.items()
            if k in values
        ]
        out.sort()
        return tuple(out)


def _signatures(labels: Sequence[Mapping[str, str]], selectors: Sequence[Selector]) -> list[bytes]:
    """For each label map, which of `selectors` match it (as bytes, equal iff the same)."""
    if len(labels) <= 1 or not selectors:
        return [b""] * len(labels)
    index = LabelIndex(labels)
    n = len(labels)
    matrix = np.zeros((n, len(selectors)), dtype=bool)
    for j, sel in enumerate(selectors):
        matrix[:, j] = bits_to_mask(index.select(sel), n)
    packed = np.packbits(matrix, axis=1)
    return [row.tobytes() for row in packed]


def bits_to_mask(bits: int, size: int) -> Any:
    """A Python-int bitset as a numpy bool array of `size` entries."""
    nbytes = (size + 7) // 8
    raw = np.frombuffer(bits.to_bytes(nbytes, "little"), dtype=np.uint8)
    return np.unpackbits(raw, bitorder="little")[:size].astype(bool)


def mask_to_bits(mask: Any) -> int:
    """The inverse of `bits_to_mask`."""
    return int.from_bytes(np.packbits(mask, bitorder="little").tobytes(), "little")


class _AddressClasses:
    """Pod addresses against ipBlocks: addresses inside exactly the same blocks are alike.

    The address line is cut at every block boundary (atoms); only atoms holding a pod address
    are kept, and those with the same block membership share one id. The membership matrix is
    atoms-with-pods x blocks, filled by slices (each block is a few runs of sorted atoms), so
    the cost is near-linear in blocks, excepts and pods.
    """

    def __init__(self, pods: Sequence[Pod], blocks: Sequence[Ranges]) -> None:
        atoms = ipset.Atoms(blocks)
        self._atoms = atoms
        used = sorted({atoms.index(ipset.ip_key(ip)) for p in pods for ip in p.ips})
        pos = {a: i for i, a in enumerate(used)}
        starts = [atoms.starts[a] for a in used]
        member = np.zeros((len(used), len(blocks)), dtype=bool)
        for b, ranges in enumerate(blocks):
            for lo, hi in ranges:
                i = bisect_left(starts, lo)
                j = bisect_right(starts, hi)
                if i < j:
                    member[i:j, b] = True
        if len(used):
            _, ids = np.unique(np.packbits(member, axis=1), axis=0, return_inverse=True)
            ids = ids.reshape(-1)
        else:
            ids = np.zeros(0, dtype=np.intp)
        self._id_of_atom = {a: int(ids[pos[a]]) for a in used}
        # membership per id (first atom of each id)
        n_ids = int(ids.max()) + 1 if len(used) else 0
        rows = np.zeros((n_ids + 1, len(blocks)), dtype=bool)  # last row: no address
        rows[ids] = member  # atoms of one id have equal rows
        self._rows = rows

    def key(self, pod: Pod) -> tuple[int, ...]:
        atoms = self._atoms
        return tuple(sorted({self._id_of_atom[atoms.index(ipset.ip_key(ip))] for ip in pod.ips}))

    def block_bits(self, keys: Sequence[tuple[int, ...]]) -> list[int]:
        """Per block: the classes (given by their address keys) with an address inside it."""
        n_blocks = self._rows.shape[1]
        if not keys:
            return [0] * n_blocks
        width = max((len(k) for k in keys), default=0) or 1
        none = self._rows.shape[0] - 1
        table = np.full((len(keys), width), none, dtype=np.intp)
        for i, k in enumerate(keys):
            table[i, : len(k)] = k
        out: list[int] = []
        for b in range(n_blocks):
            inside = self._rows[:, b]
            out.append(mask_to_bits(inside[table].any(axis=1)))
        return out
