"""Label selectors evaluated to sets of pod classes (bitsets held in Python ints).

An inverted index from labels to classes turns each selector into a few big-integer ANDs and
ORs, so tens of thousands of selectors over thousands of classes stay cheap. Results are
cached per distinct selector.

Two selector languages feed the same index: Kubernetes label selectors (`LabelSelector`, the
fast path) and Calico's expressions (`netreach.calico_selector.Expr`, which evaluate
themselves through `pair`, `key` and `values`). Cilium's endpoint selectors are label
selectors over a pod's labels and its virtual labels (namespace, service account...).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from netreach.model import CalicoSelector, LabelSelector, Namespace, Requirement

# Anything the index evaluates: a Kubernetes label selector or a Calico expression.
Selector = LabelSelector | CalicoSelector


def indexes_of(bits: int) -> list[int]:
    """Set bit positions, ascending."""
    if bits.bit_length() > 512:  # wide bitsets: numpy unpacks them in one pass
        raw = np.frombuffer(bits.to_bytes((bits.bit_length() + 7) // 8, "little"), np.uint8)
        found: list[int] = np.flatnonzero(np.unpackbits(raw, bitorder="little")).tolist()
        return found
    out: list[int] = []
    base = 0
    while bits:
        chunk = bits & 0xFFFFFFFFFFFFFFFF
        while chunk:
            low = chunk & -chunk
            out.append(base + low.bit_length() - 1)
            chunk ^= low
        bits >>= 64
        base += 64
    return out


class LabelIndex:
    """Selector evaluation over a fixed list of label maps (one per pod class or namespace)."""

    def __init__(self, labels: Sequence[Mapping[str, str]]) -> None:
        self.size = len(labels)
        self.all = (1 << self.size) - 1
        by_pair: dict[tuple[str, str], int] = defaultdict(int)
        by_key: dict[str, int] = defaultdict(int)
        for i, lab in enumerate(labels):
            bit = 1 << i
            for k, v in lab.items():
                by_pair[(k, v)] |= bit
                by_key[k] |= bit
        self._by_pair = dict(by_pair)
        self._by_key = dict(by_key)
        self._values: dict[str, list[str]] | None = None
        self._cache: dict[Selector, int] = {}

    # --- the primitives Calico expressions evaluate through -------------------------------------
    def pair(self, key: str, value: str) -> int:
        return self._by_pair.get((key, value), 0)

    def key(self, key: str) -> int:
        return self._by_key.get(key, 0)

    def values(self, key: str) -> Iterable[str]:
        """The values `key` takes (string operators scan them)."""
        if self._values is None:
            values: dict[str, list[str]] = defaultdict(list)
            for k, v in self._by_pair:
                values[k].append(v)
            self._values = dict(values)
        return self._values.get(key, ())

    def _requirement(self, req: Requirement) -> int:
        if req.operator in ("In", "NotIn"):
            hit = 0
            for v in req.values:
                hit |= self._by_pair.get((req.key, v), 0)
            return hit if req.operator == "In" else self.all & ~hit
        present = self._by_key.get(req.key, 0)
        return present if req.operator == "Exists" else self.all & ~present

    def select(self, selector: Selector) -> int:
        cached = self._cache.get(selector)
        if cached is not None:
            return cached
        if not isinstance(selector, LabelSelector):
            got = selector.evaluate(self)
            self._cache[selector] = got
            return got
        bits = self.all
        for k, v in selector.match_labels:
            bits &= self._by_pair.get((k, v), 0)
            if not bits:
                break
        for req in selector.match_expressions:
            if not bits:
                break
            bits &= self._requirement(req)
        self._cache[selector] = bits
        return bits


# Calico's namespaceSelector also reads the namespace's name under this key.
CALICO_NAME_LABEL = "projectcalico.org/name"


class NamespaceIndex:
    """Namespace selectors evaluated to namespace names (few namespaces, so a plain scan).

    Calico expressions see a namespace's labels plus projectcalico.org/name (its name), as
    Calico's namespace profiles carry them."""

    def __init__(self, namespaces: Mapping[str, Namespace]) -> None:
        self._namespaces = namespaces
        self._cache: dict[Selector, tuple[str, ...]] = {}

    def select(self, selector: Selector) -> tuple[str, ...]:
        cached = self._cache.get(selector)
        if cached is None:
            if isinstance(selector, LabelSelector):
                cached = tuple(
                    n for n, ns in self._namespaces.items() if selector.matches(ns.labels)
                )
            else:
                cached = tuple(
                    n
                    for n, ns in self._namespaces.items()
                    if selector.matches({**ns.labels, CALICO_NAME_LABEL: n})
                )
            self._cache[selector] = cached
        return cached
