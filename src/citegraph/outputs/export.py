"""Export graphs and reference lists for Gephi, Cytoscape, Pajek, VOSviewer and reference managers.

Graph formats (:data:`GRAPH_FORMATS`) start from :func:`export_graph`, which
makes a copy of a graph that every format can hold: node keys and attribute
values cleaned of characters XML 1.0 forbids (:func:`clean_text`), runs of
whitespace collapsed to one space, one type per attribute across the graph
(``bool``, ``int``, ``float`` or ``str``; ``int`` mixed with ``float``
becomes ``float``, any other mix becomes ``str``), lists joined with
``"; "``, unknown values (``None``, NaN, empty strings) left out, ``label``
and ``name`` on every node, ``weight`` on every edge, ``notice``
(``retracted``, ``concern``, ``corrected`` or empty) and ``retracted``
(boolean) on every node of a graph built from a store, and optionally the
score columns of a ranking and the cluster of each node merged in.

=============  ==========================  =========================================================
format         files written               read by
=============  ==========================  =========================================================
``graphml``    ``PATH``                    Gephi, Cytoscape, yEd, networkx, igraph
``gexf``       ``PATH`` (GEXF 1.3)         Gephi (``start`` = publication year for its timeline)
``csv``        ``STEM_nodes.csv``,         Gephi's spreadsheet import (Data Laboratory)
               ``STEM_edges.csv``
``pajek``      ``PATH`` (``.net``)         Pajek, networkx, igraph
``json``       ``PATH``                    networkx ``node_link_graph`` (``edges="links"``), d3
``vosviewer``  ``STEM_map.txt``,           VOSviewer, *Create a map based on network data*
               ``STEM_network.txt``
``bibtex``     ``PATH``                    Zotero, JabRef, BibTeX, biber
``ris``        ``PATH``                    Zotero, EndNote, Mendeley
=============  ==========================  =========================================================

``STEM`` is the given path without its suffix, in the same folder: ``-o
out/citegraph.csv`` writes ``out/citegraph_nodes.csv`` and
``out/citegraph_edges.csv``. No file name is ever derived from the data
(DOIs contain ``/``). Every writer creates missing parent folders, writes
each file to a temporary file in the same folder and renames it into place,
so a crash never leaves a half-written file (a symbolic link is written
through; a folder, device or named pipe in the way is refused, see
:mod:`citegraph.outputs.files`), and writes nodes and edges sorted, so the
same graph gives byte-identical files.

BibTeX and RIS (:func:`write_bibtex`, :func:`write_ris`) list works in the
order given (the ranking) from the Crossref records in the store. Works
without a stored record (cited-only works, known from reference lists) are
*kept*, as a minimal ``@misc``/``GEN`` entry with the DOI, plus the title,
year and journal the graph knows when a graph is given: the most cited works
of a literature are often exactly those, and a silently shorter list would
not match the ranking. Their number is logged. A work an editorial notice
flags gets a BibTeX ``note`` / RIS ``N1`` saying so: ``Retracted
(retraction-watch, 2024-03-05; notice 10.xxx)``, ``Expression of concern
(...)``, ``Corrected (...)``.

Examples
--------
>>> import networkx as nx, tempfile, pathlib
>>> G = nx.DiGraph()                      # hand-made example graph
>>> G.add_node("10.1/a", title="A\\x00 study", year=2001, authors=["Doe, J", "Roe, R"])
>>> G.add_edge("10.1/a", "10.1/b")
>>> H = export_graph(G)
>>> H.nodes["10.1/a"]["title"], H.nodes["10.1/a"]["authors"], H.nodes["10.1/b"]["label"]
('A study', 'Doe, J; Roe, R', '10.1/b')
>>> with tempfile.TemporaryDirectory() as tmp:
...     [p.name for p in export("csv", pathlib.Path(tmp) / "g.csv", graph=G)]
['g_nodes.csv', 'g_edges.csv']
"""

from __future__ import annotations

import csv
import html
import io
import json
import logging
import math
import os
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import networkx as nx

from citegraph._version import __version__
from citegraph.analysis.notices import NOTICE_LABELS, notice_note
from citegraph.doi import is_doi_key
from citegraph.errors import UsageError
from citegraph.outputs.files import write_text_files
from citegraph.outputs.palette import cluster_rgb
from citegraph.outputs.text import spreadsheet_cell
from citegraph.store import Store
from citegraph.store.records import record_year

if TYPE_CHECKING:
    from citegraph.analysis.pipeline import Analysis

__all__ = [
    "CROSSREF_TYPES",
    "EXPORT_FORMATS",
    "GRAPH_FORMATS",
    "REFERENCE_FORMATS",
    "bibtex_escape",
    "citation_keys",
    "clean_text",
    "doi_url",
    "export",
    "export_graph",
    "export_metadata",
    "output_paths",
    "sibling_paths",
    "strip_markup",
    "write_bibtex",
    "write_csv",
    "write_gexf",
    "write_graphml",
    "write_json",
    "write_pajek",
    "write_ris",
    "write_vosviewer",
]

log = logging.getLogger(__name__)

#: Format name -> default file name (``csv`` and ``vosviewer`` write two files beside it, see :func:`sibling_paths`).
EXPORT_FORMATS: dict[str, str] = {
    "graphml": "citegraph.graphml",
    "gexf": "citegraph.gexf",
    "csv": "citegraph.csv",
    "pajek": "citegraph.net",
    "json": "citegraph.json",
    "vosviewer": "citegraph_vos.txt",
    "bibtex": "citegraph.bib",
    "ris": "citegraph.ris",
}
#: Formats written from a graph.
GRAPH_FORMATS: tuple[str, ...] = ("graphml", "gexf", "csv", "pajek", "json", "vosviewer")
#: Formats written from the store's records, in ranking order.
REFERENCE_FORMATS: tuple[str, ...] = ("bibtex", "ris")

_MARK = "citegraph_export"  # graph attribute set by export_graph: "this copy is ready to write"
# Characters XML 1.0 forbids: C0 controls but tab, LF, CR; lone surrogates; U+FFFE, U+FFFF.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_INT64 = 2**63 - 1
# Ranking columns that describe a work (the graph has them already); every other column is a score.
_DESCRIPTIVE = frozenset({"doi", "label", "title", "year", "journal", "type", "is_seed", "resolved", "retracted",
                          "notice"})
#: The notice categories a node's ``notice`` may hold (:func:`citegraph.graphs.citation.citation_graph`).
_NOTICES = frozenset({"retracted", "concern", "corrected"})
# Attribute names that clash with what a format uses for the node or edge itself; they get "_attr".
_RESERVED_NODE = frozenset({"id"})
_RESERVED_EDGE = frozenset({"id", "key", "source", "target"})


# -- text ------------------------------------------------------------------

def clean_text(value: str) -> str:
    """Drop the characters XML 1.0 forbids.

    Those are the C0 control characters except tab, line feed and carriage
    return, lone surrogates (which cannot be encoded in UTF-8 either), and
    U+FFFE and U+FFFF. Everything else, right-to-left marks and emoji
    included, is kept.

    Examples
    --------
    >>> clean_text("a\\x00b\\x0bc\\x1f\\td\\ufffe \\U0001F600")
    'abc\\td \\U0001f600'
    """
    return _XML_FORBIDDEN.sub("", value)


def _text(value: str) -> str:
    """:func:`clean_text`, then every run of whitespace (newlines included) as one space, stripped."""
    return " ".join(clean_text(value).split())


_BLOCK_TAG = re.compile(r"</?(?:[\w.-]+:)?(?:p|title|sec|list-item|list|br|div|li|disp-quote)\b[^<>]*>", re.I)
_TAG = re.compile(r"</?[A-Za-z][\w.:-]*(?:\s[^<>]*)?/?>")
_ABSTRACT_HEADING = re.compile(r"^\s*<(?:[\w.-]+:)?title\b[^<>]*>[^<]*</(?:[\w.-]+:)?title>", re.I)


def strip_markup(text: str, *, abstract: bool = False) -> str:
    """Plain text of a Crossref title or abstract: JATS/HTML tags removed, entities decoded, whitespace collapsed.

    Only things shaped like tags (``<name ...>``, ``</name>``) are removed, so
    ``a < b`` survives. Paragraph-like elements become a space, inline ones
    (italic, sub, sup) vanish, so ``H<sub>2</sub>O`` gives ``H2O``. With
    ``abstract``, a leading heading (``<jats:title>Abstract</jats:title>``)
    is dropped.

    Examples
    --------
    >>> strip_markup("<i>E. coli</i> and H<sub>2</sub>O &amp; a < b")
    'E. coli and H2O & a < b'
    >>> strip_markup("<jats:title>Abstract</jats:title><jats:p>One.</jats:p><jats:p>Two.</jats:p>", abstract=True)
    'One. Two.'
    """
    if abstract:
        text = _ABSTRACT_HEADING.sub("", text)
    text = _BLOCK_TAG.sub(" ", text)
    text = _TAG.sub("", text)
    return _text(html.unescape(text))


