"""Topic similarity and keyword graphs (citegraph.graphs.topics)."""

from __future__ import annotations

import gzip
import json
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from citegraph.errors import RecordError, UsageError
from citegraph.graphs.topics import (
    DEFAULT_SIMILARITY_BUDGET,
    DOMAIN_STOP_WORDS,
    TOKEN_PATTERN,
    TopicModel,
    clean_text,
    distinctive_terms,
    fit_topics,
    keyword_graph,
    similarity_edges,
    similarity_plan,
    topic_graph,
    work_text,
)
from citegraph.store import Store
from citegraph.store.records import parse_work


def fixture_work(doi: str, title: str | None, abstract: str | None = None,
                 subjects: list[str] | None = None) -> dict[str, Any]:
    """A hand-made unit-test work, shaped like Store.works() rows (not Crossref data)."""
    return {"doi": doi, "doi_original": doi.upper(), "title": title, "abstract": abstract,
            "subjects": subjects or [], "authors": [], "year": None}


# Hand-made unit-test fixtures (not Crossref data): two topics with disjoint
# vocabularies after stop words, and one work without any text.
HAIR = [
    fixture_work("10.5555/hair1", "Alopecia areata and the <i>hair follicle</i>",
                 "<jats:title>Abstract</jats:title><jats:p>Alopecia areata attacks the hair follicle; "
                 "immune privilege of the follicle collapses.</jats:p>", ["Dermatology"]),
    fixture_work("10.5555/hair2", "JAK inhibitors for alopecia areata",
                 "<jats:p>Baricitinib, a JAK inhibitor, regrows hair in alopecia areata.</jats:p>",
                 ["Dermatology"]),
    fixture_work("10.5555/hair3", "Hair follicle cycling under JAK inhibitors",
                 "<p>Tofacitinib &amp; ruxolitinib restore anagen in the hair follicle.</p>"),
]
GRAPHS = [
    fixture_work("10.5555/net1", "Betweenness centrality of large networks",
                 "<jats:p>Brandes' algorithm computes betweenness centrality on networks.</jats:p>",
                 ["Computer Networks and Communications"]),
    fixture_work("10.5555/net2", "Approximate centrality algorithms for networks",
                 "<jats:p>Sampling shortest paths approximates betweenness centrality.</jats:p>"),
    fixture_work("10.5555/net3", "Shortest paths and graph algorithms",
                 "<jats:p>Dijkstra's algorithm finds shortest paths in a weighted graph.</jats:p>",
                 ["Computer Networks and Communications"]),
]
EMPTY = fixture_work("10.5555/zzz-empty", None, None, [])
CORPUS = HAIR + GRAPHS + [EMPTY]
HAIR_KEYS = {w["doi"] for w in HAIR}
GRAPH_KEYS = {w["doi"] for w in GRAPHS}


# --- text -------------------------------------------------------------------------------------

def test_clean_text_without_markup_collapses_every_unicode_space_as_the_regex_does() -> None:
    """Text with no "<" or "&" skips the markup steps; whitespace collapses exactly as ``\\s+`` -> " " would."""
    import re
    import sys

    spaces = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if re.match(r"\s", c))
    assert "\x1c" in spaces and "\u00a0" in spaces and "\u2028" in spaces and "\u3000" in spaces
    text = f"{spaces}Hair{spaces[::-1]}loss \u200b areata{spaces}"  # U+200B is not a space: kept
    assert clean_text(text) == re.sub(r"\s+", " ", text).strip() == "Hair loss \u200b areata"


