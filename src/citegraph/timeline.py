"""Time: publications per year, citation bursts, RPYS and main path analysis.

- :func:`publications_per_year`: how many works of the graph appeared each year.
- **Citation bursts** (Kleinberg 2002): :func:`kleinberg_states` runs the
  batched two-state automaton on one series of counts, :func:`burst_strength`
  weighs a burst, and :func:`citation_bursts` finds, for every cited work,
  the years in which its share of the citations made that year was unusually
  high (the "citation bursts" of CiteSpace).
- **Reference publication year spectroscopy** (RPYS; Marx, Bornmann, Barth &
  Leydesdorff 2014): :func:`rpys` counts cited references per publication
  year and their deviation from the median of the surrounding years,
  :func:`rpys_peaks` picks the peak years and :func:`peak_works` names the
  works behind a peak (from :func:`reference_years_from_store`, which also
  describes references that carry no DOI).
- **Main path analysis** (Hummon & Doreian 1989; Batagelj 2003; Liu & Lu
  2012): :func:`spc_weights` gives every citation its search path count,
  :func:`global_main_path` and :func:`key_route_main_path` follow the
  heaviest paths; :func:`main_path_analysis` does all of it in one pass
  (the way to go on big graphs).

Knowledge flow
--------------
Main path analysis follows knowledge as it flows from a cited work to the
works citing it, i.e. along the *reverse* of the citation graph's edges
(citing -> cited). :func:`knowledge_flow_dag` builds that reversed graph and
makes it acyclic; every edge returned by the main path functions, and every
key of :func:`spc_weights`, is a knowledge-flow edge ``(cited, citing)``:
older work first.

Citation graphs hold a few cycles (preprints and their versions, errata,
papers that cite each other in the same issue). They are broken in two
stages, each only inside a strongly connected component with more than one
work (edges outside cycles are never dropped):

1. every knowledge-flow edge ``cited -> citing`` whose cited work has a
   *later* known publication year than the citing work (a citation against
   time) is dropped;
2. if cycles remain (same-year works, unknown years), each remaining
   non-trivial component is searched depth first, starting from its smallest
   node and visiting neighbours in sorted order; every back edge (an edge to
   a node still on the search stack) is dropped. Removing all back edges of a
   depth-first search leaves a DAG.

Self-citations (loops) are dropped too. The dropped edges are logged (a
summary at INFO, each edge at DEBUG) and returned by
:func:`knowledge_flow_dag`.

Examples
--------
Hand-made unit-test graph (not Crossref data): ``c`` and ``d`` cite ``b``,
which cites ``a``.

>>> G = nx.DiGraph([("b", "a"), ("c", "b"), ("d", "b")])
>>> sorted(spc_weights(G).items())
[(('a', 'b'), 2), (('b', 'c'), 1), (('b', 'd'), 1)]
>>> global_main_path(G)
['a', 'b', 'c']
"""

from __future__ import annotations

import itertools
import logging
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse import csgraph

from citegraph.errors import UsageError
from citegraph.graphs import edge_index
from citegraph.store import Store

__all__ = [
    "Burst",
    "MainPaths",
    "RPYSRow",
    "burst_strength",
    "citation_bursts",
    "global_main_path",
    "key_route_main_path",
    "kleinberg_states",
    "knowledge_flow_dag",
    "main_path_analysis",
    "peak_works",
    "publications_per_year",
    "reference_years_from_store",
    "rpys",
    "rpys_peaks",
    "spc_weights",
]

log = logging.getLogger(__name__)

#: Burst rates are capped here so that ``ln(1 - p1)`` stays finite.
_MAX_BURST_RATE = 0.9999


# -- publications per year ----------------------------------------------------------


def publications_per_year(G: nx.DiGraph, *, resolved_only: bool = True) -> list[tuple[int, int]]:
    """How many works of a graph were published each year.

    Parameters
    ----------
    G : networkx.DiGraph
        A citation graph (see :func:`citegraph.graphs.citation_graph`).
    resolved_only : bool
        Count only stored works (``resolved=True``); otherwise every node,
        including cited works known only from reference entries.

    Returns
    -------
    list of (year, works)
        Sorted by year; only years with at least one work. Works without a
        known year are skipped.

    Examples
    --------
    >>> G = nx.DiGraph([("a", "b"), ("c", "b")])   # hand-made unit-test graph
    >>> G.nodes["a"].update(year=2001, resolved=True); G.nodes["c"].update(year=2001, resolved=True)
    >>> G.nodes["b"].update(year=1990, resolved=False)
    >>> publications_per_year(G), publications_per_year(G, resolved_only=False)
    ([(2001, 2)], [(1990, 1), (2001, 2)])
    """
    counts: Counter[int] = Counter()
    for _, d in G.nodes(data=True):
        if resolved_only and not d.get("resolved"):
            continue
        year = d.get("year")
        if isinstance(year, int) and not isinstance(year, bool):
            counts[year] += 1
    return sorted(counts.items())


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


def _year(d: Mapping[str, Any]) -> int | None:
    year = d.get("year")
    return year if isinstance(year, int) and not isinstance(year, bool) else None


