"""Strict by default, like `kubectl apply`; `lenient` drops unknown fields and every verdict
they could change says so."""

from __future__ import annotations

from tests_load_helpers import errors, snapshot

from netreach.cluster import Cluster
from netreach.loader import load_sources
from netreach.loader.sources import Source

PODS = """apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default, labels: {app: web}}
spec: {containers: [{name: c, image: x, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: default, labels: {app: db}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: other, namespace: elsewhere, labels: {app: db}}
spec: {containers: [{name: c, image: x}]}
"""
TYPO = """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: default}
spec:
  podSelector: {matchlabels: {app: db}}
  ingress: []
"""


def test_unknown_field_is_an_error_by_default_with_a_did_you_mean_hint() -> None:
    assert errors(PODS + TYPO) == [
        't.yaml:20: NetworkPolicy default/np: unknown field "spec.podSelector.matchlabels" '
        '(strict decoding error); did you mean "matchLabels"?'
    ]


def test_did_you_mean_by_spelling_distance() -> None:
    text = PODS + TYPO.replace("matchlabels", "matchLables")
    assert errors(text)[0].endswith('did you mean "matchLabels"?')


def test_lenient_makes_unknown_fields_warnings_and_records_them() -> None:
    snap = snapshot(PODS + TYPO, lenient=True)
    assert str(snap.warnings[0]).startswith(
        't.yaml:20: NetworkPolicy default/np: unknown field "spec.podSelector.matchlabels" '
        "dropped (`lenient`)"
    )
    (dropped,) = snap.dropped
    assert (dropped.object_ref, dropped.field, dropped.scope) == (
        "NetworkPolicy default/np",
        "spec.podSelector.matchlabels",
        "default",
    )


def test_lenient_verdict_in_the_namespace_says_the_dropped_field_may_change_it() -> None:
    cluster = Cluster(snapshot(PODS + TYPO, lenient=True))
    verdict = cluster.check("default/web", "default/db", 80)
    assert not verdict.complete
    assert 'the unknown field "spec.podSelector.matchlabels"' in verdict.caveats[0]
    assert "caveat: NetworkPolicy default/np" in verdict.explain()
    assert verdict.to_dict()["complete"] is False
    assert verdict.to_dict()["caveats"] == list(verdict.caveats)


def test_dropped_field_leaves_verdicts_of_other_namespaces_exact() -> None:
    text = PODS.replace("name: web, namespace: default", "name: web, namespace: elsewhere")
    cluster = Cluster(snapshot(text + TYPO, lenient=True))
    verdict = cluster.check("elsewhere/web", "elsewhere/other", 80)
    assert verdict.complete and verdict.caveats == ()


def test_duplicate_keys_are_errors_by_default_and_warnings_when_lenient() -> None:
    text = PODS + TYPO.replace("  ingress: []\n", "  ingress: []\n  ingress: [{}]\n").replace(
        "matchlabels", "matchLabels"
    )
    assert errors(text) == [
        't.yaml:22: NetworkPolicy default/np: duplicate key "ingress" (strict decoding error; '
        "kubectl would silently keep the last one)"
    ]
    snap = snapshot(text, lenient=True)
    assert snap.policies[0].ingress  # the last one, as kubectl
    assert any("duplicate key" in str(w) for w in snap.warnings)


def test_strict_false_is_lenient_for_compatibility() -> None:
    snap = load_sources([Source("t.yaml", (PODS + TYPO).encode())], strict=False)
    assert snap.dropped
