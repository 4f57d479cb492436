"""Typed access to decoded values (YAML Scalars or JSON values), as the API types read them
after kubectl turned YAML into JSON: shared by the dataplane's decoders (decode.py for the
Kubernetes kinds, decode_cni.py for Calico's and Cilium's)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from netreach.dataplane.objects import PROTOS, Expression, Proto, Selector


@dataclass(frozen=True, slots=True)
class Scalar:
    """A YAML scalar: its text as written and the kind go-yaml v2 resolves it to."""

    text: str
    kind: str  # null, bool, int, float, timestamp (its RFC 3339 text), str
    value: object = None


# --- typed access to decoded values (YAML Scalars or JSON values) ---------------------------


def as_str(v: Any) -> str | None:
    """A string field. kubectl turns YAML into JSON first (a plain `yes` is true, `80` a
    number, a date a time) and the API types refuse a non-string there: such a value reads
    as absent; a timestamp becomes the string Go writes for it."""
    if isinstance(v, Scalar):
        return v.text if v.kind in ("str", "timestamp") else None
    return v if isinstance(v, str) else None


def as_int(v: Any) -> int | None:
    """An integer field. A float with an integral value (`08`, `1e3`) becomes a JSON number
    like 8 or 1000 on its way through kubectl, which an integer field takes."""
    if isinstance(v, Scalar):
        if v.kind == "int" and isinstance(v.value, int):
            return v.value
        if v.kind == "float" and isinstance(v.value, float):
            return _integral(v.value)
        return None
    if isinstance(v, float):
        return _integral(v)
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _integral(number: float) -> int | None:
    # Go prints floats below 1e21 without an exponent: an integer field decodes those
    return int(number) if number.is_integer() and abs(number) < 1e21 else None


def as_bool(v: Any) -> bool:
    if isinstance(v, Scalar):
        return v.kind == "bool" and v.value is True
    return v is True


def as_int_or_str(v: Any) -> int | str | None:
    if isinstance(v, Scalar):
        if v.kind in ("int", "float"):
            return as_int(v)
        return v.text if v.kind in ("str", "timestamp") else None
    if isinstance(v, bool):
        return None
    return v if isinstance(v, int | str) else None


def as_map(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def present(obj: Mapping[str, Any], key: str) -> bool:
    """Set and not null: a null value decodes as absent."""
    v = obj.get(key)
    return v is not None and not (isinstance(v, Scalar) and v.kind == "null")


def labels_of(v: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, value in as_map(v).items():
        text = as_str(value)
        if text is not None:
            out[k] = text
    return out


def selector_of(v: Any) -> Selector:
    raw = as_map(v)
    exprs = []
    for item in as_list(raw.get("matchExpressions")):
        e = as_map(item)
        values = tuple(s for s in (as_str(x) for x in as_list(e.get("values"))) if s is not None)
        exprs.append(
            Expression(as_str(e.get("key")) or "", as_str(e.get("operator")) or "", values)
        )
    return Selector(tuple(sorted(labels_of(raw.get("matchLabels")).items())), tuple(exprs))


def optional_selector(obj: Mapping[str, Any], key: str) -> Selector | None:
    return selector_of(obj[key]) if present(obj, key) else None


def protocol_of(v: Any) -> Proto:
    """Protocols default to TCP when absent (API-server defaulting)."""
    text = as_str(v)
    for proto in PROTOS:
        if text == proto:
            return proto
    return "TCP"
