"""Citation bursts (Kleinberg 2002): the years in which a work drew an unusual share of the citing works.

:func:`kleinberg_states` runs the batched two-state automaton on one series
of counts, :func:`burst_strength` weighs a burst, and :func:`citation_bursts`
finds, for every cited work, the years in which the share of that year's
works citing it was unusually high (the "citation bursts" of CiteSpace). All
works are run at once, on arrays, with the arithmetic of the scalar
functions: the states and strengths are theirs, bit for bit.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
from numpy.typing import NDArray

from citegraph.errors import UsageError
from citegraph.graphs.arrays import GraphArrays
from citegraph.store.records import plausible_years

__all__ = ["BURST_TOTALS", "Burst", "burst_strength", "citation_bursts", "kleinberg_states"]

log = logging.getLogger(__name__)

#: Burst rates are capped here so that ``ln(1 - p1)`` stays finite.
_MAX_BURST_RATE = 0.9999


# -- Kleinberg bursts -----------------------------------------------------------------


@dataclass(frozen=True)
class Burst:
    """A citation burst of one work.

    ``doi`` is the node key (lower-case DOI), ``label`` its "First-author
    Year" label, ``start`` and ``end`` the first and last burst year
    (inclusive), ``strength`` the burst weight (see :func:`burst_strength`)
    and ``citations`` the work's incoming citations made in the burst years.
    """

    doi: str
    label: str
    start: int
    end: int
    strength: float
    citations: int


def _check_series(counts: Sequence[int], totals: Sequence[int], s: float, gamma: float) -> None:
    if len(counts) != len(totals):
        raise UsageError(f"counts ({len(counts)} bins) and totals ({len(totals)} bins) differ in length")
    if not s > 1.0:
        raise UsageError(f"burst rate factor s={s} must be greater than 1")
    if not gamma >= 0.0:
        raise UsageError(f"transition cost gamma={gamma} must be at least 0")
    for t, (r, d) in enumerate(zip(counts, totals, strict=True)):
        if r < 0 or d < r:
            raise UsageError(f"bin {t}: need 0 <= count <= total, got count {r} of total {d}")


def _rates(counts: Sequence[int], totals: Sequence[int], s: float) -> tuple[float, float] | None:
    """``(p0, p1)``, or None when no burst is possible (no events, or p1 would not exceed p0)."""
    relevant, total = sum(counts), sum(totals)
    if relevant == 0 or total == 0:
        return None
    p0 = relevant / total
    p1 = min(s * p0, _MAX_BURST_RATE)
    if p1 <= p0:
        return None
    return p0, p1


def _cost(r: int, d: int, p: float) -> float:
    """``-ln[C(d, r) p^r (1-p)^(d-r)]``; 0 for an empty bin."""
    if d == 0:
        return 0.0
    log_like = math.lgamma(d + 1) - math.lgamma(r + 1) - math.lgamma(d - r + 1)
    if r:
        log_like += r * math.log(p)
    if d - r:
        log_like += (d - r) * math.log1p(-p)
    return -log_like


def _strictly_less(a: float, b: float) -> bool:
    """``a < b`` by more than rounding noise (so exact ties, up to the last bits, go to the lower state)."""
    return a < b - 1e-9 * max(1.0, abs(a), abs(b))


def kleinberg_states(
    counts: Sequence[int], totals: Sequence[int], *, s: float = 2.0, gamma: float = 1.0
) -> list[int]:
    """The burst states of a series by Kleinberg's batched two-state automaton.

    Bin ``t`` holds ``r_t = counts[t]`` relevant events out of
    ``d_t = totals[t]``. The base state emits relevant events at the overall
    rate ``p0 = sum(r) / sum(d)``, the burst state at
    ``p1 = min(s * p0, 0.9999)``. Being in state ``i`` at ``t`` costs
    ``-ln[C(d_t, r_t) p_i^r_t (1 - p_i)^(d_t - r_t)]`` (0 when ``d_t = 0``);
    each move up (0 -> 1) costs ``gamma * ln(n)`` for ``n`` bins, a move down
    nothing. The automaton starts in state 0 (so a burst in the first bin also
    pays the move up). The minimum-cost state sequence is found by Viterbi;
    equal costs (within 1e-9 relative) go to the lower state. A series with
    no relevant events, or whose ``p1`` cannot exceed ``p0``, stays in state 0.

    Parameters
    ----------
    counts, totals : sequence of int
        Relevant and total events per bin, ``0 <= counts[t] <= totals[t]``.
    s : float
        Burst rate factor, greater than 1.
    gamma : float
        Transition cost factor, at least 0 (higher: fewer, longer bursts).

    Returns
    -------
    list of int
        0 or 1 for every bin.

    Raises
    ------
    UsageError
        Series of different lengths, a count outside ``0..total``, ``s <= 1``
        or ``gamma < 0``.

    Examples
    --------
    >>> kleinberg_states([1, 1, 1, 6, 7, 1, 1, 1], [10] * 8)
    [0, 0, 0, 1, 1, 0, 0, 0]
    >>> kleinberg_states([3, 3, 3], [10, 10, 10])
    [0, 0, 0]
    """
    _check_series(counts, totals, s, gamma)
    n = len(counts)
    rates = _rates(counts, totals, s)
    if n == 0 or rates is None:
        return [0] * n
    p0, p1 = rates
    up = gamma * math.log(n)
    # cost[j]: cheapest sequence ending in state j; back[t][j]: predecessor of state j at t
    cost = [_cost(counts[0], totals[0], p0), up + _cost(counts[0], totals[0], p1)]
    back: list[tuple[int, int]] = [(0, 0)]
    for t in range(1, n):
        f0 = _cost(counts[t], totals[t], p0)
        f1 = _cost(counts[t], totals[t], p1)
        from0 = 1 if _strictly_less(cost[1], cost[0]) else 0
        to1_from0, to1_from1 = cost[0] + up, cost[1]
        from1 = 1 if _strictly_less(to1_from1, to1_from0) else 0
        cost = [cost[from0] + f0, (to1_from1 if from1 else to1_from0) + f1]
        back.append((from0, from1))
    state = 1 if _strictly_less(cost[1], cost[0]) else 0
    states = [0] * n
    for t in range(n - 1, -1, -1):
        states[t] = state
        state = back[t][state]
    return states


def burst_strength(
    counts: Sequence[int], totals: Sequence[int], start: int, end: int, *, s: float = 2.0, gamma: float = 1.0
) -> float:
    """The weight of a burst over bins ``start..end`` (inclusive): how much cheaper the burst state is.

    ``sum over t in [start, end] of (cost0_t - cost1_t)``, with the state
    costs of :func:`kleinberg_states` (Kleinberg 2002, section 4; the
    "strength" CiteSpace reports). The transition cost does not enter the
    weight; ``gamma`` is only validated. 0 when no burst is possible.

    Raises
    ------
    UsageError
        Bad series or parameters (see :func:`kleinberg_states`), or
        ``start..end`` not a range of bins.

    Examples
    --------
    >>> round(burst_strength([1, 1, 1, 6, 7, 1, 1, 1], [10] * 8, 3, 4), 4)
    6.3985
    """
    _check_series(counts, totals, s, gamma)
    if not 0 <= start <= end < len(counts):
        raise UsageError(f"burst bins {start}..{end} are not within 0..{len(counts) - 1}")
    rates = _rates(counts, totals, s)
    if rates is None:
        return 0.0
    p0, p1 = rates
    return sum(_cost(counts[t], totals[t], p0) - _cost(counts[t], totals[t], p1) for t in range(start, end + 1))


# The vectorised bursts: ``citation_bursts`` runs :func:`kleinberg_states` and :func:`burst_strength` on
# every examined work at once, on (year, work) arrays, with the very float64 operations of the scalar code in
# the same order (numpy's elementwise + - * and comparisons are the IEEE ones of Python floats), so that the
# states and strengths are bit-identical. Logarithms come from ``math`` only: a table of ``math.lgamma(k + 1)``
# and ``math.log(p)``, ``math.log1p(-p)`` per distinct rate.

_BURST_BLOCK = 1 << 20  # (year, work) cells per block of works: bounds the memory of the vectorised bursts


def _counted_citations(
    arrays: GraphArrays, years: tuple[int, int] | None
) -> tuple[list[Any], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Node keys, and the citing and cited node index and citing year of every counted citation (in ``G.edges()``
    order).

    Counted: not a self-citation, citing work of known year (within ``years`` when given), that year
    plausible (:func:`~citegraph.store.records.plausible_years`: an absurd one would stretch the year axis).
    """
    citing, cited, year = arrays.src, arrays.dst, arrays.year
    keep = (citing != cited) & arrays.has_year[citing]
    first, last = plausible_years()
    absurd = keep & ((year[citing] < first) | (year[citing] > last))
    if absurd.any():
        log.warning("citation bursts: %d citation(s) from works with a year outside the plausible years %d-%d "
                    "ignored", int(absurd.sum()), first, last)
        keep &= ~absurd
    if years is not None:
        keep &= (year[citing] >= years[0]) & (year[citing] <= years[1])
    return arrays.nodes, citing[keep], cited[keep], year[citing[keep]]


