"""`describe`: what a policy of any tier does, and what applies to a pod, in plain sentences.

Policies are named as `kubectl` names them: `NS/NAME` (or a bare name in `default`) for a
NetworkPolicy, `KIND/NAME` for the cluster-scoped AdminNetworkPolicy,
BaselineAdminNetworkPolicy and ClusterNetworkPolicy (short names anp, banp, cnp), or a bare
name when only one policy carries it. The readings live in describe_np (NetworkPolicy),
describe_admin (the admin tiers) and describe_pod (a pod, across tiers).
"""

from __future__ import annotations

import difflib

from netreach.analyses.describe_admin import AdminPolicyReading, describe_admin_policy
from netreach.analyses.describe_np import (
    PeerReading,
    PolicyReading,
    RuleReading,
    describe_network_policy,
)
from netreach.analyses.describe_pod import (
    AddressAccess,
    Grant,
    PeerAccess,
    PodDirection,
    PodReading,
    describe_pod,
)
from netreach.analyses.words import block_words, peer_words, port_words, ports_words
from netreach.errors import QueryError
from netreach.model import AdminPolicy, NetworkPolicy
from netreach.query.reach import Reach

__all__ = [
    "AddressAccess",
    "AdminPolicyReading",
    "Grant",
    "PeerAccess",
    "PeerReading",
    "PodDirection",
    "PodReading",
    "PolicyReading",
    "RuleReading",
    "block_words",
    "describe_pod",
    "describe_policy",
    "find_policy",
    "peer_words",
    "port_words",
    "ports_words",
]

# kubectl's names for the kinds (singular, plural, short), lower-cased
KINDS: dict[str, str] = {
    alias: kind
    for kind, aliases in {
        "NetworkPolicy": ("networkpolicy", "networkpolicies", "netpol"),
        "AdminNetworkPolicy": ("adminnetworkpolicy", "adminnetworkpolicies", "anp"),
        "BaselineAdminNetworkPolicy": (
            "baselineadminnetworkpolicy",
            "baselineadminnetworkpolicies",
            "banp",
        ),
        "ClusterNetworkPolicy": ("clusternetworkpolicy", "clusternetworkpolicies", "cnp"),
    }.items()
    for alias in aliases
}

Found = tuple[int, NetworkPolicy] | tuple[int, AdminPolicy]


def find_policy(cluster: Reach, ref: str) -> Found:
    """A policy of any tier by name: (its index in the compiled form, the policy)."""
    compiled = cluster.compiled
    text = ref.strip()
    nps = {pol.id: (i, pol) for i, pol in enumerate(compiled.policies)}
    admins = {pol.id: (i, pol) for i, pol in enumerate(compiled.admin_policies)}
    if text in nps:  # `ns/name`, as kubectl takes it (a namespace may be called `anp`)
        return nps[text]
    head, slash, rest = text.partition("/")
    kind = KINDS.get(head.lower()) if slash else None
    if kind == "NetworkPolicy":
        return find_policy(cluster, rest if "/" in rest else f"default/{rest}")
    if kind is not None:
        got = admins.get(f"{kind}/{rest}")
        if got is not None:
            return got
        raise QueryError(f"no {kind} {rest!r} in the snapshot{_hint(text, [*admins, *nps])}")
    if slash:
        raise QueryError(f"no NetworkPolicy {text!r} in the snapshot{_hint(text, [*nps, *admins])}")
    found: list[Found] = [got for pid, got in admins.items() if pid.endswith(f"/{text}")]
    if f"default/{text}" in nps:
        found.append(nps[f"default/{text}"])
    if len(found) == 1:
        return found[0]
    if found:
        which = ", ".join(sorted(p.id for _, p in found))
        raise QueryError(f"{text!r} names several policies ({which}); name one as KIND/NAME")
    names = [*nps, *admins]
    raise QueryError(
        f"no NetworkPolicy 'default/{text}' and no cluster-scoped policy "
        f"{text!r} in the snapshot{_hint(text, names)}"
    )


def _hint(text: str, names: list[str]) -> str:
    """`; did you mean ...?` with the close names (whole ids, or the name part alone)."""
    close = difflib.get_close_matches(text, names, n=3, cutoff=0.6)
    bare = text.rpartition("/")[2]
    for name in names:
        if name not in close and bare and name.rpartition("/")[2] == bare:
            close.append(name)
    if len(close) < 3:
        by_name = {n.rpartition("/")[2]: n for n in names}
        for part in difflib.get_close_matches(bare, list(by_name), n=3, cutoff=0.6):
            if by_name[part] not in close:
                close.append(by_name[part])
    return f"; did you mean {', '.join(close[:3])}?" if close else ""


def describe_policy(cluster: Reach, ref: str) -> PolicyReading | AdminPolicyReading:
    """What one policy does, in words: a NetworkPolicy (the pods it selects, isolation, each
    rule) or an admin-tier policy (tier, priority, subject, each rule with its action)."""
    index, pol = find_policy(cluster, ref)
    if isinstance(pol, NetworkPolicy):
        return describe_network_policy(cluster, index)
    return describe_admin_policy(cluster, index)
