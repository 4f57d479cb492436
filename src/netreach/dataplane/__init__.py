"""Prove the engine's answers on a real Linux dataplane: nftables in network namespaces.

`compile_ruleset` is pure (no root). `verify` builds a sandboxed lab, probes it and compares
with the engine; it needs root, nft, ip and unshare.
"""

from __future__ import annotations

from netreach.dataplane.nft import compile_ruleset
from netreach.dataplane.probe import Probe, ProbeResult
from netreach.dataplane.sandbox import DataplaneUnavailable, missing_requirements, run_isolated
from netreach.dataplane.verify import Disagreement, Session, VerifyReport, verify

__all__ = [
    "DataplaneUnavailable",
    "Disagreement",
    "Probe",
    "ProbeResult",
    "Session",
    "VerifyReport",
    "compile_ruleset",
    "missing_requirements",
    "run_isolated",
    "verify",
]