# -- graph preparation -----------------------------------------------------

def _scalar(value: Any) -> bool | int | float | str | None:
    """One attribute value as a clean scalar, or None when it is unknown."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalar
        try:
            value = value.item()
        except (TypeError, ValueError):
            pass
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    elif isinstance(value, (set, frozenset)):
        value = "; ".join(sorted(t for t in (_scalar_text(v) for v in value) if t))
    elif isinstance(value, (list, tuple)):
        value = "; ".join(t for t in (_scalar_text(v) for v in value) if t)
    elif isinstance(value, Mapping):
        value = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    elif not isinstance(value, str):
        value = str(value)
    text = _text(value)
    return text or None


def _scalar_text(value: Any) -> str:
    v = _scalar(value)
    return "" if v is None else _format(v)


def _format(value: bool | int | float | str) -> str:
    """Text of a scalar as every writer spells it: ``true``/``false``, ``12``, ``0.5``, ``1e-05``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _kind(values: Iterable[bool | int | float | str]) -> type:
    """The one type an attribute gets: bool, int, float or str."""
    types = {type(v) for v in values}
    if types == {bool}:
        return bool
    if types == {int}:
        return int
    if types <= {int, float}:
        return float
    return str


def _unify(rows: Sequence[dict[str, Any]], what: str) -> None:
    """Give every attribute one type across ``rows`` (in place)."""
    by_name: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        for name, value in row.items():
            by_name[name].append(value)
    for name, values in by_name.items():
        kind = _kind(values)
        if kind is int and any(abs(v) > _INT64 for v in values):
            kind = float
        if kind is float and any(abs(v) > 1.7e308 for v in values if isinstance(v, int)):
            kind = str
        if len({type(v) for v in values}) > 1:
            log.debug("%s attribute %r mixes %s: written as %s", what, name,
                      "/".join(sorted({type(v).__name__ for v in values})), kind.__name__)
        if kind is float:
            for row in rows:
                if name in row:
                    row[name] = float(row[name])
        elif kind is str:
            for row in rows:
                if name in row and not isinstance(row[name], str):
                    row[name] = _format(row[name])


def _attr_name(name: Any, reserved: frozenset[str]) -> str:
    text = _text(str(name))
    return f"{text}_attr" if text.lower() in reserved else text


def _clean_attrs(data: Mapping[Any, Any], reserved: frozenset[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in data.items():
        key = _attr_name(name, reserved)
        v = _scalar(value)
        if key and v is not None:
            out[key] = v
    return out


def export_graph(G: nx.Graph, *, rankings: Sequence[Mapping[str, Any]] | None = None,
                 cluster_of: Mapping[str, int] | None = None,
                 metadata: Mapping[str, Any] | None = None) -> nx.Graph:
    """A copy of ``G`` that every export format can hold.

    Parameters
    ----------
    G : networkx.Graph or networkx.DiGraph
        Node keys are DOI keys (any value is turned into text); multigraphs
        are not supported.
    rankings : sequence of dict, optional
        Rows as in ``Analysis.rankings``; every column but the descriptive
        ones (doi, label, title, year, journal, type, is_seed, resolved,
        retracted, notice) is copied onto the node whose ``doi`` attribute
        (or key) matches the row's ``doi``, case-insensitively.
    cluster_of : mapping, optional
        Node key -> cluster id, stored as the ``cluster`` attribute (it wins
        over a ``cluster`` column of ``rankings``).
    metadata : mapping, optional
        Graph-level attributes, e.g. :func:`export_metadata` of the analysis:
        cleaned as node attributes are (unknown values left out) and kept in
        ``H.graph``, which GraphML writes as graph ``<data>``, GEXF as its
        ``<meta><description>`` line and JSON as its ``graph`` object.

    Returns
    -------
    networkx.Graph or networkx.DiGraph
        Same direction as ``G``; nodes added in key order, edges in
        ``(source, target)`` order (``source <= target`` when undirected).
        Every attribute is a ``bool``, ``int``, ``float`` or ``str`` with one
        type across the graph; ``label`` (fallback: the key) and ``name``
        (fallback: the label, which is what Cytoscape's default style shows)
        are on every node, ``weight`` (default 1) on every edge. When the
        nodes carry a ``notice`` (graphs built from a store do, see
        :func:`citegraph.graphs.citation.citation_graph`) or the ranking rows
        do, every node gets ``notice`` (``"retracted"``, ``"concern"``,
        ``"corrected"``, or ``""``: the one attribute kept when empty, so
        every format declares it) and ``retracted`` (bool). Node
        attributes named ``id`` and edge attributes named ``id``, ``key``,
        ``source`` or ``target`` are renamed ``<name>_attr``. Graph-level
        attributes of ``G`` (``G.graph``) are not exported: ``metadata`` is.

    Raises
    ------
    UsageError
        For a multigraph, or when two node keys become the same once cleaned.

    Examples
    --------
    >>> G = nx.Graph()                          # hand-made example graph
    >>> G.add_node("b", score=1, flag=True, note=None)
    >>> G.add_node("a", score=0.5, label="Doe 2001")
    >>> G.add_edge("b", "a")
    >>> H = export_graph(G, cluster_of={"a": 1, "b": 2})
    >>> list(H.nodes(data=True))
    [('a', {'score': 0.5, 'label': 'Doe 2001', 'cluster': 1, 'name': 'Doe 2001'}), \
('b', {'score': 1.0, 'flag': True, 'cluster': 2, 'label': 'b', 'name': 'b'})]
    >>> list(H.edges(data=True))
    [('a', 'b', {'weight': 1})]
    """
    if G.is_multigraph():
        raise UsageError("cannot export a multigraph: give a Graph or DiGraph (parallel edges merged)")
    directed = bool(G.is_directed())
    by_doi: dict[str, Mapping[str, Any]] = {}
    for row in rankings or ():
        if row.get("doi") is not None:
            by_doi.setdefault(str(row["doi"]).lower(), row)
    clusters = {str(k): v for k, v in (cluster_of or {}).items()}
    # editorial notices: when the graph or the ranking knows them, every node says whether one flags it
    with_notices = (any("notice" in row for row in by_doi.values())
                    or any("notice" in d for _, d in G.nodes(data=True)))

    keys: dict[Any, str] = {}
    seen: dict[str, Any] = {}
    for node in G.nodes:
        key = _text(str(node))
        if not key:
            raise UsageError(f"node {node!r} has no usable key once cleaned: give every node a DOI key")
        if key in seen:
            raise UsageError(f"nodes {seen[key]!r} and {node!r} both become {key!r} once cleaned: "
                             "give every node a distinct key")
        seen[key] = node
        keys[node] = key

    order = sorted(G.nodes, key=keys.__getitem__)
    node_rows: list[dict[str, Any]] = []
    for node in order:
        data = G.nodes[node]
        key = keys[node]
        attrs = _clean_attrs(data, _RESERVED_NODE)
        match = by_doi.get(str(data.get("doi", key)).lower()) or by_doi.get(key.lower())
        if match is not None:
            attrs.update(_clean_attrs({k: v for k, v in match.items() if k not in _DESCRIPTIVE}, _RESERVED_NODE))
        if key in clusters or str(node) in clusters:
            value = _scalar(clusters.get(key, clusters.get(str(node))))
            if value is not None:
                attrs["cluster"] = value
        if with_notices:
            flag = data.get("notice") if "notice" in data else (match or {}).get("notice")
            notice = flag if flag in _NOTICES else ""
            attrs["notice"] = notice  # "" too: the one attribute written when empty
            attrs["retracted"] = notice == "retracted"
        node_rows.append(attrs)
    _unify(node_rows, "node")
    for attrs, node in zip(node_rows, order, strict=True):
        label = attrs.get("label")
        attrs["label"] = label if isinstance(label, str) else (_format(label) if label is not None else keys[node])
        name = attrs.get("name")
        attrs["name"] = name if isinstance(name, str) else (_format(name) if name is not None else attrs["label"])

    edge_list: list[tuple[str, str, dict[str, Any]]] = []
    bad_weights = 0
    for u, v, data in G.edges(data=True):
        a, b = keys[u], keys[v]
        if not directed and b < a:
            a, b = b, a
        attrs = _clean_attrs(data, _RESERVED_EDGE)
        weight = attrs.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)):
            bad_weights += weight is not None
            attrs["weight"] = 1
        edge_list.append((a, b, attrs))
    if bad_weights:
        log.warning("%d edges had a weight that is not a number: written with weight 1", bad_weights)
    edge_list.sort(key=lambda e: (e[0], e[1]))
    _unify([attrs for _, _, attrs in edge_list], "edge")

    H: nx.Graph = nx.DiGraph() if directed else nx.Graph()
    for node, attrs in zip(order, node_rows, strict=True):
        H.add_node(keys[node], **attrs)
    H.add_edges_from(edge_list)
    H.graph.update(_clean_attrs(dict(sorted((metadata or {}).items(), key=lambda kv: str(kv[0]))), frozenset()))
    H.graph[_MARK] = True
    return H


