"""Read what NetworkPolicy analysis needs from a live cluster, as loader `Source`s."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from netreach.loader.kubeapi import ClusterError, KubeApi, ListExpiredError, Log, connect
from netreach.loader.limits import DEFAULT_TIMEOUT, Limits
from netreach.loader.sources import Source

Note = Callable[[str], None]

PAGE_SIZE = 500
# Pages of one list at most: 5 million objects at 500 a page. A server that keeps sending
# `continue` tokens (with empty pages, which the byte limit would not stop) is cut off here.
MAX_PAGES = 10_000


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    # A missing optional API (404: CRD not installed, or a kind the server is too old
    # for) is skipped with a note; a missing required one is an error.
    required: bool = False

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            return f"{base}/namespaces/{namespace}/{self.plural}"
        return f"{base}/{self.plural}"

    @property
    def title(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural


NAMESPACES = Resource("", "v1", "namespaces", "Namespace", namespaced=False, required=True)
ADMIN_GROUP = "policy.networking.k8s.io"
RESOURCES: tuple[Resource, ...] = (
    NAMESPACES,
    Resource("", "v1", "pods", "Pod", namespaced=True, required=True),
    Resource("apps", "v1", "deployments", "Deployment", namespaced=True),
    Resource("apps", "v1", "replicasets", "ReplicaSet", namespaced=True),
    Resource("apps", "v1", "statefulsets", "StatefulSet", namespaced=True),
    Resource("apps", "v1", "daemonsets", "DaemonSet", namespaced=True),
    Resource("batch", "v1", "jobs", "Job", namespaced=True),
    Resource("batch", "v1", "cronjobs", "CronJob", namespaced=True),
    Resource("", "v1", "replicationcontrollers", "ReplicationController", namespaced=True),
    Resource("", "v1", "services", "Service", namespaced=True),
    Resource("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True, required=True),
    Resource(ADMIN_GROUP, "v1alpha1", "adminnetworkpolicies", "AdminNetworkPolicy", False),
    Resource(
        ADMIN_GROUP, "v1alpha1", "baselineadminnetworkpolicies", "BaselineAdminNetworkPolicy", False
    ),
    Resource(ADMIN_GROUP, "v1alpha2", "clusternetworkpolicies", "ClusterNetworkPolicy", False),
)


def read_cluster(
    kubeconfig: str | None = None,
    context: str | None = None,
    namespace: str | None = None,
    *,
    request_timeout: float = DEFAULT_TIMEOUT,
    on_note: Note | None = None,
    log: Log | None = None,
    max_bytes: int | None = None,
) -> list[Source]:
    """List the resources netreach analyzes, one `Source` (a `kind: List`) per resource.

    `namespace` limits namespaced resources to that namespace (the Namespace object itself is
    read too); None reads all. Cluster-scoped policies are always read whole. Each request
    must end within `request_timeout` seconds; the answers together may hold `max_bytes`
    bytes (default: the input size limit).
    """
    lists = read_cluster_lists(
        kubeconfig,
        context,
        namespace,
        request_timeout=request_timeout,
        on_note=on_note,
        log=log,
        max_bytes=max_bytes,
    )
    return [Source(name, orjson.dumps(doc)) for name, doc in lists]


def read_cluster_lists(
    kubeconfig: str | None = None,
    context: str | None = None,
    namespace: str | None = None,
    *,
    request_timeout: float = DEFAULT_TIMEOUT,
    on_note: Note | None = None,
    log: Log | None = None,
    max_bytes: int | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """As `read_cluster`, but each `kind: List` as parsed JSON, with its source name."""
    if max_bytes is None:
        max_bytes = Limits().max_input_bytes
    api = connect(kubeconfig, context, request_timeout, log or _quiet, max_bytes)
    note = on_note or _quiet
    lists: list[tuple[str, dict[str, Any]]] = []
    for resource in RESOURCES:
        if resource is NAMESPACES and namespace:
            items, version = [_read_namespace(api, namespace)], ""
        else:
            listed = list_resource(api, resource, namespace)
            if listed is None:
                note(
                    f"{resource.kind} ({resource.api_version}) is not served by the cluster "
                    f"(CRD not installed?): skipped"
                )
                continue
            items, version = listed
        doc = {
            "apiVersion": "v1",
            "kind": "List",
            "metadata": {"resourceVersion": version},
            "items": items,
        }
        lists.append((f"cluster:{api.context}/{resource.plural}", doc))
    return lists


def _read_namespace(api: KubeApi, name: str) -> dict[str, Any]:
    obj = api.get(f"/api/v1/namespaces/{name}", {}, f"get namespace {name}")
    if obj is None:
        raise ClusterError(f"namespace {name} does not exist in context {api.context}")
    return scrub(obj, NAMESPACES)


def list_resource(
    api: KubeApi, resource: Resource, namespace: str | None, page_size: int = PAGE_SIZE
) -> tuple[list[dict[str, Any]], str] | None:
    """All items of a resource, page by page; None when the API is not served (404)."""
    scope = (
        f"in namespace {namespace}"
        if resource.namespaced and namespace
        else ("in all namespaces" if resource.namespaced else "(cluster-scoped)")
    )
    action = f"list {resource.title} {scope}"
    items: list[dict[str, Any]] = []
    token = ""
    restarted = False
    seen: set[str] = set()
    while True:
        if len(seen) >= MAX_PAGES:
            raise ClusterError(
                f"the API server at {api.host} sent more than {MAX_PAGES:,} pages to {action}; "
                "netreach stops there (a misbehaving server?)"
            )
        query = {"limit": str(page_size)}
        if token:
            query["continue"] = token
        try:
            page = api.get(resource.path(namespace), query, action)
        except ListExpiredError:
            # The continue token outlived the server's list snapshot (410): start over once
            # for a consistent list, as client-go does.
            if restarted or not token:
                raise
            restarted, token, items = True, "", []
            seen.clear()
            continue
        if page is None:
            if resource.required:
                raise ClusterError(
                    f"the API server at {api.host} does not serve {resource.title} "
                    f"({resource.api_version}); is this a Kubernetes API server?"
                )
            return None
        for item in page.get("items") or []:
            if isinstance(item, dict):
                items.append(scrub(item, resource))
        meta = page.get("metadata") or {}
        token = str(meta.get("continue") or "")
        if not token:
            return items, str(meta.get("resourceVersion") or "")
        if token in seen:
            raise ClusterError(
                f"the API server at {api.host} sent the same continue token twice to {action} "
                "(the list would never end); netreach stops there"
            )
        seen.add(token)


def scrub(item: dict[str, Any], resource: Resource) -> dict[str, Any]:
    """Set kind/apiVersion (list items lack them, as in kubectl) and drop what analysis does not
    need and should not be saved in a snapshot: managedFields, the last-applied annotation
    (a full copy of the spec) and container environments (may hold literal secrets)."""
    item["apiVersion"] = resource.api_version
    item["kind"] = resource.kind
    meta = item.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
        annotations = meta.get("annotations")
        if isinstance(annotations, dict):
            annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    for pod_spec in _pod_specs(item):
        for key in ("containers", "initContainers", "ephemeralContainers"):
            for container in pod_spec.get(key) or []:
                if isinstance(container, dict):
                    container.pop("env", None)
                    container.pop("envFrom", None)
    return item


def _pod_specs(item: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    spec: Any = item.get("spec")
    if item.get("kind") == "Pod":
        chain: tuple[str, ...] = ()
    elif item.get("kind") == "CronJob":
        chain = ("jobTemplate", "spec", "template", "spec")
    else:
        chain = ("template", "spec")
    for key in chain:
        spec = spec.get(key) if isinstance(spec, dict) else None
    if isinstance(spec, dict):
        found.append(spec)
    return found


def _quiet(_: str) -> None:
    pass
