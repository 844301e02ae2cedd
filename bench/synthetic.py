"""SYNTHETIC citation graphs for benchmarks: Price's preferential-attachment model.

Everything this module makes is SYNTHETIC (random numbers, not bibliographic
data); node ids are ``"syn:000123"`` so a synthetic graph can never be
mistaken for a real one.

Price's model (D. J. de Solla Price, "A general theory of bibliometric and
other cumulative advantage processes", JASIS 27, 1976): papers arrive one at
a time, numbered 0, 1, 2, ...; paper ``t`` cites ``k_t`` distinct *earlier*
papers, each chosen with probability proportional to ``in_degree + a``
(in-degrees as they stood before paper ``t``). Here:

- ``k_t`` is drawn from a Poisson distribution of mean ``mean_refs``
  (``refs="poisson"``, the default: papers with 0 references occur, as they
  do in real data) or is exactly ``mean_refs`` (``refs="fixed"``); it is
  capped at ``t`` (paper ``t`` has only ``t`` earlier papers to cite), so the
  first ~``mean_refs`` papers cite everything before them.
- The ``k_t`` distinct targets are a successive sample: draw with
  replacement from the weights ``in_degree + a``, drop repeats, keep the
  first ``k_t`` distinct (the usual sequential sampling without
  replacement). A draw is the classic urn trick: with probability
  ``a * t / (a * t + E)`` (``E`` = citations made so far) a uniform paper in
  ``[0, t)``, otherwise the target of a uniform earlier citation, so no
  weight vector is ever rebuilt.
- Generation stops when the total number of references reaches
  ``n_references`` *exactly*: the last paper keeps only the first
  ``n_references - E`` of its distinct targets (still a valid successive
  sample). The number of papers is whatever that takes (about
  ``n_references / mean_refs``); papers that cite nothing and are never cited
  are still papers (rows/columns of the matrix).

The in-degree distribution has a power-law tail with exponent
``2 + a / mean_refs`` (2.05 for the defaults): a few early papers are cited
by a large fraction of all later ones, which is what makes bibliographic
coupling (pairs of papers sharing a reference) expensive.

Same ``seed`` -> identical arrays (``numpy.random.default_rng(seed)``).

Examples
--------
>>> citing, cited, n = price_graph(1000, mean_refs=5, seed=1)
>>> len(citing), bool((cited < citing).all())
(1000, True)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp

try:
    from citegraph.graphs.arrays import CitationMatrix
except ImportError:  # run from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from citegraph.graphs.arrays import CitationMatrix

__all__ = ["LABEL", "node_ids", "price_graph", "to_citation_matrix"]

LABEL = "SYNTHETIC (Price's model, de Solla Price 1976; not bibliographic data)"


def price_graph(
    n_references: int,
    *,
    mean_refs: int = 20,
    a: float = 1.0,
    seed: int = 0,
    refs: str = "poisson",
) -> tuple[np.ndarray, np.ndarray, int]:
    """A SYNTHETIC citation graph from Price's model with exactly ``n_references`` citations.

    Parameters
    ----------
    n_references : int
        Total number of (citing, cited) pairs to make; hit exactly.
    mean_refs : int
        Mean number of references per paper (before the cap at ``t``).
    a : float
        Initial attractiveness, ``> 0``: a paper's weight is ``in_degree + a``.
    seed : int
        Seed of ``numpy.random.default_rng``.
    refs : {"poisson", "fixed"}
        How many references each paper makes: Poisson(``mean_refs``) or exactly ``mean_refs``.

    Returns
    -------
    (citing, cited, n_papers)
        ``int64`` arrays of equal length ``n_references``, grouped by citing
        paper in arrival order, with ``cited < citing`` always and no pair
        twice; ``n_papers`` is the number of papers (ids ``0 .. n_papers-1``).
    """
    if n_references < 0:
        raise ValueError(f"n_references {n_references} must be >= 0")
    if mean_refs < 1:
        raise ValueError(f"mean_refs {mean_refs} must be >= 1")
    if not a > 0:
        raise ValueError(f"a {a} must be > 0")
    if refs not in ("poisson", "fixed"):
        raise ValueError(f"refs {refs!r} must be 'poisson' or 'fixed'")
    rng = np.random.default_rng(seed)
    citing = np.empty(n_references, dtype=np.int64)
    cited = np.empty(n_references, dtype=np.int64)
    made = 0  # E: citations made so far (= citations received so far)
    t = 0  # the paper arriving now
    # draw the reference counts in chunks (one RNG call per chunk, not per paper)
    counts = np.empty(0, dtype=np.int64)
    pos = 0
    while made < n_references:
        if pos == len(counts):
            chunk = max(1024, 2 * (n_references - made) // mean_refs + 16)
            counts = (rng.poisson(mean_refs, chunk) if refs == "poisson"
                      else np.full(chunk, mean_refs)).astype(np.int64)
            pos = 0
        k = min(int(counts[pos]), t, n_references - made)
        pos += 1
        if k > 0:
            if k == t:
                chosen = np.arange(t, dtype=np.int64)
            else:
                chosen = _successive_sample(rng, k, t, cited[:made], a)
            citing[made : made + k] = t
            cited[made : made + k] = chosen
            made += k
        t += 1
    return citing, cited, t


def _successive_sample(rng: np.random.Generator, k: int, t: int, received: np.ndarray, a: float) -> np.ndarray:
    """``k`` distinct papers in ``[0, t)``, drawn with weights ``in_degree + a`` without replacement."""
    e = len(received)
    p_uniform = a * t / (a * t + e)
    out = np.empty(0, dtype=np.int64)
    size = k + 8
    while True:
        uniform = rng.random(size) < p_uniform
        draws = np.where(uniform, rng.integers(0, t, size),
                         received[rng.integers(0, max(e, 1), size)] if e else 0)
        draws = np.concatenate([out, draws])
        _, first = np.unique(draws, return_index=True)
        first.sort()
        if len(first) >= k:
            return draws[first[:k]]
        out = draws[first]  # distinct so far, in draw order
        size = 2 * size


def node_ids(n: int) -> list[str]:
    """``"syn:000000"`` ... : zero-padded so string order is numeric order (as ``CitationMatrix`` wants)."""
    width = max(6, len(str(max(n - 1, 0))))
    return [f"syn:{i:0{width}d}" for i in range(n)]


def to_citation_matrix(citing: np.ndarray, cited: np.ndarray, n: int) -> CitationMatrix:
    """The SYNTHETIC graph as a :class:`~citegraph.graphs.CitationMatrix` (0/1 int32, ``n x n``), built from
    the arrays directly (no networkx)."""
    m = sp.csr_matrix((np.ones(len(citing), dtype=np.int32), (citing, cited)), shape=(n, n))
    m.sum_duplicates()
    m.data[:] = 1
    return CitationMatrix(m, node_ids(n))
