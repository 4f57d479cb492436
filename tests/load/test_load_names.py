"""Name and label validators against regex-free references written from the Kubernetes docs."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from netreach.loader.names import (
    is_dns1123_label,
    is_dns1123_subdomain,
    is_qualified_name,
    is_valid_label_value,
    is_valid_port_name,
    is_valid_port_num,
)

ALNUM = set(string.ascii_letters + string.digits)
LOWER_ALNUM = set(string.ascii_lowercase + string.digits)


def ref_label_name(s: str) -> bool:
    """1-63 chars of [A-Za-z0-9_.-], starting and ending alphanumeric."""
    return (
        0 < len(s) <= 63
        and all(c in ALNUM or c in "-_." for c in s)
        and s[0] in ALNUM
        and s[-1] in ALNUM
    )


def ref_dns_label(s: str) -> bool:
    return (
        0 < len(s) <= 63
        and all(c in LOWER_ALNUM or c == "-" for c in s)
        and s[0] in LOWER_ALNUM
        and s[-1] in LOWER_ALNUM
    )


def ref_dns_subdomain(s: str) -> bool:
    return len(s) <= 253 and all(ref_dns_label(p) for p in s.split("."))


def ref_qualified_name(s: str) -> bool:
    parts = s.split("/")
    if len(parts) == 1:
        return ref_label_name(s)
    if len(parts) == 2:
        return ref_dns_subdomain(parts[0]) and ref_label_name(parts[1])
    return False


def ref_label_value(s: str) -> bool:
    return s == "" or ref_label_name(s)


def ref_port_name(s: str) -> bool:
    return (
        0 < len(s) <= 15
        and all(c in LOWER_ALNUM or c == "-" for c in s)
        and any(c in string.ascii_lowercase for c in s)
        and "--" not in s
        and s[0] != "-"
        and s[-1] != "-"
    )


# Mostly the characters that matter, plus a few others (uppercase, unicode, newline).
CHARS = st.sampled_from([*"abz09AZ-_./", "\n", "é", " "])
TEXT = st.text(CHARS, max_size=70) | st.text(st.sampled_from(list("ab-.")), max_size=300)


@given(TEXT)
def test_qualified_name_matches_reference(s: str) -> None:
    assert (not is_qualified_name(s)) == ref_qualified_name(s)


@given(TEXT)
def test_label_value_matches_reference(s: str) -> None:
    assert (not is_valid_label_value(s)) == ref_label_value(s)


@given(TEXT)
def test_dns1123_label_matches_reference(s: str) -> None:
    assert (not is_dns1123_label(s)) == ref_dns_label(s)


@given(TEXT)
def test_dns1123_subdomain_matches_reference(s: str) -> None:
    assert (not is_dns1123_subdomain(s)) == ref_dns_subdomain(s)


@given(st.text(st.sampled_from(list("az09-A_")), max_size=20))
def test_port_name_matches_reference(s: str) -> None:
    assert (not is_valid_port_name(s)) == ref_port_name(s)


@given(st.integers(-10, 70000))
def test_port_number_range(n: int) -> None:
    assert (not is_valid_port_num(n)) == (1 <= n <= 65535)


def test_trailing_newline_is_rejected() -> None:
    # Go's regexp `$` does not match before a final newline; Python's does. Guarded by fullmatch.
    assert is_valid_label_value("abc\n")
    assert is_dns1123_subdomain("abc\n")