def test_clean_text_strips_jats_html_and_entities() -> None:
    jats = ("<jats:sec><jats:title>Background</jats:title><jats:p>Hair &amp; nail loss in "
            "<jats:italic>alopecia areata</jats:italic>.</jats:p></jats:sec>\n<jats:p>Second&nbsp;para</jats:p>")
    assert clean_text(jats) == "Background Hair & nail loss in alopecia areata . Second para"
    assert clean_text("The <i>JAK1</i>&#8211;<sup>STAT</sup> axis") == "The JAK1 – STAT axis"
    assert clean_text("&lt;i&gt;In vivo&lt;/i&gt; study") == "In vivo study"  # escaped markup too
    assert clean_text("p<0.05 and x > 3") == "p<0.05 and x > 3"  # not tags
    assert clean_text("Caf&eacute;  \t au lait") == "Café au lait"
    assert clean_text(None) == clean_text("") == clean_text("<jats:p> </jats:p>") == ""


def test_work_text_title_twice_then_abstract_and_subjects() -> None:
    w = fixture_work("10.5555/x", "Hair <i>loss</i>", "<jats:p>Scalp</jats:p>", ["Dermatology", "Surgery"])
    assert work_text(w) == "Hair loss\nHair loss\nScalp\nDermatology\nSurgery"
    assert work_text({"title": ["A", "list"], "subjects": "One"}) == "A list\nA list\nOne"
    assert work_text(EMPTY) == work_text({}) == ""


def test_stop_words_and_tokens() -> None:
    assert {"abstract", "background", "methods", "results", "conclusions", "et", "al", "doi",
            "copyright", "elsevier", "using", "based"} <= DOMAIN_STOP_WORDS
    assert not {"patients", "review", "case", "report"} & DOMAIN_STOP_WORDS
    works = [fixture_work("10.5555/1", "IL-17 and Alopécia in 2019 patients: a review",
                          "<jats:p>Background: methods using copyright Elsevier data.</jats:p>"),
             fixture_work("10.5555/2", "T-cell review of x 42 patients")]
    model = fit_topics(works, ngram_range=(1, 1), max_df=1.0)
    assert model.terms == ["alopecia", "data", "il-17", "patients", "review", "t-cell"]


def test_ngrams_do_not_cross_parts_or_sentences() -> None:
    works = [fixture_work("10.5555/1", "Hair loss. Scalp care", "<jats:p>Nail growth</jats:p>", ["Dermatology"]),
             fixture_work("10.5555/2", "Hair loss", None, ["Dermatology"])]
    terms = fit_topics(works, max_df=1.0).terms
    assert terms == ["care", "dermatology", "growth", "hair", "hair loss", "loss", "nail", "nail growth",
                     "scalp", "scalp care"]  # no "loss hair", "loss scalp", "care nail", "growth dermatology"


# --- model ------------------------------------------------------------------------------------

def test_fit_topics_rows_sorted_normalised_and_empty_row_kept() -> None:
    model = fit_topics(list(reversed(CORPUS)))
    assert model.keys == sorted(w["doi"] for w in CORPUS)
    assert model.terms == sorted(model.terms) and len(model) == 7 and "10.5555/net1" in model
    assert model.matrix.format == "csr" and model.matrix.dtype == np.float64
    assert model.matrix.shape == (7, len(model.terms))
    norms = np.sqrt(np.asarray(model.matrix.multiply(model.matrix).sum(axis=1)).ravel())
    empty = model.row(EMPTY["doi"])
    assert norms[empty] == 0.0
    assert np.allclose(np.delete(norms, empty), 1.0)
    with pytest.raises(KeyError):
        model.row("10.5555/absent")


@pytest.mark.parametrize("works", [
    [],
    [fixture_work("10.5555/1", "Only one text"), EMPTY],
    [fixture_work("10.5555/1", "The of and"), fixture_work("10.5555/2", "Results: methods, et al.")],
])
def test_too_little_text_gives_an_empty_valid_model(works: list[dict[str, Any]]) -> None:
    model = fit_topics(works)
    assert model.keys == sorted(w["doi"] for w in works)
    assert model.terms == [] and model.matrix.shape == (len(works), 0)
    assert similarity_edges(model) == []
    assert sorted(topic_graph(model).nodes) == model.keys
    assert keyword_graph(model).number_of_nodes() == 0
    assert distinctive_terms(model, model.keys) == []


