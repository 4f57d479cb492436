"""The second reading: manifests (YAML or JSON bytes) decoded for the dataplane on their own.

`verify` compares the engine, which reads netreach's loader and model, with the kernel, which
enforces what this module reads from the same bytes. A loader bug (a wrong default, a field
read from the wrong place) then shows up as a disagreement instead of being enforced and
predicted identically.

Minimal on purpose: it trusts that the loader validated the objects (verify only enforces
objects the loader also accepted) and reads only the fields enforcement needs, as the API
server would after decoding and defaulting. YAML is read as kubectl reads it: turned into
JSON by sigs.k8s.io/yaml (go-yaml v2 resolution: `yes`/`y`/`on` are booleans, integers take
Go's base prefixes `0x50`, `0o17`, `1_000`, merge keys apply), then decoded into the API
types, so a boolean or a number where a string belongs (`app: yes`) is not a string. It
never raises: what it cannot read is listed in `Manifests.problems`.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

import numpy
import yaml

from netreach.dataplane import decode_cni
from netreach.dataplane.objects import (
    NAMESPACE_NAME_LABEL,
    Action,
    AdminPeer,
    AdminPolicy,
    AdminRule,
    ContainerPort,
    Manifests,
    Node,
    Peer,
    PodInfo,
    Policy,
    PolicyRule,
    Port,
    Service,
    ServicePort,
)
from netreach.dataplane.values import (
    Scalar,
)
from netreach.dataplane.values import (
    as_bool as _bool,
)
from netreach.dataplane.values import (
    as_int as _int,
)
from netreach.dataplane.values import (
    as_int_or_str as _int_or_str,
)
from netreach.dataplane.values import (
    as_list as _list,
)
from netreach.dataplane.values import (
    as_map as _map,
)
from netreach.dataplane.values import (
    as_str as _str,
)
from netreach.dataplane.values import (
    labels_of as _labels,
)
from netreach.dataplane.values import (
    optional_selector as _optional_selector,
)
from netreach.dataplane.values import (
    present as _present,
)
from netreach.dataplane.values import (
    protocol_of as _protocol,
)
from netreach.dataplane.values import (
    selector_of as _selector,
)

_MAX_DEPTH = 100


class _Unreadable(Exception):
    """A document this decoder refuses (too deep, too large once aliases expand, bad YAML)."""


_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset(["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"])
_FALSE = frozenset(["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"])
_INFINITE = {
    **dict.fromkeys([".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"], float("inf")),
    **dict.fromkeys(["-.inf", "-.Inf", "-.INF"], float("-inf")),
    **dict.fromkeys([".nan", ".NaN", ".NAN"], float("nan")),
}
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_DIGITS = {"0x": (16, "0123456789abcdefABCDEF"), "0b": (2, "01"), "0o": (8, "01234567")}
_DATE = r"(\d{4})-(\d{1,2})-(\d{1,2})"
_TIMESTAMPS = (
    re.compile(_DATE + r"$"),
    re.compile(_DATE + r"[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d{1,9})?(Z|[-+]\d{2}:\d{2})$"),
    re.compile(_DATE + r" (\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d{1,9})?$"),
)


def _go_int(plain: str) -> int | None:
    """strconv.ParseInt(plain, 0, 64), or ParseUint when it does not fit."""
    s = plain
    sign = -1 if s[:1] == "-" else 1
    if s[:1] in "+-":
        s = s[1:]
    if not s:
        return None
    base, allowed = 10, "0123456789"
    if s[:2].lower() in _DIGITS:
        base, allowed = _DIGITS[s[:2].lower()]
        s = s[2:]
    elif len(s) > 1 and s[0] == "0":
        base, allowed, s = 8, "01234567", s[1:]
    if not s or any(ch not in allowed for ch in s):
        return None
    value = sign * int(s, base)
    return value if -(2**63) <= value < 2**64 else None


def _timestamp(text: str) -> str | None:
    """A go-yaml v2 timestamp, as Go's time.Time writes itself in JSON (RFC 3339)."""
    for pattern in _TIMESTAMPS:
        m = pattern.match(text)
        if m is None:
            continue
        parts = m.groups()
        try:
            date = datetime.date(int(parts[0]), int(parts[1]), int(parts[2]))
        except ValueError:
            return None
        if len(parts) == 3:
            return f"{date.isoformat()}T00:00:00Z"
        hour, minute, second = (int(x) for x in parts[3:6])
        if hour > 23 or minute > 59 or second > 59:
            return None
        fraction = (parts[6] or "").rstrip("0").rstrip(".")
        zone = parts[7] if len(parts) > 7 and parts[7] not in (None, "Z", "+00:00") else "Z"
        return f"{date.isoformat()}T{hour:02d}:{minute:02d}:{second:02d}{fraction}{zone}"
    return None


