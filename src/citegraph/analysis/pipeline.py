"""One analysis, end to end: what ``citegraph analyse`` computes.

:func:`analyse` reads a store and answers which works matter in the
literature and why: rankings (:mod:`citegraph.analysis.rank`), clusters with
labels (:mod:`citegraph.analysis.clusters`), citation bursts
(:mod:`citegraph.analysis.bursts`), reference publication year spectroscopy
(:mod:`citegraph.analysis.rpys`), main paths
(:mod:`citegraph.analysis.mainpath`) and indicators
(:mod:`citegraph.analysis.indicators`), all in one :class:`Analysis`. The
citation graph is built once, and turned into arrays once
(:class:`citegraph.graphs.arrays.GraphArrays`) for every measure that reads it.
:func:`citegraph.outputs.tables.write_outputs` saves an analysis as files.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import logging
import platform
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from citegraph._version import __version__
from citegraph.analysis.bursts import Burst, citation_bursts
from citegraph.analysis.clusters import LEIDEN_ITERATIONS, _check_iterations, cluster_table, find_clusters
from citegraph.analysis.coverage import coverage_report
from citegraph.analysis.indicators import indicators, publications_per_year
from citegraph.analysis.mainpath import MAIN_PATH_TIE_RULE, main_path_analysis
from citegraph.analysis.notices import notice_summary
from citegraph.analysis.parallel import Beside, can_fork, usable_cores
from citegraph.analysis.rank import (
    DEFAULT_BETWEENNESS_BUDGET,
    PAGERANK_NOTE,
    SCORES,
    RankOptions,
    rank_works_with_facts,
)
from citegraph.analysis.rpys import RPYSRow, peak_works, reference_years_from_store, rpys, rpys_peaks
from citegraph.errors import UsageError
from citegraph.graphs.arrays import GraphArrays
from citegraph.graphs.build import GRAPH_KINDS, GraphOptions, build_graph_with_arrays
from citegraph.graphs.citation import citation_graph, topic_documents
from citegraph.graphs.hybrid import DEFAULT_HYBRID_WEIGHTS
from citegraph.graphs.topics import fit_topics, topic_graph
from citegraph.store import Store
from citegraph.store.records import Notice

__all__ = ["ANALYSE_TOP_K", "BESIDE_ABOVE", "STEP_NOTICE_AFTER", "AnalyseOptions", "Analysis", "analyse",
           "analyse_graph_options", "options_note", "step"]

log = logging.getLogger(__name__)
#: Lines that say what a long step is doing; the CLI shows them at its default verbosity (not under -q).
progress_log = logging.getLogger("citegraph.progress")

#: Co-citation and coupling links kept per work in the graph ``analyse`` clusters (see :class:`AnalyseOptions`).
ANALYSE_TOP_K = 20


def analyse_graph_options() -> GraphOptions:
    """The graph options of ``citegraph analyse``: :class:`~citegraph.graphs.GraphOptions` with ``top_k`` =
    :data:`ANALYSE_TOP_K`.

    Examples
    --------
    >>> analyse_graph_options().top_k, analyse_graph_options().normalise
    (20, 'cosine')
    """
    return GraphOptions(top_k=ANALYSE_TOP_K)


_PAIR_KINDS = {"cocitation": "co-citation", "coupling": "coupling", "hybrid": "co-citation/coupling"}


def _years_text(years: tuple[int | None, int | None]) -> str:
    lo, hi = years
    if lo is not None and lo == hi:
        return f"year {lo}"
    if lo is not None and hi is not None:
        return f"years {lo}–{hi}"
    if lo is not None:
        return f"years {lo} on"
    return f"years to {hi}" if hi is not None else "years any"


def options_note(options: GraphOptions, kind: str | None = None, *, links: bool = True) -> str:
    """The selection and graph options that differ from their defaults, in a few words ("" when none do).

    The defaults are those of every command (:func:`analyse_graph_options`).
    The selection (years, types, minimum local citations, largest component,
    stored works only, seeds not kept) is always named; with ``links``, the options of the links
    of graph ``kind`` too: normalisation, minimum count and weight, top-k
    (co-citation, coupling, hybrid), topic neighbours and threshold (topic,
    hybrid), hybrid weights (hybrid). Parts are joined with ``"; "``. Figure
    captions, the report header and the export metadata use this text.

    Examples
    --------
    >>> options_note(analyse_graph_options(), "hybrid")
    ''
    >>> from dataclasses import replace
    >>> options_note(replace(analyse_graph_options(), years=(1990, 2020), types=("journal-article",),
    ...                      min_local_citations=3, largest_component=True, min_count=2), "cocitation")
    'years 1990–2020; types journal-article; min 3 local citations; largest component; co-citation: min-count 2'
    >>> options_note(replace(analyse_graph_options(), stored_only=True), "citation")
    'stored works only'
    >>> options_note(replace(analyse_graph_options(), normalise="jaccard", top_k=None, topic_k=5), "hybrid")
    'co-citation/coupling: jaccard, every link (no top-k); topic: 5 neighbours'
    >>> options_note(replace(analyse_graph_options(), years=(2010, None), normalise="count"), "topic")
    'years 2010 on'
    """
    default = analyse_graph_options()
    parts: list[str] = []
    if options.years is not None and options.years != (None, None):
        parts.append(_years_text(options.years))
    if options.types is not None:
        parts.append("types " + ", ".join(options.types))
    if options.min_local_citations:
        n = options.min_local_citations
        parts.append(f"min {n} local citation{'' if n == 1 else 's'}")
    if options.largest_component:
        parts.append("largest component")
    if options.stored_only:
        parts.append("stored works only")
    if not options.keep_seeds:
        parts.append("seeds not kept")
    if not links or kind is None:
        return "; ".join(parts)
    if kind in _PAIR_KINDS:
        pair = []
        if options.normalise != default.normalise:
            pair.append(options.normalise)
        if options.min_count != default.min_count:
            pair.append(f"min-count {options.min_count}")
        if options.min_weight != default.min_weight:
            pair.append(f"min weight {options.min_weight:g}")
        if options.top_k != default.top_k:
            pair.append("every link (no top-k)" if options.top_k is None else f"top-k {options.top_k}")
        if pair:
            parts.append(f"{_PAIR_KINDS[kind]}: " + ", ".join(pair))
    if kind in ("topic", "hybrid"):
        topic = []
        if options.topic_k != default.topic_k:
            topic.append(f"{options.topic_k} neighbour{'' if options.topic_k == 1 else 's'}")
        if options.topic_threshold != default.topic_threshold:
            topic.append(f"similarity ≥ {options.topic_threshold:g}")
        if topic:
            parts.append("topic: " + ", ".join(topic))
    if kind == "hybrid" and options.hybrid_weights is not None:
        weights = dict(options.hybrid_weights)
        if weights != DEFAULT_HYBRID_WEIGHTS:
            parts.append("hybrid weights " + ", ".join(f"{k} {v:g}" for k, v in sorted(weights.items())))
    return "; ".join(parts)


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

    The burst options are CiteSpace's defaults: state ratio ``burst_s`` 2,
    ``burst_gamma`` 1, bursts of at least ``burst_min_duration`` 2 years
    (:func:`~citegraph.analysis.bursts.citation_bursts`, with each year's
    citing works as its total). On the real Web of Science exports they
    find 165 bursts (coffee/obesity, 2004-2025) and 39 (premature
    mortality, 1971-2022), enough for the 25 rows of the figure; the
    CRISPR export, all of 2017, has no years to compare and none.
    ``cluster_method``: Leiden by default, ``cluster_iterations`` 2 of it
    (-1: until the partition is stable); see
    :mod:`citegraph.analysis.clusters` for what it gives against Louvain.
    ``key_routes``: the heaviest links the key-route main path runs through.
    ``betweenness_budget``: betweenness is exact while its estimated cost
    is within it, sampled within it above
    (:attr:`citegraph.analysis.rank.RankOptions.betweenness_budget`, about
    1 s; ``summary.json`` records what was done under ``betweenness``).

    Examples
    --------
    >>> AnalyseOptions().graph_options.top_k
    20
    >>> o = AnalyseOptions()
    >>> o.burst_s, o.burst_gamma, o.burst_min_duration, o.key_routes
    (2.0, 1.0, 2, 3)
    """

    graph: str = "hybrid"
    score: str = "composite"
    top: int = 20
    cluster_method: str = "leiden"
    cluster_iterations: int = LEIDEN_ITERATIONS
    resolution: float = 1.0
    seed: int = 0
    reference_year: int | None = None
    burst_s: float = 2.0
    burst_gamma: float = 1.0
    burst_min_citations: int = 3
    burst_min_duration: int = 2
    rpys_window: int = 5
    key_routes: int = 3
    betweenness_budget: int = DEFAULT_BETWEENNESS_BUDGET
    graph_options: GraphOptions = field(default_factory=analyse_graph_options)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        d = asdict(self)
        d["graph_options"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in d["graph_options"].items()}
        return d


