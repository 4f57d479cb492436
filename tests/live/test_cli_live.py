"""The CLI over a live cluster: snapshot, mixed sources, and no credentials in any output."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from netreach.cli import cli
from netreach.cli.common import run_guarded
from netreach.loader.inputs import Inputs, read_sources

from .apiserver import Cluster
from .certs import Certs
from .conftest import TOKEN, KubeconfigWriter


def run(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["netreach", *args])
    code = run_guarded(cli)
    out, err = capsys.readouterr()
    return code, out, err


def inputs(**kwargs: Any) -> Inputs:
    return Inputs(**kwargs)


def _key_body(pem: bytes) -> list[str]:
    """Lines of a PEM's base64 body: none may appear anywhere."""
    return [line for line in pem.decode().splitlines() if line and not line.startswith("-----")]


def test_snapshot_saves_yaml_and_never_prints_credentials(
    mtls_server: str,
    certs: Certs,
    kubeconfig: KubeconfigWriter,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Both a token and a client key in the kubeconfig; the server takes the certificate.
    path = kubeconfig(mtls_server, client_cert=True)
    out_dir = tmp_path / "snap"
    code, out, err = run(
        ["snapshot", "-vv", "--kubeconfig", str(path), "--out", str(out_dir)], monkeypatch, capsys
    )
    assert code == 0, err
    assert "GET https://127.0.0.1" in err  # -v shows the requests...
    assert "note: AdminNetworkPolicy" in err
    secrets = [TOKEN, *_key_body(certs.client.key), *_key_body(certs.client.cert)]
    written = b"".join(p.read_bytes() for p in sorted(out_dir.iterdir()))
    for secret in secrets:  # ...but no credential, on screen or in the snapshot
        assert secret not in out and secret not in err
        assert secret.encode() not in written
    files = sorted(p.name for p in out_dir.iterdir())
    assert files[:3] == ["01-namespaces.yaml", "02-pods.yaml", "03-deployments.yaml"]
    pods = yaml.safe_load((out_dir / "02-pods.yaml").read_text())
    assert pods["kind"] == "List"
    first = pods["items"][0]
    assert (first["kind"], first["metadata"]["name"]) == ("Pod", "web-1")

    # Offline, the snapshot reads back as the same objects.
    again = {r.name: r.read_bytes() for r in read_sources(inputs(paths=(str(out_dir),)))}
    assert yaml.safe_load(again[str(out_dir / "02-pods.yaml")]) == pods


def test_snapshot_refuses_a_non_empty_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "old.yaml").write_text("x: 1\n")
    code, _, err = run(
        ["snapshot", "-f", str(tmp_path), "--out", str(tmp_path)], monkeypatch, capsys
    )
    assert code == 2 and "is not an empty directory" in err


