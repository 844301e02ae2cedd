"""Clusters: known partitions, stable numbering, seeds, labels, agreement with networkx's Louvain, real data."""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest

from citegraph.analysis.clusters import _undirected, cluster_arrays, cluster_table, find_clusters, leiden_available
from citegraph.errors import UsageError
from citegraph.graphs.arrays import GraphArrays
from citegraph.graphs.citation import citation_graph, topic_documents
from citegraph.graphs.topics import distinctive_terms, fit_topics
from citegraph.store import Store


def two_cliques() -> nx.Graph:
    """Two 5-cliques joined by one weak edge (hand-made fixture)."""
    G = nx.Graph()
    for group in ("abcde", "vwxyz"):
        G.add_edges_from(itertools.combinations(group, 2), weight=1.0)
    G.add_edge("e", "v", weight=0.1)
    return G


@pytest.mark.parametrize("method", ["louvain", "leiden"])
def test_two_cliques_are_two_clusters(method: str) -> None:
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


def test_leiden_is_always_available() -> None:
    # python-igraph is a dependency now (it runs Louvain too); the function stays for older callers
    assert leiden_available() is True


def groups(clusters: dict[Any, int]) -> set[frozenset[Any]]:
    out: dict[int, set[Any]] = {}
    for node, number in clusters.items():
        out.setdefault(number, set()).add(node)
    return {frozenset(g) for g in out.values()}


@pytest.mark.parametrize("method", ["louvain", "leiden"])
def test_planted_partition_is_recovered_like_networkx_louvain(method: str) -> None:
    # hand-made fixture: 6 groups of 20 nodes, dense inside (p 0.5), sparse between (p 0.01), seeded
    G = nx.relabel_nodes(nx.planted_partition_graph(6, 20, 0.5, 0.01, seed=4), lambda i: f"n{i:03d}")
    planted = {frozenset(f"n{i:03d}" for i in range(g * 20, g * 20 + 20)) for g in range(6)}
    ours = find_clusters(G, method=method, seed=1)
    reference = nx.community.louvain_communities(G, seed=1)  # the networkx Louvain the code used before
    assert groups(ours) == planted == {frozenset(c) for c in reference}
    assert sorted(ours.values()) == sorted(number for number in range(1, 7) for _ in range(20))


def test_modularity_is_as_good_as_networkx_louvain_on_a_noisy_graph() -> None:
    # no planted structure: the partitions differ, the modularity they reach should not (much)
    G = nx.gnp_random_graph(300, 0.03, seed=5)
    for u, v in G.edges:
        G[u][v]["weight"] = 1.0 + (u * v) % 3
    ours = nx.community.modularity(G, groups(find_clusters(G, seed=2)), weight="weight")
    theirs = max(nx.community.modularity(G, nx.community.louvain_communities(G, weight="weight", seed=s),
                                         weight="weight") for s in range(3))
    assert ours > 0.3 and ours >= theirs - 0.02


def test_resolution_changes_the_number_of_clusters() -> None:
    G = nx.relabel_nodes(nx.planted_partition_graph(6, 20, 0.5, 0.01, seed=4), str)
    few, many = (len(set(find_clusters(G, resolution=r, seed=0).values())) for r in (0.05, 5.0))
    assert few < 6 < many


@pytest.mark.parametrize("method", ["louvain", "leiden"])
def test_seeded_insertion_order_free_and_global_random_untouched(method: str) -> None:
    G = nx.gnp_random_graph(200, 0.05, seed=7)
    shuffled_edges = list(G.edges)
    random.Random(1).shuffle(shuffled_edges)
    nodes = list(G.nodes)
    random.Random(2).shuffle(nodes)
    H = nx.Graph()
    H.add_nodes_from(nodes)
    H.add_edges_from((v, u) for u, v in shuffled_edges)  # same graph, other order, edges the other way round
    random.seed(123)
    expected_next = random.random()
    random.seed(123)
    first = find_clusters(G, method=method, seed=11)
    assert random.random() == expected_next  # the caller's random stream is as it was
    assert find_clusters(H, method=method, seed=11) == first
    assert list(first) == sorted(first, key=lambda n: (first[n], str(n)))  # listed by cluster, then node
    seeds = {frozenset(groups(find_clusters(G, method=method, seed=s))) for s in range(6)}
    assert len(seeds) > 1  # the seed does drive the optimisation on a graph without clear structure


