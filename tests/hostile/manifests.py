"""Hypothesis strategies for Kubernetes manifests: valid Namespaces, Pods and NetworkPolicies,
and broken ones (any field replaced by a value of any type, fields dropped or misspelt), as
YAML or JSON text."""

from __future__ import annotations

from typing import Any

import orjson
import yaml
from hypothesis import strategies as st

from netreach.loader import goyaml

# --- valid building blocks ------------------------------------------------------------------

dns_label = st.from_regex(r"\A[a-z]([a-z0-9-]{0,8}[a-z0-9])?\Z")
label_key = st.one_of(dns_label, st.builds(lambda p, n: f"{p}.io/{n}", dns_label, dns_label))
label_value = st.one_of(
    st.just(""), st.from_regex(r"\A[A-Za-z0-9]([A-Za-z0-9_.-]{0,6}[A-Za-z0-9])?\Z")
)
labels = st.dictionaries(label_key, label_value, max_size=3)
protocol = st.sampled_from(["TCP", "UDP", "SCTP"])
port_number = st.integers(1, 65535)
port_name = st.from_regex(r"\A[a-z]{1,8}\Z")


@st.composite
def selector(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["matchLabels"] = draw(labels)
    if draw(st.booleans()):
        op = draw(st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]))
        req: dict[str, Any] = {"key": draw(label_key), "operator": op}
        if op in ("In", "NotIn"):
            req["values"] = draw(st.lists(label_value, min_size=1, max_size=3))
        out["matchExpressions"] = [req]
    return out


@st.composite
def cidr(draw: st.DrawFn) -> tuple[str, list[str]]:
    a, b = draw(st.integers(1, 223)), draw(st.integers(0, 255))
    base = f"{a}.{b}.0.0/16"
    excepts = [f"{a}.{b}.{c}.0/24" for c in draw(st.sets(st.integers(0, 255), max_size=2))]
    return base, excepts


@st.composite
def peer(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["pod", "ns", "both", "ip"]))
    if kind == "ip":
        base, excepts = draw(cidr())
        block: dict[str, Any] = {"cidr": base}
        if excepts:
            block["except"] = excepts
        return {"ipBlock": block}
    out: dict[str, Any] = {}
    if kind in ("pod", "both"):
        out["podSelector"] = draw(selector())
    if kind in ("ns", "both"):
        out["namespaceSelector"] = draw(selector())
    return out


@st.composite
def policy_port(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {"protocol": draw(protocol)}
    which = draw(st.sampled_from(["none", "number", "name", "range"]))
    if which == "number":
        out["port"] = draw(port_number)
    elif which == "name":
        out["port"] = draw(port_name)
    elif which == "range":
        start = draw(st.integers(1, 65000))
        out["port"] = start
        out["endPort"] = draw(st.integers(start, 65535))
    return out


@st.composite
def policy_rule(draw: st.DrawFn, peers_key: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out[peers_key] = draw(st.lists(peer(), max_size=2))
    if draw(st.booleans()):
        out["ports"] = draw(st.lists(policy_port(), max_size=2))
    return out


def meta(name: st.SearchStrategy[str], namespace: st.SearchStrategy[str] | None) -> Any:
    fields: dict[str, Any] = {"name": name, "labels": labels}
    if namespace is not None:
        fields["namespace"] = namespace
    return st.fixed_dictionaries(fields)


namespace_names = st.sampled_from(["default", "a", "b"])


def namespace() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "apiVersion": st.just("v1"),
            "kind": st.just("Namespace"),
            "metadata": meta(namespace_names, None),
        }
    )


@st.composite
def pod(draw: st.DrawFn) -> dict[str, Any]:
    ports = draw(
        st.lists(
            st.fixed_dictionaries(
                {"containerPort": port_number, "protocol": protocol},
                optional={"name": port_name},
            ),
            max_size=2,
            unique_by=lambda p: p.get("name") or p["containerPort"],
        )
    )
    status = {"podIP": f"10.0.{draw(st.integers(0, 255))}.{draw(st.integers(1, 254))}"}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": draw(meta(dns_label, namespace_names)),
        "spec": {"containers": [{"name": "c", "ports": ports}]},
        "status": status,
    }


@st.composite
def network_policy(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": draw(selector())}
    if draw(st.booleans()):
        spec["ingress"] = draw(st.lists(policy_rule("from"), max_size=2))
    if draw(st.booleans()):
        spec["egress"] = draw(st.lists(policy_rule("to"), max_size=2))
    if draw(st.booleans()):
        spec["policyTypes"] = draw(
            st.lists(st.sampled_from(["Ingress", "Egress"]), min_size=1, max_size=2, unique=True)
        )
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": draw(meta(dns_label, namespace_names)),
        "spec": spec,
    }


valid_object = st.one_of(namespace(), pod(), network_policy())


