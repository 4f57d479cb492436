"""`netreach generate` timings on synthetic clusters: a random intent of two allows per
workload (plus an external range for one in ten), generated, read back and proved.

    python bench/bench_generate.py --sizes 1k,5k
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import Size, generate, write  # noqa: E402

SIZES: dict[str, Size] = {"1k": Size(20, 10, 5, 1), "5k": Size(50, 10, 10, 1)}


def measure(path: Path, existing: bool) -> str:
    import netreach
    from netreach.analyses.generate import parse_intent

    cluster = netreach.load(str(path))
    workloads = sorted(cluster.workloads, key=lambda w: w.id)
    rnd = random.Random(1)
    lines = []
    for w in workloads:
        for _ in range(2):
            d = rnd.choice(workloads)
            lines.append(f"  - {w.id} -> {d.id}:{rnd.choice([80, 443, 5432, 8080])}")
        if rnd.random() < 0.1:
            lines.append(f"  - {w.id} -> 10.0.0.0/8:443")
    intent = parse_intent("allow:\n" + "\n".join(lines))
    start = time.perf_counter()
    result = netreach.generate(cluster, intent, existing=existing)
    seconds = time.perf_counter() - start
    return (
        f"pods={len(cluster.pods)} workloads={len(workloads)} allows={len(intent.allows)} "
        f"policies={len(result.manifests)} exact={result.proof.exact} "
        f"differences={len(result.proof.differences)} generate+proof={seconds:.2f}s"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="1k,5k")
    ap.add_argument("--existing", action="store_true", help="merge mode")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sizes.split(","):
            path = write(generate(SIZES[name]), Path(tmp) / name)
            print(f"{name}: {measure(path, args.existing)}", flush=True)


if __name__ == "__main__":
    main()
