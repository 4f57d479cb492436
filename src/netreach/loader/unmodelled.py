"""Network-policy kinds netreach knows of but does not model.

An object of one of these kinds changes what the cluster allows, so results that it could
change must say so (netreach.query.caveats) instead of answering confidently. When a kind
gets modelled (Calico and Cilium since issue 21: loader/calico.py, loader/cilium.py), it leaves
this table and its objects are read like any other policy: the caveats stop by themselves.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PolicyKind:
    namespaced: bool  # False: the policy applies cluster-wide
    layer: str = "L3/L4"  # "L7": it can only refuse what L3/L4 allows (a service mesh)


# (API group, kind) -> how it applies. Groups from each project's CRDs.
NOT_MODELLED: dict[tuple[str, str], PolicyKind] = {
    ("crd.antrea.io", "NetworkPolicy"): PolicyKind(True),
    ("crd.antrea.io", "ClusterNetworkPolicy"): PolicyKind(False),
    ("security.antrea.tanzu.vmware.com", "NetworkPolicy"): PolicyKind(True),
    ("security.antrea.tanzu.vmware.com", "ClusterNetworkPolicy"): PolicyKind(False),
    ("k8s.ovn.org", "EgressFirewall"): PolicyKind(True),
    ("network.openshift.io", "EgressNetworkPolicy"): PolicyKind(True),
    ("k8s.cni.cncf.io", "MultiNetworkPolicy"): PolicyKind(True),
    ("networking.gke.io", "FQDNNetworkPolicy"): PolicyKind(True),
    ("security.istio.io", "AuthorizationPolicy"): PolicyKind(True, "L7"),
}

# Istio applies an AuthorizationPolicy in its root namespace to the whole mesh.
MESH_ROOT_NAMESPACES = frozenset({"istio-system"})


def policy_kind(api_version: str, kind: str) -> PolicyKind | None:
    group = api_version.rpartition("/")[0]
    return NOT_MODELLED.get((group, kind))
