"""Co-citation and bibliographic coupling: who is cited together, who cites alike.

:func:`cocitation_graph` and :func:`coupling_graph` are undirected and
weighted, computed with scipy sparse matrix products in row blocks (never
pairwise Python loops, never a dense n x n matrix), with a raw ``count`` and a
``weight`` normalised by the caller's choice (:data:`NORMALISATIONS`), and
``min_count``/``min_weight``/``top_k`` to keep large graphs usable.
:func:`cocitation_pairs` and :func:`coupling_pairs` give the same links as
arrays (:class:`Pairs`), for a caller who does not need networkx (a graph
costs a Python dict per link: about 0.7 s of the 0.8 s co-citation of the
6,587 shared Crossref records takes, 442,695 links); :func:`cooccurrence_edges`
is the product itself, on any 0/1 incidence matrix.

Normalisations of a co-occurrence count ``c_ij`` of items ``i`` and ``j``
with occurrence totals ``s_i``, ``s_j`` among ``m`` documents:

``count``
    ``c_ij``.
``cosine`` (Salton)
    ``c_ij / sqrt(s_i * s_j)``.
``association`` (association strength, van Eck & Waltman 2009)
    ``m * c_ij / (s_i * s_j)``: observed over expected co-occurrences (1 =
    as often as chance predicts); van Eck & Waltman's measure without the
    constant ``m``.
``jaccard``
    ``c_ij / (s_i + s_j - c_ij)``.

For co-citation the items are cited works, ``s_i`` their citations within
the graph and ``m`` the number of citing works; for bibliographic coupling
the items are citing works, ``s_i`` their references within the graph and
``m`` the number of cited works.

Examples
--------
>>> G = nx.DiGraph([("a", "x"), ("a", "y"), ("b", "x"), ("b", "y"), ("c", "x")])
>>> co = cocitation_graph(G, normalise="cosine")
>>> co["x"]["y"]["count"], round(co["x"]["y"]["weight"], 4)
(2, 0.8165)
>>> cp = coupling_graph(G, normalise="jaccard")
>>> sorted((u, v, d["count"], d["weight"]) for u, v, d in cp.edges(data=True))
[('a', 'b', 2, 1.0), ('a', 'c', 1, 0.5), ('b', 'c', 1, 0.5)]
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp

from citegraph.errors import UsageError
from citegraph.graphs.arrays import CitationMatrix, citation_matrix
from citegraph.graphs.citation import _add_new_edges, citation_graph
from citegraph.store import Store

__all__ = ["NORMALISATIONS", "Pairs", "cocitation_graph", "cocitation_pairs", "cooccurrence_edges", "coupling_graph",
           "coupling_pairs"]

log = logging.getLogger(__name__)

NORMALISATIONS = ("count", "cosine", "association", "jaccard")


def _normalised(counts: np.ndarray, si: np.ndarray, sj: np.ndarray, m: int, method: str) -> np.ndarray:
    c = counts.astype(np.float64)
    if method == "count":
        return c
    if method == "cosine":
        return np.asarray(c / np.sqrt(si * sj), dtype=np.float64)
    if method == "association":
        return np.asarray(m * c / (si * sj), dtype=np.float64)
    if method == "jaccard":
        return np.asarray(c / (si + sj - c), dtype=np.float64)
    raise UsageError(f"normalisation {method!r} is not one of {', '.join(NORMALISATIONS)}")


def _blocks(work: np.ndarray, block: int, max_entries: int) -> list[tuple[int, int]]:
    """Row ranges of at most ``block`` rows whose product sizes (bounded by ``work``) sum to at most
    ``max_entries`` (a single row may exceed it)."""
    n = len(work)
    cum = np.cumsum(work)
    out: list[tuple[int, int]] = []
    start = 0
    while start < n:
        base = int(cum[start - 1]) if start else 0
        stop = int(np.searchsorted(cum, base + max_entries, side="right"))
        stop = min(max(stop, start + 1), start + block, n)
        out.append((start, stop))
        start = stop
    return out


def _heaviest_first(rows: np.ndarray, weights: np.ndarray, counts: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The order of entries by (row asc, weight desc, count desc, neighbour asc): ``np.lexsort`` of the four.

    One argsort of a single int64 key (each weight replaced by its rank among the distinct weights, which
    keeps equal weights equal) whenever the key's range fits, else the lexsort itself: at 10^5 references the
    key's two sorts take a third of the lexsort's time (four stable passes). Keys are distinct (a neighbour
    occurs once per row), so the order is the same.

    >>> w = np.array([0.5, 0.5, 0.9, 0.5])
    >>> _heaviest_first(np.array([1, 1, 1, 2]), w, np.array([2, 3, 1, 1]), np.array([7, 9, 8, 0])).tolist()
    [2, 1, 0, 3]
    """
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    _, rank = np.unique(-weights, return_inverse=True)  # 0: the heaviest; equal weights, equal ranks
    rank = rank.ravel().astype(np.int64)
    low = int(rows.min())
    n_rows, n_ranks = int(rows.max()) - low + 1, int(rank.max()) + 1
    n_counts, n_cols = int(counts.max()) + 1, int(cols.max()) + 1
    if n_rows * n_ranks * n_counts * n_cols >= 2**62 or int(counts.min()) < 0 or int(cols.min()) < 0:
        return np.lexsort((cols, -counts, -weights, rows))
    key = (rows.astype(np.int64) - low) * n_ranks + rank
    key *= n_counts
    key += n_counts - 1 - counts.astype(np.int64)
    key *= n_cols
    key += cols
    return np.argsort(key)


