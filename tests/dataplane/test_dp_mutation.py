"""A bug planted in the loader shows up as a disagreement: the dataplane reads the manifests
a second time, on its own, so the engine and the kernel no longer share the bug."""

from __future__ import annotations

import dataclasses
import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from dp_helpers import need_dataplane

from clirun import run_cli_io
from netreach.loader.check import Checker

pytestmark = pytest.mark.dataplane

MANIFESTS = """
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: a, labels: {app: web}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 5432, name: pg}]}]}
status: {podIP: 10.1.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: a, labels: {app: db}}
spec: {containers: [{name: c, image: i}]}
status: {podIP: 10.1.0.2}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-in, namespace: a}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: db}}}]
    ports: [{port: 5432}]
"""


def _verify(path: Path) -> tuple[int, list[dict[str, Any]], str]:
    code, out, err = run_cli_io("verify", str(path), "-o", "json", "--protocols", "tcp,udp")
    return code, json.loads(out)["probes"] if out else [], err


def test_default_protocol_udp_planted_in_the_loader_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    need_dataplane()
    path = tmp_path / "m.yaml"
    path.write_text(MANIFESTS)
    code, records, err = _verify(path)
    assert code == 0, err  # the loader as it is: every probe agrees

    real = Checker.protocol

    def default_udp(self: Checker, value: Any, path: Any) -> Any:
        return "UDP" if value is None else real(self, value, path)

    monkeypatch.setattr(Checker, "protocol", default_udp)
    code, records, err = _verify(path)
    assert code == 1, err
    wrong = {
        (r["protocol"], r["port"], r["engine"], r["dataplane"]) for r in records if not r["agree"]
    }
    # the engine (the mutated loader) says UDP 5432 is open and TCP 5432 shut; the kernel
    # enforces the manifests as written: the other way round
    assert ("TCP", 5432, "denied", "allowed") in wrong
    assert ("UDP", 5432, "allowed", "blocked") in wrong


def test_a_label_lost_by_the_loader_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    need_dataplane()
    build = importlib.import_module("netreach.loader.build")
    path = tmp_path / "m.yaml"
    path.write_text(MANIFESTS)
    real = build.Builder.finish

    def lose_labels(self: Any) -> Any:
        snap = real(self)
        snap.pods = [dataclasses.replace(p, labels={}) if p.name == "db" else p for p in snap.pods]
        return snap

    monkeypatch.setattr(build.Builder, "finish", lose_labels)
    code, records, err = _verify(path)
    assert code == 1, err
    assert any(r["src"] == "a/db" and r["dst"] == "a/web" and not r["agree"] for r in records)


CNI = """
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: a, labels: {app: web}}
spec: {containers: [{name: c, image: i}]}
status: {podIP: 10.1.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: a, labels: {app: db}}
spec: {containers: [{name: c, image: i}]}
status: {podIP: 10.1.0.2}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100, defaultAction: Deny}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.web}
spec:
  tier: security
  selector: app == "web"
  ingress:
    - {action: Allow, protocol: TCP, source: {selector: app == "db"}, destination: {ports: [80]}}
"""
CILIUM = """
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: web, namespace: a}
spec:
  endpointSelector: {matchLabels: {app: web}}
  enableDefaultDeny: {ingress: false}
  ingressDeny:
    - fromEndpoints: [{matchLabels: {app: db}}]
"""


def _plant(monkeypatch: pytest.MonkeyPatch, change: Any) -> None:
    build = importlib.import_module("netreach.loader.build")
    real = build.Builder.finish
    monkeypatch.setattr(build.Builder, "finish", lambda self: change(real(self)))


def test_a_calico_tier_action_misread_by_the_loader_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    need_dataplane()
    path = tmp_path / "m.yaml"
    path.write_text(CNI)
    code, records, err = _verify(path)
    assert code == 0, err

    def passing(snap: Any) -> Any:
        snap.calico_tiers = [
            dataclasses.replace(t, default_action="Pass") for t in snap.calico_tiers
        ]
        return snap

    _plant(monkeypatch, passing)
    code, records, err = _verify(path)
    assert code == 1, err
    # the engine (tier passes) allows web's other ingress; the kernel ends the tier in a deny
    assert any(
        r["dst"] == "a/web" and r["engine"] == "allowed" and r["dataplane"] == "blocked"
        for r in records
    )


def test_a_cilium_deny_rule_dropped_by_the_loader_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    need_dataplane()
    path = tmp_path / "m.yaml"
    path.write_text(CNI.split("---\napiVersion: projectcalico.org/v3")[0] + "---" + CILIUM)
    code, records, err = _verify(path)
    assert code == 0, err

    def no_deny(snap: Any) -> Any:
        snap.cilium_policies = [
            dataclasses.replace(p, ingress_deny=()) for p in snap.cilium_policies
        ]
        return snap

    _plant(monkeypatch, no_deny)
    code, records, err = _verify(path)
    assert code == 1, err
    assert any(
        r["src"] == "a/db"
        and r["dst"] == "a/web"
        and r["engine"] == "allowed"
        and r["dataplane"] == "blocked"
        for r in records
    )
