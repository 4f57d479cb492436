"""Coverage-guided fuzzing (atheris) of every file a pull request controls: manifests (the
loader, the validator and the engine), `.netreach.yaml`, expectations, intents and flows.

    python fuzz/fuzz_load.py -runs=100000          # what `make fuzz` runs
    python fuzz/fuzz_load.py -max_total_time=600   # or for ten minutes

Any exception other than netreach's own error types is a bug: atheris stops, prints it and
saves the input as crash-<sha1>. Seeds come from examples/ and, when present, the peer tool's
corpus in ../shared/corpora; new inputs go to .fuzz-corpus/ (not committed).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import netreach
from netreach.analyses.audit.config import config_from_source
from netreach.analyses.expect_file import parse_expectations
from netreach.analyses.generate.flows import read_flows
from netreach.analyses.generate.intent import read_intent
from netreach.cluster import Cluster
from netreach.errors import NetreachError
from netreach.loader import Limits, Source, load_sources

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / ".fuzz-corpus"
SEEDS = [ROOT / "examples", ROOT.parent / "shared" / "corpora" / "netpol-analyzer" / "cases"]
# Small limits keep each run fast; they are exercised, not bypassed.
LIMITS = Limits(max_input_bytes=1 << 16, max_alias_nodes=10_000, max_depth=50)


def check_input(data: bytes, name: str) -> None:
    """Load `data` as file `name` in every mode; only netreach's own errors may come out."""
    for strict, skip in ((False, False), (True, False), (False, True)):
        try:
            snap = load_sources(
                [Source(name, data)], strict=strict, skip_invalid=skip, limits=LIMITS
            )
        except NetreachError as e:
            str(e)  # formatting the messages (lines, values) must not fail either
            continue
        for problem in (*snap.warnings, *snap.invalid):
            str(problem)
        if len(snap.pods) <= 20 and len(snap.policies) <= 20:
            list(Cluster(snap).connectivity("pod"))


_LESSON: Cluster | None = None


def lesson() -> Cluster:
    """The cluster flows are resolved against (loaded once)."""
    global _LESSON
    if _LESSON is None:
        _LESSON = netreach.load(str(ROOT / "examples" / "lesson"))
    return _LESSON


def check_side_file(data: bytes, kind: str) -> None:
    """Read `data` as a settings, expectations, intent or flows file: only netreach's own
    errors may come out, and their messages must format."""
    source = Source({"config": ".netreach.yaml", "flows": "f.jsonl"}.get(kind, "f.yaml"), data)
    try:
        if kind == "config":
            config_from_source(source, LIMITS)
        elif kind == "expectations":
            parse_expectations(source, LIMITS)
        elif kind == "intent":
            read_intent(source, "default", LIMITS)
        else:
            read_flows(source, lesson(), LIMITS)
    except NetreachError as e:
        str(e)


SIDE_FILES = ("config", "expectations", "intent", "flows")


def test_one_input(data: bytes) -> None:
    # The first byte picks the target: manifests most of the time, each side file else.
    pick = data[0] % 8 if data else 0
    if pick < len(SIDE_FILES):
        check_side_file(data[1:], SIDE_FILES[pick])
        return
    # JSON-looking input goes to the JSON parser half the time, the YAML parser otherwise.
    looks_json = data.lstrip()[:1] in (b"{", b"[")
    check_input(data, "in.json" if looks_json and len(data) % 2 == 0 else "in.yaml")


def seed_corpus() -> Path:
    if not CORPUS.exists():
        CORPUS.mkdir()
        for root in SEEDS:
            for i, path in enumerate(sorted(root.rglob("*"))):
                if path.suffix in (".yaml", ".yml", ".json") and path.stat().st_size < 1 << 16:
                    shutil.copyfile(path, CORPUS / f"{root.name}-{i}{path.suffix}")
    return CORPUS


def main() -> None:
    import atheris  # type: ignore[import-not-found]  # only `make fuzz` needs it

    atheris.instrument_all()
    argv = [*sys.argv, str(seed_corpus())]
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
