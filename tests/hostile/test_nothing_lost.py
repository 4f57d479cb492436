"""Nothing silently changes a result: ignored fields are warnings naming the field (errors with
--strict), objects not modelled are counted (listed with -v), dropped objects are listed."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_cli import Run, run, write

Cap = pytest.CaptureFixture[str]

NP = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: np
  namespace: default
spec:
  podSelector: {}
"""
POD = """apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: default
  labels: {app: a}
spec:
  containers:
  - name: c
    ports:
    - containerPort: 80
"""
DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
  namespace: default
spec:
  template:
    metadata:
      labels: {app: d}
    spec:
      containers: []
"""

# (manifest with one unknown field, line of the field, the field's path as reported)
TYPOS = {
    "policy-spec": (NP.replace("podSelector", "podselector"), 7, "spec.podselector"),
    "policy-peer": (
        NP + "  ingress:\n  - from:\n    - namespaceSelector: {}\n      podselector: {}\n",
        11,
        "spec.ingress[0].from[0].podselector",
    ),
    "pod-metadata": (POD.replace("labels:", "lables:"), 6, "metadata.lables"),
    "pod-spec": (POD + "  hostnetwork: true\n", 12, "spec.hostnetwork"),
    "pod-top": (POD + "sepc: {}\n", 12, "sepc"),
    "container-port": (POD + "      hostport: 8080\n", 12, "spec.containers[0].ports[0].hostport"),
    "namespace": (
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  label: {a: b}\n",
        5,
        "metadata.label",
    ),
    "template-metadata": (
        DEPLOY.replace("      labels:", "      lables:"),
        9,
        "spec.template.metadata.lables",
    ),
}


def validate(capsys: Cap, tmp_path: Path, text: str, *flags: str) -> Run:
    return run(capsys, "validate", write(tmp_path, "in.yaml", text), *flags)


@pytest.mark.parametrize("case", TYPOS)
def test_unknown_field_warns_when_lenient(capsys: Cap, tmp_path: Path, case: str) -> None:
    text, line, field = TYPOS[case]
    r = validate(capsys, tmp_path, text, "--lenient")
    assert r.code == 0
    warnings = [w for w in r.err.splitlines() if "unknown field" in w]
    assert len(warnings) == 1, r.err
    assert warnings[0].startswith(f"warning: {tmp_path}/in.yaml:{line}: ")
    assert (
        f'unknown field "{field}" dropped (--lenient), as the API server would drop it'
        in (warnings[0])
    )


@pytest.mark.parametrize("flags", [(), ("--strict",)])
@pytest.mark.parametrize("case", TYPOS)
def test_unknown_field_is_an_error_by_default(
    capsys: Cap, tmp_path: Path, case: str, flags: tuple[str, ...]
) -> None:
    text, line, field = TYPOS[case]
    r = validate(capsys, tmp_path, text, *flags)
    assert r.code == 2
    assert len(r.problems) == 1, r.err
    assert r.problems[0].startswith(f"{tmp_path}/in.yaml:{line}: ")
    assert f'unknown field "{field}" (strict decoding error)' in r.problems[0]


def test_known_fields_give_no_warning(capsys: Cap, tmp_path: Path) -> None:
    full = (
        POD.replace(
            "  labels: {app: a}\n",
            "  labels: {app: a}\n  annotations: {a: b}\n  uid: u\n  resourceVersion: '1'\n",
        )
        + "  hostNetwork: false\n  restartPolicy: Always\n  nodeName: n\n"
        + "status:\n  podIP: 10.0.0.1\n"
    )
    r = validate(capsys, tmp_path, full + "---\n" + DEPLOY + "---\n" + NP, "--strict")
    assert r.code == 0, r.err
    assert r.err == ""


# (ServiceAccount is read since issue 21: Calico selects pods by their account's labels)
ACCOUNT = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n"
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"


def test_objects_not_modelled_are_counted(capsys: Cap, tmp_path: Path) -> None:
    r = validate(capsys, tmp_path, "---\n".join([ACCOUNT, POD, ACCOUNT, CONFIGMAP]))
    assert r.code == 0
    assert r.err.splitlines() == [
        "not modelled: 3 objects: ConfigMap (1), Secret (2) (-v lists them)"
    ]


def test_objects_not_modelled_listed_with_v(capsys: Cap, tmp_path: Path) -> None:
    r = validate(capsys, tmp_path, "---\n".join([ACCOUNT, POD, ACCOUNT, CONFIGMAP]), "-v")
    path = f"{tmp_path}/in.yaml"
    assert r.err.splitlines() == [
        "not modelled: 3 objects: ConfigMap (1), Secret (2)",
        f"  {path}:23: ConfigMap",
        f"  {path}:1: Secret",
        f"  {path}:18: Secret",
    ]


def test_finished_pods_are_counted(capsys: Cap, tmp_path: Path) -> None:
    r = validate(capsys, tmp_path, POD + "status:\n  phase: Succeeded\n")
    assert r.err.splitlines() == [
        "not modelled: 1 object: Pod (Succeeded/Failed) (1) (-v lists them)"
    ]


def test_skip_invalid_lists_and_counts_dropped(capsys: Cap, tmp_path: Path) -> None:
    bad = NP.replace("name: np", "name: Bad_Name")
    r = validate(capsys, tmp_path, bad + "---\n" + POD, "--skip-invalid")
    assert r.code == 0
    lines = r.err.splitlines()
    assert lines[0].startswith(f"skipped invalid: {tmp_path}/in.yaml:4: NetworkPolicy ")
    assert lines[1] == (
        "netreach: 1 problem skipped (--skip-invalid): "
        "the objects listed above are left out of every result"
    )
    assert r.out.startswith("valid: 1 namespaces, 1 pods in 1 workloads, 0 NetworkPolicies")
