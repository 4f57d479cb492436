"""What the report says: rules behind each edge, isolation, caps, findings (engine-backed)."""

from __future__ import annotations

import pytest

import netreach
from builders import cluster, ns, peer, pod, policy, port, rule
from netreach.analyses.audit import audit
from netreach.analyses.report import build_report
from netreach.errors import QueryError
from reportkit import LESSON


@pytest.fixture(scope="module")
def lesson():
    return build_report(netreach.load(str(LESSON)))


def edge(data, src, dst):
    (found,) = [e for e in data.edges if e.src == src and e.dst == dst]
    return found


def rule_texts(data, numbers):
    return sorted(data.rules[i].text for i in numbers)


def test_lesson_db_ingress_names_each_responsible_rule(lesson):
    api = edge(lesson, "default/api[Deployment]", "default/db[Deployment]")
    agent = edge(lesson, "monitoring/agent[DaemonSet]", "default/db[Deployment]")
    assert str(api.conns) == "TCP 5432"
    assert rule_texts(lesson, api.ingress_rules) == ["default/allow-api-to-db ingress[0]"]
    assert rule_texts(lesson, agent.ingress_rules) == ["default/allow-monitoring-to-db ingress[0]"]
    assert rule_texts(lesson, api.egress_rules) == ["default/allow-api-egress egress[0]"]


def test_rules_carry_file_and_line(lesson):
    where = {r.text: r.location for r in lesson.rules}
    assert where["default/allow-api-to-db ingress[0]"].endswith("policies.yaml:23")


def test_side_not_isolated_has_no_rules(lesson):
    # the agent's egress is not isolated: nothing to name, everything allowed on that side
    agent = edge(lesson, "monitoring/agent[DaemonSet]", "default/db[Deployment]")
    assert agent.egress_rules is None


def test_nodes_say_what_isolates_them(lesson):
    nodes = {n.id: n for n in lesson.nodes}
    db = nodes["default/db[Deployment]"]
    assert "default/allow-api-to-db" in db.isolated_by["ingress"]
    assert db.isolated_by["egress"] == ("default/default-deny-all",)
    assert nodes["monitoring/agent[DaemonSet]"].isolated_by == {"ingress": (), "egress": ()}


def test_external_ranges_are_nodes_named_as_cidr(lesson):
    ext = [n for n in lesson.nodes if n.kind == "External"]
    assert {n.name for n in ext} == {"0.0.0.0/0", "::/0"}
    assert all(n.namespace is None for n in ext)


def test_external_edge_names_the_ipblock_rule():
    c = cluster(
        [ns("a")],
        [pod("a/x", {"app": "x"})],
        [
            policy(
                "a/out",
                {"app": "x"},
                types=["egress"],
                egress=[rule([peer(cidr="10.0.0.0/8")], [port(443)])],
            )
        ],
    )
    data = build_report(c)
    (e,) = [e for e in data.edges if e.src == "a/x[Pod]"]
    assert e.dst == "10.0.0.0-10.255.255.255"
    assert rule_texts(data, e.egress_rules) == ["a/out egress[0]"]
    assert e.ingress_rules is None  # an external side is never evaluated
    assert {n.name for n in data.nodes if n.kind == "External"} >= {"10.0.0.0/8"}


def test_namespace_matrix_is_the_engine_namespace_map(lesson):
    cells = {(s, d): str(c) for s, d, c in lesson.namespace_matrix}
    assert cells[("monitoring", "default")] == "TCP 9187"
    assert cells[("default", "kube-system")] == "TCP 53; UDP 53"
    assert ("default", "monitoring") not in cells
    # the outside world is one row and column
    assert cells[("(external)", "monitoring")] == "All Connections"
    assert ("(external)", "default") not in cells and ("default", "(external)") not in cells


def test_pod_level_names_pods():
    data = build_report(netreach.load(str(LESSON)), by="pod")
    assert all(n.kind in ("Pod", "External") for n in data.nodes)
    assert any(e.dst.startswith("default/db-") for e in data.edges)


def test_max_edges_caps_the_map_and_says_so():
    full = build_report(netreach.load(str(LESSON)))
    capped = build_report(netreach.load(str(LESSON)), max_edges=5)
    assert len(capped.edges) == 5
    assert capped.truncated and not full.truncated
    assert capped.edges == full.edges[:5]
    assert "leaves out the rest" in capped.notes[-1]  # after the audit notes
    exact = build_report(netreach.load(str(LESSON)), max_edges=len(full.edges))
    assert not exact.truncated and not any("leaves out" in n for n in exact.notes)
    assert capped.namespace_matrix == full.namespace_matrix


def test_namespace_scope_keeps_only_those_namespaces():
    data = build_report(netreach.load(str(LESSON)), namespaces=["default"])
    assert {n.namespace for n in data.nodes} - {None} == {"default"}
    assert all(e.src.startswith("default/") or e.dst.startswith("default/") for e in data.edges)
    assert [p.namespace for p in data.posture] == ["default"]


def test_unknown_level_is_a_query_error():
    with pytest.raises(QueryError, match="unknown level"):
        build_report(netreach.load(str(LESSON)), by="namespace")  # type: ignore[arg-type]


def test_audit_findings_are_listed_with_their_fixes_and_counted(lesson):
    cluster = netreach.load(str(LESSON))
    expected = audit(cluster)
    assert [(f.check, f.message) for f in lesson.findings] == [
        (f.check, f.message) for f in expected.findings
    ]
    counts = {s: n for s, n in expected.counts().items() if n}
    assert lesson.findings_by_severity == counts
    (web_dns,) = [
        f
        for f in lesson.findings
        if f.check == "dns-blocked" and f.workloads == ("default/web[Deployment]",)
    ]
    assert web_dns.severity == "error"
    assert web_dns.objects[0].text.startswith("Deployment default/web (")
    assert "k8s-app: kube-dns" in web_dns.fix


def test_finding_objects_that_are_not_workloads_have_no_graph_node(lesson):
    namespaced = [o for f in lesson.findings for o in f.objects if o.text.startswith("Namespace ")]
    assert namespaced and all(o.workload is None for o in namespaced)