def _burst_costs(
    counts: NDArray[np.int64], totals: NDArray[np.int64], lgamma1: NDArray[np.float64],
    log_p: NDArray[np.float64], log_q: NDArray[np.float64],
) -> NDArray[np.float64]:
    """:func:`_cost` of every (year, work) cell: ``counts`` (years x works), one rate per work.

    ``lgamma1[k] = math.lgamma(k + 1)``; ``log_p``, ``log_q``: ``math.log(p)``, ``math.log1p(-p)`` per work.
    """
    d = totals[:, None]
    rest = d - counts
    log_like = lgamma1[d] - lgamma1[counts] - lgamma1[rest]
    log_like = np.where(counts != 0, log_like + counts * log_p, log_like)
    log_like = np.where(rest != 0, log_like + rest * log_q, log_like)
    cost: NDArray[np.float64] = np.where(d == 0, 0.0, -log_like)
    return cost


def _less(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.bool_]:
    """:func:`_strictly_less` elementwise (``max(1.0, |a|, |b|)`` has the same value; NaN compares false)."""
    with np.errstate(invalid="ignore"):  # inf - inf (gamma = inf) is NaN, as with Python floats, and no warning
        less: NDArray[np.bool_] = a < b - 1e-9 * np.maximum(np.maximum(1.0, np.abs(a)), np.abs(b))
    return less


