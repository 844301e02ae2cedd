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
  heaviest paths.

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

import logging
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx

from citegraph.errors import UsageError
from citegraph.store import Store

__all__ = [
    "Burst",
    "RPYSRow",
    "burst_strength",
    "citation_bursts",
    "global_main_path",
    "key_route_main_path",
    "kleinberg_states",
    "knowledge_flow_dag",
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


def _runs(states: Sequence[int]) -> list[tuple[int, int]]:
    """Maximal runs of state 1 as (first, last) bin."""
    runs: list[tuple[int, int]] = []
    first: int | None = None
    for t, state in enumerate([*states, 0]):
        if state == 1 and first is None:
            first = t
        elif state != 1 and first is not None:
            runs.append((first, t - 1))
            first = None
    return runs


def _year(d: Mapping[str, Any]) -> int | None:
    year = d.get("year")
    return year if isinstance(year, int) and not isinstance(year, bool) else None


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
    run of burst years gives one :class:`Burst`.

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
    made: Counter[int] = Counter()
    received: dict[Any, Counter[int]] = defaultdict(Counter)
    for citing, cited in G.edges():
        if citing == cited:
            continue
        year = _year(G.nodes[citing])
        if year is None or (years is not None and not years[0] <= year <= years[1]):
            continue
        made[year] += 1
        received[cited][year] += 1
    if not made:
        return []
    first, last = years if years is not None else (min(made), max(made))
    span = list(range(first, last + 1))
    totals = [made[y] for y in span]
    bursts: list[Burst] = []
    for node in sorted(received, key=str):
        per_year = received[node]
        if sum(per_year.values()) < min_citations:
            continue
        counts = [per_year[y] for y in span]
        for a, b in _runs(kleinberg_states(counts, totals, s=s, gamma=gamma)):
            bursts.append(Burst(
                doi=str(node), label=str(G.nodes[node].get("label", node)), start=span[a], end=span[b],
                strength=burst_strength(counts, totals, a, b, s=s, gamma=gamma), citations=sum(counts[a : b + 1]),
            ))
    bursts.sort(key=lambda x: (-x.strength, x.doi, x.start))
    log.info("citation bursts: %d burst(s) in %d-%d, %d work(s) examined", len(bursts), first, last,
             sum(1 for c in received.values() if sum(c.values()) >= min_citations))
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


def _dfs_back_edges(D: nx.DiGraph, members: set[Any]) -> list[tuple[Any, Any]]:
    """Back edges of a depth-first search of ``D`` restricted to ``members`` (sorted starts and adjacency)."""
    state: dict[Any, int] = {}  # 1: on the stack, 2: finished
    back: list[tuple[Any, Any]] = []
    for root in sorted(members, key=str):
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(sorted((w for w in D.successors(root) if w in members), key=str)))]
        while stack:
            node, children = stack[-1]
            for child in children:
                seen = state.get(child)
                if seen is None:
                    state[child] = 1
                    stack.append((child, iter(sorted((w for w in D.successors(child) if w in members), key=str))))
                    break
                if seen == 1:
                    back.append((node, child))
            else:
                state[node] = 2
                stack.pop()
    return back


