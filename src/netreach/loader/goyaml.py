"""YAML read as kubectl reads it: go-yaml v2's scalar rules, then sigs.k8s.io/yaml's JSON.

kubectl splits a file into documents at lines starting with `---` (apimachinery's
YAMLReader), decodes each with go-yaml v2 into Go values (YAML 1.1-flavoured: `yes`/`on`/`y`
are booleans, `0o120`/`0x50`/`0120`/`8_0` integers, `8e1` a float; no sexagesimal `1:20`;
timestamps stay strings; `<<` merges maps in order, the first of a list winning), converts
that to JSON (non-string keys become strings: `1` -> "1", `y` -> "true", `1.5` -> "1.5" with
float32 precision; a null key, NaN or infinity is an error), and the JSON it sends is read
back as int64 when integral (`80.0` and `8e1` arrive as `80`).

This module holds those rules as functions of scalars; `decode.py` walks libyaml's node tree
with them. Rules were learned from the sources (go-yaml v2 resolve.go/decode.go,
sigs.k8s.io/yaml yaml.go, apimachinery util/yaml) and are pinned by the kubectl differential
test (tests/load/test_kubectl_differential.py).
"""

from __future__ import annotations

import base64
import binascii
import math
import operator
import re
from decimal import Decimal
from typing import Any

import numpy as np
from yaml._yaml import CParser
from yaml.nodes import Node, ScalarNode

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
UINT64_MAX = (1 << 64) - 1

TAG_PREFIX = "tag:yaml.org,2002:"
STR = TAG_PREFIX + "str"
INT = TAG_PREFIX + "int"
FLOAT = TAG_PREFIX + "float"
BOOL = TAG_PREFIX + "bool"
NULL = TAG_PREFIX + "null"
TIMESTAMP = TAG_PREFIX + "timestamp"
BINARY = TAG_PREFIX + "binary"
MERGE = TAG_PREFIX + "merge"
# Tag given to plain scalars without a tag: resolved by `resolve_plain`.
PLAIN = "?"
_RESOLVABLE = frozenset({STR, INT, FLOAT, BOOL, NULL, TIMESTAMP})

