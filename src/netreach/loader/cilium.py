"""Cilium's cilium.io/v2 CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy, validated as
Cilium's API does (the CRDs' OpenAPI schema and pkg/policy/api rule_validation.go Sanitize)
and read into the model's Cilium types, at L3/L4.

Selectors: Cilium endpoint selectors are label selectors whose keys may carry a source
prefix (`k8s:`, `any:`; none means any source). Cilium's own labels become the engine's
virtual labels: `io.kubernetes.pod.namespace` (the pod's namespace),
`io.cilium.k8s.namespace.labels.<key>` (its namespace's labels),
`io.cilium.k8s.policy.serviceaccount`, `io.cilium.k8s.policy.cluster`. A `reserved:` key
(reserved identities: host, world...) matches no pod. In a CiliumNetworkPolicy the
endpointSelector, and every fromEndpoints / toEndpoints selector that does not name the
namespace label, are limited to the policy's namespace (pkg/k8s/apis/cilium.io/utils).

What is not modelled (L7 rules, toFQDNs, toServices, toGroups, fromRequires, entities such as
host and remote-node, mutual authentication, nodeSelector host policies) is kept as notes on
the rule (model.NotModelled) or as an Unmodelled object: every verdict it could change says
so.
"""

from __future__ import annotations

import re
from typing import Any, Literal, NamedTuple

from netreach.loader.check import Checker, FieldPath
from netreach.loader.cidr import parse_cidr
from netreach.loader.kinds import CILIUM_API_VERSIONS, CILIUM_KINDS
from netreach.loader.meta import Meta, read_meta
from netreach.loader.names import (
    is_dns1123_subdomain,
    is_qualified_name,
    is_valid_label_value,
)
from netreach.model import (
    CILIUM_CLUSTER,
    CILIUM_NS_LABELS,
    CILIUM_POD_NAMESPACE,
    CILIUM_SERVICE_ACCOUNT,
    CLUSTER_NAME,
    PROTOCOLS,
    V_ABSENT,
    V_CLUSTER,
    V_NAMESPACE,
    V_NS_LABEL,
    V_SERVICE_ACCOUNT,
    CiliumKind,
    CiliumPolicy,
    CiliumRule,
    Direction,
    IPBlock,
    LabelSelector,
    Location,
    NotModelled,
    PolicyPort,
    Protocol,
    Requirement,
)

_TOP = frozenset({"apiVersion", "kind", "metadata", "spec", "specs", "status"})
_RULE = frozenset(
    {
        "endpointSelector",
        "nodeSelector",
        "ingress",
        "ingressDeny",
        "egress",
        "egressDeny",
        "labels",
        "description",
        "enableDefaultDeny",
        "log",
    }
)
_COMMON_IN = ("fromEndpoints", "fromRequires", "fromCIDR", "fromCIDRSet", "fromEntities")
_COMMON_IN_MORE = ("fromGroups", "fromNodes")
_COMMON_OUT = ("toEndpoints", "toRequires", "toCIDR", "toCIDRSet", "toEntities")
_COMMON_OUT_MORE = ("toGroups", "toNodes", "toServices")
_PORT_RULE = frozenset(
    {"ports", "rules", "terminatingTLS", "originatingTLS", "serverNames", "listener"}
)
_PORT_RULE_DENY = frozenset({"ports"})
_L7_RULES = frozenset({"http", "dns", "kafka", "l7proto", "l7"})
ENTITIES = (
    "all",
    "world",
    "world-ipv4",
    "world-ipv6",
    "cluster",
    "host",
    "remote-node",
    "kube-apiserver",
    "ingress",
    "init",
    "health",
    "unmanaged",
    "none",
)
# entities the engine models exactly (world* exclude the Node objects' addresses)
MODELLED_ENTITIES = frozenset({"all", "world", "world-ipv4", "world-ipv6", "cluster", "none"})
# protocols without ports: no connection netreach models (pkg/policy/api isExtendedIPProtocol)
_EXTENDED_PROTOCOLS = ("VRRP", "IGMP", "GRE", "IPIP", "IPV6", "ESP", "AH")
_L4_PROTOCOLS = ("ANY", "TCP", "UDP", "SCTP", *_EXTENDED_PROTOCOLS)
_MAX_PORTS = 40  # pkg/policy/api maxPorts per PortRule
_MAX_ICMP_FIELDS = 40  # pkg/policy/api maxICMPFields
# pkg/iana IsSvcName: 1-15 characters, either case (Cilium lower-cases the name)
_SVC_NAME = re.compile(r"([a-zA-Z0-9]-?)*[a-zA-Z](-?[a-zA-Z0-9])*")
# what Go's strconv.ParseUint(s, 0, 16) reads once service names are ruled out
_GO_UINT = re.compile(r"[0-9]+(_[0-9]+)*")
_LABEL_SOURCE = re.compile(r"[A-Za-z0-9]+")  # pkg/labels LabelSourceRegexp
# the CRD's FQDNSelector patterns (quoted in messages), matched by equivalent expressions
# without nested repetition, which backtrack exponentially on a long invalid name
_FQDN_NAME = ("^([-a-zA-Z0-9_]+[.]?)+$", re.compile(r"[-a-zA-Z0-9_]+(\.[-a-zA-Z0-9_]+)*\.?"))
_FQDN_PATTERN = ("^([-a-zA-Z0-9_*]+[.]?)+$", re.compile(r"[-a-zA-Z0-9_*]+(\.[-a-zA-Z0-9_*]+)*\.?"))

