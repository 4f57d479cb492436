"""Helpers for the Calico and Cilium tests: clusters written as YAML text."""

from __future__ import annotations

from typing import Any

from netreach.cluster import Cluster
from netreach.engine import ipset
from netreach.errors import InputError
from netreach.loader import load_sources
from netreach.loader.sources import Source
from netreach.model import Options

# Three namespaces and a few pods most tests share.
BASE = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop, env: prod}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ops, labels: {team: ops}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web, tier: front}}
spec: {serviceAccountName: web-sa, containers: [{name: c, image: x}]}
status: {podIP: 10.1.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api, tier: back}}
spec:
  containers: [{name: c, image: x, ports: [{containerPort: 8080, name: http}, {containerPort: 9090, name: metrics}]}]
status: {podIP: 10.1.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: mon, namespace: ops, labels: {app: mon}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.1.1.1}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web-sa, namespace: shop, labels: {role: frontend}}
"""


def cluster(text: str, base: bool = True, **options: Any) -> Cluster:
    data = (BASE + "\n---\n" + text) if base else text
    snap = load_sources([Source("t.yaml", data.encode())])
    return Cluster(snap, Options(**options))


def errors(text: str) -> list[str]:
    try:
        load_sources([Source("t.yaml", text.encode())])
    except InputError as e:
        return [str(p) for p in e.problems]
    raise AssertionError("no error")


def allowed(c: Cluster, src: str, dst: str, port: int, proto: str = "TCP") -> bool:
    """check's verdict, after asserting that the map (the matrix, external rows included)
    says the same: every semantic test pins both paths of the engine."""
    got = c.check(src, dst, port, proto).allowed
    assert matrix_allows(c, src, dst, port, proto) == got, (src, dst, port, proto)
    return got


def matrix_allows(c: Cluster, src: str, dst: str, port: int, proto: str = "TCP") -> bool:
    pods = {p.id: p for p in c.pods}
    compiled, matrix = c.compiled, c.matrix
    if src in pods and dst in pods:
        pairs = {(x.src, x.dst): x.conns for x in c.connectivity(by="pod")}
        conns = pairs.get((src, dst))
        return conns is not None and conns.contains(proto, port)  # type: ignore[arg-type]
    pod, ip, direction = (pods[src], dst, "egress") if src in pods else (pods[dst], src, "ingress")
    atom = compiled.atoms.index(ipset.ip_key(ip))
    row = matrix.external_row(compiled.class_of[pod.id], direction)  # type: ignore[arg-type]
    return bool(matrix.table.sets[int(row[atom])].contains(proto, port))  # type: ignore[arg-type]


# --- policies as YAML text -----------------------------------------------------------------


def docs(*parts: str) -> str:
    return "\n---\n".join(parts)


def gnp(name: str, body: str) -> str:
    """A Calico GlobalNetworkPolicy; `body` is the spec's lines, indented."""
    return f"""
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {{name: {name}}}
spec:
{body}
"""


def calico_np(name: str, ns: str, body: str) -> str:
    """A Calico (projectcalico.org/v3) NetworkPolicy."""
    return f"""
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {{name: {name}, namespace: {ns}}}
spec:
{body}
"""


def calico_tier(name: str, order: int, action: str = "Deny") -> str:
    return f"""
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {{name: {name}}}
spec: {{order: {order}, defaultAction: {action}}}
"""


def cilium_np(name: str, ns: str, body: str, key: str = "spec") -> str:
    """A CiliumNetworkPolicy; `key` "specs" for a list of rule sets."""
    return f"""
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {{name: {name}, namespace: {ns}}}
{key}:
{body}
"""


def ccnp(name: str, body: str) -> str:
    return f"""
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {{name: {name}}}
spec:
{body}
"""


def global_network_set(name: str, labels: str, nets: str) -> str:
    """A Calico GlobalNetworkSet; `labels` and `nets` as YAML flow text."""
    return f"""
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {{name: {name}, labels: {labels}}}
spec: {{nets: {nets}}}
"""


def pod_doc(ns: str, name: str, labels: str, *ips: str) -> str:
    """A Pod as YAML text: `labels` as YAML flow text, `ips` its status.podIPs (none: a pod
    without an address)."""
    listed = ", ".join(f'{{ip: "{ip}"}}' for ip in ips)
    status = f"\nstatus: {{podIPs: [{listed}]}}" if ips else ""
    return (
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}, labels: {labels}}}\n"
        f"spec: {{containers: [{{name: c, image: x}}]}}{status}\n"
    )
