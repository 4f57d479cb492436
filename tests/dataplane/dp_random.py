"""Seeded random snapshots over a fixed set of six pods (so one lab serves them all)."""

from __future__ import annotations

import random

from dp_helpers import ns, pod, policy, rule, snapshot

from netreach.model import (
    PROTOCOLS,
    ContainerPort,
    Direction,
    IPBlock,
    LabelSelector,
    NetworkPolicy,
    Peer,
    PolicyPort,
    Requirement,
    Snapshot,
)

POD_IDS = [f"{n}/{p}" for n in ("r", "s") for p in ("p0", "p1", "p2")]
POD_IPS = [f"10.244.0.{i + 2}" for i in range(len(POD_IDS))]
PROBE_PORTS = [80, 81, 82, 443]
_CIDRS = ["10.244.0.0/29", "10.244.0.4/30", "10.244.0.2/31", "10.244.0.0/16", "0.0.0.0/0"]
_EXCEPTS = ["10.244.0.4/31", "10.244.0.3/32", "10.244.0.6/32"]


def _labels(rng: random.Random) -> dict[str, str]:
    out = {}
    if rng.random() < 0.7:
        out["app"] = rng.choice("xy")
    if rng.random() < 0.5:
        out["tier"] = rng.choice("12")
    return out


def _selector(rng: random.Random, keys: tuple[str, ...], values: str) -> LabelSelector:
    roll = rng.random()
    key = rng.choice(keys)
    if roll < 0.3:
        return LabelSelector()
    if roll < 0.75:
        return LabelSelector(match_labels=((key, rng.choice(values)),))
    op = rng.choice(["In", "NotIn", "Exists", "DoesNotExist"])
    vals = (rng.choice(values),) if op in ("In", "NotIn") else ()
    return LabelSelector(match_expressions=(Requirement(key, op, vals),))  # type: ignore[arg-type]


def _peer(rng: random.Random) -> Peer:
    kind = rng.choice(["pod", "ns", "both", "block"])
    if kind == "block":
        cidr = rng.choice(_CIDRS)
        excepts = tuple(e for e in _EXCEPTS if rng.random() < 0.3 and _inside(e, cidr))
        return Peer(ip_block=IPBlock(cidr, excepts))
    pods = _selector(rng, ("app", "tier"), "xy12") if kind != "ns" else None
    nss = _selector(rng, ("team",), "ab") if kind != "pod" else None
    return Peer(pod_selector=pods, namespace_selector=nss)


def _inside(small: str, big: str) -> bool:
    import ipaddress

    return ipaddress.ip_network(small).subnet_of(ipaddress.ip_network(big))  # type: ignore[arg-type]


def _port(rng: random.Random) -> PolicyPort:
    proto = rng.choice(PROTOCOLS)
    roll = rng.random()
    if roll < 0.15:
        return PolicyPort(proto, None)
    if roll < 0.35:
        return PolicyPort(proto, rng.choice(["svc", "alt"]))
    start = rng.choice(PROBE_PORTS)
    end = start + rng.choice([1, 2]) if roll < 0.55 else None
    return PolicyPort(proto, start, end)


def _policy(rng: random.Random, i: int) -> NetworkPolicy:
    types: tuple[Direction, ...] = rng.choice([("ingress",), ("egress",), ("ingress", "egress")])
    rules = {
        d: tuple(
            rule(
                *(_peer(rng) for _ in range(rng.choice([0, 1, 1, 2]))),
                ports=tuple(_port(rng) for _ in range(rng.choice([0, 1, 1, 2]))),
            )
            for _ in range(rng.choice([0, 1, 1, 2]))
        )
        for d in ("ingress", "egress")
    }
    return policy(
        f"{rng.choice('rs')}/pol{i}",
        _selector(rng, ("app", "tier"), "xy12"),
        types,
        ingress=rules["ingress"],
        egress=rules["egress"],
    )


def random_snapshot(seed: int) -> Snapshot:
    rng = random.Random(seed)
    namespaces = [ns(n, **({"team": rng.choice("ab")} if rng.random() < 0.8 else {})) for n in "rs"]
    pods = []
    for pod_id, ip in zip(POD_IDS, POD_IPS, strict=True):
        ports = tuple(
            ContainerPort(rng.choice(PROBE_PORTS), rng.choice(PROTOCOLS), name)
            for name in ("svc", "alt")
            if rng.random() < 0.6
        )
        pods.append(pod(pod_id, ip, ports, labels=_labels(rng)))
    policies = [_policy(rng, i) for i in range(rng.randint(1, 3))]
    return snapshot(namespaces, pods, policies)
