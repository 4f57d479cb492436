"""Our connectivity map against netpol-analyzer's goldens, compared by meaning.

Each case passes, or is listed in DELIBERATE with the Kubernetes rule behind the difference
(docs/compat.md). A listed case that starts passing fails the test, so the list stays true.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netreach.analyses.compat import compare, from_connections, parse_connlist
from netreach.cluster import Cluster
from netreach.errors import InputError
from netreach.loader import load_snapshot
from netreach.model import Options

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "netpol-analyzer" / "cases"

# case -> reason (docs/compat.md explains each)
DELIBERATE: dict[str, str] = {
    "example_pods_w_same_owner_and_labels_gap_no_policy": "ownerReferences without kind/uid: the API server rejects them, so we do not group by them",
    "example_pods_w_same_owner_and_labels_gap_with_good_match_expression": "metadata.name with '_' is not a DNS-1123 subdomain: the API server rejects the policy",
    "example_pods_w_same_owner_and_labels_gap_with_good_match_expression2": "metadata.name with '_' is not a DNS-1123 subdomain: the API server rejects the policy",
    "example_pods_w_same_owner_and_labels_gap_with_policy_selector_not_in_gap": "metadata.name with '_' is not a DNS-1123 subdomain: the API server rejects the policy",
    "netpol_named_port_test_2": "a container port without containerPort: the API server rejects the Deployment",
    "onlineboutique": "the input folder holds a JSON list that is not a Kubernetes object: an input error here",
    "minikube_resources": "pods in phase Succeeded (finished Jobs) hold no IP and take no traffic: we leave them out",
    "anp_demo": "a `pods` peer without podSelector: the network-policy-api CRD requires it, so the API server rejects the policy",
    "anp_test_10_swapping_rules": "a `pods` peer without podSelector: the network-policy-api CRD requires it, so the API server rejects the policy",
    "anp_test_11": "a `pods` peer without podSelector: the network-policy-api CRD requires it, so the API server rejects the policy",
    "anp_test_11_swapping_rules": "a `pods` peer without podSelector: the network-policy-api CRD requires it, so the API server rejects the policy",
    "anp_test_12_swapping_rules": "a `pods` peer without podSelector: the network-policy-api CRD requires it, so the API server rejects the policy",
    "anp_test_3_pass_traffic": "a `pods` peer without podSelector: the network-policy-api CRD requires it, so the API server rejects the policy",
    "anp_test_8_swapping_rules": "a `pods` peer without podSelector: the network-policy-api CRD requires it, so the API server rejects the policy",
    "anp_test_9_swapping_rules": "a `pods` peer without podSelector: the network-policy-api CRD requires it, so the API server rejects the policy",
    "anp_test_named_ports_multiple_peers": "a namedPort beside a networks/nodes peer: the CRD's validation rule rejects the rule",
}


def cases() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.iterdir() if (p / "expected.txt").is_file())


def _diffs(case: Path) -> list[str]:
    try:
        snapshot = load_snapshot(str(case / "input"))
    except InputError as exc:
        return [f"input refused: {exc.problems[0]}"]
    cluster = Cluster(snapshot, Options.compat("netpol-analyzer"))
    ours = cluster.connectivity("workload", external=True, include_self=False, merge_external=False)
    want = parse_connlist((case / "expected.txt").read_text().splitlines())
    return compare(want, from_connections(ours))


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"peer corpus not present at {CORPUS}")
@pytest.mark.parametrize("case", cases(), ids=lambda p: p.name)
def test_connlist_matches_netpol_analyzer(case: Path) -> None:
    diffs = _diffs(case)
    reason = DELIBERATE.get(case.name)
    if reason is None:
        assert not diffs, "\n".join(diffs[:20])
    else:
        assert diffs, f"{case.name} is listed as a deliberate difference ({reason}) but now agrees"


def test_corpus_present_or_skipped_with_reason() -> None:
    # The folder is optional: from a bare clone the parametrized test collects nothing and
    # this one documents why; with the corpus present it checks the cases were found.
    if CORPUS.is_dir():
        assert len(cases()) > 50
    else:
        pytest.skip(f"peer corpus not present at {CORPUS}")