# Cilium's labels for what a pod's own labels do not say (model.cilium_label_name: back)
POD_NAMESPACE = CILIUM_POD_NAMESPACE
NS_LABELS = CILIUM_NS_LABELS
SERVICE_ACCOUNT = CILIUM_SERVICE_ACCOUNT
CLUSTER = CILIUM_CLUSTER


def label_key(key: str) -> str:
    """A selector key as the engine reads it: the source prefix dropped (`k8s:` and `any:`
    match a pod's labels), Cilium's own labels as virtual labels; another source
    (`reserved:`, `cidr:`...) names a label no pod carries."""
    source, sep, rest = key.partition(":")
    if sep and source not in ("k8s", "any"):
        return V_ABSENT + key
    name = rest if sep else key
    if name == POD_NAMESPACE:
        return V_NAMESPACE
    if name.startswith(NS_LABELS):
        return V_NS_LABEL + name[len(NS_LABELS) :]
    if name == SERVICE_ACCOUNT:
        return V_SERVICE_ACCOUNT
    if name == CLUSTER:
        return V_CLUSTER
    return name


def _key(c: Checker, key: Any, path: FieldPath) -> str | None:
    if not isinstance(key, str):
        c.invalid(path, key, "label keys must be strings")
        return None
    source, sep, rest = key.partition(":")
    if ":" in rest:
        c.invalid(
            path,
            key,
            "a valid label key only support ':' character as a source separator with non "
            "empty value",
        )
        return None
    if sep and _LABEL_SOURCE.fullmatch(source) is None:
        c.invalid(
            path, key, "label source should be a non empty string with only alphanumeric characters"
        )
        return None
    for msg in is_qualified_name(rest if sep else key):
        c.invalid(path, key, msg)
        return None
    return label_key(key)


