"""One snapshot made ready for the lab: the dataplane's own reading of the manifests, lab
addresses, endpoints, Services, and what the input holds that the lab does not model.

The loader's snapshot decides which objects exist (it validates them) and where the pods run
(host network, addresses); the decoder's reading decides what every policy, Service,
namespace and pod label says. Where the two readings differ on the facts both must share, a
"reading difference" is reported; every other difference shows up in the probes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, TypeVar

from netreach.dataplane import emit
from netreach.dataplane.addresses import Addressing, assign, parse_address
from netreach.dataplane.decode import decode
from netreach.dataplane.nft import RulesetInput, render
from netreach.dataplane.objects import Manifests, PodInfo
from netreach.dataplane.resolve import Direction, Endpoint, ResolvedRule, Resolver
from netreach.dataplane.resolve_cni import CniResolver, Stage
from netreach.dataplane.services import LabService, lab_services
from netreach.errors import NetreachError
from netreach.model import CalicoRule, CiliumRule, Options, Pod, Snapshot

# Kinds the loader skips that change what traffic is allowed or where it goes.
_TRAFFIC_KINDS = re.compile(r"Policy|Endpoint|Ingress|Gateway|Route|Mesh", re.IGNORECASE)


@dataclass(frozen=True)
class Resolved:
    rules: list[ResolvedRule]  # NetworkPolicy rules
    admin: list[ResolvedRule]  # Admin and Baseline rules in evaluation order
    isolated: dict[Direction, list[Endpoint]]
    # with Calico's or Cilium's policies: every tier's rules as stages, per direction
    stages: dict[Direction, list[Stage]] | None = None

    @property
    def all_rules(self) -> list[ResolvedRule]:
        if self.stages is not None:
            return [r for d in ("egress", "ingress") for s in self.stages[d] for r in s.rules]
        return [*self.rules, *self.admin]


@dataclass
class Scenario:
    snapshot: Snapshot  # the loader's reading, as given
    engine_snapshot: Snapshot  # the same with every pod at its lab addresses
    manifests: Manifests  # the decoder's reading, limited to the objects the loader accepted
    addressing: Addressing
    endpoints: list[Endpoint]
    services: list[LabService]
    options: Options
    second_reading: bool
    notes: list[str] = field(default_factory=list)  # how the lab ran this snapshot
    unmodelled: list[str] = field(default_factory=list)  # what the input holds the lab lacks
    differences: list[str] = field(default_factory=list)  # the two readings disagree
    # whose policies the ruleset compiles ("both": Calico's tiers with Cilium's rules)
    cni: Literal["calico", "cilium", "both"] | None = None

    @cached_property
    def resolved(self) -> Resolved:
        """The dataplane's reading resolved against the lab's pods (computed once)."""
        resolver = Resolver(self.manifests, self.endpoints, self.options.ipblock_matches_pods)
        stages: dict[Direction, list[Stage]] | None = None
        if self.cni in ("calico", "both"):
            cni = CniResolver(resolver)
            both = self.cni == "both"
            stages = {d: cni.calico_stages(d, cilium=both) for d in ("egress", "ingress")}
        elif self.cni == "cilium":
            cni = CniResolver(resolver)
            stages = {d: cni.cilium_stages(d) for d in ("egress", "ingress")}
        return Resolved(
            rules=resolver.network_policy_rules(),
            admin=resolver.admin_rules(),
            isolated={d: resolver.isolated(d) for d in ("ingress", "egress")},
            stages=stages,
        )

    def ruleset(self, enforce: bool = True) -> str:
        """The node's nft script; with `enforce` False the Services alone (nothing is
        filtered: the lab's check of itself)."""
        resolved = self.resolved if enforce else Resolved([], [], {})
        spec = RulesetInput(
            endpoints=self.endpoints,
            rules=resolved.rules,
            admin=resolved.admin,
            isolated=resolved.isolated,
            services=self.services,
            self_allowed=self.options.self_traffic == "allowed",
            policies=len(self.manifests.policies),
            admin_policies=len(self.manifests.admin),
            stages=resolved.stages if enforce else None,
            cni_policies=len(self.manifests.calico) + len(self.manifests.cilium),
        )
        return render(spec, enforce=enforce)


