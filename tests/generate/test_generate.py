"""`netreach.generate`: what it writes, and what its proof says."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

import netreach
from builders import cluster, ns, pod, policy, port, rule
from netreach.analyses.generate import generate, parse_flows, parse_intent
from netreach.analyses.posture import dns_pods
from netreach.cluster import Cluster
from netreach.errors import QueryError
from netreach.model import Pod, WorkloadRef
from paths import LESSON, ROOT

LESSON_INTENT = ROOT / "examples" / "generate" / "lesson-intent.yaml"


def intent(*lines: str) -> Any:
    return parse_intent("allow:\n" + "".join(f"  - {line}\n" for line in lines))


def named(result: Any, namespace: str, name: str) -> dict[str, Any]:
    for m in result.manifests:
        if m["metadata"]["namespace"] == namespace and m["metadata"]["name"] == name:
            return m  # type: ignore[no-any-return]
    raise AssertionError(f"no {namespace}/{name} in {[m['metadata'] for m in result.manifests]}")


def names(result: Any) -> list[str]:
    return [f"{m['metadata']['namespace']}/{m['metadata']['name']}" for m in result.manifests]


def deployment_pod(ref: str, labels: dict[str, str], **kw: Any) -> Pod:
    p = pod(ref, labels, **kw)
    base = p.name.rsplit("-", 1)[0]
    return Pod(p.namespace, p.name, p.labels, WorkloadRef(p.namespace, base, "Deployment"), p.ips)


# --- the lesson ---------------------------------------------------------------------------------


def test_lesson_regenerated_from_its_intent_is_exact_and_audits_clean() -> None:
    lesson = netreach.load(LESSON)
    result = generate(lesson, parse_intent(LESSON_INTENT.read_text()))
    assert result.proof.exact, result.proof.text()
    after = Cluster(dataclasses.replace(lesson.snapshot, policies=list(result.policies)))
    coredns = dns_pods(after)[0]
    for p in after.pods:
        # isolated both ways, and DNS not forgotten
        assert after.isolated(p, "ingress") and after.isolated(p, "egress"), p.id
        assert after.check(p, coredns, 53, "UDP").allowed, p.id
        assert after.check(p, coredns, 53, "TCP").allowed, p.id
    # the audit of the secure pattern finds nothing above info (endPort support notes)
    report = after.audit()
    assert not report.fails("warning"), [f.message for f in report.findings]
    # the lesson's own policies allow every intended connection too: same intent
    for src, dst, number in [
        ("default/web", "default/api", 8080),
        ("default/api", "default/db", 5432),
        ("monitoring/agent", "default/db", 9187),
        ("backend/api", "default/db", 5432),
    ]:
        assert lesson.check(src, dst, number).allowed
        assert after.check(src, dst, number).allowed
    # AND stays AND: the api of backend reaches db, the agent only on the exporter port
    assert not after.check("monitoring/agent", "default/db", 5432).allowed


def test_cross_namespace_peer_is_one_peer_with_pod_and_namespace_selector() -> None:
    result = generate(netreach.load(LESSON), intent("backend/api -> db:5432"))
    peers = named(result, "default", "netreach-ingress-db")["spec"]["ingress"][0]["from"]
    assert peers == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "backend"}},
            "podSelector": {"matchLabels": {"app": "api"}},
        }
    ]


def test_contiguous_ports_merge_into_one_end_port_range() -> None:
    result = generate(netreach.load(LESSON), intent("web -> api:8000,8001,8002-8080,9000/TCP"))
    ports = named(result, "default", "netreach-ingress-api")["spec"]["ingress"][0]["ports"]
    assert ports == [
        {"protocol": "TCP", "port": 8000, "endPort": 8080},
        {"protocol": "TCP", "port": 9000},
    ]


def test_a_whole_protocol_is_written_without_a_port() -> None:
    result = generate(netreach.load(LESSON), intent("web -> api:1-65535/UDP"))
    ports = named(result, "default", "netreach-egress-web")["spec"]["egress"][0]["ports"]
    assert ports == [{"protocol": "UDP"}]
    assert result.proof.exact


def test_each_namespace_gets_deny_all_then_dns_then_allows_in_name_order() -> None:
    result = generate(netreach.load(LESSON), parse_intent(LESSON_INTENT.read_text()))
    assert names(result) == [
        "backend/netreach-default-deny",
        "backend/netreach-allow-dns",
        "backend/netreach-egress-api",
        "default/netreach-default-deny",
        "default/netreach-allow-dns",
        "default/netreach-egress-api",
        "default/netreach-egress-web",
        "default/netreach-ingress-api",
        "default/netreach-ingress-db",
        "kube-system/netreach-default-deny",
        "kube-system/netreach-allow-dns",
        "kube-system/netreach-dns-ingress",
        "kube-system/netreach-egress-coredns",
        "kube-system/netreach-ingress-coredns",
        "monitoring/netreach-default-deny",
        "monitoring/netreach-allow-dns",
        "monitoring/netreach-egress-agent",
        "monitoring/netreach-egress-all-pods",
    ]
    deny = named(result, "default", "netreach-default-deny")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_dns_egress_targets_the_dns_pods_on_udp_and_tcp_53_and_can_be_left_out() -> None:
    lesson = netreach.load(LESSON)
    rule0 = named(generate(lesson, intent("web -> api:8080")), "default", "netreach-allow-dns")[
        "spec"
    ]["egress"][0]
    assert rule0["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    assert rule0["ports"] == [{"protocol": "TCP", "port": 53}, {"protocol": "UDP", "port": 53}]
    without = generate(lesson, intent("web -> api:8080"), dns=False)
    assert "default/netreach-allow-dns" not in names(without)
    assert without.proof.exact


def test_isolating_the_dns_namespace_lets_every_pod_query_the_dns_pods() -> None:
    lesson = netreach.load(LESSON)
    scope = ["default", "kube-system"]
    result = generate(lesson, intent("web -> api:8080"), namespaces=scope)
    spec = named(result, "kube-system", "netreach-dns-ingress")["spec"]
    assert spec["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    assert spec["ingress"][0]["from"] == [{"namespaceSelector": {}}]
    assert result.proof.exact, result.proof.text()


def test_namespaces_the_intent_does_not_name_are_left_open() -> None:
    result = generate(netreach.load(LESSON), intent("web -> api:8080"))
    assert {m["metadata"]["namespace"] for m in result.manifests} == {"default"}


def test_yaml_is_the_same_bytes_every_time() -> None:
    lesson = netreach.load(LESSON)
    runs = {generate(lesson, parse_intent(LESSON_INTENT.read_text())).yaml() for _ in range(3)}
    assert len(runs) == 1


# --- selectors ----------------------------------------------------------------------------------


def test_workload_selector_uses_few_stable_labels_and_never_the_template_hash() -> None:
    c = cluster(
        [ns("default")],
        [
            deployment_pod("default/api-1", {"app": "api", "tier": "be", "pod-template-hash": "1"}),
            deployment_pod("default/web-1", {"app": "web", "tier": "fe", "pod-template-hash": "2"}),
        ],
    )
    result = generate(c, intent("web -> api:80"), dns=False)
    spec = named(result, "default", "netreach-ingress-api")["spec"]
    assert spec["podSelector"] == {"matchLabels": {"app": "api"}}
    assert "pod-template-hash" not in result.yaml()


def test_a_label_only_the_other_workload_has_is_excluded_with_does_not_exist() -> None:
    c = cluster(
        [ns("default")],
        [
            deployment_pod("default/api-1", {"app": "api"}),
            deployment_pod("default/canary-1", {"app": "api", "track": "canary"}),
            deployment_pod("default/web-1", {"app": "web"}),
        ],
    )
    result = generate(c, intent("web -> api:80"), dns=False)
    spec = named(result, "default", "netreach-ingress-api")["spec"]
    assert spec["podSelector"] == {
        "matchLabels": {"app": "api"},
        "matchExpressions": [{"key": "track", "operator": "DoesNotExist"}],
    }
    assert result.proof.exact, result.proof.text()


def test_workloads_no_selector_tells_apart_are_reported_as_too_many() -> None:
    c = cluster(
        [ns("default")],
        [
            deployment_pod("default/api-1", {"app": "api", "pod-template-hash": "a"}),
            deployment_pod("default/twin-1", {"app": "api", "pod-template-hash": "b"}),
            deployment_pod("default/web-1", {"app": "web"}),
        ],
    )
    proof = generate(c, intent("web -> api:80"), dns=False).proof
    assert not proof.exact and proof.broader_only
    [diff] = proof.differences
    assert (diff.src, diff.dst, str(diff.extra)) == ("default/web-1", "default/twin-1", "TCP 80")
    assert "default/twin-1 carries every stable label of default/api[Deployment]" in diff.reason
    assert "no selector tells them apart" in diff.reason


# --- external ranges ----------------------------------------------------------------------------


def test_egress_to_a_cidr_and_ingress_from_one_are_proved_exact() -> None:
    lesson = netreach.load(LESSON)
    result = generate(lesson, intent("api -> 10.0.0.0/8:443", "192.0.2.0/24 -> web:80"))
    assert result.proof.exact, result.proof.text()
    egress = named(result, "default", "netreach-egress-api")["spec"]["egress"]
    assert egress == [
        {"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"protocol": "TCP", "port": 443}]}
    ]
    ingress = named(result, "default", "netreach-ingress-web")["spec"]["ingress"]
    assert ingress[0]["from"] == [{"ipBlock": {"cidr": "192.0.2.0/24"}}]


def test_a_connection_policies_cannot_allow_is_reported_missing_with_the_reason() -> None:
    c = cluster(
        [ns("default")],
        [
            pod("default/web", {"app": "web"}),
            pod("default/node", {"app": "node"}, host_network=True),
        ],
    )
    proof = generate(c, intent("web -> node:9100"), dns=False).proof
    assert not proof.broader_only
    [diff] = [d for d in proof.differences if not d.missing.is_empty]
    assert (diff.src, diff.dst, str(diff.missing)) == ("default/web", "default/node", "TCP 9100")
    assert "egress denied" in diff.reason


# --- per-namespace style and merge mode ----------------------------------------------------------


def test_per_namespace_style_selects_whole_namespaces_and_the_proof_says_it_is_broader() -> None:
    result = generate(
        netreach.load(LESSON), parse_intent(LESSON_INTENT.read_text()), style="per-namespace"
    )
    spec = named(result, "default", "netreach-ingress-all-pods")["spec"]
    assert spec["podSelector"] == {}
    assert result.proof.broader_only and not result.proof.exact
    # web may now reach db on the api's ports: the namespace is the unit
    [web_db] = [
        d
        for d in result.proof.differences
        if d.src.startswith("default/web") and d.dst.startswith("default/db")
    ]
    assert web_db.extra.contains("TCP", 8000) and web_db.missing.is_empty


def test_existing_mode_keeps_current_policies_and_adds_only_what_is_missing() -> None:
    lesson = netreach.load(LESSON)
    result = generate(lesson, parse_intent(LESSON_INTENT.read_text()), existing=True)
    generated = names(result)
    # default is isolated already and its ingress allows are in place ...
    assert "default/netreach-default-deny" not in generated
    assert not [n for n in generated if n.startswith("default/netreach-ingress")]
    # ... but monitoring and backend were open, and web/db had no DNS egress
    assert "monitoring/netreach-default-deny" in generated
    assert "monitoring/netreach-egress-all-pods" in generated
    assert "backend/netreach-egress-api" in generated
    assert "default/netreach-allow-dns" in generated
    assert result.proof.exact, result.proof.text()


def test_existing_mode_names_the_current_policy_that_allows_beyond_the_intent() -> None:
    lesson = netreach.load(LESSON)
    less = intent("web -> api:8000-8080", "monitoring/* -> db:9187", "backend/api -> db:5432")
    proof = generate(lesson, less, existing=True).proof
    [diff] = [d for d in proof.differences if d.src.startswith("default/api")]
    assert str(diff.extra) == "TCP 5432" and diff.dst.startswith("default/db")
    assert "default/allow-api-to-db" in diff.reason and "default/allow-api-egress" in diff.reason


def test_existing_policies_are_ignored_without_existing_mode() -> None:
    c = cluster(
        [ns("default")],
        [pod("default/a", {"app": "a"}), pod("default/b", {"app": "b"})],
        [policy("default/open", {}, ingress=[rule(ports=[port(22)])])],
    )
    assert generate(c, intent("a -> b:80"), dns=False).proof.exact


# --- inputs -------------------------------------------------------------------------------------


def test_unknown_workload_is_a_query_error_with_a_hint() -> None:
    with pytest.raises(QueryError, match=r"no pod or workload 'default/apii'.*did you mean"):
        generate(netreach.load(LESSON), intent("web -> apii:80"))


def test_flows_and_the_equivalent_intent_generate_the_same_policies() -> None:
    lesson = netreach.load(LESSON)
    csv_text = (ROOT / "examples" / "generate" / "lesson-flows.csv").read_text()
    from_flows = generate(lesson, parse_flows(csv_text, lesson))
    from_intent = generate(
        lesson,
        intent(
            "web -> api:8080",
            "api -> db:5432",
            "monitoring/agent -> db:9187",
            "backend/api -> db:5432",
            "api -> 203.0.113.10/32:443",
        ),
    )
    assert from_flows.yaml() == from_intent.yaml()
    assert from_flows.proof.exact


def test_existing_mode_never_reuses_the_name_of_a_kept_policy() -> None:
    c = cluster(
        [ns("default")],
        [pod("default/a", {"app": "a"}), pod("default/b", {"app": "b"})],
        [policy("default/netreach-ingress-b", {"app": "b"}, ingress=[rule(ports=[port(22)])])],
    )
    result = generate(c, intent("a -> b:80"), dns=False, existing=True)
    assert "default/netreach-ingress-b-2" in names(result)
    assert "default/netreach-ingress-b" not in names(result)
    assert not result.proof.exact  # the kept policy opens port 22 to everyone


def test_namespaces_outside_the_scope_get_no_policy_at_all() -> None:
    lesson = netreach.load(LESSON)
    result = generate(lesson, parse_intent(LESSON_INTENT.read_text()), namespaces=["default"])
    assert {m["metadata"]["namespace"] for m in result.manifests} == {"default"}
    # the agent stays unisolated; db still admits it on the exporter port only
    assert result.proof.exact, result.proof.text()


def test_port_names_are_written_as_names_and_proved_on_each_destination_pod() -> None:
    result = generate(netreach.load(LESSON), intent("api -> db:postgres", "web -> api:http"))
    assert result.proof.exact, result.proof.text()
    db = named(result, "default", "netreach-ingress-db")["spec"]["ingress"][0]
    assert db["ports"] == [{"protocol": "TCP", "port": "postgres"}]
    after = Cluster(
        dataclasses.replace(netreach.load(LESSON).snapshot, policies=list(result.policies))
    )
    assert after.check("default/api", "default/db", 5432).allowed
    assert not after.check("default/api", "default/db", 9187).allowed


def test_a_port_name_no_destination_pod_has_is_a_query_error() -> None:
    with pytest.raises(
        QueryError, match="no pod of default/db\\[Deployment\\] has a container port named 'http'"
    ):
        generate(netreach.load(LESSON), intent("api -> db:http"))


def test_existing_mode_resolves_port_names_before_deciding_what_is_covered() -> None:
    # the lesson's allow-api-to-db opens 5432, which is db's `postgres` port
    lesson = netreach.load(LESSON)
    result = generate(lesson, intent("api -> db:postgres"), existing=True)
    assert "default/netreach-ingress-db" not in names(result)
    assert "default/netreach-egress-api" not in names(result)
    # ... and not 9187, db's `metrics` port: that one is added
    result = generate(lesson, intent("api -> db:metrics"), existing=True)
    assert "default/netreach-ingress-db" in names(result)
    assert "default/netreach-egress-api" in names(result)


def test_an_endpoint_that_selects_no_pod_is_noted() -> None:
    result = generate(
        netreach.load(LESSON), parse_intent("allow:\n  - tier=fronted -> api:80\n", "i.yaml")
    )
    assert result.notes == ("i.yaml:2: default/tier=fronted selects no pod of the snapshot",)


def test_host_network_pods_are_not_expected_to_reach_dns_through_policies() -> None:
    c = cluster(
        [ns("kube-system")],
        [
            pod("kube-system/coredns", {"k8s-app": "kube-dns"}),
            pod("kube-system/proxy", {"k8s-app": "kube-proxy"}, host_network=True),
        ],
    )
    result = generate(c, intent("kube-system/coredns -> 192.0.2.53/32:53/UDP"))
    assert "kube-system/netreach-dns-ingress" in names(result)
    assert result.proof.exact, result.proof.text()
    assert result.notes == (
        "kube-system/proxy: host-network pod: NetworkPolicy does not apply to it, "
        "its side is not proved",
    )
