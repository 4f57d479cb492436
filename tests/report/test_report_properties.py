"""The report agrees with `Cluster.check` on random clusters: every edge is allowed, every
allowed pair is an edge, and the rules listed include every rule the verdict names."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import cluster, ns, peer, pod, policy, port, rule
from netreach.analyses.report import build_report
from sampling import examples

NAMESPACES = ["x", "y"]
APPS = ["a", "b", "c"]
PROBES = [("TCP", 80), ("TCP", 443), ("UDP", 53)]


@st.composite
def random_clusters(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    pods = [
        pod(f"{n}/p{i}", {"app": draw(st.sampled_from(APPS))})
        for n in NAMESPACES
        for i in range(draw(st.integers(1, 3)))
    ]
    pols = []
    for i in range(draw(st.integers(0, 4))):
        direction = draw(st.sampled_from(["ingress", "egress"]))
        rules = []
        for _ in range(draw(st.integers(0, 2))):
            peers = [
                peer(
                    {"app": draw(st.sampled_from(APPS))},
                    draw(st.sampled_from([None, {}, {"kubernetes.io/metadata.name": "y"}])),
                )
                for _ in range(draw(st.integers(0, 1)))
            ]
            ports = [
                port(p, proto) for proto, p in draw(st.lists(st.sampled_from(PROBES), max_size=2))
            ]
            rules.append(rule(peers, ports))
        target = draw(st.sampled_from([{}, {"app": draw(st.sampled_from(APPS))}]))
        pols.append(
            policy(
                f"{draw(st.sampled_from(NAMESPACES))}/p{i}",
                target,
                types=[direction],
                **{direction: rules},
            )
        )
    return cluster([ns(n) for n in NAMESPACES], pods, pols)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_clusters())
def test_report_edges_and_rules_agree_with_check(c) -> None:  # type: ignore[no-untyped-def]
    data = build_report(c, by="pod")
    edges = {(e.src, e.dst): e for e in data.edges}
    for src in c.pods:
        for dst in c.pods:
            if src.id == dst.id:
                continue
            e = edges.get((src.id, dst.id))
            for proto, number in PROBES:
                verdict = c.check(src, dst, number, proto)
                assert verdict.allowed == (e is not None and e.conns.contains(proto, number))
                if not verdict.allowed:
                    continue
                assert e is not None
                for side, listed in (
                    (verdict.egress, e.egress_rules),
                    (verdict.ingress, e.ingress_rules),
                ):
                    if not side.isolated:
                        assert listed is None
                        continue
                    assert listed is not None
                    texts = {data.rules[i].text for i in listed}
                    named = {
                        f"{m.policy.id} {m.rule.direction}[{m.rule.index}]" for m in side.matches
                    }
                    assert named <= texts
