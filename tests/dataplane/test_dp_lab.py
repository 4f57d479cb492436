"""The lab itself, against hand-written expectations (no engine involved)."""

from __future__ import annotations

import subprocess

import pytest
from dp_helpers import block, need_dataplane, ns, pod, pods_peer, policy, port, rule, sel, snapshot

from netreach.dataplane import Probe, verify
from netreach.dataplane.verify import Explain, Predict
from netreach.model import ContainerPort, Snapshot

pytestmark = pytest.mark.dataplane

SNAP = snapshot(
    [ns("app"), ns("tools")],
    [
        pod("app/web", "10.244.0.2", app="web"),
        pod("app/db", "10.244.0.3", (ContainerPort(5432, "TCP", "pg"),), app="db"),
        pod("tools/client", "10.244.0.4", app="client"),
    ],
    [
        policy("app/deny", sel(), ("ingress", "egress")),
        policy(
            "app/db-from-web",
            sel(app="db"),
            ("ingress",),
            ingress=(rule(pods_peer(app="web"), ports=(port("pg"),)),),
        ),
        policy(
            "app/web-out",
            sel(app="web"),
            ("egress",),
            egress=(
                rule(
                    pods_peer(app="db"),
                    block("10.244.0.0/16", "10.244.0.2/32"),
                    ports=(port(5432), port(80, "UDP", 90)),
                ),
            ),
        ),
    ],
)
# Worked out by hand: db and client are reached only through web's egress rule.
ALLOWED = {
    ("app/web", "app/db", "TCP", 5432),
    ("app/web", "tools/client", "TCP", 5432),
    ("app/web", "tools/client", "UDP", 80),
    ("app/web", "tools/client", "UDP", 81),
}


def _expect(allowed: set[tuple[str, str, str, int]]) -> tuple[Predict, Explain]:
    def predict(p: Probe) -> bool:
        return (p.src, p.dst, p.protocol, p.port) in allowed

    return predict, lambda p: "hand-written expectation"


def test_lab_matches_hand_written_verdicts() -> None:
    need_dataplane()
    report = verify(SNAP, ports=[80, 81, 5432], prediction=lambda s: _expect(ALLOWED))
    assert report.render() and report.disagreements == ()
    assert report.probes == 6 * 3 * 3 and report.agree == report.probes


def test_lab_reports_a_wrong_prediction() -> None:
    need_dataplane()
    wrong = ALLOWED | {("tools/client", "app/db", "SCTP", 5432)}

    def prediction(snap: Snapshot) -> tuple[Predict, Explain]:
        return _expect(wrong)

    report = verify(SNAP, ports=[5432], protocols=["SCTP"], prediction=prediction)
    assert [str(d).splitlines()[0] for d in report.disagreements] == [
        "tools/client -> app/db SCTP/5432: engine allowed, dataplane blocked (EHOSTUNREACH)"
    ]
    assert not report.ok and report.agree == report.probes - 1


def _host_state() -> tuple[str, str, str]:
    def out(*cmd: str) -> str:
        return subprocess.run(cmd, capture_output=True, text=True).stdout

    return out("ip", "netns", "list"), out("nft", "list", "ruleset"), out("ip", "-br", "link")


def test_host_is_left_untouched() -> None:
    need_dataplane()
    before = _host_state()
    verify(SNAP, ports=[5432], protocols=["TCP"], prediction=lambda s: _expect(ALLOWED))
    assert _host_state() == before
