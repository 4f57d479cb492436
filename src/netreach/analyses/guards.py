"""What guards a pod's traffic in one direction, across every tier.

A pod class's program (engine/tiers.py) lists the rules that decide one direction of its
traffic: Admin-tier rules, the NetworkPolicy rules of the policies isolating it (a closed
stage: what they leave is denied), Baseline-tier rules. This module walks that program with
the engine's one walk (`walk`, `walk_parts`) and answers what describe, exposure, audit and
posture share:

- is the direction *restricted* at all: NetworkPolicy isolates it, or some tier denies
  something now? A direction nothing restricts is open to everything;
- does it have a *default deny*: is whatever no rule allows denied for every pod, including
  pods of namespaces created later? NetworkPolicy isolation is one; an Admin- or
  Baseline-tier Deny that reaches every pod is another (the guard then comes from a tier);
- what is left to the default (allowed because no tier decides it): pod classes, pods
  created later, address ranges;
- what one rule still decides for some peers once the rules before it have spoken (an
  Admin Deny of everything leaves a NetworkPolicy rule nothing).

Pods created later are stood for by a *future pod* (`FuturePods`): a pod matched only by
the rules certain to match it, those whose selectors follow from its own (`namespaces: {}`
matches every pod; `team=x` matches every pod of a namespace selected by `team=x`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from weakref import WeakKeyDictionary

from netreach.analyses.words import NAME_LABEL
from netreach.engine import ipset
from netreach.engine.classes import PortsKey
from netreach.engine.conns import ALL, EMPTY, ConnectionSet
from netreach.engine.intervals import Ranges, normalize
from netreach.engine.plugin import DEFAULT_TIER
from netreach.engine.rules import AnyRule, PolicyObject
from netreach.engine.selectors import indexes_of
from netreach.engine.tiers import Program, Stage, walk, walk_parts
from netreach.model import (
    AdminPeer,
    CalicoPolicy,
    CiliumPolicy,
    Direction,
    LabelSelector,
    Namespace,
    NetworkPolicy,
    Peer,
    Requirement,
)
from netreach.query.reach import Reach

EVERY = LabelSelector()
# stages a Calico tier or Cilium closes (a closed NetworkPolicy stage is isolation)
_CNI = frozenset({"Calico", "Cilium"})


# --- pods created later ------------------------------------------------------------------------


@dataclass(frozen=True)
class FuturePods:
    """Pods a peer admits, as selectors: pods labelled `pods` in a namespace `namespaces`
    selects, or in `namespace` only (a NetworkPolicy peer without namespaceSelector)."""

    namespaces: LabelSelector = EVERY
    pods: LabelSelector = EVERY
    namespace: str | None = None


EVERY_POD = FuturePods()


def _requirements(sel: LabelSelector) -> list[Requirement]:
    return [Requirement(k, "In", (v,)) for k, v in sel.match_labels] + list(sel.match_expressions)


def _requirement_implies(a: Requirement, b: Requirement) -> bool:
    """Whether every label set meeting `a` meets `b` (sound; same key only)."""
    if a.key != b.key:
        return False
    if b.operator == "Exists":
        return a.operator in ("In", "Exists")
    if b.operator == "In":
        return a.operator == "In" and set(a.values) <= set(b.values)
    if b.operator == "NotIn":
        if a.operator == "In":
            return not set(a.values) & set(b.values)
        return a.operator == "DoesNotExist" or (
            a.operator == "NotIn" and set(b.values) <= set(a.values)
        )
    return a.operator == "DoesNotExist"


def implies(a: LabelSelector, b: LabelSelector) -> bool:
    """Whether every label set `a` matches, `b` matches too. Sound, not complete: each
    requirement of `b` must follow from one of `a`."""
    mine = _requirements(a)
    return all(any(_requirement_implies(r, want) for r in mine) for want in _requirements(b))


def _names_in(sel: LabelSelector) -> set[str] | None:
    """The namespace names a selector is limited to by the name label, else None."""
    names: set[str] | None = None
    for r in _requirements(sel):
        if r.key == NAME_LABEL and r.operator == "In":
            names = set(r.values) if names is None else names & set(r.values)
    return names


def _labels_of(name: str, namespaces: Mapping[str, Namespace]) -> Mapping[str, str]:
    ns = namespaces.get(name)
    return ns.labels if ns is not None else {NAME_LABEL: name}


def contains(outer: FuturePods, inner: FuturePods, namespaces: Mapping[str, Namespace]) -> bool:
    """Whether every pod of `inner` is a pod of `outer` (namespaces by their labels now)."""
    if not implies(inner.pods, outer.pods):
        return False
    if inner.namespace is not None:
        names: set[str] | None = {inner.namespace}
    else:
        names = _names_in(inner.namespaces)
    if outer.namespace is not None:
        return names == {outer.namespace}
    if inner.namespace is None and implies(inner.namespaces, outer.namespaces):
        return True
    return names is not None and all(
        outer.namespaces.matches(_labels_of(n, namespaces)) for n in names
    )


def peer_pods(peer: object, policy_namespace: str | None) -> FuturePods | None:
    """The pods (present or future) a peer admits; None for an address peer (and for Calico
    and Cilium peers, whose future pods are not worked out: "not certainly", a sound answer)."""
    if isinstance(peer, Peer):
        if peer.ip_block is not None:
            return None
        pods = peer.pod_selector or EVERY
        if peer.namespace_selector is None:
            return FuturePods(pods=pods, namespace=policy_namespace)
        return FuturePods(peer.namespace_selector, pods)
    if not isinstance(peer, AdminPeer):
        return None
    if peer.namespaces is not None:
        return FuturePods(peer.namespaces)
    if peer.pods is not None:
        return FuturePods(*peer.pods)
    return None


def admits_future(rule: AnyRule, pods: FuturePods, namespaces: Mapping[str, Namespace]) -> bool:
    """Whether the rule certainly admits every pod of `pods`."""
    if rule.all_peers:
        return True
    own = rule.policy.namespace if isinstance(rule.policy, NetworkPolicy) else None
    for pm in rule.peers:
        if pm.peer in ("all", "cluster"):  # Cilium entities: every pod, now or later
            return True
        mine = peer_pods(pm.peer, own)
        if mine is not None and contains(mine, pods, namespaces):
            return True
    return False


# --- what a class's program leaves to the default ---------------------------------------------


@dataclass(frozen=True)
class Leftover:
    """Walking a class's program for one direction (NetworkPolicy does not isolate it): what
    no tier decides, which the default allows, and whether any tier denies anything."""

    classes: tuple[tuple[int, ConnectionSet], ...]  # existing pod classes left something
    future: ConnectionSet  # a pod of a namespace created later, that no label-based rule names
    addresses: tuple[tuple[Ranges, ConnectionSet], ...]  # address ranges left something
    denies: bool  # some tier denies some connection (some peer, some port)
    catch_all: tuple[AnyRule, ...] = ()  # tier Deny rules that deny (part of) every pod
    # closed Calico / Cilium stages whose end denies (part of) every pod: a tier's end-of-tier
    # deny, Cilium's default deny
    closed_by: tuple[Stage, ...] = ()

    @property
    def pods_closed(self) -> bool:
        """Whether every pod, existing or future, is left nothing: a default deny."""
        return self.future.is_empty and not self.classes

    @property
    def address_ranges(self) -> Ranges:
        return normalize(r for ranges, _ in self.addresses for r in ranges)


CLOSED = Leftover((), EMPTY, (), True)  # NetworkPolicy isolates: the default allows nothing
OPEN = Leftover((), ALL, ((ipset.EVERYTHING, ALL),), False)  # NetworkPolicy does not apply


@dataclass(frozen=True)
class Closer:
    """A Calico tier's end-of-tier deny or Cilium's default deny that reaches every pod: the
    stage, and the policies whose selecting the pod closes it."""

    stage: str  # the stage's title: "Calico tier default", "Cilium"
    policies: tuple[CalicoPolicy | CiliumPolicy, ...]

    @property
    def label(self) -> str:
        names = ", ".join(p.id for p in self.policies)
        if self.stage == "Cilium":
            return f"Cilium default deny ({names})"
        return f"the end-of-tier deny of {self.stage} ({names})"


def merged_closers(found: Sequence[Guard]) -> tuple[Closer, ...]:
    """The Calico / Cilium stage ends guarding several pods, one per stage: named by the
    policies that close it for every one of them (those that select them all), else by all."""
    by_stage: dict[str, list[tuple[CalicoPolicy | CiliumPolicy, ...]]] = {}
    for g in found:
        if not g.isolated:
            for c in g.closers:
                by_stage.setdefault(c.stage, []).append(c.policies)
    out = []
    for stage, lists in by_stage.items():
        every = [p for p in lists[0] if all(p in pols for pols in lists)]
        if len(lists) < len(found) or not every:
            every = list(dict.fromkeys(p for pols in lists for p in pols))
        out.append(Closer(stage, tuple(every)))
    return tuple(out)


@dataclass(frozen=True)
class Guard:
    """What decides one pod class's traffic in one direction, tier by tier."""

    direction: Direction
    host_network: bool = False
    admin: tuple[AnyRule, ...] = ()  # Admin-tier rules that apply, in order
    isolating: tuple[NetworkPolicy, ...] = ()  # NetworkPolicy isolation: a closed stage
    baseline: tuple[AnyRule, ...] = ()  # Baseline rules that decide it (not isolated)
    skipped_baseline: tuple[AnyRule, ...] = ()  # select it, but NetworkPolicy isolates it
    left: Leftover = field(default=OPEN)  # what the default allows
    cni: tuple[AnyRule, ...] = ()  # Calico and Cilium rules that apply, in order
    closers: tuple[Closer, ...] = ()  # Calico / Cilium stage ends that deny every pod

    @property
    def isolated(self) -> bool:
        return bool(self.isolating)

    @property
    def has_tiers(self) -> bool:
        return bool(self.admin or self.baseline or self.skipped_baseline)

    @property
    def restricted(self) -> bool:
        """NetworkPolicy isolates it, or some tier denies some of its traffic now."""
        return self.isolated or self.left.denies

    @property
    def default_deny(self) -> bool:
        """What no rule allows is denied, for every pod (existing or created later)."""
        return self.isolated or (not self.host_network and self.left.pods_closed)

    @property
    def tier_guard(self) -> bool:
        """The default deny comes from an Admin- or Baseline-tier rule, not NetworkPolicy."""
        return self.default_deny and not self.isolated

    @property
    def guard_rules(self) -> tuple[AnyRule, ...]:
        """The tier Deny rules that reach every pod (the catch-all of a tier guard)."""
        return () if self.isolated else self.left.catch_all

    @property
    def guard_labels(self) -> tuple[str, ...]:
        """What denies what no rule allows, when NetworkPolicy does not isolate: the tier Deny
        rules that reach every pod and the Calico / Cilium stage ends, in words."""
        if self.isolated:
            return ()
        return tuple(map(tier_label, self.left.catch_all)) + tuple(c.label for c in self.closers)

    @property
    def guard_policies(self) -> tuple[PolicyObject, ...]:
        """The policies behind `guard_labels`, once each."""
        out: list[PolicyObject] = []
        if not self.isolated:
            for p in (
                *(r.policy for r in self.left.catch_all),
                *(p for c in self.closers for p in c.policies),
            ):
                if p not in out:
                    out.append(p)
        return tuple(out)

    @property
    def open_addresses(self) -> Ranges:
        """Address ranges the default still allows something to or from (not isolated)."""
        return () if self.isolated else self.left.address_ranges


