"""A brute-force reading of Calico's and Cilium's policy semantics (tests/cni docstrings cite
the docs), one connection at a time, straight from the model objects: no classes, no
bitsets, no stages, no connection-set algebra. Kubernetes NetworkPolicies are read by the
engine tests' oracle (tests/engine/oracle.py).

Calico, per direction at a pod: tiers by order (none last; then name); in a tier the
policies that select the pod (with the direction in their types; Kubernetes NetworkPolicies
at order 1000 of the default tier), by order then "name/namespace/kind"; rules in order, the
first whose criteria all match decides (Allow, Deny; Pass: next tier; Log: go on); a tier
some policy of which selected the pod and that decided nothing applies its default action
(Deny; Pass: next tier); after the last tier: allowed.

Cilium, per direction at a pod: a deny rule of a policy selecting the pod that matches denies;
else an allow rule (or a NetworkPolicy rule) that matches allows; else denied if some
selecting policy asks for default deny in that direction (or a NetworkPolicy isolates the
pod), allowed otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.oracle import Oracle, _in_block
from engine.oracle import _in_cidr as _in
from netreach.model import (
    V_NAMESPACE,
    V_NS_LABEL,
    V_ORCHESTRATOR,
    V_SA_LABEL,
    V_SERVICE_ACCOUNT,
    CalicoEntity,
    CalicoPolicy,
    CalicoRule,
    CalicoTier,
    CiliumPolicy,
    CiliumRule,
    Direction,
    Namespace,
    NetworkPolicy,
    Options,
    Pod,
    PolicyPort,
    Protocol,
)

Endpoint = Pod | str
BUILTIN = {"kube-admin": (1000.0, "Pass"), "default": (1e6, "Deny"), "kube-baseline": (1e7, "Pass")}


class CniOracle:
    def __init__(
        self,
        namespaces: Mapping[str, Namespace],
        policies: list[NetworkPolicy],
        options: Options,
        calico: list[CalicoPolicy] = (),  # type: ignore[assignment]
        tiers: list[CalicoTier] = (),  # type: ignore[assignment]
        cilium: list[CiliumPolicy] = (),  # type: ignore[assignment]
        accounts: Mapping[tuple[str, str], Mapping[str, str]] | None = None,
    ) -> None:
        self.namespaces = namespaces
        self.np = Oracle(namespaces, policies, [], [], options)
        self.policies = policies
        self.options = options
        self.calico = list(calico)
        self.tiers = {n: v for n, v in BUILTIN.items()}
        for t in tiers:
            self.tiers[t.name] = (
                t.order if t.order is not None else float("inf"),
                t.default_action,
            )
        for p in self.calico:
            self.tiers.setdefault(p.tier, (float("inf"), "Deny"))
        self.cilium = list(cilium)
        self.accounts = accounts or {}
        self.unaddressed: set[int] = {4}

    # --- what selectors see of a pod -----------------------------------------------------------
    def labels(self, pod: Pod) -> dict[str, str]:
        ns = self.namespaces[pod.namespace].labels
        sa = self.accounts.get((pod.namespace, pod.service_account), {})
        out = dict(pod.labels)
        out.update({V_NS_LABEL + k: v for k, v in ns.items()})
        out.update({V_SA_LABEL + k: v for k, v in sa.items()})
        out[V_NAMESPACE] = pod.namespace
        out[V_SERVICE_ACCOUNT] = pod.service_account
        out[V_ORCHESTRATOR] = "k8s"
        return out

    def _ns_calico(self, ns: str) -> dict[str, str]:
        return {**self.namespaces[ns].labels, "projectcalico.org/name": ns}

    def _families(self, ep: Endpoint) -> set[int]:
        """An endpoint's address families; a pod without an address: the snapshot's."""
        ips = self._ips(ep)
        return {6 if ":" in ip else 4 for ip in ips} if ips else self.unaddressed

    def _ips(self, ep: Endpoint) -> tuple[str, ...]:
        return (ep,) if isinstance(ep, str) else ep.ips

    @staticmethod
    def _port(p: PolicyPort, protocol: Protocol, port: int, dst: Endpoint) -> bool:
        return Oracle._port(p, protocol, port, dst)

    # --- Calico --------------------------------------------------------------------------------
    def _entity(self, e: CalicoEntity, ep: Endpoint, policy_ns: str | None) -> bool:
        pod = ep if isinstance(ep, Pod) and not ep.host_network else None
        # libcalico-go rules.go: the positive match is the selector, limited to the namespace
        # selector or the policy's own namespace; a notSelector alone in a global policy is
        # only "not one of these endpoints", so it admits host and external addresses too.
        positive = (
            e.selector is not None
            or e.namespace_selector is not None
            or (e.not_selector is not None and policy_ns is not None)
        )
        if positive:
            if pod is None:
                return False  # no network sets here: selectors only match pods
            if e.namespace_selector is not None:
                if e.namespace_selector.is_global:
                    return False
                if not e.namespace_selector.matches(self._ns_calico(pod.namespace)):
                    return False
            elif policy_ns is not None and pod.namespace != policy_ns:
                return False
            if e.selector is not None and not e.selector.matches(self.labels(pod)):
                return False
        if (
            e.not_selector is not None
            and pod is not None
            and e.not_selector.matches(self.labels(pod))
        ):
            return False
        ips = self._ips(ep)
        if e.nets and not any(_in(ip, n) for ip in ips for n in e.nets):
            return False
        return not (e.not_nets and any(_in(ip, n) for ip in ips for n in e.not_nets))

    def _calico_rule(
        self,
        pol: CalicoPolicy,
        r: CalicoRule,
        d: Direction,
        pod: Pod,
        other: Endpoint,
        dst: Endpoint,
        protocol: Protocol,
        port: int,
    ) -> bool:
        if r.inert:
            return False
        if r.protocol is not None and r.protocol != protocol:
            return False
        if r.not_protocol is not None and r.not_protocol == protocol:
            return False
        if r.ip_version is not None and not (
            r.ip_version in self._families(pod) and r.ip_version in self._families(other)
        ):
            return False  # Calico: the packet's family; netreach: per pod (docs/semantics.md)
        peer, own = (r.source, r.destination) if d == "ingress" else (r.destination, r.source)
        if not self._entity(peer, other, pol.namespace) or not self._entity(
            own, pod, pol.namespace
        ):
            return False
        dent = r.destination
        if dent.ports and not any(self._port(p, protocol, port, dst) for p in dent.ports):
            return False
        return not any(self._port(p, protocol, port, dst) for p in dent.not_ports)

    def _calico_selects(self, pol: CalicoPolicy, pod: Pod, d: Direction) -> bool:
        if d not in pol.types or pod.host_network or not pol.applies_to_pods:
            return False
        if pol.namespace is not None and pod.namespace != pol.namespace:
            return False
        if pol.namespace_selector is not None and not pol.namespace_selector.matches(
            self._ns_calico(pod.namespace)
        ):
            return False
        return pol.selector.matches(self.labels(pod))

    def _calico_side(
        self, d: Direction, pod: Pod, other: Endpoint, dst: Endpoint, protocol: Protocol, port: int
    ) -> bool:
        if pod.host_network:
            return True
        for name, (_, default) in sorted(self.tiers.items(), key=lambda t: (t[1][0], t[0])):
            entries: list[tuple[tuple[float, str], object]] = []
            for pol in self.calico:
                if pol.tier == name and self._calico_selects(pol, pod, d):
                    entries.append((pol.order_key, pol))
            if name == "default":
                for np in self.policies:
                    if (
                        d in np.policy_types
                        and np.namespace == pod.namespace
                        and np.pod_selector.matches(pod.labels)
                    ):
                        entries.append(
                            ((1000.0, f"{np.name}/{np.namespace}/KubernetesNetworkPolicy"), np)
                        )
            if not entries:
                continue
            entries.sort(key=lambda e: e[0])
            outcome = None
            for _, pol in entries:
                if isinstance(pol, NetworkPolicy):
                    if self._np_rule_allows(pol, d, other, dst, protocol, port):
                        outcome = "Allow"
                else:
                    assert isinstance(pol, CalicoPolicy)
                    for r in pol.rules(d):
                        if self._calico_rule(pol, r, d, pod, other, dst, protocol, port):
                            if r.action == "Log":
                                continue
                            outcome = r.action
                            break
                if outcome is not None:
                    break
            if outcome in ("Allow", "Deny"):
                return outcome == "Allow"
            if outcome == "Pass":
                continue
            if default == "Deny":
                return False
        return True

    def _np_rule_allows(
        self,
        pol: NetworkPolicy,
        d: Direction,
        other: Endpoint,
        dst: Endpoint,
        protocol: Protocol,
        port: int,
    ) -> bool:
        np = self.np
        return any(
            (not rule.peers or any(np._peer(pr, pol.namespace, other) for pr in rule.peers))
            and (not rule.ports or any(self._port(p, protocol, port, dst) for p in rule.ports))
            for rule in pol.rules(d)
        )

    # --- Cilium --------------------------------------------------------------------------------
    def _cilium_rule(
        self, r: CiliumRule, other: Endpoint, dst: Endpoint, protocol: Protocol, port: int
    ) -> bool:
        if r.l3:
            pod = other if isinstance(other, Pod) else None
            hit = False
            if pod is not None and not pod.host_network:
                hit = any(s.matches(self.labels(pod)) for s in r.endpoints)
            if isinstance(other, str):
                hit = hit or any(_in_block(other, b) for b in r.cidrs)
            for e in r.entities:
                if e == "all" or (e == "cluster" and pod is not None):
                    hit = True
                if e == "world" and pod is None:
                    hit = True
            if not hit:
                return False
        elif r.empty_l3 or r.ports is None:
            return False
        return r.ports is None or any(self._port(p, protocol, port, dst) for p in r.ports)

    def _cilium_side(
        self, d: Direction, pod: Pod, other: Endpoint, dst: Endpoint, protocol: Protocol, port: int
    ) -> bool:
        if pod.host_network:
            return True
        selecting = [
            p for p in self.cilium if p.subject is not None and p.subject.matches(self.labels(pod))
        ]
        for p in selecting:
            if any(self._cilium_rule(r, other, dst, protocol, port) for r in p.rules(d, True)):
                return False
        isolating = [
            np
            for np in self.policies
            if d in np.policy_types
            and np.namespace == pod.namespace
            and np.pod_selector.matches(pod.labels)
        ]
        for p in selecting:
            if any(self._cilium_rule(r, other, dst, protocol, port) for r in p.rules(d)):
                return True
        if any(self._np_rule_allows(np, d, other, dst, protocol, port) for np in isolating):
            return True
        return not (isolating or any(d in p.default_deny for p in selecting))

    # --- a connection --------------------------------------------------------------------------
    def allowed(self, src: Endpoint, dst: Endpoint, protocol: Protocol, port: int) -> bool:
        side = self._cilium_side if self.cilium else self._calico_side
        egress = not isinstance(src, Pod) or side("egress", src, dst, dst, protocol, port)
        ingress = not isinstance(dst, Pod) or side("ingress", dst, src, dst, protocol, port)
        return egress and ingress
