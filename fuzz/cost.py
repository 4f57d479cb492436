"""Cost of hostile shapes near 1.5 MB (the API server's object size limit): time (wall and
CPU) and peak memory of `validate`, `check` and `matrix` on each, against the target of issue 17
(10 s and 1 GiB, or refused with a located message). Figures, not a test:

    python fuzz/cost.py            # every shape
    python fuzz/cost.py merge-keys # one

Each run is a fresh process under a 2 GiB address-space limit and a 30 s timeout.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SIZE = 1_500_000
TIMEOUT = 30
NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"


def merge_keys() -> str:
    rows = ["a0: &a0 {k0: v}"]
    i = 1
    while sum(map(len, rows)) < SIZE - 200:
        rows.append(f"a{i}: &a{i} {{<<: [*a{i - 1}], k{i}: v}}")
        i += 1
    return NS.format(name="x") + "  labels:\n" + "".join(f"    {r}\n" for r in rows)


def ipblocks() -> str:
    head = (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: p, namespace: default}\nspec:\n  podSelector: {}\n  ingress:\n"
        "  - from:\n"
    )
    out, i = [head], 0
    while sum(map(len, out)) < SIZE:
        a, b = divmod(i, 256)
        out.append(
            f"    - ipBlock: {{cidr: 10.{a % 256}.{b}.0/24, except: [10.{a % 256}.{b}.128/25]}}\n"
        )
        i += 1
    return NS.format(name="default") + "---\n" + "".join(out)


def _notin(ingress: Callable[[int], str]) -> str:
    """One pod per app label, each with a policy selecting every other pod (`NotIn`) whose
    ingress rules are `ingress(i)`."""
    docs = [NS.format(name="default")]
    i = 0
    while sum(map(len, docs)) < SIZE:
        docs.append(
            f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: default, "
            f"labels: {{app: a{i}}}}}\nspec: {{containers: [{{name: c, image: x}}]}}\n"
            f"status: {{phase: Running, podIP: 10.{i // 62500}.{i // 250 % 250}.{i % 250 + 1}}}\n"
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
            f"metadata: {{name: n{i}, namespace: default}}\nspec:\n  podSelector:\n"
            f"    matchExpressions: [{{key: app, operator: NotIn, values: [a{i}]}}]\n"
            f"  ingress: {ingress(i)}\n"
        )
        i += 1
    return "---\n".join(docs)


def notin_pods() -> str:
    """Every policy allows all ingress: the same rule in each."""
    return _notin(lambda i: "[{}]")


def notin_distinct() -> str:
    """Each policy admits one other pod: no two rules alike, so nothing is shared between the
    classes' programs (the matrix rows differ too)."""
    return _notin(lambda i: f"[{{from: [{{podSelector: {{matchLabels: {{app: a{i + 1}}}}}}}]}}]")


def many_errors() -> str:
    head = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels:\n"
    out, i = [head], 0
    while sum(map(len, out)) < SIZE:
        out.append(f"    k{i}: [not, a, string]\n")
        i += 1
    return "".join(out)


def long_string() -> str:
    return NS.format(name="x") + "  annotations:\n    a: " + "x" * SIZE + "\n"


def many_namespaces() -> str:
    docs, i = [], 0
    while sum(map(len, docs)) < SIZE:
        docs.append(NS.format(name=f"n{i}"))
        i += 1
    return "---\n".join(docs)


SHAPES: dict[str, Callable[[], str]] = {
    "merge-keys": merge_keys,
    "ipblocks-except": ipblocks,
    "notin-per-pod": notin_pods,
    "notin-distinct": notin_distinct,
    "many-errors": many_errors,
    "long-string": long_string,
    "many-namespaces": many_namespaces,
}
COMMANDS = {
    "validate": ["validate"],
    "check": ["check", "--from", "default/p0", "--to", "default/p1", "--port", "80"],
    "matrix": ["matrix", "-o", "json"],
    # the same map by namespace: the engine's cost without a line per pod pair
    "matrix-ns": ["matrix", "--by", "namespace", "-o", "json"],
}


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def measure(path: Path, args: list[str]) -> str:
    cmd = [
        "/usr/bin/time", "-f", "%M %U %S", sys.executable, "-c",
        "from netreach.cli import main; main()", *args, str(path),
    ]  # fmt: skip
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_limit,
        start_new_session=True,  # so a timeout ends netreach too, not only `time`
    )
    try:
        _, stderr = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return f"over {TIMEOUT} s (killed)"
    took = time.monotonic() - start
    lines = stderr.strip().splitlines()
    figures = lines[-1].split() if lines else []
    try:
        rss, cpu = int(figures[0]) / 1024, float(figures[1]) + float(figures[2])
    except (IndexError, ValueError):
        rss = cpu = float("nan")
    said = next((line for line in lines if line.startswith("netreach:")), "")
    # CPU seconds as well as wall: on a shared machine the wall clock says little
    return f"exit {proc.returncode}, {took:.1f} s, {cpu:.1f} s CPU, {rss:.0f} MB {said[:90]}"


def main() -> None:
    wanted = sys.argv[1:] or list(SHAPES)
    with tempfile.TemporaryDirectory() as tmp:
        for name in wanted:
            path = Path(tmp) / f"{name}.yaml"
            path.write_text(SHAPES[name]())
            size = path.stat().st_size
            for command, args in COMMANDS.items():
                print(f"{name} ({size:,} B) {command}: {measure(path, args)}", flush=True)


if __name__ == "__main__":
    main()