def read_endpoint_selector(c: Checker, value: Any, path: FieldPath) -> LabelSelector | None:
    """An EndpointSelector (a label selector whose keys may carry a source prefix)."""
    raw = c.mapping(value, path)
    if raw is None:
        return None
    c.unknown_fields(raw, path, frozenset({"matchLabels", "matchExpressions"}))
    labels: dict[str, str] = {}
    mpath = (*path, "matchLabels")
    for k, v in (c.mapping(raw.get("matchLabels"), mpath) or {}).items():
        key = _key(c, k, (*mpath, str(k)))
        text = "" if v is None else v
        if not isinstance(text, str):
            c.invalid((*mpath, str(k)), v, "label values must be strings (quote it)")
            continue
        for msg in is_valid_label_value(text):
            c.invalid((*mpath, str(k)), text, msg)
        if key is not None:
            labels[key] = text
    reqs: list[Requirement] = []
    epath = (*path, "matchExpressions")
    for i, item in enumerate(c.array(raw.get("matchExpressions"), epath)):
        at = (*epath, i)
        req = c.mapping(item, at)
        if req is None:
            continue
        c.unknown_fields(req, at, frozenset({"key", "operator", "values"}))
        key = _key(c, req.get("key"), (*at, "key"))
        op = c.string(req.get("operator"), (*at, "operator"))
        values = [
            v
            for j, v in enumerate(c.array(req.get("values"), (*at, "values")))
            if c.string(v, (*at, "values", j)) is not None
        ]
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            c.not_supported((*at, "operator"), op, ("DoesNotExist", "Exists", "In", "NotIn"))
            continue
        if op in ("In", "NotIn") and not values:
            c.required((*at, "values"), "must be specified when `operator` is 'In' or 'NotIn'")
            continue
        if op in ("Exists", "DoesNotExist") and values:
            c.forbidden(
                (*at, "values"),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            )
            continue
        if key is not None:
            reqs.append(Requirement(key, op, tuple(values)))  # type: ignore[arg-type]
    return LabelSelector(tuple(sorted(labels.items())), tuple(reqs))


def names_namespace(sel: LabelSelector) -> bool:
    """Whether a selector says which namespace (then Cilium does not add the policy's)."""
    return any(k == V_NAMESPACE for k, _ in sel.match_labels) or any(
        r.key == V_NAMESPACE for r in sel.match_expressions
    )


def names_cluster(sel: LabelSelector) -> bool:
    """Whether a selector tests the cluster's name (not only that there is one, as
    cilium-cli's `io.cilium.k8s.policy.cluster Exists` does): the answer then depends on the
    name netreach assumes."""
    return any(k == V_CLUSTER for k, _ in sel.match_labels) or any(
        r.key == V_CLUSTER and r.operator in ("In", "NotIn") for r in sel.match_expressions
    )


def scoped(sel: LabelSelector, namespace: str | None) -> LabelSelector:
    """A CiliumNetworkPolicy's selector limited to its namespace (unless it names one)."""
    if namespace is None or names_namespace(sel):
        return sel
    return LabelSelector(
        tuple(sorted((*sel.match_labels, (V_NAMESPACE, namespace)))), sel.match_expressions
    )


# --- the objects ----------------------------------------------------------------------------


def read_cilium(
    c: Checker, kind: CiliumKind, obj: dict[str, Any], loc: Location, default_ns: str
) -> tuple[Meta, list[CiliumPolicy], list[FieldPath]]:
    """The policy's rules (one per `spec` / `specs[i]`), and the host (nodeSelector) rules
    netreach does not model, by field path."""
    c.unknown_fields(obj, (), _TOP)
    namespaced = kind == "CiliumNetworkPolicy"
    meta = read_meta(c, obj, is_dns1123_subdomain, namespaced=namespaced)
    namespace = (meta.namespace or default_ns) if namespaced else None
    out: list[CiliumPolicy] = []
    host: list[FieldPath] = []
    specs: list[tuple[FieldPath, int | None, Any]] = []
    if obj.get("spec") is not None:
        specs.append((("spec",), None, obj["spec"]))
    for i, item in enumerate(c.array(obj.get("specs"), ("specs",))):
        specs.append((("specs", i), i, item))
    if not specs:
        c.required(("spec",), "a CiliumNetworkPolicy needs spec or specs")
    for path, index, raw in specs:
        pol = _rule_spec(c, kind, meta.name, namespace, index, raw, path, loc)
        if pol is None:
            continue
        if pol.subject is None:
            host.append(path)
        out.append(pol)
    return meta, out, host


