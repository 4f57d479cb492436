"""Dataplane benchmark: `netreach verify` end to end on a real-shaped cluster.

Usage (root, nft, ip):  python bench/bench_dataplane.py [--pods 50 200] [--parallel 32]

The cluster comes from bench/generate.py (Deployments whose pods carry a pod-template-hash,
10 namespaces, default-deny, DNS egress, named ports, endPort ranges, ipBlocks with except,
matchExpressions). Every size runs the command users run, with TCP, UDP and SCTP and the
default ports, and prints wall time, the CPU time of the run (meaningful on a busy machine),
the phases `verify -v` reports, and the load average before the run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import Size, generate  # noqa: E402

# namespaces x workloads x replicas (+1 coredns pod from its template)
SIZES = {50: Size(5, 5, 2), 100: Size(10, 5, 2), 200: Size(10, 5, 4), 400: Size(10, 10, 4)}


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(pods: int, parallel: int, workdir: Path) -> str:
    path = workdir / f"cluster-{pods}.json"
    doc = {"apiVersion": "v1", "kind": "List", "items": generate(SIZES[pods])}
    path.write_text(json.dumps(doc))
    cli = "from netreach.cli import main; main()"
    command = [sys.executable, "-c", cli, "verify", str(path), "-v",
               "--parallel", str(parallel), "-o", "json"]  # fmt: skip
    load = os.getloadavg()[0]
    cpu0, t0 = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if done.returncode not in (0, 1):
        return f"{pods:4d} pods: exit {done.returncode}: {done.stderr.strip()[-400:]}"
    records = json.loads(done.stdout)["probes"]
    agree = sum(1 for r in records if r["agree"])
    timings = re.search(r"^timings: (.*)$", done.stderr, re.M)
    return (
        f"{pods:4d} pods: {wall:.1f} s wall, {cpu:.1f} s CPU, {len(records)} records "
        f"({agree} agree), load average before {load:.1f}; "
        f"{timings[1] if timings else 'no timings'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, nargs="+", default=[50, 200], choices=sorted(SIZES))
    parser.add_argument("--parallel", type=int, default=32)
    args = parser.parse_args()
    from netreach.dataplane import missing_requirements

    missing = missing_requirements()
    if missing:
        print(f"bench_dataplane: cannot run here: missing {', '.join(missing)}", file=sys.stderr)
        return 2
    print(f"cores: {os.cpu_count()}; command: netreach verify CLUSTER.json -v -o json")
    with tempfile.TemporaryDirectory(prefix="netreach-bench-") as tmp:
        for pods in args.pods:
            print(run(pods, args.parallel, Path(tmp)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
