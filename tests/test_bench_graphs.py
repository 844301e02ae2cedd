"""The graph benchmark (bench/graphs.py) and its SYNTHETIC graph generator (bench/synthetic.py)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from citegraph.graphs.arrays import citation_matrix

REPO = Path(__file__).resolve().parents[1]


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


synthetic = _load("synthetic")


def test_graph_benchmark_smoke() -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "bench" / "graphs.py"), "--sizes", "2000", "--repeats", "1", "--json"],
        capture_output=True, text=True, check=True, timeout=120,
    )
    result = json.loads(out.stdout)
    assert "SYNTHETIC" in result["label"]
    assert {"machine", "command", "params", "sizes", "check", "exponent", "targets"} <= set(result)
    (entry,) = result["sizes"]
    assert entry["n_references"] == 2000 and entry["generate"]["references"] == 2000
    assert entry["papers"] == entry["generate"]["papers"] > 0
    for kind in ("cocitation", "coupling"):
        sparse, loop = entry[kind], entry[f"{kind}_loop"]
        assert sparse["finished"] and loop["finished"]
        for key in ("median_s", "min_s", "max_s", "peak_rss_mb", "rss_increase_mb", "edges"):
            assert key in sparse
        assert sparse["edges"] > 0 and loop["edges_equal"] and loop["speedup"] > 0
        check = result["check"][kind]
        assert check["agree"], check
        assert check["loop_pairs"] == check["sparse_pairs"] > 0
        assert check["top_k_edges_equal"] and check["sparse_top_k_edges"] == sparse["edges"]
        assert set(result["exponent"][kind]) >= {"fit", "sizes", "steps", "pair_occurrences_fit"}
    assert result["targets"] == {}  # only judged at 10^6 references


@pytest.mark.parametrize("n_refs", [0, 1, 7, 1000, 12_345])
@pytest.mark.parametrize("refs", ["poisson", "fixed"])
def test_price_graph_is_a_valid_citation_graph(n_refs: int, refs: str) -> None:
    citing, cited, n = synthetic.price_graph(n_refs, mean_refs=10, seed=4, refs=refs)
    assert len(citing) == len(cited) == n_refs  # exactly the references asked for
    assert citing.dtype == cited.dtype == np.int64
    if n_refs == 0:
        assert n == 0
        return
    assert (cited < citing).all()  # only earlier papers, so no self-citation
    assert (cited >= 0).all() and n == citing[-1] + 1  # the last paper is the one that reached n_refs
    assert (np.diff(citing) >= 0).all()  # papers arrive in order
    assert len(np.unique(citing * n + cited)) == n_refs  # no (citing, cited) pair twice
    if refs == "fixed":  # min(mean_refs, t) each, except the last paper, cut to hit n_refs exactly
        per_paper = np.bincount(citing, minlength=n)
        t = np.arange(n)
        assert (per_paper[:-1] == np.minimum(10, t[:-1])).all()
        assert 1 <= per_paper[-1] <= min(10, n - 1)


def test_price_graph_is_deterministic_per_seed() -> None:
    a = synthetic.price_graph(20_000, seed=7)
    b = synthetic.price_graph(20_000, seed=7)
    c = synthetic.price_graph(20_000, seed=8)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2] == b[2]
    assert not (len(a[1]) == len(c[1]) and np.array_equal(a[1], c[1]))


def test_price_graph_attachment_is_preferential() -> None:
    _, cited, n = synthetic.price_graph(50_000, seed=1)
    indeg = np.bincount(cited, minlength=n)
    # cumulative advantage: the oldest tenth of the papers collects far more than its share (~10 %)
    assert indeg[: n // 10].sum() > 0.4 * len(cited)
    assert indeg.max() > 20 * indeg.mean()


def test_to_citation_matrix_matches_the_library() -> None:
    citing, cited, n = synthetic.price_graph(3000, mean_refs=8, seed=2)
    cm = synthetic.to_citation_matrix(citing, cited, n)
    assert cm.matrix.shape == (n, n) and cm.matrix.nnz == 3000
    assert cm.nodes[0] == "syn:000000" and cm.nodes == sorted(cm.nodes) and len(cm.nodes) == n
    ref = citation_matrix([(cm.nodes[a], cm.nodes[b]) for a, b in zip(citing, cited, strict=True)])
    # the library's matrix holds only the papers with an edge; compare on those
    keep = [cm.index[x] for x in ref.nodes]
    assert (cm.matrix[keep][:, keep] != ref.matrix).nnz == 0