def prepare(
    snapshot: Snapshot,
    *,
    sources: Iterable[tuple[str, bytes]] | None = None,
    options: Options | None = None,
    default_namespace: str = "default",
) -> Scenario:
    """Read `sources` (the manifests `snapshot` was loaded from; without them, the snapshot
    written back as objects) and lay the lab out."""
    options = options or Options()
    if options.host_network != "exempt":
        raise NetreachError(
            "the dataplane lab models host-network pods as the node (host_network='exempt') only"
        )
    second = sources is not None
    decoded = decode(
        sources if sources is not None else emit.manifests(snapshot), default_namespace
    )
    manifests, differences, notes = _limit_to_loaded(decoded, snapshot)
    if not second:
        notes.insert(
            0,
            "no manifests were given: the dataplane read the snapshot written back as objects, "
            "so a loader bug cannot show here",
        )
    addressing = assign(snapshot, _named_cidrs(snapshot, manifests))
    notes += addressing.notes
    by_id = {p.id: p for p in addressing.pods}
    endpoints = []
    for pod in snapshot.pods:
        info = _decoded_pod(manifests, pod)
        if info is None:
            differences.append(f"pod {pod.id}: the dataplane decoder did not find it")
            info = PodInfo({}, (), pod.host_network)
        else:
            differences += _topology_differences(pod, info)
        endpoint = Endpoint(by_id[pod.id], dict(info.labels), info.ports, info.service_account)
        endpoints.append(endpoint)
    used = {a for p in addressing.pods for a in p.addresses} | set(addressing.gateways.values())
    services, svc_notes = lab_services(
        list(manifests.services.values()), endpoints, addressing.families, used
    )
    unmodelled = svc_notes + _unmodelled(snapshot, manifests)
    engine_snapshot = addressing.engine_snapshot(snapshot)
    cni: Literal["calico", "cilium", "both"] | None = None
    if snapshot.calico_policies and snapshot.cilium_policies:
        # (one cluster runs one plugin: the lab enforces the order the engine gives both)
        cni = "both"
    elif snapshot.calico_policies:
        cni = "calico"
    elif snapshot.cilium_policies:
        cni = "cilium"
    unmodelled += _cni_unmodelled(snapshot)
    return Scenario(
        snapshot=snapshot,
        engine_snapshot=engine_snapshot,
        manifests=manifests,
        addressing=addressing,
        endpoints=endpoints,
        services=services,
        options=options,
        second_reading=second,
        notes=notes,
        unmodelled=unmodelled,
        differences=differences,
        cni=cni,
    )


def _limit_to_loaded(decoded: Manifests, snap: Snapshot) -> tuple[Manifests, list[str], list[str]]:
    """Keep the objects the loader accepted (it validates; the decoder does not). An object
    the loader has and the decoder lacks is a reading difference."""
    differences: list[str] = []
    notes = [f"dataplane decoder: {p}" for p in decoded.problems]
    out = Manifests(pods=decoded.pods, workloads=decoded.workloads, problems=decoded.problems)
    for name, ns in snap.namespaces.items():
        if ns.implied:
            continue  # not in the input: both sides give it only its name label
        if name in decoded.namespaces:
            out.namespaces[name] = decoded.namespaces[name]
        else:
            differences.append(f"Namespace {name}: the dataplane decoder did not find it")
    _keep(
        "NetworkPolicy",
        decoded.policies,
        out.policies,
        [(p.namespace, p.name) for p in snap.policies],
        differences,
    )
    _keep(
        "admin policy",
        decoded.admin,
        out.admin,
        [(p.kind, p.name) for p in snap.admin_policies],
        differences,
    )
    _keep(
        "Service",
        decoded.services,
        out.services,
        [(s.namespace, s.name) for s in snap.services],
        differences,
    )
    out.accounts = decoded.accounts  # labels only: an account not in the input has none
    _keep(
        "Calico policy",
        decoded.calico,
        out.calico,
        [(p.kind, p.namespace or "", p.name) for p in snap.calico_policies],
        differences,
    )
    _keep(
        "Cilium policy",
        decoded.cilium,
        out.cilium,
        list(dict.fromkeys((p.kind, p.namespace or "", p.name) for p in snap.cilium_policies)),
        differences,
    )
    _keep(
        "Calico network set",
        decoded.network_sets,
        out.network_sets,
        [
            ("NetworkSet" if s.namespace else "GlobalNetworkSet", s.namespace or "", s.name)
            for s in snap.network_sets
        ],
        differences,
    )
    for tier in snap.calico_tiers:
        if tier.name in decoded.tiers:
            out.tiers[tier.name] = decoded.tiers[tier.name]
        elif tier.location is not None:  # (the built-in tiers need no object)
            differences.append(f"Calico Tier {tier.name}: the dataplane decoder did not find it")
    ignored = sum(
        len(set(have) - set(keep))
        for have, keep in (
            (decoded.policies, out.policies),
            (decoded.admin, out.admin),
            (decoded.services, out.services),
            (decoded.calico, out.calico),
            (decoded.cilium, out.cilium),
            (decoded.network_sets, out.network_sets),
        )
    )
    out.nodes = {n.name: decoded.nodes[n.name] for n in snap.nodes if n.name in decoded.nodes}
    ignored += len(set(decoded.nodes) - set(out.nodes))
    if ignored:
        notes.append(
            f"{ignored} object(s) read by the dataplane decoder were left out by the loader "
            "(invalid, skipped or duplicate): neither side enforces them"
        )
    return out, differences, notes


