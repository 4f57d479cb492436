"""The engine against the dataplane: the lesson example and the x/y/z grid, full matrices."""

from __future__ import annotations

import pytest
from dp_helpers import (
    block,
    need_dataplane,
    ns,
    ns_peer,
    pod,
    pods_peer,
    policy,
    port,
    rule,
    sel,
    snapshot,
)

from netreach.dataplane import verify
from netreach.model import ContainerPort, LabelSelector, Peer, Requirement, Snapshot
from paths import LESSON_DIR as LESSON

pytestmark = pytest.mark.dataplane


def _grid() -> Snapshot:
    """Namespaces x, y, z, each with pods a, b, c; a dozen policies covering AND/OR peers,
    named ports (resolved differently per pod), endPort, ipBlock/except, egress isolation."""
    namespaces = [ns(n, ns=n) for n in "xyz"]
    pods = []
    for i, n in enumerate("xyz", start=1):
        for j, name in enumerate("abc", start=1):
            web = 80 if name != "b" else 8080  # the named port "web" differs per pod
            ports = (
                ContainerPort(web, "TCP", "web"),
                ContainerPort(81, "UDP", "dns"),
                ContainerPort(82, "SCTP", "sig"),
            )
            pods.append(pod(f"{n}/{name}", f"10.244.{i}.{j}", ports, pod=name))
    in_ab = LabelSelector(match_expressions=(Requirement("pod", "In", ("a", "b")),))
    policies = [
        policy("x/deny-ingress", sel(), ("ingress",)),
        policy(
            "x/a-from-y-b-and",
            sel(pod="a"),
            ("ingress",),
            ingress=(rule(ns_peer({"ns": "y"}, {"pod": "b"}), ports=(port(80),)),),
        ),
        policy(
            "x/a-from-z-or-b",
            sel(pod="a"),
            ("ingress",),
            ingress=(rule(ns_peer({"ns": "z"}), pods_peer(pod="b"), ports=(port(81, "UDP"),)),),
        ),
        policy(
            "x/b-web-from-all-namespaces",
            sel(pod="b"),
            ("ingress",),
            ingress=(rule(Peer(namespace_selector=sel()), ports=(port("web"),)),),
        ),
        policy(
            "x/c-range",
            sel(pod="c"),
            ("ingress",),
            ingress=(rule(ports=(port(8000, end=8100), port(None, "SCTP"))),),
        ),
        policy("y/c-no-egress", sel(pod="c"), ("egress",)),
        policy(
            "y/a-egress-block",
            sel(pod="a"),
            ("egress",),
            egress=(
                rule(block("10.244.0.0/16", "10.244.3.0/24"), ports=(port(80), port(82, "SCTP"))),
            ),
        ),
        policy(
            "y/b-egress-named",
            sel(pod="b"),
            ("egress",),
            egress=(rule(ns_peer({"ns": "x"}), ports=(port("web"), port(None, "UDP"))),),
        ),
        policy(
            "z/a-from-block",
            sel(pod="a"),
            ("ingress",),
            ingress=(rule(block("10.244.1.0/24", "10.244.1.2/32")),),
        ),
        policy(
            "z/b-both",
            sel(pod="b"),
            ("ingress", "egress"),
            ingress=(rule(),),
            egress=(rule(pods_peer(pod="c"), ports=(port("sig", "SCTP"),)),),
        ),
        policy(
            "z/c-from-x",
            sel(pod="c"),
            ("ingress",),
            ingress=(rule(ns_peer({"ns": "x"}, {}), ports=(port(80),)),),
        ),
        policy(
            "z/c-from-y-ab",
            sel(pod="c"),
            ("ingress",),
            ingress=(rule(Peer(namespace_selector=sel(ns="y"), pod_selector=in_ab)),),
        ),
    ]
    return snapshot(namespaces, pods, policies)


def test_grid_full_matrix_agrees() -> None:
    """On the ports chosen per pair, and on a dense list around every boundary."""
    need_dataplane()
    report = verify(_grid())
    assert report.sanity_failures == ()
    assert report.ok, report.render()
    assert len(report.records) > 9 * 9 * 3  # every pair, every protocol, some twice
    dense = [*range(78, 84), *range(7999, 8002), *range(8079, 8082), *range(8099, 8102)]
    report = verify(_grid(), ports=dense)
    assert report.ok, report.render()
    assert len(report.records) == 9 * 9 * 3 * len(dense)


def test_lesson_example_agrees() -> None:
    """The lesson read twice (loader for the engine, the dataplane decoder for the kernel)."""
    need_dataplane()
    from netreach.loader import load_sources, read_paths

    sources = read_paths([str(LESSON)])
    snap = load_sources(sources)
    report = verify(snap, sources=[(s.name, s.read_bytes()) for s in sources])
    assert report.ok, report.render()
    assert report.services == 2 and any(r.dst.startswith("svc/") for r in report.records)
    assert report.notes == ()
    assert report.unmodelled == (
        "5 workload(s) without Pod objects run as one representative pod each",
    )
