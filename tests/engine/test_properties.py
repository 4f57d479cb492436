"""Property-based tests of the engine: algebra laws and invariants of the semantics."""

from __future__ import annotations

import dataclasses
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import cluster
from netreach.engine.conns import ALL, EMPTY, ConnectionSet
from netreach.model import (
    PROTOCOLS,
    ContainerPort,
    IPBlock,
    LabelSelector,
    Namespace,
    NetworkPolicy,
    Peer,
    Pod,
    PolicyPort,
    Requirement,
    Rule,
    WorkloadRef,
)
from sampling import examples

KEYS = ["app", "tier"]
VALUES = ["a", "b", "c"]
NS_NAMES = ["x", "y", "z"]
PORT_NAMES = ["http", "dns"]
SETTINGS = settings(
    max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# --- connection-set algebra against a reference over a small port domain ----------------------

SMALL = 12


@st.composite
def small_conns(draw: st.DrawFn) -> ConnectionSet:
    ranges = {}
    for proto in PROTOCOLS:
        los = draw(st.lists(st.integers(1, SMALL), max_size=3))
        ranges[proto] = [(lo, min(SMALL, lo + draw(st.integers(0, 3)))) for lo in los]
    return ConnectionSet(ranges)


def as_set(c: ConnectionSet) -> set[tuple[str, int]]:
    return {(p, n) for p in PROTOCOLS for n in range(1, SMALL + 1) if c.contains(p, n)}


@given(small_conns(), small_conns())
def test_connection_set_algebra_matches_set_semantics(a: ConnectionSet, b: ConnectionSet) -> None:
    assert as_set(a | b) == as_set(a) | as_set(b)
    assert as_set(a & b) == as_set(a) & as_set(b)
    assert as_set(a - b) == as_set(a) - as_set(b)
    assert (a | b) == (b | a) and (a & b) == (b & a)
    assert ConnectionSet.parse(str(a)) == a
    assert ConnectionSet.parse(a.compat_text()) == a
    assert ConnectionSet.from_json(a.to_json()) == a
    assert (a - a).is_empty and (a | EMPTY) == a and (a & ALL) == a


# --- random clusters --------------------------------------------------------------------------

labels_st = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=2)


@st.composite
def selectors(draw: st.DrawFn) -> LabelSelector:
    ml = draw(labels_st)
    exprs = []
    for _ in range(draw(st.integers(0, 1))):
        op = draw(st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]))
        vals = tuple(draw(st.lists(st.sampled_from(VALUES), min_size=1, max_size=2, unique=True)))
        exprs.append(
            Requirement(draw(st.sampled_from(KEYS)), op, vals if op in ("In", "NotIn") else ())
        )
    return LabelSelector(tuple(sorted(ml.items())), tuple(exprs))


@st.composite
def peers(draw: st.DrawFn) -> Peer:
    kind = draw(st.sampled_from(["pod", "ns", "both", "ip"]))
    if kind == "ip":
        base = draw(st.sampled_from(["10.0.0.0/8", "10.1.0.0/16", "0.0.0.0/0"]))
        exc = draw(st.sampled_from([(), ("10.1.2.0/24",)])) if base != "10.1.0.0/16" else ()
        return Peer(ip_block=IPBlock(base, exc))
    ps = draw(selectors()) if kind in ("pod", "both") else None
    nsel = draw(selectors()) if kind in ("ns", "both") else None
    return Peer(ps, nsel)


@st.composite
def policy_ports(draw: st.DrawFn) -> PolicyPort:
    proto = draw(st.sampled_from(PROTOCOLS))
    kind = draw(st.sampled_from(["num", "range", "name", "all"]))
    if kind == "num":
        return PolicyPort(proto, draw(st.integers(1, 10)))
    if kind == "range":
        lo = draw(st.integers(1, 10))
        return PolicyPort(proto, lo, lo + draw(st.integers(0, 4)))
    if kind == "name":
        return PolicyPort(proto, draw(st.sampled_from(PORT_NAMES)))
    return PolicyPort(proto, None)


rules_st = st.builds(
    lambda ps, pts: Rule(tuple(ps), tuple(pts)),
    st.lists(peers(), max_size=2),
    st.lists(policy_ports(), max_size=2),
)


@st.composite
def policies(draw: st.DrawFn, name: str) -> NetworkPolicy:
    types = draw(st.sampled_from([("ingress",), ("egress",), ("ingress", "egress")]))
    return NetworkPolicy(
        draw(st.sampled_from(NS_NAMES)),
        name,
        draw(selectors()),
        types,
        tuple(draw(st.lists(rules_st, max_size=2))),
        tuple(draw(st.lists(rules_st, max_size=2))),
    )


