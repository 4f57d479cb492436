"""Seeded differential tests: random small snapshots (NetworkPolicy only, and with
AdminNetworkPolicy/BaselineAdminNetworkPolicy), engine vs dataplane, 0 disagreements."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from dp_helpers import need_dataplane
from dp_random import POD_IDS, POD_IPS, PROBE_PORTS, random_snapshot
from dp_random_tiers import random_tiered_snapshot

from netreach.dataplane import Probe, Session, run_isolated
from netreach.dataplane.plan import matrix
from netreach.dataplane.verify import engine_prediction
from netreach.model import PROTOCOLS, Snapshot

pytestmark = pytest.mark.dataplane

PROBES_PER_SNAPSHOT = 150
SEED = 8


def _run(make: Callable[[int], Snapshot], snapshots: int) -> tuple[int, list[str]]:
    rng = random.Random(SEED)
    probed = 0
    failures: list[str] = []
    ports = {proto: PROBE_PORTS for proto in PROTOCOLS}
    with Session(list(zip(POD_IDS, POD_IPS, strict=True)), ports) as session:
        everything = matrix(random_snapshot(0), PROTOCOLS, PROBE_PORTS)
        failures += [f"sanity: {r.probe} {r.outcome}" for r in session.sanity(everything)]
        for seed in range(snapshots):
            snap = make(seed)
            probes: list[Probe] = rng.sample(everything, PROBES_PER_SNAPSHOT)
            report = session.check(snap, probes, *engine_prediction(snap))
            probed += report.probes
            failures += [f"seed {seed}: {d}" for d in report.disagreements]
    return probed, failures


@pytest.mark.parametrize(
    ("make", "snapshots"),
    [(random_snapshot, 200), (random_tiered_snapshot, 150)],
    ids=["network-policy", "admin-tiers"],
)
def test_random_snapshots_agree(make: Callable[[int], Snapshot], snapshots: int) -> None:
    need_dataplane()
    probed, failures = run_isolated(lambda: _run(make, snapshots))
    assert probed == snapshots * PROBES_PER_SNAPSHOT
    assert failures == [], "\n".join(failures[:20])
