"""`netreach exposure` on the lesson example, in every format."""

from __future__ import annotations

import json

from paths import LESSON


def test_lesson_exposure_text(run):
    code, out, _ = run("exposure", LESSON)
    assert code == 0
    assert (
        "default/db[Deployment] <= pods labelled app=api in any namespace labelled team=backend "
        "(also ones created later) (now: backend) : TCP 5432" in out
    )
    assert "default/db[Deployment] <= every pod of namespace monitoring : TCP 9187" in out
    assert "kube-system/coredns[Deployment] ingress: not protected" in out


def test_lesson_exposure_json_and_fail_flag(run):
    code, out, _ = run("exposure", LESSON, "-o", "json", "--fail")
    assert code == 1
    data = json.loads(out)
    assert {e["scope"] for e in data["exposures"]} == {"namespaces-by-label", "whole-namespace"}
    assert {u["workload"] for u in data["unprotected"]} == {
        "backend/api[Pod]",
        "kube-system/coredns[Deployment]",
        "monitoring/agent[DaemonSet]",
    }


def test_lesson_exposure_markdown_escapes_names(run):
    code, out, _ = run("exposure", LESSON, "-o", "md", "-n", "default")
    assert code == 0
    assert out.splitlines()[0] == "| workload | direction | open to | connections | rules |"
    assert "| default/db\\[Deployment\\] | ingress |" in out
    assert "coredns" not in out  # -n limits the report to one namespace