K = TypeVar("K", bound=tuple[str, ...])
V = TypeVar("V")


def _keep(
    what: str, have: dict[K, V], keep: dict[K, V], wanted: Iterable[K], differences: list[str]
) -> None:
    for key in wanted:
        if key in have:
            keep[key] = have[key]
        else:
            differences.append(f"{what} {'/'.join(key)}: the dataplane decoder did not find it")


def _decoded_pod(manifests: Manifests, pod: Pod) -> PodInfo | None:
    if pod.from_template:
        w = pod.workload
        return manifests.workloads.get((w.namespace, w.kind, w.name))
    return manifests.pods.get((pod.namespace, pod.name))


def _topology_differences(pod: Pod, info: PodInfo) -> list[str]:
    """The lab runs each pod where the loader says; the decoder must agree on where."""
    out = []
    if info.host_network != pod.host_network:
        out.append(
            f"pod {pod.id}: hostNetwork is {pod.host_network} for the loader, "
            f"{info.host_network} for the dataplane decoder"
        )
    mine = sorted({str(a) for a in (parse_address(t) for t in info.ips) if a is not None})
    theirs = sorted({str(a) for a in (parse_address(t) for t in pod.ips) if a is not None})
    if not pod.from_template and mine != theirs:
        out.append(
            f"pod {pod.id}: IPs {', '.join(theirs) or 'none'} for the loader, "
            f"{', '.join(mine) or 'none'} for the dataplane decoder"
        )
    return out


def _named_cidrs(snapshot: Snapshot, manifests: Manifests) -> list[str]:
    """Every CIDR or address a policy or Node names, in both readings."""
    out: list[str] = []
    for pol in snapshot.policies:
        for rule in (*pol.ingress, *pol.egress):
            for peer in rule.peers:
                if peer.ip_block is not None:
                    out += [peer.ip_block.cidr, *peer.ip_block.except_]
    for admin in snapshot.admin_policies:
        for arule in (*admin.ingress, *admin.egress):
            for apeer in arule.peers:
                out += apeer.networks
    out += [a for n in snapshot.nodes for a in n.addresses]
    for policy in manifests.policies.values():
        for r in (*policy.ingress, *policy.egress):
            for p in r.peers:
                if p.cidr is not None:
                    out += [p.cidr, *p.excepts]
    for ap in manifests.admin.values():
        for ar in (*ap.ingress, *ap.egress):
            for a in ar.peers:
                out += a.networks
    out += [a for n in manifests.nodes.values() for a in n.addresses]
    out += _cni_cidrs(snapshot, manifests)
    return out


