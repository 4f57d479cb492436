"""The lab itself, against hand-written expectations (no engine involved)."""

from __future__ import annotations

import subprocess

import pytest
from dp_helpers import block, need_dataplane, ns, pod, pods_peer, policy, port, rule, sel, snapshot

from netreach.dataplane import Probe, verify
from netreach.dataplane.verify import PredictionFactory
from netreach.model import ContainerPort, Options

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


def allowed_by_hand(p: Probe) -> bool:
    """Worked out by hand: db and client are reached only through web's egress rule; the
    client (no policy in tools) may reach itself; app pods are isolated both ways."""
    if p.src == p.dst == "tools/client":
        return True
    return (p.src, p.dst, p.protocol, p.port) in {
        ("app/web", "app/db", "TCP", 5432),
        ("app/web", "tools/client", "TCP", 5432),
        ("app/web", "tools/client", "UDP", 80),
        ("app/web", "tools/client", "UDP", 81),
    }


class ByHand:
    def __init__(self, extra: set[str] | None = None) -> None:
        self.extra = extra or set()

    def allowed(self, p: Probe) -> bool:
        return allowed_by_hand(p) or str(p) in self.extra

    def explain(self, p: Probe) -> str:
        return "hand-written expectation"


def _by_hand(extra: set[str] | None = None) -> PredictionFactory:
    return lambda snap, options: ByHand(extra)


def test_lab_matches_hand_written_verdicts() -> None:
    need_dataplane()
    report = verify(SNAP, ports=[80, 81, 5432], prediction=_by_hand())
    assert report.disagreements == () and report.faults == (), report.render()
    # 3 pods x 3 destinations (a pod and itself included) x 3 protocols x 3 ports
    assert len(report.records) == 3 * 3 * 3 * 3 and report.exit_code == 0


def test_lab_reports_a_wrong_prediction() -> None:
    need_dataplane()
    wrong = {"tools/client -> app/db SCTP/5432"}
    report = verify(SNAP, ports=[5432], protocols=["SCTP"], prediction=_by_hand(wrong))
    assert [str(d).splitlines()[0] for d in report.disagreements] == [
        "tools/client -> app/db SCTP/5432: engine allowed, dataplane blocked (EHOSTUNREACH)"
    ]
    assert report.exit_code == 1 and report.agree == len(report.records) - 1


def test_self_traffic_goes_through_the_node() -> None:
    """An isolated pod reaching its own address is blocked (the node's ruleset decides it),
    unless --self-traffic allowed."""
    need_dataplane()
    one = snapshot(
        [ns("app")], [pod("app/web", "10.244.0.2")], [policy("app/deny", sel(), ("ingress",))]
    )

    def run(options: Options) -> str:
        report = verify(one, ports=[80], protocols=["TCP"], options=options)
        assert report.exit_code == 0, report.render()
        (record,) = report.records
        return record.dataplane

    assert run(Options()) == "blocked"
    assert run(Options(self_traffic="allowed")) == "allowed"


def _host_state() -> tuple[str, ...]:
    def out(*cmd: str) -> str:
        return subprocess.run(cmd, capture_output=True, text=True).stdout

    mounts = [line for line in out("cat", "/proc/self/mountinfo").splitlines() if "/run" in line]
    return (
        out("ip", "netns", "list"),
        out("nft", "list", "ruleset"),
        out("ip", "-br", "link"),
        "\n".join(sorted(mounts)),
        out("ls", "-a", "/run"),
    )


def test_host_is_left_untouched() -> None:
    need_dataplane()
    before = _host_state()
    verify(SNAP, ports=[5432], protocols=["TCP"], prediction=_by_hand())
    assert _host_state() == before


def test_prober_processes_give_the_results_of_one() -> None:
    """Above 2000 probes the work is split over prober processes (one per core); the
    results, in probe order, are those one process finds."""
    need_dataplane()
    from netreach.dataplane import Session, prepare, run_isolated
    from netreach.dataplane.plan import PortPlan, listen_ports, pod_probes

    scenario = prepare(SNAP)
    ids = {e.id for e in scenario.endpoints}
    probes, _ = pod_probes(
        scenario, PortPlan(scenario, ["TCP", "UDP", "SCTP"], range(5400, 5480)), ids
    )
    assert len(probes) > 2000
    listened = listen_ports(scenario, probes, ["TCP", "UDP", "SCTP"])

    def run(processes: int) -> list[tuple[str, str]]:
        with Session(scenario.addressing, [], listened, processes=processes) as s:
            return [(str(r.probe), r.outcome) for r in s.run(scenario.ruleset(), probes)]

    one, three = run_isolated(lambda: (run(1), run(3)))
    assert one == three and [p for p, _ in one] == [str(p) for p in probes]
    assert {o for _, o in one} == {"ok", "blocked"}