# The vectorised bursts: ``citation_bursts`` runs :func:`kleinberg_states` and :func:`burst_strength` on
# every examined work at once, on (year, work) arrays, with the very float64 operations of the scalar code in
# the same order (numpy's elementwise + - * and comparisons are the IEEE ones of Python floats), so that the
# states and strengths are bit-identical. Logarithms come from ``math`` only: a table of ``math.lgamma(k + 1)``
# and ``math.log(p)``, ``math.log1p(-p)`` per distinct rate.

_BURST_BLOCK = 1 << 20  # (year, work) cells per block of works: bounds the memory of the vectorised bursts


def _counted_citations(
    G: nx.DiGraph, years: tuple[int, int] | None
) -> tuple[list[Any], NDArray[np.int64], NDArray[np.int64]]:
    """Node keys, and the cited node index and citing year of every counted citation (in ``G.edges()`` order).

    Counted: not a self-citation, citing work of known year (within ``years`` when given).
    """
    keys = list(G)
    index = dict(zip(keys, range(len(keys))))
    node_years = [y if isinstance(y, int) and not isinstance(y, bool) else None for _, y in G.nodes(data="year")]
    known = np.fromiter((y is not None for y in node_years), dtype=bool, count=len(keys))
    year = np.fromiter((0 if y is None else y for y in node_years), dtype=np.int64, count=len(keys))
    citing, cited = edge_index(G, index)
    keep = (citing != cited) & known[citing]
    if years is not None:
        keep &= (year[citing] >= years[0]) & (year[citing] <= years[1])
    return keys, cited[keep], year[citing[keep]]


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
    return list(zip(works[work].tolist(), start.tolist(), end.tolist(), strength.tolist(), cited.tolist()))


def citation_bursts(
    G: nx.DiGraph,
    *,
    s: float = 2.0,
    gamma: float = 1.0,
    min_citations: int = 3,
    years: tuple[int, int] | None = None,
) -> list[Burst]:
    """Citation bursts: the years in which a work drew an unusual share of the citations made.

    For every cited work with at least ``min_citations`` incoming citations
    from works of known year (within ``years``, when given): ``r_t`` is its
    citations from works published in year ``t``, ``d_t`` all citations
    (edges, self-citations excluded) made by works published in year ``t``
    anywhere in the graph. :func:`kleinberg_states` runs over every year from
    the first to the last citing year of the graph (or over ``years``, both
    ends included; citations from other years are then ignored); each maximal
    run of burst years gives one :class:`Burst`. All works are run at once
    on arrays, with the same arithmetic as :func:`kleinberg_states` and
    :func:`burst_strength`: states and strengths are theirs, bit for bit.

    Parameters
    ----------
    G : networkx.DiGraph
        A citation graph, citing -> cited, with ``year`` node attributes.
    s, gamma : float
        Burst rate factor and transition cost factor (see :func:`kleinberg_states`).
    min_citations : int
        Works cited less often are not examined.
    years : (first, last), optional
        The years examined, inclusive.

    Returns
    -------
    list of Burst
        Sorted by strength (descending), then DOI key, then start year.

    Raises
    ------
    UsageError
        ``min_citations < 1``, ``years`` reversed, or bad ``s``/``gamma``.

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
    """
    if min_citations < 1:
        raise UsageError(f"min_citations {min_citations} must be at least 1")
    _check_series([], [], s, gamma)
    if years is not None and years[0] > years[1]:
        raise UsageError(f"year range {years[0]}-{years[1]} is reversed")
    keys, cited, year = _counted_citations(G, years)
    if not len(year):
        return []
    first, last = years if years is not None else (int(year.min()), int(year.max()))
    n = last - first + 1
    totals = np.bincount(year - first, minlength=n)
    lgamma1 = np.array([math.lgamma(k + 1) for k in range(int(totals.max()) + 1)], dtype=np.float64)
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
        for work, start, end, strength, citations in _block_bursts(counts, totals, lgamma1, s, gamma):
            node = keys[order[lo + work]]
            bursts.append(Burst(doi=str(node), label=str(G.nodes[node].get("label", node)), start=first + start,
                                end=first + end, strength=strength, citations=citations))
    bursts.sort(key=lambda x: (-x.strength, x.doi, x.start))
    log.info("citation bursts: %d burst(s) in %d-%d, %d work(s) examined", len(bursts), first, last, len(order))
    return bursts


# -- RPYS ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RPYSRow:
    """One publication year of an RPYS spectrogram.

    ``references``: cited references published that year; ``median``: the
    median of the references of the surrounding window of years;
    ``deviation``: ``references - median``.
    """

    year: int
    references: int
    median: float
    deviation: float