def _rule_spec(
    c: Checker,
    kind: CiliumKind,
    name: str,
    namespace: str | None,
    index: int | None,
    value: Any,
    path: FieldPath,
    loc: Location,
) -> CiliumPolicy | None:
    raw = c.mapping(value, path)
    if raw is None:
        return None
    c.unknown_fields(raw, path, _RULE)
    before = len(c.errors)
    subject = read_endpoint_selector(c, raw.get("endpointSelector"), (*path, "endpointSelector"))
    nodes = read_endpoint_selector(c, raw.get("nodeSelector"), (*path, "nodeSelector"))
    if subject is not None and nodes is not None:
        c.forbidden(path, "rule cannot have both EndpointSelector and NodeSelector")
    elif subject is None and nodes is None:
        c.required(
            (*path, "endpointSelector"), "rule must have one of EndpointSelector or NodeSelector"
        )
    elif nodes is not None and kind == "CiliumNetworkPolicy":
        c.forbidden((*path, "nodeSelector"), "a CiliumNetworkPolicy cannot use NodeSelector")
    if subject is not None:
        subject = scoped(subject, namespace)
    c.string(raw.get("description"), (*path, "description"))
    default_deny: dict[Direction, bool | None] = {"ingress": None, "egress": None}
    dd = c.mapping(raw.get("enableDefaultDeny"), (*path, "enableDefaultDeny"))
    if dd is not None:
        c.unknown_fields(dd, (*path, "enableDefaultDeny"), frozenset({"ingress", "egress"}))
        for d in ("ingress", "egress"):
            if dd.get(d) is not None:
                default_deny[d] = c.boolean(dd.get(d), (*path, "enableDefaultDeny", d))
    lists: dict[str, tuple[CiliumRule, ...]] = {}
    for key, direction, deny in (
        ("ingress", "ingress", False),
        ("ingressDeny", "ingress", True),
        ("egress", "egress", False),
        ("egressDeny", "egress", True),
    ):
        lists[key] = tuple(
            r
            for i, item in enumerate(c.array(raw.get(key), (*path, key)))
            if (r := _rule(c, item, (*path, key, i), direction, deny, namespace, nodes is not None))  # type: ignore[arg-type]
            is not None
        )
    if not any(isinstance(raw.get(k), list) and raw.get(k) for k in lists):
        c.required(path, "rule must have at least one of Ingress, IngressDeny, Egress, EgressDeny")
    if len(c.errors) > before:
        return None
    dirs: list[Direction] = []
    for d, allow, deny_key in (
        ("ingress", "ingress", "ingressDeny"),
        ("egress", "egress", "egressDeny"),
    ):
        has_rules = bool(lists[allow] or lists[deny_key])
        wanted = default_deny[d]  # type: ignore[index]
        # default: true for a direction that has rules (Rule.EnableDefaultDeny)
        if (wanted is None and has_rules) or wanted:
            dirs.append(d)  # type: ignore[arg-type]
    return CiliumPolicy(
        kind=kind,
        namespace=namespace,
        name=name,
        spec_index=index,
        subject=subject,
        ingress=lists["ingress"],
        egress=lists["egress"],
        ingress_deny=lists["ingressDeny"],
        egress_deny=lists["egressDeny"],
        default_deny=tuple(dirs),
        location=loc,
    )


