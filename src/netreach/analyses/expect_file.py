"""Reading an expectations file (docs/expectations.md): every problem reported at once, each
with its file:line, as `InputError`."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from netreach.analyses.expect import Expectation, Selector
from netreach.errors import InputError, Problem
from netreach.loader.files import read_document, read_named
from netreach.loader.limits import Limits
from netreach.loader.sources import Source
from netreach.model import Location, PathPart
from netreach.query.ports import PortSpec, PortSyntaxError, parse_port

SELECTOR_KEYS = ("namespace", "pod", "workload", "labels", "namespace-labels", "cidr")
ITEM_KEYS = ("name", "from", "to", "port", "expect", "only-from", "only-to")


def load_expectations(path: str, limits: Limits | None = None) -> list[Expectation]:
    """Read and check an expectations file (`-`: stdin), decoded as manifests are, within
    the same limits."""
    return parse_expectations(read_named(path, limits), limits)


def parse_expectations(source: Source, limits: Limits | None = None) -> list[Expectation]:
    data = read_document(source, limits)
    reader = _Reader(source)
    out = reader.document(data)
    if reader.problems:
        raise InputError(reader.problems)
    return out


class _Reader:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def at(self, *path: PathPart) -> Location:
        return Location(self.source, 0, path)

    def error(self, message: str, *path: PathPart) -> None:
        field = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path)
        self.problems.append(Problem(message, self.at(*path), field=field.replace(".[", "[")))

    def document(self, data: Any) -> list[Expectation]:
        if not isinstance(data, Mapping) or not isinstance(data.get("expectations"), list):
            self.error("expected a mapping with a list `expectations:`")
            return []
        for key in data:
            if key != "expectations":
                self.error(f"unknown key {key!r} (expected `expectations`)", key)
        out: list[Expectation] = []
        for i, item in enumerate(data["expectations"]):
            got = self.item(item, ("expectations", i))
            if got is not None:
                out.append(got)
        return out

    def item(self, item: Any, path: tuple[PathPart, ...]) -> Expectation | None:
        if not isinstance(item, Mapping):
            self.error("each expectation is a mapping (name, from, to, ...)", *path)
            return None
        before = len(self.problems)
        for key in item:
            if key not in ITEM_KEYS:
                self.error(f"unknown key {key!r} (expected one of {', '.join(ITEM_KEYS)})", *path)
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            self.error("`name` is required (a short sentence)", *path)
            name = ""
        src = self.selectors(item.get("from"), (*path, "from"))
        dst = self.selectors(item.get("to"), (*path, "to"))
        only_from = (
            self.selectors(item["only-from"], (*path, "only-from")) if "only-from" in item else None
        )
        only_to = self.selectors(item["only-to"], (*path, "only-to")) if "only-to" in item else None
        port = self.port(item["port"], (*path, "port")) if "port" in item else None
        expect = item.get("expect")
        modes = [k for k in ("expect", "only-from", "only-to") if k in item]
        if len(modes) != 1:
            self.error("give exactly one of `expect`, `only-from` or `only-to`", *path)
        elif expect is not None and expect not in ("allow", "deny"):
            self.error(f"`expect` is allow or deny, not {expect!r}", *path, "expect")
        elif "expect" in item and "from" not in item and "to" not in item:
            self.error("`expect` needs `from`, `to` or both", *path)
        elif only_from is not None and ("to" not in item or "from" in item):
            self.error("`only-from` needs `to` (and no `from`)", *path, "only-from")
        elif only_to is not None and ("from" not in item or "to" in item):
            self.error("`only-to` needs `from` (and no `to`)", *path, "only-to")
        if src and dst and all(s.is_cidr for s in (*src, *dst)):
            self.error("`from` or `to` must select pods (both are address ranges)", *path)
        if port is not None and port.name is not None and any(s.is_cidr for s in dst):
            self.error("a named port needs pod destinations, not a `cidr`", *path, "port")
        anchor = dst if only_from is not None else src if only_to is not None else ()
        if any(s.is_cidr for s in anchor):
            self.error("the side `only-from`/`only-to` speaks about must select pods", *path)
        if len(self.problems) > before:
            return None
        return Expectation(
            name=name,
            src=src,
            dst=dst,
            port=port,
            expect=expect,
            only_from=only_from,
            only_to=only_to,
            location=self.at(*path),
        )

    def selectors(self, value: Any, path: tuple[PathPart, ...]) -> tuple[Selector, ...]:
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        out: list[Selector] = []
        for i, sel in enumerate(items):
            here = (*path, i) if isinstance(value, list) else path
            got = self.selector(sel, here)
            if got is not None:
                out.append(got)
        return tuple(out)

    def selector(self, sel: Any, path: tuple[PathPart, ...]) -> Selector | None:
        if not isinstance(sel, Mapping) or not sel:
            self.error(f"a selector is a mapping of {', '.join(SELECTOR_KEYS)}", *path)
            return None
        ok = True
        for key in sel:
            if key not in SELECTOR_KEYS:
                self.error(
                    f"unknown selector key {key!r} (expected {', '.join(SELECTOR_KEYS)})",
                    *path,
                    key,
                )
                ok = False
        strings: dict[str, str | None] = {}
        for key in ("namespace", "pod", "workload", "cidr"):
            v = sel.get(key)
            if v is not None and not isinstance(v, str):
                self.error(f"`{key}` must be a string", *path, key)
                ok = False
            strings[key] = v if isinstance(v, str) else None
        maps: dict[str, dict[str, str]] = {}
        for key in ("labels", "namespace-labels"):
            v = sel.get(key, {})
            if not isinstance(v, Mapping) or not all(
                isinstance(k, str) and isinstance(x, str) for k, x in v.items()
            ):
                self.error(f"`{key}` maps label keys to string values (quote numbers)", *path, key)
                ok = False
                v = {}
            maps[key] = dict(v)
        cidr = strings["cidr"]
        if cidr is not None:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                self.error(f"`cidr` {cidr!r} is not a CIDR (e.g. 10.0.0.0/8)", *path, "cidr")
                ok = False
            if len(sel) > 1:
                self.error("`cidr` selects addresses; it takes no other key", *path)
                ok = False
        if not ok:
            return None
        return Selector(
            namespace=strings["namespace"],
            pod=strings["pod"],
            workload=strings["workload"],
            labels=maps["labels"],
            namespace_labels=maps["namespace-labels"],
            cidr=cidr,
        )

    def port(self, value: Any, path: tuple[PathPart, ...]) -> PortSpec | None:
        """`5432`, `5432/TCP`, `8000-8080/TCP`, `53/UDP`, `postgres`, `dns/UDP`."""
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(text, str) or not text.strip():
            self.error("`port` is a number, a range (8000-8080) or a name, then /PROTOCOL", *path)
            return None
        try:
            return parse_port(text)
        except PortSyntaxError as exc:
            self.error(str(exc), *path)
            return None
