"""The one array form of a graph (citegraph.graphs.arrays.GraphArrays), shared by the analyses."""

from __future__ import annotations

import random
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from citegraph.analysis.bursts import citation_bursts
from citegraph.analysis.clusters import find_clusters
from citegraph.analysis.mainpath import main_path_analysis
from citegraph.analysis.pipeline import AnalyseOptions, analyse
from citegraph.analysis.rank import RankOptions, rank_works
from citegraph.errors import UsageError
from citegraph.graphs import arrays as arrays_module
from citegraph.graphs.arrays import GraphArrays, edge_arrays, edge_index
from citegraph.graphs.build import GraphOptions, build_graph
from citegraph.graphs.citation import citation_graph
from citegraph.store import Store


def random_citation_graph(seed: int, n: int = 60) -> nx.DiGraph:
    """SYNTHETIC: works citing older works (a few cycles and self-citations), years and seeds set."""
    rng = random.Random(seed)
    G = nx.DiGraph()
    keys = [f"10.5555/w{rng.randrange(10**6):06d}-{i}" for i in range(n)]
    rng.shuffle(keys)  # insertion order differs from sorted order
    for i, key in enumerate(keys):
        G.add_node(key, year=1990 + i // 3 if i % 7 else None, is_seed=i % 11 == 0, resolved=True,
                   citations_global=rng.randrange(50))
    for i, key in enumerate(keys):
        for j in rng.sample(range(n), rng.randrange(6)):
            if j < i or rng.random() < 0.05:
                G.add_edge(key, keys[j])
    return G


def test_from_graph_reads_nodes_edges_weights_and_years() -> None:
    G = nx.DiGraph()
    G.add_node("c", year=2001)
    G.add_node("a", year=True)  # a bool is not a year
    G.add_node("b", year=np.int64(1999))  # neither is a numpy integer (as everywhere in citegraph)
    G.add_edge("c", "a", weight=0.5)
    G.add_edge("b", "a")
    G.add_edge("c", "c")
    a = GraphArrays.from_graph(G)
    assert a.nodes == ["a", "b", "c"] and a.index == {"a": 0, "b": 1, "c": 2} and a.n == 3
    assert list(zip(a.src.tolist(), a.dst.tolist(), a.weight.tolist(), strict=True)) == [
        (2, 0, 0.5), (2, 2, 1.0), (1, 0, 1.0)]  # G.edges() order, self-loop kept
    assert a.year.tolist() == [0, 0, 2001] and a.has_year.tolist() == [False, False, True]
    assert a.directed and a.src.dtype == np.int64 and a.weight.dtype == np.float64


def test_unweighted_arrays_skip_the_edge_attributes() -> None:
    G = nx.DiGraph([("b", "a", {"weight": 3.0}), ("c", "a")])
    full, bare = GraphArrays.from_graph(G), GraphArrays.from_graph(G, weight=None, default=2.0)
    assert full.weight.tolist() == [3.0, 1.0] and bare.weight.tolist() == [2.0, 2.0]
    assert bare.src.tolist() == full.src.tolist() and bare.dst.tolist() == full.dst.tolist()


def test_undirected_edges_once_from_the_smaller_index() -> None:
    G = nx.Graph([("b", "a", {"weight": 2.0}), ("c", "b")])
    a = GraphArrays.from_graph(G)
    pairs = sorted(zip(a.src.tolist(), a.dst.tolist(), a.weight.tolist(), strict=True))
    assert pairs == [(0, 1, 2.0), (1, 2, 1.0)] and not a.directed


def test_arrays_of_another_graph_are_refused_by_every_analysis() -> None:
    G = random_citation_graph(1)
    other = GraphArrays.from_graph(random_citation_graph(2, n=30))
    assert not other.matches(G) and GraphArrays.from_graph(G).matches(G)
    calls = [
        lambda: rank_works(G, arrays=other),
        lambda: citation_bursts(G, arrays=other),
        lambda: main_path_analysis(G, arrays=other),
        lambda: find_clusters(G, arrays=other),
    ]
    for call in calls:
        with pytest.raises(UsageError, match=r"graph arrays .* are not those of this graph"):
            call()


@pytest.mark.parametrize("seed", range(4))
def test_the_same_results_with_shared_arrays(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    G = random_citation_graph(seed)
    expected = (rank_works(G, RankOptions(seed=seed)), citation_bursts(G, min_citations=2),
                main_path_analysis(G, k=3), find_clusters(G, seed=seed))
    shared = GraphArrays.from_graph(G)

    def refuse(*args: object, **kwargs: object) -> GraphArrays:
        raise AssertionError("the graph was read again")

    monkeypatch.setattr(GraphArrays, "from_graph", classmethod(refuse))
    monkeypatch.setattr(arrays_module, "edge_arrays", refuse)
    got = (rank_works(G, RankOptions(seed=seed), arrays=shared), citation_bursts(G, min_citations=2, arrays=shared),
           main_path_analysis(G, k=3, arrays=shared), find_clusters(G, seed=seed, arrays=shared))
    assert got == expected


def test_hybrid_graph_from_shared_arrays_is_the_same(commonmeta_store: Path) -> None:
    with Store(commonmeta_store, readonly=True) as store:
        citation = citation_graph(store)
        options = GraphOptions(top_k=5)
        plain = build_graph(store, "hybrid", options, citation=citation)
        shared = build_graph(store, "hybrid", options, citation=citation, arrays=GraphArrays.from_graph(citation))
    assert list(plain.nodes) == list(shared.nodes)
    assert list(plain.edges(data=True)) == list(shared.edges(data=True))
    assert plain.number_of_edges() > 400


@pytest.mark.parametrize("graph", ["hybrid", "citation"])
def test_analyse_reads_the_citation_graph_into_arrays_once(commonmeta_store: Path, graph: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[int] = []
    walks: list[int] = []
    original = GraphArrays.from_graph.__func__  # type: ignore[attr-defined]

    def counted(cls: type[GraphArrays], G: nx.Graph, *args: object, **kwargs: object) -> GraphArrays:
        built.append(G.number_of_edges())
        return original(cls, G, *args, **kwargs)  # type: ignore[no-any-return]

    def walked(G: nx.Graph, *args: object, **kwargs: object) -> tuple[np.ndarray, ...]:
        walks.append(G.number_of_edges())
        return edge_arrays(G, *args, **kwargs)  # type: ignore[arg-type]

    def indexed(G: nx.Graph, *args: object, **kwargs: object) -> tuple[np.ndarray, np.ndarray]:
        walks.append(G.number_of_edges())  # the walk without weights
        return edge_index(G, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(GraphArrays, "from_graph", classmethod(counted))
    for module in ("citegraph.graphs.arrays", "citegraph.graphs.hybrid"):
        monkeypatch.setattr(f"{module}.edge_arrays", walked)
    monkeypatch.setattr("citegraph.graphs.arrays.edge_index", indexed)
    with Store(commonmeta_store, readonly=True) as store:
        a = analyse(store, AnalyseOptions(graph=graph))
    citation_edges = a.citation.number_of_edges()
    # one GraphArrays of the citation graph for rankings, bursts, main paths and the hybrid graph's links (and
    # the clusters, when they are found in the citation graph); a hybrid graph's own, for the clusters, come
    # from the arrays it is built from (build_graph_with_arrays), not from a walk
    assert built == [citation_edges]
    # the citation graph is walked once; the hybrid graph adds one walk of the topic graph, none of itself
    assert walks.count(citation_edges) == 1
    assert len(walks) == (2 if graph == "hybrid" else 1)
    assert graph == "citation" or a.graph.number_of_edges() not in walks
