"""Seeded random snapshots with admin-tier policies over dp_random's six pods."""

from __future__ import annotations

import random

from dp_random import _CIDRS, _port, _selector, random_snapshot

from netreach.model import (
    PROTOCOLS,
    AdminAction,
    AdminPeer,
    AdminPolicy,
    AdminRule,
    AdminSubject,
    PolicyPort,
    Snapshot,
)


def _admin_peer(rng: random.Random) -> AdminPeer:
    kind = rng.choice(["ns", "pods", "net"])
    if kind == "ns":
        return AdminPeer(namespaces=_selector(rng, ("team",), "ab"))
    if kind == "pods":
        return AdminPeer(
            pods=(_selector(rng, ("team",), "ab"), _selector(rng, ("app", "tier"), "xy12"))
        )
    return AdminPeer(networks=(rng.choice(_CIDRS),))


def _admin_rule(rng: random.Random, actions: list[AdminAction]) -> AdminRule:
    peers = tuple(_admin_peer(rng) for _ in range(rng.choice([1, 1, 2])))
    ports = None
    if rng.random() < 0.6:
        ports = tuple(_port(rng) for _ in range(rng.choice([1, 2])))
        # A named admin port matches the container port of that name whatever its protocol:
        # the loader writes one entry per protocol.
        ports = tuple(
            q
            for p in ports
            for q in (
                [PolicyPort(x, p.port) for x in PROTOCOLS] if isinstance(p.port, str) else [p]
            )
        )
        if any(p.networks for p in peers):
            # the CRD forbids named ports beside networks peers
            ports = tuple(p for p in ports if not isinstance(p.port, str)) or None
    return AdminRule("", rng.choice(actions), peers, ports)


def _admin_policy(rng: random.Random, name: str, baseline: bool, cnp: bool = False) -> AdminPolicy:
    actions: list[AdminAction] = (
        ["Allow", "Deny"] if baseline and not cnp else ["Allow", "Deny", "Pass"]
    )
    pods = _selector(rng, ("app", "tier"), "xy12") if rng.random() < 0.4 else None
    kind = "BaselineAdminNetworkPolicy" if baseline else "AdminNetworkPolicy"
    return AdminPolicy(
        kind="ClusterNetworkPolicy" if cnp else kind,  # type: ignore[arg-type]
        tier="Baseline" if baseline else "Admin",
        name=name,
        priority=0 if baseline and not cnp else rng.randint(0, 20),
        subject=AdminSubject(_selector(rng, ("team",), "ab"), pods),
        ingress=tuple(_admin_rule(rng, actions) for _ in range(rng.choice([0, 1, 2]))),
        egress=tuple(_admin_rule(rng, actions) for _ in range(rng.choice([0, 1, 2]))),
    )


def random_tiered_snapshot(seed: int) -> Snapshot:
    rng = random.Random(10_000 + seed)
    snap = random_snapshot(seed)
    admin = [_admin_policy(rng, f"anp{i}", False) for i in range(rng.randint(0, 2))]
    if rng.random() < 0.6:
        admin.append(_admin_policy(rng, "default", True))
    # ClusterNetworkPolicy in either tier (its own generator: the others stay as they were);
    # it never applies to a pod's traffic to itself.
    cnp_rng = random.Random(20_000 + seed)
    if cnp_rng.random() < 0.5:
        admin.append(_admin_policy(cnp_rng, "cnp", cnp_rng.random() < 0.5, cnp=True))
    snap.admin_policies = admin
    return snap
