"""The shared `NS/NAME[Kind]` reference (netreach.query.endpoints)."""

from __future__ import annotations

from netreach.query.endpoints import NameRef, parse_name_ref, split_namespace


def test_a_bare_name_is_in_the_default_namespace() -> None:
    assert parse_name_ref("api") == NameRef("default", "api")
    assert parse_name_ref("api", "shop") == NameRef("shop", "api")


def test_kind_picks_among_workloads() -> None:
    assert parse_name_ref("shop/api[StatefulSet]") == NameRef("shop", "api", "StatefulSet")


def test_not_a_reference() -> None:
    for text in ("a/b/c", "/api", "shop/api[1]", "shop/"):
        assert parse_name_ref(text) is None, text


def test_split_namespace() -> None:
    assert split_namespace("shop/app=web") == ("shop", "app=web")
    assert split_namespace("app=web", "x") == ("x", "app=web")