def rpys(reference_years: Iterable[int], *, window: int = 5, years: tuple[int, int] | None = None) -> list[RPYSRow]:
    """Reference publication year spectroscopy: cited references per year and their deviation from the median.

    Every reference instance counts (a work cited by ten citing works counts
    ten times, as in Marx et al. 2014). The median of year ``t`` is taken over
    the centred window ``t - window//2 .. t + window//2``; a year without
    references, including every year before the first or after the last
    reference year, counts 0 in the window (so the edges of the spectrogram
    are compared with zeros). ``deviation = references - median``.

    Parameters
    ----------
    reference_years : iterable of int
        The publication year of every cited reference.
    window : int
        An odd window length, at least 1 (5: the usual five-year median).
    years : (first, last), optional
        Report only these years (inclusive; years without references are
        reported with 0). The medians still see the true counts of the years
        just outside.

    Returns
    -------
    list of RPYSRow
        One row for every year from the first to the last reference year (or
        of ``years``), zeros included, in year order. Empty without references.

    Raises
    ------
    UsageError
        An even or non-positive window, or a reversed year range.

    Examples
    --------
    >>> [(r.year, r.references, r.median, r.deviation) for r in rpys([2000, 2001, 2001, 2001, 2003], window=3)]
    [(2000, 1, 1.0, 0.0), (2001, 3, 1.0, 2.0), (2002, 0, 1.0, -1.0), (2003, 1, 0.0, 1.0)]
    """
    if window < 1 or window % 2 == 0:
        raise UsageError(f"RPYS window {window} must be an odd number of years, at least 1")
    if years is not None and years[0] > years[1]:
        raise UsageError(f"year range {years[0]}-{years[1]} is reversed")
    counts = Counter(int(y) for y in reference_years)
    if years is not None:
        first, last = years
    elif counts:
        first, last = min(counts), max(counts)
    else:
        return []
    half = window // 2
    rows = []
    for year in range(first, last + 1):
        median = float(statistics.median(counts[y] for y in range(year - half, year + half + 1)))
        rows.append(RPYSRow(year=year, references=counts[year], median=median, deviation=counts[year] - median))
    return rows


def rpys_peaks(rows: Sequence[RPYSRow], *, top: int = 5) -> list[int]:
    """The peak years of an RPYS spectrogram.

    A peak is a year with a positive deviation greater than the deviations of
    both neighbouring rows (a missing neighbour, at either end, does not
    count against it). Ties: a run of consecutive years with the same
    deviation is one candidate, a peak when greater than the rows on both
    sides of the run, reported as the run's first year.

    Parameters
    ----------
    rows : sequence of RPYSRow
        Consecutive years, as :func:`rpys` returns them (sorted here by year).
    top : int
        How many peaks to return at most.

    Returns
    -------
    list of int
        The ``top`` peak years with the largest deviations, sorted by
        deviation (descending), then year.

    Examples
    --------
    >>> rows = rpys([1950] * 2 + [1951] * 9 + [1952] * 2 + [1953] * 2 + [1954] * 5 + [1955] * 2, window=3)
    >>> [r.deviation for r in rows], rpys_peaks(rows), rpys_peaks(rows, top=1)
    ([0.0, 7.0, 0.0, 0.0, 3.0, 0.0], [1951, 1954], [1951])
    """
    if top < 1:
        raise UsageError(f"top {top} must be at least 1")
    ordered = sorted(rows, key=lambda r: r.year)
    runs: list[tuple[float, int]] = []  # (deviation, first year) of each run of equal deviations
    for row in ordered:
        if runs and runs[-1][0] == row.deviation:
            continue
        runs.append((row.deviation, row.year))
    peaks = [
        (dev, year)
        for i, (dev, year) in enumerate(runs)
        if dev > 0 and (i == 0 or dev > runs[i - 1][0]) and (i == len(runs) - 1 or dev > runs[i + 1][0])
    ]
    peaks.sort(key=lambda p: (-p[0], p[1]))
    return [year for _, year in peaks[:top]]


def _describe_reference(year: int, first_author: str | None, article_title: str | None,
                        journal_title: str | None, unstructured: str | None) -> str:
    title = article_title or journal_title
    if first_author or title:
        return " ".join(p for p in (first_author, str(year), title) if p)
    if unstructured:
        return unstructured
    return f"(undescribed reference) {year}"


def reference_years_from_store(store: Store) -> list[tuple[int, str | None, str]]:
    """Every reference entry of a store that has a publication year, for RPYS.

    Returns
    -------
    list of (year, cited, description)
        ``cited`` is the cited DOI key (recorded duplicate merges applied) or
        None; ``description`` is that DOI key, or for a reference without DOI
        ``"first_author year title"`` (the article title, else the journal or
        book title; missing parts left out), else its unstructured citation
        text. One tuple per reference entry (a work cited by ten works
        appears ten times), in citing DOI then position order. Entries
        without year are left out.

    Examples
    --------
    >>> from citegraph.records import parse_work
    >>> with Store(":memory:") as s:   # hand-made unit-test record
    ...     _ = s.add_works([parse_work({"DOI": "10.5555/a", "reference": [
    ...         {"key": "1", "DOI": "10.5555/B", "year": "1990"},
    ...         {"key": "2", "author": "Fisher", "year": "1925", "volume-title": "Statistical methods"},
    ...         {"key": "3", "unstructured": "no year"}]}, source="t")])
    ...     reference_years_from_store(s)
    [(1990, '10.5555/b', '10.5555/b'), (1925, None, 'Fisher 1925 Statistical methods')]
    """
    alias = store.merges()
    out: list[tuple[int, str | None, str]] = []
    rows = store.execute(
        """SELECT year, cited, first_author, article_title, journal_title, unstructured FROM refs
           WHERE year IS NOT NULL ORDER BY citing, position"""
    )
    for year, cited, author, title, journal, unstructured in rows:
        if cited is not None:
            key = alias.get(cited, cited)
            out.append((int(year), key, key))
        else:
            out.append((int(year), None, _describe_reference(int(year), author, title, journal, unstructured)))
    return out


