"""The admin tiers of kubernetes-sigs/network-policy-api, read into one normalized form.

- AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1):
  `ports` entries are one of portNumber / namedPort / portRange;
- ClusterNetworkPolicy (v1alpha2): `tier`, actions Accept/Deny/Pass, `protocols` entries are
  one of tcp / udp / sctp (each with an optional destinationPort number or range) /
  destinationNamedPort.

Validation follows the CRDs' OpenAPI and CEL rules (apis/ of that repository), and only
those: label selector keys and values have no format there (`reserved:host` is applied by
cilium-cli's own tests), so a malformed one is a warning and matches no pod label; priority
0-1000, at most 100 (v1alpha1) or 25 (v1alpha2) rules per direction, peers and subjects
exactly one of, BANP named `default`, networks as CIDRs and no named port beside them.
"""

from __future__ import annotations

from typing import Any

from netreach.loader.check import Checker, FieldPath
from netreach.loader.cidr import parse_cidr
from netreach.loader.meta import Meta, read_meta, read_selector
from netreach.loader.names import is_dns1123_subdomain, is_valid_port_name
from netreach.model import (
    PROTOCOLS,
    AdminAction,
    AdminKind,
    AdminPeer,
    AdminPolicy,
    AdminRule,
    AdminSubject,
    Direction,
    LabelSelector,
    Location,
    PolicyPort,
    Protocol,
    Tier,
)

_ACTIONS: dict[str, dict[str, AdminAction]] = {
    "AdminNetworkPolicy": {"Allow": "Allow", "Deny": "Deny", "Pass": "Pass"},
    "BaselineAdminNetworkPolicy": {"Allow": "Allow", "Deny": "Deny"},
    "ClusterNetworkPolicy": {"Accept": "Allow", "Deny": "Deny", "Pass": "Pass"},
}
_TIERS: dict[str, Tier] = {"Admin": "Admin", "Baseline": "Baseline"}
_SUBJECT_FIELDS = frozenset({"namespaces", "pods"})
_NAMESPACED_POD_FIELDS = frozenset({"namespaceSelector", "podSelector"})
_INGRESS_PEER_FIELDS = frozenset({"namespaces", "pods"})
_EGRESS_PEER_FIELDS = frozenset({"namespaces", "pods", "nodes", "networks", "domainNames"})
_V1_PORT_FIELDS = frozenset({"portNumber", "namedPort", "portRange"})
_V2_PROTOCOL_FIELDS = frozenset({"tcp", "udp", "sctp", "destinationNamedPort"})
_PROTOCOL_KEYS: dict[str, Protocol] = {"tcp": "TCP", "udp": "UDP", "sctp": "SCTP"}
_MAX_PEERS = {"v1alpha1": 100, "v1alpha2": 25}
_MAX_RULES = {"v1alpha1": 100, "v1alpha2": 25}
_MAX_NETWORKS = 25
_MAX_RULE_NAME = 100


def read_admin_policy(
    c: Checker, kind: AdminKind, obj: dict[str, Any], loc: Location
) -> AdminPolicy:
    meta: Meta = read_meta(c, obj, is_dns1123_subdomain, namespaced=False)
    version = "v1alpha2" if kind == "ClusterNetworkPolicy" else "v1alpha1"
    spec = c.mapping(obj.get("spec"), ("spec",))
    if spec is None:
        c.required(("spec",))
        spec = {}
    known = {"subject", "ingress", "egress"}
    if kind == "AdminNetworkPolicy":
        known.add("priority")
    elif kind == "ClusterNetworkPolicy":
        known |= {"priority", "tier"}
    c.unknown_fields(spec, ("spec",), frozenset(known))
    if kind == "BaselineAdminNetworkPolicy" and meta.name and meta.name != "default":
        c.invalid(("metadata", "name"), meta.name, "Only one BANP can exist, named default")

    tier: Tier = "Baseline" if kind == "BaselineAdminNetworkPolicy" else "Admin"
    if kind == "ClusterNetworkPolicy":
        raw_tier = c.string(spec.get("tier"), ("spec", "tier"))
        if raw_tier is None:
            c.required(("spec", "tier"))
        elif raw_tier not in _TIERS:
            c.not_supported(("spec", "tier"), raw_tier, _TIERS)
        else:
            tier = _TIERS[raw_tier]
    priority = 0
    if kind != "BaselineAdminNetworkPolicy":
        got = c.integer(spec.get("priority"), ("spec", "priority"))
        if got is None:
            c.required(("spec", "priority"))
        elif not 0 <= got <= 1000:
            c.invalid(("spec", "priority"), got, "must be between 0 and 1000 inclusive")
        else:
            priority = got
    subject = _subject(c, spec.get("subject"), version)
    ingress = _rules(c, kind, version, "ingress", spec.get("ingress"))
    egress = _rules(c, kind, version, "egress", spec.get("egress"))
    return AdminPolicy(
        kind=kind,
        tier=tier,
        name=meta.name,
        priority=priority,
        subject=subject or AdminSubject(LabelSelector()),
        ingress=ingress,
        egress=egress,
        location=loc,
    )


