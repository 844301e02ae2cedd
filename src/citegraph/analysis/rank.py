"""Rank the works of a citation graph: who is cited, who is central, and why.

:func:`rank_works` gives one row per work with every measure below, a
composite rank and the components of that composite, sorted by the score the
caller chooses (:data:`SCORES`).

Measures
--------
``local``
    Citations within the network: the in-degree in the citation graph.
``global``
    Citations anywhere, as Crossref counts them (``is-referenced-by-count``);
    unknown for works that are only cited, not stored.
``per_year``
    ``global / (reference_year - year + 1)`` (:func:`citations_per_year`):
    global citations per year since publication, counting the year of
    publication, so recent works are not buried under old ones.
``pagerank``
    PageRank on the citation graph (:func:`pagerank_scores`). It favours
    older works, which have had longer to collect citations
    (:data:`PAGERANK_NOTE`, which the output shows with the results).
``authority`` and ``hub``
    HITS (:func:`hits_scores`): an authority is cited by good hubs (key
    works), a hub cites good authorities (reviews, surveys).
``betweenness``
    Betweenness centrality on the undirected view of the citation graph
    (:func:`betweenness_scores`): works on the short paths between parts of
    the literature, i.e. brokers between otherwise separate groups. Exact
    whenever its estimated cost (:func:`betweenness_cost`, ``nodes x (nodes
    + links)`` visits, a count, not a timing) is within
    ``RankOptions.betweenness_budget`` (about 1 s); sampled above, from the
    pivots that budget pays for, with the sampling error stated
    (:class:`BetweennessFacts`, :func:`betweenness_estimate`).
``cocitation_seeds``
    How often a work is cited together with the seed works
    (:func:`cocitation_with_seeds`): closeness to what the user started from.

Composite
---------
The composite is the mean of the percentile ranks of
:data:`COMPOSITE_COMPONENTS`, each in ``[0, 1]``, shown next to it as
``pct_<component>`` so a reader can see why a work ranks high. The
components are chosen to capture different kinds of influence: being cited
here (``local``), being cited at all, per year so age does not dominate
(``per_year``; global counts enter only this way), being cited by cited
works (``pagerank``), being cited by the works that survey the field
(``authority``) and being close to the seeds (``cocitation_seeds``). Hub
and betweenness scores describe a role, not influence, and stay out.

A percentile rank is the share of ranked works scoring strictly lower plus
half the share scoring the same (the work itself included):
``(lower + equal / 2) / n``. The best of ``n`` distinct scores gets
``1 - 1 / (2 n)``, and when every work scores the same each gets 0.5.
Missing values (no global count, no year) count as 0.

Determinism
-----------
Every measure runs on the links as index arrays over the nodes in sorted
order (read once from the graph; sparse matrices for PageRank, HITS and
co-citation, igraph's C code for betweenness), HITS uses a uniform start
(not ARPACK's random one), exact or sampled betweenness is decided by a
cost count (never a timing) and sampled betweenness takes ``seed``, and the
default reference year is read from the data (not the calendar). Scores are rounded to 8 decimals *before* they are
ranked, so works tied in the table are tied in the ranking and then ordered
by DOI key. Self-citations are ignored by every measure but ``local``, the
in-degree as the graph records it.

Examples
--------
>>> G = nx.DiGraph([("a", "c"), ("b", "c"), ("b", "d")])
>>> [(r["rank"], r["doi"], r["local"]) for r in rank_works(G, RankOptions(score="local"))]
[(1, 'c', 2), (2, 'd', 1), (3, 'a', 0), (4, 'b', 0)]
"""

from __future__ import annotations

import logging
import random
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import igraph
import networkx as nx
import numpy as np
import scipy.sparse as sp

from citegraph.errors import UsageError
from citegraph.graphs.arrays import GraphArrays, edge_index, sorted_nodes

__all__ = [
    "BETWEENNESS_ERROR_GROUPS",
    "BETWEENNESS_ERROR_TOP",
    "BETWEENNESS_FLOOR_SAMPLES",
    "BETWEENNESS_FLOOR_VISITS",
    "COLUMNS",
    "COMPOSITE_COMPONENTS",
    "DEFAULT_BETWEENNESS_BUDGET",
    "MIN_BETWEENNESS_SAMPLES",
    "PAGERANK_NOTE",
    "SCORES",
    "BetweennessFacts",
    "RankOptions",
    "betweenness_cost",
    "betweenness_estimate",
    "betweenness_pivots",
    "betweenness_plan",
    "betweenness_scores",
    "citations_per_year",
    "cocitation_with_seeds",
    "default_reference_year",
    "hits_scores",
    "pagerank_power",
    "pagerank_scores",
    "rank_works",
    "rank_works_with_facts",
    "ranking_notes",
    "top_n",
]

log = logging.getLogger(__name__)

#: The scores :func:`rank_works` can sort by.
SCORES = ("composite", "local", "global", "per_year", "pagerank", "authority", "hub", "betweenness",
          "cocitation_seeds")

#: The measures averaged (as percentile ranks) into the composite. Each
#: captures a different kind of influence: citations in this network, global
#: citations per year (so global counts enter age-corrected), citations from
#: cited works, citations from the works that survey the field, closeness to
#: the seeds.
COMPOSITE_COMPONENTS = ("local", "per_year", "pagerank", "authority", "cocitation_seeds")

#: Shown with the results whenever PageRank is.
PAGERANK_NOTE = "PageRank favours older works: they have had longer to collect citations."

#: The columns of a :func:`rank_works` row, in order.
COLUMNS = (
    "rank", "doi", "label", "title", "year", "journal", "type", "is_seed", "resolved",
    "local", "global", "per_year", "pagerank", "authority", "hub", "betweenness", "cocitation_seeds",
    "composite", *(f"pct_{c}" for c in COMPOSITE_COMPONENTS), "retracted", "notice",
)

_DIGITS = 8


