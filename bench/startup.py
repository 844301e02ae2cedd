"""Startup benchmark: how long the quick commands take, and what the analysis stack costs to import.

Each measurement is a fresh process, timed from its start to its exit (``wall``), with its CPU time
(user + system, from ``RUSAGE_CHILDREN``) and its peak RSS (GNU time's ``%M``: ``/usr/bin/time`` runs the
command, because a child forked from the benchmark's own process would report at least the benchmark's RSS):

- ``python``: ``python -c pass``, the interpreter alone (the floor);
- ``import citegraph``: ``python -c "import citegraph"``;
- ``--help``, ``fetch --help``: the console script (``citegraph --help``), as a user types it;
- ``status (NAME)``: ``citegraph --store S status`` on a store made (untimed, before) by ``citegraph -q
  --store S import FILES`` from the real Web of Science exports of ``../shared/corpora``: ``crispr``
  (``crispr-2017-wostab``, 2,500 records, 146,553 references) and ``coffee`` (``coffee-obesity-wos``,
  1,047 records); skipped, with the reason, where the exports are absent;
- ``analysis modules``: ``python -c "import citegraph.analysis.pipeline"``, what ``analyse`` needs
  loaded before it computes anything (the issue measured ~160 MB); ``analyse's imports (CLI)``: the
  modules the ``analyse`` command imports, as it imports them (igraph first, with its matplotlib import
  hidden: ``citegraph.cli._import_igraph_without_pyplot``).

Every case runs once untimed first (bytecode compiled, files in the page cache), then ``--repeats`` times
(median, min–max). The children get a bytecode cache in a temporary folder (``PYTHONPYCACHEPREFIX``;
``PYTHONDONTWRITEBYTECODE`` removed), as an installed package has its ``.pyc`` files, without writing
into the source tree; ``--no-bytecode-cache`` measures with the environment as it is. One more untimed
run of each case lists the libraries it imported (the top-level packages of ``sys.modules`` at exit,
among those watched). Other processes on the machine slow the wall times: the 1-minute load average
before and after is reported, and the CPU times are less sensitive to it.

Targets (issue 20): ``citegraph --help`` under 0.3 s; ``citegraph status`` under 0.5 s on the shared
stores (judged on the median wall time; the slower store counts).

Run: ``python bench/startup.py [--repeats 5] [--corpora crispr,coffee] [--files N] [--shared ../shared]
[--src PATH] [--no-bytecode-cache] [--no-analysis] [--json]`` (prints a Markdown section; ``--json`` for raw figures).
``--src PATH`` puts ``PATH`` (a ``src`` folder, e.g. of ``git archive HEAD src``) first on the children's
``PYTHONPATH``, to measure another version of citegraph with the same environment. ``--files N`` imports
only the first N files of each export (smoke runs).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

#: name: (folder in ../shared/corpora, file pattern, description)
CORPORA: dict[str, tuple[str, str, str]] = {
    "crispr": ("crispr-2017-wostab", "savedrecs*.txt", "CRISPR 2017, WoS tab-delimited"),
    "coffee": ("coffee-obesity-wos", "data_*.txt", "coffee/obesity, WoS plain text"),
}

#: The libraries whose import is reported (top-level package names).
WATCHED = ("matplotlib", "sklearn", "igraph", "duckdb", "pyarrow", "pyspark", "scipy", "networkx", "numpy",
           "pandas", "PIL", "habanero", "httpx2", "requests", "tenacity", "tqdm")
#: The ones the quick commands must not import (issue 20).
HEAVY = ("matplotlib", "sklearn", "igraph", "duckdb", "pyarrow", "pyspark")

#: The issue's targets, in seconds of wall time (median).
TARGETS = {"help_s": 0.3, "status_s": 0.5}

#: The modules ``citegraph analyse`` imports (``cli._run_analysis`` and ``analyse``), igraph first as it does.
ANALYSE_CLI_IMPORTS = (
    "import citegraph.cli as c\n"
    "getattr(c, '_import_igraph_without_pyplot', lambda: None)()\n"
    "import citegraph.analysis.pipeline, citegraph.analysis.coverage, citegraph.outputs.tables, "
    "citegraph.outputs.files")

#: Run in a child before the case: at exit, write the top-level packages of sys.modules to $CG_BENCH_MODULES.
PROBE = """
import atexit, json, os, sys
def _dump():
    with open(os.environ["CG_BENCH_MODULES"], "w") as f:
        json.dump(sorted({m.split(".")[0] for m in list(sys.modules)}), f)