def _viterbi(cost0: NDArray[np.float64], cost1: NDArray[np.float64], up: float) -> NDArray[np.bool_]:
    """:func:`kleinberg_states` of every work (column) from its state costs (years x works): True = burst."""
    n = len(cost0)
    back0 = np.zeros(cost0.shape, dtype=bool)
    back1 = np.zeros(cost0.shape, dtype=bool)
    best0, best1 = cost0[0], up + cost1[0]
    for t in range(1, n):
        from0 = _less(best1, best0)
        to1_from0 = best0 + up
        from1 = _less(best1, to1_from0)
        best0, best1 = np.where(from0, best1, best0) + cost0[t], np.where(from1, best1, to1_from0) + cost1[t]
        back0[t], back1[t] = from0, from1
    state = _less(best1, best0)
    states = np.empty(cost0.shape, dtype=bool)
    for t in range(n - 1, -1, -1):
        states[t] = state
        state = np.where(state, back1[t], back0[t])
    return states


def _block_bursts(
    counts: NDArray[np.int64], totals: NDArray[np.int64], lgamma1: NDArray[np.float64], s: float, gamma: float
) -> list[tuple[int, int, int, float, int]]:
    """``(work, first bin, last bin, strength, citations)`` of every burst of the works (columns) of ``counts``.

    Sorted by work, then first bin.
    """
    total = int(totals.sum())
    distinct, which = np.unique(counts.sum(axis=0), return_inverse=True)
    rates = [_rates([relevant], [total], s) for relevant in distinct.tolist()]  # the same p0, p1 as per work
    possible = np.array([rate is not None for rate in rates], dtype=bool)[which]
    p0 = [rate[0] if rate is not None else 0.5 for rate in rates]
    p1 = [rate[1] if rate is not None else 0.5 for rate in rates]
    works = np.flatnonzero(possible)
    if not len(works):
        return []
    which, counts = which[works], counts[:, works]

    def costs(p: list[float]) -> NDArray[np.float64]:
        log_p = np.array([math.log(x) for x in p], dtype=np.float64)[which]
        log_q = np.array([math.log1p(-x) for x in p], dtype=np.float64)[which]
        return _burst_costs(counts, totals, lgamma1, log_p, log_q)

    cost0, cost1 = costs(p0), costs(p1)
    states = _viterbi(cost0, cost1, gamma * math.log(len(totals)))
    edges = np.diff(np.vstack([np.zeros((1, len(works)), dtype=np.int8), states.astype(np.int8),
                               np.zeros((1, len(works)), dtype=np.int8)]).T, axis=1)
    work, start = np.nonzero(edges == 1)  # sorted by work, then bin; runs alternate with their ends
    end = np.nonzero(edges == -1)[1] - 1
    saving = cost0 - cost1
    strength = np.zeros(len(work), dtype=np.float64)  # sum() starts from 0: 0 + x is 0.0 + x
    for k in range(int((end - start).max(initial=-1)) + 1):
        on = np.flatnonzero(end - start >= k)
        strength[on] += saving[start[on] + k, work[on]]
    upto = np.vstack([np.zeros((1, len(works)), dtype=np.int64), np.cumsum(counts, axis=0)])
    cited = upto[end + 1, work] - upto[start, work]
    return list(zip(works[work].tolist(), start.tolist(), end.tolist(), strength.tolist(), cited.tolist(), strict=True))