def test_max_df_pruning_everything_gives_an_empty_model() -> None:
    same = [fixture_work(f"10.5555/{i}", "hair follicle") for i in range(3)]
    assert fit_topics(same).terms == []  # every term is in 100% > 80% of the works
    assert fit_topics(same, max_df=1.0).terms == ["follicle", "hair", "hair follicle"]


def test_bad_input_is_rejected() -> None:
    with pytest.raises(RecordError, match="twice"):
        fit_topics([fixture_work("10.5555/a", "x"), fixture_work("10.5555/a", "y")])
    with pytest.raises(RecordError, match="without a DOI"):
        fit_topics([{"title": "no doi"}])
    for kwargs in ({"min_df": 0}, {"max_df": 0.0}, {"max_df": 1.5}, {"max_features": 0},
                   {"ngram_range": (2, 1)}, {"ngram_range": (0, 1)}):
        with pytest.raises(UsageError):
            fit_topics(CORPUS, **kwargs)
    model = fit_topics(CORPUS)
    for kwargs in ({"k": 0}, {"threshold": -0.1}, {"block": 0}):
        with pytest.raises(UsageError):
            similarity_edges(model, **kwargs)
    with pytest.raises(UsageError, match="does not match"):
        TopicModel(keys=["a"], matrix=model.matrix, terms=model.terms)


# --- similarity -------------------------------------------------------------------------------

def test_topic_graph_links_within_topics_only_and_keeps_the_empty_work() -> None:
    model = fit_topics(CORPUS)
    hair_terms = set(np.flatnonzero(model.matrix[[model.row(k) for k in sorted(HAIR_KEYS)]].sum(axis=0)))
    graph_terms = set(np.flatnonzero(model.matrix[[model.row(k) for k in sorted(GRAPH_KEYS)]].sum(axis=0)))
    # The fixture topics share no term, so every cross-topic cosine is exactly 0: any
    # threshold > 0 separates them. The default 0.1 is below every within-topic cosine
    # (the lowest is 0.145: net1-net3 share "algorithm" and their subject).
    assert not hair_terms & graph_terms
    g = topic_graph(CORPUS)  # defaults: k=10, threshold=0.1
    within = {(a, b) for group in (HAIR_KEYS, GRAPH_KEYS) for a in group for b in group if a < b}
    assert {tuple(sorted(e)) for e in g.edges} == within
    assert min(w for _, _, w in g.edges(data="weight")) == 0.144687
    assert set(g.nodes) == {w["doi"] for w in CORPUS}
    assert g.degree(EMPTY["doi"]) == 0 and g.nodes[EMPTY["doi"]] == {"doi": EMPTY["doi"]}
    assert all(d["kind"] == "topic" and 0 < d["weight"] <= 1 for _, _, d in g.edges(data=True))
    # a fitted model gives the same graph
    g2 = topic_graph(model)
    assert sorted(g2.edges(data=True)) == sorted(g.edges(data=True))


def test_output_does_not_depend_on_input_order() -> None:
    reference = fit_topics(CORPUS)
    edges = similarity_edges(reference, k=2, threshold=0.01)
    keyword_edges = sorted(keyword_graph(reference, top_terms=5, min_cooccurrence=1).edges(data=True))
    rng = random.Random(20240501)
    for _ in range(5):
        shuffled = CORPUS[:]
        rng.shuffle(shuffled)
        model = fit_topics(shuffled)
        assert model.keys == reference.keys and model.terms == reference.terms
        assert (model.matrix != reference.matrix).nnz == 0
        assert similarity_edges(model, k=2, threshold=0.01) == edges
        assert sorted(keyword_graph(shuffled, top_terms=5, min_cooccurrence=1).edges(data=True)) == keyword_edges