def test_errors_print_no_token_even_verbose(
    server: str,
    state: Cluster,
    kubeconfig: KubeconfigWriter,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    state.token = "the-server-wants-another-one"
    path = kubeconfig(server)
    args = ["snapshot", "-vvv", "--kubeconfig", str(path), "--out", str(tmp_path / "s")]
    code, out, err = run(args, monkeypatch, capsys)
    assert code == 2
    assert "401 Unauthorized" in err and "Traceback" not in err
    assert TOKEN not in out + err


def test_unreachable_cluster_is_one_line_exit_2(
    kubeconfig: KubeconfigWriter,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = kubeconfig("https://127.0.0.1:1")
    code, _, err = run(
        ["snapshot", "--kubeconfig", str(path), "--out", str(tmp_path / "s")], monkeypatch, capsys
    )
    assert code == 2
    assert err.startswith("netreach: cannot reach the API server at https://127.0.0.1:1")
    assert not (tmp_path / "s").exists()


NP_DB = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db-ingress
  namespace: db
spec:
  podSelector: {}
  policyTypes: [Ingress]
"""
NP_NEW = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-egress
spec:
  podSelector: {}
  policyTypes: [Egress]
"""


def test_live_cluster_plus_proposed_policies(
    server: str, kubeconfig: KubeconfigWriter, tmp_path: Path
) -> None:
    proposed = tmp_path / "proposed"
    proposed.mkdir()
    (proposed / "db.yaml").write_text(NP_DB)
    (proposed / "web.yml").write_text(NP_NEW)
    (proposed / "README.md").write_text("not a manifest")
    opts = inputs(kubeconfig=str(kubeconfig(server)), paths=(str(proposed),), namespaces=("web",))
    raws = read_sources(opts)
    names = [r.name for r in raws]
    assert names[0] == "cluster:test/namespaces"
    assert names[-2:] == [str(proposed / "db.yaml"), str(proposed / "web.yml")]
    # What is proposed replaces the live object of the same kind, namespace and name...
    live = {r.name: orjson.loads(r.read_bytes()) for r in raws if r.name.startswith("cluster:")}
    assert live["cluster:test/networkpolicies"]["items"] == []
    # ...and -n web reads that namespace of the cluster only.
    assert [p["metadata"]["name"] for p in live["cluster:test/pods"]["items"]] == [
        "web-1",
        "web-2",
        "web-3",
    ]


def test_proposed_objects_keep_unrelated_live_ones(
    server: str, kubeconfig: KubeconfigWriter, tmp_path: Path
) -> None:
    (tmp_path / "new.yaml").write_text(NP_NEW)
    opts = inputs(kubeconfig=str(kubeconfig(server)), paths=(str(tmp_path / "new.yaml"),))
    live = {
        r.name: orjson.loads(r.read_bytes())
        for r in read_sources(opts)
        if r.name.startswith("cluster:")
    }
    assert [n["metadata"]["name"] for n in live["cluster:test/networkpolicies"]["items"]] == [
        "db-ingress"
    ]


def test_no_input_means_live_cluster(tmp_path: Path) -> None:
    from netreach.loader.kubeapi import ClusterError

    with pytest.raises(ClusterError, match="no kubeconfig at"):
        read_sources(inputs())


def test_values_without_chart() -> None:
    from netreach.errors import NetreachError

    with pytest.raises(NetreachError, match="add `helm` CHART"):
        read_sources(inputs(paths=("x.yaml",), values=("v.yaml",)))


def test_check_what_if_i_apply_these(
    server: str,
    kubeconfig: KubeconfigWriter,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = str(kubeconfig(server))
    conn = ["--from", "web/web-1", "--to", "db/db-0", "--port", "8080"]
    code, out, err = run(
        ["check", "--kubeconfig", path, *conn, "--expect", "allow"], monkeypatch, capsys
    )
    assert code == 0, out + err
    proposed = tmp_path / "proposed"
    proposed.mkdir()
    (proposed / "db.yaml").write_text(NP_DB)  # replaces db/db-ingress with a deny-all
    code, out, err = run(
        ["check", "--kubeconfig", path, "-f", str(proposed), *conn, "--expect", "deny"],
        monkeypatch,
        capsys,
    )
    assert code == 0, out + err
    assert "db-ingress" in out


def test_snapshot_analyzes_like_the_live_cluster(
    server: str,
    kubeconfig: KubeconfigWriter,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = str(kubeconfig(server))
    code, live, err = run(["matrix", "--kubeconfig", path], monkeypatch, capsys)
    assert code == 0, err
    snap = str(tmp_path / "snap")
    assert run(["snapshot", "--kubeconfig", path, "--out", snap], monkeypatch, capsys)[0] == 0
    code, offline, err = run(["matrix", snap], monkeypatch, capsys)
    assert code == 0, err
    assert offline == live and "web" in live


def test_all_namespaces_wins_over_namespace(server: str, kubeconfig: KubeconfigWriter) -> None:
    opts = inputs(kubeconfig=str(kubeconfig(server)), namespaces=("web",), all_namespaces=True)
    live = {r.name: orjson.loads(r.read_bytes()) for r in read_sources(opts)}
    assert len(live["cluster:test/pods"]["items"]) == 4
    assert len(live["cluster:test/namespaces"]["items"]) == 3