def _one_of(c: Checker, raw: dict[str, Any], path: FieldPath, fields: frozenset[str]) -> str | None:
    """The single set field of a one-of struct (MinProperties=1, MaxProperties=1)."""
    c.unknown_fields(raw, path, fields)
    present = [k for k in raw if k in fields and raw[k] is not None]
    if not present:
        c.required(path, f"exactly one of {', '.join(sorted(fields))} must be set")
        return None
    if len(present) > 1:
        c.forbidden(
            path,
            f"exactly one of {', '.join(sorted(fields))} must be set, not {', '.join(present)}",
        )
        return None
    return present[0]


def _namespaced_pod(
    c: Checker, value: Any, path: FieldPath, version: str
) -> tuple[LabelSelector, LabelSelector] | None:
    raw = c.mapping(value, path)
    if raw is None:
        return None
    _removed_forms(c, raw, path)
    c.unknown_fields(
        {k: v for k, v in raw.items() if k != "namespaces"}, path, _NAMESPACED_POD_FIELDS
    )
    namespaces = read_selector(
        c, raw.get("namespaceSelector"), (*path, "namespaceSelector"), formats=False
    )
    if namespaces is None and version == "v1alpha2":
        namespaces = LabelSelector()  # v1alpha2: "if empty, it selects all Namespaces"
    if namespaces is None:
        c.required((*path, "namespaceSelector"))
    pods = read_selector(c, raw.get("podSelector"), (*path, "podSelector"), formats=False)
    if pods is None:
        c.required((*path, "podSelector"))
    if namespaces is None or pods is None:
        return None
    return namespaces, pods


# Forms of network-policy-api releases before v0.1.5, refused by the current CRDs: the
# message names the current form (a lenient load must not read them as "all namespaces").
_REMOVED = {
    "namespaceSelector": "write the label selector directly: `namespaces: {matchLabels: ...}`",
    "sameLabels": "removed without replacement: select the namespaces by their labels",
    "notSameLabels": "removed without replacement: select the namespaces by their labels",
    "namespaces": "use `pods: {namespaceSelector: ..., podSelector: ...}`",
}


def _removed_forms(c: Checker, raw: dict[str, Any], path: FieldPath) -> None:
    for key in raw:
        if key in _REMOVED and not (key == "namespaceSelector" and path[-1] == "pods"):
            if key == "namespaces" and path[-1] != "pods":
                continue
            c.error(
                (*path, key),
                f"Forbidden: this form was removed from the AdminNetworkPolicy API "
                f"(network-policy-api v0.1.5); {_REMOVED[key]}",
            )


def _selector_not_old_form(c: Checker, value: Any, path: FieldPath) -> LabelSelector | None:
    if isinstance(value, dict):
        _removed_forms(c, value, path)
        value = {k: v for k, v in value.items() if k not in _REMOVED or k == "namespaces"}
    return read_selector(c, value, path, formats=False)


def _subject(c: Checker, value: Any, version: str) -> AdminSubject | None:
    path: FieldPath = ("spec", "subject")
    raw = c.mapping(value, path)
    if raw is None:
        c.required(path)
        return None
    which = _one_of(c, raw, path, _SUBJECT_FIELDS)
    if which == "namespaces":
        sel = _selector_not_old_form(c, raw["namespaces"], (*path, "namespaces"))
        return AdminSubject(sel or LabelSelector())
    if which == "pods":
        pair = _namespaced_pod(c, raw["pods"], (*path, "pods"), version)
        return AdminSubject(pair[0], pair[1]) if pair is not None else None
    return None


