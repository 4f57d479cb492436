"""Namespaces, Pods and workload templates: reading and validating the parts the analysis uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netreach.loader.check import Checker, FieldPath
from netreach.loader.meta import OBJECT_META_FIELDS, Meta, read_labels, read_meta
from netreach.loader.names import (
    is_dns1123_label,
    is_dns1123_subdomain,
    is_valid_port_name,
    is_valid_port_num,
)
from netreach.model import ContainerPort, canonical_ip

# Kind -> path of the pod template inside the object.
WORKLOAD_TEMPLATES: dict[str, FieldPath] = {
    "Deployment": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}

NAMESPACE_LABEL = "kubernetes.io/metadata.name"

# Fields checked for typos (unknown: a warning, an error with --strict): the levels on the way
# to what netreach reads. Deeper parts (containers, workload specs) are not checked.
TOP_FIELDS = frozenset({"apiVersion", "kind", "metadata", "spec", "status"})
_TEMPLATE_FIELDS = frozenset({"metadata", "spec"})
_CONTAINER_PORT_FIELDS = frozenset({"containerPort", "hostPort", "hostIP", "name", "protocol"})
POD_SPEC_FIELDS = frozenset(
    {
        "activeDeadlineSeconds",
        "affinity",
        "automountServiceAccountToken",
        "containers",
        "dnsConfig",
        "dnsPolicy",
        "enableServiceLinks",
        "ephemeralContainers",
        "hostAliases",
        "hostIPC",
        "hostNetwork",
        "hostPID",
        "hostUsers",
        "hostname",
        "hostnameOverride",
        "imagePullSecrets",
        "initContainers",
        "nodeName",
        "nodeSelector",
        "os",
        "overhead",
        "preemptionPolicy",
        "priority",
        "priorityClassName",
        "readinessGates",
        "resourceClaims",
        "resources",
        "restartPolicy",
        "runtimeClassName",
        "schedulerName",
        "schedulingGates",
        "securityContext",
        "serviceAccount",
        "serviceAccountName",
        "setHostnameAsFQDN",
        "shareProcessNamespace",
        "subdomain",
        "terminationGracePeriodSeconds",
        "tolerations",
        "topologySpreadConstraints",
        "volumes",
    }
)


def read_namespace(c: Checker, obj: dict[str, Any]) -> Meta:
    c.unknown_fields(obj, (), TOP_FIELDS)
    meta = read_meta(c, obj, is_dns1123_label, namespaced=False)
    return meta


@dataclass(frozen=True, slots=True)
class PodSpec:
    labels: dict[str, str]
    ports: tuple[ContainerPort, ...]
    host_network: bool
    # spec.serviceAccountName (admission sets "default"; the deprecated serviceAccount alias
    # is read when the name is absent): Calico's serviceAccountSelector reads it
    service_account: str = "default"


@dataclass(frozen=True, slots=True)
class RawPod:
    meta: Meta
    spec: PodSpec
    ips: tuple[str, ...]
    phase: str


def pod_phase(obj: dict[str, Any]) -> str:
    status = obj.get("status")
    phase = status.get("phase") if isinstance(status, dict) else None
    return phase if isinstance(phase, str) else ""


def read_pod(c: Checker, obj: dict[str, Any]) -> RawPod:
    c.unknown_fields(obj, (), TOP_FIELDS)
    meta = read_meta(c, obj, is_dns1123_subdomain, namespaced=True)
    spec = read_pod_spec(c, obj.get("spec"), ("spec",), meta.labels)
    status = c.mapping(obj.get("status"), ("status",)) or {}
    ips: list[str] = []
    for i, item in enumerate(c.array(status.get("podIPs"), ("status", "podIPs"))):
        entry = c.mapping(item, ("status", "podIPs", i)) or {}
        ip = _ip(c, entry.get("ip"), ("status", "podIPs", i, "ip"))
        if ip is not None and ip not in ips:
            ips.append(ip)
    if not ips:
        ip = _ip(c, status.get("podIP"), ("status", "podIP"))
        if ip is not None:
            ips.append(ip)
    return RawPod(meta, spec, tuple(ips), pod_phase(obj))


_CANONICAL_IP: dict[str, str] = {}


def _ip(c: Checker, value: Any, path: FieldPath) -> str | None:
    s = c.string(value, path)
    if not s:
        return None
    known = _CANONICAL_IP.get(s)
    if known is not None:
        return known
    try:
        canonical = canonical_ip(s)
    except ValueError:
        c.invalid(path, s, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")
        return None
    if canonical is not s and len(_CANONICAL_IP) < 1_000_000:
        _CANONICAL_IP[s] = canonical  # the forms that needed parsing
    return canonical


def read_template(c: Checker, obj: dict[str, Any], kind: str) -> PodSpec:
    """The pod template of a workload: its labels, container ports, hostNetwork."""
    c.unknown_fields(obj, (), TOP_FIELDS)
    path = WORKLOAD_TEMPLATES[kind]
    node: Any = obj
    for i, key in enumerate(path):
        node = c.mapping(node.get(key), path[: i + 1]) if isinstance(node, dict) else None
    template: dict[str, Any] = node or {}
    c.unknown_fields(template, path, _TEMPLATE_FIELDS)
    md = c.mapping(template.get("metadata"), (*path, "metadata")) or {}
    c.unknown_fields(md, (*path, "metadata"), OBJECT_META_FIELDS)
    labels = read_labels(c, md.get("labels"), (*path, "metadata", "labels"))
    return read_pod_spec(c, template.get("spec"), (*path, "spec"), labels)


def read_pod_spec(c: Checker, value: Any, path: FieldPath, labels: dict[str, str]) -> PodSpec:
    spec = c.mapping(value, path) or {}
    c.unknown_fields(spec, path, POD_SPEC_FIELDS)
    ports: list[ContainerPort] = []
    for group in ("containers", "initContainers"):
        gpath = (*path, group)
        for i, item in enumerate(c.array(spec.get(group), gpath)):
            container = c.mapping(item, (*gpath, i))
            if container is None:
                continue
            # Init containers keep running (and serving) only as sidecars (restartPolicy Always).
            if group == "initContainers" and container.get("restartPolicy") != "Always":
                continue
            ppath = (*gpath, i, "ports")
            for j, p in enumerate(c.array(container.get("ports"), ppath)):
                port = _container_port(c, p, (*ppath, j))
                if port is not None:
                    ports.append(port)
    host = c.boolean(spec.get("hostNetwork"), (*path, "hostNetwork"))
    account = spec.get("serviceAccountName") or spec.get("serviceAccount")
    if not isinstance(account, str) or not account:
        account = "default"
    return PodSpec(labels, tuple(ports), host, account)


# container ports already found valid, keyed by their raw fields: replicas repeat them
_VALID_PORTS: dict[tuple[Any, ...], ContainerPort] = {}


def _container_port(c: Checker, value: Any, path: FieldPath) -> ContainerPort | None:
    if type(value) is dict and len(value) <= 4 and all(type(k) is str for k in value):
        key = tuple(sorted(value.items()))
        if all(type(v) is int or type(v) is str for _, v in key):
            known = _VALID_PORTS.get(key)
            if known is not None:
                return known
            before = len(c.errors) + len(c.warnings)
            port = _container_port_checked(c, value, path)
            clean = len(c.errors) + len(c.warnings) == before
            if port is not None and clean and len(_VALID_PORTS) < 100_000:
                _VALID_PORTS[key] = port
            return port
    return _container_port_checked(c, value, path)


def _container_port_checked(c: Checker, value: Any, path: FieldPath) -> ContainerPort | None:
    raw = c.mapping(value, path)
    if raw is None:
        return None
    c.unknown_fields(raw, path, _CONTAINER_PORT_FIELDS)
    number = c.integer(raw.get("containerPort"), (*path, "containerPort"))
    ok = number is not None
    if number is None:
        if "containerPort" not in raw or raw["containerPort"] is None:
            c.required((*path, "containerPort"))
    else:
        for msg in is_valid_port_num(number):
            c.invalid((*path, "containerPort"), number, msg)
            ok = False
    protocol = c.protocol(raw.get("protocol"), (*path, "protocol"))
    ok = ok and protocol is not None
    name = c.string(raw.get("name"), (*path, "name")) or None
    if name is not None:
        for msg in is_valid_port_name(name):
            c.invalid((*path, "name"), name, msg)
            ok = False
    if not ok or number is None or protocol is None:
        return None
    return ContainerPort(number, protocol, name)