def _graph_attrs(H: nx.Graph) -> dict[str, bool | int | float | str]:
    """The graph-level attributes of an :func:`export_graph` copy, by name."""
    return {str(k): v for k, v in sorted(H.graph.items(), key=lambda kv: str(kv[0]))
            if k != _MARK and isinstance(v, (bool, int, float, str))}


def _years_value(years: tuple[int | None, int | None] | None) -> str:
    """``"1990-2020"``, ``"1990-"``, ``"-2020"``; ``"all"`` without a year filter (as ``--years`` is written)."""
    if years is None or years == (None, None):
        return "all"
    lo, hi = years
    return f"{'' if lo is None else lo}-{'' if hi is None else hi}"


def export_metadata(analysis: Analysis, network: str | None = None, *,
                    store: str | os.PathLike[str] | None = None) -> dict[str, bool | int | float | str]:
    """The graph-level attributes of an exported network: what made it, with every option value used.

    ``citegraph_version``; ``network`` (the kind written; default: the
    graph the clusters come from) and ``store`` (the store file's name,
    without its folder); the analysis' ``score``, ``cluster_graph``,
    ``cluster_method``, ``cluster_iterations`` (Leiden's; -1 until stable),
    ``resolution``, ``seed`` and ``reference_year``
    (``"latest"`` when unset); and every selection and graph option
    (:class:`citegraph.graphs.build.GraphOptions`): ``years`` (``"1990-2020"``,
    ``"1990-"``, ``"all"``), ``types`` (comma-joined, or ``"all"``),
    ``min_local_citations``, ``largest_component``, ``stored_only``, ``keep_seeds``,
    ``normalise``, ``min_count``, ``min_weight``, ``top_k`` (0: every link,
    as ``--top-k 0``), ``topic_k``, ``topic_threshold``, ``hybrid_weights``
    (``kind=weight`` pairs, comma-joined); ``options`` is the
    human-readable note of those that differ from their defaults (as in the
    figure captions and the report header), ``"defaults"`` when none do. No
    dates or paths: the same analysis gives the same attributes.

    Examples
    --------
    >>> from citegraph.analysis.pipeline import AnalyseOptions, Analysis, analyse_graph_options
    >>> from dataclasses import replace
    >>> options = AnalyseOptions(graph_options=replace(analyse_graph_options(), years=(2010, 2020), min_count=2))
    >>> G = nx.DiGraph([("10.1/a", "10.1/b")])  # a hand-made two-work analysis
    >>> a = Analysis(options, G, G.to_undirected(), [], [], {}, [], [], [], {}, [], [], {}, {}, [], {})
    >>> meta = export_metadata(a, "cocitation", store="data/citegraph.sqlite")
    >>> meta["network"], meta["store"], meta["years"], meta["min_count"], meta["top_k"]
    ('cocitation', 'citegraph.sqlite', '2010-2020', 2, 20)
    >>> meta["options"]
    'years 2010–2020; co-citation: min-count 2'
    """
    from citegraph.analysis.pipeline import options_note
    from citegraph.graphs.hybrid import DEFAULT_HYBRID_WEIGHTS

    o = analysis.options
    go = o.graph_options
    kind = network or o.graph
    weights = DEFAULT_HYBRID_WEIGHTS if go.hybrid_weights is None else go.hybrid_weights
    meta: dict[str, bool | int | float | str] = {
        "citegraph_version": str(analysis.summary.get("versions", {}).get("citegraph", __version__)
                                 if isinstance(analysis.summary, Mapping) else __version__),
        "network": kind,
        "score": o.score,
        "cluster_graph": o.graph,
        "cluster_method": o.cluster_method,
        "cluster_iterations": int(o.cluster_iterations),
        "resolution": float(o.resolution),
        "seed": int(o.seed),
        "reference_year": "latest" if o.reference_year is None else int(o.reference_year),
        "years": _years_value(go.years),
        "types": ",".join(go.types) if go.types is not None else "all",
        "min_local_citations": int(go.min_local_citations),
        "largest_component": bool(go.largest_component),
        "stored_only": bool(go.stored_only),
        "keep_seeds": bool(go.keep_seeds),
        "normalise": go.normalise,
        "min_count": int(go.min_count),
        "min_weight": float(go.min_weight),
        "top_k": 0 if go.top_k is None else int(go.top_k),
        "topic_k": int(go.topic_k),
        "topic_threshold": float(go.topic_threshold),
        "hybrid_weights": ",".join(f"{k}={v:g}" for k, v in sorted(weights.items())),
        "options": options_note(go, kind) or "defaults",
    }
    if store is not None:
        meta["store"] = Path(store).name
    return dict(sorted(meta.items()))


def _ready(G: nx.Graph) -> nx.Graph:
    return G if G.graph.get(_MARK) else export_graph(G)


def _nodes(H: nx.Graph) -> list[tuple[str, dict[str, Any]]]:
    return sorted(H.nodes(data=True), key=lambda item: item[0])


def _edges(H: nx.Graph) -> list[tuple[str, str, dict[str, Any]]]:
    """Edges sorted by (source, target); undirected edges with source <= target."""
    out = []
    for u, v, data in H.edges(data=True):
        if not H.is_directed() and v < u:
            u, v = v, u
        out.append((u, v, data))
    out.sort(key=lambda e: (e[0], e[1]))
    return out


def _kinds(rows: Iterable[Mapping[str, Any]]) -> dict[str, type]:
    """Attribute name -> its type, names sorted."""
    kinds: dict[str, type] = {}
    for row in rows:
        for name, value in row.items():
            kinds.setdefault(name, type(value))
    return dict(sorted(kinds.items()))


# -- files -----------------------------------------------------------------

def sibling_paths(path: str | os.PathLike[str], *suffixes: str) -> list[Path]:
    """The files a two-file format writes for ``path``: ``STEM + suffix`` in the same folder.

    Examples
    --------
    >>> [str(p) for p in sibling_paths("out/citegraph_vos.txt", "_map.txt", "_network.txt")]
    ['out/citegraph_vos_map.txt', 'out/citegraph_vos_network.txt']
    """
    p = Path(path)
    return [p.with_name(p.stem + suffix) for suffix in suffixes]


def output_paths(fmt: str, path: str | os.PathLike[str]) -> list[Path]:
    """The files :func:`export` writes for format ``fmt`` given ``path`` (two for ``csv`` and ``vosviewer``).

    Examples
    --------
    >>> [str(p) for p in output_paths("csv", "out/g.csv")], [str(p) for p in output_paths("ris", "out/g.ris")]
    (['out/g_nodes.csv', 'out/g_edges.csv'], ['out/g.ris'])
    """
    name = str(fmt).strip().lower()
    if name == "csv":
        return sibling_paths(path, "_nodes.csv", "_edges.csv")
    if name == "vosviewer":
        return sibling_paths(path, "_map.txt", "_network.txt")
    return [Path(path)]


# -- XML formats -------------------------------------------------------------

def _xml_attr(value: str) -> str:
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;"))


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


_GRAPHML_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}
_KEY_ID = re.compile(r"[^A-Za-z0-9_.-]")


def _key_ids(names: Iterable[str], taken: set[str]) -> dict[str, str]:
    """Readable, unique GraphML key ids (XML name tokens) for attribute names."""
    ids = {}
    for name in names:
        base = _KEY_ID.sub("_", name) or "attr"
        kid, n = base, 1
        while kid in taken:
            n += 1
            kid = f"{base}_{n}"
        taken.add(kid)
        ids[name] = kid
    return ids