def peak_works(references: Iterable[tuple[int, str | None, str]], year: int, *, top: int = 5) -> list[tuple[str, int]]:
    """The most cited works published in one year: the works behind an RPYS peak.

    Parameters
    ----------
    references : iterable of (year, cited DOI or None, description)
        As :func:`reference_years_from_store` returns them.
    year : int
        The publication year.
    top : int
        How many works to return at most.

    Returns
    -------
    list of (work, times cited)
        ``work`` is the DOI key, or the description for a reference without
        DOI (identical descriptions count as one work); sorted by times cited
        (descending), then name.

    Examples
    --------
    >>> refs = [(1955, "10.5555/x", "10.5555/x"), (1955, None, "Fisher 1955 Design"),
    ...         (1955, "10.5555/x", "10.5555/x"), (1956, "10.5555/y", "10.5555/y")]
    >>> peak_works(refs, 1955)
    [('10.5555/x', 2), ('Fisher 1955 Design', 1)]
    """
    if top < 1:
        raise UsageError(f"top {top} must be at least 1")
    counts: Counter[str] = Counter(doi if doi is not None else text for y, doi, text in references if y == year)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]


# -- main path analysis ------------------------------------------------------------------
#
# The main path functions work on integer node indices: a node's index is its position in the nodes sorted by
# ``str`` (ties, i.e. distinct nodes with the same ``str``, keep the graph's node order), so "smallest node"
# is "smallest index" and edges sorted by index pairs are sorted by their ``str`` pairs. The dynamic programmes
# run over topological levels, one vectorised step per level (every node of a level depends only on lower
# levels). Path counts are computed exactly: in int64 when a float64 pass bounds them below 2**62, else as
# Python integers in object arrays. Path sums of weights are float64: operation for operation what
# ``weight + best`` gives with Python numbers (the best sum starts at 0.0, and an int plus a float is a float).

_Ints = NDArray[np.int64]
_INT64_SAFE = float(2**62)  # counts whose float estimate stays below this fit int64 with room for rounding


@dataclass(frozen=True)
class _Flow:
    """A knowledge-flow DAG on node indices; ``tail -> head`` (cited -> citing) sorted by (tail, head)."""

    keys: list[Any]
    tail: _Ints
    head: _Ints

    @property
    def n(self) -> int:
        return len(self.keys)

    def key_pairs(self, edges: _Ints | None = None) -> Iterator[tuple[Any, Any]]:
        """The ``(cited, citing)`` node pairs of the edges (all, in (tail, head) order, by default)."""
        tail, head = (self.tail, self.head) if edges is None else (self.tail[edges], self.head[edges])
        keys = np.fromiter(self.keys, dtype=object, count=len(self.keys))
        return zip(keys[tail].tolist(), keys[head].tolist())


def _index(nodes: Iterable[Any]) -> tuple[list[Any], dict[Any, int]]:
    keys = sorted(nodes, key=str)
    return keys, dict(zip(keys, range(len(keys))))


def _sorted_edges(n: int, tail: _Ints, head: _Ints) -> _Ints:
    """The order that sorts edges by (tail, head) (a DiGraph's edges are distinct: no stable sort needed)."""
    return np.argsort(tail * n + head)


def _strong_labels(n: int, tail: _Ints, head: _Ints) -> _Ints:
    """Strongly connected component label of every node."""
    A = sp.csr_matrix((np.ones(len(tail), dtype=np.int8), (tail, head)), shape=(n, n))
    labels: _Ints = csgraph.connected_components(A, directed=True, connection="strong")[1].astype(np.int64)
    return labels


def _back_edges(tail: _Ints, head: _Ints) -> list[tuple[int, int]]:
    """Back edges of a depth-first search over the given edges (sorted by (tail, head)), smallest root first."""
    children: dict[int, list[int]] = defaultdict(list)
    for u, v in zip(tail.tolist(), head.tolist()):
        children[u].append(v)
    state: dict[int, int] = {}  # 1: on the stack, 2: finished
    back: list[tuple[int, int]] = []
    for root in sorted(children):
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(children.get(root, ())))]
        while stack:
            node, kids = stack[-1]
            for child in kids:
                seen = state.get(child)
                if seen is None:
                    state[child] = 1
                    stack.append((child, iter(children.get(child, ()))))
                    break
                if seen == 1:
                    back.append((node, child))
            else:
                state[node] = 2
                stack.pop()
    return sorted(back)


