"""`check`, `matrix` and `analyze` with Services, on the lesson example."""

from __future__ import annotations

import json
from pathlib import Path

from paths import LESSON


def test_check_to_a_service_explains_the_translation(run):
    code, out, _ = run(
        "check", LESSON, "--from", "default/web", "--to", "svc/default/api", "--port", "80"
    )
    assert code == 0 and "ALLOWED" in out
    assert (
        "via Service default/api:80 -> pods api-* port 8080/TCP (targetPort http); "
        "policies see the pod port" in out
    )


def test_check_to_a_service_by_port_name_in_json(run):
    _, out, _ = run(
        "check",
        LESSON,
        "--from",
        "default/web",
        "--to",
        "svc/default/db",
        "--port",
        "postgres",
        "-o",
        "json",
    )
    verdict = json.loads(out)
    assert verdict["allowed"] is False and verdict["port"] == 5432
    assert verdict["service"] == "default/db"


def test_unknown_service_is_a_message_not_a_traceback(run):
    code, _, err = run(
        "check", LESSON, "--from", "default/web", "--to", "svc/default/nope", "--port", "80"
    )
    assert code == 2 and "no Service 'default/nope'" in err and "Traceback" not in err


def test_matrix_to_a_service(run):
    code, out, err = run("matrix", LESSON, "--to", "svc/default/db", "--port", "5432", "-o", "txt")
    assert code == 0
    assert "Service default/db:5432 -> pods db-* port 5432/TCP" in err
    assert out.splitlines() == [
        "backend/api[Pod] => default/db[Deployment] : TCP 5432",
        "default/api[Deployment] => default/db[Deployment] : TCP 5432",
    ]


def test_analyze_warns_about_a_service_port_allowed_instead_of_the_target_port(run, tmp_path: Path):
    (tmp_path / "a.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: kapi, labels: {app: kapi}}\n"
        "spec: {containers: [{name: k, ports: [{name: https, containerPort: 6443}]}]}\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: kapi}\n"
        "spec: {selector: {app: kapi}, ports: [{port: 443, targetPort: https}]}\n---\n"
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-443}\n"
        "spec: {podSelector: {}, ingress: [{ports: [{port: 443}]}]}\n"
    )
    code, out, _ = run("analyze", str(tmp_path))
    assert code == 0
    assert (
        "warning: default/allow-443 ingress[0] allows 443/TCP on the pods of Service "
        "default/kapi, but that Service sends port 443 to pod port 6443/TCP" in out
    )


def test_lesson_has_no_service_port_warning(run):
    _, out, _ = run("analyze", LESSON)
    assert "Services" not in out


def test_matrix_to_a_single_port_service_needs_no_port(run):
    code, out, err = run("matrix", LESSON, "--to", "svc/default/api", "-o", "txt")
    assert code == 0 and "Service default/api:80 -> pods api-* port 8080/TCP" in err
    assert out.splitlines() == ["default/web[Deployment] => default/api[Deployment] : TCP 8080"]


def test_matrix_to_a_multi_port_service_asks_for_the_port(run):
    code, _, err = run("matrix", LESSON, "--to", "svc/default/db", "-o", "txt")
    assert code == 2 and "has several ports (5432/TCP (postgres), 9187/TCP (metrics))" in err
