"""Clusters of the literature: community detection, labels, and a table a person can read.

:func:`find_clusters` partitions an undirected weighted graph (a directed
citation graph is taken undirected) by **Louvain** (networkx, seeded) or, when
python-igraph is installed, **Leiden** (igraph's implementation, optimising
modularity, seeded). Cluster numbers are stable: 1 is the largest cluster,
ties broken by the smallest DOI in it.

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
import random
import statistics
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import networkx as nx

from citegraph.errors import UsageError
from citegraph.topics import TopicModel, distinctive_terms

__all__ = ["CLUSTER_METHODS", "find_clusters", "cluster_table", "leiden_available"]

log = logging.getLogger(__name__)

CLUSTER_METHODS = ("louvain", "leiden")


def leiden_available() -> bool:
    """Whether Leiden can run here (python-igraph is installed)."""
    try:
        import igraph  # noqa: F401
    except ImportError:
        return False
    return True


def _undirected(G: nx.Graph) -> nx.Graph:
    if not G.is_directed():
        return G
    H = nx.Graph()
    H.add_nodes_from(G.nodes(data=True))
    for u, v, d in G.edges(data=True):
        w = float(d.get("weight", 1.0))
        if H.has_edge(u, v):
            H[u][v]["weight"] += w
        else:
            H.add_edge(u, v, weight=w)
    return H


def _leiden(G: nx.Graph, resolution: float, seed: int) -> list[set[Any]]:
    try:
        import igraph
    except ImportError:
        raise UsageError(
            "cluster method 'leiden' needs python-igraph (pip install igraph); or use --cluster-method louvain"
        ) from None
    nodes = sorted(G.nodes, key=str)
    index = {n: i for i, n in enumerate(nodes)}
    edges = sorted((min(index[u], index[v]), max(index[u], index[v]), float(d.get("weight", 1.0)))
                   for u, v, d in G.edges(data=True) if u != v)
    g = igraph.Graph(n=len(nodes), edges=[(a, b) for a, b, _ in edges])
    previous = random.getstate()
    igraph.set_random_number_generator(random.Random(seed))
    try:
        part = g.community_leiden(objective_function="modularity", weights=[w for _, _, w in edges] or None,
                                  resolution=resolution, n_iterations=-1)
    finally:
        igraph.set_random_number_generator(random)
        random.setstate(previous)
    groups: dict[int, set[Any]] = defaultdict(set)
    for i, c in enumerate(part.membership):
        groups[c].add(nodes[i])
    return list(groups.values())


def find_clusters(G: nx.Graph, *, method: str = "louvain", resolution: float = 1.0, seed: int = 0) -> dict[Any, int]:
    """Partition a graph into clusters: ``{node: cluster number}``.

    Parameters
    ----------
    G : networkx graph
        Edge ``weight`` is used (1 when absent); a directed graph is taken
        undirected, with reciprocal weights added.
    method : {"louvain", "leiden"}
        Louvain (networkx) or Leiden (python-igraph, when installed).
    resolution : float
        Above 1 gives more, smaller clusters; below 1 fewer, larger ones.
    seed : int
        Seed of the randomised optimisation: the same seed gives the same
        clusters.

    Returns
    -------
    dict
        Cluster 1 is the largest; ties go to the cluster holding the
        smallest node id. Isolated nodes form clusters of their own.
    """
    if method not in CLUSTER_METHODS:
        raise UsageError(f"cluster method {method!r} is not one of {', '.join(CLUSTER_METHODS)}")
    if resolution <= 0:
        raise UsageError(f"resolution {resolution} must be greater than 0")
    H = _undirected(G)
    if H.number_of_nodes() == 0:
        return {}
    if method == "leiden":
        groups = _leiden(H, resolution, seed)
    else:
        groups = [set(c) for c in nx.community.louvain_communities(H, weight="weight", resolution=resolution,
                                                                   seed=seed)]
    ordered = sorted(groups, key=lambda c: (-len(c), min(map(str, c))))
    return {node: number for number, members in enumerate(ordered, start=1) for node in sorted(members, key=str)}


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
    rows = []
    for number in sorted(members):
        nodes = sorted(members[number], key=str)
        years = sorted(int(G.nodes[n]["year"]) for n in nodes if n in G and G.nodes[n].get("year") is not None)
        central = sorted(nodes, key=lambda n: (-float(score.get(n, 0.0)), str(n)))[:top_works]
        label_terms = distinctive_terms(model, [str(n) for n in nodes], n=terms) if model is not None else []
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
