"""Fetch benchmark: batched snowball vs one habanero call per DOI.

Against the replay server (recorded Crossref data from ../shared) enforcing
the polite pool's limits (10 requests/s, 3 in flight), with a fixed answer
latency standing in for the network:

1. cold: the 520 works of ``works-habanero.jsonl.gz`` as seeds, then depth 1
   (their ~13,000 distinct cited DOIs; most are absent from the corpus, as
   DataCite DOIs are from Crossref, and must cost no extra request);
2. warm: the same command again (must make zero requests);
3. baseline: ``habanero.Crossref.works(ids=doi)`` once per DOI, paced at the
   same polite rate (without pacing the server answers 429 and habanero
   raises), timed on a sample of the seeds and extrapolated to the whole job
   at the rate limit, which is its floor.

The floor of a run is the time its requests need at the limits:
``max(requests / rate, requests * latency / concurrency)``.

Run: ``python bench/fetch.py [--latency 0.2] [--baseline-sample 200] [--repeats N]``
(prints a Markdown section; ``--json`` for raw figures, ``--save PATH`` to keep them too).
With ``--repeats N`` the cold and warm runs are repeated on fresh stores and the
figures are those of the median cold run, with the spread of the wall times.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # for tests.replay

from citegraph.doi import normalize_doi  # noqa: E402
from citegraph.sources.crossref import CrossrefSource  # noqa: E402
from citegraph.sources.ratelimit import POLITE, PoolLimits, RateLimiter  # noqa: E402
from citegraph.sources.snowball import snowball  # noqa: E402
from citegraph.store import Store  # noqa: E402
from tests.replay import ReplayServer  # noqa: E402

MAILTO = "citegraph-bench@example.org"


def seeds(shared: Path) -> list:
    with gzip.open(shared / "crossref" / "works-habanero.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [normalize_doi(json.loads(line)["DOI"]) for line in fh]


def floor_seconds(requests: int, limits: PoolLimits, latency: float) -> float:
    return max(requests / limits.rate, requests * latency / limits.concurrency)


def run_snowball(server: ReplayServer, store_path: Path, dois: list) -> dict:
    server.reset_stats()
    t0 = time.perf_counter()
    with Store(store_path) as store, CrossrefSource(server.url, MAILTO) as src:
        report = snowball(store, src, dois, depth=1)
        counts = store.counts()
    wall = time.perf_counter() - t0
    stats = server.stats
    return {
        "wall_s": wall,
        "requests": stats["requests"],
        "throttled": stats["throttled"],
        "peak_concurrency": stats["peak_concurrency"],
        "dois_asked": sum(lv.asked for lv in report.levels),
        "levels": [(lv.level, lv.candidates, lv.fetched, lv.not_found) for lv in report.levels],
        "works": counts["works"],
        "not_found": counts["not_found"],
    }


def run_baseline(server: ReplayServer, dois: list, sample: int) -> dict:
    """habanero, one request per DOI, paced at the polite rate, one at a time."""
    from habanero import Crossref

    server.reset_stats()
    cr = Crossref(base_url=server.url, mailto=MAILTO)
    pacer = RateLimiter(PoolLimits(POLITE.rate, 1))
    t0 = time.perf_counter()
    for doi in dois[:sample]:
        with pacer.slot():
            cr.works(ids=doi.original, warn=True)
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "requests": server.stats["requests"], "throttled": server.stats["throttled"],
            "sample": sample}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--latency", type=float, default=0.2, help="seconds added to each answer")
    ap.add_argument("--baseline-sample", type=int, default=200)
    ap.add_argument("--seeds", type=int, default=None, help="use only the first N seeds (smoke runs)")
    ap.add_argument("--repeats", type=int, default=1,
                    help="cold + warm runs, each on a fresh store; the figures are the median cold run's")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--save", type=Path, help="also write the raw figures (JSON) to this file")
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error(f"--repeats {args.repeats} must be at least 1")

    dois = seeds(args.shared)
    if args.seeds:
        dois = dois[: args.seeds]
    server = ReplayServer(args.shared, latency=args.latency).start()
    runs = []
    try:
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory() as tmp:
                store_path = Path(tmp) / "bench.sqlite"
                cold = run_snowball(server, store_path, dois)
                warm = run_snowball(server, store_path, dois)
            runs.append((cold, warm))
        base = run_baseline(server, dois, min(args.baseline_sample, len(dois)))
    finally:
        server.stop()

    walls = sorted(c["wall_s"] for c, _ in runs)
    cold, warm = sorted(runs, key=lambda r: r[0]["wall_s"])[(len(runs) - 1) // 2]  # the median (lower) run
    per_doi_requests = cold["dois_asked"]  # one request per DOI asked
    base_per_request = base["wall_s"] / base["requests"]
    base_total_s = per_doi_requests * base_per_request
    floor = floor_seconds(cold["requests"], POLITE, args.latency)
    result = {
        "latency_s": args.latency,
        "seeds": len(dois),
        "cold": cold,
        "warm": warm,
        "baseline": {**base, "extrapolated_requests": per_doi_requests, "extrapolated_wall_s": base_total_s,
                     "median_s_per_request": base_per_request},
        "floor_s": floor,
        "request_ratio": per_doi_requests / max(cold["requests"], 1),
        "wall_over_floor": cold["wall_s"] / floor if floor else float("nan"),
        "speedup_vs_baseline": base_total_s / cold["wall_s"],
        "repeats": args.repeats,
        "cold_wall_s": {"median": walls[(len(walls) - 1) // 2], "min": walls[0], "max": walls[-1]},
        "runs": [{"cold_wall_s": c["wall_s"], "cold_requests": c["requests"], "throttled": c["throttled"],
                  "peak_concurrency": c["peak_concurrency"], "warm_requests": w["requests"]} for c, w in runs],
    }
    if args.save:
        args.save.write_text(json.dumps(result, indent=2) + "\n")
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(markdown(result))


def markdown(c: dict) -> str:
    """The figures as a Markdown table (with the targets of the issue)."""
    base, latency = c["baseline"], c["latency_s"]
    per_doi_requests = base["extrapolated_requests"]
    wall = f"{c['cold']['wall_s']:.1f} s"
    if c.get("repeats", 1) > 1:
        w = c["cold_wall_s"]
        wall += f" (median of {c['repeats']}, {w['min']:.1f}–{w['max']:.1f} s)"
    runs = c.get("runs") or [{"throttled": c["cold"]["throttled"], "peak_concurrency": c["cold"]["peak_concurrency"],
                              "warm_requests": c["warm"]["requests"]}]
    throttled = max(r["throttled"] for r in runs)
    peak = max(r["peak_concurrency"] for r in runs)
    warm = max(r["warm_requests"] for r in runs)
    lines = [
        "| figure | value | target |",
        "|---|---|---|",
        f"| seeds (works-habanero.jsonl.gz) | {c['seeds']} | |",
        f"| levels (level, works, fetched, not found) | {[tuple(x) for x in c['cold']['levels']]} | |",
        f"| DOIs asked | {c['cold']['dois_asked']:,} | |",
        f"| requests, citegraph cold | {c['cold']['requests']:,} | |",
        f"| requests, one per DOI (baseline) | {per_doi_requests:,} | |",
        f"| request ratio | {c['request_ratio']:.0f}x fewer | >= 20x |",
        f"| wall time, citegraph cold | {wall} | |",
        f"| floor at 10 req/s, 3 in flight, {latency:g} s latency | {c['floor_s']:.1f} s | |",
        f"| wall / floor | {c['wall_over_floor']:.2f} | <= 1.3 |",
        f"| 429s received / peak in flight | {throttled} / {peak} | 0 / <= 3 |",
        f"| requests, warm re-run | {warm} | 0 |",
        f"| baseline measured on {base['sample']} DOIs | {base['wall_s']:.1f} s, "
        f"{base['median_s_per_request'] * 1000:.0f} ms/request | |",
        f"| baseline extrapolated to {per_doi_requests:,} DOIs | {base['extrapolated_wall_s'] / 60:.1f} min | |",
        f"| speed-up over baseline | {c['speedup_vs_baseline']:.0f}x | |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
