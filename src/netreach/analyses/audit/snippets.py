"""YAML snippets for the audit's fixes, written by netreach.manifest (the one dumper)."""

from __future__ import annotations

from typing import Any

from netreach import manifest as dump
from netreach.model import V_NAMESPACE, LabelSelector, cilium_label_name

selector_yaml = dump.selector
policy_types = dump.policy_types


def to_yaml(obj: Any) -> str:
    return dump.to_yaml(obj).rstrip()


def network_policy(
    namespace: str, name: str, pod_selector: LabelSelector, spec: dict[str, Any]
) -> str:
    return to_yaml(dump.network_policy(namespace, name, pod_selector, spec))


def dns_egress_rule(dns_namespace: str, dns_selector: LabelSelector) -> dict[str, Any]:
    return {
        "to": [
            {
                "namespaceSelector": {
                    "matchLabels": {"kubernetes.io/metadata.name": dns_namespace}
                },
                "podSelector": selector_yaml(dns_selector),
            }
        ],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }


def _calico_quote(value: str) -> str:
    return f"'{value}'" if '"' in value else f'"{value}"'


def calico_selector(sel: LabelSelector) -> str:
    """A label selector in Calico's selector language (`k == "v" && has(k2)`)."""
    parts = [f"{k} == {_calico_quote(v)}" for k, v in sel.match_labels]
    for r in sel.match_expressions:
        values = ", ".join(_calico_quote(v) for v in r.values)
        parts.append(
            {
                "In": f"{r.key} in {{{values}}}",
                "NotIn": f"{r.key} not in {{{values}}}",
                "Exists": f"has({r.key})",
                "DoesNotExist": f"!has({r.key})",
            }[r.operator]
        )
    return " && ".join(parts) or "all()"


def calico_dns_egress_rules(dns_namespace: str, dns_selector: LabelSelector) -> list[Any]:
    """Calico rules letting a pod reach the DNS pods on UDP and TCP 53."""
    return [
        {
            "action": "Allow",
            "protocol": proto,
            "destination": {
                "namespaceSelector": f"projectcalico.org/name == {_calico_quote(dns_namespace)}",
                "selector": calico_selector(dns_selector),
                "ports": [53],
            },
        }
        for proto in ("UDP", "TCP")
    ]


def _cilium_key(key: str) -> str:
    """A selector key as Cilium writes it, with its source (`k8s:` unless it has another)."""
    name = cilium_label_name(key)
    return name if ":" in name else f"k8s:{name}"


def cilium_selector(sel: LabelSelector) -> dict[str, Any]:
    """A label selector (virtual namespace labels included) as a Cilium endpoint selector."""
    out: dict[str, Any] = {}
    if sel.match_labels:
        out["matchLabels"] = {_cilium_key(k): v for k, v in sel.match_labels}
    if sel.match_expressions:
        out["matchExpressions"] = [
            {
                "key": _cilium_key(r.key),
                "operator": r.operator,
                **({"values": list(r.values)} if r.values else {}),
            }
            for r in sel.match_expressions
        ]
    return out


def cilium_dns_egress_rule(dns_namespace: str, dns_selector: LabelSelector) -> dict[str, Any]:
    """A Cilium egress rule letting a pod reach the DNS pods on UDP and TCP 53."""
    endpoint = cilium_selector(
        LabelSelector(
            ((V_NAMESPACE, dns_namespace), *dns_selector.match_labels),
            dns_selector.match_expressions,
        )
    )
    return {
        "toEndpoints": [endpoint],
        "toPorts": [
            {"ports": [{"port": "53", "protocol": "UDP"}, {"port": "53", "protocol": "TCP"}]}
        ],
    }
