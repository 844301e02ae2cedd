"""Rankings: every measure on small graphs solved by hand, sorting, options, and the shared corpus."""

from __future__ import annotations

import logging
import math
import random
from pathlib import Path

import networkx as nx
import pytest

from citegraph.analysis.rank import (
    BETWEENNESS_ERROR_GROUPS,
    BETWEENNESS_FLOOR_SAMPLES,
    COLUMNS,
    COMPOSITE_COMPONENTS,
    DEFAULT_BETWEENNESS_BUDGET,
    PAGERANK_NOTE,
    SCORES,
    BetweennessFacts,
    RankOptions,
    betweenness_cost,
    betweenness_estimate,
    betweenness_pivots,
    betweenness_plan,
    betweenness_scores,
    citations_per_year,
    cocitation_with_seeds,
    default_reference_year,
    hits_scores,
    pagerank_scores,
    rank_works,
    rank_works_with_facts,
    ranking_notes,
    top_n,
)
from citegraph.errors import UsageError
from citegraph.graphs.citation import citation_graph
from citegraph.graphs.cooccurrence import cocitation_graph
from citegraph.store import Store

PHI = (1 + math.sqrt(5)) / 2  # the golden ratio: HITS on the 2x2 matrix [[2, 1], [1, 1]]


# -- PageRank ------------------------------------------------------------------------------

def test_pagerank_of_a_cycle_is_uniform() -> None:
    # a -> b -> c -> a: every node passes all its score to the next, so by symmetry each has 1/3
    pr = pagerank_scores(nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a")]))
    assert pr == pytest.approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}, abs=1e-8)


@pytest.mark.parametrize(("leaves", "damping", "hub", "leaf"), [
    # n = 3, d = 0.85. The hub H cites nothing (dangling), so networkx spreads its score evenly over all
    # n nodes:  x_L = (1-d)/n + d x_H/n   and   x_H = (1-d)/n + d (2 x_L + x_H/n).
    # With 2 x_L = 1 - x_H:  x_H = 0.05 + 0.85 (1 - x_H) + 0.85 x_H / 3  ->  x_H (1.85 - 0.85/3) = 0.9
    # -> x_H = 2.7 / 4.7 = 27/47, x_L = (1 - 27/47) / 2 = 10/47  (check: 0.05 + 0.85 * 9/47 = 10/47).
    (2, 0.85, 27 / 47, 10 / 47),
    # n = 4, d = 0.85, 3 x_L = 1 - x_H:  x_H = 0.0375 + 0.85 (1 - x_H) + 0.2125 x_H
    # -> x_H (1.6375) = 0.8875 -> x_H = 71/131, x_L = 20/131.
    (3, 0.85, 71 / 131, 20 / 131),
    # n = 3, d = 0.5:  x_H = 1/6 + 0.5 (1 - x_H) + x_H / 6  ->  x_H (4/3) = 2/3  ->  x_H = 1/2, x_L = 1/4.
    (2, 0.5, 1 / 2, 1 / 4),
])
def test_pagerank_of_a_star_solved_by_hand(leaves: int, damping: float, hub: float, leaf: float) -> None:
    G = nx.DiGraph((f"leaf{i}", "hub") for i in range(leaves))
    pr = pagerank_scores(G, damping=damping)
    assert pr["hub"] == pytest.approx(hub, abs=1e-8)
    for i in range(leaves):
        assert pr[f"leaf{i}"] == pytest.approx(leaf, abs=1e-8)
    assert sum(pr.values()) == pytest.approx(1.0, abs=1e-12)


def test_pagerank_edge_cases() -> None:
    assert pagerank_scores(nx.DiGraph()) == {}
    # a self-citation is ignored: same as the star without it
    G = nx.DiGraph([("leaf0", "hub"), ("leaf1", "hub"), ("hub", "hub")])
    assert pagerank_scores(G)["hub"] == pytest.approx(27 / 47, abs=1e-8)
    with pytest.raises(UsageError, match=r"damping 1.0 must be between 0 and 1"):
        pagerank_scores(G, damping=1.0)


def messy_random_graph() -> nx.DiGraph:
    """Hand-made random fixture (seeded): 80 works, reciprocal links, self-citations, dangling and isolated nodes."""
    G = nx.relabel_nodes(nx.gnp_random_graph(80, 0.04, seed=11, directed=True), lambda i: f"w{i:02d}")
    G.add_edges_from([("w01", "w01"), ("w02", "w02"), ("w03", "w04"), ("w04", "w03")])
    G.add_nodes_from(["isolated-a", "isolated-b"])
    return G


