"""The HTML report: one self-contained page with the whole analysis and an interactive network.

:func:`render_report` turns an :class:`~citegraph.analysis.pipeline.Analysis` into one
HTML file that works offline (no CDN; styles, scripts, data and figures are
inlined) and :func:`write_report` saves it atomically. The page has

- a header (title, source, citegraph version, score, the clusters' graph and
  the selection and graph options that differ from their defaults, in the
  words of the figure captions) and the summary with indicators (h-index,
  top journals and authors) and, folded, every parameter and version used;
- the coverage figures (how complete the fetched network is);
- an interactive view of the citation network: the ``max_nodes`` best works
  by the analysis' score (seeds count against the limit, as any other work;
  they are flagged, never added), placed by a seeded networkx layout
  computed here (so the page is deterministic), drawn on a ``<canvas>`` by a
  small inline script without libraries. Nodes are coloured by cluster
  (the colours of :mod:`citegraph.outputs.palette`, as in the figures and the GEXF
  export) and sized by score; drag to pan, wheel to zoom, click a work for its
  details and DOI link, search titles, labels and DOIs, filter by year;
- works an editorial notice flags (``notice``: retracted, expression of
  concern, corrected) marked wherever they appear: a red ring and cross
  (retracted), an amber or grey ring in the network view, a badge
  ("Retracted", "Expression of concern", "Corrected") in the tables, the
  main path and the details panel, which also lists each notice (kind,
  source, date, the notice's DOI as a link); the summary says how many works
  are retracted and how many cite them (the data block's ``notices``, by
  work index, and ``notice_counts``);
- the ranking table (the first :data:`RANKING_ROWS` works; click a header to
  sort, again to reverse; a filter box), the clusters, RPYS peaks, the main
  path, citation bursts and the figures (PNG or SVG files embedded as
  ``data:`` URIs in ``<img>``, where an SVG cannot run script).

Page, script and styles
-----------------------
The page lives beside this module as package data, in three plain web files:
``report.html``, the skeleton of the page (head, the static markup of the
network view and of the tables, footer, script tags) as a
:class:`string.Template` with ``$name`` placeholders; ``report.css``, the
styles; and ``report.js``, the script that draws the network and fills the
tables from the data block. They are read once with :mod:`importlib.resources`
(so they load from a wheel as from a checkout). :func:`render_report` fills
the template: the parts that depend on the analysis (header, summary,
coverage, figures) are built here as escaped HTML, the few numbers and words
of the static markup are escaped here too, and the CSS and the script are
inlined whole into ``<style>`` and ``<script>``, so the page stays one file.

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
(nodes drawn in the last frame), ``flagged`` (retracted works among them), ``total``, ``matches``, ``selected`` (the
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
import functools
import html
import json
import logging
import math
import os
import re
import string
from collections.abc import Mapping, Sequence
from importlib.resources import files
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

#: The page's Content-Security-Policy: nothing from the network, images only from data: URIs.
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"
#: The package data files of the page (see the module notes), beside this module.
_TEMPLATE = "report.html"
_STYLES = "report.css"
_SCRIPT = "report.js"

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
                 "composite", "cluster", "seed", "notice")
#: The notice categories the page shows (a work's ``notice``), strongest first.
_NOTICE_CATEGORIES = ("retracted", "concern", "corrected")


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
            "notice": _notice_of(row.get("notice") or node.get("notice")),
        }
        for column in self.columns:
            if column not in values:
                values[column] = _num(row.get(column))
        self.index[key] = len(self.rows)
        self.rows.append([values[c] for c in self.columns])
        return self.index[key]


def _notice_of(value: Any) -> str | None:
    """A work's notice category for the page (``retracted``, ``concern``, ``corrected``), None when none."""
    return value if value in _NOTICE_CATEGORIES else None


