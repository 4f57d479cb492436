"""Round trip on a peer tool's corpus: the connectivity of each case, taken as an intent, is
regenerated as deny-all + allows and proved exact. Real label layouts, named ports, endPort,
ipBlocks with except, many namespaces."""

from __future__ import annotations

import ipaddress

import pytest

from netreach.analyses.generate import generate
from netreach.analyses.generate.intent import Allow, CidrSpec, EndpointSpec, Intent, WorkloadSpec
from netreach.cluster import Cluster
from netreach.errors import InputError
from netreach.loader import load_snapshot
from paths import SHARED

CORPUS = SHARED / "corpora" / "netpol-analyzer" / "cases"
# One placeholder when the corpus is absent, so the skip below reports its reason.
CASES = sorted(p.name for p in CORPUS.iterdir()) if CORPUS.is_dir() else ["corpus-absent"]


def _specs(cluster: Cluster, node_id: str, external: bool) -> list[EndpointSpec]:
    if external:
        lo, _, hi = node_id.partition("-")
        nets = ipaddress.summarize_address_range(ipaddress.ip_address(lo), ipaddress.ip_address(hi))
        return [CidrSpec(str(n)) for n in nets]
    namespace, _, rest = node_id.partition("/")
    name, _, kind = rest.rstrip("]").partition("[")
    return [WorkloadSpec(namespace, name, kind)]


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not present at {CORPUS}")
@pytest.mark.parametrize("case", CASES)
def test_case_connectivity_regenerated_exactly(case: str) -> None:
    try:
        snapshot = load_snapshot(str(CORPUS / case / "input"), skip_invalid=True)
    except InputError as exc:
        pytest.skip(f"input refused by validation: {exc.problems[0]}")
    cluster = Cluster(snapshot)
    compiled = cluster.compiled
    if any(len({compiled.class_of[p.id] for p in pods}) > 1 for pods in cluster.workloads.values()):
        pytest.skip("a workload whose pods differ: not expressible as a workload-level intent")
    cmap = cluster.connectivity("workload", external=True)
    external = {n.id for n in cmap.nodes if n.is_external}
    allows = [
        Allow(s, d, c.conns)
        for c in cmap
        for s in _specs(cluster, c.src, c.src in external)
        for d in _specs(cluster, c.dst, c.dst in external)
    ]
    scope = sorted({p.namespace for p in cluster.pods})
    result = generate(cluster, Intent(tuple(allows)), dns=False, namespaces=scope)
    assert result.proof.exact, result.proof.text()
