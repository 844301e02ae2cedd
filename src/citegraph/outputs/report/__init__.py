"""The HTML report: one self-contained page with the whole analysis and an interactive network.

:func:`render_report` turns an :class:`~citegraph.analysis.pipeline.Analysis` into one
HTML file that works offline (no CDN; styles, scripts, data and figures are
inlined) and :func:`write_report` saves it atomically. The page has

- a header (title, source, citegraph version, counts, parameters) and the
  summary with indicators (h-index, top journals and authors);
- the coverage figures (how complete the fetched network is);
- an interactive view of the citation network: the ``max_nodes`` best works
  by the analysis' score, plus every seed, placed by a seeded networkx layout
  computed here (so the page is deterministic), drawn on a ``<canvas>`` by a
  small inline script without libraries. Nodes are coloured by cluster
  (the colours of :mod:`citegraph.outputs.palette`, as in the figures and the GEXF
  export) and sized by score; drag to pan, wheel to zoom, click a work for its
  details and DOI link, search titles, labels and DOIs, filter by year;
- the ranking table (the first :data:`RANKING_ROWS` works; click a header to
  sort, again to reverse; a filter box), the clusters, RPYS peaks, the main
  path, citation bursts and the figures (PNG or SVG files embedded as
  ``data:`` URIs in ``<img>``, where an SVG cannot run script).

Escaping
--------
Every value that comes from the records (titles, labels, journals, authors,
DOIs, cluster terms) travels in one ``<script type="application/json">``
block, serialised with sorted keys and with ``<``, ``>``, ``&``, U+2028 and
U+2029 written as ``\\uXXXX`` escapes, so no title can close the block. The
script reads it with ``JSON.parse`` and inserts text with ``textContent`` and
text nodes only, never as markup; links are built as ``https://doi.org/`` +
the percent-encoded DOI (:func:`doi_url`) and set only when they start with
that prefix. The rest of the page (numbers, parameters, the title and source
given by the caller, figure captions) is escaped with :func:`html.escape`.

Text is cleaned by :func:`clean_text` first: the inline formatting tags
publishers deposit in titles (``<i>``, ``<sub>``, ``<jats:italic>``,
``<mml:mi>``...) are removed so ``<i>E. coli</i>`` reads "E. coli";
character references are decoded; control characters, which HTML and XML
forbid, and lone surrogates are dropped; whitespace is collapsed; and each
value is cut to :data:`MAX_TEXT` characters. Any other markup, such as
``<script>``, is kept and shown literally as text. Text is displayed in
bidirectional isolation, so a right-to-left override in a title cannot
reorder its neighbours.

The page carries a Content-Security-Policy (``default-src 'none'``, images
only from ``data:``) and has no timestamps: the same analysis gives the same
bytes.

For tests and scripting, the page exposes ``window.citegraph``: ``drawn``
(nodes drawn in the last frame), ``total``, ``matches``, ``selected`` (the
DOI shown in the details panel), ``search(q)``, ``select(id)``,
``setYears(a, b)`` and ``position(id)`` (the viewport point of a node), where
``id`` is a DOI or a node index.

Examples
--------
>>> clean_text("The <i>E. coli</i> genome &amp; <script>x</script>")
'The E. coli genome & <script>x</script>'
>>> doi_url('10.1000/a<b>"c?#d')
'https://doi.org/10.1000/a%3Cb%3E%22c%3F%23d'
"""

from __future__ import annotations

import base64
import html
import json
import logging
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import networkx as nx
import numpy as np

from citegraph._version import __version__
from citegraph.errors import UsageError
from citegraph.outputs.files import write_text_files
from citegraph.outputs.palette import CLUSTER_COLOURS, OTHER_COLOUR

if TYPE_CHECKING:
    from citegraph.analysis.pipeline import Analysis

__all__ = [
    "MAX_TEXT",
    "RANKING_ROWS",
    "clean_text",
    "doi_url",
    "json_for_html",
    "network_layout",
    "render_report",
    "write_report",
]

log = logging.getLogger(__name__)

#: Rows of the ranking table (the best ranked works).
RANKING_ROWS = 1000
#: Longest text value (title, label, journal...) in characters; longer ones are cut with an ellipsis.
MAX_TEXT = 500
#: How many bursts, top journals and authors the page lists.
_MAX_BURSTS = 200
_MAX_NAMES = 10

_DOI_SAFE = "/:;()"
_FIGURE_TYPES = {".png": "image/png", ".svg": "image/svg+xml"}

