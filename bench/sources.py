"""Sources benchmark: OpenAlex requests against their minimum, and a merged fetch against each source alone.

Against the replays of ``tests/replay`` (real recordings in ``../shared``, read in place): the Crossref and
OpenCitations replay, and the OpenAlex replay (247 real OpenAlex records; ``api_key`` required, 10
requests/s).

1. ``openalex``: ``fetch --source openalex --direction both --depth 1`` from every DOI of the OpenAlex
   records (seeds), then the same command again (warm). The minimum the API allows is computed from the
   records themselves, independently of citegraph: the seeds by DOI at 100 per request, the works citing
   them (``filter=cites:``, 100 ids per request, each answer read in 200-row pages: at least one page per
   batch), then the seeds' references not yet stored, by id at 100 per request.
2. ``merged``: the same seeds plus the Crossref seeds of ``10.7717/peerj.4375`` (a work both sources hold)
   and ``10.1108/jd-12-2013-0166`` (one with recorded OpenCitations citations), fetched with
   ``--source crossref,opencitations``, ``--source openalex`` and ``--source crossref,opencitations,openalex``
   into three fresh stores; the edges of each, the requests each source got, and a warm re-run.

The recordings are a small overlap of two unrelated crawls (one work in both), so the merge mostly adds the
sources' edges side by side; the benchmark checks the merged graph holds every edge each source found alone.
OpenCitations takes one DOI per request, so with ``--direction both`` it is asked once per network work with a
DOI (the OpenAlex seeds included: it may know citations OpenAlex lacks); those lookups, at its rate, are most
of the merged run's requests on the Crossref/OpenCitations replay and of its time.

Run: ``python bench/sources.py [--shared ../shared] [--json] [--quick]`` (prints a Markdown section;
``--quick``: only the two seeds of the recorded OpenAlex snowball, a few seconds).
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # for tests.replay

from citegraph.config import load_settings  # noqa: E402
from citegraph.doi import normalize_doi  # noqa: E402
from citegraph.sources.fetch import FetchOptions, run_fetch  # noqa: E402
from citegraph.sources.seeds import Seed  # noqa: E402
from citegraph.store import Store  # noqa: E402
from tests.replay import ReplayServer  # noqa: E402
from tests.replay.openalex import OpenAlexReplay  # noqa: E402

MAILTO = "citegraph-bench@example.org"
CROSSREF_SEEDS = ["10.7717/peerj.4375", "10.1108/jd-12-2013-0166"]


def records(shared: Path) -> dict[str, dict[str, Any]]:
    with gzip.open(shared / "openalex" / "works-openalexPro.jsonl.gz", "rt", encoding="utf-8") as fh:
        recs = [json.loads(line) for line in fh]
    return {r["id"].rsplit("/", 1)[-1]: r for r in recs}


def doi_of(record: dict[str, Any]) -> str | None:
    doi = record.get("doi")
    return doi.lower().removeprefix("https://doi.org/") if isinstance(doi, str) else None


def minimum_requests(recs: dict[str, dict[str, Any]], seed_dois: list[str]) -> dict[str, int]:
    """The fewest list requests a depth-1 ``both`` snowball from these DOIs can make, from the records alone."""
    seeds = sorted(w for w, r in recs.items() if doi_of(r) in set(seed_dois))
    batches = [seeds[i:i + 100] for i in range(0, len(seeds), 100)]
    cites = 0
    citing: set[str] = set()
    for batch in batches:
        found = {w for w, r in recs.items() if set(r.get("referenced_works") or []) & {f"https://openalex.org/{b}"
                                                                                    for b in batch}}
        cites += max(1, math.ceil(len(found) / 200))
        citing |= found
    refs = {x.rsplit("/", 1)[-1] for s in seeds for x in recs[s].get("referenced_works") or []}
    todo = refs - set(seeds) - citing
    return {"seeds_by_doi": math.ceil(len(seed_dois) / 100), "citing": cites, "references_by_id":
            math.ceil(len(todo) / 100), "seeds_found": len(seeds), "citing_found": len(citing),
            "references_to_ask": len(todo)}


def fetch(store_path: Path, settings: Any, dois: list[str], sources: tuple[str, ...]) -> dict[str, Any]:
    t0 = time.perf_counter()
    with Store(store_path) as store:
        out = run_fetch(store, settings, [Seed(normalize_doi(d), "<bench>", role="seed") for d in dois],
                        FetchOptions(depth=1, direction="both", sources=sources))
        edges = {(e.citing, e.cited): e.sources for e in store.citation_edges()}
        works = store.counts()["works"]
    return {"seconds": time.perf_counter() - t0, "requests": out.report.requests,
            "openalex_requests": out.report.openalex_requests, "works": works, "edges": edges}


#: The seeds of the recorded OpenAlex snowball (``--quick``).
QUICK_SEEDS = ["10.1145/3383583.3398584", "10.48550/arxiv.2007.14454"]


def run(shared: Path, quick: bool = False) -> dict[str, Any]:
    recs = records(shared)
    seed_dois = QUICK_SEEDS if quick else sorted({d for r in recs.values() if (d := doi_of(r))})
    result: dict[str, Any] = {"seeds": len(seed_dois), "records": len(recs)}
    with ReplayServer(shared) as cr, OpenAlexReplay(shared) as oa, tempfile.TemporaryDirectory() as tmp:
        settings = load_settings({"crossref_url": cr.url, "opencitations_url": cr.url, "openalex_url": oa.url,
                                  "openalex_key": oa.api_key, "mailto": MAILTO}, env={}, start_dir=None)
        oa.reset_stats()
        cold = fetch(Path(tmp) / "oa.sqlite", settings, seed_dois, ("openalex",))
        list_calls = oa.stats()["by_route"].get("list", 0)
        oa.reset_stats()
        warm = fetch(Path(tmp) / "oa.sqlite", settings, seed_dois, ("openalex",))
        result["openalex"] = {"minimum": minimum_requests(recs, seed_dois), "requests": cold["requests"],
                              "list_calls": list_calls, "warm_requests": warm["requests"],
                              "warm_server_requests": oa.stats()["requests"], "seconds": cold["seconds"],
                              "works": cold["works"], "edges": len(cold["edges"])}
        merged_seeds = seed_dois + CROSSREF_SEEDS
        runs: dict[str, Any] = {}
        for name, sources in (("crossref", ("crossref", "opencitations")), ("openalex", ("openalex",)),
                              ("merged", ("crossref", "opencitations", "openalex"))):
            oa.reset_stats()
            cr.reset_stats()
            runs[name] = fetch(Path(tmp) / f"{name}.sqlite", settings, merged_seeds, sources)
            runs[name]["openalex_server"] = oa.stats()["requests"]
            runs[name]["crossref_server"] = cr.stats["requests"]
        oa.reset_stats()
        cr.reset_stats()
        again = fetch(Path(tmp) / "merged.sqlite", settings, merged_seeds, ("crossref", "opencitations", "openalex"))
        merged = runs["merged"]["edges"]
        result["merged"] = {
            name: {k: v for k, v in r.items() if k != "edges"} | {"edge_count": len(r["edges"])}
            for name, r in runs.items()}
        result["merged"]["holds_each_alone"] = all(set(runs[n]["edges"]) <= set(merged)
                                                   for n in ("crossref", "openalex"))
        result["merged"]["by_sources"] = sorted(
            (";".join(s), n) for s, n in _count(merged.values()).items())
        result["merged"]["warm_requests"] = again["requests"]
        result["merged"]["warm_server_requests"] = oa.stats()["requests"] + cr.stats["requests"]
    return result


def _count(values: Any) -> dict[Any, int]:
    out: dict[Any, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def markdown(res: dict[str, Any]) -> str:
    """The section of RESULTS.md."""
    if "skipped" in res:
        return f"Skipped: {res['skipped']}."
    o, m = res["openalex"], res["merged"]
    mn = o["minimum"]
    least = mn["seeds_by_doi"] + mn["citing"] + mn["references_by_id"]
    lines = [
        f"Command: `{res.get('command', 'python bench/sources.py')}`",
        "",
        f"OpenAlex alone, `fetch --source openalex --direction both --depth 1` from {res['seeds']} DOIs of the "
        f"{res['records']} real OpenAlex records: {o['requests']} requests ({o['list_calls']} list calls on the "
        f"server) against a minimum of {least} ({mn['seeds_by_doi']} for the seeds by DOI, {mn['citing']} for "
        f"the {mn['citing_found']} citing works, {mn['references_by_id']} for the {mn['references_to_ask']} "
        f"references not yet stored): {o['requests'] / least:.2f}x the minimum; {o['works']} works, "
        f"{o['edges']} edges, {o['seconds']:.1f} s. Warm re-run: {o['warm_requests']} requests "
        f"({o['warm_server_requests']} seen by the server).",
        "",
        "Merged fetch of the same seeds plus two Crossref seeds, each source alone and all together (fresh stores):",
        "",
        "| sources | requests (OpenAlex / Crossref+OpenCitations server) | works | edges | seconds |",
        "|---|---|---|---|---|",
    ]
    for name, label in (("crossref", "crossref,opencitations"), ("openalex", "openalex"),
                        ("merged", "crossref,opencitations,openalex")):
        r = m[name]
        lines.append(f"| `{label}` | {r['requests']} ({r['openalex_server']} / {r['crossref_server']}) | "
                     f"{r['works']} | {r['edge_count']} | {r['seconds']:.1f} |")
    lines += [
        "",
        f"The merged graph holds every edge each source found alone: {'yes' if m['holds_each_alone'] else 'NO'}; "
        "edges by source set: " + ", ".join(f"{s} {n}" for s, n in m["by_sources"]) + ". "
        f"Warm merged re-run: {m['warm_requests']} requests ({m['warm_server_requests']} seen by the servers).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--quick", action="store_true", help="only the two seeds of the recorded OpenAlex snowball")
    args = ap.parse_args(argv)
    if not (args.shared / "openalex").is_dir():
        res: dict[str, Any] = {"skipped": f"{args.shared / 'openalex'} not found"}
    else:
        res = run(args.shared, quick=args.quick)
    print(json.dumps(res, indent=2, sort_keys=True) if args.json else markdown(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
