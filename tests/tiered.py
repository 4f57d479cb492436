"""Snapshots with admin tiers that analyses are checked against the engine on: the lesson
with examples/tiers, user story 5 (examples/baseline-deny-all), and every network-policy-api
conformance scenario of tests/conformance."""

from __future__ import annotations

from pathlib import Path

import yaml

import netreach
from netreach.cluster import Cluster
from netreach.loader import load_sources
from netreach.loader.sources import Source
from paths import ROOT

CONFORMANCE = ROOT / "tests" / "conformance"
SCENARIOS = sorted((CONFORMANCE / "scenarios").glob("*.yaml"))
NAMES = ["lesson+tiers", "baseline-deny-all", *(p.stem for p in SCENARIOS)]


def load(name: str) -> Cluster:
    if name == "lesson+tiers":
        return netreach.load(str(ROOT / "examples" / "lesson"), str(ROOT / "examples" / "tiers"))
    if name == "baseline-deny-all":
        return netreach.load(str(ROOT / "examples" / "baseline-deny-all"))
    scenario = yaml.safe_load(Path(CONFORMANCE / "scenarios" / f"{name}.yaml").read_text())
    base = Source("base.yaml", (CONFORMANCE / "base.yaml").read_bytes())
    extra = Source("scenario.yaml", scenario["manifests"].encode())
    return Cluster(load_sources([base, extra]))
