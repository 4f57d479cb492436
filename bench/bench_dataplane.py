"""Dataplane benchmark: lab creation and a full TCP matrix at 50 and 200 pods.

Usage (root, nft, ip, unshare):  python bench/bench_dataplane.py [--pods 50 200] [--parallel 32]

Scenario: 10 namespaces, default-deny ingress everywhere, the same namespace allowed on TCP
8080, and namespace ns0 allowed into every namespace on TCP 8080. Prints one line per size.
"""

from __future__ import annotations

import argparse
import sys
import time

from netreach.dataplane import Session, missing_requirements, run_isolated
from netreach.dataplane.plan import matrix
from netreach.dataplane.verify import engine_prediction
from netreach.model import (
    LabelSelector,
    Namespace,
    NetworkPolicy,
    Peer,
    Pod,
    PolicyPort,
    Rule,
    Snapshot,
    WorkloadRef,
)

NAMESPACES = 10
PORT = 8080


def scenario(pods: int) -> Snapshot:
    names = [f"ns{i}" for i in range(NAMESPACES)]
    namespaces = {n: Namespace(n, {"kubernetes.io/metadata.name": n, "idx": n}) for n in names}
    pod_list = []
    for i in range(pods):
        ns = names[i % NAMESPACES]
        ip = f"10.244.{i // 250}.{i % 250 + 2}"
        pod_list.append(
            Pod(ns, f"p{i}", {"app": f"a{i % 3}"}, WorkloadRef(ns, f"p{i}", "Pod"), ips=(ip,))
        )
    everything = LabelSelector()
    same_ns = Rule(peers=(Peer(pod_selector=everything),), ports=(PolicyPort("TCP", PORT),))
    from_ns0 = Rule(
        peers=(Peer(namespace_selector=LabelSelector(match_labels=(("idx", "ns0"),))),),
        ports=(PolicyPort("TCP", PORT),),
    )
    policies = []
    for n in names:
        policies += [
            NetworkPolicy(n, "default-deny", everything, ("ingress",)),
            NetworkPolicy(n, "same-ns", everything, ("ingress",), ingress=(same_ns,)),
            NetworkPolicy(n, "from-ns0", everything, ("ingress",), ingress=(from_ns0,)),
        ]
    return Snapshot(namespaces, pod_list, policies)


def run(pods: int, parallel: int, timeout: float) -> str:
    snap = scenario(pods)
    start = time.perf_counter()
    predict, _ = engine_prediction(snap)
    probes = matrix(snap, ["TCP"], [PORT])
    expected = {p: predict(p) for p in probes}
    engine = time.perf_counter() - start

    def inside() -> str:
        ids = [(p.id, p.ips[0]) for p in snap.pods]
        with Session(ids, {"TCP": [PORT]}, parallel, timeout) as session:
            report = session.check(snap, probes, expected.__getitem__, lambda p: "")
            t = report.timings
            return (
                f"{pods:4d} pods: lab {session.timings['lab']:.2f} s, nft load {t['load']:.2f} s, "
                f"TCP matrix {t['probe']:.2f} s ({report.probes} probes, "
                f"{report.probes / t['probe']:.0f}/s), engine {engine:.2f} s, "
                f"{report.agree} agree, {len(report.disagreements)} disagree"
            )

    return run_isolated(inside)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--parallel", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=3.0)
    args = parser.parse_args()
    missing = missing_requirements()
    if missing:
        print(f"bench_dataplane: cannot run here: missing {', '.join(missing)}", file=sys.stderr)
        return 2
    for pods in args.pods:
        print(run(pods, args.parallel, args.timeout), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
