"""Reading a live cluster, against a local API server in the real wire format."""

from __future__ import annotations

import base64
import json
import socket
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from kubernetes.config import incluster_config

from netreach.loader.kube import read_cluster
from netreach.loader.kubeapi import ClusterError

from .apiserver import ADMIN, Cluster
from .certs import Certs
from .conftest import TOKEN, KubeconfigWriter


def _lists(sources: list[Any]) -> dict[str, dict[str, Any]]:
    return {s.name: orjson.loads(s.read_bytes()) for s in sources}


def _names(doc: dict[str, Any]) -> list[str]:
    return [i["metadata"]["name"] for i in doc["items"]]


def test_reads_every_resource_with_bearer_token(
    server: str, state: Cluster, kubeconfig: KubeconfigWriter
) -> None:
    notes: list[str] = []
    lists = _lists(read_cluster(str(kubeconfig(server)), on_note=notes.append))
    assert list(lists)[:3] == [
        "cluster:test/namespaces",
        "cluster:test/pods",
        "cluster:test/deployments",
    ]
    pods = lists["cluster:test/pods"]
    assert pods["kind"] == "List" and pods["metadata"]["resourceVersion"] == "4242"
    # 4 pods in pages of 2: followed `metadata.continue`.
    assert _names(pods) == ["web-1", "web-2", "web-3", "db-0"]
    pod_requests = [p for p, _ in state.requests if p.startswith("/api/v1/pods")]
    assert pod_requests == ["/api/v1/pods?limit=500", "/api/v1/pods?limit=500&continue=2"]
    # Items get kind/apiVersion, as kubectl sets them.
    assert {(i["apiVersion"], i["kind"]) for i in pods["items"]} == {("v1", "Pod")}
    nps = lists["cluster:test/networkpolicies"]["items"]
    assert (nps[0]["apiVersion"], nps[0]["kind"]) == ("networking.k8s.io/v1", "NetworkPolicy")
    assert lists["cluster:test/deployments"]["items"][0]["kind"] == "Deployment"
    # Missing admin CRDs are skipped with a note each.
    assert len(notes) == 3 and all("CRD not installed" in n for n in notes)
    assert "AdminNetworkPolicy (policy.networking.k8s.io/v1alpha1)" in notes[0]
    # Every request carried the token.
    assert all(h.get("authorization") == f"Bearer {TOKEN}" for _, h in state.requests)


def test_scrubs_secrets_and_noise(server: str, kubeconfig: KubeconfigWriter) -> None:
    lists = _lists(read_cluster(str(kubeconfig(server))))
    pod = lists["cluster:test/pods"]["items"][0]
    assert "managedFields" not in pod["metadata"]
    assert pod["metadata"]["annotations"] == {}
    assert "env" not in pod["spec"]["containers"][0]
    assert pod["spec"]["containers"][0]["ports"][0]["name"] == "http"
    assert pod["status"]["podIP"] == "10.0.0.1"
    template = lists["cluster:test/deployments"]["items"][0]["spec"]["template"]["spec"]
    assert "env" not in template["containers"][0]
    assert b"hunter2" not in b"".join(s.read_bytes() for s in read_cluster(str(kubeconfig(server))))


def test_client_certificate_over_tls(mtls_server: str, kubeconfig: KubeconfigWriter) -> None:
    path = kubeconfig(mtls_server, token=None, client_cert=True, context="mtls")
    lists = _lists(read_cluster(str(path)))
    assert _names(lists["cluster:mtls/namespaces"]) == ["default", "web", "db"]


def test_tls_refused_without_client_certificate(
    mtls_server: str, kubeconfig: KubeconfigWriter
) -> None:
    path = kubeconfig(mtls_server, token=None)
    with pytest.raises(ClusterError) as err:
        read_cluster(str(path), request_timeout=5)
    assert mtls_server in str(err.value)


def test_one_namespace(server: str, state: Cluster, kubeconfig: KubeconfigWriter) -> None:
    lists = _lists(read_cluster(str(kubeconfig(server)), namespace="web"))
    assert _names(lists["cluster:test/namespaces"]) == ["web"]
    assert lists["cluster:test/namespaces"]["items"][0]["kind"] == "Namespace"
    assert _names(lists["cluster:test/pods"]) == ["web-1", "web-2", "web-3"]
    assert lists["cluster:test/networkpolicies"]["items"] == []
    paths = [p.split("?")[0] for p, _ in state.requests]
    assert "/api/v1/namespaces/web" in paths
    assert "/api/v1/namespaces/web/pods" in paths
    assert "/api/v1/pods" not in paths and "/api/v1/namespaces" not in paths


def test_missing_namespace(server: str, kubeconfig: KubeconfigWriter) -> None:
    with pytest.raises(ClusterError, match="namespace nope does not exist in context test"):
        read_cluster(str(kubeconfig(server)), namespace="nope")


