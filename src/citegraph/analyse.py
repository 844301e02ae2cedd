"""One analysis, end to end: what ``citegraph analyse`` computes and writes.

:func:`analyse` reads a store and answers which works matter in the
literature and why: rankings (:mod:`citegraph.rank`), clusters with labels
(:mod:`citegraph.clusters`), citation bursts, reference publication year
spectroscopy and main paths (:mod:`citegraph.timeline`), and indicators
(:mod:`citegraph.indicators`). :func:`write_outputs` saves

- ``rankings.csv``: one row per work, sorted by the chosen score then DOI;
- ``clusters.csv``: one row per cluster (label terms, size, years, central works);
- ``bursts.csv``: citation bursts (work, first and last year, strength);
- ``rpys.csv``: cited references per publication year, 5-year median,
  deviation, peaks and the works behind each peak;
- ``main_path.csv``: the global and key-route main paths, edge by edge, in
  the direction knowledge flows (cited -> citing), with SPC weights;
- ``summary.json``: parameters, versions, counts, coverage, publications per
  year, indicators.

Files are sorted and carry no timestamps, so the same store and options give
byte-identical files.
"""

from __future__ import annotations

import csv
import importlib.metadata
import io
import json
import logging
import platform
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from citegraph._version import __version__
from citegraph.clusters import cluster_table, find_clusters
from citegraph.coverage import coverage_report
from citegraph.errors import UsageError
from citegraph.files import write_text_files
from citegraph.graphs import GRAPH_KINDS, GraphOptions, build_graph, citation_graph, topic_documents
from citegraph.indicators import indicators
from citegraph.rank import PAGERANK_NOTE, SCORES, RankOptions, rank_works
from citegraph.store import Store
from citegraph.timeline import (
    Burst,
    RPYSRow,
    citation_bursts,
    main_path_analysis,
    peak_works,
    publications_per_year,
    reference_years_from_store,
    rpys,
    rpys_peaks,
)
from citegraph.topics import fit_topics

__all__ = ["ANALYSE_TOP_K", "AnalyseOptions", "Analysis", "OUTPUT_FILES", "analyse", "analyse_graph_options",
           "write_outputs"]

log = logging.getLogger(__name__)

#: Co-citation and coupling links kept per work in the graph ``analyse`` clusters (see :class:`AnalyseOptions`).
ANALYSE_TOP_K = 20

OUTPUT_FILES = ("rankings.csv", "clusters.csv", "bursts.csv", "rpys.csv", "main_path.csv", "summary.json")


def analyse_graph_options() -> GraphOptions:
    """The graph options of ``citegraph analyse``: :class:`~citegraph.graphs.GraphOptions` with ``top_k`` =
    :data:`ANALYSE_TOP_K`.

    Examples
    --------
    >>> analyse_graph_options().top_k, analyse_graph_options().normalise
    (20, 'cosine')
    """
    return GraphOptions(top_k=ANALYSE_TOP_K)


@dataclass(frozen=True)
class AnalyseOptions:
    """The options of ``citegraph analyse``.

    ``graph`` is the graph the clusters are found in (``hybrid`` by default,
    so works without open references join by topic); rankings are always
    computed on the citation graph.

    ``graph_options`` default to :func:`analyse_graph_options`: co-citation
    and coupling keep each work's :data:`ANALYSE_TOP_K` (20) strongest
    links (by cosine weight; a link stays when either end keeps it), a
    k-nearest-neighbour sparsification of the graph the clusters are found
    in, as the topic graph already is (``topic_k`` 10). Unbounded, both grow
    with the square of the works (12.4 million coupling pairs at 10^5
    SYNTHETIC references: the hybrid graph outgrew 6 GB); bounded, each has
    at most 20 links per work on average, about as many as the direct
    citations of works with 20 references. The links dropped are each
    work's weakest: on the 50 commonmeta records the clusters are the same
    either way. ``citegraph graph`` still keeps every pair unless
    ``--top-k`` says otherwise; ``summary.json`` records the value used
    (``parameters.graph_options.top_k``).

    Examples
    --------
    >>> AnalyseOptions().graph_options.top_k
    20
    """

    graph: str = "hybrid"
    score: str = "composite"
    top: int = 20
    cluster_method: str = "louvain"
    resolution: float = 1.0
    seed: int = 0
    reference_year: int | None = None
    burst_s: float = 2.0
    burst_gamma: float = 1.0
    burst_min_citations: int = 3
    rpys_window: int = 5
    key_routes: int = 3
    graph_options: GraphOptions = field(default_factory=analyse_graph_options)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        d = asdict(self)
        d["graph_options"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in d["graph_options"].items()}
        return d


