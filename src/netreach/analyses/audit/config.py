"""Audit settings: which checks run, their severities, what counts as cluster DNS and as a
sensitive port. Read from `.netreach.yaml` (key `audit:`) or built in Python."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netreach.analyses.audit.findings import SEVERITIES, Severity
from netreach.errors import InputError, Problem
from netreach.loader.files import read_document, read_named
from netreach.loader.limits import Limits
from netreach.loader.sources import Source
from netreach.model import LabelSelector, Location

DEFAULT_DNS_NAMESPACE = "kube-system"
DEFAULT_DNS_SELECTOR = LabelSelector((("k8s-app", "kube-dns"),))
# Ports whose exposure to every namespace is worth a look: remote shells, databases, caches,
# search engines, etcd, the kubelet, message brokers.
DEFAULT_SENSITIVE_PORTS: tuple[int, ...] = (
    22, 2379, 2380, 3306, 5432, 5984, 6379, 9042, 9200, 9300,
    10250, 11211, 15672, 27017,
)  # fmt: skip
# Namespaces the platform runs (CoreDNS, kube-proxy, leases): outside the default-deny
# checks, as `generate` leaves them alone; a deny-all there cuts cluster DNS off.
DEFAULT_SYSTEM_NAMESPACES: tuple[str, ...] = ("kube-system", "kube-public", "kube-node-lease")


@dataclass(frozen=True)
class AuditConfig:
    disable: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)  # per-check override
    namespaces: tuple[str, ...] | None = None  # report on these only (None: every namespace)
    dns_namespace: str = DEFAULT_DNS_NAMESPACE
    dns_selector: LabelSelector = DEFAULT_DNS_SELECTOR
    sensitive_ports: tuple[int, ...] = DEFAULT_SENSITIVE_PORTS
    system_namespaces: tuple[str, ...] = DEFAULT_SYSTEM_NAMESPACES
    # Intended public entry points: `namespace` (every workload there, e.g. an ingress
    # controller's) or `namespace/workload-name`; their world-open findings are lowered.
    entry_points: tuple[str, ...] = ()
    # Workloads behind a LoadBalancer or NodePort Service are entry points too.
    entry_point_services: bool = True
    # Keys of older config files that no longer do anything (said in the report's notes).
    obsolete: tuple[str, ...] = ()

    def in_scope(self, namespace: str | None) -> bool:
        return self.namespaces is None or namespace is None or namespace in self.namespaces

    def default_deny_checked(self, namespace: str) -> bool:
        """Whether the default-deny checks look at `namespace`: not a system namespace,
        unless it was asked for by name (`-n kube-system`)."""
        if namespace in self.system_namespaces:
            return self.namespaces is not None and namespace in self.namespaces
        return self.in_scope(namespace)


_KEYS = {
    "disable", "severity", "dns", "sensitive-ports", "redundancy-budget",
    "system-namespaces", "entry-points", "entry-point-services",
}  # fmt: skip
# redundancy-budget capped the redundancy checks when they recompiled the snapshot; they now
# ask the engine in place and always run, so the key is accepted and reported as obsolete.
_OBSOLETE = ("redundancy-budget",)


def config_from_mapping(data: Mapping[str, Any], origin: str = "config") -> AuditConfig:
    """The `audit:` mapping of `.netreach.yaml`; every problem reported at once."""
    problems: list[str] = []
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        problems.append(
            f"unknown key(s) {', '.join(unknown)} (expected {', '.join(sorted(_KEYS))})"
        )
    disable = data.get("disable", [])
    if not isinstance(disable, list) or not all(isinstance(x, str) for x in disable):
        problems.append("disable: expected a list of check ids")
        disable = []
    severity: dict[str, Severity] = {}
    raw_sev = data.get("severity", {})
    if not isinstance(raw_sev, Mapping):
        problems.append("severity: expected a mapping of check id to error|warning|info")
        raw_sev = {}
    for k, v in raw_sev.items():
        if v not in SEVERITIES:
            problems.append(f"severity.{k}: {v!r} is not one of error, warning, info")
        else:
            severity[str(k)] = v
    dns = data.get("dns", {})
    dns_ns = DEFAULT_DNS_NAMESPACE
    dns_sel = DEFAULT_DNS_SELECTOR
    if not isinstance(dns, Mapping):
        problems.append("dns: expected a mapping with namespace and labels")
    else:
        dns_ns = str(dns.get("namespace", dns_ns))
        labels = dns.get("labels")
        if labels is not None:
            if not isinstance(labels, Mapping) or not labels:
                problems.append("dns.labels: expected a non-empty mapping of label to value")
            else:
                dns_sel = LabelSelector(tuple(sorted((str(k), str(v)) for k, v in labels.items())))
    ports = data.get("sensitive-ports", list(DEFAULT_SENSITIVE_PORTS))
    if not isinstance(ports, list) or not all(
        isinstance(p, int) and not isinstance(p, bool) and 1 <= p <= 65535 for p in ports
    ):
        problems.append("sensitive-ports: expected a list of port numbers 1-65535")
        ports = list(DEFAULT_SENSITIVE_PORTS)
    system = _names(data, "system-namespaces", DEFAULT_SYSTEM_NAMESPACES, problems)
    entries = _names(data, "entry-points", (), problems, slash=True)
    services = data.get("entry-point-services", True)
    if not isinstance(services, bool):
        problems.append("entry-point-services: expected true or false")
        services = True
    if problems:
        raise InputError(Problem(p, object_ref=origin) for p in problems)
    return AuditConfig(
        disable=frozenset(disable),
        severity=severity,
        dns_namespace=dns_ns,
        dns_selector=dns_sel,
        sensitive_ports=tuple(ports),
        system_namespaces=system,
        entry_points=entries,
        entry_point_services=services,
        obsolete=tuple(k for k in _OBSOLETE if k in data),
    )


def _names(
    data: Mapping[str, Any],
    key: str,
    default: tuple[str, ...],
    problems: list[str],
    slash: bool = False,
) -> tuple[str, ...]:
    """A list of namespace names (`slash`: or `namespace/workload-name`)."""
    value = data.get(key, list(default))
    what = "namespace or namespace/workload names" if slash else "namespace names"
    if not isinstance(value, list) or not all(isinstance(x, str) and x for x in value):
        problems.append(f"{key}: expected a list of {what}")
        return default
    bad = [x for x in value if x.count("/") > (1 if slash else 0) or x.startswith("/")]
    if bad:
        problems.append(f"{key}: {', '.join(map(repr, bad))} not of the form {what}")
        return default
    return tuple(value)


def load_config(path: str | Path, limits: Limits | None = None) -> AuditConfig:
    """Read the `audit:` section of a `.netreach.yaml` file (decoded as manifests are)."""
    return config_from_source(read_named(str(path), limits), limits)


def config_from_source(source: Source, limits: Limits | None = None) -> AuditConfig:
    """The `audit:` section of a settings file already read."""
    data = read_document(source, limits)
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise InputError([Problem("expected a mapping at the top level", Location(source))])
    section = data.get("audit", {})
    if not isinstance(section, Mapping):
        raise InputError([Problem("audit: expected a mapping", Location(source, 0, ("audit",)))])
    return config_from_mapping(section, source.name)