@pytest.mark.parametrize("damping", [0.85, 0.5])
def test_pagerank_agrees_with_networkx_on_a_random_graph(damping: float) -> None:
    G = messy_random_graph()
    assert any(G.out_degree(n) == 0 for n in G)  # dangling nodes are exercised
    bare = nx.DiGraph()
    bare.add_nodes_from(G)
    bare.add_edges_from((u, v) for u, v in G.edges if u != v)  # self-citations are ignored
    expected = nx.pagerank(bare, alpha=damping, weight=None, tol=1e-12, max_iter=10_000)
    ours = pagerank_scores(G, damping=damping)
    assert list(ours) == sorted(G)
    assert max(abs(ours[n] - expected[n]) for n in G) < 1e-9
    assert sum(ours.values()) == pytest.approx(1.0, abs=1e-12)


# -- HITS ------------------------------------------------------------------------------------

def test_hits_bipartite_solved_by_hand() -> None:
    # h1 -> a1, a2; h2 -> a1. On the authorities (a1, a2), A^T A = [[2, 1], [1, 1]] (a1 is cited by h1 and h2,
    # a2 by h1, they share h1). Its leading eigenvalue is (3 + sqrt 5)/2 with eigenvector (phi, 1), so after
    # L1 normalisation a1 = phi / (phi + 1) = 1/phi = 0.618..., a2 = 1/phi^2 = 0.381...
    # Hubs h = A a: h1 = a1 + a2 = 1, h2 = a1 = 1/phi -> normalised h1 = 1/phi, h2 = 1/phi^2.
    hubs, auth = hits_scores(nx.DiGraph([("h1", "a1"), ("h1", "a2"), ("h2", "a1")]))
    assert auth == pytest.approx({"a1": 1 / PHI, "a2": 1 / PHI**2, "h1": 0.0, "h2": 0.0}, abs=1e-9)
    assert hubs == pytest.approx({"h1": 1 / PHI, "h2": 1 / PHI**2, "a1": 0.0, "a2": 0.0}, abs=1e-9)


def test_hits_agrees_with_networkx_on_a_random_graph() -> None:
    R = nx.relabel_nodes(nx.gnp_random_graph(40, 0.1, seed=7, directed=True), lambda i: f"n{i:02d}")
    hubs, auth = hits_scores(R)
    nx_hubs, nx_auth = nx.hits(R)
    assert hubs == pytest.approx(nx_hubs, abs=1e-6)
    assert auth == pytest.approx(nx_auth, abs=1e-6)
    assert sum(hubs.values()) == pytest.approx(1.0) and sum(auth.values()) == pytest.approx(1.0)


def test_hits_is_deterministic_where_the_leading_vector_is_not_unique() -> None:
    # two identical components: any mix of them is a leading vector (networkx's ARPACK picks one at
    # random); the uniform start keeps the symmetry
    hubs, auth = hits_scores(nx.DiGraph([("x1", "y1"), ("x2", "y2")]))
    assert auth == {"x1": 0.0, "x2": 0.0, "y1": 0.5, "y2": 0.5}
    assert hubs == {"x1": 0.5, "x2": 0.5, "y1": 0.0, "y2": 0.0}


def test_hits_without_edges_is_uniform() -> None:
    G = nx.DiGraph()
    G.add_nodes_from(["a", "b", "c", "d"])
    assert hits_scores(G) == (dict.fromkeys("abcd", 0.25), dict.fromkeys("abcd", 0.25))
    assert hits_scores(nx.DiGraph()) == ({}, {})


# -- betweenness ------------------------------------------------------------------------------

def test_betweenness_exact_on_a_path_in_the_undirected_view() -> None:
    # the path a - b - c - d - e with alternating directions (a->b, c->b, c->d, e->d): directed, nothing
    # passes through c; undirected, c lies on the paths of {a,d} {a,e} {b,d} {b,e}: 4 of the C(4,2) = 6
    # pairs without c -> 2/3; b on {a,c} {a,d} {a,e}: 3/6 = 1/2; d likewise; the ends on none.
    G = nx.DiGraph([("a", "b"), ("c", "b"), ("c", "d"), ("e", "d")])
    scores, exact = betweenness_scores(G)
    assert exact is True
    assert scores == pytest.approx({"a": 0.0, "b": 0.5, "c": 2 / 3, "d": 0.5, "e": 0.0}, abs=1e-12)


