"""Property tests of tier precedence: random clusters with random admin-tier policies."""

from __future__ import annotations

import dataclasses
import itertools

from hypothesis import given
from hypothesis import strategies as st
from test_properties import (
    PROBE_PORTS,
    SETTINGS,
    assert_check_agrees_with_matrix,
    clusters,
    matrix_of,
    policy_ports,
    selectors,
)

from builders import cluster
from netreach.analyses.compat import from_connections
from netreach.engine import ipset
from netreach.engine.conns import EMPTY
from netreach.model import (
    AdminAction,
    AdminPeer,
    AdminPolicy,
    AdminRule,
    AdminSubject,
    Direction,
    LabelSelector,
)

ACTIONS: list[AdminAction] = ["Allow", "Deny", "Pass"]


@st.composite
def admin_peers(draw: st.DrawFn) -> AdminPeer:
    kind = draw(st.sampled_from(["ns", "pods", "net"]))
    if kind == "ns":
        return AdminPeer(namespaces=draw(selectors()))
    if kind == "pods":
        return AdminPeer(pods=(draw(selectors()), draw(selectors())))
    return AdminPeer(networks=(draw(st.sampled_from(["10.1.1.0/24", "10.1.0.0/16", "0.0.0.0/0"])),))


@st.composite
def admin_rules(draw: st.DrawFn, actions: list[AdminAction]) -> AdminRule:
    ports = draw(st.none() | st.lists(policy_ports(), min_size=1, max_size=2))
    return AdminRule(
        "",
        draw(st.sampled_from(actions)),
        tuple(draw(st.lists(admin_peers(), min_size=1, max_size=2))),
        tuple(ports) if ports is not None else None,
    )


@st.composite
def admin_policies(
    draw: st.DrawFn, name: str, baseline: bool = False, actions: list[AdminAction] = ACTIONS
) -> AdminPolicy:
    acts: list[AdminAction] = [a for a in actions if not (baseline and a == "Pass")] or ["Deny"]
    pods = draw(st.none() | selectors())
    return AdminPolicy(
        kind="BaselineAdminNetworkPolicy" if baseline else "AdminNetworkPolicy",
        tier="Baseline" if baseline else "Admin",
        name=name,
        priority=0 if baseline else draw(st.integers(0, 5)),
        subject=AdminSubject(draw(selectors()), pods),
        ingress=tuple(draw(st.lists(admin_rules(acts), max_size=2))),
        egress=tuple(draw(st.lists(admin_rules(acts), max_size=2))),
    )


@st.composite
def tiered(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    nss, pods, pols = draw(clusters())
    anps = [draw(admin_policies(f"anp{i}")) for i in range(draw(st.integers(0, 2)))]
    banp = [draw(admin_policies("default", baseline=True))] if draw(st.booleans()) else []
    return nss, pods, pols, [*anps, *banp]


@SETTINGS
@given(tiered(), st.booleans())
def test_check_agrees_with_the_matrix_with_admin_tiers(data, ipb: bool) -> None:  # type: ignore[no-untyped-def]
    nss, pods, pols, adm = data
    assert_check_agrees_with_matrix(cluster(nss, pods, pols, admin=adm, ipblock_matches_pods=ipb))


@SETTINGS
@given(tiered())
def test_external_addresses_agree_with_check_with_admin_tiers(data) -> None:  # type: ignore[no-untyped-def]
    nss, pods, pols, adm = data
    c = cluster(nss, pods, pols, admin=adm)
    listed = from_connections(c.connectivity(by="pod", external=True, include_self=False))
    for p in c.pods:
        for probe in ("10.1.1.200", "192.0.2.1"):  # inside the sampled networks / outside
            key = ipset.ip_key(probe)
            for direction in ("egress", "ingress"):
                got = EMPTY
                for lo, hi, conns in listed.external.get((p.id, direction), []):
                    if lo <= key <= hi:
                        got = got | conns
                for proto, n in PROBE_PORTS:
                    src, dst = (p.id, probe) if direction == "egress" else (probe, p.id)
                    v = c.check(src, dst, n, proto)
                    assert v.allowed == got.contains(proto, n), (src, dst, proto, n)


@SETTINGS
@given(tiered(), st.sampled_from(["ingress", "egress"]))
def test_admin_deny_everything_denies_every_connection_of_its_subjects(data, d: Direction) -> None:  # type: ignore[no-untyped-def]
    nss, pods, pols, adm = data
    deny = AdminRule("", "Deny", (AdminPeer(namespaces=LabelSelector()),))
    guard = AdminPolicy(
        "AdminNetworkPolicy",
        "Admin",
        "guard",
        -1,  # before every sampled priority
        AdminSubject(LabelSelector()),
        ingress=(deny,) if d == "ingress" else (),
        egress=(deny,) if d == "egress" else (),
    )
    c = cluster(nss, pods, pols, admin=[*adm, guard])
    for (src, dst), conns in matrix_of(c).items():
        assert conns.is_empty, (src, dst)


@SETTINGS
@given(clusters(), st.lists(st.integers(0, 5), max_size=2), st.data())
def test_pass_only_admin_policies_change_nothing(data, prios, more) -> None:  # type: ignore[no-untyped-def]
    nss, pods, pols = data
    passes = [more.draw(admin_policies(f"pass{i}", actions=["Pass"])) for i, _ in enumerate(prios)]
    assert matrix_of(cluster(nss, pods, pols, admin=passes)) == matrix_of(cluster(nss, pods, pols))


@SETTINGS
@given(tiered(), st.data())
def test_baseline_never_changes_pods_isolated_by_network_policy(data, more) -> None:  # type: ignore[no-untyped-def]
    nss, pods, pols, adm = data
    anps = [a for a in adm if a.tier == "Admin"]
    banp = more.draw(admin_policies("default", baseline=True))
    without = cluster(nss, pods, pols, admin=anps)
    with_b = cluster(nss, pods, pols, admin=[*anps, banp])
    for a, b in itertools.product(without.pods, repeat=2):
        for proto, n in PROBE_PORTS:
            v0 = without.check(a.id, b.id, n, proto)
            v1 = with_b.check(a.id, b.id, n, proto)
            for s0, s1 in ((v0.egress, v1.egress), (v0.ingress, v1.ingress)):
                if s0.isolated:
                    assert s0.allowed == s1.allowed, (a.id, b.id, proto, n, s0.direction)


@SETTINGS
@given(tiered())
def test_admin_rule_order_is_priority_order(data) -> None:  # type: ignore[no-untyped-def]
    # Renaming policies changes nothing when priorities are distinct: order is by priority.
    nss, pods, pols, adm = data
    distinct = [dataclasses.replace(p, priority=i * 10) for i, p in enumerate(adm)]
    renamed = [dataclasses.replace(p, name=f"z{99 - i}") for i, p in enumerate(distinct)]
    assert matrix_of(cluster(nss, pods, pols, admin=distinct)) == matrix_of(
        cluster(nss, pods, pols, admin=renamed)
    )
