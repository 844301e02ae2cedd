"""Graph building: exact weights on hand-computed examples, sparse = loop on real data, filters."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from citegraph.doi import normalize_doi
from citegraph.errors import UsageError
from citegraph.graphs.arrays import citation_matrix
from citegraph.graphs.build import filter_graph, graph_summary
from citegraph.graphs.citation import citation_graph
from citegraph.graphs.cooccurrence import cocitation_graph, coupling_graph
from citegraph.graphs.hybrid import hybrid_graph
from citegraph.sources.seeds import Seed
from citegraph.store import Store
from citegraph.store.records import parse_work
from tests.hand_made import citation

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
                    "resolved": True, "citations_local": 0, "notice": ""}
    assert G.nodes["10.5555/gone"] == {"doi": "10.5555/gone", "label": "Roe 1975", "title": "A lost paper",
                                       "year": 1975, "journal": "Old J", "is_seed": False, "resolved": False,
                                       "citations_local": 1, "notice": ""}
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
    """A seeded random incidence with a few hub columns (hand-made, synthetic); the dense path as well."""
    import numpy as np
    import scipy.sparse as sp

    from citegraph.graphs.cooccurrence import cooccurrence_edges

    rng = np.random.default_rng(4)
    dense = (rng.random((120, 300)) < 0.03).astype(np.int32)
    dense[:, :3] = rng.random((120, 3)) < 0.6  # hubs: columns most rows share
    inc = sp.csr_matrix(dense)
    for normalise in ("count", "cosine", "association", "jaccard"):
        reference = cooccurrence_edges(inc, normalise=normalise, top_k=4, workers=1, long_row=10**9, dense=False)
        for variant in ({"block": 7, "max_block_entries": 5, "workers": 2}, {"long_row": 0, "workers": 1},
                        {"long_row": 1, "max_block_entries": 1, "workers": 2}, {"dense": True, "workers": 1},
                        {"dense": True, "block": 7, "workers": 2}, {"dense": None}):
            got = cooccurrence_edges(inc, normalise=normalise, top_k=4, **variant)
            for a, b in zip(reference, got, strict=True):
                assert np.array_equal(a, b), (normalise, variant)


def test_top_k_selection_matches_a_full_sort_with_ties_and_near_ties() -> None:
    """``_top_k_sorted`` against the plain four-key sort, on seeded random rows (hand-made, synthetic) whose
    weights tie exactly or differ in the last bits, at several scales."""
    import numpy as np

    from citegraph.graphs.cooccurrence import _top_k_sorted

    rng = np.random.default_rng(11)
    for scale in (1e-3, 1.0, 1e6):
        lens = rng.integers(1, 60, size=300)
        rows = np.repeat(np.arange(1000, 1300, dtype=np.int64), lens)
        cols = rng.permutation(len(rows)).astype(np.int64)
        counts = rng.integers(1, 4, size=len(rows)).astype(np.int64)
        base = rng.choice([0.25, 0.5, 0.5 + 1e-15, 0.75, np.nextafter(0.75, 0)], size=len(rows))
        weights = base * scale * (1 + (rng.random(len(rows)) < 0.3) * 1e-13)
        for k in (1, 5, 20):
            got = _top_k_sorted(rows, cols, counts, weights, k)
            order = np.lexsort((cols, -counts, -weights, rows))
            r = rows[order]
            first = np.r_[0, np.flatnonzero(np.diff(r)) + 1]
            rank = np.arange(len(r)) - np.repeat(first, np.diff(np.r_[first, len(r)]))
            want = order[rank < k]
            assert sorted(zip(*(a.tolist() for a in got), strict=True)) == sorted(
                zip(rows[want].tolist(), cols[want].tolist(), counts[want].tolist(), weights[want].tolist(),
                    strict=True)), (scale, k)


def test_heaviest_first_is_the_four_key_lexsort_with_one_key_or_the_lexsort_itself() -> None:
    """``_heaviest_first`` (one int64 key of ranks) orders as ``np.lexsort`` of the four keys, on seeded random
    entries (synthetic) with tied and nearly tied weights; column numbers too large for the key's range take the
    lexsort itself, with the same order."""
    import numpy as np

    from citegraph.graphs.cooccurrence import _heaviest_first

    rng = np.random.default_rng(5)
    rows = np.sort(rng.integers(0, 400, size=5000)).astype(np.int64)
    counts = rng.integers(1, 6, size=len(rows)).astype(np.int64)
    weights = rng.choice([0.2, 0.4, 0.4 + 1e-16, np.nextafter(0.6, 1), 0.6], size=len(rows))
    for cols in (rng.permutation(len(rows)).astype(np.int64), rng.permutation(len(rows)).astype(np.int64) << 40):
        assert np.array_equal(_heaviest_first(rows, weights, counts, cols),
                              np.lexsort((cols, -counts, -weights, rows)))
    assert _heaviest_first(rows[:0], weights[:0], counts[:0], rows[:0]).tolist() == []


# -- citation_graph = Store.citation_edges, every provenance ------------------------------


def provenance_store(store: Store) -> None:
    """Hand-made unit-test records (not Crossref data) with every kind of edge: a DOI cited twice with two
    assertions, a matched reference, OpenCitations links (one from an unstored DOI), a merged duplicate."""
    a = {"DOI": "10.5555/A", "issued": {"date-parts": [[2020]]}, "author": [{"family": "Doe"}],
         "reference": [{"key": "1", "DOI": "10.5555/b", "doi-asserted-by": "publisher"},
                       {"key": "2", "DOI": "10.5555/B", "doi-asserted-by": "crossref"},
                       {"key": "3", "unstructured": "Roe 1990, no DOI"},
                       {"key": "4", "DOI": "10.5555/c", "year": "1985", "author": "Poe"},
                       {"key": "5", "DOI": "10.5555/gone", "article-title": "Lost", "year": "1970"},
                       {"key": "6", "DOI": "10.5555/a"}]}  # a self-citation
    b = {"DOI": "10.5555/b", "reference": [{"key": "1", "DOI": "10.5555/gone", "journal-title": "Old J",
                                            "author": "Moe"}]}
    store.add_works([parse_work(r, source="fixture") for r in (a, b)])
    store.add_ref_matches([("10.5555/a", 3, "10.5555/d", 90.0, "Roe 1990")], threshold=50)
    store.add_forward_citations("10.5555/b", [citation("10.5555/A", "10.5555/b")], source="opencitations")
    store.add_forward_citations("10.5555/a", [citation("10.5555/Z", "10.5555/a")], source="opencitations")
    store.add_merges([("10.5555/c", "10.5555/b", "same title")])


@pytest.mark.parametrize("merged", [True, False])
def test_citation_graph_edges_are_the_stores_citation_edges(tmp_path: Path, merged: bool) -> None:
    with Store(tmp_path / "s.sqlite") as s:
        provenance_store(s)
        G = citation_graph(s, merged=merged)
        expected = [(e.citing, e.cited, {"sources": ";".join(e.sources), **(
            {"asserted_by": ";".join(e.asserted_by)} if e.asserted_by else {}), "weight": 1})
            for e in s.citation_edges(merged=merged)]
    assert list(G.edges(data=True)) == expected  # same edges, attributes and (citing, cited) order
    # b cited twice (two assertions) and seen by OpenCitations; merged, the citation of its duplicate c joins it
    assert G.edges["10.5555/a", "10.5555/b"] == {"sources": "crossref;opencitations",
                                                 "asserted_by": "crossref;publisher", "weight": 1}
    assert G.has_edge("10.5555/a", "10.5555/c") is not merged and not G.has_edge("10.5555/a", "10.5555/a")
    # stored works first (DOI order), then the unstored DOIs in the order the sorted edges reach them
    unstored = ["10.5555/c", "10.5555/d", "10.5555/gone", "10.5555/z"] if not merged else [
        "10.5555/d", "10.5555/gone", "10.5555/z"]
    assert list(G.nodes) == ["10.5555/a", "10.5555/b", *unstored]
    # described from their first reference entry (citing DOI, position), or the OpenCitations record
    assert G.nodes["10.5555/gone"] == {"doi": "10.5555/gone", "label": "Moe 1970", "title": "Lost", "year": 1970,
                                       "journal": "Old J", "is_seed": False, "resolved": False,
                                       "citations_local": 2, "notice": ""}
    assert G.nodes["10.5555/z"] == {"doi": "10.5555/Z", "label": "10.5555/Z", "is_seed": False,
                                    "resolved": False, "citations_local": 0, "notice": ""}
    assert G.nodes["10.5555/d"]["label"] == "10.5555/d" and G.nodes["10.5555/b"]["citations_local"] == 1


def test_citation_graph_of_the_shared_corpus_matches_the_stores_edges(shared_corpus: Path,
                                                                      shared_graph: nx.DiGraph) -> None:
    with Store(shared_corpus, readonly=True) as s:
        edges = s.citation_edges()
        stored = sum(1 for _ in s.execute("SELECT doi FROM works"))
    assert [(u, v) for u, v in shared_graph.edges] == [(e.citing, e.cited) for e in edges]
    assert all(shared_graph.edges[e.citing, e.cited]["sources"] == ";".join(e.sources) for e in edges)
    resolved = [n for n, d in shared_graph.nodes(data=True) if d["resolved"]]
    assert len(resolved) == stored and resolved == sorted(resolved)
    assert all(d["citations_local"] == shared_graph.in_degree(n) for n, d in shared_graph.nodes(data=True))


# -- hybrid on arrays = the edge-by-edge combination ---------------------------------------


def loop_hybrid(parts: dict[str, nx.Graph], weights: dict[str, float]) -> nx.Graph:
    """The previous, edge-by-edge hybrid_graph (the reference the array version must agree with)."""
    H = nx.Graph(kind="hybrid")
    for kind, G in parts.items():
        for node, attrs in G.nodes(data=True):
            if node not in H:
                H.add_node(node, **attrs)
        factor = float(weights.get(kind, 0.0))
        if factor == 0.0:
            continue
        for u, v, d in G.edges(data=True):
            if u == v:
                continue
            w = float(d.get("weight", 1.0))
            if not H.has_edge(u, v):
                H.add_edge(u, v, weight=0.0)
            data = H[u][v]
            data[f"w_{kind}"] = round(data.get(f"w_{kind}", 0.0) + w, 6)
            data["weight"] = round(data["weight"] + factor * w, 6)
    return H


def edge_table(H: nx.Graph) -> dict[frozenset[str], dict[str, float]]:
    return {frozenset((u, v)): d for u, v, d in H.edges(data=True)}


def assert_same_hybrid(got: nx.Graph, expected: nx.Graph) -> None:
    assert list(got.nodes(data=True)) == list(expected.nodes(data=True))
    a, b = edge_table(got), edge_table(expected)
    assert a.keys() == b.keys()
    for key, d in b.items():
        assert list(a[key]) == list(d)  # weight first, then w_<kind> in the parts' order
        assert a[key] == pytest.approx(d, abs=2e-6), key


def test_hybrid_agrees_with_the_edge_by_edge_sum_on_a_hand_made_graph() -> None:
    cit = nx.DiGraph([("a", "b"), ("b", "a"), ("a", "c"), ("c", "c")])  # a<->b both ways: weight 2
    topic = nx.Graph([("b", "a", {"weight": 0.3}), ("c", "d", {"weight": 0.25}), ("d", "d", {"weight": 1.0})])
    co = nx.Graph([("b", "c", {"weight": 0.5})])
    for weights in ({"citation": 1.0, "cocitation": 0.5, "topic": 2.0}, {"citation": 0.0, "topic": 1.0}, {}):
        parts = {"citation": cit, "cocitation": co, "topic": topic}
        assert_same_hybrid(hybrid_graph(parts, weights), loop_hybrid(parts, weights))
    H = hybrid_graph({"citation": cit, "cocitation": co, "topic": topic}, {"citation": 1.0, "topic": 2.0})
    assert H["a"]["b"] == {"weight": 2.6, "w_citation": 2.0, "w_topic": 0.3}
    assert H["c"]["d"] == {"weight": 0.5, "w_topic": 0.25} and not H.has_edge("c", "c")
    # edges in node-index order (a, b, c, d: the parts' node order), the same on every run
    assert list(H.edges) == [("a", "b"), ("a", "c"), ("c", "d")]
    assert sorted(hybrid_graph({"citation": cit}, {}).nodes) == ["a", "b", "c"]
    assert hybrid_graph({"citation": cit}, {}).number_of_edges() == 0


@pytest.mark.parametrize("top_k", [None, 5])
def test_hybrid_build_agrees_with_the_edge_by_edge_sum_on_real_data(commonmeta_store: Path,
                                                                    top_k: int | None) -> None:
    from citegraph.graphs.build import GraphOptions, build_graph
    from citegraph.graphs.citation import topic_documents
    from citegraph.graphs.topics import fit_topics

    with Store(commonmeta_store, readonly=True) as s:
        cit = citation_graph(s)
        model = fit_topics(topic_documents(s, cit))
        options = GraphOptions(top_k=top_k)
        built = build_graph(s, "hybrid", options, citation=cit, model=model)
        topic = build_graph(s, "topic", options, citation=cit, model=model)
        again = build_graph(s, "hybrid", options, citation=cit, model=model)
    pair = {"normalise": "cosine", "top_k": top_k}
    parts = {"citation": cit, "cocitation": cocitation_graph(cit, **pair), "coupling": coupling_graph(cit, **pair),
             "topic": topic}
    expected = loop_hybrid(parts, {"citation": 1.0, "cocitation": 1.0, "coupling": 1.0, "topic": 1.0})
    assert expected.number_of_edges() > 1000
    assert_same_hybrid(built, expected)
    assert_same_hybrid(hybrid_graph(parts, {"citation": 1.0, "cocitation": 1.0, "coupling": 1.0, "topic": 1.0}),
                       expected)
    assert list(built.edges(data=True)) == list(again.edges(data=True))  # deterministic, order included
    kinds = Counter(k for _, _, d in built.edges(data=True) for k in d if k.startswith("w_"))
    assert set(kinds) == {"w_citation", "w_cocitation", "w_topic"}  # these 50 records share no reference:
    assert parts["coupling"].number_of_edges() == 0


def test_hybrid_weights_are_checked_in_build_graph(commonmeta_store: Path) -> None:
    from citegraph.graphs.build import GraphOptions, build_graph

    with Store(commonmeta_store, readonly=True) as s:
        cit = citation_graph(s)
        with pytest.raises(UsageError, match="weights for citations but no such graph; graphs: citation, "
                                             "cocitation, coupling, topic"):
            build_graph(s, "hybrid", GraphOptions(hybrid_weights={"citations": 1.0}), citation=cit)
        # a bad pair option is an error even when no pair graph is weighted
        with pytest.raises(UsageError, match="normalisation 'salton' is not one of"):
            build_graph(s, "hybrid", GraphOptions(normalise="salton", hybrid_weights={"citation": 1.0}),
                        citation=cit)
        only = build_graph(s, "hybrid", GraphOptions(hybrid_weights={"citation": 1.0}), citation=cit)
        assert only.number_of_nodes() == cit.number_of_nodes() == 500
        assert only.number_of_edges() == cit.to_undirected().number_of_edges()
        assert {k for _, _, d in only.edges(data=True) for k in d} == {"weight", "w_citation"}
        # the citation graph asked for is a copy, never the caller's graph itself
        same = build_graph(s, "citation", citation=cit)
        assert same is not cit and list(same.edges(data=True)) == list(cit.edges(data=True))


def test_filters_copy_in_the_graphs_order() -> None:
    G = nx.Graph(kind="x")
    G.add_nodes_from([(n, {"year": y}) for n, y in [("e", 2005), ("a", 2001), ("d", 1990), ("b", 2003)]])
    G.add_edges_from([("e", "b", {"weight": 1}), ("a", "d"), ("b", "a", {"weight": 2}), ("d", "e")])
    H = filter_graph(G)
    assert H is not G and list(H.nodes) == list(G.nodes) and list(H.edges(data=True)) == list(G.edges(data=True))
    assert H.graph == {"kind": "x"}
    H.nodes["e"]["year"] = 1
    H["e"]["b"]["weight"] = 9
    assert G.nodes["e"]["year"] == 2005 and G["e"]["b"]["weight"] == 1  # attributes copied
    F = filter_graph(G, years=(2000, None))
    assert list(F.nodes) == ["e", "a", "b"] and list(F.edges) == [("e", "b"), ("a", "b")]
    C = filter_graph(nx.Graph([("z", "y"), ("y", "x"), ("b", "a")]), largest_component=True)
    assert list(C.nodes) == ["z", "y", "x"]


def test_edge_arrays_read_every_link_once_with_weights() -> None:
    """Hand-made graphs: reciprocal links and a self-loop, directed and undirected, against networkx's edges."""
    import numpy as np

    from citegraph.graphs.arrays import edge_arrays, edge_index

    D = nx.DiGraph([("b", "a", {"weight": 2.0}), ("a", "b"), ("c", "c", {"weight": 0.5}), ("a", "c")])
    index = {"a": 0, "b": 1, "c": 2}
    u, v, w = edge_arrays(D, index)
    assert list(zip(u.tolist(), v.tolist(), w.tolist(), strict=True)) == [
        (index[a], index[b], d.get("weight", 1.0)) for a, b, d in D.edges(data=True)]
    U = nx.Graph(D)  # a-b once (networkx keeps the last weight), c-c once
    u, v, w = edge_arrays(U, index, default=7.0)
    assert sorted(zip(u.tolist(), v.tolist(), w.tolist(), strict=True)) == sorted(
        (min(index[a], index[b]), max(index[a], index[b]), d.get("weight", 7.0)) for a, b, d in U.edges(data=True))
    assert all(np.array_equal(x, y) for x, y in zip(edge_index(U, index), (u, v), strict=True))
    empty = edge_arrays(nx.Graph(), {})
    assert [len(x) for x in empty] == [0, 0, 0] and empty[2].dtype == np.float64