def _rules(
    c: Checker, kind: AdminKind, version: str, direction: Direction, value: Any
) -> tuple[AdminRule, ...]:
    path: FieldPath = ("spec", direction)
    items = c.array(value, path)
    if len(items) > _MAX_RULES[version]:
        c.error(path, f"Too many: {len(items)}: must have at most {_MAX_RULES[version]} items")
    peers_key = "from" if direction == "ingress" else "to"
    peer_fields = _INGRESS_PEER_FIELDS if direction == "ingress" else _EGRESS_PEER_FIELDS
    ports_key = "protocols" if version == "v1alpha2" else "ports"
    out: list[AdminRule] = []
    for i, item in enumerate(items):
        rpath = (*path, i)
        raw = c.mapping(item, rpath)
        if raw is None:
            c.required(rpath, "a rule needs an action and peers")
            continue
        c.unknown_fields(raw, rpath, frozenset({"name", "action", peers_key, ports_key}))
        name = c.string(raw.get("name"), (*rpath, "name")) or ""
        if len(name) > _MAX_RULE_NAME:
            c.error((*rpath, "name"), f"Too long: may not be longer than {_MAX_RULE_NAME}")
        action = _action(c, kind, raw.get("action"), (*rpath, "action"))
        peers = _peers(c, version, raw.get(peers_key), (*rpath, peers_key), peer_fields)
        ports = _ports(c, version, raw, (*rpath, ports_key), ports_key)
        if (
            ports is not None
            and any(isinstance(p.port, str) for p in ports)
            and any(p.networks or p.nodes is not None or p.unsupported for p in peers)
        ):
            c.invalid(
                rpath,
                "namedPort",
                "networks/nodes/domainNames peer cannot be set with namedPorts since there are "
                "no namedPorts for networks/nodes/domainNames",
            )
        if action is not None:
            out.append(AdminRule(name, action, tuple(peers), ports))
    return tuple(out)


def _action(c: Checker, kind: AdminKind, value: Any, path: FieldPath) -> AdminAction | None:
    text = c.string(value, path)
    if text is None:
        c.required(path)
        return None
    actions = _ACTIONS[kind]
    if text not in actions:
        c.not_supported(path, text, actions)
        return None
    return actions[text]


def _peers(
    c: Checker, version: str, value: Any, path: FieldPath, fields: frozenset[str]
) -> list[AdminPeer]:
    items = c.array(value, path)
    if not items:
        c.required(path, "must have at least 1 item")
    elif len(items) > _MAX_PEERS[version]:
        c.error(path, f"Too many: {len(items)}: must have at most {_MAX_PEERS[version]} items")
    out: list[AdminPeer] = []
    for j, item in enumerate(items):
        ppath = (*path, j)
        raw = c.mapping(item, ppath)
        if raw is None:
            c.required(ppath, "must specify a peer")
            continue
        which = _one_of(c, raw, ppath, fields)
        if which is None:
            continue
        peer = _peer(c, version, which, raw[which], (*ppath, which))
        if peer is not None:
            out.append(peer)
    return out


def _peer(c: Checker, version: str, which: str, value: Any, path: FieldPath) -> AdminPeer | None:
    if which == "namespaces":
        sel = _selector_not_old_form(c, value, path)
        return AdminPeer(namespaces=sel or LabelSelector())
    if which == "pods":
        pair = _namespaced_pod(c, value, path, version)
        return AdminPeer(pods=pair) if pair is not None else None
    if which == "nodes":
        sel = read_selector(c, value, path, formats=False)
        return AdminPeer(nodes=sel or LabelSelector())
    if which == "networks":
        cidrs = c.array(value, path)
        if not cidrs:
            c.required(path, "must have at least 1 item")
        if len(cidrs) > _MAX_NETWORKS:
            c.error(path, f"Too many: {len(cidrs)}: must have at most {_MAX_NETWORKS} items")
        nets: list[str] = []
        for k, item in enumerate(cidrs):
            text = c.string(item, (*path, k))
            if text is None:
                continue
            # isCIDR() of the CRD's CEL rule (Go's netip): host bits may be set, the network
            # is meant; zones, netmasks, leading zeros are refused.
            net, why = parse_cidr(text)
            if net is None:
                c.invalid((*path, k), text, f"Invalid CIDR format provided ({why})")
            else:
                nets.append(str(net))
        return AdminPeer(networks=tuple(nets)) if nets else None
    # domainNames: resolved by DNS at run time, which a snapshot cannot know.
    c.warn(
        path,
        f"{which} peers are not supported by netreach: this peer matches nothing "
        "(an Allow/Accept rule with it allows nothing through it)",
    )
    return AdminPeer(unsupported=which)


