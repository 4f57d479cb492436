"""`make bench`: load, compile and map timings with peak RSS, on two shapes of cluster.

- realistic (the default, first): pods labelled as Kubernetes labels them, a
  `pod-template-hash` per ReplicaSet, StatefulSet pod names, DaemonSets, Jobs
  (`bench/generate.py --realistic`);
- uniform: every replica labelled alike, today's policy mix (kind to a class-based engine);
- standalone: 5,002 pods without owners and 1,200 policies as YAML files, the workload map
  as JSON, end to end through the command line (each pod is a workload: a dense map).

Each case runs in its own process so peak RSS is its own. "CPU s" is user+system time of
that process, which stays meaningful on a busy machine; seconds are wall clock. The maps
are written as JSON to /dev/null (the workload map) and built at namespace level; "orjson s"
is a bare `orjson.loads` of the same file (the floor for JSON input).

    python bench/run.py                     # every case
    python bench/run.py --sizes r15k,5k     # some
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
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import RealSize, Size, generate, generate_realistic, write  # noqa: E402

REALISTIC: dict[str, RealSize] = {
    "r6k": RealSize(20, 100),
    "r15k": RealSize(50, 130),  # 15,118 pods, 1,000 policies: the audit target
    "r30k": RealSize(100, 130),
    "r150k": RealSize(500, 130),  # ~150,000 pods, 78,000 ReplicaSets, 10,000 policies
}
UNIFORM: dict[str, Size] = {
    "1k": Size(10, 10, 10, 1),
    "5k": Size(52, 11, 9, 1),
    "10k": Size(50, 20, 10, 1),
    "50k": Size(100, 25, 20, 1),
    "150k": Size(250, 20, 30, 1),
    # the same cluster with egress open everywhere: millions of allowed pairs
    "150k-dense": Size(250, 20, 30, 1, dense=True),
}
STANDALONE: dict[str, Size] = {"s5k-yaml": Size(52, 11, 9, 1, standalone=True)}
DEFAULT = [
    "r6k",
    "r15k",
    "r30k",
    "r150k",
    "1k",
    "5k",
    "10k",
    "50k",
    "150k",
    "150k-dense",
    "s5k-yaml",
]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def measure(path: str) -> dict[str, Any]:
    """Runs in the child: load (JSON), compile, rows, workload map as JSON, namespace map,
    checks, audit (when asked)."""
    import gc

    import netreach
    from netreach.render.matrix import write_json

    t0, c0 = time.perf_counter(), _cpu()
    cluster = netreach.load(path)
    gc.freeze()  # as the CLI does after loading
    t1, c1 = time.perf_counter(), _cpu()
    compiled = cluster.compiled
    matrix = cluster.matrix
    t2, c2 = time.perf_counter(), _cpu()
    with open(os.devnull, "w") as sink:
        n = write_json(cluster.connectivity("workload"), sink)
    t3, c3 = time.perf_counter(), _cpu()
    ns = sum(len(js) for _, js, _ in cluster.connectivity("namespace").rows())
    t4, c4 = time.perf_counter(), _cpu()
    rnd = random.Random(1)
    pods = cluster.pods
    checks = 200
    t5 = time.perf_counter()
    for _ in range(checks):
        cluster.check(rnd.choice(pods), rnd.choice(pods), 8080)
    t6 = time.perf_counter()
    out: dict[str, Any] = {
        "pods": len(pods),
        "workloads": len(cluster.workloads),
        "policies": len(cluster.policies),
        "classes": len(compiled.classes),
        "rows": len(matrix.egress.keys) + len(matrix.ingress.keys),
        "connections": n,
        "ns_connections": ns,
        "load_s": t1 - t0,
        "compile_s": t2 - t1,
        "map_s": t3 - t2,
        "ns_s": t4 - t3,
        "check_ms": (t6 - t5) / checks * 1000,
        "cpu_s": c4 - c0,
        "load_cpu_s": c1 - c0,
        "map_cpu_s": c3 - c2,
        "rss_mib": _peak_rss_mib(),
    }
    if os.environ.get("NETREACH_BENCH_AUDIT"):
        a0 = _cpu()
        cluster.audit()
        out["audit_cpu_s"] = _cpu() - a0
    return out


def _peak_rss_mib() -> float:
    """This process's own peak RSS. Not getrusage's ru_maxrss: a child created by fork starts
    from its parent's RSS, so after the runner generated a large cluster every case would
    report at least that. VmHWM belongs to the address space exec made."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Runs a command from a small process and prints the command's own peak RSS (KiB) and CPU:
# wait4 gives one child's rusage, and a fork of this small process starts near zero.
_RUN_AND_MEASURE = """
import os, sys
pid = os.fork()
if pid == 0:
    fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, 1)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, ru = os.wait4(pid, 0)
print(ru.ru_maxrss, ru.ru_utime + ru.ru_stime, os.waitstatus_to_exitcode(status), file=sys.stderr)
"""


