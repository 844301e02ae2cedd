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

Run: ``python bench/fetch.py [--latency 0.2] [--baseline-sample 200]``
(prints a Markdown section; ``--json`` for raw figures).
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

from citegraph.crossref import CrossrefSource  # noqa: E402
from citegraph.doi import normalize_doi  # noqa: E402
from citegraph.ratelimit import POLITE, PoolLimits, RateLimiter  # noqa: E402
from citegraph.snowball import snowball  # noqa: E402
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--latency", type=float, default=0.2, help="seconds added to each answer")
    ap.add_argument("--baseline-sample", type=int, default=200)
    ap.add_argument("--seeds", type=int, default=None, help="use only the first N seeds (smoke runs)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    dois = seeds(args.shared)
    if args.seeds:
        dois = dois[: args.seeds]
    server = ReplayServer(args.shared, latency=args.latency).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            store_path = Path(tmp) / "bench.sqlite"
            cold = run_snowball(server, store_path, dois)
            warm = run_snowball(server, store_path, dois)
        base = run_baseline(server, dois, min(args.baseline_sample, len(dois)))
    finally:
        server.stop()

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
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    c = result
    print("| figure | value | target |")
    print("|---|---|---|")
    print(f"| seeds (works-habanero.jsonl.gz) | {c['seeds']} | |")
    print(f"| levels (level, works, fetched, not found) | {c['cold']['levels']} | |")
    print(f"| DOIs asked | {c['cold']['dois_asked']:,} | |")
    print(f"| requests, citegraph cold | {c['cold']['requests']:,} | |")
    print(f"| requests, one per DOI (baseline) | {per_doi_requests:,} | |")
    print(f"| request ratio | {c['request_ratio']:.0f}x fewer | >= 20x |")
    print(f"| wall time, citegraph cold | {c['cold']['wall_s']:.1f} s | |")
    print(f"| floor at 10 req/s, 3 in flight, {args.latency:g} s latency | {floor:.1f} s | |")
    print(f"| wall / floor | {c['wall_over_floor']:.2f} | <= 1.5 |")
    print(f"| 429s received / peak in flight | {c['cold']['throttled']} / {c['cold']['peak_concurrency']} | 0 / <= 3 |")
    print(f"| requests, warm re-run | {c['warm']['requests']} | 0 |")
    print(f"| baseline measured on {base['sample']} DOIs | {base['wall_s']:.1f} s, "
          f"{base_per_request * 1000:.0f} ms/request | |")
    print(f"| baseline extrapolated to {per_doi_requests:,} DOIs | {base_total_s / 60:.1f} min | |")
    print(f"| speed-up over baseline | {c['speedup_vs_baseline']:.0f}x | |")


if __name__ == "__main__":
    main()
