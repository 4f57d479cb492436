"""`Cluster`: the library's front door. Load once, then ask: check, connectivity, audit, ...

The questions about reachability come from `Reach` (the query layer); the analyses built on
them (audit, diff, describe, exposure, expectations, generate, report) are methods here that
call the analysis modules, which themselves only see a `Reach`. So the imports run one way:
query -> analyses -> this front door.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netreach.loader.limits import Limits
from netreach.model import Options
from netreach.query.reach import Reach

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netreach.analyses.audit import AuditConfig, AuditReport
    from netreach.analyses.describe import PolicyDescription
    from netreach.analyses.describe_pod import PodReading
    from netreach.analyses.diff import DiffReport
    from netreach.analyses.expect import Expectation, Result
    from netreach.analyses.exposure import ExposureReport
    from netreach.analyses.generate import GeneratedPolicies
    from netreach.analyses.generate.flows import Flows
    from netreach.analyses.generate.intent import Intent
    from netreach.analyses.report import ReportData, ReportLevel
    from netreach.loader.infer import InferMode
    from netreach.loader.inputs import Inputs
    from netreach.model import Pod
    from netreach.query.connectivity import Level


class Cluster(Reach):
    """A validated snapshot, the questions it answers, and the analyses built on them."""

    def audit(self, config: AuditConfig | None = None) -> AuditReport:
        """Where the cluster departs from the secure pattern: findings and posture."""
        from netreach.analyses.audit import audit

        return audit(self, config)

    def diff(self, new: Reach, by: Level = "workload", **options: Any) -> DiffReport:
        """What `new` allows that this snapshot does not, and the reverse
        (netreach.analyses.diff.diff says every option)."""
        from netreach.analyses.diff import diff

        return diff(self, new, by, **options)

    def expectations(self, expectations: Sequence[Expectation]) -> list[Result]:
        """Each expectation (`allow`/`deny` between endpoints) checked, in order."""
        from netreach.analyses.expect import check_expectations

        return check_expectations(self, expectations)

    def generate(self, intent: Intent | Flows, **options: Any) -> GeneratedPolicies:
        """Least-privilege policies for the intended or observed connections, with their proof
        (netreach.analyses.generate.generate says every option)."""
        from netreach.analyses.generate import generate

        return generate(self, intent, **options)

    def describe_pod(self, ref: str | Pod) -> PodReading:
        """A pod (`ns/pod`, a workload) in words: its policies in every tier, its access."""
        from netreach.analyses.describe_pod import describe_pod

        return describe_pod(self, ref)

    def describe_policy(self, ref: str) -> PolicyDescription:
        """A policy of any tier or kind (`ns/name`, `KIND/NAME`, `KIND/NS/NAME`) in words:
        whom it selects, each rule."""
        from netreach.analyses.describe import describe_policy

        return describe_policy(self, ref)

    def exposure(self, namespaces: Sequence[str] | None = None) -> ExposureReport:
        """For each workload: the unnamed peers it is open to, and what nothing restricts."""
        from netreach.analyses.exposure import exposure

        return exposure(self, namespaces=namespaces)

    def report(self, by: ReportLevel = "workload", **options: Any) -> ReportData:
        """Everything the HTML report shows, as data (netreach.render.html writes it)."""
        from netreach.analyses.report import build_report

        return build_report(self, by, **options)


def load(
    *paths: str | Inputs,
    namespace: str | None = None,
    skip_invalid: bool = False,
    strict: bool = True,
    options: Options | None = None,
    limits: Limits | None = None,
    lenient: bool = False,
    infer_workloads: InferMode = "auto",
) -> Cluster:
    """Read files, directories or `-` (stdin) as kubectl reads them, validate as the API server
    would (strict field validation, as `kubectl apply`), and compile.

    Or read what one `Inputs` value names (a live cluster, Helm charts, kustomizations, files;
    its own limits, switches and options): `netreach.load(Inputs(helm="charts/shop"))`. The
    keyword parameters then stay at their defaults.

    `infer_workloads`: for policies-only input, representative pods made from the selectors
    (marked `inferred`; docs/inference.md): "auto" when no pod of the input is selected by
    any policy, "always" for every selector no pod satisfies, "never".
    Raises `InputError` listing every problem when the input is invalid or over `limits`.
    `lenient=True` turns unknown fields and duplicate keys into warnings; verdicts that a
    dropped field could change then say so (`Verdict.caveats`).
    """
    from netreach.errors import QueryError
    from netreach.loader import load_sources
    from netreach.loader.infer import infer_workloads as infer
    from netreach.loader.inputs import Inputs, read_sources

    given = [p for p in paths if isinstance(p, Inputs)]
    if given:
        if len(paths) != 1:
            raise QueryError("load() takes either paths or one Inputs value, not both")
        inputs = given[0]
    else:
        inputs = Inputs(
            paths=tuple(str(p) for p in paths),
            namespaces=(namespace,) if namespace else (),
            skip_invalid=skip_invalid,
            lenient=lenient or not strict,
            limits=limits or Limits(),
            infer_workloads=infer_workloads,
            options=options or Options(),
        )
        if not paths:
            raise QueryError("load() needs paths, or an Inputs value (which can name a cluster)")
    snapshot = load_sources(
        read_sources(inputs),
        namespace=inputs.namespace,
        skip_invalid=inputs.skip_invalid,
        lenient=inputs.lenient,
        limits=inputs.limits,
    )
    return Cluster(infer(snapshot, inputs.infer_workloads).snapshot, options or inputs.options)