def orjson_floor(path: str) -> float:
    c0 = _cpu()
    import orjson

    orjson.loads(Path(path).read_bytes())
    return _cpu() - c0


def _child(args: list[str]) -> dict[str, Any] | None:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    res = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, env=env, check=False
    )
    if res.returncode != 0:
        print(f"{args}: failed\n{res.stderr[-2000:]}")
        return None
    got: dict[str, Any] = json.loads(res.stdout.strip().splitlines()[-1])
    return got


def _input(name: str) -> Path:
    out = HERE / "out" / name
    path = out / "cluster.json"
    if not path.exists():
        if name in REALISTIC:
            write(generate_realistic(REALISTIC[name]), out)
        elif name in STANDALONE:
            write(generate(STANDALONE[name]), out, yaml_too=True)
        else:
            write(generate(UNIFORM[name]), out)
    return path


def standalone(path: Path) -> dict[str, Any]:
    """The command line end to end on the YAML folder: workload map as JSON."""
    cmd = [str(Path(sys.executable).with_name("netreach")), "matrix", str(path.parent / "yaml")]
    cmd += ["--by", "workload", "-o", "json"]
    t0 = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-c", _RUN_AND_MEASURE, *cmd], capture_output=True, text=True, check=True
    )
    t1 = time.perf_counter()
    maxrss, cpu_text, code = res.stderr.strip().splitlines()[-1].split()
    if code != "0":
        raise SystemExit(f"{cmd}: exit {code}\n{res.stderr[-2000:]}")
    cpu = float(cpu_text)
    after_rss = int(maxrss)
    yaml_bytes = sum(f.stat().st_size for f in (path.parent / "yaml").glob("*.yaml"))
    return {
        "wall_s": t1 - t0,
        "cpu_s": cpu,
        "rss_mib": after_rss / 1024,
        "mb": yaml_bytes / 1e6,
    }


def startup(runs: int = 10) -> dict[str, float]:
    """CPU seconds of `netreach --version` against a bare `python -c pass` (children's
    rusage, best of `runs`)."""

    def cpu(cmd: list[str]) -> float:
        best = float("inf")
        for _ in range(runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            best = min(best, used)
        return best

    netreach_bin = str(Path(sys.executable).with_name("netreach"))
    return {
        "python": cpu([sys.executable, "-c", "pass"]),
        "netreach": cpu([netreach_bin, "--version"]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default=",".join(DEFAULT))
    ap.add_argument("--audit", action="store_true", help="also time the audit")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--orjson", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    if args.orjson:
        print(json.dumps({"cpu_s": orjson_floor(args.orjson)}))
        return
    if args.audit:
        os.environ["NETREACH_BENCH_AUDIT"] = "1"
    head = (
        f"{'case':>10} {'pods':>7} {'wl':>6} {'pol':>6} {'classes':>7} {'conns':>9} "
        f"{'load s':>7} {'comp s':>6} {'map s':>6} {'ns s':>5} {'total s':>7} {'CPU s':>6} "
        f"{'orjson':>6} {'check ms':>8} {'RSS MiB':>7}" + (f" {'audit s':>7}" if args.audit else "")
    )
    print(head)
    for name in args.sizes.split(","):
        if name == "startup":
            st = startup()
            print(
                f"{name:>10}  netreach --version: {st['netreach']:.3f} s CPU; python -c pass: "
                f"{st['python']:.3f} s ({st['netreach'] / max(st['python'], 1e-3):.1f}x)",
                flush=True,
            )
            continue
        path = _input(name)
        if name in STANDALONE:
            sa = standalone(path)
            print(
                f"{name:>10}  CLI end to end (YAML, {sa['mb']:.1f} MB): {sa['wall_s']:.2f} s "
                f"wall, {sa['cpu_s']:.2f} s CPU, {sa['rss_mib']:.0f} MiB",
                flush=True,
            )
            continue
        r = _child(["--child", str(path)])
        floor = _child(["--orjson", str(path)])
        if r is None or floor is None:
            continue
        total = r["load_s"] + r["compile_s"] + r["map_s"] + r["ns_s"]
        audit = f" {r['audit_cpu_s']:>7.2f}" if "audit_cpu_s" in r else ""
        print(
            f"{name:>10} {r['pods']:>7} {r['workloads']:>6} {r['policies']:>6} {r['classes']:>7} "
            f"{r['connections']:>9} {r['load_s']:>7.2f} {r['compile_s']:>6.2f} {r['map_s']:>6.2f} "
            f"{r['ns_s']:>5.2f} {total:>7.2f} {r['cpu_s']:>6.2f} {floor['cpu_s']:>6.2f} "
            f"{r['check_ms']:>8.3f} {r['rss_mib']:>7.0f}{audit}",
            flush=True,
        )


if __name__ == "__main__":
    main()