def test_directed_reciprocal_weights_add_and_self_loops_are_ignored() -> None:
    # hand-made: b -> c and c -> b (0.6 each) become one undirected edge of weight 1.2; the self-loop goes
    D = nx.DiGraph()
    D.add_weighted_edges_from([("b", "a", 1.0), ("c", "d", 1.0), ("b", "c", 0.6), ("c", "b", 0.6), ("d", "d", 9.0)])
    a = GraphArrays.from_graph(D)
    g, weights = _undirected(a.n, a.src, a.dst, a.weight)
    assert a.nodes == ["a", "b", "c", "d"] and not g.is_directed()
    assert list(zip(g.get_edgelist(), weights.tolist(), strict=True)) == [((0, 1), 1.0), ((1, 2), 1.2), ((2, 3), 1.0)]
    U = nx.Graph()
    U.add_weighted_edges_from([("a", "b", 1.0), ("c", "d", 1.0), ("b", "c", 1.2)])
    assert find_clusters(D, seed=0) == find_clusters(U, seed=0)
    looped = two_cliques()
    looped.add_edge("a", "a", weight=50.0)
    assert find_clusters(looped, seed=3) == find_clusters(two_cliques(), seed=3)
    assert find_clusters(nx.Graph()) == {}


def test_cluster_table_labels_years_seeds_and_central_works() -> None:
    G = two_cliques()
    texts = dict.fromkeys("abcde", "alopecia areata hair follicle autoimmunity")
    texts.update(dict.fromkeys("vwxyz", "graph centrality network betweenness"))
    for i, node in enumerate("abcdevwxyz"):
        G.nodes[node].update(year=2000 + i, doi=f"10.5555/{node}", label=f"Doe {2000 + i}", is_seed=node in "av")
    works = [{"doi": n, "title": texts[n], "abstract": None, "subjects": []} for n in G.nodes]
    model = fit_topics(works, max_df=1.0)
    rows = cluster_table(G, find_clusters(G, seed=3), model=model, terms=2)
    first, second = rows
    assert (first["cluster"], first["size"], first["year_min"], first["year_max"], first["year_median"],
            first["seeds"]) == (1, 5, 2000, 2004, 2002, 1)
    assert set(first["label"].split("; ")) <= {"alopecia", "areata", "hair", "follicle", "autoimmunity",
                                               "alopecia areata", "hair follicle", "areata hair",
                                               "follicle autoimmunity"}
    assert any(t in second["label"] for t in ("graph", "centrality", "network", "betweenness"))
    # e and v have the highest degree in their cliques (the bridge)
    assert first["top_works"].split("; ")[0] == "10.5555/e" and second["top_works"].split("; ")[0] == "10.5555/v"


def test_cluster_table_labels_equal_distinctive_terms_on_real_data(commonmeta_store: Path) -> None:
    # real Crossref records (the commonmeta store): cluster_table labels every cluster in one pass; each label
    # must be exactly what topics.distinctive_terms gives for that cluster alone, singletons included
    with Store(commonmeta_store, readonly=True) as store:
        citation = citation_graph(store)
        model = fit_topics(topic_documents(store, citation))
    clusters = find_clusters(citation, seed=0)
    keys = sorted(clusters)
    clusters.update({k: 10_000 + i for i, k in enumerate(keys[::7])})  # plus one-work clusters
    rows = cluster_table(citation, clusters, model=model, terms=4)
    members: dict[int, list[str]] = {}
    for node, number in clusters.items():
        members.setdefault(number, []).append(node)
    assert [r["cluster"] for r in rows] == sorted(members)
    labelled = 0
    for row in rows:
        expected = distinctive_terms(model, sorted(members[row["cluster"]]), n=4)
        assert row["label"] == "; ".join(expected)
        labelled += bool(expected)
    assert labelled > len(rows) // 2


def test_cluster_arrays_is_what_find_clusters_runs_and_checks_its_input() -> None:
    # hand-made: two triangles joined by one link, one isolated node (5), a link both ways and a self-loop
    src = np.array([0, 1, 2, 3, 4, 5, 2, 1, 4], dtype=np.int64)
    dst = np.array([1, 2, 0, 4, 3, 5, 3, 0, 6], dtype=np.int64)
    G = nx.DiGraph()
    G.add_nodes_from(range(8))
    G.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
    for method in ("louvain", "leiden"):
        found = cluster_arrays(8, src, dst, method=method, seed=4)
        assert found.tolist() == [find_clusters(G, method=method, seed=4)[i] for i in range(8)]
        assert sorted(set(found.tolist())) == list(range(1, int(found.max()) + 1))
        assert found[5] != found[0] and found[7] != found[5]  # isolated nodes: clusters of their own
    g, weights = _undirected(8, src, dst, None)
    assert g.ecount() == 6 and weights.tolist().count(2.0) == 2  # 0-1 and 3-4 both ways: one edge of weight 2
    assert cluster_arrays(0, src[:0], dst[:0]).tolist() == []
    for bad, message in [({"method": "walktrap"}, "walktrap"), ({"resolution": 0}, "resolution 0"),
                         ({"iterations": 0}, "iterations 0")]:
        with pytest.raises(UsageError, match=message):
            cluster_arrays(8, src, dst, **bad)  # type: ignore[arg-type]


