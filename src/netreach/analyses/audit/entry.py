"""Intended public entry points: workloads meant to be reached from anywhere (a web
frontend, an ingress controller), whose world-open findings are lowered to information.

A workload is an entry point when the settings name it (`entry-points`: a namespace, e.g.
an ingress controller's, or `namespace/workload`), or when a LoadBalancer or NodePort
Service of its namespace selects it (`entry-point-services`, on by default): the manifests
then publish it outside the cluster themselves. Never on a sensitive port: a database
behind a LoadBalancer stays an error."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from netreach.analyses.audit.config import AuditConfig
from netreach.model import Pod
from netreach.query.reach import Reach

PUBLISHING = ("LoadBalancer", "NodePort")


class EntryPoints:
    def __init__(self, cluster: Reach, config: AuditConfig) -> None:
        self.cluster = cluster
        self.config = config

    @cached_property
    def _services(self) -> dict[str, list[tuple[str, dict[str, str]]]]:
        """Namespace -> (what, selector) of the Services that publish pods."""
        out: dict[str, list[tuple[str, dict[str, str]]]] = {}
        if self.config.entry_point_services:
            for s in self.cluster.snapshot.services:
                if s.type in PUBLISHING and s.selector:
                    out.setdefault(s.namespace, []).append(
                        (f"Service {s.id} ({s.type})", dict(s.selector))
                    )
        return out

    def reason(self, pod: Pod) -> str | None:
        """Why `pod` is an intended entry point, or None."""
        w = pod.workload
        for entry in self.config.entry_points:
            ns, _, name = entry.partition("/")
            if ns == pod.namespace and (not name or name == w.name):
                return f"listed in the audit setting entry-points ({entry})"
        for label, selector in self._services.get(pod.namespace, ()):
            if all(pod.labels.get(k) == v for k, v in selector.items()):
                return f"published by {label}"
        return None

    def of_all(self, pods: Sequence[Pod]) -> str | None:
        """The reason of the first pod, when every pod is an entry point."""
        first: str | None = None
        for p in pods:
            why = self.reason(p)
            if why is None:
                return None
            first = first or why
        return first