@dataclass
class Analysis:
    """Everything :func:`analyse` computed (tables as lists of dicts)."""

    options: AnalyseOptions
    citation: nx.DiGraph
    graph: nx.Graph
    rankings: list[dict[str, Any]]
    clusters: list[dict[str, Any]]
    cluster_of: dict[str, int]
    bursts: list[Burst]
    rpys: list[RPYSRow]
    peaks: list[int]
    peak_works: dict[int, list[tuple[str, int]]]
    main_path: list[str]
    key_routes: list[tuple[str, str]]
    spc: dict[tuple[str, str], int]
    indicators: dict[str, Any]
    publications: list[tuple[int, int]]
    summary: dict[str, Any]


def _check(o: AnalyseOptions) -> None:
    if o.graph not in GRAPH_KINDS:
        raise UsageError(f"graph kind {o.graph!r} is not one of {', '.join(GRAPH_KINDS)}")
    if o.score not in SCORES:
        raise UsageError(f"score {o.score!r} is not one of {', '.join(SCORES)}")
    if o.top < 0:
        raise UsageError(f"top {o.top} must be 0 or more")
    if o.key_routes < 1:
        raise UsageError(f"key routes {o.key_routes} must be at least 1")


def _versions() -> dict[str, str]:
    out = {"citegraph": __version__, "python": platform.python_version()}
    for dist in ("networkx", "numpy", "scipy", "scikit-learn", "habanero", "igraph"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def analyse(store: Store, options: AnalyseOptions | None = None) -> Analysis:
    """Rank, cluster and date the literature in a store.

    Raises
    ------
    UsageError
        Bad options, or an empty store.
    """
    o = options or AnalyseOptions()
    _check(o)
    works = _indicator_works(store)
    if not works:
        raise UsageError(f"the store {store.display_path} holds no works yet: run `citegraph fetch` first")
    citation = citation_graph(store)
    model = fit_topics(topic_documents(store, citation))
    graph = build_graph(store, o.graph, o.graph_options, citation=citation, model=model)

    rankings = rank_works(citation, RankOptions(score=o.score, seed=o.seed, reference_year=o.reference_year))
    cluster_of = {str(k): v for k, v in find_clusters(graph, method=o.cluster_method, resolution=o.resolution,
                                                      seed=o.seed).items()}
    key_of = {str(d.get("doi", n)): str(n) for n, d in citation.nodes(data=True)}  # DOI as shown -> node key
    by_key = {key_of.get(row["doi"], row["doi"]): row for row in rankings}
    centrality = {k: float(by_key[k]["composite"]) if k in by_key else 0.0 for k in cluster_of}
    clusters = cluster_table(graph, cluster_of, model=model, centrality=centrality)
    for row in rankings:
        row["cluster"] = cluster_of.get(key_of.get(row["doi"], row["doi"]))

    bursts = citation_bursts(citation, s=o.burst_s, gamma=o.burst_gamma, min_citations=o.burst_min_citations)
    references = reference_years_from_store(store)
    spectrum = rpys([year for year, _, _ in references], window=o.rpys_window)
    peaks = rpys_peaks(spectrum)
    behind = {year: peak_works(references, year) for year in peaks}
    paths = main_path_analysis(citation, k=o.key_routes)  # SPC, the global and the key-route main paths at once
    spc, main, routes = paths.spc, paths.main_path, paths.key_routes
    stats = indicators(citation, works)

    publications = publications_per_year(citation)
    coverage = coverage_report(store)["overall"]
    summary = {
        "parameters": o.as_dict(),
        "versions": _versions(),
        "store": {"works": len(works), **{k: v for k, v in store.counts().items() if k != "runs"}},
        "graph": {"kind": o.graph, "nodes": graph.number_of_nodes(), "edges": graph.number_of_edges()},
        "citation_graph": {"nodes": citation.number_of_nodes(), "edges": citation.number_of_edges()},
        "coverage": coverage,
        "clusters": len(clusters),
        "bursts": len(bursts),
        "publications_per_year": [[year, n] for year, n in publications],
        "rpys_peaks": peaks,
        "main_path_length": len(main),
        "indicators": stats,
        "seeds": sorted(s.doi for s in store.seeds()),
        "notes": [PAGERANK_NOTE,
                  "Clusters come from the " + o.graph + " graph; rankings from the citation graph."],
    }
    return Analysis(o, citation, graph, rankings, clusters, cluster_of, bursts, spectrum, peaks, behind, main,
                    routes, spc, stats, publications, _jsonable(summary))


def _indicator_works(store: Store) -> list[dict[str, Any]]:
    """What :func:`citegraph.indicators.indicators` reads of the stored works (DOI order), and only that: not
    the raw records, abstracts or other columns :meth:`Store.works` would load."""
    rows = store.execute("SELECT doi, year, container, authors FROM works ORDER BY doi")
    return [{"doi": key, "year": year, "container": container, "authors": json.loads(authors)}
            for key, year, container, authors in rows]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        items = [_jsonable(v) for v in value]
        return sorted(items) if isinstance(value, set) else items
    return value


def _csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _cell(row.get(c)) for c in columns])
    return buf.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 8))
    return str(value)


