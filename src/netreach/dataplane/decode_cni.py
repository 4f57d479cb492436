"""The dataplane's own reading of Calico's (projectcalico.org/v3) and Cilium's (cilium.io/v2)
policies, beside decode.py's reading of the Kubernetes kinds and for the same reason: what
the loader reads wrong must not be enforced wrong too.

Minimal, as decode.py: the loader validated every object verify enforces, so only the fields
enforcement needs are read, with the API's defaulting (Calico's `types`, a Tier's order and
default action; Cilium's `enableDefaultDeny`, protocol ANY). Calico selectors are parsed by
netreach.calico_selector with their keys as written: the resolver gives each endpoint
Calico's labels (`pcns.*`, `pcsa.*`, `projectcalico.org/namespace`...). Cilium selector keys
lose their `k8s:` / `any:` source; any other source names a label no pod carries.
"""

from __future__ import annotations

from typing import Any, Literal

from netreach.calico_selector import All, Expr, In, SelectorError, conjunction
from netreach.calico_selector import parse as parse_selector
from netreach.dataplane.objects import (
    PROTOS,
    CalicoAction,
    CalicoEntity,
    CalicoPolicy,
    CalicoRule,
    CalicoTier,
    CiliumPolicy,
    CiliumRule,
    Direction,
    Expression,
    Manifests,
    NetworkSet,
    Port,
    Proto,
    Selector,
)
from netreach.dataplane.values import (
    Scalar,
    as_bool,
    as_int,
    as_list,
    as_map,
    as_str,
    labels_of,
    present,
)

CALICO_APIS = ("projectcalico.org/v3", "crd.projectcalico.org/v1")
CALICO_KINDS = ("NetworkPolicy", "GlobalNetworkPolicy", "Tier", "NetworkSet", "GlobalNetworkSet")
CILIUM_KINDS = ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy")
# Calico's built-in tiers: order and default action (the Tier CRD keeps them so)
BUILTIN_TIERS = {
    "kube-admin": CalicoTier("kube-admin", 1_000.0, "Pass"),
    "default": CalicoTier("default", 1_000_000.0, "Deny"),
    "kube-baseline": CalicoTier("kube-baseline", 10_000_000.0, "Pass"),
}
SA_NAME = "projectcalico.org/serviceaccount"
POD_NAMESPACE = "io.kubernetes.pod.namespace"

_NUMBERED: dict[str, Proto] = {"6": "TCP", "17": "UDP", "132": "SCTP"}
_ACTIONS: dict[str, CalicoAction] = {a: a for a in ("Allow", "Deny", "Pass", "Log")}


class Unreadable(ValueError):
    """An object the dataplane decoder cannot read (a selector that does not parse)."""


def is_calico(api: str, kind: str) -> bool:
    return api in CALICO_APIS and kind in CALICO_KINDS


def is_cilium(api: str, kind: str) -> bool:
    return api == "cilium.io/v2" and kind in CILIUM_KINDS


# --- Calico ---------------------------------------------------------------------------------


def _expr(value: Any, accounts: bool = False) -> Expr | None:
    text = as_str(value)
    if text is None or not text.strip():
        return None
    key_map = _account_key if accounts else None
    try:
        return parse_selector(text, key_map)
    except SelectorError as exc:
        raise Unreadable(f"selector {text!r}: {exc}") from None


def _account_key(key: str) -> str:
    """serviceAccountSelector keys are the account's labels (`pcsa.` on the pod), its name
    `projectcalico.org/name`."""
    return SA_NAME if key == "projectcalico.org/name" else "pcsa." + key