def write_graphml(G: nx.Graph, path: str | os.PathLike[str]) -> list[Path]:
    """Write ``G`` as GraphML for Gephi, Cytoscape, networkx and igraph.

    The graph goes through :func:`export_graph` first unless it came from
    it. Each attribute is declared once with its type (``boolean``,
    ``long``, ``double`` or ``string``) under a key id named after it (edge
    keys whose name a node key already uses get ``_2``); a value that is
    unknown is absent on that node. Node ids are the DOI keys,
    ``edgedefault`` says whether the graph is directed. Graph-level
    attributes (``metadata`` of :func:`export_graph`, e.g.
    :func:`export_metadata`) are ``<data>`` of the ``<graph>`` element, declared
    ``for="graph"``; ``networkx.read_graphml`` reads them into ``G.graph``.

    Returns
    -------
    list of Path
        ``[path]``.

    Examples
    --------
    >>> import tempfile
    >>> G = nx.DiGraph([("10.1/a", "10.1/b")])   # hand-made example graph
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = write_graphml(G, Path(tmp) / "g.graphml")
    ...     sorted(nx.read_graphml(out[0]).nodes(data="label"))
    [('10.1/a', '10.1/a'), ('10.1/b', '10.1/b')]
    """
    H = _ready(G)
    nodes, edges = _nodes(H), _edges(H)
    node_kinds = _kinds(d for _, d in nodes)
    edge_kinds = _kinds(d for _, _, d in edges)
    taken: set[str] = set()
    node_ids = _key_ids(node_kinds, taken)
    edge_ids = _key_ids(edge_kinds, taken)
    graph_attrs = _graph_attrs(H)
    graph_ids = _key_ids(graph_attrs, taken)
    out = io.StringIO()
    w = out.write
    w("<?xml version='1.0' encoding='utf-8'?>\n")
    w('<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
      'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
      'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n')
    graph_kinds = {name: type(value) for name, value in graph_attrs.items()}
    for domain, kinds, ids in (("node", node_kinds, node_ids), ("edge", edge_kinds, edge_ids),
                               ("graph", graph_kinds, graph_ids)):
        for name, kind in kinds.items():
            w(f'  <key id="{_xml_attr(ids[name])}" for="{domain}" attr.name="{_xml_attr(name)}" '
              f'attr.type="{_GRAPHML_TYPES[kind]}"/>\n')
    w(f'  <graph id="G" edgedefault="{"directed" if H.is_directed() else "undirected"}">\n')
    for name, value in graph_attrs.items():
        w(f'    <data key="{_xml_attr(graph_ids[name])}">{_xml_text(_format(value))}</data>\n')
    for key, data in nodes:
        w(f'    <node id="{_xml_attr(key)}">\n')
        for name in sorted(data):
            w(f'      <data key="{_xml_attr(node_ids[name])}">{_xml_text(_format(data[name]))}</data>\n')
        w("    </node>\n")
    for u, v, data in edges:
        w(f'    <edge source="{_xml_attr(u)}" target="{_xml_attr(v)}">\n')
        for name in sorted(data):
            w(f'      <data key="{_xml_attr(edge_ids[name])}">{_xml_text(_format(data[name]))}</data>\n')
        w("    </edge>\n")
    w("  </graph>\n</graphml>\n")
    return write_text_files([(Path(path), out.getvalue())])


_GEXF_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}
# A qualitative palette (Tableau 20): cluster c gets colour (c - 1) mod 20.
_SIZE_SCORES = ("composite", "pagerank", "citations_local")


