"""Check the engine's verdicts against a real dataplane built from the same snapshot.

The engine predicts (through the library's query layer only: `Reach.connectivity` for the
matrix, `Reach.check` for Services and explanations); the nft compiler enforces the
dataplane decoder's own reading of the manifests; the kernel decides. Any difference between
the prediction and what the packets did is a disagreement to look at.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, Protocol

from netreach.dataplane.addresses import Addressing
from netreach.dataplane.lab import Lab
from netreach.dataplane.nft import render_address
from netreach.dataplane.objects import Proto
from netreach.dataplane.plan import (
    PortPlan,
    Probe,
    listen_ports,
    pod_probes,
    sanity_probes,
    service_probes,
)
from netreach.dataplane.probe import (
    Listeners,
    Outcome,
    Prober,
    ProbeResult,
    collect_probers,
    fd_limit,
    fork_probers,
)
from netreach.dataplane.sandbox import require_dataplane, run_isolated
from netreach.dataplane.scenario import Scenario, prepare, scope_endpoints
from netreach.dataplane.services import LabService
from netreach.errors import NetreachError, QueryError
from netreach.escape import one_line, terminal
from netreach.model import PROTOCOLS, Options, Snapshot
from netreach.model import Protocol as ModelProtocol


class Progress(Protocol):
    """Where a long run reports how far it is (the CLI draws a bar on a terminal)."""

    def start(self, phase: str, total: int) -> None: ...
    def advance(self, n: int) -> None: ...
    def stop(self) -> None: ...


class Prediction(Protocol):
    """What the dataplane is compared with: the engine, or (in tests) hand-written answers."""

    def allowed(self, probe: Probe) -> bool: ...
    def explain(self, probe: Probe) -> str: ...


class EnginePrediction:
    """The engine's answers for a snapshot that already carries the lab addresses."""

    def __init__(self, snapshot: Snapshot, options: Options) -> None:
        from netreach.query.reach import Reach

        self.cluster = Reach.from_snapshot(snapshot, options)
        self._pairs: dict[tuple[str, str], Any] | None = None
        self._services: dict[tuple[str, str, int, str], bool] = {}

    def _matrix(self) -> dict[tuple[str, str], Any]:
        if self._pairs is None:
            self._pairs = {(c.src, c.dst): c.conns for c in self.cluster.connectivity(by="pod")}
        return self._pairs

    def allowed(self, probe: Probe) -> bool:
        if probe.backend:
            key = (probe.src, probe.dst, probe.port, probe.protocol)
            if key not in self._services:
                try:
                    verdict = self.cluster.check(probe.src, probe.dst, probe.port, probe.protocol)
                    self._services[key] = bool(verdict.allowed)
                except QueryError:
                    self._services[key] = False  # the engine sees no backend to reach
            return self._services[key]
        conns = self._matrix().get((probe.src, probe.dst))
        return conns is not None and bool(conns.contains(probe.protocol, probe.port))

    def explain(self, probe: Probe) -> str:
        try:
            verdict = self.cluster.check(probe.src, probe.dst, probe.port, probe.protocol)
        except QueryError as exc:
            return f"the engine: {exc}"
        text = str(verdict.explain())
        if bool(verdict.allowed) != self.allowed(probe):
            text += "\n(the engine's connectivity map and `check` disagree on this connection)"
        return text


PredictionFactory = Callable[[Snapshot, Options], Prediction]


class ProbeRecord(NamedTuple):
    """One line of `verify -o json`: a connection, what the kernel did, what the engine said.
    A Service connection is allowed on the dataplane when every backend got it."""

    src: str
    dst: str
    port: int
    protocol: str
    dataplane: Literal["allowed", "blocked"]
    engine: Literal["allowed", "denied"]
    detail: str = ""  # the kernel's side: an errno, or the backends that blocked
    explanation: str = ""  # the engine's reasons (filled for disagreements)

    @property
    def agree(self) -> bool:
        return (self.dataplane == "allowed") == (self.engine == "allowed")

    def to_dict(self) -> dict[str, Any]:
        return {
            "src": self.src,
            "dst": self.dst,
            "port": self.port,
            "protocol": self.protocol,
            "dataplane": self.dataplane,
            "engine": self.engine,
            "agree": self.agree,
        }

    def __str__(self) -> str:
        seen = self.dataplane + (f" ({self.detail})" if self.detail else "")
        head = f"{self.src} -> {self.dst} {self.protocol}/{self.port}: "
        lines = [head + f"engine {self.engine}, dataplane {seen}"]
        lines += [f"    {line}" for line in self.explanation.splitlines()]
        return "\n".join(lines)