# go-yaml v2's table of exact words (resolve.go); everything else plain is a number or a string.
_WORDS: dict[str, tuple[str, Any]] = {}
for _words, _tag, _value in (
    (("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), BOOL, True),
    (("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), BOOL, False),
    (("", "~", "null", "Null", "NULL"), NULL, None),
    ((".nan", ".NaN", ".NAN"), FLOAT, math.nan),
    ((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), FLOAT, math.inf),
    (("-.inf", "-.Inf", "-.INF"), FLOAT, -math.inf),
    (("<<",), MERGE, "<<"),
):
    for _w in _words:
        _WORDS[_w] = (_tag, _value)

# First characters that make go-yaml look further than "a string" (its resolveTable hints).
_NUMBER_START = frozenset("+-0123456789")
_DOT_START = "."
HINTED = frozenset("+-0123456789.yYnNtTfFoO~")

_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
# strconv.ParseFloat on text starting with "." (go-yaml's "." hint): digits may be separated
# by single underscores, as in Go float literals.
_DOT_FLOAT = re.compile(r"\.[0-9](_?[0-9])*([eE][-+]?[0-9](_?[0-9])*)?")
_DIGITS = {16: frozenset("0123456789abcdefABCDEF"), 10: frozenset("0123456789"),
           8: frozenset("01234567"), 2: frozenset("01")}  # fmt: skip
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(([Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2}))"
    r"|( [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]{1,9})?))?"
)


class YAMLValueError(ValueError):
    """A scalar or key kubectl cannot turn into JSON (its error, in our words)."""


def _parse_go_int(text: str) -> tuple[int, bool] | None:
    """strconv.ParseInt(text, 0, 64), else ParseUint(text, 0, 64): (value, is_uint64), or
    None when neither accepts it (then go-yaml tries a float)."""
    sign = 1
    body = text
    signed = body[:1] in ("+", "-")
    if signed:
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    if not body:
        return None
    base = 10
    digits = body
    if len(body) >= 2 and body[0] == "0" and body[1] in "xXoObB":
        base = {"x": 16, "o": 8, "b": 2}[body[1].lower()]
        digits = body[2:]
    elif body[0] == "0" and len(body) > 1:
        base = 8
        digits = body[1:]
    if not digits or not set(digits) <= _DIGITS[base]:
        return None
    if len(digits.lstrip("0")) > 64:
        return None  # beyond uint64 in any base (and Python's 4,300-digit limit)
    value = sign * int(digits, base)
    if INT64_MIN <= value <= INT64_MAX:
        return value, False
    if not signed and value <= UINT64_MAX:
        return value, True
    return None


def _go_float(text: str) -> float | None:
    """strconv.ParseFloat(text, 64) for text already shaped like a decimal float: None on a
    range error (go-yaml then keeps the scalar a string)."""
    value = float(text)
    return None if math.isinf(value) else value


def _number(plain: str) -> tuple[str, Any] | None:
    """The int/float branch of go-yaml's resolve (hint "D" or "S"); None: a string."""
    got = _parse_go_int(plain)
    if got is not None:
        value, is_uint = got
        return (INT, ("uint", value) if is_uint else value)
    if _YAML_STYLE_FLOAT.fullmatch(plain):
        f = _go_float(plain)
        if f is not None:
            return (FLOAT, f)
    if plain.startswith("0b") and plain[2:3] in ("+", "-"):
        # go-yaml's own fallback, strconv.ParseInt(plain[2:], 2, 64): a sign after "0b"
        digits = plain[3:]
        if digits and set(digits) <= _DIGITS[2]:
            value = int(digits, 2) * (-1 if plain[2] == "-" else 1)
            if INT64_MIN <= value <= INT64_MAX:
                return (INT, value)
    return None


def resolve_plain(text: str) -> tuple[str, Any]:
    """(tag, Go value) of a plain scalar without a tag, as go-yaml v2 resolves it. Integers
    beyond int64 are ("uint", n); floats are Python floats (NaN and infinities included)."""
    if not text:
        return (NULL, None)
    first = text[0]
    if first not in HINTED:
        return (STR, text)
    word = _WORDS.get(text)
    if word is not None:
        return word
    if first == ".":
        if _DOT_FLOAT.fullmatch(text):
            f = _go_float(text.replace("_", ""))
            if f is not None:
                return (FLOAT, f)
        return (STR, text)
    if first in _NUMBER_START:
        if _is_timestamp(text):
            return (TIMESTAMP, text)  # kept as the original text (go-yaml, into interface{})
        got = _number(text.replace("_", ""))
        if got is not None:
            return got
    return (STR, text)


def _is_timestamp(text: str) -> bool:
    return (
        len(text) >= 6
        and text[4] == "-"
        and text[:4].isdigit()
        and (_TIMESTAMP.fullmatch(text) is not None)
    )


def resolve_tagged(tag: str, text: str) -> Any:
    """The Go value of a scalar with an explicit tag (or a quoted one: tag !!str)."""
    if tag == STR:
        return text
    if tag == BINARY:
        return _binary_text(text)
    if tag not in _RESOLVABLE:
        return text  # custom and non-specific tags (`!foo`, `!`): the text itself
    rtag, value = resolve_plain(text) if text else (NULL, None)
    if tag == rtag:
        return value
    if tag == FLOAT and rtag == INT and type(value) is int:
        return float(value)
    raise YAMLValueError(f"cannot decode !!{_short(rtag)} `{text}` as a !!{_short(tag)}")


def _short(tag: str) -> str:
    return tag[len(TAG_PREFIX) :] if tag.startswith(TAG_PREFIX) else tag


def _binary_text(text: str) -> str:
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise YAMLValueError("!!binary value contains invalid base64 data") from None
    return data.decode("utf-8", errors="replace")


def to_json_value(value: Any) -> Any:
    """A Go scalar as the API server receives it from kubectl: integral numbers within int64
    become ints (`80.0` -> 80), larger ones floats; NaN and infinities are refused."""
    if type(value) is float:
        if math.isnan(value) or math.isinf(value):
            word = "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")
            raise YAMLValueError(f"JSON has no {word} (kubectl: json: unsupported value: {word})")
        return float_to_json(value)
    if type(value) is tuple:  # ("uint", n): beyond int64, read back as a float64
        return float(value[1])
    return value


def float_to_json(value: float) -> int | float:
    """A finite float64 as JSON text read back by the unstructured decoder: Go prints it in
    shortest form (`80`), which parses back as int64 when it has no fraction and fits."""
    if value.is_integer() and abs(value) < 1e21:
        exact = int(Decimal(repr(value)))
        if INT64_MIN <= exact <= INT64_MAX:
            return exact
    return value


def json_key(value: Any) -> str:
    """A Go map key as sigs.k8s.io/yaml turns it into a JSON key."""
    if type(value) is str:
        return value
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if type(value) is float:
        return _float32_g(value)
    if value is None:
        raise YAMLValueError("a null map key (`~`, `null` or empty) cannot become a JSON key")
    if type(value) is tuple:
        raise YAMLValueError(f"the map key {value[1]} is beyond int64 (unsupported map key type)")
    raise YAMLValueError("a map key that is a list or a map cannot become a JSON key")


def go_key(value: Any) -> tuple[str, Any]:
    """The identity of a Go map key: 1, 1.0, "1" and true are different keys in Go."""
    if type(value) is float and math.isnan(value):
        return ("nan", object())  # NaN never equals itself: every NaN key is distinct
    return (type(value).__name__, value)


def _float32_g(value: float) -> str:
    """strconv.FormatFloat(value, 'g', -1, 32), with go-yaml's names for the specials."""
    if math.isnan(value):
        return ".nan"
    with np.errstate(over="ignore"):
        f32 = np.float32(value)
    if np.isinf(f32):
        return ".inf" if f32 > 0 else "-.inf"
    if f32 == 0:
        return "-0" if math.copysign(1.0, float(f32)) < 0 else "0"
    sci = np.format_float_scientific(f32, unique=True, trim="-")
    mantissa, _, exp_text = sci.partition("e")
    exp = int(exp_text)
    negative = mantissa.startswith("-")
    digits = mantissa.lstrip("-").replace(".", "")
    if exp < -4 or exp >= 6:
        head = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        out = f"{head}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    elif exp < 0:
        out = "0." + "0" * (-exp - 1) + digits
    else:
        whole = digits[: exp + 1].ljust(exp + 1, "0")
        frac = digits[exp + 1 :]
        out = whole + ("." + frac if frac else "")
    return ("-" if negative else "") + out


# --- documents -------------------------------------------------------------------------------

_SEPARATOR = re.compile(r"^---(.*)$", re.MULTILINE)


class Chunk:
    """One document as kubectl's YAMLReader cuts it: its text and where it starts."""

    __slots__ = ("line", "offset", "text")

    def __init__(self, text: str, offset: int, line: int) -> None:
        self.text = text
        self.offset = offset  # character offset in the file
        self.line = line  # 0-based line of its first character


def split_documents(text: str) -> tuple[list[Chunk], list[tuple[int, str]]]:
    """Documents at lines starting with `---`, as apimachinery's YAMLReader: anything but a
    comment after `---` on that line is an error (returned as (0-based line, message))."""
    chunks: list[Chunk] = []
    errors: list[tuple[int, str]] = []
    start = 0
    start_line = 0
    counted, line = 0, 0  # lines counted up to offset `counted` (no quadratic recount)
    for m in _SEPARATOR.finditer(text):
        rest = m.group(1).strip()
        line += text.count("\n", counted, m.start())
        counted = m.start()
        if rest and not rest.startswith("#"):
            errors.append((line, f"invalid Yaml document separator: {rest}"))
        if m.start() > start:
            chunks.append(Chunk(text[start : m.start()], start, start_line))
        start = m.end() + 1
        start_line = line + 1
    if start < len(text):
        chunks.append(Chunk(text[start:], start, start_line))
    return chunks, errors


class Composer(CParser):  # type: ignore[misc,unused-ignore]  # untyped C extension class
    """libyaml's parser and composer; scalars are left unresolved (tag PLAIN for plain ones
    without a tag, STR for quoted and block ones) so that go-yaml's rules, not PyYAML's,
    decide what they are."""

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        if kind is ScalarNode:
            return PLAIN if implicit[0] else STR
        return ""

    # Path-dependent resolvers: none. The composer calls these two around every node: C
    # callables that ignore what they are given cost less than Python methods.
    descend_resolver = staticmethod(operator.is_)
    ascend_resolver = staticmethod(tuple)


def compose_first(text: str) -> Node | None:
    """The node of the first document of `text` (go-yaml's Unmarshal reads no further);
    raises yaml.YAMLError on a syntax error."""
    composer = Composer(text)
    try:
        if composer.check_node():
            node: Node | None = composer.get_node()
            return node
        return None
    finally:
        composer.dispose()
