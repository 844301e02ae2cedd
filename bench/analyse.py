"""Analysis benchmark: every stage of ``citegraph analyse`` on SYNTHETIC Price-model citation graphs.

Data
----
For each size (a number of references, i.e. citation links), a SYNTHETIC
citation graph from Price's model (``bench/synthetic.py``: seeded, Poisson
``--mean-refs`` references per paper, weight ``in_degree + a``) becomes a
citegraph store of hand-made, Crossref-shaped records, every one labelled
synthetic: paper ``i`` is ``10.5555/synthetic-<i>``, titled ``"SYNTHETIC work
i"``, published in ``1970 + 50 i / papers`` (years increase with ``i``), with
1-3 authors ``Synthauthor<j>``, a journal ``SYNTHETIC Journal <j>`` (Zipf
distributed, so Bradford zones exist), a global citation count equal to its
in-degree and one reference entry (DOI, year) per citation. Each record also
gets a SYNTHETIC abstract of ``--abstract-words`` pseudo-words on average
(syllable strings such as ``kalomi``: half from a shared Zipf vocabulary, half
from one of 40 topics, inherited from the paper's first reference with
probability 0.8), so the topic model and the topic graph have text to work on;
``--abstract-words 0`` leaves titles only. Every paper is stored (resolved) and
ten are seeds. Records go through ``citegraph.store.records.parse_work`` and
``Store.add_works`` in batches of 1,000. Building the store is setup: it is
timed on its own (in a fresh process) and is not a stage.

Stages
------
Each stage calls the library functions :func:`citegraph.analysis.pipeline.analyse` calls,
with the same options (``AnalyseOptions()``, its ``GraphOptions`` with
``--top-k``, default as in ``citegraph analyse``):

====================  =======================================================================
citation_graph        ``graphs.citation_graph(store)``
topic_model           ``topics.fit_topics(graphs.topic_documents(store, citation))``
topic_graph           ``topics.topic_graph(model, k, threshold)`` (inside hybrid_graph)
cocitation            ``graphs.cocitation_graph(citation, normalise, ..., top_k)`` (inside hybrid_graph)
coupling              ``graphs.coupling_graph(citation, ...)`` (inside hybrid_graph)
hybrid_graph          ``graphs.build_graph(store, "hybrid", options, citation=, model=)``
pagerank              ``rank.pagerank_scores(citation)`` (inside rank_works)
hits                  ``rank.hits_scores(citation)`` (inside rank_works)
betweenness           ``rank.betweenness_scores(citation, ...)``: exact while its estimated cost
                      (``rank.betweenness_cost``) is within ``RankOptions.betweenness_budget``,
                      else the ``rank.betweenness_pivots`` that budget pays for (500 at least), as
                      rank_works draws them (inside rank_works)
rank_works            ``rank.rank_works(citation, RankOptions(...))``: every measure and the composite
clustering            ``clusters.find_clusters(graph, method=, iterations=, ...)`` (Leiden, 2 iterations
                      by default), with the walk of the graph into arrays that ``analyse`` spares
cluster_table         the centrality map and ``clusters.cluster_table(graph, ..., model=)``
bursts                ``timeline.citation_bursts(citation, ...)``
rpys                  ``timeline.reference_years_from_store``, ``rpys``, ``rpys_peaks``, ``peak_works``
main_path             ``timeline.main_path_analysis(citation, k=3)``: SPC weights, the global and the
                      key-route main paths in one pass (as ``analyse`` does)
indicators            ``indicators.indicators(citation, works)``, ``publications_per_year``
coverage              ``coverage.coverage_report(store)``
analyse               ``analyse.analyse(store, options)``: the whole command, end to end (from 2*10^5
                      links its second process computes the citation measures: the peak RSS is
                      the two processes' peaks added)
graphml_export        ``export.export_graph(citation, rankings=, cluster_of=)`` + ``write_graphml``
====================  =======================================================================

Each measured run is a fresh child process (``bench/graphs.py``'s runner): it
loads its inputs (the store, and pickles of what earlier stages made on their
first run: citation graph, topic model, hybrid graph, rankings, clusters),
records ``ru_maxrss`` (the base: interpreter, libraries, inputs), times the
stage and records ``ru_maxrss`` again. Imports are not timed; before timing a
child runs ``gc.collect()`` (so a full collection of the loaded inputs does not
land in the timed call by chance), and the two PageRank stages first make one
call on a two-node graph (igraph's first call imports more). A run slower than ``--timeout`` is
killed (its peak so far read from ``/proc``) and reported as "> T s (timed
out)"; children run under an address-space cap (``--mem-cap-gb``) so a runaway
run fails with MemoryError instead of starving the machine. A stage that times
out or fails is not repeated, nor run at larger sizes; a stage whose input
could not be made is skipped. The cap defaults to 8 GB, twice the memory
target: a stage that needs more misses the target anyway.

Peers, same data, same run
--------------------------
- PageRank: python-igraph's ``Graph.pagerank(damping=0.85)`` (PRPACK) on the
  same citation graph (citing -> cited, self-citations dropped, as
  ``pagerank_scores`` does), timed from the networkx graph to a
  ``{node: score}`` dict (conversion included, like for like), and its
  ``pagerank()`` call alone; the scores are checked against citegraph's (both
  normalised to sum 1).
- Co-citation: ``bench/graphs.py``'s own children on the same SYNTHETIC graph:
  ``cooccurrence_edges`` as ``cocitation_graph`` runs it, against the pairwise
  Python loop (``itertools.combinations`` into a ``Counter``, litstudy style),
  with the analysis' normalisation and ``top_k``.

Growth and targets
------------------
The growth exponent ``b`` of ``time ~ c * n**b`` is a least-squares fit on
log-log over the sizes a stage finished (``n`` = references). Over 10^4-10^6,
``n log n`` has slope 1.09 on log-log; a stage with ``b <= 1.15`` counts as
"n log n or better" (the margin is for timing noise), except betweenness,
which is exempt (it switches from exact to sampled above 2,000 nodes). A stage
that timed out at a size gives a lower bound for ``b`` from the size before.
Targets: the whole ``analyse`` on 10^6 references in <= 60 s and <= 4 GB peak
RSS; PageRank within 3x of igraph (like for like); co-citation >= 20x faster
than the pairwise loop at 10^5 references. Sizes not measured are projected
from the fit (marked as projections).

Run: ``python bench/analyse.py [--sizes 1e4,1e5,1e6] [--repeats 3] [--top-k K] [--json] [--save PATH]``
(prints a Markdown section; ``--json`` for raw figures).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import gc
import hashlib
import importlib.metadata
import json
import logging
import math
import pickle
import resource
import shutil
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import graphs as bench_graphs  # noqa: E402  (bench/graphs.py: its runner, peers and helpers)
from synthetic import LABEL, price_graph  # noqa: E402

__all__ = ["STAGES", "Stage", "build_store", "main", "markdown", "synthetic_records"]

log = logging.getLogger("bench.analyse")

TARGET_SIZE = 10**6
TARGET_S = 60.0
TARGET_GB = 4.0
NLOGN_MAX_EXPONENT = 1.15
PAGERANK_MAX_RATIO = 3.0
COCITATION_MIN_SPEEDUP = 20.0
COCITATION_TARGET_SIZE = 10**5
DOI_PREFIX = "10.5555/synthetic-"
BATCH = 1000
TOPICS = 40
GENERAL_WORDS = 2000
TOPIC_WORDS = 100
FETCHED_AT = "2000-01-01T00:00:00Z"  # a fixed stamp: the store is the same on every build
_SYLLABLES = ("ba", "ke", "li", "mo", "nu", "ra", "se", "ti", "vo", "zu",
              "da", "fe", "gi", "ho", "ja", "ku", "lo", "me", "ni", "po")


@dataclasses.dataclass(frozen=True)
class Stage:
    """One measured step: its name, what it calls, its inputs (artifacts) and what it leaves for later stages."""

    name: str
    call: str
    needs: tuple[str, ...] = ()
    makes: str | None = None
    optional: tuple[str, ...] = ()  # inputs used when they could be made
    within: str | None = None  # the top-level stage of analyse() this one is part of
    in_analyse: bool = True
    peer: bool = False


STAGES: tuple[Stage, ...] = (
    Stage("citation_graph", "graphs.citation_graph(store)", makes="citation"),
    Stage("topic_model", "topics.fit_topics(graphs.topic_documents(store, citation))", ("citation",), "model"),
    Stage("topic_graph", "topics.topic_graph(model, k, threshold)", ("model",), within="hybrid_graph"),
    Stage("cocitation", "graphs.cocitation_graph(citation, ...)", ("citation",), within="hybrid_graph"),
    Stage("coupling", "graphs.coupling_graph(citation, ...)", ("citation",), within="hybrid_graph"),
    Stage("hybrid_graph", 'graphs.build_graph(store, "hybrid", ..., citation=, model=)', ("citation", "model"),
          "graph"),
    Stage("pagerank", "rank.pagerank_scores(citation)", ("citation",), within="rank_works"),
    Stage("hits", "rank.hits_scores(citation)", ("citation",), within="rank_works"),
    Stage("betweenness", "rank.betweenness_scores(citation, ...)", ("citation",), within="rank_works"),
    Stage("rank_works", "rank.rank_works(citation, RankOptions(...))", ("citation",), "rankings"),
    Stage("clustering", 'clusters.find_clusters(graph, method=, iterations=, ...)', ("graph",), "cluster_of"),
    Stage("cluster_table", "clusters.cluster_table(graph, cluster_of, model=, centrality=)",
          ("citation", "graph", "model", "rankings", "cluster_of")),
    Stage("bursts", "timeline.citation_bursts(citation, ...)", ("citation",)),
    Stage("rpys", "timeline.reference_years_from_store + rpys + rpys_peaks + peak_works"),
    Stage("main_path", "timeline.main_path_analysis (SPC, global and key-route main paths)", ("citation",)),
    Stage("indicators", "indicators.indicators(citation, works) + publications_per_year", ("citation",)),
    Stage("coverage", "coverage.coverage_report(store)"),
    Stage("analyse", "analyse.analyse(store, options): the whole command", in_analyse=False),
    Stage("graphml_export", "export.export_graph(citation, rankings=, cluster_of=) + write_graphml",
          ("citation", "rankings"), optional=("cluster_of",), in_analyse=False),
    Stage("pagerank_igraph", "igraph.Graph(...).pagerank(damping=0.85), from the networkx graph", ("citation",),
          in_analyse=False, peer=True),
    Stage("cocitation_sparse", "bench/graphs.py: cooccurrence_edges on the cited x citing matrix",
          in_analyse=False, peer=True),
    Stage("cocitation_pairwise", "bench/graphs.py: pairwise loop, combinations into a Counter",
          in_analyse=False, peer=True),
)
BY_NAME = {s.name: s for s in STAGES}
GRAPHS_TASKS = {"cocitation_sparse": "edges", "cocitation_pairwise": "loop"}  # run by bench/graphs.py's child


# --------------------------------------------------------------------------------------------------
# SYNTHETIC records and the store
# --------------------------------------------------------------------------------------------------


def _pseudo_word(j: int) -> str:
    """Word number ``j`` of the SYNTHETIC vocabulary: three (or more) syllables, e.g. ``"bababa"``."""
    out = []
    for _ in range(3):
        j, r = divmod(j, len(_SYLLABLES))
        out.append(_SYLLABLES[r])
    while j:
        j, r = divmod(j, len(_SYLLABLES))
        out.append(_SYLLABLES[r])
    return "".join(out)


def _zipf(rng: np.random.Generator, n_items: int, size: int) -> np.ndarray:
    """``size`` draws from ``0 .. n_items-1`` with probability proportional to ``1 / (rank + 1)``."""
    cum = np.cumsum(1.0 / np.arange(1, n_items + 1))
    draws: np.ndarray = np.minimum(np.searchsorted(cum, rng.random(size) * cum[-1], side="right"), n_items - 1)
    return draws


def synthetic_records(citing: np.ndarray, cited: np.ndarray, n: int, *, seed: int = 0,
                      abstract_words: int = 40) -> list[dict[str, Any]]:
    """Hand-made Crossref-shaped records of a SYNTHETIC citation graph (paper ``i`` cites ``cited[citing == i]``).

    Examples
    --------
    >>> recs = synthetic_records(np.array([1, 2, 2]), np.array([0, 0, 1]), 3, abstract_words=5)
    >>> [r["DOI"] for r in recs], recs[2]["title"], [x["DOI"] for x in recs[2]["reference"]]
    (['10.5555/synthetic-0', '10.5555/synthetic-1', '10.5555/synthetic-2'], ['SYNTHETIC work 2'], \
['10.5555/synthetic-0', '10.5555/synthetic-1'])
    >>> years = [r["issued"]["date-parts"][0][0] for r in recs]
    >>> recs[0]["is-referenced-by-count"], years == sorted(years), "SYNTHETIC" in recs[0]["abstract"]
    (2, True, True)
    """
    rng = np.random.default_rng(seed + 1_000_003)  # not the graph's own stream
    years = 1970 + (50 * np.arange(n)) // max(n, 1)
    indegree = np.bincount(cited, minlength=n)
    starts = np.searchsorted(citing, np.arange(n + 1))  # citing is grouped by paper, in order
    journals = _zipf(rng, max(3, n // 200), n)
    pool = max(10, n // 2)
    n_authors = 1 + np.minimum(rng.poisson(1.0, n), 2)
    author_ids = rng.integers(0, pool, int(n_authors.sum()))
    author_starts = np.r_[0, np.cumsum(n_authors)]
    topic = np.empty(n, dtype=np.int64)
    inherit = rng.random(n) < 0.8
    fresh = rng.integers(0, TOPICS, n)
    for i in range(n):  # the topic of the first reference, mostly: topics follow citations
        topic[i] = topic[cited[starts[i]]] if inherit[i] and starts[i + 1] > starts[i] else fresh[i]
    texts = [""] * n
    if abstract_words > 0:
        lengths = rng.poisson(abstract_words, n)
        total = int(lengths.sum())
        doc = np.repeat(np.arange(n), lengths)
        general = rng.random(total) < 0.5
        word = np.where(general, _zipf(rng, GENERAL_WORDS, total),
                        GENERAL_WORDS + topic[doc] * TOPIC_WORDS + _zipf(rng, TOPIC_WORDS, total))
        vocab = [_pseudo_word(j) for j in range(GENERAL_WORDS + TOPICS * TOPIC_WORDS)]
        words = [vocab[w] for w in word.tolist()]
        bounds = np.r_[0, np.cumsum(lengths)].tolist()
        texts = ["SYNTHETIC text: " + " ".join(words[bounds[i]:bounds[i + 1]]) for i in range(n)]
    records = []
    for i in range(n):
        refs = cited[starts[i]:starts[i + 1]].tolist()
        authors = [{"given": "A.", "family": f"Synthauthor{a}", "sequence": "first" if k == 0 else "additional"}
                   for k, a in enumerate(author_ids[author_starts[i]:author_starts[i + 1]].tolist())]
        record: dict[str, Any] = {
            "DOI": f"{DOI_PREFIX}{i}",
            "title": [f"SYNTHETIC work {i}"],
            "type": "journal-article",
            "issued": {"date-parts": [[int(years[i])]]},
            "author": authors,
            "container-title": [f"SYNTHETIC Journal {int(journals[i])}"],
            "is-referenced-by-count": int(indegree[i]),
            "references-count": len(refs),
            "reference": [{"key": f"ref{k}", "DOI": f"{DOI_PREFIX}{c}", "doi-asserted-by": "publisher",
                           "year": str(int(years[c]))} for k, c in enumerate(refs, start=1)],
        }
        if texts[i]:
            record["abstract"] = texts[i]
        records.append(record)
    return records


def build_store(path: Path, size: int, *, mean_refs: int, a: float, seed: int, abstract_words: int,
                npz: Path | None = None) -> dict[str, Any]:
    """Generate the SYNTHETIC graph of ``size`` references and write it as a citegraph store at ``path``."""
    from citegraph.doi import normalize_doi
    from citegraph.sources.seeds import Seed
    from citegraph.store import Store
    from citegraph.store.records import parse_work

    t0 = time.perf_counter()
    citing, cited, n = price_graph(size, mean_refs=mean_refs, a=a, seed=seed)
    t1 = time.perf_counter()
    records = synthetic_records(citing, cited, n, seed=seed, abstract_words=abstract_words)
    t2 = time.perf_counter()
    with Store(path) as store:
        for i in range(0, len(records), BATCH):
            store.add_works([parse_work(r, source="synthetic") for r in records[i:i + BATCH]], fetched_at=FETCHED_AT)
        picks = sorted(int(x) for x in np.random.default_rng(seed).choice(n, size=min(10, n), replace=False))
        store.add_seeds(Seed(normalize_doi(f"{DOI_PREFIX}{i}"), "synthetic", None, "seed", "SYNTHETIC seed")
                        for i in picks)
    t3 = time.perf_counter()
    if npz is not None:
        np.savez(npz, citing=citing, cited=cited, n=n)
    digest = hashlib.sha256(citing.tobytes() + cited.tobytes() + str(n).encode()).hexdigest()[:16]
    return {"generate_s": t1 - t0, "records_s": t2 - t1, "insert_s": t3 - t2, "seconds": t3 - t0, "papers": n,
            "references": len(citing), "digest": digest, "store_mb": path.stat().st_size / 2**20}


# --------------------------------------------------------------------------------------------------
# Children: one stage each, in a fresh process
# --------------------------------------------------------------------------------------------------


def _pickle_path(work: str, artifact: str) -> Path:
    return Path(work) / f"{artifact}.pkl"


def analyse_options(top_k: int | None) -> dict[str, Any]:
    """``AnalyseOptions()`` (with ``graph_options.top_k`` when given), as a JSON-ready dict (the children get it
    in their spec)."""
    from citegraph.analysis.pipeline import AnalyseOptions

    if top_k is None:  # analyse's own defaults (graph_options bound co-citation and coupling)
        return dataclasses.asdict(AnalyseOptions())
    return dataclasses.asdict(AnalyseOptions(graph_options=dataclasses.replace(AnalyseOptions().graph_options,
                                                                               top_k=top_k)))


def _options(spec: dict[str, Any]) -> tuple[Any, Any]:
    """The analysis options and graph options of a child's spec (without importing ``citegraph.analysis.pipeline``,
    which brings scikit-learn: a second per child)."""
    from citegraph.graphs.build import GraphOptions

    d = dict(spec["options"])
    go = GraphOptions(**d.pop("graph_options"))
    return types.SimpleNamespace(**d, graph_options=go), go


def _graph_facts(G: Any) -> dict[str, Any]:
    return {"nodes": G.number_of_nodes(), "edges": G.number_of_edges()}


def _prepare(name: str, spec: dict[str, Any], inp: dict[str, Any]) -> tuple[Callable[[], Any],
                                                                           Callable[[Any], dict[str, Any]]]:
    """Import what stage ``name`` needs and return (the call to time, a function describing its result)."""
    o, go = _options(spec)
    pair = {"normalise": go.normalise, "min_count": go.min_count, "min_weight": go.min_weight, "top_k": go.top_k}
    store = inp.get("store")
    citation: Any = inp.get("citation")
    if name == "citation_graph":
        from citegraph.graphs.citation import citation_graph
        return lambda: citation_graph(store), _graph_facts
    if name == "topic_model":
        from citegraph.graphs.citation import topic_documents
        from citegraph.graphs.topics import fit_topics
        return (lambda: fit_topics(topic_documents(store, citation)),
                lambda m: {"documents": len(m.keys), "terms": len(m.terms), "nnz": int(m.matrix.nnz)})
    if name == "topic_graph":
        from citegraph.graphs.topics import topic_graph
        return lambda: topic_graph(inp["model"], k=go.topic_k, threshold=go.topic_threshold), _graph_facts
    if name in ("cocitation", "coupling"):
        from citegraph.graphs.cooccurrence import cocitation_graph, coupling_graph
        fn = cocitation_graph if name == "cocitation" else coupling_graph
        return lambda: fn(citation, **pair), _graph_facts
    if name == "hybrid_graph":
        from citegraph.graphs.build import build_graph
        return lambda: build_graph(store, o.graph, go, citation=citation, model=inp["model"]), _graph_facts
    if name in ("pagerank", "hits", "betweenness", "rank_works"):
        from citegraph.analysis.rank import (
            RankOptions,
            betweenness_pivots,
            betweenness_scores,
            hits_scores,
            pagerank_scores,
            rank_works,
        )
        ro = RankOptions(score=o.score, seed=o.seed, reference_year=o.reference_year)
        if name == "pagerank":
            import networkx as nx
            pagerank_scores(nx.DiGraph([("a", "b")]))  # warm-up, as for igraph: lazy imports are not timed
            return lambda: pagerank_scores(citation, damping=ro.damping), lambda r: {"nodes": len(r)}
        if name == "hits":
            return lambda: hits_scores(citation), lambda r: {"nodes": len(r[0])}
        if name == "betweenness":
            pivots = betweenness_pivots(citation, ro)
            return (lambda: betweenness_scores(citation, exact_max_nodes=ro.exact_betweenness_max_nodes,
                                               samples=pivots, seed=ro.seed),
                    lambda r: {"nodes": len(r[0]), "exact": r[1], "pivots": pivots})
        return lambda: rank_works(citation, ro), lambda r: {"rows": len(r)}
    if name == "clustering":
        from citegraph.analysis.clusters import find_clusters

        def clustering() -> dict[str, int]:
            found = find_clusters(inp["graph"], method=o.cluster_method, resolution=o.resolution, seed=o.seed,
                                  iterations=o.cluster_iterations)
            return {str(k): v for k, v in found.items()}
        return clustering, lambda r: {"nodes": len(r), "clusters": len(set(r.values()))}
    if name == "cluster_table":
        from citegraph.analysis.clusters import cluster_table

        def table() -> list[dict[str, Any]]:  # as analyse() does it
            key_of = {str(d.get("doi", n)): str(n) for n, d in citation.nodes(data=True)}
            by_key = {key_of.get(row["doi"], row["doi"]): row for row in inp["rankings"]}
            cluster_of = inp["cluster_of"]
            centrality = {k: float(by_key[k]["composite"]) if k in by_key else 0.0 for k in cluster_of}
            rows: list[dict[str, Any]] = cluster_table(inp["graph"], cluster_of, model=inp["model"],
                                                       centrality=centrality)
            return rows
        return table, lambda r: {"clusters": len(r)}
    if name == "bursts":
        from citegraph.analysis.bursts import citation_bursts
        return (lambda: citation_bursts(citation, s=o.burst_s, gamma=o.burst_gamma,
                                        min_citations=o.burst_min_citations), lambda r: {"bursts": len(r)})
    if name == "rpys":
        from citegraph.analysis.rpys import peak_works, reference_years_from_store, rpys, rpys_peaks

        def spectroscopy() -> tuple[Any, ...]:
            references = reference_years_from_store(store)
            spectrum = rpys([year for year, _, _ in references], window=o.rpys_window)
            peaks = rpys_peaks(spectrum)
            return spectrum, peaks, {year: peak_works(references, year) for year in peaks}
        return spectroscopy, lambda r: {"years": len(r[0]), "peaks": len(r[1])}
    if name == "main_path":
        from citegraph.analysis.mainpath import main_path_analysis

        def main_path() -> tuple[Any, ...]:
            paths = main_path_analysis(citation, k=o.key_routes)
            return paths.spc, paths.main_path, paths.key_routes
        return main_path, lambda r: {"spc_edges": len(r[0]), "main_path": len(r[1]), "key_route_edges": len(r[2]),
                                     "max_spc_bits": max((int(v).bit_length() for v in r[0].values()), default=0)}
    if name == "indicators":
        from citegraph.analysis.indicators import indicators, publications_per_year
        works = inp["works"]
        return (lambda: (indicators(citation, works), publications_per_year(citation)),
                lambda r: {"works": r[0]["works"], "years": len(r[1])})
    if name == "coverage":
        from citegraph.analysis.coverage import coverage_report
        return lambda: coverage_report(store), lambda r: {"seeds": len(r["seeds"])}
    if name == "analyse":
        from citegraph.analysis.pipeline import AnalyseOptions, analyse
        options = AnalyseOptions(**{**vars(o), "graph_options": go})
        return (lambda: analyse(store, options), lambda a: {"rankings": len(a.rankings), "clusters": len(a.clusters),
                                                      "graph_edges": a.graph.number_of_edges()})
    if name == "graphml_export":
        return _prepare_export(spec, inp)
    if name == "pagerank_igraph":
        return _prepare_igraph(inp)
    raise ValueError(f"unknown stage {name!r}: one of {', '.join(BY_NAME)}")


def _prepare_export(spec: dict[str, Any], inp: dict[str, Any]) -> tuple[Callable[[], Any],
                                                                       Callable[[Any], dict[str, Any]]]:
    path = Path(spec["work"]) / "export.graphml"
    citation = inp["citation"]
    try:
        from citegraph.outputs.export import export_graph, write_graphml
    except ImportError as exc:  # the module is being written: fall back to networkx, and say so
        import networkx as nx
        reason = f"networkx.write_graphml (citegraph.outputs.export not importable: {exc})"

        def fallback() -> str:
            nx.write_graphml(citation, path)
            return reason
        return fallback, lambda r: {"writer": r, "mb": path.stat().st_size / 2**20}

    def export() -> str:
        write_graphml(export_graph(citation, rankings=inp["rankings"], cluster_of=inp.get("cluster_of")), path)
        return "citegraph.outputs.export.export_graph + write_graphml"
    return export, lambda r: {"writer": r, "mb": round(path.stat().st_size / 2**20, 3),
                              "with_clusters": "cluster_of" in inp}


def _prepare_igraph(inp: dict[str, Any]) -> tuple[Callable[[], Any], Callable[[Any], dict[str, Any]]]:
    import igraph

    citation = inp["citation"]
    timings: dict[str, float] = {}
    igraph.Graph(n=2, edges=[(0, 1)], directed=True).pagerank()  # warm-up: its first call imports more

    def run() -> dict[str, float]:
        nodes = sorted(citation.nodes)
        index = {n: i for i, n in enumerate(nodes)}
        g = igraph.Graph(n=len(nodes), edges=[(index[u], index[v]) for u, v in citation.edges() if u != v],
                         directed=True)
        t0 = time.perf_counter()
        scores = g.pagerank(directed=True, damping=0.85)
        timings["pagerank_call_s"] = time.perf_counter() - t0
        return dict(zip(nodes, scores, strict=True))

    def facts(scores: dict[str, float]) -> dict[str, Any]:
        from citegraph.analysis.rank import pagerank_scores
        ours = pagerank_scores(citation)
        keys = sorted(ours)
        x = np.array([ours[k] for k in keys])
        y = np.array([scores[k] for k in keys])
        x, y = x / x.sum(), y / y.sum()
        l1 = float(np.abs(x - y).sum())
        return {"nodes": len(keys), "extra_s": dict(timings), "max_abs_diff": float(np.abs(x - y).max()),
                "l1_diff": l1, "agree": l1 <= 1e-6, "igraph": importlib.metadata.version("igraph")}
    return run, facts


def child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one measured computation (``spec["task"]``: ``build`` or ``stage``) and describe it."""
    logging.basicConfig(level=logging.WARNING)
    if spec["task"] == "build":
        base = bench_graphs._maxrss_mb()
        out = build_store(Path(spec["store"]), spec["size"], mean_refs=spec["mean_refs"], a=spec["a"],
                          seed=spec["seed"], abstract_words=spec["abstract_words"], npz=Path(spec["npz"]))
        return {**out, "base_rss_mb": base, "peak_rss_mb": bench_graphs._maxrss_mb()}
    from citegraph.store import Store

    name = spec["stage"]
    stage = BY_NAME[name]
    inp: dict[str, Any] = {}
    with Store(spec["store"], readonly=True) as store:
        inp["store"] = store
        for artifact in (*stage.needs, *stage.optional):
            path = _pickle_path(spec["work"], artifact)
            if artifact in stage.needs or path.exists():
                with open(path, "rb") as fh:
                    inp[artifact] = pickle.load(fh)
        if name == "indicators":
            inp["works"] = list(store.works())
        call, describe = _prepare(name, spec, inp)
        gc.collect()  # the loaded inputs to the oldest generation: no full collection of them mid-stage by chance
        base = bench_graphs._maxrss_mb()
        t0 = time.perf_counter()
        result = call()
        seconds = time.perf_counter() - t0
        # a stage that forks (``analyse``: its second process) adds that process's peak: an upper bound of the
        # two together, as the pages they share are counted twice
        peak = bench_graphs._maxrss_mb() + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        facts = describe(result)
    if spec.get("save") and stage.makes:
        with open(_pickle_path(spec["work"], stage.makes), "wb") as fh:
            pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return {"seconds": seconds, "base_rss_mb": base, "peak_rss_mb": peak, **facts}


