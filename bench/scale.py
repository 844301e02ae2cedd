"""Whole-snapshot pipeline at scale on a SYNTHETIC snapshot: ingest, then every analysis, on DuckDB (and Spark).

Everything measured here is SYNTHETIC (Price's model, :mod:`bench.synthetic`; not bibliographic data):
for each size N, a Price-model citation graph of exactly N references (``mean_refs`` 20) is written
as a Crossref public-data-file-shaped snapshot (JSON Lines, gzipped, ``--files`` files; every 10th
reference without DOI but a citation string with a year, as RPYS reads them: 0.9 N citation links), ingested with
:func:`citegraph.sources.snapshot.ingest`, then analysed with :mod:`citegraph.analysis.snapshot`
stage by stage on DuckDB (``memory_limit`` 4 GB by default) and, with ``--spark``, on PySpark local
mode (``local[2]``) over the same Parquet dataset.

Each (size, engine) runs in its own child process, so the peak RSS is that run's: ``peak_rss_mb`` after
a stage is the child's ``ru_maxrss`` so far (a running peak), plus for Spark the JVM's peak (``VmHWM``
of the driver JVM; the Python UDF workers are not counted); ``children_peak_rss_mb`` is the largest
finished child process's peak (the ingestion's worker processes: ``workers=2``). The SQL PageRank and
components are checked against the array forms (``max_diff``, ``same``).

Run: ``python bench/scale.py --sizes 1e5,1e6 [--spark] [--spark-sizes 1e5] [--json PATH] [--md PATH]``.
Sizes above 10^6 are refused here (``--allow-large`` lifts that; mind the memory of the machine).
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "src"))

from synthetic import LABEL, price_graph  # noqa: E402  (bench/ on the path)

__all__ = ["LABEL", "main", "run_one", "write_snapshot"]

MAX_SIZE = 10**6


def write_snapshot(n_refs: int, out: Path, *, files: int = 8, mean_refs: int = 20, seed: int = 21) -> list[Path]:
    """Write a SYNTHETIC Crossref-shaped snapshot of exactly ``n_refs`` references as ``files`` gzipped JSON Lines.

    Paper ``i`` is ``10.5555/SYN.i``, every paper a record (so the dataset holds exactly ``n_refs`` reference
    entries); every 10th reference has no DOI but a citation string with the cited paper's year (RPYS reads it;
    it is no citation link).
    """
    citing, cited, n = price_graph(n_refs, mean_refs=mean_refs, seed=seed)
    years = 1950 + (70 * np.arange(n)) // max(n, 1)
    starts = np.searchsorted(citing, np.arange(n + 1))
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"syn-{k:03d}.jsonl.gz" for k in range(files)]
    (out / "COMPLETE").unlink(missing_ok=True)
    handles = [gzip.open(p, "wt", encoding="utf-8", compresslevel=1) for p in paths]
    try:
        for i in range(n):
            refs = []
            for k, c in enumerate(cited[starts[i]:starts[i + 1]].tolist()):
                if (i + k) % 10 == 0:
                    refs.append({"key": f"r{k}", "unstructured": f"Synthauthor{c} ({int(years[c])}) SYNTHETIC {c}"})
                else:
                    refs.append({"key": f"r{k}", "DOI": f"10.5555/SYN.{c}", "year": str(int(years[c]))})
            record = {"DOI": f"10.5555/SYN.{i}", "title": [f"SYNTHETIC work {i}"], "type": "journal-article",
                      "issued": {"date-parts": [[int(years[i])]]}, "is-referenced-by-count": int(3 * i % 17),
                      "container-title": ["J Synth"], "ISSN": ["1234567X"], "reference": refs}
            handles[i * files // n].write(json.dumps(record) + "\n")
    finally:
        for h in handles:
            h.close()
    (out / "COMPLETE").write_text("\n".join(p.name for p in paths) + "\n", encoding="utf-8")
    return paths


def ready_snapshot(out: Path) -> list[Path] | None:
    """The files of a snapshot written to the end earlier (``--write-only``), or None: writing is setup, not timed."""
    marker = out / "COMPLETE"
    if not marker.exists():
        return None
    return [out / name for name in marker.read_text(encoding="utf-8").split()]


class PeakMemory:
    """The running peak of the memory this process and every process under it hold together, sampled each
    ``interval`` seconds in a thread: the sum of their PSS (``/proc/PID/smaps_rollup``), which splits a page
    shared by several processes (the link arrays a forked child inherits) between them, so it is counted once.
    Linux only (0 elsewhere)."""

    def __init__(self, interval: float = 0.5, trace: str | None = None) -> None:
        import threading

        self.peak_kb = 0
        self.stage = ""  # named in the trace
        self._started = time.perf_counter()
        self._trace = open(trace, "a", encoding="utf-8") if trace else None  # closed by stop()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
        self._thread.start()

    @staticmethod
    def _tree(pid: int) -> list[int]:
        out, todo = [], [pid]
        while todo:
            p = todo.pop()
            out.append(p)
            for task in Path(f"/proc/{p}/task").glob("*/children"):
                try:
                    todo += [int(c) for c in task.read_text().split()]
                except OSError:
                    pass
        return out

    @staticmethod
    def _pss_kb(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    return int(line.split()[1])
        except OSError:  # ended meanwhile
            pass
        return 0

    def sample(self) -> int:
        me, *others = self._tree(os.getpid())
        mine, theirs = self._pss_kb(me), sum(self._pss_kb(p) for p in others)
        total = mine + theirs
        self.peak_kb = max(self.peak_kb, total)
        if self._trace is not None:  # seconds, MB this process, MB the processes under it, MB together, stage
            self._trace.write(f"{time.perf_counter() - self._started:.1f}\t{mine // 1024}\t{theirs // 1024}\t"
                              f"{total // 1024}\t{self.stage}\n")
            self._trace.flush()
        return total

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.sample()

    @property
    def peak_mb(self) -> float:
        self.sample()
        return round(self.peak_kb / 1024, 1)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        if self._trace is not None:
            self._trace.close()


def _rss_mb(jvm_pid: int | None = None) -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if jvm_pid:
        try:
            for line in Path(f"/proc/{jvm_pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak += int(line.split()[1]) / 1024
        except OSError:
            pass
    return round(peak, 1)


def in_memory_check(ds: Any, snap: Path, store_path: Path, iterations: int) -> dict[str, Any]:
    """The in-memory path on a store of the same snapshot files: counts, PageRank, components, clusters equal?"""
    import networkx as nx

    from citegraph.analysis import snapshot as sa
    from citegraph.analysis.clusters import cluster_arrays
    from citegraph.analysis.rank import pagerank_scores
    from citegraph.graphs.arrays import GraphArrays
    from citegraph.graphs.citation import citation_graph
    from citegraph.sources.snapshot import iter_records
    from citegraph.store import Store
    from citegraph.store.records import parse_work

    store_path.unlink(missing_ok=True)
    paths = ready_snapshot(snap) or sorted(snap.glob("*.jsonl.gz"))
    with Store(store_path) as store:
        for path in sorted(paths, key=lambda q: q.name):
            batch = []
            for record in iter_records(path):
                batch.append(parse_work(record, source=f"file:{path.name}"))
                if len(batch) == 5000:
                    store.add_works(batch)
                    batch = []
            store.add_works(batch)
        G = citation_graph(store)
    counts = sa.citation_counts(ds)
    local = dict(zip(counts.column("key").to_pylist(), counts.column("local").to_pylist(), strict=True))
    pr, want_pr = sa.pagerank(ds), pagerank_scores(G)
    cc = sa.components(ds)
    want_cc = {n: min(c) for c in nx.weakly_connected_components(G) for n in c}
    a = GraphArrays.from_graph(G)
    want_cl = cluster_arrays(a.n, a.src, a.dst, method="leiden", iterations=iterations, seed=0)
    cl = sa.clusters(ds, iterations=iterations)
    return {"nodes_equal": sorted(G.nodes) == sorted(local), "local_equal": local == dict(G.in_degree()),
            "pagerank_max_diff": max(abs(pr[k] - want_pr[k]) for k in pr),
            "components_equal": cc == want_cc,
            "clusters_equal": cl == {a.nodes[i]: int(c) for i, c in enumerate(want_cl.tolist())}}


def run_one(size: int, engine: str, work: Path, *, files: int, memory_limit: str, spark_memory: str,
            sql_checks: bool = True, pairs_stage: bool = True, iterations: int = 2,
            check_in_memory: bool = False, sequential: bool = False, workers: int | None = None,
            memory_trace: str | None = None) -> dict[str, Any]:
    """Write (once per size), ingest (once per size) and analyse on ``engine``: ``{"stages": [...]}``."""
    from citegraph.analysis import snapshot as sa
    from citegraph.sources import snapshot as ss
    from citegraph.store.dataset import DuckDBEngine, open_dataset

    stages: list[dict[str, Any]] = []
    jvm: list[int | None] = [None]
    memory = PeakMemory(trace=memory_trace)

    def stage(name: str, fn: Any) -> Any:
        t = time.perf_counter()
        memory.stage = name
        value = fn()
        stages.append({"stage": name, "seconds": round(time.perf_counter() - t, 3), "peak_rss_mb": _rss_mb(jvm[0]),
                       "children_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
                       "peak_pss_mb": memory.peak_mb})
        print(f"  {engine} {size:.0e} {name}: {stages[-1]['seconds']} s, {stages[-1]['peak_rss_mb']} MB",
              file=sys.stderr, flush=True)
        return value

    snap, ds_dir = work / f"snap-{size}", work / f"ds-{size}"
    info: dict[str, Any] = {"size": size, "engine": engine}
    if not (ds_dir / "manifest.json").exists():
        paths = (ready_snapshot(snap) if ready_snapshot(snap) is not None
                 else stage("write snapshot", lambda: write_snapshot(size, snap, files=files)))
        assert paths is not None
        info["snapshot_mb"] = round(sum(p.stat().st_size for p in paths) / 1e6, 1)
        report = stage("ingest", lambda: ss.ingest(paths, "crossref", ds_dir, workers=2))
        info.update(works=report.works, refs=report.refs)
    if engine == "duckdb":
        eng: Any = DuckDBEngine(memory_limit=memory_limit, threads=2)
    else:
        from citegraph.store.spark import SparkEngine

        eng = stage("start spark", lambda: SparkEngine(master="local[2]", config={
            "spark.driver.memory": spark_memory, "spark.sql.shuffle.partitions": "4"}))
        proc = getattr(eng.spark.sparkContext._gateway, "proc", None)
        jvm[0] = getattr(proc, "pid", None)
    ds = stage("open (records, edges, node ids)", lambda: open_dataset(ds_dir, eng))
    try:
        info["nodes"], info["edges"] = ds.count("cg_node_ids"), ds.count("cg_edges")
        info.setdefault("works", sum(e.works for e in ds.manifest.files.values()))
        info.setdefault("refs", sum(e.refs for e in ds.manifest.files.values()))
        if engine == "duckdb" and not sequential:
            # what `citegraph field --in-place` runs: analyse_dataset, the clusters in a second process beside
            # the SQL steps, PageRank and components (co-occurrence pairs are the stage below)
            result = stage(ANALYSE_STAGE, lambda: sa.analyse_dataset(
                ds, sa.SnapshotOptions(pairs=(), iterations=iterations), workers=workers))
            for name, seconds in result.seconds.items():
                stages.append({"stage": f"- {name}", "seconds": seconds, "within": ANALYSE_STAGE,
                               **{k: stages[-1][k] for k in ("peak_rss_mb", "children_peak_rss_mb", "peak_pss_mb")}})
            info["lanes"] = "clusters (second process)" in result.seconds
            info["components"] = result.facts["components"]
            info["clusters"] = result.facts["clusters"]
            info["clusters_largest"] = [c["size"] for c in result.clusters[:5]]
            del result
            if sql_checks:
                pr_a, pr_s = sa.pagerank(ds), stage("PageRank SQL", lambda: sa.pagerank(ds, method="sql"))
                info["pagerank_sql_vs_arrays_max_diff"] = max(abs(pr_a[k] - pr_s[k]) for k in pr_a)
                del pr_a, pr_s
                cc_s = stage("components SQL", lambda: sa.components(ds, method="sql"))
                info["components_same"] = sa.components(ds) == cc_s
                del cc_s
        else:
            stage("citation counts", lambda: sa.citation_counts(ds))
            stage("citations per year", lambda: sa.citations_per_year(ds))
            stage("RPYS", lambda: sa.rpys(ds))
            stage("link arrays (read once)", lambda: sa.edge_arrays(ds))
            pr_a = stage("PageRank arrays", lambda: sa.pagerank(ds, method="arrays"))
            if sql_checks:
                pr_s = stage("PageRank SQL", lambda: sa.pagerank(ds, method="sql"))
                info["pagerank_sql_vs_arrays_max_diff"] = max(abs(pr_a[k] - pr_s[k]) for k in pr_a)
                del pr_s
            del pr_a
            cc_a = stage("components arrays", lambda: sa.components(ds))
            if sql_checks:
                cc_s = stage("components SQL", lambda: sa.components(ds, method="sql"))
                info["components_same"] = cc_a == cc_s
                del cc_s
            info["components"] = len(set(cc_a.values()))
            del cc_a
            found = stage(f"clusters (Leiden, {iterations} passes)", lambda: sa.clusters(ds, iterations=iterations))
            info["clusters"] = len(set(found.values()))
            info["clusters_largest"] = sorted(Counter(found.values()).values(), reverse=True)[:5]
            del found
        if pairs_stage:
            pairs = stage("co-citation (min-count 2, top-k 10)",
                          lambda: sa.cooccurrence(ds, "cocitation", min_count=2, top_k=10))
            info["cocitation_pairs"] = pairs.num_rows
        if check_in_memory:
            info["in_memory"] = stage("in-memory check", lambda: in_memory_check(ds, snap, work / f"mem-{size}.sqlite",
                                                                               iterations))
    finally:
        ds.close()
        memory.stop()
    info["stages"] = stages
    return info


#: Stages outside the pipeline the target counts (ingest, count, PageRank, cluster): setup and the SQL cross-checks.
NOT_PIPELINE = ("write snapshot", "PageRank SQL", "components SQL", "co-citation (min-count 2, top-k 10)",
                "in-memory check")

#: The stage that runs every analysis at once (:func:`citegraph.analysis.snapshot.analyse_dataset`); its steps
#: follow it as stages marked ``within`` (they overlap: only the whole counts in the pipeline).
ANALYSE_STAGE = "analyse_dataset (clusters beside the SQL steps)"


def pipeline_seconds(r: dict[str, Any]) -> float:
    """Ingest, open, counts, RPYS, link arrays, PageRank, components, clusters: what a whole-snapshot map takes."""
    return round(sum(s["seconds"] for s in r["stages"] if s["stage"] not in NOT_PIPELINE and not s.get("within")),
                 1)


def peak_mb(r: dict[str, Any]) -> float:
    """The run's peak memory: the sampled peak of all its processes' PSS together (:class:`PeakMemory`); the
    largest process's peak RSS where that is larger (a peak between two samples) or was not sampled."""
    own = max(s["peak_rss_mb"] for s in r["stages"])
    children = max(s.get("children_peak_rss_mb", 0) for s in r["stages"])
    return max(own, children, max(s.get("peak_pss_mb", 0) for s in r["stages"]))


