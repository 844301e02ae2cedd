"""Graph building: exact weights on hand-computed examples, sparse = loop on real data, filters."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest

from citegraph.doi import normalize_doi
from citegraph.errors import UsageError
from citegraph.graphs import (
    citation_graph,
    citation_matrix,
    cocitation_graph,
    coupling_graph,
    filter_graph,
    graph_summary,
    hybrid_graph,
)
from citegraph.records import parse_work
from citegraph.seeds import Seed
from citegraph.store import Store

# Hand-made unit-test citation graph (not Crossref data):
#   P1 -> A, B, C    P2 -> A, B    P3 -> B, C    P4 -> C
FIXTURE = [("P1", "A"), ("P1", "B"), ("P1", "C"), ("P2", "A"), ("P2", "B"), ("P3", "B"), ("P3", "C"), ("P4", "C")]

# co-citation: s_A = 2, s_B = 3, s_C = 3, m = 4 citing works
COCITATION = {
    "count": {("A", "B"): 2, ("A", "C"): 1, ("B", "C"): 2},
    "cosine": {("A", "B"): 2 / math.sqrt(6), ("A", "C"): 1 / math.sqrt(6), ("B", "C"): 2 / 3},
    "association": {("A", "B"): 4 * 2 / 6, ("A", "C"): 4 * 1 / 6, ("B", "C"): 4 * 2 / 9},
    "jaccard": {("A", "B"): 2 / 3, ("A", "C"): 1 / 4, ("B", "C"): 2 / 4},
}
# coupling: s_P1 = 3, s_P2 = 2, s_P3 = 2, s_P4 = 1, m = 3 cited works
SHARED_COCITATION_PAIRS = 442_695  # co-cited pairs in the 6,587 shared records (loop and sparse agree)

COUPLING = {
    "count": {("P1", "P2"): 2, ("P1", "P3"): 2, ("P1", "P4"): 1, ("P2", "P3"): 1, ("P3", "P4"): 1},
    "cosine": {("P1", "P2"): 2 / math.sqrt(6), ("P1", "P3"): 2 / math.sqrt(6), ("P1", "P4"): 1 / math.sqrt(3),
               ("P2", "P3"): 1 / 2, ("P3", "P4"): 1 / math.sqrt(2)},
    "association": {("P1", "P2"): 1.0, ("P1", "P3"): 1.0, ("P1", "P4"): 1.0, ("P2", "P3"): 0.75,
                    ("P3", "P4"): 1.5},
    "jaccard": {("P1", "P2"): 2 / 3, ("P1", "P3"): 2 / 3, ("P1", "P4"): 1 / 3, ("P2", "P3"): 1 / 3,
                ("P3", "P4"): 1 / 2},
}


def fixture_graph() -> nx.DiGraph:
    return nx.DiGraph(FIXTURE)


def weights(G: nx.Graph) -> dict[tuple[str, str], float]:
    return {tuple(sorted((u, v))): d["weight"] for u, v, d in G.edges(data=True)}


@pytest.mark.parametrize("method", sorted(COCITATION))
def test_cocitation_weights(method: str) -> None:
    G = cocitation_graph(fixture_graph(), normalise=method)
    assert sorted(G.nodes) == ["A", "B", "C"]
    assert weights(G) == pytest.approx(COCITATION[method], abs=1e-6)
    assert {tuple(sorted((u, v))): d["count"] for u, v, d in G.edges(data=True)} == COCITATION["count"]


@pytest.mark.parametrize("method", sorted(COUPLING))
def test_coupling_weights(method: str) -> None:
    G = coupling_graph(fixture_graph(), normalise=method)
    assert sorted(G.nodes) == ["P1", "P2", "P3", "P4"]
    assert weights(G) == pytest.approx(COUPLING[method], abs=1e-6)


def test_top_k_keeps_each_nodes_strongest_links_union() -> None:
    # counts: P1's best are P2 and P3 (2 each; tie -> smaller neighbour P2); P4's are P1 and P3 (1 each -> P1)
    assert set(weights(coupling_graph(fixture_graph(), top_k=1))) == {("P1", "P2"), ("P1", "P3"), ("P1", "P4")}
    # cosine: P3's best is P1 (0.816), P4's best is P3 (0.707)
    assert set(weights(coupling_graph(fixture_graph(), normalise="cosine", top_k=1))) == {
        ("P1", "P2"), ("P1", "P3"), ("P3", "P4")}


def test_min_count_and_min_weight() -> None:
    assert set(weights(coupling_graph(fixture_graph(), min_count=2))) == {("P1", "P2"), ("P1", "P3")}
    assert set(weights(coupling_graph(fixture_graph(), normalise="cosine", min_weight=0.6))) == {
        ("P1", "P2"), ("P1", "P3"), ("P3", "P4")}


def test_blocks_do_not_change_the_answer() -> None:
    for build in (cocitation_graph, coupling_graph):
        a = build(fixture_graph(), normalise="association", top_k=2, block=1)
        b = build(fixture_graph(), normalise="association", top_k=2, block=4096)
        assert weights(a) == weights(b)


def test_bad_parameters_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="normalisation 'salton' is not one of count, cosine, association, jaccard"):
        cocitation_graph(fixture_graph(), normalise="salton")
    with pytest.raises(UsageError, match="top_k 0 must be at least 1"):
        coupling_graph(fixture_graph(), top_k=0)
    with pytest.raises(UsageError, match="min_count 0"):
        coupling_graph(fixture_graph(), min_count=0)


def test_citation_matrix_ignores_duplicates_and_self_citations() -> None:
    cm = citation_matrix([("a", "b"), ("a", "b"), ("b", "b")])
    assert cm.matrix.toarray().tolist() == [[0, 1], [0, 0]] and cm.index == {"a": 0, "b": 1}


def test_hybrid_adds_weighted_parts() -> None:
    cit = fixture_graph()
    co = cocitation_graph(cit, normalise="cosine")
    topic = nx.Graph([("A", "Z", {"weight": 0.4})])  # Z: a work without references, linked by topic only
    H = hybrid_graph({"citation": cit, "cocitation": co, "topic": topic},
                     {"citation": 1.0, "cocitation": 0.5, "topic": 2.0})
    assert H["A"]["B"]["weight"] == pytest.approx(0.5 * 2 / math.sqrt(6), abs=1e-6)  # no direct A-B citation
    assert H["P1"]["A"]["weight"] == 1.0 and H["P1"]["A"]["w_citation"] == 1.0
    assert H["A"]["Z"]["weight"] == 0.8 and H["A"]["Z"]["w_topic"] == 0.4
    with pytest.raises(UsageError, match="weights for coupling but no such graph"):
        hybrid_graph({"citation": cit}, {"coupling": 1.0})


def test_summary_of_the_fixture() -> None:
    s = graph_summary(cocitation_graph(fixture_graph()), top=2)
    assert (s["nodes"], s["edges"], s["components"], s["density"]) == (3, 3, 1, 1.0)
    assert s["heaviest"] == [("A", "B", 2.0), ("B", "C", 2.0)]


# -- from a store -----------------------------------------------------------------

def fixture_store(store: Store) -> None:
    """Hand-made unit-test records (not Crossref data)."""
    store.add_seeds([Seed(normalize_doi("10.5555/seed"), "<argument>", role="seed")])
    recs = [
        {"DOI": "10.5555/SEED", "type": "journal-article", "issued": {"date-parts": [[2021]]},
         "author": [{"family": "Doe", "given": "J", "sequence": "first"}], "title": ["Seed <i>work</i>"],
         "container-title": ["J Fixture"], "is-referenced-by-count": 7,
         "reference": [{"key": "1", "DOI": "10.5555/old", "doi-asserted-by": "publisher"},
                       {"key": "2", "DOI": "10.5555/gone", "article-title": "A lost paper", "journal-title": "Old J",
                        "year": "1975", "author": "Roe"},
                       {"key": "3", "unstructured": "no DOI here"}]},
        {"DOI": "10.5555/old", "type": "journal-article", "issued": {"date-parts": [[1990]]}, "title": ["Old"]},
    ]
    store.add_works([parse_work(r, source="fixture") for r in recs])


def test_citation_graph_from_a_store(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as s:
        fixture_store(s)
        G = citation_graph(s)
    assert sorted(G.edges) == [("10.5555/seed", "10.5555/gone"), ("10.5555/seed", "10.5555/old")]
    seed = G.nodes["10.5555/seed"]
    assert seed == {"doi": "10.5555/SEED", "label": "Doe 2021", "title": "Seed <i>work</i>", "year": 2021,
                    "journal": "J Fixture", "type": "journal-article", "citations_global": 7, "is_seed": True,
                    "resolved": True, "citations_local": 0}
    assert G.nodes["10.5555/gone"] == {"doi": "10.5555/gone", "label": "Roe 1975", "title": "A lost paper",
                                       "year": 1975, "journal": "Old J", "is_seed": False, "resolved": False,
                                       "citations_local": 1}
    assert G.edges["10.5555/seed", "10.5555/old"] == {"sources": "crossref", "asserted_by": "publisher", "weight": 1}
    # only scalars: no None, no lists
    for _, d in G.nodes(data=True):
        assert all(isinstance(v, (str, int, float, bool)) for v in d.values())


def test_filters_always_keep_seeds(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as s:
        fixture_store(s)
        G = citation_graph(s)
    assert set(filter_graph(G, years=(1980, 2000)).nodes) == {"10.5555/old", "10.5555/seed"}
    assert set(filter_graph(G, years=(1980, 2000), keep_seeds=False).nodes) == {"10.5555/old"}
    assert set(filter_graph(G, min_local_citations=1).nodes) == {"10.5555/gone", "10.5555/old", "10.5555/seed"}
    assert set(filter_graph(G, types=["book-chapter"]).nodes) == {"10.5555/seed"}
    H = nx.Graph([("a", "b"), ("b", "c"), ("x", "y")])
    H.nodes["y"]["is_seed"] = True
    assert set(filter_graph(H, largest_component=True).nodes) == {"a", "b", "c", "y"}
    assert set(filter_graph(H, largest_component=True, keep_seeds=False).nodes) == {"a", "b", "c"}


# -- sparse = loop on real data --------------------------------------------------------

def loop_cocitation(G: nx.DiGraph) -> Counter[tuple[str, str]]:
    """The straightforward pairwise way (as litstudy-style tools do it)."""
    counts: Counter[tuple[str, str]] = Counter()
    for citing in G.nodes:
        for a, b in itertools.combinations(sorted(G.successors(citing)), 2):
            counts[(a, b)] += 1
    return counts


def loop_coupling(G: nx.DiGraph) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    for cited in G.nodes:
        for a, b in itertools.combinations(sorted(G.predecessors(cited)), 2):
            counts[(a, b)] += 1
    return counts


@pytest.fixture(scope="module")
def shared_graph(shared_corpus: Path) -> nx.DiGraph:
    with Store(shared_corpus, readonly=True) as store:
        return citation_graph(store)


def test_sparse_and_loop_agree_on_the_shared_corpus(shared_graph: nx.DiGraph) -> None:
    G = shared_graph
    assert G.number_of_edges() > 13_000
    sizes: dict[str, int] = {}
    for build, loop in ((cocitation_graph, loop_cocitation), (coupling_graph, loop_coupling)):
        expected = loop(G)
        got = build(G, normalise="cosine")
        counts = {tuple(sorted((u, v))): d["count"] for u, v, d in got.edges(data=True)}
        assert counts == dict(expected)
        indeg = dict(G.in_degree()) if build is cocitation_graph else dict(G.out_degree())
        for (a, b), c in list(expected.items())[:2000]:
            assert got[a][b]["weight"] == pytest.approx(c / math.sqrt(indeg[a] * indeg[b]), abs=1e-6)
        sizes[build.__name__] = len(expected)
    # the recorded works are unrelated test cassettes: they co-cite a lot, but seldom share references
    assert sizes == {"cocitation_graph": SHARED_COCITATION_PAIRS, "coupling_graph": 165}


def test_block_sizes_threads_and_long_rows_never_change_the_answer() -> None:
    """A seeded random incidence with a few hub columns (hand-made, synthetic)."""
    import numpy as np
    import scipy.sparse as sp

    from citegraph.graphs import cooccurrence_edges

    rng = np.random.default_rng(4)
    dense = (rng.random((120, 300)) < 0.03).astype(np.int32)
    dense[:, :3] = rng.random((120, 3)) < 0.6  # hubs: columns most rows share
    inc = sp.csr_matrix(dense)
    for normalise in ("count", "cosine", "jaccard"):
        reference = cooccurrence_edges(inc, normalise=normalise, top_k=4, workers=1, long_row=10**9)
        for variant in ({"block": 7, "max_block_entries": 5, "workers": 2}, {"long_row": 0, "workers": 1},
                        {"long_row": 1, "max_block_entries": 1, "workers": 2}):
            got = cooccurrence_edges(inc, normalise=normalise, top_k=4, **variant)
            for a, b in zip(reference, got, strict=True):
                assert np.array_equal(a, b), (normalise, variant)