#: Default of :attr:`RankOptions.betweenness_budget`: about one second of igraph's betweenness here.
#:
#: The unit is :func:`betweenness_cost`'s, node and link visits (``sources x (nodes + links)``), never a
#: timing, so the choice between exact and sampled is the same on every machine. Calibrated on this
#: project's machine (2 cores, shared with other jobs; python-igraph 1.0.0, CPU time): exact betweenness
#: ran at 1.5e7 visits/s on a SYNTHETIC Price graph of 2,000 nodes and 9,809 links (1.56 s), 2.0e7 at
#: 5,000 / 48,805, 1.5e7 at 10,000 / 49,703, 1.7e7 at 20,000 / 198,069, and 1.1e7 on the real
#: coffee/obesity Web of Science store (36,518 nodes, 52,799 links: 3.3e9 visits, 302 s); sampled
#: (``sources=``) at 1.4e7 on that store. 1.5e7 visits is about 1 s at the median rate.
DEFAULT_BETWEENNESS_BUDGET = 15_000_000

#: The fewest pivots sampled betweenness draws on a graph too large for :data:`BETWEENNESS_FLOOR_SAMPLES`
#: within :data:`BETWEENNESS_FLOOR_VISITS`.
MIN_BETWEENNESS_SAMPLES = 100

#: Pivots sampled betweenness draws at least, however small the budget (fewer on a graph where they would
#: cost more than :data:`BETWEENNESS_FLOOR_VISITS`, never fewer than :data:`MIN_BETWEENNESS_SAMPLES`).
#: Measured on the real stores: the pivots a 1 s budget pays for (167 on the coffee/obesity store, 100 on
#: CRISPR) put the median true relative error over the top 20 at 12-22% and 16-31%, against 8.7% and
#: 6.5% with 500 pivots; so sampling never draws fewer than this floor when the graph allows it.
BETWEENNESS_FLOOR_SAMPLES = 500

#: The visits the floor of :data:`BETWEENNESS_FLOOR_SAMPLES` pivots may cost (about 13 s here).
BETWEENNESS_FLOOR_VISITS = 200_000_000

#: The groups the pivots of sampled betweenness are split into to state its standard error.
BETWEENNESS_ERROR_GROUPS = 10

#: The works (highest betweenness first) over which the relative standard error is summarised (median).
BETWEENNESS_ERROR_TOP = 20

_LEGACY_SAMPLES = 500  # pivots of the node-count rule (exact_betweenness_max_nodes) when none are given


@dataclass(frozen=True)
class RankOptions:
    """How :func:`rank_works` ranks (the options of ``citegraph analyse``).

    Attributes
    ----------
    score : str
        The score rows are sorted by, one of :data:`SCORES`.
    damping : float
        PageRank's damping factor, in (0, 1).
    exact_betweenness_max_nodes : int or None
        Deprecated (a :class:`DeprecationWarning`): the old rule, which
        replaces the budget when given: exact up to this many nodes, else
        ``betweenness_samples`` pivots (500 when None). None (default):
        the budget decides (:func:`betweenness_plan`).
    betweenness_samples : int or None
        Pivots (source nodes) when betweenness is sampled; None (default):
        as many as ``betweenness_budget`` allows, at least
        :data:`MIN_BETWEENNESS_SAMPLES`.
    betweenness_max_visits : None
        Replaced by ``betweenness_budget``: anything but None is a
        :class:`UsageError` saying so.
    seed : int
        Seed of the betweenness sample.
    reference_year : int, optional
        "Now" for citations per year; None takes :func:`default_reference_year`,
        read from the data so the results do not change with the calendar.
    resolved_only : bool
        Rank only stored works (cited-only works have no global count).
        Every measure is still computed on the whole graph.
    betweenness_budget : int
        Betweenness is exact when its estimated cost (:func:`betweenness_cost`,
        in node and link visits) is at most this, sampled above with the
        pivots this many visits pay for. Default
        :data:`DEFAULT_BETWEENNESS_BUDGET` (about 1 s; calibration there).

    Raises
    ------
    UsageError
        An unknown score or an out-of-range value.

    Examples
    --------
    >>> RankOptions(score="pagerank").damping
    0.85
    >>> RankOptions().betweenness_budget
    15000000
    """

    score: str = "composite"
    damping: float = 0.85
    exact_betweenness_max_nodes: int | None = None
    betweenness_samples: int | None = None
    betweenness_max_visits: int | None = None
    seed: int = 0
    reference_year: int | None = None
    resolved_only: bool = False
    betweenness_budget: int = DEFAULT_BETWEENNESS_BUDGET

    def __post_init__(self) -> None:
        if self.score not in SCORES:
            raise UsageError(f"score {self.score!r} is not one of {', '.join(SCORES)}")
        if not 0.0 < self.damping < 1.0:
            raise UsageError(f"damping {self.damping} must be between 0 and 1 (exclusive)")
        if self.exact_betweenness_max_nodes is not None:
            if self.exact_betweenness_max_nodes < 0:
                raise UsageError(f"exact_betweenness_max_nodes {self.exact_betweenness_max_nodes} must be at least 0")
            warnings.warn("exact_betweenness_max_nodes is deprecated: betweenness_budget decides between exact "
                          "and sampled betweenness by its estimated cost", DeprecationWarning, stacklevel=3)
        if self.betweenness_samples is not None and self.betweenness_samples < 1:
            raise UsageError(f"betweenness_samples {self.betweenness_samples} must be at least 1")
        if self.betweenness_max_visits is not None:
            raise UsageError("betweenness_max_visits is replaced by betweenness_budget (in node and link visits, "
                             "sources x (nodes + links); exact below it, sampled within it above)")
        if self.betweenness_budget < 0:
            raise UsageError(f"betweenness_budget {self.betweenness_budget} must be at least 0")