def _top_k_sorted(rows: np.ndarray, cols: np.ndarray, counts: np.ndarray, weights: np.ndarray,
                  top_k: int) -> tuple[np.ndarray, ...]:
    """Each row's ``top_k`` by (weight desc, count desc, neighbour asc); ``rows`` ascending, weights positive.

    Rows with at most ``top_k`` entries keep them all. For longer rows, one
    float sort by (row, weight desc) finds each row's ``top_k``-th weight to
    within about 1e-12 of the largest weight; only the entries at or above
    it (less a margin of 1e-9 of the largest weight) are then sorted by the
    full order. The result is in no particular order.
    """
    first = np.r_[0, np.flatnonzero(np.diff(rows)) + 1]
    lens = np.diff(np.r_[first, len(rows)])
    long = np.repeat(lens > top_k, lens)
    if not long.any():
        return rows, cols, counts, weights
    at = np.flatnonzero(long)
    r, w = rows[at], weights[at]
    scale = float(w.max())
    # rows differ by at least 1 and 0 < w / scale <= 1, so the key orders by row, then weight descending
    by_weight = np.argsort((r - r[0]) - 0.5 * (w / scale))
    group = np.r_[0, np.flatnonzero(np.diff(r)) + 1]  # long rows' starts (the sort keeps rows in place)
    kth = w[by_weight[group + top_k - 1]]
    near = at[w >= np.repeat(kth, np.diff(np.r_[group, len(r)])) - 1e-9 * scale]
    order = near[_heaviest_first(rows[near], weights[near], counts[near], cols[near])]
    o = rows[order]
    starts = np.r_[0, np.flatnonzero(np.diff(o)) + 1]
    rank = np.arange(len(o)) - np.repeat(starts, np.diff(np.r_[starts, len(o)]))
    keep = np.concatenate([np.flatnonzero(~long), order[rank < top_k]])
    return rows[keep], cols[keep], counts[keep], weights[keep]


