"""Run every benchmark and write ``bench/RESULTS.md`` from scratch.

Runs ``bench/fetch.py``, ``bench/graphs.py``, ``bench/analyse.py`` (twice:
``analyse`` on the a = 1 Price graphs, ``analyse-tail`` at 10^6 references
with a = 20, the in-degree tail of real citation data) and ``bench/importing.py``
(``import``: ``citegraph import`` on the real Web of Science exports of
``../shared/corpora``), each as
a child process with ``--json`` (their progress goes to stderr), and writes one
Markdown file: the machine (usable cores, memory, CPU, Python and library
versions, git revision, date), a table of every target (measured, met or
missed by how much), then one section per benchmark with the command that
reproduces it, medians and spread over the repeats, and the ratios to the
baseline or floor measured in the same run.

``--quick`` runs small sizes with one repeat (what CI runs, so the suite cannot
rot); its figures say nothing about the targets. A benchmark that cannot run
(``fetch`` and ``import`` without ``../shared``) is reported as skipped; one that fails makes
the exit status 1 (the file is still written). Missed targets do not change
the exit status: they are what the file reports.

Run: ``python bench/run.py [--quick] [--only fetch,graphs,analyse,analyse-tail,import,sources,startup,peers]
[--out bench/RESULTS.md] [--json PATH]``; ``python bench/run.py --render PATH`` writes ``RESULTS.md`` again
from figures saved with ``--json``, measuring nothing (when only the text changed); with ``--merge`` too, it
puts the saved benchmarks' sections into ``--out`` as below.

``--merge`` (with ``--only``) measures only the chosen benchmarks and puts their sections and target rows
into the existing ``--out`` file in place of their old ones, keeping every other section, target row and
note as it was (they are not measured again); the header lists each merged benchmark with its date,
revision, machine and command, so the file says which sections were measured when. The "why missed"
notes are those of the full run and are not rewritten.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import importlib.metadata
import json
import os
import platform
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

__all__ = ["BENCHMARKS", "git_revision", "machine", "main", "markdown", "targets"]

BENCHMARKS = ("fetch", "graphs", "analyse", "analyse-tail", "import", "sources", "startup", "peers")

#: The script each benchmark runs (``bench/<script>.py``).
SCRIPTS = {"fetch": "fetch", "graphs": "graphs", "analyse": "analyse", "analyse-tail": "analyse",
           "import": "importing", "sources": "sources", "startup": "startup", "peers": "peers"}

#: The benchmark column of a benchmark's rows in the targets table, where it is not its name.
LABELS = {"analyse-tail": "analyse (a = 20)"}

#: The arguments of each benchmark: the figures of record, and the smoke run CI does.
ARGS: dict[str, dict[str, list[str]]] = {
    "fetch": {"full": ["--baseline-sample", "100", "--repeats", "3"],
              "quick": ["--seeds", "20", "--baseline-sample", "5", "--latency", "0.02"]},
    "graphs": {"full": ["--sizes", "1e4,1e5,1e6", "--repeats", "3", "--graph-functions"],
               "quick": ["--sizes", "2000,4000", "--repeats", "1"]},
    "analyse": {"full": ["--sizes", "1e4,1e5,1e6", "--repeats", "3"],
                "quick": ["--sizes", "2000", "--repeats", "1"]},  # ~22 fresh processes per size
    # the same stages on a graph with the in-degree tail of real citation data (a = 20: exponent 3)
    "analyse-tail": {"full": ["--sizes", "1e6", "--repeats", "1", "--a", "20"],
                     "quick": ["--sizes", "2000", "--repeats", "1", "--a", "20", "--stages", "analyse"]},
    # the real WoS exports of ../shared/corpora; quick: the first file of the plain-text export
    "import": {"full": ["--repeats", "3"],
               "quick": ["--corpora", "coffee", "--files", "1", "--repeats", "1", "--no-peer"]},
    # the OpenAlex and Crossref/OpenCitations replays over the recordings of ../shared (one size: the data's)
    "sources": {"full": [], "quick": ["--quick"]},
    # fresh processes of --help, status (on stores imported from ../shared/corpora) and the analysis imports
    "startup": {"full": ["--repeats", "5"],
                "quick": ["--repeats", "1", "--corpora", "coffee", "--files", "1", "--no-analysis"]},
    # citegraph against litstudy, python-igraph and the pairwise loop: real stores of ../shared and SYNTHETIC
    # graphs (litstudy from its own venv: BENCH_PEER_PYTHON or .venv-peers, see bench/peers_litstudy.py)
    "peers": {"full": ["--sizes", "1e4,1e5,1e6", "--repeats", "3"], "quick": ["--smoke"]},
}

TITLES = {
    "fetch": "Fetch: batched snowball vs one habanero call per DOI",
    "graphs": "Graphs at scale: co-citation and coupling on SYNTHETIC Price-model citation graphs",
    "analyse": "Analysis scaling: every stage of `citegraph analyse` on SYNTHETIC Price-model citation graphs",
    "analyse-tail": "Analysis at 10^6 references with the citation tail of real data (SYNTHETIC, a = 20)",
    "import": "Import: `citegraph import` on real Web of Science exports",
    "sources": "Sources: OpenAlex requests against their minimum; a merged fetch against each source alone",
    "startup": "Startup: `citegraph --help`, `status` and `fetch --help` in fresh processes; the analysis imports",
    "peers": "Peers side by side: graph builds and rankings against litstudy, python-igraph and the pairwise loop",
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------
# The machine
# --------------------------------------------------------------------------------------------------


def git_revision(repo: Path = REPO) -> str | None:
    """The commit ``HEAD`` names, read from the ``.git`` files (no git process); None outside a checkout.

    Examples
    --------
    >>> git_revision(Path("/nonexistent")) is None
    True
    """
    git = repo / ".git"
    try:
        if git.is_file():  # a worktree: "gitdir: PATH"
            git = (repo / git.read_text().split(":", 1)[1].strip()).resolve()
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head
        ref = head[5:]
        for root in (git, _common_dir(git)):
            if (root / ref).is_file():
                return (root / ref).read_text().strip()
            packed = root / "packed-refs"
            if packed.is_file():
                for line in packed.read_text().splitlines():
                    parts = line.split()
                    if len(parts) == 2 and parts[1] == ref:
                        return parts[0]
    except (OSError, IndexError):
        return None
    return None


def _common_dir(git: Path) -> Path:
    common = git / "commondir"
    return (git / common.read_text().strip()).resolve() if common.is_file() else git


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    """Cores usable by this process, memory, CPU model, versions, revision, date."""
    cpu, mem_kb = "", 0
    try:
        cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                    if ln.startswith("model name")), "")
        mem_kb = next((int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines()
                       if ln.startswith("MemTotal")), 0)
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0
    return {
        "cores": cores, "cpus_online": os.cpu_count(), "cpu": cpu or platform.processor() or "unknown",
        "ram_gib": round(mem_kb / 2**20, 1), "python": platform.python_version(), "platform": platform.platform(),
        "versions": {d: _version(d) for d in ("citegraph", "numpy", "scipy", "networkx", "igraph", "habanero",
                                              "scikit-learn")},
        "git_revision": git_revision(), "date": datetime.date.today().isoformat(),
    }


# --------------------------------------------------------------------------------------------------
# Running the benchmarks
# --------------------------------------------------------------------------------------------------


def command(name: str, quick: bool, shared: Path | None) -> list[str]:
    """The arguments of one benchmark (without ``--json``)."""
    argv = list(ARGS[name]["quick" if quick else "full"])
    if name in ("fetch", "import", "sources", "startup", "peers") and shared is not None:
        argv += ["--shared", str(shared)]
    return argv


def run_benchmark(name: str, argv: list[str], timeout: float | None) -> dict[str, Any]:
    """Run ``bench/<script>.py ARGV --json``; its JSON, or ``{"error": ...}``. Its stderr is passed through."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}  # graphs.py asks git for HEAD: never take the index lock
    script = HERE / f"{SCRIPTS[name]}.py"
    proc = subprocess.Popen([sys.executable, str(script), *argv, "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    tail: collections.deque[str] = collections.deque(maxlen=20)

    def relay() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            tail.append(line.rstrip())
            sys.stderr.write(f"[{name}] {line}")
            sys.stderr.flush()

    chunks: list[str] = []

    def drain() -> None:  # stdout has its own reader: a JSON larger than the pipe buffer must not block the child
        assert proc.stdout is not None
        chunks.append(proc.stdout.read())

    relayer = threading.Thread(target=relay, daemon=True)
    drainer = threading.Thread(target=drain, daemon=True)
    relayer.start()
    drainer.start()
    t0 = time.perf_counter()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        relayer.join(5)
        drainer.join(5)
        return {"error": f"killed after {timeout:.0f} s", "wall_s": time.perf_counter() - t0}
    relayer.join(5)
    drainer.join(60)
    out = "".join(chunks)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        last = [ln for ln in tail if ln.strip()]
        return {"error": f"exit status {proc.returncode}: {last[-1] if last else 'no message'}", "wall_s": wall}
    try:
        result: dict[str, Any] = json.loads(out)
    except ValueError as exc:
        return {"error": f"its output is not JSON ({exc})", "wall_s": wall}
    result["wall_s"] = wall
    return result


def _module(name: str) -> ModuleType:
    """``bench/<name>.py`` (its ``markdown`` renders the section)."""
    import importlib

    return importlib.import_module(SCRIPTS[name])


# --------------------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------------------


def _row(bench: str, target: str, measured: str, met: bool | None, miss: str = "") -> dict[str, Any]:
    return {"benchmark": bench, "target": target, "measured": measured, "met": met, "miss": miss}


def _fetch_targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    runs = r.get("runs") or [{"throttled": r["cold"]["throttled"], "peak_concurrency": r["cold"]["peak_concurrency"],
                              "warm_requests": r["warm"]["requests"]}]
    throttled = max(x["throttled"] for x in runs)
    peak = max(x["peak_concurrency"] for x in runs)
    warm = max(x["warm_requests"] for x in runs)
    ratio, over = r["request_ratio"], r["wall_over_floor"]
    return [
        _row("fetch", "requests: >= 20x fewer than one per DOI", f"{ratio:.0f}x ({r['cold']['requests']:,} for "
             f"{r['baseline']['extrapolated_requests']:,} DOIs)", ratio >= 20, f"{20 / ratio:.1f}x short"),
        _row("fetch", "wall time <= 1.3x the floor of the polite pool", f"{over:.2f}x ({r['cold']['wall_s']:.1f} s "
             f"vs {r['floor_s']:.1f} s)", over <= 1.3, f"{over / 1.3:.2f}x over"),
        _row("fetch", "no 429, at most 3 requests in flight", f"{throttled} / {peak}", throttled == 0 and peak <= 3,
             f"{throttled} 429s, {peak} in flight"),
        _row("fetch", "a warm re-run makes no request", f"{warm}", warm == 0, f"{warm} requests"),
    ]


def _graphs_targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    at = {e["n_references"]: e for e in r["sizes"]}
    for kind in ("cocitation", "coupling"):
        target = f"{kind} with top_k={r['params']['top_k']} on 10^6 references: <= 60 s and <= 4 GB"
        e = at.get(10**6)
        if e is None:
            rows.append(_row("graphs", target, "not measured at 10^6 (sizes: "
                             + ", ".join(f"{n:,}" for n in sorted(at)) + ")", None))
            continue
        x = e[kind]
        if x.get("finished"):
            secs, peak = x["max_s"], x["peak_rss_mb"]
            miss = "; ".join(([f"time over by {secs - 60:.0f} s"] if secs > 60 else [])
                             + ([f"memory over by {(peak - 4096) / 1024:.1f} GB"] if peak > 4096 else []))
            rows.append(_row("graphs", target, f"{x['median_s']:.3g} s (max {secs:.3g} s), {peak:,.0f} MB",
                             not miss, miss))
        else:
            rows.append(_row("graphs", target, f"did not finish: {x.get('detail')}", False, "did not finish"))
    e = at.get(10**5)
    loop = e.get("cocitation_loop") if e else None
    target = "co-citation >= 20x faster than the pairwise loop at 10^5 references (top_k as above)"
    if loop and "speedup" in loop:
        s = loop["speedup"]
        rows.append(_row("graphs", target, f"{s:.1f}x ({e['cocitation']['median_s']:.3g} s vs "  # type: ignore[index]
                         f"{loop['median_s']:.3g} s)", s >= 20, f"{20 / s:.1f}x short"))
    else:
        rows.append(_row("graphs", target, "not measured at 10^5", None))
    return rows


def _analyse_targets(r: dict[str, Any], name: str = "analyse") -> list[dict[str, Any]]:
    rows = []
    for t in r["targets"]:
        if name != "analyse" and not t["target"].startswith("`citegraph analyse`"):
            continue  # one size: only the time and memory target is judged
        miss = t.get("miss") or ""
        if t.get("why") and t.get("met") is False:
            miss = f"{miss} ({t['why']})" if miss else t["why"]
        rows.append(_row("analyse (a = 20)" if name != "analyse" else name, t["target"], t["measured"],
                         t.get("met"), miss))
    return rows


def _tail_targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    return _analyse_targets(r, "analyse-tail")


IMPORT_TARGET = "import of the CRISPR tab export <= 10 s and <= 1 GB peak RSS"


def _import_targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    t = (r.get("targets") or {}).get("crispr")
    if t is None:
        files = r.get("params", {}).get("files")
        rows.append(_row("import", IMPORT_TARGET, "not measured (" + (f"only the first {files} file(s) of each "
                         "corpus" if files else "the CRISPR export was not chosen") + ")", None))
    else:
        rows.append(_row("import", IMPORT_TARGET, t["measured"], t["met"], t.get("miss", "")))
    coffee = next((c for c in r.get("corpora", []) if c.get("name") == "coffee" and c.get("edges")), None)
    if coffee is not None:
        x, m = coffee["edges"], coffee["report"]["matching"]
        share = 100 * m["matched"] / m["references"] if m["references"] else 0.0
        whole = "" if not r.get("params", {}).get("files") else f" (first {r['params']['files']} file(s) only)"
        row = _row("import", "coffee/obesity export: citations between records by DOI alone and with key "
                   "matching added; share of references matched" + whole,
                   f"{x['by_doi']:,} by DOI, {x['with_key']:,} with key ({x['key_only']:,} added); "
                   f"{share:.1f} % of {m['references']:,} references matched", None)
        row["reported"] = True
        rows.append(row)
    return rows


def _sources_targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    o, m = r["openalex"], r["merged"]
    least = sum(o["minimum"][k] for k in ("seeds_by_doi", "citing", "references_by_id"))
    ratio = o["requests"] / least
    rows = [_row("sources", "OpenAlex: requests for the seeds' references and citing works <= 1.2x the minimum "
                 "the 100-id filters and 200-row pages allow", f"{o['requests']} requests, minimum {least} "
                 f"({ratio:.2f}x)", ratio <= 1.2, "" if ratio <= 1.2 else f"{ratio / 1.2:.2f}x over"),
            _row("sources", "OpenAlex: zero requests on a warm re-run", f"{o['warm_server_requests']} requests",
                 o["warm_server_requests"] == 0),
            _row("sources", "merged fetch: at least as many edges as either source alone, and every edge of each",
                 f"merged {m['merged']['edge_count']}, crossref+opencitations {m['crossref']['edge_count']}, "
                 f"openalex {m['openalex']['edge_count']}; holds each: {m['holds_each_alone']}",
                 m["holds_each_alone"] and m["merged"]["edge_count"] >= max(m["crossref"]["edge_count"],
                                                                          m["openalex"]["edge_count"]))]
    return rows


def _startup_targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    by = {c["name"]: c for c in r["cases"]}
    t = r.get("targets") or {}
    rows = []
    h = by.get("--help")
    target = "`citegraph --help` < 0.3 s (median of fresh processes)"
    if "help" in t and h:
        rows.append(_row("startup", target, f"{h['median_s']:.2f} s (CPU {h['cpu_s']:.2f} s), "
                         f"{h['peak_rss_mb']:.0f} MB", t["help"]["met"], t["help"]["miss"]))
    else:
        rows.append(_row("startup", target, "not measured", None))
    target = "`citegraph status` < 0.5 s on the shared stores (CRISPR, coffee/obesity WoS imports)"
    status = [c for c in r["cases"] if c["name"].startswith("status (") and c.get("finished")]
    if "status" in t:
        rows.append(_row("startup", target, ", ".join(f"{c['name'][8:-1]} {c['median_s']:.2f} s (CPU "
                                                      f"{c['cpu_s']:.2f} s)" for c in status),
                         t["status"]["met"], t["status"]["miss"]))
    else:
        skipped = [f"{k}: {v['skipped']}" for k, v in (r.get("stores") or {}).items() if "skipped" in v]
        rows.append(_row("startup", target, "not measured (" + ("; ".join(skipped) if skipped else
                                                                 "smoke run: part of each export") + ")", None))
    mods = by.get("analysis modules")
    if mods and mods.get("finished"):
        cli = by.get("analyse's imports (CLI)") or {}
        row = _row("startup", "RSS after importing the modules `analyse` needs (the issue: ~160 MB)",
                   f"{mods['peak_rss_mb']:.0f} MB (`import citegraph.analysis.pipeline`)"
                   + (f"; {cli['peak_rss_mb']:.0f} MB as the `analyse` command imports them" if cli.get("finished")
                      else ""), None)
        row["reported"] = True
        rows.append(row)
    return rows


def _peers_targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    return [_row("peers", t["target"], t["measured"], t["met"], t.get("miss", "")) for t in r["targets"]]


def targets(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Every target of every benchmark that ran: target, measured, met (None: not judged), by how much missed."""
    rows: list[dict[str, Any]] = []
    for name, fn in (("fetch", _fetch_targets), ("graphs", _graphs_targets), ("analyse", _analyse_targets),
                     ("analyse-tail", _tail_targets), ("import", _import_targets), ("sources", _sources_targets),
                     ("startup", _startup_targets), ("peers", _peers_targets)):
        r = results.get(name)
        if r is None or "error" in r or "skipped" in r:
            continue
        try:
            rows += fn(r)
        except (KeyError, TypeError, ZeroDivisionError) as exc:
            rows.append(_row(name, "(all)", f"figures incomplete: {exc!r}", None))
    return rows


def _verdict(row: dict[str, Any], quick: bool = False) -> str:
    if row.get("reported"):
        return "reported (no threshold)"
    if row["met"] is None:
        return "not judged here"
    text = "met" if row["met"] else f"**missed**: {row['miss']}" if row["miss"] else "**missed**"
    return f"not judged (quick run; at these sizes: {text.replace('**', '')})" if quick else text


# --------------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------------

FETCH_INTRO = """Replay server (`tests/replay`, recorded Crossref data from `../shared`) enforcing the
polite pool's limits (10 requests/s, 3 in flight, 429 beyond), {latency:g} s added to every
answer. Seeds: the {seeds} works of `works-habanero.jsonl.gz` used; depth 1. {repeats}"""

FETCH_NOTES = """Notes:
- Cited DOIs absent from the recorded corpus (as DataCite DOIs are from Crossref; {absent:,}
  here) cost no request beyond their batch: each batch answer shows which are missing, so
  {requests:,} requests cover {dois:,} DOIs.
- The floor is `max(requests / 10, requests × {latency:g} s / 3)`: the time the requests need at
  the pool's limits. What is above it is start-up (loading seeds, the first requests before the
  pipeline fills) and SQLite writes.
- The baseline is habanero's `works(ids=doi)` once per DOI, paced at 10/s (unpaced, the server
  answers 429 and habanero raises). It is sequential, so latency-bound; it was timed on
  {sample} DOIs and extrapolated linearly to the {dois:,} DOIs of the job.
- A smoke run of this benchmark (20 seeds) is part of the test suite (`tests/test_bench_smoke.py`)."""

GRAPHS_INTRO = """Target: co-citation and coupling with `top_k` handle 10^6 references in under 60 s and
4 GB on 2 cores. The graphs are **SYNTHETIC** (`bench/synthetic.py`: Price's model, de
Solla Price 1976; paper t cites Poisson(20) distinct earlier papers, chosen with
probability proportional to in-degree + a; seeded; stopped at exactly the number of
references asked for). Each measured computation runs in a fresh process: time, and
`ru_maxrss` before the computation (interpreter, libraries and the loaded graph) and after;
the targets are judged on the child's whole peak RSS. The edge computation is measured as
`cocitation_graph`/`coupling_graph` do it (`cooccurrence_edges` on `cm.matrix.T.tocsr()` /
`cm.matrix`, from a `CitationMatrix` built from numpy arrays); the `..._graph()` rows time
the whole function, networkx output included. The baseline is a pairwise Python loop
(litstudy style): for every citing paper, `itertools.combinations` of its references into a
`Counter` (co-citation; for coupling, the citers of every cited paper), then the same
normalisation and each node's `top_k` in Python. It is skipped at a size when the previous
size took longer than 60 s or its pair count projects it past 600 s; on the smallest size
the loop and the sparse code are compared edge by edge."""

GRAPHS_NOTES = """Notes:
- Why coupling is the hard one: with a = 1 the in-degree tail exponent is 2 + a/20 = 2.05,
  heavier than the 2.5–3 Price measured on real citation data (a = 20 gives 3): a few early
  papers are cited by a large share of all later ones, so nearly every pair of papers is
  coupled and coupling's output tends to n^2. Run `python bench/graphs.py --a 20` for the
  lighter tail.
- Growth exponents are fits over a few sizes, flattened at small sizes by fixed costs and
  threads; they are not asymptotic claims.
- Timings on a shared VM vary by 20–40 % between runs on the same day: compare figures from
  the same run. The before/after figures of the `cooccurrence_edges` rewrite (645ae9f) are in
  the history of this file.
- A smoke run of this benchmark (2,000 references, loop check included) and tests of the
  generator are part of the test suite (`tests/test_bench_graphs.py`)."""

ANALYSE_INTRO = """Targets: `citegraph analyse` on 10^6 references in <= 60 s and <= 4 GB peak on 2 cores;
no stage grows faster than n log n in references except exact betweenness, which switches to
sampling; PageRank within 3x of python-igraph's; co-citation >= 20x faster than a pairwise
baseline at 10^5 references. The data are **SYNTHETIC** Price-model graphs (as above) written as
hand-made Crossref-shaped records into a citegraph store (`parse_work` + `Store.add_works`;
DOIs `10.5555/synthetic-<i>`, titles "SYNTHETIC work i", years increasing with i, SYNTHETIC
pseudo-word abstracts so the topic model has text). Building the store is setup, timed apart.
Each stage calls the library functions `analyse()` calls, with `AnalyseOptions()`, in a fresh
process that first loads its inputs (the store, and pickles of what earlier stages made):
the time excludes imports and loading, the peak RSS includes them (the increase is shown
apart). Stages marked "in X" are also part of X; the top-level stages add up to roughly
`analyse()` end to end. Every synthetic work is stored (resolved), whereas in real stores most
nodes are cited-only works described from reference lists."""


TAIL_INTRO = """The benchmark above uses a = 1, whose in-degree tail (exponent 2 + a/20 = 2.05) is heavier
than the 2.5–3 Price measured on real citation data: a few early papers are cited by a large
share of all later ones, so bibliographic coupling links nearly every pair of papers and its exact
top-k costs ~n^2 products (7.4 billion at 10^6 references). Here the same stages run on a Price
graph with a = 20 (tail exponent 3, the lighter end of real data), otherwise identical."""


IMPORT_INTRO = """Targets: `citegraph import` of the 2,500-record tab-delimited CRISPR export (19 MB) in under
10 s on this machine with under 1 GB peak RSS, throughput in records/s; on the coffee/obesity
export, the citations between records found by DOI alone and with key matching added, and the
share of references matched. The data are **real** Web of Science exports in `../shared/corpora`
(read in place, never copied into the repository): tab-delimited (`crispr-2017-wostab`), plain
text (`coffee-obesity-wos`) and BibTeX (`premature-mortality-wosbib`). Each repeat runs, each in a
fresh process on a fresh store: the command itself (`citegraph --store S -q import --json FILES`,
timed from process start to exit, so **interpreter start, imports and closing the store are
included**: this is what the target is judged on), the library call it makes
(`import_exports(store, paths)` in `Store(S)` and `store.writer_lock()`, imports not timed; its
read and match parts timed inside the call, store being the rest) and the readers alone
(`read_export` on every file). Peak RSS is each child's `ru_maxrss` as `os.wait4` reports it (what
`/usr/bin/time` shows): one import per process, interpreter included."""

IMPORT_NOTES = """Notes:
- records/s counts the records read (duplicates included: WoS lists some articles twice under two
  `UT`; they are stored once); references/s the cited-reference entries read. The references of
  `ImportReport.matching` are those of the stored records, so a duplicate's are not counted there.