def calico(out: Manifests, obj: dict[str, Any], kind: str, ns: str, name: str) -> None:
    spec = as_map(obj.get("spec"))
    if kind == "Tier":
        builtin = BUILTIN_TIERS.get(name)
        order = _order(spec.get("order"))
        if order is None and builtin is not None:
            order = builtin.order
        action: Literal["Deny", "Pass"] = (
            "Pass" if as_str(spec.get("defaultAction")) == "Pass" else "Deny"
        )
        out.tiers[name] = CalicoTier(name, order, action)
    elif kind in ("NetworkSet", "GlobalNetworkSet"):
        labels = labels_of(as_map(obj.get("metadata")).get("labels"))
        nets = tuple(s for s in (as_str(n) for n in as_list(spec.get("nets"))) if s)
        set_ns = ns if kind == "NetworkSet" else None
        out.network_sets[(kind, set_ns or "", name)] = NetworkSet(set_ns, name, labels, nets)
    else:
        policy = _calico_policy(kind, ns if kind == "NetworkPolicy" else None, name, spec)
        out.calico[(kind, policy.namespace or "", name)] = policy


def _order(value: Any) -> float | None:
    number = value.value if isinstance(value, Scalar) else value
    if isinstance(number, bool) or not isinstance(number, int | float):
        return None
    return float(number)


def _calico_policy(kind: str, ns: str | None, name: str, spec: dict[str, Any]) -> CalicoPolicy:
    subject = _expr(spec.get("selector")) or All()
    account = _expr(spec.get("serviceAccountSelector"), accounts=True)
    if account is not None:
        subject = conjunction((subject, account))
    ingress = as_list(spec.get("ingress"))
    egress = as_list(spec.get("egress"))
    types: list[Direction] = []
    for t in as_list(spec.get("types")):
        d: Direction | None = {"Ingress": "ingress", "Egress": "egress"}.get(  # type: ignore[assignment]
            as_str(t) or ""
        )
        if d is not None and d not in types:
            types.append(d)
    if not types:
        # Calico's defaulting: Ingress, unless there are egress rules only; both with both
        types = (
            ["ingress", "egress"] if ingress and egress else ["egress"] if egress else ["ingress"]
        )
    host_only = kind == "GlobalNetworkPolicy" and (
        as_bool(spec.get("preDNAT")) or as_bool(spec.get("doNotTrack"))
    )
    return CalicoPolicy(
        kind=kind,
        namespace=ns,
        name=name,
        tier=as_str(spec.get("tier")) or "default",
        order=_order(spec.get("order")),
        selector=subject,
        types=tuple(types),
        ingress=tuple(_calico_rule(r) for r in ingress),
        egress=tuple(_calico_rule(r) for r in egress),
        namespace_selector=_expr(spec.get("namespaceSelector")) if ns is None else None,
        applies_to_pods=not host_only,
    )


def _protocol(value: Any) -> Proto | str | None:
    """TCP, UDP, SCTP (or 6, 17, 132); anything else as written (ICMP...); None: absent."""
    if value is None or (isinstance(value, Scalar) and value.kind == "null"):
        return None
    number = as_int(value)
    text = str(number) if number is not None else (as_str(value) or "")
    text = _NUMBERED.get(text, text)
    return next((p for p in PROTOS if p == text), text)


def _calico_rule(value: Any) -> CalicoRule:
    raw = as_map(value)
    action_text = as_str(raw.get("action")) or ""
    action = _ACTIONS.get(action_text, "Deny")
    proto = _protocol(raw.get("protocol"))
    not_proto = _protocol(raw.get("notProtocol"))
    protocols = [p for p in PROTOS if proto is None or p == proto]
    protocols = [p for p in protocols if p != not_proto]
    src_raw = as_map(raw.get("source"))
    dst_raw = as_map(raw.get("destination"))
    port_proto = proto if proto in PROTOS else None
    source = _entity(src_raw, port_proto)
    destination = _entity(dst_raw, port_proto)
    # What a snapshot cannot know decides these: the client's port, a Service match, notICMP
    # on a rule that is not ICMP. They match nothing, as in the engine (its verdicts say so).
    inert = bool(source.ports or source.not_ports)
    inert = inert or any(present(e, "services") for e in (src_raw, dst_raw))
    inert = inert or (present(raw, "notICMP") and proto not in ("ICMP", "ICMPv6", "1", "58"))
    version = as_int(raw.get("ipVersion"))
    return CalicoRule(
        action,
        tuple(protocols),
        version if version in (4, 6) else None,
        source,
        destination,
        inert,
    )