def _block_edges(left: sp.csr_matrix, right: sp.csr_matrix, start: int, stop: int, totals: np.ndarray, m: int,
                 normalise: str, min_count: int, min_weight: float, top_k: int | None,
                 long_row: int) -> tuple[np.ndarray, ...] | None:
    """The filtered edges of rows ``start:stop``: short rows vectorised, long rows one by one."""
    prod = left[start:stop] @ right  # CSR, int32; row r is item start + r
    indptr, indices, data = prod.indptr, prod.indices, prod.data
    lens = np.diff(indptr)
    parts: list[tuple[np.ndarray, ...]] = []
    short = lens <= long_row if top_k is not None else np.ones(len(lens), dtype=bool)
    if short.any():
        sel = np.repeat(short, lens)
        rows = np.repeat(np.arange(start, stop, dtype=np.int64), lens)[sel]
        cols = indices[sel].astype(np.int64)
        counts = data[sel].astype(np.int64)
        keep = rows != cols
        if min_count > 1:
            keep &= counts >= min_count
        rows, cols, counts = rows[keep], cols[keep], counts[keep]
        weights = _normalised(counts, totals[rows], totals[cols], m, normalise)
        if min_weight > 0:
            keep = weights >= min_weight
            rows, cols, counts, weights = rows[keep], cols[keep], counts[keep], weights[keep]
        if top_k is not None and len(rows):
            rows, cols, counts, weights = _top_k_sorted(rows, cols, counts, weights, top_k)
        parts.append((rows, cols, counts, weights))
    for r in np.flatnonzero(~short):  # long rows: threshold by partition (linear), sort the few left
        assert top_k is not None  # rows are only long with top_k
        i = start + int(r)
        cols = indices[indptr[r] : indptr[r + 1]]
        counts = data[indptr[r] : indptr[r + 1]]
        keep = cols != i
        if min_count > 1:
            keep &= counts >= min_count
        if not keep.all():
            cols, counts = cols[keep], counts[keep]
        weights = _normalised(counts, totals[i], totals[cols], m, normalise)
        if min_weight > 0:
            keep = weights >= min_weight
            cols, counts, weights = cols[keep], counts[keep], weights[keep]
        if len(cols) > top_k:
            kth = np.partition(weights, len(weights) - top_k)[len(weights) - top_k]
            cand = np.flatnonzero(weights >= kth)  # the top_k are among these (ties at kth included)
            if len(cand) > top_k:
                cand = cand[np.lexsort((cols[cand], -counts[cand].astype(np.int64), -weights[cand]))[:top_k]]
            cols, counts, weights = cols[cand], counts[cand], weights[cand]
        parts.append((np.full(len(cols), i, dtype=np.int64), cols.astype(np.int64), counts.astype(np.int64),
                      weights))
    if not parts:
        return None
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(4))


#: Entries of one dense block's arrays (float32: 32 MB each); its rows are ``_DENSE_ENTRIES // n``.
_DENSE_ENTRIES = 1 << 23
#: Columns occurring in at least ``n / _HUB_SHARE`` rows go into the dense block by BLAS, the rest sparse.
_HUB_SHARE = 16
#: At most this many such columns (their dense copy is ``columns x n`` float32).
_MAX_HUBS = 256
#: A block goes dense when the hub columns' accumulations, which its BLAS product replaces, reach per entry
#: ``_DENSE_PASS + _DENSE_HUB * hubs``: what the dense passes and each hub column of the BLAS product cost,
#: in sparse accumulations (measured on SYNTHETIC Price graphs: about 2.6 ns an entry, 0.04 ns a
#: multiply-add, 9 ns a sparse accumulation with its selection).
_DENSE_PASS = 0.3
_DENSE_HUB = 0.004
#: Relative margin of the candidate threshold: float32 scores are within about 2e-7 of the exact weights.
_MARGIN = 1e-6


def _hub_columns(degree: np.ndarray, n: int) -> np.ndarray:
    """The columns occurring in at least ``n / _HUB_SHARE`` rows (the ``_MAX_HUBS`` most frequent), ascending.

    >>> _hub_columns(np.array([40, 1, 3, 20]), 320).tolist()
    [0, 3]
    """
    hubs = np.flatnonzero(degree * _HUB_SHARE >= max(n, 1))
    if len(hubs) > _MAX_HUBS:
        hubs = np.sort(hubs[np.argsort(-degree[hubs], kind="stable")[:_MAX_HUBS]])
    return hubs