# --------------------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------------------


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median, min and max over the runs that finished; the first failure, if any; the first run's facts."""
    ok = [r for r in runs if r["status"] == "ok"]
    out: dict[str, Any] = {"runs": runs, "finished": bool(runs) and len(ok) == len(runs)}
    if not out["finished"] and runs:
        bad = next(r for r in runs if r["status"] != "ok")
        out["status"] = bad["status"]
        out["detail"] = ("timed out" if bad["status"] == "timeout" else bad.get("error") or "failed")
        out["seconds_at_least"] = bad["seconds"]
        out["peak_rss_mb_at_least"] = bad.get("peak_rss_mb")
    if ok:
        secs = [r["seconds"] for r in ok]
        out.update(median_s=float(np.median(secs)), min_s=min(secs), max_s=max(secs),
                   peak_rss_mb=max(r["peak_rss_mb"] for r in ok),
                   rss_increase_mb=max(r["peak_rss_mb"] - r["base_rss_mb"] for r in ok))
        skip = {"status", "seconds", "base_rss_mb", "peak_rss_mb", "extra_s"}
        out["facts"] = {k: v for k, v in ok[0].items() if k not in skip}
        extra = [r["extra_s"] for r in ok if "extra_s" in r]
        if extra:
            out["extra_median_s"] = {k: float(np.median([e[k] for e in extra])) for k in extra[0]}
    return out


