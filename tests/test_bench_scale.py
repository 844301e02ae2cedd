"""The whole-snapshot benchmark (bench/scale.py) at a smoke size: its figures and its checks.

One SYNTHETIC Price-model snapshot (de Solla Price 1976; not bibliographic data) of 20,000 references,
ingested and analysed as the benchmark does at 10^8: the pipeline runs ``analyse_dataset`` with the clusters
in a second process (forced here: ``CLUSTERS_BESIDE_ABOVE`` is far above this size, so the benchmark's
option is what makes it fork), and the in-memory path on a store of the same files must agree.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("duckdb", reason="the snapshot benchmark needs duckdb")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("scale")
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "scale.py"), "--sizes", "2e4", "--files", "2",
                           "--work", str(work), "--workers", "2", "--check-in-memory-up-to", "2e4",
                           "--memory-trace", str(work / "trace.tsv"), "--json", str(work / "out.json"),
                           "--md", str(work / "out.md")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads((work / "out.json").read_text(encoding="utf-8"))
    out["md"] = (work / "out.md").read_text(encoding="utf-8")
    out["trace"] = [line.split("\t") for line in (work / "trace.tsv").read_text(encoding="utf-8").splitlines()]
    return out


def test_the_smoke_run_equals_the_in_memory_path(smoke: dict) -> None:
    (run,) = smoke["results"]
    assert "SYNTHETIC" in smoke["label"] and run["size"] == 20000 and run["refs"] == 20000
    assert run["in_memory"] == {"nodes_equal": True, "local_equal": True, "components_equal": True,
                                "clusters_equal": True, "pagerank_max_diff": pytest.approx(0, abs=1e-9)}
    assert run["pagerank_sql_vs_arrays_max_diff"] < 1e-12 and run["components_same"] is True
    assert run["lanes"] is True  # the clusters came from the second process
    assert run["clusters"] >= 1 and run["clusters_largest"] == sorted(run["clusters_largest"], reverse=True)


def test_the_pipeline_counts_analyse_dataset_once_and_shows_its_steps(smoke: dict) -> None:
    (run,) = smoke["results"]
    names = [s["stage"] for s in run["stages"]]
    assert names[:3] == ["write snapshot", "ingest", "open (records, edges, node ids)"]
    assert names[3] == "analyse_dataset (clusters beside the SQL steps)"
    steps = [s for s in run["stages"] if s.get("within")]
    assert {s["stage"] for s in steps} >= {"- link arrays", "- citation counts", "- rpys", "- pagerank",
                                           "- components", "- clusters", "- clusters (second process)"}
    whole = {s["stage"]: s["seconds"] for s in run["stages"]}
    counted = whole["ingest"] + whole["open (records, edges, node ids)"] + whole[names[3]]
    assert f"| pipeline (ingest to clusters) | {round(counted, 1):,.2f} |" in smoke["md"]
    assert all(s["peak_pss_mb"] > 0 for s in run["stages"])


def test_the_memory_trace_has_both_processes_by_stage(smoke: dict) -> None:
    rows = smoke["trace"]
    assert rows and all(len(r) == 5 for r in rows)
    seconds = [float(r[0]) for r in rows]
    assert seconds == sorted(seconds)
    assert all(abs(int(r[1]) + int(r[2]) - int(r[3])) <= 1 for r in rows)  # MiB each, rounded down
    assert {r[4] for r in rows} >= {"ingest", "analyse_dataset (clusters beside the SQL steps)"}
    (run,) = smoke["results"]
    assert max(int(r[3]) for r in rows) <= max(s["peak_pss_mb"] for s in run["stages"]) + 1
