
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("citegraph-data").textContent);
  var DOI_PREFIX = "https://doi.org/";
  var hook = {drawn: 0, total: 0, matches: 0, selected: null, flagged: 0,
              search: function () { return 0; }, select: function () { return false; },
              setYears: function () { return 0; }, position: function () { return null; }};
  window.citegraph = hook;

  function byId(id) { return document.getElementById(id); }
  function append(node, content) {
    if (content === undefined || content === null) return node;
    if (Array.isArray(content)) {
      content.forEach(function (c) { append(node, c); });
    } else if (content instanceof Node) {
      node.appendChild(content);
    } else {
      node.appendChild(document.createTextNode(String(content)));
    }
    return node;
  }
  function el(tag, cls, content) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    return append(node, content);
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function doiUrl(doi) {
    var path;
    try {
      path = encodeURIComponent(String(doi));
    } catch (e) {
      return null;
    }
    path = path.replace(/[!'*]/g, function (c) { return "%" + c.charCodeAt(0).toString(16).toUpperCase(); })
      .replace(/%2F/g, "/").replace(/%3A/g, ":").replace(/%3B/g, ";");
    return DOI_PREFIX + path;
  }
  function doiLink(doi, text) {
    var url = doiUrl(doi);
    if (url === null || url.indexOf(DOI_PREFIX) !== 0 || String(doi).slice(0, 3) !== "10.") {
      return el("span", "bidi", text === undefined ? doi : text);  // no DOI: an imported record's own id
    }
    var a = el("a", "bidi", text === undefined ? doi : text);
    a.href = url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }
  function fmt(v) {
    if (v === null || v === undefined || v === "") return "\u2013";
    if (typeof v === "boolean") return v ? "yes" : "";
    if (typeof v !== "number") return String(v);
    if (Number.isInteger(v)) return v.toLocaleString("en-US");
    return String(Number(v.toPrecision(3)));
  }
  function plural(n, one, many) { return fmt(n) + " " + (n === 1 ? one : many); }
  function colour(c) {
    return (typeof c === "number" && c >= 1 && c <= DATA.colours.length) ? DATA.colours[c - 1] : DATA.other_colour;
  }
  function swatch(c) {
    var s = el("span", "swatch");
    s.style.background = colour(c);
    return s;
  }

  /* Editorial notices: a retracted work is flagged wherever it is shown (badge, red ring and cross in the
     network); an expression of concern and a correction are shown as such, more quietly. */
  var NOTICE_TEXT = {retracted: "Retracted", concern: "Expression of concern", corrected: "Corrected"};
  var NOTICE_COLOUR = {retracted: "#c0001a", concern: "#e69f00", corrected: "#8c8c8c"};
  var NOTICE_TAG = {retracted: " [RETRACTED]", concern: " (concern)", corrected: " (corrected)"};
  var NOTICES = DATA.notices || {};
  function flagOf(w) { return w && Object.prototype.hasOwnProperty.call(NOTICE_TEXT, w.notice) ? w.notice : null; }
  function noticeBadge(w) {
    var flag = flagOf(w);
    if (!flag) return null;
    var b = el("span", "badge notice " + flag, NOTICE_TEXT[flag]);
    b.title = flag === "retracted" ? "A notice retracts this work" : flag === "concern" ?
      "An expression of concern was published about this work" : "A correction to this work was published";
    return b;
  }

  var WORKS = DATA.works.rows.map(function (row, i) {
    var w = {index: i};
    DATA.works.columns.forEach(function (c, j) { w[c] = row[j]; });
    return w;
  });
  var CLUSTER = new Map();
  DATA.clusters.forEach(function (c) { CLUSTER.set(c.cluster, c); });

  /* ------------------------------------------------------------------ tables */
  function makeTable(container, spec) {
    var table = el("table", "data" + (spec.cls ? " " + spec.cls : ""));
    var thead = el("thead"), head = el("tr"), tbody = el("tbody");
    var state = {col: -1, dir: 1};
    var ths = spec.columns.map(function (col, ci) {
      var th = el("th", col.num ? "num" : "", col.label);
      if (col.cls) th.classList.add(col.cls);
      if (col.title) th.title = col.title;
      if (spec.sortable) {
        th.classList.add("sortable");
        th.tabIndex = 0;
        th.setAttribute("aria-sort", "none");
        th.addEventListener("click", function () { sortBy(ci); });
        th.addEventListener("keydown", function (e) {
          if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(ci); }
        });
      }
      head.appendChild(th);
      return th;
    });
    thead.appendChild(head);
    table.appendChild(thead);
    table.appendChild(tbody);
    var items = spec.rows.map(function (row, ri) {
      var tr = el("tr", spec.rowClass ? spec.rowClass(row) : "");
      spec.columns.forEach(function (col) {
        var value = col.get(row);
        var content = col.cell ? col.cell(row) : col.plain && typeof value === "number" ? String(value) : fmt(value);
        var td = el("td", col.num ? "num" : "", content);
        if (col.cls) td.classList.add(col.cls);
        var tip = col.tip ? col.tip(row) : null;
        if (tip) td.title = tip;  // the full value where the cell shows a short one
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
      return {row: row, tr: tr, order: ri, text: spec.text ? spec.text(row).toLowerCase() : ""};
    });
    if (!items.length) {
      var empty = el("tr");
      var td = el("td", "muted", spec.empty || "None.");
      td.colSpan = spec.columns.length;
      empty.appendChild(td);
      tbody.appendChild(empty);
    }
    function blank(v) { return v === null || v === undefined || v === ""; }
    function sortBy(ci) {
      var col = spec.columns[ci];
      state.dir = state.col === ci ? -state.dir : 1;
      state.col = ci;
      var key = col.sort || col.get;
      items.sort(function (a, b) {
        var x = key(a.row), y = key(b.row);
        if (blank(x) || blank(y)) return blank(x) && blank(y) ? a.order - b.order : (blank(x) ? 1 : -1);
        var c = col.num ? x - y : String(x).localeCompare(String(y), "en", {sensitivity: "base", numeric: true});
        return c !== 0 ? c * state.dir : a.order - b.order;
      });
      ths.forEach(function (th, i) {
        th.setAttribute("aria-sort", i === ci ? (state.dir > 0 ? "ascending" : "descending") : "none");
      });
      items.forEach(function (it) { tbody.appendChild(it.tr); });
    }
    function filter(q) {
      q = String(q || "").trim().toLowerCase();
      var n = 0;
      items.forEach(function (it) {
        it.tr.hidden = q !== "" && it.text.indexOf(q) < 0;
        if (!it.tr.hidden) n += 1;
      });
      return n;
    }
    container.appendChild(table);
    return {sortBy: sortBy, filter: filter, size: items.length};
  }

  function workLabel(w) {
    var text = w.label || w.doi;
    return NET.has(w.index) ? showButton(w, text) : doiLink(w.doi, text);
  }
  function showButton(w, text) {
    var b = el("button", "linkish bidi", text);
    b.type = "button";
    b.title = "Show in the network";
    b.addEventListener("click", function () {
      network.show(NET.get(w.index), true);
      byId("network").scrollIntoView({behavior: "smooth", block: "start"});
    });
    return b;
  }
  function workCell(w) {
    var out = [];
    var inNet = NET.has(w.index);
    var badge = noticeBadge(w);
    if (w.label && w.label !== w.doi) {
      out.push(inNet ? showButton(w, w.label) : el("span", "bidi", w.label));
      if (badge) out.push(badge);
      out.push(el("br"));
      out.push(el("span", "small", doiLink(w.doi)));
    } else {
      out.push(doiLink(w.doi));
      if (inNet) out.push(" ", showButton(w, "\u25ce"));
      if (badge) out.push(badge);
    }
    return out;
  }
  function workRef(item) {
    if (typeof item !== "number") return el("span", "bidi", item);
    var w = WORKS[item];
    var span = el("span", "", workLabel(w));
    if (w.year !== null && w.label && w.label.indexOf(String(w.year)) < 0) append(span, " " + w.year);
    append(span, noticeBadge(w));
    return span;
  }
  function num(key, label, title) {
    return {key: key, label: label, num: true, title: title, get: function (w) { return w[key]; }};
  }
  function year(key, label) {
    return {key: key, label: label, num: true, plain: true, get: function (r) { return r[key]; }};
  }

  function compact(v) {  // tiny scores (PageRank of a large network) as 8.03e-5, not 0.0000803
    if (typeof v !== "number" || v === 0 || Math.abs(v) >= 1e-3 || !isFinite(v)) return fmt(v);
    return v.toExponential(2).replace(/\.?0+e/, "e");
  }
  function score(key, label, title) {
    var col = num(key, label, title);
    col.cell = function (w) { return compact(w[key]); };
    col.tip = function (w) {
      return typeof w[key] === "number" ? label.replace(/\u00ad/g, "") + ": " + String(w[key]) : null;
    };
    return col;
  }
  function rankWorkCell(w) {  // label, DOI and a seed badge: no separate seed column
    var out = workCell(w);
    if (w.seed) out.splice(w.label && w.label !== w.doi ? 1 : out.length, 0, el("span", "badge", "seed"));
    return out;
  }
  function titleCell(w) {  // the journal below the title: no separate journal column
    return [w.title ? el("span", "bidi", w.title) : "\u2013", w.journal ? el("span", "journal bidi", w.journal) : null];
  }

  function rankingTable() {
    var box = byId("ranking-table");
    if (!box) return;
    /* Nine narrow columns fit a 1024 px window: the journal sits below the title, the seed flag beside the
       label, tiny scores are written short (the full value in the cell's title). */
    var cols = [
      num("rank", "#", "rank by " + DATA.score),
      {label: "Work", cls: "work", get: function (w) { return w.label; }, cell: rankWorkCell},
      {label: "Title", cls: "title", title: "title, and the journal below it", get: function (w) { return w.title; },
       cell: titleCell},
      year("year", "Year"),
      num("local", "Local", "citations within this network"),
      num("global", "Global", "citations counted by Crossref"),
      num("per_year", "Per year", "global citations per year since publication"),
      score("pagerank", "Page\u00adRank", "PageRank in the citation network"),
      score("composite", "Compo\u00adsite", "mean percentile rank of the components")
    ];
    if (DATA.extra_score) cols.push(score(DATA.score, String(DATA.score).replace(/_/g, " ")));
    cols.push({label: "Cluster", num: true, get: function (w) { return w.cluster; },
               cell: function (w) { return w.cluster === null ? "\u2013" : [swatch(w.cluster), fmt(w.cluster)]; },
               tip: function (w) {
                 var c = w.cluster === null ? null : CLUSTER.get(w.cluster);
                 return c && c.label ? "Cluster " + w.cluster + ": " + c.label : null;
               }});
    var rows = WORKS.slice(0, DATA.table);
    var table = makeTable(box, {columns: cols, rows: rows, sortable: true, empty: "No ranked works.", cls: "ranking",
      rowClass: function (w) { var flag = flagOf(w); return flag ? "notice-" + flag : ""; },
      text: function (w) {
        var flag = flagOf(w);
        return [w.label, w.title, w.journal, w.doi, flag ? NOTICE_TEXT[flag] : ""].join("\n");
      }});
    var input = byId("rank-filter"), count = byId("rank-count");
    function update() {
      var n = table.filter(input.value);
      count.textContent = n.toLocaleString("en-US") + " of " + table.size.toLocaleString("en-US") + " rows";
    }
    input.addEventListener("input", update);
    update();
  }

  function clusterTable() {
    var box = byId("cluster-table");
    if (!box) return;
    var cols = [
      {label: "Cluster", num: true, get: function (c) { return c.cluster; },
       cell: function (c) { return [swatch(c.cluster), fmt(c.cluster)]; }},
      num("size", "Works"),
      {label: "Years", num: true, get: function (c) { return c.year_median; },
       title: "first\u2013last (median)",
       cell: function (c) {
         return c.year_min === null ? "\u2013" : c.year_min + "\u2013" + c.year_max + " (" + c.year_median + ")";
       }},
      num("seeds", "Seeds"),
      {label: "Label terms", cls: "title", get: function (c) { return c.label; }},
      {label: "Top works", get: function (c) { return c.top.length; },
       cell: function (c) {
         var out = [];
         c.top.forEach(function (t, i) { if (i) out.push("; "); out.push(workRef(t)); });
         return out;
       }}
    ];
    makeTable(box, {columns: cols, rows: DATA.clusters, sortable: true, empty: "No clusters."});
  }

  function burstTable() {
    var box = byId("burst-table");
    if (!box) return;
    var cols = [
      {label: "Work", cls: "work", get: function (b) { return WORKS[b.work].label; },
       cell: function (b) { return workCell(WORKS[b.work]); }},
      {label: "Title", cls: "title", get: function (b) { return WORKS[b.work].title; }},
      year("start", "From"),
      year("end", "To"),
      {key: "strength", label: "Strength", num: true, get: function (b) { return b.strength; }},
      {key: "citations", label: "Citations", num: true, title: "citations received in the burst years",
       get: function (b) { return b.citations; }}
    ];
    makeTable(box, {columns: cols, rows: DATA.bursts, sortable: true,
                    rowClass: function (b) { var flag = flagOf(WORKS[b.work]); return flag ? "notice-" + flag : ""; },
                    empty: "No citation bursts: too few dated citations, or none sudden enough."});
  }

  function lists() {
    function names(id, rows) {
      var box = byId(id);
      if (!box) return;
      if (!rows.length) { box.appendChild(el("p", "muted", "None recorded.")); return; }
      var ol = el("ol", "plain");
      rows.forEach(function (r) {
        ol.appendChild(el("li", "", [el("span", "bidi", r[0]), " \u2013 " + plural(r[1], "work", "works")]));
      });
      box.appendChild(ol);
    }
    names("journals", DATA.journals);
    names("authors", DATA.authors);
    var brad = byId("bradford");
    if (brad && DATA.bradford.length) {
      var parts = DATA.bradford.map(function (z) {
        return "zone " + z[0] + ": " + plural(z[1], "journal", "journals") + ", " + plural(z[2], "work", "works");
      });
      brad.appendChild(el("p", "muted small", "Bradford zones \u2013 " + parts.join("; ") + "."));
    }
    var peaks = byId("rpys-peaks");
    if (peaks) {
      if (!DATA.peaks.length) peaks.appendChild(el("p", "muted", "No peaks."));
      var ul = el("ul", "plain");
      DATA.peaks.forEach(function (p) {
        var li = el("li", "", [el("strong", "", String(p.year)), ": " +
          plural(p.references, "cited reference", "cited references") + " (median " + fmt(p.median) +
          ", +" + fmt(p.deviation) + ")"]);
        if (p.works.length) {
          var inner = el("ul", "plain small");
          p.works.forEach(function (w) {
            var text = /^10\.\d{4,9}\/\S+$/.test(w[0]) ? doiLink(w[0], w[2] || w[0]) : el("span", "bidi", w[0]);
            inner.appendChild(el("li", "", [text, " (" + w[1] + ")"]));
          });
          li.appendChild(inner);
        }
        ul.appendChild(li);
      });
      if (DATA.peaks.length) peaks.appendChild(ul);
    }
    var path = byId("main-path");
    if (path) {
      if (!DATA.main_path.length) path.appendChild(el("p", "muted", "No main path (no citation chains)."));
      var ol = el("ol", "path");
      DATA.main_path.forEach(function (i) {
        var w = WORKS[i];
        ol.appendChild(el("li", "", [workLabel(w), noticeBadge(w),
                                     w.title ? el("span", "muted", " \u2013 " + w.title) : null]));
      });
      if (DATA.main_path.length) path.appendChild(ol);
    }
    var routes = byId("key-routes");
    if (routes) {
      if (!DATA.key_routes.length) routes.appendChild(el("p", "muted", "None."));
      var kl = el("ul", "plain");
      DATA.key_routes.forEach(function (r) {
        kl.appendChild(el("li", "", [workRef(r[0]), " \u2192 ", workRef(r[1])]));
      });
      if (DATA.key_routes.length) routes.appendChild(kl);
    }
  }

  /* ----------------------------------------------------------------- figures */
  /* A click on a figure (or Enter/Space on it) opens it full size in a modal dialog: the same embedded data: URI,
     fitted to the window or at its actual size (a click on the image switches); Esc or the close button closes
     it, the arrow keys step through the figures, and the focus goes back to the figure it came from. */
  function gallery() {
    var section = byId("figures");
    if (!section) return;
    var figures = Array.prototype.slice.call(section.querySelectorAll("figure")).filter(function (f) {
      return f.querySelector("img");
    });
    if (!figures.length) return;
    var heading = section.querySelector("h2");
    var hint = el("p", "muted small", "Click a figure to see it full size; Esc closes it, the arrow keys step " +
      "through the figures.");
    if (heading && heading.nextSibling) section.insertBefore(hint, heading.nextSibling);

    var dialog = el("dialog", "lightbox");
    dialog.id = "lightbox";
    dialog.setAttribute("aria-labelledby", "lightbox-caption");
    function tool(text, label, cls) {
      var b = el("button", cls || "", text);
      b.type = "button";
      b.title = label;
      b.setAttribute("aria-label", label);
      return b;
    }
    var caption = el("h2", "lb-caption bidi");
    caption.id = "lightbox-caption";
    var position = el("span", "lb-count muted small");
    var prev = tool("\u2039", "Previous figure"), next = tool("\u203a", "Next figure");
    var size = tool("Actual size", "Show the figure at its actual size", "lb-size");
    var close = tool("\u00d7", "Close (Esc)", "lb-close");
    var bar = el("div", "lb-bar", [caption, position, el("span", "lb-tools", [prev, next, size, close])]);
    var stage = el("div", "lb-stage");
    dialog.appendChild(bar);
    dialog.appendChild(stage);
    document.body.appendChild(dialog);
    var big = null, current = -1, opener = null;

    function setActual(on) {
      dialog.classList.toggle("actual", on);
      size.textContent = on ? "Fit" : "Actual size";
      size.title = on ? "Fit the figure to the window" : "Show the figure at its actual size";
      size.setAttribute("aria-label", size.title);
      if (big) big.title = on ? "Click to fit the window" : "Click for the actual size";
    }
    function showFigure(i) {
      current = (i + figures.length) % figures.length;
      var figure = figures[current], img = figure.querySelector("img"), cap = figure.querySelector("figcaption");
      if (!big) {  // made on the first opening: no empty image in the page before
        big = el("img", "lb-image");
        big.addEventListener("click", function () { setActual(!dialog.classList.contains("actual")); });
        stage.appendChild(big);
      }
      big.src = img.src;
      big.alt = img.alt;
      big.classList.toggle("vector", img.src.indexOf("data:image/svg+xml") === 0);
      caption.textContent = cap ? cap.textContent : img.alt;
      position.textContent = figures.length > 1 ? (current + 1) + " of " + figures.length : "";
      prev.hidden = next.hidden = figures.length < 2;
      setActual(false);
      stage.scrollTop = stage.scrollLeft = 0;
      hook.figure = current;
    }
    function open(i, from) {
      opener = from || null;
      showFigure(i);
      if (typeof dialog.showModal === "function") {
        if (!dialog.open) dialog.showModal();
      } else {
        dialog.setAttribute("open", "");
      }
      close.focus();
    }
    function shut() {
      if (typeof dialog.close === "function" && dialog.open) dialog.close(); else onClosed();
    }
    function onClosed() {
      dialog.removeAttribute("open");
      hook.figure = -1;
      if (opener) opener.focus();
      opener = null;
    }
    dialog.addEventListener("close", onClosed);
    close.addEventListener("click", shut);
    prev.addEventListener("click", function () { showFigure(current - 1); });
    next.addEventListener("click", function () { showFigure(current + 1); });
    size.addEventListener("click", function () { setActual(!dialog.classList.contains("actual")); });
    dialog.addEventListener("click", function (e) {  // a click on the dark backdrop closes
      if (e.target === dialog || e.target === stage) shut();
    });
    dialog.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.preventDefault(); shut(); }
      else if (e.key === "ArrowLeft" && figures.length > 1) { e.preventDefault(); showFigure(current - 1); }
      else if (e.key === "ArrowRight" && figures.length > 1) { e.preventDefault(); showFigure(current + 1); }
    });

    figures.forEach(function (figure, i) {
      var img = figure.querySelector("img");
      var cap = figure.querySelector("figcaption");
      var b = el("button", "fig-open");
      b.type = "button";
      b.title = "Show full size";
      b.setAttribute("aria-label", "Show full size: " + (cap ? cap.textContent : img.alt));
      b.setAttribute("aria-haspopup", "dialog");
      img.parentNode.insertBefore(b, img);
      b.appendChild(img);
      b.addEventListener("click", function () { open(i, b); });
    });
    hook.figure = -1;
    hook.openFigure = function (i) {
      open(i, figures[i] ? figures[i].querySelector("button.fig-open") : null);
      return current;
    };
  }

  /* ----------------------------------------------------------------- network */
  var NET = new Map();  // work index -> node
  var network = {show: function () {}};

  function setupNetwork() {
    var canvas = byId("net-canvas");
    var nodes = DATA.network.nodes.map(function (n, i) {
      var w = WORKS[n[0]];
      var node = {i: i, w: w, x: n[1], y: n[2], r: n[3], visible: true, match: false, out: [], inn: [],
                  hay: [w.title || "", w.label || "", w.doi || ""].join("\n").toLowerCase()};
      NET.set(w.index, node);
      return node;
    });
    var edges = DATA.network.edges;
    var UNIT = DATA.network.unit || 0.05;
    var edgeSources = {}, sourceSets = DATA.network.edge_sources || [];
    edges.forEach(function (e) {
      nodes[e[0]].out.push(nodes[e[1]]); nodes[e[1]].inn.push(nodes[e[0]]);
      if (sourceSets[e[2]]) edgeSources[e[0] + ">" + e[1]] = sourceSets[e[2]];
    });
    var byDoi = new Map();
    nodes.forEach(function (n) { byDoi.set(String(n.w.doi).toLowerCase(), n); });
    hook.total = nodes.length;
    var details = byId("net-details"), count = byId("net-count"), tip = byId("net-tip");
    var search = byId("net-search"), status = byId("net-search-status");
    var from = byId("year-from"), to = byId("year-to"), noYear = byId("year-none");
    if (!canvas || !canvas.getContext) return;
    var ctx = canvas.getContext("2d");
    var W = 1, H = 1, dpr = 1, k0 = 1, view = {cx: 0, cy: 0, k: 0};
    var selected = null, searching = false, pending = false;

    function sx(n) { return (n.x - view.cx) * view.k + W / 2; }
    function sy(n) { return (n.y - view.cy) * view.k + H / 2; }
    function radius(n) {  // grows with the zoom; at most about 15 px at the fitted zoom (few, far apart nodes)
      return Math.max(1.5, n.r * Math.min(UNIT * view.k, 24 * view.k / k0));
    }

    function draw() {
      pending = false;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, W, H);
      ctx.lineWidth = 0.7;
      ctx.strokeStyle = searching ? "rgba(120,130,140,0.12)" : "rgba(90,100,110,0.28)";
      ctx.beginPath();
      edges.forEach(function (e) {
        var a = nodes[e[0]], b = nodes[e[1]];
        if (a.visible && b.visible) { ctx.moveTo(sx(a), sy(a)); ctx.lineTo(sx(b), sy(b)); }
      });
      ctx.stroke();
      if (selected && selected.visible) {
        ctx.lineWidth = 1.6;
        ctx.strokeStyle = "rgba(217,72,15,0.85)";
        ctx.beginPath();
        selected.out.concat(selected.inn).forEach(function (m) {
          if (m.visible) { ctx.moveTo(sx(selected), sy(selected)); ctx.lineTo(sx(m), sy(m)); }
        });
        ctx.stroke();
      }
      var drawn = 0;
      for (var i = nodes.length - 1; i >= 0; i -= 1) {  // the best ranked last, on top
        var n = nodes[i];
        if (!n.visible) continue;
        drawn += 1;
        ctx.globalAlpha = searching && !n.match ? 0.2 : 1;
        ctx.beginPath();
        ctx.arc(sx(n), sy(n), radius(n), 0, 2 * Math.PI);
        ctx.fillStyle = colour(n.w.cluster);
        ctx.fill();
        ctx.lineWidth = 0.8;
        ctx.strokeStyle = "#ffffff";
        ctx.stroke();
      }
      ctx.globalAlpha = 1;
      hook.flagged = marks();
      nodes.forEach(function (n) {
        if (!n.visible || !(n.match || n === selected)) return;
        ctx.beginPath();
        ctx.arc(sx(n), sy(n), radius(n) + 3, 0, 2 * Math.PI);
        ctx.lineWidth = n === selected ? 3 : 2;
        ctx.strokeStyle = n === selected ? "#111111" : "#d9480f";
        ctx.stroke();
      });
      labels();
      hook.drawn = drawn;
      count.textContent = drawn.toLocaleString("en-US") + " of " + nodes.length.toLocaleString("en-US") +
        " works shown";
    }
    function marks() {  // rings round flagged works; a red cross on a retracted one; returns the retracted drawn
      var retracted = 0;
      ["corrected", "concern", "retracted"].forEach(function (flag) {
        nodes.forEach(function (n) {
          if (!n.visible || flagOf(n.w) !== flag) return;
          var x = sx(n), y = sy(n), r = radius(n);
          ctx.globalAlpha = searching && !n.match ? 0.35 : 1;
          ctx.beginPath();
          ctx.arc(x, y, r + (flag === "retracted" ? 2.5 : 2), 0, 2 * Math.PI);
          ctx.lineWidth = flag === "retracted" ? 2.6 : flag === "concern" ? 2 : 1.3;
          ctx.strokeStyle = NOTICE_COLOUR[flag];
          ctx.stroke();
          if (flag !== "retracted") return;
          retracted += 1;
          var d = Math.max(3, r * 0.75);
          ctx.beginPath();
          ctx.moveTo(x - d, y - d); ctx.lineTo(x + d, y + d);
          ctx.moveTo(x + d, y - d); ctx.lineTo(x - d, y + d);
          ctx.lineCap = "round";
          ctx.lineWidth = 4;
          ctx.strokeStyle = "rgba(255,255,255,0.9)";
          ctx.stroke();
          ctx.lineWidth = 2;
          ctx.strokeStyle = NOTICE_COLOUR.retracted;
          ctx.stroke();
          ctx.lineCap = "butt";
        });
      });
      ctx.globalAlpha = 1;
      return retracted;
    }
    function labels() {
      var budget = Math.min(80, Math.round(10 * view.k / k0));
      var placed = [];
      var want = [];
      if (selected && selected.visible) want.push(selected);
      nodes.forEach(function (n) { if (n.visible && n.match && want.length < 40) want.push(n); });
      if (!searching) {  // retracted works are named before the rest
        nodes.forEach(function (n) { if (n.visible && flagOf(n.w) === "retracted" && want.length < 20) want.push(n); });
      }
      if (!searching) {
        for (var i = 0; i < nodes.length && budget > 0; i += 1) {
          if (nodes[i].visible) { want.push(nodes[i]); budget -= 1; }
        }
      }
      ctx.font = "12px system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";
      ctx.textBaseline = "middle";
      ctx.lineJoin = "round";
      want.forEach(function (n) {
        var text = n.w.label || n.w.doi || "";
        if (text.length > 40) text = text.slice(0, 39) + "\u2026";
        var flag = flagOf(n.w);
        if (flag) text += NOTICE_TAG[flag];
        var w = ctx.measureText(text).width;
        var x = sx(n) + radius(n) + 4, y = sy(n);
        if (x + w > W - 4) x = sx(n) - radius(n) - 4 - w;
        if (x > W || x + w < 0 || y < 0 || y > H) return;
        var box = {x0: x - 2, x1: x + w + 2, y0: y - 8, y1: y + 8};
        var clash = placed.some(function (p) {
          return box.x0 < p.x1 && p.x0 < box.x1 && box.y0 < p.y1 && p.y0 < box.y1;
        });
        if (clash && n !== selected) return;
        placed.push(box);
        ctx.lineWidth = 3;
        ctx.strokeStyle = "rgba(255,255,255,0.92)";
        ctx.strokeText(text, x, y);
        ctx.fillStyle = flag === "retracted" ? NOTICE_COLOUR.retracted : n === selected ? "#000000" : "#27313d";
        ctx.fillText(text, x, y);
      });
    }
    function schedule() {
      if (!pending) { pending = true; window.requestAnimationFrame(draw); }
    }
    var box = {x0: -1, x1: 1, y0: -1, y1: 1};
    if (nodes.length) {
      box = {x0: Infinity, x1: -Infinity, y0: Infinity, y1: -Infinity};
      nodes.forEach(function (n) {
        box.x0 = Math.min(box.x0, n.x - UNIT);
        box.x1 = Math.max(box.x1, n.x + UNIT);
        box.y0 = Math.min(box.y0, n.y - UNIT);
        box.y1 = Math.max(box.y1, n.y + UNIT);
      });
    }
    view.cx = (box.x0 + box.x1) / 2;
    view.cy = (box.y0 + box.y1) / 2;
    function resize() {
      var rect = canvas.getBoundingClientRect();
      dpr = window.devicePixelRatio || 1;
      W = Math.max(1, Math.round(rect.width));
      H = Math.max(1, Math.round(rect.height));
      canvas.width = Math.round(W * dpr);
      canvas.height = Math.round(H * dpr);
      var old = k0;
      k0 = Math.max(1e-3, 0.94 * Math.min(W / (box.x1 - box.x0), H / (box.y1 - box.y0)));
      view.k = view.k ? view.k / old * k0 : k0;
      draw();
    }
    function fit() { view.cx = (box.x0 + box.x1) / 2; view.cy = (box.y0 + box.y1) / 2; view.k = k0; draw(); }
    function zoomAt(px, py, f) {
      var k = Math.min(k0 * 60, Math.max(k0 * 0.4, view.k * f));
      var wx = (px - W / 2) / view.k + view.cx, wy = (py - H / 2) / view.k + view.cy;
      view.k = k;
      view.cx = wx - (px - W / 2) / k;
      view.cy = wy - (py - H / 2) / k;
      schedule();
    }
    function centreOn(n) {
      view.cx = n.x;
      view.cy = n.y;
      view.k = Math.max(view.k, Math.min(k0 * 4, 36 / UNIT));  // neighbours about 36 px apart
    }
    function nodeAt(px, py) {
      var best = null, bestD = Infinity;
      nodes.forEach(function (n) {
        if (!n.visible) return;
        var d = Math.hypot(sx(n) - px, sy(n) - py);
        if (d <= radius(n) + 4 && d < bestD) { best = n; bestD = d; }
      });
      return best;
    }
    function local(e) {
      var rect = canvas.getBoundingClientRect();
      return {x: e.clientX - rect.left, y: e.clientY - rect.top};
    }

    function row(dl, label, value) {
      dl.appendChild(el("dt", "", label));
      dl.appendChild(el("dd", "", value));
    }
    function neighbours(title, list, from) {
      var shown = list.filter(function (m) { return m.visible; });
      if (!shown.length) return null;
      var box = el("div", "", el("p", "muted", title + " (" + shown.length + " shown; who says so in brackets)"));
      var ul = el("ul", "plain");
      shown.slice(0, 8).forEach(function (m) {
        var b = el("button", "linkish bidi", m.w.label || m.w.doi);
        b.type = "button";
        b.addEventListener("click", function () { show(m, true); });
        var li = el("li", "", b);
        var said = title === "Cites" ? edgeSources[from.i + ">" + m.i] : edgeSources[m.i + ">" + from.i];
        if (said) li.appendChild(el("span", "muted edge-sources", " (" + said + ")"));
        ul.appendChild(li);
      });
      if (shown.length > 8) ul.appendChild(el("li", "muted", "and " + (shown.length - 8) + " more"));
      box.appendChild(ul);
      return box;
    }
    function showDetails(n) {
      clear(details);
      if (!n) {
        details.appendChild(el("p", "muted", "Click a work in the network, or search for one, to see it here."));
        return;
      }
      var w = n.w;
      var h = el("h3", "", w.label || w.doi);
      if (w.seed) h.appendChild(el("span", "badge", "seed"));
      append(h, noticeBadge(w));
      details.appendChild(h);
      if (w.title) details.appendChild(el("p", "title", w.title));
      var meta = [w.year, w.journal].filter(function (v) { return v !== null && v !== undefined; });
      if (meta.length) details.appendChild(el("p", "muted", meta.join(" \u00b7 ")));
      if (w.cluster !== null) {
        var c = CLUSTER.get(w.cluster);
        details.appendChild(el("p", "", [swatch(w.cluster), "Cluster " + w.cluster,
          c && c.label ? el("span", "muted", ": " + c.label) : null]));
      }
      var dl = el("dl");
      row(dl, "Rank", fmt(w.rank) + " of " + fmt(DATA.ranked) + " by " + DATA.score);
      row(dl, "Local citations", fmt(w.local));
      row(dl, "Global citations", fmt(w.global));
      row(dl, "Per year", fmt(w.per_year));
      row(dl, "PageRank", fmt(w.pagerank));
      row(dl, "Composite", fmt(w.composite));
      if (DATA.extra_score) row(dl, DATA.score, fmt(w[DATA.score]));
      details.appendChild(dl);
      var p = el("p", "", "DOI: ");
      p.appendChild(doiLink(w.doi, doiUrl(w.doi) || w.doi));
      details.appendChild(p);
      append(details, noticeList(w));
      append(details, neighbours("Cites", n.out, n));
      append(details, neighbours("Cited by", n.inn, n));
    }
    function noticeList(w) {  // kind, source, date and notice DOI of each notice about the work
      var list = NOTICES[String(w.index)];
      if (!list || !list.length) return null;
      var box = el("div", "notices " + (flagOf(w) || ""), el("p", "muted", "Notices"));
      var ul = el("ul", "plain");
      list.forEach(function (x) {
        var kind = x.label || String(x.kind || "").replace(/_/g, " ");
        var parts = [el("strong", "notice-kind " + x.category, kind)];
        if (x.source) parts.push(" \u00b7 " + x.source);
        if (x.date) parts.push(" \u00b7 " + x.date);
        if (x.doi) parts.push(" \u00b7 notice ", doiLink(x.doi));
        ul.appendChild(el("li", "", parts));
      });
      box.appendChild(ul);
      return box;
    }
    function show(n, centre) {
      selected = n || null;
      hook.selected = selected ? selected.w.doi : null;
      if (selected && centre) centreOn(selected);
      showDetails(selected);
      draw();
      return !!selected;
    }
    function find(id) {
      if (typeof id === "number") return nodes[id] || null;
      return byDoi.get(String(id).toLowerCase()) || null;
    }
    function runSearch(q) {
      q = String(q || "").trim().toLowerCase();
      searching = q !== "";
      var found = [];
      nodes.forEach(function (n) {
        n.match = searching && n.visible && n.hay.indexOf(q) >= 0;
        if (n.match) found.push(n);
      });
      hook.matches = found.length;
      status.textContent = !searching ? "" : found.length === 0 ? "No shown work matches." :
        found.length === 1 ? "1 match." : found.length + " matches; the best ranked is selected.";
      if (found.length) show(found[0], true); else draw();
      return found.length;
    }
    function applyYears() {
      var a = parseInt(from.value, 10), b = parseInt(to.value, 10);
      if (isNaN(a)) a = -Infinity;
      if (isNaN(b)) b = Infinity;
      if (a > b) { var t = a; a = b; b = t; }
      nodes.forEach(function (n) {
        var y = n.w.year;
        n.visible = typeof y === "number" ? (y >= a && y <= b) : noYear.checked;
        if (!n.visible) n.match = false;
      });
      if (selected && !selected.visible) show(null);
      if (searching) runSearch(search.value); else draw();
      return hook.drawn;
    }

    var years = nodes.map(function (n) { return n.w.year; }).filter(function (y) { return typeof y === "number"; });
    if (years.length) {
      var lo = Math.min.apply(null, years), hi = Math.max.apply(null, years);
      [from, to].forEach(function (input) { input.min = lo; input.max = hi; });
      from.value = lo;
      to.value = hi;
    }
    [from, to, noYear].forEach(function (input) {
      input.addEventListener("input", applyYears);
      input.addEventListener("change", applyYears);
    });
    var timer = null;
    search.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { runSearch(search.value); }, 200);
    });
    search.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { window.clearTimeout(timer); runSearch(search.value); }
    });

    var drag = null;
    canvas.addEventListener("pointerdown", function (e) {
      drag = {x: e.clientX, y: e.clientY, cx: view.cx, cy: view.cy, moved: false};
      if (canvas.setPointerCapture) canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener("pointermove", function (e) {
      if (drag) {
        var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
        if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; canvas.classList.add("dragging"); }
        if (drag.moved) {
          view.cx = drag.cx - dx / view.k;
          view.cy = drag.cy - dy / view.k;
          tip.hidden = true;
          schedule();
        }
        return;
      }
      var p = local(e), n = nodeAt(p.x, p.y);
      canvas.classList.toggle("over", !!n);
      if (!n) { tip.hidden = true; return; }
      clear(tip);
      tip.appendChild(el("strong", "bidi", n.w.label || n.w.doi));
      if (flagOf(n.w)) tip.appendChild(el("span", "tip-notice", " \u2013 " + NOTICE_TEXT[flagOf(n.w)]));
      if (n.w.title) { tip.appendChild(el("br")); tip.appendChild(el("span", "bidi", n.w.title)); }
      tip.hidden = false;
      tip.style.left = Math.min(p.x + 14, Math.max(0, W - 330)) + "px";
      tip.style.top = Math.min(p.y + 14, Math.max(0, H - 60)) + "px";
    });
    canvas.addEventListener("pointerleave", function () { tip.hidden = true; });
    canvas.addEventListener("pointerup", function (e) {
      if (drag && !drag.moved) {
        var p = local(e);
        show(nodeAt(p.x, p.y), false);
      }
      drag = null;
      canvas.classList.remove("dragging");
    });
    canvas.addEventListener("wheel", function (e) {
      e.preventDefault();
      var p = local(e);
      zoomAt(p.x, p.y, Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015)));
    }, {passive: false});
    byId("zoom-in").addEventListener("click", function () { zoomAt(W / 2, H / 2, 1.5); });
    byId("zoom-out").addEventListener("click", function () { zoomAt(W / 2, H / 2, 1 / 1.5); });
    byId("zoom-reset").addEventListener("click", fit);
    window.addEventListener("resize", resize);

    var legend = byId("net-legend");
    var present = new Set(nodes.map(function (n) { return n.w.cluster; }));
    var other = false;
    present.forEach(function (c) { if (colour(c) === DATA.other_colour) other = true; });
    DATA.colours.forEach(function (col, i) {
      if (!present.has(i + 1)) return;
      var c = CLUSTER.get(i + 1);
      var terms = c && c.label ? c.label.split("; ").slice(0, 3).join(", ") : "";
      legend.appendChild(el("div", "", [swatch(i + 1), "Cluster " + (i + 1), terms ? " \u2013 " + terms : ""]));
    });
    if (other) legend.appendChild(el("div", "", [swatch(null), "other clusters"]));
    ["retracted", "concern", "corrected"].forEach(function (flag) {
      if (!nodes.some(function (n) { return flagOf(n.w) === flag; })) return;
      var ring = el("span", "ring " + flag, flag === "retracted" ? "\u00d7" : "");
      legend.appendChild(el("div", "notice-key", [ring, flag === "retracted" ? "retracted" :
        flag === "concern" ? "expression of concern" : "corrected"]));
    });

    hook.search = function (q) { search.value = String(q); return runSearch(q); };
    hook.select = function (id) { return show(find(id), true); };
    hook.setYears = function (a, b) { from.value = a; to.value = b; return applyYears(); };
    hook.position = function (id) {
      var n = find(id);
      if (!n || !n.visible) return null;
      var rect = canvas.getBoundingClientRect();
      return {x: rect.left + sx(n), y: rect.top + sy(n)};
    };
    network.show = show;
    showDetails(null);
    resize();
  }

  gallery();  // first: the figures work whatever the rest does
  setupNetwork();
  rankingTable();
  clusterTable();
  burstTable();
  lists();
})();