def test_admin_kinds_read_when_served(
    server: str, state: Cluster, kubeconfig: KubeconfigWriter
) -> None:
    state.objects[f"{ADMIN}/v1alpha1/baselineadminnetworkpolicies"] = [
        {"metadata": {"name": "default"}, "spec": {"subject": {"namespaces": {}}}}
    ]
    notes: list[str] = []
    lists = _lists(read_cluster(str(kubeconfig(server)), on_note=notes.append))
    banp = lists["cluster:test/baselineadminnetworkpolicies"]["items"][0]
    assert banp["apiVersion"] == "policy.networking.k8s.io/v1alpha1"
    assert banp["kind"] == "BaselineAdminNetworkPolicy"
    assert len(notes) == 2


def test_forbidden_names_resource_and_verb(
    server: str, state: Cluster, kubeconfig: KubeconfigWriter
) -> None:
    state.forbidden.add("/apis/networking.k8s.io/v1/networkpolicies")
    with pytest.raises(ClusterError) as err:
        read_cluster(str(kubeconfig(server)))
    message = str(err.value)
    assert "forbids us to list networkpolicies.networking.k8s.io in all namespaces" in message
    assert "403 Forbidden" in message and "context test" in message
    assert 'cannot list resource "networkpolicies"' in message  # the server's own words


def test_expired_credentials(server: str, kubeconfig: KubeconfigWriter) -> None:
    claims = base64.urlsafe_b64encode(json.dumps({"exp": 1_000_000_000}).encode()).decode()
    jwt = f"eyJhbGciOiJSUzI1NiJ9.{claims.rstrip('=')}.c2lnbmF0dXJl"
    with pytest.raises(ClusterError) as err:
        read_cluster(str(kubeconfig(server, token=jwt)))
    message = str(err.value)
    assert "401 Unauthorized" in message and "list namespaces" in message
    assert "the token expired at 2001-09-09 01:46:40 UTC" in message
    assert jwt not in message and claims.rstrip("=") not in message


def test_wrong_token(server: str, kubeconfig: KubeconfigWriter) -> None:
    with pytest.raises(ClusterError, match="missing, wrong or expired") as err:
        read_cluster(str(kubeconfig(server, token="wrong-token-value")))
    assert "wrong-token-value" not in str(err.value)


def test_retries_429_and_5xx(server: str, state: Cluster, kubeconfig: KubeconfigWriter) -> None:
    state.flaky["/api/v1/pods"] = [429, 503, 500]
    lists = _lists(read_cluster(str(kubeconfig(server))))
    assert len(lists["cluster:test/pods"]["items"]) == 4
    assert sum(1 for p, _ in state.requests if p == "/api/v1/pods?limit=500") == 4


def test_gives_up_after_retries(server: str, state: Cluster, kubeconfig: KubeconfigWriter) -> None:
    state.flaky["/api/v1/pods"] = [503] * 10
    with pytest.raises(ClusterError, match="answered HTTP 503 to list pods in all namespaces"):
        read_cluster(str(kubeconfig(server)))


def test_timeout(server: str, state: Cluster, kubeconfig: KubeconfigWriter) -> None:
    state.slow["/api/v1/pods"] = 2.0
    started = time.monotonic()
    with pytest.raises(ClusterError, match=r"did not answer within 0.3s \(list pods"):
        read_cluster(str(kubeconfig(server)), request_timeout=0.3)
    assert time.monotonic() - started < 2.0


def test_unreachable(kubeconfig: KubeconfigWriter) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(
        ClusterError, match=r"cannot reach the API server at https://127\.0\.0\.1"
    ) as err:
        read_cluster(str(kubeconfig(f"https://127.0.0.1:{port}")), request_timeout=2)
    assert "Connection refused" in str(err.value)


def test_kubeconfig_problems(tmp_path: Path, server: str, kubeconfig: KubeconfigWriter) -> None:
    with pytest.raises(ClusterError, match="no such file"):
        read_cluster(str(tmp_path / "missing"))
    with pytest.raises(ClusterError, match=r"no kubeconfig at .*pass `kubeconfig`"):
        read_cluster()
    bad = tmp_path / "bad"
    bad.write_text("clusters: [\n")
    with pytest.raises(ClusterError, match=r"kubeconfig .*bad: "):
        read_cluster(str(bad))
    bad.write_text("current-context: x\n")
    with pytest.raises(ClusterError, match=r"kubeconfig .*bad: "):
        read_cluster(str(bad))
    with pytest.raises(ClusterError, match="has no context 'prod'; it has: test"):
        read_cluster(str(kubeconfig(server)), context="prod")


def test_default_kubeconfig_from_env(
    server: str, kubeconfig: KubeconfigWriter, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = kubeconfig(server, context="from-env")
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path / 'absent'}:{path}")
    assert "cluster:from-env/pods" in _lists(read_cluster())


def test_in_cluster_config(
    server: str, certs: Certs, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    token = tmp_path / "token"
    token.write_text(TOKEN)
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(certs.ca_file))
    host, port = server.removeprefix("https://").split(":")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", host)
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", port)
    assert "cluster:in-cluster/pods" in _lists(read_cluster())