def unique_objects(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop objects whose kind, namespace and name repeat (duplicates are an error)."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for o in objects:
        md = o["metadata"]
        key = (o["kind"], md.get("namespace", ""), md["name"])
        if key not in seen:
            seen.add(key)
            out.append(o)
    return out


valid_objects = st.lists(valid_object, max_size=6).map(unique_objects)

# --- breaking them --------------------------------------------------------------------------

any_value: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def broken_object(draw: st.DrawFn) -> Any:
    """A valid object with one to three edits: a value replaced, a key dropped or misspelt."""
    obj = draw(valid_object)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(obj)
        if not paths:
            return draw(any_value)
        path = draw(st.sampled_from(paths))
        parent: Any = obj
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        edit = draw(st.sampled_from(["replace", "drop", "misspell"]))
        if edit == "replace" or isinstance(parent, list):
            parent[last] = draw(any_value)
        elif edit == "drop":
            del parent[last]
        else:
            parent[str(last).lower() + draw(st.sampled_from(["", "s", "_"]))] = parent.pop(last)
    return obj


class _KubectlSafeDumper(yaml.SafeDumper):
    """Quotes every string kubectl would read as something else (`y`, `on`, `0o17`...):
    PyYAML's own resolver knows only YAML 1.1's words."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = '"' if goyaml.resolve_plain(value)[0] != goyaml.STR else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_KubectlSafeDumper.add_representer(str, _str)


def dump(objects: list[Any], as_json: bool) -> bytes:
    if as_json:
        return orjson.dumps({"apiVersion": "v1", "kind": "List", "items": objects})
    return yaml.dump_all(objects, Dumper=_KubectlSafeDumper, sort_keys=False).encode()


@st.composite
def broken_text(draw: st.DrawFn) -> tuple[str, bytes]:
    """(file name, bytes): broken objects, then possibly bytes cut, inserted or flipped."""
    as_json = draw(st.booleans())
    objects = draw(st.lists(st.one_of(valid_object, broken_object()), max_size=4))
    data = bytearray(dump(objects, as_json))
    for _ in range(draw(st.integers(0, 3))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["cut", "insert", "flip"]))
        if op == "cut":
            del data[at : at + draw(st.integers(1, 8))]
        elif op == "insert":
            data[at:at] = draw(
                st.sampled_from(
                    [
                        b"\t",
                        b"&a ",
                        b"*a",
                        b"{",
                        b"]",
                        b"\x00",
                        b"\xff",
                        b": ",
                        b"- ",
                        b"---\n",
                        b'"',
                    ]
                )
            )
        else:
            data[at] = draw(st.integers(0, 255))
    return ("in.json" if as_json else "in.yaml"), bytes(data)


# --- files beside the manifests: settings, expectations, intents, flows ----------------------

_endpoint = st.one_of(
    st.sampled_from(["default/web", "web", "default/*", "*/app=web", "10.0.0.0/8", "api[Job]"]),
    st.text(max_size=12),
)
_port = st.one_of(port_number, st.sampled_from(["53/UDP", "8000-8080", "dns", "0", "99999/TCP"]))
_selector = st.fixed_dictionaries(
    {},
    optional={
        "namespace": st.one_of(namespace_names, st.integers()),
        "labels": st.one_of(labels, st.lists(st.integers())),
        "cidr": st.sampled_from(["10.0.0.0/8", "::/0", "nope"]),
        "workload": dns_label,
    },
)
side_values = {
    "config": st.fixed_dictionaries(
        {},
        optional={
            "audit": st.fixed_dictionaries(
                {},
                optional={
                    "disable": st.one_of(st.lists(st.text(max_size=8)), any_value),
                    "severity": st.one_of(
                        st.dictionaries(st.text(max_size=8), st.sampled_from(["error", "x"])),
                        any_value,
                    ),
                    "dns": st.one_of(st.fixed_dictionaries({"labels": labels}), any_value),
                    "sensitive-ports": st.one_of(st.lists(st.integers()), any_value),
                    "redundancy-budget": st.one_of(st.integers(), any_value),
                },
            ),
            "other": any_value,
        },
    ),
    "expectations": st.fixed_dictionaries(
        {
            "expectations": st.lists(
                st.fixed_dictionaries(
                    {"name": st.one_of(st.text(max_size=10), any_value)},
                    optional={
                        "from": st.one_of(_selector, st.lists(_selector), any_value),
                        "to": st.one_of(_selector, any_value),
                        "port": st.one_of(_port, any_value),
                        "expect": st.sampled_from(["allow", "deny", "maybe"]),
                        "only-from": _selector,
                    },
                ),
                max_size=3,
            )
        }
    ),
    "intent": st.fixed_dictionaries(
        {
            "allow": st.lists(
                st.one_of(
                    st.builds(lambda a, b, p: f"{a} -> {b}:{p}", _endpoint, _endpoint, _port),
                    any_value,
                ),
                max_size=4,
            )
        }
    ),
}


@st.composite
def side_file(draw: st.DrawFn, kind: str) -> bytes:
    """A settings, expectations or intent file (any structure, values of any type), or a flows
    file (CSV rows or Hubble JSON lines), with bytes possibly flipped."""
    if kind == "flows":
        rows = draw(
            st.lists(
                st.one_of(
                    st.builds(lambda a, b, p: f"{a},{b},{p},TCP", _endpoint, _endpoint, _port),
                    st.builds(
                        lambda v: orjson.dumps({"flow": v}).decode(),
                        st.one_of(any_value, st.fixed_dictionaries({"l4": any_value})),
                    ),
                ),
                max_size=4,
            )
        )
        data = bytearray("\n".join(rows).encode())
    else:
        data = bytearray(yaml.safe_dump(draw(side_values[kind])).encode())
    for _ in range(draw(st.integers(0, 2))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)