def _dense_windows(left: sp.csr_matrix, totals: np.ndarray, hubs: np.ndarray, degree: np.ndarray, step: int,
                   top_k: int | None, dense: bool | None, normalise: str) -> np.ndarray:
    """Which windows of ``step`` rows take the dense path (one flag per window).

    Only with ``top_k`` and positive integer entries whose counts float32
    holds exactly (for ``jaccard``, 0/1 entries: larger ones make counts
    exceed the totals, and weights that do not fall with the other item's
    total); then ``dense`` itself, or by default the windows where
    the accumulations of the ``hubs`` columns reach ``_DENSE_PASS +
    _DENSE_HUB * len(hubs)`` per entry of the dense block.

    >>> inc = sp.csr_matrix(np.array([[1, 1], [1, 0], [1, 1], [0, 1]], dtype=np.int32))
    >>> tot, deg = np.array([2.0, 1, 2, 1]), np.array([3, 3])
    >>> _dense_windows(inc, tot, np.array([0]), deg, 2, 5, None, "cosine").tolist()
    [True, True]
    >>> _dense_windows(inc, tot, np.array([0]), deg, 2, None, None, "cosine").tolist(), _dense_windows(inc, tot,
    ...     np.array([], dtype=int), deg, 2, 5, None, "cosine").tolist(), _dense_windows(inc, tot,
    ...     np.array([], dtype=int), deg, 2, 5, True, "cosine").tolist()
    ([False, False], [False, False], [True, True])
    """
    n = left.shape[0]
    n_windows = -(-n // step)
    data = left.data
    if (top_k is None or dense is False or not n or not len(data) or int(data.min()) < 1
            or float(data.max()) * float(totals.max()) >= 2**24
            or (normalise == "jaccard" and int(data.max()) > 1)):  # counts above the totals: no jaccard order
        return np.zeros(n_windows, dtype=bool)
    if dense:
        return np.ones(n_windows, dtype=bool)
    if not len(hubs):
        return np.zeros(n_windows, dtype=bool)
    visits = np.asarray(left[:, hubs] @ degree[hubs].astype(np.float64), dtype=np.float64)
    starts = np.arange(0, n, step)
    per_window = np.add.reduceat(visits, starts)
    size = np.diff(np.r_[starts, n])
    return np.asarray(per_window >= (_DENSE_PASS + _DENSE_HUB * len(hubs)) * size * n)


class _DensePlan:
    """The dense path of :func:`cooccurrence_edges`: a block's counts as a dense array, pruned to candidates.

    The columns (documents) occurring in at least ``n / _HUB_SHARE`` rows
    (at most ``_MAX_HUBS``, the most frequent) are multiplied as dense
    float32 arrays (one BLAS product per block); the other columns by the
    sparse product, added in. Integers below 2^24 are exact in float32, so
    the counts are exact. Each row's score (``count``, and for the other
    normalisations a float32 function of the count and the other item's
    total that orders the row's entries as their weights do) bounds which
    entries can be among its ``top_k``: the ``top_k``-th largest of the
    maxima of ``chunk`` consecutive columns is at most the row's
    ``top_k``-th score, and an entry below it by more than the relative
    margin ``_MARGIN`` has an exact weight below ``top_k`` other entries'.
    """

    def __init__(self, left: sp.csr_matrix, right: sp.csr_matrix, hubs: np.ndarray, totals: np.ndarray, m: int,
                 normalise: str, min_count: int, top_k: int | None) -> None:
        assert top_k is not None
        n = left.shape[0]
        self.totals, self.m, self.normalise, self.min_count, self.top_k = totals, m, normalise, min_count, top_k
        # chunks: at least 8 * top_k of them (a tight bound), at most 256 columns each
        self.chunk = max(1, min(256, n // (8 * top_k)))
        self.width = -(-n // self.chunk) * self.chunk  # columns, padded to whole chunks
        self.hub_left = sp.csr_matrix(left[:, hubs], dtype=np.float32)
        self.hub_right = np.zeros((len(hubs), self.width), dtype=np.float32)
        self.hub_right[:, :n] = right[hubs].toarray()
        rest = np.ones(left.shape[1], dtype=np.float32)
        rest[hubs] = 0
        self.rest_left = sp.csr_matrix(left @ sp.diags(rest), dtype=np.float32)  # float32: added to the block as is
        self.rest_left.eliminate_zeros()
        self.rest_right = self.rest_left.T.tocsr()
        padded = np.zeros(self.width)
        padded[:n] = totals
        self.padded_totals = padded.astype(np.float32)
        with np.errstate(divide="ignore"):
            scale = {"cosine": 1 / np.sqrt(padded), "association": 1 / padded}.get(normalise)
        self.scale = None if scale is None else np.where(padded > 0, scale, 0).astype(np.float32)

    def _scores(self, counts: np.ndarray, start: int, stop: int) -> np.ndarray:
        """A float32 score per entry, ordering each row's entries as their weights, within 2e-7 relative."""
        if self.normalise == "count":
            return counts
        if self.scale is not None:  # cosine c / sqrt(s_j), association c / s_j (the row's factor aside)
            return np.asarray(np.multiply(counts, self.scale, dtype=np.float32))
        # jaccard c / (s_i + s_j - c): the denominator is an exact integer in float32
        denominator = self.padded_totals[start:stop, None] + self.padded_totals - counts
        out = np.zeros_like(counts)
        np.divide(counts, denominator, out=out, where=counts > 0)
        return out

    def edges(self, start: int, stop: int, min_weight: float) -> tuple[np.ndarray, ...] | None:
        """The filtered edges of rows ``start:stop`` (as :func:`_block_edges`)."""
        from scipy.linalg.blas import sgemm

        rows = stop - start
        rest = self.rest_left[start:stop] @ self.rest_right
        counts = sp.csr_matrix((rest.data, rest.indices, rest.indptr), shape=(rows, self.width)).toarray()
        if self.hub_right.shape[0]:  # counts += hubs' product, in place: counts.T is the Fortran-order (width, rows)
            counts = sgemm(1.0, self.hub_right.T, self.hub_left[start:stop].toarray().T, beta=1.0, c=counts.T,
                           overwrite_c=1).T
        local = np.arange(rows)
        counts[local, start + local] = 0  # no self-pairs
        if self.min_count > 1:
            counts[counts < self.min_count] = 0
        scores = self._scores(counts, start, stop)
        chunks = scores.reshape(rows, -1, self.chunk)
        best = chunks.max(axis=2)  # each chunk's largest score: an entry's, in distinct chunks
        k = self.top_k
        n_chunks = best.shape[1]
        bound = np.partition(best, n_chunks - k, axis=1)[:, n_chunks - k] if n_chunks > k \
            else np.zeros(rows, dtype=np.float32)
        threshold = np.maximum(bound.astype(np.float64) * (1 - _MARGIN), np.finfo(np.float32).tiny).astype(np.float32)
        hit_row, hit_chunk = np.nonzero(best >= threshold[:, None])
        cand_at, offset = np.nonzero(chunks[hit_row, hit_chunk] >= threshold[hit_row, None])
        r = hit_row[cand_at]
        c = hit_chunk[cand_at].astype(np.int64) * self.chunk + offset
        found = counts[r, c].astype(np.int64)
        r = r.astype(np.int64) + start
        weights = _normalised(found, self.totals[r], self.totals[c], self.m, self.normalise)
        if min_weight > 0:
            keep = weights >= min_weight
            r, c, found, weights = r[keep], c[keep], found[keep], weights[keep]
        if not len(r):
            return None
        return _top_k_sorted(r, c, found, weights, k)


def _usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _check_pair_options(normalise: str, min_count: int, top_k: int | None) -> None:
    if normalise not in NORMALISATIONS:
        raise UsageError(f"normalisation {normalise!r} is not one of {', '.join(NORMALISATIONS)}")
    if top_k is not None and top_k < 1:
        raise UsageError(f"top_k {top_k} must be at least 1 (or unset)")
    if min_count < 1:
        raise UsageError(f"min_count {min_count} must be at least 1")


def cooccurrence_edges(
    left: sp.csr_matrix,
    *,
    normalise: str = "count",
    min_count: int = 1,
    min_weight: float = 0.0,
    top_k: int | None = None,
    block: int = 4096,
    max_block_entries: int = 1 << 20,
    workers: int | None = None,
    long_row: int | None = None,
    dense: bool | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Co-occurrence edges of the rows of a 0/1 incidence matrix.

    Rows are items, columns the documents they occur in; the count of a pair
    is the number of columns where both occur (``left @ left.T``). The
    product is computed in row blocks sized by the size of their product (at
    most ``block`` rows and about ``max_block_entries`` entries, so a few
    heavily cited works cannot blow up memory), each block filtered before
    the next, on ``workers`` threads (default: the usable cores; scipy's
    sparse product releases the GIL) when the product is large (above about
    four blocks' worth of entries). Rows longer than ``long_row`` (default
    ``max(256, 16 * top_k)``) pick their top ``top_k`` by partition (linear)
    instead of sorting.

    With ``top_k``, blocks of rows whose sparse product is dominated by
    columns occurring in at least ``n / 16`` rows (on heavy-tailed graphs,
    the works citing the references cited by thousands) take a dense path
    instead (``dense=None``: chosen by cost, see :func:`_dense_windows`;
    ``True``/``False``: every block or none): each block gets its counts
    as a dense array, those columns' part by one float32 matrix product
    (BLAS) and the rest by the sparse product, and keeps as
    candidates only the entries whose weight can reach the row's
    ``top_k``-th (a lower bound from the maxima of column chunks, less a
    relative margin of 1e-6 that float32 rounding, at most about 2e-7,
    cannot cross); the candidates then go through the same exact selection.
    Blocks, threads, thresholds and the dense path change the cost, never
    the answer.

    Returns
    -------
    (i, j, count, weight)
        Arrays with ``i < j``, sorted by (i, j). ``top_k`` keeps, for every
        item, its ``top_k`` heaviest edges (by weight, then count, then
        neighbour); an edge survives when either end keeps it.

    Examples
    --------
    >>> inc = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 1], [0, 0, 1]]))
    >>> i, j, c, w = cooccurrence_edges(inc, normalise="cosine")
    >>> i.tolist(), j.tolist(), c.tolist(), np.round(w, 4).tolist()
    ([0, 1], [1, 2], [2, 1], [0.8165, 0.5774])
    """
    _check_pair_options(normalise, min_count, top_k)
    left = sp.csr_matrix(left, dtype=np.int32)
    right = left.T.tocsr()
    totals = np.asarray(left.sum(axis=1, dtype=np.int64)).ravel().astype(np.float64)
    m = int(np.count_nonzero(np.asarray(left.sum(axis=0)).ravel()))
    n = left.shape[0]
    degree = np.diff(right.indptr).astype(np.int64)
    work = np.minimum(left @ degree, n)  # >= each row's product size
    long_row = max(256, 16 * (top_k or 0)) if long_row is None else long_row
    workers = workers or _usable_cores()
    step = max(1, min(block, _DENSE_ENTRIES // max(n, 1)))  # rows per dense block
    hubs = _hub_columns(degree, n)
    windows = _dense_windows(left, totals, hubs, degree, step, top_k, dense, normalise)
    plan = _DensePlan(left, right, hubs, totals, m, normalise, min_count, top_k) if windows.any() else None
    bounds: list[tuple[int, int, bool]] = []
    start = 0
    for win in [*np.flatnonzero(windows).tolist(), len(windows)]:  # sparse runs between the dense windows
        if win * step > start:
            stop = min(win * step, n)
            bounds += [(start + a, start + b, False) for a, b in _blocks(work[start:stop], block, max_block_entries)]
        if win < len(windows):
            bounds.append((win * step, min(win * step + step, n), True))
        start = min(win * step + step, n)

    def one(b: tuple[int, int, bool]) -> tuple[np.ndarray, ...] | None:
        if b[2]:
            assert plan is not None
            return plan.edges(b[0], b[1], min_weight)
        return _block_edges(left, right, b[0], b[1], totals, m, normalise, min_count, min_weight, top_k, long_row)

    if workers > 1 and len(bounds) > 1 and int(work.sum()) > 4 * max_block_entries:  # small: threads cost more
        with ThreadPoolExecutor(workers) as pool:
            results = [r for r in pool.map(one, bounds) if r is not None]
    else:
        results = [r for r in map(one, bounds) if r is not None]
    if not results:
        empty = np.array([], dtype=np.int64)
        return empty, empty, empty, np.array([], dtype=np.float64)
    i, j, c, w = (np.concatenate([r[k] for r in results]) for k in range(4))
    key = np.minimum(i, j) * n + np.maximum(i, j)  # n^2 < 2^63 for any graph that fits in memory
    key, first = np.unique(key, return_index=True)  # sorted by (lo, hi); a pair kept by both ends: once
    return key // n, key % n, c[first], w[first]


def _as_matrix(source: Store | nx.DiGraph | CitationMatrix) -> tuple[CitationMatrix, nx.DiGraph | None]:
    if isinstance(source, CitationMatrix):
        return source, None
    if isinstance(source, Store):
        source = citation_graph(source)
    return citation_matrix(source), source


@dataclass(frozen=True, eq=False)
class Pairs:
    """Co-citation or coupling links as arrays: what :func:`cocitation_graph` and :func:`coupling_graph` hold.

    Link ``e`` joins ``nodes[i[e]]`` and ``nodes[j[e]]`` (``i[e] < j[e]``;
    sorted by ``(i, j)``, each pair once) with ``count[e]`` shared citers
    (co-citation) or references (coupling) and ``weight[e]``, the count
    normalised by ``normalise`` (not rounded; the graphs round it to 6
    decimals). ``nodes`` are the citation graph's node keys, sorted;
    ``members`` says which of them are nodes of the graph (cited at least
    once for co-citation, citing at least once for coupling), linked or not.

    Examples
    --------
    >>> p = cocitation_pairs(nx.DiGraph([("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")]), normalise="cosine")
    >>> [(p.nodes[a], p.nodes[b]) for a, b in zip(p.i.tolist(), p.j.tolist())], p.count.tolist(), p.weight.tolist()
    ([('x', 'y')], [2], [1.0])
    >>> len(p), [n for n, m in zip(p.nodes, p.members) if m]
    (1, ['x', 'y'])
    """

    kind: str
    normalise: str
    nodes: list[Any]
    i: np.ndarray
    j: np.ndarray
    count: np.ndarray
    weight: np.ndarray
    members: np.ndarray

    def __len__(self) -> int:
        return len(self.i)


def cocitation_pairs(source: Store | nx.DiGraph | CitationMatrix, *, normalise: str = "count", min_count: int = 1,
                     min_weight: float = 0.0, top_k: int | None = None, block: int = 4096) -> Pairs:
    """The links of :func:`cocitation_graph` (same arguments) as :class:`Pairs`, without building the graph."""
    return _cocitation(_as_matrix(source)[0], normalise, min_count, min_weight, top_k, block)


def coupling_pairs(source: Store | nx.DiGraph | CitationMatrix, *, normalise: str = "count", min_count: int = 1,
                   min_weight: float = 0.0, top_k: int | None = None, block: int = 4096) -> Pairs:
    """The links of :func:`coupling_graph` (same arguments) as :class:`Pairs`, without building the graph.

    Examples
    --------
    >>> p = coupling_pairs(nx.DiGraph([("a", "x"), ("a", "y"), ("b", "x"), ("c", "z")]))
    >>> [(p.nodes[a], p.nodes[b], c) for a, b, c in zip(p.i.tolist(), p.j.tolist(), p.count.tolist())]
    [('a', 'b', 1)]
    >>> int(p.members.sum())  # a, b and c cite something
    3
    """
    return _coupling(_as_matrix(source)[0], normalise, min_count, min_weight, top_k, block)


def _cocitation(cm: CitationMatrix, normalise: str, min_count: int, min_weight: float, top_k: int | None,
                block: int) -> Pairs:
    incidence = cm.matrix.T.tocsr()  # rows: cited works, columns: citing works
    i, j, c, w = cooccurrence_edges(incidence, normalise=normalise, min_count=min_count, min_weight=min_weight,
                                    top_k=top_k, block=block)
    cited = np.asarray(cm.matrix.sum(axis=0)).ravel() > 0
    return Pairs("cocitation", normalise, cm.nodes, i, j, c, w, cited)


def _coupling(cm: CitationMatrix, normalise: str, min_count: int, min_weight: float, top_k: int | None,
              block: int) -> Pairs:
    i, j, c, w = cooccurrence_edges(cm.matrix.tocsr(), normalise=normalise, min_count=min_count,
                                    min_weight=min_weight, top_k=top_k, block=block)
    citing = np.asarray(cm.matrix.sum(axis=1)).ravel() > 0
    return Pairs("coupling", normalise, cm.nodes, i, j, c, w, citing)


def _pair_graph(graph: nx.DiGraph | None, pairs: Pairs) -> nx.Graph:
    i, j, c, w, kind = pairs.i, pairs.j, pairs.count, pairs.weight, pairs.kind
    G = nx.Graph(kind=kind, normalise=pairs.normalise)
    nodes = pairs.nodes
    G.add_nodes_from((nodes[k], dict(graph.nodes[nodes[k]]) if graph is not None else {})
                     for k in np.flatnonzero(pairs.members).tolist())
    # each pair once (cooccurrence_edges): the adjacency written directly, as add_edges_from would
    _add_new_edges(G, ((nodes[a], nodes[b], {"count": count, "weight": weight, "kind": kind})
                       for a, b, count, weight in zip(i.tolist(), j.tolist(), c.tolist(), np.round(w, 6).tolist(),
                                                      strict=True)))
    return G


def cocitation_graph(
    source: Store | nx.DiGraph | CitationMatrix,
    *,
    normalise: str = "count",
    min_count: int = 1,
    min_weight: float = 0.0,
    top_k: int | None = None,
    block: int = 4096,
) -> nx.Graph:
    """Co-citation: two works are linked by the number of works citing both.

    Nodes are the works cited at least once (with the citation graph's
    attributes); edges carry ``count``, ``weight`` (see
    :data:`NORMALISATIONS`) and ``kind="cocitation"``. ``min_count`` and
    ``min_weight`` drop weak pairs, ``top_k`` keeps each work's strongest
    links (see :func:`cooccurrence_edges`).
    """
    cm, graph = _as_matrix(source)
    return _pair_graph(graph, _cocitation(cm, normalise, min_count, min_weight, top_k, block))


def coupling_graph(
    source: Store | nx.DiGraph | CitationMatrix,
    *,
    normalise: str = "count",
    min_count: int = 1,
    min_weight: float = 0.0,
    top_k: int | None = None,
    block: int = 4096,
) -> nx.Graph:
    """Bibliographic coupling: two works are linked by the number of references they share.

    Nodes are the works citing at least one other; edges as in
    :func:`cocitation_graph`, with ``kind="coupling"``.
    """
    cm, graph = _as_matrix(source)
    return _pair_graph(graph, _coupling(cm, normalise, min_count, min_weight, top_k, block))