def undirected_view(G: nx.DiGraph) -> nx.Graph:
    U = nx.Graph()
    U.add_nodes_from(sorted(G))
    U.add_edges_from(sorted((u, v) for u, v in G.edges if u != v))
    return U


def test_betweenness_exact_agrees_with_networkx_on_a_random_graph() -> None:
    G = messy_random_graph()
    expected = nx.betweenness_centrality(undirected_view(G), normalized=True)
    scores, exact = betweenness_scores(G)
    assert exact is True and list(scores) == sorted(G)
    assert max(abs(scores[n] - expected[n]) for n in G) < 1e-9
    assert max(scores.values()) > 0.05


@pytest.fixture(scope="module")
def scale_free() -> nx.DiGraph:
    """300 works, each citing two older ones (preferential attachment, seeded)."""
    B = nx.barabasi_albert_graph(300, 2, seed=1)
    return nx.DiGraph((f"w{max(u, v):03d}", f"w{min(u, v):03d}") for u, v in B.edges())


def test_betweenness_sampled_is_seeded_and_close_to_exact(scale_free: nx.DiGraph) -> None:
    exact, was_exact = betweenness_scores(scale_free)
    assert was_exact is True
    # a budget of 0 forces sampling (this graph costs 300 x 597 = 179,100 visits exact)
    one, sampled = betweenness_scores(scale_free, budget=0, samples=150, seed=3)
    again, _ = betweenness_scores(scale_free, budget=0, samples=150, seed=3)
    other, _ = betweenness_scores(scale_free, budget=0, samples=150, seed=4)
    assert sampled is False
    assert one == again and one != other
    assert max(abs(one[n] - exact[n]) for n in exact) < 0.05  # the largest exact value is 0.29
    top = sorted(exact, key=lambda n: (-exact[n], n))[:5]
    assert sorted(one, key=lambda n: (-one[n], n))[:5] == top
    # as many samples as nodes: exact after all
    assert betweenness_scores(scale_free, budget=0, samples=300) == (exact, True)
    # the deprecated node-count rule, as before: sampled above exact_max_nodes
    assert betweenness_scores(scale_free, exact_max_nodes=100, samples=150, seed=3) == (one, False)


def test_betweenness_sampled_equals_the_networkx_estimate_with_the_same_pivots(scale_free: nx.DiGraph) -> None:
    # the pivots are random.Random(seed).sample(sorted nodes, k), as networkx draws them, and the scaling is
    # networkx's (1 / (k (n-2)), pivots 1 / ((k-1)(n-2))): the estimate is networkx's, counted by igraph
    U = undirected_view(scale_free)
    for k, seed in ((150, 3), (20, 8)):
        expected = nx.betweenness_centrality(U, k=k, normalized=True, seed=seed)
        ours, exact = betweenness_scores(scale_free, budget=0, samples=k, seed=seed)
        assert exact is False
        assert max(abs(ours[n] - expected[n]) for n in U) < 1e-9


def test_betweenness_with_a_single_pivot_and_tiny_graphs() -> None:
    # networkx leaves the lone pivot's score undefined (NaN: no other pivot measures it); it is 0 here
    path = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")])
    scores, exact = betweenness_scores(path, budget=0, samples=1, seed=0)
    pivot = random.Random(0).sample(sorted(path), 1)[0]
    expected = nx.betweenness_centrality(undirected_view(path), k=1, normalized=True, seed=0)
    assert exact is False and scores[pivot] == 0.0 and math.isnan(expected[pivot])
    assert all(scores[n] == pytest.approx(expected[n], abs=1e-12) for n in path if n != pivot)
    assert betweenness_scores(nx.DiGraph([("a", "b")])) == ({"a": 0.0, "b": 0.0}, True)
    assert betweenness_scores(nx.DiGraph()) == ({}, True)
    with pytest.raises(UsageError, match="betweenness samples 0 must be at least 1"):
        betweenness_scores(path, samples=0)


# -- co-citation with the seeds, citations per year --------------------------------------------

