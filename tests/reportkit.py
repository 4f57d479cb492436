"""Shared by the report tests: small clusters and the real-browser harness (Debian's Chromium
driven by Playwright; never a downloaded browser)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from builders import cluster, ns, peer, pod, policy, port, rule
from netreach.cluster import Cluster
from paths import LESSON_DIR as LESSON  # noqa: F401  (the report tests take it from here)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOSTILE = '"><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
HOSTILE_NAME = '<img src=x onerror="window.__pwned=3">'  # names cannot hold a slash


def hostile_cluster() -> Cluster:
    """Markup and script in every user-supplied string the report shows (labels, names as the
    builders allow; the loader itself would refuse such names and label values)."""
    return cluster(
        [ns("prod"), ns("ops")],
        [
            pod("prod/db", {"app": "db", "note": HOSTILE}),
            pod("prod/api", {"app": "api", HOSTILE: "x"}),
            pod(f"ops/{HOSTILE_NAME}", {"app": "scraper"}),
        ],
        [
            policy(
                f"prod/{HOSTILE_NAME}",
                {"app": "db"},
                ingress=[rule([peer({"app": "api"})], [port(5432)])],
            )
        ],
    )


def browser_unavailable() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (PyPI) is not installed"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is absent (apt-get install chromium)"
    return None


def need(reason: str | None) -> None:
    """Skip with the reason here; in CI (CI=true) a missing tool is a failure."""
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


def need_graph_library() -> None:
    from netreach.render.vendor import graph_library

    need(
        None
        if graph_library() is not None
        else "cytoscape.js is missing from src/netreach/render/vendor/ (vendored; see its README)"
    )


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium (named `chromium`: pytest-playwright's `browser` would download one)."""
    need(browser_unavailable())
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield b
        b.close()


class OpenedPage:
    """A report opened in the browser, with everything it logged and requested."""

    def __init__(self, page: Any, url: str) -> None:
        self.page = page
        self.url = url
        self.console: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    @property
    def outside_requests(self) -> list[str]:
        return [u for u in self.requests if u != self.url]

    def node_ids(self) -> list[str]:
        return list(
            self.page.evaluate(
                "() => window.netreachReport.cy().nodes().filter(n => n.data('idx') !== undefined)"
                ".map(n => window.netreachReport.data.nodes[n.data('idx')].id)"
            )
        )

    def node_namespaces(self) -> set[str | None]:
        return set(
            self.page.evaluate(
                "() => window.netreachReport.cy().nodes().filter(n => n.data('idx') !== undefined)"
                ".map(n => window.netreachReport.data.nodes[n.data('idx')].ns)"
            )
        )

    def edge_texts(self) -> list[str]:
        """The connections of every edge drawn (shown on hover, not as labels)."""
        return list(
            self.page.evaluate(
                "() => { const r = window.netreachReport;"
                " return r.cy().edges().map(e => r.data.edges[e.data('edge')][2]); }"
            )
        )

    def click_node(self, node_id: str) -> None:
        """A real mouse click where the graph drew the node."""
        pos = self.page.evaluate(
            "(id) => { const r = window.netreachReport; const i = r.nodeIndex(id);"
            " const p = r.cy().getElementById('n' + i).renderedPosition(); return [p.x, p.y]; }",
            node_id,
        )
        box = self.page.locator("#graph").bounding_box()
        assert box is not None
        self.page.mouse.click(box["x"] + pos[0], box["y"] + pos[1])


def open_report(browser: Any, path: Path, width: int = 1400, height: int = 1100) -> OpenedPage:
    page = browser.new_page(viewport={"width": width, "height": height})
    url = path.resolve().as_uri()
    opened = OpenedPage(page, url)
    page.goto(url, wait_until="load")
    page.wait_for_function("() => window.netreachReport !== undefined")
    return opened


def save_screenshot(opened: OpenedPage, target: Path) -> Path:
    """Into the test's tmp folder; also to $NETREACH_DOCS_SCREENSHOT (`make` regenerates docs)."""
    opened.page.screenshot(path=str(target), full_page=True)
    docs = os.environ.get("NETREACH_DOCS_SCREENSHOT")
    if docs:
        shutil.copyfile(target, docs)
    return target


def big_cluster(workloads: int, per_namespace: int = 50) -> Cluster:
    """A synthetic cluster: namespaces of 50 workloads, ingress deny-all in each, tiers that
    may call the next tier, and one scraper in ns-0000 that may reach every workload."""
    tiers = ("frontend", "backend", "db")
    count = max(1, workloads // per_namespace)
    namespaces = [ns(f"ns-{i:04d}") for i in range(count)]
    pods = []
    policies = []
    for i, n in enumerate(namespaces):
        for j in range(per_namespace):
            labels = {"app": f"w{j}", "tier": tiers[j % 3]}
            if i == 0 and j == 0:
                labels["role"] = "scraper"
            pods.append(pod(f"{n.name}/w{j}", labels))
        policies += [
            policy(f"{n.name}/deny", {}, ingress=[]),
            policy(
                f"{n.name}/to-backend",
                {"tier": "backend"},
                ingress=[rule([peer({"tier": "frontend"})], [port(8080)])],
            ),
            policy(
                f"{n.name}/to-db",
                {"tier": "db"},
                ingress=[rule([peer({"tier": "backend"})], [port(5432)])],
            ),
            policy(
                f"{n.name}/scrape",
                {},
                ingress=[
                    rule(
                        [peer({"role": "scraper"}, {"kubernetes.io/metadata.name": "ns-0000"})],
                        [port(9090)],
                    )
                ],
            ),
        ]
    return cluster(namespaces, pods, policies)
