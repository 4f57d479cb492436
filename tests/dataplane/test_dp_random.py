"""Seeded differential tests: random small snapshots (NetworkPolicy only; with
AdminNetworkPolicy/BaselineAdminNetworkPolicy; with Calico's policies, tiers and network
sets; with Cilium's policies; with both in one input), under every engine option the lab
models, engine vs dataplane, 0 disagreements."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from dp_helpers import need_dataplane
from dp_random import PROBE_PORTS, random_snapshot
from dp_random_cni import (
    random_calico_dual_snapshot,
    random_calico_snapshot,
    random_calico_v6_snapshot,
    random_cilium_dual_snapshot,
    random_cilium_snapshot,
    random_cilium_v6_snapshot,
    random_mixed_snapshot,
)
from dp_random_tiers import random_tiered_snapshot

from netreach.dataplane import EnginePrediction, Probe, Session, judge, prepare, run_isolated
from netreach.dataplane.plan import PortPlan, pod_probes, sanity_probes
from netreach.model import PROTOCOLS, Options, Snapshot
from sampling import examples

pytestmark = pytest.mark.dataplane

PROBES_PER_SNAPSHOT = 150
SEED = 8
# Every combination of the two switches the lab models, in turn.
OPTIONS = [
    Options(),
    Options(ipblock_matches_pods=False),
    Options(self_traffic="allowed"),
    Options(ipblock_matches_pods=False, self_traffic="allowed"),
]


def _run(make: Callable[[int], Snapshot], snapshots: int) -> tuple[int, list[str]]:
    rng = random.Random(SEED)
    probed = 0
    failures: list[str] = []
    ports = {proto: PROBE_PORTS for proto in PROTOCOLS}
    first = prepare(make(0))
    everything, _ = pod_probes(
        first, PortPlan(first, PROTOCOLS, PROBE_PORTS), {e.id for e in first.endpoints}
    )
    with Session(first.addressing, [], ports) as session:
        sanity = session.sanity(first.ruleset(enforce=False), sanity_probes(first, ports))
        failures += [f"sanity: {r.probe} {r.outcome}" for r in sanity]
        for seed in range(snapshots):
            options = OPTIONS[seed % len(OPTIONS)]
            scenario = prepare(make(seed), options=options)
            assert scenario.addressing.pods == first.addressing.pods
            probes: list[Probe] = rng.sample(everything, PROBES_PER_SNAPSHOT)
            results = session.run(scenario.ruleset(), probes)
            prediction = EnginePrediction(scenario.engine_snapshot, options)
            records, faults = judge(probes, results, prediction)
            probed += len(records)
            failures += [f"seed {seed} {options}: {d}" for d in records if not d.agree]
            failures += [f"seed {seed}: fault {r.probe} {r.outcome} {r.detail}" for r in faults]
    return probed, failures


@pytest.mark.slow
@pytest.mark.parametrize(
    ("make", "snapshots"),
    [
        (random_snapshot, examples(200)),
        (random_tiered_snapshot, examples(150)),
        (random_calico_snapshot, examples(150)),
        (random_cilium_snapshot, examples(150)),
        (random_mixed_snapshot, examples(150)),
        # IPv6 and dual-stack labs probe as fast as IPv4 ones, so as many snapshots (their
        # 2 s were blocked TCP probes waiting for a SYN retransmission and rejects lost to
        # the ICMPv6 rate limit: probe._recverr, lab._IPV6_ON)
        (random_calico_v6_snapshot, examples(150)),
        (random_calico_dual_snapshot, examples(150)),
        (random_cilium_v6_snapshot, examples(150)),
        (random_cilium_dual_snapshot, examples(150)),
    ],
    ids=[
        "network-policy",
        "admin-tiers",
        "calico",
        "cilium",
        "calico+cilium",
        "calico-ipv6",
        "calico-dual-stack",
        "cilium-ipv6",
        "cilium-dual-stack",
    ],
)
def test_random_snapshots_agree(make: Callable[[int], Snapshot], snapshots: int) -> None:
    need_dataplane()
    probed, failures = run_isolated(lambda: _run(make, snapshots))
    assert failures == [], "\n".join(failures[:20])
    assert probed == snapshots * PROBES_PER_SNAPSHOT
