"""The hybrid graph: citation, co-citation, coupling and topic links in one weighted graph.

:func:`hybrid_graph` combines graphs with chosen weights (default
:data:`DEFAULT_HYBRID_WEIGHTS`: every kind counts alike), so works with no
open references still join the map through their topic links. The sum is
taken on edge arrays (one sparse sum), not edge by edge.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import scipy.sparse as sp

from citegraph.errors import UsageError
from citegraph.graphs.arrays import GraphArrays, _years, edge_arrays, sorted_nodes
from citegraph.graphs.citation import _add_new_edges
from citegraph.graphs.cooccurrence import cooccurrence_edges

if TYPE_CHECKING:
    from citegraph.graphs.build import GraphOptions

__all__ = ["DEFAULT_HYBRID_WEIGHTS", "hybrid_graph"]

log = logging.getLogger(__name__)


def hybrid_graph(parts: Mapping[str, nx.Graph], weights: Mapping[str, float]) -> nx.Graph:
    """Combine graphs into one undirected graph: ``weight = sum(weights[k] * weight_k)``.

    ``parts`` maps a kind (``citation``, ``cocitation``, ``coupling``,
    ``topic``, ...) to its graph; a directed citation graph counts each
    citation as an undirected link of weight 1 (both directions add up). Each
    edge keeps its component weights as ``w_<kind>`` (for the kinds it has,
    with a non-zero factor); nodes are the union, in the order the parts give
    them, with the attributes of the first graph that has them. Weights are
    rounded to 6 decimals.

    The parts are combined as arrays (each part's edges as pairs over one
    node index, summed per pair; see :func:`_combine`), and the graph is
    built once, edges in node-index order.

    Examples
    --------
    >>> cit = nx.DiGraph([("a", "b")])
    >>> top = nx.Graph([("a", "b", {"weight": 0.5}), ("b", "c", {"weight": 0.2})])
    >>> H = hybrid_graph({"citation": cit, "topic": top}, {"citation": 1.0, "topic": 2.0})
    >>> sorted((u, v, d["weight"]) for u, v, d in H.edges(data=True))
    [('a', 'b', 2.0), ('b', 'c', 0.4)]
    >>> H["a"]["b"]
    {'weight': 2.0, 'w_citation': 1.0, 'w_topic': 0.5}
    """
    unknown = set(weights) - set(parts)
    if unknown:
        raise UsageError(f"weights for {', '.join(sorted(unknown))} but no such graph; graphs: {', '.join(parts)}")
    attrs: dict[Any, dict[str, Any]] = {}
    for G in parts.values():
        for node, d in G.nodes(data=True):
            if node not in attrs:
                attrs[node] = d
    index = {node: k for k, node in enumerate(attrs)}
    arrays = [(kind, float(weights.get(kind, 0.0)), *edge_arrays(G, index)) for kind, G in parts.items()
              if float(weights.get(kind, 0.0)) != 0.0]
    return _hybrid(attrs, arrays)[0]


def _combine(n: int, parts: Sequence[tuple[str, float, np.ndarray, np.ndarray, np.ndarray]]
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[str, np.ndarray, np.ndarray]]]:
    """Sum weighted, symmetric edge lists over ``n`` nodes: the sparse sum ``sum_k factor_k * W_k``.

    Each part ``(kind, factor, i, j, w)`` is made symmetric (a pair ``i < j``
    stands for both directions; self-loops dropped) and summed per pair;
    the pairs of all parts are merged on one sorted key ``i * n + j``.

    Returns
    -------
    (i, j, weight, components)
        The pairs (``i < j``, sorted), their combined weight (rounded to 6
        decimals), and per part ``(kind, present, w_kind)``: which pairs the
        part has and its summed weight there (rounded; NaN where absent).

    Examples
    --------
    >>> i, j, w, comp = _combine(3, [("c", 1.0, np.array([0, 1]), np.array([1, 0]), np.array([1.0, 1.0])),
    ...                              ("t", 2.0, np.array([2]), np.array([1]), np.array([0.25]))])
    >>> i.tolist(), j.tolist(), w.tolist(), [(k, p.tolist()) for k, p, _ in comp]
    ([0, 1], [1, 2], [2.0, 0.5], [('c', [True, False]), ('t', [False, True])])
    """
    summed: list[tuple[str, float, np.ndarray, np.ndarray]] = []
    for kind, factor, i, j, w in parts:
        keep = i != j
        lo, hi = np.minimum(i, j)[keep], np.maximum(i, j)[keep]
        keys, inverse = np.unique(lo * n + hi, return_inverse=True)
        summed.append((kind, factor, keys, np.bincount(inverse.ravel(), weights=w[keep], minlength=len(keys))))
    # the sorted distinct keys (np.unique without return_* hashes millions of keys 50x slower than this sort)
    union = np.sort(np.concatenate([keys for _, _, keys, _ in summed])) if summed else np.array([], np.int64)
    union = union[np.r_[True, union[1:] != union[:-1]]] if len(union) else union
    total = np.zeros(len(union), dtype=np.float64)
    components: list[tuple[str, np.ndarray, np.ndarray]] = []
    for kind, factor, keys, sums in summed:
        at = np.searchsorted(union, keys)
        present = np.zeros(len(union), dtype=bool)
        present[at] = True
        values = np.full(len(union), np.nan)
        values[at] = np.round(sums, 6)
        total[at] += factor * sums
        components.append((kind, present, values))
    return union // max(n, 1), union % max(n, 1), np.round(total, 6), components


def _pair_arrays(attrs: Mapping[Any, Mapping[str, Any]], i: np.ndarray, j: np.ndarray,
                 weight: np.ndarray) -> GraphArrays:
    """What ``GraphArrays.from_graph(H)`` gives for the graph :func:`_hybrid` builds of these pairs, without
    walking it: nodes ``attrs`` (in order), pairs ``i < j`` over them (sorted, distinct, no self-loops) and
    their ``weight``.

    ``from_graph`` numbers the nodes in ``str`` order and walks the adjacency: nodes in ``attrs`` order,
    each one's neighbours in ``attrs`` order (as :func:`_hybrid` puts them in), each edge once, from its end
    of smaller number. At 2.7 M links: about 0.5 s here against 3.8 s for the walk (tested equal).

    >>> a = _pair_arrays({"b": {"year": 2001}, "a": {}}, np.array([0]), np.array([1]), np.array([0.5]))
    >>> a.nodes, a.src.tolist(), a.dst.tolist(), a.weight.tolist(), a.year.tolist(), a.has_year.tolist()
    (['a', 'b'], [0], [1], [0.5], [0, 2001], [False, True])
    """
    ordered, index = sorted_nodes(attrs)  # from_graph's numbering
    rank = np.fromiter(map(index.__getitem__, attrs), dtype=np.int64, count=len(index))  # attrs order -> it
    first = rank[i] < rank[j]  # the end the walk takes the edge from
    u, v = np.where(first, i, j), np.where(first, j, i)
    order = np.lexsort((v, u))  # by the walking end, then its neighbour, both in attrs order
    year, has_year = _years([attrs[node].get("year") for node in ordered])
    return GraphArrays(ordered, index, rank[u[order]], rank[v[order]], np.asarray(weight, dtype=np.float64)[order],
                       year, has_year, False)


def _hybrid(attrs: Mapping[Any, Mapping[str, Any]],
            parts: Sequence[tuple[str, float, np.ndarray, np.ndarray, np.ndarray]]
            ) -> tuple[nx.Graph, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The hybrid graph of nodes ``attrs`` (in order, attributes copied) and edge-list ``parts`` over them,
    and its pairs ``(i, j, weight)`` over the nodes' positions in ``attrs`` (for :func:`_pair_arrays`)."""
    nodes = list(attrs)
    H = nx.Graph(kind="hybrid")
    H.add_nodes_from((node, dict(d)) for node, d in attrs.items())
    i, j, weight, components = _combine(len(nodes), parts)
    pairs = (i, j, weight)
    if not len(i):
        return H, pairs
    # one attribute dict per edge: "weight", then w_<kind> of the kinds it has, in the parts' order
    pattern = np.zeros(len(i), dtype=np.int64)
    for bit, (_, present, _) in enumerate(components):
        pattern |= present.astype(np.int64) << bit
    data = np.empty(len(i), dtype=object)
    for pat in np.unique(pattern).tolist():
        at = np.flatnonzero(pattern == pat)
        chosen = [(f"w_{kind}", values) for bit, (kind, _, values) in enumerate(components) if pat >> bit & 1]
        names = ("weight", *(name for name, _ in chosen))
        data[at] = _dicts(names, [weight[at].tolist(), *(values[at].tolist() for _, values in chosen)])
    label = np.empty(len(nodes), dtype=object)
    label[:] = nodes
    adj = getattr(H, "_adj", None)
    clear_cache = getattr(nx, "_clear_cache", None)
    if not isinstance(adj, dict) or clear_cache is None:  # a networkx without these internals: the public way
        _add_new_edges(H, zip(label[i].tolist(), label[j].tolist(), data.tolist(), strict=True))
        return H, pairs
    # The pairs are sorted, i < j, none present yet and every node is: each node's neighbours go in with one
    # dict.update per node, in the order adding the edges one by one gives (a node's smaller neighbours
    # first, as the pairs reach it as j, then its larger ones), the same edge dict on both sides.
    by_j = np.argsort(j, kind="stable")
    for ends, others, order in ((j, i, by_j), (i, j, None)):
        keys = ends if order is None else ends[order]
        cut = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        other = (label[others] if order is None else label[others[order]]).tolist()
        dicts = (data if order is None else data[order]).tolist()
        for k, (lo, hi) in enumerate(zip(cut.tolist(), np.r_[cut[1:], len(keys)].tolist(), strict=True)):
            adj[nodes[int(keys[cut[k]])]].update(zip(other[lo:hi], dicts[lo:hi], strict=True))
    clear_cache(H)
    return H, pairs