atexit.register(_dump)
kind, args = sys.argv[1], sys.argv[2:]
if kind == "cli":
    from citegraph.cli import main
    sys.argv = ["citegraph", *args]
    main()
else:
    exec(args[0])
"""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def natural(path: Path) -> list[Any]:
    """Sort key: numbers in the name compared as numbers (``data_1_500`` before ``data_501_1000``)."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name)]


def corpus_files(shared: Path, name: str, limit: int | None = None) -> list[Path]:
    folder, pattern, _ = CORPORA[name]
    files = sorted((shared / "corpora" / folder).glob(pattern), key=natural)
    return files[:limit] if limit else files


def child_env(pycache: Path | None, src: Path | None) -> dict[str, str]:
    """The children's environment: a bytecode cache in ``pycache`` (None: as it is), ``src`` first on the path."""
    env = dict(os.environ)
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [env.get("PYTHONPATH")])])
    return env


#: GNU time, for the peak RSS of the command alone: a child forked from this process starts with this process's
#: peak RSS in its own ``ru_maxrss`` (Linux keeps the high-water mark across exec), ``time`` is small.
TIME = Path("/usr/bin/time")


def run_once(argv: list[str], env: dict[str, str], cwd: str, timeout: float) -> dict[str, Any]:
    """One fresh process: wall time, CPU time (user + system) and peak RSS of the child, its exit status.

    The peak RSS is GNU time's ``%M`` when ``/usr/bin/time`` exists (``rss_from: time``), else the child's
    ``ru_maxrss`` from ``os.wait4``, which cannot be lower than this process's own RSS (``rss_from: wait4``).
    """
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        timed = [str(TIME), "-f", "%M", "-o", rss.name, *argv] if TIME.is_file() else argv
        t0 = time.perf_counter()
        proc = subprocess.Popen(timed, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd)
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return {"status": "timeout", "error": f"killed after {timeout:.0f} s"}
        wall = time.perf_counter() - t0
        out: dict[str, Any] = {"status": "ok" if proc.returncode == 0 else "failed", "wall_s": wall}
        lines = rss.read().split()
    if TIME.is_file() and lines and lines[-1].isdigit():
        out.update(peak_rss_mb=int(lines[-1]) / 1024, rss_from="time")
    if proc.returncode != 0:
        text = [ln for ln in err.decode(errors="replace").splitlines() if ln.strip()]
        out["error"] = text[-1] if text else f"exit status {proc.returncode}"
    return out


