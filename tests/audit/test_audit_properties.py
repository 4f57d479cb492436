"""Properties: the audit's what-if answers agree with the engine's full connectivity map."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import cluster, ns, peer, pod, policy, port, rule
from netreach.analyses.audit.context import diff
from netreach.analyses.audit.whatif import Maps, compare
from netreach.cluster import Cluster
from netreach.engine import ipset
from netreach.engine.compile import Compiled
from netreach.engine.conns import EMPTY, ConnectionSet
from netreach.model import NetworkPolicy
from sampling import examples

SETTINGS = settings(
    max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
NSS = [ns("x", team="a"), ns("y", team="b")]
LABELS = st.sampled_from([{"app": "a"}, {"app": "b"}, {"app": "a", "tier": "t"}, {}])


@st.composite
def pods(draw: st.DrawFn) -> list:
    out = []
    for i in range(draw(st.integers(2, 5))):
        namespace = draw(st.sampled_from(["x", "y"]))
        out.append(
            pod(
                f"{namespace}/p{i}",
                draw(LABELS),
                ip=f"10.0.{i}.1",
                ports=[("http", 80 + i % 2, "TCP")],
            )
        )
    return out


@st.composite
def peers(draw: st.DrawFn):
    kind = draw(st.sampled_from(["pods", "ns", "and", "cidr"]))
    if kind == "pods":
        return peer(draw(LABELS))
    if kind == "ns":
        return peer(namespaces=draw(st.sampled_from([{"team": "a"}, {"team": "b"}, {}])))
    if kind == "and":
        return peer(draw(LABELS), {"team": draw(st.sampled_from(["a", "b"]))})
    return peer(cidr=draw(st.sampled_from(["10.0.0.0/16", "0.0.0.0/0", "10.0.1.0/24"])))


@st.composite
def policies(draw: st.DrawFn) -> list[NetworkPolicy]:
    out = []
    for i in range(draw(st.integers(1, 4))):
        types = draw(st.sampled_from([["ingress"], ["egress"], ["ingress", "egress"]]))
        rules = {
            d: [
                rule(
                    draw(st.lists(peers(), max_size=2)),
                    draw(st.lists(st.sampled_from([port(80), port("http"), port(81)]), max_size=2)),
                )
                for _ in range(draw(st.integers(0, 2)))
            ]
            for d in ("ingress", "egress")
        }
        out.append(
            policy(
                f"{draw(st.sampled_from(['x', 'y']))}/p{i}",
                draw(LABELS),
                types=types,
                ingress=rules["ingress"],
                egress=rules["egress"],
            )
        )
    return out


def _full(c: Cluster) -> dict:
    return {(k.src, k.dst): k.conns for k in c.connectivity("pod", external=True)}


def _is_pod(node: str) -> bool:
    return "/" in node


def _ext(m: dict, direction: str) -> dict[str, list[tuple[int, int, object]]]:
    """External entries of a map, per pod: (lo, hi, conns) on the address line."""
    out: dict[str, list] = {}
    for (src, dst), conns in m.items():
        pod_id, rng = (src, dst) if direction == "egress" else (dst, src)
        if _is_pod(rng):
            continue
        lo, hi = (ipset.ip_key(x) for x in rng.split("-", 1))
        out.setdefault(pod_id, []).append((lo, hi, conns))
    return out


def _at(entries: list, key: int) -> ConnectionSet:
    return next((c for lo, hi, c in entries if lo <= key <= hi), EMPTY)


@SETTINGS
@given(pods(), policies(), st.data())
def test_whatif_compare_agrees_with_the_pod_level_map(ps, pols, data):
    before = cluster(NSS, ps, pols)
    drop = data.draw(st.integers(0, len(pols) - 1))
    changed = [p for i, p in enumerate(pols) if i != drop]
    after = cluster(NSS, ps, changed)
    namespace = pols[drop].namespace
    now = Maps(before.compiled, before.matrix)
    then = Maps(Compiled(replace(before.snapshot, policies=changed), before.options))
    starts = sorted(set(before.compiled.atoms.starts) | set(after.compiled.atoms.starts))
    for d in ("ingress", "egress"):
        lost, gained = compare(now, then, namespace, d)
        side = {"src" if d == "egress" else "dst": namespace}
        a = {(c.src, c.dst): c.conns for c in before.connectivity("pod", external=True, **side)}
        b = {(c.src, c.dst): c.conns for c in after.connectivity("pod", external=True, **side)}
        pods_only = lambda m: {k: v for k, v in m.items() if _is_pod(k[0]) and _is_pod(k[1])}  # noqa: E731
        assert pods_only(lost) == pods_only(diff(a, b))
        assert pods_only(gained) == pods_only(diff(b, a))
        # External ranges: compare as functions of the address, at every atom start.
        ea, eb = _ext(a, d), _ext(b, d)
        for got, x, y in ((lost, ea, eb), (gained, eb, ea)):
            want = {
                (p.id, k)
                for p in ps
                if p.namespace == namespace
                for k in starts
                if not (_at(x.get(p.id, []), k) - _at(y.get(p.id, []), k)).is_empty
            }
            have = {
                (pod_id, lo)
                for pod_id, (lo, _, _) in ((pid, e) for pid, es in _ext(got, d).items() for e in es)
            }
            assert have == want


@SETTINGS
@given(pods(), policies())
def test_removing_a_reported_redundant_rule_or_policy_changes_no_connection(ps, pols):
    c = cluster(NSS, ps, pols)
    report = c.audit()
    full = _full(c)
    for f in report.findings:
        if f.check == "redundant-policy":
            name = f.objects[0].name
            rest = [
                p for p in pols if not (p.name == name and p.namespace == f.objects[0].namespace)
            ]
            assert _full(cluster(NSS, ps, rest)) == full
        if f.check == "redundant-rule":
            (label,) = [f.message.split(":")[0]]
            pid, where = label.split(" ")
            direction, idx = where.rstrip("]").split("[")
            changed = []
            for p in pols:
                if p.id == pid:
                    rules = [r for i, r in enumerate(p.rules(direction)) if i != int(idx)]
                    p = replace(p, **{direction: tuple(rules)})
                changed.append(p)
            assert _full(cluster(NSS, ps, changed)) == full
