"""Caveats: why an answer may be incomplete, attached to the verdicts they concern.

netreach answers exactly for what it models. Two things in the input can change an answer
without netreach knowing how: network-policy objects of kinds it does not model (Cilium,
Calico, Antrea, OVN-Kubernetes, Istio..., `load/unmodelled.py`) and, with `--lenient`,
unknown fields it dropped. A connection `src -> dst` is changed only by what applies to the
source's egress or the destination's ingress, so a namespaced object concerns verdicts with
a pod of its namespace on either side; a cluster-wide one concerns every verdict.
"""

from __future__ import annotations

from netreach.model import DroppedField, Pod, Snapshot, Unmodelled

Endpoint = Pod | str


def _namespaces(src: Endpoint, dst: Endpoint) -> set[str]:
    return {ep.namespace for ep in (src, dst) if isinstance(ep, Pod)}


def unmodelled_caveat(u: Unmodelled) -> str:
    where = f" ({u.location})" if u.location is not None else ""
    if u.layer == "L7":
        return (
            f"{u.id}{where} is not modelled: it acts at L7 on top of this L3/L4 answer and "
            "may refuse what is allowed here (the answer may be incomplete)"
        )
    return (
        f"{u.id}{where} is a network policy netreach does not model: it may change this "
        "answer (the answer may be incomplete)"
    )


def dropped_caveat(d: DroppedField) -> str:
    where = f" ({d.location})" if d.location is not None else ""
    return (
        f'{d.object_ref}: the unknown field "{d.field}"{where} was dropped (--lenient); had it '
        "been meant, it may change this answer"
    )


def verdict_caveats(
    snapshot: Snapshot, src: Endpoint, dst: Endpoint, allowed: bool
) -> tuple[str, ...]:
    """What in the input may change the verdict of `src -> dst`, one sentence each."""
    if not snapshot.unmodelled and not snapshot.dropped:
        return ()
    namespaces = _namespaces(src, dst)
    out: list[str] = []
    for u in snapshot.unmodelled:
        if u.layer == "L7" and not allowed:
            continue  # a mesh policy can only refuse more
        if u.namespace is None or u.namespace in namespaces:
            out.append(unmodelled_caveat(u))
    for d in snapshot.dropped:
        if d.scope is None or d.scope in namespaces or _peer_namespace_object(d):
            out.append(dropped_caveat(d))
    return tuple(out)


def _peer_namespace_object(d: DroppedField) -> bool:
    # A Namespace's labels decide which namespaceSelectors match its pods, anywhere.
    return d.kind == "Namespace"


def snapshot_caveats(snapshot: Snapshot) -> list[str]:
    """Everything that may make this snapshot's answers incomplete (for analyze, report)."""
    out = [unmodelled_caveat(u) for u in snapshot.unmodelled]
    out += [dropped_caveat(d) for d in snapshot.dropped]
    return out