def _node(G: nx.DiGraph, key: str) -> dict[str, Any]:
    d = G.nodes[key] if key in G else {}
    return {"doi": d.get("doi", key), "label": d.get("label", key), "year": d.get("year")}


def write_outputs(analysis: Analysis, out_dir: str | Path) -> list[Path]:
    """Write the tables and ``summary.json`` into ``out_dir``; returns the paths in :data:`OUTPUT_FILES` order.

    Each file is written atomically (:mod:`citegraph.files`): a crash leaves the old file or the new one.
    """
    out = Path(out_dir)
    a = analysis
    ranking_columns = list(a.rankings[0].keys()) if a.rankings else ["rank", "doi"]
    cluster_columns = ["cluster", "size", "label", "year_min", "year_max", "year_median", "seeds", "top_works",
                       "top_labels"]
    burst_rows = [{"doi": a.citation.nodes[b.doi].get("doi", b.doi) if b.doi in a.citation else b.doi,
                   "label": b.label, "start": b.start, "end": b.end, "strength": b.strength,
                   "citations": b.citations} for b in a.bursts]
    rpys_rows = [{"year": r.year, "references": r.references, "median": r.median, "deviation": r.deviation,
                  "peak": r.year in a.peaks,
                  "peak_works": "; ".join(f"{w} ({n})" for w, n in a.peak_works.get(r.year, []))}
                 for r in a.rpys]
    path_rows: list[dict[str, Any]] = []
    for step, (u, v) in enumerate(zip(a.main_path, a.main_path[1:], strict=False), start=1):
        path_rows.append(_path_row(a, "global", step, u, v))
    for step, (u, v) in enumerate(a.key_routes, start=1):
        path_rows.append(_path_row(a, "key-route", step, u, v))
    files = {
        "rankings.csv": _csv(a.rankings, ranking_columns),
        "clusters.csv": _csv(a.clusters, cluster_columns),
        "bursts.csv": _csv(burst_rows, ["doi", "label", "start", "end", "strength", "citations"]),
        "rpys.csv": _csv(rpys_rows, ["year", "references", "median", "deviation", "peak", "peak_works"]),
        "main_path.csv": _csv(path_rows, ["path", "step", "from_doi", "from_label", "from_year", "to_doi",
                                          "to_label", "to_year", "spc"]),
        "summary.json": json.dumps(a.summary, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
    }
    return write_text_files([(out / name, files[name]) for name in OUTPUT_FILES])


def _path_row(a: Analysis, kind: str, step: int, u: str, v: str) -> dict[str, Any]:
    """One main-path edge, knowledge flowing from ``u`` (cited) to ``v`` (citing)."""
    src, dst = _node(a.citation, u), _node(a.citation, v)
    return {"path": kind, "step": step, "from_doi": src["doi"], "from_label": src["label"], "from_year": src["year"],
            "to_doi": dst["doi"], "to_label": dst["label"], "to_year": dst["year"],
            "spc": a.spc.get((u, v), a.spc.get((v, u)))}