def test_edges_are_symmetric_unique_and_sorted() -> None:
    model = fit_topics(CORPUS)
    dense = model.matrix.toarray()
    edges = similarity_edges(model, k=10, threshold=0.0)
    assert edges == sorted(edges) and all(a < b for a, b, _ in edges)
    assert len({(a, b) for a, b, _ in edges}) == len(edges)
    for a, b, sim in edges:
        ia, ib = model.row(a), model.row(b)
        assert sim == round(float(dense[ia] @ dense[ib]), 6) == round(float(dense[ib] @ dense[ia]), 6)


def test_k_and_threshold_are_respected() -> None:
    model = fit_topics(CORPUS)
    dense = model.matrix.toarray()
    sims = np.round(dense @ dense.T, 6)
    np.fill_diagonal(sims, 0.0)
    threshold = 0.1
    edges = similarity_edges(model, k=1, threshold=threshold)
    g = topic_graph(model, k=1, threshold=threshold)
    assert g.number_of_edges() == len(edges) <= len(model.keys)
    for key in model.keys:
        i = model.row(key)
        has_neighbour = sims[i].max() >= threshold
        assert (g.degree(key) >= 1) == has_neighbour
    for a, b, sim in edges:
        ia, ib = model.row(a), model.row(b)
        assert sim >= threshold
        # kept by a or by b as its single nearest (ties by key: lowest row first)
        assert int(np.argmax(sims[ia])) == ib or int(np.argmax(sims[ib])) == ia
    assert similarity_edges(model, k=10, threshold=0.999) == []
    # more neighbours, lower threshold: a superset
    wide = {(a, b) for a, b, _ in similarity_edges(model, k=5, threshold=0.05)}
    assert {(a, b) for a, b, _ in edges} <= wide


def test_similarity_by_hand() -> None:
    # Titles only, each word twice (title weighted twice) so tf is equal inside a work
    # and cancels; idf_t = ln((1 + n) / (1 + df_t)) + 1 with n = 3.
    model = fit_topics([fixture_work("10.5555/a", "hair follicle stem cells"),
                        fixture_work("10.5555/b", "hair follicle cycling"),
                        fixture_work("10.5555/c", "network centrality")], ngram_range=(1, 1), max_df=1.0)
    shared, own = math.log(4 / 3) + 1, math.log(4 / 2) + 1
    expected = (2 * shared**2) / (math.sqrt(2 * shared**2 + 2 * own**2) * math.sqrt(2 * shared**2 + own**2))
    assert similarity_edges(model, k=5, threshold=0.0) == [("10.5555/a", "10.5555/b", round(expected, 6))]
    assert round(expected, 6) == 0.443333


def test_similarity_equals_an_independent_dense_computation() -> None:
    texts = {
        "10.5555/1": "hair follicle stem cells regenerate hair",
        "10.5555/2": "hair follicle cycling and stem cell niche",
        "10.5555/3": "jak inhibitors regrow hair in alopecia areata",
        "10.5555/4": "alopecia areata is an autoimmune disease of the hair follicle",
        "10.5555/5": "betweenness centrality in social networks",
        "10.5555/6": "approximate betweenness centrality by sampling shortest paths",
    }
    works = [fixture_work(doi, None, f"<jats:p>{text}</jats:p>") for doi, text in texts.items()]
    model = fit_topics(works, ngram_range=(1, 1), max_df=1.0)
    vec = TfidfVectorizer(stop_words=list(ENGLISH_STOP_WORDS | DOMAIN_STOP_WORDS), sublinear_tf=True,
                          token_pattern=TOKEN_PATTERN, strip_accents="unicode", dtype=np.float64)
    x = vec.fit_transform(list(texts.values())).toarray()
    assert model.terms == list(vec.get_feature_names_out())
    assert np.allclose(model.matrix.toarray(), x, atol=1e-12)
    norms = np.linalg.norm(x, axis=1)
    cos = (x @ x.T) / np.outer(norms, norms)
    keys = list(texts)
    expected = [(keys[i], keys[j], round(float(cos[i, j]), 6))
                for i in range(len(keys)) for j in range(i + 1, len(keys)) if round(float(cos[i, j]), 6) > 0]
    got = similarity_edges(model, k=10, threshold=0.0)
    assert [(a, b) for a, b, _ in got] == [(a, b) for a, b, _ in expected]
    assert np.allclose([s for *_, s in got], [s for *_, s in expected], atol=1.5e-6)
    assert len(got) == 7  # hair works pairwise (6) + the two centrality works


