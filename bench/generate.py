"""Deterministic synthetic clusters for benchmarks: namespaces x workloads x replicas with a
realistic policy mix (deny-all per namespace, DNS egress, podSelector allows, cross-namespace
AND peers, namespaceSelector-only peers, ipBlock with except, endPort ranges, named ports,
matchExpressions). Writes one JSON `List` (what `kubectl get -o json` prints) and, on
request, multi-document YAML.

    python bench/generate.py --namespaces 50 --workloads 10 --replicas 10 -o bench/out/5k
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
            items.append(dep)
            items.extend(_pods(dep, ips, size.replicas))
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


def write(items: list[dict[str, Any]], out: Path, yaml_too: bool = False) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "cluster.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    if yaml_too:
        import yaml

        with (out / "cluster.yaml").open("w") as f:
            yaml.safe_dump_all(items, f, sort_keys=False)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--namespaces", type=int, default=10)
    ap.add_argument("--workloads", type=int, default=10)
    ap.add_argument("--replicas", type=int, default=10)
    ap.add_argument("--extra-policies", type=int, default=1)
    ap.add_argument("--yaml", action="store_true", help="also write cluster.yaml")
    ap.add_argument("-o", "--out", type=Path, required=True)
    args = ap.parse_args()
    size = Size(args.namespaces, args.workloads, args.replicas, args.extra_policies)
    path = write(generate(size), args.out, args.yaml)
    print(f"{size.pods} pods -> {path}")


if __name__ == "__main__":
    main()
