"""`netreach audit`: where a cluster departs from the secure pattern (default deny both ways,
targeted allows, the DNS exception, AND selectors across namespaces), computed by the engine.

    >>> import netreach
    >>> report = netreach.load("examples/lesson").audit()
    >>> sorted({f.check for f in report.findings if f.severity == "error"})
    ['dns-blocked']

One module per family of checks; each registers its check ids, severities and documentation
in `registry.CHECKS` when imported (below).
"""

from __future__ import annotations

from netreach.analyses.audit import (  # noqa: F401  (registers the checks, in report order)
    dns,
    exposure,
    isolation,
    ports,
    redundancy,
    selectors,
    tiers,
)
from netreach.analyses.audit.config import AuditConfig, config_from_mapping, load_config
from netreach.analyses.audit.findings import (
    SEVERITIES,
    AuditReport,
    Finding,
    NamespaceSummary,
    ObjectRef,
    Severity,
)
from netreach.analyses.audit.registry import CHECKS, CheckInfo
from netreach.analyses.audit.run import audit

__all__ = [
    "CHECKS",
    "SEVERITIES",
    "AuditConfig",
    "AuditReport",
    "CheckInfo",
    "Finding",
    "NamespaceSummary",
    "ObjectRef",
    "Severity",
    "audit",
    "config_from_mapping",
    "load_config",
]