def test_build_graph_takes_the_topic_graph_given_or_given_later(commonmeta_store: Path) -> None:
    """``topic=`` a graph, or a function called once (``analyse`` computes it in a second process): the same
    hybrid and topic graphs as made from the model (real records: the 50 commonmeta works)."""
    from citegraph.analysis.pipeline import analyse_graph_options
    from citegraph.graphs.build import build_graph_with_arrays
    from citegraph.graphs.citation import citation_graph, topic_documents
    from citegraph.graphs.topics import fit_topics, topic_graph

    o = analyse_graph_options()
    calls: list[int] = []
    with Store(commonmeta_store, readonly=True) as store:
        citation = citation_graph(store)
        model = fit_topics(topic_documents(store, citation))

        def later() -> nx.Graph:
            calls.append(1)
            return topic_graph(model, k=o.topic_k, threshold=o.topic_threshold)

        for kind in ("hybrid", "topic"):
            made, _ = build_graph_with_arrays(store, kind, o, citation=citation, model=model)
            given, _ = build_graph_with_arrays(store, kind, o, citation=citation, topic=later())
            late, _ = build_graph_with_arrays(store, kind, o, citation=citation, topic=later)
            assert made.number_of_edges() > 100
            for G in (given, late):
                assert list(G.nodes(data=True)) == list(made.nodes(data=True))
                assert list(G.edges(data=True)) == list(made.edges(data=True)) and G.graph == made.graph
    assert calls == [1] * 4