def run_measured(argv: list[str], env: dict[str, str], cwd: str, timeout: float) -> dict[str, Any]:
    """:func:`run_once` with the child's CPU time (``RUSAGE_CHILDREN`` before and after; one child at a time)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = run_once(argv, env, cwd, timeout)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out["cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if "peak_rss_mb" not in out and out["status"] != "timeout":  # no GNU time: the children's largest peak so far
        out.update(peak_rss_mb=after.ru_maxrss / 1024, rss_from="wait4")
    return out


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in runs if r["status"] == "ok"]
    out: dict[str, Any] = {"runs": runs, "finished": bool(runs) and len(ok) == len(runs)}
    if not out["finished"]:
        bad = next((r for r in runs if r["status"] != "ok"), None)
        out["detail"] = bad.get("error") if bad else "not run"
    if ok:
        walls = [r["wall_s"] for r in ok]
        out.update(median_s=statistics.median(walls), min_s=min(walls), max_s=max(walls),
                   cpu_s=statistics.median(r["cpu_s"] for r in ok),
                   peak_rss_mb=statistics.median(r["peak_rss_mb"] for r in ok), rss_from=ok[0].get("rss_from"))
    return out


def cases(script: Path | None, stores: dict[str, Path], analysis: bool = True) -> list[dict[str, Any]]:
    """What is measured: name, the timed argv (without the interpreter for code), the probe's kind and args."""
    def cli(name: str, *argv: str) -> dict[str, Any]:
        timed = [str(script), *argv] if script is not None else [
            sys.executable, "-c", "import sys; sys.argv[0] = 'citegraph'; from citegraph.cli import main; main()",
            *argv]
        return {"name": name, "argv": timed, "probe": ["cli", *argv], "kind": "cli"}

    def code(name: str, text: str) -> dict[str, Any]:
        return {"name": name, "argv": [sys.executable, "-c", text], "probe": ["code", text], "kind": "code"}

    out = [code("python", "pass"), code("import citegraph", "import citegraph"), cli("--help", "--help"),
           cli("fetch --help", "fetch", "--help")]
    out += [cli(f"status ({name})", "--store", str(path), "status") for name, path in stores.items()]
    if analysis:
        out += [code("analysis modules", "import citegraph.analysis.pipeline"),
                code("analyse's imports (CLI)", ANALYSE_CLI_IMPORTS)]
    return out


def shown(probe_args: list[str], stores: dict[str, Path]) -> str:
    """A case as a person would type it: ``citegraph --store crispr.sqlite status``, ``python -c "..."``."""
    kind, args = probe_args[0], probe_args[1:]
    names = {str(path): path.name for path in stores.values()}
    if kind == "cli":
        return " ".join(["citegraph", *(names.get(a, a) for a in args)])
    return 'python -c "' + "; ".join(args[0].splitlines()) + '"'


def probe(case: dict[str, Any], env: dict[str, str], cwd: str, timeout: float) -> list[str] | None:
    """The watched libraries the case imported (None when the probe failed)."""
    with tempfile.NamedTemporaryFile("r", suffix=".json") as f:
        proc = subprocess.run([sys.executable, "-c", PROBE, *case["probe"]], env={**env, "CG_BENCH_MODULES": f.name},
                              cwd=cwd, capture_output=True, timeout=timeout)
        try:
            loaded = set(json.load(f))
        except ValueError:
            log(f"  probe of {case['name']} failed: {proc.stderr.decode(errors='replace')[-300:]}")
            return None
    return [m for m in WATCHED if m in loaded]


def build_stores(args: argparse.Namespace, env: dict[str, str], tmp: Path,
                 script: Path | None) -> tuple[dict[str, Path], dict[str, Any]]:
    """The stores ``status`` is timed on, imported from the real exports (untimed setup)."""
    stores: dict[str, Path] = {}
    info: dict[str, Any] = {}
    for name in args.corpora:
        folder, _, label = CORPORA[name]
        files = corpus_files(args.shared, name, args.files)
        if not files:
            info[name] = {"label": label, "skipped": f"no export at {args.shared / 'corpora' / folder}"}
            log(f"status ({name}): skipped ({info[name]['skipped']})")
            continue
        path = tmp / f"{name}.sqlite"
        argv = ([str(script)] if script is not None else [sys.executable, "-m", "citegraph.cli"])
        t0 = time.perf_counter()
        proc = subprocess.run([*argv, "-q", "--store", str(path), "import", *map(str, files)], env=env,
                              cwd=str(tmp), capture_output=True, text=True, timeout=args.timeout * 20)
        if proc.returncode != 0:
            info[name] = {"label": label, "skipped": f"the import failed: {proc.stderr.strip()[-300:]}"}
            log(f"status ({name}): skipped ({info[name]['skipped']})")
            continue
        import sqlite3

        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            works = conn.execute("SELECT COUNT(*) FROM works").fetchone()[0]
            refs = conn.execute("SELECT COUNT(*) FROM refs").fetchone()[0]
        stores[name] = path
        info[name] = {"label": label, "folder": folder, "files": len(files), "works": works, "references": refs,
                      "store_mb": path.stat().st_size / 2**20, "import_s": time.perf_counter() - t0}
        log(f"status ({name}): store of {works:,} works, {refs:,} references, {info[name]['store_mb']:.0f} MB")
    return stores, info