@dataclass(frozen=True)
class VerifyReport:
    records: tuple[ProbeRecord, ...]
    pods: int
    services: int = 0
    # probes that failed with no policy loaded: the lab, not the policies, is wrong
    sanity_failures: tuple[ProbeResult, ...] = ()
    # probes that ended in neither allowed nor blocked, even when retried
    faults: tuple[ProbeResult, ...] = ()
    # facts the loader and the dataplane decoder read differently
    differences: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # how the lab ran the snapshot (addresses, decoder problems)
    unmodelled: tuple[str, ...] = ()  # what the input holds that the lab does not model
    assigned: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    timings: Mapping[str, float] = field(default_factory=dict)
    probes: int = 0  # connection attempts (a Service record takes one per backend)

    @property
    def disagreements(self) -> tuple[ProbeRecord, ...]:
        return tuple(r for r in self.records if not r.agree)

    @property
    def agree(self) -> int:
        return sum(1 for r in self.records if r.agree)

    @property
    def exit_code(self) -> int:
        """0: everything agrees; 1: a disagreement; 2: nothing to probe, or the lab failed."""
        if self.sanity_failures or self.faults or not self.records:
            return 2
        return 1 if self.disagreements or self.differences else 0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def to_json(self) -> dict[str, Any]:
        return {"version": 1, "probes": [r.to_dict() for r in self.records]}

    def problem_lines(self) -> list[str]:
        """Lab faults, reading differences and what is not modelled: one line each."""
        out: list[str] = []
        if self.sanity_failures:
            out.append(f"harness fault: {len(self.sanity_failures)} probes failed with no policy:")
            out += [f"  {r.probe}: {r.outcome} {r.detail}" for r in self.sanity_failures[:20]]
        if self.faults:
            out.append(
                f"harness fault: {len(self.faults)} probes neither passed nor were rejected:"
            )
            out += [f"  {r.probe}: {r.outcome} {r.detail}" for r in self.faults[:20]]
        out += [f"reading difference: {d}" for d in self.differences]
        out += [f"note: {n}" for n in self.notes]
        out += [f"not modelled: {n}" for n in self.unmodelled]
        return [one_line(line) for line in out]

    def summary(self) -> str:
        if not self.records and not self.sanity_failures:
            return f"nothing to probe ({self.pods} pods)"
        svc = f", {self.services} Services" if self.services else ""
        return f"{len(self.records)} probes, {self.agree} agree ({self.pods} pods{svc})"

    def render(self) -> str:
        out = self.problem_lines()
        for r in self.disagreements:
            out += [terminal(line) for line in str(r).splitlines()]
        out.append(self.summary())
        return "\n".join(out) + "\n"


_FORK_ABOVE = 2000  # fewer probes run in this process: forking costs more than it saves


