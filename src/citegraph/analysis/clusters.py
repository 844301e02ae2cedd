"""Clusters of the literature: community detection, labels, and a table a person can read.

:func:`find_clusters` partitions an undirected weighted graph (a directed
citation graph is taken undirected) by **Louvain** (igraph's multilevel
algorithm, in C) or **Leiden** (igraph's implementation), both optimising
modularity and seeded. Leiden with two iterations (leidenalg's default) is
the default: on the hybrid graphs of the three Web of Science corpora its
modularity is above Louvain's for every one of five seeds (coffee/obesity
0.9238 against 0.9213, CRISPR 0.9514 against 0.9497, premature mortality
0.9468 against 0.9443, means) in a third to a half of the time, and its
clusters are connected (Traag, Waltman & van Eck 2019), which Louvain's
need not be. Iterating until the partition is stable adds at most 0.001 of
modularity for 2-13 times the time (78 s against 6 s on the 2.7 M-link
hybrid graph of 10^6 SYNTHETIC references). Cluster numbers are stable: 1
is the largest cluster, ties broken by the smallest DOI in it.

:func:`cluster_table` describes each cluster: size, year span, its most
distinctive TF-IDF terms (what the cluster is about), its most central works
and the seeds in it.

Examples
--------
>>> G = nx.Graph([("a", "b"), ("b", "c"), ("a", "c"), ("x", "y"), ("y", "z"), ("x", "z"), ("c", "x")])
>>> find_clusters(G, seed=1)
{'a': 1, 'b': 1, 'c': 1, 'x': 2, 'y': 2, 'z': 2}
"""

from __future__ import annotations

import logging
import os
import random
import statistics
import tempfile
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import igraph
import networkx as nx
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from citegraph.errors import UsageError
from citegraph.graphs.arrays import GraphArrays
from citegraph.graphs.topics import RANK_DECIMALS, TopicModel

__all__ = [
    "CLUSTER_METHODS", "LEIDEN_ITERATIONS", "cluster_arrays", "cluster_codes", "cluster_table", "find_clusters",
    "leiden_available", "link_codes",
]

log = logging.getLogger(__name__)

CLUSTER_METHODS = ("louvain", "leiden")

#: Leiden's iterations by default (leidenalg's default; -1: until the partition is stable).
LEIDEN_ITERATIONS = 2


def leiden_available() -> bool:
    """Always True: python-igraph, which runs Leiden (and Louvain), is a dependency of citegraph.

    Kept so that callers written when igraph was optional keep working.

    Examples
    --------
    >>> leiden_available()
    True
    """
    return True


@contextmanager
def _seeded_igraph(seed: int) -> Iterator[None]:
    """igraph draws from ``random.Random(seed)`` inside the block; the global ``random`` is left as it was."""
    previous = random.getstate()
    igraph.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        igraph.set_random_number_generator(random)
        random.setstate(previous)


#: Above this many edges igraph's graph is read from an edge-list file (:func:`_edge_file`).
EDGE_FILE_ABOVE = 2_000_000


#: Links handled at once when their codes are computed or written for igraph (bounded temporaries at scale).
CHUNK = 1 << 23


def link_codes(n: int, src: NDArray[np.int64], dst: NDArray[np.int64]) -> NDArray[np.int64]:
    """Each link ``src -> dst`` as one sortable code of its undirected pair, ``smaller * n + larger``.

    Self-loops are dropped. Read a chunk of :data:`CHUNK` links at a time:
    ``src`` and ``dst`` may be memory-mapped files, and no temporary larger
    than a chunk is made (10^8 links: one 0.8 GB array out, not five).

    Examples
    --------
    >>> link_codes(3, np.array([2, 0, 1]), np.array([0, 0, 2])).tolist()   # 2-0, a self-loop, 1-2
    [2, 5]
    """
    out = np.empty(len(src), dtype=np.int64)
    k = 0
    for i in range(0, len(src), CHUNK):
        s = np.asarray(src[i:i + CHUNK], dtype=np.int64)
        d = np.asarray(dst[i:i + CHUNK], dtype=np.int64)
        keep = s != d
        s, d = s[keep], d[keep]
        lo = np.minimum(s, d)
        np.maximum(s, d, out=d)
        np.multiply(lo, n, out=lo)
        out[k:k + len(lo)] = lo
        out[k:k + len(lo)] += d
        k += len(lo)
    return out[:k] if k < len(out) else out