def _rule(
    c: Checker,
    value: Any,
    path: FieldPath,
    direction: Direction,
    deny: bool,
    namespace: str | None,
    host: bool,
) -> CiliumRule | None:
    """One rule of a list; `host`: of a nodeSelector (host) policy."""
    raw = c.mapping(value, path)
    if raw is None:
        return None
    ingress = direction == "ingress"
    known = [*(_COMMON_IN + _COMMON_IN_MORE if ingress else _COMMON_OUT + _COMMON_OUT_MORE)]
    known += ["toPorts", "icmps"]
    if not deny:
        known.append("authentication")
        if not ingress:
            known.append("toFQDNs")
    c.unknown_fields(raw, path, frozenset(known))
    before = len(c.errors)
    pre = "from" if ingress else "to"
    notes: list[NotModelled] = []
    l3_fields = [
        f
        for f in (
            f"{pre}Endpoints",
            f"{pre}CIDR",
            f"{pre}CIDRSet",
            f"{pre}Entities",
            f"{pre}Nodes",
            f"{pre}Groups",
        )
        + (("toServices", "toFQDNs") if not ingress else ())
        if raw.get(f) is not None
    ]
    present = [f for f in l3_fields if c.array(raw.get(f), (*path, f))]
    if len(present) > 1:
        c.forbidden(path, f"combining {present[0]} and {present[1]} is not supported yet")
    endpoints: list[LabelSelector] = []
    for i, item in enumerate(c.array(raw.get(f"{pre}Endpoints"), (*path, f"{pre}Endpoints"))):
        sel = read_endpoint_selector(c, item, (*path, f"{pre}Endpoints", i))
        if sel is not None:
            endpoints.append(scoped(sel, namespace))
            if names_cluster(sel):
                notes.append(
                    NotModelled(
                        f"the cluster name {CLUSTER} in {pre}Endpoints (netreach assumes "
                        f'this cluster is named "{CLUSTER_NAME}", Cilium\'s default)',
                        "port",
                        "pods",
                    )
                )
    cidrs: list[IPBlock] = []
    for i, item in enumerate(c.array(raw.get(f"{pre}CIDR"), (*path, f"{pre}CIDR"))):
        text = c.string(item, (*path, f"{pre}CIDR", i))
        if text is not None:
            block = _block(c, _with_prefix(text), (), (*path, f"{pre}CIDR", i))
            if block is not None:
                cidrs.append(block)
    spath = (*path, f"{pre}CIDRSet")
    for i, item in enumerate(c.array(raw.get(f"{pre}CIDRSet"), spath)):
        entry = c.mapping(item, (*spath, i))
        if entry is None:
            continue
        c.unknown_fields(
            entry, (*spath, i), frozenset({"cidr", "except", "cidrGroupRef", "cidrGroupSelector"})
        )
        groups = [k for k in ("cidrGroupRef", "cidrGroupSelector") if entry.get(k) is not None]
        if groups:
            if entry.get("cidr") is not None:
                c.invalid(
                    (*spath, i),
                    "",
                    "cidr and cidrGroupRef/cidrGroupSelector are mutually exclusive",
                )
            notes.append(
                NotModelled(f"{pre}CIDRSet {groups[0]} (CiliumCIDRGroup)", "port", "external")
            )
            continue
        cidr = c.string(entry.get("cidr"), (*spath, i, "cidr"))
        if not cidr:
            c.required((*spath, i, "cidr"))
            continue
        excepts = [
            e
            for j, e in enumerate(c.array(entry.get("except"), (*spath, i, "except")))
            if c.string(e, (*spath, i, "except", j)) is not None
        ]
        block = _block(c, cidr, tuple(excepts), (*spath, i, "cidr"), (*spath, i))
        if block is not None:
            cidrs.append(block)
    entities: list[str] = []
    epath = (*path, f"{pre}Entities")
    for i, item in enumerate(c.array(raw.get(f"{pre}Entities"), epath)):
        text = c.string(item, (*epath, i))
        if text is None:
            continue
        if text not in ENTITIES:
            c.not_supported((*epath, i), text, ENTITIES)
            continue
        entities.append(text)
        if text not in MODELLED_ENTITIES:
            peers: Literal["any", "node"] = "node" if text in ("host", "remote-node") else "any"
            notes.append(NotModelled(f"the {text} entity", "port", peers))
    for f, what, peers in (
        (f"{pre}Nodes", f"{pre}Nodes (node selectors)", "node"),
        (f"{pre}Groups", f"{pre}Groups (cloud provider groups)", "external"),
        (f"{pre}Requires", f"{pre}Requires (a requirement on every rule of the endpoint)", "any"),
        ("toServices", "toServices (Kubernetes Services as peers)", "any"),
        ("toFQDNs", "toFQDNs (DNS names)", "external"),
    ):
        if f in known and raw.get(f) is not None and c.array(raw.get(f), (*path, f)):
            notes.append(NotModelled(what, "port", peers))
    if raw.get("authentication") is not None:
        auth = c.mapping(raw.get("authentication"), (*path, "authentication")) or {}
        if auth.get("mode") not in (None, "disabled"):
            notes.append(NotModelled("mutual authentication", "matched", "any"))
    _fqdns(c, raw.get("toFQDNs") if "toFQDNs" in known else None, (*path, "toFQDNs"))
    ports = _to_ports(c, raw.get("toPorts"), (*path, "toPorts"), deny, ingress, host, notes)
    if _icmps(c, raw.get("icmps"), (*path, "icmps")) and ports:
        c.forbidden(
            path,
            "the ICMPs block may only be present without ToPorts. Define a separate rule to "
            "use ToPorts",
        )
    if raw.get("icmps") is not None and ports is None:
        ports = ()  # an ICMP-only rule: none of the connections netreach models
    if len(c.errors) > before:
        return None
    l3 = bool(endpoints or cidrs or entities or present)
    # a peer list written empty (`fromEndpoints: []`) selects no one
    empty_l3 = not l3 and any(raw.get(f) is not None for f in l3_fields)
    return CiliumRule(
        "Deny" if deny else "Allow",
        tuple(endpoints),
        tuple(cidrs),
        tuple(entities),
        l3=l3,
        empty_l3=empty_l3,
        ports=ports,
        notes=tuple(dict.fromkeys(notes)),
    )


