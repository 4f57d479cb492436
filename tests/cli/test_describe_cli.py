"""`netreach describe` on the lesson example."""

from __future__ import annotations

import json

from paths import LESSON, ROOT


def test_describe_the_and_policy_of_the_lesson(run):
    code, out, _ = run("describe", LESSON, "policy", "default/allow-backend-api-to-db")
    assert code == 0
    assert "Selects pods labelled app=db in namespace default: 1 now." in out
    assert (
        "admits connections from pods labelled app=api in namespaces labelled team=backend: "
        "both conditions, on TCP 5432" in out
    )
    assert "pods now: backend/api; namespaces now: backend" in out


def test_describe_deny_all(run):
    _, out, _ = run("describe", LESSON, "policy", "default/default-deny-all")
    assert "Isolates egress and has no egress rule: it denies all egress" in out


def test_describe_pod_db_lists_every_policy_and_who_gets_in(run):
    code, out, _ = run("describe", LESSON, "pod", "default/db", "-o", "json")
    assert code == 0
    data = json.loads(out)
    assert [p["policy"] for p in data["selected_by"]] == [
        "default/default-deny-all",
        "default/allow-api-to-db",
        "default/allow-monitoring-to-db",
        "default/allow-backend-api-to-db",
    ]
    assert {w["workload"]: w["allowed"] for w in data["ingress"]["workloads"]} == {
        "backend/api[Pod]": "TCP 5432",
        "default/api[Deployment]": "TCP 5432",
        "monitoring/agent[DaemonSet]": "TCP 9187",
    }
    assert data["egress"]["summary"].endswith("all egress denied")


def test_describe_unknown_policy_is_a_message(run):
    code, _, err = run("describe", LESSON, "policy", "default/nope")
    assert code == 2 and "no NetworkPolicy 'default/nope'" in err


def test_describe_policy_json(run):
    code, out, _ = run("describe", LESSON, "policy", "default/allow-api-egress", "-o", "json")
    assert code == 0
    data = json.loads(out)
    assert data["isolates"] == ["egress"]
    assert [r["rule"] for r in data["rules"]] == [0, 1]
    dns = data["rules"][1]
    assert dns["ports"] == "UDP 53, TCP 53"
    assert dns["peers"][0]["namespaces_now"] == ["kube-system"]
    assert dns["peers"][0]["pods_now"][0].startswith("kube-system/coredns-")


def test_describe_calico_and_cilium_policies(run):
    code, out, _ = run("describe", str(ROOT / "examples" / "calico"), "policy", "gnp/security.dns")
    assert code == 0
    assert "Calico GlobalNetworkPolicy security.dns" in out
    assert "passes to the next tier" in out
    code, out, _ = run(
        "describe", str(ROOT / "examples" / "cilium"), "policy", "ccnp/default-deny-with-dns"
    )
    assert code == 0
    assert "Cilium's default-deny idiom" in out


def test_describe_a_name_of_several_namespaced_policies_is_a_message(run):
    code, _, err = run("describe", str(ROOT / "examples" / "cilium"), "policy", "to-db")
    assert code == 2
    assert (
        "did you mean CiliumNetworkPolicy/monitoring/to-db, CiliumNetworkPolicy/backend/to-db"
        in err
    )