@dataclass
class Analysis:
    """Everything :func:`analyse` computed (tables as lists of dicts).

    ``notices`` holds the editorial notices (retractions, expressions of
    concern, corrections; :class:`~citegraph.store.records.Notice`) about the
    works of the citation graph, by node key, for the outputs that list them
    (the report's details panel); the citation graph's ``notice`` node
    attribute carries each work's strongest category, and ``summary`` the
    counts (:func:`citegraph.analysis.notices.notice_summary`).
    """

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
    notices: dict[str, list[Notice]] = field(default_factory=dict)


def _check(o: AnalyseOptions) -> None:
    if o.graph not in GRAPH_KINDS:
        raise UsageError(f"graph kind {o.graph!r} is not one of {', '.join(GRAPH_KINDS)}")
    if o.score not in SCORES:
        raise UsageError(f"score {o.score!r} is not one of {', '.join(SCORES)}")
    if o.top < 0:
        raise UsageError(f"top {o.top} must be 0 or more")
    if o.key_routes < 1:
        raise UsageError(f"key routes {o.key_routes} must be at least 1")
    if o.burst_min_duration < 1:
        raise UsageError(f"burst minimum duration {o.burst_min_duration} must be at least 1")
    _check_iterations(o.cluster_iterations, "cluster iterations")  # before the work, not at the clusters
    if o.betweenness_budget < 0:
        raise UsageError(f"betweenness budget {o.betweenness_budget} must be at least 0")


