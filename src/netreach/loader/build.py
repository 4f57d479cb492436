"""From documents to a Snapshot: dispatch by kind, duplicates, pod ownership, template pods,
implied namespaces."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netreach.errors import InputError, Problem
from netreach.loader.check import Checker
from netreach.loader.decode import Parsed, parse_source
from netreach.loader.kinds import (
    ADMIN_API_VERSIONS,
    CALICO_API_VERSIONS,
    CALICO_KINDS,
    CILIUM_API_VERSIONS,
    CILIUM_KINDS,
    CLUSTER_SCOPED,
)
from netreach.loader.limits import Limits
from netreach.loader.meta import Meta, OwnerRef, read_meta
from netreach.loader.names import is_dns1123_subdomain
from netreach.loader.nodes import read_node
from netreach.loader.pods import (
    NAMESPACE_LABEL,
    PodSpec,
    RawPod,
    pod_phase,
    read_namespace,
    read_pod,
    read_template,
)
from netreach.loader.policy import read_policy
from netreach.loader.service import read_service
from netreach.loader.sources import Source
from netreach.loader.unmodelled import MESH_ROOT_NAMESPACES, PolicyKind, policy_kind
from netreach.model import (
    AdminKind,
    AdminPolicy,
    CalicoPolicy,
    CalicoTier,
    DroppedField,
    Location,
    Namespace,
    NetworkPolicy,
    NetworkSet,
    Node,
    Pod,
    ServiceAccount,
    Snapshot,
    Unmodelled,
    WorkloadRef,
)

# The API versions the API server serves for each kind netreach models.
API_VERSIONS: dict[str, frozenset[str]] = {
    "Namespace": frozenset({"v1"}),
    "Pod": frozenset({"v1"}),
    "ReplicationController": frozenset({"v1"}),
    "NetworkPolicy": frozenset({"networking.k8s.io/v1"}),
    "Deployment": frozenset({"apps/v1"}),
    "ReplicaSet": frozenset({"apps/v1"}),
    "StatefulSet": frozenset({"apps/v1"}),
    "DaemonSet": frozenset({"apps/v1"}),
    "Job": frozenset({"batch/v1"}),
    "CronJob": frozenset({"batch/v1"}),
    "Service": frozenset({"v1"}),
    "Node": frozenset({"v1"}),
    **ADMIN_API_VERSIONS,
}
_ADMIN_KINDS: dict[str, AdminKind] = {
    "AdminNetworkPolicy": "AdminNetworkPolicy",
    "BaselineAdminNetworkPolicy": "BaselineAdminNetworkPolicy",
    "ClusterNetworkPolicy": "ClusterNetworkPolicy",
}
_POLICY_TOP_FIELDS = frozenset({"apiVersion", "kind", "metadata", "spec", "status"})
BUILTIN_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
SKIPPED_POD_PHASES = "Pod (Succeeded/Failed)"
# Consonants and digits, as Kubernetes uses for generated name suffixes (no words, no 0/1/l).
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

WorkloadKey = tuple[str, str, str]  # namespace, kind, name


@dataclass(frozen=True, slots=True)
class _Workload:
    meta: Meta
    spec: PodSpec
    loc: Location
    order: int


@dataclass(frozen=True, slots=True)
class _RealPod:
    raw: RawPod
    namespace: str
    loc: Location
    order: int


class Builder:
    """Accumulates objects of all sources, then assembles the Snapshot."""

    def __init__(
        self,
        default_ns: str,
        *,
        skip_invalid: bool,
        strict: bool,
        limits: Limits | None = None,
    ) -> None:
        self.default_ns = default_ns
        self.limits = limits or Limits()
        self.input_bytes = 0
        self.skip_invalid = skip_invalid
        self.strict = strict
        self.errors: list[Problem] = []
        self.snapshot = Snapshot()
        self.namespaces: dict[str, tuple[Meta, Location]] = {}
        self.pods: list[_RealPod] = []
        self.workloads: dict[WorkloadKey, _Workload] = {}
        self.policies: list[NetworkPolicy] = []
        self.admin_policies: list[AdminPolicy] = []
        self.nodes: list[Node] = []
        self.seen: dict[tuple[str, str, str], Location] = {}
        self.referenced: dict[str, Location] = {}  # namespace -> first object in it
        self.order = 0

    # --- reading -------------------------------------------------------------------------

    def read(self, source: Source, parse: Callable[[Source], Parsed] | None = None) -> None:
        """Read one source; `parse` stands for `parse_source` (parsed ahead: `parallel.py`)."""
        self._count_bytes(source)
        parsed = parse(source) if parse is not None else parse_source(source, self.limits)
        self._fail(parsed.problems)
        self.snapshot.warnings.extend(parsed.warnings)
        if self.strict:
            self._fail(parsed.duplicate_problems(source, self._document_ref))
        else:
            self.snapshot.warnings.extend(
                parsed.duplicate_problems(source, self._document_ref, "warning")
            )
        for index, value in parsed.docs:
            if value is not None:
                self._document(value, Location(source, index))

    def _count_bytes(self, source: Source) -> None:
        """Refuse the whole input (not just this file) once it is over the size limit: results
        from part of the input would silently be wrong."""
        try:
            self.input_bytes += source.size()
        except OSError:
            return  # reading it will report why
        limit = self.limits.max_input_bytes
        if self.input_bytes > limit:
            raise InputError(
                [
                    *self.errors,
                    Problem(
                        f"input is over the size limit of {limit:,} bytes "
                        f"({self.input_bytes:,} bytes so far); raise it with `max_input_bytes`",
                        Location(source, -1),
                    ),
                ]
            )

    def _document_ref(self, value: Any) -> str:
        if not isinstance(value, dict) or "items" in value:
            return ""
        return _object_ref(value.get("kind"), value.get("metadata"), self.default_ns)

    def _fail(self, problems: list[Problem]) -> None:
        (self.snapshot.invalid if self.skip_invalid else self.errors).extend(problems)

    def _document(self, value: Any, loc: Location) -> None:
        if not isinstance(value, dict):
            what = "a list" if isinstance(value, list) else f"a scalar ({type(value).__name__})"
            self._fail(
                [
                    Problem(
                        f"document is {what}; expected a Kubernetes object "
                        "(a mapping with apiVersion, kind and metadata)",
                        loc,
                    )
                ]
            )
            return
        kind = value.get("kind")
        items = value.get("items")
        if isinstance(kind, str) and kind.endswith("List") and "items" in value:
            if items is None:
                return  # an empty list as some clients print it
            if not isinstance(items, list):
                c = Checker(loc, kind)
                c.wrong_type(("items",), items, "a list")
                self._fail(c.errors)
                return
            # kubectl prints `kind: List`; API list responses (PodList...) omit the items' kind.
            item_kind = kind[: -len("List")] or None
            api = value.get("apiVersion") if item_kind else None
            for i, item in enumerate(items):
                self._object(item, loc.at("items", i), item_kind, api)
            return
        self._object(value, loc, None, None)

    def _object(self, obj: Any, loc: Location, kind0: str | None, api0: Any) -> None:
        if not isinstance(obj, dict):
            self._fail([Problem("list item is not an object", loc)])
            return
        kind = obj.get("kind", kind0)
        api = obj.get("apiVersion", api0)
        ref = _object_ref(kind, obj.get("metadata"), self.default_ns)
        c = Checker(loc, ref, strict=self.strict)
        if not isinstance(kind, str) or not kind:
            c.required(("kind",), "kind not set")
        if not isinstance(api, str) or not api:
            c.required(("apiVersion",), "apiVersion not set")
        if c.errors or not isinstance(kind, str) or not isinstance(api, str):
            self._finish_object(c)
            return
        if api in CALICO_API_VERSIONS and kind in CALICO_KINDS:
            self._calico(c, kind, obj, loc)
            return
        if api in CILIUM_API_VERSIONS and kind in CILIUM_KINDS:
            self._cilium(c, kind, obj, loc)
            return
        if kind == "ServiceAccount" and api == "v1":
            from netreach.loader.calico import read_service_account  # kinds.py: why here

            meta = read_service_account(c, obj)
            ns = meta.namespace or self.default_ns
            if self._finish_object(c, (kind, ns, meta.name), loc):
                self.snapshot.service_accounts.append(
                    ServiceAccount(ns, meta.name, meta.labels, loc)
                )
            return
        unmodelled = policy_kind(api, kind)
        if unmodelled is not None:
            self._unmodelled(obj, kind, api, loc, unmodelled)
            return
        if kind not in API_VERSIONS:
            self.snapshot.skipped.setdefault(kind, []).append(loc)
            return
        if api not in API_VERSIONS[kind]:
            c.error(("apiVersion",), f'no matches for kind "{kind}" in version "{api}"')
            self._finish_object(c)
            return
        if kind == "Pod" and pod_phase(obj) in ("Succeeded", "Failed"):
            self.snapshot.skipped.setdefault(SKIPPED_POD_PHASES, []).append(loc)
            return
        self._dispatch(c, kind, obj, loc)

    def _calico(self, c: Checker, kind: str, obj: dict[str, Any], loc: Location) -> None:
        from netreach.loader.calico import read_calico  # kinds.py: why here

        c.unknown_fields(obj, (), _POLICY_TOP_FIELDS)
        meta, got = read_calico(c, kind, obj, loc, self.default_ns)
        ns = getattr(got, "namespace", None) or ""
        if not self._finish_object(c, (f"{kind}.projectcalico.org", ns, meta.name), loc):
            return
        if isinstance(got, CalicoPolicy):
            self.snapshot.calico_policies.append(got)
            if got.namespace is not None:
                self.referenced.setdefault(got.namespace, loc)
            if got.host_endpoint:
                # host endpoints are not modelled: verdicts with a node address may differ
                self.snapshot.unmodelled.append(
                    Unmodelled(
                        kind,
                        "projectcalico.org/v3",
                        got.name,
                        None,
                        loc,
                        reach="host",
                        what=f"{got.host_endpoint} (host endpoint) policy",
                    )
                )
        elif isinstance(got, CalicoTier):
            self.snapshot.calico_tiers.append(got)
        elif isinstance(got, NetworkSet):
            self.snapshot.network_sets.append(got)
            if got.namespace is not None:
                self.referenced.setdefault(got.namespace, loc)

    def _cilium(self, c: Checker, kind: str, obj: dict[str, Any], loc: Location) -> None:
        from netreach.loader.cilium import read_cilium  # kinds.py: why here

        meta, policies, host = read_cilium(c, CILIUM_KINDS[kind], obj, loc, self.default_ns)
        ns = policies[0].namespace if policies and policies[0].namespace else ""
        if not self._finish_object(c, (kind, ns, meta.name), loc):
            return
        self.snapshot.cilium_policies.extend(p for p in policies if p.subject is not None)
        if ns:
            self.referenced.setdefault(ns, loc)
        for where in host:
            self.snapshot.unmodelled.append(
                Unmodelled(
                    kind,
                    "cilium.io/v2",
                    meta.name,
                    None,
                    loc.at(*where),
                    reach="host",
                    what=".".join(map(str, where)) + ": a nodeSelector (host firewall) rule",
                )
            )

    def _unmodelled(
        self, obj: dict[str, Any], kind: str, api: str, loc: Location, what: PolicyKind
    ) -> None:
        """A policy kind netreach does not model: kept, so results it could change say so."""
        md = obj.get("metadata")
        md = md if isinstance(md, dict) else {}
        raw_name = md.get("name")
        name = raw_name if isinstance(raw_name, str) else ""
        namespace: str | None = None
        if what.namespaced:
            ns = md.get("namespace")
            namespace = ns if isinstance(ns, str) and ns else self.default_ns
            if what.layer == "L7" and namespace in MESH_ROOT_NAMESPACES:
                namespace = None
        self.snapshot.unmodelled.append(Unmodelled(kind, api, name, namespace, loc, what.layer))
        self.snapshot.skipped.setdefault(f"{kind} ({api})", []).append(loc)

    def _dispatch(self, c: Checker, kind: str, obj: dict[str, Any], loc: Location) -> None:
        order = self.order
        self.order += 1
        if kind == "Namespace":
            meta = read_namespace(c, obj)
            if self._finish_object(c, ("Namespace", "", meta.name), loc):
                self.namespaces[meta.name] = (meta, loc)
            return
        if kind == "NetworkPolicy":
            c.unknown_fields(obj, (), _POLICY_TOP_FIELDS)
            meta, policy = read_policy(c, obj, loc, self.default_ns)
            if self._finish_object(c, (kind, policy.namespace, meta.name), loc):
                self.policies.append(policy)
                self.referenced.setdefault(policy.namespace, loc)
            return
        if kind in _ADMIN_KINDS:
            from netreach.loader.admin import read_admin_policy  # kinds.py: why here

            c.unknown_fields(obj, (), _POLICY_TOP_FIELDS)
            admin = read_admin_policy(c, _ADMIN_KINDS[kind], obj, loc)
            if self._finish_object(c, (kind, "", admin.name), loc):
                self.admin_policies.append(admin)
            return
        if kind == "Node":
            node = read_node(c, obj, loc)
            if self._finish_object(c, (kind, "", node.name), loc):
                self.nodes.append(node)
            return
        if kind == "Service":
            meta, service = read_service(c, obj, loc, self.default_ns)
            if self._finish_object(c, (kind, service.namespace, meta.name), loc):
                self.snapshot.services.append(service)
                self.referenced.setdefault(service.namespace, loc)
            return
        if kind == "Pod":
            raw = read_pod(c, obj)
            ns = raw.meta.namespace or self.default_ns
            if self._finish_object(c, (kind, ns, raw.meta.name), loc):
                self.pods.append(_RealPod(raw, ns, loc, order))
                self.referenced.setdefault(ns, loc)
            return
        meta = read_meta(c, obj, is_dns1123_subdomain, namespaced=True)
        spec = read_template(c, obj, kind)
        ns = meta.namespace or self.default_ns
        if self._finish_object(c, (kind, ns, meta.name), loc):
            self.workloads[(ns, kind, meta.name)] = _Workload(meta, spec, loc, order)
            self.referenced.setdefault(ns, loc)

    def _finish_object(
        self,
        c: Checker,
        key: tuple[str, str, str] | None = None,
        loc: Location | None = None,
    ) -> bool:
        """Record the object's problems; True when it is valid and not a duplicate."""
        if key is not None and loc is not None and not c.errors:
            first = self.seen.get(key)
            if first is not None:
                kind, ns, name = key
                what = f"{kind} {ns}/{name}" if ns else f"{kind} {name}"
                c.errors.append(Problem(f"duplicate {what}: also defined at {first}", loc, c.ref))
            else:
                self.seen[key] = loc
        self.snapshot.warnings.extend(c.warnings)
        if c.dropped and key is not None and not c.errors:
            kind, ns, name = key
            scope = ns or None
            if kind == "Namespace":
                scope = name  # its labels decide which namespaceSelectors match its pods
            self.snapshot.dropped.extend(
                DroppedField(c.ref, kind, scope, name, path, where) for path, where in c.dropped
            )
        self._fail(c.errors)
        return not c.errors

    # --- assembling ----------------------------------------------------------------------

    def finish(self) -> Snapshot:
        if self.errors:
            raise InputError(self.errors)
        snap = self.snapshot
        snap.policies = self.policies
        snap.admin_policies = self.admin_policies
        snap.nodes = self.nodes
        snap.warnings.extend(_priority_ties(self.admin_policies))
        snap.warnings.extend(_missing_tiers(snap))
        snap.pods = self._pods()
        snap.namespaces = self._namespaces()
        return snap

    def _top_owner(self, ns: str, owner: OwnerRef | None) -> WorkloadKey | None:
        """The outermost workload of the input up the owner chain from `owner`."""
        found: WorkloadKey | None = None
        seen: set[WorkloadKey] = set()
        while owner is not None:
            key = (ns, owner.kind, owner.name)
            if key not in self.workloads or key in seen:
                break
            seen.add(key)
            found = key
            owner = self.workloads[key].meta.owner
        return found

    def _pods(self) -> list[Pod]:
        ordered: list[tuple[int, Pod]] = []
        covered: set[WorkloadKey] = set()
        names: set[tuple[str, str]] = set()
        for p in self.pods:
            meta = p.raw.meta
            top = self._top_owner(p.namespace, meta.owner)
            if top is not None:
                covered.add(top)
                ref = WorkloadRef(p.namespace, top[2], top[1])
            elif meta.owner is not None:
                ref = WorkloadRef(p.namespace, meta.owner.name, meta.owner.kind)
            else:
                ref = WorkloadRef(p.namespace, meta.name, "Pod")
            names.add((p.namespace, meta.name))
            pod = Pod(
                namespace=p.namespace,
                name=meta.name,
                labels=p.raw.spec.labels,
                workload=ref,
                ips=p.raw.ips,
                ports=p.raw.spec.ports,
                host_network=p.raw.spec.host_network,
                location=p.loc,
                service_account=p.raw.spec.service_account,
            )
            ordered.append((p.order, pod))
        for key, w in self.workloads.items():
            ns, kind, name = key
            # A workload owned by another one of the input is represented by that owner.
            if key in covered or self._top_owner(ns, w.meta.owner) is not None:
                continue
            pod_name = _template_pod_name(key, names)
            names.add((ns, pod_name))
            pod = Pod(
                namespace=ns,
                name=pod_name,
                labels=w.spec.labels,
                workload=WorkloadRef(ns, name, kind),
                ports=w.spec.ports,
                host_network=w.spec.host_network,
                location=w.loc,
                from_template=True,
                service_account=w.spec.service_account,
            )
            ordered.append((w.order, pod))
        ordered.sort(key=lambda t: t[0])
        return [pod for _, pod in ordered]

    def _namespaces(self) -> dict[str, Namespace]:
        out: dict[str, Namespace] = {}
        for name, (meta, loc) in self.namespaces.items():
            # The API server always sets this label to the name.
            out[name] = Namespace(name, {**meta.labels, NAMESPACE_LABEL: name}, loc)
        for name, loc in self.referenced.items():
            if name in out:
                continue
            out[name] = Namespace(name, {NAMESPACE_LABEL: name}, None, implied=True)
            if name in BUILTIN_NAMESPACES:
                continue  # every cluster has them: implying them is no news
            self.snapshot.warnings.append(
                Problem(
                    f'namespace "{name}" is not defined in the input; assuming it exists '
                    f"with only the label {NAMESPACE_LABEL}={name}",
                    loc,
                    severity="warning",
                )
            )
        return out


