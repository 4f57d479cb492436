"""A tiny stand-in for a Kubernetes API server on 127.0.0.1, speaking the real wire format:
`<Kind>List` responses without per-item kind/apiVersion, `metadata.continue` pagination,
`resourceVersion`, and `Status` objects for 401/403/404."""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ADMIN = "/apis/policy.networking.k8s.io"

# path of the all-namespaces list -> List kind
KINDS = {
    "/api/v1/namespaces": "NamespaceList",
    "/api/v1/pods": "PodList",
    "/api/v1/replicationcontrollers": "ReplicationControllerList",
    "/api/v1/services": "ServiceList",
    "/apis/apps/v1/deployments": "DeploymentList",
    "/apis/apps/v1/replicasets": "ReplicaSetList",
    "/apis/apps/v1/statefulsets": "StatefulSetList",
    "/apis/apps/v1/daemonsets": "DaemonSetList",
    "/apis/batch/v1/jobs": "JobList",
    "/apis/batch/v1/cronjobs": "CronJobList",
    "/apis/networking.k8s.io/v1/networkpolicies": "NetworkPolicyList",
    f"{ADMIN}/v1alpha1/adminnetworkpolicies": "AdminNetworkPolicyList",
    f"{ADMIN}/v1alpha1/baselineadminnetworkpolicies": "BaselineAdminNetworkPolicyList",
    f"{ADMIN}/v1alpha2/clusternetworkpolicies": "ClusterNetworkPolicyList",
}
NAMESPACED = {p for p in KINDS if not p.startswith(ADMIN) and p != "/api/v1/namespaces"}


def status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


@dataclass
class Cluster:
    """What the fake server serves and how it misbehaves."""

    objects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # list path -> items
    token: str | None = None  # expected bearer token; None: any (client-cert auth)
    page_cap: int = 2  # the server returns at most this many items a page
    forbidden: set[str] = field(default_factory=set)  # list paths answered 403
    slow: dict[str, float] = field(default_factory=dict)  # path -> seconds before answering
    flaky: dict[str, list[int]] = field(default_factory=dict)  # path -> statuses to send first
    # Hostile servers (tests/live/test_hostile_api.py):
    trickle: dict[str, float] = field(default_factory=dict)  # path -> seconds between bytes
    raw: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)  # path ->
    # (status, headers, body) sent as is; no Content-Length unless given
    endless: dict[str, str] = field(default_factory=dict)  # path -> "new" or "same" token
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _split(path: str) -> tuple[str, str | None]:
    """/api/v1/namespaces/ns/pods -> (/api/v1/pods, ns)."""
    parts = path.split("/")
    for i in range(len(parts) - 2):
        if parts[i] == "namespaces" and i + 2 < len(parts):
            collection = "/".join([*parts[:i], parts[i + 2]])
            if collection in NAMESPACED:
                return collection, parts[i + 1]
    return path, None


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def _send(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if code == 429:
            self.send_header("Retry-After", "0")
        self.end_headers()
        self.wfile.write(data)

    def _hostile(self, path: str, query: dict[str, str]) -> bool:
        """Misbehave as the state says for `path`; True when the request is answered."""
        state = self.server.state
        if path in state.trickle:
            # Status line, headers and body, one byte at a time: each read succeeds quickly,
            # the whole never ends within the client's timeout.
            data = json.dumps({"kind": "PodList", "items": []}).encode()
            head = (
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(data)}\r\n\r\n".encode()
            )
            try:
                for byte in head + data:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(state.trickle[path])
            except OSError:
                pass  # the client gave up, as it should
            self.close_connection = True
            return True
        if path in state.raw:
            code, headers, body = state.raw[path]
            self.send_response(code)
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            try:
                for i in range(0, len(body), 1 << 16):
                    self.wfile.write(body[i : i + (1 << 16)])
            except OSError:
                pass
            self.close_connection = True
            return True
        if path in state.endless:
            given = query.get("continue") or "0"
            n = int(given) if given.isdigit() else 0
            token = "again" if state.endless[path] == "same" else str(n + 1)
            self._send(200, {"kind": "PodList", "metadata": {"continue": token}, "items": []})
            return True
        return False

    def do_GET(self) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with state.lock:
            state.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            queued = state.flaky.get(url.path)
            flaky = queued.pop(0) if queued else None
        if url.path in state.slow:
            time.sleep(state.slow[url.path])
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        if state.token is not None and (scheme.lower(), token) != ("bearer", state.token):
            self._send(401, status(401, "Unauthorized", "Unauthorized"))
            return
        if flaky is not None:
            self._send(flaky, status(flaky, "TooManyRequests", "please retry"))
            return
        if self._hostile(url.path, query):
            return
        collection, namespace = _split(url.path)
        if url.path.startswith("/api/v1/namespaces/") and url.path.count("/") == 4:
            name = url.path.rsplit("/", 1)[1]
            found = [
                n
                for n in state.objects.get("/api/v1/namespaces", [])
                if n["metadata"]["name"] == name
            ]
            if found:
                self._send(200, {"kind": "Namespace", "apiVersion": "v1", **found[0]})
            else:
                self._send(404, status(404, "NotFound", f'namespaces "{name}" not found'))
            return
        if collection in state.forbidden:
            resource = collection.rsplit("/", 1)[1]
            self._send(
                403,
                status(
                    403,
                    "Forbidden",
                    f'{resource} is forbidden: User "alice" cannot list resource "{resource}"',
                ),
            )
            return
        if collection not in KINDS or collection not in state.objects:
            # What kube-apiserver says for a group/version or resource it does not serve.
            self._send(
                404, status(404, "NotFound", "the server could not find the requested resource")
            )
            return
        items = [
            i
            for i in state.objects[collection]
            if namespace is None or i["metadata"].get("namespace") == namespace
        ]
        start = int(query.get("continue") or 0)
        size = min(int(query.get("limit") or 500), state.page_cap)
        page = items[start : start + size]
        meta: dict[str, Any] = {"resourceVersion": "4242"}
        if start + size < len(items):
            meta["continue"] = str(start + size)
        api_version = "v1" if collection.startswith("/api/v1") else collection.split("/", 3)[2]
        if collection.startswith("/apis/"):
            api_version = "/".join(collection.split("/")[2:4])
        self._send(
            200,
            {"kind": KINDS[collection], "apiVersion": api_version, "metadata": meta, "items": page},
        )


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: Cluster) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = state


@contextmanager
def serve(state: Cluster, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Run the server in a thread; yield its URL."""
    server = Server(state)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if tls else "http"
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
