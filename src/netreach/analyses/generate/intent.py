"""The intent: which connections should be allowed, written as `SRC -> DST:PORTS` lines.

Endpoints: `name` (a workload in the default namespace), `ns/name`, `ns/name[Kind]`,
`ns/*` (every pod of a namespace), `[ns/]key=value,...` (pods by labels; `*/...` in every
namespace), or a CIDR (an external range). Ports: `5432`, `8080/TCP`, `8000-8080`,
`53/UDP`, a container port name (`postgres`, `dns/UDP`), several joined by `,`; the protocol
defaults to TCP.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from netreach.engine.conns import EMPTY, ConnectionSet
from netreach.errors import InputError, Problem
from netreach.loader.files import read_document
from netreach.loader.limits import Limits
from netreach.loader.sources import Source
from netreach.model import LabelSelector, Location, Pod
from netreach.query.connectivity import parse_label_selector
from netreach.query.endpoints import parse_name_ref, split_namespace
from netreach.query.ports import NamedPort, parse_port_list


@dataclass(frozen=True, slots=True)
class WorkloadSpec:
    namespace: str
    name: str
    kind: str | None = None

    def __str__(self) -> str:
        kind = f"[{self.kind}]" if self.kind else ""
        return f"{self.namespace}/{self.name}{kind}"


@dataclass(frozen=True, slots=True)
class NamespaceSpec:
    namespace: str

    def __str__(self) -> str:
        return f"{self.namespace}/*"


@dataclass(frozen=True, slots=True)
class LabelSpec:
    namespace: str | None  # None: every namespace
    selector: LabelSelector

    def __str__(self) -> str:
        return f"{self.namespace or '*'}/{self.selector}"


@dataclass(frozen=True, slots=True)
class CidrSpec:
    cidr: str  # normalised network text

    def __str__(self) -> str:
        return self.cidr


EndpointSpec = WorkloadSpec | NamespaceSpec | LabelSpec | CidrSpec


@dataclass(frozen=True, slots=True)
class Allow:
    """One intended connection: `src` may open `conns` to `dst`."""

    src: EndpointSpec
    dst: EndpointSpec
    conns: ConnectionSet
    origin: str = ""  # where it was written (`intent.yaml:4`, `flows.csv:2`)
    names: frozenset[NamedPort] = frozenset()  # container port names, resolved on `dst` pods

    def __str__(self) -> str:
        named = sorted(f"{n}/{p}" for n, p in self.names)
        return f"{self.src} -> {self.dst} : {'; '.join([str(self.conns), *named])}"


@dataclass(frozen=True, slots=True)
class Intent:
    allows: tuple[Allow, ...]


# the characters of a DNS-1123 subdomain, as workload names have
_WORKLOAD_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def parse_endpoint(text: str, default_namespace: str = "default") -> EndpointSpec:
    """One endpoint of an intent line. Raises ValueError with a message a user can act on."""
    text = text.strip()
    if not text:
        raise ValueError("empty endpoint")
    try:
        return CidrSpec(str(ipaddress.ip_network(text, strict=False)))
    except ValueError:
        pass
    namespace, rest = split_namespace(text, default_namespace)
    if not namespace or not rest:
        raise ValueError(f"endpoint {text!r}: expected ns/name, ns/*, labels or a CIDR")
    if "=" in rest:
        return LabelSpec(None if namespace == "*" else namespace, parse_label_selector(rest))
    if namespace == "*":
        raise ValueError(f"endpoint {text!r}: `*/` is only for labels, e.g. */app=web")
    if rest == "*":
        return NamespaceSpec(namespace)
    named = parse_name_ref(rest, namespace)
    if named is None or not _WORKLOAD_NAME.fullmatch(named.name):
        raise ValueError(f"endpoint {text!r}: {rest!r} is not a workload name")
    return WorkloadSpec(namespace, named.name, named.kind)


def parse_ports(text: str) -> ConnectionSet:
    """`5432`, `8080/TCP`, `8000-8080`, `53/UDP,53/TCP` -> a connection set."""
    conns, _ = parse_port_list(text, names=False)
    return conns


def parse_allow(line: str, default_namespace: str = "default", origin: str = "") -> Allow:
    """`frontend -> api:8080/TCP` -> Allow."""
    src_text, arrow, rest = line.partition("->")
    if not arrow:
        raise ValueError(f"{line!r}: expected `SRC -> DST:PORT`")
    dst_text, colon, ports_text = rest.strip().rpartition(":")
    if not colon or not dst_text:
        raise ValueError(f"{line!r}: the destination needs a port, e.g. `{rest.strip()}:8080`")
    dst = parse_endpoint(dst_text, default_namespace)
    conns, names = parse_port_list(ports_text)
    if names and isinstance(dst, CidrSpec):
        raise ValueError(f"{line!r}: a port name needs pods as destination, not {dst}")
    return Allow(parse_endpoint(src_text, default_namespace), dst, conns, origin, names)


def parse_intent(text: str, name: str = "intent", default_namespace: str = "default") -> Intent:
    """An intent file's text: YAML with `allow:` a list of `SRC -> DST:PORTS` strings."""
    return read_intent(Source(name, text.encode("utf-8", "surrogatepass")), default_namespace)


def read_intent(
    source: Source, default_namespace: str = "default", limits: Limits | None = None
) -> Intent:
    """An intent file, decoded as manifests are (same decoder, limits and messages).

    Every problem of the file is reported at once (InputError), each with its line.
    """
    data = read_document(source, limits)
    if not isinstance(data, dict):
        raise InputError([Problem("expected a mapping with an `allow:` list", Location(source))])
    problems: list[Problem] = []
    for key in data:
        if key != "allow":
            where = str(Location(source, 0, (str(key),)))
            problems.append(Problem(f"unknown key {key!r} (expected allow)", object_ref=where))
    items = data.get("allow")
    if items is None:
        problems.append(Problem("no `allow:` list", object_ref=source.name))
    elif not isinstance(items, list):
        where = str(Location(source, 0, ("allow",)))
        problems.append(Problem("`allow:` must be a list", object_ref=where))
        items = None
    allows: list[Allow] = []
    for i, item in enumerate(items or ()):
        where = str(Location(source, 0, ("allow", i)))
        if not isinstance(item, str):
            problems.append(Problem("expected a string `SRC -> DST:PORT`", object_ref=where))
            continue
        try:
            allows.append(parse_allow(item, default_namespace, where))
        except ValueError as exc:
            problems.append(Problem(str(exc), object_ref=where))
    if problems:
        raise InputError(problems)
    return Intent(tuple(allows))


def resolve_names(names: frozenset[NamedPort], pod: Pod) -> ConnectionSet:
    """The numbers `names` stand for on one destination pod (a name it lacks: nothing)."""
    out = EMPTY
    for cp in pod.ports:
        if cp.name is not None and (cp.name, cp.protocol) in names:
            out = out | ConnectionSet.ports(cp.protocol, cp.port)
    return out
