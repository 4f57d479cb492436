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
from netreach.cluster import Cluster
from netreach.model import Pod

PUBLISHING = ("LoadBalancer", "NodePort")


class EntryPoints:
    def __init__(self, cluster: Cluster, config: AuditConfig) -> None:
        self.cluster = cluster
        self.config = config

    @cached_property
    def _services(self) -> list[tuple[str, str, dict[str, str]]]:
        if not self.config.entry_point_services:
            return []
        return [
            (s.namespace, f"Service {s.id} ({s.type})", dict(s.selector))
            for s in self.cluster.snapshot.services
            if s.type in PUBLISHING and s.selector
        ]

    def reason(self, pod: Pod) -> str | None:
        """Why `pod` is an intended entry point, or None."""
        w = pod.workload
        for entry in self.config.entry_points:
            ns, _, name = entry.partition("/")
            if ns == pod.namespace and (not name or name == w.name):
                return f"listed in the audit setting entry-points ({entry})"
        for ns, label, selector in self._services:
            if ns == pod.namespace and all(pod.labels.get(k) == v for k, v in selector.items()):
                return f"published by {label}"
        return None

    def of_all(self, pods: Sequence[Pod]) -> str | None:
        """The reason shared by every pod (the first one's), when each is an entry point."""
        reasons = [self.reason(p) for p in pods]
        if not reasons or any(r is None for r in reasons):
            return None
        return reasons[0]
