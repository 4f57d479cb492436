"""Terminal rendering of verdicts and summaries (Rich)."""

from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.markup import escape
from rich.rule import Rule
from rich.text import Text

from netreach.engine.verdict import Verdict, endpoint_id
from netreach.escape import one_line, terminal


def make_console(*, stderr: bool = False, soft_wrap: bool = True) -> Console:
    """A console for netreach's output. Markup is for netreach's own styles only (user text
    goes through `safe` or `Text`); emoji codes (`:white_check_mark:`) and highlighting never
    apply, whatever the text says. The stream is looked up at each print (sys.stdout or
    sys.stderr as the CLI's guard installs them).

    Without a terminal (a CI log, a pipe, a file) nothing is cut or wrapped at 80 columns:
    lines and tables take the width their content needs ($COLUMNS still sets one)."""
    return Console(
        stderr=stderr,
        highlight=False,
        soft_wrap=soft_wrap,
        emoji=False,
        width=None if _sized(stderr) else UNBOUNDED,
    )


# Wide enough for any line netreach writes; a table still takes only what its cells need.
UNBOUNDED = 100_000


def _sized(stderr: bool) -> bool:
    """Whether the output has a width of its own: a terminal, or $COLUMNS."""
    if os.environ.get("COLUMNS", "").strip().isdigit():
        return True
    stream = sys.stderr if stderr else sys.stdout
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


console = make_console()


def heading(console: Console, title: str) -> None:
    """A section title (netreach's own markup) over a rule, never wider than 100 columns: a
    console without a terminal is as wide as its longest line."""
    console.print(Rule(title, align="left"), width=min(console.width, 100))


def safe(text: str) -> str:
    """User-supplied text for Rich markup: control characters, newlines (a name must not
    forge a line of output) and markup neutralised."""
    return escape(one_line(text))


def print_verdict(verdict: Verdict, out: Console | None = None) -> None:
    out = out or console
    word = (
        Text("ALLOWED", style="bold green") if verdict.allowed else Text("DENIED", style="bold red")
    )
    head = Text(
        one_line(
            f"{endpoint_id(verdict.src)} -> {endpoint_id(verdict.dst)} port {verdict.port_text}: "
        )
    )
    if verdict.caveats:
        word += Text(" (may be incomplete: see the caveats)", style="bold yellow")
    out.print(head + word)
    for line in verdict.explain().splitlines()[1:]:
        style = ""
        stripped = line.strip()
        if stripped.startswith("caveat: "):
            style = "yellow"
        elif stripped.endswith(": allowed"):
            style = "green"
        elif stripped.endswith(": denied"):
            style = "red"
        out.print(Text(terminal(line), style=style))