- "by DOI alone" counts edges one of whose sources is the database's DOI link (`wos`: the cited
  reference gives the DOI of a stored record); "with key matching added" every edge between stored
  works, the rest coming from `wos-key` (first author, year, volume, first page) or
  `wos-key+source` (the same with the source as tie-breaker). A record cited by DOI and by key
  from the same paper is one edge.
- The peer is metaknowledge 3.4.1 (2020; installed from PyPI in seconds, it needs only networkx).
  It reads WoS plain text only, not tab-delimited or BibTeX, so it is timed on the coffee/obesity
  files and compared with citegraph's readers alone; it only parses (no store, no matching). It is
  not a dependency of citegraph: it ran from its own venv, named by `BENCH_PEER_PYTHON` (or
  `--peer-python`); without one the section says it was not measured. Other WoS readers on PyPI
  (pybibx, litstudy, wostools) were not tried. To reproduce with the peer:
  `python -m venv /tmp/peer && /tmp/peer/bin/pip install metaknowledge==3.4.1`, then
  `BENCH_PEER_PYTHON=/tmp/peer/bin/python python bench/run.py --only import --merge`.
- The load average is the machine's, this benchmark's own process included (about 1 of it).
- A smoke run of this benchmark (the first coffee/obesity file, one repeat) is part of the test
  suite (`tests/test_bench_smoke.py`)."""


def _stage_s(r: dict[str, Any] | None, size: int, stage: str) -> float | None:
    """Median seconds of an analyse stage at a size, if it finished."""
    for e in (r or {}).get("sizes", []):
        x = e.get("stages", {}).get(stage, {}) if e.get("n_references") == size else {}
        if x.get("finished"):
            return float(x["median_s"])
    return None


def why_missed(results: dict[str, dict[str, Any]]) -> list[str]:
    """Why each missed target is missed: one paragraph each, figures from this run where it has them."""
    out: list[str] = []
    rows = targets(results)

    def missed(bench: str, start: str) -> bool:
        return any(t["benchmark"] == bench and t["target"].startswith(start) and t["met"] is False for t in rows)

    a = results.get("analyse")
    if missed("analyse", "`citegraph analyse` on 10^6") and a:
        total, coupling = _stage_s(a, 10**6, "analyse"), _stage_s(a, 10**6, "coupling")
        pairs = next((e.get("pair_occurrences", {}).get("coupling") for e in results.get("graphs", {}).get(
            "sizes", []) if e.get("n_references") == 10**6), None)
        tail = _stage_s(results.get("analyse-tail"), 10**6, "analyse")
        text = ("- **`analyse` at 10^6 references (a = 1)**: exact bibliographic coupling"
                + (f" takes {coupling:.0f} s of the {total:.0f} s" if total and coupling else " is most of it")
                + ". On this graph nearly every pair of works shares one of the few references cited by thousands"
                + (f" (the pairwise loop would visit {pairs:,} such pairs)" if pairs else "")
                + ", so each work's exact top 20 coupling links are chosen among almost all other works. "
                "citegraph keeps coupling exact: champion lists lost most of the exact links, and a top-n sparse "
                "product, prefix filtering and dense products did not cut the cost (`bench/PROFILE.md`, which "
                "also lists what was profiled and fixed, before and after)."
                + (f" The rest takes about {total - coupling:.0f} s." if total and coupling else "")
                + (f" With the citation tail of real data (a = 20) `analyse` takes {tail:.0f} s (below)."
                   if tail else ""))
        out.append(text)
    if missed("analyse", "no stage grows faster") and a:
        fits = {k: v.get("fit") for k, v in a.get("growth", {}).items() if v.get("met") is False}
        work = results.get("graphs", {}).get("exponent", {}).get("coupling", {}).get("pair_occurrences_fit")
        reasons = {
            "coupling": "its work is the pairs of works that share a reference, which grow faster than the "
                        "references on this heavy-tailed graph" + (f" (b = {work:.2f} in the graphs benchmark)"
                                                                   if work is not None else ""),
            "hybrid_graph": "contains coupling",
            "analyse": "contains coupling",
            "clustering": "Leiden on the hybrid graph, whose links grow with coupling's",
            "citation_graph": "sorts the links (n log n) and builds a networkx graph of a million edge dicts, "
                              "which slows as the heap outgrows the caches; the same code measured b = 1.11 in an "
                              "earlier run (`bench/PROFILE.md`)",
        }
        out.append("- **Growth faster than n log n**: " + "; ".join(
            f"{k} (b = {b:.2f}): {reasons.get(k, 'not explained yet')}" for k, b in fits.items() if b is not None)
            + ". The stages not listed stay within n log n.")
    if missed("analyse", "co-citation >= 20x") or missed("graphs", "co-citation >= 20x"):
        co = {r["n_references"]: r["cocitation"] for r in (a or {}).get("peers", []) if "cocitation" in r}
        big = co.get(10**6)
        out.append("- **Co-citation >= 20x the pairwise loop at 10^5 references**: at that size the loop visits "
                   "about a million pairs in well under a second, and most of citegraph's time is per-call work "
                   "(the sparse product and choosing each work's top 20 links) rather than per pair; the ratio "
                   "grows with size" + (f": {big['speedup']:.0f}x at 10^6." if big else "."))
    return out


def _section_command(name: str, argv: list[str]) -> str:
    return " ".join(["python", f"bench/{SCRIPTS[name]}.py", *argv])


def markdown(results: dict[str, dict[str, Any]], mc: dict[str, Any], quick: bool,
             commands: dict[str, str], run_command: str, rendered: str | None = None) -> str:
    """The whole of RESULTS.md (``rendered``: the date its text was written again from saved figures)."""
    v = mc["versions"]
    rev = mc["git_revision"]
    lines = [
        "# Benchmark results",
        "",
        f"Written by `{run_command}` on {mc['date']}; do not edit by hand, run it again (`python bench/run.py` "
        "regenerates every figure; `--only NAME` one benchmark). Each section names the command that produced it.",
    ]
    if rendered:
        lines[-1] += (f" The text was written again on {rendered} from that run's saved figures "
                      "(`python bench/run.py --render`), without measuring.")
    if quick:
        lines += ["", "**QUICK run** (`--quick`: small sizes, one repeat; what CI runs so the benchmarks cannot rot). "
                      "These figures do not judge the targets."]
    lines += [
        "", "## Machine", "",
        "| | |", "|---|---|",
        f"| cores usable (`os.sched_getaffinity`) | {mc['cores']} (of {mc['cpus_online']} online) |",
        f"| memory | {mc['ram_gib']} GiB |",
        f"| CPU | {mc['cpu']} |",
        f"| Python | {mc['python']} ({mc['platform']}) |",
        f"| citegraph | {v['citegraph']} (git {rev[:10] if rev else 'revision unknown'}; read from `.git`, "
        "uncommitted changes not shown) |",
        f"| numpy / scipy / networkx | {v['numpy']} / {v['scipy']} / {v['networkx']} |",
        f"| python-igraph / habanero / scikit-learn | {v['igraph']} / {v['habanero']} / {v['scikit-learn']} |",
        f"| date | {mc['date']} |",
        "", "## Targets", "",
        "| benchmark | target | measured | verdict |", "|---|---|---|---|",
    ]
    rows = targets(results)
    for row in rows:
        lines.append(f"| {row['benchmark']} | {row['target']} | {row['measured']} | {_verdict(row, quick)} |")
    for name in BENCHMARKS:
        r = results.get(name)
        if r is not None and ("error" in r or "skipped" in r):
            lines.append(f"| {name} | (all) | {'failed: ' + r['error'] if 'error' in r else 'skipped: ' + r['skipped']}"
                         " | not judged here |")
    if not quick and (missed := why_missed(results)):
        lines += ["", "Why the missed targets are missed:", "", *missed]
    for name in BENCHMARKS:
        if name not in results:
            continue
        r = results[name]
        lines += ["", f"## {TITLES[name]}", "", f"Command: `{commands[name]}`", ""]
        if "skipped" in r:
            lines.append(f"Skipped: {r['skipped']}.")
            continue
        if "error" in r:
            lines.append(f"**Failed**: {r['error']} (after {r['wall_s']:.0f} s).")
            continue
        lines.append(_section(name, r, commands[name]))
        lines.append("")
        wall = r["wall_s"]
        lines.append(f"(Wall time of this benchmark: {wall / 60:.1f} min.)" if wall >= 60 else
                     f"(Wall time of this benchmark: {wall:.0f} s.)")
    return "\n".join(lines) + "\n"


def _section(name: str, r: dict[str, Any], cmd: str) -> str:
    module = _module(name)
    if name == "fetch":
        lv = r["cold"]["levels"]
        repeats = (f"Cold and warm runs repeated {r['repeats']} times on fresh stores; the figures are the median "
                   "cold run's." if r.get("repeats", 1) > 1 else "")
        notes = FETCH_NOTES.format(absent=sum(x[3] for x in lv), requests=r["cold"]["requests"],
                                   dois=r["baseline"]["extrapolated_requests"], latency=r["latency_s"],
                                   sample=r["baseline"]["sample"])
        return "\n".join([FETCH_INTRO.format(latency=r["latency_s"], seeds=r["seeds"], repeats=repeats).rstrip(), "",
                          str(module.markdown(r)), "", notes])
    body = str(module.markdown({**r, "command": cmd}))
    if body.startswith("Command:"):  # the section names its command already
        body = body.split("\n", 1)[1].lstrip("\n")
    if name == "graphs":
        return "\n".join([GRAPHS_INTRO, "", body, "", GRAPHS_NOTES])
    if name == "analyse-tail":
        return "\n".join([TAIL_INTRO, "", body])
    if name == "import":
        return "\n".join([IMPORT_INTRO, "", body, "", IMPORT_NOTES])
    if name == "peers":
        return "\n".join([str(module.INTRO), "", body])
    if name in ("sources", "startup"):
        return "\n".join([str(module.__doc__).split("\n\nRun:")[0].split("\n", 2)[2].strip(), "", body])
    return "\n".join([ANALYSE_INTRO, "", body])


# --------------------------------------------------------------------------------------------------
# Merging some benchmarks into an existing RESULTS.md
# --------------------------------------------------------------------------------------------------

MERGE_NOTE = ("Sections measured later and merged in (`python bench/run.py --only NAME --merge`); every other "
              "section, target row and note is from the run named above and was not measured again:")


def _blocks(text: str) -> list[list[str]]:
    """The lines of ``text`` cut before every ``## `` heading (the first block: the title and header)."""
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.startswith("## "):
            blocks.append([])
        blocks[-1].append(line)
    return blocks