#: In a child: the CPU seconds of each store call ``citegraph status`` makes, on the store named in argv[1].
STATUS_QUERIES = """
import json, sys, time
from citegraph.store import Store
out = {}
with Store(sys.argv[1], readonly=True) as store:
    for name in ("counts", "seed_coverage", "runs", "import_summary", "field_conflicts_summary", "notice_flags"):
        t = time.process_time()
        getattr(store, name)()
        out[name] = time.process_time() - t
print(json.dumps(out))
"""


def status_queries(store: Path, env: dict[str, str], cwd: str, args: argparse.Namespace) -> dict[str, Any]:
    """The CPU time of the store's queries in ``status`` (median per call over the repeats; imports not counted)."""
    runs = []
    for _ in range(args.repeats):
        proc = subprocess.run([sys.executable, "-c", STATUS_QUERIES, str(store)], env=env, cwd=cwd,
                              capture_output=True, text=True, timeout=args.timeout)
        if proc.returncode != 0:
            return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    calls = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    return {"calls": calls, "total_s": statistics.median(sum(r.values()) for r in runs)}


def measure(args: argparse.Namespace) -> dict[str, Any]:
    script = Path(sys.executable).with_name("citegraph")
    script = script if script.is_file() else None
    with tempfile.TemporaryDirectory(prefix="citegraph-bench-startup-") as tmp_name:
        tmp = Path(tmp_name)
        env = child_env(None if args.no_bytecode_cache else tmp / "pycache", args.src)
        stores, store_info = build_stores(args, env, tmp, script)
        load_before = os.getloadavg()[0]
        results = []
        for case in cases(script, stores, analysis=not args.no_analysis):
            run_once(case["argv"], env, tmp_name, args.timeout)  # untimed: bytecode and page cache
            runs = [run_measured(case["argv"], env, tmp_name, args.timeout) for _ in range(args.repeats)]
            entry = {"name": case["name"], "kind": case["kind"], "command": shown(case["probe"], stores),
                     **summarise(runs), "loaded": probe(case, env, tmp_name, args.timeout)}
            results.append(entry)
            log(f"{case['name']}: " + (f"{entry['median_s']:.3f} s (CPU {entry['cpu_s']:.3f} s), "
                                       f"{entry['peak_rss_mb']:.0f} MB; loaded: {', '.join(entry['loaded'] or [])}"
                                       if entry["finished"] else f"failed: {entry['detail']}"))
        queries = {name: status_queries(path, env, tmp_name, args) for name, path in stores.items()}
        load_after = os.getloadavg()[0]
    return {"cases": results, "stores": store_info, "status_queries": queries, "load_before": load_before,
            "load_after": load_after, "script": str(script) if script else None}