def test_cocitation_with_seeds_by_hand() -> None:
    # Hand-made unit-test graph (the one of test_graphs):  P1 -> A, B, C   P2 -> A, B   P3 -> B, C   P4 -> C
    # co-citation counts: A-B 2 (P1, P2), A-C 1 (P1), B-C 2 (P1, P3). Seeds A and C:
    #   A: with C 1 (not with itself) = 1;  B: with A 2 + with C 2 = 4;  C: with A 1 = 1;  citing works 0.
    G = nx.DiGraph([("P1", "A"), ("P1", "B"), ("P1", "C"), ("P2", "A"), ("P2", "B"), ("P3", "B"),
                    ("P3", "C"), ("P4", "C")])
    G.nodes["A"]["is_seed"] = True
    G.nodes["C"]["is_seed"] = True
    assert cocitation_with_seeds(G) == {"A": 1, "B": 4, "C": 1, "P1": 0, "P2": 0, "P3": 0, "P4": 0}
    G.nodes["C"]["is_seed"] = False
    assert cocitation_with_seeds(G) == {"A": 0, "B": 2, "C": 1, "P1": 0, "P2": 0, "P3": 0, "P4": 0}
    assert cocitation_with_seeds(nx.DiGraph()) == {}


def test_cocitation_with_seeds_equals_the_cocitation_graph(scale_free: nx.DiGraph) -> None:
    G = scale_free.copy()
    seeds = {"w000", "w007", "w050", "w123"}
    for s in seeds:
        G.nodes[s]["is_seed"] = True
    co = cocitation_graph(G)
    expected = {n: sum(co[n][s]["count"] for s in seeds if n in co and s in co[n]) for n in G}
    assert cocitation_with_seeds(G) == expected


def test_citations_per_year_by_hand() -> None:
    G = nx.DiGraph()
    G.add_node("new", year=2020, citations_global=5)   # 5 / (2020 - 2020 + 1) = 5
    G.add_node("old", year=2011, citations_global=30)  # 30 / (2020 - 2011 + 1) = 3
    G.add_node("later", year=2022, citations_global=4)  # after the reference year: counts as one year
    G.add_node("undated", citations_global=9)
    G.add_node("uncounted", year=2015)
    assert citations_per_year(G, 2020) == {"new": 5.0, "old": 3.0, "later": 4.0, "undated": None,
                                           "uncounted": None}
    # by default "now" is the latest year among works with a global count: 2022 here
    assert default_reference_year(G) == 2022
    assert citations_per_year(G)["old"] == 30 / 12
    G.add_node("ref-only", year=2031)  # a year read from a reference list does not move it
    assert default_reference_year(G) == 2022
    assert default_reference_year(nx.DiGraph([("a", "b")])) is None


# -- rank_works -----------------------------------------------------------------------------------

def four_works() -> nx.DiGraph:
    """Hand-made unit-test graph (not Crossref data): Y -> X, Z -> X, Z -> Y, W alone; Y is the seed."""
    G = nx.DiGraph([("10.5555/y", "10.5555/x"), ("10.5555/z", "10.5555/x"), ("10.5555/z", "10.5555/y")])
    G.add_node("10.5555/w")
    attrs = {
        "10.5555/w": {"year": 2020, "citations_global": 8},   # per year 8 / 1 = 8
        "10.5555/x": {"year": 2011, "citations_global": 20},  # 20 / 10 = 2
        "10.5555/y": {"year": 2019, "is_seed": True},         # no global count: None
        "10.5555/z": {"year": 2016, "citations_global": 20},  # 20 / 5 = 4
    }
    for key, d in attrs.items():
        G.nodes[key].update(d, doi=key.upper(), label=f"{key[-1].upper()} {d['year']}", resolved=True)
    return G


W, X, Y, Z = "10.5555/W", "10.5555/X", "10.5555/Y", "10.5555/Z"

