"""Expectation results as text (colored), JSON, or JUnit XML for CI test reports."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import IO

import orjson
from rich.console import Console
from rich.text import Text

from netreach.analyses.expect import Result
from netreach.escape import one_line, terminal

FORMATS = ("text", "json", "junit")


def summary(results: Sequence[Result]) -> str:
    failed = sum(not r.passed for r in results)
    n = len(results)
    return f"{n} expectation{'s' if n != 1 else ''}: {n - failed} passed, {failed} failed"


def failure_text(r: Result) -> str:
    """The offending pairs and the engine's explanation of each, as plain text."""
    lines: list[str] = []
    if r.note:
        lines.append(one_line(r.note))
    for o in r.offences:
        what = "has no such port" if o.conns.is_empty else f"{o.conns} {o.problem}"
        alike = (
            f" (and {o.similar} similar pair{'s' if o.similar != 1 else ''})" if o.similar else ""
        )
        lines.append(one_line(f"{o.src} -> {o.dst}: {what}{alike}"))
        lines.extend("    " + line for line in o.explanation.splitlines())
    more = r.failures - sum(1 + o.similar for o in r.offences)
    if more > 0:
        lines.append(f"... and {more} more offending pair{'s' if more != 1 else ''}")
    return "\n".join(lines)


def print_text(results: Sequence[Result], console: Console) -> None:
    for r in results:
        loc = r.expectation.location
        where = f"  ({loc})" if loc is not None else ""
        head = Text(
            "PASS " if r.passed else "FAIL ", style="bold green" if r.passed else "bold red"
        )
        head.append(one_line(f"{r.expectation.name}{where}"))
        console.print(head)
        if not r.passed:
            for line in failure_text(r).splitlines():
                console.print(Text("    " + terminal(line)))
    failed = any(not r.passed for r in results)
    console.print(Text(summary(results), style="bold red" if failed else "bold green"))


def write_json(results: Sequence[Result], out: IO[str]) -> None:
    failed = sum(not r.passed for r in results)
    data = {
        "version": 1,
        "passed": len(results) - failed,
        "failed": failed,
        "results": [r.to_dict() for r in results],
    }
    out.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")


def junit_xml(results: Sequence[Result], suite: str = "netreach") -> str:
    """One <testcase> per expectation; a <failure> holds the offending pairs and reasons."""
    failed = sum(not r.passed for r in results)
    root = ET.Element("testsuites", tests=str(len(results)), failures=str(failed))
    ts = ET.SubElement(
        root, "testsuite", name=suite, tests=str(len(results)), failures=str(failed), errors="0"
    )
    for r in results:
        loc = r.expectation.location
        attrs = {"name": _xml_safe(r.expectation.name), "classname": "netreach.expectations"}
        if loc is not None:
            attrs["file"] = _xml_safe(loc.file)
            if loc.line is not None:
                attrs["line"] = str(loc.line)
        case = ET.SubElement(ts, "testcase", attrs)
        if not r.passed:
            message = r.note or f"{r.failures} offending pair{'s' if r.failures != 1 else ''}"
            failure = ET.SubElement(case, "failure", message=_xml_safe(message))
            failure.text = _xml_safe(failure_text(r))
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _xml_safe(text: str) -> str:
    """XML 1.0 cannot hold most control characters, even escaped."""
    return terminal(text)
