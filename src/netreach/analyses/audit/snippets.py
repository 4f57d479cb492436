"""YAML snippets for fixes, dumped by PyYAML so names and labels from the input are quoted
safely whatever they hold."""

from __future__ import annotations

from typing import Any

import yaml

from netreach.model import Direction, LabelSelector


def to_yaml(obj: Any) -> str:
    # libyaml's emitter: the pure-Python one costs milliseconds per snippet, and an audit
    # of a large cluster writes thousands
    return yaml.dump(
        obj, Dumper=yaml.CSafeDumper, sort_keys=False, default_flow_style=False
    ).rstrip()


def selector_yaml(sel: LabelSelector) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if sel.match_labels:
        out["matchLabels"] = dict(sel.match_labels)
    if sel.match_expressions:
        out["matchExpressions"] = [
            {"key": r.key, "operator": r.operator}
            | ({"values": list(r.values)} if r.values else {})
            for r in sel.match_expressions
        ]
    return out


def policy_types(directions: tuple[Direction, ...]) -> list[str]:
    return [d.capitalize() for d in directions]


def network_policy(
    namespace: str, name: str, pod_selector: LabelSelector, spec: dict[str, Any]
) -> str:
    return to_yaml(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"podSelector": selector_yaml(pod_selector), **spec},
        }
    )


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
