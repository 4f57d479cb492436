"""The API versions and kinds of the policy plugins' objects: what the builder dispatches on,
apart from their readers (calico.py, cilium.py, admin.py), which load only for an input that
has such objects."""

from __future__ import annotations

from netreach.model import CiliumKind

CALICO_API_VERSIONS = frozenset({"projectcalico.org/v3", "crd.projectcalico.org/v1"})
CALICO_KINDS = frozenset(
    {"NetworkPolicy", "GlobalNetworkPolicy", "Tier", "NetworkSet", "GlobalNetworkSet"}
)
# cluster-scoped kinds of Calico and Cilium (messages name them without a namespace)
CLUSTER_SCOPED = frozenset(
    {"GlobalNetworkPolicy", "Tier", "GlobalNetworkSet", "CiliumClusterwideNetworkPolicy"}
)
CILIUM_API_VERSIONS = frozenset({"cilium.io/v2"})
CILIUM_KINDS: dict[str, CiliumKind] = {
    "CiliumNetworkPolicy": "CiliumNetworkPolicy",
    "CiliumClusterwideNetworkPolicy": "CiliumClusterwideNetworkPolicy",
}
ADMIN_GROUP = "policy.networking.k8s.io"
ADMIN_API_VERSIONS: dict[str, frozenset[str]] = {
    "AdminNetworkPolicy": frozenset({f"{ADMIN_GROUP}/v1alpha1"}),
    "BaselineAdminNetworkPolicy": frozenset({f"{ADMIN_GROUP}/v1alpha1"}),
    "ClusterNetworkPolicy": frozenset({f"{ADMIN_GROUP}/v1alpha2"}),
}

__all__ = [
    "ADMIN_API_VERSIONS",
    "ADMIN_GROUP",
    "CALICO_API_VERSIONS",
    "CALICO_KINDS",
    "CILIUM_API_VERSIONS",
    "CILIUM_KINDS",
    "CLUSTER_SCOPED",
]
