"""NetworkPolicy: validation as ValidateNetworkPolicy (pkg/apis/networking/validation) and
the API server's defaulting (protocol TCP, policyTypes from the rules)."""

from __future__ import annotations

import ipaddress
from typing import Any

from netreach.loader.check import Checker, FieldPath
from netreach.loader.cidr import parse_cidr
from netreach.loader.meta import Meta, read_meta, read_selector
from netreach.loader.names import (
    is_dns1123_subdomain,
    is_valid_port_name,
    is_valid_port_num,
)
from netreach.model import (
    Direction,
    IPBlock,
    LabelSelector,
    Location,
    NetworkPolicy,
    Peer,
    PolicyPort,
    Rule,
)

_SPEC_FIELDS = frozenset({"podSelector", "policyTypes", "ingress", "egress"})
_INGRESS_FIELDS = frozenset({"from", "ports"})
_EGRESS_FIELDS = frozenset({"to", "ports"})
_PEER_FIELDS = frozenset({"podSelector", "namespaceSelector", "ipBlock"})
_PORT_FIELDS = frozenset({"protocol", "port", "endPort"})
_IPBLOCK_FIELDS = frozenset({"cidr", "except"})
_POLICY_TYPES: dict[str, Direction] = {"Ingress": "ingress", "Egress": "egress"}


def read_policy(
    c: Checker, obj: dict[str, Any], loc: Location, default_ns: str
) -> tuple[Meta, NetworkPolicy]:
    meta = read_meta(c, obj, is_dns1123_subdomain, namespaced=True)
    spec = c.mapping(obj.get("spec"), ("spec",)) or {}
    c.unknown_fields(spec, ("spec",), _SPEC_FIELDS)
    selector = read_selector(c, spec.get("podSelector"), ("spec", "podSelector"))
    ingress = _rules(c, spec.get("ingress"), ("spec", "ingress"), "from", _INGRESS_FIELDS)
    egress = _rules(c, spec.get("egress"), ("spec", "egress"), "to", _EGRESS_FIELDS)
    types = _policy_types(c, spec.get("policyTypes"))
    explicit = bool(types)
    if not explicit:
        # Defaulting: Ingress always, Egress when there are egress rules.
        types = ("ingress", "egress") if egress else ("ingress",)
    policy = NetworkPolicy(
        namespace=meta.namespace or default_ns,
        name=meta.name,
        pod_selector=selector or LabelSelector(),
        policy_types=types,
        ingress=ingress,
        egress=egress,
        location=loc,
        explicit_policy_types=explicit,
    )
    return meta, policy


def _policy_types(c: Checker, value: Any) -> tuple[Direction, ...]:
    path: FieldPath = ("spec", "policyTypes")
    items = c.array(value, path)
    if len(items) > 2:
        c.invalid(path, items, "may not specify more than two policyTypes")
        return ()
    out: list[Direction] = []
    for i, item in enumerate(items):
        t = c.string(item, (*path, i))
        if t is None:
            continue
        if t not in _POLICY_TYPES:
            c.not_supported((*path, i), t, ["Egress", "Ingress"])
        elif _POLICY_TYPES[t] not in out:
            out.append(_POLICY_TYPES[t])
    return tuple(out)


def _rules(
    c: Checker, value: Any, path: FieldPath, peers_key: str, known: frozenset[str]
) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for i, item in enumerate(c.array(value, path)):
        rpath = (*path, i)
        raw = c.mapping(item, rpath)
        if raw is None:
            # `- ` (null) decodes to an empty rule: every peer, every port.
            rules.append(Rule())
            continue
        c.unknown_fields(raw, rpath, known)
        ports = [
            _port(c, p, (*rpath, "ports", j))
            for j, p in enumerate(c.array(raw.get("ports"), (*rpath, "ports")))
        ]
        peers = [
            _peer(c, p, (*rpath, peers_key, j))
            for j, p in enumerate(c.array(raw.get(peers_key), (*rpath, peers_key)))
        ]
        rules.append(
            Rule(
                peers=tuple(p for p in peers if p is not None),
                ports=tuple(p for p in ports if p is not None),
            )
        )
    return tuple(rules)


