"""Collecting problems of one object in the API server's wording (field.Error of apimachinery):
`<field>: Invalid value: <value>: <detail>`, `Required value`, `Forbidden`, `Unsupported value`.

Also typed accessors: the fast loaders hand over plain dicts, so every read checks the type
the Kubernetes decoder would demand.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from netreach.errors import Problem
from netreach.model import PROTOCOLS, Location, PathPart, Protocol

FieldPath = tuple[PathPart, ...]


def fmt_path(path: FieldPath) -> str:
    """("spec", "ingress", 0, "from") -> "spec.ingress[0].from"."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


# Values quoted in messages are cut to this many characters (a 1 MB label value stays readable).
MAX_QUOTED = 1024


def fmt_value(value: Any) -> str:
    """A value as Go's %v/%q print it in field errors: strings quoted, JSON for the rest; long
    values are cut (the field path says where the whole value is)."""
    if isinstance(value, str):
        if len(value) > MAX_QUOTED:
            return _cut(orjson.dumps(value[:MAX_QUOTED]).decode(), len(value))
        return orjson.dumps(value).decode()
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        # Python will not print integers of over 4,300 digits.
        return repr(value) if abs(value) < 10**MAX_QUOTED else "<integer>"
    try:
        text = orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError: too deep, or not a JSON type
        return f"<{type_name(value)}>"
    return text if len(text) <= MAX_QUOTED else _cut(text[:MAX_QUOTED], len(text))


def _cut(head: str, total: int) -> str:
    return f"{head}... ({total:,} characters)"


def did_you_mean(key: str, known: Iterable[str]) -> str:
    """`; did you mean "matchLabels"?` for a misspelt field name, or ""."""
    names = sorted(known)
    folded = [n for n in names if n.lower() == key.lower()]
    close = folded or difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    return f'; did you mean "{close[0]}"?' if close else ""


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list):
        return "array"
    return "null" if value is None else type(value).__name__


class Checker:
    """Problems of one object. `loc` is where the object starts; field paths are relative."""

    def __init__(self, loc: Location, ref: str, *, strict: bool = True) -> None:
        self.loc = loc
        self.ref = ref
        self.strict = strict
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        # Unknown fields dropped (lenient mode): (field path, location); results they could
        # change say so (netreach.query.caveats).
        self.dropped: list[tuple[str, Location]] = []

    def _add(self, path: FieldPath, message: str, at: FieldPath | None, warn: bool = False) -> None:
        problem = Problem(
            message,
            self.loc.at(*(at if at is not None else path)),
            self.ref,
            fmt_path(path),
            "warning" if warn else "error",
        )
        (self.warnings if warn else self.errors).append(problem)

    def invalid(
        self, path: FieldPath, value: Any, detail: str, at: FieldPath | None = None
    ) -> None:
        self._add(path, f"Invalid value: {fmt_value(value)}: {detail}", at)

    def required(self, path: FieldPath, detail: str = "") -> None:
        self._add(path, f"Required value: {detail}" if detail else "Required value", None)

    def forbidden(self, path: FieldPath, detail: str) -> None:
        self._add(path, f"Forbidden: {detail}", None)

    def not_supported(self, path: FieldPath, value: Any, supported: Iterable[str]) -> None:
        values = ", ".join(fmt_value(s) for s in sorted(supported))
        self._add(path, f"Unsupported value: {fmt_value(value)}: supported values: {values}", None)

    def duplicate(self, path: FieldPath, value: Any) -> None:
        self._add(path, f"Duplicate value: {fmt_value(value)}", None)

    def wrong_type(self, path: FieldPath, value: Any, expected: str) -> None:
        self._add(
            path,
            f"Invalid value: {fmt_value(value)}: must be {expected}, not {type_name(value)}",
            None,
        )

    def error(self, path: FieldPath, message: str) -> None:
        self._add(path, message, None)

    def warn(self, path: FieldPath, message: str) -> None:
        self._add(path, message, None, warn=True)

    def unknown_fields(
        self, obj: Mapping[str, Any], path: FieldPath, known: frozenset[str]
    ) -> None:
        """`kubectl apply` validates fields strictly by default: an unknown field is an error
        (with the closest known name as a hint). Lenient: a warning, and the field is
        recorded as dropped, as the API server without strict validation would drop it."""
        for key in obj:
            if key not in known:
                full = (*path, str(key))
                hint = did_you_mean(str(key), known)
                where = self.loc.at(*full)
                if self.strict:
                    message = f'unknown field "{fmt_path(full)}" (strict decoding error){hint}'
                else:
                    message = (
                        f'unknown field "{fmt_path(full)}" dropped (`lenient`), as the API '
                        f"server would drop it; results it could change say so{hint}"
                    )
                    self.dropped.append((fmt_path(full), where))
                problem = Problem(
                    message, where, self.ref, "", "error" if self.strict else "warning"
                )
                (self.errors if self.strict else self.warnings).append(problem)

    # --- typed accessors: None when absent/null or of the wrong type (then reported) ---------

    def mapping(self, value: Any, path: FieldPath) -> dict[str, Any] | None:
        if value is None:
            return None
        if isinstance(value, dict):
            return value
        self.wrong_type(path, value, "an object")
        return None

    def array(self, value: Any, path: FieldPath) -> list[Any]:
        if value is None:
            return []
        if isinstance(value, list):
            return value
        self.wrong_type(path, value, "a list")
        return []

    def string(self, value: Any, path: FieldPath) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):
            return value
        self.wrong_type(path, value, "a string")
        return None

    def integer(self, value: Any, path: FieldPath) -> int | None:
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        self.wrong_type(path, value, "an integer")
        return None

    def protocol(self, value: Any, path: FieldPath) -> Protocol | None:
        """A protocol field: absent means TCP (API-server defaulting); anything but TCP, UDP
        or SCTP is reported and gives None."""
        text = self.string(value, path)
        if text is None:
            return "TCP"
        for proto in PROTOCOLS:
            if proto == text:
                return proto
        self.not_supported(path, text, PROTOCOLS)
        return None

    def boolean(self, value: Any, path: FieldPath) -> bool:
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        self.wrong_type(path, value, "a boolean")
        return False