def _break_cycles(G: nx.DiGraph) -> tuple[_Flow, list[tuple[Any, Any]], _Ints, _Ints]:
    """Knowledge flow of ``G`` made acyclic (module documentation).

    Returns the flow, the dropped edges, and the tails and heads of the kept edges in ``G.edges()`` order
    (for :func:`knowledge_flow_dag`, whose graph keeps that order).
    """
    keys, index = _index(G)
    n = len(keys)
    citing, cited = edge_index(G, index)
    loop = citing == cited
    loops = sorted(citing[loop].tolist())
    tail, head = cited[~loop], citing[~loop]
    keep = np.ones(len(tail), dtype=bool)
    against: list[tuple[int, int]] = []
    back: list[tuple[int, int]] = []
    labels = _strong_labels(n, tail, head)
    cyclic = labels[tail] == labels[head]  # loops are gone, so these edges lie in components of 2+ nodes
    if cyclic.any():
        years = [_year(G.nodes[k]) for k in keys]
        known = np.array([y is not None for y in years])
        year = np.array([0 if y is None else y for y in years], dtype=np.int64)
        drop = cyclic & known[tail] & known[head] & (year[tail] > year[head])
        against = sorted(zip(tail[drop].tolist(), head[drop].tolist()))
        keep &= ~drop
        labels = _strong_labels(n, tail[keep], head[keep])
        cyclic = keep & (labels[tail] == labels[head])
        if cyclic.any():
            inside = np.flatnonzero(cyclic)
            inside = inside[_sorted_edges(n, tail[inside], head[inside])]
            back = _back_edges(tail[inside], head[inside])
            codes = tail[inside] * n + head[inside]
            keep[inside[np.isin(codes, np.array([u * n + v for u, v in back], dtype=np.int64))]] = False
    kept_tail, kept_head = tail[keep], head[keep]
    order = _sorted_edges(n, kept_tail, kept_head)
    flow = _Flow(keys, kept_tail[order], kept_head[order])
    dropped = [(keys[i], keys[i]) for i in loops] + [(keys[u], keys[v]) for u, v in against + back]
    if dropped:
        log.info("main path: dropped %d citation(s) to make the graph acyclic: %d self-citation(s), "
                 "%d against publication year, %d depth-first back edge(s)",
                 len(dropped), len(loops), len(against), len(back))
        for u, v in dropped:
            log.debug("main path: dropped knowledge flow %s -> %s (%s cites %s)", u, v, v, u)
    return flow, dropped, kept_tail, kept_head


def _flow_of(G: nx.DiGraph, dag: nx.DiGraph | None) -> _Flow:
    if dag is None:
        return _break_cycles(G)[0]
    keys, index = _index(dag)
    tail, head = edge_index(dag, index)
    order = _sorted_edges(len(keys), tail, head)
    return _Flow(keys, tail[order], head[order])


def knowledge_flow_dag(G: nx.DiGraph) -> tuple[nx.DiGraph, list[tuple[Any, Any]]]:
    """The knowledge-flow graph (cited -> citing) of a citation graph, made acyclic.

    Cycles are broken as the module documentation describes: inside each
    strongly connected component, first the edges whose cited work is newer
    than the citing work, then the back edges of a sorted depth-first search.
    (:func:`main_path_analysis` does the whole main path analysis without
    building this networkx graph, which is the costly part on big graphs.)

    Returns
    -------
    (dag, dropped)
        ``dag``: every node of ``G`` (without attributes, in ``G``'s order)
        and the kept knowledge-flow edges ``(cited, citing)`` (in the order of
        ``G.edges()``); ``dropped``: the removed knowledge-flow edges,
        self-citations first, then in the order of the two stages (each
        sorted).

    Examples
    --------
    Hand-made unit-test graph: ``a`` (2001) and ``b`` (2000) cite each other.

    >>> G = nx.DiGraph([("a", "b"), ("b", "a")])
    >>> G.nodes["a"]["year"], G.nodes["b"]["year"] = 2001, 2000
    >>> dag, dropped = knowledge_flow_dag(G)
    >>> sorted(dag.edges), dropped
    ([('b', 'a')], [('a', 'b')])
    """
    flow, dropped, tail, head = _break_cycles(G)
    key = flow.keys.__getitem__
    D = nx.DiGraph()
    D.add_nodes_from(G.nodes)
    D.add_edges_from(zip(map(key, tail.tolist()), map(key, head.tolist())))
    return D, dropped


def _levels(n: int, a: _Ints, b: _Ints) -> _Ints:
    """Edges on the longest path from a node without incoming edges to each node, along ``a -> b``.

    Raises ``networkx.NetworkXUnfeasible`` when the edges hold a cycle (as ``networkx.topological_sort``).
    """
    order = np.argsort(a, kind="stable")
    targets = b[order]
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(a, minlength=n), out=start[1:])
    waiting = np.bincount(b, minlength=n)
    level = np.zeros(n, dtype=np.int64)
    frontier = np.flatnonzero(waiting == 0)
    depth = placed = 0
    while frontier.size:
        level[frontier] = depth
        placed += frontier.size
        lo, sizes = start[frontier], start[frontier + 1] - start[frontier]
        total = int(sizes.sum())
        if not total:
            break
        offsets = np.repeat(lo - np.cumsum(sizes) + sizes, sizes) + np.arange(total)
        reached, times = np.unique(targets[offsets], return_counts=True)
        waiting[reached] -= times
        frontier = reached[waiting[reached] == 0]
        depth += 1
    if placed < n:
        raise nx.NetworkXUnfeasible("Graph contains a cycle or graph changed during iteration")
    return level