def _synthetic_corpus(n: int, seed: int) -> list[dict[str, Any]]:
    """Unit-test fixtures: titles drawn from a small word list (not real records)."""
    rng = random.Random(seed)
    vocabulary = ["hair", "follicle", "alopecia", "areata", "scalp", "graph", "network", "centrality",
                  "path", "cluster", "protein", "kinase", "immune", "therapy", "model", "random"]
    return [fixture_work(f"10.5555/s{i:03d}", " ".join(rng.choices(vocabulary, k=rng.randint(0, 6))))
            for i in range(n)]


def test_blocked_computation_equals_unblocked() -> None:
    model = fit_topics(_synthetic_corpus(60, seed=7))
    whole = similarity_edges(model, k=4, threshold=0.05, block=1000)
    assert whole  # the synthetic corpus is connected enough to matter
    assert similarity_edges(model, k=4, threshold=0.05, block=1) == whole
    assert similarity_edges(model, k=4, threshold=0.05, block=7) == whole


def _brute_force_edges(model: TopicModel, k: int, threshold: float) -> list[tuple[str, str, float]]:
    """The kNN edges by the definition, from a dense cosine matrix (rows keep their k best, ties by key)."""
    dense = model.matrix.toarray()
    sims = np.round(dense @ dense.T, 6)
    edges: dict[tuple[int, int], float] = {}
    for i in range(len(model.keys)):
        ranked = sorted((-sims[i, j], j) for j in range(len(model.keys))
                        if j != i and sims[i, j] >= threshold and sims[i, j] > 0)
        for _, j in ranked[:k]:
            edges.setdefault((min(i, j), max(i, j)), float(sims[i, j]))
    return [(model.keys[i], model.keys[j], w) for (i, j), w in sorted(edges.items())]


@pytest.mark.parametrize("seed", [7, 11, 23])
def test_edges_equal_brute_force_when_no_term_is_cut(seed: int) -> None:
    model = fit_topics(_synthetic_corpus(60, seed=seed))
    most = int(np.bincount(model.matrix.indices).max())
    expected = _brute_force_edges(model, k=4, threshold=0.05)
    assert expected
    # the default max_postings (100) cuts nothing here, so the search is exact; so is None
    assert most <= 100
    assert similarity_edges(model, k=4, threshold=0.05) == expected
    assert similarity_edges(model, k=4, threshold=0.05, max_postings=None) == expected
    assert similarity_edges(model, k=4, threshold=0.05, max_postings=most) == expected


def test_champion_lists_keep_similarities_exact_and_find_most_neighbours() -> None:
    # exact_budget=0: champion lists whenever a term is cut (this tiny corpus is otherwise cheap enough to be exact)
    model = fit_topics(_synthetic_corpus(60, seed=7))
    dense = model.matrix.toarray()
    exact = _brute_force_edges(model, k=4, threshold=0.05)
    # 5 postings a term: 15 of the 16 words are in more than 5 of the 60 titles, so they are cut
    assert int((np.bincount(model.matrix.indices) > 5).sum()) == 15
    cut = similarity_edges(model, k=4, threshold=0.05, max_postings=5, exact_budget=0)
    assert cut == sorted(cut) and len({(a, b) for a, b, _ in cut}) == len(cut)
    for a, b, sim in cut:  # every similarity is the exact cosine
        assert a < b and sim >= 0.05
        assert sim == round(float(dense[model.row(a)] @ dense[model.row(b)]), 6)
    found = {(a, b) for a, b, _ in cut} & {(a, b) for a, b, _ in exact}
    assert len(found) / len(exact) >= 0.9  # measured 127 of 137 (0.927) on this tiny, repetitive corpus
    # still deterministic: blocks and input order change nothing
    assert similarity_edges(model, k=4, threshold=0.05, max_postings=5, exact_budget=0, block=1) == cut
    assert similarity_edges(model, k=4, threshold=0.05, max_postings=5, exact_budget=0, block=7) == cut
    shuffled = _synthetic_corpus(60, seed=7)
    random.Random(3).shuffle(shuffled)
    assert similarity_edges(fit_topics(shuffled), k=4, threshold=0.05, max_postings=5, exact_budget=0) == cut
    # topic_graph passes max_postings on
    g = topic_graph(model, k=4, threshold=0.05, max_postings=5, exact_budget=0)
    assert sorted((a, b, w) for a, b, w in g.edges(data="weight")) == cut


