"""Service: validation as ValidateService (pkg/apis/core/validation) for the fields netreach
reads (name, selector, ports), and the API server's defaulting (protocol TCP, targetPort =
port)."""

from __future__ import annotations

from typing import Any

from netreach.loader.check import Checker, FieldPath
from netreach.loader.meta import Meta, read_labels, read_meta
from netreach.loader.names import (
    is_dns1035_label,
    is_dns1123_label,
    is_valid_port_name,
    is_valid_port_num,
)
from netreach.model import Location, Protocol, Service, ServicePort

_SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")


def read_service(
    c: Checker, obj: dict[str, Any], loc: Location, default_ns: str
) -> tuple[Meta, Service]:
    meta = read_meta(c, obj, is_dns1035_label, namespaced=True)
    spec = c.mapping(obj.get("spec"), ("spec",)) or {}
    kind = c.string(spec.get("type"), ("spec", "type")) or "ClusterIP"
    if kind not in _SERVICE_TYPES:
        c.not_supported(("spec", "type"), kind, _SERVICE_TYPES)
    selector: dict[str, str] | None = None
    if spec.get("selector") is not None and kind != "ExternalName":
        selector = read_labels(c, spec.get("selector"), ("spec", "selector"))
    ports = _ports(c, spec.get("ports"))
    headless = spec.get("clusterIP") == "None"
    if not ports and kind != "ExternalName" and not headless and "ports" not in spec:
        c.required(("spec", "ports"))
    service = Service(
        namespace=meta.namespace or default_ns,
        name=meta.name,
        selector=selector or None,
        ports=ports,
        location=loc,
        type=kind,
    )
    return meta, service


def _ports(c: Checker, value: Any) -> tuple[ServicePort, ...]:
    path: FieldPath = ("spec", "ports")
    items = c.array(value, path)
    out: list[ServicePort] = []
    names: set[str] = set()
    keys: set[tuple[int, str]] = set()
    for i, item in enumerate(items):
        ppath = (*path, i)
        raw = c.mapping(item, ppath)
        if raw is None:
            c.required((*ppath, "port"))
            continue
        ok = True
        name = c.string(raw.get("name"), (*ppath, "name")) or None
        if name is None:
            if len(items) > 1:
                c.required((*ppath, "name"))
        else:
            for msg in is_dns1123_label(name):
                c.invalid((*ppath, "name"), name, msg)
                ok = False
            if name in names:
                c.duplicate((*ppath, "name"), name)
                ok = False
            names.add(name)
        number = c.integer(raw.get("port"), (*ppath, "port"))
        if number is None:
            if raw.get("port") is None:
                c.required((*ppath, "port"))
            ok = False
        else:
            for msg in is_valid_port_num(number):
                c.invalid((*ppath, "port"), number, msg)
                ok = False
        proto = c.protocol(raw.get("protocol"), (*ppath, "protocol"))
        protocol: Protocol = proto or "TCP"
        ok = ok and proto is not None
        target = _target_port(c, raw.get("targetPort"), (*ppath, "targetPort"))
        if target is False:
            ok = False
        if ok and number is not None:
            if (number, protocol) in keys:
                c.duplicate(ppath, {"port": number, "protocol": protocol})
                continue
            keys.add((number, protocol))
            # Defaulting: an absent (or zero) targetPort is the port itself.
            out.append(ServicePort(number, target if target else number, protocol, name))
    return tuple(out)


def _target_port(c: Checker, value: Any, path: FieldPath) -> int | str | bool | None:
    """The targetPort; None when absent (defaulted by the caller); False when invalid."""
    if value is None or value == 0 or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        c.wrong_type(path, value, "an integer or a string")
        return False
    errs = is_valid_port_num(value) if isinstance(value, int) else is_valid_port_name(value)
    for msg in errs:
        c.invalid(path, value, msg)
    return False if errs else value
