"""Graph benchmark: co-citation and coupling with ``top_k`` on SYNTHETIC citation graphs.

The graphs are SYNTHETIC: Price's preferential-attachment model
(``bench/synthetic.py``: seeded, ``mean_refs`` Poisson references per paper,
weight ``in_degree + a``), at the requested numbers of references. For each
size:

1. generate the graph (timed on its own, in a fresh process, every repeat
   checked identical);
2. time the edge computation of :func:`citegraph.graphs.cocitation_graph`
   and :func:`citegraph.graphs.coupling_graph` as those functions do it:
   :func:`citegraph.graphs.cooccurrence_edges` on ``cm.matrix.T.tocsr()``
   (co-citation) or on ``cm.matrix`` (coupling), ``top_k`` and
   ``normalise`` as given, from a ``CitationMatrix`` built straight from the
   arrays (no networkx). ``--graph-functions`` also times the whole
   ``cocitation_graph(cm)``/``coupling_graph(cm)``, networkx output included;
3. the pairwise Python loop baseline (litstudy style): for every citing
   paper, ``itertools.combinations`` of its references into a ``Counter``
   (co-citation); for every cited paper, combinations of its citers
   (coupling); then the normalisation and each node's ``top_k`` in Python
   (same ranking rule: weight, then count, then neighbour), timed from the
   lists of references (citers) per paper, as the sparse code is timed from
   the ``CitationMatrix``. A size is
   skipped when the previous size took longer than ``--loop-budget`` or
   when its pair count projects it past ``--loop-max``; the report says
   which. On the smallest size the loop and the sparse code are compared
   edge by edge (before ``top_k``: pairs, counts, weights; after: the edge
   set).

Every measured computation runs in a fresh process (``subprocess``), which
reports its time and ``ru_maxrss`` before (baseline: interpreter, libraries,
graph loaded) and after the computation: the table gives the child's peak RSS
and the increase over its baseline. A run slower than ``--timeout`` is
killed (its peak so far read from ``/proc``) and not repeated; children run
under an address-space cap (``--mem-cap-gb``) so a runaway run fails with
MemoryError instead of starving the machine.

The growth exponent ``b`` of ``time ~ c * n**b`` is a least-squares fit on
log-log over the sizes whose runs all finished.

``--rev REV`` measures ``src/citegraph/graphs.py`` as it was at git revision
REV (read with ``git show``, loaded beside the installed package) instead of
the installed module: before/after figures of a change from one script.

Run: ``python bench/graphs.py [--sizes 1e4,1e5,1e6] [--repeats 3] [--top-k 20] [--json]``
(prints a Markdown section; ``--json`` for raw figures).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import heapq
import importlib.util
import itertools
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import scipy

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synthetic import LABEL, price_graph, to_citation_matrix  # noqa: E402

import citegraph.graphs as cg  # noqa: E402

KINDS = ("cocitation", "coupling")
TARGET_SIZE = 10**6
TARGET_S = 60.0
TARGET_GB = 4.0


# --------------------------------------------------------------------------------------------------
# The pairwise Python loop baseline
# --------------------------------------------------------------------------------------------------


def groups_of(citing: np.ndarray, cited: np.ndarray, kind: str) -> list[list[int]]:
    """Co-citation: the references of each citing paper; coupling: the citers of each cited paper."""
    by, member = (citing, cited) if kind == "cocitation" else (cited, citing)
    out: dict[int, list[int]] = defaultdict(list)
    for a, b in zip(by.tolist(), member.tolist(), strict=True):
        out[a].append(b)
    return list(out.values())


def _weight(c: int, si: float, sj: float, m: int, method: str) -> float:
    if method == "count":
        return float(c)
    if method == "cosine":
        return c / math.sqrt(si * sj)
    if method == "association":
        return m * c / (si * sj)
    return c / (si + sj - c)  # jaccard


def loop_edges(groups: list[list[int]], *, normalise: str, top_k: int | None
               ) -> tuple[dict[tuple[int, int], int], dict[tuple[int, int], float], set[tuple[int, int]]]:
    """Pairwise loop: (pair counts, pair weights, pairs kept by top_k) with pairs ``(i, j)``, ``i < j``."""
    counts: Counter[tuple[int, int]] = Counter()
    for members in groups:
        for a, b in itertools.combinations(sorted(members), 2):
            counts[a, b] += 1
    totals: Counter[int] = Counter()
    for members in groups:
        totals.update(members)
    m = sum(1 for g in groups if g)
    weights = {p: _weight(c, float(totals[p[0]]), float(totals[p[1]]), m, normalise) for p, c in counts.items()}
    if top_k is None:
        return counts, weights, set(counts)
    ranked: dict[int, list[tuple[float, int, int]]] = defaultdict(list)
    for (a, b), c in counts.items():
        w = weights[a, b]
        ranked[a].append((-w, -c, b))
        ranked[b].append((-w, -c, a))
    kept: set[tuple[int, int]] = set()
    for a, cands in ranked.items():
        for _, _, b in heapq.nsmallest(top_k, cands):
            kept.add((a, b) if a < b else (b, a))
    return counts, weights, kept


def pair_occurrences(citing: np.ndarray, cited: np.ndarray, n: int) -> dict[str, int]:
    """Pairs the loop visits: sum of C(k, 2) over citing papers (co-citation) and over cited papers (coupling)."""
    out_deg = np.bincount(citing, minlength=n).astype(np.int64)
    in_deg = np.bincount(cited, minlength=n).astype(np.int64)
    return {"cocitation": int((out_deg * (out_deg - 1) // 2).sum()),
            "coupling": int((in_deg * (in_deg - 1) // 2).sum())}


# --------------------------------------------------------------------------------------------------
# Children: one measured computation each, in a fresh process
# --------------------------------------------------------------------------------------------------


def git(*argv: str) -> str:
    return subprocess.run(["git", "-C", str(HERE.parent), *argv], capture_output=True, text=True,
                          check=True).stdout.strip()


def revision_module(rev: str, tmp: Path) -> str:
    """``src/citegraph/graphs.py`` as of ``rev``, written to a file in ``tmp``; its path."""
    path = tmp / f"graphs_{git('rev-parse', '--short', rev)}.py"
    path.write_text(git("show", f"{rev}:src/citegraph/graphs.py") + "\n", encoding="utf-8")
    return str(path)


def graphs_module(path: str | None) -> ModuleType:
    """The installed ``citegraph.graphs``, or the module file at ``path`` (an earlier revision of it)."""
    if path is None:
        return cg
    spec = importlib.util.spec_from_file_location(f"citegraph_graphs_{Path(path).stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def child_main(run: Any, spec: str) -> None:
    """The body of a measured child process: run ``run(spec as JSON)``, print its result as JSON; on a
    MemoryError (the address-space cap) print how far it got and exit 3. Shared with bench/analyse.py."""
    t0 = time.perf_counter()
    try:
        print(json.dumps(run(json.loads(spec))))
    except MemoryError:  # the address-space cap: say how far it got
        print(json.dumps({"memory_error": True, "seconds": time.perf_counter() - t0, "peak_rss_mb": _maxrss_mb()}))
        sys.exit(3)


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def _load(path: str) -> tuple[np.ndarray, np.ndarray, int]:
    with np.load(path) as z:
        return z["citing"], z["cited"], int(z["n"])


def child(spec: dict[str, Any]) -> dict[str, Any]:
    task = spec["task"]
    if task == "generate":
        base = _maxrss_mb()
        t0 = time.perf_counter()
        citing, cited, n = price_graph(spec["size"], mean_refs=spec["mean_refs"], a=spec["a"], seed=spec["seed"])
        seconds = time.perf_counter() - t0
        peak = _maxrss_mb()
        digest = hashlib.sha256(citing.tobytes() + cited.tobytes() + str(n).encode()).hexdigest()[:16]
        if spec.get("save"):
            np.savez(spec["save"], citing=citing, cited=cited, n=n)
        return {"seconds": seconds, "base_rss_mb": base, "peak_rss_mb": peak, "papers": n,
                "references": len(citing), "digest": digest}
    citing, cited, n = _load(spec["data"])
    kind, top_k, normalise = spec["kind"], spec["top_k"], spec["normalise"]
    if task == "loop":
        groups = groups_of(citing, cited, kind)
        del citing, cited
        base = _maxrss_mb()
        t0 = time.perf_counter()
        counts, _, kept = loop_edges(groups, normalise=normalise, top_k=top_k)
        seconds = time.perf_counter() - t0
        return {"seconds": seconds, "base_rss_mb": base, "peak_rss_mb": _maxrss_mb(), "pairs": len(counts),
                "edges": len(kept)}
    module = graphs_module(spec.get("module"))
    cm = to_citation_matrix(citing, cited, n)
    cm = module.CitationMatrix(cm.matrix, cm.nodes)  # that module's own class (the graph functions check it)
    del citing, cited
    if task == "graph":  # the whole graph function, networkx output included
        fn = module.cocitation_graph if kind == "cocitation" else module.coupling_graph
        base = _maxrss_mb()
        t0 = time.perf_counter()
        G = fn(cm, normalise=normalise, top_k=top_k, block=spec["block"])
        seconds = time.perf_counter() - t0
        return {"seconds": seconds, "base_rss_mb": base, "peak_rss_mb": _maxrss_mb(), "edges": G.number_of_edges(),
                "nodes": G.number_of_nodes()}
    base = _maxrss_mb()
    t0 = time.perf_counter()
    incidence = cm.matrix.T.tocsr() if kind == "cocitation" else cm.matrix
    i, _, _, _ = module.cooccurrence_edges(incidence, normalise=normalise, top_k=top_k, block=spec["block"])
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "base_rss_mb": base, "peak_rss_mb": _maxrss_mb(), "edges": len(i)}


def run_child(spec: dict[str, Any], timeout: float, mem_cap_gb: float, script: Path | None = None) -> dict[str, Any]:
    """Run one measured computation in a fresh interpreter; a dict with ``status`` ok/timeout/failed.

    ``script`` is the benchmark whose ``--child`` runs it (default: this file; ``bench/analyse.py`` reuses
    this runner for its own children)."""
    cap = int(mem_cap_gb * 2**30)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    proc = subprocess.Popen([sys.executable, str(script or Path(__file__).resolve()), "--child", json.dumps(spec)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=limit)
    t0 = time.perf_counter()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        peak = _proc_hwm_mb(proc.pid)
        proc.kill()
        proc.communicate()
        return {"status": "timeout", "seconds": time.perf_counter() - t0, "peak_rss_mb": peak}
    if proc.returncode == 3 and out.strip():
        info = json.loads(out.strip().splitlines()[-1])
        return {"status": "failed", "seconds": info["seconds"], "peak_rss_mb": info["peak_rss_mb"],
                "error": f"MemoryError at the {mem_cap_gb:g} GB address-space cap"}
    if proc.returncode != 0:
        lines = [ln for ln in err.strip().splitlines() if ln.strip()]
        return {"status": "failed", "seconds": time.perf_counter() - t0,
                "error": lines[-1] if lines else f"exit {proc.returncode}"}
    return {"status": "ok", **json.loads(out.strip().splitlines()[-1])}


def _proc_hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


# --------------------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------------------


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in runs if r["status"] == "ok"]
    out: dict[str, Any] = {"runs": runs, "finished": len(ok) == len(runs) and bool(runs)}
    if not out["finished"]:
        bad = next(r for r in runs if r["status"] != "ok")
        out["status"] = bad["status"]
        out["detail"] = bad.get("error") or f"killed after {bad['seconds']:.0f} s"
        out["seconds_at_least"] = bad["seconds"]
        out["peak_rss_mb_at_least"] = bad.get("peak_rss_mb")
    if ok:
        secs = [r["seconds"] for r in ok]
        out.update(median_s=float(np.median(secs)), min_s=min(secs), max_s=max(secs),
                   peak_rss_mb=max(r["peak_rss_mb"] for r in ok),
                   rss_increase_mb=max(r["peak_rss_mb"] - r["base_rss_mb"] for r in ok))
        for key in ("edges", "pairs", "nodes", "papers", "references", "digest"):
            if key in ok[0]:
                out[key] = ok[0][key]
        if "digest" in ok[0]:
            out["identical"] = len({r["digest"] for r in ok}) == 1
    return out


def repeat(spec: dict[str, Any], repeats: int, args: argparse.Namespace, label: str) -> dict[str, Any]:
    runs = []
    for _ in range(repeats):
        r = run_child(spec, args.timeout, args.mem_cap_gb)
        runs.append(r)
        log(f"  {label}: {r['status']} {r['seconds']:.2f} s"
            + (f", peak {r['peak_rss_mb']:.0f} MB" if r.get("peak_rss_mb") else "")
            + (f" ({r['error']})" if r.get("error") else ""))
        if r["status"] != "ok":
            break  # a run that timed out or failed is not repeated
    return summarise(runs)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def check_agreement(citing: np.ndarray, cited: np.ndarray, n: int, top_k: int, normalise: str,
                    module_path: str | None) -> dict[str, Any]:
    """Loop vs sparse, edge by edge: before top_k (pairs, counts, weights) and after (the edge set)."""
    edges_fn = graphs_module(module_path).cooccurrence_edges
    cm = to_citation_matrix(citing, cited, n)
    out: dict[str, Any] = {}
    for kind in KINDS:
        incidence = cm.matrix.T.tocsr() if kind == "cocitation" else cm.matrix
        groups = groups_of(citing, cited, kind)
        counts, weights, _ = loop_edges(groups, normalise=normalise, top_k=None)
        _, _, kept = loop_edges(groups, normalise=normalise, top_k=top_k)
        i, j, c, w = edges_fn(incidence, normalise=normalise)
        sparse_counts = dict(zip(zip(i.tolist(), j.tolist(), strict=True), c.tolist(), strict=True))
        sparse_weights = dict(zip(zip(i.tolist(), j.tolist(), strict=True), w.tolist(), strict=True))
        ti, tj, _, _ = edges_fn(incidence, normalise=normalise, top_k=top_k)
        out[kind] = {
            "loop_pairs": len(counts), "sparse_pairs": len(i),
            "pairs_equal": len(counts) == len(i),
            "counts_equal": dict(counts) == sparse_counts,
            "weights_equal": set(weights) == set(sparse_weights)
            and all(math.isclose(weights[p], sparse_weights[p], rel_tol=1e-12) for p in weights),
            "loop_top_k_edges": len(kept), "sparse_top_k_edges": len(ti),
            "top_k_edges_equal": kept == set(zip(ti.tolist(), tj.tolist(), strict=True)),
        }
        out[kind]["agree"] = all(out[kind][k] for k in ("pairs_equal", "counts_equal", "weights_equal",
                                                        "top_k_edges_equal"))
    return out


def growth_exponent(points: list[tuple[int, float]]) -> float | None:
    if len(points) < 2:
        return None
    x = np.log([p[0] for p in points])
    y = np.log([p[1] for p in points])
    return float(np.polyfit(x, y, 1)[0])


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                    if ln.startswith("model name")), "")
        mem_kb = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines()
                      if ln.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem_kb = 0
    import networkx

    return {"cores": len(os.sched_getaffinity(0)), "cpu": cpu, "ram_gib": round(mem_kb / 2**20, 1),
            "python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
            "networkx": networkx.__version__, "date": datetime.date.today().isoformat()}


def parse_sizes(text: str) -> list[int]:
    return [int(float(s)) for s in text.split(",") if s.strip()]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1e4,1e5,1e6", help="numbers of references, comma-separated")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--top-k", type=int, default=20)
    ap.add_argument("--normalise", default="cosine", choices=cg.NORMALISATIONS)
    ap.add_argument("--mean-refs", type=int, default=20)
    ap.add_argument("--a", type=float, default=1.0, help="Price's initial attractiveness")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--block", type=int, default=4096)
    ap.add_argument("--rev", help="measure src/citegraph/graphs.py as of this git revision (default: installed)")
    ap.add_argument("--graph-functions", action="store_true",
                    help="also time cocitation_graph(cm)/coupling_graph(cm), networkx output included")
    ap.add_argument("--no-loop", action="store_true", help="skip the Python loop baseline")
    ap.add_argument("--loop-repeats", type=int, default=None,
                    help="repeats of the loop (default: --repeats, but once when a run takes over 10 s)")
    ap.add_argument("--loop-budget", type=float, default=60.0,
                    help="skip the loop at a size when it took longer than this at the previous size")
    ap.add_argument("--loop-max", type=float, default=600.0,
                    help="skip the loop at a size when its pair count projects it past this")
    ap.add_argument("--timeout", type=float, default=300.0, help="kill a measured run after this many seconds")
    ap.add_argument("--mem-cap-gb", type=float, default=16.0, help="address-space cap of each child")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--save", type=Path, help="also write the raw figures (JSON) to this file")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child_main(child, args.child)
        return

    sizes = sorted(parse_sizes(args.sizes))
    result: dict[str, Any] = {
        "label": LABEL,
        "machine": machine(),
        "command": "python bench/graphs.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "params": {"sizes": sizes, "repeats": args.repeats, "top_k": args.top_k, "normalise": args.normalise,
                   "mean_refs": args.mean_refs, "a": args.a, "seed": args.seed, "block": args.block,
                   "rev": args.rev, "timeout_s": args.timeout, "loop_budget_s": args.loop_budget,
                   "loop_max_s": args.loop_max},
        "sizes": [],
    }
    try:  # which library was measured (the work tree may be ahead of HEAD)
        result["params"]["head"] = git("rev-parse", "--short", "HEAD")
        result["params"]["graphs_py_modified"] = bool(git("status", "--porcelain", "src/citegraph/graphs.py"))
    except (OSError, subprocess.CalledProcessError):
        pass
    common: dict[str, Any] = {"top_k": args.top_k, "normalise": args.normalise, "block": args.block}
    loop_prev: dict[str, tuple[int, dict[str, Any]] | None] = dict.fromkeys(KINDS)
    with tempfile.TemporaryDirectory(prefix="citegraph-bench-") as tmp:
        if args.rev:
            common["module"] = revision_module(args.rev, Path(tmp))
            result["params"]["rev_commit"] = git("rev-parse", args.rev)
        for size in sizes:
            log(f"size {size:,} (SYNTHETIC)")
            data = str(Path(tmp) / f"price-{size}.npz")
            gen_spec = {"task": "generate", "size": size, "mean_refs": args.mean_refs, "a": args.a,
                        "seed": args.seed}
            gen = repeat({**gen_spec, "save": data}, 1, args, "generate")
            if args.repeats > 1:
                more = repeat(gen_spec, args.repeats - 1, args, "generate")
                gen = summarise(gen["runs"] + more["runs"])
            citing, cited, n = _load(data)
            entry: dict[str, Any] = {"n_references": size, "papers": n, "generate": gen,
                                     "pair_occurrences": pair_occurrences(citing, cited, n)}
            for kind in KINDS:
                entry[kind] = repeat({"task": "edges", "kind": kind, "data": data, **common}, args.repeats, args,
                                     kind)
                if args.graph_functions:
                    if entry[kind]["finished"]:
                        entry[f"{kind}_graph"] = repeat({"task": "graph", "kind": kind, "data": data, **common},
                                                        args.repeats, args, f"{kind}_graph()")
                    else:
                        entry[f"{kind}_graph"] = {"skipped": "the edge computation did not finish"}
            if not args.no_loop:
                for kind in KINDS:
                    entry[f"{kind}_loop"] = run_loop(kind, size, data, entry, loop_prev, args, common)
            if size == sizes[0] and not args.no_loop:
                log("  checking loop vs sparse edge by edge")
                result["check"] = {"n_references": size,
                                   **check_agreement(citing, cited, n, args.top_k, args.normalise,
                                                    common.get("module"))}
            result["sizes"].append(entry)
    analyse(result)
    if args.save:
        args.save.write_text(json.dumps(result, indent=2) + "\n")
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(markdown(result))


def run_loop(kind: str, size: int, data: str, entry: dict[str, Any],
             loop_prev: dict[str, tuple[int, dict[str, Any]] | None], args: argparse.Namespace,
             common: dict[str, Any]) -> dict[str, Any]:
    prev = loop_prev[kind]
    work = entry["pair_occurrences"][kind]
    if prev is not None:
        prev_work, prev_res = prev
        if not prev_res.get("finished"):
            return {"skipped": "the previous size did not finish"}
        if prev_res["median_s"] > args.loop_budget:
            return {"skipped": f"the previous size took {prev_res['median_s']:.0f} s > {args.loop_budget:.0f} s"}
        projected = prev_res["median_s"] * work / max(prev_work, 1)
        if projected > args.loop_max:
            return {"skipped": f"projected {projected:,.0f} s (pairs x{work / max(prev_work, 1):,.0f}) "
                               f"> {args.loop_max:.0f} s"}
    loop_args = argparse.Namespace(**{**vars(args), "timeout": args.loop_max})
    spec = {"task": "loop", "kind": kind, "data": data, **common}
    if args.loop_repeats is not None:
        res = repeat(spec, args.loop_repeats, loop_args, f"{kind} loop")
    else:  # repeat only the quick ones
        res = repeat(spec, 1, loop_args, f"{kind} loop")
        if res["finished"] and res["median_s"] <= 10 and args.repeats > 1:
            res = summarise(res["runs"] + repeat(spec, args.repeats - 1, loop_args, f"{kind} loop")["runs"])
    loop_prev[kind] = (work, res)
    return res


def analyse(result: dict[str, Any]) -> None:
    """Speed-ups, growth exponents, targets."""
    exps: dict[str, Any] = {}
    for kind in KINDS:
        pts = [(e["n_references"], e[kind]["median_s"]) for e in result["sizes"] if e[kind]["finished"]]
        work = [(e["n_references"], max(e["pair_occurrences"][kind], 1)) for e in result["sizes"]]
        steps = [round(math.log(b[1] / a[1]) / math.log(b[0] / a[0]), 2) for a, b in itertools.pairwise(pts)]
        exps[kind] = {"fit": growth_exponent(pts), "sizes": [p[0] for p in pts], "steps": steps,
                      "pair_occurrences_fit": growth_exponent(work)}
        for e in result["sizes"]:
            loop = e.get(f"{kind}_loop")
            if loop and loop.get("finished") and e[kind]["finished"]:
                loop["speedup"] = loop["median_s"] / e[kind]["median_s"]
                loop["edges_equal"] = loop["edges"] == e[kind]["edges"]
    result["exponent"] = exps
    targets: dict[str, Any] = {}
    for e in result["sizes"]:
        if e["n_references"] != TARGET_SIZE:
            continue
        for kind in KINDS:
            r = e[kind]
            if r["finished"]:
                t_ok, m_ok = r["max_s"] <= TARGET_S, r["peak_rss_mb"] <= TARGET_GB * 1024
            else:
                t_ok = False if r["status"] == "timeout" or r["seconds_at_least"] > TARGET_S else None
                m_ok = False if (r.get("peak_rss_mb_at_least") or 0) > TARGET_GB * 1024 or "Memory" in r["detail"] \
                    else None
            targets[kind] = {"time_met": t_ok, "memory_met": m_ok, "met": bool(t_ok and m_ok)}
    result["targets"] = targets


# --------------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------------


def _n(size: int) -> str:
    e = round(math.log10(size)) if size > 0 else 0
    return f"10^{e}" if size == 10**e else f"{size:,}"


def _t(r: dict[str, Any]) -> tuple[str, str]:
    if not r.get("finished"):
        return f"> {r['seconds_at_least']:.0f} s ({r['detail']})", ""
    runs = len(r["runs"])
    spread = f"{r['min_s']:.3g}–{r['max_s']:.3g} s" if runs > 1 else "(1 run)"
    return f"{r['median_s']:.3g} s", spread


def _mem(r: dict[str, Any]) -> str:
    if not r.get("finished"):
        p = r.get("peak_rss_mb_at_least")
        return f">= {p:,.0f} MB ({'killed' if r['status'] == 'timeout' else 'failed'})" if p else "n/a"
    return f"{r['peak_rss_mb']:,.0f} MB (+{r['rss_increase_mb']:,.0f})"


def _yes(flag: bool | None) -> str:
    return "n/a" if flag is None else ("yes" if flag else "**no**")


def markdown(res: dict[str, Any]) -> str:
    mc, p = res["machine"], res["params"]
    impl = f"`citegraph.graphs.cooccurrence_edges` as installed (HEAD {p.get('head', '?')}" + \
        (", graphs.py modified)" if p.get("graphs_py_modified") else ")") if not p["rev"] else \
        f"`cooccurrence_edges` of `src/citegraph/graphs.py` at {p['rev']} ({p['rev_commit'][:10]})"
    lines = [
        f"Command: `{res['command']}`",
        "",
        (f"Data: **{res['label']}**, {p['mean_refs']} references per paper on average (Poisson), a = {p['a']:g}, "
         f"seed {p['seed']}. Measured: {impl}, `normalise=\"{p['normalise']}\"`, `top_k={p['top_k']}`, each run "
         f"in a fresh process; {p['repeats']} repeat{'s' if p['repeats'] != 1 else ''}. "
         f"Machine: {mc['cores']} cores ({mc['cpu']}), "
         f"{mc['ram_gib']} GiB, Python {mc['python']}, numpy {mc['numpy']}, scipy {mc['scipy']} ({mc['date']})."),
        "",
        "| references | papers | generate (median) | min–max | peak RSS (increase) | identical per seed |",
        "|---|---|---|---|---|---|",
    ]
    for e in res["sizes"]:
        g = e["generate"]
        med, spread = _t(g)
        lines.append(f"| {_n(e['n_references'])} | {e['papers']:,} | {med} | {spread} | {_mem(g)} | "
                     f"{_yes(g.get('identical'))} |")
    lines += ["", "| references | measurement | median | min–max | peak RSS (increase) | edges | target | met |",
              "|---|---|---|---|---|---|---|---|"]
    for e in res["sizes"]:
        for kind in KINDS:
            named = ((kind, f"{kind}, top_k={p['top_k']}"), (f"{kind}_graph", f"{kind}_graph() incl. networkx"))
            for key, name in named:
                r = e.get(key)
                if r is None:
                    continue
                if "skipped" in r:
                    lines.append(f"| {_n(e['n_references'])} | {name} | skipped: {r['skipped']} | | | | | |")
                    continue
                med, spread = _t(r)
                target, met = "", ""
                if e["n_references"] == TARGET_SIZE and key == kind:
                    target = f"<= {TARGET_S:.0f} s, <= {TARGET_GB:.0f} GB"
                    met = _yes(res["targets"][kind]["met"])
                edges = f"{r['edges']:,}" if "edges" in r else ""
                lines.append(f"| {_n(e['n_references'])} | {name} | {med} | {spread} | {_mem(r)} | {edges} | "
                             f"{target} | {met} |")
    if any(f"{k}_loop" in e for e in res["sizes"] for k in KINDS):
        lines += ["", ("Pairwise Python loop baseline (`itertools.combinations` into a `Counter`, then top_k in "
                       "Python):"), "",
                  ("| references | measurement | pairs visited | loop time (median) | min–max | peak RSS (increase) "
                   "| pairs | edges (top_k) | same edges as sparse | sparse speed-up |"),
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for e in res["sizes"]:
            for kind in KINDS:
                r = e.get(f"{kind}_loop")
                if r is None:
                    continue
                visited = f"{e['pair_occurrences'][kind]:,}"
                if "skipped" in r:
                    lines.append(f"| {_n(e['n_references'])} | {kind} | {visited} | skipped: {r['skipped']} "
                                 f"| | | | | | |")
                    continue
                med, spread = _t(r)
                speed = f"{r['speedup']:,.0f}x" if "speedup" in r else ""
                same = _yes(r.get("edges_equal")) if "edges_equal" in r else ""
                lines.append(f"| {_n(e['n_references'])} | {kind} | {visited} | {med} | {spread} | {_mem(r)} | "
                             f"{r.get('pairs', 0):,} | {r.get('edges', 0):,} | {same} | {speed} |")
    if "check" in res:
        c = res["check"]
        lines += ["", f"Check on {_n(c['n_references'])} references, loop vs sparse edge by edge:", ""]
        for kind in KINDS:
            k = c[kind]
            lines.append(f"- {kind}: {k['loop_pairs']:,} pairs (loop) vs {k['sparse_pairs']:,} (sparse) before "
                         f"top_k, counts {'equal' if k['counts_equal'] else 'DIFFERENT'}, weights "
                         f"{'equal' if k['weights_equal'] else 'DIFFERENT'}; top_k edges "
                         f"{k['loop_top_k_edges']:,} vs {k['sparse_top_k_edges']:,}, sets "
                         f"{'equal' if k['top_k_edges_equal'] else 'DIFFERENT'}: "
                         f"**{'agree' if k['agree'] else 'DISAGREE'}**.")
    lines += ["", ("Growth exponent b of time ~ c·n^b (least squares on log-log; step exponents between "
                   "consecutive sizes; b of the pairs the loop visits for comparison):"), ""]
    for kind in KINDS:
        x = res["exponent"][kind]
        fit = f"{x['fit']:.2f}" if x["fit"] is not None else "n/a (fewer than 2 finished sizes)"
        work = f"{x['pair_occurrences_fit']:.2f}" if x["pair_occurrences_fit"] is not None else "n/a"
        lines.append(f"- {kind}: b = {fit} over {', '.join(_n(s) for s in x['sizes'])} "
                     f"(steps {x['steps']}); pairs visited grow with b = {work}.")
    if res["targets"]:
        lines += [""]
        for kind, t in res["targets"].items():
            lines.append(f"- Target at 10^6 references, {kind}: time {_yes(t['time_met'])}, memory "
                         f"{_yes(t['memory_met'])}: **{'met' if t['met'] else 'NOT met'}**.")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