def judge(res: dict[str, Any]) -> dict[str, Any]:
    """The issue's two targets; a target is None (not judged) when nothing it needs was measured."""
    by = {c["name"]: c for c in res["cases"]}
    out: dict[str, Any] = {}
    h = by.get("--help")
    if h and h["finished"]:
        out["help"] = {"met": h["median_s"] < TARGETS["help_s"], "median_s": h["median_s"],
                       "miss": f"{h['median_s'] - TARGETS['help_s']:.2f} s over"}
    status = [c for c in res["cases"] if c["name"].startswith("status (")]
    if status and res["params"]["files"] is None and all(c["finished"] for c in status):
        worst = max(status, key=lambda c: c["median_s"])
        out["status"] = {"met": worst["median_s"] < TARGETS["status_s"], "worst": worst["name"],
                         "median_s": {c["name"]: c["median_s"] for c in status},
                         "miss": f"{worst['name']}: {worst['median_s'] - TARGETS['status_s']:.2f} s over"}
    return out


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
    return {"cores": cores, "cpu": cpu or platform.processor() or "unknown", "python": platform.python_version(),
            "citegraph": version, "head": head, "date": datetime.date.today().isoformat()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5, help="timed fresh processes per case (median)")
    ap.add_argument("--corpora", default=",".join(CORPORA), help="stores for status: " + ",".join(CORPORA))
    ap.add_argument("--files", type=int, default=None, help="only the first N files of each export (smoke runs)")
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="holds corpora/")
    ap.add_argument("--src", type=Path, default=None, help="a src folder put first on the children's PYTHONPATH")
    ap.add_argument("--no-bytecode-cache", action="store_true",
                    help="run the children with the environment as it is (no PYTHONPYCACHEPREFIX)")
    ap.add_argument("--no-analysis", action="store_true", help="leave out the analysis imports (smoke runs)")
    ap.add_argument("--timeout", type=float, default=120.0, help="kill a measured process after this many seconds")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    args.corpora = [s.strip() for s in args.corpora.split(",") if s.strip()]
    if any(n not in CORPORA for n in args.corpora):
        ap.error(f"--corpora: give a comma-separated subset of {','.join(CORPORA)}")
    if args.repeats < 1:
        ap.error(f"--repeats {args.repeats} must be at least 1")
    if args.files is not None and args.files < 1:
        ap.error(f"--files {args.files} must be at least 1")
    if args.src is not None and not (args.src / "citegraph" / "__init__.py").is_file():
        ap.error(f"--src {str(args.src)!r} holds no citegraph package")
    res: dict[str, Any] = {
        "machine": machine(),
        "command": "python bench/startup.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "params": {"repeats": args.repeats, "corpora": args.corpora, "files": args.files, "shared": str(args.shared),
                   "src": str(args.src) if args.src else None, "bytecode_cache": not args.no_bytecode_cache,
                   "analysis": not args.no_analysis},
    }
    res.update(measure(args))
    res["targets"] = judge(res)
    print(json.dumps(res, indent=2) if args.json else markdown(res))
    return 1 if any(not c["finished"] for c in res["cases"]) else 0


# --------------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------------


def _t(c: dict[str, Any]) -> str:
    if not c.get("finished"):
        return f"failed: {c.get('detail')}"
    spread = f" ({c['min_s']:.2f}–{c['max_s']:.2f})" if len(c["runs"]) > 1 else ""
    return f"{c['median_s']:.2f} s{spread}"


