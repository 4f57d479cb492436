"""Least-privilege policies from an intent (or observed flows), proved with the engine.

>>> import netreach
>>> from netreach.analyses.generate import parse_intent
>>> cluster = netreach.load("examples/lesson")
>>> out = cluster.generate(parse_intent("allow: [web -> api:8080]"))
>>> out.proof.exact
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from netreach.analyses.generate.existing import Existing
from netreach.analyses.generate.flows import Flows, parse_flows
from netreach.analyses.generate.groups import Group, Groups
from netreach.analyses.generate.intent import (
    Allow,
    CidrSpec,
    EndpointSpec,
    Intent,
    LabelSpec,
    NamespaceSpec,
    parse_intent,
    resolve_names,
)
from netreach.analyses.generate.proof import Difference, Expected, Proof, prove
from netreach.analyses.generate.synthesize import (
    Manifest,
    Party,
    ResolvedAllow,
    allow_policies,
    deny_all,
    dns_egress,
    dns_ingress,
    unique_name,
)
from netreach.analyses.posture import DNS_CONNS, DNS_NAMESPACE, DNS_SELECTOR
from netreach.errors import InputError, NetreachError, QueryError
from netreach.loader import Source, load_sources
from netreach.manifest import to_yaml_all
from netreach.model import LabelSelector, NetworkPolicy
from netreach.query.reach import Reach

Style = Literal["per-workload", "per-namespace"]

__all__ = [
    "Allow",
    "Difference",
    "Flows",
    "GeneratedPolicies",
    "Intent",
    "Proof",
    "Style",
    "generate",
    "parse_flows",
    "parse_intent",
]


@dataclass(frozen=True)
class GeneratedPolicies:
    """The manifests, the same policies as netreach read them back, and the proof."""

    manifests: tuple[Manifest, ...]
    policies: tuple[NetworkPolicy, ...]
    proof: Proof
    notes: tuple[str, ...] = ()

    def yaml(self, namespace: str | None = None) -> str:
        """Multi-document YAML for `kubectl apply -f`, optionally one namespace only."""
        docs = [m for m in self.manifests if namespace in (None, m["metadata"]["namespace"])]
        return dump_yaml(docs)

    @property
    def namespaces(self) -> list[str]:
        return sorted({m["metadata"]["namespace"] for m in self.manifests})


def generate(
    cluster: Reach,
    intent: Intent | Flows,
    *,
    dns: bool = True,
    style: Style = "per-workload",
    existing: bool = False,
    namespaces: Sequence[str] | None = None,
) -> GeneratedPolicies:
    """Policies that allow the intent and nothing else, and the engine's proof of it.

    `namespaces`: the namespaces to isolate (deny-all) and prove; by default those whose
    pods the intent names. Namespaces outside stay open, so the DNS and API-server traffic of
    system namespaces is not cut unless asked for.
    `existing`: keep the snapshot's policies and add only what they do not already open.
    Without it the generated set replaces them (the proof ignores the current policies).
    """
    if style not in ("per-workload", "per-namespace"):
        raise NetreachError(f"unknown style {style!r} (expected per-workload or per-namespace)")
    notes = intent.notes if isinstance(intent, Flows) else ()
    allows = intent.intent.allows if isinstance(intent, Flows) else intent.allows
    groups = Groups(cluster)
    resolved, expected, indistinct = _resolve(groups, allows, style)
    notes += tuple(
        f"{a.origin or a}: {side} selects no pod of the snapshot"
        for a in allows
        for side in (a.src, a.dst)
        if not isinstance(side, CidrSpec) and not groups.group(side).pods
    )
    scope = sorted(set(namespaces) if namespaces is not None else _named(groups, allows))
    for ns in scope:
        if ns not in cluster.namespaces:
            raise QueryError(f"no namespace {ns!r} in the snapshot")
    notes += tuple(
        f"{p.id}: host-network pod: NetworkPolicy does not apply to it, its side is not proved"
        for ns in scope
        for p in groups.pods_in(ns)
        if p.host_network
    )
    current = Existing(cluster) if existing else None
    manifests = _baseline(groups, scope, dns, expected, current)
    manifests += allow_policies(resolved, scope, current.covered if current else None)
    manifests.sort(key=_order)
    if existing:
        # A kept policy of the same name (an earlier run's) would be replaced on apply.
        taken = {(p.namespace, p.name) for p in cluster.policies}
        for m in manifests:
            meta = m["metadata"]
            meta["name"] = unique_name(meta["name"], meta["namespace"], taken)

    generated = _read_back(manifests)
    kept = list(cluster.policies) if existing else []
    snapshot = dataclasses.replace(cluster.snapshot, policies=kept + list(generated))
    after = type(cluster).from_snapshot(snapshot, cluster.options)
    proof = prove(after, expected, set(scope), indistinct)
    return GeneratedPolicies(tuple(manifests), generated, proof, notes)


def _resolve(
    groups: Groups, allows: Iterable[Allow], style: Style
) -> tuple[list[ResolvedAllow], Expected, dict[str, list[str]]]:
    """The allows between groups of pods, the intent at pod level, and for each pod the
    groups whose selector picks it though it is not theirs."""
    expected = Expected()
    resolved: list[ResolvedAllow] = []
    indistinct: dict[str, list[str]] = {}
    for a in allows:
        src, dst = _side(groups, a.src), _side(groups, a.dst)
        _expect(expected, src, dst, a)
        for g in (src, dst):
            if isinstance(g, Group):
                for p in g.also_selected:
                    if g.key not in indistinct.setdefault(p.id, []):
                        indistinct[p.id].append(g.key)
        if style == "per-namespace":
            resolved += [
                ResolvedAllow(s, d, a.conns, a.names)
                for s in _widen(groups, src)
                for d in _widen(groups, dst)
            ]
        else:
            resolved.append(ResolvedAllow(src, dst, a.conns, a.names))
    return resolved, expected, indistinct


def _baseline(
    groups: Groups, scope: list[str], dns: bool, expected: Expected, current: Existing | None
) -> list[Manifest]:
    """Deny-all and the DNS exception for each namespace in scope (merge mode: if missing)."""
    dns_group = Group(
        f"{DNS_NAMESPACE}/{DNS_SELECTOR}",
        "dns",
        DNS_NAMESPACE,
        DNS_SELECTOR,
        tuple(p for p in groups.pods_in(DNS_NAMESPACE) if DNS_SELECTOR.matches(p.labels)),
    )
    out: list[Manifest] = []
    for ns in scope:
        if current is None or not current.isolated(groups.pods_in(ns)):
            out.append(deny_all(ns))
        everyone = groups.group(NamespaceSpec(ns))
        if dns and (
            current is None or not current.covered("egress", everyone, dns_group, DNS_CONNS)
        ):
            out.append(dns_egress(ns, dns_group, DNS_CONNS))
    if dns:
        all_pods = groups.group(LabelSpec(None, LabelSelector()))
        # Host-network pods are neither selected nor matched by pod peers: not part of it.
        clients = [p for p in all_pods.pods if not p.host_network]
        expected.add_pairs(clients, dns_group.pods, DNS_CONNS)
        if DNS_NAMESPACE in scope and (
            current is None or not current.covered("ingress", dns_group, all_pods, DNS_CONNS)
        ):
            out.append(dns_ingress(dns_group, DNS_CONNS))
    return out


def _named(groups: Groups, allows: Iterable[Allow]) -> set[str]:
    """The namespaces of the pods an intent names."""
    out: set[str] = set()
    for a in allows:
        for spec in (a.src, a.dst):
            side = _side(groups, spec)
            if isinstance(side, Group):
                out.update([side.namespace] if side.namespace else side.namespaces)
    return out


def _side(groups: Groups, spec: EndpointSpec) -> Party:
    return spec if isinstance(spec, CidrSpec) else groups.group(spec)


def _widen(groups: Groups, side: Party) -> list[Party]:
    """per-namespace style: a group becomes every pod of its namespaces."""
    if isinstance(side, CidrSpec):
        return [side]
    names = [side.namespace] if side.namespace is not None else side.namespaces
    return [groups.group(NamespaceSpec(n)) for n in names]


def _expect(expected: Expected, src: Party, dst: Party, a: Allow) -> None:
    if isinstance(dst, Group) and dst.pods:  # (a group with no pods has nothing to resolve)
        for name, proto in sorted(a.names):
            if not any(resolve_names(frozenset([(name, proto)]), d) for d in dst.pods):
                raise QueryError(
                    f"{a.origin or a}: no pod of {dst.key} has a container port named "
                    f"{name!r} with protocol {proto}"
                )
    if isinstance(src, Group) and isinstance(dst, Group):
        expected.add_pairs(src.pods, dst.pods, a.conns, a.names)
    elif isinstance(src, Group) and isinstance(dst, CidrSpec):
        expected.add_range(src.pods, dst.cidr, a.conns, egress=True)
    elif isinstance(src, CidrSpec) and isinstance(dst, Group):
        for d in dst.pods:
            on_d = a.conns | resolve_names(a.names, d)
            expected.add_range([d], src.cidr, on_d, egress=False)
    else:
        raise NetreachError(f"{a.origin or a}: at least one side must be pods of the snapshot")


_RANK = {"netreach-default-deny": 0, "netreach-allow-dns": 1, "netreach-dns-ingress": 2}


def _order(m: Manifest) -> tuple[str, int, str]:
    meta = m["metadata"]
    return meta["namespace"], _RANK.get(meta["name"], 3), meta["name"]


def dump_yaml(manifests: Sequence[Manifest]) -> str:
    """Multi-document YAML in the manifests' own key order."""
    return to_yaml_all(manifests)


def _read_back(manifests: list[Manifest]) -> tuple[NetworkPolicy, ...]:
    """The generated YAML through netreach's own validation: what the proof is about."""
    text = dump_yaml(manifests)
    try:
        snapshot = load_sources([Source("generated.yaml", text.encode())], strict=True)
    except InputError as exc:  # a bug in the generator, not in the user's input
        raise NetreachError(
            f"generated policies failed validation (a netreach bug):\n{exc}"
        ) from exc
    return tuple(snapshot.policies)
