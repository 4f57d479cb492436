"""Escaping for every output format: names and labels come from untrusted manifests."""

from __future__ import annotations

import html
import re
from typing import Any

import orjson

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")
_SCRIPT_JSON = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


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


def html_text(text: str) -> str:
    """Text (or a double-quoted attribute value) in HTML: never markup."""
    return html.escape(text, quote=True)


def script_json(value: Any) -> str:
    """JSON safe inside an HTML `<script>` element: no `</script>`, no `<!--`, no entity, and
    no line separator that older JavaScript parsers treat as a line end."""
    return orjson.dumps(value).decode().translate(_SCRIPT_JSON)
