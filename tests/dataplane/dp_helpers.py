"""Small builders for hand-written snapshots, and the skip-or-fail rule for dataplane tests."""

from __future__ import annotations

import os
from collections.abc import Mapping

import pytest

from netreach.dataplane import missing_requirements
from netreach.model import (
    ContainerPort,
    Direction,
    IPBlock,
    LabelSelector,
    Namespace,
    NetworkPolicy,
    Peer,
    Pod,
    PolicyPort,
    Protocol,
    Rule,
    Snapshot,
    WorkloadRef,
)


def need_dataplane() -> None:
    """Skip when this machine cannot build the lab, unless CI demands it
    (NETREACH_REQUIRE_DATAPLANE=1), in which case fail: a missing install must not pass."""
    missing = missing_requirements()
    if not missing:
        return
    reason = "dataplane unavailable: missing " + ", ".join(missing)
    if os.environ.get("NETREACH_REQUIRE_DATAPLANE") == "1":
        pytest.fail(reason + " (NETREACH_REQUIRE_DATAPLANE=1)")
    pytest.skip(reason)


def sel(**labels: str) -> LabelSelector:
    return LabelSelector(match_labels=tuple(sorted(labels.items())))


def ns(name: str, **labels: str) -> Namespace:
    return Namespace(name, {"kubernetes.io/metadata.name": name, **labels})


def pod(
    pod_id: str,
    ip: str | tuple[str, ...] | None = None,
    ports: tuple[ContainerPort, ...] = (),
    host_network: bool = False,
    labels: Mapping[str, str] | None = None,
    **more_labels: str,
) -> Pod:
    namespace, name = pod_id.split("/")
    return Pod(
        namespace=namespace,
        name=name,
        labels={**(labels or {}), **more_labels},
        workload=WorkloadRef(namespace, name, "Pod"),
        ips=(ip,) if isinstance(ip, str) else (ip or ()),
        ports=ports,
        host_network=host_network,
    )


def policy(
    policy_id: str,
    selector: LabelSelector,
    types: tuple[Direction, ...],
    ingress: tuple[Rule, ...] = (),
    egress: tuple[Rule, ...] = (),
) -> NetworkPolicy:
    namespace, name = policy_id.split("/")
    return NetworkPolicy(namespace, name, selector, types, ingress, egress)


def rule(*peers: Peer, ports: tuple[PolicyPort, ...] = ()) -> Rule:
    return Rule(peers=peers, ports=ports)


def port(p: int | str | None, proto: Protocol = "TCP", end: int | None = None) -> PolicyPort:
    return PolicyPort(proto, p, end)


def pods_peer(**labels: str) -> Peer:
    return Peer(pod_selector=sel(**labels))


def ns_peer(ns_labels: dict[str, str], pod_labels: dict[str, str] | None = None) -> Peer:
    return Peer(
        namespace_selector=sel(**ns_labels),
        pod_selector=sel(**pod_labels) if pod_labels is not None else None,
    )


def block(cidr: str, *excepts: str) -> Peer:
    return Peer(ip_block=IPBlock(cidr, excepts))


def snapshot(
    namespaces: list[Namespace], pods: list[Pod], policies: list[NetworkPolicy]
) -> Snapshot:
    return Snapshot({n.name: n for n in namespaces}, pods, policies)


def set_elements(ruleset: str, name: str) -> set[str]:
    """The elements of one set or map of a compiled ruleset."""
    lines = ruleset.splitlines()
    start = (
        lines.index(f"  set {name} {{")
        if f"  set {name} {{" in lines
        else lines.index(f"  map {name} {{")
    )
    out: set[str] = set()
    for line in lines[start + 1 :]:
        if line == "  }":
            break
        if line.startswith("      "):
            out.add(line.strip().rstrip(","))
    return out
