"""Merge mode: what a snapshot's current policies already open, asked of the engine.

Only what rules open counts: a pod that is not isolated today will be once the deny-all
lands, so "allowed because nothing selects it" is not coverage.
"""

from __future__ import annotations

from netreach.analyses.generate.groups import Group
from netreach.analyses.generate.intent import CidrSpec, resolve_names
from netreach.analyses.generate.synthesize import Party
from netreach.engine import ipset
from netreach.engine.conns import EMPTY, ConnectionSet
from netreach.engine.verdict import Endpoint, contributions
from netreach.model import Direction, Pod
from netreach.query.ports import NamedPort
from netreach.query.reach import Reach


class Existing:
    def __init__(self, cluster: Reach) -> None:
        self.cluster = cluster
        self.compiled = cluster.compiled

    def isolated(self, pods: list[Pod]) -> bool:
        """Every pod (not on the host network) is isolated in both directions already."""
        return all(
            self.compiled.is_isolated(self.compiled.class_of[p.id], d)
            for p in pods
            if not p.host_network
            for d in ("ingress", "egress")
        )

    def covered(
        self,
        direction: Direction,
        group: Group,
        peer: Party,
        conns: ConnectionSet,
        names: frozenset[NamedPort] = frozenset(),
    ) -> bool:
        """Rules of current policies open `conns` (and the port `names`, resolved on the
        destination) between every pod of `group` and `peer`."""
        peers: list[Endpoint] = (
            self._addresses(peer) if isinstance(peer, CidrSpec) else list(peer.pods)
        )
        for pod in group.pods:
            if pod.host_network:
                continue
            for other in peers:
                opened = EMPTY
                for rule, c in contributions(self.compiled, direction, pod, other):
                    if rule.tier == "NetworkPolicy":
                        opened = opened | c
                dst = pod if direction == "ingress" else other
                wanted = conns | resolve_names(names, dst) if isinstance(dst, Pod) else conns
                if not wanted.issubset(opened):
                    return False
        return True

    def _addresses(self, cidr: CidrSpec) -> list[Endpoint]:
        """One address per atom of the range: the engine decides every atom as one."""
        lo, hi = ipset.cidr_range(cidr.cidr)
        atoms = self.compiled.atoms
        out: list[Endpoint] = []
        i = atoms.index(lo)
        while i < len(atoms) and atoms.starts[i] <= hi:
            out.append(ipset.key_address(max(atoms.starts[i], lo)))
            i += 1
        return out
