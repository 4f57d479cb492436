/* netreach report: builds the page from the JSON data block. Every user-supplied string goes
   through textContent (never innerHTML), so names, labels and annotations stay text. */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("report-data").textContent);
  // Beyond these the graph shows namespaces instead (measured: ~1 s to draw at the limit).
  var NODE_LIMIT = 200;
  var EDGE_LIMIT = 1200;
  var POSTURE_OPEN = 12; // the isolation table starts folded above this many namespaces
  var PAGE = 100;
  var EXT = "(external)";
  var UNIT = data.by === "pod" ? "pod" : "workload"; // what a graph node is

  var nodes = data.nodes;
  var edges = data.edges.map(function (e, i) {
    return { i: i, src: e[0], dst: e[1], text: e[2], conns: e[3], eg: e[4], ing: e[5] };
  });
  var outOf = nodes.map(function () { return []; });
  var into = nodes.map(function () { return []; });
  edges.forEach(function (e) { outOf[e.src].push(e); into[e.dst].push(e); });
  var byId = {};
  nodes.forEach(function (n, i) { byId[n.id] = i; });
  var namespaces = Array.from(new Set(nodes.filter(function (n) { return n.ns !== null; })
    .map(function (n) { return n.ns; }))).sort();

  var state = {
    ns: new Set(namespaces), port: null, proto: "", external: true, highlight: false,
    selected: null, edge: null, page: 0
  };
  var cy = null;

  // --- DOM helpers --------------------------------------------------------------------------
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === "text") node.textContent = attrs[k];
        else if (k === "cls") node.className = attrs[k];
        else if (k === "onclick") node.addEventListener("click", attrs[k]);
        else node.setAttribute(k, attrs[k]);
      });
    }
    for (var a = 2; a < arguments.length; a++) {
      var c = arguments[a];
      if (c === null || c === undefined) continue;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function row(cells, header) {
    var tr = el("tr");
    cells.forEach(function (c) {
      var cell = el(header ? "th" : "td");
      if (c instanceof Node) cell.appendChild(c); else cell.textContent = String(c);
      tr.appendChild(cell);
    });
    return tr;
  }

  // --- connection sets ----------------------------------------------------------------------
  function allows(conns, proto, port) {
    var protos = proto ? [proto] : Object.keys(conns);
    return protos.some(function (p) {
      var ranges = conns[p];
      if (!ranges || !ranges.length) return false;
      if (port === null) return true;
      return ranges.some(function (r) { return r[0] <= port && port <= r[1]; });
    });
  }
  function isolation(n) {
    if (n.ns === null) return "ext";
    var a = n.iso_in.length > 0, b = n.iso_out.length > 0;
    return a && b ? "iso-both" : (a || b ? "iso-some" : "iso-none");
  }

  // --- summary ------------------------------------------------------------------------------
  function renderSummary() {
    document.getElementById("meta").textContent = "Generated " + data.generated + " by netreach " +
      data.version + ", level: " + data.by + (data.graph_library ? ", graph: " + data.graph_library : "");
    // The same numbers the graph shows: in-cluster workloads, external ranges apart.
    var c = data.counts;
    var counts = document.getElementById("counts");
    function card(key, value, label, sub) {
      counts.appendChild(el("div", { cls: "card", "data-count": key }, el("b", { text: String(value) }),
        el("span", { text: label }), sub ? el("small", { cls: "hint", text: " " + sub }) : null));
    }
    card("namespaces", c.namespaces, "namespaces");
    card("workloads", c.workloads, "workloads", c.inferred ? "(" + c.inferred + " inferred)" : "");
    card("pods", c.pods, "pods");
    card("policies", c.policies, "NetworkPolicies");
    card("connections", c.connections, "allowed connections",
      "(" + (c.connections - (c.self_connections || 0) - c.external_connections) + " between workloads, " +
      (c.self_connections || 0) + " self, " + c.external_connections + " external)");
    if (c.external_ranges) card("external", c.external_ranges, "external ranges");
    document.getElementById("posture-count").textContent = "(" + data.posture.length + ")";
    document.getElementById("posture-box").open = data.posture.length <= POSTURE_OPEN;
    var table = document.getElementById("posture");
    table.appendChild(row(["namespace", "pods", "ingress isolated", "egress isolated", "policies"], true));
    data.posture.forEach(function (p) {
      var tr = el("tr");
      tr.appendChild(el("td", { text: p.namespace }));
      tr.appendChild(el("td", { cls: "num", text: String(p.pods) }));
      [p.ingress_isolated, p.egress_isolated].forEach(function (k) {
        var pct = p.pods ? Math.round(100 * k / p.pods) : 0;
        var bar = el("span", { cls: "bar" });
        bar.style.width = Math.max(2, pct * 0.8) + "px";
        if (pct < 100) bar.style.background = pct === 0 ? "var(--bad)" : "var(--warn)";
        tr.appendChild(el("td", { cls: "num" }, k + "/" + p.pods + " (" + pct + "%)", bar));
      });
      tr.appendChild(el("td", { cls: "num", text: String(p.policies) }));
      table.appendChild(tr);
    });
    var sev = document.getElementById("severity");
    if (!data.findings.length) {
      sev.appendChild(el("p", { text: "No findings." }));
    } else {
      Object.keys(data.findings_by_severity).forEach(function (s) {
        sev.appendChild(el("span", { cls: "sev sev-" + s.toLowerCase(),
          text: s + ": " + data.findings_by_severity[s] }));
      });
    }
    var notes = document.getElementById("notes");
    data.notes.forEach(function (n) { notes.appendChild(el("p", { cls: "note", text: n })); });
    if (!data.graph_library) {
      notes.appendChild(el("p", { cls: "note", text: "The graph library (cytoscape.js) was not " +
        "available when this report was made: lists and the matrix only." }));
    }
  }

  // --- filters ------------------------------------------------------------------------------
  function edgeShown(e) {
    return nodeShown(nodes[e.src]) && nodeShown(nodes[e.dst]) &&
      (state.port === null && !state.proto ? true : allows(e.conns, state.proto, state.port));
  }
  function nodeShown(n) {
    return n.ns === null ? state.external : state.ns.has(n.ns);
  }
  function visible() {
    var shownEdges = edges.filter(edgeShown);
    var used = new Set();
    shownEdges.forEach(function (e) { used.add(e.src); used.add(e.dst); });
    var shownNodes = [];
    nodes.forEach(function (n, i) {
      // external ranges only when something allowed touches them
      if (nodeShown(n) && (n.ns !== null || used.has(i))) shownNodes.push(i);
    });
    return { nodes: shownNodes, edges: shownEdges };
  }

  function renderFilters() {
    var list = document.getElementById("ns-list");
    namespaces.forEach(function (ns) {
      var box = el("input", { type: "checkbox", value: ns });
      box.checked = true;
      box.addEventListener("change", function () {
        if (box.checked) state.ns.add(ns); else state.ns.delete(ns);
        refresh();
      });
      list.appendChild(el("label", { "data-ns": ns }, box, " " + ns));
    });
    function setAll(on) {
      state.ns = new Set(on ? namespaces : []);
      list.querySelectorAll("input").forEach(function (b) { b.checked = on; });
      refresh();
    }
    document.getElementById("ns-all").addEventListener("click", function () { setAll(true); });
    document.getElementById("ns-none").addEventListener("click", function () { setAll(false); });
    document.getElementById("port-filter").addEventListener("input", function (ev) {
      var v = parseInt(ev.target.value, 10);
      state.port = isNaN(v) ? null : v;
      refresh();
    });
    document.getElementById("proto-filter").addEventListener("change", function (ev) {
      state.proto = ev.target.value; refresh();
    });
    document.getElementById("external-toggle").addEventListener("change", function (ev) {
      state.external = ev.target.checked; refresh();
    });
    document.getElementById("highlight-toggle").addEventListener("change", function (ev) {
      state.highlight = ev.target.checked; applyHighlight();
    });
    document.getElementById("search").addEventListener("change", function (ev) {
      var q = ev.target.value.trim().toLowerCase();
      if (!q) return;
      var hit = nodes.findIndex(function (n) {
        return n.id.toLowerCase() === q || n.name.toLowerCase() === q ||
          (n.ns + "/" + n.name).toLowerCase() === q;
      });
      if (hit < 0) hit = nodes.findIndex(function (n) { return n.id.toLowerCase().indexOf(q) >= 0; });
      if (hit >= 0) select(hit);
    });
  }
  function onlyNamespace(ns) {
    state.ns = new Set([ns]);
    document.querySelectorAll("#ns-list input").forEach(function (b) { b.checked = b.value === ns; });
    refresh();
  }

  // --- graph --------------------------------------------------------------------------------
  // Labels are drawn for nodes and namespaces only, each inside its own cell of a grid, so no
  // two overlap; an edge's connections show on hover and its rules on click. The layout is a
  // pure function of what is shown (sorted names, measured label widths): the same input
  // always gives the same picture.
  var FONT = "Helvetica, Arial, sans-serif";
  var FONT_SIZE = 12;
  var STYLE = [
    { selector: "node", style: { "label": "data(label)", "font-size": FONT_SIZE,
      "font-family": FONT, "text-valign": "bottom", "text-margin-y": 3, "width": 26,
      "height": 26, "background-color": "#d1483e", "border-width": 1, "border-color": "#fff" } },
    { selector: "node.iso-both", style: { "background-color": "#2e9d5b" } },
    { selector: "node.iso-some", style: { "background-color": "#d99a1e" } },
    { selector: "node.inferred", style: { "border-width": 2, "border-style": "dashed",
      "border-color": "#667085" } },
    { selector: "node.ext", style: { "background-color": "#8a94a6", "shape": "round-rectangle",
      "width": 30, "height": 16 } },
    { selector: "node.ns-group", style: { "shape": "round-rectangle", "background-color": "#eef1f6",
      "background-opacity": 0.6, "border-color": "#c4cbd8", "border-width": 1, "label": "data(label)",
      "text-valign": "top", "text-halign": "center", "font-size": FONT_SIZE, "font-weight": "bold",
      "text-margin-y": -2, "padding": 14, "color": "#556" } },
    { selector: "node.ns-agg", style: { "shape": "round-rectangle", "background-color": "#6b8bd6",
      "width": "mapData(size, 1, 200, 26, 70)", "height": "mapData(size, 1, 200, 26, 70)" } },
    { selector: "node:selected", style: { "border-width": 3, "border-style": "solid",
      "border-color": "#2759d6" } },
    { selector: "edge", style: { "width": 1.4, "line-color": "#9aa4b5", "target-arrow-color": "#9aa4b5",
      "target-arrow-shape": "triangle", "curve-style": "bezier", "arrow-scale": 0.9 } },
    { selector: "edge:selected", style: { "line-color": "#2759d6", "target-arrow-color": "#2759d6",
      "width": 3 } },
    { selector: ".faded", style: { "opacity": 0.12 } },
    { selector: "edge.reach-out", style: { "line-color": "#2e9d5b", "target-arrow-color": "#2e9d5b",
      "width": 2.5 } },
    { selector: "edge.reach-in", style: { "line-color": "#2759d6", "target-arrow-color": "#2759d6",
      "width": 2.5 } },
    { selector: "node.reach-out", style: { "border-width": 3, "border-style": "solid",
      "border-color": "#2e9d5b" } },
    { selector: "node.reach-in", style: { "border-width": 3, "border-style": "solid",
      "border-color": "#2759d6" } }
  ];

  function groupOf(n) { return n.ns === null ? EXT : n.ns; }
  function groupLabel(g) { return g === EXT ? "external" : g; }

  function graphElements(view) {
    var els = [];
    var groups = new Set();
    view.nodes.forEach(function (i) {
      var n = nodes[i];
      var parent = n.ns === null ? EXT : "ns:" + n.ns;
      groups.add(parent);
      els.push({ group: "nodes", data: { id: "n" + i, label: n.name, parent: parent, idx: i,
        key: n.id }, classes: isolation(n) + (n.inferred ? " inferred" : "") });
    });
    groups.forEach(function (g) {
      els.push({ group: "nodes", data: { id: g, label: g === EXT ? "external" : g.slice(3) },
        classes: "ns-group" });
    });
    view.edges.forEach(function (e) {
      els.push({ group: "edges", data: { id: "e" + e.i, source: "n" + e.src, target: "n" + e.dst,
        edge: e.i } });
    });
    return els;
  }

  function aggregateElements(view) {
    var count = {}, pairs = {};
    view.nodes.forEach(function (i) {
      var k = groupOf(nodes[i]);
      count[k] = (count[k] || 0) + 1;
    });
    view.edges.forEach(function (e) {
      var key = groupOf(nodes[e.src]) + "\u0000" + groupOf(nodes[e.dst]);
      pairs[key] = (pairs[key] || 0) + 1;
    });
    var ids = {};
    var keys = Object.keys(count).sort(groupOrder);
    var els = keys.map(function (k, j) {
      ids[k] = "g" + j;
      return { group: "nodes", data: { id: "g" + j, ns: k, size: count[k], key: k,
        label: groupLabel(k) + " (" + count[k] + ")" },
        classes: k === EXT ? "ext" : "ns-agg" };
    });
    Object.keys(pairs).sort().forEach(function (key, j) {
      var sd = key.split("\u0000");
      if (sd[0] === sd[1]) return;
      els.push({ group: "edges", data: { id: "a" + j, source: ids[sd[0]], target: ids[sd[1]],
        tip: groupLabel(sd[0]) + " \u2192 " + groupLabel(sd[1]) + ": " + pairs[key] + " " +
          UNIT + " pairs connected" } });
    });
    return els;
  }

  // Namespaces by name, the outside world last.
  function groupOrder(a, b) {
    if ((a === EXT) !== (b === EXT)) return a === EXT ? 1 : -1;
    return a < b ? -1 : (a > b ? 1 : 0);
  }

  var measure = document.createElement("canvas").getContext("2d");
  function textWidth(text, bold) {
    measure.font = (bold ? "bold " : "") + FONT_SIZE + "px " + FONT;
    return measure.measureText(text).width;
  }

  // Each group (namespace) a block of equal cells, one node and its label per cell, the cell
  // as wide as the widest label of the block; blocks packed in rows, each wide enough for its
  // title. Linear time, no randomness. (A force layout moved on every load, and put labels and
  // namespace boxes on top of each other.)
  function groupedLayout() {
    var PAD = 14, TITLE = 20, GAP_X = 36, GAP_Y = 30, LABEL_H = FONT_SIZE + 6, SPACE = 16;
    var groups = {};
    cy.nodes().filter(function (x) { return !x.isParent(); }).forEach(function (x) {
      var g = x.data("parent") || "";
      (groups[g] = groups[g] || []).push(x);
    });
    var keys = Object.keys(groups).sort(function (a, b) {
      return groupOrder(a.replace(/^ns:/, ""), b.replace(/^ns:/, ""));
    });
    var blocks = keys.map(function (g) {
      var members = groups[g].sort(function (a, b) {
        return groupOrder(a.data("key"), b.data("key"));
      });
      var cellW = 0, nodeH = 0;
      members.forEach(function (m) {
        cellW = Math.max(cellW, m.outerWidth(), textWidth(m.data("label"), false));
        nodeH = Math.max(nodeH, m.outerHeight());
      });
      cellW += SPACE;
      var cellH = nodeH + 3 + LABEL_H + SPACE;
      var cols = Math.max(1, Math.min(members.length,
        Math.ceil(Math.sqrt(members.length * cellH / cellW * 1.8))));
      // odd columns sit half a cell lower (brick pattern): three nodes of a row are never on
      // one line, so an edge never runs through a node it does not touch
      var rows = Math.ceil(members.length / cols) + (cols > 1 ? 0.5 : 0);
      var title = g ? textWidth(cy.getElementById(g).data("label") || "", true) : 0;
      var inner = Math.max(cols * cellW, title + 4 - 2 * PAD);
      return { members: members, cols: cols, cellW: cellW, cellH: cellH, nodeH: nodeH,
        inner: inner, w: inner + (g ? 2 * PAD : 0), h: rows * cellH + (g ? 2 * PAD + TITLE : 0),
        boxed: !!g };
    });
    var area = 0, widest = 0;
    blocks.forEach(function (b) { area += (b.w + GAP_X) * (b.h + GAP_Y); widest = Math.max(widest, b.w); });
    var rowWidth = Math.max(widest, Math.sqrt(area * 1.7));
    var pos = {}, x = 0, y = 0, rowHeight = 0;
    blocks.forEach(function (b) {
      if (x > 0 && x + b.w > rowWidth) { x = 0; y += rowHeight + GAP_Y; rowHeight = 0; }
      var left = x + (b.boxed ? PAD : 0) + (b.inner - b.cols * b.cellW) / 2;
      var top = y + (b.boxed ? PAD + TITLE : 0);
      b.members.forEach(function (m, j) {
        var col = j % b.cols;
        pos[m.id()] = { x: left + (col + 0.5) * b.cellW,
          y: top + (Math.floor(j / b.cols) + (col % 2) / 2) * b.cellH + b.nodeH / 2 };
      });
      x += b.w + GAP_X;
      rowHeight = Math.max(rowHeight, b.h);
    });
    return { name: "preset", fit: true, padding: 24, animate: false,
      positions: function (node) { return pos[node.id()]; } };
  }

  function renderGraph(view) {
    var note = document.getElementById("graph-note");
    note.hidden = true;
    if (typeof window.cytoscape !== "function") {
      note.hidden = false;
      note.textContent = "The graph library was not available when this report was made: " +
        "use the " + UNIT + " list below and the Matrix tab.";
      document.getElementById("graph").hidden = true;
      return;
    }
    var inside = view.nodes.filter(function (i) { return nodes[i].ns !== null; }).length;
    var aggregated = inside > NODE_LIMIT || view.edges.length > EDGE_LIMIT;
    var els = aggregated ? aggregateElements(view) : graphElements(view);
    if (aggregated) {
      var outside = view.nodes.length - inside;
      note.hidden = false;
      note.textContent = inside + " " + UNIT + "s" + (outside ? " and " + outside +
        " external range" + (outside > 1 ? "s" : "") : "") + " with " + view.edges.length +
        " connections are too many to draw one by one: showing namespaces. Click a namespace " +
        "(or tick fewer in the filter) to see its " + UNIT + "s.";
    }
    if (cy === null) {
      cy = window.cytoscape({ container: document.getElementById("graph"), style: STYLE,
        minZoom: 0.05, maxZoom: 4, boxSelectionEnabled: false });
      cy.on("tap", "node", function (ev) {
        var d = ev.target.data();
        if (d.idx !== undefined) select(d.idx, true);
        else if (d.ns !== undefined && d.ns !== EXT) onlyNamespace(d.ns);
      });
      cy.on("tap", "edge", function (ev) {
        var i = ev.target.data("edge");
        if (i !== undefined) selectEdge(i);
      });
      cy.on("tap", function (ev) { if (ev.target === cy) select(null, true); });
      cy.on("mouseover", "node, edge", function (ev) { showTip(ev.target, ev.renderedPosition); });
      cy.on("mouseout", "node, edge", hideTip);
      cy.on("viewport", hideTip);
    }
    hideTip();
    cy.batch(function () { cy.elements().remove(); cy.add(els); });
    cy.edges().style("curve-style", cy.edges().length > 300 ? "straight" : "bezier");
    cy.layout(groupedLayout()).run(); // fits the view too
    applyHighlight();
  }

  function tipText(ele) {
    var i = ele.data("edge");
    if (i !== undefined) {
      var e = edges[i];
      return nodes[e.src].id + " \u2192 " + nodes[e.dst].id + "\n" + e.text;
    }
    if (ele.data("tip")) return ele.data("tip");
    var idx = ele.data("idx");
    if (idx === undefined) return ele.data("label");
    var n = nodes[idx];
    return n.id + (n.inferred ? "\ninferred from the policies' selectors (not in the input)" : "");
  }

  function showTip(ele, at) {
    var tip = document.getElementById("graph-tip");
    if (ele.isParent && ele.isParent()) return;
    tip.textContent = tipText(ele);
    tip.hidden = false;
    tip.style.left = Math.round(at.x + 12) + "px";
    tip.style.top = Math.round(at.y + 12) + "px";
  }
  function hideTip() { document.getElementById("graph-tip").hidden = true; }

  function applyHighlight() {
    if (cy === null) return;
    cy.batch(function () {
      cy.elements().removeClass("faded reach-out reach-in");
      cy.elements().unselect();
      if (state.edge !== null) {
        cy.getElementById("e" + state.edge).select();
        return;
      }
      if (state.selected === null) return;
      var me = cy.getElementById("n" + state.selected);
      if (me.empty()) return;
      me.select();
      if (!state.highlight) return;
      var out = me.outgoers(), inc = me.incomers();
      cy.elements().not(".ns-group").not(me).not(out).not(inc).addClass("faded");
      out.addClass("reach-out");
      inc.addClass("reach-in");
    });
  }

  // --- details ------------------------------------------------------------------------------
  function rulesList(ruleIdx, side) {
    if (ruleIdx === null) {
      return el("span", { cls: "rule", text: side === "ext" ?
        "external address: not evaluated" : "not isolated for " + side + ": allowed" });
    }
    var span = el("span");
    ruleIdx.forEach(function (r) {
      var rule = data.rules[r];
      span.appendChild(el("span", { cls: "rule", "data-policy": rule.policy,
        text: rule.policy + " " + rule.direction + "[" + rule.index + "]" + (rule.at ? " (" + rule.at + ")" : "") }));
    });
    return span;
  }

  function directionBlock(self, title, list, peerOf, rulesOf, isolatedBy, direction) {
    var box = el("div", { cls: "dir", "data-direction": direction });
    box.appendChild(el("h4", { text: title + " (" + list.length + ")" }));
    box.appendChild(el("p", { cls: "hint", text: self.ns === null ? "outside the cluster: " +
      "only the pod side decides" : isolatedBy.length ?
      "isolated by " + isolatedBy.join(", ") :
      "not isolated for " + direction + ": every peer is allowed" }));
    var ul = el("ul");
    list.slice(0, 400).forEach(function (e) {
      var peer = nodes[peerOf(e)];
      var rules = rulesOf(e);
      var li = el("li", null, el("button", { type: "button", cls: "clickable", text: peer.id,
        onclick: function () { select(peerOf(e)); } }), " ", el("span", { cls: "conns", text: e.text }),
        rulesList(rules, self.ns === null ? "ext" : direction));
      ul.appendChild(li);
    });
    if (list.length > 400) ul.appendChild(el("li", { text: "… and " + (list.length - 400) + " more" }));
    box.appendChild(ul);
    return box;
  }

  function renderDetails() {
    var box = clear(document.getElementById("details"));
    if (state.selected === null) {
      box.appendChild(el("p", { cls: "hint", text: "Click a " + UNIT + " to see who can reach it, " +
        "what it can reach, and the policy rules responsible." }));
      return;
    }
    var i = state.selected, n = nodes[i];
    box.appendChild(el("h3", null, n.name, n.inferred ? el("span", { cls: "tag", text: "inferred" }) : null));
    box.appendChild(el("p", { cls: "hint", text: n.ns === null ? "external address range " + n.id :
      n.kind + " in namespace " + n.ns + (n.pods > 1 ? ", " + n.pods + " pods" : "") }));
    if (n.inferred) {
      box.appendChild(el("p", { cls: "note", text: "Not in the input: a representative made " +
        "from the policies' selectors (docs/inference.md). Its labels are what the selectors ask for." }));
    }
    var labels = el("p", { cls: "labels" });
    Object.keys(n.labels).sort().forEach(function (k) {
      labels.appendChild(el("code", { text: k + "=" + n.labels[k] }));
    });
    box.appendChild(labels);
    var own = findingsOf(i);
    if (own.length) {
      box.appendChild(el("h4", { text: "Findings (" + own.length + ")" }));
      var fl = el("ul", { cls: "node-findings" });
      own.forEach(function (f) {
        fl.appendChild(el("li", null, el("span", { cls: "sev sev-" + f.severity.toLowerCase(), text: f.severity }),
          f.message));
      });
      box.appendChild(fl);
    }
    box.appendChild(directionBlock(n, "Ingress: who can reach it", into[i],
      function (e) { return e.src; }, function (e) { return e.ing; }, n.iso_in, "ingress"));
    box.appendChild(directionBlock(n, "Egress: what it can reach", outOf[i],
      function (e) { return e.dst; }, function (e) { return e.eg; }, n.iso_out, "egress"));
  }

  function renderEdgeDetails() {
    var box = clear(document.getElementById("details"));
    var e = edges[state.edge];
    box.appendChild(el("h3", { text: nodes[e.src].name + " \u2192 " + nodes[e.dst].name }));
    box.appendChild(el("p", { cls: "hint", text: nodes[e.src].id + " \u2192 " + nodes[e.dst].id }));
    box.appendChild(el("p", null, el("span", { cls: "conns", text: e.text })));
    [["egress", "Egress of the source", e.eg, nodes[e.src]],
     ["ingress", "Ingress of the destination", e.ing, nodes[e.dst]]].forEach(function (d) {
      var part = el("div", { cls: "dir", "data-direction": d[0] });
      part.appendChild(el("h4", { text: d[1] }));
      part.appendChild(rulesList(d[2], d[3].ns === null ? "ext" : d[0]));
      box.appendChild(part);
    });
    [e.src, e.dst].forEach(function (k) {
      box.appendChild(el("p", null, el("button", { type: "button", cls: "clickable",
        text: "show " + nodes[k].id, onclick: function () { select(k); } })));
    });
  }

  function selectEdge(i) {
    state.edge = i;
    state.selected = null;
    renderEdgeDetails();
    applyHighlight();
  }

  function select(i, fromGraph) {
    state.selected = i;
    state.edge = null;
    renderDetails();
    applyHighlight();
    if (!fromGraph && cy !== null && i !== null) {
      var me = cy.getElementById("n" + i);
      if (me.nonempty()) cy.animate({ center: { eles: me } }, { duration: 200 });
    }
  }

  // --- workload list (also the fallback view) -----------------------------------------------
  function renderList(view) {
    var box = clear(document.getElementById("node-list"));
    var ids = view.nodes;
    var pages = Math.max(1, Math.ceil(ids.length / PAGE));
    state.page = Math.min(state.page, pages - 1);
    var table = el("table", { cls: "grid" });
    table.appendChild(row([UNIT, "namespace", "kind", "ingress", "egress", "reaches", "reached by"], true));
    ids.slice(state.page * PAGE, (state.page + 1) * PAGE).forEach(function (i) {
      var n = nodes[i];
      var tr = el("tr", { "data-node": n.id });
      tr.appendChild(el("td", null, el("button", { type: "button", cls: "clickable", text: n.name,
        onclick: function () { select(i); } })));
      tr.appendChild(el("td", { text: n.ns === null ? "external" : n.ns }));
      tr.appendChild(el("td", { text: n.inferred ? n.kind + " (not in the input)" : n.kind }));
      tr.appendChild(el("td", { text: n.ns === null ? "" : (n.iso_in.length ? "isolated" : "open") }));
      tr.appendChild(el("td", { text: n.ns === null ? "" : (n.iso_out.length ? "isolated" : "open") }));
      tr.appendChild(el("td", { cls: "num", text: String(outOf[i].length) }));
      tr.appendChild(el("td", { cls: "num", text: String(into[i].length) }));
      table.appendChild(tr);
    });
    if (pages > 1) {
      var pager = el("div", { cls: "pager" });
      pager.appendChild(el("button", { type: "button", text: "previous",
        onclick: function () { state.page = Math.max(0, state.page - 1); renderList(view); } }));
      pager.appendChild(el("button", { type: "button", text: "next",
        onclick: function () { state.page = Math.min(pages - 1, state.page + 1); renderList(view); } }));
      pager.appendChild(el("span", { text: "page " + (state.page + 1) + " of " + pages + " (" + ids.length + " rows)" }));
      box.appendChild(pager);
    }
    box.appendChild(table);
  }

  // --- matrix -------------------------------------------------------------------------------
  function renderMatrix() {
    var table = document.getElementById("ns-matrix");
    var cells = {};
    data.ns_matrix.forEach(function (c) { cells[c[0] + "\u0000" + c[1]] = c[2]; });
    var axis = namespaces.slice();
    if (data.ns_matrix.some(function (c) { return c[0] === EXT || c[1] === EXT; })) axis.push(EXT);
    var head = el("tr", null, el("th", { text: "from \\ to" }));
    axis.forEach(function (ns) { head.appendChild(el("th", { text: ns })); });
    table.appendChild(head);
    axis.forEach(function (src) {
      var tr = el("tr", null, el("th", { text: src }));
      axis.forEach(function (dst) {
        var text = cells[src + "\u0000" + dst];
        var td = el("td", { cls: text === undefined ? "empty" : (text === "All Connections" ? "all" : "some"),
          text: text === undefined ? "—" : text, title: src + " → " + dst });
        td.addEventListener("click", function () {
          table.querySelectorAll("td.chosen").forEach(function (c) { c.classList.remove("chosen"); });
          td.classList.add("chosen");
          drill(src, dst);
        });
        tr.appendChild(td);
      });
      table.appendChild(tr);
    });
  }

  function drill(src, dst) {
    var box = clear(document.getElementById("drill"));
    function nsOf(i) { return nodes[i].ns === null ? EXT : nodes[i].ns; }
    var pairs = edges.filter(function (e) { return nsOf(e.src) === src && nsOf(e.dst) === dst; });
    box.appendChild(el("h2", { text: src + " → " + dst + ": " + pairs.length + " " + UNIT + " pairs" }));
    var table = el("table", { cls: "grid" });
    table.appendChild(row(["from", "to", "allowed"], true));
    pairs.slice(0, 1000).forEach(function (e) {
      table.appendChild(row([nodes[e.src].id, nodes[e.dst].id, e.text]));
    });
    box.appendChild(table);
    if (pairs.length > 1000) box.appendChild(el("p", { cls: "hint", text: "first 1000 shown" }));
  }

  // --- findings -----------------------------------------------------------------------------
  function renderFindings() {
    var box = document.getElementById("findings");
    if (!data.findings.length) { box.appendChild(el("p", { text: "No findings." })); return; }
    var order = Object.keys(data.findings_by_severity);
    var sorted = data.findings.slice().sort(function (a, b) {
      return order.indexOf(a.severity.toLowerCase()) - order.indexOf(b.severity.toLowerCase());
    });
    var shown = new Set(order);
    var filter = el("div", { cls: "finding-filter" }, "Show: ");
    order.forEach(function (sev) {
      var box = el("input", { type: "checkbox", value: sev });
      box.checked = true;
      box.addEventListener("change", function () {
        if (box.checked) shown.add(sev); else shown.delete(sev);
        table.querySelectorAll("tr[data-severity]").forEach(function (tr) {
          tr.hidden = !shown.has(tr.getAttribute("data-severity"));
        });
      });
      filter.appendChild(el("label", null, box, " " + sev + " (" + data.findings_by_severity[sev] + ")"));
    });
    box.appendChild(filter);
    var table = el("table", { cls: "grid" });
    var cols = el("colgroup");
    ["sev", "check", "message", "objects", "fix"].forEach(function (c) { cols.appendChild(el("col", { cls: c })); });
    table.appendChild(cols);
    table.appendChild(row(["severity", "check", "finding", "objects", "fix"], true));
    sorted.forEach(function (f) {
      var objs = el("ul");
      f.objects.forEach(function (o) {
        var target = o[1];
        var li = el("li", { text: o[0] });
        if (target !== null && byId[target] !== undefined) {
          li.className = "clickable";
          li.title = "show in the graph";
          li.addEventListener("click", function () { showInGraph(byId[target]); });
        }
        objs.appendChild(li);
      });
      var tr = row([el("span", { cls: "sev sev-" + f.severity.toLowerCase(), text: f.severity }),
        f.check, f.message, objs, el("pre", { cls: "fix", text: f.fix })]);
      tr.setAttribute("data-severity", f.severity.toLowerCase());
      table.appendChild(tr);
    });
    box.appendChild(table);
  }

  function findingsOf(i) {
    var id = nodes[i].id;
    return data.findings.filter(function (f) { return f.workloads.indexOf(id) >= 0; });
  }

  function showInGraph(i) {
    document.querySelector("#tabs button[data-tab=graph]").click();
    var n = nodes[i];
    if (n.ns !== null && !state.ns.has(n.ns)) {
      state.ns.add(n.ns);
      document.querySelectorAll("#ns-list input").forEach(function (b) { if (b.value === n.ns) b.checked = true; });
      refresh();
    }
    select(i);
  }

  // --- tabs and refresh ---------------------------------------------------------------------
  function renderTabs() {
    document.querySelectorAll("#tabs button").forEach(function (b) {
      b.addEventListener("click", function () {
        document.querySelectorAll("#tabs button").forEach(function (o) {
          o.setAttribute("aria-selected", String(o === b));
        });
        document.querySelectorAll("section.tab").forEach(function (s) {
          s.hidden = s.id !== "tab-" + b.dataset.tab;
        });
        if (b.dataset.tab === "graph" && cy !== null) { cy.resize(); cy.fit(undefined, 20); }
      });
    });
  }

  function refresh() {
    var view = visible();
    renderGraph(view);
    renderList(view);
  }

  document.querySelectorAll(".unit").forEach(function (e) { e.textContent = UNIT; });
  renderSummary();
  renderFilters();
  renderTabs();
  renderMatrix();
  renderFindings();
  refresh();
  window.netreachReport = {
    data: data, state: state, select: select, selectEdge: selectEdge, refresh: refresh,
    cy: function () { return cy; },
    nodeIndex: function (id) { return byId[id]; }
  };
})();
