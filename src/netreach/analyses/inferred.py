"""Which parts of a cluster the input says nothing about: namespaces invented for the peers of
inferred workloads (loader/infer.py). Checks of what is protected leave them out."""

from __future__ import annotations

from netreach.analyses.guards import guards
from netreach.query.reach import Reach


def outside_input(cluster: Reach, namespace: str) -> bool:
    """A namespace inferred from a namespaceSelector that no policy is written for (none in
    it, no admin policy's subject, no clusterwide Calico / Cilium policy selecting its pods):
    its pods are only representative peers, and their own
    isolation is nobody's finding."""
    ns = cluster.namespaces.get(namespace)
    if ns is None or not ns.inferred:
        return False
    if any(p.namespace == namespace for p in cluster.policies):
        return False
    if any(a.subject.namespaces.matches(ns.labels) for a in cluster.admin_policies):
        return False
    # Calico and Cilium policies: written in it, or selecting some pod of it
    mine = cluster.compiled.namespaces_bits((namespace,))
    return not any(
        p.namespace == namespace or bits & mine for p, bits in guards(cluster).cni_targets
    )
