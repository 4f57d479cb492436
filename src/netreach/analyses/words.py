"""Kubernetes objects in words: how the API reads selectors, peers of every tier, ports and
address ranges, said as sentences (describe, exposure and the audit share them)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from netreach.engine import ipset
from netreach.engine.intervals import Ranges, intersect
from netreach.model import (
    PROTOCOLS,
    V_NAMESPACE,
    V_NS_LABEL,
    AdminAction,
    AdminPeer,
    CalicoEntity,
    CalicoSelector,
    IPBlock,
    LabelSelector,
    Peer,
    PolicyPort,
    Requirement,
    virtual_key_text,
)


def _requirement_words(r: Requirement) -> str:
    if r.operator == "In":
        return f"{r.key} in ({', '.join(r.values)})"
    if r.operator == "NotIn":
        return f"{r.key} not in ({', '.join(r.values)}) or without {r.key}"
    if r.operator == "Exists":
        return f"with label {r.key}"
    return f"without label {r.key}"


def selector_words(sel: LabelSelector) -> str:
    """`labelled app=api and tier in (a, b)`; empty for the empty selector (everything)."""
    parts = [f"{k}={v}" for k, v in sel.match_labels]
    parts += [_requirement_words(r) for r in sel.match_expressions]
    return "labelled " + " and ".join(parts) if parts else ""


NAME_LABEL = "kubernetes.io/metadata.name"  # set by the API server to the namespace's name


def named_namespaces(sel: LabelSelector) -> tuple[str, ...] | None:
    """The namespaces a selector names outright (by the name label alone), else None."""
    if len(sel.match_labels) + len(sel.match_expressions) != 1:
        return None
    if sel.match_labels and sel.match_labels[0][0] == NAME_LABEL:
        return (sel.match_labels[0][1],)
    if sel.match_expressions:
        r = sel.match_expressions[0]
        if r.key == NAME_LABEL and r.operator == "In":
            return tuple(r.values)
    return None


def namespace_words(sel: LabelSelector) -> str:
    named = named_namespaces(sel)
    if named is not None:
        return ("namespace " if len(named) == 1 else "namespaces ") + ", ".join(named)
    return f"namespaces {selector_words(sel)}"


def block_words(block: IPBlock) -> str:
    whole = block.cidr in ("0.0.0.0/0", "::/0")
    text = f"every address ({block.cidr}: the whole internet)" if whole else block.cidr
    if block.except_:
        text += f" except {', '.join(block.except_)}"
    return text


def peer_words(peer: Peer, policy_namespace: str) -> str:
    """How Kubernetes reads one `from[]`/`to[]` entry, in a sentence."""
    if peer.ip_block is not None:
        return f"addresses in {block_words(peer.ip_block)}"
    pods = selector_words(peer.pod_selector) if peer.pod_selector is not None else ""
    pod_part = f"pods {pods}" if pods else "every pod"
    if peer.namespace_selector is None:
        return f"{pod_part} in namespace {policy_namespace} (the policy's own)"
    if peer.namespace_selector.is_empty:
        return f"{pod_part} in every namespace, including namespaces created later"
    nss = namespace_words(peer.namespace_selector)
    if pods:
        return f"{pod_part} in {nss}: both conditions"
    return f"{pod_part} in {nss}"


def port_words(p: PolicyPort) -> str:
    if p.port is None:
        return f"every {p.protocol} port"
    if isinstance(p.port, str):
        return f"{p.protocol} port named {p.port}"
    if p.end_port is not None:
        return f"{p.protocol} {p.port}-{p.end_port}"
    return f"{p.protocol} {p.port}"


def ports_words(ports: tuple[PolicyPort, ...]) -> str:
    return ", ".join(port_words(p) for p in ports) if ports else "every port and protocol"


def admin_peer_words(peer: AdminPeer, pod_ips: bool = True) -> str:
    """How network-policy-api reads one admin `from[]`/`to[]` entry (`pod_ips`: whether a
    `networks` peer also matches the pod IPs inside it, `--ipblock-matches-pods`)."""
    if peer.namespaces is not None:
        if peer.namespaces.is_empty:
            return "every pod in every namespace, including namespaces created later"
        return f"every pod in {namespace_words(peer.namespaces)}"
    if peer.pods is not None:
        ns_sel, pod_sel = peer.pods
        pods = selector_words(pod_sel)
        pod_part = f"pods {pods}" if pods else "every pod"
        if ns_sel.is_empty:
            return f"{pod_part} in every namespace, including namespaces created later"
        both = ": both conditions" if pods else ""
        return f"{pod_part} in {namespace_words(ns_sel)}{both}"
    if peer.networks:
        blocks = ", ".join(block_words(IPBlock(n)) for n in peer.networks)
        inside = " (pod IPs inside too)" if pod_ips else " (outside the cluster only)"
        return f"addresses in {blocks}{inside}"
    if peer.nodes is not None:
        nodes = selector_words(peer.nodes)
        return f"the addresses of nodes {nodes}" if nodes else "the addresses of every node"
    return f"{peer.unsupported} (not supported by netreach: matches nothing)"


def admin_ports_words(ports: tuple[PolicyPort, ...] | None) -> str:
    """An admin rule's ports; a named port (any protocol: the loader gives one entry per
    protocol) reads once."""
    if ports is None:
        return "every port and protocol"
    names = {p.port for p in ports if isinstance(p.port, str)}
    whole = {n for n in names if {p.protocol for p in ports if p.port == n} == set(PROTOCOLS)}
    out: list[str] = []
    for p in ports:
        if isinstance(p.port, str) and p.port in whole:
            text = f"port named {p.port} (any protocol)"
            if text not in out:
                out.append(text)
            continue
        out.append(port_words(p))
    return ", ".join(out) if out else "every port and protocol"


ACTION_WORDS: dict[AdminAction, str] = {"Allow": "allows", "Deny": "denies", "Pass": "passes on"}


def admin_rule_words(
    direction: str, action: AdminAction, peers: list[str], ports: str, after: str
) -> str:
    """`denies connections from every pod in namespace x, on TCP 5432`; `after` names where a
    Pass hands the connection (the next tier)."""
    key = "from" if direction == "ingress" else "to"
    if not peers:
        who = "nothing (no peer)"
    elif len(peers) == 1:
        who = peers[0]
    else:
        who = "any of: " + "; ".join(f"({i + 1}) {w}" for i, w in enumerate(peers))
    verb = ACTION_WORDS[action]
    if action == "Pass":
        verb = f"passes on to {after}"
    return f"{verb} connections {key} {who}, on {ports}"


def _family_words(ranges: Ranges, lo: int, hi: int, everything: str) -> str:
    """Ranges inside one address family [lo, hi]: the whole family, the family except a few
    ranges, or the ranges (CIDR blocks where a range is one)."""
    if ranges == ((lo, hi),):
        return everything
    hole = ipset.subtract(((lo, hi),), ranges)
    if len(hole) < len(ranges) and len(hole) <= 3:
        return f"{everything} except {', '.join(_range_words(a, b) for a, b in hole)}"
    return ", ".join(_range_words(a, b) for a, b in ranges)


def _range_words(lo: int, hi: int) -> str:
    first = ipaddress.ip_address(ipset.key_address(lo))
    last = ipaddress.ip_address(ipset.key_address(hi))
    blocks = list(ipaddress.summarize_address_range(first, last))
    return str(blocks[0]) if len(blocks) == 1 else ipset.range_text(lo, hi)


def ranges_words(ranges: Ranges) -> str:
    """Address ranges in words: `every address (0.0.0.0/0, ::/0)`, `0.0.0.0/0 except
    10.0.0.0/8`, `10.0.0.0/8, 192.168.1.0/24`."""
    v4_lo, v4_hi = ipset.V4_ALL[0]
    v6_lo, v6_hi = ipset.V6_ALL[0]
    v4 = intersect(ranges, ipset.V4_ALL)
    v6 = intersect(ranges, ipset.V6_ALL)
    if v4 == ipset.V4_ALL and v6 == ipset.V6_ALL:
        return "every address (0.0.0.0/0, ::/0)"
    parts = []
    if v4:
        parts.append(_family_words(v4, v4_lo, v4_hi, "0.0.0.0/0"))
    if v6:
        parts.append(_family_words(v6, v6_lo, v6_hi, "::/0"))
    return "; ".join(parts) if parts else "no address"


def addresses_words(ranges: Ranges) -> str:
    """`every address (0.0.0.0/0, ::/0)`, or `addresses in 10.0.0.0/8`."""
    text = ranges_words(ranges)
    return text if text.startswith("every address") else f"addresses in {text}"


# --- Calico and Cilium peers -----------------------------------------------------------------
# Their selectors read virtual labels (model.V_*: a pod's namespace, its namespace's labels,
# its service account); words show them as `<namespace>`, `<namespace label team>`...

_VIRTUAL = re.compile(r"\x00[\w./:-]*")


def calico_selector_words(sel: CalicoSelector) -> str:
    """A Calico selector expression as written, virtual keys in words."""
    return _VIRTUAL.sub(lambda m: virtual_key_text(m.group(0)), str(sel))


def _renamed(sel: LabelSelector, rename: Callable[[str], str]) -> LabelSelector:
    return LabelSelector(
        tuple((rename(k), v) for k, v in sel.match_labels),
        tuple(Requirement(rename(r.key), r.operator, r.values) for r in sel.match_expressions),
    )


def _keyed(sel: LabelSelector, keep: Callable[[str], bool]) -> LabelSelector:
    return LabelSelector(
        tuple((k, v) for k, v in sel.match_labels if keep(k)),
        tuple(r for r in sel.match_expressions if keep(r.key)),
    )


def cilium_endpoint_words(sel: LabelSelector) -> str:
    """A Cilium endpoint selector (namespace scoping already applied by the loader): `pods
    labelled app=web in namespace shop`, `every pod in namespaces labelled team=ops`."""
    pods = selector_words(
        _renamed(
            _keyed(sel, lambda k: k != V_NAMESPACE and not k.startswith(V_NS_LABEL)),
            virtual_key_text,
        )
    )
    pod_part = f"pods {pods}" if pods else "every pod"
    places: list[str] = []
    for k, v in sel.match_labels:
        if k == V_NAMESPACE:
            places.append(f"namespace {v}")
    for r in sel.match_expressions:
        if r.key != V_NAMESPACE:
            continue
        if r.operator == "In":
            places.append(
                ("namespace " if len(r.values) == 1 else "namespaces ") + ", ".join(r.values)
            )
        elif r.operator == "NotIn":
            places.append(f"every namespace except {', '.join(r.values)}")
        elif r.operator == "Exists":
            places.append("every namespace")
        else:
            places.append("no namespace (matches no pod)")
    ns_labels = selector_words(
        _renamed(_keyed(sel, lambda k: k.startswith(V_NS_LABEL)), lambda k: k[len(V_NS_LABEL) :])
    )
    if ns_labels:
        places.append(f"namespaces {ns_labels}")
    where = " and ".join(places) if places else "every namespace"
    return f"{pod_part} in {where}"


ENTITY_WORDS: dict[str, str] = {
    "all": "everyone (entity all: every pod, node and address)",
    "cluster": "every pod and node of the cluster (entity cluster)",
    "world": "every address outside the cluster (entity world: not a pod, not a node)",
    "world-ipv4": "every IPv4 address outside the cluster (entity world-ipv4)",
    "world-ipv6": "every IPv6 address outside the cluster (entity world-ipv6)",
    "none": "no one (entity none)",
}


def cilium_entity_words(name: str) -> str:
    known = ENTITY_WORDS.get(name)
    if known is not None:
        return known
    return (
        f"entity {name} (not modelled: it matches nothing here, and verdicts it could "
        "change say so)"
    )


def calico_entity_words(entity: CalicoEntity, policy_namespace: str | None) -> str:
    """How Calico reads a rule's source or destination (libcalico-go rules.go): the selector
    (pods and network sets) within the policy's namespace for a namespaced policy unless
    namespaceSelector says where, notSelector anywhere, nets / notNets on addresses."""
    if entity.is_empty:
        return "anyone (every endpoint and address)"
    parts: list[str] = []
    if entity.uses_selectors:
        sel = entity.selector
        who = (
            f"endpoints (pods and network sets) where {calico_selector_words(sel)}"
            if sel is not None and not sel.is_empty
            else "every endpoint (pods and network sets)"
        )
        ns_sel = entity.namespace_selector
        if ns_sel is not None and ns_sel.is_global:
            where = "outside every namespace (global(): GlobalNetworkSets, never a pod)"
        elif ns_sel is not None:
            where = (
                "in every namespace"
                if ns_sel.is_empty
                else f"in namespaces where {calico_selector_words(ns_sel)}"
            )
        elif policy_namespace is not None:
            where = f"in namespace {policy_namespace} (the policy's own)"
        else:
            where = "in every namespace"
        parts.append(f"{who} {where}")
        if entity.not_selector is not None:
            parts.append(
                f"except endpoints where {calico_selector_words(entity.not_selector)} (anywhere)"
            )
    if entity.nets:
        lead = "with an address in" if parts else "addresses in"
        parts.append(f"{lead} {', '.join(entity.nets)} (pod addresses too)")
    if entity.not_nets:
        lead = "except addresses in" if parts else "every address except"
        parts.append(f"{lead} {', '.join(entity.not_nets)}")
    return ", ".join(parts)


def cni_peer_words(peer: object, policy_namespace: str | None) -> str:
    """One peer of a compiled Calico or Cilium rule: a Calico entity, a Cilium endpoint
    selector, CIDR block or entity name."""
    if isinstance(peer, CalicoEntity):
        return calico_entity_words(peer, policy_namespace)
    if isinstance(peer, LabelSelector):
        return cilium_endpoint_words(peer)
    if isinstance(peer, IPBlock):
        return f"addresses in {block_words(peer)} (outside the cluster only: never a pod)"
    if isinstance(peer, str):
        return cilium_entity_words(peer)
    return str(peer)