def betweenness_cost(nodes: int, links: int, sources: int | None = None) -> int:
    """The estimated work of betweenness: ``sources x (nodes + links)`` node and link visits.

    Brandes' algorithm on an unweighted graph runs one breadth-first search
    and one accumulation from each source, each visiting every node and
    link once: exact betweenness has ``nodes`` sources, sampled betweenness
    one per pivot. ``links`` are those of the graph it runs on (for
    :func:`betweenness_scores`, the undirected view without self-loops).
    A count, not a timing: the same on every machine.

    Examples
    --------
    >>> betweenness_cost(5, 4), betweenness_cost(5, 4, sources=2)
    (45, 18)
    """
    return (nodes if sources is None else sources) * (nodes + links)


@dataclass(frozen=True)
class BetweennessFacts:
    """How betweenness was computed: exact or sampled, at what cost, with what error.

    Attributes
    ----------
    nodes, links : int
        The undirected view betweenness runs on (links without self-loops,
        a link both ways counted once).
    pivots : int
        Source nodes; ``nodes`` when exact.
    budget : int
        The budget it was held to (node and link visits), or -1 under the
        deprecated node-count rule (``exact_betweenness_max_nodes``).
    seed : int
    groups : int
        Groups of pivots the standard error was estimated from (0: exact, or
        too few pivots to state an error).
    relative_error : float or None
        When sampled: the median, over the :data:`BETWEENNESS_ERROR_TOP`
        works of highest estimate (those above 0), of each one's standard
        error over its estimate. None when exact or not estimable.

    Examples
    --------
    >>> facts = BetweennessFacts(nodes=36_518, links=52_799, pivots=167, budget=15_000_000, seed=0, groups=10,
    ...                          relative_error=0.123)
    >>> facts.exact, facts.cost, facts.exact_cost
    (False, 14915939, 3261678206)
    >>> print(facts.note())  # doctest: +NORMALIZE_WHITESPACE
    Betweenness: sampled, 167 pivots of 36518 nodes (seed 0; cost 1.5e+07 visits;
    exact would cost 3.3e+09 > budget 1.5e+07); median relative standard error over the top 20: 12%.
    >>> print(BetweennessFacts(nodes=5, links=4, pivots=5, budget=15_000_000, seed=0).note())
    Betweenness: exact (cost 45 <= budget 1.5e+07 visits), on the undirected citation graph.
    """

    nodes: int
    links: int
    pivots: int
    budget: int
    seed: int
    groups: int = 0
    relative_error: float | None = None

    @property
    def exact(self) -> bool:
        """True when every node was a source."""
        return self.pivots >= self.nodes

    @property
    def cost(self) -> int:
        """The estimated work spent (:func:`betweenness_cost` with ``pivots`` sources)."""
        return betweenness_cost(self.nodes, self.links, self.pivots)

    @property
    def exact_cost(self) -> int:
        """The estimated work of exact betweenness."""
        return betweenness_cost(self.nodes, self.links)

    def note(self) -> str:
        """One line saying how betweenness was computed (for the notes of a ranking)."""
        legacy = self.budget < 0
        if self.exact:
            if legacy:
                return "Betweenness: exact, on the undirected citation graph."
            return (f"Betweenness: exact (cost {self.cost:.2g} <= budget {self.budget:.2g} visits), "
                    "on the undirected citation graph.")
        why = "node-count rule" if legacy else f"exact would cost {self.exact_cost:.2g} > budget {self.budget:.2g}"
        if self.relative_error is not None:
            error = (f"median relative standard error over the top {BETWEENNESS_ERROR_TOP}: "
                     f"{100 * self.relative_error:.0f}%")
        else:  # not run yet (a plan), too few pivots to group, or every estimate 0
            error = "no error estimated" if self.groups == 0 else "no error estimated (every estimate 0)"
        return (f"Betweenness: sampled, {self.pivots} pivots of {self.nodes} nodes (seed {self.seed}; "
                f"cost {self.cost:.2g} visits; {why}); {error}.")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with ``exact``, ``cost`` and ``exact_cost``."""
        return {"exact": self.exact, "nodes": self.nodes, "links": self.links, "pivots": self.pivots,
                "cost": self.cost, "exact_cost": self.exact_cost, "budget": self.budget, "seed": self.seed,
                "groups": self.groups, "relative_error": self.relative_error}


def _plan(n: int, links: int, o: RankOptions) -> BetweennessFacts:
    """Exact or sampled, and how many pivots (see :func:`betweenness_plan`)."""
    return _plan_of(n, links, budget=o.betweenness_budget, samples=o.betweenness_samples, seed=o.seed,
                    exact_max_nodes=o.exact_betweenness_max_nodes)


def _plan_of(n: int, links: int, *, budget: int, samples: int | None, seed: int,
             exact_max_nodes: int | None) -> BetweennessFacts:
    if exact_max_nodes is not None:  # the deprecated node-count rule
        count = _LEGACY_SAMPLES if samples is None else samples
        return BetweennessFacts(n, links, n if n <= exact_max_nodes or count >= n else count, -1, seed)
    if n <= 2 or betweenness_cost(n, links) <= budget:
        return BetweennessFacts(n, links, n, budget, seed)
    if samples is None:
        floor = min(BETWEENNESS_FLOOR_SAMPLES, max(MIN_BETWEENNESS_SAMPLES, BETWEENNESS_FLOOR_VISITS // (n + links)))
        pivots = max(floor, budget // (n + links))
    else:
        pivots = samples
    return BetweennessFacts(n, links, min(n, pivots), budget, seed)


def betweenness_plan(G: nx.DiGraph, options: RankOptions | None = None) -> BetweennessFacts:
    """Whether :func:`rank_works` computes betweenness exactly, and with how many pivots if not.

    Exact when :func:`betweenness_cost` of the undirected view (``nodes x
    (nodes + links)``) is at most ``betweenness_budget``; above, sampled
    from ``betweenness_samples`` pivots, or by default from as many as the
    budget pays for, ``budget // (nodes + links)``, but at least
    :data:`BETWEENNESS_FLOOR_SAMPLES` (500) as long as they cost at most
    :data:`BETWEENNESS_FLOOR_VISITS`, and never fewer than
    :data:`MIN_BETWEENNESS_SAMPLES` (fewer pivots than that floor gave
    errors of 12-31% on the real stores); as many pivots as nodes is
    exact. The facts returned
    carry no error yet (it is measured by the run:
    :func:`betweenness_estimate`).

    Examples
    --------
    Hand-made graphs: a path of 3,001 works (3,000 links) costs 3,001 x
    6,001 = 18,009,001 visits exact, over the default budget of 15
    million, which pays for 2,499 pivots; at 300,000 or 3 million visits
    the floor of 500. A path of 1,001 works is exact.

    >>> G = nx.DiGraph((f"w{i}", f"w{i + 1}") for i in range(3000))
    >>> plan = betweenness_plan(G)
    >>> plan.exact, plan.exact_cost, plan.pivots, plan.cost
    (False, 18009001, 2499, 14996499)
    >>> [betweenness_plan(G, RankOptions(betweenness_budget=b)).pivots for b in (300_000, 3_000_000)]
    [500, 500]
    >>> betweenness_plan(nx.DiGraph((f"w{i}", f"w{i + 1}") for i in range(1000))).exact
    True
    """
    o = options or RankOptions()
    _require_directed(G)
    e = _edges(G)
    return _plan(e.n, len(_undirected_pairs(e)), o)


def betweenness_pivots(G: nx.DiGraph, options: RankOptions | None = None) -> int:
    """The pivots :func:`rank_works` samples betweenness from (all nodes when it is exact).

    ``betweenness_plan(G, options).pivots`` (:func:`betweenness_plan`).

    Examples
    --------
    >>> G = nx.DiGraph((f"w{i}", f"w{i + 1}") for i in range(3000))
    >>> betweenness_pivots(G), betweenness_pivots(G, RankOptions(betweenness_budget=3_000_000))
    (2499, 500)
    >>> betweenness_pivots(nx.DiGraph([("a", "b")]))
    2
    """
    return betweenness_plan(G, options).pivots


@dataclass(frozen=True)
class _Edges:
    """The citation links as index arrays: ``nodes`` sorted, link ``i`` is ``nodes[src[i]] -> nodes[dst[i]]``.

    Self-citations are dropped. Taken from the graph's
    :class:`~citegraph.graphs.arrays.GraphArrays` (nodes sorted by ``str``),
    which an analysis builds once for every measure.
    """

    nodes: list[Any]
    src: np.ndarray
    dst: np.ndarray

    @property
    def n(self) -> int:
        return len(self.nodes)

    def matrix(self, dtype: type = np.float64) -> sp.csr_matrix:
        """The 0/1 citation matrix, ``A[i, j] = 1`` when i cites j (CSR, rows and columns in node order)."""
        return sp.csr_matrix((np.ones(len(self.src), dtype=dtype), (self.src, self.dst)), shape=(self.n, self.n))


def _edges(G: nx.DiGraph, arrays: GraphArrays | None = None) -> _Edges:
    """The links of ``G`` as :class:`_Edges` (nodes in sorted order, self-loops dropped), from ``arrays``
    (``G``'s :class:`~citegraph.graphs.arrays.GraphArrays`) when given."""
    if arrays is None:  # the numbering and links of GraphArrays.from_graph, without the weights and years
        nodes, index = sorted_nodes(G)
        src, dst = edge_index(G, index)
    else:
        a = arrays.require(G)
        nodes, src, dst = a.nodes, a.src, a.dst
    keep = src != dst
    return _Edges(nodes, src[keep], dst[keep])


def _require_directed(G: nx.Graph) -> None:
    if not G.is_directed():
        raise UsageError("rankings need the directed citation graph (citing -> cited)")


def pagerank_scores(G: nx.DiGraph, *, damping: float = 0.85) -> dict[str, float]:
    """PageRank of every work, summing to 1: ``networkx.pagerank(G, alpha=damping, weight=None, tol=1e-12)``.

    Each citation counts once (edge weights are ignored) and self-citations
    are ignored. A work citing nothing in the graph (a dangling node)
    spreads its score evenly over all works, and the teleport is uniform, as
    in networkx. The power iteration is networkx's own (start uniform, stop
    when the L1 change is below ``n * 1e-12``), run on a sparse matrix built
    straight from the adjacency, so the scores agree with networkx to about
    1e-12.

    Examples
    --------
    >>> pr = pagerank_scores(nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a")]))
    >>> [round(v, 6) for _, v in sorted(pr.items())]
    [0.333333, 0.333333, 0.333333]
    >>> pr = pagerank_scores(nx.DiGraph([("a", "c"), ("b", "c")]))  # c dangles: 27/47, 10/47 (see the tests)
    >>> {k: round(v, 6) for k, v in pr.items()}
    {'a': 0.212766, 'b': 0.212766, 'c': 0.574468}
    """
    _require_directed(G)
    if not 0.0 < damping < 1.0:
        raise UsageError(f"damping {damping} must be between 0 and 1 (exclusive)")
    if G.number_of_nodes() == 0:
        return {}
    e = _edges(G)
    return dict(zip(e.nodes, _pagerank(e, damping).tolist(), strict=True))


def _pagerank(e: _Edges, damping: float, *, tol: float = 1e-12, max_iter: int = 10_000) -> np.ndarray:
    """networkx's ``_pagerank_scipy`` power iteration (uniform start, teleport and dangling share)."""
    return pagerank_power(e.n, e.src, e.dst, damping, tol=tol, max_iter=max_iter)


def pagerank_power(n: int, src: np.ndarray, dst: np.ndarray, damping: float = 0.85, *, tol: float = 1e-12,
                   max_iter: int = 10_000) -> np.ndarray:
    """PageRank of ``n`` nodes linked ``src[i] -> dst[i]`` (index arrays), as networkx's ``_pagerank_scipy``.

    Uniform start and teleport; a dangling node's score is spread over all
    nodes. Shared by :func:`pagerank_scores` and the snapshot analyses
    (:mod:`citegraph.analysis.snapshot`), so both give the same scores.

    Raises
    ------
    networkx.PowerIterationFailedConvergence
        No convergence to ``n * tol`` (L1) in ``max_iter`` steps.

    Examples
    --------
    >>> pagerank_power(3, np.array([0, 1]), np.array([2, 2])).round(4).tolist()  # = networkx.pagerank
    [0.2128, 0.2128, 0.5745]
    """
    out_degree = np.bincount(src, minlength=n).astype(np.float64)
    # column-stochastic transpose: x_new[j] = sum over i citing j of x[i] / out_degree[i]
    PT = sp.csr_matrix((1.0 / out_degree[src], (dst, src)), shape=(n, n))
    dangling = np.flatnonzero(out_degree == 0)
    x: np.ndarray = np.full(n, 1.0 / n)
    teleport = (1.0 - damping) / n
    for _ in range(max_iter):
        last = x
        x = np.asarray(damping * (PT @ last + float(last[dangling].sum()) / n) + teleport)
        if float(np.abs(x - last).sum()) < n * tol:
            return x
    raise nx.PowerIterationFailedConvergence(max_iter)


def hits_scores(
    G: nx.DiGraph, *, max_iter: int = 1000, tol: float = 1e-12
) -> tuple[dict[str, float], dict[str, float]]:
    """HITS hub and authority scores, by a deterministic power iteration.

    With ``A`` the sparse citation matrix (``A[i, j] = 1`` when i cites j),
    start from uniform hubs ``h`` and repeat ``a = A^T h``, ``h = A a``,
    each L1-normalised (so each sums to 1, like ``networkx.hits``), until
    the L1 change of ``a`` plus that of ``h`` is below ``tol``. networkx's
    own ``hits`` starts ARPACK from a random vector, which can change the
    answer where the leading singular value is shared (e.g. by identical
    components); the uniform start here always gives the same one. A graph
    without edges gives every node ``1 / n`` for both.

    Returns
    -------
    (hubs, authorities)

    Examples
    --------
    >>> hubs, auth = hits_scores(nx.DiGraph([("h1", "a1"), ("h1", "a2"), ("h2", "a1")]))
    >>> round(auth["a1"], 6), round(auth["a2"], 6), round(hubs["h1"], 6), auth["h1"]
    (0.618034, 0.381966, 0.618034, 0.0)
    """
    _require_directed(G)
    if G.number_of_nodes() == 0:
        return {}, {}
    e = _edges(G)
    h, a = _hits(e, max_iter=max_iter, tol=tol)
    return (dict(zip(e.nodes, h.tolist(), strict=True)), dict(zip(e.nodes, a.tolist(), strict=True)))


def _hits(e: _Edges, *, max_iter: int = 1000, tol: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    """(hubs, authorities) of :func:`hits_scores` as arrays in ``e.nodes`` order."""
    n = e.n
    if len(e.src) == 0:
        return np.full(n, 1.0 / n), np.full(n, 1.0 / n)
    A = e.matrix()
    AT = A.T.tocsr()
    h = np.full(n, 1.0 / n)
    a = np.zeros(n)
    change = float("inf")
    for _ in range(max_iter):
        a_new = AT @ h
        a_new /= a_new.sum()
        h_new = A @ a_new
        h_new /= h_new.sum()
        change = float(np.abs(a_new - a).sum() + np.abs(h_new - h).sum())
        a, h = a_new, h_new
        if change < tol:
            break
    else:
        log.warning("HITS did not converge to %g in %d iterations (last change %.3g)", tol, max_iter, change)
    return h, a


def betweenness_scores(
    G: nx.DiGraph, *, exact_max_nodes: int | None = None, samples: int | None = None, seed: int = 0,
    budget: int = DEFAULT_BETWEENNESS_BUDGET,
) -> tuple[dict[str, float], bool]:
    """Normalised betweenness centrality on the undirected view of the citation graph.

    Citation direction is dropped on purpose: a work linking two parts of the
    literature is a broker whether it cites one and is cited by the other or
    cites both. Exact (Brandes) when its estimated cost
    (:func:`betweenness_cost`) is at most ``budget``; otherwise estimated
    from ``samples`` pivot (source) nodes (by default as many as the budget
    pays for: :func:`betweenness_plan`) drawn with ``seed`` (same seed, same
    graph: same answer); as many samples as nodes is exact.
    ``exact_max_nodes`` (deprecated) replaces the budget by the old rule:
    exact up to that many nodes, else ``samples`` pivots (500 when None).
    :func:`betweenness_estimate` gives the standard errors too.

    The shortest paths are counted by igraph (C); the values are those of
    ``networkx.betweenness_centrality(U, normalized=True)`` on the undirected
    view ``U`` (nodes sorted), and, when sampled, of its estimator with
    ``k=samples, seed=seed``: the same pivots
    (``random.Random(seed).sample(sorted nodes, samples)``) and the same
    scaling, ``1 / (k (n - 2))`` for the other nodes and
    ``1 / ((k - 1) (n - 2))`` for a pivot (whose own paths are not counted).
    With a single pivot the pivot's own score is undefined (networkx gives
    NaN): it is 0 here.

    Returns
    -------
    (scores, exact)
        ``exact`` is False when the scores were estimated by sampling.

    Examples
    --------
    >>> scores, exact = betweenness_scores(nx.DiGraph([("a", "b"), ("c", "b")]))
    >>> scores, exact
    ({'a': 0.0, 'b': 1.0, 'c': 0.0}, True)

    Sampled on the path a - b - c - d - e (a budget of 0 forces sampling):
    seed 1 draws the pivots b and a. c lies on 2 paths from each (to d and
    e): 4 / (2 pivots * 3); b, a pivot, on 3 paths from a: 3 / (1 other
    pivot * 3).

    >>> path = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")])
    >>> scores, exact = betweenness_scores(path, budget=0, samples=2, seed=1)
    >>> exact, {k: round(v, 4) for k, v in scores.items()}
    (False, {'a': 0.0, 'b': 1.0, 'c': 0.6667, 'd': 0.3333, 'e': 0.0})
    """
    _require_directed(G)
    if samples is not None and samples < 1:
        raise UsageError(f"betweenness samples {samples} must be at least 1")
    if budget < 0:
        raise UsageError(f"betweenness budget {budget} must be at least 0")
    if G.number_of_nodes() == 0:
        return {}, True
    e = _edges(G)
    pairs = _undirected_pairs(e)
    facts = _plan_of(e.n, len(pairs), budget=budget, samples=samples, seed=seed, exact_max_nodes=exact_max_nodes)
    scores, _, facts = _betweenness(e, pairs, facts)
    return dict(zip(e.nodes, scores.tolist(), strict=True)), facts.exact


def betweenness_estimate(G: nx.DiGraph, options: RankOptions | None = None) -> tuple[
        dict[str, float], dict[str, float], BetweennessFacts]:
    """Betweenness as :func:`rank_works` computes it, with each work's standard error and the facts.

    Exact or sampled as :func:`betweenness_plan` decides. When sampled, the
    pivots (in the order drawn, so at random) are dealt into
    :data:`BETWEENNESS_ERROR_GROUPS` groups (fewer when there are under two
    pivots a group), each group gives its own estimate (the same estimator
    on its pivots), and a work's standard error is the standard deviation
    of the group estimates over the square root of the number of groups.
    The facts state the median relative standard error over the
    :data:`BETWEENNESS_ERROR_TOP` works of highest estimate. Exact scores
    have standard error 0.

    Returns
    -------
    (scores, standard_errors, facts)

    Examples
    --------
    Hand-made: a path of 3,001 works, sampled at a budget of 3 million
    visits (the floor of 500 pivots): the middle work lies on about half
    of the paths.

    >>> G = nx.DiGraph((f"w{i:04d}", f"w{i + 1:04d}") for i in range(3000))
    >>> scores, errors, facts = betweenness_estimate(G, RankOptions(betweenness_budget=3_000_000))
    >>> facts.exact, facts.pivots, facts.groups, round(scores["w1500"], 1), facts.relative_error < 0.1
    (False, 500, 10, 0.5, True)
    """
    o = options or RankOptions()
    _require_directed(G)
    if G.number_of_nodes() == 0:
        return {}, {}, _plan(0, 0, o)
    e = _edges(G)
    pairs = _undirected_pairs(e)
    scores, errors, facts = _betweenness(e, pairs, _plan(e.n, len(pairs), o))
    return (dict(zip(e.nodes, scores.tolist(), strict=True)), dict(zip(e.nodes, errors.tolist(), strict=True)),
            facts)


def _undirected_pairs(e: _Edges) -> np.ndarray:
    """The links of the undirected view as sorted ``lo * n + hi`` codes, a link both ways once."""
    lo, hi = np.minimum(e.src, e.dst), np.maximum(e.src, e.dst)
    pairs = np.sort(lo.astype(np.int64) * e.n + hi)
    return pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs  # (np.unique hashes: slower)


def _scale(n: int, pivots: Sequence[int]) -> np.ndarray:
    """networkx's scaling of a sampled estimate: ``1 / (k (n - 2))``, a pivot ``1 / ((k - 1) (n - 2))``."""
    k = len(pivots)
    scale = np.full(n, 1.0 / (k * (n - 2)))
    scale[list(pivots)] = 1.0 / ((k - 1) * (n - 2)) if k > 1 else 0.0
    return scale


def _betweenness(e: _Edges, pairs: np.ndarray, facts: BetweennessFacts) -> tuple[
        np.ndarray, np.ndarray, BetweennessFacts]:
    """(scores, standard errors, facts) in ``e.nodes`` order, as ``facts`` (a plan) says."""
    n = e.n
    if n <= 2:  # no pair of other nodes to lie between (networkx leaves the zeros unscaled)
        return np.zeros(n), np.zeros(n), facts
    g = igraph.Graph(n=n, edges=list(zip((pairs // n).tolist(), (pairs % n).tolist(), strict=True)),
                     directed=False)
    if facts.exact:
        # igraph counts each unordered pair once; networkx normalises ordered pairs by (n - 1)(n - 2)
        raw = np.asarray(g.betweenness(directed=False), dtype=np.float64)
        return 2.0 * raw / ((n - 1) * (n - 2)), np.zeros(n), facts
    samples, seed = facts.pivots, facts.seed
    pivots = random.Random(seed).sample(range(n), samples)  # = networkx's sample of the sorted nodes
    k = min(BETWEENNESS_ERROR_GROUPS, samples // 2)
    groups = [pivots[i::k] for i in range(k)] if k >= 2 else [pivots]
    # from each group's pivots to every node, each path counted once (half of networkx's ordered count)
    parts = [2.0 * np.asarray(g.betweenness(directed=False, sources=group), dtype=np.float64) for group in groups]
    scores = np.sum(parts, axis=0) * _scale(n, pivots)
    if k < 2:
        log.info("betweenness estimated from %d of %d nodes (seed %d); too few to state an error",
                 samples, n, seed)
        return scores, np.zeros(n), replace(facts, groups=0)
    estimates = np.array([part * _scale(n, group) for part, group in zip(parts, groups, strict=True)])
    errors = estimates.std(axis=0, ddof=1) / np.sqrt(k)
    top = np.argsort(-scores, kind="stable")[:BETWEENNESS_ERROR_TOP]
    top = top[scores[top] > 0]
    relative = float(np.median(errors[top] / scores[top])) if len(top) else None
    facts = replace(facts, groups=k, relative_error=relative)
    log.info("betweenness estimated from %d of %d nodes (seed %d; cost %.2g, exact %.2g, budget %.2g visits); "
             "median relative standard error over the top %d: %s", samples, n, seed, facts.cost, facts.exact_cost,
             facts.budget, BETWEENNESS_ERROR_TOP, "-" if relative is None else f"{100 * relative:.0f}%")
    return scores, errors, facts


def cocitation_with_seeds(G: nx.DiGraph) -> dict[str, int]:
    """For each work, its co-citations with the seeds.

    The sum over the seeds ``s`` (other than the work itself) of the number
    of works citing both the work and ``s``; seeds are the nodes with
    ``is_seed`` true. Computed as ``M^T (M s)`` with the sparse citation
    matrix ``M`` and the seed indicator ``s``, minus, for a seed, its
    co-citation with itself (its in-degree).

    Examples
    --------
    >>> G = nx.DiGraph([("p", "s"), ("p", "x"), ("q", "s"), ("q", "x"), ("q", "t")])
    >>> G.nodes["s"]["is_seed"] = True; G.nodes["t"]["is_seed"] = True
    >>> sorted(cocitation_with_seeds(G).items())
    [('p', 0), ('q', 0), ('s', 1), ('t', 1), ('x', 3)]
    """
    _require_directed(G)
    if G.number_of_nodes() == 0:
        return {}
    e = _edges(G)
    return dict(zip(e.nodes, _cocitation_with_seeds(G, e).tolist(), strict=True))


def _cocitation_with_seeds(G: nx.DiGraph, e: _Edges) -> np.ndarray:
    M = e.matrix(np.int64)
    node_data = G.nodes
    seed = np.fromiter((1 if node_data[n].get("is_seed") else 0 for n in e.nodes), dtype=np.int64, count=e.n)
    together = M.T @ (M @ seed)  # for node i: sum over seeds s of |citers(i) & citers(s)|
    indegree = np.bincount(e.dst, minlength=e.n)
    result: np.ndarray = np.asarray(together - seed * indegree)  # a seed is not co-cited with itself
    return result


def default_reference_year(G: nx.Graph) -> int | None:
    """The latest publication year among works with a global citation count.

    Those are the works whose citations per year are defined; years read
    from other works' reference lists (occasionally mistyped) do not move
    it. Falls back to the latest year of any work, else None.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_node("a", year=2019, citations_global=3); G.add_node("b", year=2091)
    >>> default_reference_year(G)
    2019
    """
    counted = [d["year"] for _, d in G.nodes(data=True)
               if d.get("year") is not None and d.get("citations_global") is not None]
    if counted:
        return int(max(counted))
    years = [d["year"] for _, d in G.nodes(data=True) if d.get("year") is not None]
    return int(max(years)) if years else None


def citations_per_year(G: nx.DiGraph, reference_year: int | None = None) -> dict[str, float | None]:
    """Global citations per year since publication: ``citations_global / (reference_year - year + 1)``.

    The year of publication counts as a year, so a work published in the
    reference year keeps its full count. ``reference_year`` None uses
    :func:`default_reference_year`. A work dated after the reference year
    counts as published in it. None when the year or the global count is
    unknown.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_node("a", year=2016, citations_global=10); G.add_node("b", year=2020, citations_global=3)
    >>> G.add_node("c", citations_global=4)
    >>> citations_per_year(G, 2020)
    {'a': 2.0, 'b': 3.0, 'c': None}
    """
    ref = default_reference_year(G) if reference_year is None else reference_year
    out: dict[str, float | None] = {}
    for node in sorted(G.nodes):
        d = G.nodes[node]
        year, cited = d.get("year"), d.get("citations_global")
        if ref is None or year is None or cited is None:
            out[node] = None
        else:
            out[node] = float(cited) / max(1, ref - int(year) + 1)
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), _DIGITS)


def _percentiles(values: Sequence[float | int | None]) -> list[float]:
    """Percentile ranks ``(lower + equal / 2) / n``, missing values counted as 0."""
    n = len(values)
    if n == 0:
        return []
    v = np.array([0.0 if x is None else float(x) for x in values])
    s = np.sort(v)
    lower = np.searchsorted(s, v, side="left")
    equal = np.searchsorted(s, v, side="right") - lower
    return [float(x) for x in (lower + 0.5 * equal) / n]


def _sort_key(row: Mapping[str, Any], score: str) -> tuple[bool, float, str]:
    value = row[score]
    return (value is None, 0.0 if value is None else -float(value), str(row["_key"]))


def rank_works(G: nx.DiGraph, options: RankOptions | None = None, *,
               arrays: GraphArrays | None = None) -> list[dict[str, Any]]:
    """One row per work with every measure, the composite and its components, best first.

    The rows of :func:`rank_works_with_facts`, which also says how
    betweenness was computed.

    Parameters
    ----------
    G : networkx.DiGraph
        A citation graph (citing -> cited) as :func:`citegraph.graphs.citation_graph`
        builds it; missing node attributes are left empty.
    options : RankOptions, optional
    arrays : GraphArrays, optional
        ``G``'s arrays (:meth:`GraphArrays.from_graph
        <citegraph.graphs.arrays.GraphArrays.from_graph>`), when the caller
        has them already (an analysis builds them once for every measure).

    Returns
    -------
    list of dict
        Rows with the keys of :data:`COLUMNS`, in that order: ``rank``
        (1..n), the work's ``doi`` (as deposited), ``label``, ``title``,
        ``year``, ``journal``, ``type``, ``is_seed``, ``resolved``, the
        measures (see the module notes), ``composite`` and its components
        ``pct_*``, then ``retracted`` (True when a notice retracts the work)
        and ``notice`` (the node's ``notice`` attribute: ``"retracted"``,
        ``"concern"``, ``"corrected"``, or ``""`` when none flags it).
        Sorted by ``options.score`` (descending, missing values last),
        then by DOI key. Floats are rounded to 8 decimals, so a CSV of the
        rows is the same byte for byte on every run. Percentile
        ranks are taken among the rows returned (only stored works with
        ``resolved_only``). An empty graph gives no rows.

    Raises
    ------
    UsageError
        ``G`` is undirected, or ``arrays`` are those of another graph.

    Examples
    --------
    >>> G = nx.DiGraph([("a", "b"), ("c", "b")])
    >>> rows = rank_works(G, RankOptions(score="pagerank"))
    >>> [(r["doi"], r["pagerank"], r["pct_local"]) for r in rows]  # 27/47, 10/47; (2 + 1/2)/3, (0 + 2/2)/3
    [('b', 0.57446809, 0.83333333), ('a', 0.21276596, 0.33333333), ('c', 0.21276596, 0.33333333)]
    """
    return rank_works_with_facts(G, options, arrays=arrays)[0]


def rank_works_with_facts(G: nx.DiGraph, options: RankOptions | None = None, *,
                          arrays: GraphArrays | None = None) -> tuple[list[dict[str, Any]], BetweennessFacts]:
    """The rows of :func:`rank_works` and how betweenness was computed (:class:`BetweennessFacts`).

    The facts say whether betweenness was exact or sampled, with how many
    pivots, at what estimated cost against which budget, and, when
    sampled, the median relative standard error over the top 20
    (:func:`betweenness_estimate`); their :meth:`~BetweennessFacts.note`
    is the line :func:`ranking_notes` and ``citegraph analyse`` show.

    Examples
    --------
    >>> rows, facts = rank_works_with_facts(nx.DiGraph([("a", "b"), ("c", "b")]))
    >>> [r["doi"] for r in rows], facts.exact, facts.cost
    (['b', 'a', 'c'], True, 15)
    """
    o = options or RankOptions()
    _require_directed(G)
    if G.number_of_nodes() == 0:
        return [], _plan(0, 0, o)
    e = _edges(G, arrays)  # the links as arrays, shared by every measure
    pagerank = _pagerank(e, o.damping).tolist()
    hubs, authorities = (x.tolist() for x in _hits(e))
    pairs = _undirected_pairs(e)
    betweenness_array, _, facts = _betweenness(e, pairs, _plan(e.n, len(pairs), o))
    betweenness = betweenness_array.tolist()
    cocited = _cocitation_with_seeds(G, e).tolist()
    per_year = citations_per_year(G, o.reference_year)
    in_degree = dict(G.in_degree())
    node_data = G.nodes
    rows: list[dict[str, Any]] = []
    for i, key in enumerate(e.nodes):
        d = node_data[key]
        if o.resolved_only and not d.get("resolved"):
            continue
        glob = d.get("citations_global")
        rows.append({
            "_key": key,
            "doi": d.get("doi", str(key)),
            "label": d.get("label", d.get("doi", str(key))),
            "title": d.get("title"),
            "year": d.get("year"),
            "journal": d.get("journal"),
            "type": d.get("type"),
            "is_seed": bool(d.get("is_seed", False)),
            "resolved": d.get("resolved"),
            "local": int(in_degree[key]),
            "global": None if glob is None else int(glob),
            "per_year": _round(per_year[key]),
            "pagerank": _round(pagerank[i]),
            "authority": _round(authorities[i]),
            "hub": _round(hubs[i]),
            "betweenness": _round(betweenness[i]),
            "cocitation_seeds": int(cocited[i]),
            "retracted": d.get("notice") == "retracted",
            "notice": str(d.get("notice") or ""),
        })
    pct = {c: _percentiles([r[c] for r in rows]) for c in COMPOSITE_COMPONENTS}
    for i, row in enumerate(rows):
        parts = [pct[c][i] for c in COMPOSITE_COMPONENTS]
        row["composite"] = _round(sum(parts) / len(parts))
        for c, p in zip(COMPOSITE_COMPONENTS, parts, strict=True):
            row[f"pct_{c}"] = _round(p)
    rows.sort(key=lambda r: _sort_key(r, o.score))
    out = []
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
        out.append({c: row[c] for c in COLUMNS})
    log.info("ranked %d works by %s (betweenness %s)", len(out), o.score, "exact" if facts.exact else "sampled")
    return out, facts


def ranking_notes(G: nx.DiGraph, options: RankOptions | None = None, *,
                  betweenness: BetweennessFacts | None = None) -> list[str]:
    """The notes to print with a ranking: the PageRank caveat, how betweenness and per-year were computed.

    ``betweenness``: the facts of the run (:func:`rank_works_with_facts`),
    which state the sampling error; without them the plan
    (:func:`betweenness_plan`) is stated, without an error.

    Examples
    --------
    >>> G = nx.DiGraph([("a", "b")]); G.nodes["a"].update(year=2020, citations_global=1)
    >>> for line in ranking_notes(G):
    ...     print(line)
    PageRank favours older works: they have had longer to collect citations.
    Betweenness: exact (cost 6 <= budget 1.5e+07 visits), on the undirected citation graph.
    Citations per year counted up to 2020.
    """
    o = options or RankOptions()
    facts = betweenness if betweenness is not None else betweenness_plan(G, o)
    notes = [PAGERANK_NOTE, facts.note()]
    ref = default_reference_year(G) if o.reference_year is None else o.reference_year
    if ref is not None:
        notes.append(f"Citations per year counted up to {ref}.")
    return notes


def top_n(rows: Sequence[Mapping[str, Any]], n: int) -> list[Mapping[str, Any]]:
    """The first ``n`` rows (all when there are fewer).

    Examples
    --------
    >>> top_n([{"rank": 1}, {"rank": 2}, {"rank": 3}], 2)
    [{'rank': 1}, {'rank': 2}]
    """
    if n < 0:
        raise UsageError(f"top {n} must be at least 0")
    return list(rows[:n])