#: Inline formatting tags found in deposited titles (HTML, JATS, MathML), removed by clean_text.
_FORMAT_TAG = re.compile(
    r"</?(?:[a-z][\w.-]*:[\w.-]+|i|b|u|em|strong|sup|sub|sc|scp|small|big|tt|span|italic|bold|underline|emph"
    r"|monospace|roman|sans-serif|strike|overline|inline-formula|br|break)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
#: C0 and C1 controls (but tab, newline, carriage return, which become spaces), lone surrogates, non-characters.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_JSON_ESCAPE_RE = re.compile("[<>&\u2028\u2029]")


def clean_text(value: Any, limit: int = MAX_TEXT) -> str | None:
    """Plain text for display: formatting tags removed, references decoded, controls dropped, cut to ``limit``.

    Parameters
    ----------
    value : object
        A title, label, name...; None stays None, other objects become ``str``.
    limit : int
        Longest result in characters; a longer text is cut and ends with "…".

    Returns
    -------
    str or None
        None when nothing is left.

    Examples
    --------
    >>> clean_text("Ca<sup>2+</sup> in <jats:italic>vivo</jats:italic>\\x07 ")
    'Ca2+ in vivo'
    >>> clean_text("<img src=x onerror=alert(3)>"), clean_text(" \\x00 "), clean_text("abcdef", limit=4)
    ('<img src=x onerror=alert(3)>', None, 'abc…')
    """
    if value is None:
        return None
    text = html.unescape(str(value))
    text = _FORMAT_TAG.sub("", text)
    text = " ".join(_FORBIDDEN.sub("", text).split())
    if len(text) > limit:
        text = text[: max(limit - 1, 0)].rstrip() + "…"
    return text or None


def doi_url(doi: str) -> str:
    """The ``https://doi.org/`` link of a DOI, percent-encoded like :attr:`citegraph.doi.DOI.url`.

    ``/``, ``:``, ``;``, ``(`` and ``)`` stay readable; ``?``, ``#``, ``<``,
    ``"``, ``%``, spaces and non-ASCII characters are encoded, so the DOI can
    never turn into a query or a fragment. The page's script builds the same
    string.

    Examples
    --------
    >>> doi_url("10.1002/(SICI)1097-4636(199706)35:4<437::AID-JBM5>3.0.CO;2-P")
    'https://doi.org/10.1002/(SICI)1097-4636(199706)35:4%3C437::AID-JBM5%3E3.0.CO;2-P'
    """
    return "https://doi.org/" + quote(doi, safe=_DOI_SAFE)


def json_for_html(data: Any) -> str:
    """``data`` as JSON that is safe inside a ``<script type="application/json">`` element.

    Keys are sorted and non-ASCII text kept; ``<``, ``>``, ``&``, U+2028 and
    U+2029 become ``\\uXXXX`` escapes (they can only occur inside strings), so
    neither ``</script>`` nor ``<!--`` can appear. NaN and infinities are
    refused (JSON has none).

    Examples
    --------
    >>> print(json_for_html({"t": "</script><b>&", "a": 1}))
    {"a":1,"t":"\\u003c/script\\u003e\\u003cb\\u003e\\u0026"}
    """
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _JSON_ESCAPE_RE.sub(lambda m: _JSON_ESCAPES[m.group(0)], text)


def _num(value: Any, digits: int = 4) -> int | float | None:
    """A number for the page: ints as they are, floats to ``digits`` significant digits, None for the rest."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    return float(f"{number:.{digits}g}")


def _doi_text(value: Any) -> str:
    """A DOI as shown: control characters and lone surrogates removed, nothing else touched."""
    return _FORBIDDEN.sub("", str(value))


# --------------------------------------------------------------------------------------------------- page data


_WORK_COLUMNS = ("doi", "label", "title", "year", "journal", "rank", "local", "global", "per_year", "pagerank",
                 "composite", "cluster", "seed")


class _Works:
    """The works the page mentions, each stored once; other parts refer to them by index."""

    def __init__(self, analysis: Analysis) -> None:
        self.citation = analysis.citation
        self.score = analysis.options.score
        self.columns = list(_WORK_COLUMNS) + ([self.score] if self.score not in _WORK_COLUMNS else [])
        self.key_of = {str(d.get("doi", n)): str(n) for n, d in analysis.citation.nodes(data=True)}
        self.ranked: dict[str, dict[str, Any]] = {}
        for row in analysis.rankings:
            self.ranked.setdefault(self.key(row["doi"]), row)
        self.cluster_of = analysis.cluster_of
        self.index: dict[str, int] = {}
        self.rows: list[list[Any]] = []

    def key(self, doi: str) -> str:
        """The node key of a DOI as shown (or of a node key)."""
        doi = str(doi)
        if doi in self.key_of:
            return self.key_of[doi]
        return doi if doi in self.citation else doi.lower()

    def known(self, doi: str) -> bool:
        key = self.key(doi)
        return key in self.ranked or key in self.citation

    def add(self, doi: str) -> int:
        """The index of a work, adding it on first use."""
        key = self.key(doi)
        if key in self.index:
            return self.index[key]
        node = self.citation.nodes[key] if key in self.citation else {}
        row = self.ranked.get(key, {})
        values = {
            "doi": _doi_text(row.get("doi", node.get("doi", key))),
            "label": clean_text(row.get("label", node.get("label"))),
            "title": clean_text(row.get("title", node.get("title"))),
            "year": _num(row.get("year", node.get("year"))),
            "journal": clean_text(row.get("journal", node.get("journal"))),
            "cluster": _num(row.get("cluster", self.cluster_of.get(key))),
            "seed": bool(row.get("is_seed", node.get("is_seed", False))),
        }
        for column in self.columns:
            if column not in values:
                values[column] = _num(row.get(column))
        self.index[key] = len(self.rows)
        self.rows.append([values[c] for c in self.columns])
        return self.index[key]


_GOLDEN_ANGLE = math.pi * (3.0 - math.sqrt(5.0))
_GAP = 1.0  # between packed components, in node spacings


def _spiral(limit: float, step: float = 0.25) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Points along an Archimedean spiral from the origin out to radius ``limit``, ``step`` apart."""
    b = step / (2.0 * math.pi)  # turns ``step`` apart
    points = [(0.0, 0.0)]
    theta = step / b if b else 1.0
    while b * theta <= limit:
        r = b * theta
        points.append((r * math.cos(theta), r * math.sin(theta)))
        theta += step / r
    return np.array(points, dtype=np.float64)


def network_layout(G: nx.Graph, *, seed: int = 0, aspect: float = 1.5) -> tuple[dict[Any, tuple[float, float]], float]:
    """Deterministic positions for the network view, within ``[-1, 1]``.

    Each connected component gets its own force-directed layout (networkx's
    ``spring_layout`` with ``seed``) in a circle whose area grows with its
    size; the circles are packed along an elliptical spiral (``aspect`` times
    wider than tall, like a screen) from the centre, largest (then first in
    ``G``'s node order) first. Isolated nodes fill a sunflower-seed pattern
    around them, in node order from the inside out, so they never sit between
    linked works. Pass the nodes best first.

    Returns
    -------
    tuple
        ``({node: (x, y)}, unit)``: coordinates rounded to 4 decimals, and the
        typical distance between neighbouring nodes in those coordinates.

    Examples
    --------
    >>> G = nx.Graph([("a", "b"), ("b", "c")]); G.add_node("d")
    >>> pos, unit = network_layout(G, seed=1)
    >>> sorted(pos) == ["a", "b", "c", "d"], all(abs(x) <= 1 and abs(y) <= 1 for x, y in pos.values())
    (True, True)
    >>> network_layout(G, seed=1) == (pos, unit)
    True
    """
    order = {n: i for i, n in enumerate(G.nodes)}
    parts = [sorted(c, key=order.__getitem__) for c in nx.connected_components(G)]
    linked = sorted((c for c in parts if len(c) > 1), key=lambda c: (-len(c), order[c[0]]))
    isolated = sorted((c[0] for c in parts if len(c) == 1), key=order.__getitem__)
    raw: dict[Any, tuple[float, float]] = {}
    stretch = math.sqrt(max(aspect, 0.1))
    outer = 0.0  # elliptical radius ((x / stretch)^2 + (y * stretch)^2)^0.5 taken by the components
    if linked:
        spans = [0.6 * math.sqrt(len(c)) for c in linked]
        radii = [s + 0.5 for s in spans]
        candidates = _spiral(2.5 * math.sqrt(sum((r + _GAP) ** 2 for r in radii)) + max(radii))
        candidates[:, 0] *= stretch
        candidates[:, 1] /= stretch
        clearance = np.full(len(candidates), np.inf)
        for nodes, span, r in zip(linked, spans, radii, strict=True):
            free = np.flatnonzero(clearance >= r + _GAP)
            cx, cy = (float(v) for v in candidates[free[0]]) if free.size else (stretch * (outer + r + _GAP), 0.0)
            H = nx.Graph()
            H.add_nodes_from(nodes)
            H.add_edges_from(sorted((u, v) if order[u] < order[v] else (v, u) for u, v in G.subgraph(nodes).edges()))
            local = nx.spring_layout(H, seed=seed)
            for n in nodes:
                raw[n] = (cx + span * float(local[n][0]), cy + span * float(local[n][1]))
            clearance = np.minimum(clearance, np.hypot(candidates[:, 0] - cx, candidates[:, 1] - cy) - r)
            outer = max(outer, math.hypot(cx / stretch, cy * stretch) + r * max(stretch, 1.0 / stretch))
        outer += _GAP
    for i, n in enumerate(isolated):
        radius = math.sqrt(outer * outer + (i + 0.5) * 1.2 / math.pi)
        angle = i * _GOLDEN_ANGLE
        raw[n] = (stretch * radius * math.cos(angle), radius * math.sin(angle) / stretch)
    extent = max((max(abs(x), abs(y)) for x, y in raw.values()), default=0.0) + 0.5
    pos = {n: (round(raw[n][0] / extent, 4), round(raw[n][1] / extent, 4)) for n in G.nodes}
    return pos, round(1.0 / extent, 6)


def _network(analysis: Analysis, works: _Works, max_nodes: int, seed: int) -> dict[str, Any]:
    """The network view: the best ``max_nodes`` works plus the seeds, with positions and radii."""
    keys: list[str] = []
    chosen: set[str] = set()
    for position, row in enumerate(analysis.rankings):
        key = works.key(row["doi"])
        if key in chosen or key not in analysis.citation:
            continue
        if position < max_nodes or row.get("is_seed"):
            keys.append(key)
            chosen.add(key)
    H = nx.Graph()
    H.add_nodes_from(keys)
    edges = sorted({(u, v) for u, v in analysis.citation.edges() if u in chosen and v in chosen and u != v})
    H.add_edges_from(edges)
    pos, unit = network_layout(H, seed=seed)
    scores = [_num(works.ranked.get(k, {}).get(works.score)) or 0.0 for k in keys]
    low, high = (min(scores), max(scores)) if scores else (0.0, 0.0)
    order = {k: i for i, k in enumerate(keys)}
    nodes = []
    for key, score in zip(keys, scores, strict=True):
        share = (score - low) / (high - low) if high > low else 0.5
        nodes.append([works.add(key), pos[key][0], pos[key][1], round(0.18 + 0.42 * math.sqrt(share), 3)])
    return {"edges": [[order[u], order[v]] for u, v in edges], "eligible": len(analysis.rankings),
            "limit": max_nodes, "nodes": nodes, "unit": unit}


def _report_data(analysis: Analysis, max_nodes: int, seed: int) -> dict[str, Any]:
    """Everything the page's script shows, ready for :func:`json_for_html`."""
    a = analysis
    works = _Works(a)
    table = 0
    for row in a.rankings[:RANKING_ROWS]:
        works.add(row["doi"])
        table += 1
    network = _network(a, works, max_nodes, seed)

    clusters = []
    for c in a.clusters:
        top: list[int | str] = []
        for piece in str(c.get("top_works") or "").split("; "):
            if piece:
                top.append(works.add(piece) if works.known(piece) else (clean_text(piece) or ""))
        clusters.append({"cluster": _num(c.get("cluster")), "size": _num(c.get("size")),
                         "label": clean_text(c.get("label")), "year_min": _num(c.get("year_min")),
                         "year_max": _num(c.get("year_max")), "year_median": _num(c.get("year_median")),
                         "seeds": _num(c.get("seeds")), "top": top})
    bursts = [{"work": works.add(b.doi), "start": b.start, "end": b.end, "strength": _num(b.strength),
               "citations": b.citations} for b in a.bursts[:_MAX_BURSTS]]
    spectrum = {r.year: r for r in a.rpys}
    peaks = []
    for year in a.peaks:
        r = spectrum.get(year)
        peaks.append({"year": year, "references": r.references if r else None,
                      "median": _num(r.median) if r else None, "deviation": _num(r.deviation) if r else None,
                      "works": [[clean_text(text, 200), count] for text, count in a.peak_works.get(year, [])[:5]]})
    main_path = [works.add(k) for k in a.main_path]
    key_routes = [[works.add(u), works.add(v)] for u, v in a.key_routes]
    ind = a.indicators or {}
    bradford: dict[int, list[int]] = {}
    for row in ind.get("bradford") or []:
        zone = bradford.setdefault(int(row["zone"]), [0, 0])
        zone[0] += 1
        zone[1] += int(row["articles"])
    return {
        "authors": [[clean_text(n), c] for n, c in (ind.get("authors") or [])[:_MAX_NAMES]],
        "bradford": [[z, n, m] for z, (n, m) in sorted(bradford.items())],
        "bursts": bursts,
        "clusters": clusters,
        "colours": list(CLUSTER_COLOURS),
        "extra_score": works.score not in _WORK_COLUMNS,
        "journals": [[clean_text(n), c] for n, c in (ind.get("journals") or [])[:_MAX_NAMES]],
        "key_routes": key_routes,
        "main_path": main_path,
        "network": network,
        "other_colour": OTHER_COLOUR,
        "peaks": peaks,
        "ranked": len(a.rankings),
        "score": works.score,
        "table": table,
        "works": {"columns": works.columns, "rows": works.rows},
    }


# --------------------------------------------------------------------------------------------------- static HTML


def _e(value: Any) -> str:
    """Escaped text of a static value (None shows as a dash)."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}"
    return html.escape(clean_text(value, 2000) or "", quote=True)


def _pct(share: Any) -> str:
    if not isinstance(share, (int, float)) or isinstance(share, bool):
        return "–"
    return f"{100 * share:.1f}%"


def _card(value: Any, label: str, note: str = "") -> str:
    hint = f' title="{html.escape(note)}"' if note else ""
    return (f'<div class="card"{hint}><div class="value">{_e(value)}</div>'
            f'<div class="label">{html.escape(label)}</div></div>')


def _header_html(a: Analysis, title: str, source: str | None) -> str:
    s = a.summary or {}
    params = s.get("parameters") or a.options.as_dict()
    meta = [f"citegraph {html.escape(__version__)}"]
    if source:
        meta.insert(0, f"source: <span class=\"bidi\">{_e(source)}</span>")
    meta.append(f"ranked by {_e(params.get('score', a.options.score))}")
    meta.append(f"clusters from the {_e(params.get('graph', a.options.graph))} graph")
    nav = "".join(f'<a href="#{k}">{v}</a>' for k, v in (
        ("summary", "Summary"), ("coverage", "Coverage"), ("network", "Network"), ("rankings", "Rankings"),
        ("clusters", "Clusters"), ("timeline", "Timeline"), ("figures", "Figures")))
    return (f'<header class="top"><div class="wrap"><h1>{_e(title)}</h1>'
            f'<p class="meta">{" · ".join(meta)}</p><nav>{nav}</nav></div></header>')


def _flatten(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key in sorted(params):
        value = params[key]
        if isinstance(value, Mapping):
            out.extend(_flatten(value, f"{prefix}{key}."))
        else:
            out.append((f"{prefix}{key}", value))
    return out


def _param_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def _summary_html(a: Analysis) -> str:
    s = a.summary or {}
    ind = a.indicators or {}
    store = s.get("store") or {}
    cg = s.get("citation_graph") or {}
    graph = s.get("graph") or {}
    years = ind.get("years")
    span = f"{years[0]}–{years[1]}" if years else None
    cards = "".join([
        _card(store.get("works", ind.get("works")), "works stored"),
        _card(cg.get("nodes", a.citation.number_of_nodes()), "works in the citation graph",
              "stored works and the works they cite"),
        _card(cg.get("edges", a.citation.number_of_edges()), "citation links"),
        _card(len(s.get("seeds") or []), "seeds"),
        _card(s.get("clusters", len(a.clusters)), "clusters", f"found in the {graph.get('kind', '')} graph"),
        _card(ind.get("h_index_global"), "h-index (global)", "over Crossref citation counts of the stored works"),
        _card(ind.get("h_index_local"), "h-index (local)", "over citations within this network"),
        _card(span, "publication years"),
        _card(len(a.peaks), "RPYS peaks"),
        _card(len(a.main_path), "works on the main path"),
        _card(s.get("bursts", len(a.bursts)), "citation bursts"),
    ])
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(_param_text(v))}</td></tr>"
                   for k, v in _flatten(s.get("parameters") or a.options.as_dict()))
    versions = " · ".join(f"{_e(k)} {_e(v)}" for k, v in sorted((s.get("versions") or {}).items()))
    notes = "".join(f"<li>{_e(n)}</li>" for n in s.get("notes") or [])
    graph_line = (f"<p class=\"muted\">Clusters come from the {_e(graph.get('kind'))} graph "
                  f"({_e(graph.get('nodes'))} works, {_e(graph.get('edges'))} weighted links).</p>"
                  if graph else "")
    return (
        '<section id="summary"><h2>Summary</h2>'
        f'<div class="cards">{cards}</div>{graph_line}'
        '<div class="cols"><div><h3>Most productive journals</h3><div id="journals"></div>'
        '<div id="bradford"></div></div>'
        '<div><h3>Most frequent authors</h3><div id="authors"></div></div></div>'
        + (f'<ul class="notes">{notes}</ul>' if notes else "")
        + f'<details><summary>Parameters and versions</summary><table class="kv">{rows}</table>'
        f'<p class="muted">{versions}</p></details></section>'
    )


_COVERAGE_ROWS: tuple[tuple[str, str, str | None, str], ...] = (
    ("works", "Works stored", None, ""),
    ("works_with_open_references", "… with open references", None, ""),
    ("works_without_open_references", "… with references Crossref counts but none open", None, ""),
    ("references_open", "Open references", "references_open_share", "of those declared"),
    ("references_declared", "References declared (Crossref references-count)", None, ""),
    ("references_with_doi", "Open references with a DOI", "references_doi_share", "of open references"),
    ("references_matched", "More matched to a DOI by query", "references_doi_or_matched_share",
     "with a DOI or matched"),
    ("cited_dois", "Cited DOIs (per citing work)", None, ""),
    ("cited_dois_resolved", "… resolved (stored)", None, ""),
    ("cited_dois_not_found", "… not found at the source", None, ""),
    ("cited_dois_not_asked", "… not asked (beyond the fetch depth)", None, ""),
    ("forward_checked_works", "Works checked for forward citations", None, ""),
    ("forward_citations", "Forward citations found", "forward_share", "of Crossref's cited-by counts"),
)


def _coverage_html(coverage: Mapping[str, Any] | None, a: Analysis) -> str:
    full = coverage  # the whole coverage report, when given
    overall = (full.get("overall") if full is not None else (a.summary or {}).get("coverage")) or {}
    if not overall:
        body = '<p class="muted">No coverage figures in this analysis.</p>'
    else:
        rows = []
        for key, label, share, share_label in _COVERAGE_ROWS:
            if key not in overall:
                continue
            extra = f' <span class="muted">({_pct(overall.get(share))} {share_label})</span>' if share else ""
            rows.append(f"<tr><th>{html.escape(label)}</th><td class=\"num\">{_e(overall.get(key))}</td>"
                        f"<td>{extra}</td></tr>")
        if full is not None:
            for key, label in (("seeds", "Seeds"), ("seeds_without_open_references", "Seeds without open references"),
                               ("seeds_not_stored", "Seeds not stored"), ("not_found", "DOIs not found in all"),
                               ("opencitations_edges", "Citation links from OpenCitations")):
                value = full.get(key)
                if value is not None:
                    count = len(value) if isinstance(value, (list, tuple)) else value
                    rows.append(f"<tr><th>{html.escape(label)}</th><td class=\"num\">{_e(count)}</td><td></td></tr>")
        body = f'<table class="kv coverage">{"".join(rows)}</table>'
    return ('<section id="coverage"><h2>Coverage</h2><p class="muted">How complete the fetched network is: '
            'works whose publishers deposit no open references are missing links, not missing influence.</p>'
            f"{body}</section>")


def _network_html(data: Mapping[str, Any]) -> str:
    net = data["network"]
    score = html.escape(str(data["score"]))
    return (
        '<section id="network"><h2>Citation network</h2>'
        f'<p class="muted">The {len(net["nodes"]):,} best works by {score} (of {net["eligible"]:,}), seeds '
        'included; a link points from the citing to the cited work. Colour: cluster; size: score. '
        'Drag to pan, scroll to zoom, click a work for its details.</p>'
        '<div class="net"><div class="net-canvas"><canvas id="net-canvas" role="img" '
        'aria-label="Citation network"></canvas>'
        '<div class="net-tools"><button type="button" id="zoom-in" title="Zoom in">+</button>'
        '<button type="button" id="zoom-out" title="Zoom out">−</button>'
        '<button type="button" id="zoom-reset" title="Show everything">Fit</button></div>'
        '<div id="net-tip" class="tip" hidden></div></div>'
        '<aside class="net-side">'
        '<label class="field">Search <input id="net-search" type="search" '
        'placeholder="title, author and year, or DOI" autocomplete="off"></label>'
        '<div id="net-search-status" class="muted small" aria-live="polite"></div>'
        '<fieldset class="years"><legend>Publication years</legend>'
        '<input id="year-from" type="number" aria-label="from year"> – '
        '<input id="year-to" type="number" aria-label="to year">'
        '<label class="small"><input id="year-none" type="checkbox" checked> works without a year</label>'
        '</fieldset>'
        '<p id="net-count" class="count" aria-live="polite"></p>'
        '<div id="net-details" class="details"></div>'
        '<div id="net-legend" class="legend"></div>'
        '</aside></div></section>'
    )


def _tables_html(data: Mapping[str, Any]) -> str:
    shown = data["table"]
    return (
        '<section id="rankings"><h2>Rankings</h2>'
        f'<p class="muted">The {shown:,} best ranked of {data["ranked"]:,} works, by {html.escape(data["score"])}. '
        'Click a column heading to sort, again to reverse; the label of a work in the network shows it there. '
        'Local: citations in this network; global: Crossref citations; per year: global citations per year '
        'since publication; composite: mean percentile of the components.</p>'
        '<label class="field inline">Filter <input id="rank-filter" type="search" '
        'placeholder="title, label, journal or DOI" autocomplete="off"></label> '
        '<span id="rank-count" class="muted small"></span>'
        '<div class="table-wrap" id="ranking-table"></div></section>'
        '<section id="clusters"><h2>Clusters</h2>'
        '<p class="muted">Cluster 1 is the largest. Label: the most distinctive terms of its works; '
        'top works: the most central by composite score.</p>'
        '<div class="table-wrap" id="cluster-table"></div></section>'
        '<section id="timeline"><h2>Timeline</h2><div class="cols">'
        '<div><h3>Reference publication year spectroscopy: peaks</h3><div id="rpys-peaks"></div></div>'
        '<div><h3>Main path</h3><p class="muted small">The global main path of the citation network, '
        'knowledge flowing from the older to the newer work.</p><div id="main-path"></div>'
        '<h3>Key routes</h3><div id="key-routes"></div></div></div>'
        '<h3>Citation bursts</h3><div class="table-wrap" id="burst-table"></div></section>'
    )


def _caption(stem: str) -> str:
    return clean_text(stem.replace("_", " ").replace("-", " "), 200) or stem


def _figures_html(figures: Sequence[Path]) -> str:
    items = []
    for path in figures:
        mime = _FIGURE_TYPES[path.suffix.lower()]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read the figure {str(path)!r}: {exc.strerror or exc}") from exc
        if mime == "image/png" and not data.startswith(b"\x89PNG\r\n\x1a\n"):
            raise UsageError(f"the figure {str(path)!r} is not a PNG image (its name ends in .png)")
        if mime == "image/svg+xml" and b"<svg" not in data[:65536]:
            raise UsageError(f"the figure {str(path)!r} is not an SVG image (its name ends in .svg)")
        caption = html.escape(_caption(path.stem), quote=True)
        encoded = base64.b64encode(data).decode("ascii")
        items.append(f'<figure><img src="data:{mime};base64,{encoded}" alt="{caption}">'
                     f"<figcaption>{caption}</figcaption></figure>")
    body = "".join(items) if items else '<p class="muted">No figures were made for this report.</p>'
    return f'<section id="figures"><h2>Figures</h2><div class="figures">{body}</div></section>'


def _check_figures(figures: Sequence[str | os.PathLike[str]]) -> list[Path]:
    paths = [Path(f) for f in figures]
    for path in paths:
        if path.suffix.lower() not in _FIGURE_TYPES:
            raise UsageError(f"the figure {str(path)!r} is not a .png or .svg file")
        if not path.is_file():
            raise UsageError(f"the figure {str(path)!r} does not exist (or is not a file)")
    return paths


def render_report(
    analysis: Analysis,
    *,
    figures: Sequence[str | os.PathLike[str]] = (),
    coverage: Mapping[str, Any] | None = None,
    title: str | None = None,
    source: str | None = None,
    max_nodes: int = 500,
    seed: int = 0,
) -> str:
    """The HTML report of an analysis, as one self-contained page (see the module notes).

    Parameters
    ----------
    analysis : citegraph.analysis.pipeline.Analysis
        What :func:`citegraph.analysis.pipeline.analyse` computed.
    figures : sequence of path
        PNG or SVG files to embed, in this order; each caption is its file
        name without the extension.
    coverage : mapping, optional
        :func:`citegraph.analysis.coverage.coverage_report` of the store; by default
        the overall figures saved in ``analysis.summary["coverage"]``.
    title : str, optional
        The page title (default "citegraph report").
    source : str, optional
        Where the data came from (e.g. the store's path), shown in the header.
    max_nodes : int
        How many of the best ranked works the network view shows (seeds come
        on top), at least 1.
    seed : int
        Seed of the network layout.

    Returns
    -------
    str
        The page; the same arguments give the same text.

    Raises
    ------
    UsageError
        A figure is missing, unreadable or not a PNG/SVG, or ``max_nodes`` < 1.

    Examples
    --------
    >>> from citegraph.analysis.pipeline import AnalyseOptions, Analysis
    >>> G = nx.DiGraph([("10.1/a", "10.1/b")])  # a hand-made two-work analysis
    >>> rows = [{"rank": i + 1, "doi": k, "label": k, "composite": 1.0 - i} for i, k in enumerate(G)]
    >>> a = Analysis(AnalyseOptions(), G, G.to_undirected(), rows, [], {}, [], [], [], {}, [], [], {}, {}, [], {})
    >>> page = render_report(a, title="A <test>")
    >>> page.startswith("<!DOCTYPE html>"), "<h1>A &lt;test&gt;</h1>" in page
    (True, True)
    >>> page == render_report(a, title="A <test>")  # byte-stable
    True
    """
    if max_nodes < 1:
        raise UsageError(f"max_nodes {max_nodes} must be at least 1")
    paths = _check_figures(figures)
    page_title = (clean_text(title, 300) if title is not None else None) or "citegraph report"
    data = _report_data(analysis, max_nodes, seed)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="citegraph {html.escape(__version__)}">',
        f"<title>{_e(page_title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        _header_html(analysis, page_title, source),
        '<main class="wrap"><noscript><p class="warn">The tables and the network need JavaScript; '
        "the summary, coverage and figures do not.</p></noscript>",
        _summary_html(analysis),
        _coverage_html(coverage, analysis),
        _network_html(data),
        _tables_html(data),
        _figures_html(paths),
        "</main>",
        f'<footer class="wrap muted small">Made by citegraph {html.escape(__version__)}. This page is '
        "self-contained: it works offline and loads nothing from the network.</footer>",
        f'<script type="application/json" id="citegraph-data">{json_for_html(data)}</script>',
        f"<script>{_JS}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def write_report(
    analysis: Analysis,
    path: str | os.PathLike[str],
    *,
    figures: Sequence[str | os.PathLike[str]] = (),
    coverage: Mapping[str, Any] | None = None,
    title: str | None = None,
    source: str | None = None,
    max_nodes: int = 500,
    seed: int = 0,
) -> Path:
    """Render the report (:func:`render_report`) and save it at ``path``, atomically; returns the path.

    The folder is created when needed. The page is written to a temporary
    file beside ``path`` and moved over it, so a reader never sees half a
    report and a failed write leaves the old one.

    Raises
    ------
    UsageError
        As :func:`render_report`, or the file cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> from citegraph.analysis.pipeline import AnalyseOptions, Analysis
    >>> G = nx.DiGraph([("10.1/a", "10.1/b")])  # a hand-made two-work analysis
    >>> a = Analysis(AnalyseOptions(), G, G.to_undirected(), [], [], {}, [], [], [], {}, [], [], {}, {}, [], {})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = write_report(a, Path(tmp) / "new" / "report.html")
    ...     print(out.name, out.read_text(encoding="utf-8").count("<script"))
    report.html 2
    """
    text = render_report(analysis, figures=figures, coverage=coverage, title=title, source=source,
                         max_nodes=max_nodes, seed=seed)
    out = Path(path)
    write_text_files([(out, text)])
    log.info("wrote the report %s (%d bytes)", out, len(text.encode("utf-8")))
    return out


# --------------------------------------------------------------------------------------------------- CSS and JS

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"

_CSS = """
:root{--ink:#1d2430;--muted:#5d6775;--line:#e1e5ea;--bg:#f5f6f8;--card:#fff;--accent:#0b5cad;--hi:#d9480f}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif}
.wrap{max-width:1320px;margin:0 auto;padding:0 24px}
header.top{background:#16324f;color:#fff;padding:22px 0 0;margin-bottom:24px}
header.top h1{margin:0 0 4px;font-size:26px;font-weight:650;letter-spacing:-.01em}
header.top .meta{margin:0 0 14px;color:#c9d6e3;font-size:14px}
header.top nav{display:flex;flex-wrap:wrap;gap:2px}
header.top nav a{color:#dce7f2;text-decoration:none;padding:8px 12px;border-radius:6px 6px 0 0;font-size:14px}
header.top nav a:hover{background:rgba(255,255,255,.12);color:#fff}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:20px 24px;
margin:0 0 24px}
h2{margin:0 0 8px;font-size:20px;font-weight:650}
h3{margin:18px 0 8px;font-size:15px;font-weight:650}
a{color:var(--accent)}
.muted{color:var(--muted)}
.small{font-size:13px}
.warn{background:#fff4e5;border:1px solid #f0c36d;padding:8px 12px;border-radius:6px}
.bidi,td,li,.details p,.details h3{unicode-bidi:isolate}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin:12px 0}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:#fafbfc}
.card .value{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums}
.card .label{color:var(--muted);font-size:13px}
.cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:8px 32px}
.cols>div{min-width:0}
main li,main p,.card .value{overflow-wrap:anywhere}
.notes{color:var(--muted);font-size:13px;padding-left:18px}
details{margin-top:12px}
summary{cursor:pointer;color:var(--accent)}
table{border-collapse:collapse;width:100%;font-size:13.5px}
th,td{padding:5px 7px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{background:#eef1f5;font-weight:600;white-space:nowrap;position:sticky;top:0;z-index:1}
tbody tr:nth-child(even){background:#fafbfc}
tbody tr:hover{background:#eef5fd}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.title{min-width:220px;max-width:520px;overflow-wrap:anywhere}
td.work{min-width:190px;max-width:240px;overflow-wrap:anywhere}
table.kv{width:auto;min-width:50%}
table.kv th{font-weight:500;color:var(--ink);background:none;position:static}
th.sortable{cursor:pointer;user-select:none}
th.sortable:hover{background:#e1e8f0}
th.sortable{padding-right:15px}
th.sortable::after{content:"\\2195";color:#9aa5b1;font-size:11px;visibility:hidden;position:absolute;right:3px;
top:6px}
th.sortable:hover::after,th.sortable:focus::after{visibility:visible}
th[aria-sort=ascending]::after{content:"\\25B2";color:var(--ink);visibility:visible}
th[aria-sort=descending]::after{content:"\\25BC";color:var(--ink);visibility:visible}
.table-wrap{max-height:70vh;overflow:auto;border:1px solid var(--line);border-radius:8px;margin-top:8px}
.table-wrap table{border:0}
.swatch{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px;vertical-align:baseline;
border:1px solid rgba(0,0,0,.15)}
button.linkish{background:none;border:0;padding:0;color:var(--accent);cursor:pointer;font:inherit;text-align:left;
text-decoration:underline dotted;text-underline-offset:2px}
.field{display:block;font-size:13px;color:var(--muted)}
.field input{display:block;width:100%;margin-top:4px}
.field.inline{display:inline-block;min-width:320px}
input[type=search],input[type=number]{font:inherit;font-size:14px;padding:6px 8px;border:1px solid #c5ccd5;
border-radius:6px;background:#fff;color:var(--ink)}
input[type=number]{width:88px}
.net{display:flex;gap:16px;align-items:flex-start}
.net-canvas{position:relative;flex:1 1 auto;min-width:0;border:1px solid var(--line);border-radius:8px;
overflow:hidden;background:#fff}
#net-canvas{display:block;width:100%;height:640px;cursor:grab;touch-action:none}
#net-canvas.dragging{cursor:grabbing}
#net-canvas.over{cursor:pointer}
.net-tools{position:absolute;top:8px;left:8px;display:flex;gap:4px}
.net-tools button{font:inherit;font-size:14px;min-width:32px;height:30px;border:1px solid #c5ccd5;border-radius:6px;
background:rgba(255,255,255,.92);cursor:pointer}
.net-tools button:hover{background:#eef5fd}
.tip{position:absolute;pointer-events:none;background:rgba(22,50,79,.94);color:#fff;font-size:12.5px;
padding:5px 8px;border-radius:6px;max-width:320px;overflow-wrap:anywhere;z-index:2}
.net-side{flex:0 0 330px;display:flex;flex-direction:column;gap:10px;min-width:0}
fieldset.years{border:1px solid var(--line);border-radius:8px;padding:6px 10px 8px;margin:0;font-size:13px}
fieldset.years legend{color:var(--muted);padding:0 4px}
fieldset.years label{display:block;margin-top:6px}
.count{margin:0;font-weight:600}
.details{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:#fafbfc;min-height:120px;
overflow-wrap:anywhere;font-size:13.5px;max-height:460px;overflow-y:auto}
.details h3{margin:0 0 4px;font-size:16px}
.details p{margin:4px 0}
.details dl{display:grid;grid-template-columns:auto 1fr;gap:2px 12px;margin:8px 0}
.details dt{color:var(--muted)}
.details dd{margin:0;font-variant-numeric:tabular-nums}
.details ul{margin:4px 0;padding-left:18px}
.legend{font-size:12.5px;color:var(--muted)}
.legend div{margin:2px 0;overflow-wrap:anywhere}
.badge{display:inline-block;background:#fff0e6;color:var(--hi);border:1px solid #f4c7a8;border-radius:10px;
padding:0 8px;font-size:12px;margin-left:6px}
ol.path,ul.plain{padding-left:20px;margin:6px 0}
ol.path li,ul.plain li{margin:3px 0}
.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:20px}
figure{margin:0;border:1px solid var(--line);border-radius:8px;padding:10px;background:#fff}
figure img{display:block;max-width:100%;height:auto;margin:0 auto}
figcaption{color:var(--muted);font-size:13px;text-align:center;margin-top:6px}
footer{padding:0 24px 32px}
@media (max-width:900px){.net{flex-direction:column}.net-side{flex-basis:auto}#net-canvas{height:460px}
.wrap{padding:0 12px}section{padding:16px}.figures{grid-template-columns:1fr}}
@media print{header.top nav,.net-tools{display:none}.table-wrap{max-height:none}}
"""

_JS = r"""
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("citegraph-data").textContent);
  var DOI_PREFIX = "https://doi.org/";
  var hook = {drawn: 0, total: 0, matches: 0, selected: null,
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
    if (url === null || url.indexOf(DOI_PREFIX) !== 0) return el("span", "bidi", text === undefined ? doi : text);
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

  var WORKS = DATA.works.rows.map(function (row, i) {
    var w = {index: i};
    DATA.works.columns.forEach(function (c, j) { w[c] = row[j]; });
    return w;
  });
  var CLUSTER = new Map();
  DATA.clusters.forEach(function (c) { CLUSTER.set(c.cluster, c); });

  /* ------------------------------------------------------------------ tables */
  function makeTable(container, spec) {
    var table = el("table", "data");
    var thead = el("thead"), head = el("tr"), tbody = el("tbody");
    var state = {col: -1, dir: 1};
    var ths = spec.columns.map(function (col, ci) {
      var th = el("th", col.num ? "num" : "", col.label);
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
      var tr = el("tr");
      spec.columns.forEach(function (col) {
        var value = col.get(row);
        var content = col.cell ? col.cell(row) : col.plain && typeof value === "number" ? String(value) : fmt(value);
        tr.appendChild(el("td", col.num ? "num" : (col.cls || ""), content));
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
    if (w.label && w.label !== w.doi) {
      out.push(inNet ? showButton(w, w.label) : el("span", "bidi", w.label));
      out.push(el("br"));
      out.push(el("span", "small", doiLink(w.doi)));
    } else {
      out.push(doiLink(w.doi));
      if (inNet) out.push(" ", showButton(w, "\u25ce"));
    }
    return out;
  }
  function workRef(item) {
    if (typeof item !== "number") return el("span", "bidi", item);
    var w = WORKS[item];
    var span = el("span", "", workLabel(w));
    if (w.year !== null && w.label && w.label.indexOf(String(w.year)) < 0) append(span, " " + w.year);
    return span;
  }
  function num(key, label, title) {
    return {key: key, label: label, num: true, title: title, get: function (w) { return w[key]; }};
  }
  function year(key, label) {
    return {key: key, label: label, num: true, plain: true, get: function (r) { return r[key]; }};
  }

  function rankingTable() {
    var box = byId("ranking-table");
    if (!box) return;
    var cols = [
      num("rank", "#"),
      {label: "Work", cls: "work", get: function (w) { return w.label; }, cell: workCell},
      {label: "Title", cls: "title", get: function (w) { return w.title; }},
      year("year", "Year"),
      {label: "Journal", get: function (w) { return w.journal; }},
      num("local", "Local", "citations within this network"),
      num("global", "Global", "citations counted by Crossref"),
      num("per_year", "Per year", "global citations per year since publication"),
      num("pagerank", "PageRank"),
      num("composite", "Composite", "mean percentile rank of the components")
    ];
    if (DATA.extra_score) cols.push(num(DATA.score, DATA.score));
    cols.push({label: "Cluster", num: true, get: function (w) { return w.cluster; },
               cell: function (w) { return w.cluster === null ? "\u2013" : [swatch(w.cluster), fmt(w.cluster)]; }});
    cols.push({label: "Seed", get: function (w) { return w.seed ? 1 : 0; },
               cell: function (w) { return w.seed ? "seed" : ""; }});
    var rows = WORKS.slice(0, DATA.table);
    var table = makeTable(box, {columns: cols, rows: rows, sortable: true, empty: "No ranked works.",
      text: function (w) { return [w.label, w.title, w.journal, w.doi].join("\n"); }});
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
            var text = /^10\.\d{4,9}\/\S+$/.test(w[0]) ? doiLink(w[0]) : el("span", "bidi", w[0]);
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
        ol.appendChild(el("li", "", [workLabel(w), w.title ? el("span", "muted", " \u2013 " + w.title) : null]));
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
    edges.forEach(function (e) { nodes[e[0]].out.push(nodes[e[1]]); nodes[e[1]].inn.push(nodes[e[0]]); });
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
    function labels() {
      var budget = Math.min(80, Math.round(10 * view.k / k0));
      var placed = [];
      var want = [];
      if (selected && selected.visible) want.push(selected);
      nodes.forEach(function (n) { if (n.visible && n.match && want.length < 40) want.push(n); });
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
        ctx.fillStyle = n === selected ? "#000000" : "#27313d";
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
    function neighbours(title, list) {
      var shown = list.filter(function (m) { return m.visible; });
      if (!shown.length) return null;
      var box = el("div", "", el("p", "muted", title + " (" + shown.length + " shown)"));
      var ul = el("ul", "plain");
      shown.slice(0, 8).forEach(function (m) {
        var b = el("button", "linkish bidi", m.w.label || m.w.doi);
        b.type = "button";
        b.addEventListener("click", function () { show(m, true); });
        ul.appendChild(el("li", "", b));
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
      append(details, neighbours("Cites", n.out));
      append(details, neighbours("Cited by", n.inn));
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

  setupNetwork();
  rankingTable();
  clusterTable();
  burstTable();
  lists();
})();
"""
