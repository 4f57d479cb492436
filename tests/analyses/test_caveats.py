"""Never a silent "allowed" on incomplete input: policies of kinds netreach does not model put
a caveat on every verdict they could change; `check` and `test` exit 3; analyze says so first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from clirun import run_cli
from netreach.cluster import Cluster
from netreach.loader import load_sources
from netreach.loader.sources import Source
from netreach.model import Snapshot

PODS = """apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: x, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: c, image: x, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: other, labels: {app: a}}
spec: {containers: [{name: c, image: x, ports: [{containerPort: 80}]}]}
"""


def policy(api: str, kind: str, namespace: str | None = "shop") -> str:
    ns = f", namespace: {namespace}" if namespace else ""
    return f"---\napiVersion: {api}\nkind: {kind}\nmetadata: {{name: p{ns}}}\nspec: {{}}\n"


def snap(text: str) -> Snapshot:
    return load_sources([Source("t.yaml", text.encode())])


def test_namespaced_unmodelled_policy_caveats_verdicts_of_its_namespace_only() -> None:
    cluster = Cluster(snap(PODS + policy("crd.antrea.io/v1beta1", "NetworkPolicy")))
    inside = cluster.check("shop/web", "shop/db", 80)
    assert inside.allowed and not inside.complete
    assert inside.caveats[0].startswith(
        "NetworkPolicy shop/p (crd.antrea.io/v1beta1) (t.yaml:16) is a network policy netreach "
        "does not model"
    )
    assert cluster.check("other/a", "shop/db", 80).caveats  # shop's ingress may change
    assert cluster.check("shop/db", "other/a", 80).caveats  # shop's egress may change
    outside = cluster.check("other/a", "other/a", 80)
    assert outside.complete


def test_cluster_wide_unmodelled_policy_caveats_every_verdict() -> None:
    text = PODS + policy("crd.antrea.io/v1beta1", "ClusterNetworkPolicy", None)
    cluster = Cluster(snap(text))
    assert not cluster.check("other/a", "other/a", 80).complete
    assert not cluster.check("other/a", "10.1.2.3", 443).complete


def test_calico_network_policy_is_not_mistaken_for_a_kubernetes_one() -> None:
    # Calico's own kinds are modelled since issue 21 (tests/cni): read as Calico's, never as
    # a Kubernetes NetworkPolicy, and no caveat
    s = snap(PODS + policy("projectcalico.org/v3", "NetworkPolicy"))
    assert not s.policies and not s.unmodelled
    assert [p.id for p in s.calico_policies] == ["CalicoNetworkPolicy/shop/p"]


def test_istio_authorization_policy_caveats_only_allowed_verdicts() -> None:
    deny = (
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: deny, namespace: other}\nspec: {podSelector: {}, ingress: []}\n"
    )
    text = PODS + policy("security.istio.io/v1", "AuthorizationPolicy") + deny
    cluster = Cluster(snap(text))
    allowed = cluster.check("shop/web", "shop/db", 80)
    assert allowed.allowed and "acts at L7" in allowed.caveats[0]
    denied = cluster.check("shop/web", "other/a", 80)
    assert not denied.allowed and denied.complete  # a mesh policy cannot allow more


def test_istio_policy_in_the_mesh_root_namespace_applies_everywhere() -> None:
    text = PODS + policy("security.istio.io/v1", "AuthorizationPolicy", "istio-system")
    assert not Cluster(snap(text)).check("other/a", "other/a", 80).complete


Run = Callable[..., tuple[int, str, str]]


def _cli(tmp_path: Path, capsys: object, *args: str) -> tuple[int, str, str]:
    return run_cli(capsys, *args)  # type: ignore[arg-type]


def test_check_exits_3_when_the_answer_may_be_incomplete(tmp_path: Path, capsys: object) -> None:
    f = tmp_path / "in.yaml"
    f.write_text(PODS + policy("crd.antrea.io/v1beta1", "NetworkPolicy"))
    code, out, _ = _cli(tmp_path, capsys, "check", str(f), "--from", "shop/web", "--to",
                        "shop/db", "--port", "80")  # fmt: skip
    assert code == 3
    assert "ALLOWED (may be incomplete: see the caveats)" in out
    assert "caveat: NetworkPolicy shop/p (crd.antrea.io/v1beta1)" in out
    code, _, _ = _cli(tmp_path, capsys, "check", str(f), "--from", "other/a", "--to", "other/a",
                      "--port", "80")  # fmt: skip
    assert code == 0


def test_test_exits_3_when_all_pass_but_the_input_is_incomplete(
    tmp_path: Path, capsys: object
) -> None:
    f = tmp_path / "in.yaml"
    f.write_text(PODS + policy("crd.antrea.io/v1beta1", "ClusterNetworkPolicy", None))
    e = tmp_path / "expect.yaml"
    e.write_text(
        "expectations:\n- name: web reaches db\n  from: {namespace: shop, labels: {app: web}}\n"
        "  to: {namespace: shop, labels: {app: db}}\n  port: 80/TCP\n  expect: allow\n"
    )
    code, _, err = _cli(tmp_path, capsys, "test", str(f), "--expect", str(e))
    assert code == 3
    assert "caveat: ClusterNetworkPolicy p (crd.antrea.io/v1beta1)" in err


def test_analyze_shows_the_caveats_first(tmp_path: Path, capsys: object) -> None:
    f = tmp_path / "in.yaml"
    f.write_text(PODS + policy("k8s.ovn.org/v1", "EgressFirewall"))
    code, out, _ = _cli(tmp_path, capsys, "analyze", str(f))
    assert code == 0
    assert out.splitlines()[0].startswith("The answers below may be incomplete (1 caveat)")
    assert "EgressFirewall shop/p" in out.splitlines()[1]