def _growth(results: list[dict[str, Any]]) -> list[str]:
    """Stage x size seconds and the growth exponent between consecutive sizes (log time ratio / log size ratio)."""
    import math

    lines: list[str] = []
    for engine in ("duckdb", "spark"):
        runs = sorted((r for r in results if r["engine"] == engine and "error" not in r), key=lambda r: r["size"])
        if len(runs) < 1:
            continue
        names: list[str] = []
        for r in runs:
            names += [s["stage"] for s in r["stages"] if s["stage"] not in names]
        sizes = [r["size"] for r in runs]
        head = "| stage | " + " | ".join(f"{z:.0e} (s)" for z in sizes) + "".join(
            f" | exponent {a:.0e}->{b:.0e}" for a, b in itertools.pairwise(sizes)) + " |"
        lines += [f"{engine}: seconds per stage and growth exponent b (time ~ size^b):", "", head,
                  "|---|" + "---:|" * (2 * len(sizes) - 1)]
        rows = [*names, "pipeline (ingest to clusters)", "peak memory (MB; all processes together)"]
        for name in rows:
            if name == "pipeline (ingest to clusters)":
                vals = [pipeline_seconds(r) for r in runs]
            elif name.startswith("peak memory (MB"):
                vals = [peak_mb(r) for r in runs]
            else:
                vals = [next((s["seconds"] for s in r["stages"] if s["stage"] == name), None) for r in runs]
            cells = ["-" if v is None else f"{v:,.2f}" for v in vals]
            exps = []
            for (a, va), (b, vb) in zip(zip(sizes, vals, strict=True), list(zip(sizes, vals, strict=True))[1:],
                                        strict=False):
                exps.append("-" if not va or not vb or va < 0.05 else f"{math.log(vb / va) / math.log(b / a):.2f}")
            lines.append(f"| {name} | " + " | ".join(cells) + "".join(f" | {x}" for x in exps) + " |")
        lines.append("")
    return lines