def _graph_of_codes(n: int, box: list[NDArray[np.int64]]) -> tuple[igraph.Graph, NDArray[np.float64] | None]:
    """The undirected igraph graph of :func:`link_codes`' codes, and how many links each edge stands for.

    Takes the codes out of ``box`` (a one-item list, emptied): once the edges are on their way to igraph
    nothing here holds them, so that at scale the graph is made in the memory the codes leave (10^8 links:
    0.8 GB). Edges are sorted by (smaller, larger) node. The counts are None when no pair is linked twice
    (every edge 1: no array of 10^8 ones).

    Examples
    --------
    >>> g, counts = _graph_of_codes(4, [np.array([6, 1, 1])])    # 1-2, 0-1 twice
    >>> g.get_edgelist(), g.vcount(), counts.tolist()
    ([(0, 1), (1, 2)], 4, [2.0, 1.0])
    """
    codes = box.pop()
    codes.sort()
    if len(codes) > 1:
        twice = codes[1:] == codes[:-1]
        repeated = bool(twice.any())
    else:
        twice, repeated = np.zeros(0, dtype=bool), False
    summed: NDArray[np.float64] | None = None
    if repeated:  # counts from the sorted codes: no index or inverse arrays
        starts = np.flatnonzero(np.r_[True, ~twice])
        del twice
        summed = np.diff(np.r_[starts, len(codes)]).astype(np.float64)
        codes = codes[starts]
        del starts
    else:
        del twice
    m = len(codes)
    if m <= EDGE_FILE_ABOVE:
        g = igraph.Graph(n=n, edges=list(zip((codes // n).tolist(), (codes % n).tolist(), strict=True)),
                         directed=False)
        return g, summed
    with _edge_file(n, [codes]) as path:
        del codes
        g = igraph.Graph.Read_Edgelist(path, directed=False)
    if g.vcount() < n:  # nodes after the largest linked one
        g.add_vertices(n - g.vcount())
    return g, summed


@contextmanager
def _edge_file(n: int, box: list[NDArray[np.int64]]) -> Iterator[str]:
    """A temporary edge-list file (``lo hi`` a line) of the pair codes taken out of ``box``, written a chunk at a
    time by pyarrow's CSV writer; removed on leaving.

    python-igraph converts a Python edge list (or a numpy array, row by row) at about 1.5 us and 150 bytes of
    passing Python objects an edge: 13 GB at 10^8 links, more than the graph itself. igraph's own reader
    (``Graph.Read_Edgelist``, C) reads this file at the same speed in a third of that memory; the graph is the
    same (tested).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    codes = box.pop()
    handle, path = tempfile.mkstemp(prefix="citegraph-edges-", suffix=".txt")
    os.close(handle)
    try:
        schema = pa.schema([("lo", pa.int64()), ("hi", pa.int64())])
        with pacsv.CSVWriter(path, schema, write_options=pacsv.WriteOptions(include_header=False,
                                                                            delimiter=" ")) as out:
            part = codes[:0]
            for i in range(0, len(codes), CHUNK):
                part = codes[i:i + CHUNK]
                out.write_table(pa.table({"lo": part // n, "hi": part % n}, schema=schema))
        del codes, part  # the views too: nothing here holds the codes' memory while igraph reads
        yield path
    finally:
        os.unlink(path)


def _undirected(n: int, src: NDArray[np.int64], dst: NDArray[np.int64],
                weight: NDArray[np.float64] | None) -> tuple[igraph.Graph, NDArray[np.float64] | None]:
    """Nodes ``0 .. n-1`` and links ``src -> dst`` as an undirected igraph graph and its summed edge weights.

    Self-loops are dropped; a pair linked both ways (or twice) is one edge
    whose weight is the sum (1 a link when ``weight`` is None). Edges are
    sorted by (smaller, larger) node, so the graph does not depend on the
    order of the links. The weights are None when ``weight`` is None and no
    pair is linked twice (every edge weighs 1).
    """
    if weight is None:
        return _graph_of_codes(n, [link_codes(n, src, dst)])
    keep = src != dst  # self-loops dropped
    src, dst = src[keep], dst[keep]
    codes = np.minimum(src, dst) * n + np.maximum(src, dst)  # (smaller, larger) as one sortable code
    del src, dst
    pairs, inverse = np.unique(codes, return_inverse=True)  # sorted; a directed pair both ways: one edge
    del codes
    summed = np.bincount(inverse.ravel(), weights=weight[keep], minlength=len(pairs)).astype(np.float64)
    del inverse
    g, _ = _graph_of_codes(n, [pairs])
    return g, summed


def _check_options(method: str, resolution: float, iterations: int) -> None:
    """The checks of :func:`cluster_arrays` and :func:`find_clusters`' options (UsageError naming the bad value)."""
    if method not in CLUSTER_METHODS:
        raise UsageError(f"cluster method {method!r} is not one of {', '.join(CLUSTER_METHODS)}")
    if resolution <= 0:
        raise UsageError(f"resolution {resolution} must be greater than 0")
    _check_iterations(iterations)


def _check_iterations(iterations: int, name: str = "iterations") -> None:
    """Leiden's ``iterations``: -1 (until stable) or at least 1; else a UsageError naming it ``name``."""
    if iterations == 0 or iterations < -1:
        raise UsageError(f"{name} {iterations} must be -1 (until stable) or at least 1")


def _numbered(membership: NDArray[np.int64]) -> NDArray[np.int64]:
    """Community ids renumbered 1 = largest, ties to the community holding the smallest node index."""
    if len(membership) == 0:
        return membership
    # a community's first node is its smallest: order by (-size, first node)
    _, first, sizes = np.unique(membership, return_index=True, return_counts=True)
    order = np.lexsort((first, -sizes))
    number = np.empty(len(order), dtype=np.int64)
    number[order] = np.arange(1, len(order) + 1)
    return number[np.unique(membership, return_inverse=True)[1].ravel()]


def cluster_arrays(n: int, src: NDArray[np.int64], dst: NDArray[np.int64], weight: NDArray[np.float64] | None = None,
                   *, method: str = "leiden", resolution: float = 1.0, seed: int = 0,
                   iterations: int = LEIDEN_ITERATIONS) -> NDArray[np.int64]:
    """Cluster numbers of nodes ``0 .. n-1`` of a graph given as link arrays (what :func:`find_clusters` runs).

    The links are taken undirected (a pair linked both ways is one edge
    with the weights added; self-loops dropped), handed to igraph as one
    numpy array (no Python object per edge: this is the form for graphs of
    10^7-10^8 links, as :func:`citegraph.analysis.snapshot.clusters` uses).

    Parameters
    ----------
    n : int
        Number of nodes; nodes without links get clusters of their own.
    src, dst : numpy.ndarray
        Link ends, ``int64`` node indices.
    weight : numpy.ndarray, optional
        Link weights (1 each when None).
    method, resolution, seed
        As :func:`find_clusters`.
    iterations : int
        Leiden's iterations: :data:`LEIDEN_ITERATIONS` (2, leidenalg's
        default) by default, or -1: until the partition is stable. Louvain
        ignores it.

    Returns
    -------
    numpy.ndarray
        Cluster number of each node: 1 is the largest cluster; ties go to
        the cluster holding the smallest node index.

    Examples
    --------
    >>> src, dst = np.array([0, 1, 2, 3, 3]), np.array([1, 2, 0, 4, 4])
    >>> cluster_arrays(6, src, dst, method="leiden").tolist()
    [1, 1, 1, 2, 2, 3]
    """
    _check_options(method, resolution, iterations)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if weight is None:
        g, weights = _graph_of_codes(n, [link_codes(n, src, dst)])
    else:
        g, weights = _undirected(n, np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64),
                                 np.asarray(weight, dtype=np.float64))
    return _partition(g, weights, method=method, resolution=resolution, seed=seed, iterations=iterations)


def cluster_codes(n: int, box: list[NDArray[np.int64]], *, method: str = "leiden", resolution: float = 1.0,
                  seed: int = 0, iterations: int = LEIDEN_ITERATIONS) -> NDArray[np.int64]:
    """:func:`cluster_arrays` of unweighted links given as :func:`link_codes`' codes, taken out of ``box``.

    ``box`` is a one-item list, emptied: the codes are let go as soon as
    igraph's graph is on its way (10^8 links: 0.8 GB back before Leiden
    starts), which handing the arrays as arguments would not allow.

    Examples
    --------
    >>> src, dst = np.array([0, 1, 2, 3, 3]), np.array([1, 2, 0, 4, 4])
    >>> box = [link_codes(6, src, dst)]
    >>> cluster_codes(6, box).tolist(), box
    ([1, 1, 1, 2, 2, 3], [])
    """
    _check_options(method, resolution, iterations)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    g, weights = _graph_of_codes(n, box)
    return _partition(g, weights, method=method, resolution=resolution, seed=seed, iterations=iterations)


def _partition(g: igraph.Graph, weights: NDArray[np.float64] | None, *, method: str, resolution: float, seed: int,
               iterations: int) -> NDArray[np.int64]:
    """Leiden's or Louvain's clusters of ``g``, numbered by :func:`_numbered`."""
    w = None if weights is None else weights.tolist() or None  # None: every edge 1 (no 10^8 Python floats)
    del weights
    n = g.vcount()
    with _seeded_igraph(seed):
        if method == "leiden":
            part = g.community_leiden(objective_function="modularity", weights=w, resolution=resolution,
                                      n_iterations=iterations)
        else:
            part = g.community_multilevel(weights=w, resolution=resolution)
    found = _numbered(np.asarray(part.membership, dtype=np.int64))
    log.info("%s: %d clusters of %d nodes (seed %d, resolution %g)", method, int(found.max()), n, seed, resolution)
    return found


def find_clusters(G: nx.Graph, *, method: str = "leiden", resolution: float = 1.0, seed: int = 0,
                  arrays: GraphArrays | None = None, iterations: int = LEIDEN_ITERATIONS) -> dict[Any, int]:
    """Partition a graph into clusters: ``{node: cluster number}``.

    Parameters
    ----------
    G : networkx graph
        Edge ``weight`` is used (1 when absent); a directed graph is taken
        undirected, with reciprocal weights added. Self-loops are ignored.
    method : {"leiden", "louvain"}
        Leiden (igraph's ``community_leiden``, modularity; the default) or
        Louvain (igraph's ``community_multilevel``).
    resolution : float
        Above 1 gives more, smaller clusters; below 1 fewer, larger ones.
    seed : int
        Seed of the randomised optimisation: the same seed gives the same
        clusters (nodes are handed to igraph in sorted order, edges sorted).
    arrays : GraphArrays, optional
        ``G``'s arrays (:class:`~citegraph.graphs.arrays.GraphArrays`), when
        the caller has them already.
    iterations : int
        Leiden's iterations (:func:`cluster_arrays`): 2 by default, -1 until
        the partition is stable.

    Returns
    -------
    dict
        Cluster 1 is the largest; ties go to the cluster holding the
        smallest node id (as text). Isolated nodes form clusters of their own.

    Raises
    ------
    UsageError
        An unknown method, a resolution not above 0, iterations neither -1 nor
        at least 1, or ``arrays`` of another graph.

    Examples
    --------
    >>> G = nx.Graph([("a", "b"), ("b", "c"), ("a", "c"), ("d", "e")])
    >>> G.add_node("f")
    >>> find_clusters(G, method="leiden", seed=0)
    {'a': 1, 'b': 1, 'c': 1, 'd': 2, 'e': 2, 'f': 3}
    """
    _check_options(method, resolution, iterations)
    if G.number_of_nodes() == 0:
        return {}
    a = GraphArrays.of(G, arrays)
    found = cluster_arrays(a.n, a.src, a.dst, a.weight, method=method, resolution=resolution, seed=seed,
                           iterations=iterations)
    listing = np.lexsort((np.arange(a.n), found))  # by cluster, then node: the dict's order
    return {a.nodes[i]: int(found[i]) for i in listing.tolist()}


def _cluster_terms(model: TopicModel, members: Mapping[int, list[Any]], n: int) -> dict[int, list[str]]:
    """:func:`citegraph.graphs.topics.distinctive_terms` of every cluster at once (the same terms, in the same order).

    ``distinctive_terms`` takes the mean over all works once per call; with
    thousands of clusters (every isolated work is one) that is thousands of
    passes over the whole TF-IDF matrix. Here the overall mean is taken once
    and the clusters' means come from one sparse product (a cluster x work
    matrix of ``1 / size`` times the TF-IDF matrix, which sums each column in
    the same row order as ``matrix[rows].mean(axis=0)``).
    """
    out: dict[int, list[str]] = {number: [] for number in members}
    if n < 1 or not model.terms:
        return out
    numbers, indptr, indices, data = [], [0], [], []
    for number in sorted(members):
        rows = sorted({model.row(str(m)) for m in members[number] if str(m) in model})
        if rows:
            numbers.append(number)
            indices.extend(rows)
            data.extend([1.0 / len(rows)] * len(rows))
            indptr.append(len(indices))
    if not numbers:
        return out
    C = sp.csr_matrix((np.asarray(data), np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
                      shape=(len(numbers), model.matrix.shape[0]))
    means = (C @ model.matrix).tocsr()
    means.sort_indices()
    overall = np.asarray(model.matrix.mean(axis=0)).ravel()
    for k, number in enumerate(numbers):
        cols = means.indices[means.indptr[k]:means.indptr[k + 1]]
        # a term absent from the cluster has excess -overall <= 0: only the cluster's own terms can qualify
        excess = np.round(means.data[means.indptr[k]:means.indptr[k + 1]] - overall[cols], RANK_DECIMALS)
        good = excess > 0
        cols, excess = cols[good], excess[good]
        order = np.lexsort((cols, -excess))[:n]
        out[number] = [model.terms[i] for i in cols[order].tolist()]
    return out


def cluster_table(
    G: nx.Graph,
    clusters: Mapping[Any, int],
    *,
    model: TopicModel | None = None,
    centrality: Mapping[Any, float] | None = None,
    terms: int = 5,
    top_works: int = 3,
) -> list[dict[str, Any]]:
    """One row per cluster: what it is about, when, and its central works.

    Parameters
    ----------
    G : networkx graph
        Supplies node attributes (``year``, ``label``, ``doi``, ``is_seed``).
    clusters : mapping
        From :func:`find_clusters`.
    model : TopicModel, optional
        For the label: the cluster's most distinctive TF-IDF terms.
    centrality : mapping, optional
        Ranks the works inside a cluster (default: degree in ``G``).
    terms, top_works : int
        How many label terms and central works to list.

    Returns
    -------
    list of dict
        ``cluster``, ``size``, ``label`` (terms joined by ``"; "``),
        ``year_min``, ``year_max``, ``year_median``, ``seeds``, ``top_works``
        (DOIs joined by ``"; "``) and ``top_labels``; sorted by cluster.

    Examples
    --------
    >>> G = nx.Graph([("a", "b"), ("b", "c")])
    >>> for n, y in zip("abc", (2001, 2003, 2010)): G.nodes[n]["year"] = y
    >>> row = cluster_table(G, {"a": 1, "b": 1, "c": 1})[0]
    >>> row["size"], row["year_min"], row["year_max"], row["year_median"], row["top_works"]
    (3, 2001, 2010, 2003, 'b; a; c')
    """
    members: dict[int, list[Any]] = defaultdict(list)
    for node, number in clusters.items():
        members[number].append(node)
    score = centrality if centrality is not None else dict(G.degree())
    labels = _cluster_terms(model, members, terms) if model is not None else {}
    rows = []
    for number in sorted(members):
        nodes = sorted(members[number], key=str)
        years = sorted(int(G.nodes[n]["year"]) for n in nodes if n in G and G.nodes[n].get("year") is not None)
        central = sorted(nodes, key=lambda n: (-float(score.get(n, 0.0)), str(n)))[:top_works]
        label_terms = labels.get(number, [])
        rows.append({
            "cluster": number,
            "size": len(nodes),
            "label": "; ".join(label_terms),
            "year_min": years[0] if years else None,
            "year_max": years[-1] if years else None,
            "year_median": int(statistics.median_low(years)) if years else None,
            "seeds": sum(1 for n in nodes if n in G and G.nodes[n].get("is_seed")),
            "top_works": "; ".join(str(G.nodes[n].get("doi", n)) if n in G else str(n) for n in central),
            "top_labels": "; ".join(str(G.nodes[n].get("label", n)) if n in G else str(n) for n in central),
        })
    return rows