class Session:
    """A lab with listeners running, reusable for many rulesets over the same pods.

    Use inside `run_isolated` (`verify` does).
    """

    def __init__(
        self,
        addressing: Addressing,
        services: Sequence[LabService],
        listened: Mapping[Proto, Sequence[int]],
        parallel: int = 32,
        timeout: float = 3.0,
        progress: Progress | None = None,
        processes: int | None = None,
    ) -> None:
        self.lab = Lab(addressing, services)
        self.listeners = Listeners(self.lab, listened)
        avoid = sorted({p for plist in listened.values() for p in plist})
        self.avoid = avoid
        self.parallel, self.timeout = parallel, timeout
        # Probing is CPU-bound Python: one prober process per core (at most 4), while the
        # listeners keep answering in this one.
        self.processes = processes or min(4, os.cpu_count() or 1)
        self.prober = Prober(self.lab, parallel, timeout, avoid)
        self.retry = Prober(self.lab, max(1, parallel // 4), timeout * 2, avoid)
        self.progress = progress
        import asyncio

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

    def probe(self, probes: Sequence[Probe], phase: str = "probing") -> list[ProbeResult]:
        """Run `probes`; the results in their order."""
        advance = self.progress.advance if self.progress is not None else None
        if self.progress is not None:
            self.progress.start(phase, len(probes))
        try:
            if self.processes > 1 and len(probes) >= _FORK_ABOVE:
                children = fork_probers(
                    self.lab, probes, self.processes, self.parallel, self.timeout, self.avoid
                )
                return self.runner.run(collect_probers(children, probes, advance))
            by_probe = {r.probe: r for r in self.runner.run(self.prober.run(probes, advance))}
            return [by_probe[p] for p in probes]
        finally:
            if self.progress is not None:
                self.progress.stop()

    def sanity(self, open_ruleset: str, probes: Sequence[Probe]) -> list[ProbeResult]:
        """With no policy (Services only) every probe must get through; those that did not."""
        self.lab.load(open_ruleset)
        return [r for r in self.probe(probes, "checking the lab") if r.outcome != "ok"]

    def run(self, ruleset: str, probes: Sequence[Probe]) -> list[ProbeResult]:
        """Load `ruleset`, probe; the results in the order of `probes`. Probes that neither
        passed nor were rejected are tried once more, slower (a lost packet is no verdict)."""
        start = time.perf_counter()
        self.lab.load(ruleset)
        loaded = time.perf_counter()
        results = self.probe(probes)
        faulty = [r.probe for r in results if r.outcome not in ("ok", "blocked")]
        if faulty:
            again = {r.probe: r for r in self.runner.run(self.retry.run(faulty))}
            results = [again.get(r.probe, r) for r in results]
        self.timings["load"] = loaded - start
        self.timings["probe"] = time.perf_counter() - loaded
        return results

    def recheck(self, probes: Sequence[Probe]) -> list[ProbeResult]:
        """`probes` once more, slower: the lab's answer to a probe whose first answer
        disagreed with the engine. A policy's verdict is the same every time; a neighbour
        lookup that timed out under load (EHOSTUNREACH, as a reject gives) is not."""
        if not probes:
            return []
        again = {r.probe: r for r in self.runner.run(self.retry.run(probes))}
        return [again[p] for p in probes]


async def _close(listeners: Listeners) -> None:
    listeners.close()


def judge(
    probes: Sequence[Probe], results: Iterable[ProbeResult], prediction: Prediction
) -> tuple[list[ProbeRecord], list[ProbeResult]]:
    """Records (one per connection; a Service's backends together) and the lab faults.
    `results` are in the order of `probes`."""
    records: list[ProbeRecord] = []
    faults: list[ProbeResult] = []
    services: dict[tuple[str, str, str, int], list[ProbeResult]] = {}
    for p, r in zip(probes, results, strict=True):
        if p.backend:
            services.setdefault((p.src, p.name or p.dst, p.protocol, p.port), []).append(r)
        elif r.outcome not in ("ok", "blocked"):
            faults.append(r)
        else:
            blocked = r.outcome == "blocked"
            records.append(_record(p, blocked, r.detail if blocked else "", prediction))
    for rs in services.values():
        bad = [r for r in rs if r.outcome not in ("ok", "blocked")]
        if bad:
            faults += bad
            continue
        blocked_to = [r.probe.backend for r in rs if r.outcome == "blocked"]
        detail = (
            f"blocked to {', '.join(blocked_to)} of {len(rs)} backends"
            if blocked_to
            else f"{len(rs)} backends"
        )
        records.append(_record(rs[0].probe, bool(blocked_to), detail, prediction))
    return records, faults


def _record(p: Probe, blocked: bool, detail: str, prediction: Prediction) -> ProbeRecord:
    allowed = prediction.allowed(p)
    explanation = prediction.explain(p) if allowed == blocked else ""  # a disagreement
    return ProbeRecord(
        p.src,
        p.name or p.dst,
        p.port,
        p.protocol,
        "blocked" if blocked else "allowed",
        "allowed" if allowed else "denied",
        detail,
        explanation,
    )


def verify(
    snapshot: Snapshot,
    *,
    sources: Iterable[tuple[str, bytes]] | None = None,
    options: Options | None = None,
    ports: Sequence[int] | None = None,
    protocols: Sequence[ModelProtocol] = PROTOCOLS,
    namespaces: Sequence[str] | None = None,
    parallel: int = 32,
    timeout: float = 3.0,
    progress: Progress | None = None,
    prediction: PredictionFactory | None = None,
    default_namespace: str = "default",
) -> VerifyReport:
    """Build a lab for `snapshot`, probe it and compare with the engine.

    `sources` are the manifests the snapshot was loaded from, as (name, bytes): the dataplane
    reads them on its own, so a loader bug shows up as a disagreement. `options` are the
    engine's (`ipblock_matches_pods`, `self_traffic`; host-network pods must be exempt).
    `ports` replaces the ports chosen from the policies; `namespaces` keeps the probes with an
    end in them. `prediction` replaces the engine (tests). Needs root, nft and ip.
    """
    options = options or Options()
    scenario = prepare(
        snapshot, sources=sources, options=options, default_namespace=default_namespace
    )
    protos: list[Proto] = list(dict.fromkeys(protocols))
    scope = scope_endpoints(scenario.endpoints, namespaces)
    probes, apart = pod_probes(scenario, PortPlan(scenario, protos, ports), scope)
    probes += service_probes(scenario, protos, scope, set(namespaces) if namespaces else None)
    notes = list(scenario.notes)
    if apart:
        notes.append(f"{apart} pod pairs share no address family: they cannot connect, not probed")
    assigned = {
        p.id: tuple(render_address(a) for a in p.addresses)
        for p in scenario.addressing.pods
        if p.assigned
    }
    empty = VerifyReport(
        records=(),
        pods=len(scenario.endpoints),
        services=len(scenario.services),
        differences=tuple(scenario.differences),
        notes=tuple(notes),
        unmodelled=tuple(scenario.unmodelled),
        assigned=assigned,
    )
    if not probes:
        return empty
    start = time.perf_counter()
    predictor = (prediction or EnginePrediction)(scenario.engine_snapshot, options)
    for p in probes:
        predictor.allowed(p)  # warm the engine before the lab starts
    engine_time = time.perf_counter() - start
    listened = listen_ports(scenario, probes, protos)
    listeners_needed = _fds(scenario, listened)
    if listeners_needed > fd_limit() - 2 * parallel - 64:
        raise NetreachError(
            f"the lab would need {listeners_needed} listening sockets, over the open-file "
            f"limit ({fd_limit()}): probe fewer ports (--ports) or fewer pods (-n)"
        )
    sanity = sanity_probes(scenario, listened)
    enforced, open_ruleset = scenario.ruleset(True), scenario.ruleset(False)
    require_dataplane()

    def inside() -> tuple[list[ProbeResult], list[tuple[Outcome, str]], dict[str, float]]:
        with Session(
            scenario.addressing, scenario.services, listened, parallel, timeout, progress
        ) as s:
            t0 = time.perf_counter()
            failures = s.sanity(open_ruleset, sanity)
            s.timings["sanity"] = time.perf_counter() - t0
            if failures:
                return failures, [], s.timings
            results = s.run(enforced, probes)
            # A disagreement is confirmed by a second, slower probe before it is reported.
            suspects = [
                i
                for i, (p, r) in enumerate(zip(probes, results, strict=True))
                if not p.backend
                and r.outcome in ("ok", "blocked")
                and (r.outcome == "ok") != predictor.allowed(p)
            ]
            for i, r in zip(suspects, s.recheck([probes[i] for i in suspects]), strict=True):
                if r.outcome != results[i].outcome:
                    results[i] = r
            # outcomes in probe order: far cheaper to pickle than the results themselves
            return [], [(r.outcome, r.detail) for r in results], s.timings

    failures, outcomes, timings = run_isolated(inside)
    timings = {"engine": engine_time, **timings}
    if failures:
        return dataclasses.replace(empty, sanity_failures=tuple(failures), timings=timings)
    results = [
        ProbeResult(p, outcome, detail)
        for p, (outcome, detail) in zip(probes, outcomes, strict=True)
    ]
    records, faults = judge(probes, results, predictor)
    return dataclasses.replace(
        empty,
        records=tuple(records),
        faults=tuple(faults),
        timings=timings,
        probes=len(probes),
    )


def _fds(scenario: Scenario, listened: Mapping[Proto, Sequence[int]]) -> int:
    per_address = len(listened.get("TCP", ())) + len(listened.get("UDP", ())) + 1
    return per_address * sum(len(e.pod.addresses) for e in scenario.endpoints)