def _selected(names: str | None) -> list[Stage]:
    if not names:
        return list(STAGES)
    wanted = {s.strip() for s in names.split(",") if s.strip()}
    unknown = wanted - set(BY_NAME)
    if unknown:
        raise ValueError(f"--stages: unknown stage(s) {', '.join(sorted(unknown))}; choose from {', '.join(BY_NAME)}")
    makers = {s.makes: s.name for s in STAGES if s.makes}
    todo = list(wanted)
    while todo:  # the stages that make a selected stage's inputs run too
        for artifact in BY_NAME[todo.pop()].needs:
            if makers[artifact] not in wanted:
                wanted.add(makers[artifact])
                todo.append(makers[artifact])
    return [s for s in STAGES if s.name in wanted]


def _params_match(marker: Path, params: dict[str, Any]) -> bool:
    try:
        return bool(json.loads(marker.read_text()) == params)
    except (OSError, ValueError):
        return False


def run_size(size: int, repeats: int, work: Path, stages: list[Stage], dead: dict[str, str],
             args: argparse.Namespace) -> dict[str, Any]:
    """Build (or reuse) the store of one size and measure every stage on it."""
    work.mkdir(parents=True, exist_ok=True)
    store, npz, marker = work / "store.sqlite", work / "price.npz", work / "store-params.json"
    params = {"size": size, "mean_refs": args.mean_refs, "a": args.a, "seed": args.seed,
              "abstract_words": args.abstract_words}
    for old in work.glob("*.pkl"):
        old.unlink()  # artifacts of an earlier run: made again by this one
    entry: dict[str, Any] = {"n_references": size, "repeats": repeats, "stages": {}}
    if store.exists() and npz.exists() and _params_match(marker, params):
        log.info("  store: reusing %s", store)
        entry["build"] = {"reused": True, **json.loads((work / "store-build.json").read_text())}
    else:
        for path in (store, Path(f"{store}-wal"), Path(f"{store}-shm"), marker):
            path.unlink(missing_ok=True)
        build = bench_graphs.run_child({"task": "build", "store": str(store), "npz": str(npz), "size": size,
                                        "mean_refs": args.mean_refs, "a": args.a, "seed": args.seed,
                                        "abstract_words": args.abstract_words},
                                       args.build_timeout, args.mem_cap_gb, script=Path(__file__).resolve())
        log.info("  store: %s %.1f s", build["status"], build["seconds"])
        if build["status"] != "ok":
            raise SystemExit(f"building the SYNTHETIC store of {size:,} references failed: {build}")
        (work / "store-build.json").write_text(json.dumps(build))
        marker.write_text(json.dumps(params))
        entry["build"] = {"reused": False, **build}
    entry["papers"] = entry["build"]["papers"]
    made: set[str] = set()
    for stage in stages:
        missing = [a for a in stage.needs if a not in made]
        if stage.name in dead:
            entry["stages"][stage.name] = {"skipped": dead[stage.name]}
        elif missing:
            entry["stages"][stage.name] = {"skipped": f"no input: {', '.join(missing)} could not be made"}
        else:
            entry["stages"][stage.name] = res = measure(stage, size, repeats, work, store, npz, args)
            if res["finished"]:
                if stage.makes:
                    made.add(stage.makes)
            else:
                dead[stage.name] = f"{'timed out' if res['status'] == 'timeout' else 'failed'} at {_n(size)} references"
        log.info("  %s: %s", stage.name, _brief(entry["stages"][stage.name]))
    return entry


