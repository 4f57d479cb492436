"""describe, exposure and Services on a netpol-analyzer corpus case (skipped without it)."""

from __future__ import annotations

import pytest

import netreach
from netreach.analyses.describe import describe_pod, describe_policy
from netreach.analyses.exposure import exposure
from paths import SHARED

CASE = SHARED / "corpora/netpol-analyzer/cases/netpol-analysis-example-minimal/input"
pytestmark = pytest.mark.skipif(
    not CASE.is_dir(), reason="netpol-analyzer corpus not present (../shared)"
)


@pytest.fixture(scope="module")
def minimal() -> netreach.Cluster:
    return netreach.load(str(CASE))


def test_service_with_numeric_target_port(minimal):
    verdict = minimal.check("default/backend", "svc/default/frontend", 80)
    assert verdict.port == 8080 and verdict.translation == (
        "Service default/frontend:80 -> pods frontend-* port 8080/TCP; policies see the pod port"
    )
    # frontend admits anyone on 8080, but backend's egress is denied: the golden has no
    # `backend => frontend` line
    assert verdict.ingress.allowed and not verdict.egress.allowed


def test_frontend_reaches_backend_service(minimal):
    assert minimal.check("default/frontend", "svc/default/backendservice", 9090).allowed


def test_describe_backend_on_the_corpus(minimal):
    r = describe_pod(minimal, "default/backend")
    assert [p.id for p in r.selecting] == [
        "default/backend-netpol",
        "default/default-deny-in-namespace",
    ]
    assert [(p.workload, str(p.conns)) for p in r.ingress.peers] == [
        ("default/frontend[Deployment]", "TCP 9090")
    ]
    assert r.egress.summary().endswith("all egress denied")
    frontend = tuple(p.id for p in minimal.pods if p.workload.name == "frontend")
    [ingress] = describe_policy(minimal, "default/backend-netpol").rules
    assert ingress.peers[0].pods == frontend and len(frontend) == 1


def test_exposure_matches_the_cases_connectivity(minimal):
    """The golden lists `0.0.0.0-255.255.255.255 => frontend : TCP 8080` and
    `frontend => 0.0.0.0-255.255.255.255 : UDP 53`: rules without peers, i.e. open to anyone."""
    report = exposure(minimal)
    assert [(e.workload, e.direction, e.scope, str(e.conns)) for e in report.exposures] == [
        ("default/frontend[Deployment]", "egress", "everyone", "UDP 53"),
        ("default/frontend[Deployment]", "ingress", "everyone", "TCP 8080"),
    ]
    assert report.unprotected == []