# -- the links as arrays (Pairs) = the graphs' edges ------------------------------------------------


@pytest.mark.parametrize("kind", ["cocitation", "coupling"])
@pytest.mark.parametrize("options", [{"normalise": "count"}, {"normalise": "cosine", "top_k": 3, "min_count": 2}])
def test_pairs_are_the_graphs_links(shared_graph: nx.DiGraph, kind: str, options: dict[str, object]) -> None:
    from citegraph.graphs.cooccurrence import cocitation_pairs, coupling_pairs

    make, pairs_of = ((cocitation_graph, cocitation_pairs) if kind == "cocitation" else
                      (coupling_graph, coupling_pairs))
    G = make(shared_graph, **options)  # type: ignore[operator]
    p = pairs_of(shared_graph, **options)  # type: ignore[operator]
    assert p.kind == kind and p.normalise == options["normalise"] and len(p) == G.number_of_edges() > 50
    assert [n for n, m in zip(p.nodes, p.members.tolist(), strict=True) if m] == list(G.nodes)
    assert (p.i < p.j).all() and (np.diff(p.i * len(p.nodes) + p.j) > 0).all()  # sorted, each pair once
    links = {(p.nodes[a], p.nodes[b]): (c, round(w, 6)) for a, b, c, w in
             zip(p.i.tolist(), p.j.tolist(), p.count.tolist(), p.weight.tolist(), strict=True)}
    assert links == {(min(u, v), max(u, v)): (d["count"], d["weight"]) for u, v, d in G.edges(data=True)}


def test_pairs_refuse_bad_options_as_the_graphs_do() -> None:
    from citegraph.graphs.cooccurrence import cocitation_pairs, coupling_pairs

    G = fixture_graph()
    with pytest.raises(UsageError, match="normalisation 'bogus' is not one of count, cosine"):
        cocitation_pairs(G, normalise="bogus")
    with pytest.raises(UsageError, match="top_k -1 must be at least 1"):
        coupling_pairs(G, top_k=-1)
    with pytest.raises(UsageError, match="min_count 0 must be at least 1"):
        cocitation_pairs(G, min_count=0)