def _dicts(names: Sequence[str], columns: Sequence[list[float]]) -> list[dict[str, float]]:
    """One dict per row of ``columns`` with keys ``names`` (dict displays: twice as fast as ``dict(zip())``).

    >>> _dicts(("a", "b"), [[1.0, 2.0], [3.0, 4.0]])
    [{'a': 1.0, 'b': 3.0}, {'a': 2.0, 'b': 4.0}]
    """
    if len(names) == 1:
        (a,), (ca,) = names, columns
        return [{a: x} for x in ca]
    if len(names) == 2:
        (a, b), (ca, cb) = names, columns
        return [{a: x, b: y} for x, y in zip(ca, cb, strict=True)]
    if len(names) == 3:
        (a, b, c), (ca, cb, cc) = names, columns
        return [{a: x, b: y, c: z} for x, y, z in zip(ca, cb, cc, strict=True)]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


#: Hybrid weights by default: every kind counts alike (each weight is in [0, 1]
#: with cosine normalisation; a direct citation counts 1).
DEFAULT_HYBRID_WEIGHTS: dict[str, float] = {"citation": 1.0, "cocitation": 1.0, "coupling": 1.0, "topic": 1.0}


def _hybrid_of_citations(citation: nx.DiGraph, topic: nx.Graph | Callable[[], nx.Graph], weights: Mapping[str, float],
                         o: GraphOptions, arrays: GraphArrays | None = None, *,
                         with_arrays: bool = False) -> tuple[nx.Graph, GraphArrays | None]:
    """:func:`hybrid_graph` of the citation, co-citation, coupling and topic graphs, without building the
    co-citation and coupling graphs: their edges go from :func:`cooccurrence_edges` straight into the sum.

    Same nodes, edges and weights as ``hybrid_graph({"citation": citation, "cocitation":
    cocitation_graph(citation, ...), "coupling": coupling_graph(citation, ...), "topic": topic}, weights)``.
    The citation links are read from ``arrays`` (the citation graph's
    :class:`~citegraph.graphs.arrays.GraphArrays`), built here when not given.
    Returns the hybrid graph and, ``with_arrays``, its own arrays (:func:`_pair_arrays`; else None).
    ``topic`` may be a function giving the topic graph: it is called once the co-citation and coupling
    links are computed (``analyse`` computes the topic graph in a second process meanwhile).
    """
    kinds = ("citation", "cocitation", "coupling", "topic")
    unknown = set(weights) - set(kinds)
    if unknown:
        raise UsageError(f"weights for {', '.join(sorted(unknown))} but no such graph; graphs: {', '.join(kinds)}")
    factor = {k: float(weights.get(k, 0.0)) for k in kinds}
    a = GraphArrays.of(citation, arrays)
    # the nodes: the citation graph's in its order, then the topic graph's others in theirs (added below)
    attrs: dict[Any, Mapping[str, Any]] = dict(citation.nodes(data=True))
    index = {node: k for k, node in enumerate(attrs)}
    # the arrays number the nodes in sorted order (as citation_matrix does: top_k breaks ties by that order);
    # ``order`` takes that numbering to ``index``'s
    order = np.fromiter(map(index.__getitem__, a.nodes), dtype=np.int64, count=a.n)
    parts: list[tuple[str, float, np.ndarray, np.ndarray, np.ndarray]] = []
    if factor["citation"]:
        parts.append(("citation", factor["citation"], order[a.src], order[a.dst], a.weight))
    if factor["cocitation"] or factor["coupling"]:
        keep = a.src != a.dst
        matrix = sp.csr_matrix((np.ones(int(keep.sum()), dtype=np.int32), (a.src[keep], a.dst[keep])),
                               shape=(a.n, a.n))
        matrix.sum_duplicates()
        matrix.data[:] = 1
        pair = {"normalise": o.normalise, "min_count": o.min_count, "min_weight": o.min_weight, "top_k": o.top_k}
        for kind, incidence in (("cocitation", matrix.T.tocsr()), ("coupling", matrix)):
            if factor[kind]:
                i, j, _, w = cooccurrence_edges(incidence, **pair)  # type: ignore[arg-type]
                parts.append((kind, factor[kind], order[i], order[j], np.round(w, 6)))
    topic = topic if isinstance(topic, nx.Graph) else topic()
    for node, d in topic.nodes(data=True):
        if node not in attrs:
            attrs[node] = d
            index[node] = len(index)
    if factor["topic"]:
        parts.append(("topic", factor["topic"], *edge_arrays(topic, index)))
    H, (i, j, weight) = _hybrid(attrs, parts)
    return H, _pair_arrays(attrs, i, j, weight) if with_arrays else None