def measure(stage: Stage, size: int, repeats: int, work: Path, store: Path, npz: Path,
            args: argparse.Namespace) -> dict[str, Any]:
    """``repeats`` fresh-process runs of one stage (stopping at the first that does not finish)."""
    runs: list[dict[str, Any]] = []
    for i in range(repeats):
        if stage.name in GRAPHS_TASKS:
            spec: dict[str, Any] = {"task": GRAPHS_TASKS[stage.name], "kind": "cocitation", "data": str(npz),
                                    "top_k": args.options["graph_options"]["top_k"],
                                    "normalise": args.options["graph_options"]["normalise"],
                                    "block": 4096}
            run = bench_graphs.run_child(spec, args.timeout, args.mem_cap_gb)
        else:
            spec = {"task": "stage", "stage": stage.name, "store": str(store), "work": str(work), "save": i == 0,
                    "options": args.options}
            run = bench_graphs.run_child(spec, args.timeout, args.mem_cap_gb, script=Path(__file__).resolve())
        if run["status"] == "timeout":
            run["error"] = f"> {args.timeout:.0f} s (timed out)"
        runs.append(run)
        if run["status"] != "ok":
            break
    return summarise(runs)


def _brief(r: dict[str, Any]) -> str:
    if "skipped" in r:
        return f"skipped ({r['skipped']})"
    if not r["finished"]:
        return f"{r['status']}: {r['detail']}"
    return f"{r['median_s']:.3g} s, peak {r['peak_rss_mb']:,.0f} MB"