def resolve_plain(text: str) -> Scalar:
    """A plain scalar as go-yaml v2 resolves it: the first character decides what it may be
    (a digit or sign: a timestamp, an integer or a float; a dot: a float; a few letters: a
    boolean or null); anything else is a string."""
    if text in _NULLS:
        return Scalar(text, "null")
    if text in _TRUE or text in _FALSE:
        return Scalar(text, "bool", text in _TRUE)
    if text in _INFINITE:
        return Scalar(text, "float", _INFINITE[text])
    first = text[:1]
    if first == ".":
        try:
            return Scalar(text, "float", float(text))
        except ValueError:
            return Scalar(text, "str")
    if first and first in "+-0123456789":
        stamp = _timestamp(text)
        if stamp is not None:
            return Scalar(stamp, "timestamp")
        plain = text.replace("_", "")
        number = _go_int(plain)
        if number is not None:
            return Scalar(text, "int", number)
        if _FLOAT.match(plain):
            return Scalar(text, "float", float(plain))
    return Scalar(text, "str")


class _Builder:
    """YAML nodes -> dicts, lists and Scalars; aliases shared, merge keys applied, bounded."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.memo: dict[int, Any] = {}

    def _spend(self, n: int) -> None:
        self.budget -= n
        if self.budget < 0:
            raise _Unreadable("too large once aliases and merge keys are expanded")

    def build(self, node: yaml.Node, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise _Unreadable(f"nested deeper than {_MAX_DEPTH} levels")
        known = self.memo.get(id(node))
        if known is not None:
            return known
        self._spend(1)
        if isinstance(node, yaml.ScalarNode):
            value: Any = _scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = [self.build(item, depth + 1) for item in node.value]
        else:
            value = self._mapping(node, depth)
        self.memo[id(node)] = value
        return value

    def _mapping(self, node: yaml.Node, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            plain = isinstance(key_node, yaml.ScalarNode) and key_node.tag == _PLAIN
            if plain and key_node.value == "<<":
                self._merge(merged, self.build(value_node, depth + 1))
                continue
            key = self.build(key_node, depth + 1)
            out[_key_text(key)] = self.build(value_node, depth + 1)
        if merged:
            self._spend(len(merged))
            return {**merged, **out}
        return out

    def _merge(self, into: dict[str, Any], value: Any) -> None:
        sources = value if isinstance(value, list) else [value]
        for source in sources:  # earlier mappings win, as in YAML's merge key
            if isinstance(source, dict):
                self._spend(len(source))
                for k, v in source.items():
                    into.setdefault(k, v)


_PLAIN = "tag:netreach,plain"  # a plain scalar without a tag: resolved like go-yaml v2
_YAML = "tag:yaml.org,2002:"


class _Loader(yaml.BaseLoader):
    """PyYAML's syntax only: plain scalars keep a mark of their own, resolved here."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]


def _scalar(node: yaml.ScalarNode) -> Scalar:
    """Plain scalars resolve; quoted and block ones are strings; an explicit tag decides."""
    text, tag = node.value, node.tag
    if tag == _PLAIN:
        return resolve_plain(text)
    if tag == _YAML + "int":
        number = _go_int(text.replace("_", ""))
        return Scalar(text, "int", number) if number is not None else Scalar(text, "str")
    if tag == _YAML + "bool" and (text in _TRUE or text in _FALSE):
        return Scalar(text, "bool", text in _TRUE)
    if tag == _YAML + "null":
        return Scalar(text, "null")
    if tag == _YAML + "float":
        return Scalar(text, "float")
    if tag == _YAML + "str" or node.style is not None:
        return Scalar(text, "str")
    return resolve_plain(text)  # another tag: go-yaml v2 resolves the text


def _key_text(key: Any) -> str:
    """A map key as sigs.k8s.io/yaml writes it into JSON."""
    if isinstance(key, Scalar):
        if key.kind == "bool":
            return "true" if key.value else "false"
        if key.kind == "int":
            return str(key.value)
        if key.kind == "float" and isinstance(key.value, float):
            return _go_float32(key.value)
        return key.text
    return json.dumps(key, default=str)  # a complex key: never a field name


