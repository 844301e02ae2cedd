"""A small run of the fetch benchmark, so bench/fetch.py cannot rot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