def _versions() -> dict[str, str]:
    out = {"citegraph": __version__, "python": platform.python_version()}
    for dist in ("networkx", "numpy", "scipy", "scikit-learn", "habanero", "igraph"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


#: A step of :func:`analyse` running longer than this (seconds) says so on the progress logger.
STEP_NOTICE_AFTER = 2.0


@contextlib.contextmanager
def step(name: str, *, after: float | None = None) -> Iterator[None]:
    """Say on the ``citegraph.progress`` logger what a step is doing, once it has run ``after`` seconds.

    A step that ends sooner says nothing (short analyses stay quiet); a longer one gives two lines:
    ``"computing NAME ..."`` when ``after`` has passed, and ``"NAME: done in S s"``. ``after`` defaults
    to :data:`STEP_NOTICE_AFTER`.

    Examples
    --------
    >>> with step("a quick step"):   # says nothing
    ...     pass
    """
    wait = STEP_NOTICE_AFTER if after is None else after
    timer = threading.Timer(wait, progress_log.info, args=("computing %s ...", name))
    timer.daemon = True
    started = time.perf_counter()
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        took = time.perf_counter() - started
        if took >= wait:
            progress_log.info("%s: done in %.1f s", name, took)


#: ``analyse`` computes the topic model, the topic graph and the measures of the citation graph in a second
#: process, beside the co-citation and coupling links, the hybrid graph and the clusters, when the citation
#: graph has at least this many links (and ``workers`` allows it): below, forking and sending the results
#: back cost more than the overlap saves.
BESIDE_ABOVE = 200_000


def _second_lane(citation: nx.DiGraph, arrays: GraphArrays, o: AnalyseOptions,
                 store: Store | Path) -> Iterator[tuple[Any, ...]]:
    """What :func:`analyse` computes beside the co-citation and coupling links, in two parts: ``(model,
    topic graph or None)``, then the measures of the citation graph and the reference entries (rankings,
    bursts, main paths, indicators, RPYS). ``store`` is the store, or its path (in a forked process: a
    connection of its own)."""
    if not isinstance(store, Store):
        with Store(store, readonly=True) as own:
            yield from _second_lane(citation, arrays, o, own)
        return
    with step("the topic model"):
        model = fit_topics(topic_documents(store, citation))
    topic = None
    if o.graph in ("topic", "hybrid"):
        go = o.graph_options
        with step("the topic graph"):
            topic = topic_graph(model, k=go.topic_k, threshold=go.topic_threshold)
    yield model, topic
    with step("the rankings"):
        rankings, betweenness = rank_works_with_facts(
            citation, RankOptions(score=o.score, seed=o.seed, reference_year=o.reference_year,
                                  betweenness_budget=o.betweenness_budget), arrays=arrays)
    with step("the citation bursts"):
        bursts = citation_bursts(citation, s=o.burst_s, gamma=o.burst_gamma, min_citations=o.burst_min_citations,
                                 min_duration=o.burst_min_duration, arrays=arrays)
    with step("the main paths"):
        paths = main_path_analysis(citation, k=o.key_routes, arrays=arrays)  # SPC, global and key-route paths
    with step("the indicators"):
        stats = indicators(citation, _indicator_works(store))
        publications = publications_per_year(citation)
        flags = notice_summary(citation)
    with step("the reference years (RPYS)"):
        references = reference_years_from_store(store)
        spectrum = rpys([year for year, _, _ in references], window=o.rpys_window)
        peaks = rpys_peaks(spectrum)
        behind = {year: peak_works(references, year) for year in peaks}
    yield rankings, betweenness, bursts, paths, stats, publications, flags, spectrum, peaks, behind


def _fork_beside(workers: int | None, links: int, store: Store) -> bool:
    """Whether :func:`analyse` forks a second process (:func:`_second_lane`; see :data:`BESIDE_ABOVE`)."""
    if workers == 1 or store.path is None or not can_fork():
        return False
    if workers is None:
        return usable_cores() >= 2 and links >= BESIDE_ABOVE
    return True


def _graph_and_clusters(store: Store, o: AnalyseOptions, citation: nx.DiGraph, arrays: GraphArrays,
                        beside: Beside) -> tuple[nx.Graph, Any, dict[str, int]]:
    """The graph the clusters are found in, the topic model and the clusters; the model and the
    topic graph come from ``beside`` (:func:`_second_lane`), the hybrid graph's topic graph once its
    co-citation and coupling links are computed."""
    got: dict[str, Any] = {}

    def topic_from_beside() -> nx.Graph:
        got["model"], topic = beside.next()
        return topic

    if o.graph == "hybrid":
        with step("the hybrid graph"):
            graph, graph_arrays = build_graph_with_arrays(store, o.graph, o.graph_options, citation=citation,
                                                          arrays=arrays, topic=topic_from_beside)
        model = got["model"]
    else:
        model, topic = beside.next()
        with step(f"the {o.graph} graph"):
            graph, graph_arrays = build_graph_with_arrays(store, o.graph, o.graph_options, citation=citation,
                                                          model=model, arrays=arrays, topic=topic)
    with step(f"the clusters ({o.cluster_method})"):
        cluster_of = {str(k): v for k, v in find_clusters(graph, method=o.cluster_method, resolution=o.resolution,
                                                          seed=o.seed, arrays=graph_arrays,
                                                          iterations=o.cluster_iterations).items()}
    return graph, model, cluster_of


def analyse(store: Store, options: AnalyseOptions | None = None, *, workers: int | None = None) -> Analysis:
    """Rank, cluster and date the literature in a store.

    Parameters
    ----------
    store : Store
    options : AnalyseOptions, optional
    workers : int, optional
        Processes: 1 computes everything in this one; 2 or more compute the
        topic model, the topic graph and the measures of the citation graph
        (rankings, bursts, main paths, indicators, RPYS) in a second, forked
        process (Linux only, a store in a file), beside the co-citation and
        coupling links, the hybrid graph and the clusters; None (default): 2
        when there are two usable cores and the citation graph has at least
        :data:`BESIDE_ABOVE` links. The results are the same either way
        (tested).

    Raises
    ------
    UsageError
        Bad options, or an empty store.
    """
    o = options or AnalyseOptions()
    _check(o)
    if workers is not None and workers < 1:
        raise UsageError(f"workers {workers} must be at least 1 (or unset)")
    n_works = int(store.execute("SELECT COUNT(*) FROM works").fetchone()[0])
    if not n_works:
        raise UsageError(f"the store {store.display_path} holds no works yet: run `citegraph fetch` first")
    progress_log.info("analysing %s works: citation graph, topics, the %s graph, rankings, clusters, bursts, "
                      "RPYS, main paths", f"{n_works:,}", o.graph)
    with step("the citation graph"):
        citation = citation_graph(store)
        # the citation graph as arrays, once, for every measure below; its links all weigh 1 (citation_graph),
        # so the weights need not be read from the edge attributes
        arrays = GraphArrays.from_graph(citation, weight=None)
    fork = _fork_beside(workers, citation.number_of_edges(), store)
    beside = Beside(_second_lane, (citation, arrays, o, store.path if fork else store), fork=fork)
    try:
        graph, model, cluster_of = _graph_and_clusters(store, o, citation, arrays, beside)
        rankings, betweenness, bursts, paths, stats, publications, flags, spectrum, peaks, behind = beside.next()
    except BaseException:
        beside.close(early=True)
        raise
    beside.close()
    key_of = {str(d.get("doi", n)): str(n) for n, d in citation.nodes(data=True)}  # DOI as shown -> node key
    by_key = {key_of.get(row["doi"], row["doi"]): row for row in rankings}
    centrality = {k: float(by_key[k]["composite"]) if k in by_key else 0.0 for k in cluster_of}
    with step("the cluster labels"):
        clusters = cluster_table(graph, cluster_of, model=model, centrality=centrality)
    for row in rankings:
        row["cluster"] = cluster_of.get(key_of.get(row["doi"], row["doi"]))

    spc, main, routes = paths.spc, paths.main_path, paths.key_routes
    if paths.ties > 1:
        progress_log.info("main path: %s paths tie for the largest total SPC (%s); kept %s", f"{paths.ties:,}",
                          f"{paths.weight:g}", MAIN_PATH_TIE_RULE)
    with step("the coverage"):
        coverage = coverage_report(store)["overall"]
        flagged = [node for node, flag in citation.nodes(data="notice") if flag]
        notices = store.notices(flagged) if flagged else {}  # details, for the works a notice flags
    summary = {
        "parameters": o.as_dict(),
        "versions": _versions(),
        "store": {"works": n_works, **{k: v for k, v in store.counts().items() if k != "runs"}},
        "graph": {"kind": o.graph, "nodes": graph.number_of_nodes(), "edges": graph.number_of_edges()},
        "citation_graph": {"nodes": citation.number_of_nodes(), "edges": citation.number_of_edges()},
        "coverage": coverage,
        "clusters": len(clusters),
        "bursts": len(bursts),
        "publications_per_year": [[year, n] for year, n in publications],
        "rpys_peaks": peaks,
        "main_path_length": len(main),
        "main_path_weight": paths.weight,
        "main_path_ties": paths.ties,
        "main_path_tie_rule": MAIN_PATH_TIE_RULE if paths.ties > 1 else None,
        "indicators": stats,
        "seeds": sorted(s.doi for s in store.seeds()),
        **flags.as_dict(),  # retracted_works, works_citing_retracted, concern_works, corrected_works
        "betweenness": betweenness.as_dict(),  # exact or sampled, pivots, estimated cost, budget, stated error
        # topic and hybrid graphs: exact or champion-list neighbour search, its cost and what was cut
        "topic_similarity": graph.graph.get("similarity"),
        "notes": [PAGERANK_NOTE,
                  "Clusters come from the " + o.graph + " graph; rankings from the citation graph.",
                  betweenness.note(), *_similarity_notes(graph.graph.get("similarity"))],
    }
    return Analysis(o, citation, graph, rankings, clusters, cluster_of, bursts, spectrum, peaks, behind, main,
                    routes, spc, stats, publications, _jsonable(summary), notices)


def _similarity_notes(plan: Mapping[str, Any] | None) -> list[str]:
    """The note saying how topic neighbours were searched (none when the graph has no topic links).

    Examples
    --------
    >>> _similarity_notes({"exact": True, "cost": 9, "budget": 20_000_000})
    ['Topic similarity: exact (cost 9 <= budget 2e+07 candidate pairs).']
    >>> _similarity_notes({"exact": False, "cost": 3e8, "budget": 2e7, "frequent_terms": 56, "terms": 50_000,
    ...                    "max_postings": 100, "postings_cut": 91_000})[0]  # doctest: +NORMALIZE_WHITESPACE
    'Topic similarity: champion lists (exact would cost 3e+08 > budget 2e+07 candidate pairs): 56 of 50000 terms
    in more than 100 works searched through their 100 heaviest, 91000 postings cut.'
    """
    if not plan:
        return []
    if plan["exact"]:
        return [f"Topic similarity: exact (cost {plan['cost']:.2g} <= budget {plan['budget']:.2g} candidate pairs)."]
    return [f"Topic similarity: champion lists (exact would cost {plan['cost']:.2g} > budget {plan['budget']:.2g} "
            f"candidate pairs): {plan['frequent_terms']} of {plan['terms']} terms in more than "
            f"{plan['max_postings']} works searched through their {plan['max_postings']} heaviest, "
            f"{plan['postings_cut']} postings cut."]


def _indicator_works(store: Store) -> list[dict[str, Any]]:
    """What :func:`citegraph.analysis.indicators.indicators` reads of the stored works (DOI order), and only that: not
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