# percentile rank = (works strictly lower + half of the works equal, itself included) / 4
#   local      X 2, Y 1, W 0, Z 0          -> X 3.5/4, Y 2.5/4, W and Z (0 + 1)/4
#   per_year   W 8, Z 4, X 2, Y None -> 0  -> W .875, Z .625, X .375, Y .125
#   pagerank   X > Y > W = Z (W and Z are cited by nobody: both get only the teleport and dangling share)
#   authority  X 1/phi, Y 1/phi^2, W = Z = 0 (the HITS example again: X cited by Y and Z, Y by Z)
#   cocitation_seeds (seed Y): X is co-cited with Y once (by Z), the others 0 -> X .875, others 1.5/4
PERCENTILES = {
    W: {"local": 0.25, "per_year": 0.875, "pagerank": 0.25, "authority": 0.25, "cocitation_seeds": 0.375},
    X: {"local": 0.875, "per_year": 0.375, "pagerank": 0.875, "authority": 0.875, "cocitation_seeds": 0.875},
    Y: {"local": 0.625, "per_year": 0.125, "pagerank": 0.625, "authority": 0.625, "cocitation_seeds": 0.375},
    Z: {"local": 0.25, "per_year": 0.625, "pagerank": 0.25, "authority": 0.25, "cocitation_seeds": 0.375},
}
# composite = mean of the five: W 2.0/5 = 0.4, X 3.875/5 = 0.775, Y 2.375/5 = 0.475, Z 1.75/5 = 0.35
COMPOSITE = {W: 0.4, X: 0.775, Y: 0.475, Z: 0.35}

# hubs: h = A a with a = (X 1/phi, Y 1/phi^2): Y cites X -> 1/phi, Z cites both -> 1 -> Z > Y > W = X = 0
# betweenness: X, Y, Z form a triangle and W is alone: 0 for all, so the DOI decides
ORDER = {
    "composite": [X, Y, W, Z],
    "local": [X, Y, W, Z],
    "global": [X, Z, W, Y],  # 20, 20 (tie: DOI), 8, None last
    "per_year": [W, Z, X, Y],
    "pagerank": [X, Y, W, Z],
    "authority": [X, Y, W, Z],
    "hub": [Z, Y, W, X],
    "betweenness": [W, X, Y, Z],
    "cocitation_seeds": [X, W, Y, Z],
}


def test_percentiles_and_composite_by_hand() -> None:
    rows = rank_works(four_works(), RankOptions(reference_year=2020))
    by_doi = {r["doi"]: r for r in rows}
    for doi, pct in PERCENTILES.items():
        assert {c: by_doi[doi][f"pct_{c}"] for c in COMPOSITE_COMPONENTS} == pct
        assert by_doi[doi]["composite"] == COMPOSITE[doi]
    assert [r["rank"] for r in rows] == [1, 2, 3, 4]
    x = by_doi[X]
    assert (x["local"], x["global"], x["per_year"], x["cocitation_seeds"], x["betweenness"]) == (2, 20, 2.0, 1, 0.0)
    assert x["authority"] == round(1 / PHI, 8) and by_doi[Z]["hub"] == round(1 / PHI, 8)
    assert (x["label"], x["year"], x["is_seed"], x["resolved"], x["journal"], x["title"]) == (
        "X 2011", 2011, False, True, None, None)


@pytest.mark.parametrize("score", SCORES)
def test_sorting_by_each_score(score: str) -> None:
    rows = rank_works(four_works(), RankOptions(score=score, reference_year=2020))
    assert [r["doi"] for r in rows] == ORDER[score]
    assert [r["rank"] for r in rows] == [1, 2, 3, 4]


def test_columns_rounding_and_empty_graph() -> None:
    rows = rank_works(four_works())
    assert tuple(rows[0]) == COLUMNS == (
        "rank", "doi", "label", "title", "year", "journal", "type", "is_seed", "resolved", "local", "global",
        "per_year", "pagerank", "authority", "hub", "betweenness", "cocitation_seeds", "composite",
        "pct_local", "pct_per_year", "pct_pagerank", "pct_authority", "pct_cocitation_seeds", "retracted", "notice")
    assert all(r["retracted"] is False and r["notice"] == "" for r in rows)  # a hand-made graph without notices
    for row in rows:
        for value in row.values():
            if isinstance(value, float):
                assert round(value, 8) == value
    assert rank_works(nx.DiGraph()) == []


def test_default_reference_year_and_resolved_only() -> None:
    G = four_works()
    # default "now" = 2020 (latest year of a work with a global count), as in the hand computation
    assert rank_works(G) == rank_works(G, RankOptions(reference_year=2020))
    G.nodes["10.5555/w"]["resolved"] = False
    rows = rank_works(G, RankOptions(score="local", resolved_only=True, reference_year=2020))
    # W leaves the table; percentiles are among the three left: local X 2, Y 1, Z 0 -> 2.5/3, 1.5/3, 0.5/3
    assert [r["doi"] for r in rows] == [X, Y, Z]
    assert [r["pct_local"] for r in rows] == [round(2.5 / 3, 8), 0.5, round(0.5 / 3, 8)]