def _ports(
    c: Checker, version: str, rule: dict[str, Any], path: FieldPath, key: str
) -> tuple[PolicyPort, ...] | None:
    if rule.get(key) is None:
        return None  # every connection
    items = c.array(rule.get(key), path)
    if not items:
        c.required(path, "must have at least 1 item")
    out: list[PolicyPort] = []
    for j, item in enumerate(items):
        ppath = (*path, j)
        raw = c.mapping(item, ppath)
        if raw is None:
            c.required(ppath)
            continue
        if version == "v1alpha1":
            out += _v1_port(c, raw, ppath)
        else:
            out += _v2_protocol(c, raw, ppath)
    return tuple(out)


def _port_number(c: Checker, value: Any, path: FieldPath) -> int | None:
    n = c.integer(value, path)
    if n is None:
        c.required(path)
        return None
    if not 1 <= n <= 65535:
        c.invalid(path, n, "must be between 1 and 65535, inclusive")
        return None
    return n


def _named(c: Checker, value: Any, path: FieldPath) -> list[PolicyPort]:
    name = c.string(value, path)
    if not name:
        c.required(path)
        return []
    problems = is_valid_port_name(name)
    for msg in problems:
        c.invalid(path, name, msg)
    # The CRD's named port has no protocol: it matches the container port of that name
    # whatever its protocol. Names resolve per protocol in the engine, so one entry each.
    return [] if problems else [PolicyPort(p, name) for p in PROTOCOLS]


def _range(
    c: Checker, raw: dict[str, Any], path: FieldPath, protocol: Protocol
) -> PolicyPort | None:
    start = _port_number(c, raw.get("start"), (*path, "start"))
    end = _port_number(c, raw.get("end"), (*path, "end"))
    if start is None or end is None:
        return None
    if start >= end:
        c.invalid(path, {"start": start, "end": end}, "Start port must be less than End port")
        return None
    return PolicyPort(protocol, start, end)


def _v1_port(c: Checker, raw: dict[str, Any], path: FieldPath) -> list[PolicyPort]:
    which = _one_of(c, raw, path, _V1_PORT_FIELDS)
    if which is None:
        return []
    if which == "namedPort":
        return _named(c, raw[which], (*path, which))
    sub = c.mapping(raw.get(which), (*path, which))
    if sub is None:
        return []
    spath = (*path, which)
    protocol = c.protocol(sub.get("protocol"), (*spath, "protocol"))
    got: PolicyPort | None = None
    if which == "portNumber":
        c.unknown_fields(sub, spath, frozenset({"protocol", "port"}))
        n = _port_number(c, sub.get("port"), (*spath, "port"))
        got = PolicyPort(protocol, n) if protocol and n is not None else None
    else:
        c.unknown_fields(sub, spath, frozenset({"protocol", "start", "end"}))
        got = _range(c, sub, spath, protocol) if protocol else None
    return [got] if got is not None else []


def _v2_protocol(c: Checker, raw: dict[str, Any], path: FieldPath) -> list[PolicyPort]:
    which = _one_of(c, raw, path, _V2_PROTOCOL_FIELDS)
    if which is None:
        return []
    if which == "destinationNamedPort":
        return _named(c, raw[which], (*path, which))
    protocol = _PROTOCOL_KEYS[which]
    spath = (*path, which)
    sub = c.mapping(raw[which], spath) or {}
    c.unknown_fields(sub, spath, frozenset({"destinationPort"}))
    dest = c.mapping(sub.get("destinationPort"), (*spath, "destinationPort"))
    if dest is None:
        return [PolicyPort(protocol)]  # every port of the protocol
    dpath = (*spath, "destinationPort")
    kind = _one_of(c, dest, dpath, frozenset({"number", "range"}))
    got: PolicyPort | None = None
    if kind == "number":
        n = _port_number(c, dest["number"], (*dpath, "number"))
        got = PolicyPort(protocol, n) if n is not None else None
    elif kind == "range":
        rng = c.mapping(dest["range"], (*dpath, "range")) or {}
        c.unknown_fields(rng, (*dpath, "range"), frozenset({"start", "end"}))
        got = _range(c, rng, (*dpath, "range"), protocol)
    return [got] if got is not None else []
