"""Import benchmark: ``citegraph import`` on real Web of Science exports.

The corpora are real exports in ``../shared/corpora`` (read in place, never copied):

- ``crispr``: ``crispr-2017-wostab/savedrecs (1..5).txt``, WoS tab-delimited, 2,500 records;
- ``coffee``: ``coffee-obesity-wos/data_*.txt``, WoS plain text, 1,047 records;
- ``mortality``: ``premature-mortality-wosbib/wos*.bib``, WoS BibTeX, 1,082 records.

For each corpus, every repeat runs three fresh processes, each on a fresh store in a temporary folder:

1. ``cli``: the command a user types, ``citegraph --store S -q import --json FILES...`` (the console
   script's ``citegraph.cli:main``), timed from process start to exit: interpreter start, imports,
   reading, storing, matching, closing the store;
2. ``library``: the same work as a library call, ``import_exports(store, paths)`` inside
   ``Store(S)`` and ``store.writer_lock()`` as the command does it, timed from before ``Store(S)``
   to after the store is closed (imports not timed). The readers and the reference matching are
   timed inside the call (``read_export`` and ``match_references_locally`` wrapped by timers), so
   the time splits into read, store (the rest: keys, SQLite writes, seeds) and match;
3. ``parse``: the readers alone, ``read_export`` on every file (no store).

Peak RSS is the child's whole peak (``ru_maxrss`` of that child, from ``os.wait4``, as
``/usr/bin/time`` reads it): one import per process, interpreter and libraries included. The
library child also reports its RSS after the imports (before the call). The figures are medians
over the repeats, with min–max.

After the first library run of a corpus (untimed) the store is read again for the citations
between imported records: the distinct (citing, cited) edges of ``Store.citation_edges()`` whose
both ends are stored works, counted as found by DOI alone (an edge one of whose sources is the
database's DOI link, ``wos``) and with key matching added (all of them; the difference came from
``wos-key`` or ``wos-key+source`` matches only).

Peer: metaknowledge (3.4.1, reads WoS plain text only, not tab-delimited or BibTeX) parses the
plain-text corpus (``coffee``) in a fresh process of ``--peer-python`` (an interpreter where
``metaknowledge`` imports: it is not a dependency of citegraph; by default ``$BENCH_PEER_PYTHON``,
else this interpreter), forcing every record's citations, DOI, year, authors and title;
compared with citegraph's ``parse`` run on the same files. Without it the peer is reported as
not measured, with why.

Run: ``python bench/importing.py [--corpora crispr,coffee,mortality] [--repeats 3] [--files N]
[--shared ../shared] [--peer-python PATH] [--json] [--save PATH]`` (prints a Markdown section;
``--json`` for raw figures). ``--files N`` imports only the first N files of each corpus (smoke runs).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

#: name: (folder in ../shared/corpora, file pattern, format, description)
CORPORA: dict[str, tuple[str, str, str, str]] = {
    "crispr": ("crispr-2017-wostab", "savedrecs*.txt", "wos-tab", "CRISPR 2017, WoS tab-delimited"),
    "coffee": ("coffee-obesity-wos", "data_*.txt", "wos", "coffee/obesity, WoS plain text"),
    "mortality": ("premature-mortality-wosbib", "wos*.bib", "wos-bib", "premature mortality, WoS BibTeX"),
}

#: The issue's target: the CRISPR tab-delimited export imported in <= 10 s and <= 1 GB peak RSS.
TARGET = {"corpus": "crispr", "seconds": 10.0, "rss_mb": 1024.0}

#: The databases' own DOI links in ``citation_edges`` sources (anything else between records is a key
#: or identifier match: ``wos-key``, ``wos-key+source``, ``lens-id``...).
DOI_SOURCES = {"wos", "scopus", "lens", "openalex"}

PEER_CODE = r"""
import json, sys, time
t0 = time.perf_counter()
import metaknowledge as mk
t1 = time.perf_counter()
records = refs = with_doi = 0
for path in sys.argv[1:]:
    for R in mk.RecordCollection(path):
        records += 1
        cites = R.get("citations") or []
        refs += len(cites)
        with_doi += sum(1 for c in cites if getattr(c, "DOI", None))
        R.get("DOI"), R.get("year"), R.get("authorsFull"), R.get("title")
t2 = time.perf_counter()
print(json.dumps({"seconds": t2 - t1, "import_s": t1 - t0, "records": records, "references": refs,
                  "with_doi": with_doi, "version": getattr(mk, "__version__", "?")}))