@dataclass(frozen=True)
class _Sweep:
    """Edges ordered for a dynamic programme over levels: by (level of ``node``, ``node``, ``other``).

    ``edge`` maps sweep positions to flow edge indices; level ``L`` (>= 1) is the slab
    ``slabs[L - 1]:slabs[L]`` of positions and holds the groups ``groups[L - 1]:groups[L]`` of
    ``group_start`` (first position of each ``node``'s run).
    """

    edge: _Ints
    node: _Ints
    other: _Ints
    slabs: _Ints
    group_start: _Ints
    groups: _Ints

    @classmethod
    def of(cls, n: int, level: _Ints, node: _Ints, other: _Ints) -> _Sweep:
        # flow edges are sorted by (tail, head), so a stable sort on (level, node) leaves ``other`` ascending
        edge = np.argsort(level[node] * n + node, kind="stable")
        node, other = node[edge], other[edge]
        lv = level[node]
        slabs = np.searchsorted(lv, np.arange(1, int(lv.max(initial=0)) + 2))
        group_start = np.flatnonzero(np.r_[True, node[1:] != node[:-1]]) if len(node) else node
        return cls(edge, node, other, slabs, group_start, np.searchsorted(group_start, slabs))

    def steps(self) -> Iterator[tuple[int, int, _Ints, _Ints]]:
        """Per level: slab start and end, group starts relative to the slab, the groups' nodes."""
        for lvl in range(1, len(self.slabs)):
            s, e = int(self.slabs[lvl - 1]), int(self.slabs[lvl])
            starts = self.group_start[self.groups[lvl - 1]:self.groups[lvl]]
            yield s, e, starts - s, self.node[starts]

    def count(self, n: int, dtype: type[Any]) -> NDArray[Any]:
        """Number of paths from a level-0 node to each node (1 for level 0) over ``other -> node``."""
        paths = np.ones(n, dtype=dtype)
        for s, e, starts, nodes in self.steps():
            paths[nodes] = np.add.reduceat(paths[self.other[s:e]], starts)
        return paths

    def best(self, n: int, weight: NDArray[np.float64]) -> tuple[NDArray[np.float64], _Ints]:
        """Largest weight sum of a path from a level-0 node to each node, and the ``other`` it comes from.

        ``weight`` is given per flow edge. Ties go to the smallest ``other``; -1 on level 0.
        """
        total = np.zeros(n, dtype=np.float64)
        via = np.full(n, -1, dtype=np.int64)
        w = weight[self.edge]
        for s, e, starts, nodes in self.steps():
            sums = w[s:e] + total[self.other[s:e]]
            top = np.repeat(np.maximum.reduceat(sums, starts), np.diff(np.r_[starts, e - s]))
            first = np.minimum.reduceat(np.where(sums == top, np.arange(e - s), e - s), starts)
            total[nodes] = sums[first]
            via[nodes] = self.other[s:e][first]
        return total, via


@dataclass(frozen=True)
class _Sweeps:
    """The forward (to sinks) and backward (from sources) sweeps of a flow."""

    down: _Sweep  # node = tail, other = head, levels from the sinks
    up: _Sweep  # node = head, other = tail, levels from the sources

    @classmethod
    def of(cls, flow: _Flow) -> _Sweeps:
        n, tail, head = flow.n, flow.tail, flow.head
        return cls(_Sweep.of(n, _levels(n, head, tail), tail, head), _Sweep.of(n, _levels(n, tail, head), head, tail))


def _spc_values(flow: _Flow, sweeps: _Sweeps) -> NDArray[Any]:
    """Exact SPC per flow edge: int64 when a float64 pass bounds the counts, else Python ints."""
    n = flow.n
    if not len(flow.tail):
        return np.zeros(0, dtype=np.int64)
    estimate = float(sweeps.up.count(n, np.float64).max()) * float(sweeps.down.count(n, np.float64).max())
    dtype: type[Any] = np.int64 if estimate < _INT64_SAFE else object
    spc: NDArray[Any] = sweeps.up.count(n, dtype)[flow.tail] * sweeps.down.count(n, dtype)[flow.head]
    return spc


def _edge_weights(flow: _Flow, sweeps: _Sweeps,
                  weights: Mapping[tuple[str, str], float] | None) -> tuple[NDArray[Any], NDArray[np.float64]]:
    """Per flow edge: the weights as given (int64, float64 or object array) and as float64."""
    if weights is None:
        exact = _spc_values(flow, sweeps)
    else:
        values = list(map(weights.get, flow.key_pairs(), itertools.repeat(0)))
        kinds = set(map(type, values))
        exact = np.array(values, dtype=object)
        if kinds <= {int}:
            try:
                exact = np.array(values, dtype=np.int64)
            except OverflowError:
                pass
        elif kinds == {float}:
            exact = np.array(values, dtype=np.float64)
    as_float = exact.astype(np.float64)
    if not np.isfinite(as_float).all():
        bad = next(flow.key_pairs(np.flatnonzero(~np.isfinite(as_float))[:1]))
        raise UsageError(f"the weight of {bad} is {as_float[~np.isfinite(as_float)][0]}; weights must be finite")
    return exact, as_float


