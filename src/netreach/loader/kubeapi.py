"""A read-only connection to a Kubernetes API server.

The official `kubernetes` client turns a kubeconfig (contexts, exec plugins, auth providers,
client certificates) or a pod's service account into a `Configuration`; that is the hard,
security-relevant part and we reuse it. The requests themselves go through urllib3 (which that
client is built on) so that we get the raw wire JSON, our own timeouts and retries, and error
messages that never contain credentials.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import os
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import orjson
import urllib3
import yaml
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from netreach.errors import NetreachError
from netreach.version import __version__

if TYPE_CHECKING:
    from kubernetes.client import Configuration

Log = Callable[[str], None]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_TRIES = 4
BACKOFF_SECONDS = 0.5  # doubled on each retry; tests lower it
MAX_RETRY_AFTER = 10.0
CHUNK = 1 << 16
MAX_MESSAGE = 1024  # characters of a server's message quoted in an error


class ClusterError(NetreachError):
    """The live cluster could not be read; the message says what to do."""


class ListExpiredError(ClusterError):
    """HTTP 410: a paginated list's continue token expired."""


def _quiet(_: str) -> None:
    pass


def default_kubeconfig() -> str:
    """What kubectl reads: $KUBECONFIG (a path list) or ~/.kube/config."""
    return os.environ.get("KUBECONFIG") or str(Path("~/.kube/config").expanduser())


def _kubeconfig_exists(paths: str) -> bool:
    return any(Path(p).expanduser().is_file() for p in paths.split(os.pathsep) if p)


def load_configuration(kubeconfig: str | None, context: str | None) -> tuple[Configuration, str]:
    """Build the client configuration and tell the name of the context used."""
    # Imported here: the client takes ~0.1 s to import, and offline runs never need it.
    from kubernetes.client import Configuration
    from kubernetes.config import ConfigException, incluster_config, kube_config

    config = Configuration()
    paths = kubeconfig or default_kubeconfig()
    in_pod = bool(os.environ.get(incluster_config.SERVICE_HOST_ENV_NAME))
    if not _kubeconfig_exists(paths):
        if kubeconfig is None and context is None and in_pod:
            try:
                incluster_config.load_incluster_config(client_configuration=config)  # type: ignore[no-untyped-call]
            except ConfigException as exc:
                raise ClusterError(f"in-cluster configuration unusable: {exc}") from None
            return config, "in-cluster"
        if kubeconfig is not None:
            raise ClusterError(f"kubeconfig {kubeconfig}: no such file")
        raise ClusterError(
            f"no kubeconfig at {paths}: pass `kubeconfig`, set $KUBECONFIG, "
            "or give files or directories to read instead of a live cluster"
        )
    try:
        contexts, current = kube_config.list_kube_config_contexts(  # type: ignore[no-untyped-call]
            config_file=paths
        )
        names = [c["name"] for c in contexts]
        name = context or (current["name"] if current else "")
        if not name:
            raise ClusterError(f"kubeconfig {paths} sets no current context: pass `context`")
        if name not in names:
            raise ClusterError(
                f"kubeconfig {paths} has no context {name!r}; it has: {', '.join(names) or 'none'}"
            )
        kube_config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=paths, context=name, client_configuration=config, persist_config=False
        )
    except ClusterError:
        raise
    except (ConfigException, OSError, ValueError, KeyError, TypeError, yaml.YAMLError) as exc:
        # Messages from the loader name fields, not their values; redact anyway.
        raise ClusterError(f"kubeconfig {paths}: {redact(str(exc), config)}") from None
    return config, name


def redact(text: str, config: Configuration) -> str:
    """Remove any credential the configuration holds from a text shown to the user."""
    for secret in (*config.api_key.values(), config.password):
        if isinstance(secret, str) and secret:
            text = text.replace(secret, "<redacted>")
            text = text.replace(secret.split(" ", 1)[-1], "<redacted>")
    return text


def _jwt_expiry(header: str | None) -> float | None:
    """When a bearer token is a JWT, its `exp` claim (not verified: only to explain a 401)."""
    if not header or not header.lower().startswith("bearer "):
        return None
    parts = header.split(" ", 1)[1].split(".")
    if len(parts) != 3:
        return None
    try:
        claims = orjson.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, int | float) else None


# The sockets a request uses, so that its deadline can end it wherever it blocks (connecting,
# the TLS handshake, headers, body): urllib3's timeouts bound each socket operation, and a
# server sending a byte every few seconds would never trip them.
_SOCKETS: contextvars.ContextVar[list[socket.socket]] = contextvars.ContextVar("netreach_sockets")


def _track(sock: socket.socket | None) -> None:
    held = _SOCKETS.get(None)
    if held is not None and sock is not None:
        held.append(sock)