def test_one_posting_per_term_still_links_the_only_pair() -> None:
    # Hand-made unit-test records (not Crossref data): "hair" and "follicle" lead to one work
    # each, yet a and b find each other (a through "hair", b through "follicle" or its own words).
    model = fit_topics([fixture_work("10.5555/a", "hair follicle stem cells"),
                        fixture_work("10.5555/b", "hair follicle cycling"),
                        fixture_work("10.5555/c", "network centrality")], ngram_range=(1, 1), max_df=1.0)
    assert similarity_edges(model, k=1, max_postings=1, exact_budget=0) == [("10.5555/a", "10.5555/b", 0.443333)]


def test_a_cheap_search_stays_exact_whatever_is_cut() -> None:
    """SYNTHETIC corpus (60 titles of 16 words): max_postings=5 cuts 15 terms, but the exact search costs
    1,658 candidate pairs (the sum of postings^2, under 60^2), far within the default budget: the brute-force
    edges."""
    model = fit_topics(_synthetic_corpus(60, seed=7))
    expected = _brute_force_edges(model, k=4, threshold=0.05)
    doc_freq = np.bincount(model.matrix.indices, minlength=len(model.terms))
    plan = similarity_plan(model, max_postings=5)
    assert plan == {"exact": True, "cost": int((doc_freq ** 2).sum()), "budget": DEFAULT_SIMILARITY_BUDGET,
                    "max_postings": 5, "frequent_terms": 15, "terms": len(model.terms), "postings_cut": 0}
    assert plan["cost"] == 1658
    assert similarity_edges(model, k=4, threshold=0.05, max_postings=5) == expected
    assert similarity_edges(model, k=4, threshold=0.05, max_postings=5, exact_budget=1658) == expected
    # one pair over the budget: champion lists, and what they cut is stated
    cut = similarity_plan(model, max_postings=5, exact_budget=1657)
    assert cut["exact"] is False and cut["postings_cut"] == int((doc_freq[doc_freq > 5] - 5).sum()) > 0
    assert similarity_edges(model, k=4, threshold=0.05, max_postings=5, exact_budget=1657) == similarity_edges(
        model, k=4, threshold=0.05, max_postings=5, exact_budget=0)
    g = topic_graph(model, k=4, threshold=0.05, max_postings=5, exact_budget=1657)
    assert g.graph["similarity"] == cut
    with pytest.raises(UsageError, match="exact_budget must be >= 0"):
        similarity_edges(model, exact_budget=-1)


def test_similarity_plan_of_a_hand_made_corpus() -> None:
    # Hand-made unit-test records (not Crossref data): "hair" in 3 works, "follicle" in 2, the rest in 1 each
    model = fit_topics([fixture_work("10.5555/a", "hair follicle stem"), fixture_work("10.5555/b", "hair follicle"),
                        fixture_work("10.5555/c", "hair cycling"), fixture_work("10.5555/d", "network centrality")],
                       ngram_range=(1, 1), max_df=1.0)
    assert sorted(model.terms) == ["centrality", "cycling", "follicle", "hair", "network", "stem"]
    # products: 3^2 + 2^2 + 4 x 1 = 17; pairs at most 4^2 = 16
    plan = similarity_plan(model, max_postings=1, exact_budget=15)
    assert (plan["exact"], plan["cost"], plan["frequent_terms"], plan["postings_cut"]) == (False, 16, 2, 3)
    assert similarity_plan(model, max_postings=1, exact_budget=16)["exact"] is True
    assert similarity_plan(model, max_postings=3, exact_budget=0)["exact"] is True  # nothing cut


