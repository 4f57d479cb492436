"""Calico's projectcalico.org/v3 objects (also as crd.projectcalico.org/v1): NetworkPolicy,
GlobalNetworkPolicy, Tier, NetworkSet and GlobalNetworkSet, validated as Calico's API does
(libcalico-go lib/validator/v3 and the CRDs' OpenAPI and CEL rules, api/pkg/apis/projectcalico/v3)
and read into the model's Calico types.

What the engine does not model inside a rule (HTTP matches, source ports, Services...) is
kept on the rule as notes (model.NotModelled): every verdict such a part could change says so.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from netreach.calico_selector import All, Expr, In, SelectorError, conjunction, mentions_global
from netreach.calico_selector import parse as parse_selector
from netreach.loader.check import Checker, FieldPath
from netreach.loader.cidr import parse_cidr
from netreach.loader.kinds import CALICO_API_VERSIONS, CALICO_KINDS, CLUSTER_SCOPED
from netreach.loader.meta import Meta, read_meta
from netreach.loader.names import is_dns1123_subdomain, is_valid_port_name
from netreach.model import (
    PROTOCOLS,
    V_NAMESPACE,
    V_NS_LABEL,
    V_ORCHESTRATOR,
    V_SA_LABEL,
    V_SERVICE_ACCOUNT,
    CalicoAction,
    CalicoEntity,
    CalicoKind,
    CalicoPolicy,
    CalicoRule,
    CalicoTier,
    Direction,
    Location,
    NetworkSet,
    NotModelled,
    PolicyPort,
    Protocol,
)

BUILTIN_TIER_ORDERS = {"kube-admin": 1000.0, "default": 1_000_000.0, "kube-baseline": 10_000_000.0}
_BUILTIN_DEFAULT_ACTIONS = {"kube-admin": "Pass", "default": "Deny", "kube-baseline": "Pass"}

_NP_SPEC = frozenset(
    {
        "tier",
        "order",
        "ingress",
        "egress",
        "selector",
        "types",
        "serviceAccountSelector",
        "performanceHints",
    }
)
_GNP_SPEC = _NP_SPEC | {"doNotTrack", "preDNAT", "applyOnForward", "namespaceSelector"}
_RULE_FIELDS = frozenset(
    {
        "action",
        "ipVersion",
        "protocol",
        "icmp",
        "notProtocol",
        "notICMP",
        "source",
        "destination",
        "http",
        "metadata",
    }
)
_ENTITY_FIELDS = frozenset(
    {
        "nets",
        "selector",
        "namespaceSelector",
        "services",
        "ports",
        "notNets",
        "notSelector",
        "notPorts",
        "serviceAccounts",
    }
)
_ACTIONS: tuple[CalicoAction, ...] = ("Allow", "Deny", "Log", "Pass")
_PROTOCOL_NAMES = ("TCP", "UDP", "ICMP", "ICMPv6", "SCTP", "UDPLite")
_PORT_PROTOCOLS = {
    "TCP": "TCP",
    "UDP": "UDP",
    "SCTP": "SCTP",
    "6": "TCP",
    "17": "UDP",
    "132": "SCTP",
}
_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_NP_NAME = re.compile(
    f"(({_LABEL})(\\.{_LABEL})?|((?:knp|ossg)\\.default\\.({_LABEL}(\\.{_LABEL})*)))"
)
_GNP_NAME = re.compile(f"({_LABEL}\\.)?{_LABEL}")
_TIER_NAME = re.compile(_LABEL)
_MAX_SELECTOR = 1024
_MAX_RULES = 1024
_MAX_NETS = 256
_MAX_PORTS = 50
_PORT_RANGE = re.compile(r"(\d+):(\d+)")


def object_key(kind: str) -> str:
    """The kind as duplicates are keyed (Calico's NetworkPolicy is not Kubernetes')."""
    return f"{kind}.projectcalico.org"


# --- selectors ------------------------------------------------------------------------------


def _pod_key(key: str) -> str:
    """Calico's own labels on a pod (its workload endpoint and the profiles it inherits
    from), as the engine's virtual labels (libcalico-go conversion: projectcalico.org/namespace,
    /orchestrator, /serviceaccount; pcns.* namespace labels, pcsa.* account labels)."""
    if key == "projectcalico.org/namespace" or key == "pcns.projectcalico.org/name":
        return V_NAMESPACE
    if key == "projectcalico.org/serviceaccount" or key == "pcsa.projectcalico.org/name":
        return V_SERVICE_ACCOUNT
    if key == "projectcalico.org/orchestrator":
        return V_ORCHESTRATOR
    if key.startswith("pcns."):
        return V_NS_LABEL + key[5:]
    if key.startswith("pcsa."):
        return V_SA_LABEL + key[5:]
    return key


def _account_key(key: str) -> str:
    """A serviceAccountSelector reads the ServiceAccount's labels (Calico prefixes them with
    pcsa.), and its name as projectcalico.org/name."""
    return V_SERVICE_ACCOUNT if key == "projectcalico.org/name" else V_SA_LABEL + key


def _selector(
    c: Checker, value: Any, path: FieldPath, *, accounts: bool = False, scope: bool = False
) -> Expr | None:
    """A selector expression (None when absent or empty). `scope`: a namespace selector
    (keys are the namespace's labels, `global()` allowed alone)."""
    text = c.string(value, path)
    if text is None or not text.strip():
        return None
    if len(text) > _MAX_SELECTOR:
        c.error(path, f"Too long: may not be longer than {_MAX_SELECTOR}")
        return None
    key_map = _account_key if accounts else (None if scope else _pod_key)
    try:
        expr = parse_selector(text, key_map)
    except SelectorError as exc:
        c.invalid(path, text, f"invalid selector: {exc}")
        return None
    if mentions_global(expr):
        if not scope:
            c.invalid(path, text, "global() can only be used in an EntityRule namespaceSelector")
            return None
        if not expr.is_global:
            c.invalid(path, text, "global() cannot be combined with other selectors")
            return None
    return expr


# --- the objects ----------------------------------------------------------------------------


def read_calico(
    c: Checker, kind: str, obj: dict[str, Any], loc: Location, default_ns: str
) -> tuple[Meta, CalicoPolicy | CalicoTier | NetworkSet]:
    if kind == "Tier":
        return _tier(c, obj, loc)
    if kind in ("NetworkSet", "GlobalNetworkSet"):
        return _network_set(c, kind, obj, loc, default_ns)
    return _policy(c, kind, obj, loc, default_ns)  # type: ignore[arg-type]


def _spec(c: Checker, obj: dict[str, Any], known: frozenset[str]) -> dict[str, Any]:
    spec = c.mapping(obj.get("spec"), ("spec",)) or {}
    c.unknown_fields(spec, ("spec",), known)
    return spec


def _name_rule(rx: re.Pattern[str], what: str) -> Any:
    def check(name: str) -> list[str]:
        errs = [e for e in is_dns1123_subdomain(name) if "253" in e]
        if rx.fullmatch(name) is None:
            errs.append(
                f"name must consist of lower case alphanumeric characters or '-' (regex: {what})"
            )
        return errs

    return check


def _tier(c: Checker, obj: dict[str, Any], loc: Location) -> tuple[Meta, CalicoTier]:
    meta = read_meta(c, obj, _name_rule(_TIER_NAME, _LABEL), namespaced=False)
    if len(meta.name) > 63:
        c.invalid(
            ("metadata", "name"), meta.name, f"name is too long by {len(meta.name) - 63} bytes"
        )
    spec = _spec(c, obj, frozenset({"order", "defaultAction"}))
    order = _order(c, spec.get("order"), ("spec", "order"))
    raw_action = c.string(spec.get("defaultAction"), ("spec", "defaultAction"))
    action: Literal["Deny", "Pass"] = "Deny"  # the CRD's default
    if raw_action is not None:
        if raw_action not in ("Deny", "Pass"):
            c.not_supported(("spec", "defaultAction"), raw_action, ("Deny", "Pass"))
        else:
            action = "Pass" if raw_action == "Pass" else "Deny"
    builtin = BUILTIN_TIER_ORDERS.get(meta.name)
    if builtin is not None:
        # CEL rules of the Tier CRD: the built-in tiers keep their order and action
        if order is None:
            order = builtin  # the built-in tiers keep their order
        elif order != builtin:
            c.invalid(("spec", "order"), order, f"{meta.name} tier order must be {builtin:.0f}")
        want = _BUILTIN_DEFAULT_ACTIONS[meta.name]
        if (raw_action or "Deny") != want:
            c.invalid(
                ("spec", "defaultAction"),
                raw_action,
                f"The '{meta.name}' tier must have default action '{want}'",
            )
    return meta, CalicoTier(meta.name, order, action, loc)


def _order(c: Checker, value: Any, path: FieldPath) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        c.wrong_type(path, value, "a number")
        return None
    if value != value or value in (float("inf"), float("-inf")):
        c.invalid(path, value, "must be a finite number")
        return None
    return float(value)


def _network_set(
    c: Checker, kind: str, obj: dict[str, Any], loc: Location, default_ns: str
) -> tuple[Meta, NetworkSet]:
    namespaced = kind == "NetworkSet"
    meta = read_meta(c, obj, is_dns1123_subdomain, namespaced=namespaced)
    if "projectcalico.org/namespace" in meta.labels:
        c.invalid(
            ("metadata", "labels"),
            "projectcalico.org/namespace",
            "projectcalico.org/namespace is not a valid label name",
        )
    spec = _spec(c, obj, frozenset({"nets"}))
    nets = _nets(c, spec.get("nets"), ("spec", "nets"), plain_ip=False)
    ns = (meta.namespace or default_ns) if namespaced else None
    return meta, NetworkSet(ns, meta.name, meta.labels, nets, loc)


def _nets(c: Checker, value: Any, path: FieldPath, plain_ip: bool = True) -> tuple[str, ...]:
    """CIDRs (rules also take a plain address, as Calico's ParseCIDROrIP)."""
    items = c.array(value, path)
    if len(items) > _MAX_NETS:
        c.error(path, f"Too many: {len(items)}: must have at most {_MAX_NETS} items")
    out: list[str] = []
    for i, item in enumerate(items):
        text = c.string(item, (*path, i))
        if text is None:
            continue
        candidate = text
        if plain_ip and "/" not in text:
            candidate = f"{text}/{128 if ':' in text else 32}"
        net, why = parse_cidr(candidate)
        if net is None:
            c.invalid((*path, i), text, f"invalid CIDR ({why})")
            continue
        out.append(str(net))
    return tuple(out)


def _types(c: Checker, value: Any, ingress: bool, egress: bool) -> tuple[Direction, ...]:
    path: FieldPath = ("spec", "types")
    items = c.array(value, path)
    out: list[Direction] = []
    for i, item in enumerate(items):
        t = c.string(item, (*path, i))
        if t is None:
            continue
        if t not in ("Ingress", "Egress"):
            c.not_supported((*path, i), t, ("Egress", "Ingress"))
            continue
        d: Direction = "ingress" if t == "Ingress" else "egress"
        if d in out:
            c.invalid(path, items, f"'{t}' type specified more than once")
        else:
            out.append(d)
    if out:
        return tuple(out)
    # Calico's defaulting (api v3 NetworkPolicySpec.Types): Ingress unless there are only
    # egress rules; both when there are both.
    if egress and ingress:
        return ("ingress", "egress")
    if egress:
        return ("egress",)
    return ("ingress",)


def _policy(
    c: Checker, kind: CalicoKind, obj: dict[str, Any], loc: Location, default_ns: str
) -> tuple[Meta, CalicoPolicy]:
    namespaced = kind == "NetworkPolicy"
    rx = _NP_NAME if namespaced else _GNP_NAME
    meta = read_meta(c, obj, _name_rule(rx, _LABEL), namespaced=namespaced)
    spec = _spec(c, obj, _NP_SPEC if namespaced else _GNP_SPEC)
    namespace = (meta.namespace or default_ns) if namespaced else None

    tier = c.string(spec.get("tier"), ("spec", "tier")) or "default"
    if _TIER_NAME.fullmatch(tier) is None:
        c.invalid(("spec", "tier"), tier, f"must be a tier name (regex: {_LABEL})")
    order = _order(c, spec.get("order"), ("spec", "order"))

    subject = _selector(c, spec.get("selector"), ("spec", "selector")) or All()
    account = _selector(
        c, spec.get("serviceAccountSelector"), ("spec", "serviceAccountSelector"), accounts=True
    )
    if account is not None:
        subject = conjunction((subject, account))
    ns_sel = None
    if not namespaced:
        path: FieldPath = ("spec", "namespaceSelector")
        ns_sel = _selector(c, spec.get("namespaceSelector"), path, scope=True)
        if ns_sel is not None and ns_sel.is_global:
            c.invalid(
                path, str(ns_sel), "global() can only be used in an EntityRule namespaceSelector"
            )
            ns_sel = None
    for key in ("performanceHints",):
        for i, hint in enumerate(c.array(spec.get(key), ("spec", key))):
            if hint != "AssumeNeededOnEveryNode":
                c.not_supported(("spec", key, i), hint, ("AssumeNeededOnEveryNode",))

    host = ""
    if not namespaced:
        dnt = c.boolean(spec.get("doNotTrack"), ("spec", "doNotTrack"))
        pre = c.boolean(spec.get("preDNAT"), ("spec", "preDNAT"))
        fwd = c.boolean(spec.get("applyOnForward"), ("spec", "applyOnForward"))
        if dnt and pre:
            c.forbidden(("spec",), "preDNAT and doNotTrack cannot both be true")
        if (dnt or pre) and not fwd:
            c.invalid(
                ("spec", "applyOnForward"),
                fwd,
                "applyOnForward must be true if either preDNAT or doNotTrack is true",
            )
        if pre and c.array(spec.get("egress"), ("spec", "egress")):
            c.forbidden(("spec", "egress"), "preDNAT policy cannot have any egress rules")
        host = "doNotTrack" if dnt else "preDNAT" if pre else "applyOnForward" if fwd else ""

    ingress = _rules(c, spec.get("ingress"), ("spec", "ingress"), "ingress", namespaced)
    egress = _rules(c, spec.get("egress"), ("spec", "egress"), "egress", namespaced)
    raw_ingress = c.array(spec.get("ingress"), ("spec", "ingress"))
    raw_egress = c.array(spec.get("egress"), ("spec", "egress"))
    types = _types(c, spec.get("types"), bool(raw_ingress), bool(raw_egress))
    if host == "preDNAT" and "egress" in types:
        c.forbidden(("spec", "types"), "preDNAT policy cannot have 'Egress' type")
    return meta, CalicoPolicy(
        kind=kind,
        namespace=namespace,
        name=meta.name,
        tier=tier,
        order=order,
        selector=subject,
        types=types,
        ingress=ingress,
        egress=egress,
        namespace_selector=ns_sel,
        location=loc,
        host_endpoint=host,
    )


# --- rules ----------------------------------------------------------------------------------


def _rules(
    c: Checker, value: Any, path: FieldPath, direction: Direction, namespaced: bool
) -> tuple[CalicoRule, ...]:
    items = c.array(value, path)
    if len(items) > _MAX_RULES:
        c.error(path, f"Too many: {len(items)}: must have at most {_MAX_RULES} items")
    out: list[CalicoRule] = []
    for i, item in enumerate(items):
        got = _rule(c, item, (*path, i), direction, namespaced)
        if got is not None:
            out.append(got)
    return tuple(out)


def _protocol(c: Checker, value: Any, path: FieldPath) -> str | None:
    """`protocol`: a number 1-255 or a name; TCP, UDP, SCTP (also 6, 17, 132) as the
    engine's names, anything else kept as written."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        c.wrong_type(path, value, "an integer or a string")
        return None
    text = str(value)
    if text.isdigit():
        if not 1 <= int(text) <= 255:
            c.invalid(path, value, "protocol number invalid")
            return None
        return _PORT_PROTOCOLS.get(str(int(text)), str(int(text)))
    if text not in _PROTOCOL_NAMES:
        c.not_supported(path, text, _PROTOCOL_NAMES)
        return None
    return text


def _rule(
    c: Checker, item: Any, path: FieldPath, direction: Direction, namespaced: bool
) -> CalicoRule | None:
    raw = c.mapping(item, path)
    if raw is None:
        c.required(path, "a rule needs an action")
        return None
    c.unknown_fields(raw, path, _RULE_FIELDS)
    before = len(c.errors)
    action_text = c.string(raw.get("action"), (*path, "action"))
    action: CalicoAction | None = None
    if action_text is None:
        c.required((*path, "action"))
    elif action_text not in _ACTIONS:
        c.not_supported((*path, "action"), action_text, _ACTIONS)
    else:
        action = next(a for a in _ACTIONS if a == action_text)
    protocol = _protocol(c, raw.get("protocol"), (*path, "protocol"))
    not_protocol = _protocol(c, raw.get("notProtocol"), (*path, "notProtocol"))
    ip_version = c.integer(raw.get("ipVersion"), (*path, "ipVersion"))
    if ip_version is not None and ip_version not in (4, 6):
        c.not_supported((*path, "ipVersion"), ip_version, ("4", "6"))
    notes: list[NotModelled] = []
    inert = False  # a part netreach cannot know decides whether it matches: it matches nothing
    icmp = _icmp(c, raw.get("icmp"), (*path, "icmp"))
    not_icmp = _icmp(c, raw.get("notICMP"), (*path, "notICMP"))
    if icmp and protocol not in ("ICMP", "ICMPv6", "1", "58"):
        c.invalid(
            (*path, "icmp"), raw.get("icmp"), "ICMP fields require protocol to be ICMP or ICMPv6"
        )
    if not_icmp and protocol not in ("ICMP", "ICMPv6", "1", "58"):
        notes.append(NotModelled("notICMP without protocol ICMP", "matched", "any"))
        inert = True
    for proto, key in ((protocol, "protocol"), (not_protocol, "notProtocol")):
        if ip_version is not None and proto in ("ICMP", "1") and ip_version != 4:
            c.invalid((*path, "ipVersion"), ip_version, f"{key} ICMP requires ipVersion 4")
        if ip_version is not None and proto in ("ICMPv6", "58") and ip_version != 6:
            c.invalid((*path, "ipVersion"), ip_version, f"{key} ICMPv6 requires ipVersion 6")

    source = _entity(c, raw.get("source"), (*path, "source"), protocol, notes, "source")
    destination = _entity(
        c, raw.get("destination"), (*path, "destination"), protocol, notes, "destination"
    )
    _check_nets(c, raw, path, ip_version)
    inert = inert or any(n.what.startswith("source ports") for n in notes)

    http = c.mapping(raw.get("http"), (*path, "http"))
    if http is not None:
        _http(c, http, (*path, "http"))
        if direction == "egress":
            c.invalid((*path, "http"), http, "not allowed in egress rule")
        if action_text != "Allow":
            c.forbidden((*path, "http"), "HTTP match is only valid on Allow rules")
        if protocol not in (None, "TCP"):
            c.invalid(
                (*path, "http"), http, "rules with HTTP match must have protocol TCP or unset"
            )
        notes.append(NotModelled("an HTTP match (application layer policy)", "matched", "any"))
    services_peer = raw.get("source" if direction == "ingress" else "destination")
    services_own = raw.get("destination" if direction == "ingress" else "source")
    if isinstance(services_own, dict) and services_own.get("services") is not None:
        where = "destination" if direction == "ingress" else "source"
        c.invalid(
            (*path, where, "services"),
            services_own["services"],
            f"not allowed in {direction} rule {where}",
        )
    if isinstance(services_peer, dict) and services_peer.get("services") is not None:
        svc = services_peer["services"]
        if not namespaced and isinstance(svc, dict) and not svc.get("namespace"):
            where = "source" if direction == "ingress" else "destination"
            c.invalid(
                (*path, where, "services", "namespace"),
                svc.get("namespace"),
                "must specify a namespace",
            )
        notes.append(NotModelled("a Kubernetes Service match (services)", "matched", "any"))
        inert = True
    c.unknown_fields(
        c.mapping(raw.get("metadata"), (*path, "metadata")) or {},
        (*path, "metadata"),
        frozenset({"annotations"}),
    )
    if len(c.errors) > before or action is None:
        return None
    return CalicoRule(
        action, protocol, not_protocol, ip_version, source, destination, tuple(notes), inert
    )


def _icmp(c: Checker, value: Any, path: FieldPath) -> bool:
    raw = c.mapping(value, path)
    if raw is None:
        return False
    c.unknown_fields(raw, path, frozenset({"type", "code"}))
    typ = c.integer(raw.get("type"), (*path, "type"))
    code = c.integer(raw.get("code"), (*path, "code"))
    if typ is not None and not 0 <= typ <= 254:
        c.invalid((*path, "type"), typ, "must be between 0 and 254")
    if code is not None and not 0 <= code <= 255:
        c.invalid((*path, "code"), code, "must be between 0 and 255")
    if code is not None and typ is None:
        c.invalid(path, raw, "ICMP code specified without an ICMP type")
    return True


def _http(c: Checker, raw: dict[str, Any], path: FieldPath) -> None:
    c.unknown_fields(raw, path, frozenset({"methods", "paths"}))
    methods = c.array(raw.get("methods"), (*path, "methods"))
    if len(methods) > 20:
        c.error((*path, "methods"), f"Too many: {len(methods)}: must have at most 20 items")
    for i, m in enumerate(methods):
        c.string(m, (*path, "methods", i))
    paths = c.array(raw.get("paths"), (*path, "paths"))
    if len(paths) > 20:
        c.error((*path, "paths"), f"Too many: {len(paths)}: must have at most 20 items")
    for i, p in enumerate(paths):
        entry = c.mapping(p, (*path, "paths", i)) or {}
        c.unknown_fields(entry, (*path, "paths", i), frozenset({"exact", "prefix"}))
        if ("exact" in entry) == ("prefix" in entry):
            c.invalid((*path, "paths", i), entry, "must specify exactly one of exact or prefix")


def _check_nets(c: Checker, raw: dict[str, Any], path: FieldPath, ip_version: int | None) -> None:
    """IPv4 and IPv6 CIDRs cannot mix in one rule, nor disagree with ipVersion; a catch-all
    CIDR under notNets matches nothing (validator.go validateRule)."""
    seen: set[int] = set()
    for side in ("source", "destination"):
        entity = raw.get(side)
        if not isinstance(entity, dict):
            continue
        for key in ("nets", "notNets"):
            versions = set()
            for i, n in enumerate(entity.get(key) or ()):
                if not isinstance(n, str):
                    continue
                version = 6 if ":" in n else 4
                versions.add(version)
                if key == "notNets" and n in ("0.0.0.0/0", "::/0"):
                    c.invalid(
                        (*path, side, key, i),
                        n,
                        "catch-all CIDR in negation creates "
                        "logical contradiction (matches no traffic)",
                    )
            if ip_version is not None and versions - {ip_version}:
                c.invalid(
                    (*path, side, key),
                    entity.get(key),
                    "rule IP version doesn't match CIDR version",
                )
            if len(versions) > 1 or (versions and seen and versions != seen):
                c.invalid(
                    (*path, side, key), entity.get(key), "rule contains both IPv4 and IPv6 CIDRs"
                )
            seen |= versions


def _entity(
    c: Checker,
    value: Any,
    path: FieldPath,
    protocol: str | None,
    notes: list[NotModelled],
    side: str,
) -> CalicoEntity:
    raw = c.mapping(value, path)
    if raw is None:
        return CalicoEntity()
    c.unknown_fields(raw, path, _ENTITY_FIELDS)
    nets = _nets(c, raw.get("nets"), (*path, "nets"))
    not_nets = _nets(c, raw.get("notNets"), (*path, "notNets"))
    selector = _selector(c, raw.get("selector"), (*path, "selector"))
    not_selector = _selector(c, raw.get("notSelector"), (*path, "notSelector"))
    ns_selector = _selector(
        c, raw.get("namespaceSelector"), (*path, "namespaceSelector"), scope=True
    )
    parts: list[Expr] = []
    accounts = c.mapping(raw.get("serviceAccounts"), (*path, "serviceAccounts"))
    if accounts is not None:
        apath = (*path, "serviceAccounts")
        c.unknown_fields(accounts, apath, frozenset({"names", "selector"}))
        account_sel = _selector(c, accounts.get("selector"), (*apath, "selector"), accounts=True)
        if account_sel is not None:
            parts.append(account_sel)
        names = [
            n
            for i, n in enumerate(c.array(accounts.get("names"), (*apath, "names")))
            if c.string(n, (*apath, "names", i)) is not None
        ]
        if names:
            parts.append(In(V_SERVICE_ACCOUNT, tuple(sorted(set(names)))))
    if selector is not None:
        parts.append(selector)
    services = raw.get("services")
    if services is not None:
        spath = (*path, "services")
        svc = c.mapping(services, spath) or {}
        c.unknown_fields(svc, spath, frozenset({"name", "namespace"}))
        if not c.string(svc.get("name"), (*spath, "name")):
            c.required((*spath, "name"), "services must specify a service name")
        for key, what in (
            ("namespaceSelector", "NamespaceSelector"),
            ("serviceAccounts", "ServiceAccounts"),
            ("selector", "Selector/NotSelector"),
            ("notSelector", "Selector/NotSelector"),
            ("nets", "Nets/NotNets"),
            ("notNets", "Nets/NotNets"),
        ):
            if raw.get(key):
                c.forbidden(spath, f"cannot specify {what} and Services on the same rule")
        if side == "destination" and (raw.get("ports") or raw.get("notPorts")):
            c.forbidden(spath, "ports and notPorts cannot be specified with services")
    ports = _ports(c, raw.get("ports"), (*path, "ports"), protocol)
    not_ports = _ports(c, raw.get("notPorts"), (*path, "notPorts"), protocol)
    if side == "source" and (ports or not_ports):
        # the client's (ephemeral) port: unknown to a snapshot
        notes.append(NotModelled("source ports (the client's port)", "matched", "any"))
        ports, not_ports = (), ()
    return CalicoEntity(
        nets=nets,
        not_nets=not_nets,
        selector=conjunction(parts) if parts else None,
        not_selector=not_selector,
        namespace_selector=ns_selector,
        ports=ports,
        not_ports=not_ports,
    )


def _ports(c: Checker, value: Any, path: FieldPath, protocol: str | None) -> tuple[PolicyPort, ...]:
    """numorstring.Port values: a number, "lo:hi", or a named port. Numeric ports need the
    rule's protocol to be TCP, UDP or SCTP; a named port without protocol resolves under any
    protocol (one entry per protocol: names resolve per protocol in the engine)."""
    items = c.array(value, path)
    if len(items) > _MAX_PORTS:
        c.error(path, f"Too many: {len(items)}: must have at most {_MAX_PORTS} items")
    port_proto = _PORT_PROTOCOLS.get(protocol) if protocol is not None else None
    out: list[PolicyPort] = []
    for i, item in enumerate(items):
        at = (*path, i)
        if isinstance(item, bool) or not isinstance(item, int | str):
            c.wrong_type(at, item, "an integer or a string")
            continue
        text = str(item)
        lo = hi = 0
        name: str | None = None
        if isinstance(item, int) or text.isdigit():
            lo = hi = int(text)
        elif (m := _PORT_RANGE.fullmatch(text)) is not None:
            lo, hi = int(m[1]), int(m[2])
            if lo > hi:
                c.invalid(at, text, "port range invalid")
                continue
        else:
            name = text
            for msg in is_valid_port_name(text):
                c.invalid(at, text, f"invalid port name: {msg}")
        if name is None and not (lo >= 1 and hi <= 65535):
            c.invalid(at, item, "port range invalid, port number must be between 1 and 65535")
            continue
        if name is None and port_proto is None:
            c.invalid(
                at,
                item,
                "rules with numeric port or port range must set protocol to TCP or UDP or SCTP"
                if protocol is None
                else "rules that specify ports must set protocol to TCP or UDP or SCTP",
            )
            continue
        if name is not None and protocol is not None and port_proto is None:
            c.invalid(at, item, "rules that specify ports must set protocol to TCP or UDP or SCTP")
            continue
        protos: tuple[Protocol, ...] = (port_proto,) if port_proto else PROTOCOLS  # type: ignore[assignment]
        for proto in protos:
            if name is not None:
                out.append(PolicyPort(proto, name))
            else:
                out.append(PolicyPort(proto, lo, hi if hi != lo else None))
    return tuple(out)


def read_service_account(c: Checker, obj: dict[str, Any]) -> Meta:
    """A v1 ServiceAccount: only its name, namespace and labels matter here."""
    c.unknown_fields(
        obj,
        (),
        frozenset(
            {
                "apiVersion",
                "kind",
                "metadata",
                "secrets",
                "imagePullSecrets",
                "automountServiceAccountToken",
            }
        ),
    )
    return read_meta(c, obj, is_dns1123_subdomain, namespaced=True)


__all__ = [
    "CALICO_API_VERSIONS",
    "CALICO_KINDS",
    "CLUSTER_SCOPED",
    "object_key",
    "read_calico",
    "read_service_account",
]
