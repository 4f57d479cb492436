"""Parsing ahead in a forked child (loader/parallel.py) changes nothing: the cases in
parallel_parse_cases.py, run by a fresh pytest without xdist. loader/parallel forks only in a
process running one thread (a fork copies only the calling thread: locks other threads hold
would stay held in the child), and an xdist worker runs several, so in-process these cases
would test the fallback alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CASES = Path(__file__).with_name("parallel_parse_cases.py")


def test_parallel_parse_cases_in_a_single_threaded_interpreter() -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-o",
            "addopts=",
            "-q",
            "-p",
            "no:xdist",
            "-p",
            "no:cacheprovider",
            str(CASES),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=CASES.parents[2],
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "skipped" not in run.stdout, run.stdout[-2000:]


def test_no_child_where_other_threads_run() -> None:
    """In a process running other threads (as here, under xdist, or any threaded caller),
    the loader parses everything itself: no fork."""
    import threading

    from netreach.loader import parallel
    from netreach.loader.sources import Source

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        sources = [Source(f"f{i}.yaml", b"a: 1\n" * (parallel.MIN_BYTES // 4)) for i in range(3)]
        assert parallel._split(sources) is None
    finally:
        stop.set()
        other.join()
