"""What Calico's and Cilium's compilers (engine/calico.py, engine/cilium.py) share with the
main compiler (engine/compile.py), kept apart so that neither imports the other: Calico's
built-in tiers, the order keys of a tier's rules, node addresses as blocks, and the part of
`Compiled` the plugins use (a Protocol)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from netreach.engine.classes import PodClass
from netreach.engine.rules import AnyRule
from netreach.engine.selectors import NamespaceIndex, Selector
from netreach.model import CalicoPolicy, CiliumPolicy, IPBlock, Namespace, Snapshot


def node_block(address: str) -> IPBlock:
    return IPBlock(f"{address}/{128 if ':' in address else 32}")


@dataclass(frozen=True)
class CalicoTierInfo:
    """A Calico tier as the programs need it: order (None: last) and default action."""

    name: str
    order: float | None
    default_action: str


# Calico's built-in tiers (libcalico-go names/policy.go, api v3 tier.go): the admin tiers of
# network-policy-api live in kube-admin and kube-baseline, NetworkPolicy in default.
KUBE_ADMIN, DEFAULT_TIER, KUBE_BASELINE = "kube-admin", "default", "kube-baseline"
BUILTIN_TIERS = (
    CalicoTierInfo(KUBE_ADMIN, 1_000.0, "Pass"),
    CalicoTierInfo(DEFAULT_TIER, 1_000_000.0, "Deny"),
    CalicoTierInfo(KUBE_BASELINE, 10_000_000.0, "Pass"),
)
# Kubernetes NetworkPolicies sit in Calico's default tier at this order.
NETWORK_POLICY_ORDER = 1000.0

# A tier's rules grouped by policy, with each policy's order key.
OrderedRules = list[tuple[tuple[float, str], tuple[AnyRule, ...]]]


class CompiledLike(Protocol):
    """The part of engine.compile.Compiled the plugin compilers read and call."""

    snapshot: Snapshot
    namespaces: Mapping[str, Namespace]
    ns_index: NamespaceIndex
    classes: list[PodClass]
    all_classes: int
    calico_policies: list[CalicoPolicy]
    cilium_policies: list[CiliumPolicy]

    def pods_in(self, scope: frozenset[str] | None, selector: Selector | None) -> int: ...

    def in_block(self, block: IPBlock) -> int: ...

    def in_ranges(self, blocks: Iterable[IPBlock]) -> int: ...

    def make_rule(self, *args: Any, **kwargs: Any) -> AnyRule: ...
