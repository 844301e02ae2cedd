"""The analysis benchmark (bench/analyse.py) and the whole suite (bench/run.py --quick), at smoke sizes.

Everything here runs on SYNTHETIC Price-model graphs (bench/synthetic.py) written as hand-made,
Crossref-shaped records labelled SYNTHETIC; no recorded data is needed except by the fetch part of
``run.py --quick``, which is skipped (and reported so) without ``../shared``.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from citegraph.graphs.citation import citation_graph
from citegraph.store import Store

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"


def _load(name: str) -> ModuleType:
    sys.path.insert(0, str(BENCH))  # analyse.py imports its siblings (graphs, synthetic)
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


analyse = _load("analyse")
run = _load("run")


def _bench(*argv: str, timeout: float = 120) -> dict[str, Any]:
    out = subprocess.run([sys.executable, str(BENCH / "analyse.py"), *argv, "--json"],
                         capture_output=True, text=True, check=True, timeout=timeout)
    result: dict[str, Any] = json.loads(out.stdout)
    return result


# -- the SYNTHETIC store --------------------------------------------------------------------------


def test_synthetic_records_follow_the_graph() -> None:
    citing = np.array([1, 2, 2, 3, 3, 3])  # hand-made SYNTHETIC graph: 3 cites 0, 1, 2; ...
    cited = np.array([0, 0, 1, 0, 1, 2])
    records = analyse.synthetic_records(citing, cited, 4, seed=3, abstract_words=8)
    assert [r["DOI"] for r in records] == [f"10.5555/synthetic-{i}" for i in range(4)]
    assert all(r["title"] == [f"SYNTHETIC work {i}"] for i, r in enumerate(records))
    assert [[x["DOI"] for x in r["reference"]] for r in records] == [
        [], ["10.5555/synthetic-0"], ["10.5555/synthetic-0", "10.5555/synthetic-1"],
        ["10.5555/synthetic-0", "10.5555/synthetic-1", "10.5555/synthetic-2"]]
    assert [r["is-referenced-by-count"] for r in records] == [3, 2, 1, 0]
    assert [r["references-count"] for r in records] == [0, 1, 2, 3]
    years = [r["issued"]["date-parts"][0][0] for r in records]
    assert years == sorted(years) and 1970 <= years[0] and years[-1] < 2020
    for r in records:  # a reference carries its work's year, for RPYS
        assert all(int(x["year"]) == years[int(x["DOI"].rsplit("-", 1)[1])] for x in r["reference"])
        assert r["abstract"].startswith("SYNTHETIC text:") and r["author"][0]["sequence"] == "first"
        assert r["container-title"][0].startswith("SYNTHETIC Journal ")
    assert "abstract" not in analyse.synthetic_records(citing, cited, 4, abstract_words=0)[3]
    again = analyse.synthetic_records(citing, cited, 4, seed=3, abstract_words=8)
    assert again == records  # same seed, same records


def test_build_store_holds_the_synthetic_graph(tmp_path: Path) -> None:
    info = analyse.build_store(tmp_path / "s.sqlite", 3000, mean_refs=10, a=1.0, seed=5, abstract_words=5,
                               npz=tmp_path / "g.npz")
    assert info["references"] == 3000 and info["papers"] > 0 and info["seconds"] > 0
    with Store(tmp_path / "s.sqlite", readonly=True) as store:
        assert store.counts()["works"] == info["papers"]
        assert len(store.seeds()) == 10
        G = citation_graph(store)
    assert G.number_of_nodes() == info["papers"] and G.number_of_edges() == 3000
    assert all(d["resolved"] and d["doi"].startswith("10.5555/synthetic-") for _, d in G.nodes(data=True))
    with np.load(tmp_path / "g.npz") as z:  # the arrays bench/graphs.py's children read: the same graph
        pairs = {(f"10.5555/synthetic-{a}", f"10.5555/synthetic-{b}")
                 for a, b in zip(z["citing"], z["cited"], strict=True)}
    assert pairs == set(G.edges)


# -- bench/analyse.py -----------------------------------------------------------------------------


@pytest.mark.slow
def test_analyse_benchmark_smoke() -> None:
    wanted = "pagerank_igraph,cocitation_pairwise,pagerank,cocitation_sparse"  # every stage: run.py --quick below
    result = _bench("--sizes", "1000,2000", "--repeats", "1", "--stages", wanted)
    assert "SYNTHETIC" in result["label"]
    # the stage that makes their input (the citation graph) runs too; all in pipeline order
    assert result["stages"] == ["citation_graph", "pagerank", "pagerank_igraph", "cocitation_sparse",
                                "cocitation_pairwise"]
    assert [e["n_references"] for e in result["sizes"]] == [1000, 2000]
    for entry in result["sizes"]:
        assert entry["build"]["references"] == entry["n_references"] and entry["papers"] > 0
        assert set(entry["stages"]) == set(result["stages"])
        for name, r in entry["stages"].items():
            assert r["finished"], (name, r)
            assert 0 < r["min_s"] <= r["median_s"] <= r["max_s"] < 60
            assert r["peak_rss_mb"] > 0 and r["rss_increase_mb"] >= 0
        facts = {k: r["facts"] for k, r in entry["stages"].items()}
        assert facts["citation_graph"] == {"nodes": entry["papers"], "edges": entry["n_references"]}
        assert facts["pagerank"]["nodes"] == facts["pagerank_igraph"]["nodes"] == entry["papers"]
        assert facts["cocitation_sparse"]["edges"] == facts["cocitation_pairwise"]["edges"] > 0
    for row in result["peers"]:
        pr, co = row["pagerank"], row["cocitation"]
        assert pr["agree"] and pr["l1_diff"] < 1e-6 and pr["ratio"] > 0 and pr["ratio_call"] > 0
        assert co["same_edges"] and co["speedup"] > 0
    for name in result["stages"]:
        g = result["growth"][name]
        assert g["sizes"] == [1000, 2000] and g["fit"] is not None and g["projected_s"] > 0
    targets = {t["target"].split(":")[0].split(" within")[0]: t for t in result["targets"]}
    assert len(result["targets"]) == 4
    assert targets["`citegraph analyse` on 10^6 references"]["met"] is None  # analyse was not selected
    assert targets["PageRank"]["met"] in (True, False) and "at 2,000" in targets["PageRank"]["measured"]
    text = analyse.markdown(result)
    assert "| stage | 10^3 | 2,000 | b | projected 10^6 | growth verdict |" in text
    assert "| target | measured | verdict |" in text and "Peers, same data, same run" in text


@pytest.mark.slow
def test_analyse_benchmark_reports_a_timeout_and_skips_what_follows() -> None:
    # 0.3 s is less than a child needs to start: every measured run is killed
    result = _bench("--sizes", "500,1000", "--repeats", "2", "--stages", "bursts,rpys", "--timeout", "0.3")
    first, second = result["sizes"]
    assert first["stages"]["citation_graph"]["status"] == "timeout"
    assert len(first["stages"]["citation_graph"]["runs"]) == 1  # not repeated
    assert first["stages"]["bursts"] == {"skipped": "no input: citation could not be made"}
    assert first["stages"]["rpys"]["status"] == "timeout"
    assert second["stages"]["rpys"] == {"skipped": "timed out at 500 references"}  # not run at larger sizes
    assert result["growth"]["rpys"]["verdict"] == "**timed out at 500**" and result["growth"]["rpys"]["met"] is False
    text = analyse.markdown(result)
    assert "(timed out)" in text and "skipped (timed out at 500 references)" in text


def test_analyse_benchmark_rejects_bad_options() -> None:
    for argv, message in ((["--stages", "nope"], "unknown stage(s) nope"), (["--sizes", "10"], "at least 100"),
                          (["--top-k", "0"], "--top-k 0 must be at least 1")):
        out = subprocess.run([sys.executable, str(BENCH / "analyse.py"), *argv], capture_output=True, text=True,
                             timeout=60)
        assert out.returncode == 2 and message in out.stderr, (argv, out.stderr)


# -- bench/run.py ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_run_quick_writes_every_section(tmp_path: Path) -> None:
    out, raw = tmp_path / "RESULTS.md", tmp_path / "results.json"
    proc = subprocess.run([sys.executable, str(BENCH / "run.py"), "--quick", "--out", str(out), "--json", str(raw)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = out.read_text(encoding="utf-8")
    data = json.loads(raw.read_text(encoding="utf-8"))
    for heading in ("# Benchmark results", "## Machine", "## Targets", "## Graphs at scale", "## Analysis scaling",
                    "## Fetch", "## Analysis at 10^6 references with the citation tail of real data",
                    "## Import: `citegraph import` on real Web of Science exports"):
        assert f"\n{heading}" in f"\n{text}", heading
    assert "**QUICK run**" in text and "| benchmark | target | measured | verdict |" in text
    assert "Command: `python bench/analyse.py --sizes 2000 --repeats 1`" in text
    mc = data["machine"]
    assert mc["cores"] >= 1 and mc["ram_gib"] > 0 and mc["versions"]["networkx"] != "not installed"
    res = data["results"]
    (entry,) = res["analyse"]["sizes"]
    assert set(entry["stages"]) == {s.name for s in analyse.STAGES}  # every stage, peers included
    for name, r in entry["stages"].items():
        assert r["finished"] and r["median_s"] > 0 and r["peak_rss_mb"] > 0, name
        assert f"| {name} |" in text or f"| {name} (in " in text
    facts = {k: r["facts"] for k, r in entry["stages"].items()}
    assert facts["citation_graph"] == {"nodes": entry["papers"], "edges": 2000}
    assert facts["analyse"]["rankings"] == facts["rank_works"]["rows"] == entry["papers"]
    assert facts["analyse"]["clusters"] == facts["cluster_table"]["clusters"] == facts["clustering"]["clusters"]
    assert facts["graphml_export"]["mb"] > 0 and facts["graphml_export"]["with_clusters"] is True
    assert facts["main_path"]["main_path"] >= 2 and facts["pagerank_igraph"]["agree"]
    assert {e["n_references"] for e in res["graphs"]["sizes"]} == {2000, 4000}
    assert res["graphs"]["check"]["cocitation"]["agree"]
    benches = {t["benchmark"] for t in data["targets"]}
    assert {"graphs", "analyse", "analyse (a = 20)"} <= benches
    (tail,) = res["analyse-tail"]["sizes"]
    assert res["analyse-tail"]["params"]["a"] == 20 and set(tail["stages"]) == {"analyse"}
    assert tail["stages"]["analyse"]["finished"]
    assert "Command: `python bench/analyse.py --sizes 2000 --repeats 1 --a 20 --stages analyse`" in text
    # the a = 20 run judges the time and memory target only (one size: no growth fit)
    assert [t["target"][:20] for t in data["targets"] if t["benchmark"] == "analyse (a = 20)"] == [
        "`citegraph analyse` "]
    assert all(t["met"] is None or "not judged (quick run" in text for t in data["targets"])
    if "skipped" in res["fetch"]:
        assert "Skipped: no recorded data" in text
    else:
        assert res["fetch"]["warm"]["requests"] == 0 and "fetch" in benches
    if "skipped" in res["import"]:
        assert "Skipped: no real exports" in text
    else:  # the first coffee/obesity file: the CRISPR target is not judged, the coffee edges are reported
        assert "Command: `python bench/importing.py --corpora coffee --files 1 --repeats 1 --no-peer`" in text
        (coffee,) = res["import"]["corpora"]
        assert coffee["records"] == 500 and coffee["edges"]["with_key"] >= coffee["edges"]["by_doi"] > 0
        rows = [t for t in data["targets"] if t["benchmark"] == "import"]
        assert [t["met"] for t in rows] == [None, None] and "reported (no threshold)" in text
    # --render writes the same file again from the saved figures, measuring nothing
    again = tmp_path / "again.md"
    proc = subprocess.run([sys.executable, str(BENCH / "run.py"), "--render", str(raw), "--out", str(again)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    first, second = text.splitlines(), again.read_text(encoding="utf-8").splitlines()
    assert first[:2] == second[:2] and first[3:] == second[3:]  # the same but for the header's note
    assert second[2].startswith(first[2]) and "without measuring" in second[2]


def test_run_render_reports_unreadable_figures(tmp_path: Path) -> None:
    bad = tmp_path / "figures.json"
    bad.write_text("{not json", encoding="utf-8")
    for source in (bad, tmp_path / "missing.json"):
        proc = subprocess.run([sys.executable, str(BENCH / "run.py"), "--render", str(source), "--out",
                               str(tmp_path / "R.md")], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2 and "cannot read the saved figures" in proc.stderr
        assert not (tmp_path / "R.md").exists()


def test_run_rejects_an_unknown_benchmark(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(BENCH / "run.py"), "--only", "fetch,nope", "--out",
                           str(tmp_path / "r.md")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--only 'fetch,nope'" in proc.stderr
    assert not (tmp_path / "r.md").exists()


def test_run_reports_an_unwritable_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"  # a file where the output folder should be
    blocker.write_text("x")
    status = run.main(["--only", "fetch", "--shared", str(tmp_path / "none"), "--out", str(blocker / "r.md")])
    err = capsys.readouterr().err
    assert status == 2 and f"cannot write {str(blocker)!r}" in err
    assert "fetch: skipped (no recorded data at" in err  # no ../shared there: fetch cannot run


def test_run_merge_replaces_one_benchmark_and_keeps_the_rest(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "RESULTS.md"
    old = (BENCH / "RESULTS.md").read_text(encoding="utf-8")
    results.write_text(old, encoding="utf-8")
    for _ in range(2):  # merging again replaces what the first merge put in
        status = run.main(["--only", "import", "--merge", "--shared", str(tmp_path / "none"), "--out", str(results)])
        assert status == 0 and "import: skipped (no real exports at" in capsys.readouterr().err
    text = results.read_text(encoding="utf-8")
    headings = [ln for ln in text.splitlines() if ln.startswith("## ")]
    old_headings = [ln for ln in old.splitlines() if ln.startswith("## ")]
    import_heading = f"## {run.TITLES['import']}"
    assert import_heading in old_headings
    assert headings == old_headings  # replaced where it was: every section once, in the same order
    kept = [ln for block in run._blocks(old) if not block or block[0] != import_heading for ln in block
            if not ln.startswith(("| import |", "- **import**:"))]
    for line in kept:  # every other line of the old file is still there
        assert line in text, line
    assert text.count("| import | (all) | skipped: no real exports at") == 1
    assert text.count("- **import**: measured on ") == 1 and text.count(run.MERGE_NOTE) == 1
    assert "by `python bench/run.py --only import --merge`" in text
    assert text.split(import_heading)[1].count("Skipped: no real exports at") == 1


def test_run_merge_puts_target_rows_in_the_table() -> None:
    old = "\n".join(["# Benchmark results", "", "Written by `python bench/run.py` on 2026-11-22.", "",
                     "## Machine", "", "| | |", "|---|---|", "| CPU | Other CPU |", "", "## Targets", "",
                     "| benchmark | target | measured | verdict |", "|---|---|---|---|", "| fetch | a | 1 | met |",
                     "| import | old | 9 s | met |", "", "Why the missed targets are missed:", "", "- none", "",
                     "## Fetch", "", "fetch text", ""])
    mc = {**run.machine(), "cpu": "This CPU"}
    bench_mc = {"citegraph": "0.1.0", "head": "a" * 40, "cores": 2, "cpu": "This CPU", "python": "3.11.7",
                "sqlite": "3.40.1", "date": "2026-12-02"}
    fake = {"machine": bench_mc, "command": "python bench/importing.py", "params": {"files": None, "repeats": 3},
            "corpora": [], "targets": {"crispr": {"met": True, "miss": "", "measured": "5.0 s, 180 MB"}},
            "wall_s": 30.0}
    text = run.merge_markdown(old, {"import": fake}, mc, False, {"import": "python bench/importing.py"},
                              "python bench/run.py --only import --merge")
    lines = text.splitlines()
    table = lines[lines.index("| benchmark | target | measured | verdict |"):]
    assert table[2:4] == ["| fetch | a | 1 | met |", f"| import | {run.IMPORT_TARGET} | 5.0 s, 180 MB | met |"]
    assert table[4] == "" and "| import | old |" not in text and "- none" in text and "fetch text" in text
    assert "not the CPU of the machine table**, Other CPU" in text
    assert text.endswith("\n\n(Wall time of this benchmark: 30 s.)\n")
    assert text.index("## Fetch") < text.index(f"## {run.TITLES['import']}")


def test_run_merge_needs_a_results_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = run.main(["--only", "import", "--merge", "--out", str(tmp_path / "none.md")])
    assert status == 2 and "--merge: cannot read" in capsys.readouterr().err
    assert not (tmp_path / "none.md").exists()


def test_git_revision_reads_the_git_files(tmp_path: Path) -> None:
    git = tmp_path / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "refs" / "heads" / "main").write_text("a" * 40 + "\n")
    assert run.git_revision(tmp_path) == "a" * 40
    (git / "refs" / "heads" / "main").unlink()
    (git / "packed-refs").write_text("# pack-refs with: peeled\n" + "b" * 40 + " refs/heads/main\n")
    assert run.git_revision(tmp_path) == "b" * 40
    (git / "HEAD").write_text("c" * 40 + "\n")  # detached
    assert run.git_revision(tmp_path) == "c" * 40
    assert run.git_revision(tmp_path / "elsewhere") is None


# -- bench/profile_analyse.py -------------------------------------------------------------------


def test_profile_analyse_times_every_call_of_analyse(commonmeta_store: Path) -> None:
    proc = subprocess.run([sys.executable, str(BENCH / "profile_analyse.py"), str(commonmeta_store), "--cprofile",
                           "3"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = (re.match(r"(.+?)\s+(\d+\.\d\d) s( |$)", line) for line in proc.stdout.splitlines())
    timed = {m.group(1).strip(): float(m.group(2)) for m in found if m}
    for call in ("citation_graph", "fit_topics", "build_graph_with_arrays", "rank_works", "find_clusters",
                 "citation_bursts", "main_path_analysis", "coverage_report",
                 "cooccurrence_edges (in build_graph_with_arrays)", "_pair_arrays (in build_graph_with_arrays)",
                 "topic_graph", "analyse() end to end"):
        assert call in timed, call
    assert timed["build_graph_with_arrays"] <= timed["analyse() end to end"]
    assert "Ordered by: internal time" in proc.stdout  # cProfile's table


def test_profile_analyse_rejects_a_missing_store(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(BENCH / "profile_analyse.py"), str(tmp_path / "none.sqlite")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "no store at" in proc.stderr
