"""Calico's and Cilium's policies of a snapshot written back as their own objects (beside
emit.py's Kubernetes kinds), for a snapshot given without its manifests. The engine's
virtual label keys become the labels Calico and Cilium give an endpoint (`pcns.*`,
`io.cilium.k8s.namespace.labels.*`...), which the dataplane decoder reads as written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from netreach.calico_selector import And, Eq, Expr, Has, In, Ne, Not, Or, StringOp
from netreach.model import (
    V_NAMESPACE,
    V_NS_LABEL,
    V_ORCHESTRATOR,
    V_SA_LABEL,
    V_SERVICE_ACCOUNT,
    CalicoEntity,
    CalicoPolicy,
    CalicoRule,
    CiliumPolicy,
    CiliumRule,
    LabelSelector,
    PolicyPort,
    Snapshot,
    cilium_label_name,
)


def _obj(api: str, kind: str, metadata: dict[str, Any], **rest: Any) -> dict[str, Any]:
    return {"apiVersion": api, "kind": kind, "metadata": metadata, **rest}


def objects(snapshot: Snapshot) -> list[dict[str, Any]]:
    items = [
        _obj(
            "v1",
            "ServiceAccount",
            {"name": a.name, "namespace": a.namespace, "labels": dict(a.labels)},
        )
        for a in snapshot.service_accounts
    ]
    items += [
        _obj(
            "projectcalico.org/v3",
            "Tier",
            {"name": t.name},
            spec={
                **({"order": t.order} if t.order is not None else {}),
                "defaultAction": t.default_action,
            },
        )
        for t in snapshot.calico_tiers
    ]
    items += [
        _obj(
            "projectcalico.org/v3",
            "NetworkSet" if s.namespace else "GlobalNetworkSet",
            {
                "name": s.name,
                **({"namespace": s.namespace} if s.namespace else {}),
                "labels": dict(s.labels),
            },
            spec={"nets": list(s.nets)},
        )
        for s in snapshot.network_sets
    ]
    items += [_calico_policy(p) for p in snapshot.calico_policies]
    grouped: dict[tuple[str, str, str], list[CiliumPolicy]] = {}
    for cp in snapshot.cilium_policies:
        grouped.setdefault((cp.kind, cp.namespace or "", cp.name), []).append(cp)
    items += [_cilium_policy(specs) for specs in grouped.values()]
    return items


# --- Calico ---------------------------------------------------------------------------------


def _calico_key(key: str) -> str:
    if key == V_NAMESPACE:
        return "projectcalico.org/namespace"
    if key == V_SERVICE_ACCOUNT:
        return "projectcalico.org/serviceaccount"
    if key == V_ORCHESTRATOR:
        return "projectcalico.org/orchestrator"
    if key.startswith(V_NS_LABEL):
        return "pcns." + key[len(V_NS_LABEL) :]
    if key.startswith(V_SA_LABEL):
        return "pcsa." + key[len(V_SA_LABEL) :]
    return key


def _rekey(e: Expr, key: Callable[[str], str]) -> Expr:
    if isinstance(e, Eq):
        return Eq(key(e.key), e.value)
    if isinstance(e, Ne):
        return Ne(key(e.key), e.value)
    if isinstance(e, In):
        return In(key(e.key), e.values, e.negated)
    if isinstance(e, Has):
        return Has(key(e.key))
    if isinstance(e, StringOp):
        return StringOp(key(e.key), e.op, e.value)
    if isinstance(e, Not):
        return Not(_rekey(e.inner, key))
    if isinstance(e, And):
        return And(tuple(_rekey(p, key) for p in e.parts))
    if isinstance(e, Or):
        return Or(tuple(_rekey(p, key) for p in e.parts))
    return e  # all(), global()


def _text(e: Any) -> str:
    assert isinstance(e, Expr)
    return str(_rekey(e, _calico_key))


def _calico_ports(ports: tuple[PolicyPort, ...]) -> list[int | str]:
    out: list[int | str] = []
    for p in ports:
        if isinstance(p.port, str):
            value: int | str = p.port  # one entry per protocol in the model: written once
        elif p.port is None:
            value = "1:65535"
        elif p.end_port is not None:
            value = f"{p.port}:{p.end_port}"
        else:
            value = p.port
        if value not in out:
            out.append(value)
    return out


def _entity(e: CalicoEntity) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (
        ("nets", list(e.nets)),
        ("notNets", list(e.not_nets)),
        ("ports", _calico_ports(e.ports)),
        ("notPorts", _calico_ports(e.not_ports)),
    ):
        if value:
            out[key] = value
    for key, sel in (
        ("selector", e.selector),
        ("notSelector", e.not_selector),
        ("namespaceSelector", e.namespace_selector),
    ):
        if sel is not None:
            out[key] = _text(sel)
    return out


def _protocol(name: str) -> int | str:
    return int(name) if name.isdigit() else name


def _calico_rule(r: CalicoRule) -> dict[str, Any]:
    out: dict[str, Any] = {"action": r.action}
    if r.protocol is not None:
        out["protocol"] = _protocol(r.protocol)
    if r.not_protocol is not None:
        out["notProtocol"] = _protocol(r.not_protocol)
    if r.ip_version is not None:
        out["ipVersion"] = r.ip_version
    if r.inert:
        # what a snapshot cannot know decided it (source ports, services): a notICMP on a
        # rule that is not ICMP says the same, and matches nothing in either reading
        out["notICMP"] = {"type": 0}
    for key, entity in (("source", r.source), ("destination", r.destination)):
        written = _entity(entity)
        if written:
            out[key] = written
    return out


def _calico_policy(p: CalicoPolicy) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "tier": p.tier,
        "selector": _text(p.selector),
        "types": [t.capitalize() for t in p.types],
        "ingress": [_calico_rule(r) for r in p.ingress],
        "egress": [_calico_rule(r) for r in p.egress],
    }
    if p.order is not None:
        spec["order"] = p.order
    if p.namespace_selector is not None:
        spec["namespaceSelector"] = _text(p.namespace_selector)
    if p.host_endpoint:
        spec["applyOnForward"] = True
        if p.host_endpoint != "applyOnForward":
            spec[p.host_endpoint] = True
    metadata = {"name": p.name, **({"namespace": p.namespace} if p.namespace else {})}
    return _obj("projectcalico.org/v3", p.kind, metadata, spec=spec)


# --- Cilium ---------------------------------------------------------------------------------


def _cilium_key(key: str) -> str:
    name = cilium_label_name(key)
    return f"k8s:{name}" if key == V_NAMESPACE else name


def _selector(sel: LabelSelector) -> dict[str, Any]:
    return {
        "matchLabels": {_cilium_key(k): v for k, v in sel.match_labels},
        "matchExpressions": [
            {"key": _cilium_key(r.key), "operator": r.operator, "values": list(r.values)}
            for r in sel.match_expressions
        ],
    }


def _cilium_port(p: PolicyPort) -> dict[str, Any]:
    out: dict[str, Any] = {"port": "0" if p.port is None else str(p.port), "protocol": p.protocol}
    if p.end_port is not None:
        out["endPort"] = p.end_port
    return out


def _cilium_rule(r: CiliumRule, ingress: bool) -> dict[str, Any]:
    pre = "from" if ingress else "to"
    out: dict[str, Any] = {}
    if r.endpoints:
        out[f"{pre}Endpoints"] = [_selector(s) for s in r.endpoints]
    if r.cidrs:
        out[f"{pre}CIDRSet"] = [{"cidr": b.cidr, "except": list(b.except_)} for b in r.cidrs]
    if r.entities:
        out[f"{pre}Entities"] = list(r.entities)
    if r.l3 and not out:
        # a peer kind netreach does not model: it matches nothing in either reading
        out[f"{pre}Nodes"] = [{"matchLabels": {"unmodelled": "peer"}}]
    if r.empty_l3:
        out[f"{pre}Endpoints"] = []
    if r.ports == ():
        out["icmps"] = [{"fields": [{"type": 8}]}]
    elif r.ports is not None:
        out["toPorts"] = [{"ports": [_cilium_port(p) for p in r.ports]}]
    return out


def _cilium_spec(p: CiliumPolicy) -> dict[str, Any]:
    spec: dict[str, Any] = (
        {"endpointSelector": _selector(p.subject)}
        if p.subject is not None
        else {"nodeSelector": {}}
    )
    for key, rules, ingress in (
        ("ingress", p.ingress, True),
        ("ingressDeny", p.ingress_deny, True),
        ("egress", p.egress, False),
        ("egressDeny", p.egress_deny, False),
    ):
        spec[key] = [_cilium_rule(r, ingress) for r in rules]
    spec["enableDefaultDeny"] = {d: d in p.default_deny for d in ("ingress", "egress")}
    return spec


def _cilium_policy(specs: list[CiliumPolicy]) -> dict[str, Any]:
    first = specs[0]
    metadata = {"name": first.name, **({"namespace": first.namespace} if first.namespace else {})}
    body: dict[str, Any] = (
        {"spec": _cilium_spec(first)}
        if first.spec_index is None and len(specs) == 1
        else {"specs": [_cilium_spec(p) for p in specs]}
    )
    return _obj("cilium.io/v2", first.kind, metadata, **body)