"""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def natural(path: Path) -> list[Any]:
    """Sort key: numbers in the name compared as numbers (``data_1_500`` before ``data_501_1000``)."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name)]


def corpus_files(shared: Path, name: str, limit: int | None = None) -> list[Path]:
    folder, pattern, _, _ = CORPORA[name]
    files = sorted((shared / "corpora" / folder).glob(pattern), key=natural)
    return files[:limit] if limit else files


# --------------------------------------------------------------------------------------------------
# Children: one measured import (or read) each, in a fresh process
# --------------------------------------------------------------------------------------------------


def _maxrss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def child_library(spec: dict[str, Any]) -> dict[str, Any]:
    """``import_exports`` as ``citegraph import`` calls it, its time split into read / store / match."""
    from citegraph.sources import importing
    from citegraph.store import Store

    timers = {"read_s": 0.0, "match_s": 0.0}

    def timed(fn: Any, key: str) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                timers[key] += time.perf_counter() - t
        return wrapper

    importing.read_export = timed(importing.read_export, "read_s")  # type: ignore[assignment]
    importing.match_references_locally = timed(importing.match_references_locally, "match_s")  # type: ignore
    base = _maxrss_mb()
    t0 = time.perf_counter()
    with Store(spec["store"]) as store, store.writer_lock():
        report = importing.import_exports(store, spec["paths"], fmt="auto")
    seconds = time.perf_counter() - t0
    peak = _maxrss_mb()
    out: dict[str, Any] = {"seconds": seconds, **timers, "store_s": seconds - timers["read_s"] - timers["match_s"],
                           "base_rss_mb": base, "peak_rss_mb_self": peak, "report": report.as_dict(),
                           "store_mb": os.path.getsize(spec["store"]) / 2**20}
    if spec.get("edges"):
        out["edges"] = record_edges(spec["store"])
    return out


def record_edges(path: str) -> dict[str, Any]:
    """Citations between stored works: by the databases' DOI links alone, and with key matching added."""
    from citegraph.store import Store

    with Store(path, readonly=True) as store:
        works = {row[0] for row in store.execute("SELECT doi FROM works")}
        edges = [e for e in store.citation_edges() if e.citing in works and e.cited in works]
    by_doi = [e for e in edges if DOI_SOURCES & set(e.sources)]
    sources: dict[str, int] = {}
    for e in edges:
        label = "+".join(e.sources)
        sources[label] = sources.get(label, 0) + 1
    return {"works": len(works), "by_doi": len(by_doi), "with_key": len(edges),
            "key_only": len(edges) - len(by_doi), "cited_records": len({e.cited for e in edges}),
            "cited_records_by_doi": len({e.cited for e in by_doi}), "sources": dict(sorted(sources.items()))}


def child_parse(spec: dict[str, Any]) -> dict[str, Any]:
    """The readers alone: ``read_export`` on every file."""
    from citegraph.sources.exports import read_export

    base = _maxrss_mb()
    t0 = time.perf_counter()
    reads = [read_export(p) for p in spec["paths"]]
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "base_rss_mb": base, "records": sum(len(r.records) for r in reads),
            "references": sum(len(rec.references or ()) for r in reads for rec in r.records),
            "with_doi": sum(1 for r in reads for rec in r.records for c in (rec.references or ()) if c.dois),
            "problems": sum(len(r.problems) for r in reads), "formats": sorted({r.format for r in reads})}


def child_main(spec_text: str) -> None:
    spec = json.loads(spec_text)
    result = child_library(spec) if spec["task"] == "library" else child_parse(spec)
    print(json.dumps(result))