def _missing_tiers(snap: Snapshot) -> list[Problem]:
    """A Calico policy in a tier the input does not define: Calico refuses it unless the
    Tier exists in the cluster; netreach assumes it does, ordered last with action Deny."""
    defined = {t.name for t in snap.calico_tiers} | {"default", "kube-admin", "kube-baseline"}
    out: list[Problem] = []
    for p in snap.calico_policies:
        if p.tier not in defined and p.location is not None:
            out.append(
                Problem(
                    f'{p.id}: tier "{p.tier}" is not defined in the input; assuming it exists '
                    "after every ordered tier, with defaultAction Deny",
                    p.location.at("spec", "tier"),
                    severity="warning",
                )
            )
    return out


def _priority_ties(policies: list[AdminPolicy]) -> list[Problem]:
    """Policies of one tier (Admin, or Baseline: BANP and ClusterNetworkPolicy tier Baseline)
    sharing a priority: the spec lets an implementation apply either to a connection both
    match; netreach orders them by kind then name (deterministic)."""
    by_priority: dict[tuple[str, int], list[AdminPolicy]] = {}
    for p in policies:
        by_priority.setdefault((p.tier, p.priority), []).append(p)
    out: list[Problem] = []
    for (tier, priority), same in sorted(by_priority.items()):
        if len(same) < 2:
            continue
        names = ", ".join(p.id for p in sorted(same, key=lambda p: (p.kind, p.name)))
        out.append(
            Problem(
                f"{tier}-tier policies {names} share priority {priority}: where they match "
                "the same connection the spec leaves the winner to the network plugin; "
                "netreach applies them in this order",
                same[1].location,
                severity="warning",
            )
        )
    return out