# --------------------------------------------------------------------------------------------------
# Growth, peers, targets
# --------------------------------------------------------------------------------------------------


def _n(size: int) -> str:
    return str(bench_graphs._n(size))


def project(points: list[tuple[int, float]], exponent: float | None, size: int) -> float | None:
    """The last point scaled to ``size`` with ``exponent``: ``t_last * (size / n_last) ** b``."""
    if exponent is None or not points:
        return None
    n_last, t_last = points[-1]
    return float(t_last * (size / n_last) ** exponent)


def growth(result: dict[str, Any]) -> None:
    """Per stage: fitted exponent, lower bound from a timeout, projections to 10^6, verdict."""
    out: dict[str, Any] = {}
    for stage in result["stages"]:
        entries = [(e["n_references"], e["stages"].get(stage)) for e in result["sizes"]]
        done = [(n, r) for n, r in entries if r and r.get("finished")]
        pts = [(n, r["median_s"]) for n, r in done]
        mem = [(n, r["rss_increase_mb"]) for n, r in done if r["rss_increase_mb"] >= 10]
        fit = bench_graphs.growth_exponent(pts)
        mem_fit = bench_graphs.growth_exponent(mem)
        g: dict[str, Any] = {"fit": fit, "sizes": [n for n, _ in pts], "memory_fit": mem_fit}
        timed_out = next(((n, r) for n, r in entries if r and r.get("status") == "timeout"), None)
        if timed_out and pts and pts[-1][0] < timed_out[0]:
            n0, t0 = pts[-1]
            g["lower_bound"] = math.log(timed_out[1]["seconds_at_least"] / t0) / math.log(timed_out[0] / n0)
        if timed_out:
            g["timed_out_at"] = timed_out[0]
        failed = next(((n, r) for n, r in entries if r and r.get("status") == "failed"), None)
        if failed:
            g["failed_at"] = failed[0]
            g["failed"] = failed[1]["detail"]
        if pts and pts[-1][0] < TARGET_SIZE and fit is not None:
            g["projected_s"] = project(pts, fit, TARGET_SIZE)
            last = done[-1][1]
            if mem_fit is not None:
                g["projected_peak_mb"] = last["peak_rss_mb"] + last["rss_increase_mb"] * (
                    (TARGET_SIZE / done[-1][0]) ** mem_fit - 1)
        g["verdict"], g["met"] = _verdict(stage, g)
        out[stage] = g
    result["growth"] = out


