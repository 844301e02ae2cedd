"""Clusters: known partitions, stable numbering, seeds, labels, Leiden when available."""

from __future__ import annotations

import builtins
import itertools

import networkx as nx
import pytest

from citegraph.clusters import cluster_table, find_clusters, leiden_available
from citegraph.errors import UsageError
from citegraph.topics import fit_topics


def two_cliques() -> nx.Graph:
    """Two 5-cliques joined by one weak edge (hand-made fixture)."""
    G = nx.Graph()
    for group in ("abcde", "vwxyz"):
        G.add_edges_from(itertools.combinations(group, 2), weight=1.0)
    G.add_edge("e", "v", weight=0.1)
    return G


@pytest.mark.parametrize("method", ["louvain", "leiden"])
def test_two_cliques_are_two_clusters(method: str) -> None:
    if method == "leiden" and not leiden_available():
        pytest.skip("python-igraph not installed")
    clusters = find_clusters(two_cliques(), method=method, seed=3)
    assert clusters == {**dict.fromkeys("abcde", 1), **dict.fromkeys("vwxyz", 2)}


def test_numbering_is_by_size_then_smallest_member() -> None:
    G = two_cliques()
    G.add_edges_from([("p", "q")])
    G.add_node("lonely")
    clusters = find_clusters(G, seed=0)
    assert clusters["a"] == 1 and clusters["v"] == 2 and clusters["lonely"] == 4 and clusters["p"] == 3


def test_same_seed_same_clusters_on_a_noisy_graph() -> None:
    G = nx.gnp_random_graph(200, 0.05, seed=7)
    assert find_clusters(G, seed=11) == find_clusters(G, seed=11)


def test_directed_graph_is_taken_undirected() -> None:
    D = nx.DiGraph(two_cliques())
    assert find_clusters(D, seed=3) == find_clusters(two_cliques(), seed=3)


def test_bad_method_and_resolution() -> None:
    with pytest.raises(UsageError, match="cluster method 'kmeans' is not one of louvain, leiden"):
        find_clusters(two_cliques(), method="kmeans")
    with pytest.raises(UsageError, match="resolution 0 must be greater than 0"):
        find_clusters(two_cliques(), resolution=0)


def test_leiden_without_igraph_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_igraph(name: str, *args, **kwargs):
        if name == "igraph":
            raise ImportError("no igraph here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_igraph)
    with pytest.raises(UsageError, match=r"needs python-igraph \(pip install igraph\)"):
        find_clusters(two_cliques(), method="leiden")


def test_cluster_table_labels_years_seeds_and_central_works() -> None:
    G = two_cliques()
    texts = {c: "alopecia areata hair follicle autoimmunity" for c in "abcde"}
    texts.update({c: "graph centrality network betweenness" for c in "vwxyz"})
    for i, node in enumerate("abcdevwxyz"):
        G.nodes[node].update(year=2000 + i, doi=f"10.5555/{node}", label=f"Doe {2000 + i}", is_seed=node in "av")
    works = [{"doi": n, "title": texts[n], "abstract": None, "subjects": []} for n in G.nodes]
    model = fit_topics(works, max_df=1.0)
    rows = cluster_table(G, find_clusters(G, seed=3), model=model, terms=2)
    first, second = rows
    assert (first["cluster"], first["size"], first["year_min"], first["year_max"], first["year_median"], first["seeds"]) == (
        1, 5, 2000, 2004, 2002, 1)
    assert set(first["label"].split("; ")) <= {"alopecia", "areata", "hair", "follicle", "autoimmunity",
                                               "alopecia areata", "hair follicle", "areata hair",
                                               "follicle autoimmunity"}
    assert any(t in second["label"] for t in ("graph", "centrality", "network", "betweenness"))
    # e and v have the highest degree in their cliques (the bridge)
    assert first["top_works"].split("; ")[0] == "10.5555/e" and second["top_works"].split("; ")[0] == "10.5555/v"
