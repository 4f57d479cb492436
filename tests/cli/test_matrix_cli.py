"""`netreach matrix`: every format, the JSON contract, --external, filters and levels."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from paths import LESSON

EXTERNAL = """
apiVersion: v1
kind: Pod
metadata: {name: app, namespace: default, labels: {app: web}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.1.0.5}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress, namespace: default}
spec:
  podSelector: {}
  policyTypes: [Egress, Ingress]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
    ports: [{port: 443}]
  - to: [{ipBlock: {cidr: 192.168.0.0/24}}]
    ports: [{port: 443}]
  - to: [{ipBlock: {cidr: 192.168.1.0/24}}]
    ports: [{port: 443}]
"""


def lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.strip()]


def test_txt_is_one_sorted_line_per_pair(run):
    code, out, _ = run("matrix", LESSON, "-o", "txt")
    assert code == 0
    got = lines(out)
    assert got == sorted(got)
    assert "default/api[Deployment] => default/db[Deployment] : TCP 5432" in got
    assert "default/api[Deployment] => kube-system/coredns[Deployment] : TCP 53; UDP 53" in got
    assert not any(line.startswith("default/web[Deployment] => default/db") for line in got)


def test_json_follows_the_documented_contract(run):
    _, out, _ = run("matrix", LESSON, "-o", "json", "--by", "workload")
    data = json.loads(out)
    assert set(data) == {"version", "nodes", "connections"} and data["version"] == 1
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes["default/db[Deployment]"] == {
        "id": "default/db[Deployment]",
        "kind": "Deployment",
        "namespace": "default",
    }
    assert nodes["monitoring/agent[DaemonSet]"]["kind"] == "DaemonSet"
    conn = next(
        c
        for c in data["connections"]
        if c["src"] == "default/api[Deployment]" and c["dst"] == "kube-system/coredns[Deployment]"
    )
    assert conn["allowed"] == {"TCP": [[53, 53]], "UDP": [[53, 53]]}
    for c in data["connections"]:
        assert c["src"] in nodes and c["dst"] in nodes and c["allowed"]


def test_pod_level_json_uses_pod_ids(run):
    _, out, _ = run("matrix", LESSON, "-o", "json", "--by", "pod")
    data = json.loads(out)
    assert all(n["kind"] == "Pod" for n in data["nodes"])
    assert any(n["id"] == "backend/api" for n in data["nodes"])


def test_csv_and_markdown(run):
    _, out, _ = run("matrix", LESSON, "-o", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["src", "dst", "connections"]
    assert ["default/api[Deployment]", "default/db[Deployment]", "TCP 5432"] in rows
    _, md, _ = run("matrix", LESSON, "-o", "md")
    assert md.splitlines()[0] == "| src | dst | connections |"
    assert "| default/api\\[Deployment\\] | default/db\\[Deployment\\] | TCP 5432 |" in md


def test_dot_has_namespace_clusters_and_labelled_edges(run):
    _, out, _ = run("matrix", LESSON, "-o", "dot")
    assert out.startswith("digraph netreach {")
    assert 'label="monitoring";' in out
    assert '"default/api[Deployment]" -> "default/db[Deployment]" [label="TCP 5432"];' in out


def test_table_output(run):
    code, out, _ = run("matrix", LESSON, "-o", "table")
    assert code == 0 and "TCP 9187" in out


def test_namespace_level_unions_workloads(run):
    _, out, _ = run("matrix", LESSON, "--by", "namespace", "-o", "txt", "--no-self")
    assert "monitoring => default : TCP 9187" in lines(out)
    assert "backend => default : TCP 5432" in lines(out)


def test_filters_from_to_and_port(run):
    _, out, _ = run("matrix", LESSON, "-o", "txt", "--to", "default/db*", "--port", "5432/TCP")
    assert lines(out) == [
        "backend/api[Pod] => default/db[Deployment] : TCP 5432",
        "default/api[Deployment] => default/db[Deployment] : TCP 5432",
    ]
    _, out2, _ = run("matrix", LESSON, "-o", "txt", "--from", "app=web")
    assert lines(out2) == ["default/web[Deployment] => default/api[Deployment] : TCP 8000-8080"]


def test_namespace_scope_limits_both_ends(run):
    _, out, _ = run("matrix", LESSON, "-o", "txt", "-n", "default")
    assert all(line.startswith("default/") and " => default/" in line for line in lines(out))


def test_external_ranges_cut_at_except_and_merged_when_equal(run, tmp_path: Path):
    f = tmp_path / "ext.yaml"
    f.write_text(EXTERNAL)
    # csv (a machine format) keeps the range ids every output shares
    _, out, _ = run("matrix", str(f), "--external", "-o", "csv")
    got = lines(out)
    assert "default/app[Pod],10.0.0.0-10.0.255.255,TCP 443" in got
    assert "default/app[Pod],10.2.0.0-10.255.255.255,TCP 443" in got
    # two neighbouring /24s with equal connections merge into one range
    assert "default/app[Pod],192.168.0.0-192.168.1.255,TCP 443" in got
    assert not any("10.1.0.0" in line for line in got)
    # ingress isolated with no rule: nothing from outside
    assert not any(line.startswith(("0.", "1", "2")) and ",default/app" in line for line in got)


def test_human_formats_show_address_ranges_as_cidrs(run, tmp_path: Path):
    f = tmp_path / "ext.yaml"
    f.write_text(EXTERNAL)
    _, text, _ = run("matrix", str(f), "--external", "-o", "text")
    got = lines(text)
    assert "default/app[Pod] => 10.0.0.0/16 : TCP 443" in got
    # 10.2.0.0-10.255.255.255 is not one block: the fewest CIDRs that cover it exactly
    assert (
        "default/app[Pod] => 10.2.0.0/15, 10.4.0.0/14, 10.8.0.0/13, 10.16.0.0/12, "
        "10.32.0.0/11, 10.64.0.0/10, 10.128.0.0/9 : TCP 443"
    ) in got
    assert "default/app[Pod] => 192.168.0.0/23 : TCP 443" in got
    _, table, _ = run("matrix", str(f), "--external")
    _, md, _ = run("matrix", str(f), "--external", "-o", "md")
    for out in (table, md):
        assert "192.168.0.0/23" in out
        assert "192.168.0.0-192.168.1.255" not in out
    _, dot, _ = run("matrix", str(f), "--external", "-o", "dot")
    assert 'label="192.168.0.0/23"' in dot


def test_compat_mode_uses_peer_conventions(run, tmp_path: Path):
    f = tmp_path / "ext.yaml"
    f.write_text(EXTERNAL)
    _, out, _ = run("matrix", str(f), "--compat", "netpol-analyzer")
    got = lines(out)
    # atoms are not merged, text uses the peer's comma form
    assert "default/app[Pod] => 192.168.0.0-192.168.0.255[External] : TCP 443" in got
    assert "default/app[Pod] => 192.168.1.0-192.168.1.255[External] : TCP 443" in got


@pytest.mark.parametrize("fmt", ["txt", "json", "csv", "md", "dot", "table"])
def test_every_format_runs_on_an_empty_snapshot(run, tmp_path: Path, fmt: str):
    f = tmp_path / "empty.yaml"
    f.write_text("---\n")
    code, _, err = run("matrix", str(f), "-o", fmt)
    assert code == 0, err