def _verdict(stage: str, g: dict[str, Any]) -> tuple[str, bool | None]:
    if BY_NAME[stage].peer:
        return "peer (not judged)", None
    if stage == "betweenness":
        return "exempt (exact within a cost budget, sampled within it above)", None
    if "lower_bound" in g and g["lower_bound"] > NLOGN_MAX_EXPONENT:
        return f"**faster than n log n**: timed out, b >= {g['lower_bound']:.2f}", False
    if "failed_at" in g:
        return f"**failed at {_n(g['failed_at'])}** ({g['failed']})", False
    if "timed_out_at" in g and "lower_bound" not in g:
        return f"**timed out at {_n(g['timed_out_at'])}**", False
    if g["fit"] is None:
        return "n/a (fewer than 2 finished sizes)", None
    if g["fit"] <= NLOGN_MAX_EXPONENT:
        return f"n log n or better (b = {g['fit']:.2f} <= {NLOGN_MAX_EXPONENT})", True
    return f"**faster than n log n** (b = {g['fit']:.2f} > {NLOGN_MAX_EXPONENT})", False


def peers(result: dict[str, Any]) -> None:
    """Ratios of the peers measured in the same run, per size."""
    rows = []
    for e in result["sizes"]:
        st = e["stages"]
        row: dict[str, Any] = {"n_references": e["n_references"]}
        ours, ig = st.get("pagerank", {}), st.get("pagerank_igraph", {})
        if ours.get("finished") and ig.get("finished"):
            call = ig.get("extra_median_s", {}).get("pagerank_call_s")
            row["pagerank"] = {"citegraph_s": ours["median_s"], "igraph_s": ig["median_s"], "igraph_call_s": call,
                               "ratio": ours["median_s"] / ig["median_s"],
                               "ratio_call": ours["median_s"] / call if call else None,
                               "l1_diff": ig["facts"]["l1_diff"], "max_abs_diff": ig["facts"]["max_abs_diff"],
                               "agree": ig["facts"]["agree"]}
        sparse, loop = st.get("cocitation_sparse", {}), st.get("cocitation_pairwise", {})
        if sparse.get("finished") and loop.get("finished"):
            row["cocitation"] = {"sparse_s": sparse["median_s"], "loop_s": loop["median_s"],
                                 "speedup": loop["median_s"] / sparse["median_s"],
                                 "edges": sparse["facts"].get("edges"),
                                 "same_edges": sparse["facts"].get("edges") == loop["facts"].get("edges")}
        rows.append(row)
    result["peers"] = rows


def targets(result: dict[str, Any]) -> None:
    """Each target: what was measured, met or not, by how much."""
    out: list[dict[str, Any]] = []
    at = {e["n_references"]: e for e in result["sizes"]}
    whole = at.get(TARGET_SIZE, {}).get("stages", {}).get("analyse")
    t: dict[str, Any] = {"target": f"`citegraph analyse` on 10^6 references: <= {TARGET_S:.0f} s and <= "
                                   f"{TARGET_GB:.0f} GB peak RSS ({result['machine']['cores']} cores here)"}
    if whole and whole.get("finished"):
        secs, peak = whole["max_s"], whole["peak_rss_mb"]
        t["measured"] = f"{whole['median_s']:.1f} s (max {secs:.1f} s), {peak / 1024:.2f} GB"
        t["met"] = secs <= TARGET_S and peak <= TARGET_GB * 1024
        t["miss"] = _miss(secs, peak)
    elif whole and "skipped" not in whole:
        t["measured"] = f"{whole['detail']} after {whole['seconds_at_least']:.0f} s" + (
            f", peak >= {whole['peak_rss_mb_at_least'] / 1024:.2f} GB" if whole.get("peak_rss_mb_at_least") else "")
        t["met"] = False
        t["miss"] = "did not finish"
    elif earlier := next(((e["n_references"], e["stages"]["analyse"]) for e in result["sizes"]
                          if e["n_references"] < TARGET_SIZE and "status" in e["stages"].get("analyse", {})), None):
        n, r = earlier
        t["measured"] = f"did not finish at {_n(n)}: {r['detail']} after {r['seconds_at_least']:.0f} s" + (
            f", peak >= {r['peak_rss_mb_at_least'] / 1024:.2f} GB" if r.get("peak_rss_mb_at_least") else "")
        t["met"] = False
        t["miss"] = f"fails at {_n(n)} references already"
    else:
        g = result.get("growth", {}).get("analyse", {})
        proj, pmem = g.get("projected_s"), g.get("projected_peak_mb")
        t["measured"] = "not measured at 10^6" + (
            f"; projected ~{proj:,.0f} s" if proj is not None else "") + (
            f", ~{pmem / 1024:.1f} GB" if pmem is not None else "") + (" (from the fit)" if proj is not None else "")
        t["met"] = None
        if proj is not None:
            t["miss"] = _miss(proj, pmem) + " (projected)"
    t["why"] = _slowest(at.get(TARGET_SIZE) or (result["sizes"][-1] if result["sizes"] else None))
    out.append(t)

    gr = result.get("growth", {})
    judged = {k: v for k, v in gr.items() if v.get("met") is not None}
    bad = {k: v for k, v in judged.items() if v["met"] is False}
    out.append({"target": f"no stage grows faster than n log n (b <= {NLOGN_MAX_EXPONENT}) except betweenness",
                "measured": f"{len(judged) - len(bad)} of {len(judged)} judged stages" if judged else "n/a",
                "met": (not bad) if judged else None,
                "miss": "; ".join(f"{k}: {v['verdict'].replace('**', '')}" for k, v in bad.items())})

    pr = [(r["n_references"], r["pagerank"]) for r in result.get("peers", []) if "pagerank" in r]
    t = {"target": f"PageRank within {PAGERANK_MAX_RATIO:.0f}x of python-igraph (like for like, largest size)"}
    if pr:
        n, p = pr[-1]
        t["measured"] = (f"{p['ratio']:.2f}x at {_n(n)} ({p['citegraph_s']:.3g} s vs {p['igraph_s']:.3g} s); "
                         f"{p['ratio_call']:.0f}x vs the pagerank() call alone; scores agree: "
                         f"{'yes' if p['agree'] else 'NO'} (L1 {p['l1_diff']:.1e})"
                         if p["ratio_call"] else f"{p['ratio']:.2f}x at {_n(n)}")
        t["met"] = p["ratio"] <= PAGERANK_MAX_RATIO and bool(p["agree"])
        t["miss"] = "" if t["met"] else f"{p['ratio'] / PAGERANK_MAX_RATIO:.1f}x over the allowed ratio"
    else:
        t.update(measured="not measured", met=None)
    out.append(t)

    co = {r["n_references"]: r["cocitation"] for r in result.get("peers", []) if "cocitation" in r}
    t = {"target": f"co-citation >= {COCITATION_MIN_SPEEDUP:.0f}x faster than the pairwise loop at 10^5 references"}
    if COCITATION_TARGET_SIZE in co:
        c = co[COCITATION_TARGET_SIZE]
        t["measured"] = f"{c['speedup']:.1f}x ({c['sparse_s']:.3g} s vs {c['loop_s']:.3g} s)"
        t["met"] = c["speedup"] >= COCITATION_MIN_SPEEDUP
        t["miss"] = "" if t["met"] else f"{COCITATION_MIN_SPEEDUP / c['speedup']:.1f}x short"
    else:
        t["measured"] = "not measured at 10^5" + (
            "; " + ", ".join(f"{v['speedup']:.1f}x at {_n(k)}" for k, v in sorted(co.items())) if co else "")
        t["met"] = None
    out.append(t)
    result["targets"] = out


