"""A snapshot written back as Kubernetes objects (JSON), for callers that hand `verify` or
`compile_ruleset` a snapshot without the manifests it came from.

The dataplane then decodes these objects as it decodes real manifests. That checks the
engine against the kernel, but not the loader (it wrote the snapshot); `verify` says so.
"""

from __future__ import annotations

import json
from typing import Any

from netreach.dataplane import emit_cni
from netreach.model import (
    AdminPeer,
    AdminPolicy,
    AdminRule,
    LabelSelector,
    NetworkPolicy,
    Peer,
    Pod,
    PolicyPort,
    Rule,
    Service,
    Snapshot,
)


def manifests(snapshot: Snapshot) -> list[tuple[str, bytes]]:
    """One JSON source holding a List of every object of `snapshot`."""
    items: list[dict[str, Any]] = []
    items += [
        _obj("v1", "Namespace", {"name": n.name, "labels": dict(n.labels)})
        for n in snapshot.namespaces.values()
    ]
    items += [_pod(p) for p in snapshot.pods]
    items += [_policy(p) for p in snapshot.policies]
    items += [_admin(p) for p in snapshot.admin_policies]
    items += [_service(s) for s in snapshot.services]
    items += [
        _obj(
            "v1",
            "Node",
            {"name": n.name, "labels": dict(n.labels)},
            status={"addresses": [{"type": "InternalIP", "address": a} for a in n.addresses]},
        )
        for n in snapshot.nodes
    ]
    items += emit_cni.objects(snapshot)
    doc = {"apiVersion": "v1", "kind": "List", "items": items}
    return [("snapshot", json.dumps(doc).encode())]


def _obj(api: str, kind: str, metadata: dict[str, Any], **rest: Any) -> dict[str, Any]:
    return {"apiVersion": api, "kind": kind, "metadata": metadata, **rest}


def _selector(sel: LabelSelector) -> dict[str, Any]:
    return {
        "matchLabels": dict(sel.match_labels),
        "matchExpressions": [
            {"key": r.key, "operator": r.operator, "values": list(r.values)}
            for r in sel.match_expressions
        ],
    }


def _pod(pod: Pod) -> dict[str, Any]:
    ports = [
        {
            "containerPort": cp.port,
            "protocol": cp.protocol,
            **({"name": cp.name} if cp.name else {}),
        }
        for cp in pod.ports
    ]
    spec = {
        "hostNetwork": pod.host_network,
        "serviceAccountName": pod.service_account,
        "containers": [{"name": "c", "ports": ports}],
    }
    if pod.from_template:  # the workload it stands for, with the pod as its template
        w = pod.workload
        template: dict[str, Any] = {"metadata": {"labels": dict(pod.labels)}, "spec": spec}
        if w.kind == "CronJob":
            template = {"spec": {"template": template}}
            return _obj(
                "batch/v1",
                w.kind,
                {"name": w.name, "namespace": w.namespace},
                spec={"jobTemplate": template},
            )
        return _obj(
            "apps/v1",
            w.kind,
            {"name": w.name, "namespace": w.namespace},
            spec={"template": template},
        )
    return _obj(
        "v1",
        "Pod",
        {"name": pod.name, "namespace": pod.namespace, "labels": dict(pod.labels)},
        spec=spec,
        status={"podIPs": [{"ip": ip} for ip in pod.ips]},
    )


def _port(pp: PolicyPort) -> dict[str, Any]:
    out: dict[str, Any] = {"protocol": pp.protocol}
    if pp.port is not None:
        out["port"] = pp.port
    if pp.end_port is not None:
        out["endPort"] = pp.end_port
    return out


def _peer(peer: Peer) -> dict[str, Any]:
    if peer.ip_block is not None:
        return {"ipBlock": {"cidr": peer.ip_block.cidr, "except": list(peer.ip_block.except_)}}
    out: dict[str, Any] = {}
    if peer.pod_selector is not None:
        out["podSelector"] = _selector(peer.pod_selector)
    if peer.namespace_selector is not None:
        out["namespaceSelector"] = _selector(peer.namespace_selector)
    return out


def _rule(rule: Rule, key: str) -> dict[str, Any]:
    return {key: [_peer(p) for p in rule.peers], "ports": [_port(p) for p in rule.ports]}