def _start_year(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def write_gexf(G: nx.Graph, path: str | os.PathLike[str]) -> list[Path]:
    """Write ``G`` as GEXF 1.3, Gephi's own format, with each node's ``start`` = its publication year.

    Nodes with an integer ``year`` get ``start="YEAR"`` (the graph is then
    ``mode="dynamic"`` with ``timeformat="integer"``), so Gephi's timeline
    shows the literature grow; nodes without a year have no start and are
    always shown. Attributes are declared once each (``long``, ``double``,
    ``boolean``, ``string``); the label is the node's ``label`` attribute.
    When nodes carry an integer ``cluster``, each gets a ``viz:color`` per
    cluster; when they carry a score (``composite``, else ``pagerank``, else
    ``citations_local``), a ``viz:size`` from 4 to 40 by that score. GEXF
    has no graph-level attributes: those of :func:`export_graph`'s
    ``metadata`` (e.g. :func:`export_metadata`) are written as one
    ``name=value | name=value`` line, names sorted, in ``<meta><description>``.

    networkx's own writer is not used: it stamps the date of the day into
    the file, writes ``timeformat="long"`` (not a GEXF 1.3 value) and a
    misspelt XML-Schema namespace, and types an attribute from its first
    value only.

    Examples
    --------
    >>> import tempfile
    >>> G = nx.DiGraph()                         # hand-made example graph
    >>> G.add_node("10.1/a", year=2001)
    >>> G.add_edge("10.1/a", "10.1/b")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = write_gexf(G, Path(tmp) / "g.gexf")
    ...     H = nx.read_gexf(out[0], version="1.3")
    >>> H.nodes["10.1/a"]["start"], "start" in H.nodes["10.1/b"]
    (2001, False)
    """
    H = _ready(G)
    nodes, edges = _nodes(H), _edges(H)
    node_kinds = _kinds({k: v for k, v in d.items() if k != "label"} for _, d in nodes)
    edge_kinds = _kinds({k: v for k, v in d.items() if k != "weight"} for _, _, d in edges)
    node_ids = _key_ids(node_kinds, set())  # GEXF attribute ids are per class
    edge_ids = _key_ids(edge_kinds, set())
    starts = {key: _start_year(d.get("year")) for key, d in nodes}
    dynamic = any(s is not None for s in starts.values())
    coloured = node_kinds.get("cluster") is int
    size_by = next((s for s in _SIZE_SCORES if node_kinds.get(s) in (int, float)), None)
    top = max((abs(float(d[size_by])) for _, d in nodes if size_by in d), default=0.0) if size_by else 0.0

    out = io.StringIO()
    w = out.write
    w("<?xml version='1.0' encoding='utf-8'?>\n")
    w('<gexf xmlns="http://gexf.net/1.3" xmlns:viz="http://gexf.net/1.3/viz" '
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
      'xsi:schemaLocation="http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd" version="1.3">\n')
    w(f"  <meta>\n    <creator>citegraph {_xml_text(__version__)}</creator>\n")
    graph_attrs = _graph_attrs(H)
    if graph_attrs:  # GEXF has no graph attributes: one "name=value | ..." line
        line = " | ".join(f"{name}={_format(value)}" for name, value in graph_attrs.items())
        w(f"    <description>{_xml_text(line)}</description>\n")
    w("  </meta>\n")
    mode = ' mode="dynamic" timeformat="integer"' if dynamic else ' mode="static"'
    w(f'  <graph defaultedgetype="{"directed" if H.is_directed() else "undirected"}"{mode}>\n')
    for cls, kinds, ids in (("node", node_kinds, node_ids), ("edge", edge_kinds, edge_ids)):
        if kinds:
            w(f'    <attributes class="{cls}" mode="static">\n')
            for name, kind in kinds.items():
                w(f'      <attribute id="{_xml_attr(ids[name])}" title="{_xml_attr(name)}" '
                  f'type="{_GEXF_TYPES[kind]}"/>\n')
            w("    </attributes>\n")
    w("    <nodes>\n")
    for key, data in nodes:
        start = starts[key]
        start_attr = f' start="{start}"' if start is not None else ""
        w(f'      <node id="{_xml_attr(key)}" label="{_xml_attr(str(data["label"]))}"{start_attr}>\n')
        values = [(name, data[name]) for name in node_kinds if name in data]
        if values:
            w("        <attvalues>\n")
            for name, value in values:
                w(f'          <attvalue for="{_xml_attr(node_ids[name])}" value="{_xml_attr(_format(value))}"/>\n')
            w("        </attvalues>\n")
        if coloured and "cluster" in data:
            r, g, b = cluster_rgb(int(data["cluster"]))
            w(f'        <viz:color r="{r}" g="{g}" b="{b}"/>\n')
        if size_by is not None:
            score = abs(float(data.get(size_by, 0.0)))
            size = round(4.0 + 36.0 * score / top, 3) if top > 0 else 4.0
            w(f'        <viz:size value="{size!r}"/>\n')
        w("      </node>\n")
    w("    </nodes>\n    <edges>\n")
    for i, (u, v, data) in enumerate(edges):
        w(f'      <edge id="{i}" source="{_xml_attr(u)}" target="{_xml_attr(v)}" '
          f'weight="{_xml_attr(_format(data["weight"]))}"')
        values = [(name, data[name]) for name in edge_kinds if name in data]
        if not values:
            w("/>\n")
            continue
        w(">\n        <attvalues>\n")
        for name, value in values:
            w(f'          <attvalue for="{_xml_attr(edge_ids[name])}" value="{_xml_attr(_format(value))}"/>\n')
        w("        </attvalues>\n      </edge>\n")
    w("    </edges>\n  </graph>\n</gexf>\n")
    return write_text_files([(Path(path), out.getvalue())])


# -- text formats ------------------------------------------------------------

_CSV_NODE_RESERVED = frozenset({"id", "label", "timeset", "interval", "start", "end"})
_CSV_EDGE_RESERVED = frozenset({"id", "label", "source", "target", "type", "weight", "kind", "timeset", "interval",
                                "start", "end"})


def _csv_columns(names: Iterable[str], fixed: Sequence[str], reserved: frozenset[str]) -> list[tuple[str, str]]:
    """(attribute, header) pairs after the fixed columns; names Gephi reads itself get ``_attr``."""
    out = []
    for name in names:
        if name in fixed:
            continue
        out.append((name, f"{name}_attr" if name.lower() in reserved else name))
    return out


def write_csv(G: nx.Graph, path: str | os.PathLike[str]) -> list[Path]:
    """Write ``G`` as the node and edge tables of Gephi's spreadsheet import.

    ``path`` names the pair: ``STEM_nodes.csv`` (``Id,Label,`` then every
    other node attribute, names sorted) and ``STEM_edges.csv``
    (``Source,Target,Type,Weight,`` then every other edge attribute; ``Type``
    is ``Directed`` or ``Undirected``) are written beside it, and ``path``
    itself is not. UTF-8, ``\\n`` line ends, quoted by the csv module where
    needed; booleans as ``true``/``false``, unknown values empty; a text
    cell starting with ``=``, ``+``, ``-`` or ``@`` gets a leading ``'``
    (:func:`citegraph.outputs.text.spreadsheet_cell`), so no spreadsheet
    runs it as a formula. An
    attribute whose name Gephi would take as one of its own columns (``id``,
    ``type``, ``start``...) gets ``_attr`` appended.

    Returns
    -------
    list of Path
        ``[nodes, edges]``.

    Examples
    --------
    >>> import tempfile
    >>> G = nx.DiGraph([("10.1/a", "10.1/b", {"weight": 2})])  # hand-made example graph
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     nodes, edges = write_csv(G, Path(tmp) / "g.csv")
    ...     edges.read_text(encoding="utf-8")
    'Source,Target,Type,Weight\\n10.1/a,10.1/b,Directed,2\\n'
    """
    H = _ready(G)
    nodes, edges = _nodes(H), _edges(H)
    node_cols = _csv_columns(_kinds(d for _, d in nodes), ("label",), _CSV_NODE_RESERVED)
    edge_cols = _csv_columns(_kinds(d for _, _, d in edges), ("weight",), _CSV_EDGE_RESERVED)
    kind = "Directed" if H.is_directed() else "Undirected"

    node_buf = io.StringIO()
    writer = csv.writer(node_buf, lineterminator="\n")
    writer.writerow(["Id", "Label", *(header for _, header in node_cols)])
    for key, data in nodes:
        writer.writerow([_cell(key), _cell(data["label"]), *(_cell(data.get(name)) for name, _ in node_cols)])
    edge_buf = io.StringIO()
    writer = csv.writer(edge_buf, lineterminator="\n")
    writer.writerow(["Source", "Target", "Type", "Weight", *(header for _, header in edge_cols)])
    for u, v, data in edges:
        writer.writerow([_cell(u), _cell(v), kind, _format(data["weight"]),
                         *(_cell(data.get(name)) for name, _ in edge_cols)])
    node_path, edge_path = output_paths("csv", path)
    return write_text_files([(node_path, node_buf.getvalue()), (edge_path, edge_buf.getvalue())])


def _cell(value: Any) -> str:
    """A CSV cell: unknown values empty, numbers as numbers, text neutralised for spreadsheets."""
    if value is None:
        return ""
    return spreadsheet_cell(value) if isinstance(value, str) else _format(value)


def _number(value: bool | int | float | str) -> str:
    """``3`` for 3.0, else the shortest repr."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return _format(value)


def _pajek_name(key: str) -> str:
    """A vertex name safe inside Pajek's double quotes (no quote, no backslash escapes)."""
    return key.replace('"', "'").replace("\\", "/")


def write_pajek(G: nx.Graph, path: str | os.PathLike[str]) -> list[Path]:
    """Write ``G`` as a Pajek ``.net`` file.

    ``*Vertices n``, then one ``i "name"`` line per node (1-based, nodes in
    key order) named by its DOI key, which is unique where labels are not;
    then ``*Arcs`` (directed) or ``*Edges`` with ``i j weight`` lines. In a
    name, ``"`` becomes ``'`` and ``\\`` becomes ``/`` (Pajek has no escapes);
    if that makes two names equal, the later gets `` (2)``, `` (3)``...
    Other attributes are not written: use GraphML or CSV for those.

    Examples
    --------
    >>> import tempfile
    >>> G = nx.DiGraph([("10.1/a", "10.1/b")])   # hand-made example graph
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     print(Path(write_pajek(G, Path(tmp) / "g.net")[0]).read_text(encoding="utf-8"), end="")
    *Vertices 2
    1 "10.1/a"
    2 "10.1/b"
    *Arcs
    1 2 1
    """
    H = _ready(G)
    nodes, edges = _nodes(H), _edges(H)
    index: dict[str, int] = {}
    names: set[str] = set()
    lines = [f"*Vertices {len(nodes)}"]
    for i, (key, _) in enumerate(nodes, start=1):
        index[key] = i
        name, n = _pajek_name(key), 1
        while name in names:
            n += 1
            name = f"{_pajek_name(key)} ({n})"
        if n > 1:
            log.warning("Pajek vertex %d: %r named %r to stay unique", i, key, name)
        names.add(name)
        lines.append(f'{i} "{name}"')
    lines.append("*Arcs" if H.is_directed() else "*Edges")
    for u, v, data in edges:
        lines.append(f"{index[u]} {index[v]} {_number(data['weight'])}")
    return write_text_files([(Path(path), "\n".join(lines) + "\n")])


def write_json(G: nx.Graph, path: str | os.PathLike[str]) -> list[Path]:
    """Write ``G`` as node-link JSON (``networkx.node_link_data(G, edges="links")``).

    Nodes sorted by ``id``, links by ``(source, target)``, keys sorted,
    graph-level attributes (:func:`export_graph`'s ``metadata``) in
    ``graph``, UTF-8 (not ``\\u`` escapes); read it back with
    ``networkx.node_link_graph(data, edges="links")``.

    Examples
    --------
    >>> import tempfile
    >>> G = nx.DiGraph([("10.1/a", "10.1/b")])   # hand-made example graph
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     data = json.loads(write_json(G, Path(tmp) / "g.json")[0].read_text(encoding="utf-8"))
    >>> sorted(nx.node_link_graph(data, edges="links").edges)
    [('10.1/a', '10.1/b')]
    """
    H = _ready(G)
    data = {
        "directed": bool(H.is_directed()),
        "multigraph": False,
        "graph": _graph_attrs(H),
        "nodes": [{**d, "id": key} for key, d in _nodes(H)],
        "links": [{**d, "source": u, "target": v} for u, v, d in _edges(H)],
    }
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1) + "\n"
    return write_text_files([(Path(path), text)])


# VOSviewer columns: (attribute, header). Weights size the items, scores colour the overlay visualisation.
_VOS_WEIGHTS = (("citations_local", "weight<Citations>"), ("citations_global", "weight<Global citations>"))
_VOS_SCORES = (("year", "score<Year>"), ("composite", "score<Composite score>"), ("pagerank", "score<PageRank>"))


def _vos_field(text: str) -> str:
    """A map-file cell: no tab or line break, ``"`` as ``'``, no formula start (:func:`spreadsheet_cell`),
    quoted when it holds ``,`` or ``;``."""
    text = spreadsheet_cell(" ".join(text.split()).replace('"', "'"))
    return f'"{text}"' if ("," in text or ";" in text) else text


def doi_url(doi: str) -> str:
    """``https://doi.org/`` + the DOI, every character but letters, digits, ``-._~/()`` percent-encoded.

    Examples
    --------
    >>> doi_url("10.1002/(SICI)1097<1>;2-#")
    'https://doi.org/10.1002/(SICI)1097%3C1%3E%3B2-%23'
    """
    return "https://doi.org/" + quote(doi, safe="/()")