def _go_float32(x: float) -> str:
    """strconv.FormatFloat(x, 'g', -1, 32), with YAML's names for the infinities."""
    with numpy.errstate(over="ignore"):
        f = numpy.float32(x)
    if numpy.isinf(f):
        return ".inf" if f > 0 else "-.inf"
    if numpy.isnan(f):
        return ".nan"
    scientific = numpy.format_float_scientific(f, unique=True, trim="-", exp_digits=2)
    exponent = int(scientific.split("e")[1])
    if exponent < -4 or exponent >= 6:  # %e when shortest, as Go decides it
        return scientific
    return numpy.format_float_positional(f, unique=True, trim="-")


def documents(name: str, data: bytes, problems: list[str]) -> Iterator[Any]:
    """The documents of one file (YAML stream or JSON); problems are appended, never raised."""
    try:
        text = _text(data)
    except UnicodeDecodeError:
        problems.append(f"{name}: not UTF-8 or UTF-16 text")
        return
    head = text.lstrip()[:1]
    if head in ("{", "["):
        try:
            yield json.loads(text)
            return
        except (ValueError, RecursionError):
            pass  # YAML flow style, read below
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except (yaml.YAMLError, RecursionError) as exc:
        problems.append(f"{name}: YAML the dataplane decoder cannot read ({type(exc).__name__})")
        return
    for index, node in enumerate(nodes):
        if node is None:
            continue
        try:
            yield _Builder(max(100_000, 8 * len(text))).build(node)
        except (_Unreadable, RecursionError) as exc:
            problems.append(f"{name}: document {index}: {exc or 'nested too deep'}")


def _text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


# --- kinds ------------------------------------------------------------------------------------