def _port(c: Checker, value: Any, path: FieldPath) -> PolicyPort | None:
    raw = c.mapping(value, path)
    if raw is None:
        return PolicyPort()
    c.unknown_fields(raw, path, _PORT_FIELDS)
    protocol = c.protocol(raw.get("protocol"), (*path, "protocol"))
    ok = protocol is not None
    port = raw.get("port")
    end_port = c.integer(raw.get("endPort"), (*path, "endPort"))
    if isinstance(port, bool) or not isinstance(port, int | str | None):
        c.wrong_type((*path, "port"), port, "an integer or a string")
        return None
    if isinstance(port, int):
        for msg in is_valid_port_num(port):
            c.invalid((*path, "port"), port, msg)
            ok = False
        if end_port is not None:
            if end_port < port:
                c.invalid((*path, "endPort"), end_port, "must be greater than or equal to `port`")
                ok = False
            for msg in is_valid_port_num(end_port):
                c.invalid((*path, "endPort"), end_port, msg)
                ok = False
    elif isinstance(port, str):
        if end_port is not None:
            c.invalid(
                (*path, "endPort"), end_port, "may not be specified when `port` is non-numeric"
            )
            ok = False
        for msg in is_valid_port_name(port):
            c.invalid((*path, "port"), port, msg)
            ok = False
    elif end_port is not None:
        c.invalid((*path, "endPort"), end_port, "may not be specified when `port` is not specified")
        ok = False
    return PolicyPort(protocol, port, end_port) if ok and protocol is not None else None


def _peer(c: Checker, value: Any, path: FieldPath) -> Peer | None:
    raw = c.mapping(value, path)
    if raw is None:
        c.required(path, "must specify a peer")
        return None
    c.unknown_fields(raw, path, _PEER_FIELDS)
    before = len(c.errors)
    pods = read_selector(c, raw.get("podSelector"), (*path, "podSelector"))
    namespaces = read_selector(c, raw.get("namespaceSelector"), (*path, "namespaceSelector"))
    block = _ip_block(c, raw.get("ipBlock"), (*path, "ipBlock"))
    count = sum(x is not None for x in (pods, namespaces)) + (
        "ipBlock" in raw and raw["ipBlock"] is not None
    )
    if count == 0:
        c.required(path, "must specify a peer")
    elif count > 1 and raw.get("ipBlock") is not None:
        c.forbidden(path, "may not specify both ipBlock and another peer")
    if len(c.errors) > before:
        return None
    return Peer(pods, namespaces, block)


def _ip_block(c: Checker, value: Any, path: FieldPath) -> IPBlock | None:
    raw = c.mapping(value, path)
    if raw is None:
        return None
    c.unknown_fields(raw, path, _IPBLOCK_FIELDS)
    cidr = c.string(raw.get("cidr"), (*path, "cidr"))
    if not cidr:
        c.required((*path, "cidr"))
        return None
    net = _cidr(c, cidr, (*path, "cidr"))
    excepts: list[str] = []
    for i, item in enumerate(c.array(raw.get("except"), (*path, "except"))):
        s = c.string(item, (*path, "except", i))
        if s is None:
            continue
        exc = _cidr(c, s, (*path, "except", i))
        if net is None or exc is None:
            continue
        if exc.version != net.version or not exc.subnet_of(net) or exc.prefixlen <= net.prefixlen:  # type: ignore[arg-type]
            c.invalid((*path, "except", i), s, "must be a strict subset of `cidr`")
            continue
        excepts.append(str(exc))
    if net is None:
        return None
    return IPBlock(str(net), tuple(excepts))


def _cidr(
    c: Checker, value: str, path: FieldPath
) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """A CIDR as Go and the API server read it (loader/cidr.py); host bits may be set (legacy
    fields), normalised to the network it denotes so the engine need not re-check."""
    net, why = parse_cidr(value)
    if net is None:
        c.invalid(path, value, why)
    return net