class _Conn(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _track(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        _track(self.sock)  # a kept-alive connection has no new socket
        super().request(*args, **kwargs)


class _TLSConn(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _track(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        _track(self.sock)
        super().request(*args, **kwargs)


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Conn


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConn


class KubeApi:
    """GET requests against one API server, with retries on 429/5xx and a per-request timeout."""

    def __init__(
        self,
        config: Configuration,
        context: str,
        timeout: float,
        log: Log = _quiet,
        max_bytes: int | None = None,
    ) -> None:
        self.config = config
        self.context = context
        self.host = str(config.host).rstrip("/")
        self.timeout = timeout  # the deadline of each request, whole: connect to last byte
        self.log = log
        # Every answer counts against one budget: the input size limit (the loader would
        # refuse more anyway, after holding it all in memory).
        self.max_bytes = max_bytes
        self.received = 0
        self._pool = self._make_pool()

    def _make_pool(self) -> urllib3.PoolManager:
        cfg = self.config
        kwargs: dict[str, Any] = {
            "cert_reqs": "CERT_REQUIRED" if cfg.verify_ssl else "CERT_NONE",
            "ca_certs": cfg.ssl_ca_cert,
            "cert_file": cfg.cert_file,
            "key_file": cfg.key_file,
            "retries": False,
        }
        if getattr(cfg, "ca_cert_data", None):
            kwargs["ca_cert_data"] = cfg.ca_cert_data
        if cfg.tls_server_name:
            kwargs["server_hostname"] = cfg.tls_server_name
        if cfg.assert_hostname is False:
            kwargs["assert_hostname"] = False
        proxy = cfg.proxy or self._env_proxy()
        manager: urllib3.PoolManager
        if proxy:
            if not proxy.startswith(("http://", "https://")):
                raise ClusterError(f"proxy {proxy}: only http:// and https:// proxies work")
            manager = urllib3.ProxyManager(proxy, **kwargs)
        else:
            manager = urllib3.PoolManager(**kwargs)
        manager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}
        return manager

    def _env_proxy(self) -> str | None:
        # kubectl honours HTTPS_PROXY/NO_PROXY; so do we.
        parts = urlsplit(self.host)
        if urllib.request.proxy_bypass(parts.hostname or ""):
            return None
        return urllib.request.getproxies().get(parts.scheme)

    def _headers(self) -> dict[str, str]:
        from kubernetes.config import ConfigException

        headers = {"Accept": "application/json", "User-Agent": f"netreach/{__version__}"}
        try:
            auth: dict[str, Any] = dict(self.config.auth_settings())
        except (ConfigException, OSError, ValueError) as exc:
            raise ClusterError(
                f"context {self.context}: cannot get credentials: {redact(str(exc), self.config)}"
            ) from None
        for setting in auth.values():
            if setting.get("in") == "header" and setting.get("value"):
                headers[str(setting["key"])] = str(setting["value"])
        return headers

    def get(self, path: str, query: dict[str, str], action: str) -> dict[str, Any] | None:
        """GET a JSON object; None on 404. `action` says what we did, e.g. "list pods"."""
        url = self.host + path + ("?" + urlencode(query) if query else "")
        delay = BACKOFF_SECONDS
        for attempt in range(1, MAX_TRIES + 1):
            status, headers, data = self._request(url, action)
            self.log(f"GET {url} -> {status}")
            if status in RETRY_STATUSES and attempt < MAX_TRIES:
                wait = _retry_after(headers.get("Retry-After"), delay)
                self.log(f"  {action}: HTTP {status}, retrying in {wait:g}s")
                time.sleep(wait)
                delay *= 2
                continue
            if status == 200:
                try:
                    body = orjson.loads(data)
                except orjson.JSONDecodeError:
                    raise ClusterError(
                        f"{self.host}: {action}: the answer is not JSON; is this a Kubernetes "
                        "API server?"
                    ) from None
                if not isinstance(body, dict):
                    raise ClusterError(f"{self.host}: {action}: unexpected answer")
                return body
            if status == 404:
                return None
            raise self._status_error(status, data, action)
        raise AssertionError("unreachable")

    def _request(self, url: str, action: str) -> tuple[int, urllib3.HTTPHeaderDict, bytes]:
        """One GET, whole within `timeout` seconds: status, headers and the body, at most
        what is left of the byte budget."""
        sockets: list[socket.socket] = []
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked read with an error

        token = _SOCKETS.set(sockets)
        timer = threading.Timer(self.timeout, expire)
        timer.daemon = True
        timer.start()
        try:
            resp = self._pool.request(
                "GET",
                url,
                headers=self._headers(),
                timeout=urllib3.Timeout(connect=self.timeout, read=self.timeout),
                retries=False,
                preload_content=False,
                decode_content=False,
            )
            try:
                data = self._body(resp, action)
            except BaseException:
                resp.close()  # half read: never back into the pool
                raise
            resp.release_conn()
            return resp.status, resp.headers, data
        except urllib3.exceptions.HTTPError as exc:
            if expired.is_set():
                raise self._too_slow(action) from None
            raise self._failed(exc, action) from None
        except OSError:
            if expired.is_set():
                raise self._too_slow(action) from None
            raise
        finally:
            timer.cancel()
            _SOCKETS.reset(token)

    def _body(self, resp: urllib3.BaseHTTPResponse, action: str) -> bytes:
        """The body as sent (we ask for no compression, so none is accepted: a small
        compressed answer could expand without bound), streamed and capped."""
        encoding = (resp.headers.get("Content-Encoding") or "identity").strip().lower()
        if encoding != "identity":
            raise ClusterError(
                f"{self.host}: {action}: the answer is compressed ({encoding[:40]}), "
                "which netreach did not ask for; is this a Kubernetes API server?"
            )
        left = None if self.max_bytes is None else self.max_bytes - self.received
        length = resp.headers.get("Content-Length") or ""
        if left is not None and length.isdigit() and int(length) > left:
            raise self._too_big(action, self.received + int(length))
        chunks: list[bytes] = []
        for chunk in resp.stream(CHUNK, decode_content=False):
            self.received += len(chunk)
            if self.max_bytes is not None and self.received > self.max_bytes:
                raise self._too_big(action, self.received)
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_big(self, action: str, size: int) -> ClusterError:
        return ClusterError(
            f"the API server at {self.host} (context {self.context}) sent more than the input "
            f"limit of {self.max_bytes:,} bytes ({size:,} bytes by the time of {action}); "
            "raise `max_input_bytes`, or read less with `namespaces`"
        )

    def _too_slow(self, action: str) -> ClusterError:
        return ClusterError(
            f"the API server at {self.host} (context {self.context}) did not answer within "
            f"{self.timeout:g}s ({action}); check the network or VPN, or raise "
            "`request_timeout`"
        )

    def _failed(self, exc: urllib3.exceptions.HTTPError, action: str) -> ClusterError:
        if isinstance(exc, urllib3.exceptions.NewConnectionError):  # a ConnectTimeoutError too
            return self._unreachable(exc)
        if isinstance(
            exc, urllib3.exceptions.ConnectTimeoutError | urllib3.exceptions.ReadTimeoutError
        ):
            return self._too_slow(action)
        if isinstance(exc, urllib3.exceptions.SSLError):
            return ClusterError(
                f"TLS with the API server at {self.host} (context {self.context}) failed: "
                f"{_reason(exc)}; check certificate-authority and the client certificate in "
                "the kubeconfig"
            )
        return self._unreachable(exc)

    def _unreachable(self, exc: urllib3.exceptions.HTTPError) -> ClusterError:
        return ClusterError(
            f"cannot reach the API server at {self.host} (context {self.context}): "
            f"{_reason(exc)}; check that the cluster is up, the address in the kubeconfig, "
            "and the network or VPN"
        )

    def _status_error(self, status: int, data: bytes, action: str) -> ClusterError:
        message = ""
        try:
            body = orjson.loads(data)
            if isinstance(body, dict):
                message = str(body.get("message", ""))
        except orjson.JSONDecodeError:
            pass
        if len(message) > MAX_MESSAGE:
            message = f"{message[:MAX_MESSAGE]}... ({len(message):,} characters)"
        said = f" The server said: {redact(message, self.config)}" if message else ""
        where = f"the API server at {self.host} (context {self.context})"
        if status == 401:
            hint = "the credentials are missing, wrong or expired"
            exp = _jwt_expiry(self._headers().get("authorization"))
            if exp is not None and exp < time.time():
                when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(exp))
                hint = f"the token expired at {when}"
            return ClusterError(
                f"{where} refused our credentials (401 Unauthorized) to {action}: {hint}; "
                f"log in again (refresh the token or client certificate) and retry.{said}"
            )
        if status == 403:
            return ClusterError(
                f"{where} forbids us to {action} (403 Forbidden): the user needs RBAC permission "
                f"for that verb on that resource, or narrow the read with -n NAMESPACE.{said}"
            )
        if status == 410:
            return ListExpiredError(f"{where} expired our list to {action} (410 Gone).{said}")
        return ClusterError(f"{where} answered HTTP {status} to {action}.{said}")


def _retry_after(header: str | None, default: float) -> float:
    try:
        return min(max(float(header), 0.0), MAX_RETRY_AFTER) if header else default
    except ValueError:
        return default


def _reason(exc: urllib3.exceptions.HTTPError) -> str:
    """The innermost reason of a urllib3 error, without the URL (already said) or retry noise."""
    inner: BaseException = exc
    while isinstance(inner, urllib3.exceptions.MaxRetryError) and inner.reason is not None:
        inner = inner.reason
    # Connection errors start with the connection's repr; the address is already said.
    text = re.sub(r"^(<[^>]*>|\S*Connection\([^)]*\)): ", "", str(inner))
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + "..."


def connect(
    kubeconfig: str | None,
    context: str | None,
    timeout: float,
    log: Log = _quiet,
    max_bytes: int | None = None,
) -> KubeApi:
    config, name = load_configuration(kubeconfig, context)
    return KubeApi(config, name, timeout, log, max_bytes)