def run_process(argv: list[str], timeout: float, cwd: str | None = None) -> dict[str, Any]:
    """Run ``argv``; wall time from start to exit, the child's peak RSS (``os.wait4``), its last stdout
    line as JSON (if any). ``status``: ok, timeout or failed."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, text=True, cwd=cwd)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        peak = usage.ru_maxrss / 1024
        if killed.is_set():
            return {"status": "timeout", "wall_s": wall, "peak_rss_mb": peak, "error": f"killed after {timeout:.0f} s"}
        out.seek(0)
        err.seek(0)
        text, errors = out.read(), err.read()
    if proc.returncode != 0:
        lines = [ln for ln in errors.splitlines() if ln.strip()]
        return {"status": "failed", "wall_s": wall, "peak_rss_mb": peak,
                "error": lines[-1] if lines else f"exit status {proc.returncode}"}
    result: dict[str, Any] = {"status": "ok", "wall_s": wall, "peak_rss_mb": peak}
    try:
        data = json.loads(text.strip().splitlines()[-1]) if text.strip() else None
    except ValueError:
        try:
            data = json.loads(text)  # the CLI's --json: one indented document
        except ValueError:
            data = None
    if data is not None:
        result["output"] = data
    return result


# --------------------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------------------


def summarise(runs: list[dict[str, Any]], key: str = "seconds") -> dict[str, Any]:
    """Median, min, max of ``key`` over the finished runs; the largest peak RSS."""
    ok = [r for r in runs if r["status"] == "ok"]
    out: dict[str, Any] = {"runs": runs, "finished": bool(runs) and len(ok) == len(runs)}
    if not out["finished"]:
        bad = next((r for r in runs if r["status"] != "ok"), None)
        out["detail"] = bad.get("error") if bad else "not run"
    if ok:
        secs = [r[key] for r in ok]
        out.update(median_s=statistics.median(secs), min_s=min(secs), max_s=max(secs),
                   peak_rss_mb=max(r["peak_rss_mb"] for r in ok),
                   median_rss_mb=statistics.median(r["peak_rss_mb"] for r in ok))
        for part in ("read_s", "store_s", "match_s", "wall_s"):
            if part in ok[0] and part != key:
                out[f"median_{part}"] = statistics.median(r[part] for r in ok)
        if "base_rss_mb" in ok[0]:
            out["base_rss_mb"] = statistics.median(r["base_rss_mb"] for r in ok)
    return out


def measure_corpus(name: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    folder, _, fmt, label = CORPORA[name]
    files = corpus_files(args.shared, name, args.files)
    entry: dict[str, Any] = {"name": name, "label": label, "folder": folder, "format": fmt,
                             "files": [f.name for f in files]}
    if not files:
        entry["skipped"] = f"no files at {args.shared / 'corpora' / folder}"
        return entry
    paths = [str(f) for f in files]
    entry["bytes"] = sum(f.stat().st_size for f in files)
    entry["load_before"] = os.getloadavg()[0]  # other processes on the machine disturb the timings: say so
    script = str(Path(__file__).resolve())
    cli_code = "import sys; sys.argv[0] = 'citegraph'; from citegraph.cli import main; sys.exit(main())"
    runs: dict[str, list[dict[str, Any]]] = {"cli": [], "library": [], "parse": []}
    for i in range(args.repeats):
        log(f"{name}: repeat {i + 1} of {args.repeats}")
        store = tmp / f"{name}-cli-{i}.sqlite"
        r = run_process([sys.executable, "-c", cli_code, "--store", str(store), "-q", "import", "--json", *paths],
                        args.timeout, cwd=str(tmp))
        if r["status"] == "ok":
            r["seconds"] = r["wall_s"]
            r["report"] = r.pop("output", None)
        runs["cli"].append(r)
        log(f"  cli: {r['wall_s']:.2f} s, {r['peak_rss_mb']:.0f} MB" + (f" ({r['error']})" if 'error' in r else ""))
        store = tmp / f"{name}-lib-{i}.sqlite"
        spec = {"task": "library", "store": str(store), "paths": paths, "edges": i == 0}
        r = run_process([sys.executable, script, "--child", json.dumps(spec)], args.timeout, cwd=str(tmp))
        if r["status"] == "ok":
            r.update(r.pop("output"))
        runs["library"].append(r)
        log(f"  library: {r.get('seconds', float('nan')):.2f} s, {r['peak_rss_mb']:.0f} MB"
            + (f" ({r['error']})" if 'error' in r else ""))
        r = run_process([sys.executable, script, "--child", json.dumps({"task": "parse", "paths": paths})],
                        args.timeout, cwd=str(tmp))
        if r["status"] == "ok":
            r.update(r.pop("output"))
        runs["parse"].append(r)
        log(f"  parse: {r.get('seconds', float('nan')):.2f} s, {r['peak_rss_mb']:.0f} MB"
            + (f" ({r['error']})" if 'error' in r else ""))
        for path in tmp.glob(f"{name}-*-{i}.sqlite*"):
            path.unlink()
    entry["load_after"] = os.getloadavg()[0]
    for kind, rs in runs.items():
        entry[kind] = summarise(rs)
    first = next((r for r in runs["library"] if r["status"] == "ok"), None)
    if first is not None:
        entry["report"] = first["report"]
        entry["store_mb"] = first["store_mb"]
        if "edges" in first:
            entry["edges"] = first["edges"]
        files_ = first["report"]["files"]
        entry["records"] = sum(f["records"] for f in files_)
        entry["references"] = sum(f["references"] for f in files_)
        entry["stored"] = sum(f["stored"] for f in files_)
        entry["duplicates"] = sum(f["duplicates"] for f in files_)
        entry["problems"] = first["report"]["problems"]
    cli_ok = [r for r in runs["cli"] if r["status"] == "ok" and r.get("report")]
    if first is not None and cli_ok:  # the command and the library call did the same import
        m = cli_ok[0]["report"]["matching"]
        entry["cli_same_counts"] = m == first["report"]["matching"]
    if name == "coffee" and not args.no_peer:
        entry["peer"] = measure_peer(paths, args)
    return entry


def measure_peer(paths: list[str], args: argparse.Namespace) -> dict[str, Any]:
    python = args.peer_python or os.environ.get("BENCH_PEER_PYTHON") or sys.executable
    probe = subprocess.run([python, "-c", "import metaknowledge"], capture_output=True, text=True, timeout=120)
    if probe.returncode != 0:
        return {"skipped": f"metaknowledge does not import in {python} (not a dependency of citegraph: install "
                           "it in a separate venv, `pip install metaknowledge==3.4.1`, and pass --peer-python "
                           "or set BENCH_PEER_PYTHON)"}
    runs = []
    for _ in range(args.repeats):
        r = run_process([python, "-c", PEER_CODE, *paths], args.timeout)
        if r["status"] == "ok":
            r.update(r.pop("output"))
        runs.append(r)
        log(f"  peer metaknowledge: {r.get('seconds', float('nan')):.2f} s, {r['peak_rss_mb']:.0f} MB")
    out = summarise(runs)
    ok = [r for r in runs if r["status"] == "ok"]
    if ok:
        out.update({k: ok[0][k] for k in ("records", "references", "with_doi", "version")})
    out["python"] = python
    return out


def judge(result: dict[str, Any]) -> dict[str, Any]:
    """The issue's target on the CRISPR export (only with every file of it)."""
    e = next((c for c in result["corpora"] if c["name"] == TARGET["corpus"]), None)
    if e is None or "skipped" in e or result["params"]["files"]:
        return {}
    cli = e["cli"]
    if not cli["finished"]:
        return {"crispr": {"met": False, "measured": f"did not finish: {cli.get('detail')}",
                           "miss": "did not finish"}}
    secs, peak = cli["max_s"], cli["peak_rss_mb"]
    miss = "; ".join(([f"time over by {secs - TARGET['seconds']:.1f} s"] if secs > TARGET["seconds"] else [])
                     + ([f"memory over by {peak - TARGET['rss_mb']:.0f} MB"] if peak > TARGET["rss_mb"] else []))
    return {"crispr": {"met": not miss, "miss": miss,
                       "measured": f"{cli['median_s']:.2f} s (max {secs:.2f} s; library call "
                                   f"{e['library']['median_s']:.2f} s), {peak:,.0f} MB peak RSS, "
                                   f"{e['records'] / cli['median_s']:,.0f} records/s"}}


