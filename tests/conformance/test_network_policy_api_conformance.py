"""The conformance scenarios of kubernetes-sigs/network-policy-api, re-expressed as data.

Each file under scenarios/ names the upstream test it re-expresses, adds its policies to the
shared fixture (base.yaml) and lists probes `[src, dst, port, protocol, allowed]`. A probe is
checked with `Cluster.check` and against the connectivity map, so both agree with upstream.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from netreach.cluster import Cluster
from netreach.engine.conns import EMPTY
from netreach.loader import load_sources
from netreach.loader.sources import Source

HERE = Path(__file__).parent
SCENARIOS = sorted((HERE / "scenarios").glob("*.yaml"))


def _cluster(scenario: dict[str, Any]) -> Cluster:
    base = Source("base.yaml", (HERE / "base.yaml").read_bytes())
    extra = Source("scenario.yaml", scenario["manifests"].encode())
    return Cluster(load_sources([base, extra]))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario(path: Path) -> None:
    scenario = yaml.safe_load(path.read_text())
    assert scenario["upstream"].startswith("conformance/"), "name the upstream test"
    cluster = _cluster(scenario)
    pairs = {(c.src, c.dst): c.conns for c in cluster.connectivity(by="pod", external=True)}
    for src, dst, port, protocol, want in scenario["expect"]:
        verdict = cluster.check(src, dst, port, protocol)
        assert verdict.allowed is want, verdict.explain()
        if "/" in src and "/" in dst:
            assert pairs.get((src, dst), EMPTY).contains(protocol, port) is want, (src, dst)
    warnings = [str(w) for w in cluster.snapshot.warnings]
    for text in scenario.get("warnings", []):
        assert any(text in w for w in warnings), warnings


def test_every_scenario_is_collected() -> None:
    assert len(SCENARIOS) >= 12
