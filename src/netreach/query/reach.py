"""`Reach`: what one snapshot allows. Names resolved (pods, workloads, addresses, Services),
the compiled form cached, and the questions every analysis builds on: check, connectivity,
isolation.

Everything here delegates to the engine's compiled form; analyses and the front door
(`netreach.cluster.Cluster`) sit above and are never imported from here.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Self

from netreach.errors import QueryError
from netreach.model import (
    PROTOCOLS,
    AdminPolicy,
    Namespace,
    NetworkPolicy,
    Node,
    Options,
    Pod,
    Protocol,
    Service,
    Snapshot,
    WorkloadRef,
    canonical_ip,
)
from netreach.query.endpoints import parse_name_ref, split_namespace

if TYPE_CHECKING:
    # The engine (numpy) and the analyses load when a question needs them: `import netreach`
    # stays cheap for the command line's start-up.
    from netreach.engine.compile import Compiled
    from netreach.engine.matrix import ClassMatrix
    from netreach.engine.verdict import Endpoint, Verdict
    from netreach.query.connectivity import Connectivity, Level


class Reach:
    """A validated snapshot and the questions about what it allows."""

    def __init__(self, snapshot: Snapshot, options: Options | None = None) -> None:
        self.snapshot = snapshot
        self.options = options or Options()
        self._pods_by_id = {p.id: p for p in snapshot.pods}
        self._by_workload: dict[WorkloadRef, list[Pod]] = {}
        self._by_ip: dict[str, Pod] = {}
        for p in snapshot.pods:
            self._by_workload.setdefault(p.workload, []).append(p)
            if not p.host_network:
                for ip in p.ips:
                    self._by_ip.setdefault(canonical_ip(ip), p)

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot, options: Options | None = None) -> Self:
        return cls(snapshot, options)

    # --- contents -------------------------------------------------------------------------------
    @property
    def pods(self) -> list[Pod]:
        return self.snapshot.pods

    @property
    def namespaces(self) -> dict[str, Namespace]:
        return self.snapshot.namespaces

    @property
    def policies(self) -> list[NetworkPolicy]:
        return self.snapshot.policies

    @property
    def admin_policies(self) -> list[AdminPolicy]:
        """AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy objects."""
        return self.snapshot.admin_policies

    @property
    def nodes(self) -> list[Node]:
        return self.snapshot.nodes

    @property
    def services(self) -> list[Service]:
        return self.snapshot.services

    @property
    def workloads(self) -> dict[WorkloadRef, list[Pod]]:
        return self._by_workload

    @cached_property
    def compiled(self) -> Compiled:
        from netreach.engine.compile import Compiled

        return Compiled(self.snapshot, self.options)

    @cached_property
    def matrix(self) -> ClassMatrix:
        from netreach.engine.matrix import ClassMatrix

        return ClassMatrix(self.compiled)

    # --- names ----------------------------------------------------------------------------------
    def resolve(self, ref: str | Pod) -> Endpoint:
        """A pod (`ns/pod`), a workload (`ns/name[Kind]` or `ns/name`), an IP address, or a
        Service (`svc/ns/name`: its first backing pod; `check` also translates the port)."""
        from netreach.query.services import backing_pods, find_service, service_id

        if isinstance(ref, Pod):
            return ref
        ref = ref.strip()
        if service_id(self, ref) is not None:
            service = find_service(self, ref)
            pods = backing_pods(self, service)
            if not pods:
                raise QueryError(f"Service {service.id} selects no pod in the snapshot")
            return pods[0]
        try:
            ip = canonical_ip(ref)
        except ValueError:
            pass
        else:
            return self._by_ip.get(ip, ip)
        namespace, rest = split_namespace(ref)
        ref = f"{namespace}/{rest}"
        pod = self._pods_by_id.get(ref)  # any pod name, before the workload syntax
        if pod is not None:
            return pod
        named = parse_name_ref(ref)
        if named is None:
            raise QueryError(self._unknown(ref))
        if named.kind is not None:
            wl = WorkloadRef(named.namespace, named.name, named.kind)
            if wl in self._by_workload:
                return self._by_workload[wl][0]
            raise QueryError(self._unknown(ref))
        ns, name = named.namespace, named.name
        owners = [w for w in self._by_workload if w.namespace == ns and w.name == name]
        if len(owners) == 1:
            return self._by_workload[owners[0]][0]
        if len(owners) > 1:
            choices = ", ".join(sorted(w.id for w in owners))
            raise QueryError(f"{ref!r} names several workloads: {choices}; add the [Kind]")
        raise QueryError(self._unknown(ref))

    def _unknown(self, ref: str) -> str:
        names = list(self._pods_by_id) + [w.id for w in self._by_workload]
        close = difflib.get_close_matches(ref, names, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        return f"no pod or workload {ref!r} in the snapshot{hint}"

    def resolve_port(
        self, dst: Endpoint, port: int | str, protocol: Protocol
    ) -> tuple[int, str | None]:
        """A port number, or a name resolved on the destination pod's containers."""
        if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
            number = int(port)
            if not 1 <= number <= 65535:
                raise QueryError(f"port {number} is not within 1-65535")
            return number, None
        if not isinstance(dst, Pod):
            raise QueryError(f"named port {port!r} needs a pod destination, not {dst}")
        for cp in dst.ports:
            if cp.name == port and cp.protocol == protocol:
                return cp.port, port
        have = ", ".join(f"{cp.name}={cp.port}/{cp.protocol}" for cp in dst.ports if cp.name)
        raise QueryError(
            f"pod {dst.id} has no container port named {port!r} with protocol {protocol}"
            + (f" (it has {have})" if have else "")
        )

    # --- questions ------------------------------------------------------------------------------
    def check(
        self, src: str | Pod, dst: str | Pod, port: int | str, protocol: str = "TCP"
    ) -> Verdict:
        """May `src` open a connection to `dst` on `port`/`protocol`? With the reasons, and
        the caveats when something in the input netreach does not model could change it."""
        from netreach.query.caveats import verdict_caveats

        verdict = self._check(src, dst, port, protocol)
        if verdict.caveats:
            return verdict
        caveats = verdict_caveats(
            self.snapshot, verdict.src, verdict.dst, verdict.allowed, self.compiled
        )
        return replace(verdict, caveats=caveats) if caveats else verdict

    def _check(
        self, src: str | Pod, dst: str | Pod, port: int | str, protocol: str = "TCP"
    ) -> Verdict:
        from netreach.engine.verdict import DirectionVerdict, Verdict, decide_direction
        from netreach.query.services import service_id

        if service_id(self, dst) is not None:
            return self._check_service(src, str(dst), port, protocol)
        proto = protocol.upper()
        if proto not in PROTOCOLS:
            raise QueryError(f"unknown protocol {protocol!r} (expected TCP, UDP or SCTP)")
        p: Protocol = proto
        s = self.resolve(src)
        d = self.resolve(dst)
        number, name = self.resolve_port(d, port, p)
        if not isinstance(s, Pod) and not isinstance(d, Pod):
            raise QueryError("at least one side must be a pod of the snapshot")
        if (
            isinstance(s, Pod)
            and isinstance(d, Pod)
            and s.id == d.id
            and (self.options.self_traffic == "allowed")
        ):
            note = "a pod's traffic to itself is always allowed (--self-traffic allowed)"
            return Verdict(
                s,
                d,
                number,
                p,
                DirectionVerdict("egress", s, True, note=note),
                DirectionVerdict("ingress", d, True, note=note),
                name,
            )
        compiled = self.compiled
        dst_pod = d if isinstance(d, Pod) else None
        egress = (
            decide_direction(compiled, "egress", s, d, p, number, dst_pod)
            if isinstance(s, Pod)
            else DirectionVerdict("egress", None, True)
        )
        ingress = (
            decide_direction(compiled, "ingress", d, s, p, number, dst_pod)
            if isinstance(d, Pod)
            else DirectionVerdict("ingress", None, True)
        )
        return Verdict(s, d, number, p, egress, ingress, name)

    def connectivity(
        self,
        by: Level = "pod",
        external: bool = False,
        *,
        namespaces: Sequence[str] | None = None,
        src: str | None = None,
        dst: str | None = None,
        port: str | None = None,
        include_self: bool = True,
        merge_external: bool = True,
        ipv6: bool = True,
    ) -> Connectivity:
        """Every allowed connection `src -> dst : connection set`, sorted, streamed."""
        from netreach.query.connectivity import Connectivity, NodeFilter
        from netreach.query.ports import PortSyntaxError, parse_port
        from netreach.query.services import PodsFilter, route_asked, service_id

        if by not in ("pod", "workload", "namespace"):
            raise QueryError(f"unknown level {by!r} (expected pod, workload or namespace)")
        dst_filter: NodeFilter | None = NodeFilter(dst) if dst else None
        if dst is not None and service_id(self, dst) is not None:
            # The Service port becomes the pod port, the Service its backing pods.
            r = route_asked(self, dst, port)
            if not r.reachable:
                raise QueryError(r.explain())
            if len(r.target_ports) != 1:
                raise QueryError(r.explain() + ": the backing pods disagree on the pod port")
            dst_filter = PodsFilter(dst, [b.pod for b in r.reachable])
            port = f"{r.target_ports[0]}/{r.port.protocol}"
        try:
            port_filter = parse_port(port, names=False) if port else None
        except PortSyntaxError as exc:
            raise QueryError(str(exc)) from exc
        return Connectivity(
            self.compiled,
            self.matrix,
            by=by,
            external=external,
            merge_external=merge_external,
            ipv6=ipv6,
            include_self=include_self,
            namespaces=namespaces,
            src=NodeFilter(src) if src else None,
            dst=dst_filter,
            port=port_filter,
        )

    def isolated(self, pod: str | Pod, direction: str) -> tuple[NetworkPolicy, ...]:
        """The policies isolating a pod in one direction (empty: not isolated)."""
        ep = self.resolve(pod)
        if not isinstance(ep, Pod):
            raise QueryError(f"{pod} is not a pod")
        if direction not in ("ingress", "egress"):
            raise QueryError(f"unknown direction {direction!r}")
        if self.compiled.exempt(ep):
            return ()
        ci = self.compiled.class_of[ep.id]
        return tuple(
            self.compiled.policies[i]
            for i in self.compiled.isolating[direction][ci]  # type: ignore[index]
        )

    def _check_service(self, src: str | Pod, ref: str, port: int | str, protocol: str) -> Verdict:
        """`Cluster.check` towards a Service: decided on each backing pod at its pod port.

        The verdict shown is the first backing pod's, or the first denied one's when they differ
        (a client is only sure to get through when every backend admits it).
        """
        from netreach.query.services import route

        r = route(self, ref, port, protocol)
        if not r.reachable:
            raise QueryError(r.explain())
        verdicts = []
        for b in r.reachable:
            assert b.port is not None
            verdicts.append(self.check(src, b.pod, b.port, r.port.protocol))
        shown = next((v for v in verdicts if not v.allowed), verdicts[0])
        note = r.explain()
        allowed = sum(v.allowed for v in verdicts)
        if 0 < allowed < len(verdicts):
            note += f"; only {allowed} of {len(verdicts)} backing pods admit it"
        return replace(shown, translation=note, service=r.service.id)
