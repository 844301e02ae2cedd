"""The peers benchmark (bench/peers.py): its smoke size, citegraph against litstudy, python-igraph and the loop."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]


def _load(name: str) -> ModuleType:
    sys.path.insert(0, str(REPO / "bench"))  # bench/peers.py imports its neighbours (graphs, synthetic)
    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


peers = _load("peers")


@pytest.fixture(scope="module")
def smoke() -> dict[str, Any]:
    """``bench/peers.py --smoke --json``: 2,000 SYNTHETIC references, one repeat, run once for the module."""
    out = subprocess.run([sys.executable, str(REPO / "bench" / "peers.py"), "--smoke", "--json"],
                         capture_output=True, text=True, check=True, timeout=180)
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def test_peers_smoke_rows_and_agreement(smoke: dict[str, Any]) -> None:
    assert "SYNTHETIC" in smoke["label"] and smoke["params"]["smoke"]
    (entry,) = smoke["datasets"]
    assert entry["synthetic"] and entry["n_references"] == 2000
    assert entry["data"]["links"] == 2000 and entry["data"]["works"] == entry["data"]["nodes"] > 0
    rows = {r["op"]: r for r in smoke["ratios"]}
    assert set(rows) == set(peers.OPS)  # one row per operation
    for op, row in rows.items():
        assert row["citegraph_finished"] and row["citegraph_s"] > 0, op
        if all(v is None for v in row["peers"].values()):  # litstudy alone, and not importable here
            assert op == "citation" and smoke["litstudy_version"] is None and row["ratio"] is row["met"] is None
            continue
        assert row["ratio"] is not None and row["ratio"] > 0 and row["met"] in (True, False)
    # the pairwise loop and igraph ran in the main venv: their results agree with citegraph's
    for op in ("cocitation", "coupling"):
        assert rows[op]["agree"]["loop"] is True, op
        loop = entry[op]["agreement"]["loop"]
        assert loop["only_citegraph"] == loop["only_peer"] == loop["weights_differ"] == 0 and loop["common"] > 0
        assert entry[op]["top_k"] is None  # every pair at this size
    for op in ("pagerank", "betweenness"):
        assert rows[op]["agree"]["igraph"] is True, op
        assert entry[op]["igraph"]["max_abs_diff"] <= 1e-6
        assert 0 < rows[op]["peers"]["igraph call alone"] <= rows[op]["peers"]["igraph"]
    assert entry["betweenness"]["igraph"]["exact"]  # 107 nodes: exact betweenness
    targets = {t["target"].split(":")[0] for t in smoke["targets"]}
    assert set(peers.OPS) <= targets
    text = peers.markdown(smoke)
    assert "| SYNTHETIC 2,000 |" in text and "Targets (issue 20)" in text


def test_peers_smoke_litstudy(smoke: dict[str, Any]) -> None:
    """litstudy 1.0.6 from its own venv: on SYNTHETIC Crossref records it builds the same three graphs."""
    if smoke["litstudy_version"] is None:
        pytest.skip("litstudy is not importable (make .venv-peers or set BENCH_PEER_PYTHON: see bench/peers.py)")
    (entry,) = smoke["datasets"]
    assert smoke["litstudy_version"] == "1.0.6"
    for op in ("citation", "cocitation", "coupling"):
        agreement = entry[op]["agreement"]["litstudy"]
        assert entry[op]["litstudy"]["finished"], op
        # every SYNTHETIC work is stored, DOIs are lower case and no reference is listed twice: litstudy agrees,
        # its coupling numbering slip included (no reference lies outside the set)
        assert agreement["agree"] and agreement["common"] == agreement["citegraph_edges"] > 0, (op, agreement)
    data = entry["data"]
    assert data["matched_ignoring_case_only"] == data["duplicate_refs"] == 0
    assert data["matched_exact"] == data["ref_dois"] == 2000


def test_each_peer_is_judged_like_for_like() -> None:
    """The loop against citegraph's links as arrays, litstudy against its networkx graph; the row's ratio is the
    largest (hand-made figures, not a measurement)."""
    entry = {"label": "crispr", "synthetic": False, "ops": ["cocitation", "citation"],
             "cocitation-stored": {"citegraph": {"finished": True, "median_s": 0.010, "arrays_median_s": 0.002},
                                   "litstudy": {"finished": True, "median_s": 0.100},
                                   "loop": {"finished": True, "median_s": 0.005}},
             "citation": {"citegraph": {"finished": True, "median_s": 2.0}},
             "citation-stored": {"citegraph": {"finished": True, "median_s": 0.03},
                                 "litstudy": {"finished": True, "median_s": 0.12}},
             "cocitation": {"citegraph": {"finished": True, "median_s": 1.0, "arrays_median_s": 0.1},
                            "loop": {"finished": True, "median_s": 0.5}}}
    rows = {r["op"]: r for r in peers.ratios({"datasets": [entry]})}
    assert set(rows) == {"citation", "citation-stored", "cocitation", "cocitation-stored"}
    stored = rows["cocitation-stored"]
    assert stored["fastest"] == "loop" and stored["like_for_like"] == "arrays"
    assert abs(stored["ratio"] - 0.4) < 1e-12 and stored["met"]  # 0.002 / 0.005 (litstudy: 0.010 / 0.100)
    assert rows["cocitation"]["ratio"] == 0.2 and rows["cocitation"]["like_for_like"] == "arrays"
    assert rows["citation-stored"]["fastest"] == "litstudy" and rows["citation-stored"]["ratio"] == 0.25
    assert rows["citation"]["ratio"] is None and peers.peers_of("citation", False) == ()  # no peer at this scope
    assert peers.peers_of("citation", True) == ("litstudy",)  # SYNTHETIC stores hold every work: one scope