def machine() -> dict[str, Any]:
    import importlib.metadata

    cpu = ""
    try:
        cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                    if ln.startswith("model name")), "")
    except OSError:
        pass
    try:
        version = importlib.metadata.version("citegraph")
    except importlib.metadata.PackageNotFoundError:
        version = "not installed"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0
    head = None
    try:
        sys.path.insert(0, str(HERE))
        from run import git_revision

        head = git_revision()
    except ImportError:
        pass
    import sqlite3

    return {"cores": cores, "cpu": cpu or platform.processor() or "unknown", "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "citegraph": version, "head": head,
            "date": datetime.date.today().isoformat()}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", default=",".join(CORPORA), help="comma-separated: " + ",".join(CORPORA))
    ap.add_argument("--repeats", type=int, default=3, help="fresh processes per corpus and measurement")
    ap.add_argument("--files", type=int, default=None, help="only the first N files of each corpus (smoke runs)")
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="holds corpora/")
    ap.add_argument("--peer-python", help="an interpreter where metaknowledge imports (default: "
                                          "$BENCH_PEER_PYTHON, else this one)")
    ap.add_argument("--no-peer", action="store_true", help="do not measure metaknowledge")
    ap.add_argument("--timeout", type=float, default=300.0, help="kill a measured process after this many seconds")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--save", type=Path, help="also write the raw figures (JSON) to this file")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child_main(args.child)
        return
    names = [s.strip() for s in args.corpora.split(",") if s.strip()]
    if not names or any(n not in CORPORA for n in names):
        ap.error(f"--corpora {args.corpora!r}: give a comma-separated subset of {','.join(CORPORA)}")
    if args.repeats < 1:
        ap.error(f"--repeats {args.repeats} must be at least 1")
    if args.files is not None and args.files < 1:
        ap.error(f"--files {args.files} must be at least 1")
    result: dict[str, Any] = {
        "machine": machine(),
        "command": "python bench/importing.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "params": {"corpora": names, "repeats": args.repeats, "files": args.files, "shared": str(args.shared),
                   "timeout_s": args.timeout},
        "corpora": [],
    }
    if not (args.shared / "corpora").is_dir():
        result["skipped"] = f"no corpora at {args.shared / 'corpora'} (the real exports live in ../shared)"
        log(f"skipped: {result['skipped']}")
    else:
        with tempfile.TemporaryDirectory(prefix="citegraph-bench-import-") as tmp:
            for name in names:
                result["corpora"].append(measure_corpus(name, args, Path(tmp)))
        result["targets"] = judge(result)
    if args.save:
        args.save.write_text(json.dumps(result, indent=2) + "\n")
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(markdown(result))


