"""`make bench`: load, compile and full-map timings and peak RSS on synthetic clusters.

Seconds are wall clock; "CPU s" is the process's user+system time for load + compile + map,
which stays meaningful on a busy machine. The map is written as text to /dev/null.

Each size runs in its own process so peak RSS is that size's alone. Figures go to stdout as
a table; `--sizes 1k,5k` picks sizes. Generated inputs are cached under bench/out/.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import Size, generate, write  # noqa: E402

SIZES: dict[str, Size] = {
    "1k": Size(10, 10, 10, 1),
    "5k": Size(52, 11, 9, 1),  # 5,148 pods, 1,248 policies: the "under 1 s" target
    "10k": Size(50, 20, 10, 1),
    "50k": Size(100, 25, 20, 1),
    "150k": Size(250, 20, 30, 1),  # 150,000 pods, 5,000 workloads, 10,500 policies
    # the same cluster with egress open everywhere: about 2.5 million allowed pairs
    "150k-dense": Size(250, 20, 30, 1, dense=True),
}


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def measure(path: str) -> dict[str, float | int]:
    """Runs in the child: load (JSON), compile, full workload map, pod checks."""
    import gc

    import netreach

    t0 = time.perf_counter()
    c0 = _cpu()
    cluster = netreach.load(path)
    gc.freeze()  # as the CLI does after loading
    t1 = time.perf_counter()
    c1 = _cpu()
    compiled = cluster.compiled
    t2 = time.perf_counter()
    c2 = _cpu()
    _ = cluster.matrix
    n = 0
    with open(os.devnull, "w") as sink:
        for c in cluster.connectivity("workload"):
            sink.write(f"{c.src} => {c.dst} : {c.conns}\n")
            n += 1
    t3 = time.perf_counter()
    c3 = _cpu()
    rnd = random.Random(1)
    pods = cluster.pods
    checks = 200
    t4 = time.perf_counter()
    for _ in range(checks):
        a, b = rnd.choice(pods), rnd.choice(pods)
        cluster.check(a, b, 8080)
    t5 = time.perf_counter()
    return {
        "pods": len(pods),
        "workloads": len(cluster.workloads),
        "policies": len(cluster.policies),
        "classes": len(compiled.classes),
        "connections": n,
        "load_s": t1 - t0,
        "compile_s": t2 - t1,
        "map_s": t3 - t2,
        "check_ms": (t5 - t4) / checks * 1000,
        "cpu_s": c3 - c0,
        "load_cpu_s": c1 - c0,
        "compile_cpu_s": c2 - c1,
        "map_cpu_s": c3 - c2,
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="1k,5k,10k,50k,150k,150k-dense")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    out = HERE / "out"
    rows = []
    print(
        f"{'size':>10} {'pods':>7} {'wl':>5} {'policies':>8} {'classes':>7} {'conns':>9} "
        f"{'load s':>7} {'compile s':>9} {'map s':>7} {'total s':>7} {'CPU s':>7} "
        f"{'check ms':>8} {'RSS MiB':>8}"
    )
    for name in args.sizes.split(","):
        size = SIZES[name]
        path = out / name / "cluster.json"
        if not path.exists():
            write(generate(size), path.parent)
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        res = subprocess.run(
            [sys.executable, __file__, "--child", str(path)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if res.returncode != 0:
            print(f"{name}: failed\n{res.stderr[-2000:]}")
            continue
        r = json.loads(res.stdout.strip().splitlines()[-1])
        rows.append(r)
        total = r["load_s"] + r["compile_s"] + r["map_s"]
        print(
            f"{name:>10} {r['pods']:>7} {r['workloads']:>5} {r['policies']:>8} {r['classes']:>7} "
            f"{r['connections']:>9} {r['load_s']:>7.2f} {r['compile_s']:>9.2f} {r['map_s']:>7.2f} "
            f"{total:>7.2f} {r['cpu_s']:>7.2f} {r['check_ms']:>8.3f} {r['rss_mib']:>8.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
