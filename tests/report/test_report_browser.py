"""The report in a real browser (Debian's Chromium through Playwright): it loads offline, draws
the lesson, explains a click, filters, highlights, drills down and runs nothing it is fed."""

from __future__ import annotations

import netreach
from netreach.render import vendor
from netreach.render.html import write_report
from reportkit import (
    LESSON,
    hostile_cluster,
    need_graph_library,
    open_report,
    save_screenshot,
)

LESSON_WORKLOADS = {
    "default/api[Deployment]",
    "default/db[Deployment]",
    "default/web[Deployment]",
    "backend/api[Pod]",
    "monitoring/agent[DaemonSet]",
    "kube-system/coredns[Deployment]",
}


def test_loads_with_no_console_errors_and_no_requests(lesson):
    lesson.page.wait_for_timeout(300)
    assert lesson.errors == []
    assert [m for m in lesson.console if m.startswith(("error", "warning"))] == []
    assert lesson.outside_requests == []
    assert lesson.requests == [lesson.url]


def test_graph_shows_the_lesson_workloads(lesson):
    ids = set(lesson.node_ids())
    assert ids >= LESSON_WORKLOADS
    assert {"0.0.0.0-255.255.255.255"} <= ids  # the outside world, its own node


def test_clicking_db_lists_the_policies_that_admit_its_clients(lesson):
    lesson.click_node("default/db[Deployment]")
    details = lesson.page.locator("#details")
    ingress = details.locator("[data-direction=ingress]")
    assert details.locator("h3").inner_text() == "db"
    assert ingress.locator("[data-policy='default/allow-api-to-db']").count() == 1
    assert ingress.locator("[data-policy='default/allow-monitoring-to-db']").count() == 1
    assert "policies.yaml:23" in ingress.inner_text()
    assert "monitoring/agent[DaemonSet]" in ingress.inner_text()


def test_namespace_filter_hides_the_others(lesson):
    page = lesson.page
    page.click("#ns-none")
    page.check("#ns-list input[value=default]")
    ids = set(lesson.node_ids())
    assert ids == {"default/api[Deployment]", "default/db[Deployment]", "default/web[Deployment]"}
    rows = page.locator("#node-list tr[data-node]")
    assert rows.count() == 3


def test_port_and_protocol_filters_keep_matching_connections(lesson):
    page = lesson.page
    page.uncheck("#external-toggle")
    page.fill("#port-filter", "5432")
    page.select_option("#proto-filter", "TCP")
    labels = lesson.edge_texts()
    assert labels and all("5432" in t or t == "All Connections" for t in labels)
    page.select_option("#proto-filter", "UDP")
    labels = lesson.edge_texts()
    assert "TCP 5432" not in labels


def test_highlight_shows_what_a_workload_reaches_and_what_reaches_it(lesson):
    page = lesson.page
    page.check("#highlight-toggle")
    lesson.click_node("default/api[Deployment]")
    classes = page.evaluate(
        "() => { const r = window.netreachReport, cy = r.cy();"
        " const id = x => 'n' + r.nodeIndex(x);"
        " return { db: cy.getElementById(id('default/db[Deployment]')).classes(),"
        " web: cy.getElementById(id('default/web[Deployment]')).classes(),"
        " agent: cy.getElementById(id('monitoring/agent[DaemonSet]')).classes() }; }"
    )
    assert "reach-out" in classes["db"]
    assert "reach-in" in classes["web"]
    assert "faded" in classes["agent"]


def test_matrix_drills_down_to_workload_pairs(lesson):
    page = lesson.page
    page.click("#tabs button[data-tab=matrix]")
    cell = page.locator("#ns-matrix td[title='monitoring → default']")
    assert cell.inner_text() == "TCP 9187"
    cell.click()
    drill = page.locator("#drill").inner_text()
    assert "monitoring/agent[DaemonSet]" in drill and "default/db[Deployment]" in drill
    page.locator("#ns-matrix td[title='(external) → kube-system']").click()
    assert "0.0.0.0-255.255.255.255" in page.locator("#drill").inner_text()


def test_findings_section_is_present(lesson):
    lesson.page.click("#tabs button[data-tab=findings]")
    assert lesson.page.locator("#findings").inner_text().strip() != ""


