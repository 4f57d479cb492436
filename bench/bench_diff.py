"""`netreach diff` on two 10,000-pod snapshots (target: under 10 s on 2 cores).

NEW is OLD with a large pull request applied: every policy of one namespace is deleted (its
20 workloads open to the whole cluster), one allow rule in seven changes ports, one workload
is added and one removed. Timings: loading
both sides, then the diff (both connectivity maps, the comparison and the reasons).
`--by pod` for the pod-level diff; `--sizes` as bench/run.py.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import Size, generate, write  # noqa: E402

SIZES = {"10k": Size(50, 20, 10, 1), "1k": Size(10, 10, 10, 1)}


def change(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    new = copy.deepcopy(items)
    out: list[dict[str, Any]] = []
    dropped = added = False
    for i, item in enumerate(new):
        meta = item["metadata"]
        if item["kind"] == "NetworkPolicy":
            if meta["namespace"] == "ns-0003":
                continue  # the risky part of the pull request
            for rule in item["spec"].get("ingress", []) if i % 7 == 0 else []:
                for port in rule.get("ports", []):
                    if isinstance(port.get("port"), int):
                        port["port"] += 1
        if item["kind"] == "Deployment" and not dropped and meta["namespace"] == "ns-0010":
            dropped = True
            continue
        out.append(item)
        if item["kind"] == "Deployment" and not added and meta["namespace"] == "ns-0020":
            twin = copy.deepcopy(item)
            twin["metadata"]["name"] += "-canary"
            out.append(twin)
            added = True
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="10k")
    ap.add_argument("--by", default="workload", choices=["pod", "workload"])
    args = ap.parse_args()
    import netreach

    print(
        f"{'size':>5} {'by':>8} {'pods':>6} {'changes':>8} {'load s':>7} {'diff s':>7} "
        f"{'total s':>7} {'cpu s':>6}"
    )
    for name in args.sizes.split(","):
        base = HERE / "out" / f"diff-{name}"
        items = generate(SIZES[name])
        old_path = write(items, base / "old")
        new_path = write(change(items), base / "new")
        c0 = time.process_time()
        t0 = time.perf_counter()
        old, new = netreach.load(str(old_path)), netreach.load(str(new_path))
        t1 = time.perf_counter()
        report = netreach.diff(old, new, args.by)
        t2 = time.perf_counter()
        print(
            f"{name:>5} {args.by:>8} {len(new.pods):>6} {len(report.changes):>8} "
            f"{t1 - t0:>7.2f} {t2 - t1:>7.2f} {t2 - t0:>7.2f} {time.process_time() - c0:>6.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