#: What a year's total ``d_t`` counts in :func:`citation_bursts`.
BURST_TOTALS = ("works", "citations")


def citation_bursts(
    G: nx.DiGraph,
    *,
    s: float = 2.0,
    gamma: float = 1.0,
    min_citations: int = 3,
    min_duration: int = 1,
    years: tuple[int, int] | None = None,
    totals: str = "works",
    arrays: GraphArrays | None = None,
) -> list[Burst]:
    """Citation bursts: the years in which an unusual share of the works published cited a work.

    For every cited work with at least ``min_citations`` incoming citations
    from works of known year (within ``years``, when given): ``r_t`` is its
    citations from works published in year ``t``; ``d_t`` is, by default
    (``totals="works"``), the number of works published in year ``t`` that
    cite anything in the graph: Kleinberg's batches of documents, of which
    ``r_t`` are "relevant" (cite the work; a work cites another at most
    once). With ``totals="citations"``, ``d_t`` is every citation
    (self-citations excluded) made by works of year ``t`` instead; as
    reference lists grow over the years (28 references a record in 2004, 77
    in 2024 in the coffee/obesity Web of Science export), that total makes
    the early years look bursty for every older work.
    :func:`kleinberg_states` runs over every year from the first to the last
    citing year of the graph (or over ``years``, both ends included;
    citations from other years are then ignored); each maximal run of burst
    years, of at least ``min_duration`` years, gives one :class:`Burst`. All
    works are run at once on arrays, with the same arithmetic as
    :func:`kleinberg_states` and :func:`burst_strength`: states and
    strengths are theirs, bit for bit.

    Parameters
    ----------
    G : networkx.DiGraph
        A citation graph, citing -> cited, with ``year`` node attributes.
    s, gamma : float
        Burst rate factor and transition cost factor (see :func:`kleinberg_states`).
    min_citations : int
        Works cited less often are not examined.
    min_duration : int
        Shorter bursts (in years) are left out (CiteSpace's "minimum duration"; its default is 2).
    years : (first, last), optional
        The years examined, inclusive.
    totals : {"works", "citations"}
        What ``d_t`` counts (above).
    arrays : GraphArrays, optional
        ``G``'s arrays (:class:`~citegraph.graphs.arrays.GraphArrays`), when
        the caller has them already (an analysis builds them once).

    Returns
    -------
    list of Burst
        Sorted by strength (descending), then DOI key, then start year.

    Raises
    ------
    UsageError
        ``min_citations < 1``, ``min_duration < 1``, ``years`` reversed, bad
        ``s``/``gamma`` or ``totals``, or ``arrays`` of another graph.

    Examples
    --------
    Hand-made unit-test graph: every year 2010-2015 five works each make one
    citation; ``t`` gets 1, 1, 4, 4, 1, 1 of them.

    >>> G = nx.DiGraph()
    >>> for year, hits in zip(range(2010, 2016), [1, 1, 4, 4, 1, 1]):
    ...     for i in range(5):
    ...         G.add_node(f"p{year}-{i}", year=year)
    ...         G.add_edge(f"p{year}-{i}", "t" if i < hits else f"x{year}-{i}")
    >>> [(b.doi, b.start, b.end, b.citations, round(b.strength, 3)) for b in citation_bursts(G)]
    [('t', 2012, 2013, 8, 3.348)]
    >>> citation_bursts(G, min_duration=3)
    []
    """
    if min_citations < 1:
        raise UsageError(f"min_citations {min_citations} must be at least 1")
    if min_duration < 1:
        raise UsageError(f"min_duration {min_duration} must be at least 1")
    if totals not in BURST_TOTALS:
        raise UsageError(f"totals {totals!r} is not one of {', '.join(BURST_TOTALS)}")
    _check_series([], [], s, gamma)
    if years is not None and years[0] > years[1]:
        raise UsageError(f"year range {years[0]}-{years[1]} is reversed")
    keys, citing, cited, year = _counted_citations(GraphArrays.of(G, arrays, weight=None), years)
    if not len(year):
        return []
    first, last = years if years is not None else (int(year.min()), int(year.max()))
    n = last - first + 1
    if totals == "works":  # each citing work once, in the year it was published
        made = np.unique(citing, return_index=True)[1]
        made_in = np.bincount(year[made] - first, minlength=n)
    else:
        made_in = np.bincount(year - first, minlength=n)
    lgamma1 = np.array([math.lgamma(k + 1) for k in range(int(made_in.max()) + 1)], dtype=np.float64)
    examined = np.flatnonzero(np.bincount(cited, minlength=len(keys)) >= min_citations)
    first_seen = np.full(len(keys), len(cited), dtype=np.int64)
    np.minimum.at(first_seen, cited, np.arange(len(cited)))
    # the works in order of their first citation, then sorted by str (stable, as ``sorted`` on a dict's keys)
    by_seen = examined[np.argsort(first_seen[examined])].tolist()
    order = np.array(sorted(by_seen, key=lambda i: str(keys[i])), dtype=np.int64)
    column = np.full(len(keys), -1, dtype=np.int64)
    column[order] = np.arange(len(order))
    column = column[cited]
    keep = column >= 0
    column, year = column[keep], year[keep] - first
    block = max(1, _BURST_BLOCK // n)
    blocks = range(0, len(order), block)
    if len(blocks) > 1:
        sort = np.argsort(column)
        column, year = column[sort], year[sort]
    bursts: list[Burst] = []
    for lo in blocks:
        size = min(block, len(order) - lo)
        a, b = np.searchsorted(column, [lo, lo + size]) if len(blocks) > 1 else (0, len(column))
        counts = np.bincount(year[a:b] * size + column[a:b] - lo, minlength=n * size).reshape(n, size)
        for work, start, end, strength, citations in _block_bursts(counts, made_in, lgamma1, s, gamma):
            if end - start + 1 < min_duration:
                continue
            node = keys[order[lo + work]]
            bursts.append(Burst(doi=str(node), label=str(G.nodes[node].get("label", node)), start=first + start,
                                end=first + end, strength=strength, citations=citations))
    bursts.sort(key=lambda x: (-x.strength, x.doi, x.start))
    log.info("citation bursts: %d burst(s) of %d year(s) or more in %d-%d, %d work(s) examined", len(bursts),
             min_duration, first, last, len(order))
    return bursts