def _table_rows(block: list[str]) -> list[int]:
    """Indexes of the data rows of the targets table in the ``## Targets`` block."""
    rows, inside = [], False
    for i, line in enumerate(block):
        if line.startswith("| benchmark | target |"):
            inside = True
        elif inside and line.startswith("|---"):
            continue
        elif inside and line.startswith("| "):
            rows.append(i)
        elif inside:
            break
    return rows


def merge_markdown(old: str, results: dict[str, dict[str, Any]], mc: dict[str, Any], quick: bool,
                   commands: dict[str, str], run_command: str) -> str:
    """``old`` (a RESULTS.md) with the sections and target rows of the benchmarks in ``results`` replaced
    by (or, when absent, added from) those of this run; everything else kept as it was."""
    fresh = _blocks(markdown(results, mc, quick, commands, run_command))
    blocks = _blocks(old)
    names = [n for n in BENCHMARKS if n in results]
    labels = {LABELS.get(n, n) for n in names} | set(names)
    # the header: one line per merged benchmark, saying when, where and how it was measured
    head = blocks[0]
    while head and not head[-1].strip():
        head.pop()
    if MERGE_NOTE not in head:
        head += ["", MERGE_NOTE, ""]
    at = head.index(MERGE_NOTE)
    keep = [ln for ln in head[at + 1:] if not any(ln.startswith(f"- **{n}**:") for n in names)]
    old_cpu = next((m.group(1).strip() for ln in old.splitlines() if (m := re.match(r"\| CPU \| (.*) \|$", ln))),
                   None)
    rev = mc.get("git_revision")
    for n in names:
        where = (f"{mc['cores']} cores, {mc['cpu']}, {mc['ram_gib']} GiB, Python {mc['python']}"
                 + (f" (**not the CPU of the machine table**, {old_cpu}: compare its figures with the others "
                    "with care)" if old_cpu and old_cpu != mc["cpu"] else " (the machine table's CPU)"))
        keep.append(f"- **{n}**: measured on {mc['date']} by `{run_command}`"
                    + (" (**QUICK run**: its figures do not judge the targets)" if quick else "")
                    + f", citegraph {mc['versions']['citegraph']} at git "
                    + (f"{rev[:10]}" if rev else "revision unknown") + f" (uncommitted changes not shown); {where}.")
    head[at + 1:] = ["", *[ln for ln in keep if ln.strip()]]
    head.append("")
    # the targets table: this run's rows in place of the old rows of the same benchmarks
    new_rows: list[str] = []
    for block in fresh:
        if block and block[0] == "## Targets":
            new_rows = [block[i] for i in _table_rows(block)]
    for block in blocks:
        if block and block[0] == "## Targets":
            rows = _table_rows(block)
            if not rows:
                continue
            kept = [block[i] for i in rows if block[i].split("|")[1].strip() not in labels]
            block[rows[0]:rows[-1] + 1] = kept + new_rows
    # the sections: replaced in place, or added at the end
    for n in names:
        heading = f"## {TITLES[n]}"
        section = next((b for b in fresh if b and b[0] == heading), None)
        if section is None:
            continue
        found = [i for i, b in enumerate(blocks) if b and b[0] == heading]
        if found:
            blocks[found[0]] = section
        else:
            if blocks[-1] and blocks[-1][-1].strip():
                blocks[-1].append("")
            blocks.append(section)
    for block in blocks[:-1]:  # one blank line between sections
        while block and not block[-1].strip():
            block.pop()
        block.append("")
    return "\n".join(line for block in blocks for line in block).rstrip("\n") + "\n"