def _policy(policy: NetworkPolicy) -> dict[str, Any]:
    return _obj(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        {"name": policy.name, "namespace": policy.namespace},
        spec={
            "podSelector": _selector(policy.pod_selector),
            "policyTypes": [t.capitalize() for t in policy.policy_types],
            "ingress": [_rule(r, "from") for r in policy.ingress],
            "egress": [_rule(r, "to") for r in policy.egress],
        },
    )


def _admin_peer(peer: AdminPeer) -> dict[str, Any]:
    if peer.namespaces is not None:
        return {"namespaces": _selector(peer.namespaces)}
    if peer.pods is not None:
        ns_sel, pod_sel = peer.pods
        return {"pods": {"namespaceSelector": _selector(ns_sel), "podSelector": _selector(pod_sel)}}
    if peer.networks:
        return {"networks": list(peer.networks)}
    if peer.nodes is not None:
        return {"nodes": _selector(peer.nodes)}
    return {"domainNames": [peer.unsupported or "unsupported"]}


def _admin_ports(ports: tuple[PolicyPort, ...], v2: bool) -> list[dict[str, Any]]:
    """Admin port entries; a named port stands for every protocol (the loader writes one
    entry per protocol), so each name is written once."""
    out: list[dict[str, Any]] = []
    names: list[str] = []
    for pp in ports:
        if isinstance(pp.port, str):
            if pp.port not in names:
                names.append(pp.port)
            continue
        if v2:
            proto = pp.protocol.lower()
            if pp.port is None:
                out.append({proto: {}})
            elif pp.end_port is not None:
                rng = {"start": pp.port, "end": pp.end_port}
                out.append({proto: {"destinationPort": {"range": rng}}})
            else:
                out.append({proto: {"destinationPort": {"number": pp.port}}})
        elif pp.end_port is not None:
            out.append(
                {"portRange": {"protocol": pp.protocol, "start": pp.port, "end": pp.end_port}}
            )
        elif pp.port is not None:
            out.append({"portNumber": {"protocol": pp.protocol, "port": pp.port}})
        else:  # v1alpha1 has no "every port of a protocol": a full range says it
            out.append({"portRange": {"protocol": pp.protocol, "start": 1, "end": 65535}})
    key = "destinationNamedPort" if v2 else "namedPort"
    return out + [{key: name} for name in names]


def _admin_rule(rule: AdminRule, key: str, v2: bool) -> dict[str, Any]:
    action = "Accept" if v2 and rule.action == "Allow" else rule.action
    out: dict[str, Any] = {
        "name": rule.name,
        "action": action,
        key: [_admin_peer(p) for p in rule.peers],
    }
    if rule.ports is not None:
        out["protocols" if v2 else "ports"] = _admin_ports(rule.ports, v2)
    return out


def _admin(policy: AdminPolicy) -> dict[str, Any]:
    v2 = policy.kind == "ClusterNetworkPolicy"
    sub = policy.subject
    subject: dict[str, Any] = (
        {"namespaces": _selector(sub.namespaces)}
        if sub.pods is None
        else {
            "pods": {
                "namespaceSelector": _selector(sub.namespaces),
                "podSelector": _selector(sub.pods),
            }
        }
    )
    spec: dict[str, Any] = {
        "subject": subject,
        "ingress": [_admin_rule(r, "from", v2) for r in policy.ingress],
        "egress": [_admin_rule(r, "to", v2) for r in policy.egress],
    }
    if policy.kind != "BaselineAdminNetworkPolicy":
        spec["priority"] = policy.priority
    if v2:
        spec["tier"] = policy.tier
    api = "policy.networking.k8s.io/" + ("v1alpha2" if v2 else "v1alpha1")
    return _obj(api, policy.kind, {"name": policy.name}, spec=spec)


def _service(svc: Service) -> dict[str, Any]:
    ports = [
        {
            "port": sp.port,
            "targetPort": sp.target_port,
            "protocol": sp.protocol,
            **({"name": sp.name} if sp.name else {}),
        }
        for sp in svc.ports
    ]
    spec: dict[str, Any] = {"ports": ports}
    if svc.selector:
        spec["selector"] = dict(svc.selector)
    return _obj("v1", "Service", {"name": svc.name, "namespace": svc.namespace}, spec=spec)