def _markdown(results: list[dict[str, Any]], argv: list[str]) -> str:
    lines = [f"## Whole-snapshot pipeline at scale ({LABEL})", "",
             f"`python bench/scale.py {' '.join(argv)}` on {os.cpu_count()} cores, {platform.python_version()}; "
             "peak RSS is the run's running peak (for Spark plus the driver JVM's).", ""]
    lines += _growth(results)
    for r in results:
        if "error" in r:
            lines += [f"### {r['engine']}, {r['size']:.0e} references: failed", "", f"    {r['error']}", ""]
            continue
        lines += [f"### {r['engine']}, {r['size']:.0e} references", "",
                  f"{r['works']:,} works, {r['refs']:,} reference entries, {r['nodes']:,} nodes, {r['edges']:,} links; "
                  + (f"PageRank SQL vs arrays max |diff| {r['pagerank_sql_vs_arrays_max_diff']:.1e}, "
                     f"components SQL == arrays: {r['components_same']}; "
                     if "components_same" in r else "SQL forms not run at this size; ")
                  + f"{r['components']:,} components; {r['clusters']:,} clusters (largest {r['clusters_largest']})"
                  + (f"; {r['cocitation_pairs']:,} co-citation pairs" if "cocitation_pairs" in r else "")
                  + (f"; against the in-memory path (a store of the same records): {r['in_memory']}"
                     if "in_memory" in r else "") + ".", "",
                  "| stage | seconds | peak RSS (MB) | largest child process's peak RSS (MB): ingest workers, "
                  "the clusters' process | peak memory of all processes together (MB, PSS sampled) |",
                  "|---|---:|---:|---:|---:|"]
        lines += [f"| {s['stage']} | {s['seconds']:.2f} | {s['peak_rss_mb']:.0f} | "
                  f"{s.get('children_peak_rss_mb', 0):.0f} | {s.get('peak_pss_mb', 0):.0f} |" for s in r["stages"]]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1e5,1e6", help="references per snapshot, comma-separated (1e5,1e6)")
    ap.add_argument("--spark", action="store_true", help="also run on PySpark local mode")
    ap.add_argument("--spark-sizes", default=None, help="sizes for Spark (default: --sizes)")
    ap.add_argument("--files", type=int, default=8, help="snapshot files per size")
    ap.add_argument("--memory-limit", default="4GB", help="DuckDB memory_limit")
    ap.add_argument("--spark-memory", default="4g", help="spark.driver.memory")
    ap.add_argument("--work", default=None, help="folder for the snapshots and datasets (default: a temporary one)")
    ap.add_argument("--json", default=None, help="write the figures as JSON here (also printed)")
    ap.add_argument("--md", default=None, help="write the Markdown section here (also printed)")
    ap.add_argument("--allow-large", action="store_true", help=f"allow sizes above {MAX_SIZE:.0e}")
    ap.add_argument("--sql-checks-up-to", type=float, default=1e7,
                    help="run the SQL PageRank and components (checked against the arrays) up to this size")
    ap.add_argument("--pairs-up-to", type=float, default=1e7, help="run co-citation up to this size")
    ap.add_argument("--iterations", type=int, default=2, help="Leiden passes (-1: until stable)")
    ap.add_argument("--sequential", action="store_true",
                    help="DuckDB: run the analyses one by one as stages (no second process for the clusters)")
    ap.add_argument("--workers", type=int, default=None,
                    help="analyse_dataset's workers: 1 one process, 2 the clusters in a second process at any size "
                         "(default: its own rule)")
    ap.add_argument("--check-in-memory-up-to", type=float, default=1e6,
                    help="compare with the in-memory path (a store of the same records) up to this size")
    ap.add_argument("--write-only", action="store_true",
                    help="only write the SYNTHETIC snapshots into --work (setup for a later timed run)")
    ap.add_argument("--memory-trace", default=None,
                    help="append each memory sample here (seconds, MB of the run's process, of the processes "
                         "under it, together, stage; tab-separated)")
    ap.add_argument("--child", nargs=2, metavar=("SIZE", "ENGINE"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.write_only:
        for s in (int(float(s)) for s in args.sizes.split(",") if s):
            t = time.perf_counter()
            paths = write_snapshot(s, Path(args.work) / f"snap-{s}", files=args.files)
            print(f"{s:.0e}: {len(paths)} files, {sum(p.stat().st_size for p in paths) / 1e6:.0f} MB, "
                  f"{time.perf_counter() - t:.0f} s", file=sys.stderr)
        return 0
    if args.child:
        size = int(float(args.child[0]))
        info = run_one(size, args.child[1], Path(args.work), files=args.files,
                       memory_limit=args.memory_limit, spark_memory=args.spark_memory,
                       sql_checks=size <= args.sql_checks_up_to, pairs_stage=size <= args.pairs_up_to,
                       iterations=args.iterations, sequential=args.sequential, workers=args.workers,
                       memory_trace=args.memory_trace,
                       check_in_memory=args.child[1] == "duckdb" and size <= args.check_in_memory_up_to)
        print(json.dumps(info))
        return 0
    sizes = [int(float(s)) for s in args.sizes.split(",") if s]
    spark_sizes = [int(float(s)) for s in (args.spark_sizes or args.sizes).split(",") if s] if args.spark else []
    if any(s > MAX_SIZE for s in sizes + spark_sizes) and not args.allow_large:
        ap.error(f"sizes above {MAX_SIZE:.0e} need --allow-large")
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="citegraph-scale-"))
    results = []
    runs = [(s, "duckdb") for s in sizes] + [(s, "spark") for s in spark_sizes]
    for size, engine in sorted(runs, key=lambda r: (r[0], r[1] != "duckdb")):
        cmd = [sys.executable, __file__, "--child", str(size), engine, "--work", str(work), "--files", str(args.files),
               "--memory-limit", args.memory_limit, "--spark-memory", args.spark_memory,
               "--sql-checks-up-to", str(args.sql_checks_up_to), "--pairs-up-to", str(args.pairs_up_to),
               "--iterations", str(args.iterations), "--check-in-memory-up-to", str(args.check_in_memory_up_to),
               *(["--sequential"] if args.sequential else []),
               *(["--workers", str(args.workers)] if args.workers is not None else []),
               *(["--memory-trace", args.memory_trace] if args.memory_trace else [])]
        started = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            results.append({"size": size, "engine": engine, "error": f"exit status {proc.returncode}"})
            continue
        info = json.loads(proc.stdout.strip().splitlines()[-1])
        info["wall_seconds"] = round(time.perf_counter() - started, 1)
        results.append(info)
    shown = sys.argv[1:] if argv is None else argv
    out = {"label": LABEL, "cpus": os.cpu_count(), "results": results}
    text = json.dumps(out, indent=1)
    md = _markdown(results, shown)
    print(text)
    print(md)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    if args.md:
        Path(args.md).write_text(md + "\n", encoding="utf-8")
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