def _block(
    c: Checker, cidr: str, excepts: tuple[str, ...], at: FieldPath, path: FieldPath = ()
) -> IPBlock | None:
    """A CIDR (`at`) and its exceptions (`path`.except), as Cilium reads them (host bits are
    masked)."""
    net, why = parse_cidr(cidr)
    if net is None:
        c.invalid(at, cidr, why)
        return None
    kept: list[str] = []
    for j, e in enumerate(excepts):
        exc, why = parse_cidr(e)
        if exc is None:
            c.invalid((*path, "except", j), e, why)
            continue
        # CIDRRule.sanitize: each exception inside the CIDR, of the same family
        if exc.version != net.version or not exc.subnet_of(net):  # type: ignore[arg-type]
            c.invalid(
                (*path, "except", j),
                e,
                f"allow CIDR prefix {cidr} does not contain exclude CIDR prefix {e}",
            )
            continue
        kept.append(str(exc))
    return IPBlock(str(net), tuple(kept))


def _with_prefix(text: str) -> str:
    """fromCIDR takes a plain address as a /32 or /128 (api.CIDR)."""
    if "/" in text:
        return text
    return f"{text}/{128 if ':' in text else 32}"


def _fqdns(c: Checker, value: Any, path: FieldPath) -> None:
    """toFQDNs selectors as the CRD and FQDNSelector.sanitize check them."""
    for i, item in enumerate(c.array(value, path)):
        at = (*path, i)
        raw = c.mapping(item, at)
        if raw is None:
            continue
        c.unknown_fields(raw, at, frozenset({"matchName", "matchPattern"}))
        if raw.get("matchName") and raw.get("matchPattern"):
            c.forbidden(at, "only one of MatchName or MatchPattern is allowed in an FQDNSelector")
        for key, (shown, pattern) in (("matchName", _FQDN_NAME), ("matchPattern", _FQDN_PATTERN)):
            text = c.string(raw.get(key), (*at, key))
            if text is None:
                continue
            if len(text) > 255:
                c.invalid((*at, key), text, "may not be longer than 255")
            elif pattern.fullmatch(text) is None:
                c.invalid((*at, key), text, f"should match '{shown}'")


def _icmps(c: Checker, value: Any, path: FieldPath) -> bool:
    """Whether the rule has ICMP fields; their families and number checked (ICMPRule.verify)."""
    items = c.array(value, path)
    for i, item in enumerate(items):
        raw = c.mapping(item, (*path, i)) or {}
        c.unknown_fields(raw, (*path, i), frozenset({"fields"}))
        fields = c.array(raw.get("fields"), (*path, i, "fields"))
        if len(fields) > _MAX_ICMP_FIELDS:
            c.error(
                (*path, i, "fields"),
                f"Too many: {len(fields)}: must have at most {_MAX_ICMP_FIELDS} items",
            )
        for j, f in enumerate(fields):
            at = (*path, i, "fields", j)
            field = c.mapping(f, at) or {}
            c.unknown_fields(field, at, frozenset({"type", "family"}))
            family = c.string(field.get("family"), (*at, "family"))
            if family not in (None, "IPv4", "IPv6"):
                c.not_supported((*at, "family"), family, ("IPv4", "IPv6"))
    return bool(items)


