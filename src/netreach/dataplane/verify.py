"""Check the engine's verdicts against a real dataplane built from the same snapshot.

The engine predicts; the nft compiler reads the policies on its own; the kernel decides. Any
difference between the prediction and what the packets did is a disagreement to look at.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from netreach.dataplane.lab import Lab
from netreach.dataplane.nft import compile_ruleset
from netreach.dataplane.plan import auto_ports, matrix, with_lab_ips
from netreach.dataplane.probe import Listeners, Outcome, Probe, Prober, ProbeResult
from netreach.dataplane.resolve import lab_pods, pod_ipv4
from netreach.dataplane.sandbox import require_dataplane, run_isolated
from netreach.model import PROTOCOLS, Protocol, Snapshot

# The engine's verdict for one probe, and (asked only on disagreement) why.
Predict = Callable[[Probe], bool]
Explain = Callable[[Probe], str]


@dataclass(frozen=True, slots=True)
class Disagreement:
    probe: Probe
    engine_allowed: bool
    explanation: str
    dataplane: Outcome
    detail: str

    def __str__(self) -> str:
        engine = "allowed" if self.engine_allowed else "denied"
        seen = self.dataplane + (f" ({self.detail})" if self.detail else "")
        lines = [f"{self.probe}: engine {engine}, dataplane {seen}"]
        lines += [f"    {line}" for line in self.explanation.splitlines()]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class VerifyReport:
    pods: int
    probes: int
    agree: int
    disagreements: tuple[Disagreement, ...]
    # probes that failed with no policy loaded: the lab, not the policies, is wrong
    sanity_failures: tuple[ProbeResult, ...] = ()
    assigned_ips: Mapping[str, str] = field(default_factory=dict)
    timings: Mapping[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.disagreements and not self.sanity_failures

    def render(self) -> str:
        out: list[str] = []
        if self.sanity_failures:
            out.append(f"harness fault: {len(self.sanity_failures)} probes failed with no policy:")
            out += [f"  {r.probe}: {r.outcome} {r.detail}" for r in self.sanity_failures[:20]]
        out += [str(d) for d in self.disagreements]
        out.append(f"{self.probes} probes, {self.agree} agree ({self.pods} pods)")
        return "\n".join(out) + "\n"


class Session:
    """A lab with listeners running, reusable for many snapshots over the same pods and IPs.

    Use inside `run_isolated` (or `netreach verify`, which re-executes itself in a sandbox).
    """

    def __init__(
        self,
        pods: Sequence[tuple[str, str]],
        ports: Mapping[Protocol, Sequence[int]],
        parallel: int = 32,
        timeout: float = 3.0,
    ) -> None:
        self.lab = Lab(pods)
        self.listeners = Listeners(self.lab, ports)
        listened = {port for plist in ports.values() for port in plist}
        self.prober = Prober(self.lab, parallel, timeout, avoid=listened)
        self.runner = asyncio.Runner()
        self.timings: dict[str, float] = {}

    def __enter__(self) -> Session:
        start = time.perf_counter()
        try:
            self.lab.build()
            self.runner.run(self.listeners.start())
        except BaseException:
            self.close()
            raise
        self.timings["lab"] = time.perf_counter() - start
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.runner.run(_close(self.listeners))
        self.runner.close()
        self.lab.close()

    def probe(self, probes: Sequence[Probe]) -> list[ProbeResult]:
        return self.runner.run(self.prober.run(probes))

    def sanity(self, probes: Sequence[Probe]) -> list[ProbeResult]:
        """With no policy loaded every probe must get through; return those that did not."""
        self.lab.clear()
        return [r for r in self.probe(probes) if r.outcome != "ok"]

    def check(
        self, snapshot: Snapshot, probes: Sequence[Probe], predict: Predict, explain: Explain
    ) -> VerifyReport:
        """Load `snapshot`'s compiled policies, probe, and compare with the engine."""
        start = time.perf_counter()
        self.lab.load(compile_ruleset(snapshot))
        loaded = time.perf_counter()
        results = self.probe(probes)
        probed = time.perf_counter()
        disagreements = []
        for r in sorted(results, key=lambda r: r.probe):
            allowed = predict(r.probe)
            if r.outcome == ("ok" if allowed else "blocked"):
                continue
            disagreements.append(
                Disagreement(r.probe, allowed, explain(r.probe), r.outcome, r.detail)
            )
        timings = {"load": loaded - start, "probe": probed - loaded}
        return VerifyReport(
            pods=len(self.lab.pods),
            probes=len(results),
            agree=len(results) - len(disagreements),
            disagreements=tuple(disagreements),
            timings=timings,
        )


async def _close(listeners: Listeners) -> None:
    listeners.close()


def engine_prediction(snapshot: Snapshot) -> tuple[Predict, Explain]:
    """The engine's answers for `snapshot` (which must already carry the lab IPs)."""
    import netreach

    cluster = netreach.Cluster.from_snapshot(snapshot, netreach.Options(ipblock_matches_pods=True))

    def predict(p: Probe) -> bool:
        return bool(cluster.check(p.src, p.dst, p.port, p.protocol).allowed)

    def explain(p: Probe) -> str:
        return str(cluster.check(p.src, p.dst, p.port, p.protocol).explain())

    return predict, explain


def verify(
    snapshot: Snapshot,
    *,
    ports: Sequence[int] | None = None,
    protocols: Sequence[Protocol] = PROTOCOLS,
    parallel: int = 32,
    timeout: float = 3.0,
    prediction: Callable[[Snapshot], tuple[Predict, Explain]] = engine_prediction,
) -> VerifyReport:
    """Build a lab for `snapshot`, probe every pod pair on `ports` (default: chosen from the
    policies) and compare with the engine. Needs root, nft, ip and unshare."""
    require_dataplane()
    snapshot, assigned = with_lab_ips(snapshot)
    predict, explain = prediction(snapshot)
    port_list = list(ports) if ports is not None else auto_ports(snapshot)
    probes = matrix(snapshot, protocols, port_list)
    pods = [(p.id, str(pod_ipv4(p))) for p in lab_pods(snapshot)]

    def inside() -> VerifyReport:
        with Session(pods, {proto: port_list for proto in protocols}, parallel, timeout) as s:
            start = time.perf_counter()
            failures = s.sanity(probes)
            sanity = time.perf_counter() - start
            if failures:
                return VerifyReport(len(pods), len(probes), 0, (), tuple(failures), assigned)
            report = s.check(snapshot, probes, predict, explain)
            timings = {"lab": s.timings["lab"], "sanity": sanity, **report.timings}
            return VerifyReport(
                report.pods, report.probes, report.agree, report.disagreements,
                (), assigned, timings,
            )  # fmt: skip

    return run_isolated(inside)