def write_vosviewer(G: nx.Graph, path: str | os.PathLike[str]) -> list[Path]:
    """Write ``G`` as a VOSviewer map file and network file.

    For VOSviewer's *Create a map based on network data*. ``path`` names
    the pair: ``STEM_map.txt`` and ``STEM_network.txt`` are written beside
    it, and ``path`` itself is not. Both are tab-separated UTF-8 text.

    Map file: a header line, then one line per node (in key order) with
    ``id`` (1..n), ``label``, ``description`` (title, journal and year as
    escaped HTML; a work an editorial notice flags starts with
    ``RETRACTED``, ``Expression of concern`` or ``Corrected``), ``url`` (``https://doi.org/...``), ``cluster`` (only
    when every node has an integer cluster in 1..1000, VOSviewer's range),
    ``weight<Citations>`` (``citations_local``) and ``weight<Global
    citations>`` (``citations_global``), unknown weights 0, and
    ``score<Year>``, ``score<Composite score>``, ``score<PageRank>``,
    unknown scores empty; each weight or score column only when some node
    has it. Labels and descriptions holding a comma or semicolon are
    enclosed in double quotes, as VOSviewer requires; a ``"`` inside
    becomes ``'``; one starting with ``=``, ``+``, ``-`` or ``@`` gets a
    leading ``'`` (:func:`citegraph.outputs.text.spreadsheet_cell`).

    Network file: no header, one ``id1<TAB>id2<TAB>strength`` line per
    linked pair with ``id1 < id2`` (links are undirected in VOSviewer: the
    weights of ``a -> b`` and ``b -> a`` are added), sorted; self-loops and
    links with a strength not above 0 are left out (VOSviewer needs a
    positive strength).

    Returns
    -------
    list of Path
        ``[map, network]``.

    Examples
    --------
    >>> import tempfile
    >>> G = nx.DiGraph([("10.1/a", "10.1/b"), ("10.1/b", "10.1/a")])   # hand-made example graph
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     vmap, net = write_vosviewer(G, Path(tmp) / "v.txt")
    ...     vmap.read_text(encoding="utf-8").splitlines()[0], net.read_text(encoding="utf-8")
    ('id\\tlabel\\tdescription\\turl', '1\\t2\\t2\\n')
    """
    H = _ready(G)
    nodes = _nodes(H)
    kinds = _kinds(d for _, d in nodes)
    ids = {key: i for i, (key, _) in enumerate(nodes, start=1)}
    with_cluster = bool(nodes) and all(
        isinstance(d.get("cluster"), int) and not isinstance(d.get("cluster"), bool) and 1 <= d["cluster"] <= 1000
        for _, d in nodes)
    if "cluster" in kinds and not with_cluster:
        log.warning("VOSviewer map without clusters: every item needs an integer cluster from 1 to 1000")
    weights = [(a, h) for a, h in _VOS_WEIGHTS if kinds.get(a) in (int, float)]
    scores = [(a, h) for a, h in _VOS_SCORES if kinds.get(a) in (int, float)]
    header = ["id", "label", "description", "url", *(["cluster"] if with_cluster else []),
              *(h for _, h in weights), *(h for _, h in scores)]
    lines = ["\t".join(header)]
    for key, d in nodes:
        described = [str(d["title"])] if isinstance(d.get("title"), str) else []
        where = " ".join(_number(d[a]) if a == "year" else _format(d[a]) for a in ("journal", "year") if a in d)
        if where:
            described.append(where)
        flag = d.get("notice")
        if flag in _NOTICES:  # a flagged work says so first: "RETRACTED", "Expression of concern", "Corrected"
            described.insert(0, "RETRACTED" if flag == "retracted" else NOTICE_LABELS[flag])
        description = "<br>".join(html.escape(part, quote=False) for part in described)
        doi = str(d.get("doi", key))
        row = [str(ids[key]), _vos_field(str(d["label"])), _vos_field(description), doi_url(doi) if is_doi_key(doi)
               else ""]
        if with_cluster:
            row.append(str(d["cluster"]))
        row.extend(_number(max(float(d[a]), 0.0)) if a in d else "0" for a, _ in weights)
        row.extend(_number(d[a]) if a in d else "" for a, _ in scores)
        lines.append("\t".join(row))
    strength: dict[tuple[int, int], float] = defaultdict(float)
    for u, v, data in _edges(H):
        if u != v:
            i, j = sorted((ids[u], ids[v]))
            strength[i, j] += float(data["weight"])
    links = [f"{i}\t{j}\t{_number(s)}" for (i, j), s in sorted(strength.items()) if s > 0]
    if len(links) < len(strength):
        log.warning("%d VOSviewer links without a positive strength left out", len(strength) - len(links))
    map_path, network_path = output_paths("vosviewer", path)
    network = "".join(line + "\n" for line in links)
    return write_text_files([(map_path, "\n".join(lines) + "\n"), (network_path, network)])


# -- BibTeX and RIS ------------------------------------------------------------

#: Crossref type -> (BibTeX entry type, RIS type). Types not listed are ``@misc`` / ``GEN``.
CROSSREF_TYPES: dict[str, tuple[str, str]] = {
    "journal-article": ("article", "JOUR"),
    "book": ("book", "BOOK"),
    "edited-book": ("book", "BOOK"),
    "monograph": ("book", "BOOK"),
    "reference-book": ("book", "BOOK"),
    "book-chapter": ("incollection", "CHAP"),
    "book-section": ("incollection", "CHAP"),
    "book-part": ("incollection", "CHAP"),
    "proceedings-article": ("inproceedings", "CPAPER"),
    "dissertation": ("phdthesis", "THES"),
    "report": ("techreport", "RPRT"),
}

_FOLD = str.maketrans({"ß": "ss", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "æ": "ae", "Æ": "ae", "œ": "oe",
                       "Œ": "oe", "đ": "d", "Đ": "d", "þ": "th", "Þ": "th", "ð": "d", "ı": "i"})
_STOPWORDS = frozenset("a an the on of from in for to and with at by as is are via into about".split())


def _fold(text: str) -> str:
    """ASCII letters and digits only, lower case: ``"Müller-Łęcki"`` -> ``"mullerlecki"``."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return re.sub(r"[^a-z0-9]", "", decomposed.encode("ascii", "ignore").decode("ascii").lower())


@dataclass
class _Person:
    family: str | None = None
    given: str | None = None
    suffix: str | None = None
    organisation: str | None = None


@dataclass
class _Reference:
    """What BibTeX and RIS need of one work."""

    doi: str
    resolved: bool
    kind: str | None = None
    authors: list[_Person] = field(default_factory=list)
    title: str | None = None
    container: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    year: int | None = None
    publisher: str | None = None
    institution: str | None = None
    issn: list[str] = field(default_factory=list)
    isbn: list[str] = field(default_factory=list)
    abstract: str | None = None
    key: str = ""
    note: str | None = None  # the work's editorial notices (:func:`citegraph.analysis.notices.notice_note`)


def _first_text(value: Any) -> str | None:
    if isinstance(value, str):
        return _text(value) or None
    if isinstance(value, list):
        for item in value:
            text = _first_text(item)
            if text:
                return text
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _texts(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return list(dict.fromkeys(t for t in (_first_text(v) for v in items) if t))


def _from_record(key: str, work: Mapping[str, Any]) -> _Reference:
    try:
        raw = json.loads(work.get("raw_json") or "{}")
    except ValueError:
        raw = {}
    if not isinstance(raw, dict):
        raw = {}
    if isinstance(raw.get("record"), dict) and "format" in raw:
        return _from_imported(key, work)
    ref = _Reference(doi=_text(str(raw.get("DOI") or work.get("doi_original") or key)), resolved=True)
    ref.kind = _first_text(raw.get("type")) or work.get("type")
    for person in raw.get("author") or []:
        if not isinstance(person, Mapping):
            continue
        family, given = _first_text(person.get("family")), _first_text(person.get("given"))
        suffix, name = _first_text(person.get("suffix")), _first_text(person.get("name"))
        if family or given:
            ref.authors.append(_Person(family=family, given=given, suffix=suffix))
        elif name:
            ref.authors.append(_Person(organisation=name))
    title = _first_text(raw.get("title")) or work.get("title")
    ref.title = (strip_markup(title) or None) if title else None
    container = _first_text(raw.get("container-title"))
    ref.container = (strip_markup(container) or None) if container else None
    ref.volume = _first_text(raw.get("volume"))
    ref.issue = _first_text(raw.get("issue"))
    ref.pages = _first_text(raw.get("page"))
    ref.year = record_year(raw) if raw else work.get("year")
    ref.publisher = _first_text(raw.get("publisher"))
    institutions = [i.get("name") for i in raw.get("institution") or [] if isinstance(i, Mapping)]
    ref.institution = _first_text(institutions)
    ref.issn = _texts(raw.get("ISSN") or [])
    ref.isbn = _texts(raw.get("ISBN") or [])
    abstract = raw.get("abstract") if isinstance(raw.get("abstract"), str) else work.get("abstract")
    ref.abstract = (strip_markup(abstract, abstract=True) or None) if abstract else None
    return ref


def _from_imported(key: str, work: Mapping[str, Any]) -> _Reference:
    """A work imported from a database export: its stored columns (the export's own record is in ``raw_json``).

    ``doi`` is the DOI, or the database's identifier (``wos:...``) for a record without one (then no DOI
    field is written).
    """
    ref = _Reference(doi=_text(str(work.get("doi_original") if is_doi_key(key) else key)), resolved=True)
    ref.kind = work.get("type")
    for name in work.get("authors") or []:
        family, _, given = str(name).partition(",")
        ref.authors.append(_Person(family=_text(family) or None, given=_text(given) or None))
    ref.title = (strip_markup(work["title"]) or None) if work.get("title") else None
    ref.container = (strip_markup(work["container"]) or None) if work.get("container") else None
    ref.volume = work.get("volume")
    ref.pages = work.get("page")
    ref.year = work.get("year")
    ref.abstract = (strip_markup(work["abstract"], abstract=True) or None) if work.get("abstract") else None
    return ref


def _from_node(key: str, data: Mapping[str, Any]) -> _Reference:
    ref = _Reference(doi=_text(str(data.get("doi") or key)), resolved=False)
    title, journal, year = data.get("title"), data.get("journal"), data.get("year")
    ref.title = (strip_markup(title) or None) if isinstance(title, str) else None
    ref.container = (strip_markup(journal) or None) if isinstance(journal, str) else None
    ref.year = year if isinstance(year, int) and not isinstance(year, bool) else None
    return ref


def _lead(ref: _Reference) -> str:
    """Folded family name (or first word of an organisation) of the first author; ``anon`` without one."""
    if not ref.authors:
        return "anon"
    lead = ref.authors[0]
    name = lead.organisation.split()[0] if lead.organisation else (lead.family or lead.given or "")
    return _fold(name)[:20] or "anon"


def _base_key(ref: _Reference) -> str:
    if not ref.resolved:
        return ("doi" + re.sub(r"[^a-z0-9]+", "_", _fold_keep(ref.doi.lower())).strip("_"))[:64]
    words = [w for w in re.split(r"[^a-z0-9]+", _fold_keep((ref.title or "").lower())) if w]
    word = next((w for w in words if w not in _STOPWORDS), words[0] if words else "")
    return f"{_lead(ref)}{ref.year if ref.year is not None else 'nd'}{word[:20]}"


def _fold_keep(text: str) -> str:
    """ASCII-fold, keeping punctuation (as separators for the caller to split on)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def _suffix(n: int) -> str:
    """0 -> a, 25 -> z, 26 -> aa, ..."""
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(97 + r) + out
    return out


