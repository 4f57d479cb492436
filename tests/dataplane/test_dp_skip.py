"""The skip-or-fail rule of dataplane tests."""

from __future__ import annotations

import dp_helpers
import pytest


def test_missing_tools_skip_or_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dp_helpers, "missing_requirements", lambda: ["`nft` (package nftables)"])
    monkeypatch.delenv("NETREACH_REQUIRE_DATAPLANE", raising=False)
    with pytest.raises(pytest.skip.Exception, match="missing `nft`"):
        dp_helpers.need_dataplane()
    monkeypatch.setenv("NETREACH_REQUIRE_DATAPLANE", "1")
    with pytest.raises(pytest.fail.Exception, match="NETREACH_REQUIRE_DATAPLANE=1"):
        dp_helpers.need_dataplane()