def test_max_postings_must_be_positive() -> None:
    model = fit_topics(CORPUS)
    for bad in (0, -3):
        with pytest.raises(UsageError, match="max_postings"):
            similarity_edges(model, max_postings=bad)


# --- keywords ---------------------------------------------------------------------------------

KEYWORD_FIXTURE = [  # unit-test fixtures (not Crossref data)
    fixture_work("10.5555/a", "hair follicle"),
    fixture_work("10.5555/b", "hair follicle stem"),
    fixture_work("10.5555/c", "hair stem"),
    fixture_work("10.5555/d", "network centrality"),
    fixture_work("10.5555/e", "network centrality"),
]


def test_keyword_graph_counts_cooccurrence_exactly() -> None:
    model = fit_topics(KEYWORD_FIXTURE, ngram_range=(1, 1))
    g = keyword_graph(model, top_terms=10, min_cooccurrence=1)  # every term is a keyword
    assert dict(g.nodes(data="works")) == {"hair": 3, "follicle": 2, "stem": 2, "network": 2, "centrality": 2}
    assert all(g.nodes[t]["label"] == t for t in g)
    assert sorted(g.edges(data="weight")) == [("centrality", "network", 2), ("follicle", "hair", 2),
                                              ("follicle", "stem", 1), ("hair", "stem", 2)]
    g2 = keyword_graph(model, top_terms=10, min_cooccurrence=2)
    assert sorted(g2.edges(data="weight")) == [("centrality", "network", 2), ("follicle", "hair", 2),
                                               ("hair", "stem", 2)]
    assert set(g2.nodes) == set(g.nodes)  # terms stay, even without links


def test_keyword_graph_top_terms_and_max_terms() -> None:
    model = fit_topics(KEYWORD_FIXTURE, ngram_range=(1, 1))
    # one keyword per work: the rarer word wins, equal weights go alphabetically
    # (a: follicle > hair; b: follicle = stem -> follicle; c: stem > hair; d, e: centrality = network)
    g = keyword_graph(model, top_terms=1, min_cooccurrence=1)
    assert dict(g.nodes(data="works")) == {"follicle": 2, "stem": 1, "centrality": 2}
    assert g.number_of_edges() == 0
    # the two terms that are keywords of the most works, ties alphabetical
    assert sorted(keyword_graph(model, top_terms=10, max_terms=2, min_cooccurrence=1).nodes) == [
        "centrality", "hair"]
    assert sorted(keyword_graph(model, top_terms=1, max_terms=2).nodes) == ["centrality", "follicle"]
    # works are accepted directly (default bigrams: "hair follicle" twice, "hair stem" once)
    assert sorted(keyword_graph(KEYWORD_FIXTURE, min_cooccurrence=2).edges(data="weight")) == [
        ("centrality", "network", 2), ("centrality", "network centrality", 2), ("follicle", "hair", 2),
        ("follicle", "hair follicle", 2), ("hair", "hair follicle", 2), ("hair", "stem", 2),
        ("network", "network centrality", 2)]


def test_distinctive_terms_name_each_topic() -> None:
    model = fit_topics(CORPUS)
    hair = distinctive_terms(model, HAIR_KEYS, n=5)
    nets = distinctive_terms(model, GRAPH_KEYS | {"10.9999/not-in-model"}, n=5)
    assert hair == ["follicle", "hair", "alopecia", "alopecia areata", "areata"]
    assert nets == ["networks", "centrality", "algorithms", "betweenness", "betweenness centrality"]
    assert distinctive_terms(model, ["10.9999/not-in-model"]) == []
    assert distinctive_terms(model, []) == []
    assert distinctive_terms(model, [EMPTY["doi"]]) == []  # nothing above the mean
    assert distinctive_terms(model, HAIR_KEYS, n=0) == []


