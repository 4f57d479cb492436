"""The engine against a brute-force reading of the specification (tests/engine/oracle.py), on
random snapshots with every tier, every port kind and pods with labels no selector reads.

The engine classes pods, evaluates selectors as bitsets and walks partitions; the oracle
decides one connection at a time from the model objects. Both must give the same answer for
every pod pair, every pod and external address, every probe port.
"""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st
from oracle import Oracle, assert_agrees
from test_properties import PROBE_PORTS, SETTINGS, clusters
from test_tiers_properties import tiered

from builders import cluster
from netreach.model import Pod

# never a pod IP (pods get 10.1.{1..3}.{1..8}): these stay external addresses
ADDRESSES = ["10.1.2.250", "10.1.1.200", "10.9.0.1", "192.168.1.1", "10.1.3.240"]


@st.composite
def with_unread_labels(draw: st.DrawFn, data):  # type: ignore[no-untyped-def]
    """Give pods labels no selector reads (a hash per pod, as ReplicaSets and StatefulSets do)."""
    nss, pods, pols, adm = data
    if draw(st.booleans()):
        pods = [
            dataclasses.replace(p, labels={**p.labels, "pod-template-hash": f"h{i}"})
            for i, p in enumerate(pods)
        ]
    return nss, pods, pols, adm


@SETTINGS
@given(clusters().flatmap(lambda d: with_unread_labels((*d, []))), st.booleans())
def test_engine_agrees_with_the_oracle_on_network_policies(data, ipb: bool) -> None:  # type: ignore[no-untyped-def]
    nss, pods, pols, _ = data
    c = cluster(nss, pods, pols, ipblock_matches_pods=ipb)
    assert_agrees(c, ADDRESSES, PROBE_PORTS, Oracle(c.namespaces, pols, [], [], c.options))


@st.composite
def as_cluster_network_policies(draw: st.DrawFn, data):  # type: ignore[no-untyped-def]
    """Some admin-tier policies as ClusterNetworkPolicy (which never applies to self traffic)."""
    nss, pods, pols, adm = data
    adm = [
        dataclasses.replace(a, kind="ClusterNetworkPolicy") if draw(st.booleans()) else a
        for a in adm
    ]
    return nss, pods, pols, adm


@SETTINGS
@given(
    tiered().flatmap(with_unread_labels).flatmap(as_cluster_network_policies),
    st.booleans(),
    st.sampled_from(["policy", "allowed"]),
)
def test_engine_agrees_with_the_oracle_with_admin_tiers(data, ipb: bool, self_traffic) -> None:  # type: ignore[no-untyped-def]
    nss, pods, pols, adm = data
    c = cluster(nss, pods, pols, admin=adm, ipblock_matches_pods=ipb, self_traffic=self_traffic)
    assert_agrees(c, ADDRESSES, PROBE_PORTS, Oracle(c.namespaces, pols, adm, [], c.options))


@SETTINGS
@given(tiered(), st.data())
def test_a_label_no_selector_reads_changes_no_class_count_and_no_verdict(data, more) -> None:  # type: ignore[no-untyped-def]
    nss, pods, pols, adm = data
    before = cluster(nss, pods, pols, admin=adm)
    # a new key, read by no selector, with values that differ pod by pod (or not at all)
    values = more.draw(
        st.lists(st.sampled_from(["1", "2", "3"]), min_size=len(pods), max_size=len(pods))
    )
    relabelled = [
        dataclasses.replace(p, labels={**p.labels, "controller-revision-hash": v})
        for p, v in zip(pods, values, strict=True)
    ]
    after = cluster(nss, relabelled, pols, admin=adm)
    assert len(after.compiled.classes) == len(before.compiled.classes)
    assert [(x.src, x.dst, x.conns) for x in after.connectivity(by="pod", external=True)] == [
        (x.src, x.dst, x.conns) for x in before.connectivity(by="pod", external=True)
    ]


def test_pods_no_policy_tells_apart_are_one_class() -> None:
    """Real clusters: a pod-template-hash per ReplicaSet, a name per StatefulSet pod. Pods
    that no selector can tell apart collapse into one class whatever those labels say."""
    from builders import ns, pod, policy

    pods = [
        pod(
            f"a/web-{i}",
            {
                "app": "web",
                "pod-template-hash": f"h{i % 7}",
                "statefulset.kubernetes.io/pod-name": f"web-{i}",
            },
        )
        for i in range(40)
    ] + [pod(f"a/db-{i}", {"app": "db", "pod-template-hash": f"d{i}"}) for i in range(10)]
    c = cluster([ns("a")], pods, [policy("a/db", {"app": "db"})])
    assert len(c.compiled.classes) == 2
    assert {len(k.pods) for k in c.compiled.classes} == {40, 10}
    assert isinstance(c.compiled.classes[0].pods[0], Pod)


def test_many_rules_per_class_agree_with_the_oracle() -> None:
    """Per-pod NotIn selectors: every pod is selected by nearly every policy, so the engine
    takes its wide paths (policies x classes transposed with numpy, unions of many rules'
    bitsets at once); a sample of pairs must still agree with the oracle."""
    import random

    from builders import ns, peer, pod, policy, port, rule
    from netreach.model import LabelSelector, Requirement

    n = 340  # over 100,000 (policy, class) pairs
    pods = [pod(f"a/p{i}", {"app": f"a{i}", "tier": "x" if i % 3 else "y"}) for i in range(n)]

    def not_app(i: int) -> LabelSelector:
        return LabelSelector((), (Requirement("app", "NotIn", (f"a{i}",)),))

    pols = [
        policy(
            f"a/n{i}",
            not_app(i),
            types=("ingress", "egress") if i % 2 else ("ingress",),
            ingress=[rule([peer({"app": f"a{(i + 1) % n}"})], [port(80 + i % 4)])],
            egress=[rule([peer({"tier": "x"})])] if i % 5 == 0 else [],
        )
        for i in range(n)
    ]
    c = cluster([ns("a")], pods, pols)
    oracle = Oracle(c.namespaces, pols, [], [], c.options)
    pairs = {(x.src, x.dst): x.conns for x in c.connectivity(by="pod")}
    rnd = random.Random(5)
    by_name = {p.name: p for p in c.pods}
    samples = []
    for _ in range(60):
        k = rnd.randrange(n)  # pod k: every policy but its own; a{k+1} is the one left out
        b = by_name[f"p{k}"]
        samples += [(by_name[f"p{(k + d) % n}"], b) for d in (1, 2)]
        samples.append((rnd.choice(c.pods), b))
    for a, b in samples:
        got = pairs.get((a.id, b.id))
        for n_port in (80, 81, 83, 84):
            want = oracle.allowed(a, b, "TCP", n_port)
            assert (got is not None and got.contains("TCP", n_port)) == want, (a.id, b.id, n_port)
