"""Caveats: why an answer may be incomplete, attached to the verdicts they concern.

netreach answers exactly for what it models. Two things in the input can change an answer
without netreach knowing how: network-policy objects of kinds it does not model (Cilium,
Calico, Antrea, OVN-Kubernetes, Istio..., `loader/unmodelled.py`) and, with `--lenient`,
unknown fields it dropped. A connection `src -> dst` is changed only by what applies to the
source's egress or the destination's ingress, so a namespaced object concerns verdicts with
a pod of its namespace on either side; a cluster-wide one concerns every verdict.

Calico and Cilium policies are modelled, but some of their parts are not (Cilium L7 rules,
toFQDNs, toServices, toGroups, host and remote-node entities; Calico HTTP matches, Service
matches, source ports; host-endpoint policies): the loaders keep them as notes on the rule
(`model.NotModelled`) or as `Unmodelled` objects with `reach` "host". A note concerns the
verdicts where its rule applies to the pod on that side (the compiled rule's targets), for
the kind of peer it says; a "matched" note (an L7 match can only refuse more of what its
rule's L3/L4 part admits) only allowed verdicts whose peer the rule admits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netreach.model import DroppedField, NotModelled, Pod, Snapshot, Unmodelled

if TYPE_CHECKING:
    from netreach.engine.compile import Compiled
    from netreach.engine.rules import AnyRule

Endpoint = Pod | str


def _namespaces(src: Endpoint, dst: Endpoint) -> set[str]:
    return {ep.namespace for ep in (src, dst) if isinstance(ep, Pod)}


def unmodelled_caveat(u: Unmodelled) -> str:
    where = f" ({u.location})" if u.location is not None else ""
    if u.what:
        return (
            f"not modelled: {u.what} of {u.id}{where}: it may change this answer "
            "(the answer may be incomplete)"
        )
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


def note_caveat(what: str, rule_label: str, location: str) -> str:
    where = f" ({location})" if location else ""
    return (
        f"not modelled: {what} in {rule_label}{where}: it may change this answer "
        "(the answer may be incomplete)"
    )


def _hosty(ep: Endpoint) -> bool:
    """An address outside the cluster or a host-network pod (a node's address)."""
    return not isinstance(ep, Pod) or ep.host_network


def _peer_fits(note: NotModelled, peer: Endpoint) -> bool:
    if note.peers == "external":
        return not isinstance(peer, Pod)
    if note.peers == "node":
        return _hosty(peer)
    if note.peers == "pods":
        return isinstance(peer, Pod)
    return True


def _note_caveats(compiled: Compiled, src: Endpoint, dst: Endpoint, allowed: bool) -> list[str]:
    from netreach.engine.verdict import peer_keys

    out: list[str] = []
    noted: list[AnyRule] = [r for r in compiled.rules if r.notes]
    if not noted:
        return out
    for direction, pod, peer in (("egress", src, dst), ("ingress", dst, src)):
        if not isinstance(pod, Pod) or compiled.exempt(pod):
            continue
        bit = 1 << compiled.class_of[pod.id]
        peer_class, peer_key = peer_keys(compiled, peer)
        for rule in noted:
            if rule.direction != direction or not compiled.rule_targets(rule) & bit:
                continue
            for note in rule.notes:
                if not _peer_fits(note, peer):
                    continue
                inert = bool(getattr(rule.rule, "inert", False))
                if note.when == "admits" and not rule.admits(peer_class, peer_key)[0]:
                    continue
                if (
                    note.when == "matched"
                    and not inert
                    and (not allowed or not rule.admits(peer_class, peer_key)[0])
                ):
                    continue
                out.append(note_caveat(note.what, rule.label, rule.location))
    return list(dict.fromkeys(out))


def verdict_caveats(
    snapshot: Snapshot,
    src: Endpoint,
    dst: Endpoint,
    allowed: bool,
    compiled: Compiled | None = None,
) -> tuple[str, ...]:
    """What in the input may change the verdict of `src -> dst`, one sentence each. With
    `compiled`, the not-modelled parts of Calico and Cilium rules too."""
    out: list[str] = []
    if compiled is not None and (snapshot.calico_policies or snapshot.cilium_policies):
        out.extend(_note_caveats(compiled, src, dst, allowed))
    if not snapshot.unmodelled and not snapshot.dropped:
        return tuple(out)
    namespaces = _namespaces(src, dst)
    for u in snapshot.unmodelled:
        if u.layer == "L7" and not allowed:
            continue  # a mesh policy can only refuse more
        if u.reach == "host" and not (_hosty(src) or _hosty(dst)):
            continue  # a host-endpoint policy: only traffic of a node's address
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
    out += cni_note_caveats(snapshot)
    return out


def cni_note_caveats(snapshot: Snapshot) -> list[str]:
    """The not-modelled parts of every Calico and Cilium rule, one sentence each."""
    out: list[str] = []
    for cal in snapshot.calico_policies:
        for key in ("ingress", "egress"):
            for i, r in enumerate(cal.ingress if key == "ingress" else cal.egress):
                loc = str(cal.location.at("spec", key, i)) if cal.location else ""
                out += [note_caveat(n.what, f"{cal.id} {key}[{i}]", loc) for n in r.notes]
    for cil in snapshot.cilium_policies:
        for key, rules in (
            ("ingress", cil.ingress),
            ("ingressDeny", cil.ingress_deny),
            ("egress", cil.egress),
            ("egressDeny", cil.egress_deny),
        ):
            for i, cr in enumerate(rules):
                loc = str(cil.location.at(*cil.path, key, i)) if cil.location else ""
                out += [note_caveat(n.what, f"{cil.id} {key}[{i}]", loc) for n in cr.notes]
    return list(dict.fromkeys(out))
