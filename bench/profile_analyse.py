"""Where ``citegraph analyse`` spends its time, in one process: every call ``analyse()`` makes, timed.

``bench/analyse.py`` times each stage in a fresh process (the figures of
record); this script is the profiler's view used to find hot paths: it wraps
the functions :func:`citegraph.analysis.pipeline.analyse` calls (and, inside the graph
build, ``cooccurrence_edges``, ``_hybrid``, ``_pair_arrays``, ``edge_arrays``)
with timers, runs ``analyse(workers=1)`` once on a store (every call in this
one process; ``analyse`` on two cores computes the citation measures in a
second one), and prints the seconds spent
in each, largest first. ``--cprofile N`` also prints cProfile's N functions of
largest own time.

A store to profile: any citegraph store, e.g. a SYNTHETIC one that
``bench/analyse.py --sizes 1e6 --workdir DIR`` leaves in
``DIR/refs-1000000/store.sqlite`` (``--a 20`` for the lighter tail).

Run: ``python bench/profile_analyse.py STORE [--cprofile 20]``
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

import citegraph.analysis.pipeline as analyse_module  # noqa: E402
import citegraph.graphs.hybrid as graphs_module  # noqa: E402
from citegraph.graphs.arrays import GraphArrays  # noqa: E402
from citegraph.store import Store  # noqa: E402

#: What is timed: (module, function name, label).
TIMED = [(analyse_module, name, name) for name in (
    "_indicator_works", "citation_graph", "topic_documents", "fit_topics", "topic_graph", "build_graph_with_arrays",
    "find_clusters", "cluster_table", "citation_bursts", "reference_years_from_store", "rpys", "rpys_peaks",
    "peak_works", "main_path_analysis", "indicators", "publications_per_year", "coverage_report")] + [
    (analyse_module, "rank_works_with_facts", "rank_works"),  # the rankings and how betweenness was computed
] + [
    (graphs_module, name, f"  {name} (in build_graph_with_arrays)")
    for name in ("cooccurrence_edges", "_hybrid", "_pair_arrays", "edge_arrays")
] + [(GraphArrays, "from_graph", "GraphArrays.from_graph")]


def _timer(fn: Callable[..., Any], label: str, spent: dict[str, float]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[label] = spent.get(label, 0.0) + time.perf_counter() - start
    return timed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("store", type=Path, help="a citegraph store (SQLite file)")
    ap.add_argument("--cprofile", type=int, default=0, metavar="N", help="also print cProfile's top N functions")
    args = ap.parse_args(argv)
    if not args.store.is_file():
        ap.error(f"no store at {args.store}")
    spent: dict[str, float] = {}
    for module, name, label in TIMED:
        setattr(module, name, _timer(getattr(module, name), label, spent))
    profiler = cProfile.Profile() if args.cprofile else None
    with Store(args.store, readonly=True) as store:
        start = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        analyse_module.analyse(store, workers=1)  # one process: a second one's calls would not be timed here
        if profiler is not None:
            profiler.disable()
        total = time.perf_counter() - start
    for label, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"{label:42s} {seconds:8.2f} s")
    print(f"{'analyse() end to end':42s} {total:8.2f} s" + (" (under cProfile)" if profiler else ""))
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.cprofile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
