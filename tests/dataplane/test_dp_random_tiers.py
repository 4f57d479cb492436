"""Seeded differential test with admin tiers: random snapshots with AdminNetworkPolicy and
BaselineAdminNetworkPolicy, engine vs dataplane, 0 disagreements."""

from __future__ import annotations

import random

import pytest
from dp_helpers import need_dataplane
from dp_random import POD_IDS, POD_IPS, PROBE_PORTS, random_snapshot
from dp_random_tiers import random_tiered_snapshot

from netreach.dataplane import Probe, Session, run_isolated
from netreach.dataplane.plan import matrix
from netreach.dataplane.verify import engine_prediction
from netreach.model import PROTOCOLS

pytestmark = pytest.mark.dataplane

SNAPSHOTS = 150
PROBES_PER_SNAPSHOT = 150
SEED = 8


def _run() -> tuple[int, list[str]]:
    rng = random.Random(SEED)
    probed = 0
    failures: list[str] = []
    ports = {proto: PROBE_PORTS for proto in PROTOCOLS}
    with Session(list(zip(POD_IDS, POD_IPS, strict=True)), ports) as session:
        everything = matrix(random_snapshot(0), PROTOCOLS, PROBE_PORTS)
        failures += [f"sanity: {r.probe} {r.outcome}" for r in session.sanity(everything)]
        for seed in range(SNAPSHOTS):
            snap = random_tiered_snapshot(seed)
            probes: list[Probe] = rng.sample(everything, PROBES_PER_SNAPSHOT)
            report = session.check(snap, probes, *engine_prediction(snap))
            probed += report.probes
            failures += [f"seed {seed}: {d}" for d in report.disagreements]
    return probed, failures


def test_random_tiered_snapshots_agree() -> None:
    need_dataplane()
    probed, failures = run_isolated(_run)
    assert probed == SNAPSHOTS * PROBES_PER_SNAPSHOT
    assert failures == [], "\n".join(failures[:20])
