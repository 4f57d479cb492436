"""From intent endpoints to groups of pods, and the label selectors that pick them.

A workload is selected by the fewest of its stable labels that tell it apart from the other
pods of its namespace (keys that controllers change per rollout are never used); when labels
alone cannot, `key DoesNotExist` requirements exclude the others; when nothing can, the
pods the selector also picks are recorded, for the proof to name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from netreach.analyses.generate.intent import (
    CidrSpec,
    EndpointSpec,
    LabelSpec,
    NamespaceSpec,
    WorkloadSpec,
)
from netreach.errors import QueryError
from netreach.model import LabelSelector, Pod, Requirement
from netreach.query.reach import Reach

# Labels a controller sets per revision or per replica: a selector on them breaks on rollout.
UNSTABLE_KEYS = frozenset(
    {
        "pod-template-hash",
        "controller-revision-hash",
        "pod-template-generation",
        "statefulset.kubernetes.io/pod-name",
        "apps.kubernetes.io/pod-index",
        "controller-uid",
        "batch.kubernetes.io/controller-uid",
    }
)
# Keys tried first, so selectors look like the ones people write.
PREFERRED_KEYS = ("app.kubernetes.io/name", "app", "k8s-app", "name", "app.kubernetes.io/component")


@dataclass(frozen=True, slots=True)
class Group:
    """Pods an endpoint stands for, and how a policy selects them."""

    key: str  # text of the endpoint, e.g. `default/api[Deployment]`, `monitoring/*`
    slug: str  # for policy names, e.g. `api`, `all-pods`, `app-web`
    namespace: str | None  # None: pods of every namespace (labels under `*/`)
    selector: LabelSelector
    pods: tuple[Pod, ...]  # the intended pods
    also_selected: tuple[Pod, ...] = ()  # pods the selector picks though not intended

    @property
    def namespaces(self) -> list[str]:
        return sorted({p.namespace for p in self.pods})


def stable_labels(pods: Sequence[Pod]) -> dict[str, str]:
    """Labels every pod of the group carries with one value, minus per-revision keys."""
    if not pods:
        return {}
    common = {k: v for k, v in pods[0].labels.items() if k not in UNSTABLE_KEYS}
    for p in pods[1:]:
        common = {k: v for k, v in common.items() if p.labels.get(k) == v}
    return common


def workload_selector(
    pods: Sequence[Pod], others: Iterable[Pod]
) -> tuple[LabelSelector, tuple[Pod, ...]]:
    """The selector for `pods` against the `others` of their namespace, and the others it
    still picks (empty when it tells them apart)."""
    labels = stable_labels(pods)
    keys = sorted(labels, key=lambda k: (PREFERRED_KEYS.index(k) if k in PREFERRED_KEYS else 99, k))
    chosen: dict[str, str] = {}
    picked = list(others)
    for k in keys:
        narrower = [o for o in picked if o.labels.get(k) == labels[k]]
        if not chosen or len(narrower) < len(picked):
            chosen[k] = labels[k]
            picked = narrower
        if not picked:
            break
    exprs: list[Requirement] = []
    present = {k for p in pods for k in p.labels}
    still: list[Pod] = []
    # Whatever is still picked carries every stable label of the group: only a key the
    # group never has can exclude it.
    for o in sorted(picked, key=lambda p: p.id):
        if not all(r.matches(o.labels) for r in exprs):
            continue
        extra = sorted(k for k in o.labels if k not in present and k not in UNSTABLE_KEYS)
        if extra:
            exprs.append(Requirement(extra[0], "DoesNotExist"))
        else:
            still.append(o)
    return LabelSelector(tuple(sorted(chosen.items())), tuple(exprs)), tuple(still)


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:40].rstrip("-") or "pods"


class Groups:
    """Resolves endpoints against one cluster, once each."""

    def __init__(self, cluster: Reach) -> None:
        self.cluster = cluster
        self._cache: dict[EndpointSpec, Group] = {}
        self._by_ns: dict[str, list[Pod]] = {}
        for p in cluster.pods:
            self._by_ns.setdefault(p.namespace, []).append(p)

    def pods_in(self, namespace: str) -> list[Pod]:
        return self._by_ns.get(namespace, [])

    def group(self, spec: EndpointSpec) -> Group:
        if isinstance(spec, CidrSpec):
            raise TypeError("a CIDR is not a group of pods")
        if spec not in self._cache:
            self._cache[spec] = self._resolve(spec)
        return self._cache[spec]

    def _resolve(self, spec: WorkloadSpec | NamespaceSpec | LabelSpec) -> Group:
        if isinstance(spec, NamespaceSpec):
            if spec.namespace not in self.cluster.namespaces:
                raise QueryError(f"no namespace {spec.namespace!r} in the snapshot")
            pods = tuple(self.pods_in(spec.namespace))
            return Group(str(spec), "all-pods", spec.namespace, LabelSelector(), pods)
        if isinstance(spec, LabelSpec):
            scope = [spec.namespace] if spec.namespace else sorted(self._by_ns)
            pods = tuple(
                p for ns in scope for p in self.pods_in(ns) if spec.selector.matches(p.labels)
            )
            slug = slugify(str(spec.selector).replace("=", "-"))
            return Group(str(spec), slug, spec.namespace, spec.selector, pods)
        owners = [
            w
            for w in self.cluster.workloads
            if w.namespace == spec.namespace
            and w.name == spec.name
            and (spec.kind is None or w.kind == spec.kind)
        ]
        if not owners:
            # also accept a pod name, as `netreach check` does
            ep = self.cluster.resolve(str(spec))
            if not isinstance(ep, Pod):
                raise QueryError(f"{spec} is not a workload of the snapshot")
            owners = [ep.workload]
        if len(owners) > 1:
            choices = ", ".join(sorted(w.id for w in owners))
            raise QueryError(f"{spec} names several workloads: {choices}; add the [Kind]")
        wl = owners[0]
        pods = tuple(self.cluster.workloads[wl])
        others = [p for p in self.pods_in(wl.namespace) if p.workload != wl]
        selector, also = workload_selector(pods, others)
        return Group(wl.id, slugify(wl.name), wl.namespace, selector, pods, also)
