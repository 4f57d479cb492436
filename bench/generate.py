"""Deterministic synthetic clusters for benchmarks, with a realistic policy mix (deny-all per
namespace, DNS egress, podSelector allows, cross-namespace AND peers, namespaceSelector-only
peers, ipBlock with except, endPort ranges, named ports, matchExpressions). Writes one JSON
`List` (what `kubectl get -o json` prints) and, on request, multi-document YAML.

Two shapes of pods:
- `uniform` (`Size`): namespaces x workloads x replicas, every replica labelled alike (one
  shared `pod-template-hash`). Pods collapse into few label sets: kind to the engine.
- `realistic` (`RealSize`, the default of `make bench`): pods labelled as Kubernetes labels
  them. Every ReplicaSet has its own `pod-template-hash` (Deployments mid-rollout have two),
  every StatefulSet pod its own `statefulset.kubernetes.io/pod-name`, DaemonSet pods a
  `controller-revision-hash` (one pod per node, host-network agents among them), Jobs their
  own `controller-uid`/`job-name`; most Deployments run 1-3 replicas. The policies are the
  same mix as the uniform shape, on some of the Deployments.

    python bench/generate.py --namespaces 50 --workloads 10 --replicas 10 -o bench/out/5k
    python bench/generate.py --realistic --namespaces 500 --deployments 100 -o bench/out/r150k
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TEAMS = ("payments", "search", "identity", "ops", "data")
TIERS = ("frontend", "backend", "data")


@dataclass(frozen=True)
class Size:
    namespaces: int
    workloads: int  # per namespace
    replicas: int
    extra_policies: int = 1  # per workload, beyond the ingress allow
    dense: bool = False  # no egress isolation anywhere: millions of allowed pairs
    standalone: bool = False  # pods without owners: each its own workload

    @property
    def pods(self) -> int:
        return self.namespaces * self.workloads * self.replicas


def _ns(i: int) -> str:
    return f"ns-{i:04d}"


def generate(size: Size, seed: int = 7) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    items: list[dict[str, Any]] = []
    ips = ipaddress.IPv4Network("10.128.0.0/9").hosts()
    for n in range(size.namespaces):
        items.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": _ns(n),
                    "labels": {
                        "team": TEAMS[n % len(TEAMS)],
                        "env": "prod" if n % 3 else "staging",
                    },
                },
            }
        )
    items.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}})
    items.append(
        _deployment(
            "kube-system",
            "coredns",
            {"k8s-app": "kube-dns"},
            2,
            [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP")],
        )
    )
    for n in range(size.namespaces):
        ns = _ns(n)
        # every third namespace leaves egress open (a common half-done state): denser maps
        types = ["Ingress"] if n % 3 == 0 or size.dense else ["Ingress", "Egress"]
        items.append(_policy(ns, "default-deny", {}, types))
        dns_types = (
            ["Egress"] if n % 3 and not size.dense else ["Ingress"]
        )  # an Ingress-typed copy keeps the count
        items.append(
            _policy(
                ns,
                "allow-dns",
                {},
                dns_types,
                egress=[
                    {
                        "to": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                                },
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            )
        )
        for w in range(size.workloads):
            name = f"wl-{w:03d}"
            tier = TIERS[w % len(TIERS)]
            labels = {"app": name, "tier": tier, "version": f"v{w % 2 + 1}"}
            dep = _deployment(
                ns, name, labels, size.replicas, [("http", 8080, "TCP"), ("metrics", 9090, "TCP")]
            )
            pods = _pods(dep, ips, size.replicas)
            if size.standalone:
                for p in pods:
                    del p["metadata"]["ownerReferences"]
                    p["metadata"]["labels"].pop("pod-template-hash")
            else:
                items.append(dep)
            items.extend(pods)
            items.extend(_workload_policies(rnd, size, n, w, name, tier))
    return items


def _deployment(
    ns: str, name: str, labels: dict[str, str], replicas: int, ports: list[tuple[str, int, str]]
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "uid": f"uid-{ns}-{name}"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": labels.get("app", name)}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": "main",
                            "image": "example/app:1",
                            "ports": [
                                {"name": pn, "containerPort": p, "protocol": pr}
                                for pn, p, pr in ports
                            ],
                        }
                    ]
                },
            },
        },
    }


def _pods(dep: dict[str, Any], ips: Any, replicas: int) -> list[dict[str, Any]]:
    meta = dep["metadata"]
    template = dep["spec"]["template"]
    out = []
    for r in range(replicas):
        ip = str(next(ips))
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": f"{meta['name']}-{r:03d}",
                    "namespace": meta["namespace"],
                    "labels": {**template["metadata"]["labels"], "pod-template-hash": "5d8f7c9b6"},
                    "ownerReferences": [
                        {
                            "apiVersion": "apps/v1",
                            "kind": "Deployment",
                            "name": meta["name"],
                            "uid": meta["uid"],
                            "controller": True,
                        }
                    ],
                },
                "spec": template["spec"],
                "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]},
            }
        )
    return out


def _policy(
    ns: str,
    name: str,
    selector: dict[str, str],
    types: list[str],
    ingress: list[Any] | None = None,
    egress: list[Any] | None = None,
    expressions: list[Any] | None = None,
) -> dict[str, Any]:
    sel: dict[str, Any] = {"matchLabels": selector} if selector else {}
    if expressions:
        sel["matchExpressions"] = expressions
    spec: dict[str, Any] = {"podSelector": sel, "policyTypes": types}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


def _workload_policies(
    rnd: random.Random, size: Size, n: int, w: int, name: str, tier: str
) -> list[dict[str, Any]]:
    ns = _ns(n)
    peer_wl = f"wl-{(w + 1) % size.workloads:03d}"
    other_ns = _ns((n + 1 + rnd.randrange(max(1, size.namespaces - 1))) % size.namespaces)
    out = [
        # same-namespace allow on a named port, plus a cross-namespace AND peer
        _policy(
            ns,
            f"allow-{name}-ingress",
            {"app": name},
            ["Ingress"],
            ingress=[
                {
                    "from": [{"podSelector": {"matchLabels": {"app": peer_wl}}}],
                    "ports": [{"port": "http"}],
                },
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": other_ns}
                            },
                            "podSelector": {"matchLabels": {"tier": "frontend"}},
                        }
                    ],
                    "ports": [{"protocol": "TCP", "port": 8000, "endPort": 8080}],
                },
            ],
        ),
    ]
    kinds = (
        ["monitoring", "expressions"]
        if size.dense
        else ["egress", "monitoring", "external", "expressions"]
    )
    for k in range(size.extra_policies):
        kind = kinds[(w + k) % len(kinds)]
        pname = f"{kind}-{name}-{k}"
        if kind == "egress":
            out.append(
                _policy(
                    ns,
                    pname,
                    {"app": name},
                    ["Egress"],
                    egress=[
                        {
                            "to": [{"podSelector": {"matchLabels": {"app": peer_wl}}}],
                            "ports": [{"port": "http"}, {"port": 9000, "endPort": 9100}],
                        }
                    ],
                )
            )
        elif kind == "monitoring":
            out.append(
                _policy(
                    ns,
                    pname,
                    {"app": name},
                    ["Ingress"],
                    ingress=[
                        {
                            "from": [{"namespaceSelector": {"matchLabels": {"team": "ops"}}}],
                            "ports": [{"port": "metrics"}],
                        }
                    ],
                )
            )
        elif kind == "external":
            out.append(
                _policy(
                    ns,
                    pname,
                    {"tier": tier},
                    ["Egress"],
                    egress=[
                        {
                            "to": [
                                {
                                    "ipBlock": {
                                        "cidr": "0.0.0.0/0",
                                        "except": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
                                    }
                                }
                            ],
                            "ports": [{"protocol": "TCP", "port": 443}],
                        },
                        {
                            "to": [
                                {
                                    "ipBlock": {
                                        "cidr": f"192.168.{w % 250}.0/24",
                                        "except": [f"192.168.{w % 250}.128/25"],
                                    }
                                }
                            ]
                        },
                    ],
                )
            )
        else:
            out.append(
                _policy(
                    ns,
                    pname,
                    {},
                    ["Ingress"],
                    expressions=[
                        {"key": "tier", "operator": "In", "values": [tier]},
                        {"key": "version", "operator": "NotIn", "values": ["v0"]},
                    ],
                    ingress=[
                        {
                            "from": [
                                {
                                    "namespaceSelector": {
                                        "matchExpressions": [
                                            {"key": "env", "operator": "In", "values": ["prod"]}
                                        ]
                                    },
                                    "podSelector": {"matchLabels": {"tier": "frontend"}},
                                }
                            ],
                            "ports": [{"protocol": "UDP", "port": 5000, "endPort": 5010}],
                        }
                    ],
                )
            )
    return out


# --- realistic shape ------------------------------------------------------------------------

_HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


@dataclass(frozen=True)
class RealSize:
    """Per namespace: `deployments` Deployments of 1-3 replicas (one in `rollout_every`
    mid-rollout, with a second ReplicaSet), `statefulsets` of 3 replicas, `jobs` running Jobs;
    `policy_workloads` of the Deployments carry the uniform shape's policies. Two DaemonSets
    run one pod per node (a node per `pods_per_node` pods) in their own namespace."""

    namespaces: int
    deployments: int
    statefulsets: int = 2
    jobs: int = 2
    policy_workloads: int = 9
    rollout_every: int = 5
    pods_per_node: int = 100

    def as_uniform(self) -> Size:
        """The uniform size whose policy generator this shape reuses."""
        return Size(self.namespaces, self.deployments, 1, 1)


def _suffix(rnd: random.Random, n: int) -> str:
    return "".join(rnd.choice(_HASH_ALPHABET) for _ in range(n))


def _owner(kind: str, name: str, uid: str) -> list[dict[str, Any]]:
    api = "batch/v1" if kind == "Job" else "apps/v1"
    return [{"apiVersion": api, "kind": kind, "name": name, "uid": uid, "controller": True}]


def _real_pod(
    ns: str,
    name: str,
    labels: dict[str, str],
    owner: list[dict[str, Any]],
    spec: dict[str, Any],
    ip: str,
    node: str,
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": ns,
            "uid": f"uid-pod-{ns}-{name}",
            "labels": labels,
            "ownerReferences": owner,
        },
        "spec": {**spec, "nodeName": node},
        "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "hostIP": ip},
    }


def generate_realistic(size: RealSize, seed: int = 7) -> list[dict[str, Any]]:
    """Pods labelled as Kubernetes labels them (see the module docstring)."""
    rnd = random.Random(seed)
    uniform = size.as_uniform()
    items: list[dict[str, Any]] = []
    pod_ips = ipaddress.IPv4Network("10.128.0.0/9").hosts()
    used_hashes: set[str] = set()

    def new_hash() -> str:
        while True:
            h = _suffix(rnd, 10)
            if h not in used_hashes:
                used_hashes.add(h)
                return h

    for n in range(size.namespaces):
        items.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": _ns(n),
                    "labels": {
                        "team": TEAMS[n % len(TEAMS)],
                        "env": "prod" if n % 3 else "staging",
                        "kubernetes.io/metadata.name": _ns(n),
                    },
                },
            }
        )
    for name in ("kube-system", "node-agents"):
        items.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
            }
        )
    nodes = [
        f"node-{i:05d}"
        for i in range(max(1, size.namespaces * size.deployments * 2 // size.pods_per_node))
    ]
    pod_count = 0

    def node_for() -> str:
        return nodes[pod_count % len(nodes)]

    # kube-system: CoreDNS as a Deployment with its ReplicaSet
    dns_labels = {"k8s-app": "kube-dns"}
    items.extend(
        _real_deployment(
            rnd,
            "kube-system",
            "coredns",
            dns_labels,
            [2],
            new_hash,
            pod_ips,
            node_for,
            [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP")],
        )
    )
    for n in range(size.namespaces):
        ns = _ns(n)
        types = ["Ingress"] if n % 3 == 0 else ["Ingress", "Egress"]
        items.append(_policy(ns, "default-deny", {}, types))
        items.append(
            _policy(
                ns,
                "allow-dns",
                {},
                ["Egress"] if n % 3 else ["Ingress"],
                egress=[
                    {
                        "to": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                                },
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            )
        )
        for w in range(size.deployments):
            name = f"wl-{w:03d}"
            tier = TIERS[w % len(TIERS)]
            labels = {
                "app": name,
                "app.kubernetes.io/name": name,
                "app.kubernetes.io/instance": f"{name}-{ns}",
                "tier": tier,
                "version": f"v{w % 2 + 1}",
            }
            replicas = [rnd.randint(1, 3)]
            if w % size.rollout_every == size.rollout_every - 1:
                replicas.append(1)  # an older ReplicaSet still running one pod
            objs = _real_deployment(
                rnd,
                ns,
                name,
                labels,
                replicas,
                new_hash,
                pod_ips,
                node_for,
                [("http", 8080, "TCP"), ("metrics", 9090, "TCP")],
            )
            pod_count += sum(replicas)
            items.extend(objs)
            if w < size.policy_workloads:
                items.extend(_workload_policies(rnd, uniform, n, w, name, tier))
        for s in range(size.statefulsets):
            name = f"db-{s}"
            rev = f"{name}-{_suffix(rnd, 10)}"
            labels = {"app": name, "tier": "data", "app.kubernetes.io/component": "database"}
            uid = f"uid-sts-{ns}-{name}"
            spec = _pod_spec([("postgres", 5432, "TCP")])
            items.append(
                {
                    "apiVersion": "apps/v1",
                    "kind": "StatefulSet",
                    "metadata": {"name": name, "namespace": ns, "uid": uid},
                    "spec": {
                        "replicas": 3,
                        "serviceName": name,
                        "selector": {"matchLabels": {"app": name}},
                        "template": {"metadata": {"labels": labels}, "spec": spec},
                    },
                }
            )
            for i in range(3):
                pod_labels = {
                    **labels,
                    "controller-revision-hash": rev,
                    "statefulset.kubernetes.io/pod-name": f"{name}-{i}",
                    "apps.kubernetes.io/pod-index": str(i),
                }
                items.append(
                    _real_pod(
                        ns,
                        f"{name}-{i}",
                        pod_labels,
                        _owner("StatefulSet", name, uid),
                        spec,
                        str(next(pod_ips)),
                        node_for(),
                    )
                )
                pod_count += 1
        for j in range(size.jobs):
            name = f"batch-{j}-{_suffix(rnd, 8)}"
            uid = f"{_suffix(rnd, 8)}-{_suffix(rnd, 4)}-{_suffix(rnd, 12)}"
            labels = {
                "batch.kubernetes.io/controller-uid": uid,
                "batch.kubernetes.io/job-name": name,
                "controller-uid": uid,
                "job-name": name,
            }
            spec = _pod_spec([])
            items.append(
                {
                    "apiVersion": "batch/v1",
                    "kind": "Job",
                    "metadata": {"name": name, "namespace": ns, "uid": uid},
                    "spec": {"template": {"metadata": {"labels": labels}, "spec": spec}},
                }
            )
            items.append(
                _real_pod(
                    ns,
                    f"{name}-{_suffix(rnd, 5)}",
                    labels,
                    _owner("Job", name, uid),
                    spec,
                    str(next(pod_ips)),
                    node_for(),
                )
            )
            pod_count += 1
    # DaemonSets: one pod per node; node-exporter shares the node's network
    node_ips = ipaddress.IPv4Network("172.20.0.0/16").hosts()
    node_addr = {node: str(next(node_ips)) for node in nodes}
    for ds, host in (("node-exporter", True), ("log-agent", False)):
        uid = f"uid-ds-{ds}"
        rev = _suffix(rnd, 10)
        labels = {"app.kubernetes.io/name": ds, "app": ds}
        spec = _pod_spec([("metrics", 9100, "TCP")])
        if host:
            spec["hostNetwork"] = True
        items.append(
            {
                "apiVersion": "apps/v1",
                "kind": "DaemonSet",
                "metadata": {"name": ds, "namespace": "node-agents", "uid": uid},
                "spec": {
                    "selector": {"matchLabels": {"app": ds}},
                    "template": {"metadata": {"labels": labels}, "spec": spec},
                },
            }
        )
        for node in nodes:
            pod_labels = {**labels, "controller-revision-hash": rev, "pod-template-generation": "3"}
            ip = node_addr[node] if host else str(next(pod_ips))
            items.append(
                _real_pod(
                    "node-agents",
                    f"{ds}-{_suffix(rnd, 5)}",
                    pod_labels,
                    _owner("DaemonSet", ds, uid),
                    spec,
                    ip,
                    node,
                )
            )
    return items


def _pod_spec(ports: list[tuple[str, int, str]]) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "main", "image": "example/app:1"}
    if ports:
        container["ports"] = [
            {"name": pn, "containerPort": p, "protocol": pr} for pn, p, pr in ports
        ]
    return {"containers": [container]}


def _real_deployment(
    rnd: random.Random,
    ns: str,
    name: str,
    labels: dict[str, str],
    replicas: list[int],
    new_hash: Any,
    pod_ips: Any,
    node_for: Any,
    ports: list[tuple[str, int, str]],
) -> list[dict[str, Any]]:
    """A Deployment, one ReplicaSet per entry of `replicas` (newest first) with its pods."""
    dep = _deployment(ns, name, labels, replicas[0], ports)
    spec = dep["spec"]["template"]["spec"]
    out = [dep]
    for count in replicas:
        h = new_hash()
        rs_name = f"{name}-{h}"
        rs_uid = f"uid-rs-{ns}-{rs_name}"
        pod_labels = {**labels, "pod-template-hash": h}
        out.append(
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": rs_name,
                    "namespace": ns,
                    "uid": rs_uid,
                    "labels": pod_labels,
                    "ownerReferences": _owner("Deployment", name, dep["metadata"]["uid"]),
                },
                "spec": {
                    "replicas": count,
                    "selector": {"matchLabels": {"app": name, "pod-template-hash": h}},
                    "template": {"metadata": {"labels": pod_labels}, "spec": spec},
                },
            }
        )
        for _ in range(count):
            out.append(
                _real_pod(
                    ns,
                    f"{rs_name}-{_suffix(rnd, 5)}",
                    pod_labels,
                    _owner("ReplicaSet", rs_name, rs_uid),
                    spec,
                    str(next(pod_ips)),
                    node_for(),
                )
            )
    return out


def write(items: list[dict[str, Any]], out: Path, yaml_too: bool = False) -> Path:
    """`cluster.json` (one `List`); with `yaml_too`, `yaml/` too: one multi-document file
    per namespace, as a repository of manifests holds them."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "cluster.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    if yaml_too:
        import yaml

        per_ns: dict[str, list[dict[str, Any]]] = {}
        for item in items:
            md = item["metadata"]
            per_ns.setdefault(md.get("namespace") or md["name"], []).append(item)
        folder = out / "yaml"
        folder.mkdir(exist_ok=True)
        for ns, docs in per_ns.items():
            with (folder / f"{ns}.yaml").open("w") as f:
                yaml.dump_all(docs, f, Dumper=yaml.CSafeDumper, sort_keys=False)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--namespaces", type=int, default=10)
    ap.add_argument("--workloads", type=int, default=10)
    ap.add_argument("--replicas", type=int, default=10)
    ap.add_argument("--extra-policies", type=int, default=1)
    ap.add_argument("--realistic", action="store_true", help="pods labelled as Kubernetes does")
    ap.add_argument("--deployments", type=int, default=100, help="realistic: per namespace")
    ap.add_argument("--yaml", action="store_true", help="also write cluster.yaml")
    ap.add_argument("-o", "--out", type=Path, required=True)
    args = ap.parse_args()
    if args.realistic:
        items = generate_realistic(RealSize(args.namespaces, args.deployments))
    else:
        items = generate(Size(args.namespaces, args.workloads, args.replicas, args.extra_policies))
    path = write(items, args.out, args.yaml)
    pods = sum(1 for i in items if i["kind"] == "Pod")
    print(f"{pods} pods -> {path}")


if __name__ == "__main__":
    main()