_WORKLOAD_TEMPLATE = {
    "Deployment": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
_ADMIN_KINDS = ("AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy")


def decode(sources: Iterable[tuple[str, bytes]], default_namespace: str = "default") -> Manifests:
    """Read every (name, bytes) source into `Manifests`; later objects replace earlier ones of
    the same identity, as `kubectl apply` would."""
    out = Manifests()
    for name, data in sources:
        for doc in documents(name, data, out.problems):
            for obj, kind in _objects(doc):
                try:
                    _object(out, obj, kind, default_namespace)
                except (TypeError, ValueError, AttributeError, KeyError) as exc:
                    out.problems.append(f"{name}: {kind} object unreadable ({exc})")
    return out


def _objects(doc: Any) -> Iterator[tuple[dict[str, Any], str]]:
    if not isinstance(doc, dict):
        return
    kind = _str(doc.get("kind")) or ""
    if kind.endswith("List") and "items" in doc:
        item_kind = kind[: -len("List")]
        for item in _list(doc.get("items")):
            if isinstance(item, dict):
                yield item, _str(item.get("kind")) or item_kind
        return
    yield doc, kind


def _object(out: Manifests, obj: dict[str, Any], kind: str, default_ns: str) -> None:
    md = _map(obj.get("metadata"))
    name = _str(md.get("name")) or ""
    ns = _str(md.get("namespace")) or default_ns
    spec = _map(obj.get("spec"))
    api = _str(obj.get("apiVersion")) or ""
    if decode_cni.is_calico(api, kind):
        decode_cni.calico(out, obj, kind, ns, name)
    elif decode_cni.is_cilium(api, kind):
        decode_cni.cilium(out, obj, kind, ns, name)
    elif kind == "ServiceAccount":
        out.accounts[(ns, name)] = _labels(md.get("labels"))
    elif kind == "Namespace":
        out.namespaces[name] = {**_labels(md.get("labels")), NAMESPACE_NAME_LABEL: name}
    elif kind == "Pod":
        out.pods[(ns, name)] = _pod_info(_labels(md.get("labels")), spec, _pod_ips(obj))
    elif kind in _WORKLOAD_TEMPLATE:
        template: Any = obj
        for key in _WORKLOAD_TEMPLATE[kind]:
            template = _map(template).get(key)
        tmd = _map(_map(template).get("metadata"))
        info = _pod_info(_labels(tmd.get("labels")), _map(_map(template).get("spec")), ())
        out.workloads[(ns, kind, name)] = info
    elif kind == "NetworkPolicy" and "projectcalico.org/" not in api:
        # (Calico's projectcalico.org NetworkPolicy is another kind with the same name)
        out.policies[(ns, name)] = _policy(ns, name, spec)
    elif kind in _ADMIN_KINDS:
        out.admin[(kind, name)] = _admin_policy(kind, name, spec)
    elif kind == "Service":
        out.services[(ns, name)] = _service(ns, name, spec)
    elif kind == "Node":
        addresses = tuple(
            text
            for a in _list(_map(obj.get("status")).get("addresses"))
            if _str(_map(a).get("type")) in ("InternalIP", "ExternalIP")
            and (text := _str(_map(a).get("address")))
        )
        out.nodes[name] = Node(name, _labels(md.get("labels")), addresses)


def _pod_ips(obj: dict[str, Any]) -> tuple[str, ...]:
    status = _map(obj.get("status"))
    ips = [s for s in (_str(_map(e).get("ip")) for e in _list(status.get("podIPs"))) if s]
    if not ips and (single := _str(status.get("podIP"))):
        ips.append(single)
    return tuple(dict.fromkeys(ips))


def _pod_info(labels: dict[str, str], spec: dict[str, Any], ips: tuple[str, ...]) -> PodInfo:
    ports: list[ContainerPort] = []
    containers = _list(spec.get("containers"))
    # Init containers serve only as sidecars (restartPolicy Always), which keep running.
    sidecars = [
        c
        for c in _list(spec.get("initContainers"))
        if _str(_map(c).get("restartPolicy")) == "Always"
    ]
    for container in (*containers, *sidecars):
        for p in _list(_map(container).get("ports")):
            raw = _map(p)
            number = _int(raw.get("containerPort"))
            if number is not None:
                cp_name = _str(raw.get("name")) or ""
                ports.append(ContainerPort(number, _protocol(raw.get("protocol")), cp_name))
    # admission sets "default"; the deprecated serviceAccount is read when the name is absent
    account = _str(spec.get("serviceAccountName")) or _str(spec.get("serviceAccount"))
    host = _bool(spec.get("hostNetwork"))
    return PodInfo(labels, tuple(ports), host, ips, account or "default")


def _policy(ns: str, name: str, spec: dict[str, Any]) -> Policy:
    types = [_str(t) for t in _list(spec.get("policyTypes"))]
    egress_rules = _list(spec.get("egress"))
    if not types:
        # API-server defaulting: Ingress always; Egress when there is at least one egress rule.
        types = ["Ingress", *(["Egress"] if egress_rules else [])]
    return Policy(
        namespace=ns,
        name=name,
        selector=_selector(spec.get("podSelector")),
        ingress_isolated="Ingress" in types,
        egress_isolated="Egress" in types,
        ingress=tuple(_rule(r, "from") for r in _list(spec.get("ingress"))),
        egress=tuple(_rule(r, "to") for r in egress_rules),
    )


def _rule(value: Any, peers_key: str) -> PolicyRule:
    raw = _map(value)
    peers = []
    for item in _list(raw.get(peers_key)):
        p = _map(item)
        block = _map(p.get("ipBlock"))
        if _present(p, "ipBlock"):
            excepts = tuple(s for s in (_str(e) for e in _list(block.get("except"))) if s)
            peers.append(Peer(cidr=_str(block.get("cidr")) or "", excepts=excepts))
        else:
            peers.append(
                Peer(
                    pods=_optional_selector(p, "podSelector"),
                    namespaces=_optional_selector(p, "namespaceSelector"),
                )
            )
    ports = []
    for item in _list(raw.get("ports")):
        p = _map(item)
        ports.append(
            Port(_protocol(p.get("protocol")), _int_or_str(p.get("port")), _int(p.get("endPort")))
        )
    return PolicyRule(tuple(peers), tuple(ports))


_ADMIN_ACTIONS: dict[str, Action] = {
    "Allow": "Allow",
    "Accept": "Allow",
    "Deny": "Deny",
    "Pass": "Pass",
}


def _admin_policy(kind: str, name: str, spec: dict[str, Any]) -> AdminPolicy:
    subject = _map(spec.get("subject"))
    if _present(subject, "pods"):
        pods = _map(subject.get("pods"))
        ns_sel, pod_sel = (
            _selector(pods.get("namespaceSelector")),
            _selector(pods.get("podSelector")),
        )
    else:
        ns_sel, pod_sel = _selector(subject.get("namespaces")), None
    v2 = kind == "ClusterNetworkPolicy"
    baseline = kind == "BaselineAdminNetworkPolicy" or (v2 and _str(spec.get("tier")) == "Baseline")
    return AdminPolicy(
        kind=kind,
        name=name,
        baseline=baseline,
        priority=0 if kind == "BaselineAdminNetworkPolicy" else (_int(spec.get("priority")) or 0),
        subject_namespaces=ns_sel,
        subject_pods=pod_sel,
        ingress=tuple(_admin_rule(r, "from", v2) for r in _list(spec.get("ingress"))),
        egress=tuple(_admin_rule(r, "to", v2) for r in _list(spec.get("egress"))),
    )


def _admin_rule(value: Any, peers_key: str, v2: bool) -> AdminRule:
    raw = _map(value)
    action = _ADMIN_ACTIONS.get(_str(raw.get("action")) or "", "Deny")
    peers = tuple(_admin_peer(_map(p)) for p in _list(raw.get(peers_key)))
    ports_key = "protocols" if v2 else "ports"
    ports: tuple[Port, ...] | None = None
    if _present(raw, ports_key):
        ports = tuple(p for item in _list(raw.get(ports_key)) for p in _admin_ports(_map(item), v2))
    return AdminRule(_str(raw.get("name")) or "", action, peers, ports)


def _admin_peer(raw: dict[str, Any]) -> AdminPeer:
    if _present(raw, "namespaces"):
        return AdminPeer("namespaces", namespaces=_selector(raw.get("namespaces")))
    if _present(raw, "pods"):
        pods = _map(raw.get("pods"))
        return AdminPeer(
            "pods",
            namespaces=_selector(pods.get("namespaceSelector")),
            pods=_selector(pods.get("podSelector")),
        )
    if _present(raw, "networks"):
        nets = tuple(s for s in (_str(n) for n in _list(raw.get("networks"))) if s)
        return AdminPeer("networks", networks=nets)
    if _present(raw, "nodes"):
        return AdminPeer("nodes", nodes=_selector(raw.get("nodes")))
    return AdminPeer("unsupported")  # domainNames: a snapshot cannot resolve names


def _admin_ports(raw: dict[str, Any], v2: bool) -> list[Port]:
    if v2:
        if _present(raw, "destinationNamedPort"):
            return [Port(None, _str(raw.get("destinationNamedPort")) or "")]
        for key, proto in (("tcp", "TCP"), ("udp", "UDP"), ("sctp", "SCTP")):
            if key in raw:
                dest = _map(_map(raw.get(key)).get("destinationPort"))
                if _present(dest, "number"):
                    return [Port(_protocol(proto), _int(dest.get("number")))]
                if _present(dest, "range"):
                    rng = _map(dest.get("range"))
                    return [Port(_protocol(proto), _int(rng.get("start")), _int(rng.get("end")))]
                return [Port(_protocol(proto))]
        return []
    if _present(raw, "namedPort"):
        return [Port(None, _str(raw.get("namedPort")) or "")]
    if _present(raw, "portNumber"):
        p = _map(raw.get("portNumber"))
        return [Port(_protocol(p.get("protocol")), _int(p.get("port")))]
    if _present(raw, "portRange"):
        p = _map(raw.get("portRange"))
        return [Port(_protocol(p.get("protocol")), _int(p.get("start")), _int(p.get("end")))]
    return []


def _service(ns: str, name: str, spec: dict[str, Any]) -> Service:
    kind = _str(spec.get("type")) or "ClusterIP"
    ports = []
    for item in _list(spec.get("ports")):
        p = _map(item)
        number = _int(p.get("port"))
        if number is None:
            continue
        target = _int_or_str(p.get("targetPort"))
        # Defaulting: an absent (or zero, or empty) targetPort is the port itself.
        ports.append(
            ServicePort(
                number, target or number, _protocol(p.get("protocol")), _str(p.get("name")) or ""
            )
        )
    ips = [s for s in (_str(x) for x in _list(spec.get("clusterIPs"))) if s]
    if not ips and (single := _str(spec.get("clusterIP"))):
        ips.append(single)
    selector = _labels(spec.get("selector")) if _present(spec, "selector") else None
    if kind == "ExternalName":
        selector = None
    return Service(ns, name, kind, selector or None, tuple(ports), tuple(ips))
