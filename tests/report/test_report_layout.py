"""The report's picture in a real browser (Debian's Chromium): the same input always gives the
same layout, no two labels overlap (nor a label a node, nor two namespace boxes), edges tell
their connections on hover and their rules on click, large clusters open on the aggregated
graph before any long table, the counts agree with the graph, and fix YAML keeps its lines."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

import netreach
from netreach.render.html import write_report
from paths import ROOT
from reportkit import LESSON, OpenedPage, big_cluster, need_graph_library, open_report

POLICIES_ONLY = ROOT / "examples" / "policies-only"

# Every element with a drawn label: its label box, and its body (model coordinates).
BOXES_JS = """() => {
  const cy = window.netreachReport.cy();
  const box = (e, labels) => {
    const b = e.boundingBox({includeNodes: !labels, includeEdges: false, includeLabels: labels,
      includeOverlays: false, includeUnderlays: false});
    return [e.id(), b.x1, b.y1, b.x2, b.y2];
  };
  const labelled = cy.elements().filter(e => e.visible() && e.style('label'));
  return {
    labels: labelled.map(e => box(e, true)),
    edgeLabels: cy.edges().filter(e => e.style('label')).map(e => e.id()),
    bodies: cy.nodes().filter(n => !n.isParent()).map(n => box(n, false)),
    groups: cy.nodes().filter(n => n.isParent()).map(n => box(n, false)),
  };
}"""

Box = tuple[str, float, float, float, float]


def overlapping(boxes: list[Box], others: list[Box] | None = None) -> list[tuple[str, str]]:
    """Pairs of boxes that share area (touching edges is fine)."""
    pairs = []
    second = others if others is not None else boxes
    for i, a in enumerate(boxes):
        for j, b in enumerate(second):
            if others is None and j <= i:
                continue
            if a[0] == b[0]:
                continue
            if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]:
                pairs.append((a[0], b[0]))
    return pairs


def assert_nothing_overlaps(opened: OpenedPage) -> dict[str, Any]:
    got = opened.page.evaluate(BOXES_JS)
    labels = [tuple(x) for x in got["labels"]]
    bodies = [tuple(x) for x in got["bodies"]]
    assert labels, "no label drawn"
    assert got["edgeLabels"] == []  # connections show on hover, never as labels
    assert overlapping(labels) == []
    # a node's label may touch its own node only
    clashes = [(a, b) for a, b in overlapping(labels, bodies) if a != b]
    assert clashes == []
    assert overlapping([tuple(x) for x in got["groups"]]) == []
    return got


def positions(opened: OpenedPage) -> dict[str, tuple[float, float]]:
    return {
        k: (round(v[0], 3), round(v[1], 3))
        for k, v in opened.page.evaluate(
            "() => Object.fromEntries(window.netreachReport.cy().nodes()"
            ".map(n => [n.data('key') || n.id(), [n.position('x'), n.position('y')]]))"
        ).items()
    }


@pytest.mark.slow
def test_the_same_input_gives_the_same_picture_on_every_load(chromium, lesson_file, tmp_path):
    first = open_report(chromium, lesson_file)
    again = open_report(chromium, lesson_file)
    # a report written again from the same input, in a browser window of another size
    rewritten = tmp_path / "again.html"
    write_report(netreach.load(os.path.relpath(LESSON)), rewritten)
    other = open_report(chromium, rewritten, width=1100, height=900)
    try:
        p = positions(first)
        assert len(p) == 6 + 2 + 5  # workloads, external ranges, namespace boxes
        assert positions(again) == p
        assert positions(other) == p
        # and the drawing itself, pixel for pixel
        shot = first.page.locator("#graph").screenshot()
        assert again.page.locator("#graph").screenshot() == shot
    finally:
        for o in (first, again, other):
            o.page.close()


def test_no_two_labels_overlap_on_the_lesson(lesson):
    got = assert_nothing_overlaps(lesson)
    names = {b[0] for b in got["labels"]}
    assert len(names) == 6 + 2 + 5


def test_no_overlap_with_a_workload_highlighted(lesson):
    lesson.page.check("#highlight-toggle")
    lesson.click_node("default/db[Deployment]")
    assert_nothing_overlaps(lesson)


def test_no_overlap_at_pod_level_nor_on_inferred_workloads(chromium, tmp_path):
    need_graph_library()
    for name, cluster, by in [
        ("pods", netreach.load(str(LESSON)), "pod"),
        ("policies-only", netreach.load(str(POLICIES_ONLY)), "workload"),
    ]:
        out = tmp_path / f"{name}.html"
        write_report(cluster, out, by=by)  # type: ignore[arg-type]
        opened = open_report(chromium, out)
        assert_nothing_overlaps(opened)
        assert opened.errors == []
        opened.page.close()


def test_an_edge_tells_its_connections_on_hover_and_its_rules_on_click(lesson):
    page = lesson.page
    at = page.evaluate(
        "() => { const r = window.netreachReport, cy = r.cy();"
        " const src = 'n' + r.nodeIndex('default/api[Deployment]');"
        " const dst = 'n' + r.nodeIndex('default/db[Deployment]');"
        " const e = cy.edges().filter(x => x.source().id() === src && x.target().id() === dst);"
        " const p = e.renderedMidpoint(); return [p.x, p.y]; }"
    )
    box = page.locator("#graph").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + at[0], box["y"] + at[1])
    tip = page.locator("#graph-tip")
    tip.wait_for(state="visible")
    assert tip.inner_text() == "default/api[Deployment] → default/db[Deployment]\nTCP 5432"
    page.mouse.click(box["x"] + at[0], box["y"] + at[1])
    details = page.locator("#details")
    assert details.locator("h3").inner_text() == "api → db"
    ingress = details.locator("[data-direction=ingress]")
    assert ingress.locator("[data-policy='default/allow-api-to-db']").count() == 1
    assert "default/allow-api-egress" in details.locator("[data-direction=egress]").inner_text()


def test_inferred_workloads_are_marked(chromium, tmp_path):
    need_graph_library()
    out = tmp_path / "policies-only.html"
    write_report(netreach.load(str(POLICIES_ONLY)), out)
    opened = open_report(chromium, out)
    page = opened.page
    classes = page.evaluate(
        "() => { const r = window.netreachReport; return r.cy().nodes()"
        ".filter(n => n.data('idx') !== undefined && r.data.nodes[n.data('idx')].ns !== null)"
        ".map(n => n.hasClass('inferred')); }"
    )
    assert len(classes) == 13 and all(classes)
    assert page.locator("#counts [data-count=workloads]").inner_text().endswith("(13 inferred)")
    opened.click_node("shop/db[Inferred]")
    details = page.locator("#details").inner_text()
    assert "inferred" in details and "Not in the input" in details
    assert "Inferred (not in the input)" in page.locator("#node-list").inner_text()
    opened.page.close()


def test_fix_yaml_keeps_its_lines(lesson):
    """Every line of a suggested fix renders as one line (it scrolls when too long), even in a
    narrow window where the fix column is small."""
    page = lesson.page
    page.set_viewport_size({"width": 900, "height": 900})
    page.click("#tabs button[data-tab=findings]")
    rows = page.evaluate(
        "() => Array.from(document.querySelectorAll('#findings pre.fix')).map(p => {"
        " const lh = parseFloat(getComputedStyle(p).lineHeight);"
        " return [p.textContent.split('\\n').length, p.scrollHeight / lh,"
        " p.scrollWidth > p.clientWidth]; })"
    )
    assert rows
    for lines, rendered, _ in rows:
        assert abs(rendered - lines) < 0.5, (lines, rendered)
    assert any(scrolls for _, _, scrolls in rows)  # narrow: some fix scrolls instead of wrapping


@pytest.fixture(scope="module")
def five_thousand(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    need_graph_library()
    out = tmp_path_factory.mktemp("big") / "big.html"
    result = write_report(big_cluster(5000), out)
    return out, result


@pytest.mark.slow
def test_five_thousand_workloads_open_fast_on_the_aggregated_graph(chromium, five_thousand):
    out, result = five_thousand
    started = time.perf_counter()
    opened = open_report(chromium, out)
    load_seconds = time.perf_counter() - started
    page = opened.page
    note = page.locator("#graph-note")
    assert note.is_visible() and "showing namespaces" in note.inner_text()
    # the graph is on the first screen: nothing long stands above it
    top = page.locator("#graph").bounding_box()
    assert top is not None and top["y"] < 1100 - 200
    assert not page.locator("#posture-box").evaluate("d => d.open")  # 100 rows, folded
    tall = page.evaluate(
        "(y) => Array.from(document.querySelectorAll('table')).filter(t => {"
        " const r = t.getBoundingClientRect(); return t.checkVisibility() && r.top < y"
        " && t.rows.length > 12; }).length",
        top["y"],
    )
    assert tall == 0
    assert_nothing_overlaps(opened)
    # the counts agree with the graph: 5,000 workloads, external ranges counted apart
    cards = page.locator("#counts [data-count=workloads] b").inner_text()
    assert cards == "5000" and note.inner_text().startswith("5000 workloads")
    started = time.perf_counter()
    page.evaluate(
        "() => { const r = window.netreachReport; r.state.ns = new Set(['ns-0007']); r.refresh(); }"
    )
    expand_seconds = time.perf_counter() - started
    assert opened.node_namespaces() == {"ns-0007", None}
    assert_nothing_overlaps(opened)
    assert opened.errors == []
    print(
        f"5000 workloads: {result.bytes} bytes, {result.edges} edges, "
        f"open {load_seconds:.2f}s, expand one namespace {expand_seconds:.2f}s"
    )
    assert load_seconds < 15 and expand_seconds < 5
    opened.page.close()


@pytest.mark.slow
def test_the_aggregated_graph_is_stable_across_loads(chromium, five_thousand):
    out, _ = five_thousand
    first, again = open_report(chromium, out), open_report(chromium, out)
    try:
        assert positions(first) == positions(again)
    finally:
        first.page.close()
        again.page.close()
