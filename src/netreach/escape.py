"""Escaping for every output format: names, labels, file names and API-server messages come
from untrusted input. One helper per format; `terminal`/`one_line` serve every text stream
(stdout and stderr), `ci_commands` every line that reaches a CI log."""

from __future__ import annotations

import html
import re
from typing import Any

import orjson

# C0/C1 controls but tab and newline; lone surrogates (undecodable bytes of a file name or an
# argument); Unicode line/paragraph separators and bidirectional overrides, which change how a
# line reads ("Trojan Source").
_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")
# GitHub turns `@name`, `https://...`, `www.` and e-mail addresses in text into mentions and
# links; a zero-width space after the `@` / before the `:` / after `www` keeps them text.
_MD_LIVE = re.compile(r"@|(?<=[A-Za-z])(?=://)|(?<=\bwww)(?=\.)", re.IGNORECASE)
_ZWSP = "&#8203;"
_SCRIPT_JSON = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)
# GitHub Actions workflow commands (actions/runner ActionCommand.cs): `::name ...::` at the
# start of a line (after any whitespace), and the legacy `##[name ...]` anywhere in a line.
# The runner splits lines at CR as well as LF.
_V2_COMMAND = re.compile(
    r"(?:^|(?<=\r))([^\S\r\n]*):(?=:[A-Za-z][\w-]*(?: [^\r\n]*?)?::)", re.MULTILINE
)


def _escaped(m: re.Match[str]) -> str:
    c = ord(m.group())
    if 0xDC80 <= c <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape): show the byte
        return f"\\x{c - 0xDC00:02x}"
    return f"\\x{c:02x}" if c <= 0xFF else f"\\u{c:04x}"


def terminal(text: str) -> str:
    """Neutralise control characters (ANSI escapes, carriage returns), undecodable bytes and
    bidirectional overrides shown in a terminal or a log: `\\x1b`, `\\xff`, `\\u202e`."""
    return _CONTROL.sub(_escaped, text)


def one_line(text: str) -> str:
    """`terminal`, and newlines shown as \\n: a name must not start a line of its own."""
    return terminal(text).replace("\n", "\\n")


_DOUBLE_COLON = re.compile("::")
_BIDI = re.compile(r"[\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def ci_commands(text: str) -> str:
    """Neutralise GitHub Actions workflow commands in output lines, so that no input can make
    netreach print `::error::...`, `::stop-commands::...` or `##[set-output ...]`; and show
    bidirectional overrides and line separators (which JSON keeps raw) as escapes. The
    replacements are JSON escapes, valid (and lossless) inside a JSON string too."""
    if not text.isascii():
        text = _BIDI.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    # Every output line passes here (gigabytes for a big map): '#' is rare, so its memchr
    # scan goes first; a regex finds "::" twice as fast as `in` where ':' is frequent (JSON).
    if "#" in text and "##[" in text:
        text = text.replace("##[", "#\\u0023[")
    if _DOUBLE_COLON.search(text):
        text = _V2_COMMAND.sub(r"\1\\u003a", text)
    return text


def csv_cell(text: str) -> str:
    """Stop spreadsheet formula injection: a cell starting with = + - @ (or tab/CR) is quoted
    with a leading apostrophe, as OWASP recommends."""
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def markdown(text: str) -> str:
    """Escape Markdown and inline-HTML specials so a name renders as text, never as markup;
    mentions (`@team`), bare URLs and e-mail addresses stay plain text."""
    text = terminal(text).replace("\n", " ")
    text = text.replace("&", "&amp;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_LIVE.sub(lambda m: m.group() + _ZWSP if m.group() == "@" else _ZWSP, text)


def dot_string(text: str) -> str:
    """A Graphviz double-quoted string body."""
    return terminal(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def html_text(text: str) -> str:
    """Text (or a double-quoted attribute value) in HTML: never markup."""
    return html.escape(text, quote=True)


def script_json(value: Any) -> str:
    """JSON safe inside an HTML `<script>` element: no `</script>`, no `<!--`, no entity, and
    no line separator that older JavaScript parsers treat as a line end."""
    return orjson.dumps(value).decode().translate(_SCRIPT_JSON)