def knowledge_flow_dag(G: nx.DiGraph) -> tuple[nx.DiGraph, list[tuple[Any, Any]]]:
    """The knowledge-flow graph (cited -> citing) of a citation graph, made acyclic.

    Cycles are broken as the module documentation describes: inside each
    strongly connected component, first the edges whose cited work is newer
    than the citing work, then the back edges of a sorted depth-first search.

    Returns
    -------
    (dag, dropped)
        ``dag``: every node of ``G`` (without attributes) and the kept
        knowledge-flow edges ``(cited, citing)``; ``dropped``: the removed
        knowledge-flow edges, self-citations first, then in the order of the
        two stages (each sorted).

    Examples
    --------
    Hand-made unit-test graph: ``a`` (2001) and ``b`` (2000) cite each other.

    >>> G = nx.DiGraph([("a", "b"), ("b", "a")])
    >>> G.nodes["a"]["year"], G.nodes["b"]["year"] = 2001, 2000
    >>> dag, dropped = knowledge_flow_dag(G)
    >>> sorted(dag.edges), dropped
    ([('b', 'a')], [('a', 'b')])
    """
    D = nx.DiGraph()
    D.add_nodes_from(G.nodes)
    loops: list[tuple[Any, Any]] = []
    for citing, cited in G.edges():
        if citing == cited:
            loops.append((cited, citing))
        else:
            D.add_edge(cited, citing)
    against_time: list[tuple[Any, Any]] = []
    for component in nx.strongly_connected_components(D):
        if len(component) < 2:
            continue
        for u in component:
            yu = _year(G.nodes[u])
            if yu is None:
                continue
            for v in D.successors(u):
                yv = _year(G.nodes[v]) if v in component else None
                if yv is not None and yu > yv:
                    against_time.append((u, v))
    against_time.sort(key=lambda e: (str(e[0]), str(e[1])))
    D.remove_edges_from(against_time)
    back: list[tuple[Any, Any]] = []
    for component in nx.strongly_connected_components(D):
        if len(component) > 1:
            back.extend(_dfs_back_edges(D, set(component)))
    back.sort(key=lambda e: (str(e[0]), str(e[1])))
    D.remove_edges_from(back)
    dropped = sorted(loops, key=lambda e: str(e[0])) + against_time + back
    if dropped:
        log.info("main path: dropped %d citation(s) to make the graph acyclic: %d self-citation(s), "
                 "%d against publication year, %d depth-first back edge(s)",
                 len(dropped), len(loops), len(against_time), len(back))
        for cited, citing in dropped:
            log.debug("main path: dropped knowledge flow %s -> %s (%s cites %s)", cited, citing, citing, cited)
    return D, dropped


def _sorted_nodes(nodes: Iterable[Any]) -> list[Any]:
    return sorted(nodes, key=str)


def spc_weights(G: nx.DiGraph, *, dag: nx.DiGraph | None = None) -> dict[tuple[str, str], int]:
    """Search path count (SPC) of every knowledge-flow edge (Batagelj 2003).

    On the acyclic knowledge-flow graph of :func:`knowledge_flow_dag`,
    ``SPC(u -> v) = N-(u) * N+(v)``, where ``N-(u)`` is the number of paths
    from any source (a node without incoming edges, counting itself once) to
    ``u`` and ``N+(v)`` the number of paths from ``v`` to any sink: the
    number of source-to-sink paths that run through the edge. Exact Python
    integers (they grow quickly).

    ``dag``: ``knowledge_flow_dag(G)[0]`` when the caller has it already
    (the main paths need the same graph; building it is the costly part).

    Returns
    -------
    dict
        ``{(cited, citing): spc}`` for every kept edge (edges dropped to break
        cycles are absent).

    Examples
    --------
    >>> sorted(spc_weights(nx.DiGraph([("c", "a"), ("c", "b"), ("d", "c")])).items())
    [(('a', 'c'), 1), (('b', 'c'), 1), (('c', 'd'), 2)]
    """
    D = knowledge_flow_dag(G)[0] if dag is None else dag
    return _spc(D)


def _spc(D: nx.DiGraph) -> dict[tuple[str, str], int]:
    order = list(nx.topological_sort(D))
    into: dict[Any, int] = {}
    for v in order:
        into[v] = sum(into[u] for u in D.predecessors(v)) if D.in_degree(v) else 1
    out_of: dict[Any, int] = {}
    for v in reversed(order):
        out_of[v] = sum(out_of[w] for w in D.successors(v)) if D.out_degree(v) else 1
    return {(u, v): into[u] * out_of[v] for u, v in sorted(D.edges(), key=lambda e: (str(e[0]), str(e[1])))}


def _weights(D: nx.DiGraph, weights: Mapping[tuple[str, str], float] | None) -> Mapping[tuple[str, str], float]:
    return _spc(D) if weights is None else weights


def _best_forward(D: nx.DiGraph, w: Mapping[tuple[str, str], float]) -> dict[Any, tuple[float, Any]]:
    """For each node: (largest weight sum of a path to a sink, next node or None); ties -> smallest next node."""
    best: dict[Any, tuple[float, Any]] = {}
    for v in reversed(list(nx.topological_sort(D))):
        choice: tuple[float, Any] = (0.0, None)
        for nxt in _sorted_nodes(D.successors(v)):
            total = w.get((v, nxt), 0) + best[nxt][0]
            if choice[1] is None or total > choice[0]:
                choice = (total, nxt)
        best[v] = choice
    return best