@st.composite
def pods_st(draw: st.DrawFn, i: int) -> Pod:
    ns = draw(st.sampled_from(NS_NAMES))
    ports = tuple(
        ContainerPort(draw(st.integers(1, 10)), draw(st.sampled_from(PROTOCOLS)), name)
        for name in draw(st.lists(st.sampled_from(PORT_NAMES), max_size=2, unique=True))
    )
    return Pod(
        ns,
        f"p{i}",
        draw(labels_st),
        WorkloadRef(ns, f"p{i}", "Pod"),
        ips=(f"10.1.{draw(st.integers(1, 3))}.{i + 1}",),
        ports=ports,
    )


@st.composite
def clusters(draw: st.DrawFn, max_policies: int = 3):  # type: ignore[no-untyped-def]
    nss = [Namespace(n, {**draw(labels_st), "kubernetes.io/metadata.name": n}) for n in NS_NAMES]
    pods = [draw(pods_st(i)) for i in range(draw(st.integers(1, 5)))]
    pols = [draw(policies(f"pol{i}")) for i in range(draw(st.integers(0, max_policies)))]
    return nss, pods, pols


PROBE_PORTS = [(p, n) for p in PROTOCOLS for n in (1, 3, 6, 10, 11)]


def matrix_of(c) -> dict[tuple[str, str], ConnectionSet]:  # type: ignore[no-untyped-def]
    return {(x.src, x.dst): x.conns for x in c.connectivity(by="pod")}


def assert_check_agrees_with_matrix(c) -> None:  # type: ignore[no-untyped-def]
    """Every pod pair and probe port: the single verdict equals the map's connection set."""
    m = matrix_of(c)
    for a, b in itertools.product(c.pods, repeat=2):
        conns = m.get((a.id, b.id), EMPTY)
        for proto, n in PROBE_PORTS:
            assert c.check(a.id, b.id, n, proto).allowed == conns.contains(proto, n), (
                a.id,
                b.id,
                proto,
                n,
            )


@SETTINGS
@given(clusters(), st.booleans())
def test_check_agrees_with_the_matrix(data, ipb: bool) -> None:  # type: ignore[no-untyped-def]
    assert_check_agrees_with_matrix(cluster(*data, ipblock_matches_pods=ipb))


@SETTINGS
@given(clusters(), st.data())
def test_adding_a_policy_never_removes_a_connection_between_pods_it_does_not_isolate(
    data,
    more,  # type: ignore[no-untyped-def]
) -> None:
    nss, pods, pols = data
    extra = more.draw(policies("extra"))
    before = cluster(nss, pods, pols)
    after = cluster(nss, pods, [*pols, extra])
    m_before, m_after = matrix_of(before), matrix_of(after)
    for (src, dst), conns in m_before.items():
        same_isolation = all(
            bool(before.isolated(p, d)) == bool(after.isolated(p, d))
            for p, d in ((src, "egress"), (dst, "ingress"))
        )
        if same_isolation:
            assert conns.issubset(m_after.get((src, dst), EMPTY)), (src, dst)


@SETTINGS
@given(clusters(), st.randoms())
def test_swapping_peer_and_rule_order_changes_nothing(data, rnd) -> None:  # type: ignore[no-untyped-def]
    nss, pods, pols = data

    def shuffled(p: NetworkPolicy) -> NetworkPolicy:
        def mix(rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
            out = [
                Rule(
                    tuple(rnd.sample(r.peers, len(r.peers))),
                    tuple(rnd.sample(r.ports, len(r.ports))),
                )
                for r in rules
            ]
            rnd.shuffle(out)
            return tuple(out)

        return dataclasses.replace(p, ingress=mix(p.ingress), egress=mix(p.egress))

    assert matrix_of(cluster(nss, pods, pols)) == matrix_of(
        cluster(nss, pods, [shuffled(p) for p in pols])
    )


@SETTINGS
@given(clusters(max_policies=0), selectors(), selectors(), st.sampled_from(NS_NAMES))
def test_and_peer_allows_a_subset_of_the_or_peers(data, podsel, nssel, where) -> None:  # type: ignore[no-untyped-def]
    nss, pods, _ = data

    def with_peers(ps: tuple[Peer, ...]) -> dict[tuple[str, str], ConnectionSet]:
        pol = NetworkPolicy(where, "p", LabelSelector(), ("ingress",), (Rule(ps),))
        return matrix_of(cluster(nss, pods, [pol]))

    and_m = with_peers((Peer(podsel, nssel),))
    or_m = with_peers((Peer(podsel), Peer(namespace_selector=nssel)))
    for key, conns in and_m.items():
        assert conns.issubset(or_m.get(key, EMPTY))


@SETTINGS
@given(clusters())
def test_workload_and_namespace_levels_are_unions_of_pod_pairs(data) -> None:  # type: ignore[no-untyped-def]
    c = cluster(*data)
    pods = {p.id: p for p in c.pods}
    expected: dict[tuple[str, str], ConnectionSet] = {}
    for (s, d), conns in matrix_of(c).items():
        key = (pods[s].namespace, pods[d].namespace)
        expected[key] = expected.get(key, EMPTY) | conns
    got = {(x.src, x.dst): x.conns for x in c.connectivity(by="namespace")}
    assert got == expected