def _entity(raw: dict[str, Any], port_proto: Proto | None) -> CalicoEntity:
    parts: list[Expr] = []
    accounts = as_map(raw.get("serviceAccounts"))
    account_sel = _expr(accounts.get("selector"), accounts=True)
    if account_sel is not None:
        parts.append(account_sel)
    names = sorted({s for s in (as_str(n) for n in as_list(accounts.get("names"))) if s})
    if names:
        parts.append(In(SA_NAME, tuple(names)))
    selector = _expr(raw.get("selector"))
    if selector is not None:
        parts.append(selector)
    return CalicoEntity(
        nets=_nets(raw.get("nets")),
        not_nets=_nets(raw.get("notNets")),
        selector=conjunction(parts) if parts else None,
        not_selector=_expr(raw.get("notSelector")),
        namespace_selector=_expr(raw.get("namespaceSelector")),
        ports=_calico_ports(raw.get("ports"), port_proto),
        not_ports=_calico_ports(raw.get("notPorts"), port_proto),
    )


def _nets(value: Any) -> tuple[str, ...]:
    """CIDRs; a plain address is its /32 or /128 (Calico's ParseCIDROrIP)."""
    out = []
    for item in as_list(value):
        text = as_str(item)
        if text:
            out.append(text if "/" in text else f"{text}/{128 if ':' in text else 32}")
    return tuple(out)


def _calico_ports(value: Any, proto: Proto | None) -> tuple[Port, ...]:
    """numorstring.Port: a number, "lo:hi" or a name. A name without the rule's protocol
    resolves under any protocol."""
    out: list[Port] = []
    for item in as_list(value):
        number = as_int(item)
        text = as_str(item)
        if number is None and text is not None and text.isdigit():
            number = int(text)  # "80" is the number, as Calico's numorstring.Port reads it
        if number is not None:
            lo = hi = number
        elif text is not None and text.count(":") == 1 and text.replace(":", "").isdigit():
            lo, hi = (int(x) for x in text.split(":"))
        elif text:
            out += [Port(p, text) for p in ((proto,) if proto else PROTOS)]
            continue
        else:
            continue
        if proto is not None:
            out.append(Port(proto, lo, hi if hi != lo else None))
    return tuple(out)


# --- Cilium ---------------------------------------------------------------------------------


def _cilium_key(key: str) -> str:
    source, sep, rest = key.partition(":")
    if sep and source in ("k8s", "any"):
        return rest
    return key  # no source, or another one (`reserved:`): no pod label has a colon


def _cilium_selector(value: Any, namespace: str | None) -> Selector:
    raw = as_map(value)
    labels: dict[str, str] = {}
    for k, v in as_map(raw.get("matchLabels")).items():
        labels[_cilium_key(k)] = as_str(v) or ""
    exprs = []
    for item in as_list(raw.get("matchExpressions")):
        e = as_map(item)
        values = tuple(s for s in (as_str(x) for x in as_list(e.get("values"))) if s is not None)
        key = _cilium_key(as_str(e.get("key")) or "")
        exprs.append(Expression(key, as_str(e.get("operator")) or "", values))
    # a CiliumNetworkPolicy's selector is limited to its namespace unless it names one
    names_ns = POD_NAMESPACE in labels or any(e.key == POD_NAMESPACE for e in exprs)
    if namespace is not None and not names_ns:
        labels[POD_NAMESPACE] = namespace
    return Selector(tuple(sorted(labels.items())), tuple(exprs))


def cilium(out: Manifests, obj: dict[str, Any], kind: str, ns: str, name: str) -> None:
    namespace = ns if kind == "CiliumNetworkPolicy" else None
    specs = [obj["spec"]] if present(obj, "spec") else []
    specs += as_list(obj.get("specs"))
    out.cilium[(kind, namespace or "", name)] = tuple(
        _cilium_policy(kind, namespace, name, as_map(s)) for s in specs
    )


