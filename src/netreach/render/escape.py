"""Escaping for every output format: names and labels come from untrusted manifests."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def terminal(text: str) -> str:
    """Neutralise control characters (ANSI escapes, carriage returns) shown in a terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def csv_cell(text: str) -> str:
    """Stop spreadsheet formula injection: a cell starting with = + - @ (or tab/CR) is quoted
    with a leading apostrophe, as OWASP recommends."""
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def markdown(text: str) -> str:
    """Escape Markdown and inline-HTML specials so a name renders as text, never as markup."""
    text = terminal(text).replace("\n", " ")
    text = text.replace("&", "&amp;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def dot_string(text: str) -> str:
    """A Graphviz double-quoted string body."""
    return terminal(text).replace("\\", "\\\\").replace('"', '\\"')