def tier_label(rule: AnyRule) -> str:
    """`[Baseline] BaselineAdminNetworkPolicy/default ingress[0] "deny-all"`; NetworkPolicy
    rules keep their plain label."""
    return rule.label if rule.tier == "NetworkPolicy" else f"[{rule.tier}] {rule.label}"


class Guards:
    """Guards of every class of one cluster, computed once per distinct program."""

    def __init__(self, cluster: Reach) -> None:
        self.cluster = cluster
        self.compiled = cluster.compiled
        self.matrix = cluster.matrix
        self.future_bit = 1 << len(self.compiled.classes)
        self._left: dict[tuple[int, PortsKey | None, Direction], Leftover] = {}
        self._keep: dict[int, Program] = {}  # programs keyed by id stay alive
        self._of: dict[tuple[int, Direction], Guard] = {}
        self._left_open: dict[tuple[object, ...], ConnectionSet] = {}
        self._closers: dict[tuple[object, ...], Closer] = {}

    @cached_property
    def cni_targets(self) -> tuple[tuple[CalicoPolicy | CiliumPolicy, int], ...]:
        """Every Calico and Cilium policy with the classes it selects (computed once)."""
        compiled = self.compiled
        pols: list[CalicoPolicy | CiliumPolicy] = [
            *compiled.calico_policies,
            *compiled.cilium_policies,
        ]
        return tuple((p, compiled.policy_classes(p)) for p in pols)

    # --- per class -------------------------------------------------------------------------
    def of(self, ci: int, direction: Direction) -> Guard:
        got = self._of.get((ci, direction))
        if got is None:
            got = self._of[(ci, direction)] = self._guard(ci, direction)
        return got

    def _guard(self, ci: int, direction: Direction) -> Guard:
        compiled = self.compiled
        if compiled.classes[ci].host_network:
            return Guard(direction, host_network=True)
        full = compiled.program(ci, direction)
        program = full.effective
        admin = tuple(r for s in program.stages if s.tier == "Admin" for r in s.rules)
        baseline = tuple(r for s in program.stages if s.tier == "Baseline" for r in s.rules)
        skipped = tuple(
            r for s in full.stages[len(program.stages) :] if s.tier == "Baseline" for r in s.rules
        )
        isolating = tuple(compiled.policies[pi] for pi in compiled.isolating[direction][ci])
        if isolating:
            left = CLOSED
        elif program.is_open:
            left = Leftover(((compiled.all_classes, ALL),), ALL, OPEN.addresses, False)
        else:
            left = self.leftover(ci, direction)
        cni = tuple(r for r in program.rules if r.tier in ("Calico", "Cilium"))
        closers = tuple(self._closer(ci, direction, st) for st in left.closed_by)
        return Guard(direction, False, admin, isolating, baseline, skipped, left, cni, closers)

    def _closer(self, ci: int, direction: Direction, stage: Stage) -> Closer:
        """The Calico / Cilium policies whose selecting class `ci` closes `stage` (the same
        for every class of one program: cached by it)."""
        program = self.compiled.program(ci, direction)
        key = (id(program), stage.tier, stage.name, direction)
        got = self._closers.get(key)
        if got is None:
            calico = stage.tier != "Cilium"  # a Calico tier: its policies selecting the pod
            cilium = stage.tier == "Cilium" or stage.name == DEFAULT_TIER  # default deny
            pols = [
                p
                for p, bits in self.cni_targets
                if bits >> ci & 1
                and (
                    (
                        calico
                        and isinstance(p, CalicoPolicy)
                        and p.tier == stage.name
                        and p.isolates(direction)
                    )
                    or (cilium and isinstance(p, CiliumPolicy) and direction in p.default_deny)
                )
            ]
            self._keep[id(program)] = program
            got = self._closers[key] = Closer(stage.title, tuple(pols))
        return got

    def _own(self, ci: int, direction: Direction) -> PortsKey | None:
        """Container ports named ports resolve on: this class's (ingress), else the peer's."""
        return self.compiled.classes[ci].ports if direction == "ingress" else None

    def leftover(self, ci: int, direction: Direction) -> Leftover:
        program = self.compiled.program(ci, direction).effective
        own = self._own(ci, direction)
        key = (id(program), own, direction)
        got = self._left.get(key)
        if got is None:
            self._keep[id(program)] = program
            got = self._left[key] = self._walk_leftover(program, direction, own)
        return got

    def _walk_leftover(
        self, program: Program, direction: Direction, own: PortsKey | None
    ) -> Leftover:
        compiled = self.compiled
        namespaces = compiled.namespaces
        future = self.future_bit

        def future_conns(rule: AnyRule) -> ConnectionSet:
            return rule.conns_for(own) if admits_future(rule, EVERY_POD, namespaces) else EMPTY

        def pieces(rule: AnyRule) -> list[tuple[int, ConnectionSet]]:
            return [*self.matrix.pieces(rule, direction, own), (future, future_conns(rule))]

        classes: list[tuple[int, ConnectionSet]] = []
        left_future = EMPTY
        denies = False
        for bits, state in walk_parts(program, compiled.all_classes | future, pieces):
            denies = denies or not state.denied.is_empty
            if bits & future:
                left_future = state.remaining
            if bits & ~future and not state.remaining.is_empty:
                classes.append((bits & ~future, state.remaining))
        addresses: list[tuple[Ranges, ConnectionSet]] = []
        atoms = compiled.atoms
        for bits, state in walk_parts(
            program,
            (1 << len(atoms)) - 1,
            lambda r: [(self.matrix.atom_bits(r), r.conns_for(own))],
        ):
            denies = denies or not state.denied.is_empty
            if not state.remaining.is_empty:
                ranges = normalize(atoms.bounds(i) for i in indexes_of(bits))
                addresses.append((ranges, state.remaining))
        catch_all: list[AnyRule] = []
        closed_by: list[Stage] = []
        walk(
            program,
            future_conns,
            lambda rule, _part: catch_all.append(rule) if rule.action == "Deny" else None,
            lambda stage, _part: closed_by.append(stage) if stage.tier in _CNI else None,
        )
        return Leftover(
            tuple(classes),
            left_future,
            tuple(addresses),
            denies,
            tuple(catch_all),
            tuple(closed_by),
        )

    # --- what is left to one rule --------------------------------------------------------
    def left_open(
        self,
        ci: int,
        rule: AnyRule,
        classes: int,
        future: FuturePods | None,
        ips: Ranges,
        every: bool = False,
    ) -> ConnectionSet:
        """What the rules before `rule` leave open to it in the class's program, for some of
        its peers (pod classes `classes`, the pods `future` created later, addresses `ips`):
        the Admin tier, and the earlier rules of its own tier. NetworkPolicy rules add up, so
        each sees all the Admin tier leaves. A union over those peers (`every`: what is left
        to every one of them); intersect it with what the rule opens. EMPTY when the rule is
        not in the class's program."""
        direction = rule.direction
        program = self.compiled.program(ci, direction).effective
        own = self._own(ci, direction)
        key = (id(program), own, rule.id, classes, future, ips, every)
        got = self._left_open.get(key)
        if got is None:
            self._keep[id(program)] = program
            got = self._left_open[key] = self._walk_before(
                program, own, rule, classes, future, ips, every
            )
        return got

    def _walk_before(
        self,
        program: Program,
        own: PortsKey | None,
        rule: AnyRule,
        classes: int,
        future: FuturePods | None,
        ips: Ranges,
        every: bool,
    ) -> ConnectionSet:
        before = _before(program, rule)
        if before is None:
            return EMPTY
        lefts: list[ConnectionSet] = []
        direction = rule.direction
        namespaces = self.compiled.namespaces
        fbit = self.future_bit if future is not None else 0

        def pieces(r: AnyRule) -> list[tuple[int, ConnectionSet]]:
            out = self.matrix.pieces(r, direction, own)
            if future is not None and admits_future(r, future, namespaces):
                out = [*out, (fbit, r.conns_for(own))]
            return out

        if classes | fbit:
            for _, state in walk_parts(before, classes | fbit, pieces, close_last=False):
                lefts.append(state.remaining)
        atoms = self.matrix.atoms_of(ips) if ips else 0
        if atoms:
            for _, state in walk_parts(
                before,
                atoms,
                lambda r: [(self.matrix.atom_bits(r), r.conns_for(own))],
                close_last=False,
            ):
                lefts.append(state.remaining)
        if not lefts:
            return EMPTY
        out = lefts[0]
        for left in lefts[1:]:
            out = out & left if every else out | left
        return out


def _before(program: Program, rule: AnyRule) -> Program | None:
    """The rules that speak before `rule`: earlier stages, then its own stage's earlier rules
    (that stage last, left open). NetworkPolicy rules add up: none comes before another."""
    out: list[Stage] = []
    for stage in program.stages:
        if any(r is rule for r in stage.rules):
            cut = 0 if stage.tier in ("NetworkPolicy", "Cilium") else stage.rules.index(rule)
            out.append(Stage(stage.tier, stage.rules[:cut]))
            return Program(tuple(out))
        out.append(stage)
    return None


def rules_before(program: Program, rule: AnyRule) -> tuple[AnyRule, ...]:
    """The rules of the program that speak before `rule`, in order (none when it is not in
    the program)."""
    before = _before(program, rule)
    return tuple(r for stage in before.stages for r in stage.rules) if before else ()


_CACHE: WeakKeyDictionary[Reach, Guards] = WeakKeyDictionary()


def guards(cluster: Reach) -> Guards:
    """The cluster's guards (one cache per cluster)."""
    got = _CACHE.get(cluster)
    if got is None:
        got = _CACHE[cluster] = Guards(cluster)
    return got
