"""Peers side by side: citegraph's graph builds and rankings against litstudy, python-igraph and the pairwise loop.

Operations, each timed in a fresh process (``bench/graphs.py``'s runner: a timeout, an address-space cap,
the child's ``ru_maxrss`` before and after the timed call), median of the repeats (one run when the first
takes over 10 s):

===========  ============================================  ==============================================
operation    citegraph (library function)                  peers
===========  ============================================  ==============================================
citation     ``graphs.citation.citation_graph(store)``     litstudy ``build_citation_network(docs)``
cocitation   ``graphs.cocitation_graph(G, normalise=        litstudy ``build_cocitation_network(docs,
             "count", top_k=K)``                           max_edges=M)``; the pairwise loop
coupling     ``graphs.coupling_graph(G, ...)``             litstudy ``build_coupling_network(docs,
                                                           max_edges=M)``; the pairwise loop
pagerank     ``analysis.rank.pagerank_scores(G)``          python-igraph ``Graph.pagerank()``
betweenness  ``analysis.rank.betweenness_scores(G, ...)``  python-igraph ``Graph.betweenness()``
===========  ============================================  ==============================================

``G`` is the citation graph ``citation_graph(store)`` made (networkx, loaded from a pickle: not timed);
citegraph's co-citation and coupling functions build their ``CitationMatrix`` from it and return a networkx
graph, both inside the time. Peers, on the same data in the same run:

- **litstudy 1.0.6** (PyPI), from its own venv (``--peer-python``, default ``$BENCH_PEER_PYTHON`` or
  ``.venv-peers/bin/python``; see ``bench/peers_litstudy.py``). Its ``DocumentSet`` is made from the records
  citegraph stored: Crossref records (real and SYNTHETIC) through litstudy's own
  ``CrossRefDocument(record)``, Web of Science records (litstudy has no WoS reader) through its ``Document``
  interface with the stored DOI, title and the DOIs of the cited references. Loading is not timed.
  ``max_edges`` is set above the number of pairs (litstudy truncates to its global top ``max_edges``
  otherwise: ``2 x documents`` for co-citation, 1000 for coupling); in top-k mode (below) it is the number of
  edges citegraph kept. litstudy's networks hold the documents only (citegraph's also the works they cite):
  agreement is judged on the pairs of stored works.
- **python-igraph**: PageRank (``damping=0.85``) timed from the networkx graph to a ``{node: score}`` dict
  (conversion included; ``bench/analyse.py``'s own peer code) and the ``pagerank()`` call alone;
  betweenness on the undirected view as ``rank_works`` plans it (``betweenness_plan(G, RankOptions())``: exact
  within its budget of visits, else the pivots the budget pays for, same seed), conversion (edge list,
  ``simplify``) included, and the call alone, scaled as networkx does. citegraph's side is
  ``betweenness_scores(G, seed=, budget=)`` with the same defaults (its standard-error groups included).
- **the pairwise loop** (``bench/graphs.py``'s ``groups_of`` and ``loop_edges``: ``itertools.combinations``
  into a ``Counter``, then ``top_k`` in Python), timed from the lists of references (citers) per work.

Co-citation and coupling run on the full edge set (``top_k=None``, counts) when the pairs the loop would
visit are at most ``--full-pairs``; above that (SYNTHETIC 10^5 coupling and 10^6), citegraph and the loop keep
each work's ``--top-k`` strongest links (``top_k`` mode, the only affordable output there) and litstudy's
global top is not comparable (its agreement is "n/a"). A peer is skipped at a size when it took longer than
``--peer-budget`` at the previous size or its work (pairs visited; documents squared for litstudy's
coupling, which intersects every pair of reference sets) projects it past ``--peer-max`` seconds.

Agreement: edge sets (and counts) equal, scores within 1e-6 (PageRank both normalised to sum 1). The
differences with litstudy are counted, not assumed: DOIs matched only when case is ignored (litstudy
compares DOIs as written), references listed twice in one record (litstudy counts the pair twice), and
its coupling numbering (a reference outside the set gets number ``n + 1`` where it was registered as ``n``).

Data: real stores (``--shared``: every Crossref record of ``crossref/works-*.jsonl.gz``; the coffee/obesity
WoS plain-text and the CRISPR WoS tab-delimited exports, imported with ``import_exports`` as ``citegraph
import`` does), skipped with the reason when ``--shared`` is absent; and **SYNTHETIC** Price-model graphs
(``bench/synthetic.py``, a = 1, 20 references per paper; stored as ``bench/analyse.py``'s SYNTHETIC Crossref
records, without abstracts) at ``--sizes`` references.

Target (issue 20): every graph build and ranking at most 0.5x the fastest peer's time at every measured size,
real stores included; PageRank at most igraph's time, conversion included.

Run: ``python bench/peers.py [--sizes 1e4,1e5,1e6] [--datasets crossref,coffee,crispr] [--repeats 3]
[--smoke] [--json] [--save PATH]`` (prints a Markdown section; ``--json`` for raw figures).
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import json
import math
import os
import pickle
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import graphs as bench_graphs  # noqa: E402  (its runner, the pairwise loop, machine facts)
from synthetic import LABEL  # noqa: E402

__all__ = ["INTRO", "OPS", "PEERS", "main", "markdown", "targets"]

#: The introduction of this benchmark's section in bench/RESULTS.md.
INTRO = """Target (issue 20): every graph build and ranking at most 0.5x the fastest peer's time at every measured size,
real stores included; PageRank at most python-igraph's time, conversion included. Peers, on the same data in
the same run, each run in a fresh process: **litstudy 1.0.6** (PyPI, from its own venv: it needs bibtexparser
1, citegraph's tests bibtexparser 2) on a `DocumentSet` made from the records citegraph stored (Crossref
records through litstudy's own `CrossRefDocument`, WoS records through its `Document` interface), its builders
timed with `max_edges` above the number of pairs; **python-igraph** PageRank and betweenness (the pivots
`rank_works` uses), timed from the networkx graph with the conversion included and the call alone; the
**pairwise loop** of `bench/graphs.py` (`itertools.combinations` into a `Counter`). citegraph is timed through
its library functions: `citation_graph(store)` from the store, `cocitation_graph`/`coupling_graph` (counts;
networkx output included) from the networkx citation graph and the same links as arrays
(`cocitation_pairs`/`coupling_pairs`) from its citation matrix (`citation_matrix(G)`, made before the clock
starts, as the loop's lists are), `pagerank_scores`/`betweenness_scores` from the networkx citation graph.
Each peer is judged like for like, on what it takes and gives: the loop (citing -> cited lists in, pair counts
in a `Counter` out) against citegraph's links as arrays, litstudy (documents in, a networkx graph out) against
citegraph's networkx graph; a row's ratio is the largest over its peers (the peer citegraph is least ahead
of). litstudy's networks hold the stored works only, so on real stores the citation graph and co-citation are
measured twice: over every cited work (citegraph's default; co-citation against the loop, the citation graph
without a peer) and over the stored works only (litstudy's scope: `citation_graph(store, stored_only=True)`).
Where the loop would visit more pairs than the full-pairs limit, citegraph and the loop keep each work's top_k
links and litstudy's output is not comparable. The real stores are every Crossref record of
`../shared/crossref` and two WoS exports of `../shared/corpora` imported as `citegraph import` does; the
SYNTHETIC ones are Price-model graphs (`bench/synthetic.py`, a = 1) stored as `bench/analyse.py`'s SYNTHETIC
Crossref records. Run `python bench/peers.py --help` for the rules; `--smoke` is in the test suite
(`tests/test_bench_peers.py`)."""

OPS = ("citation", "cocitation", "coupling", "pagerank", "betweenness")
PEERS = {"citation": ("litstudy",), "cocitation": ("litstudy", "loop"), "coupling": ("litstudy", "loop"),
         "pagerank": ("igraph",), "betweenness": ("igraph",), "cocitation-stored": ("litstudy", "loop"),
         "citation-stored": ("litstudy",)}
#: Real stores: the citation graph and co-citation twice. Over every cited work (what citegraph builds by
#: default; litstudy cannot: its networks hold the documents only): the citation graph without a peer,
#: co-citation against the loop; and over the stored works only (litstudy's scope: ``citation_graph(store,
#: stored_only=True)``, the citation graph restricted to the stored works) against litstudy (and the loop).
#: SYNTHETIC stores hold every work: one scope.
OPS_REAL = ("citation", "citation-stored", "cocitation", "cocitation-stored", "coupling", "pagerank", "betweenness")


def peers_of(op: str, synthetic: bool) -> tuple[str, ...]:
    """The peers of an operation (real stores: litstudy's citation graph and co-citation are compared on its
    own scope only, the stored works)."""
    if not synthetic and op in ("citation", "cocitation"):
        return () if op == "citation" else ("loop",)
    return PEERS[op]


def ops_of(entry: dict[str, Any]) -> tuple[str, ...]:
    """The operations measured on a data set (all but those ``--ops`` left out)."""
    chosen = entry.get("ops")
    return tuple(op for op in (OPS if entry["synthetic"] else OPS_REAL) if chosen is None or kind_of(op) in chosen)


def kind_of(op: str) -> str:
    """``cocitation-stored`` -> ``cocitation``."""
    return op.split("-")[0]
REAL = {"crossref": "Crossref records of ../shared/crossref/works-*.jsonl.gz",
        "coffee": "coffee/obesity, WoS plain text (../shared/corpora/coffee-obesity-wos)",
        "crispr": "CRISPR 2017, WoS tab-delimited (../shared/corpora/crispr-2017-wostab)"}
WOS = {"coffee": ("coffee-obesity-wos", "data_*.txt"), "crispr": ("crispr-2017-wostab", "savedrecs*.txt")}
MAX_RATIO = 0.5
PAGERANK_MAX_RATIO = 1.0
TOLERANCE = 1e-6
ALL_EDGES = 10**15  # litstudy's max_edges when every pair is kept


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------
# Preparing a data set (a child process): the store, the citation graph, the litstudy documents
# --------------------------------------------------------------------------------------------------


def _wos_files(shared: Path, name: str) -> list[Path]:
    folder, pattern = WOS[name]
    return sorted((shared / "corpora" / folder).glob(pattern),
                  key=lambda p: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)])


def prepare(spec: dict[str, Any]) -> dict[str, Any]:
    """Make the store of a data set in ``spec["work"]``, the citation graph (pickled), the arrays of the loop and
    the litstudy documents; facts about the references litstudy will see."""
    from citegraph.graphs.arrays import citation_matrix
    from citegraph.graphs.citation import citation_graph
    from citegraph.store import Store
    from citegraph.store.records import parse_work

    work = Path(spec["work"])
    store_path = work / "store.sqlite"
    t0 = time.perf_counter()
    if spec["dataset"] == "synthetic":
        import analyse as bench_analyse  # bench/analyse.py: its SYNTHETIC Crossref-shaped records and store
        bench_analyse.build_store(store_path, spec["size"], mean_refs=20, a=1.0, seed=0, abstract_words=0)
    elif spec["dataset"] == "crossref":
        with Store(store_path) as store:
            for name in sorted((Path(spec["shared"]) / "crossref").glob("works-*.jsonl.gz")):
                with gzip.open(name, "rt", encoding="utf-8") as fh:
                    store.add_works([parse_work(json.loads(line), source=f"file:{name.name}") for line in fh
                                     if line.strip()])
    else:
        from citegraph.sources import importing
        with Store(store_path) as store, store.writer_lock():
            importing.import_exports(store, _wos_files(Path(spec["shared"]), spec["dataset"]), fmt="auto")
    build_s = time.perf_counter() - t0
    with Store(store_path, readonly=True) as store:
        G = citation_graph(store)
        works = list(store.works())
        refs = {w["doi"]: store.references(w["doi"]) for w in works}
    with open(work / "citation.pkl", "wb") as fh:
        pickle.dump(G, fh, protocol=pickle.HIGHEST_PROTOCOL)
    cm = citation_matrix(G)
    citing, cited = cm.matrix.nonzero()
    np.savez(work / "arrays.npz", citing=citing.astype(np.int64), cited=cited.astype(np.int64), n=len(cm.nodes))
    (work / "nodes.json").write_text(json.dumps(cm.nodes), encoding="utf-8")
    # the litstudy documents: one line per stored work, in store order (keys.json: that order)
    exact_dois = {str(w["doi_original"]) for w in works if w.get("doi_original")}
    lower = {d.lower() for d in exact_dois}
    facts = {"ref_dois": 0, "matched_exact": 0, "matched_ignoring_case_only": 0, "duplicate_refs": 0}
    with open(work / "docs.jsonl", "w", encoding="utf-8") as fh:
        for w in works:
            raw = json.loads(w["raw_json"]) if w.get("raw_json") else {}
            dois = [str(r.cited_original or r.cited) for r in refs[w["doi"]] if (r.cited_original or r.cited)]
            facts["ref_dois"] += len(dois)
            facts["matched_exact"] += sum(1 for d in dois if d in exact_dois)
            facts["matched_ignoring_case_only"] += sum(1 for d in dois if d not in exact_dois and d.lower() in lower)
            facts["duplicate_refs"] += len(dois) - len({d.lower() for d in dois})
            if isinstance(raw, dict) and "DOI" in raw and isinstance(raw.get("reference", []), list) \
                    and str(w["source"]).startswith(("file:", "synthetic", "crossref")):
                fh.write(json.dumps({"crossref": raw}) + "\n")
            else:
                fh.write(json.dumps({"doi": w.get("doi_original"), "title": w.get("title"), "refs": dois}) + "\n")
    (work / "keys.json").write_text(json.dumps([w["doi"] for w in works]), encoding="utf-8")
    pairs = bench_graphs.pair_occurrences(citing, cited, len(cm.nodes))
    extra: dict[str, Any] = {}
    if spec["dataset"] != "synthetic":  # litstudy's scope: the citation graph between stored works only
        S = G.subgraph([k for k in (w["doi"] for w in works) if k in G]).copy()
        with open(work / "citation-stored.pkl", "wb") as fh:
            pickle.dump(S, fh, protocol=pickle.HIGHEST_PROTOCOL)
        cs = citation_matrix(S)
        s_citing, s_cited = cs.matrix.nonzero()
        np.savez(work / "arrays-stored.npz", citing=s_citing.astype(np.int64), cited=s_cited.astype(np.int64),
                 n=len(cs.nodes))
        (work / "nodes-stored.json").write_text(json.dumps(cs.nodes), encoding="utf-8")
        extra = {"stored_links": S.number_of_edges(),
                 "pair_occurrences_stored": bench_graphs.pair_occurrences(s_citing, s_cited, len(cs.nodes))}
    return {**extra, "seconds": build_s, "base_rss_mb": 0.0, "peak_rss_mb": bench_graphs._maxrss_mb(),
            "works": len(works), "nodes": G.number_of_nodes(), "links": G.number_of_edges(), "pair_occurrences": pairs,
            "citing_works": len(np.unique(citing)), **facts}


# --------------------------------------------------------------------------------------------------
# Measured children (citegraph, igraph, the loop)
# --------------------------------------------------------------------------------------------------


def _dump(path: str | None, rows: Any) -> None:
    if path:
        with open(path, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write("\t".join(str(x) for x in row) + "\n")


def _timed(call: Any) -> tuple[Any, dict[str, Any]]:
    import gc

    gc.collect()
    base = bench_graphs._maxrss_mb()
    t0 = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - t0
    return result, {"seconds": seconds, "base_rss_mb": base, "peak_rss_mb": bench_graphs._maxrss_mb()}


def child(spec: dict[str, Any]) -> dict[str, Any]:
    task = spec["task"]
    if task == "prepare":
        return prepare(spec)
    if task == "batch":  # --smoke: several runs in one process (start-up costs more than the runs)
        return {"results": [child(s) for s in spec["runs"]]}
    work = Path(spec["work"])
    op, impl, dump = spec["op"], spec["impl"], spec.get("dump")
    scope = "-stored" if op.endswith("-stored") else ""  # the citation graph between stored works only
    op = kind_of(op)
    if op == "citation":
        from citegraph.graphs.citation import citation_graph
        from citegraph.store import Store
        with Store(work / "store.sqlite", readonly=True) as store:
            G, out = _timed(lambda: citation_graph(store, stored_only=bool(scope)))
        _dump(dump, G.edges())
        return {**out, "nodes": G.number_of_nodes(), "edges": G.number_of_edges()}
    if impl == "loop":
        nodes = json.loads((work / f"nodes{scope}.json").read_text(encoding="utf-8"))
        with np.load(work / f"arrays{scope}.npz") as z:
            groups = bench_graphs.groups_of(z["citing"], z["cited"], op)
        (counts, _, kept), out = _timed(lambda: bench_graphs.loop_edges(groups, normalise="count",
                                                                        top_k=spec["top_k"]))
        _dump(dump, ((nodes[a], nodes[b], counts[a, b]) for a, b in kept))
        return {**out, "pairs": len(counts), "edges": len(kept)}
    with open(work / f"citation{scope}.pkl", "rb") as fh:
        G = pickle.load(fh)
    if op in ("cocitation", "coupling"):
        import networkx as nx

        from citegraph.graphs.cooccurrence import cocitation_graph, cocitation_pairs, coupling_graph, coupling_pairs
        fn, arrays_fn = (cocitation_graph, cocitation_pairs) if op == "cocitation" else (coupling_graph,
                                                                                           coupling_pairs)
        tiny = nx.DiGraph([("a", "x"), ("a", "y")])
        fn(tiny), arrays_fn(tiny)  # warm-up: lazy imports are not timed
        P, out = _timed(lambda: fn(G, normalise="count", top_k=spec["top_k"]))
        _dump(dump, ((a, b, d["count"]) for a, b, d in P.edges(data=True)))
        # the same links as arrays (Pairs) from the citation matrix (made before the clock starts, as the loop's
        # citing -> cited lists are): arrays in, pair counts out, like the loop
        from citegraph.graphs.arrays import citation_matrix
        cm = citation_matrix(G)
        pairs, arrays = _timed(lambda: arrays_fn(cm, normalise="count", top_k=spec["top_k"]))
        assert len(pairs) == P.number_of_edges()
        return {**out, "nodes": P.number_of_nodes(), "edges": P.number_of_edges(), "arrays_s": arrays["seconds"]}
    if op == "pagerank" and impl == "citegraph":
        import networkx as nx

        from citegraph.analysis.rank import pagerank_scores
        pagerank_scores(nx.DiGraph([("a", "b")]))  # warm-up, as bench/analyse.py: lazy imports are not timed
        scores, out = _timed(lambda: pagerank_scores(G))
        return {**out, "nodes": len(scores)}
    if op == "pagerank":
        import analyse as bench_analyse  # bench/analyse.py: its igraph PageRank peer, checked against citegraph
        run, facts = bench_analyse._prepare_igraph({"citation": G})
        scores, out = _timed(run)
        f = facts(scores)
        return {**out, "nodes": f["nodes"], "call_s": f["extra_s"]["pagerank_call_s"],
                "max_abs_diff": f["max_abs_diff"], "agree": f["max_abs_diff"] <= TOLERANCE}
    return _betweenness(G, impl)


def _betweenness(G: Any, impl: str) -> dict[str, Any]:
    from citegraph.analysis.rank import RankOptions, betweenness_plan, betweenness_scores

    ro = RankOptions()  # as rank_works: exact when within the budget, else the pivots the budget pays for
    plan = betweenness_plan(G, ro)
    exact, pivots = plan.exact, plan.pivots

    def ours() -> tuple[dict[str, float], bool]:
        return betweenness_scores(G, seed=ro.seed, budget=ro.betweenness_budget)

    if impl == "citegraph":
        (scores, _), out = _timed(ours)
        return {**out, "nodes": len(scores), "exact": exact, "pivots": pivots}
    import igraph

    igraph.Graph(n=2, edges=[(0, 1)]).betweenness()  # warm-up
    timing: dict[str, float] = {}

    def run() -> dict[str, float]:
        nodes = sorted(G.nodes, key=str)
        index = {v: i for i, v in enumerate(nodes)}
        g = igraph.Graph(n=len(nodes), edges=[(index[u], index[v]) for u, v in G.edges() if u != v], directed=False)
        g.simplify()
        t0 = time.perf_counter()
        if exact:
            raw = np.asarray(g.betweenness(directed=False), dtype=np.float64) * 2.0
            scale = np.full(len(nodes), 1.0 / ((len(nodes) - 1) * (len(nodes) - 2)) if len(nodes) > 2 else 0.0)
        else:
            sources = random.Random(ro.seed).sample(range(len(nodes)), pivots)
            raw = 2.0 * np.asarray(g.betweenness(directed=False, sources=sources), dtype=np.float64)
            scale = np.full(len(nodes), 1.0 / (pivots * (len(nodes) - 2)))
            scale[sources] = 1.0 / ((pivots - 1) * (len(nodes) - 2)) if pivots > 1 else 0.0
        timing["call_s"] = time.perf_counter() - t0
        return dict(zip(nodes, (raw * scale).tolist(), strict=True))

    scores, out = _timed(run)
    mine, _ = ours()
    diff = max((abs(mine[k] - scores[k]) for k in mine), default=0.0)
    return {**out, "nodes": len(scores), "call_s": timing["call_s"], "exact": exact, "pivots": pivots,
            "max_abs_diff": diff, "agree": diff <= TOLERANCE}


# --------------------------------------------------------------------------------------------------
# Running one data set
# --------------------------------------------------------------------------------------------------


def measure(spec: dict[str, Any], repeats: int, args: argparse.Namespace, label: str,
            script: Path | None = None, cached: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run ``spec`` in fresh processes: ``repeats`` times, once when the first run takes over 10 s; the first
    run dumps its output (``spec["dump"]``) for the agreement checks. ``cached``: the run was made already
    (``--smoke``'s batches)."""
    runs: list[dict[str, Any]] = []
    if cached is not None:
        runs.append(cached)
        log(f"  {label}: {cached['status']} {cached['seconds']:.3g} s (in a batch)")
    for k in range(repeats if cached is None else 0):
        s = spec if k == 0 else {**spec, "dump": None}
        r = bench_graphs.run_child(s, args.timeout, args.mem_cap_gb, script or Path(__file__).resolve())
        runs.append(r)
        log(f"  {label}: {r['status']} {r['seconds']:.3g} s"
            + (f", peak {r['peak_rss_mb']:.0f} MB" if r.get("peak_rss_mb") else "")
            + (f" ({r['error']})" if r.get("error") else ""))
        if r["status"] != "ok" or r["seconds"] > 10:
            break
    out = bench_graphs.summarise(runs)
    ok = [r for r in runs if r["status"] == "ok"]
    if ok:
        for key, value in ok[0].items():
            if key not in ("status", "seconds", "base_rss_mb", "peak_rss_mb") and key not in out:
                out[key] = value
        if "call_s" in ok[0]:
            out["call_median_s"] = float(np.median([r["call_s"] for r in ok]))
        if "arrays_s" in ok[0]:
            out["arrays_median_s"] = float(np.median([r["arrays_s"] for r in ok]))
    return out


def _work_of(prep: dict[str, Any], op: str, impl: str) -> float:
    """How much work a run is, to project a peer's time from a smaller size."""
    pairs = prep["pair_occurrences_stored" if op.endswith("-stored") else "pair_occurrences"]
    op = kind_of(op)
    if op == "coupling" and impl == "litstudy":
        return float(max(prep["works"], 1)) ** 2 / 2
    if op in ("cocitation", "coupling"):
        return float(max(pairs[op], 1))
    return float(max(prep["links"], 1))


def _skip(op: str, impl: str, prep: dict[str, Any], prev: dict[tuple[str, str], tuple[float, dict[str, Any]]],
          args: argparse.Namespace) -> str | None:
    last = prev.get((op, impl))
    if last is None:
        return None
    work, res = last
    if not res.get("finished"):
        return f"it did not finish at the previous size ({res.get('detail')})"
    if res["median_s"] > args.peer_budget:
        return f"it took {res['median_s']:.0f} s > {args.peer_budget:.0f} s at the previous size"
    projected = res["median_s"] * _work_of(prep, op, impl) / work
    if projected > args.peer_max:
        return f"projected {projected:,.0f} s (work x{_work_of(prep, op, impl) / work:,.0f}) > {args.peer_max:.0f} s"
    return None


def _read_dump(path: Path, keys: list[str] | None = None) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    if not path.is_file():
        return out
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            a, b = (keys[int(parts[0])], keys[int(parts[1])]) if keys is not None else (parts[0], parts[1])
            out[a, b] = float(parts[2]) if len(parts) > 2 else 1.0
    return out


def compare(work: Path, op: str, entry: dict[str, Any]) -> dict[str, Any]:
    """Agreement of each peer with citegraph on ``op``, from the first runs' dumps."""
    keys = json.loads((work / "keys.json").read_text(encoding="utf-8"))
    stored = set(keys)
    ours = _read_dump(work / f"{op}-citegraph.tsv")
    out: dict[str, Any] = {}
    directed = kind_of(op) == "citation"

    def norm(d: dict[tuple[str, str], float]) -> dict[tuple[str, str], float]:
        return d if directed else {(min(a, b), max(a, b)): w for (a, b), w in d.items()}

    ours = norm(ours)
    for impl in peers_of(op, entry["synthetic"]):
        r = entry[op].get(impl, {})
        if not r.get("finished") or not (work / f"{op}-{impl}.tsv").is_file():
            continue
        if impl == "litstudy" and entry[op].get("top_k") is not None:
            out[impl] = {"agree": None, "why": "top_k mode: litstudy keeps a global top max_edges, not each work's "
                                               "top_k"}
            continue
        theirs = norm(_read_dump(work / f"{op}-{impl}.tsv", keys if impl == "litstudy" else None))
        mine = ({p: w for p, w in ours.items() if p[0] in stored and p[1] in stored} if impl == "litstudy" else ours)
        common = mine.keys() & theirs.keys()
        out[impl] = {"citegraph_edges": len(mine), "peer_edges": len(theirs), "common": len(common),
                     "only_citegraph": len(mine) - len(common), "only_peer": len(theirs) - len(common),
                     "weights_differ": sum(1 for p in common if mine[p] != theirs[p]),
                     "peer_self_loops": sum(1 for a, b in theirs if a == b),
                     "restricted_to_stored": impl == "litstudy"}
        out[impl]["agree"] = out[impl]["only_citegraph"] == out[impl]["only_peer"] == out[impl]["weights_differ"] == 0
    return out


def _batches(work: Path, ops: tuple[str, ...], tops: dict[str, int | None], args: argparse.Namespace,
             synthetic: bool) -> dict[tuple[str, str], Any]:
    """``--smoke``: every run in two processes (litstudy's and the others'), not thirteen, each run's output
    dumped as in a full run; ``{(op, impl): run}``."""
    common = {"work": str(work), "python": args.peer_python, "task": "op"}
    batches: dict[str, list[tuple[tuple[str, str], dict[str, Any]]]] = {}
    for op in ops:
        for impl in ("citegraph", *peers_of(op, synthetic)):
            if impl == "litstudy" and not args.peer_python:
                continue
            s = {**common, "op": op, "impl": impl, "top_k": tops[op], "dump": str(work / f"{op}-{impl}.tsv")}
            if impl == "litstudy":
                s.update(op=kind_of(op), docs=str(work / "docs.jsonl"), max_edges=ALL_EDGES)
            batches.setdefault("litstudy" if impl == "litstudy" else "main", []).append(((op, impl), s))
    out: dict[tuple[str, str], Any] = {}
    for name, runs in batches.items():
        script = HERE / "peers_litstudy.py" if name == "litstudy" else Path(__file__).resolve()
        r = bench_graphs.run_child({"task": "batch", "runs": [s for _, s in runs], "python": args.peer_python},
                                   args.timeout, args.mem_cap_gb, script)
        for (key, _), one in zip(runs, r.get("results") or [], strict=False):
            out[key] = {"status": "ok", **one}
        if r["status"] != "ok":
            for key, _ in runs:
                out.setdefault(key, {k: v for k, v in r.items() if k != "results"})
    return out


def run_dataset(name: str, size: int | None, args: argparse.Namespace, tmp: Path,
                prev: dict[tuple[str, str], tuple[float, dict[str, Any]]]) -> dict[str, Any]:
    label = name if size is None else f"SYNTHETIC {_n(size)}"
    work = tmp / (name if size is None else f"synthetic-{size}")
    work.mkdir()
    log(f"{label}: preparing")
    prep_spec = {"task": "prepare", "work": str(work), "dataset": name, "size": size, "shared": str(args.shared)}
    if args.smoke:  # in this process: one interpreter start less
        prep_r = {"status": "ok", **prepare(prep_spec)}
    else:
        prep_r = bench_graphs.run_child(prep_spec, args.timeout * 4, args.mem_cap_gb, Path(__file__).resolve())
    entry: dict[str, Any] = {"dataset": name, "label": label, "n_references": size,
                             "synthetic": size is not None}
    if prep_r["status"] != "ok":
        entry["skipped"] = f"preparing failed: {prep_r.get('error') or prep_r['status']}"
        return entry
    prep = {k: v for k, v in prep_r.items() if k not in ("status", "base_rss_mb")}
    entry["data"] = prep
    log(f"  {prep['works']:,} works, {prep['nodes']:,} nodes, {prep['links']:,} links "
        f"(prepared in {prep['seconds']:.1f} s)")
    common = {"work": str(work), "python": args.peer_python}
    entry["ops"] = args.ops
    ops = ops_of(entry)
    tops = {op: args.top_k if kind_of(op) in ("cocitation", "coupling")
            and prep["pair_occurrences_stored" if op.endswith("-stored") else "pair_occurrences"][kind_of(op)]
            > args.full_pairs else None for op in ops}
    cache = _batches(work, ops, tops, args, size is not None) if args.smoke else {}
    for op in ops:
        top_k = tops[op]
        res: dict[str, Any] = {"top_k": top_k} if kind_of(op) in ("cocitation", "coupling") else {}
        entry[op] = res
        spec = {**common, "task": "op", "op": op, "top_k": top_k}
        res["citegraph"] = measure({**spec, "impl": "citegraph", "dump": str(work / f"{op}-citegraph.tsv")},
                                   args.repeats, args, f"{op} citegraph", cached=cache.get((op, "citegraph")))
        for impl in peers_of(op, size is not None):
            if impl == "litstudy" and not args.peer_python:
                res[impl] = {"skipped": args.no_litstudy_reason}
                continue
            why = _skip(op, impl, prep, prev, args) if size is not None else None
            if why:
                res[impl] = {"skipped": why}
                log(f"  {op} {impl}: skipped: {why}")
                continue
            s = {**spec, "impl": impl, "dump": str(work / f"{op}-{impl}.tsv")}
            script = None
            if impl == "litstudy":
                edges = res["citegraph"].get("edges")
                s.update(op=kind_of(op), docs=str(work / "docs.jsonl"),
                         max_edges=ALL_EDGES if top_k is None or edges is None else edges)
                script = HERE / "peers_litstudy.py"
            res[impl] = measure(s, args.repeats, args, f"{op} {impl}", script, cache.get((op, impl)))
            if size is not None:
                prev[op, impl] = (_work_of(prep, op, impl), res[impl])
        if kind_of(op) in ("citation", "cocitation", "coupling"):
            res["agreement"] = compare(work, op, entry)
        else:
            peer = res.get("igraph", {})
            res["agreement"] = {"igraph": {"agree": peer.get("agree"), "max_abs_diff": peer.get("max_abs_diff")}} \
                if peer.get("finished") else {}
        for f in work.glob(f"{op}-*.tsv"):
            f.unlink()
    return entry


# --------------------------------------------------------------------------------------------------
# Ratios and targets
# --------------------------------------------------------------------------------------------------


def ratios(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per data set, size and operation: citegraph's time, each peer's, the ratio to the fastest peer,
    agreement, and whether the target is met (by how much it is missed)."""
    rows = []
    for e in result["datasets"]:
        if "skipped" in e:
            continue
        for op in ops_of(e):
            r = e[op]
            ours = r["citegraph"]
            row: dict[str, Any] = {"dataset": e["label"], "synthetic": e["synthetic"], "op": op,
                                   "top_k": r.get("top_k"), "citegraph_s": ours.get("median_s"),
                                   "citegraph_finished": bool(ours.get("finished")), "peers": {}, "agree": {}}
            for impl in peers_of(op, e["synthetic"]):
                p = r.get(impl, {})
                row["peers"][impl] = (p.get("median_s") if p.get("finished") else None)
                if "skipped" in p:
                    row.setdefault("skipped", {})[impl] = p["skipped"]
                elif not p.get("finished"):
                    row.setdefault("skipped", {})[impl] = f"did not finish: {p.get('detail')}"
                if "call_median_s" in p:
                    row["peers"][f"{impl} call alone"] = p["call_median_s"]
                a = r.get("agreement", {}).get(impl)
                if a is not None:
                    row["agree"][impl] = a.get("agree")
            timed = {k: v for k, v in row["peers"].items() if v is not None and "call alone" not in k}
            row["citegraph_arrays_s"] = ours.get("arrays_median_s")
            if timed and row["citegraph_s"] is not None:
                # like for like: against the loop (pair counts out), citegraph's links as arrays (Pairs);
                # against litstudy and igraph, what they give (a networkx graph, scores)
                arrays, graph = row["citegraph_arrays_s"], row["citegraph_s"]
                mine = {k: arrays if k == "loop" and arrays is not None else graph for k in timed}
                by_peer = {k: mine[k] / v for k, v in timed.items()}
                fastest = max(by_peer, key=lambda k: by_peer[k])  # the peer citegraph is least ahead of
                ratio = by_peer[fastest]
                row.update(fastest=fastest, ratio=ratio, met=ratio <= MAX_RATIO,
                           like_for_like="arrays" if fastest == "loop" and arrays is not None else "")
                if op == "pagerank":
                    row["pagerank_met"] = ratio <= PAGERANK_MAX_RATIO
            else:
                row.update(fastest=None, ratio=None, met=None)
            rows.append(row)
    return rows


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of bench/run.py's targets table: one per operation (all its sizes and data sets), and PageRank
    against igraph."""
    rows = result.get("ratios") or ratios(result)
    out: list[dict[str, Any]] = []
    for op in OPS:
        mine = [r for r in rows if kind_of(r["op"]) == op and r["ratio"] is not None]
        target = f"{op}: <= {MAX_RATIO}x the fastest peer's time at every measured size, real stores included"
        if not mine:
            out.append({"target": target, "measured": "no peer measured", "met": None, "miss": ""})
            continue
        worst = max(mine, key=lambda r: r["ratio"])
        missed = [r for r in mine if not r["met"]]
        measured = (f"worst {worst['ratio']:.2f}x ({worst['dataset']}, vs {worst['fastest']}); "
                    f"{len(mine) - len(missed)} of {len(mine)} rows met")
        out.append({"target": target, "measured": measured, "met": not missed,
                    "miss": "; ".join(f"{r['dataset']} {r['ratio']:.2f}x vs {r['fastest']} "
                                      f"({r['ratio'] / MAX_RATIO:.1f}x over)" for r in missed[:6])
                    + (f"; {len(missed) - 6} more" if len(missed) > 6 else "")})
    pr = [r for r in rows if r["op"] == "pagerank" and r["peers"].get("igraph") is not None]
    if pr:
        worst = max(pr, key=lambda r: r["citegraph_s"] / r["peers"]["igraph"])
        x = worst["citegraph_s"] / worst["peers"]["igraph"]
        out.append({"target": "pagerank: at most igraph's time, conversion included, at every size",
                    "measured": f"worst {x:.2f}x ({worst['dataset']})", "met": x <= PAGERANK_MAX_RATIO,
                    "miss": f"{x:.2f}x" if x > PAGERANK_MAX_RATIO else ""})
    return out


# --------------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------------


def _n(size: int) -> str:
    e = round(math.log10(size)) if size > 0 else 0
    return f"10^{e}" if size == 10**e else f"{size:,}"


def _s(x: float | None) -> str:
    return "" if x is None else f"{x:.3g} s"


def _agree(flag: bool | None) -> str:
    return "n/a" if flag is None else ("yes" if flag else "**no**")


def markdown(res: dict[str, Any]) -> str:
    p, mc = res["params"], res["machine"]
    lines = [
        f"Command: `{res['command']}`",
        "",
        (f"Peers: litstudy {res.get('litstudy_version') or 'not measured'} (own venv: `{p['peer_python']}`), "
         f"python-igraph {mc.get('igraph', '?')}, the pairwise loop of `bench/graphs.py`. citegraph's co-citation "
         f"and coupling on every pair (counts) where the loop would visit at most {p['full_pairs']:,} pairs, "
         f"else `top_k={p['top_k']}` (marked). Each run in a fresh process, median of up to {p['repeats']} "
         f"repeats (1 when a run takes over 10 s); address-space cap {p['mem_cap_gb']:g} GB. Machine: "
         f"{mc['cores']} cores ({mc['cpu']}), {mc['ram_gib']} GiB, Python {mc['python']} ({mc['date']}). "
         f"SYNTHETIC rows: {LABEL}."),
        "",
    ]
    for e in res["datasets"]:
        if "skipped" in e:
            lines.append(f"- {e['label']}: skipped: {e['skipped']}")
    if res.get("skipped_datasets"):
        lines += [f"- {k}: skipped: {v}" for k, v in res["skipped_datasets"].items()]
    if res.get("load"):
        lines += ["", "Load average of the machine (1 min; every process, this benchmark's included): "
                  + ", ".join(f"{k} {v:.1f}" for k, v in res["load"].items())
                  + ". Other work on the machine slows every implementation alike only roughly: compare ratios, "
                    "not seconds, with other sections."]
    lines += ["", "| data | works / nodes / links | operation | citegraph | citegraph (links as arrays) | litstudy "
                  "| pairwise loop | igraph (conv. incl.) | igraph call alone | ratio to the closest peer (like for "
                  "like) | peak RSS: citegraph / that peer | agree | target <= 0.5x |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    by = {(r["dataset"], r["op"]): r for r in res["ratios"]}
    for e in res["datasets"]:
        if "skipped" in e:
            continue
        d = e["data"]
        size = f"{d['works']:,} / {d['nodes']:,} / {d['links']:,}"
        for op in ops_of(e):
            r, x = by[e["label"], op], e[op]
            name = {"cocitation": "cocitation" if e["synthetic"] else "cocitation, every cited work",
                    "citation": "citation" if e["synthetic"] else "citation, every cited work",
                    "cocitation-stored": "cocitation, stored works only",
                    "citation-stored": "citation, stored works only"}.get(op, op) \
                + (f" (top_k={r['top_k']})" if r.get("top_k") else "")

            def cell(impl: str, x: dict[str, Any] = x) -> str:
                q = x.get(impl)
                if q is None:
                    return ""
                if "skipped" in q:
                    return f"skipped: {q['skipped']}"
                if not q.get("finished"):
                    return f"> {q.get('seconds_at_least', 0):.0f} s ({q.get('detail')})"
                return _s(q["median_s"])
            ours = cell("citegraph")
            ig = x.get("igraph", {})
            agree = "; ".join(f"{k}: {_agree(v)}" for k, v in r["agree"].items()) or "n/a"
            if r["ratio"] is None:
                verdict = ("not judged (no peer builds this graph: litstudy's holds the stored works only)"
                           if not peers_of(op, e["synthetic"]) else "not judged (no peer finished)")
            elif r["met"]:
                verdict = "met"
            else:
                verdict = f"**missed** ({r['ratio'] / MAX_RATIO:.1f}x over)"
            if op == "pagerank" and r.get("pagerank_met") is not None:
                verdict += "; <= igraph: " + ("met" if r["pagerank_met"] else "**missed**")
            ratio = "" if r["ratio"] is None else (f"{r['ratio']:.2f}x ({r['fastest']}"
                                                   + (", arrays)" if r.get("like_for_like") else ")"))
            rss = [x.get(k, {}).get("peak_rss_mb") for k in ("citegraph", r["fastest"] or "")]
            peak = " / ".join(f"{m:,.0f} MB" if m else "n/a" for m in rss)
            lines.append(f"| {e['label']} | {size} | {name} | {ours} | {_s(r.get('citegraph_arrays_s'))} | "
                         f"{cell('litstudy')} | {cell('loop')} | "
                         f"{cell('igraph')} | {_s(ig.get('call_median_s'))} | {ratio} | {peak} | {agree} | "
                         f"{verdict} |")
    lines += ["", "Agreement with litstudy, edge by edge (litstudy's networks hold the stored works only: "
                  "citegraph's edges between stored works are compared), and what litstudy reads differently:", ""]
    for e in res["datasets"]:
        if "skipped" in e:
            continue
        d = e["data"]
        parts = []
        for op in ("citation", "citation-stored", "cocitation", "cocitation-stored", "coupling"):
            a = e.get(op, {}).get("agreement", {}).get("litstudy")
            if a is None:
                continue
            if a.get("agree") is None:
                parts.append(f"{op}: n/a ({a['why']})")
                continue
            parts.append(f"{op}: {'equal' if a['agree'] else 'DIFFERENT'} ({a['citegraph_edges']:,} vs "
                         f"{a['peer_edges']:,} edges; {a['only_citegraph']:,} only in citegraph, "
                         f"{a['only_peer']:,} only in litstudy"
                         + (f" ({a['peer_self_loops']:,} of them self-citations, which citegraph drops)"
                            if a.get("peer_self_loops") else "")
                         + f", {a['weights_differ']:,} weights differ)")
        loop = [f"{op} {'equal' if e[op]['agreement'].get('loop', {}).get('agree') else 'DIFFERENT'}"
                for op in ("cocitation", "cocitation-stored", "coupling")
                if "loop" in e.get(op, {}).get("agreement", {})]
        lines.append(f"- {e['label']}: " + ("; ".join(parts) or "litstudy not measured")
                     + f". Reference DOIs: {d['ref_dois']:,}, {d['matched_exact']:,} match a stored work's DOI as "
                       f"written, {d['matched_ignoring_case_only']:,} only when case is ignored; "
                       f"{d['duplicate_refs']:,} listed twice in one record."
                     + (f" Pairwise loop vs citegraph: {', '.join(loop)}." if loop else ""))
    t = targets(res)
    lines += ["", "Targets (issue 20):", ""]
    for row in t:
        verdict = "not judged" if row["met"] is None else ("met" if row["met"] else f"**missed**: {row['miss']}")
        lines.append(f"- {row['target']}: {row['measured']}: {verdict}.")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------


def _peer_python(arg: str | None) -> tuple[str | None, str]:
    """The interpreter with litstudy, or None and why not."""
    candidates = [arg] if arg else [os.environ.get("BENCH_PEER_PYTHON") or "", str(REPO / ".venv-peers" / "bin"
                                                                                        / "python")]
    for c in candidates:
        if not c or not Path(c).exists():
            continue
        try:
            out = subprocess.run([c, "-c", "import importlib.metadata as m, litstudy; print(m.version('litstudy'))"],
                                 capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, f"{c} failed: {exc}"
        if out.returncode == 0:
            return c, out.stdout.strip()
        lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
        return None, f"litstudy is not importable with {c} ({lines[-1] if lines else 'exit ' + str(out.returncode)})"
    return None, ("no Python with litstudy (give --peer-python or BENCH_PEER_PYTHON, or make .venv-peers: "
                  "python -m venv .venv-peers && .venv-peers/bin/pip install -r bench/requirements-peers.txt)")


def _save_partial(path: Path | None, result: dict[str, Any]) -> None:
    """The figures so far (``--save``), after every data set: a long run killed midway keeps what it measured."""
    if path is not None:
        path.write_text(json.dumps(result, indent=2) + "\n")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1e4,1e5,1e6", help="SYNTHETIC sizes (references), comma-separated")
    ap.add_argument("--datasets", default="crossref,coffee,crispr", help="real stores: " + ",".join(REAL)
                    + " (empty: none)")
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--top-k", type=int, default=20)
    ap.add_argument("--full-pairs", type=float, default=3e6,
                    help="co-citation/coupling on every pair when the loop would visit at most this many pairs")
    ap.add_argument("--peer-python", help="Python with litstudy 1.0.6 (default: $BENCH_PEER_PYTHON, .venv-peers)")
    ap.add_argument("--no-litstudy", action="store_true")
    ap.add_argument("--peer-budget", type=float, default=60.0,
                    help="skip a peer at a size when it took longer than this at the previous size")
    ap.add_argument("--peer-max", type=float, default=300.0,
                    help="skip a peer at a size when its work projects it past this many seconds")
    ap.add_argument("--timeout", type=float, default=300.0, help="kill a measured run after this many seconds")
    ap.add_argument("--mem-cap-gb", type=float, default=8.0, help="address-space cap of each child")
    ap.add_argument("--ops", help="only these operations, comma-separated (default: " + ",".join(OPS) + ")")
    ap.add_argument("--smoke", action="store_true", help="2,000 SYNTHETIC references, one repeat, no real data")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--save", type=Path, help="also write the raw figures (JSON) to this file")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        bench_graphs.child_main(child, args.child)
        return
    if args.smoke:
        args.sizes, args.datasets, args.repeats = "2000", "", 1
    sizes = sorted(bench_graphs.parse_sizes(args.sizes))
    if args.ops is not None:
        args.ops = [op.strip() for op in args.ops.split(",") if op.strip()]
        if not set(args.ops) <= set(OPS):
            ap.error(f"--ops: choose from {','.join(OPS)}")
    datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    unknown = [d for d in datasets if d not in REAL]
    if unknown:
        ap.error(f"--datasets: unknown {unknown}; choose from {','.join(REAL)}")
    version = None
    if args.no_litstudy:
        args.peer_python, args.no_litstudy_reason = None, "--no-litstudy"
    else:
        args.peer_python, found = _peer_python(args.peer_python)
        version = found if args.peer_python else None
        args.no_litstudy_reason = found if not args.peer_python else ""
    if args.peer_python is None:
        log(f"litstudy: {args.no_litstudy_reason}")
    mc = bench_graphs.machine()
    import importlib.metadata
    mc["igraph"] = importlib.metadata.version("igraph")
    mc["date"] = datetime.date.today().isoformat()
    result: dict[str, Any] = {
        "label": LABEL, "machine": mc, "litstudy_version": version,
        "command": "python bench/peers.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "params": {"sizes": sizes, "datasets": datasets, "repeats": args.repeats, "top_k": args.top_k,
                   "full_pairs": int(args.full_pairs), "peer_python": args.peer_python, "timeout_s": args.timeout,
                   "mem_cap_gb": args.mem_cap_gb, "peer_budget_s": args.peer_budget, "peer_max_s": args.peer_max,
                   "smoke": args.smoke},
        "datasets": [], "skipped_datasets": {},  # (a top-level "skipped" means the whole benchmark to run.py)
    }
    result["load"] = {"at the start": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="citegraph-peers-") as tmp:
        for name in datasets:
            if not args.shared.is_dir():
                result["skipped_datasets"][name] = f"no recorded data at {args.shared}"
                continue
            result["datasets"].append(run_dataset(name, None, args, Path(tmp), {}))
            _save_partial(args.save, result)
        prev: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
        for size in sizes:
            result["datasets"].append(run_dataset("synthetic", size, args, Path(tmp), prev))
            _save_partial(args.save, result)
    result["load"]["at the end"] = os.getloadavg()[0]
    result["ratios"] = ratios(result)
    result["targets"] = targets(result)
    if args.save:
        args.save.write_text(json.dumps(result, indent=2) + "\n")
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(markdown(result))


if __name__ == "__main__":
    main()