# --------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------


def _merge_base(out: Path) -> str | None:
    """The RESULTS.md that ``--merge`` puts sections into; None (and why, on stderr) if there is none."""
    try:
        old = out.read_text(encoding="utf-8")
    except OSError as exc:
        log(f"--merge: cannot read {str(out)!r} to merge into: {exc.strerror or exc}")
        return None
    if "\n## Targets" not in old:
        log(f"--merge: {str(out)!r} is not a RESULTS.md written by this script (no targets table)")
        return None
    return old


def render(raw: Path, out: Path, merge: bool = False) -> int:
    """Write ``out`` again from the figures a run saved with ``--json`` (for changes of text, not of figures);
    with ``merge``, put those benchmarks' sections into ``out`` as ``--merge`` does."""
    try:
        saved = json.loads(raw.read_text(encoding="utf-8"))
        results, mc, commands = saved["results"], saved["machine"], saved["commands"]
    except (OSError, ValueError, KeyError) as exc:
        log(f"cannot read the saved figures in {str(raw)!r}: {exc}")
        return 2
    run_command = saved.get("run_command") or "python bench/run.py" + (" --quick" if saved.get("quick") else "")
    if merge:
        old = _merge_base(out)
        if old is None:
            return 2
        text = merge_markdown(old, results, mc, bool(saved.get("quick")), commands, run_command)
    else:
        text = markdown(results, mc, bool(saved.get("quick")), commands, run_command,
                        rendered=datetime.date.today().isoformat())
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        log(f"cannot write {str(out)!r}: {exc.strerror or exc}")
        return 2
    log(f"wrote {out} from the figures in {raw}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, one repeat (what CI runs)")
    ap.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated: " + ",".join(BENCHMARKS))
    ap.add_argument("--out", type=Path, default=HERE / "RESULTS.md", help="the Markdown file to write")
    ap.add_argument("--json", type=Path, help="also write every benchmark's raw figures (JSON) here")
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="the recorded data (for fetch)")
    ap.add_argument("--timeout", type=float, default=None,
                    help="kill a benchmark after this many seconds (default: 900 with --quick, else none)")
    ap.add_argument("--render", type=Path, metavar="JSON",
                    help="measure nothing: write --out again from the raw figures a run saved with --json")
    ap.add_argument("--merge", action="store_true",
                    help="put the sections and target rows of the benchmarks run (--only) into the existing --out, "
                         "keeping the others as they are")
    args = ap.parse_args(argv)
    if args.render is not None:
        return render(args.render, args.out, merge=args.merge)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in BENCHMARKS]
    if unknown or not chosen:
        ap.error(f"--only {args.only!r}: give a comma-separated subset of {','.join(BENCHMARKS)}")
    timeout = args.timeout if args.timeout is not None else (900.0 if args.quick else None)
    old = None
    if args.merge and (old := _merge_base(args.out)) is None:
        return 2
    mc = machine()
    results: dict[str, dict[str, Any]] = {}
    commands: dict[str, str] = {}
    for name in BENCHMARKS:
        if name not in chosen:
            continue
        shared = (args.shared if name in ("fetch", "import", "startup", "peers")
                  and args.shared != REPO.parent / "shared" else None)
        bench_argv = command(name, args.quick, shared)
        commands[name] = _section_command(name, bench_argv)
        if name == "fetch" and not (args.shared / "crossref" / "works-habanero.jsonl.gz").is_file():
            results[name] = {"skipped": f"no recorded data at {args.shared} (crossref/works-habanero.jsonl.gz)"}
            log(f"{name}: skipped ({results[name]['skipped']})")
            continue
        if name == "import" and not (args.shared / "corpora").is_dir():
            results[name] = {"skipped": f"no real exports at {args.shared / 'corpora'}"}
            log(f"{name}: skipped ({results[name]['skipped']})")
            continue
        log(f"{name}: {commands[name]}")
        results[name] = run_benchmark(name, bench_argv, timeout)
        log(f"{name}: " + (results[name]["error"] if "error" in results[name]
                           else f"done in {results[name]['wall_s']:.0f} s"))
    run_command = "python bench/run.py" + (" --quick" if args.quick else "") + (
        f" --only {','.join(chosen)}" if chosen != list(BENCHMARKS) else "") + (" --merge" if args.merge else "")
    text = (merge_markdown(old, results, mc, args.quick, commands, run_command) if old is not None
            else markdown(results, mc, args.quick, commands, run_command))
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        if args.json:
            args.json.write_text(json.dumps({"machine": mc, "quick": args.quick, "commands": commands,
                                             "run_command": run_command, "results": results,
                                             "targets": targets(results)}, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        log(f"cannot write {str(exc.filename)!r}: {exc.strerror or exc}")
        return 2
    log(f"wrote {args.out}")
    return 1 if any("error" in r for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