def test_screenshot_of_the_lesson(lesson, tmp_path):
    # the docs picture: db selected, its reach highlighted, the rules listed
    lesson.page.check("#highlight-toggle")
    lesson.click_node("default/db[Deployment]")
    lesson.page.mouse.move(1, 1)  # no tooltip in the picture
    lesson.page.wait_for_timeout(300)
    shot = save_screenshot(lesson, tmp_path / "lesson.png")
    assert shot.stat().st_size > 20_000


HOSTILE_YAML = """\
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  annotations:
    note: '<script>window.__pwned=5</script><img src=x onerror="window.__pwned=6">'
---
apiVersion: v1
kind: Pod
metadata:
  name: cart
  namespace: shop
  labels: {app: cart}
  annotations:
    owner: '</script><script>window.__pwned=7</script>'
spec:
  containers: [{name: c, image: x}]
"""


def test_hostile_manifests_run_nothing(chromium, tmp_path):
    need_graph_library()
    manifest = tmp_path / "hostile.yaml"
    manifest.write_text(HOSTILE_YAML)
    for name, cluster in [("yaml", netreach.load(str(manifest))), ("labels", hostile_cluster())]:
        out = tmp_path / f"{name}.html"
        write_report(cluster, out, title="<script>window.__pwned=8</script>")
        opened = open_report(chromium, out)
        page = opened.page
        for n in opened.node_ids():
            if not n[0].isdigit() and ":" not in n:
                page.evaluate(
                    "(id) => window.netreachReport.select(window.netreachReport.nodeIndex(id))", n
                )
        page.click("#tabs button[data-tab=matrix]")
        page.wait_for_timeout(200)
        assert page.evaluate("() => window.__pwned") is None
        assert opened.dialogs == [] and opened.errors == []
        assert opened.outside_requests == []
        assert page.title() == "<script>window.__pwned=8</script>"
        page.close()


def test_without_graph_library_lists_and_matrix_still_work(chromium, tmp_path, monkeypatch):
    monkeypatch.setenv(vendor.ENV_VAR, str(tmp_path / "absent.js"))
    out = tmp_path / "plain.html"
    write_report(netreach.load(str(LESSON)), out)
    opened = open_report(chromium, out)
    page = opened.page
    assert "graph library was not available" in page.locator("#graph-note").inner_text()
    page.locator("#node-list tr[data-node='default/db[Deployment]'] .clickable").click()
    assert "default/allow-api-to-db" in page.locator("#details").inner_text()
    assert opened.errors == [] and opened.outside_requests == []


def test_findings_filter_by_severity_and_lead_to_the_graph(lesson):
    page = lesson.page
    assert "error: 2" in page.locator("#severity").inner_text()
    page.click("#tabs button[data-tab=findings]")
    assert page.locator("#findings tr[data-severity=error]").count() == 2
    page.uncheck("#findings .finding-filter input[value=warning]")
    assert page.locator("#findings tr[data-severity=warning]").first.is_hidden()
    errors = page.locator("#findings tr[data-severity=error]")
    assert errors.first.is_visible()
    errors.filter(has_text="default/web").locator("li.clickable").click()
    assert page.locator("#tab-graph").is_visible()
    details = page.locator("#details").inner_text()
    assert "cannot reach cluster DNS" in details and "Deployment in namespace default" in details
    assert lesson.errors == []


def test_pod_level_report_draws_pods(chromium, tmp_path):
    need_graph_library()
    out = tmp_path / "pods.html"
    write_report(netreach.load(str(LESSON)), out, by="pod")
    opened = open_report(chromium, out)
    ids = opened.node_ids()
    (db,) = [i for i in ids if i.startswith("default/db-")]
    opened.click_node(db)
    details = opened.page.locator("#details").inner_text()
    assert "default/allow-api-to-db" in details and "Pod in namespace default" in details
    assert "pod" in opened.page.locator("#node-list th").first.inner_text()
    assert opened.errors == []


def test_find_selects_a_workload_by_name(lesson):
    lesson.page.fill("#search", "default/web")
    lesson.page.press("#search", "Enter")
    assert lesson.page.locator("#details h3").inner_text() == "web"
    egress = lesson.page.locator("#details [data-direction=egress]").inner_text()
    assert "default/api[Deployment]" in egress and "TCP 8000-8080" in egress