def _key_edges(exact: NDArray[Any], as_float: NDArray[np.float64], k: int) -> list[int]:
    """Indices of the ``k`` heaviest flow edges by exact weight; ties: smaller edge (index) first."""
    m = len(exact)
    if k < m:  # float conversion is monotone: the exact top k are among the edges at or above the k-th float
        candidates = np.flatnonzero(as_float >= np.partition(as_float, m - k)[m - k])
    else:
        candidates = np.arange(m)
    if exact.dtype == object:
        return sorted(candidates.tolist(), key=lambda i: (-exact[i], i))[:k]
    heaviest_first = ~exact[candidates] if exact.dtype.kind == "i" else -exact[candidates]
    ranked: list[int] = candidates[np.lexsort((candidates, heaviest_first))][:k].tolist()
    return ranked


def _main_path(flow: _Flow, sweeps: _Sweeps, as_float: NDArray[np.float64]) -> list[Any]:
    total, via = sweeps.down.best(flow.n, as_float)
    has_in = np.zeros(flow.n, dtype=bool)
    has_in[flow.head] = True
    has_out = np.zeros(flow.n, dtype=bool)
    has_out[flow.tail] = True
    starts = np.flatnonzero(~has_in & has_out)
    if not starts.size:
        return []
    node = int(starts[np.argmax(total[starts])])  # argmax keeps the first (smallest) of equals
    path = [node]
    while via[node] >= 0:
        node = int(via[node])
        path.append(node)
    return [flow.keys[i] for i in path]


def _key_routes(flow: _Flow, sweeps: _Sweeps, exact: NDArray[Any], as_float: NDArray[np.float64],
                k: int) -> list[tuple[Any, Any]]:
    if not len(flow.tail):
        return []
    forward = sweeps.down.best(flow.n, as_float)[1].tolist()
    backward = sweeps.up.best(flow.n, as_float)[1].tolist()
    kept: set[tuple[int, int]] = set()
    for e in _key_edges(exact, as_float, k):
        tail, head = int(flow.tail[e]), int(flow.head[e])
        kept.add((tail, head))
        node = tail
        while backward[node] >= 0:
            kept.add((backward[node], node))
            node = backward[node]
        node = head
        while forward[node] >= 0:
            kept.add((node, forward[node]))
            node = forward[node]
    return [(flow.keys[u], flow.keys[v]) for u, v in sorted(kept)]


def _spc_dict(flow: _Flow, spc: NDArray[Any]) -> dict[tuple[str, str], int]:
    return dict(zip(flow.key_pairs(), spc.tolist()))


def spc_weights(G: nx.DiGraph, *, dag: nx.DiGraph | None = None) -> dict[tuple[str, str], int]:
    """Search path count (SPC) of every knowledge-flow edge (Batagelj 2003).

    On the acyclic knowledge-flow graph of :func:`knowledge_flow_dag`,
    ``SPC(u -> v) = N-(u) * N+(v)``, where ``N-(u)`` is the number of paths
    from any source (a node without incoming edges, counting itself once) to
    ``u`` and ``N+(v)`` the number of paths from ``v`` to any sink: the
    number of source-to-sink paths that run through the edge. Exact Python
    integers (they grow quickly).

    ``dag``: ``knowledge_flow_dag(G)[0]`` when the caller has it already
    (without it, the acyclic graph is worked out from ``G`` on arrays, which
    is faster than building it).

    Returns
    -------
    dict
        ``{(cited, citing): spc}`` for every kept edge (edges dropped to break
        cycles are absent), sorted by ``(str(cited), str(citing))``.

    Examples
    --------
    >>> sorted(spc_weights(nx.DiGraph([("c", "a"), ("c", "b"), ("d", "c")])).items())
    [(('a', 'c'), 1), (('b', 'c'), 1), (('c', 'd'), 2)]
    """
    flow = _flow_of(G, dag)
    return _spc_dict(flow, _spc_values(flow, _Sweeps.of(flow)))


def global_main_path(G: nx.DiGraph, weights: Mapping[tuple[str, str], float] | None = None, *,
                     dag: nx.DiGraph | None = None) -> list[str]:
    """The global main path: the source-to-sink path with the largest sum of edge weights.

    Works on the knowledge-flow graph (see :func:`knowledge_flow_dag`) by
    dynamic programming over a topological order, summing in floating point.
    Among paths of equal total the lexicographically smallest node sequence
    (by ``str``) wins.

    Parameters
    ----------
    G : networkx.DiGraph
        A citation graph, citing -> cited.
    weights : mapping, optional
        ``{(cited, citing): weight}``, finite numbers; :func:`spc_weights`
        when not given. Edges missing from the mapping weigh 0.
    dag : networkx.DiGraph, optional
        ``knowledge_flow_dag(G)[0]``, when the caller has built it already.

    Returns
    -------
    list of str
        The nodes of the path in knowledge-flow order (oldest first); empty
        when the graph has no edges.

    Raises
    ------
    UsageError
        If a weight is not finite (NaN or infinite).

    Examples
    --------
    Hand-made unit-test graph: ``b`` and ``c`` cite ``a``; ``d`` cites ``c``.

    >>> global_main_path(nx.DiGraph([("b", "a"), ("c", "a"), ("d", "c")]))
    ['a', 'c', 'd']
    """
    flow = _flow_of(G, dag)
    sweeps = _Sweeps.of(flow)
    return _main_path(flow, sweeps, _edge_weights(flow, sweeps, weights)[1])