def _miss(secs: float, peak_mb: float | None) -> str:
    parts = []
    if secs > TARGET_S:
        parts.append(f"time over by {secs - TARGET_S:,.0f} s ({secs / TARGET_S:.1f}x)")
    if peak_mb is not None and peak_mb > TARGET_GB * 1024:
        parts.append(f"memory over by {(peak_mb - TARGET_GB * 1024) / 1024:.1f} GB ({peak_mb / 1024 / TARGET_GB:.1f}x)")
    return "; ".join(parts)


def _slowest(entry: dict[str, Any] | None) -> str:
    """The top-level analyse stages that cost most at a size (or did not finish there)."""
    if entry is None:
        return ""
    items = []
    for name, r in entry["stages"].items():
        s = BY_NAME[name]
        if not s.in_analyse or s.within:
            continue
        if r.get("finished"):
            items.append((r["median_s"], f"{name} {r['median_s']:.3g} s"))
        elif "skipped" not in r and r:
            items.append((math.inf, f"{name} {r['detail']}"))
    items.sort(key=lambda x: -x[0])
    return f"at {_n(entry['n_references'])}: " + ", ".join(text for _, text in items[:3]) if items else ""


# --------------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------------


def _cell_time(r: dict[str, Any] | None) -> str:
    if not r:
        return ""
    if "skipped" in r:
        return f"skipped ({r['skipped']})"
    if not r["finished"]:
        return f"> {r['seconds_at_least']:.0f} s ({r['detail']})" if r["status"] == "timeout" else \
            f"{r['detail']} after {r['seconds_at_least']:.1f} s"
    spread = f" ({r['min_s']:.3g}–{r['max_s']:.3g})" if len(r["runs"]) > 1 else ""
    return f"{r['median_s']:.3g} s{spread}"


def _cell_mem(r: dict[str, Any] | None) -> str:
    if not r or "skipped" in r:
        return ""
    return str(bench_graphs._mem(r))