def _notices(analysis: Analysis, works: _Works) -> dict[str, list[dict[str, Any]]]:
    """The notices of the works the page mentions, by work index (as text): what the details panel lists.

    Each notice: ``kind`` (``retraction``, ``expression_of_concern``, ...), ``category``, ``label``,
    ``source``, ``date`` and the notice's ``doi`` (None when the source names none); only notices of a
    category (not a new version), each said once.
    """
    out: dict[str, list[dict[str, Any]]] = {}
    for key, notices in sorted((getattr(analysis, "notices", None) or {}).items()):
        index = works.index.get(works.key(key))
        if index is None:
            continue
        rows: list[dict[str, Any]] = []
        for n in notices:
            if n.category is None:
                continue
            item = {"kind": clean_text(n.kind, 100), "category": n.category, "label": clean_text(n.label, 200),
                    "source": clean_text(n.source, 100), "date": clean_text(n.date, 40),
                    "doi": _doi_text(n.notice_doi) if n.notice_doi else None}
            if item not in rows:
                rows.append(item)
        if rows:
            out[str(index)] = rows
    return out


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
    """The network view: the best ``max_nodes`` works of the citation graph in ranking order, seeds among them
    (counted, not added), with positions and radii."""
    keys: list[str] = []
    chosen: set[str] = set()
    for row in analysis.rankings:
        if len(keys) >= max_nodes:
            break
        key = works.key(row["doi"])
        if key in chosen or key not in analysis.citation:
            continue
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
    # each link names the sources that assert it (a work's details list them); the distinct sets once
    citation = analysis.citation
    sets: dict[str, int] = {}
    links = []
    for u, v in edges:
        attrs = citation.get_edge_data(u, v) or citation.get_edge_data(v, u) or {}
        names = clean_text(str(attrs.get("sources") or "").replace(";", ", ")) or ""
        links.append([order[u], order[v], sets.setdefault(names, len(sets))])
    return {"edges": links, "edge_sources": list(sets), "eligible": len(analysis.rankings),
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
                      # [the DOI or description, times cited, the work's label when it is a node (DOIs)]
                      "works": [[clean_text(text, 200), count,
                                 clean_text(str(a.citation.nodes[text].get("label", "")), 200)
                                 if text in a.citation else ""]
                                for text, count in a.peak_works.get(year, [])[:5]]})
    main_path = [works.add(k) for k in a.main_path]
    key_routes = [[works.add(u), works.add(v)] for u, v in a.key_routes]
    ind = a.indicators or {}
    notices = _notices(a, works)  # last: every work the page mentions has its index by now
    summary = a.summary or {}
    notice_counts = {name: int(summary.get(name) or 0) for name in
                     ("retracted_works", "works_citing_retracted", "concern_works", "corrected_works")}
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
        "notice_counts": notice_counts,
        "notices": notices,
        "other_colour": OTHER_COLOUR,
        "peaks": peaks,
        "ranked": len(a.rankings),
        "score": works.score,
        "table": table,
        "works": {"columns": works.columns, "rows": works.rows},
    }


# --------------------------------------------------------------------------------------------------- static HTML


@functools.cache  # functools.lru_cache without a size limit
def _asset(name: str) -> str:
    """The text of a package data file of the page (report.html, report.css or report.js), read once."""
    return files(__package__ or __name__).joinpath(name).read_text(encoding="utf-8")


@functools.cache  # functools.lru_cache without a size limit
def _template() -> string.Template:
    """The page (report.html) as a :class:`string.Template`, parsed once."""
    return string.Template(_asset(_TEMPLATE))


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
    note = _options_note(a)
    meta.append(f"clusters from the {_e(params.get('graph', a.options.graph))} graph"
                + (f" ({_e(note)})" if note else ""))
    nav = "".join(f'<a href="#{k}">{v}</a>' for k, v in (
        ("summary", "Summary"), ("coverage", "Coverage"), ("network", "Network"), ("rankings", "Rankings"),
        ("clusters", "Clusters"), ("timeline", "Timeline"), ("figures", "Figures")))
    return (f'<header class="top"><div class="wrap"><h1>{_e(title)}</h1>'
            f'<p class="meta">{" · ".join(meta)}</p><nav>{nav}</nav></div></header>')


def _options_note(a: Analysis) -> str:
    """The selection and graph options of the clusters' graph that differ from their defaults, as in the
    figure captions ("" when none do)."""
    from citegraph.analysis.pipeline import options_note

    return options_note(a.options.graph_options, a.options.graph)