def test_options_are_checked() -> None:
    with pytest.raises(UsageError, match="score 'fame' is not one of " + ", ".join(SCORES)):
        RankOptions(score="fame")
    with pytest.raises(UsageError, match="damping"):
        RankOptions(damping=0.0)
    with pytest.raises(UsageError, match="betweenness_samples"):
        RankOptions(betweenness_samples=0)
    with pytest.raises(UsageError, match="directed citation graph"):
        rank_works(nx.Graph([("a", "b")]))
    with pytest.raises(UsageError, match="top -1"):
        top_n([], -1)


def test_notes_and_top_n() -> None:
    rows = rank_works(four_works())
    assert top_n(rows, 2) == rows[:2] and top_n(rows, 10) == rows
    notes = ranking_notes(four_works())
    assert notes[0] == PAGERANK_NOTE and "exact" in notes[1] and notes[2] == "Citations per year counted up to 2020."
    sampled = ranking_notes(four_works(), RankOptions(betweenness_budget=0, betweenness_samples=3, seed=9))
    assert sampled[1].startswith("Betweenness: sampled, 3 pivots of 4 nodes (seed 9; cost ")
    assert sampled[1].endswith("> budget 0); no error estimated.")  # the plan: nothing run, no error yet


def test_a_graph_past_the_budget_samples_what_the_budget_pays_for(caplog: pytest.LogCaptureFixture) -> None:
    """Hand-made ladder graph (synthetic): 3,000 works, 5,996 links; budgets in visits, sources x (n + links)."""
    G = nx.DiGraph()
    for i in range(1, 1500):
        G.add_edges_from([(f"a{i}", f"a{i - 1}"), (f"b{i}", f"b{i - 1}"), (f"a{i}", f"b{i - 1}"), (f"b{i}", f"a{i}")])
    per_pivot = 3000 + 5996
    plan = betweenness_plan(G)
    assert (plan.exact, plan.exact_cost) == (False, 3000 * per_pivot)  # 26,988,000 > 15,000,000
    assert betweenness_pivots(G) == DEFAULT_BETWEENNESS_BUDGET // per_pivot == 1667
    assert plan.cost == 1667 * per_pivot <= DEFAULT_BETWEENNESS_BUDGET
    assert betweenness_pivots(G, RankOptions(betweenness_budget=700 * per_pivot)) == 700
    # below the floor's cost the budget pays for fewer, but 500 are drawn (the floor)
    assert betweenness_pivots(G, RankOptions(betweenness_budget=300 * per_pivot)) == BETWEENNESS_FLOOR_SAMPLES
    assert betweenness_pivots(G, RankOptions(betweenness_budget=10)) == BETWEENNESS_FLOOR_SAMPLES
    assert betweenness_pivots(G, RankOptions(betweenness_samples=700)) == 700
    assert betweenness_pivots(G, RankOptions(betweenness_budget=3000 * per_pivot)) == 3000  # exact at the budget
    with pytest.warns(DeprecationWarning, match="exact_betweenness_max_nodes is deprecated"):
        legacy = RankOptions(exact_betweenness_max_nodes=5000)
    assert betweenness_pivots(G, legacy) == 3000  # the old node-count rule, when asked for
    with pytest.warns(DeprecationWarning, match="exact_betweenness_max_nodes"):
        assert betweenness_pivots(G, RankOptions(exact_betweenness_max_nodes=2000)) == 500
    caplog.set_level(logging.INFO, logger="citegraph.analysis.rank")
    options = RankOptions(betweenness_budget=600 * per_pivot)
    rows, facts = rank_works_with_facts(G, options)
    assert f"betweenness estimated from 600 of {G.number_of_nodes()} nodes (seed 0;" in caplog.text
    assert (facts.exact, facts.pivots, facts.groups) == (False, 600, BETWEENNESS_ERROR_GROUPS)
    assert facts.relative_error is not None and 0 < facts.relative_error < 1
    note = ranking_notes(G, options, betweenness=facts)[1]
    assert note.startswith("Betweenness: sampled, 600 pivots of 3000 nodes (seed 0; cost 5.4e+06 visits; "
                           "exact would cost 2.7e+07 > budget 5.4e+06); median relative standard error over "
                           "the top 20: ")
    assert note == facts.note() and note.endswith("%.")
    # the same pivots as asking for 600 samples outright
    same = {r["doi"]: r["betweenness"] for r in rank_works(G, RankOptions(betweenness_samples=600))}
    assert {r["doi"]: r["betweenness"] for r in rows} == same
    with pytest.raises(UsageError, match="betweenness_max_visits is replaced by betweenness_budget"):
        RankOptions(betweenness_max_visits=200_000_000)
    with pytest.raises(UsageError, match="betweenness_budget -1 must be at least 0"):
        RankOptions(betweenness_budget=-1)