def markdown(res: dict[str, Any]) -> str:
    """The analysis section: store builds, stage x size tables, peers, targets."""
    p, mc = res["params"], res["machine"]
    sizes = [e["n_references"] for e in res["sizes"]]
    reps = ", ".join(f"{e['repeats']} at {_n(e['n_references'])}" for e in res["sizes"])
    lines = [
        f"Command: `{res['command']}`",
        "",
        (f"Data: **{res['label']}**, {p['mean_refs']} references per paper on average (Poisson), a = {p['a']:g}, "
         f"seed {p['seed']}, SYNTHETIC Crossref-shaped records (`{DOI_PREFIX}<i>`, \"SYNTHETIC work i\", "
         f"{p['abstract_words']} abstract pseudo-words on average). Measured: citegraph {p['citegraph']} "
         f"(`{p['citegraph_path']}`), `AnalyseOptions()` with `top_k={p['top_k']}`; each run in a fresh process "
         f"(repeats: {reps}; timeout {p['timeout_s']:.0f} s; address-space cap {p['mem_cap_gb']:g} GB). "
         f"Machine: {mc['cores']} cores ({mc['cpu']}), {mc['ram_gib']} GiB, Python {mc['python']}, numpy "
         f"{mc['numpy']}, scipy {mc['scipy']}, networkx {mc['networkx']} ({mc['date']})."),
        "",
        "Store build (setup, not a stage: generate the graph, make the records, `parse_work` + `Store.add_works`):",
        "",
        "| references | papers | generate | records | insert | total | store | peak RSS |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in res["sizes"]:
        b = e["build"]
        reused = " (reused)" if b.get("reused") else ""
        lines.append(f"| {_n(e['n_references'])} | {e['papers']:,} | {b['generate_s']:.2f} s | {b['records_s']:.2f} s "
                     f"| {b['insert_s']:.2f} s | {b['seconds']:.2f} s{reused} | {b['store_mb']:,.1f} MB | "
                     f"{b['peak_rss_mb']:,.0f} MB |")
    head = " | ".join(_n(n) for n in sizes)
    proj = any("projected_s" in g for g in res["growth"].values())
    lines += ["", "Time per stage (median, min–max over the repeats):", "",
              f"| stage | {head} | b | {'projected 10^6 | ' if proj else ''}growth verdict |",
              "|---|" + "---|" * len(sizes) + "---|" + ("---|" if proj else "") + "---|"]
    for name in res["stages"]:
        s, g = BY_NAME[name], res["growth"][name]
        label = f"{name} (in {s.within})" if s.within else name
        cells = " | ".join(_cell_time(e["stages"].get(name)) for e in res["sizes"])
        b = f"{g['fit']:.2f}" if g["fit"] is not None else ""
        pj = (f"~{g['projected_s']:,.3g} s | " if g.get("projected_s") is not None else " | ") if proj else ""
        lines.append(f"| {label} | {cells} | {b} | {pj}{g['verdict']} |")
    lines += ["", "Peak RSS per stage (increase over the child's base: interpreter, libraries, loaded inputs):", "",
              f"| stage | {head} |{' projected peak 10^6 |' if proj else ''}",
              "|---|" + "---|" * len(sizes) + ("---|" if proj else "")]
    for name in res["stages"]:
        g = res["growth"][name]
        cells = " | ".join(_cell_mem(e["stages"].get(name)) for e in res["sizes"])
        pj = (f" ~{g['projected_peak_mb'] / 1024:,.1f} GB |" if g.get("projected_peak_mb") is not None else " |") \
            if proj else ""
        lines.append(f"| {name} | {cells} |{pj}")
    lines += ["", "What each stage produced (first run):", ""]
    for e in res["sizes"]:
        facts = [f"{k} {_fmt_facts(r['facts'])}" for k, r in e["stages"].items() if r.get("facts")]
        top = [r["median_s"] for k, r in e["stages"].items()
               if r.get("finished") and BY_NAME[k].in_analyse and not BY_NAME[k].within]
        whole = e["stages"].get("analyse", {})
        total = (f" The top-level stages add up to {sum(top):.3g} s; `analyse()` end to end took "
                 f"{whole['median_s']:.3g} s.") if top and whole.get("finished") else ""
        lines.append(f"- {_n(e['n_references'])}: " + "; ".join(facts) + "." + total)
    lines += ["", "Peers, same data, same run:", "",
              "| references | PageRank: citegraph | igraph (from the networkx graph) | igraph `pagerank()` alone "
              "| ratio (like for like) | ratio (call alone) | scores agree (L1) | co-citation: sparse | pairwise loop "
              "| speed-up | same edges |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in res["peers"]:
        pr, co = row.get("pagerank"), row.get("cocitation")
        left = (f"{pr['citegraph_s']:.3g} s | {pr['igraph_s']:.3g} s | {pr['igraph_call_s']:.3g} s | "
                f"{pr['ratio']:.2f}x | {pr['ratio_call']:.0f}x | {'yes' if pr['agree'] else '**no**'} "
                f"({pr['l1_diff']:.1e})") if pr else "| | | | | "
        right = (f"{co['sparse_s']:.3g} s | {co['loop_s']:.3g} s | {co['speedup']:.1f}x | "
                 f"{'yes' if co['same_edges'] else '**no**'}") if co else "| | | "
        lines.append(f"| {_n(row['n_references'])} | {left} | {right} |")
    lines += ["", "Targets:", "", "| target | measured | verdict |", "|---|---|---|"]
    for t in res["targets"]:
        lines.append(f"| {t['target']} | {t['measured']} | {_met(t)} |")
    lines += ["", (f"Growth rule: b is the least-squares slope of log(time) on log(references) over the sizes a stage "
                   f"finished; n log n has slope 1.09 over 10^4–10^6, so b <= {NLOGN_MAX_EXPONENT} counts as "
                   "\"n log n or better\" (the margin is for timing noise). Fits over small sizes are flattened "
                   "by fixed costs (imports are not timed, but graph copies and sorting set-up are); projections "
                   "scale the largest finished size by the fitted b and are estimates, not measurements.")]
    export = next((r["facts"].get("writer") for e in res["sizes"]
                   for k, r in e["stages"].items() if k == "graphml_export" and r.get("facts")), None)
    if export and "networkx" in str(export):
        lines.append(f"GraphML export used the fallback: {export}.")
    return "\n".join(lines)


def _fmt_facts(facts: dict[str, Any]) -> str:
    parts = []
    for k, v in facts.items():
        if isinstance(v, float):
            v = f"{v:.3g}"
        elif isinstance(v, int) and not isinstance(v, bool):
            v = f"{v:,}"
        parts.append(f"{k} {v}")
    return "(" + ", ".join(parts) + ")"


def _met(t: dict[str, Any]) -> str:
    if t.get("met") is None:
        return "not judged" + (f" ({t['miss']})" if t.get("miss") else "")
    if t["met"]:
        return "met"
    return "**missed**" + (f": {t['miss']}" if t.get("miss") else "") + (f" ({t['why']})" if t.get("why") else "")


# --------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1e4,1e5,1e6", help="numbers of references, comma-separated")
    ap.add_argument("--repeats", type=int, default=3, help="runs per stage and size")
    ap.add_argument("--large-repeats", type=int, default=1, help="runs per stage at sizes of 10^6 and more")
    ap.add_argument("--stages", help=f"measure only these (and what makes their inputs): {', '.join(BY_NAME)}")
    ap.add_argument("--top-k", type=int, default=None,
                    help="GraphOptions.top_k for co-citation/coupling (default: as `citegraph analyse`)")
    ap.add_argument("--mean-refs", type=int, default=20)
    ap.add_argument("--a", type=float, default=1.0, help="Price's initial attractiveness")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--abstract-words", type=int, default=40, help="mean words of each SYNTHETIC abstract (0: none)")
    ap.add_argument("--timeout", type=float, default=600.0, help="kill a measured run after this many seconds")
    ap.add_argument("--build-timeout", type=float, default=3600.0, help="seconds allowed to build one store")
    ap.add_argument("--mem-cap-gb", type=float, default=8.0, help="address-space cap of each child (GB)")
    ap.add_argument("--workdir", type=Path, help="keep stores here and reuse them (default: a temporary folder)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--save", type=Path, help="also write the raw figures (JSON) to this file")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        bench_graphs.child_main(child, args.child)
        return
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    if args.top_k is not None and args.top_k < 1:
        ap.error(f"--top-k {args.top_k} must be at least 1 (or left out)")
    if args.repeats < 1 or args.large_repeats < 1:
        ap.error("--repeats and --large-repeats must be at least 1")
    sizes = sorted(set(bench_graphs.parse_sizes(args.sizes)))
    if not sizes or sizes[0] < 100:
        ap.error(f"--sizes {args.sizes!r}: give numbers of references of at least 100, e.g. 1e4,1e5")
    try:
        stages = _selected(args.stages)
    except ValueError as exc:
        ap.error(str(exc))
    args.options = analyse_options(args.top_k)
    import citegraph

    result: dict[str, Any] = {
        "label": LABEL,
        "machine": bench_graphs.machine(),
        "command": "python bench/analyse.py " + " ".join(
            a for a in (sys.argv[1:] if argv is None else argv)),
        "params": {"sizes": sizes, "repeats": args.repeats, "large_repeats": args.large_repeats,
                   "top_k": args.options["graph_options"]["top_k"],
                   "mean_refs": args.mean_refs, "a": args.a, "seed": args.seed,
                   "abstract_words": args.abstract_words, "timeout_s": args.timeout, "mem_cap_gb": args.mem_cap_gb,
                   "citegraph": getattr(citegraph, "__version__", "?"),
                   "citegraph_path": str(Path(citegraph.__file__).resolve().parent), "options": args.options},
        "stages": [s.name for s in stages],
        "sizes": [],
    }
    dead: dict[str, str] = {}
    tmp = tempfile.mkdtemp(prefix="citegraph-bench-analyse-") if args.workdir is None else None
    root = args.workdir or Path(str(tmp))
    try:
        for size in sizes:
            log.info("size %s references (SYNTHETIC)", f"{size:,}")
            repeats = args.large_repeats if size >= TARGET_SIZE else args.repeats
            result["sizes"].append(run_size(size, repeats, root / f"refs-{size}", stages, dead, args))
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    growth(result)
    peers(result)
    targets(result)
    result["date"] = datetime.date.today().isoformat()
    if args.save:
        args.save.write_text(json.dumps(result, indent=2) + "\n")
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(markdown(result))


if __name__ == "__main__":
    main()