def _cilium_policy(kind: str, ns: str | None, name: str, raw: dict[str, Any]) -> CiliumPolicy:
    subject = (
        _cilium_selector(raw.get("endpointSelector"), ns)
        if present(raw, "endpointSelector")
        else None
    )
    lists = {
        key: tuple(_cilium_rule(as_map(r), key, ns) for r in as_list(raw.get(key)))
        for key in ("ingress", "ingressDeny", "egress", "egressDeny")
    }
    wanted = as_map(raw.get("enableDefaultDeny"))
    default_deny: list[Direction] = []
    for d, deny_key in (("ingress", "ingressDeny"), ("egress", "egressDeny")):
        flag = wanted.get(d)
        # Rule.EnableDefaultDeny: true for a direction with rules, unless it says false
        if as_bool(flag) if present(wanted, d) else bool(lists[d] or lists[deny_key]):
            default_deny.append(d)  # type: ignore[arg-type]
    return CiliumPolicy(
        kind=kind,
        namespace=ns,
        name=name,
        subject=subject,
        ingress=lists["ingress"],
        egress=lists["egress"],
        ingress_deny=lists["ingressDeny"],
        egress_deny=lists["egressDeny"],
        default_deny=tuple(default_deny),
    )


def _cilium_rule(raw: dict[str, Any], key: str, ns: str | None) -> CiliumRule:
    ingress = key.startswith("ingress")
    pre = "from" if ingress else "to"
    peer_fields = [f"{pre}{f}" for f in ("Endpoints", "CIDR", "CIDRSet", "Entities", "Nodes")]
    peer_fields += ["fromGroups"] if ingress else ["toGroups", "toServices", "toFQDNs"]
    endpoints = tuple(_cilium_selector(s, ns) for s in as_list(raw.get(f"{pre}Endpoints")))
    cidrs: list[tuple[str, tuple[str, ...]]] = []
    for item in as_list(raw.get(f"{pre}CIDR")):
        text = as_str(item)
        if text:
            cidrs.append((text if "/" in text else f"{text}/{128 if ':' in text else 32}", ()))
    for item in as_list(raw.get(f"{pre}CIDRSet")):
        entry = as_map(item)
        cidr = as_str(entry.get("cidr"))
        if cidr:  # a cidrGroupRef (CiliumCIDRGroup) is not read: it matches nothing here
            excepts = tuple(s for s in (as_str(e) for e in as_list(entry.get("except"))) if s)
            cidrs.append((cidr, excepts))
    entities = tuple(s for s in (as_str(e) for e in as_list(raw.get(f"{pre}Entities"))) if s)
    l3 = any(as_list(raw.get(f)) for f in peer_fields)
    empty_l3 = not l3 and any(present(raw, f) for f in peer_fields)
    ports = _to_ports(raw.get("toPorts"))
    if ports is None and present(raw, "icmps"):
        ports = ()  # ICMP only: none of the connections modelled
    return CiliumRule(
        "Deny" if key.endswith("Deny") else "Allow",
        endpoints,
        tuple(cidrs),
        entities,
        l3=l3,
        empty_l3=empty_l3,
        ports=ports,
    )


def _to_ports(value: Any) -> tuple[Port, ...] | None:
    items = as_list(value)
    if not items:
        return None  # absent or empty: every port
    out: list[Port] = []
    for item in items:
        plist = as_list(as_map(item).get("ports"))
        if not plist:
            out += [Port(p) for p in PROTOS]
        for p in plist:
            raw = as_map(p)
            proto = as_str(raw.get("protocol")) or "ANY"
            protos: tuple[Proto, ...] = (
                PROTOS if proto == "ANY" else tuple(x for x in PROTOS if x == proto)
            )
            number = as_int(raw.get("port"))
            text = as_str(raw.get("port"))
            end = as_int(raw.get("endPort"))
            if number is None and text is not None and text.isdigit():
                number = int(text)
            if (number is None and not text) or number == 0:
                out += [Port(x) for x in protos]  # port 0 or none: every port
            elif number is not None:
                out += [Port(x, number, end if end and end != number else None) for x in protos]
            elif text:
                out += [Port(x, text) for x in protos]
    return tuple(out)