def key_route_main_path(
    G: nx.DiGraph, weights: Mapping[tuple[str, str], float] | None = None, *, k: int = 1,
    dag: nx.DiGraph | None = None
) -> list[tuple[str, str]]:
    """The key-route main path (Liu & Lu 2012) through the ``k`` heaviest edges.

    For each of the ``k`` edges with the largest weight (compared exactly;
    ties: smaller edge first), the path is extended backward from its tail to
    a source and forward from its head to a sink, each along the path with
    the largest total weight (summed in floating point; ties: the smallest
    neighbour at each step, going outward from the key edge). The result is
    the union of those paths.

    Parameters
    ----------
    G : networkx.DiGraph
        A citation graph, citing -> cited.
    weights : mapping, optional
        ``{(cited, citing): weight}``, finite numbers; :func:`spc_weights`
        when not given. Edges missing from the mapping weigh 0.
    dag : networkx.DiGraph, optional
        ``knowledge_flow_dag(G)[0]``, when the caller has built it already.
    k : int
        The number of key routes, at least 1 (more than the edges: all).

    Returns
    -------
    list of (cited, citing)
        The knowledge-flow edges of the key-route main path, sorted.

    Raises
    ------
    UsageError
        If ``k`` is below 1 or a weight is not finite.

    Examples
    --------
    Hand-made unit-test graph: ``b`` and ``c`` cite ``a``; ``d`` cites ``c``.

    >>> key_route_main_path(nx.DiGraph([("b", "a"), ("c", "a"), ("d", "c")]), k=2)
    [('a', 'b'), ('a', 'c'), ('c', 'd')]
    """
    if k < 1:
        raise UsageError(f"key routes k={k} must be at least 1")
    flow = _flow_of(G, dag)
    sweeps = _Sweeps.of(flow)
    exact, as_float = _edge_weights(flow, sweeps, weights)
    return _key_routes(flow, sweeps, exact, as_float, k)


@dataclass(frozen=True)
class MainPaths:
    """The results of :func:`main_path_analysis`.

    Attributes
    ----------
    spc : dict
        ``spc_weights(G)``: ``{(cited, citing): search path count}``, sorted.
    main_path : list
        ``global_main_path(G)``.
    key_routes : list of (cited, citing)
        ``key_route_main_path(G, k=k)``.
    dropped : list of (cited, citing)
        ``knowledge_flow_dag(G)[1]``: the knowledge flows dropped to break cycles.
    """

    spc: dict[tuple[str, str], int]
    main_path: list[str]
    key_routes: list[tuple[str, str]]
    dropped: list[tuple[Any, Any]]


def main_path_analysis(G: nx.DiGraph, *, k: int = 1) -> MainPaths:
    """SPC weights, global and key-route main paths of a citation graph in one pass.

    The same results as :func:`knowledge_flow_dag` (its dropped edges),
    :func:`spc_weights`, :func:`global_main_path` and
    :func:`key_route_main_path` with SPC weights and ``k`` key routes, but the
    acyclic knowledge-flow graph, its topological levels and the SPC weights
    are worked out once, on arrays, and no networkx graph is built.

    Parameters
    ----------
    G : networkx.DiGraph
        A citation graph, citing -> cited.
    k : int
        The number of key routes, at least 1.

    Returns
    -------
    MainPaths

    Raises
    ------
    UsageError
        If ``k`` is below 1.

    Examples
    --------
    Hand-made unit-test graph: ``b`` and ``c`` cite ``a``; ``d`` cites ``c``; ``a`` cites itself.

    >>> mp = main_path_analysis(nx.DiGraph([("b", "a"), ("c", "a"), ("d", "c"), ("a", "a")]), k=1)
    >>> mp.spc
    {('a', 'b'): 1, ('a', 'c'): 1, ('c', 'd'): 1}
    >>> mp.main_path, mp.key_routes, mp.dropped
    (['a', 'c', 'd'], [('a', 'b')], [('a', 'a')])
    """
    if k < 1:
        raise UsageError(f"key routes k={k} must be at least 1")
    flow, dropped = _break_cycles(G)[:2]
    sweeps = _Sweeps.of(flow)
    exact, as_float = _edge_weights(flow, sweeps, None)
    return MainPaths(_spc_dict(flow, exact), _main_path(flow, sweeps, as_float),
                     _key_routes(flow, sweeps, exact, as_float, k), dropped)