def _best_backward(D: nx.DiGraph, w: Mapping[tuple[str, str], float]) -> dict[Any, tuple[float, Any]]:
    """For each node: (largest weight sum of a path from a source, previous node or None); ties -> smallest."""
    best: dict[Any, tuple[float, Any]] = {}
    for v in nx.topological_sort(D):
        choice: tuple[float, Any] = (0.0, None)
        for prev in _sorted_nodes(D.predecessors(v)):
            total = w.get((prev, v), 0) + best[prev][0]
            if choice[1] is None or total > choice[0]:
                choice = (total, prev)
        best[v] = choice
    return best


def global_main_path(G: nx.DiGraph, weights: Mapping[tuple[str, str], float] | None = None, *,
                     dag: nx.DiGraph | None = None) -> list[str]:
    """The global main path: the source-to-sink path with the largest sum of edge weights.

    Works on the knowledge-flow graph (see :func:`knowledge_flow_dag`) by
    dynamic programming over a topological order. Among paths of equal total
    the lexicographically smallest node sequence wins.

    Parameters
    ----------
    G : networkx.DiGraph
        A citation graph, citing -> cited.
    weights : mapping, optional
        ``{(cited, citing): weight}``; :func:`spc_weights` when not given.
    dag : networkx.DiGraph, optional
        ``knowledge_flow_dag(G)[0]``, when the caller has built it already.
        Edges missing from the mapping weigh 0.

    Returns
    -------
    list of str
        The nodes of the path in knowledge-flow order (oldest first); empty
        when the graph has no edges.

    Examples
    --------
    Hand-made unit-test graph: ``b`` and ``c`` cite ``a``; ``d`` cites ``c``.

    >>> global_main_path(nx.DiGraph([("b", "a"), ("c", "a"), ("d", "c")]))
    ['a', 'c', 'd']
    """
    D = knowledge_flow_dag(G)[0] if dag is None else dag
    w = _weights(D, weights)
    best = _best_forward(D, w)
    starts = [v for v in _sorted_nodes(D.nodes) if D.in_degree(v) == 0 and D.out_degree(v) > 0]
    if not starts:
        return []
    node: Any = max(starts, key=lambda v: best[v][0])  # max() keeps the first (smallest) of equals
    path = [node]
    while best[node][1] is not None:
        node = best[node][1]
        path.append(node)
    return path


def key_route_main_path(
    G: nx.DiGraph, weights: Mapping[tuple[str, str], float] | None = None, *, k: int = 1,
    dag: nx.DiGraph | None = None
) -> list[tuple[str, str]]:
    """The key-route main path (Liu & Lu 2012) through the ``k`` heaviest edges.

    For each of the ``k`` edges with the largest weight (ties: smaller edge
    first), the path is extended backward from its tail to a source and
    forward from its head to a sink, each along the path with the largest
    total weight (ties: the smallest neighbour at each step, going outward
    from the key edge). The result is the union of those paths.

    Parameters
    ----------
    G : networkx.DiGraph
        A citation graph, citing -> cited.
    weights : mapping, optional
        ``{(cited, citing): weight}``; :func:`spc_weights` when not given.
    dag : networkx.DiGraph, optional
        ``knowledge_flow_dag(G)[0]``, when the caller has built it already.
    k : int
        The number of key routes, at least 1 (more than the edges: all).

    Returns
    -------
    list of (cited, citing)
        The knowledge-flow edges of the key-route main path, sorted.

    Examples
    --------
    Hand-made unit-test graph: ``b`` and ``c`` cite ``a``; ``d`` cites ``c``.

    >>> key_route_main_path(nx.DiGraph([("b", "a"), ("c", "a"), ("d", "c")]), k=2)
    [('a', 'b'), ('a', 'c'), ('c', 'd')]
    """
    if k < 1:
        raise UsageError(f"key routes k={k} must be at least 1")
    D = knowledge_flow_dag(G)[0] if dag is None else dag
    w = _weights(D, weights)
    edges = sorted(D.edges(), key=lambda e: (-w.get(e, 0), str(e[0]), str(e[1])))
    forward = _best_forward(D, w)
    backward = _best_backward(D, w)
    kept: set[tuple[Any, Any]] = set()
    for tail, head in edges[:k]:
        kept.add((tail, head))
        node = tail
        while backward[node][1] is not None:
            kept.add((backward[node][1], node))
            node = backward[node][1]
        node = head
        while forward[node][1] is not None:
            kept.add((node, forward[node][1]))
            node = forward[node][1]
    return sorted(kept, key=lambda e: (str(e[0]), str(e[1])))