def test_betweenness_cost_of_a_hand_made_graph() -> None:
    """Hand-made: a -> b, b -> a (one undirected link), b -> c, c -> c (a self-citation: no link), d alone."""
    G = nx.DiGraph([("a", "b"), ("b", "a"), ("b", "c"), ("c", "c")])
    G.add_node("d")
    assert betweenness_cost(4, 2) == 24 and betweenness_cost(4, 2, sources=3) == 18
    assert betweenness_plan(G) == BetweennessFacts(nodes=4, links=2, pivots=4, budget=DEFAULT_BETWEENNESS_BUDGET,
                                                   seed=0)
    assert betweenness_plan(G).cost == betweenness_plan(G).exact_cost == 24
    assert betweenness_plan(G, RankOptions(betweenness_budget=24)).exact  # at the budget: exact
    # over it: the budget pays for 23 // 6 = 3 pivots, but never fewer than 500 are drawn, and 4 nodes is all
    assert betweenness_plan(G, RankOptions(betweenness_budget=23)).exact
    sampled = betweenness_plan(G, RankOptions(betweenness_budget=23, betweenness_samples=2, seed=5))
    assert (sampled.exact, sampled.pivots, sampled.cost, sampled.exact_cost, sampled.seed) == (False, 2, 12, 24, 5)
    assert sampled.as_dict() == {"exact": False, "nodes": 4, "links": 2, "pivots": 2, "cost": 12, "exact_cost": 24,
                                 "budget": 23, "seed": 5, "groups": 0, "relative_error": None}


def test_betweenness_below_the_budget_is_exact_past_2000_nodes() -> None:
    """SYNTHETIC: 21 separate literatures of 100 works (2,100 nodes), each a seeded preferential-attachment graph.

    Cheap (2,100 x (2,100 + 4,116) = 13,053,600 visits, within the default budget) though past the old
    2,000-node limit: exact, equal to networkx's exact betweenness.
    """
    G = nx.DiGraph()
    for c in range(21):
        B = nx.barabasi_albert_graph(100, 2, seed=c)
        G.add_edges_from((f"c{c:02d}w{max(u, v):03d}", f"c{c:02d}w{min(u, v):03d}") for u, v in B.edges())
    plan = betweenness_plan(G)
    assert (plan.nodes, plan.links, plan.exact_cost) == (2100, 4116, 13_053_600)
    assert plan.exact and plan.exact_cost <= DEFAULT_BETWEENNESS_BUDGET
    scores, exact = betweenness_scores(G)
    expected = nx.betweenness_centrality(undirected_view(G), normalized=True)
    assert exact is True
    assert max(abs(scores[n] - expected[n]) for n in G) < 1e-9
    rows, facts = rank_works_with_facts(G)
    assert facts.exact and {r["doi"]: r["betweenness"] for r in rows} == {n: round(v, 8) for n, v in scores.items()}
    assert facts.note() == ("Betweenness: exact (cost 1.3e+07 <= budget 1.5e+07 visits), on the undirected "
                            "citation graph.")


