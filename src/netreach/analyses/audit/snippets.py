"""YAML snippets for the audit's fixes, written by netreach.manifest (the one dumper)."""

from __future__ import annotations

from typing import Any

from netreach import manifest as dump
from netreach.model import LabelSelector

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
