"""Representative workloads for policies-only input (docs/inference.md).

Most policy repositories and every recipe publish NetworkPolicies without the pods they
select: analysed as they are, every map is empty and every gate passes. This step reads what
the policies talk about (each subject and peer selector, with the namespace it implies) and
adds one model Pod for each distinct combination no pod of the input satisfies, marked
`inferred` (workload kind `Inferred`), so the engine decides on pods that exercise every rule.

A selector's labels are solved per key: matchLabels and `In` give the value (the first one
allowed), `Exists` a placeholder value, `NotIn` and `DoesNotExist` leave the key out (a
missing key satisfies both); contradictions (`app=a` with `app notin (a)`) match no pod, and
say so. A namespaceSelector is met by a namespace of the input when one matches, otherwise by
an inferred namespace carrying the solved labels; an AND peer puts the pod there.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeVar

from netreach.errors import Problem
from netreach.loader.infer_cni import Place, calico_namespaces, calico_selector, split_virtual
from netreach.loader.pods import NAMESPACE_LABEL
from netreach.model import (
    DIRECTIONS,
    CalicoSelector,
    ContainerPort,
    Direction,
    LabelSelector,
    Location,
    Namespace,
    Pod,
    PolicyPort,
    Snapshot,
    WorkloadRef,
)
from netreach.model import Protocol as IPProtocol

InferMode = Literal["auto", "always", "never"]
INFER_MODES: tuple[InferMode, ...] = ("auto", "always", "never")
INFERRED_KIND = "Inferred"  # the workload kind of inferred pods: `default/web[Inferred]`

EXISTS_VALUE = "any"  # the value given for `key Exists` when nothing else constrains the key
UNLABELLED = "unlabelled"  # the name of a pod with no label (an empty selector, NotIn only)
ANY_NAMESPACE = "inferred"  # the name of a namespace no selector names
# Container port numbers assumed for named ports on inferred pods: IANA service names and
# the names Kubernetes manifests use for them; other names get numbers from the dynamic range.
WELL_KNOWN_PORTS: dict[str, int] = {
    "http": 80,
    "https": 443,
    "dns": 53,
    "dns-tcp": 53,
    "domain": 53,
    "ssh": 22,
    "postgres": 5432,
    "postgresql": 5432,
    "mysql": 3306,
    "redis": 6379,
}
FIRST_ASSUMED_PORT = 49152

PeerT = TypeVar("PeerT", covariant=True)
_NAME_CHARS = re.compile(r"[^a-z0-9-]+")
_PLACEHOLDER = re.compile(re.escape(EXISTS_VALUE) + r"(-\d+)?")


@dataclass(frozen=True)
class Want:
    """A pod a policy talks about: in `namespace` (exactly), or in a namespace matching
    `namespaces`; carrying labels that match `pods` (None: any pod there)."""

    why: str  # "subject of NetworkPolicy default/x"
    location: Location | None
    namespace: str | None = None
    namespaces: LabelSelector | None = None
    pods: LabelSelector | None = None
    home: str | None = None  # the policy's own namespace: a namespaceSelector prefers others
    ports: tuple[tuple[str, IPProtocol], ...] = ()  # named ports it must define (destination)


@dataclass
class Inference:
    """What the step did: the snapshot to analyse and what to tell the user."""

    snapshot: Snapshot
    mode: InferMode
    pods: list[Pod] = field(default_factory=list)  # the inferred ones
    namespaces: list[Namespace] = field(default_factory=list)  # inferred namespaces
    assumed_ports: dict[str, int] = field(default_factory=dict)  # named port -> number
    problems: list[Problem] = field(default_factory=list)  # selectors no pod can satisfy
    why: dict[str, list[str]] = field(default_factory=dict)  # pod id -> what asked for it

    @property
    def nothing_to_analyse(self) -> bool:
        return not self.snapshot.pods

    def notes(self, verbose: int = 0) -> list[str]:
        """Lines for stderr: what was inferred, and why; with `verbose`, each workload."""
        out: list[str] = []
        if self.pods:
            n, m = len(self.pods), len(self.namespaces)
            spaces = f" and {m} namespace{'s' if m != 1 else ''}" if m else ""
            reason = (
                "the input has policies but no pods"
                if self.mode == "auto"
                else "`infer_workloads` always"
            )
            out.append(
                f"inferred {n} workload{'s' if n != 1 else ''}{spaces} from the policies' "
                f"selectors ({reason}); they are marked [{INFERRED_KIND}] "
                "(`infer_workloads` never to turn this off; docs/inference.md)"
            )
            if self.assumed_ports:
                ports = ", ".join(f"{k}={v}" for k, v in sorted(self.assumed_ports.items()))
                out.append(f"named ports assumed on inferred pods: {ports}")
            if verbose:
                for ns in self.namespaces:
                    labels = ",".join(f"{k}={v}" for k, v in ns.labels.items())
                    out.append(f"  namespace {ns.name} ({labels})")
                for pod in self.pods:
                    labels = ",".join(f"{k}={v}" for k, v in pod.labels.items()) or "no labels"
                    asked = "; ".join(self.why.get(pod.id, []))
                    out.append(f"  {pod.workload.id} ({labels}): {asked}")
        if self.nothing_to_analyse:
            out.append(nothing_message(self.snapshot, self.mode))
        return out


def nothing_message(snapshot: Snapshot, mode: InferMode) -> str:
    """Why no connection can be decided: no pod, and none could be inferred."""
    policies = (
        len(snapshot.policies)
        + len(snapshot.admin_policies)
        + len(snapshot.calico_policies)
        + len(snapshot.cilium_policies)
    )
    if not policies:
        return "nothing to analyse: the input has no pods and no policies"
    if mode == "never":
        return (
            f"nothing to analyse: the input has {policies} polic{'ies' if policies != 1 else 'y'}"
            " but no pods (`infer_workloads` never; auto or always infers them from the selectors)"
        )
    return (
        f"nothing to analyse: the input has {policies} polic{'ies' if policies != 1 else 'y'} "
        "but no pods, and no pod can satisfy their selectors (see the warnings)"
    )


def infer_workloads(
    snapshot: Snapshot, mode: InferMode = "auto", also: Sequence[Snapshot] = ()
) -> Inference:
    """The snapshot with representative pods added where the policies select none.

    `auto` infers only when the input has policies and no pod at all (a policies-only
    repository): where pods are given, a selector matching none of them is a finding (the
    audit's selects-nothing checks), not a cue to invent pods. `always` fills every selector
    no pod of the input satisfies; `never` leaves the input as it is. `also`: other snapshots
    whose policies count too (both sides of a diff infer the same workloads, and only when
    neither side has pods)."""
    if mode not in INFER_MODES:
        raise ValueError(f"unknown inference mode {mode!r}")
    result = Inference(snapshot, mode)
    sources = [snapshot, *also]
    if mode == "never" or not any(_has_policies(s) for s in sources):
        return result
    if mode == "auto" and any(s.pods for s in sources):
        return result
    real = _LabelSets(snapshot)
    builder = _Builder(snapshot, real, result)
    for source in sources:
        for want in wants(source):
            builder.add(want)
    result.snapshot = builder.snapshot()
    return result


def _has_policies(s: Snapshot) -> bool:
    return bool(s.policies or s.admin_policies or s.calico_policies or s.cilium_policies)


# --- what the policies talk about --------------------------------------------------------


def wants(snapshot: Snapshot) -> Iterator[Want]:
    """Every pod the policies (and Services) of `snapshot` name, in input order."""
    for p in snapshot.policies:
        loc = p.location
        named_in = _named_ports(r.ports for r in p.ingress)
        yield Want(
            f"subject of NetworkPolicy {p.id}",
            loc.at("spec", "podSelector") if loc else None,
            namespace=p.namespace,
            pods=p.pod_selector,
            ports=named_in,
        )
        for why, where, ports, peer in _peers(f"NetworkPolicy {p.id}", loc, p.rules):
            if peer.ip_block is not None:
                continue
            if peer.namespace_selector is None:
                yield Want(why, where, namespace=p.namespace, pods=peer.pod_selector, ports=ports)
            else:
                yield Want(
                    why,
                    where,
                    namespaces=peer.namespace_selector,
                    pods=peer.pod_selector,
                    home=p.namespace,
                    ports=ports,
                )
    for a in snapshot.admin_policies:
        loc = a.location
        named_in = _named_ports(r.ports for r in a.ingress)
        yield Want(
            f"subject of {a.id}",
            loc.at("spec", "subject") if loc else None,
            namespaces=a.subject.namespaces,
            pods=a.subject.pods,
            ports=named_in,
        )
        for why, where, ports, ap in _peers(a.id, loc, a.rules):
            if ap.namespaces is not None:
                yield Want(why, where, namespaces=ap.namespaces, ports=ports)
            elif ap.pods is not None:
                yield Want(why, where, namespaces=ap.pods[0], pods=ap.pods[1], ports=ports)
    yield from _calico_wants(snapshot)
    yield from _cilium_wants(snapshot)
    for svc in snapshot.services:
        if not svc.selector:
            continue  # no selector: endpoints managed by hand, no pod to infer
        named = tuple(
            (sp.target_port, sp.protocol) for sp in svc.ports if isinstance(sp.target_port, str)
        )
        yield Want(
            f"selector of Service {svc.id}",
            svc.location.at("spec", "selector") if svc.location else None,
            namespace=svc.namespace,
            pods=LabelSelector(tuple(svc.selector.items())),
            ports=named,
        )


def _placed(
    why: str,
    where: Location | None,
    place: Place | None,
    *,
    namespace: str | None = None,
    namespaces: LabelSelector | None = None,
    home: str | None = None,
    ports: tuple[tuple[str, IPProtocol], ...] = (),
) -> Iterator[Want]:
    """The Want of a Calico / Cilium selector read as (namespace, namespace labels, pod
    labels) (infer_cni), within what the policy adds: its namespace, a namespaceSelector.
    None: no pod can be inferred for it (a service-account selector...)."""
    if place is None:
        return
    own_ns, own_nss, pods = place
    namespace = own_ns or namespace
    sels = [x for x in (namespaces, own_nss) if x is not None]
    merged = None
    if sels:
        if namespace is not None:  # that namespace, with those labels
            sels.append(LabelSelector(((NAMESPACE_LABEL, namespace),)))
            namespace = None
        merged = LabelSelector(
            tuple(kv for x in sels for kv in x.match_labels),
            tuple(r for x in sels for r in x.match_expressions),
        )
    yield Want(why, where, namespace, merged, pods, home, ports)


def _calico_wants(snapshot: Snapshot) -> Iterator[Want]:
    """Subjects and peer entities of Calico policies (the entity's selector within the
    policy's namespace unless namespaceSelector says where; `global()` and nets: no pod)."""
    for p in snapshot.calico_policies:
        loc = p.location
        what = f"Calico {p.id}"
        ns_sel = None
        if p.namespace is None and p.namespace_selector is not None:
            ns_sel = calico_namespaces(p.namespace_selector)
            if ns_sel is None:
                continue
        named_in = _named_ports(r.destination.ports for r in p.ingress)
        yield from _placed(
            f"subject of {what}",
            loc.at("spec", "selector") if loc else None,
            _read_calico(p.selector),
            namespace=p.namespace,
            namespaces=ns_sel,
            ports=named_in,
        )
        for direction in DIRECTIONS:
            for i, r in enumerate(p.rules(direction)):
                side, entity = (
                    ("source", r.source)
                    if direction == "ingress"
                    else ("destination", r.destination)
                )
                if entity.selector is None and entity.namespace_selector is None:
                    continue
                scope = entity.namespace_selector
                if scope is not None and scope.is_global:
                    continue
                nss = calico_namespaces(scope) if scope is not None else None
                if scope is not None and nss is None:
                    continue
                sel = entity.selector
                ports = _named_ports((entity.ports,)) if direction == "egress" else ()
                yield from _placed(
                    f"peer of {what} {direction}[{i}] {side}",
                    loc.at("spec", direction, i, side) if loc else None,
                    _read_calico(sel) if sel is not None else split_virtual(LabelSelector()),
                    namespace=p.namespace if scope is None else None,
                    namespaces=nss,
                    home=p.namespace,
                    ports=ports,
                )


def _read_calico(sel: CalicoSelector) -> Place | None:
    got = calico_selector(sel)
    return split_virtual(got) if got is not None else None


def _cilium_wants(snapshot: Snapshot) -> Iterator[Want]:
    """Subjects (endpointSelector) and endpoint peers of Cilium policies; CIDR and entity
    peers name no pod."""
    for p in snapshot.cilium_policies:
        if p.subject is None:
            continue
        loc = p.location
        what = f"{p.id}"
        named_in = _named_ports(r.ports for deny in (False, True) for r in p.rules("ingress", deny))
        yield from _placed(
            f"subject of {what}",
            loc.at(*p.path, "endpointSelector") if loc else None,
            split_virtual(p.subject),
            ports=named_in,
        )
        for direction in DIRECTIONS:
            for deny in (False, True):
                key = direction + ("Deny" if deny else "")
                for i, r in enumerate(p.rules(direction, deny)):
                    ports = _named_ports((r.ports,)) if direction == "egress" else ()
                    for sel in r.endpoints:
                        yield from _placed(
                            f"peer of {what} {key}[{i}]",
                            loc.at(*p.path, key, i) if loc else None,
                            split_virtual(sel),
                            home=p.namespace,
                            ports=ports,
                        )


class _RuleLike(Protocol[PeerT]):
    @property
    def peers(self) -> tuple[PeerT, ...]: ...
    @property
    def ports(self) -> tuple[PolicyPort, ...] | None: ...


def _peers(
    what: str, loc: Location | None, rules: Callable[[Direction], Sequence[_RuleLike[PeerT]]]
) -> Iterator[tuple[str, Location | None, tuple[tuple[str, IPProtocol], ...], PeerT]]:
    """Each peer of each rule, with what asked for it, where it is written, and the named
    ports its destination must define (egress rules: the peer is the destination)."""
    for direction in DIRECTIONS:
        side = "from" if direction == "ingress" else "to"
        for i, r in enumerate(rules(direction)):
            ports = _named_ports((r.ports,)) if direction == "egress" else ()
            for j, peer in enumerate(r.peers):
                where = loc.at("spec", direction, i, side, j) if loc else None
                yield f"peer of {what} {direction}[{i}] {side}[{j}]", where, ports, peer


def _named_ports(
    port_lists: Iterable[tuple[PolicyPort, ...] | None],
) -> tuple[tuple[str, IPProtocol], ...]:
    """The (name, protocol) of every named port of the rules: the destination must define them."""
    out: dict[tuple[str, IPProtocol], None] = {}
    for ports in port_lists:
        for pp in ports or ():
            if isinstance(pp.port, str):
                out[(pp.port, pp.protocol)] = None
    return tuple(out)


# --- solving selectors --------------------------------------------------------------------


def solve(selector: LabelSelector) -> dict[str, str] | None:
    """Labels that satisfy `selector`, as few as possible; None when no label set can."""
    allowed: dict[str, list[str]] = {}  # key -> values still allowed (matchLabels, In)
    banned: dict[str, set[str]] = {}
    present: dict[str, None] = {}  # keys that must exist, in the order written
    absent: set[str] = set()

    def allow(key: str, values: Sequence[str]) -> None:
        present[key] = None
        if key in allowed:
            allowed[key] = [v for v in allowed[key] if v in values]
        else:
            allowed[key] = list(dict.fromkeys(values))

    for key, value in selector.match_labels:
        allow(key, (value,))
    for req in selector.match_expressions:
        if req.operator == "In":
            allow(req.key, req.values)
        elif req.operator == "NotIn":
            banned.setdefault(req.key, set()).update(req.values)
        elif req.operator == "Exists":
            present[req.key] = None
        else:
            absent.add(req.key)
    labels: dict[str, str] = {}
    for key in present:
        if key in absent:
            return None
        no = banned.get(key, set())
        if key in allowed:
            choices = [v for v in allowed[key] if v not in no]
            if not choices:
                return None
            labels[key] = choices[0]
        else:
            labels[key] = _fresh(EXISTS_VALUE, no)
    return labels


def boundary(selector: LabelSelector, base: dict[str, str]) -> Iterator[tuple[dict[str, str], str]]:
    """Pods at the edges of a selector, next to its solution `base`: each other value an `In`
    allows (selected too), and for each `NotIn`, `DoesNotExist` and `Exists` the pod that
    requirement alone leaves out (it meets every other one). With them the analysis shows what
    each requirement excludes, and a change to one (a value dropped, an exclusion removed)
    changes some connection."""
    seen = {frozenset(base.items())}

    def new(labels: dict[str, str]) -> bool:
        key = frozenset(labels.items())
        if key in seen:
            return False
        seen.add(key)
        return True

    for req in selector.match_expressions:
        if req.operator == "In":
            for value in req.values:
                labels = {**base, req.key: value}
                if selector.matches(labels) and new(labels):
                    yield labels, f"{req.key}={value}"
            continue
        rest = LabelSelector(
            selector.match_labels, tuple(r for r in selector.match_expressions if r is not req)
        )
        if req.operator == "NotIn":
            candidates = [{**base, req.key: v} for v in req.values]
            rule = str(req)
        elif req.operator == "DoesNotExist":
            candidates = [{**base, req.key: _fresh(EXISTS_VALUE, set())}]
            rule = f"{req.key} must not exist"
        else:  # Exists
            candidates = [{k: v for k, v in base.items() if k != req.key}]
            rule = f"{req.key} must exist"
        for labels in candidates:
            if rest.matches(labels) and not selector.matches(labels) and new(labels):
                yield labels, f"left out by {rule}"
                break


def _fresh(base: str, taken: set[str] | Mapping[str, object]) -> str:
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _dns_name(labels: Mapping[str, str], fallback: str) -> str:
    """A DNS-1123 label made of the label values: {app: bookstore, role: api} -> bookstore-api;
    a key that only has to exist gives its name ({job-name: any} -> job-name)."""
    text = "-".join(
        k.rsplit("/", 1)[-1] if _PLACEHOLDER.fullmatch(v) else v for k, v in labels.items() if v
    )
    text = _NAME_CHARS.sub("-", text.lower()).strip("-")
    text = re.sub(r"-{2,}", "-", text)[:40].strip("-")
    return text or fallback


# --- building --------------------------------------------------------------------------------


class _LabelSets:
    """The real pods of the input as distinct (namespace, labels): a selector is tested once per
    distinct label set, not once per replica."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.namespaces = snapshot.namespaces
        self.by_ns: dict[str, list[Mapping[str, str]]] = {}
        seen: set[tuple[str, frozenset[tuple[str, str]]]] = set()
        for pod in snapshot.pods:
            key = (pod.namespace, frozenset(pod.labels.items()))
            if pod.host_network or key in seen:
                continue
            seen.add(key)
            self.by_ns.setdefault(pod.namespace, []).append(pod.labels)

    def ns_labels(self, name: str) -> Mapping[str, str]:
        ns = self.namespaces.get(name)
        return ns.labels if ns is not None else {NAMESPACE_LABEL: name}

    def satisfied(self, want: Want) -> bool:
        if want.namespace is not None:
            spaces: Iterable[str] = (want.namespace,)
        else:
            sel = want.namespaces or LabelSelector()
            spaces = (n for n in self.by_ns if sel.matches(self.ns_labels(n)))
        pods = want.pods or LabelSelector()
        return any(pods.matches(lab) for n in spaces for lab in self.by_ns.get(n, ()))


class _Builder:
    def __init__(self, snapshot: Snapshot, real: _LabelSets, result: Inference) -> None:
        self.base = snapshot
        self.real = real
        self.result = result
        self.namespaces: dict[str, Namespace] = dict(snapshot.namespaces)
        self.pods: dict[tuple[str, frozenset[tuple[str, str]]], Pod] = {}
        self.names: set[tuple[str, str]] = {(p.namespace, p.name) for p in snapshot.pods}
        self.workloads: set[WorkloadRef] = {p.workload for p in snapshot.pods}

    def add(self, want: Want) -> None:
        if self.real.satisfied(want):
            return
        labels = solve(want.pods) if want.pods is not None else {}
        if labels is None:
            self._unsatisfiable(want, f"podSelector {want.pods} can match no pod")
            return
        namespace = want.namespace or self._namespace(want)
        if namespace is None:
            return
        if want.namespace is not None and namespace not in self.namespaces:
            self.namespaces[namespace] = Namespace(
                namespace, {NAMESPACE_LABEL: namespace}, None, implied=True
            )
        self._pod(namespace, labels, want, want.why)
        if want.pods is None:
            return
        for extra, why in boundary(want.pods, labels):
            self._pod(namespace, extra, want, f"{want.why}, {why}")
        home = self.namespaces.get(want.home or "")
        if home is not None and want.namespaces and not want.namespaces.matches(home.labels):
            # the AND peer's pod labels, but in the policy's own namespace: outside
            self._pod(home.name, labels, want, f"{want.why}, outside its namespaceSelector")

    def _pod(self, namespace: str, labels: dict[str, str], want: Want, why: str) -> None:
        key = (namespace, frozenset(labels.items()))
        pod = self.pods.get(key) or self._new_pod(namespace, labels, want.location)
        if want.ports:
            pod = self._with_ports(pod, want.ports)
        self.pods[key] = pod
        self.result.why.setdefault(pod.id, []).append(why)

    def _unsatisfiable(self, want: Want, what: str) -> None:
        self.result.problems.append(
            Problem(
                f"{what} ({want.why}): no workload inferred for it",
                want.location,
                severity="warning",
            )
        )

    def _namespace(self, want: Want) -> str | None:
        """A namespace of the input (or inferred) the selector matches, else a new one."""
        sel = want.namespaces or LabelSelector()
        matching = [n for n in sorted(self.namespaces) if sel.matches(self.namespaces[n].labels)]
        # An empty or loose namespaceSelector reaches beyond the policy's own namespace:
        # a peer elsewhere shows it.
        elsewhere = [n for n in matching if n != want.home]
        if elsewhere:
            return elsewhere[0]
        if matching and not sel.is_empty:
            return matching[0]
        labels = solve(sel)
        if labels is None or NAMESPACE_LABEL in {
            r.key for r in sel.match_expressions if r.operator == "DoesNotExist"
        }:
            self._unsatisfiable(want, f"namespaceSelector {sel} can match no namespace")
            return None
        name = labels.get(NAMESPACE_LABEL)
        if name is not None:
            existing = self.namespaces.get(name)
            if existing is not None and not existing.implied:
                self._unsatisfiable(
                    want,
                    f"namespaceSelector {sel} needs namespace {name} with labels the input "
                    "does not give it",
                )
                return None
        else:
            banned = {
                v for r in sel.match_expressions if r.key == NAMESPACE_LABEL for v in r.values
            }
            name = _fresh(_dns_name(labels, ANY_NAMESPACE), {*self.namespaces, *banned})
        labels[NAMESPACE_LABEL] = name
        old = self.namespaces.get(name)
        ns = Namespace(
            name,
            {**(old.labels if old else {}), **labels},
            old.location if old else None,
            implied=True,
            inferred=True,
        )
        self.namespaces[name] = ns
        self.result.namespaces = [n for n in self.result.namespaces if n.name != name] + [ns]
        return name

    def _new_pod(self, namespace: str, labels: dict[str, str], loc: Location | None) -> Pod:
        base = _dns_name(labels, UNLABELLED)
        name = base
        n = 2
        while (
            WorkloadRef(namespace, name, INFERRED_KIND) in self.workloads
            or (
                namespace,
                f"{name}-inferred",
            )
            in self.names
        ):
            name = f"{base}-{n}"
            n += 1
        ref = WorkloadRef(namespace, name, INFERRED_KIND)
        self.workloads.add(ref)
        self.names.add((namespace, f"{name}-inferred"))
        return Pod(
            namespace=namespace,
            name=f"{name}-inferred",
            labels=labels,
            workload=ref,
            location=loc,
            inferred=True,
        )

    def _with_ports(self, pod: Pod, named: tuple[tuple[str, IPProtocol], ...]) -> Pod:
        have = {cp.name for cp in pod.ports}
        extra = []
        for name, protocol in named:
            if name in have:
                continue  # a pod's port names are unique; the first protocol asked wins
            have.add(name)
            number = self._port_number(name)
            extra.append(ContainerPort(number, protocol, name))
        return dataclasses.replace(pod, ports=(*pod.ports, *extra)) if extra else pod

    def _port_number(self, name: str) -> int:
        """The same number for a name on every inferred pod."""
        assumed = self.result.assumed_ports
        if name not in assumed:
            others = sum(1 for k in assumed if k not in WELL_KNOWN_PORTS)
            assumed[name] = WELL_KNOWN_PORTS.get(name) or FIRST_ASSUMED_PORT + others
        return assumed[name]

    def snapshot(self) -> Snapshot:
        pods = list(self.pods.values())
        self.result.pods = pods
        snap = dataclasses.replace(
            self.base,
            pods=[*self.base.pods, *pods],
            namespaces=self.namespaces,
            warnings=[*self.base.warnings, *self.result.problems],
        )
        return snap