def _object_ref(kind: Any, md: Any, default_ns: str) -> str:
    """How messages name the object, e.g. "NetworkPolicy default/allow-db"."""
    what = kind if isinstance(kind, str) and kind else "object"
    name = md.get("name") if isinstance(md, dict) else None
    if not isinstance(name, str) or not name:
        return f"{what} (unnamed)"
    if kind in ("Namespace", "Node", *ADMIN_API_VERSIONS, *CLUSTER_SCOPED):
        return f"{what} {name}"
    ns = md.get("namespace") if isinstance(md, dict) else None
    return f"{what} {ns if isinstance(ns, str) and ns else default_ns}/{name}"


def _template_pod_name(key: WorkloadKey, taken: set[tuple[str, str]]) -> str:
    """`<workload>-<5 chars>`: stable across runs, unique within the namespace."""
    import hashlib  # here: workloads without pods only, and OpenSSL costs 4 ms to load

    ns, kind, name = key
    digest = hashlib.sha256(f"{ns}/{kind}/{name}".encode()).digest()
    for attempt in range(len(digest) - 5):
        suffix = "".join(
            _SUFFIX_ALPHABET[b % len(_SUFFIX_ALPHABET)] for b in digest[attempt : attempt + 5]
        )
        candidate = f"{name}-{suffix}"
        if (ns, candidate) not in taken:
            return candidate
    return f"{name}-{kind.lower()}"