# --- real data --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_works(shared_dir: Path) -> list[dict[str, Any]]:
    """The 6,012 recorded Crossref records of works-oc_ds_converter, through the store."""
    with gzip.open(shared_dir / "crossref" / "works-oc_ds_converter.jsonl.gz", "rt", encoding="utf-8") as fh:
        parsed = [parse_work(json.loads(line), source="file:works-oc_ds_converter.jsonl.gz") for line in fh]
    with Store(":memory:") as store:
        store.add_works(parsed)
        return list(store.works())


@pytest.mark.shared
def test_real_alopecia_works_without_references_join_the_topic_map(real_works: list[dict[str, Any]]) -> None:
    alopecia = [w for w in real_works if "alopecia" in (w["title"] or "").lower()]
    keys = sorted(w["doi"] for w in alopecia)
    assert len(alopecia) == 45
    assert all(not w["references_count"] for w in alopecia)  # no reference lists: no citation links

    # Fitted on the whole store (corpus-wide idf), the way the map is built.
    model = fit_topics(real_works)
    full = topic_graph(model)
    assert sum(full.degree(k) > 0 for k in keys) == 45
    assert sum(full.degree(n) > 0 for n in full) / full.number_of_nodes() >= 0.9  # measured 0.966

    # The alopecia works alone, weighted by the corpus-wide model: 43 of 45 linked.
    sub = TopicModel(keys=keys, matrix=model.matrix[[model.row(k) for k in keys]], terms=model.terms)
    among = topic_graph(sub)
    assert sum(among.degree(k) > 0 for k in keys) / len(keys) >= 0.8

    # Fitted on the 45 alone, max_df=0.8 prunes "alopecia" (45 of 45 titles) and the subjects
    # "dermatology", "general medicine" (44 of 45): what is left links 35 of 45.
    alone = fit_topics(alopecia)
    assert "alopecia" not in alone.terms and "dermatology" not in alone.terms
    linked = sum(d > 0 for _, d in topic_graph(alone).degree())
    assert linked / len(keys) >= 0.75  # measured 35/45 = 0.778


@pytest.mark.shared
def test_real_fit_over_all_records(real_works: list[dict[str, Any]]) -> None:
    assert len(real_works) == 6012
    model = fit_topics(real_works)  # about 0.6 s here; speed is measured in bench/, not asserted in tests
    assert model.matrix.shape == (6012, 50_000)  # max_features caps the vocabulary
    assert "alopecia" in distinctive_terms(
        model, [w["doi"] for w in real_works if "alopecia" in (w["title"] or "").lower()], n=3)


@pytest.mark.shared
def test_real_champion_search_finds_the_exact_neighbours(real_works: list[dict[str, Any]]) -> None:
    model = fit_topics(real_works)
    # "alopecia", the subjects and other common words are in far more than 100 of the 6,012 works:
    # the default search cuts their postings
    assert int((np.bincount(model.matrix.indices) > 100).sum()) >= 20  # measured 56
    # and the exact search is not cheap enough to keep (2.4e7 candidate pairs, about 1 s, over the budget)
    assert similarity_plan(model)["exact"] is False
    exact = similarity_edges(model, max_postings=None)
    fast = similarity_edges(model)
    exact_pairs = {(a, b): w for a, b, w in exact}
    found = [(a, b, w) for a, b, w in fast if (a, b) in exact_pairs]
    assert len(found) / len(exact) >= 0.97  # measured 0.995 (0.985 on all 16,153 shared works with text)
    assert all(exact_pairs[(a, b)] == w for a, b, w in found)  # similarities exact
    assert abs(len(fast) - len(exact)) / len(exact) < 0.02  # measured 34,284 against 34,308
