"""What an audit reports: findings on named objects, and a posture summary per namespace.

These names are a contract: the JSON, SARIF, Markdown and HTML outputs read exactly them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from netreach.model import (
    CalicoPolicy,
    CiliumPolicy,
    Location,
    Namespace,
    NetworkPolicy,
    PathPart,
    Pod,
)

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")  # most severe first


def severity_rank(severity: Severity) -> int:
    """0 for error, 1 for warning, 2 for info: sorts the most severe first."""
    return SEVERITIES.index(severity)


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """One object a finding speaks of, with where it was read (`file:line`) when known."""

    kind: str  # "NetworkPolicy", "Namespace", or the workload kind of a pod ("Deployment", ...)
    namespace: str | None
    name: str
    location: str | None = None

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"

    @classmethod
    def policy(cls, pol: NetworkPolicy, *path: PathPart) -> ObjectRef:
        return cls("NetworkPolicy", pol.namespace, pol.name, _where(pol.location, path))

    @classmethod
    def any_policy(cls, pol: CalicoPolicy | CiliumPolicy, location: str = "") -> ObjectRef:
        """A Calico or Cilium policy, by the kind netreach's ids name it (`location`: where
        in it, a rule's file:line)."""
        kind = "CalicoNetworkPolicy" if pol.kind == "NetworkPolicy" else pol.kind
        return cls(kind, pol.namespace, pol.name, location or _where(pol.location, ()))

    @classmethod
    def pod(cls, pod: Pod) -> ObjectRef:
        """A pod is reported as its workload (replicas share one finding)."""
        return cls(pod.workload.kind, pod.namespace, pod.workload.name, _where(pod.location, ()))

    @classmethod
    def namespace_of(cls, name: str, ns: Namespace | None) -> ObjectRef:
        return cls("Namespace", None, name, _where(ns.location if ns else None, ()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "location": self.location,
        }


def _where(loc: Location | None, path: tuple[PathPart, ...]) -> str | None:
    if loc is None:
        return None
    return str(loc.at(*path)) if path else str(loc)


def split_location(location: str) -> tuple[str, int | None]:
    """`file:line` -> (file, line); a location without a line keeps the whole text as file."""
    file, sep, line = location.rpartition(":")
    if sep and line.isdigit():
        return file, int(line)
    return location, None


@dataclass(slots=True)
class Finding:
    check: str  # stable id, e.g. "dns-blocked"
    severity: Severity
    message: str  # plain words: what is wrong and why it matters
    objects: list[ObjectRef]
    fix: str  # what to do, often with a YAML snippet
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def namespace(self) -> str | None:
        """The namespace the finding belongs to (its first object's)."""
        for o in self.objects:
            if o.kind == "Namespace":
                return o.name
            if o.namespace:
                return o.namespace
        return None

    @property
    def location(self) -> str | None:
        """Where to point a reader first: the first object read from a file."""
        return next((o.location for o in self.objects if o.location), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "severity": self.severity,
            "message": self.message,
            "objects": [o.to_dict() for o in self.objects],
            "fix": self.fix,
            "details": self.details,
        }


@dataclass(slots=True)
class NamespaceSummary:
    """Posture of one namespace: isolation shares, policies, findings by severity."""

    namespace: str
    pods: int
    ingress_isolated: int
    egress_isolated: int
    policies: int
    findings: dict[Severity, int]
    # a default deny from any tier: NetworkPolicy isolation, or an admin-tier Deny reaching
    # every pod (analyses/guards.py); equal to the isolated counts without admin tiers
    ingress_guarded: int = 0
    egress_guarded: int = 0
    tier_policies: list[str] = field(default_factory=list)  # admin-tier policies applying here
    tier_guards: dict[str, list[str]] = field(default_factory=dict)  # direction -> policies

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def ingress_share(self) -> float | None:
        return self._share(self.ingress_isolated, self.pods)

    @property
    def egress_share(self) -> float | None:
        return self._share(self.egress_isolated, self.pods)

    def to_dict(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "pods": self.pods,
            "ingress_isolated": self.ingress_isolated,
            "egress_isolated": self.egress_isolated,
            "policies": self.policies,
            "findings": dict(self.findings),
            "ingress_guarded": self.ingress_guarded,
            "egress_guarded": self.egress_guarded,
            "tier_policies": self.tier_policies,
            "tier_guards": self.tier_guards,
        }


@dataclass(slots=True)
class AuditReport:
    findings: list[Finding]
    posture: list[NamespaceSummary]
    checks: list[str]  # ids of the checks that ran (disabled ones left out)
    notes: list[str] = field(default_factory=list)  # e.g. checks skipped, and why

    def counts(self) -> dict[Severity, int]:
        c = Counter(f.severity for f in self.findings)
        return {s: c.get(s, 0) for s in SEVERITIES}

    def fails(self, threshold: Severity) -> bool:
        """Whether any finding is at least as severe as `threshold` (for --fail-on)."""
        limit = severity_rank(threshold)
        return any(severity_rank(f.severity) <= limit for f in self.findings)

    def by_check(self) -> dict[str, int]:
        return dict(sorted(Counter(f.check for f in self.findings).items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "summary": self.counts(),
            "checks": self.checks,
            "notes": self.notes,
            "posture": [p.to_dict() for p in self.posture],
            "findings": [f.to_dict() for f in self.findings],
        }