def _cni_cidrs(snapshot: Snapshot, manifests: Manifests) -> list[str]:
    """The addresses Calico's and Cilium's policies and network sets name, in both readings."""
    out = [n for s in snapshot.network_sets for n in s.nets]
    out += [n for s in manifests.network_sets.values() for n in s.nets]
    for cp in snapshot.calico_policies:
        for cr in (*cp.ingress, *cp.egress):
            for ce in (cr.source, cr.destination):
                out += [*ce.nets, *ce.not_nets]
    for dp in manifests.calico.values():
        for dr in (*dp.ingress, *dp.egress):
            for de in (dr.source, dr.destination):
                out += [*de.nets, *de.not_nets]
    for kp in snapshot.cilium_policies:
        for kr in (*kp.ingress, *kp.egress, *kp.ingress_deny, *kp.egress_deny):
            out += [t for b in kr.cidrs for t in (b.cidr, *b.except_)]
    for specs in manifests.cilium.values():
        for sp in specs:
            for sr in (*sp.ingress, *sp.egress, *sp.ingress_deny, *sp.egress_deny):
                out += [t for cidr, excepts in sr.cidrs for t in (cidr, *excepts)]
    return out


def _cni_unmodelled(snapshot: Snapshot) -> list[str]:
    """What the engine marks as not modelled in Calico's and Cilium's policies: the lab
    enforces it as the engine models it (matching nothing, or the rule without the part),
    so the agreement says nothing about it."""
    counts: dict[str, int] = {}
    rules: list[CalicoRule | CiliumRule] = [
        r for p in snapshot.calico_policies for r in (*p.ingress, *p.egress)
    ]
    rules += [
        r
        for p in snapshot.cilium_policies
        for r in (*p.ingress, *p.egress, *p.ingress_deny, *p.egress_deny)
    ]
    for rule in rules:
        for note in dict.fromkeys(n.what for n in rule.notes):
            counts[note] = counts.get(note, 0) + 1
    out = [
        f"{what} ({n} rule(s)): not modelled by the engine; enforced here as the engine models "
        "it, so the probes do not check it"
        for what, n in sorted(counts.items())
    ]
    host = [p.id for p in snapshot.calico_policies if p.host_endpoint]
    host += [p.id for p in snapshot.cilium_policies if p.subject is None]
    if host:
        out.append(
            f"{len(host)} host-endpoint / node policies (preDNAT, doNotTrack, applyOnForward, "
            "nodeSelector): traffic of the nodes themselves is not probed"
        )
    return out


def _unmodelled(snapshot: Snapshot, manifests: Manifests) -> list[str]:
    """What the input holds that the lab does not model, named so nobody reads too much
    into the agreement."""
    notes: list[str] = []
    peers = [
        p for ap in manifests.admin.values() for r in (*ap.ingress, *ap.egress) for p in r.peers
    ]
    if any(p.kind == "unsupported" for p in peers):
        notes.append("admin domainNames peers match nothing (DNS is not modelled); not probed")
    if any(p.kind == "nodes" for p in peers):
        notes.append(
            "admin nodes peers: only host-network pods at a Node's address are probed, "
            "not the nodes themselves"
        )
    external = any(p.kind == "networks" for p in peers) or any(
        peer.cidr is not None
        for pol in manifests.policies.values()
        for r in (*pol.ingress, *pol.egress)
        for peer in r.peers
    )
    if external:
        notes.append(
            "ipBlocks are probed where they cover pods; traffic to and from addresses "
            "outside the cluster is compiled but not probed"
        )
    templates = sum(1 for p in snapshot.pods if p.from_template)
    if templates:
        notes.append(
            f"{templates} workload(s) without Pod objects run as one representative pod each"
        )
    for kind, locations in sorted(snapshot.skipped.items()):
        if _TRAFFIC_KINDS.search(kind):
            notes.append(f"{len(locations)} {kind} object(s): neither predicted nor enforced")
    return notes


def scope_endpoints(endpoints: Sequence[Endpoint], namespaces: Sequence[str] | None) -> set[str]:
    """Ids of the endpoints in the namespaces asked for (every endpoint when none)."""
    if not namespaces:
        return {e.id for e in endpoints}
    wanted = set(namespaces)
    return {e.id for e in endpoints if e.pod.namespace in wanted}


def compile_ruleset(
    snapshot: Snapshot,
    *,
    sources: Iterable[tuple[str, bytes]] | None = None,
    options: Options | None = None,
    default_namespace: str = "default",
) -> str:
    """The nft script the lab's node loads for `snapshot` (pods without an address get lab
    ones, listed at the top). `sources`: the manifests, read by the dataplane decoder."""
    return prepare(
        snapshot, sources=sources, options=options, default_namespace=default_namespace
    ).ruleset()
