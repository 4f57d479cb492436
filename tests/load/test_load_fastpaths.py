"""The loader's shortcuts for repeated input must give what the full checks give."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from netreach.loader import decode
from netreach.loader.decode import Parsed, parse_text
from netreach.loader.limits import Limits
from netreach.loader.sources import Source
from netreach.model import ipv4_number

octet = st.one_of(
    st.integers(0, 300).map(str), st.sampled_from(["00", "01", "007", "1e1", "", " 1", "١"])
)


@given(st.lists(octet, min_size=3, max_size=5).map(".".join))
def test_plain_ipv4_shortcut_only_accepts_canonical_addresses(text: str) -> None:
    number = ipv4_number(text)
    if number is not None:
        assert str(ipaddress.ip_address(text)) == text
        assert int(ipaddress.ip_address(text)) == number


@given(st.ip_addresses(v=4))
def test_plain_ipv4_shortcut_accepts_every_canonical_ipv4(addr: ipaddress.IPv4Address) -> None:
    assert ipv4_number(str(addr)) == int(addr)


# Keys in every form whose text could also be a plain word: the decoder remembers the texts of
# plain keys that are strings, and must read each form afterwards as it did before.
KEY_FORMS = [
    "name", "on", "yes", "80", "0x50", "1.5", "~", "null", ".inf", "<<", "a b", "2001-01-01",
    '"name"', "'80'", "! 80", "!!str 80", "!!int 80", "&k name", "? name",
]  # fmt: skip
KEY_WORDS = st.sampled_from(["name", "on", "80", "yes", "x"])


@given(st.lists(st.sampled_from(KEY_FORMS), min_size=1, max_size=8), KEY_WORDS)
def test_remembered_string_keys_read_every_key_form_as_before(forms: list[str], word: str) -> None:
    lines = [f"{form.replace('name', word)}: {{v: {i}}}" for i, form in enumerate(forms)]
    text = "\n".join(
        [
            "m: {" + ", ".join(["<<: {a: 1}" if "<<" in f else f"{f}: 1" for f in forms]) + "}",
            *lines,
        ]
    )

    def read() -> tuple[object, ...]:
        out = Parsed()
        parse_text(Source("t.yaml", text.encode()), text, out, Limits())
        return (
            out.docs,
            [str(p) for p in out.problems],
            out.duplicates,
            [str(w) for w in out.warnings],
        )

    decode._STRING_KEYS.clear()
    cold = read()
    assert read() == cold  # the texts of this document remembered