# --------------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------------


def _t(x: dict[str, Any], key: str = "median_s") -> str:
    if not x.get("finished"):
        return f"did not finish: {x.get('detail')}"
    spread = f" ({x['min_s']:.2f}–{x['max_s']:.2f})" if len(x["runs"]) > 1 else ""
    return f"{x[key]:.2f} s{spread}"


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "n/a"


def markdown(res: dict[str, Any]) -> str:
    """The section of RESULTS.md."""
    if "skipped" in res:
        return f"Skipped: {res['skipped']}."
    mc, p = res["machine"], res["params"]
    done = [e for e in res["corpora"] if "skipped" not in e and e.get("records")]
    lines = [
        f"Command: `{res['command']}`",
        "",
        ("Data: real Web of Science exports in `../shared/corpora` (read in place): "
         + "; ".join(f"`{e['folder']}` ({e['label']}, {len(e['files'])} files, {e['bytes'] / 1e6:.1f} MB)"
                     for e in res["corpora"] if "bytes" in e)
         + (f"; only the first {p['files']} file(s) of each (smoke run)" if p["files"] else "") + ". "
         f"Measured: citegraph {mc['citegraph']} (HEAD {str(mc['head'])[:10]}, work tree as it was), "
         f"{p['repeats']} repeat{'s' if p['repeats'] != 1 else ''}, each measurement a fresh process on a fresh "
         f"store. Machine: {mc['cores']} cores ({mc['cpu']}), Python {mc['python']}, SQLite {mc['sqlite']} "
         f"({mc['date']}); 1-minute load average before and after each corpus (other processes share the "
         "machine): " + ", ".join(f"{e['name']} {e['load_before']:.1f} → {e['load_after']:.1f}"
                                  for e in res["corpora"] if "load_before" in e) + "."),
        "",
        "Time and memory (median over the repeats, min–max in brackets; peak RSS is the largest of the child "
        "processes'):",
        "",
        "| corpus | records | references | MB | `citegraph import` (process start to exit) | library call "
        "(read + store + match) | readers alone (`read_export`) | peak RSS: command / library / readers |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in res["corpora"]:
        if "skipped" in e:
            lines.append(f"| {e['name']} | skipped: {e['skipped']} | | | | | | |")
            continue
        if not e.get("records"):
            lines.append(f"| {e['name']} | failed: {e['library'].get('detail')} | | | | | | |")
            continue
        lines.append(f"| {e['label']} | {e['records']:,} | {e['references']:,} | {e['bytes'] / 1e6:.1f} | "
                     f"{_t(e['cli'])} | {_t(e['library'])} | {_t(e['parse'])} | "
                     f"{e['cli'].get('peak_rss_mb', 0):,.0f} / {e['library'].get('peak_rss_mb', 0):,.0f} / "
                     f"{e['parse'].get('peak_rss_mb', 0):,.0f} MB |")
    lines += ["", "Throughput (of the command, end to end; of the library call in brackets) and where the "
                  "library call's time goes:", "",
              "| corpus | records/s | references/s | MB/s | read | store | match | interpreter + imports + "
              "exit (command − library) | library RSS before the call | store file |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for e in done:
        c, lib = e["cli"], e["library"]
        if not (c.get("finished") and lib.get("finished")):
            continue
        cs, ls = c["median_s"], lib["median_s"]
        lines.append(
            f"| {e['label']} | {e['records'] / cs:,.0f} ({e['records'] / ls:,.0f}) | "
            f"{e['references'] / cs:,.0f} ({e['references'] / ls:,.0f}) | "
            f"{e['bytes'] / 1e6 / cs:.2f} ({e['bytes'] / 1e6 / ls:.2f}) | "
            f"{lib['median_read_s']:.2f} s ({_pct(lib['median_read_s'], ls) if ls else ''}) | "
            f"{lib['median_store_s']:.2f} s ({_pct(lib['median_store_s'], ls)}) | "
            f"{lib['median_match_s']:.2f} s ({_pct(lib['median_match_s'], ls)}) | {cs - ls:.2f} s | "
            f"{lib['base_rss_mb']:.0f} MB | {e['store_mb']:.1f} MB |")
    lines += ["", "References matched to the imported records (`ImportReport.matching`; share matched = "
                  "(by DOI + by identifier + by key) / references):", "",
              "| corpus | records read / stored (duplicates) | references | with DOI | by DOI | by identifier | "
              "by key | ambiguous keys | share matched | problems | command's counts equal the library's |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for e in done:
        m = e["report"]["matching"]
        lines.append(
            f"| {e['label']} | {e['records']:,} / {e['stored']:,} ({e['duplicates']}) | {m['references']:,} | "
            f"{m['with_doi']:,} ({_pct(m['with_doi'], m['references'])}) | {m['by_doi']:,} | {m['by_id']:,} | "
            f"{m['by_key']:,} | {m['ambiguous']:,} | {_pct(m['matched'], m['references'])} | {e['problems']} | "
            f"{'yes' if e.get('cli_same_counts') else 'no' if 'cli_same_counts' in e else 'n/a'} |")
    lines += ["", "Citations between imported records (distinct (citing, cited) pairs of `Store.citation_edges()` "
                  "with both ends stored works; first run, not timed):", "",
              "| corpus | by DOI alone | with key matching added | added by key | records cited (by DOI / "
              "with key) | edge sources |", "|---|---|---|---|---|---|"]
    for e in done:
        x = e.get("edges")
        if not x:
            continue
        lines.append(f"| {e['label']} | {x['by_doi']:,} | {x['with_key']:,} | {x['key_only']:,} "
                     f"(+{_pct(x['key_only'], x['by_doi'])}) | {x['cited_records_by_doi']:,} / "
                     f"{x['cited_records']:,} | " + ", ".join(f"{k}: {v:,}" for k, v in x["sources"].items())
                     + " |")
    peers = [e for e in done if "peer" in e]
    lines += ["", "Peer (parse only, same files, fresh processes):", ""]
    if not peers:
        lines.append("No peer measured in this run (`--no-peer`, or no plain-text corpus chosen).")
    for e in peers:
        q = e["peer"]
        if "skipped" in q:
            lines.append(f"- metaknowledge on {e['label']}: not measured: {q['skipped']}.")
            continue
        if not q.get("finished"):
            lines.append(f"- metaknowledge on {e['label']}: failed: {q.get('detail')}.")
            continue
        ours = e["parse"]
        lines += [
            "| reader | records | references | with DOI | parse time | peak RSS |", "|---|---|---|---|---|---|",
            f"| citegraph `read_export` | {ours['runs'][0]['records']:,} | {ours['runs'][0]['references']:,} | "
            f"{ours['runs'][0]['with_doi']:,} | {_t(ours)} | {ours['peak_rss_mb']:,.0f} MB |",
            f"| metaknowledge {q['version']} `RecordCollection` (`{q['python']}`) | {q['records']:,} | "
            f"{q['references']:,} | {q['with_doi']:,} | {_t(q)} | {q['peak_rss_mb']:,.0f} MB |",
        ]
        if ours.get("finished") and q.get("median_s"):
            lines += ["", f"citegraph's readers take {ours['median_s'] / q['median_s']:.1f}x metaknowledge's time "
                          "on this corpus (imports not timed in either)."]
    for name, t in res.get("targets", {}).items():
        lines += ["", f"- Target ({name}: `citegraph import` of the whole export <= {TARGET['seconds']:g} s and "
                      f"<= 1 GB peak RSS, judged on the slowest repeat): {t['measured']}: "
                  + ("**met**." if t["met"] else f"**missed**: {t['miss']}.")]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
