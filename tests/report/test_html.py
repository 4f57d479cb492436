"""The HTML file: self-contained, no network, user strings never become markup or script."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import netreach
from netreach.analyses.report import build_report
from netreach.escape import script_json
from netreach.render import vendor
from netreach.render.html import render_html, write_report
from reportkit import HOSTILE, HOSTILE_NAME, LESSON, hostile_cluster


class _Page(HTMLParser):
    """Tags, attributes and script bodies as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self.scripts.append((self._in_script, ""))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None

    def handle_data(self, data):
        if self._in_script is not None:
            attrs, body = self.scripts[-1]
            self.scripts[-1] = (attrs, body + data)


def parse(text: str) -> _Page:
    p = _Page()
    p.feed(text)
    return p


def csp_of(page: _Page) -> str:
    (csp,) = [
        a["content"]
        for t, a in page.tags
        if t == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy"
    ]
    assert csp is not None
    return csp


@pytest.fixture(scope="module")
def lesson_html() -> str:
    return render_html(build_report(netreach.load(str(LESSON))), vendor.graph_library())


def test_page_loads_nothing_from_anywhere(lesson_html):
    page = parse(lesson_html)
    for tag, attrs in page.tags:
        assert "src" not in attrs and "href" not in attrs, (tag, attrs)
        assert tag not in ("link", "iframe", "object", "embed", "base", "form")


def test_csp_forbids_every_network_request(lesson_html):
    csp = csp_of(parse(lesson_html))
    assert "default-src 'none'" in csp
    assert "connect-src" not in csp and "http" not in csp


def test_csp_runs_exactly_the_inline_scripts_of_the_page(lesson_html):
    page = parse(lesson_html)
    code = [body for attrs, body in page.scripts if "type" not in attrs]
    hashes = set(re.findall(r"'sha256-([^']+)'", csp_of(page)))
    expected = {base64.b64encode(hashlib.sha256(c.encode()).digest()).decode() for c in code}
    assert hashes == expected
    assert len(code) == (2 if vendor.graph_library() else 1)


def test_hostile_strings_stay_data(tmp_path: Path):
    out = tmp_path / "r.html"
    write_report(hostile_cluster(), out, title=HOSTILE)
    text = out.read_text()
    page = parse(text)
    # only our scripts: the JSON block, the library (if any) and the page script
    assert len(page.scripts) == (3 if vendor.graph_library() else 2)
    assert not any("onerror" in attrs for _, attrs in page.tags)
    (data,) = [body for attrs, body in page.scripts if attrs.get("type") == "application/json"]
    decoded = json.loads(data)
    assert decoded["title"] == HOSTILE
    assert any(n["labels"].get("note") == HOSTILE for n in decoded["nodes"])
    assert any(r["policy"] == f"prod/{HOSTILE_NAME}" for r in decoded["rules"])
    # the title is text in <title> and <h1>
    assert text.count("&lt;script&gt;window.__pwned=1&lt;/script&gt;") == 2


def test_template_placeholders_in_user_text_are_not_expanded(tmp_path: Path):
    out = tmp_path / "r.html"
    write_report(netreach.load(str(LESSON)), out, title="{{DATA}} {{SCRIPTS}}")
    assert out.read_text().count('<h1 id="title">{{DATA}} {{SCRIPTS}}</h1>') == 1


@given(st.text())
def test_script_json_never_closes_its_script_and_round_trips(text):
    encoded = script_json({"s": text})
    assert "<" not in encoded and ">" not in encoded and "&" not in encoded
    assert json.loads(encoded) == {"s": text}


def test_without_graph_library_the_report_still_works_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv(vendor.ENV_VAR, str(tmp_path / "missing.js"))
    result = write_report(netreach.load(str(LESSON)), tmp_path / "r.html")
    assert result.graph_library is None
    assert any("graph library" in n for n in result.notes)
    page = parse((tmp_path / "r.html").read_text())
    assert [a.get("type") for a, _ in page.scripts] == ["application/json", None]


def test_graph_library_from_the_environment(tmp_path, monkeypatch):
    lib = tmp_path / "c.js"
    lib.write_text('/* x */ window.cytoscape=function(){};cf.version="9.8.7";')
    monkeypatch.setenv(vendor.ENV_VAR, str(lib))
    got = vendor.graph_library()
    assert got is not None and got.label == "cytoscape.js 9.8.7"


def test_library_text_cannot_end_its_script_early():
    lib = vendor.GraphLibrary("x", 'var s = "</script><b>", t = "</SCRIPT ><i>";', "x")
    page = parse(render_html(build_report(netreach.load(str(LESSON))), lib))
    assert [a.get("type") for a, _ in page.scripts] == ["application/json", None, None]
    assert not any(t in ("b", "i") for t, _ in page.tags)
