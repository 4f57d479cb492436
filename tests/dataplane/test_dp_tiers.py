"""The admin tiers through the nft compiler: the ruleset's shape (pure), and every conformance
scenario probed on a real kernel against the engine's predictions (root, nft, unshare)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from dp_helpers import need_dataplane

from netreach.dataplane import compile_ruleset, verify
from netreach.loader import load_sources
from netreach.loader.sources import Source
from netreach.model import Snapshot
from paths import ROOT

CONFORMANCE = ROOT / "tests" / "conformance"
SCENARIOS = sorted((CONFORMANCE / "scenarios").glob("*.yaml"))


def _sources(path: Path) -> list[Source]:
    scenario = yaml.safe_load(path.read_text())
    base = Source("base.yaml", (CONFORMANCE / "base.yaml").read_bytes())
    return [base, Source(path.name, scenario["manifests"].encode())]


def _snapshot(path: Path) -> Snapshot:
    return load_sources(_sources(path))


def test_tiered_ruleset_orders_admin_then_network_policy_then_baseline() -> None:
    text = compile_ruleset(_snapshot(CONFORMANCE / "scenarios" / "integration-deny.yaml"))
    ingress = text[text.index("  chain ingress {") :]
    # the Admin Deny comes first, then the hand-over to NetworkPolicy, then Baseline
    assert ingress.index("reject") < ingress.index("goto in_np")
    assert text.index("chain in_np_rules") < text.index("chain in_baseline")
    assert "jump egress" in text and "jump ingress" in text
    assert "[Admin] Deny (from-snakes) AdminNetworkPolicy/guard ingress[0]" in text
    assert "[Baseline] Deny BaselineAdminNetworkPolicy/default egress[0]" in text
    assert "ip daddr @in_iso4 goto in_np_rules" in text


def test_pass_rules_go_to_the_network_policy_chains() -> None:
    text = compile_ruleset(_snapshot(CONFORMANCE / "scenarios" / "priority.yaml"))
    assert "goto in_np comment" in text and "goto eg_np comment" in text


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_conformance_scenario_agrees_with_the_kernel(path: Path) -> None:
    need_dataplane()
    sources = _sources(path)
    report = verify(load_sources(sources), sources=[(s.name, s.read_bytes()) for s in sources])
    assert report.sanity_failures == ()
    assert report.ok, report.render()
    assert len(report.records) >= report.pods**2 * 3  # every pair, every protocol
