"""Main path analysis (Hummon & Doreian 1989; Batagelj 2003; Liu & Lu 2012): the backbone of a literature.

:func:`spc_weights` gives every citation its search path count,
:func:`global_main_path` and :func:`key_route_main_path` follow the heaviest
paths; :func:`main_path_analysis` does all of it in one pass (the way to go on
big graphs).

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
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse import csgraph

from citegraph.errors import UsageError
from citegraph.graphs.arrays import GraphArrays, edge_index

__all__ = [
    "MAIN_PATH_TIE_RULE",
    "MainPaths",
    "global_main_path",
    "key_route_main_path",
    "knowledge_flow_dag",
    "main_path_analysis",
    "spc_weights",
]

log = logging.getLogger(__name__)


# -- main path analysis ------------------------------------------------------------------
#
# The main path functions work on integer node indices: a node's index is its position in the nodes sorted by
# ``str`` (ties, i.e. distinct nodes with the same ``str``, keep the graph's node order), so "smallest node"
# is "smallest index" and edges sorted by index pairs are sorted by their ``str`` pairs. The dynamic programmes
# run over topological levels, one vectorised step per level (every node of a level depends only on lower
# levels). Path counts are computed exactly: in int64 when a float64 pass bounds them below 2**62, else as
# Python integers in object arrays. Path sums of weights are float64: operation for operation what
# ``weight + best`` gives with Python numbers (the best sum starts at 0.0, and an int plus a float is a float).

#: How :func:`global_main_path` chooses among paths of the same total weight (said wherever ties are reported).
MAIN_PATH_TIE_RULE = "the first by DOI key (at the first work where the tied paths differ, the smaller key)"

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
        return zip(keys[tail].tolist(), keys[head].tolist(), strict=True)


def _index(nodes: Iterable[Any]) -> tuple[list[Any], dict[Any, int]]:
    keys = sorted(nodes, key=str)
    return keys, dict(zip(keys, range(len(keys)), strict=True))


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
    for u, v in zip(tail.tolist(), head.tolist(), strict=True):
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


def _break_cycles(arrays: GraphArrays) -> tuple[_Flow, list[tuple[Any, Any]], _Ints, _Ints]:
    """Knowledge flow of a citation graph (given as its arrays) made acyclic (module documentation).

    Returns the flow, the dropped edges, and the tails and heads of the kept edges in ``G.edges()`` order
    (for :func:`knowledge_flow_dag`, whose graph keeps that order).
    """
    keys = arrays.nodes
    n = len(keys)
    citing, cited = arrays.src, arrays.dst
    loop = citing == cited
    loops = sorted(citing[loop].tolist())
    tail, head = cited[~loop], citing[~loop]
    keep = np.ones(len(tail), dtype=bool)
    against: list[tuple[int, int]] = []
    back: list[tuple[int, int]] = []
    labels = _strong_labels(n, tail, head)
    cyclic = labels[tail] == labels[head]  # loops are gone, so these edges lie in components of 2+ nodes
    if cyclic.any():
        known, year = arrays.has_year, arrays.year
        drop = cyclic & known[tail] & known[head] & (year[tail] > year[head])
        against = sorted(zip(tail[drop].tolist(), head[drop].tolist(), strict=True))
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
        return _break_cycles(GraphArrays.from_graph(G, weight=None))[0]
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
    flow, dropped, tail, head = _break_cycles(GraphArrays.from_graph(G, weight=None))
    key = flow.keys.__getitem__
    D = nx.DiGraph()
    D.add_nodes_from(G.nodes)
    D.add_edges_from(zip(map(key, tail.tolist()), map(key, head.tolist()), strict=True))
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

    def best(self, n: int, weight: NDArray[np.float64]) -> tuple[NDArray[np.float64], _Ints, NDArray[np.float64]]:
        """Largest weight sum of a path from a level-0 node to each node, the ``other`` it comes from, and the
        number of paths with that sum.

        ``weight`` is given per flow edge. Ties go to the smallest ``other``; -1 on level 0. The numbers of
        tied paths are float64: exact up to 2**53.
        """
        total = np.zeros(n, dtype=np.float64)
        via = np.full(n, -1, dtype=np.int64)
        tied = np.ones(n, dtype=np.float64)
        w = weight[self.edge]
        for s, e, starts, nodes in self.steps():
            other = self.other[s:e]
            sums = w[s:e] + total[other]
            top = np.repeat(np.maximum.reduceat(sums, starts), np.diff(np.r_[starts, e - s]))
            first = np.minimum.reduceat(np.where(sums == top, np.arange(e - s), e - s), starts)
            with np.errstate(over="ignore"):  # beyond float64 the count is inf (see _main_path)
                tied[nodes] = np.add.reduceat(np.where(sums == top, tied[other], 0.0), starts)
            total[nodes] = sums[first]
            via[nodes] = other[first]
        return total, via, tied


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


def _main_path(flow: _Flow, sweeps: _Sweeps, as_float: NDArray[np.float64]) -> tuple[list[Any], float, int]:
    """The global main path, its total weight and the number of source-to-sink paths as heavy."""
    total, via, tied = sweeps.down.best(flow.n, as_float)
    has_in = np.zeros(flow.n, dtype=bool)
    has_in[flow.head] = True
    has_out = np.zeros(flow.n, dtype=bool)
    has_out[flow.tail] = True
    starts = np.flatnonzero(~has_in & has_out)
    if not starts.size:
        return [], 0.0, 0
    node = int(starts[np.argmax(total[starts])])  # argmax keeps the first (smallest) of equals
    heaviest = float(total[node])
    with np.errstate(over="ignore"):
        count = float(tied[starts[total[starts] == heaviest]].sum())
    ties = int(count) if math.isfinite(count) else int(np.finfo(np.float64).max)  # beyond float64: its largest
    path = [node]
    while via[node] >= 0:
        node = int(via[node])
        path.append(node)
    return [flow.keys[i] for i in path], heaviest, ties


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
    return dict(zip(flow.key_pairs(), spc.tolist(), strict=True))


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
    (by ``str``) wins (:data:`MAIN_PATH_TIE_RULE`); :func:`main_path_analysis`
    says how many paths tied.

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
    return _main_path(flow, sweeps, _edge_weights(flow, sweeps, weights)[1])[0]


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
    weight : float
        The total SPC of the global main path (0 without one).
    ties : int
        How many source-to-sink paths are as heavy as the global main path, itself included (1: no tie, 0:
        no path); :data:`MAIN_PATH_TIE_RULE` chose among them. Counted in float64: exact up to 2**53, the
        largest float64 beyond its range.
    """

    spc: dict[tuple[str, str], int]
    main_path: list[str]
    key_routes: list[tuple[str, str]]
    dropped: list[tuple[Any, Any]]
    weight: float = 0.0
    ties: int = 0