class _Port(NamedTuple):
    """One PortProtocol read: its PolicyPorts, the protocol as Cilium normalizes it, and
    whether it is port 0 (every port)."""

    ports: list[PolicyPort]
    protocol: str
    zero: bool


def _to_ports(
    c: Checker,
    value: Any,
    path: FieldPath,
    deny: bool,
    ingress: bool,
    host: bool,
    notes: list[NotModelled],
) -> tuple[PolicyPort, ...] | None:
    """toPorts: None when absent (every port); each PortProtocol as PolicyPorts (ANY: TCP,
    UDP and SCTP; port 0 or none: every port; endPort: a range). A PortRule's L7 / TLS parts
    are not modelled, but checked as PortRule.sanitize checks them: Cilium refuses the whole
    policy otherwise."""
    items = c.array(value, path)
    if not items:
        return None  # absent or empty: no L4 restriction
    out: list[PolicyPort] = []
    for i, item in enumerate(items):
        at = (*path, i)
        raw = c.mapping(item, at)
        if raw is None:
            continue
        c.unknown_fields(raw, at, _PORT_RULE_DENY if deny else _PORT_RULE)
        for key in ("rules", "terminatingTLS", "originatingTLS", "serverNames", "listener"):
            if raw.get(key):
                notes.append(NotModelled(f"L7 / TLS ({key}) in toPorts", "matched", "any"))
                break
        rules = c.mapping(raw.get("rules"), (*at, "rules")) or {}
        # L7Rules: http and dns now; kafka, l7proto and l7 in the CRDs of earlier releases
        c.unknown_fields(rules, (*at, "rules"), _L7_RULES)
        http = bool(c.array(rules.get("http"), (*at, "rules", "http")))
        dns = bool(c.array(rules.get("dns"), (*at, "rules", "dns")))
        plist = c.array(raw.get("ports"), (*at, "ports"))
        if len(plist) > _MAX_PORTS:
            c.error((*at, "ports"), f"Too many: {len(plist)}: must have at most {_MAX_PORTS} items")
        if not plist:
            out.extend(PolicyPort(p) for p in PROTOCOLS)  # no ports: every port
        read = [_port(c, p, (*at, "ports", j), dns) for j, p in enumerate(plist)]
        for port in read:
            if port is not None:
                out.extend(port.ports)
        if not deny:
            _check_l7(c, raw, at, ingress, host, http, dns, [p for p in read if p is not None])
    return tuple(out)


def _check_l7(
    c: Checker,
    raw: dict[str, Any],
    at: FieldPath,
    ingress: bool,
    host: bool,
    http: bool,
    dns: bool,
    ports: list[_Port],
) -> None:
    """PortRule.sanitize and L7Rules.sanitize (pkg/policy/api rule_validation.go); for a
    host (nodeSelector) rule also IngressRule / EgressRule.sanitize: no L7 rules at host
    ingress, no HTTP rules at host egress (DNS ones are allowed)."""
    if host:
        found = [k for k, on in (("http", http), ("dns", dns and ingress)) if on]
        if found:
            c.forbidden(
                (*at, "rules", found[0]),
                f"L7 protocol {found[0].upper()} is not supported on host "
                f"{'ingress' if ingress else 'egress'} yet",
            )
    if ingress and dns:
        c.forbidden((*at, "rules", "dns"), "DNS rules are not allowed on ingress")
    names = c.array(raw.get("serverNames"), (*at, "serverNames"))
    if names and (http or dns) and raw.get("terminatingTLS") is None:
        c.forbidden(
            (*at, "serverNames"),
            "ServerNames are not allowed with L7 rules without TLS termination",
        )
    if "" in names:
        c.invalid((*at, "serverNames"), "", "empty server name is not allowed")
    if raw.get("listener") is not None:
        if ingress:
            c.forbidden((*at, "listener"), "Listener is not allowed on ingress")
        if http or dns:
            c.forbidden((*at, "listener"), "Listener is not allowed with L7 rules")
    if not (http or dns):
        return
    if not dns:
        for port in ports:
            if port.protocol != "TCP":
                c.forbidden(
                    (*at, "ports"),
                    f"L7 rules can only apply to TCP (not {port.protocol}) except for DNS rules",
                )
                break
    if any(p.zero for p in ports):
        c.forbidden((*at, "ports"), "L7 rules can not be used when a port is 0")
    if dns and not raw.get("ports"):
        c.required((*at, "ports"), "port 53 must be specified for DNS rules")
    if http and dns:
        c.forbidden((*at, "rules"), "multiple L7 protocol rule types specified in single rule")