def test_large_graphs_go_to_igraph_through_an_edge_file_with_the_same_clusters(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """SYNTHETIC: a seeded preferential-attachment graph of 3,000 works (links both ways and a self-loop added);
    the edge-file path (forced by lowering the threshold) gives the same graph and the same clusters."""
    import citegraph.analysis.clusters as clusters

    B = nx.barabasi_albert_graph(3000, 3, seed=4)
    src = np.array([max(u, v) for u, v in B.edges()] + [5, 7], dtype=np.int64)
    dst = np.array([min(u, v) for u, v in B.edges()] + [0, 7], dtype=np.int64)  # one more link, one self-loop
    n = 3010  # ten nodes without links
    direct_graph, direct_w = _undirected(n, src, dst, None)
    direct = {m: cluster_arrays(n, src, dst, method=m, seed=2) for m in ("louvain", "leiden")}
    monkeypatch.setattr(clusters, "EDGE_FILE_ABOVE", 0)
    file_graph, file_w = _undirected(n, src, dst, None)
    assert file_graph.vcount() == direct_graph.vcount() == n
    assert file_graph.get_edgelist() == direct_graph.get_edgelist() and (file_w == direct_w).all()
    for method, found in direct.items():
        assert (cluster_arrays(n, src, dst, method=method, seed=2) == found).all(), method


# -- the default: Leiden, two iterations, on a real export ------------------------------------------------


@pytest.fixture(scope="module")
def coffee_hybrid(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[nx.Graph, GraphArrays]:
    """The hybrid graph ``analyse`` clusters, of a real Web of Science export (500 records on coffee and
    obesity and the works they cite), and its arrays as ``build_graph_with_arrays`` gives them."""
    from citegraph.analysis.pipeline import analyse_graph_options
    from citegraph.graphs.build import build_graph_with_arrays
    from citegraph.sources.importing import import_exports

    path = tmp_path_factory.mktemp("wos") / "coffee500.sqlite"
    with Store(path) as store:
        import_exports(store, [shared_dir / "corpora" / "coffee-obesity-wos" / "data_1_500.txt"])
    with Store(path, readonly=True) as store:
        return build_graph_with_arrays(store, "hybrid", analyse_graph_options())


def test_the_hybrid_graphs_arrays_are_those_of_its_walk(coffee_hybrid: tuple[nx.Graph, GraphArrays]) -> None:
    G, made = coffee_hybrid
    walked = GraphArrays.from_graph(G)
    assert G.number_of_edges() > 50_000 and made.n == walked.n == G.number_of_nodes()
    assert made.nodes == walked.nodes and made.index == walked.index and not made.directed
    for name in ("src", "dst", "weight", "year", "has_year"):
        assert np.array_equal(getattr(made, name), getattr(walked, name)), name
    assert int(made.has_year.sum()) > 1000  # years are read, not all left at 0


def test_leiden_two_iterations_is_the_default_and_beats_louvain(coffee_hybrid: tuple[nx.Graph, GraphArrays]
                                                                ) -> None:
    G, a = coffee_hybrid
    found = find_clusters(G, seed=0, arrays=a)
    assert found == find_clusters(G, method="leiden", iterations=2, seed=0)  # the arrays change nothing
    g, w = _undirected(a.n, a.src, a.dst, a.weight)

    def modularity(clusters: dict[Any, int]) -> float:
        return float(g.modularity([clusters[node] for node in a.nodes], weights=w.tolist()))

    for seed in range(3):  # Leiden (2 iterations) finds a better partition than Louvain with every seed
        leiden = modularity(find_clusters(G, seed=seed, arrays=a))
        assert leiden > modularity(find_clusters(G, method="louvain", seed=seed, arrays=a)) + 0.001, seed
    stable = modularity(find_clusters(G, iterations=-1, seed=0, arrays=a))
    assert modularity(found) <= stable + 1e-9 and stable - modularity(found) < 0.002  # iterating on: at most a little
    with pytest.raises(UsageError, match="iterations 0 must be -1"):
        find_clusters(G, iterations=0)