def main_path_analysis(G: nx.DiGraph, *, k: int = 1, arrays: GraphArrays | None = None) -> MainPaths:
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
    arrays : GraphArrays, optional
        ``G``'s arrays (:class:`~citegraph.graphs.arrays.GraphArrays`), when
        the caller has them already (an analysis builds them once).

    Returns
    -------
    MainPaths

    Raises
    ------
    UsageError
        If ``k`` is below 1, or ``arrays`` are those of another graph.

    Examples
    --------
    Hand-made unit-test graph: ``b`` and ``c`` cite ``a``; ``d`` cites ``c``; ``a`` cites itself.

    >>> mp = main_path_analysis(nx.DiGraph([("b", "a"), ("c", "a"), ("d", "c"), ("a", "a")]), k=1)
    >>> mp.spc
    {('a', 'b'): 1, ('a', 'c'): 1, ('c', 'd'): 1}
    >>> mp.main_path, mp.key_routes, mp.dropped
    (['a', 'c', 'd'], [('a', 'b')], [('a', 'a')])
    >>> mp.weight, mp.ties
    (2.0, 1)

    Two equally heavy paths (hand-made): ``b`` and ``c`` cite ``a``, ``d`` cites both; the tie goes to ``b``.

    >>> mp = main_path_analysis(nx.DiGraph([("b", "a"), ("c", "a"), ("d", "b"), ("d", "c")]))
    >>> mp.main_path, mp.weight, mp.ties
    (['a', 'b', 'd'], 2.0, 2)
    """
    if k < 1:
        raise UsageError(f"key routes k={k} must be at least 1")
    flow, dropped = _break_cycles(GraphArrays.of(G, arrays, weight=None))[:2]
    sweeps = _Sweeps.of(flow)
    exact, as_float = _edge_weights(flow, sweeps, None)
    path, weight, ties = _main_path(flow, sweeps, as_float)
    if ties > 1:
        log.info("main path: %s source-to-sink paths share the largest total SPC %s; the one kept: %s",
                 f"{ties:,}", f"{weight:g}", MAIN_PATH_TIE_RULE)
    return MainPaths(_spc_dict(flow, exact), path, _key_routes(flow, sweeps, exact, as_float, k), dropped,
                     weight, ties)
