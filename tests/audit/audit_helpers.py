"""Shared helpers of the audit tests (a plain module: conftest names clash across folders)."""

from __future__ import annotations

from builders import ns
from netreach.analyses.audit import AuditConfig, Finding
from netreach.cluster import Cluster

NSS = [ns("default"), ns("other", team="backend"), ns("kube-system")]


def findings(c: Cluster, check: str, config: AuditConfig | None = None) -> list[Finding]:
    return [f for f in c.audit(config).findings if f.check == check]
