"""`describe`: what a policy of any tier does, and what applies to a pod, in plain sentences.

Policies are named as `kubectl` names them: `NS/NAME` (or a bare name in `default`) for a
namespaced policy, `KIND/NAME` for a cluster-scoped one (AdminNetworkPolicy,
BaselineAdminNetworkPolicy, ClusterNetworkPolicy: short names anp, banp, cnp;
GlobalNetworkPolicy: gnp; CiliumClusterwideNetworkPolicy: ccnp) and `KIND/NS/NAME` for a
namespaced one of another kind than NetworkPolicy (CalicoNetworkPolicy,
networkpolicies.projectcalico.org, CiliumNetworkPolicy). A bare name, or `NS/NAME`, that
several policies carry is refused with the candidates. The readings live in describe_np
(NetworkPolicy), describe_admin (the admin tiers), describe_cni (Calico and Cilium) and
describe_pod (a pod, across tiers).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from netreach.analyses.describe_admin import AdminPolicyReading, describe_admin_policy
from netreach.analyses.describe_cni import (
    CalicoPolicyReading,
    CiliumPolicyReading,
    CiliumSpecReading,
    CniPeerReading,
    CniRuleReading,
    describe_calico_policy,
    describe_cilium_policy,
)
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
from netreach.model import AdminPolicy, CalicoPolicy, CiliumPolicy, NetworkPolicy
from netreach.query.reach import Reach

__all__ = [
    "AddressAccess",
    "AdminPolicyReading",
    "CalicoPolicyReading",
    "CiliumPolicyReading",
    "CiliumSpecReading",
    "CniPeerReading",
    "CniRuleReading",
    "Grant",
    "PeerAccess",
    "PeerReading",
    "PodDirection",
    "PodReading",
    "PolicyDescription",
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

# The names `describe policy KIND/...` takes for each kind, lower-cased: kubectl's (singular,
# plural, short name, `plural.group`) and the kind as netreach's ids spell it. Short names that
# would collide are left out: `cnp` is ClusterNetworkPolicy here (Cilium's kubectl short name
# for CiliumNetworkPolicy), and a bare `networkpolicy` is Kubernetes'.
KINDS: dict[str, str] = {
    alias: kind
    for kind, aliases in {
        "NetworkPolicy": (
            "networkpolicy",
            "networkpolicies",
            "netpol",
            "networkpolicy.networking.k8s.io",
            "networkpolicies.networking.k8s.io",
        ),
        "AdminNetworkPolicy": ("adminnetworkpolicy", "adminnetworkpolicies", "anp"),
        "BaselineAdminNetworkPolicy": (
            "baselineadminnetworkpolicy",
            "baselineadminnetworkpolicies",
            "banp",
        ),
        "ClusterNetworkPolicy": ("clusternetworkpolicy", "clusternetworkpolicies", "cnp"),
        "CalicoNetworkPolicy": (
            "caliconetworkpolicy",
            "caliconetworkpolicies",
            "networkpolicy.projectcalico.org",
            "networkpolicies.projectcalico.org",
        ),
        "GlobalNetworkPolicy": (
            "globalnetworkpolicy",
            "globalnetworkpolicies",
            "gnp",
            "globalnetworkpolicy.projectcalico.org",
            "globalnetworkpolicies.projectcalico.org",
        ),
        "CiliumNetworkPolicy": (
            "ciliumnetworkpolicy",
            "ciliumnetworkpolicies",
            "ciliumnetworkpolicy.cilium.io",
            "ciliumnetworkpolicies.cilium.io",
        ),
        "CiliumClusterwideNetworkPolicy": (
            "ciliumclusterwidenetworkpolicy",
            "ciliumclusterwidenetworkpolicies",
            "ccnp",
            "ciliumclusterwidenetworkpolicy.cilium.io",
            "ciliumclusterwidenetworkpolicies.cilium.io",
        ),
    }.items()
    for alias in aliases
}
NAMESPACED = frozenset({"NetworkPolicy", "CalicoNetworkPolicy", "CiliumNetworkPolicy"})

AnyPolicy = NetworkPolicy | AdminPolicy | CalicoPolicy | CiliumPolicy
Found = tuple[int, AnyPolicy]


@dataclass(frozen=True)
class _Entry:
    kind: str
    namespace: str | None
    name: str
    found: Found

    @property
    def id(self) -> str:
        """How messages name it: `ns/name` for a NetworkPolicy, else `Kind/[ns/]name`."""
        if self.kind == "NetworkPolicy":
            return f"{self.namespace}/{self.name}"
        where = f"{self.namespace}/" if self.namespace is not None else ""
        return f"{self.kind}/{where}{self.name}"


def _entries(cluster: Reach) -> list[_Entry]:
    compiled = cluster.compiled
    out = [
        _Entry("NetworkPolicy", p.namespace, p.name, (i, p))
        for i, p in enumerate(compiled.policies)
    ]
    out += [_Entry(p.kind, None, p.name, (i, p)) for i, p in enumerate(compiled.admin_policies)]
    out += [
        _Entry(
            "CalicoNetworkPolicy" if p.namespace else "GlobalNetworkPolicy",
            p.namespace,
            p.name,
            (i, p),
        )
        for i, p in enumerate(compiled.calico_policies)
    ]
    seen: set[tuple[str, str | None, str]] = set()
    for i, p in enumerate(compiled.cilium_policies):
        key = (p.kind, p.namespace, p.name)
        if key not in seen:  # one entry per object: its rule sets (`specs`) read together
            seen.add(key)
            out.append(_Entry(p.kind, p.namespace, p.name, (i, p)))
    return out


def _one(text: str, found: list[_Entry]) -> Found:
    if len(found) == 1:
        return found[0].found
    which = ", ".join(sorted(e.id for e in found))
    raise QueryError(
        f"{text!r} names several policies ({which}); name one as KIND/NAME or KIND/NS/NAME"
    )


def find_policy(cluster: Reach, ref: str) -> Found:
    """A policy of any kind by name: (its index in the compiled form's list of its kind, the
    policy). A Cilium policy with `specs` is found by its first rule set."""
    text = ref.strip()
    entries = _entries(cluster)
    names = [e.id for e in entries]
    head, slash, rest = text.partition("/")
    if slash and "/" not in rest:  # `ns/name`, as kubectl takes it (a namespace may be `anp`)
        found = [
            e for e in entries if e.kind in NAMESPACED and (e.namespace, e.name) == (head, rest)
        ]
        if found:
            return _one(text, found)
    kind = KINDS.get(head.lower()) if slash else None
    if kind is not None:
        if kind in NAMESPACED:
            ns, _, name = rest.rpartition("/")
            key: tuple[str | None, str] = (ns or "default", name)
        else:
            key = (None, rest)
        found = [e for e in entries if e.kind == kind and (e.namespace, e.name) == key]
        if found:
            return _one(text, found)
        _unmodelled(cluster, kind, key[0], key[1])
        same = [e.id for e in entries if e.kind == kind]  # close names of that kind first
        raise QueryError(f"no {kind} {rest!r} in the snapshot{_hint(rest, same or names)}")
    if slash:
        _unmodelled(cluster, None, head, rest)
        raise QueryError(f"no NetworkPolicy {text!r} in the snapshot{_hint(text, names)}")
    found = [e for e in entries if e.name == text and e.namespace in (None, "default")]
    if found:
        return _one(text, found)
    _unmodelled(cluster, None, "default", text)
    raise QueryError(
        f"no NetworkPolicy 'default/{text}' and no cluster-scoped policy "
        f"{text!r} in the snapshot{_hint(text, names)}"
    )


def _unmodelled(cluster: Reach, kind: str | None, namespace: str | None, name: str) -> None:
    """Refuse, saying why, a name that is an object netreach read but does not model (a
    Cilium policy made only of nodeSelector rules, another CNI's policy kind)."""
    found = [
        u
        for u in cluster.compiled.snapshot.unmodelled
        if u.name == name
        and (kind is None or u.kind == kind)
        and (namespace is None or u.namespace in (namespace, None))
    ]
    if not found:
        return
    parts = []
    for u in found:
        where = f" at {u.location}" if u.location else ""
        why = f"{u.what}, " if u.what else ""
        parts.append(f"{u.id}{where}: {why}which netreach does not model")
    raise QueryError(
        "; ".join(dict.fromkeys(parts)) + " (verdicts it could change say so: see `check`)"
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


PolicyDescription = PolicyReading | AdminPolicyReading | CalicoPolicyReading | CiliumPolicyReading


def describe_policy(cluster: Reach, ref: str) -> PolicyDescription:
    """What one policy does, in words: a NetworkPolicy (the pods it selects, isolation, each
    rule), an admin-tier policy (tier, priority, subject, each rule with its action), a Calico
    policy (tier, order, types, each rule with its action) or a Cilium policy (per rule set:
    the endpoints, default deny, allow and deny rules)."""
    index, pol = find_policy(cluster, ref)
    if isinstance(pol, NetworkPolicy):
        return describe_network_policy(cluster, index)
    if isinstance(pol, CalicoPolicy):
        return describe_calico_policy(cluster, index)
    if isinstance(pol, CiliumPolicy):
        return describe_cilium_policy(cluster, index)
    return describe_admin_policy(cluster, index)
