"""Prove the engine's answers on a real Linux dataplane: nftables in network namespaces.

`compile_ruleset` is pure (no root). `verify` builds a sandboxed lab, probes it and compares
with the engine; it needs root, nft and ip.
"""

from __future__ import annotations

from netreach.dataplane.plan import Probe
from netreach.dataplane.probe import ProbeResult
from netreach.dataplane.sandbox import DataplaneUnavailable, missing_requirements, run_isolated
from netreach.dataplane.scenario import Scenario, compile_ruleset, prepare
from netreach.dataplane.verify import (
    EnginePrediction,
    Prediction,
    ProbeRecord,
    Progress,
    Session,
    VerifyReport,
    judge,
    verify,
)

__all__ = [
    "DataplaneUnavailable",
    "EnginePrediction",
    "Prediction",
    "Probe",
    "ProbeRecord",
    "ProbeResult",
    "Progress",
    "Scenario",
    "Session",
    "VerifyReport",
    "compile_ruleset",
    "judge",
    "missing_requirements",
    "prepare",
    "run_isolated",
    "verify",
]
