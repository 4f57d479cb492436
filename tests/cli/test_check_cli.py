"""`netreach check`, `validate`, `analyze` on the lesson example: verdicts, reasons, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from paths import LESSON


def test_lesson_api_reaches_db_with_the_rule_that_allows_it(run):
    code, out, _ = run(
        "check", LESSON, "--from", "default/api", "--to", "default/db", "--port", "5432"
    )
    assert code == 0
    assert "ALLOWED" in out
    assert "allowed by default/allow-api-to-db ingress[0] from[0] ports[0]" in out
    assert "policies.yaml:" in out


def test_lesson_web_to_db_is_blocked_and_says_why(run):
    code, out, _ = run(
        "check", LESSON, "--from", "default/web", "--to", "default/db", "--port", "5432/TCP"
    )
    assert code == 0 and "DENIED" in out
    assert (
        "near miss: default/allow-api-to-db ingress[0] opens this port but only for podSelector app=api"
        in out
    )


def test_lesson_monitoring_to_db_metrics_port(run):
    code, out, _ = run(
        "check", LESSON, "--from", "monitoring/agent", "--to", "default/db", "--port", "metrics"
    )
    assert code == 0
    assert "ALLOWED" in out and "allow-monitoring-to-db" in out and "9187/TCP (metrics)" in out


def test_lesson_backend_api_reaches_db_only_through_the_and_peer(run):
    _, out, _ = run(
        "check",
        LESSON,
        "--from",
        "backend/api",
        "--to",
        "default/db",
        "--port",
        "5432",
        "-o",
        "json",
    )
    verdict = json.loads(out)
    assert verdict["allowed"] is True
    assert [m["policy"] for m in verdict["ingress"]["allowed_by"]] == [
        "default/allow-backend-api-to-db"
    ]


def test_lesson_dns_only_where_the_exception_is(run):
    _, api, _ = run(
        "check", LESSON, "--from", "default/api", "--to", "kube-system/coredns", "--port", "53/UDP"
    )
    _, web, _ = run(
        "check", LESSON, "--from", "default/web", "--to", "kube-system/coredns", "--port", "53/UDP"
    )
    assert "ALLOWED" in api and "DENIED" in web


def test_expect_flag_sets_exit_code(run):
    args = ("check", LESSON, "--from", "default/web", "--to", "default/db", "--port", "5432")
    assert run(*args, "--expect", "deny")[0] == 0
    assert run(*args, "--expect", "allow")[0] == 1


def test_unknown_pod_is_a_clear_error_with_exit_2(run):
    code, _, err = run(
        "check", LESSON, "--from", "default/dbb", "--to", "default/db", "--port", "1"
    )
    assert code == 2
    assert "no pod or workload 'default/dbb'" in err and "Traceback" not in err


def test_validate_reports_every_problem_with_location_and_exits_2(run, tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec:\n"
        "  podSelector: {}\n  ingress:\n  - ports:\n    - {port: 80, endPort: 79}\n"
        "    - {port: 70000, protocol: ICMP}\n"
    )
    code, _, err = run("validate", str(bad))
    assert code == 2
    assert (
        "bad.yaml:8: NetworkPolicy default/p: spec.ingress[0].ports[0].endPort: Invalid value: 79"
        in err
    )
    assert "spec.ingress[0].ports[1].port" in err and "spec.ingress[0].ports[1].protocol" in err
    assert "Traceback" not in err


def test_validate_ok_on_the_lesson(run):
    code, out, _ = run("validate", LESSON)
    assert code == 0 and "4 namespaces, 6 pods in 6 workloads, 7 NetworkPolicies" in out


def test_analyze_shows_isolation_reach_dns_and_map(run):
    code, out, _ = run("analyze", LESSON)
    assert code == 0
    assert "Isolation by namespace" in out
    assert "<- default/api[Deployment] : TCP 5432" in out
    assert "DNS: BLOCKED" in out and "DNS: allowed" in out
    assert "default/web[Deployment] => default/api[Deployment] : TCP 8000-8080" in out
