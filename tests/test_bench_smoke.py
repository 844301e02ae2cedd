"""Small runs of the fetch and import benchmarks, so bench/fetch.py and bench/importing.py cannot rot."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_fetch_benchmark_smoke(shared_dir: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "bench" / "fetch.py"), "--shared", str(shared_dir), "--seeds", "20",
         "--baseline-sample", "5", "--latency", "0.02", "--json"],
        capture_output=True, text=True, check=True, timeout=120,
    )
    result = json.loads(out.stdout)
    assert result["seeds"] == 20
    assert result["cold"]["levels"][0] == [0, 20, 20, 0]
    assert result["warm"]["requests"] == 0
    assert result["cold"]["throttled"] == 0 and result["cold"]["peak_concurrency"] <= 3
    assert result["request_ratio"] >= 20
    assert result["baseline"]["requests"] == 5


def test_import_benchmark_smoke(shared_dir: Path) -> None:
    """bench/importing.py on the first file of the real coffee/obesity WoS export, one repeat."""
    if not (shared_dir / "corpora" / "coffee-obesity-wos").is_dir():
        pytest.skip("../shared/corpora/coffee-obesity-wos not found: the real WoS export is needed")
    out = subprocess.run(
        [sys.executable, str(REPO / "bench" / "importing.py"), "--shared", str(shared_dir), "--corpora", "coffee",
         "--files", "1", "--repeats", "1", "--no-peer", "--json"],
        capture_output=True, text=True, check=True, timeout=120,
    )
    result = json.loads(out.stdout)
    (entry,) = result["corpora"]
    assert entry["name"] == "coffee" and entry["files"] == ["data_1_500.txt"]
    assert entry["records"] == entry["stored"] == 500 and entry["references"] > 20_000
    for kind in ("cli", "library", "parse"):
        x = entry[kind]
        assert x["finished"] and 0 < x["min_s"] <= x["median_s"] <= x["max_s"] and x["peak_rss_mb"] > 0, kind
    lib = entry["library"]
    assert lib["median_read_s"] > 0 and lib["median_match_s"] > 0 and lib["median_store_s"] > 0
    assert entry["cli_same_counts"]  # the command and the library call imported the same
    m = entry["report"]["matching"]
    assert m["references"] == entry["references"] and 0 < m["by_doi"] <= m["with_doi"] <= m["references"]
    edges = entry["edges"]
    assert 0 < edges["by_doi"] <= edges["with_key"] == edges["by_doi"] + edges["key_only"]
    assert entry["parse"]["runs"][0]["records"] == 500
    assert result["targets"] == {}  # judged only on the whole CRISPR export
    spec = importlib.util.spec_from_file_location("bench_importing", REPO / "bench" / "importing.py")
    assert spec is not None and spec.loader is not None
    importing = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(importing)
    text = importing.markdown(result)  # the section renders from these figures
    assert "| coffee/obesity, WoS plain text | 500 |" in text and "by DOI alone" in text


def test_import_benchmark_skips_without_the_corpora(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "bench" / "importing.py"), "--shared", str(tmp_path), "--json"],
        capture_output=True, text=True, check=True, timeout=60,
    )
    result = json.loads(out.stdout)
    assert result["skipped"].startswith("no corpora at") and result["corpora"] == []
    bad = subprocess.run([sys.executable, str(REPO / "bench" / "importing.py"), "--corpora", "nope"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--corpora 'nope'" in bad.stderr


def test_sources_benchmark_smoke(shared_dir: Path) -> None:
    """bench/sources.py on the two seeds of the recorded OpenAlex snowball."""
    if not (shared_dir / "openalex").is_dir():
        pytest.skip("../shared/openalex not found: the recorded OpenAlex data is needed")
    out = subprocess.run([sys.executable, str(REPO / "bench" / "sources.py"), "--shared", str(shared_dir), "--quick",
                          "--json"], capture_output=True, text=True, check=True, timeout=120)
    result = json.loads(out.stdout)
    o, m = result["openalex"], result["merged"]
    least = sum(o["minimum"][k] for k in ("seeds_by_doi", "citing", "references_by_id"))
    assert o["minimum"]["seeds_found"] == 2 and o["requests"] == o["list_calls"] <= 1.2 * least
    assert o["warm_requests"] == o["warm_server_requests"] == 0
    assert m["holds_each_alone"] and m["warm_server_requests"] == 0
    assert m["merged"]["edge_count"] >= max(m["crossref"]["edge_count"], m["openalex"]["edge_count"]) > 0


def test_startup_benchmark_smoke(shared_dir: Path) -> None:
    """bench/startup.py with one repeat, status on a store of the first coffee/obesity file, no analysis imports."""
    if not (shared_dir / "corpora" / "coffee-obesity-wos").is_dir():
        pytest.skip("../shared/corpora/coffee-obesity-wos not found: the real WoS export is needed")
    out = subprocess.run(
        [sys.executable, str(REPO / "bench" / "startup.py"), "--shared", str(shared_dir), "--corpora", "coffee",
         "--files", "1", "--repeats", "1", "--no-analysis", "--json"],
        capture_output=True, text=True, check=True, timeout=300,
    )
    result = json.loads(out.stdout)
    by = {c["name"]: c for c in result["cases"]}
    assert list(by) == ["python", "import citegraph", "--help", "fetch --help", "status (coffee)"]
    for case in by.values():
        assert case["finished"] and case["median_s"] > 0 and case["peak_rss_mb"] > 0, case
        assert case["loaded"] is not None and not set(case["loaded"]) & {"matplotlib", "sklearn", "igraph"}, case
    assert result["stores"]["coffee"]["works"] == 500
    assert "help" in result["targets"] and "status" not in result["targets"]  # judged only on whole exports
    spec = importlib.util.spec_from_file_location("bench_startup", REPO / "bench" / "startup.py")
    assert spec is not None and spec.loader is not None
    startup = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(startup)
    text = startup.markdown(result)  # the section renders from these figures
    assert "| `citegraph --help` (--help) |" in text and "Target `citegraph --help`" in text
