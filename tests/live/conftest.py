from __future__ import annotations

import base64
import copy
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from netreach.loader import kubeapi

from .apiserver import Cluster, serve
from .certs import Certs, make_certs

TOKEN = "s3cr3t-t0ken-do-not-print"


def _pod(ns: str, name: str, labels: dict[str, str], ip: str) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": labels,
            "managedFields": [{"manager": "kubectl"}],
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
        },
        "spec": {
            "containers": [
                {
                    "name": "main",
                    "image": "example/app:1",
                    "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                    "env": [{"name": "DB_PASSWORD", "value": "hunter2"}],
                }
            ]
        },
        "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]},
    }


OBJECTS: dict[str, list[dict[str, Any]]] = {
    "/api/v1/namespaces": [
        {"metadata": {"name": n, "labels": {"kubernetes.io/metadata.name": n}}}
        for n in ("default", "web", "db")
    ],
    "/api/v1/pods": [
        _pod("web", "web-1", {"app": "web"}, "10.0.0.1"),
        _pod("web", "web-2", {"app": "web"}, "10.0.0.2"),
        _pod("web", "web-3", {"app": "web"}, "10.0.0.3"),
        _pod("db", "db-0", {"app": "db"}, "10.0.1.1"),
    ],
    "/apis/apps/v1/deployments": [
        {
            "metadata": {"name": "web", "namespace": "web"},
            "spec": {
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [{"name": "main", "env": [{"name": "X", "value": "y"}]}]
                    },
                },
            },
        }
    ],
    "/apis/apps/v1/replicasets": [],
    "/apis/apps/v1/statefulsets": [],
    "/apis/apps/v1/daemonsets": [],
    "/apis/batch/v1/jobs": [],
    "/apis/batch/v1/cronjobs": [],
    "/api/v1/replicationcontrollers": [],
    "/api/v1/services": [],
    "/apis/networking.k8s.io/v1/networkpolicies": [
        {
            "metadata": {"name": "db-ingress", "namespace": "db"},
            "spec": {
                "podSelector": {"matchLabels": {"app": "db"}},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {"kubernetes.io/metadata.name": "web"}
                                }
                            }
                        ]
                    }
                ],
            },
        }
    ],
}


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kubeapi, "BACKOFF_SECONDS", 0.01)


@pytest.fixture(autouse=True)
def _no_ambient_kube(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests must never see the developer's own cluster or proxy."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for var in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"):
        monkeypatch.delenv(var, raising=False)
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def state() -> Cluster:
    return Cluster(objects=copy.deepcopy(OBJECTS), token=TOKEN)


def _tls(certs: Certs, require_client_cert: bool) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certs.server_cert_file, certs.server_key_file)
    if require_client_cert:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(certs.ca_file)
    return ctx


@pytest.fixture
def server(state: Cluster, certs: Certs) -> Iterator[str]:
    """HTTPS server taking a bearer token."""
    with serve(state, _tls(certs, require_client_cert=False)) as url:
        yield url


@pytest.fixture
def mtls_server(state: Cluster, certs: Certs) -> Iterator[str]:
    """HTTPS server requiring a client certificate (and no token)."""
    state.token = None
    with serve(state, _tls(certs, require_client_cert=True)) as url:
        yield url


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


KubeconfigWriter = Callable[..., Path]


@pytest.fixture
def kubeconfig(tmp_path: Path, certs: Certs) -> KubeconfigWriter:
    def write(
        server: str,
        *,
        token: str | None = TOKEN,
        client_cert: bool = False,
        context: str = "test",
        name: str = "kubeconfig",
    ) -> Path:
        user: dict[str, Any] = {}
        if token is not None:
            user["token"] = token
        if client_cert:
            user["client-certificate-data"] = b64(certs.client.cert)
            user["client-key-data"] = b64(certs.client.key)
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "c",
                    "cluster": {"server": server, "certificate-authority-data": b64(certs.ca.cert)},
                }
            ],
            "users": [{"name": "u", "user": user}],
            "contexts": [{"name": context, "context": {"cluster": "c", "user": "u"}}],
            "current-context": context,
        }
        path = tmp_path / name
        path.write_text(yaml.safe_dump(config))
        return path

    return write
