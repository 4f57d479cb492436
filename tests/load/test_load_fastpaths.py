"""The loader's shortcuts for repeated input must give what the full checks give."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from netreach.loader.pods import _is_plain_ipv4

octet = st.one_of(
    st.integers(0, 300).map(str), st.sampled_from(["00", "01", "007", "1e1", "", " 1", "١"])
)


@given(st.lists(octet, min_size=3, max_size=5).map(".".join))
def test_plain_ipv4_shortcut_only_accepts_canonical_addresses(text: str) -> None:
    if _is_plain_ipv4(text):
        assert str(ipaddress.ip_address(text)) == text


@given(st.ip_addresses(v=4))
def test_plain_ipv4_shortcut_accepts_every_canonical_ipv4(addr: ipaddress.IPv4Address) -> None:
    assert _is_plain_ipv4(str(addr))
