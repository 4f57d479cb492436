"""Audit precision on public manifests: every finding of `netreach audit` (default settings)
on the corpus in tests/data/public/, matched against a hand classification.

    python bench/precision/measure.py                       # this checkout
    git worktree add /tmp/before 1fcaa0b                    # main before the precision work
    python bench/precision/measure.py --src /tmp/before/src # the same corpus, older audit

A false alarm is a warning or error a reviewer who knows the source would dismiss: its
statement is wrong or misleading, or it flags as a problem what the source intends and needs
(a public entry point, a documented OR, pods an operator creates). Info findings are notes,
not alarms; they are counted apart. A finding missing from classification.yaml fails the run
(exit 1), so the counts cannot drift silently. See docs/audit-precision.md.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "public"
CLASSES = Path(__file__).with_name("classification.yaml")
SPLIT = ("recipes", "kubernetes-website", "network-policy-api")  # one scenario per subfolder


def scenarios() -> list[Path]:
    out: list[Path] = []
    for src in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        if src.name in SPLIT:
            out += sorted(p for p in src.iterdir() if p.is_dir())
        else:
            out.append(src)
    return out


def key(scenario: Path, f: Any) -> str:
    o = f.objects[0]
    where = (o.location or "").replace(str(scenario) + "/", "")
    direction = f.details.get("direction", "")
    name = scenario.relative_to(CORPUS)
    return f"{name} | {f.check} | {o.kind} {o.id} | {where} {direction}".strip()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", help="import netreach from this source folder (an older checkout)")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every finding")
    ap.add_argument("--unclassified", action="store_true", help="print YAML stubs for them")
    args = ap.parse_args()
    if args.src:
        sys.path.insert(0, str(Path(args.src).resolve()))
    import netreach
    from netreach.analyses.audit import AuditConfig

    print(f"netreach from {Path(netreach.__file__).parent}", file=sys.stderr)
    classes: dict[str, dict[str, str]] = yaml.safe_load(CLASSES.read_text()) or {}
    per_source: dict[str, Counter[str]] = {}
    missing: list[str] = []
    for sc in scenarios():
        report = netreach.load(str(sc)).audit(AuditConfig())
        source = sc.relative_to(CORPUS).parts[0]
        counts = per_source.setdefault(source, Counter())
        for f in report.findings:
            k = key(sc, f)
            c = classes.get(k)
            if c is None:
                missing.append(k)
                continue
            if f.severity == "info":
                counts["info"] += 1
                label = "info"
            else:
                label = "true" if c["verdict"] == "true" else "false"
                counts[label] += 1
            if args.verbose:
                print(f"{f.severity:7} {label:5} {k}  # {c.get('why', '')}")
    total: Counter[str] = Counter()
    print(f"{'source':24} {'alarms':>6} {'true':>5} {'false':>5} {'info':>5}")
    for source, c in sorted(per_source.items()):
        total += c
        print(f"{source:24} {c['true'] + c['false']:6} {c['true']:5} {c['false']:5} {c['info']:5}")
    print(
        f"{'total':24} {total['true'] + total['false']:6} {total['true']:5} "
        f"{total['false']:5} {total['info']:5}"
    )
    if missing:
        print(f"\n{len(missing)} finding(s) not in {CLASSES.name}:", file=sys.stderr)
        for k in missing:
            print(
                f"{k!r}: {{verdict: ?, why: ''}}" if args.unclassified else f"  {k}",
                file=sys.stderr,
            )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