def _go_port(text: str) -> int | None:
    """strconv.ParseUint(text, 0, 16), as Cilium reads a port that is not a service name:
    decimal, octal after a leading 0 (`010` is 8), `_` between digits; None if Go refuses."""
    if _GO_UINT.fullmatch(text) is None:
        return None
    digits = text.replace("_", "")
    try:
        number = int(digits, 8) if len(digits) > 1 and digits[0] == "0" else int(digits)
    except ValueError:  # 08, 09
        return None
    return number if number <= 65535 else None


def _port(c: Checker, value: Any, path: FieldPath, dns: bool) -> _Port | None:
    raw = c.mapping(value, path)
    if raw is None:
        return None
    c.unknown_fields(raw, path, frozenset({"port", "endPort", "protocol"}))
    proto = c.string(raw.get("protocol"), (*path, "protocol")) or "ANY"  # the CRD's enum
    if proto not in _L4_PROTOCOLS:
        c.not_supported((*path, "protocol"), proto, _L4_PROTOCOLS)
        return None
    protos: tuple[Protocol, ...]
    if proto == "ANY":
        protos = PROTOCOLS
    elif proto in PROTOCOLS:
        protos = (proto,)
    else:
        protos = ()  # VRRP, GRE...: no connection netreach models
    port = raw.get("port")
    end = c.integer(raw.get("endPort"), (*path, "endPort"))
    if port is not None and not isinstance(port, str):
        # the CRD's type: string (an unquoted 80 is refused by the API server)
        c.wrong_type((*path, "port"), port, 'a string (quote it: "80")')
        return None
    text = port or ""
    if text == "":
        if end is not None and end != 0:
            c.invalid((*path, "endPort"), end, "endPort needs a port")
            return None
        if proto not in _EXTENDED_PROTOCOLS:
            # PortProtocol.sanitize: "port must be specified" unless the agent runs with
            # enable-extended-ip-protocols (then: every port); the answer depends on it
            c.warn(
                (*path, "port"),
                "no port: Cilium refuses the whole policy unless the agent runs with "
                "enable-extended-ip-protocols (read here as every port, as it then does); "
                'write port "0" for every port',
            )
        return _Port([PolicyPort(p) for p in protos], proto, False)
    if 0 < len(text) <= 15 and _SVC_NAME.fullmatch(text):
        if end:
            c.invalid((*path, "endPort"), end, "endPort cannot be used with a named port")
            return None
        name = text.lower()  # PortProtocol.sanitize: names compare case-insensitively
        return _Port([PolicyPort(p, name) for p in protos], proto, False)
    if proto in _EXTENDED_PROTOCOLS and text != "0":
        c.invalid((*path, "port"), port, "port must be empty or 0")
        return None
    number = _go_port(text)
    if number is None:
        c.invalid((*path, "port"), port, "unable to parse port: a number 0-65535 or a port name")
        return None
    if number == 0:
        return _Port([PolicyPort(p) for p in protos], proto, True)  # every port (endPort unused)
    if end is not None and end != 0:
        if end < number:
            c.invalid((*path, "endPort"), end, "endPort must be greater than or equal to port")
            return None
        if end > 65535:
            c.invalid((*path, "endPort"), end, "endPort must be between 0 and 65535")
            return None
        if dns and end > number:
            c.invalid((*path, "endPort"), end, "DNS rules do not support port ranges")
            return None
        return _Port(
            [PolicyPort(p, number, end if end != number else None) for p in protos], proto, False
        )
    return _Port([PolicyPort(p, number) for p in protos], proto, False)


__all__ = [
    "CILIUM_API_VERSIONS",
    "CILIUM_KINDS",
    "label_key",
    "read_cilium",
    "read_endpoint_selector",
]