def _assign_keys(refs: Sequence[_Reference]) -> None:
    bases = [_base_key(r) for r in refs]
    counts = Counter(bases)
    taken = {b for b in bases if counts[b] == 1}
    next_n: dict[str, int] = defaultdict(int)
    for ref, base in zip(refs, bases, strict=True):
        if counts[base] == 1:
            ref.key = base
            continue
        while True:
            key = base + _suffix(next_n[base])
            next_n[base] += 1
            if key not in taken:
                break
        taken.add(key)
        ref.key = key


def _references(store: Store, keys: Iterable[str], graph: nx.Graph | None) -> list[_Reference]:
    refs: list[_Reference] = []
    seen: set[str] = set()
    minimal = 0
    keys = [str(k).strip() for k in keys]
    notices = store.notices({k for key in keys for k in (key, key.lower())})  # one read, for every work
    for key in keys:
        k = str(key).strip()
        if not k or k.lower() in seen:
            continue
        seen.add(k.lower())
        note = notice_note(notices.get(k) or notices.get(k.lower()) or ()) or None
        work = store.work(k) or store.work(k.lower())
        if work is not None:
            refs.append(_from_record(k, work))
            refs[-1].note = note
            continue
        node: Mapping[str, Any] = {}
        if graph is not None:
            node = graph.nodes[k] if k in graph else graph.nodes[k.lower()] if k.lower() in graph else {}
        refs.append(_from_node(k, node))
        refs[-1].note = note
        minimal += 1
    if minimal:
        log.info("%d of %d works have no stored record: written as minimal entries (DOI%s)",
                 minimal, len(refs), ", title, year from the graph" if graph is not None else " only")
    _assign_keys(refs)
    return refs


def citation_keys(store: Store, keys: Iterable[str], *, graph: nx.Graph | None = None) -> dict[str, str]:
    """DOI (as in the entry) -> citation key, as :func:`write_bibtex` and :func:`write_ris` assign them.

    A key is ``familyYEARword``, ASCII-folded: the first author's family
    name (first word of an organisation's name; ``anon`` when none), the
    year (``nd`` when unknown) and the first title word that is not a
    function word (*a, the, of, from...*), each part at most 20 characters.
    When several works get the same key, each gets ``a``, ``b``, ... in the
    order given. Works without a stored record get a key from the DOI
    (``doi10_1000_xyz``).

    Examples
    --------
    >>> from citegraph.store.records import parse_work
    >>> with Store(":memory:") as s:          # hand-made example records
    ...     _ = s.add_works([parse_work({"DOI": f"10.1/{i}", "title": ["From noise to signal"],
    ...                                  "author": [{"family": "Müller", "given": "J"}],
    ...                                  "issued": {"date-parts": [[2018]]}}, source="t") for i in "ab"])
    ...     citation_keys(s, ["10.1/b", "10.1/a", "10.9/zz"])
    {'10.1/b': 'muller2018noisea', '10.1/a': 'muller2018noiseb', '10.9/zz': 'doi10_9_zz'}
    """
    return {ref.doi: ref.key for ref in _references(store, keys, graph)}


_BIB_ESCAPES = str.maketrans({
    "\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}", "&": r"\&", "%": r"\%",
    "$": r"\$", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
})


def bibtex_escape(text: str) -> str:
    """A BibTeX field value: cleaned, one line, LaTeX specials escaped, braces always balanced.

    ``& % $ # _`` get a backslash; ``\\ { } ~ ^`` become ``\\textbackslash{}``,
    ``\\textbraceleft{}``, ``\\textbraceright{}``, ``\\textasciitilde{}``,
    ``\\textasciicircum{}`` (a literal brace would unbalance the entry);
    non-ASCII text stays as UTF-8, which biber and Zotero read.

    Examples
    --------
    >>> print(bibtex_escape("R&D: 50% of $x_1$ {sic} ~ #1"))
    R\\&D: 50\\% of \\$x\\_1\\$ \\textbraceleft{}sic\\textbraceright{} \\textasciitilde{} \\#1
    """
    return _text(text).translate(_BIB_ESCAPES)


def _bib_verbatim(text: str) -> str:
    """A DOI for a verbatim field: as is, but ``{ } \\`` percent-encoded (never seen in real DOIs)."""
    return _text(text).replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")


def _bib_name_part(text: str) -> str:
    escaped = bibtex_escape(text)
    return f"{{{escaped}}}" if ("," in text or re.search(r"\band\b", text, re.I)) else escaped


def _bib_person(p: _Person) -> str:
    if p.organisation:
        return f"{{{bibtex_escape(p.organisation)}}}"
    if not p.family:
        return f"{{{bibtex_escape(p.given or '')}}}"
    parts = [_bib_name_part(p.family)]
    if p.suffix:
        parts.append(_bib_name_part(p.suffix))
    if p.given:
        parts.append(_bib_name_part(p.given))
    return ", ".join(parts)


def _pages(pages: str) -> tuple[str, str | None]:
    first, _, last = re.sub(r"\s*[-\u2010-\u2015]+\s*", "-", pages).partition("-")
    return first, (last or None)