def test_sampled_betweenness_is_seeded_and_states_a_plausible_error() -> None:
    """SYNTHETIC: a seeded preferential-attachment graph of 3,000 works citing two older ones each.

    Sampled from 200 pivots (``betweenness_samples``); the error stated is the standard error of the
    mean of 10 group estimates. Over the exact top 20 the median true relative error should be about
    0.67 times the median relative standard error (|normal| has median 0.67 sigma): measured 0.42-0.82
    over seeds 0-5; within a factor of 3 either way here.
    """
    B = nx.barabasi_albert_graph(3000, 2, seed=1)
    G = nx.DiGraph((f"w{max(u, v):04d}", f"w{min(u, v):04d}") for u, v in B.edges())
    exact, _ = betweenness_scores(G, budget=10**12)
    top = sorted(exact, key=lambda n: (-exact[n], n))[:20]
    for seed in (0, 3):
        options = RankOptions(betweenness_budget=1_800_000, betweenness_samples=200, seed=seed)
        scores, errors, facts = betweenness_estimate(G, options)
        assert (facts.exact, facts.pivots, facts.groups, facts.seed) == (False, 200, 10, seed)
        assert betweenness_estimate(G, options) == (scores, errors, facts)  # reproducible
        assert scores == betweenness_scores(G, budget=1_800_000, samples=200, seed=seed)[0]
        assert facts.relative_error is not None
        true = sorted(abs(scores[n] - exact[n]) / exact[n] for n in top)
        median_true = (true[9] + true[10]) / 2
        assert facts.relative_error / 3 <= median_true <= 3 * facts.relative_error
        assert all(errors[n] > 0 for n in top)
    assert betweenness_estimate(G, RankOptions(betweenness_budget=1_800_000, betweenness_samples=200,
                                               seed=1))[0] != scores


# -- the shared corpus --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shared_graph(shared_corpus: Path) -> nx.DiGraph:
    with Store(shared_corpus, readonly=True) as store:
        return citation_graph(store)


def test_ranking_the_shared_corpus(shared_graph: nx.DiGraph, caplog: pytest.LogCaptureFixture) -> None:
    G = shared_graph
    plan = betweenness_plan(G)
    assert not plan.exact  # too costly for the default budget, so betweenness is sampled
    caplog.set_level(logging.INFO, logger="citegraph.analysis.rank")
    # the default options: as many pivots as about a second of igraph pays for
    options = RankOptions()
    rows = rank_works(G, options)
    assert f"betweenness estimated from {plan.pivots} of {G.number_of_nodes()} nodes (seed 0;" in caplog.text
    assert len(rows) == G.number_of_nodes() and [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    composite = [r["composite"] for r in rows]
    assert composite == sorted(composite, reverse=True)
    assert all(0.0 <= r[f"pct_{c}"] <= 1.0 for r in rows for c in COMPOSITE_COMPONENTS)
    assert rank_works(G, options) == rows  # a second run gives the same rows


def test_betweenness_of_works_without_links_is_zero() -> None:
    """Hand-made: four works, no citation among them (the pair list is empty)."""
    G = nx.DiGraph()
    G.add_nodes_from("abcd")
    assert betweenness_scores(G) == ({"a": 0.0, "b": 0.0, "c": 0.0, "d": 0.0}, True)
    assert betweenness_scores(G, budget=0, samples=2) == ({"a": 0.0, "b": 0.0, "c": 0.0, "d": 0.0}, False)
    scores, errors, facts = betweenness_estimate(G, RankOptions(betweenness_budget=0, betweenness_samples=2))
    assert (facts.exact, facts.groups, facts.relative_error) == (False, 0, None)  # 2 pivots: too few to group
    assert scores == errors == {"a": 0.0, "b": 0.0, "c": 0.0, "d": 0.0}


def test_the_floor_of_sampled_pivots_shrinks_on_large_graphs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hand-made path of 3,001 works (6,001 visits a pivot): the floor of 500 pivots holds while 500 pivots cost
    at most BETWEENNESS_FLOOR_VISITS, shrinks to what that pays for above, never below 100 (the cap is lowered
    here to stand for a graph of millions of links)."""
    import citegraph.analysis.rank as rank

    G = nx.DiGraph((f"w{i}", f"w{i + 1}") for i in range(3000))
    small = RankOptions(betweenness_budget=0)
    assert betweenness_pivots(G, small) == 500
    monkeypatch.setattr(rank, "BETWEENNESS_FLOOR_VISITS", 200 * 6001)
    assert betweenness_pivots(G, small) == 200
    monkeypatch.setattr(rank, "BETWEENNESS_FLOOR_VISITS", 10)
    assert betweenness_pivots(G, small) == rank.MIN_BETWEENNESS_SAMPLES == 100
    assert betweenness_pivots(G, RankOptions(betweenness_budget=1000 * 6001)) == 1000  # the budget pays for more