def markdown(res: dict[str, Any]) -> str:
    """The section of RESULTS.md."""
    mc, p = res["machine"], res["params"]
    by = {c["name"]: c for c in res["cases"]}
    stores = res["stores"]
    lines = [
        f"Command: `{res.get('command', 'python bench/startup.py')}`",
        "",
        f"Measured: citegraph {mc['citegraph']} (HEAD {str(mc['head'])[:10]}, work tree as it was"
        + (f"; citegraph imported from `{p['src']}`" if p.get("src") else "") + f"), {p['repeats']} timed "
        f"fresh process{'es' if p['repeats'] != 1 else ''} per row after an untimed one, "
        + ("with a bytecode cache (as installed)" if p["bytecode_cache"] else "**without** a bytecode cache")
        + f". Machine: {mc['cores']} cores ({mc['cpu']}), Python {mc['python']} ({mc['date']}); 1-minute load "
        f"average {res['load_before']:.1f} before, {res['load_after']:.1f} after (other processes share the "
        "machine: the wall times carry their load, the CPU times less so).",
        "",
        "| command | wall time, median (min–max) | CPU time (user + system) | peak RSS | libraries imported "
        "(of " + ", ".join(WATCHED) + ") |",
        "|---|---|---|---|---|",
    ]
    for c in res["cases"]:
        loaded = c.get("loaded")
        shown = ("none" if loaded == [] else "not probed" if loaded is None
                 else ", ".join(f"**{m}**" if m in HEAVY else m for m in loaded))
        lines.append(f"| `{c['command']}` ({c['name']}) | {_t(c)} | "
                     + (f"{c['cpu_s']:.2f} s | {c['peak_rss_mb']:.0f} MB" if c.get("finished") else " | ")
                     + f" | {shown} |")
    store_lines = []
    for name, s in stores.items():
        if "skipped" in s:
            store_lines.append(f"`status ({name})` not measured: {s['skipped']}")
        else:
            store_lines.append(f"`{name}`: {s['label']}, {s['files']} files imported by `citegraph import` "
                               f"(untimed setup, {s['import_s']:.0f} s): {s['works']:,} works, "
                               f"{s['references']:,} references, {s['store_mb']:.0f} MB"
                               + (f" (only the first {p['files']} file(s): a smoke run)" if p["files"] else ""))
    if store_lines:
        lines += ["", "Stores for `status`: " + "; ".join(store_lines) + "."]
    queries = {k: q for k, q in (res.get("status_queries") or {}).items() if "calls" in q}
    if queries:
        parts = []
        for name, q in queries.items():
            c = by.get(f"status ({name})", {})
            big = sorted(q["calls"].items(), key=lambda kv: -kv[1])[:3]
            parts.append(f"`{name}`: {q['total_s']:.2f} s (" + ", ".join(f"`{k}` {v:.2f} s" for k, v in big) + ")"
                         + (f" of the command's {c['cpu_s']:.2f} s" if c.get("finished") else ""))
        lines += ["", "CPU time of the store's queries in `status` (the `Store` calls it makes, timed in a fresh "
                      "process after its imports; median): " + "; ".join(parts) + ". The rest is the interpreter, "
                      "the imports and the printing."]
    base = by.get("python")
    mods, cli = by.get("analysis modules"), by.get("analyse's imports (CLI)")
    if mods and cli and mods.get("finished") and cli.get("finished") and base and base.get("finished"):
        lines += ["", f"The analysis stack: importing `citegraph.analysis.pipeline` peaks at "
                      f"{mods['peak_rss_mb']:.0f} MB ({mods['peak_rss_mb'] - base['peak_rss_mb']:.0f} MB over the "
                      f"interpreter's {base['peak_rss_mb']:.0f} MB) and takes {mods['median_s']:.2f} s; the imports of "
                      f"the `analyse` command (igraph loaded with its matplotlib import hidden) "
                      f"{cli['peak_rss_mb']:.0f} MB and {cli['median_s']:.2f} s. Run time needs all of scikit-learn "
                      "(the topic model behind the hybrid graph and the cluster labels), igraph (clusters, "
                      "betweenness), SciPy and networkx, so what remains is the cost of the analysis itself."]
    t = res.get("targets", {})
    if "help" in t:
        lines += ["", f"- Target `citegraph --help` < {TARGETS['help_s']:g} s (median): {t['help']['median_s']:.2f} s: "
                      + ("**met**." if t["help"]["met"] else f"**missed**: {t['help']['miss']}.")]
    if "status" in t:
        why = ""
        worst = by.get(t["status"]["worst"], {})
        q = (res.get("status_queries") or {}).get(t["status"]["worst"][8:-1], {})
        if not t["status"]["met"] and worst.get("finished") and "total_s" in q:
            why = (f" Of that command's {worst['cpu_s']:.2f} s of CPU time, {q['total_s']:.2f} s are the store's SQL "
                   f"queries and {by['--help']['cpu_s'] if '--help' in by else float('nan'):.2f} s start-up as for "
                   "`--help` (no heavy library is imported); the wall time also carries the machine's load.")
        lines += [f"- Target `citegraph status` < {TARGETS['status_s']:g} s on the shared stores (median, the slower "
                  "store): " + ", ".join(f"{k} {v:.2f} s" for k, v in t["status"]["median_s"].items()) + ": "
                  + ("**met**." if t["status"]["met"] else f"**missed**: {t['status']['miss']}.") + why]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