def _parameters(a: Analysis, *, source: str | None, max_nodes: int, seed: int) -> list[tuple[str, Any]]:
    """Every value the report was made with: the analysis' parameters (``summary.json``'s, hybrid weights
    and top-k spelt out when unset), the options note, the source and the network view's own."""
    from citegraph.graphs.hybrid import DEFAULT_HYBRID_WEIGHTS

    params = dict((a.summary or {}).get("parameters") or a.options.as_dict())
    graph_options = dict(params.get("graph_options") or {})
    if graph_options.get("hybrid_weights") is None:
        graph_options["hybrid_weights"] = f"{json.dumps(DEFAULT_HYBRID_WEIGHTS, sort_keys=True)} (default)"
    if "top_k" in graph_options and graph_options["top_k"] is None:
        graph_options["top_k"] = "none (every link)"
    for name in ("years", "types"):
        if name in graph_options and graph_options[name] is None:
            graph_options[name] = "all"
    if params.get("reference_year") is None:
        params["reference_year"] = "latest publication year in the store"
    params["graph_options"] = graph_options
    rows = _flatten(params)
    rows.append(("options differing from the defaults", _options_note(a) or "none"))
    rows += [("report.source", source or "–"), ("report.network_max_nodes", max_nodes),
             ("report.network_layout_seed", seed)]
    return rows


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


def _summary_html(a: Analysis, *, source: str | None = None, max_nodes: int = 500, seed: int = 0) -> str:
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
                   for k, v in _parameters(a, source=source, max_nodes=max_nodes, seed=seed))
    versions = " · ".join(f"{_e(k)} {_e(v)}" for k, v in sorted((s.get("versions") or {}).items()))
    notes = "".join(f"<li>{_e(n)}</li>" for n in s.get("notes") or [])
    from citegraph.analysis.pipeline import options_note

    note = _options_note(a)
    selected = options_note(a.options.graph_options, links=False)  # years, types, ...: works left out
    graph_line = (f"<p class=\"muted\">Clusters come from the {_e(graph.get('kind'))} graph "
                  f"({_e(graph.get('nodes'))} works, {_e(graph.get('edges'))} weighted links"
                  + (f"; {_e(note)}" if note else "") + ")."
                  + (" Only the clusters come from this selection: the rankings, bursts, timeline and figures "
                     "cover every work." if selected else "") + "</p>"
                  if graph else "")
    from citegraph.analysis.notices import notice_message

    flagged = notice_message(s)  # retracted works, those citing them, concerns, corrections ("" when none)
    flagged_line = (f'<p class="warn notices" id="notice-summary">{html.escape(flagged[0].upper() + flagged[1:])}. '
                    "The works are marked in the network, the tables and the figures.</p>" if flagged else "")
    return (
        '<section id="summary"><h2>Summary</h2>'
        f'<div class="cards">{cards}</div>{flagged_line}{graph_line}'
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
    ("works_without_open_references", "… with references the record counts but none open", None, ""),
    ("references_open", "Open references", "references_open_share", "of those declared"),
    ("references_declared", "References declared (the records' reference counts)", None, ""),
    ("references_with_doi", "Open references with a DOI", "references_doi_share", "of open references"),
    ("references_matched", "More matched to a work (Crossref query, or an imported record's key)",
     "references_doi_or_matched_share",
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
        How many of the best ranked works the network view shows, at least 1:
        exactly that many when the citation graph has them, seeds included.
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
    net = data["network"]
    version = html.escape(__version__)
    return _template().substitute(
        csp=_CSP,
        version=version,
        title=_e(page_title),
        css=_asset(_STYLES),
        header=_header_html(analysis, page_title, source),
        summary=_summary_html(analysis, source=source, max_nodes=max_nodes, seed=seed),
        coverage=_coverage_html(coverage, analysis),
        network_shown=f"{len(net['nodes']):,}",
        network_eligible=f"{net['eligible']:,}",
        score=html.escape(str(data["score"])),
        ranking_shown=f"{data['table']:,}",
        ranked=f"{data['ranked']:,}",
        figures=_figures_html(paths),
        data=json_for_html(data),
        js=_asset(_SCRIPT),
    )


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
