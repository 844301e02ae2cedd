"""Graphs as index arrays, the form the analyses compute on.

networkx graphs are the public face of citegraph (users and exports get
them); the analyses work on arrays. This module turns a graph into arrays
once, without a Python tuple per edge:

- :class:`GraphArrays`: a graph's nodes (sorted), edges, weights and node
  years as arrays, built once per analysis with
  :meth:`GraphArrays.from_graph` and handed to every measure that reads the
  graph (rankings, bursts, main paths, clusters, the hybrid graph), which
  would otherwise each read the graph again;
- :func:`edge_index` / :func:`edge_arrays`: a graph's edges as index arrays
  (and weights) over a given node numbering;
- :class:`CitationMatrix` / :func:`citation_matrix`: a citation graph as a
  sparse 0/1 matrix over its sorted node keys.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from citegraph.errors import UsageError

__all__ = ["CitationMatrix", "GraphArrays", "citation_matrix", "edge_arrays", "edge_index", "sorted_nodes"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CitationMatrix:
    """A citation graph as a sparse 0/1 matrix: ``matrix[i, j] = 1`` when node i cites node j.

    ``nodes`` gives the DOI key of each row/column, sorted.
    """

    matrix: sp.csr_matrix
    nodes: list[str]

    @property
    def index(self) -> dict[str, int]:
        """DOI key -> row/column number."""
        return {n: i for i, n in enumerate(self.nodes)}


def citation_matrix(graph: nx.DiGraph | Iterable[tuple[str, str]]) -> CitationMatrix:
    """The sparse citation matrix of a DiGraph or of (citing, cited) pairs.

    Examples
    --------
    >>> cm = citation_matrix([("a", "b"), ("a", "c"), ("b", "c"), ("a", "b")])
    >>> cm.nodes, cm.matrix.toarray().tolist()
    (['a', 'b', 'c'], [[0, 1, 1], [0, 0, 1], [0, 0, 0]])
    """
    if isinstance(graph, nx.DiGraph):
        nodes = sorted(graph.nodes)
        pairs: Iterable[tuple[str, str]] = graph.edges()
    else:
        pairs = list(graph)
        nodes = sorted({n for pair in pairs for n in pair})
    index = {n: i for i, n in enumerate(nodes)}
    rows: list[int] = []
    cols: list[int] = []
    for a, b in pairs:
        if a != b:
            rows.append(index[a])
            cols.append(index[b])
    n = len(nodes)
    m = sp.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(n, n))
    m.sum_duplicates()
    m.data[:] = 1
    return CitationMatrix(m, nodes)


def edge_index(G: nx.Graph, index: Mapping[Any, int]) -> tuple[np.ndarray, np.ndarray]:
    """A graph's edges as two index arrays ``(u, v)`` over ``index`` (node -> int).

    A directed graph gives every link, in ``G.edges()`` order; an undirected
    one each edge once, from its end of smaller index (a self-loop once).
    Read off networkx's adjacency dicts themselves (its views cost a Python
    call per item) in C-level passes (``np.fromiter`` over ``map``), with no
    Python tuple per edge: a million links take well under a second.

    Examples
    --------
    >>> D = nx.DiGraph([("b", "a"), ("a", "c"), ("b", "c")])
    >>> [x.tolist() for x in edge_index(D, {"a": 0, "b": 1, "c": 2})]
    [[1, 1, 0], [0, 2, 2]]
    >>> [x.tolist() for x in edge_index(nx.Graph(D), {"a": 0, "b": 1, "c": 2})]
    [[1, 0, 0], [2, 1, 2]]
    """
    u, v, _ = _walk(G, index, None)
    return u, v


def edge_arrays(G: nx.Graph, index: Mapping[Any, int], weight: str = "weight",
                default: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`edge_index` and each edge's ``weight`` attribute (``default`` when unset), as float64.

    Examples
    --------
    >>> G = nx.Graph([("a", "b", {"weight": 0.5}), ("b", "c")])
    >>> [x.tolist() for x in edge_arrays(G, {"a": 0, "b": 1, "c": 2})]
    [[0, 1], [1, 2], [0.5, 1.0]]
    """
    u, v, w = _walk(G, index, (weight, default))
    assert w is not None
    return u, v, w