def _bibtex_entry(ref: _Reference) -> str:
    entry = CROSSREF_TYPES.get(ref.kind or "", ("misc", "GEN"))[0] if ref.resolved else "misc"
    fields: list[tuple[str, str]] = []
    if ref.authors:
        fields.append(("author", " and ".join(_bib_person(p) for p in ref.authors)))
    if ref.title:
        fields.append(("title", bibtex_escape(ref.title)))
    container_field = {"article": "journal", "incollection": "booktitle", "inproceedings": "booktitle",
                       "misc": "howpublished"}.get(entry)  # a book's or thesis's container (a series) is left out
    if ref.container and container_field:
        fields.append((container_field, bibtex_escape(ref.container)))
    for name, value in (("volume", ref.volume), ("number", ref.issue)):
        if value:
            fields.append((name, bibtex_escape(value)))
    if ref.pages:
        first, last = _pages(ref.pages)
        fields.append(("pages", bibtex_escape(f"{first}--{last}" if last else first)))
    if ref.year is not None:
        fields.append(("year", str(ref.year)))
    if entry == "phdthesis" and (ref.institution or ref.publisher):
        fields.append(("school", bibtex_escape(ref.institution or ref.publisher or "")))
    elif entry == "techreport" and (ref.institution or ref.publisher):
        fields.append(("institution", bibtex_escape(ref.institution or ref.publisher or "")))
    elif ref.publisher:
        fields.append(("publisher", bibtex_escape(ref.publisher)))
    if ref.issn:
        fields.append(("issn", bibtex_escape(", ".join(ref.issn))))
    if ref.isbn:
        fields.append(("isbn", bibtex_escape(", ".join(ref.isbn))))
    if is_doi_key(ref.doi):
        fields.append(("doi", _bib_verbatim(ref.doi)))
        fields.append(("url", doi_url(ref.doi)))
    if ref.note:
        fields.append(("note", bibtex_escape(ref.note)))
    if ref.abstract:
        fields.append(("abstract", bibtex_escape(ref.abstract)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{entry}{{{ref.key},\n{body}\n}}\n"


def write_bibtex(store: Store, keys: Iterable[str], path: str | os.PathLike[str], *,
                 graph: nx.Graph | None = None) -> list[Path]:
    """Write the works ``keys`` (DOI keys, in ranking order) as BibTeX for Zotero and other reference managers.

    Entries come from the stored Crossref records: authors (``Family, Given``;
    organisations in braces), title and abstract without JATS markup,
    journal or book title, volume, number, pages (``12--19``), year,
    publisher (``school`` for theses, ``institution`` for reports), ISSN,
    ISBN, DOI and URL. Crossref types map to ``@article``, ``@book``,
    ``@incollection``, ``@inproceedings``, ``@phdthesis``, ``@techreport``
    (:data:`CROSSREF_TYPES`), anything else to ``@misc``. Citation keys as
    in :func:`citation_keys`. Values are escaped with :func:`bibtex_escape`;
    the ``doi`` and ``url`` fields are verbatim (URL percent-encoded). A
    work an editorial notice flags gets a ``note``: ``Retracted
    (retraction-watch, 2024-03-05; notice 10.xxx)``, ``Expression of concern
    (publisher, ...)``, ``Corrected (...)``
    (:func:`citegraph.analysis.notices.notice_note`, read from the store's
    notices, merged duplicates counted for their canonical work).

    A key without a stored record becomes a minimal ``@misc`` entry with its
    DOI (and the title, journal and year of its node when ``graph`` is
    given); repeated keys are written once.

    Examples
    --------
    >>> import tempfile
    >>> from citegraph.store.records import parse_work
    >>> with Store(":memory:") as s, tempfile.TemporaryDirectory() as tmp:   # hand-made example record
    ...     _ = s.add_works([parse_work({"DOI": "10.1/A", "type": "journal-article", "title": ["Noise in R&D"],
    ...                                  "author": [{"family": "Doe", "given": "Jane"}]}, source="t")])
    ...     print(write_bibtex(s, ["10.1/a"], Path(tmp) / "r.bib")[0].read_text(encoding="utf-8"), end="")
    @article{doendnoise,
      author = {Doe, Jane},
      title = {Noise in R\\&D},
      doi = {10.1/A},
      url = {https://doi.org/10.1/A}
    }
    """
    refs = _references(store, keys, graph)
    text = "\n".join(_bibtex_entry(ref) for ref in refs)
    return write_text_files([(Path(path), text)])


def _ris_person(p: _Person) -> str:
    """``Family, Given, Suffix`` (RIS order), an organisation's name as is."""
    if p.organisation:
        return p.organisation
    if not p.family:
        return p.given or ""
    return ", ".join([p.family, p.given or "", p.suffix] if p.suffix else [p.family, *([p.given] if p.given else [])])


def _ris_entry(ref: _Reference) -> str:
    kind = CROSSREF_TYPES.get(ref.kind or "", ("misc", "GEN"))[1] if ref.resolved else "GEN"
    tags: list[tuple[str, str | None]] = [("TY", kind), ("ID", ref.key)]
    tags.extend(("AU", _ris_person(p)) for p in ref.authors)
    tags.append(("TI", ref.title))
    tags.append(("T2", ref.container))
    tags.extend([("VL", ref.volume), ("IS", ref.issue)])
    if ref.pages:
        first, last = _pages(ref.pages)
        tags.extend([("SP", first), ("EP", last)])
    tags.append(("PY", str(ref.year) if ref.year is not None else None))
    tags.append(("PB", ref.institution if kind == "THES" and ref.institution else ref.publisher))
    tags.append(("SN", ", ".join(ref.issn + ref.isbn) or None))
    if is_doi_key(ref.doi):
        tags.extend([("DO", ref.doi), ("UR", doi_url(ref.doi))])
    tags.append(("N1", ref.note))
    tags.append(("AB", ref.abstract))
    lines = [f"{tag}  - {_text(value)}" for tag, value in tags if value and _text(value)]
    return "\n".join(lines) + "\nER  - \n"


def write_ris(store: Store, keys: Iterable[str], path: str | os.PathLike[str], *,
              graph: nx.Graph | None = None) -> list[Path]:
    """Write the works ``keys`` (DOI keys, in ranking order) as RIS for Zotero, EndNote and Mendeley.

    One record per work: ``TY`` first (``JOUR``, ``BOOK``, ``CHAP``,
    ``CPAPER``, ``THES``, ``RPRT``, else ``GEN``; :data:`CROSSREF_TYPES`),
    ``ID`` (the BibTeX citation key), one ``AU`` per author, ``TI``, ``T2``,
    ``VL``, ``IS``, ``SP``/``EP``, ``PY``, ``PB``, ``SN``, ``DO``, ``UR``,
    ``N1`` (the editorial notices of a flagged work, worded as BibTeX's
    ``note``: ``Retracted (retraction-watch, 2024-03-05; notice 10.xxx)``),
    ``AB``, and ``ER`` last; one tag per line, no line break inside a value,
    a blank line between records. Works without a stored record become a
    minimal ``GEN`` record, as in :func:`write_bibtex`.

    Examples
    --------
    >>> import tempfile
    >>> with Store(":memory:") as s, tempfile.TemporaryDirectory() as tmp:
    ...     write_ris(s, ["10.1/x"], Path(tmp) / "r.ris")[0].read_text(encoding="utf-8").splitlines()
    ['TY  - GEN', 'ID  - doi10_1_x', 'DO  - 10.1/x', 'UR  - https://doi.org/10.1/x', 'ER  - ']
    """
    refs = _references(store, keys, graph)
    text = "\n".join(_ris_entry(ref) for ref in refs)
    return write_text_files([(Path(path), text)])


# -- dispatcher --------------------------------------------------------------

def export(fmt: str, path: str | os.PathLike[str], *, graph: nx.Graph | None = None, store: Store | None = None,
           keys: Iterable[str] | None = None) -> list[Path]:
    """Write one export format; returns the files written.

    Parameters
    ----------
    fmt : str
        One of :data:`EXPORT_FORMATS` (case-insensitive).
    path : str or Path
        The file to write (for ``csv`` and ``vosviewer`` the pair beside it,
        see :func:`sibling_paths`).
    graph : networkx.Graph, optional
        Needed by the graph formats (prepared with :func:`export_graph` when
        it was not); for BibTeX/RIS it describes works without a record.
    store : Store, optional
        Needed by ``bibtex`` and ``ris``.
    keys : iterable of str, optional
        The works for ``bibtex`` and ``ris``, in order; default: every
        stored work, by DOI.

    Raises
    ------
    UsageError
        An unknown format (the message lists the valid ones), a missing
        graph or store, or a file that cannot be written.

    Examples
    --------
    >>> export("svg", "x.svg", graph=nx.Graph())
    Traceback (most recent call last):
    ...
    citegraph.errors.UsageError: unknown export format 'svg': use one of graphml, gexf, csv, pajek, json, \
vosviewer, bibtex, ris
    """
    name = str(fmt).strip().lower()
    if name not in EXPORT_FORMATS:
        raise UsageError(f"unknown export format {fmt!r}: use one of {', '.join(EXPORT_FORMATS)}")
    if name in REFERENCE_FORMATS:
        if store is None:
            raise UsageError(f"export format {name!r} needs a store to read the records from")
        chosen = list(keys) if keys is not None else [w["doi"] for w in store.works()]
        writer = write_bibtex if name == "bibtex" else write_ris
        return writer(store, chosen, path, graph=graph)
    if graph is None:
        raise UsageError(f"export format {name!r} needs a graph")
    writers = {"graphml": write_graphml, "gexf": write_gexf, "csv": write_csv, "pajek": write_pajek,
               "json": write_json, "vosviewer": write_vosviewer}
    return writers[name](_ready(graph), path)