def _walk(G: nx.Graph, index: Mapping[Any, int], weight: tuple[str, float] | None
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    adj = G._succ if G.is_directed() else G._adj
    sizes = np.fromiter(map(len, adj.values()), dtype=np.int64, count=len(adj))
    u = np.repeat(np.fromiter(map(index.__getitem__, adj), dtype=np.int64, count=len(adj)), sizes)
    v = np.fromiter(map(index.__getitem__, itertools.chain.from_iterable(adj.values())), dtype=np.int64,
                    count=int(sizes.sum()))
    attrs: Iterable[dict[str, Any]] = itertools.chain.from_iterable(map(dict.values, adj.values()))
    if not G.is_directed():
        once = u <= v  # both half-edges are stored; a self-loop once
        attrs = itertools.compress(attrs, once.tolist())
        u, v = u[once], v[once]
    if weight is None:
        return u, v, None
    name, default = weight
    w = np.fromiter(map(dict.get, attrs, itertools.repeat(name), itertools.repeat(default)), dtype=np.float64,
                    count=len(u))
    return u, v, w


def sorted_nodes(nodes: Iterable[Any]) -> tuple[list[Any], dict[Any, int]]:
    """Nodes (a graph's, or any distinct ones) sorted by ``str`` and ``{node: its place}``: the numbering of
    :class:`GraphArrays`.

    Nodes that are all strings (DOI keys) are sorted as they are, which is the same order without a ``str``
    call per node.

    Examples
    --------
    >>> sorted_nodes(nx.path_graph(["b", "c", "a"]))
    (['a', 'b', 'c'], {'a': 0, 'b': 1, 'c': 2})
    >>> sorted_nodes([10, 9])[0]  # by str: "10" < "9"
    [10, 9]
    """
    nodes = list(nodes)
    if set(map(type, nodes)) <= {str}:
        nodes.sort()
    else:
        nodes.sort(key=str)
    return nodes, dict(zip(nodes, range(len(nodes)), strict=True))


def _years(years: list[Any]) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """:attr:`GraphArrays.year` and :attr:`GraphArrays.has_year` of nodes' ``year`` attributes, in order.

    >>> [a.tolist() for a in _years([2001, None, True, "1999"])]
    [[2001, 0, 0, 0], [True, False, False, False]]
    """
    has_year = np.fromiter((isinstance(y, int) and not isinstance(y, bool) for y in years), dtype=bool,
                           count=len(years))
    year = np.fromiter((y if known else 0 for y, known in zip(years, has_year.tolist(), strict=True)),
                       dtype=np.int64, count=len(years))
    return year, has_year


@dataclass(frozen=True, eq=False)
class GraphArrays:
    """A graph as index arrays: built once per analysis and handed to every measure that reads the graph.

    Rankings (:mod:`citegraph.analysis.rank`), bursts
    (:mod:`citegraph.analysis.bursts`), main paths
    (:mod:`citegraph.analysis.mainpath`), clusters
    (:mod:`citegraph.analysis.clusters`) and the hybrid graph
    (:mod:`citegraph.graphs.hybrid`) all compute on these arrays; each takes
    ``arrays=`` and builds them itself when not given, so one
    :meth:`from_graph` serves a whole analysis.

    Attributes
    ----------
    nodes : list
        The node keys sorted by ``str`` (DOI keys in a citation graph):
        node ``i`` is ``nodes[i]``.
    index : dict
        Node key -> its index in ``nodes``.
    src, dst : numpy.ndarray of int64
        Edge ``e`` joins ``nodes[src[e]]`` and ``nodes[dst[e]]`` (citing ->
        cited in a citation graph), in the graph's own edge order; an
        undirected graph gives each edge once, from its end of smaller index
        (as :func:`edge_index`). Self-loops are kept.
    weight : numpy.ndarray of float64
        Each edge's ``weight`` attribute (1.0 when unset).
    year : numpy.ndarray of int64
        Each node's ``year`` attribute, 0 where it has none.
    has_year : numpy.ndarray of bool
        Whether a node has a year (a Python ``int``, not a ``bool``).
    directed : bool

    Examples
    --------
    >>> G = nx.DiGraph([("b", "a"), ("c", "a")]); G.nodes["b"]["year"] = 2020
    >>> arrays = GraphArrays.from_graph(G)
    >>> arrays.nodes, arrays.src.tolist(), arrays.dst.tolist(), arrays.weight.tolist()
    (['a', 'b', 'c'], [1, 2], [0, 0], [1.0, 1.0])
    >>> arrays.year.tolist(), arrays.has_year.tolist(), arrays.matches(G)
    ([0, 2020, 0], [False, True, False], True)
    """

    nodes: list[Any]
    index: dict[Any, int]
    src: NDArray[np.int64]
    dst: NDArray[np.int64]
    weight: NDArray[np.float64]
    year: NDArray[np.int64]
    has_year: NDArray[np.bool_]
    directed: bool

    @classmethod
    def from_graph(cls, G: nx.Graph, weight: str | None = "weight", default: float = 1.0) -> GraphArrays:
        """The arrays of ``G``: edge weights from its ``weight`` attribute (``default`` when unset).

        ``weight=None`` gives every edge ``default`` without reading the edge
        attributes (a third cheaper), for measures that ignore weights.
        """
        nodes, index = sorted_nodes(G)
        if weight is None:
            src, dst = edge_index(G, index)
            w = np.full(len(src), default, dtype=np.float64)
        else:
            src, dst, w = edge_arrays(G, index, weight, default)
        attrs = G._node if isinstance(getattr(G, "_node", None), dict) else G.nodes  # (its view: a call per node)
        year, has_year = _years(list(map(dict.get, map(attrs.__getitem__, nodes), itertools.repeat("year"))))
        return cls(nodes, index, src, dst, w, year, has_year, G.is_directed())

    @property
    def n(self) -> int:
        """The number of nodes."""
        return len(self.nodes)

    def matches(self, G: nx.Graph) -> bool:
        """Whether these could be ``G``'s arrays: the same direction and numbers of nodes and edges."""
        return bool(G.is_directed() == self.directed and G.number_of_nodes() == len(self.nodes)
                    and G.number_of_edges() == len(self.src))

    def require(self, G: nx.Graph) -> GraphArrays:
        """``self``, after checking that it :meth:`matches` ``G``.

        Raises
        ------
        UsageError
            The arrays are those of another graph.
        """
        if not self.matches(G):
            raise UsageError(f"the graph arrays ({len(self.nodes)} nodes, {len(self.src)} edges) are not those "
                             f"of this graph ({G.number_of_nodes()} nodes, {G.number_of_edges()} edges): "
                             "build them with GraphArrays.from_graph(G)")
        return self

    @classmethod
    def of(cls, G: nx.Graph, arrays: GraphArrays | None, weight: str | None = "weight") -> GraphArrays:
        """``arrays`` checked against ``G``, or ``G``'s arrays built now (with ``weight``) when ``arrays`` is None."""
        return cls.from_graph(G, weight) if arrays is None else arrays.require(G)
