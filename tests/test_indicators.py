"""Indicators: h-index, Bradford zones, frequent authors and journals, by hand and on the shared corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from citegraph.analysis.indicators import bradford_zones, h_index, indicators, name_key, top_authors, top_journals
from citegraph.errors import UsageError
from citegraph.graphs.citation import citation_graph
from citegraph.store import Store


@pytest.mark.parametrize(("citations", "h"), [
    ([10, 8, 5, 4, 3], 4),   # 4 works with >= 4 citations; the 5th has 3 < 5
    ([25, 8, 5, 3, 3], 3),   # 3 works with >= 3; the 4th has 3 < 4
    ([], 0),
    ([0, 0], 0),
    ([100], 1),              # one work cannot give more than 1
    ([3, None, 5, 1, None, 4], 3),  # sorted 5, 4, 3, 1, 0, 0: 3 works with >= 3; None counts as 0
    ([2, 2, 2, 2], 2),
])
def test_h_index(citations: list[int | None], h: int) -> None:
    assert h_index(citations) == h
    assert h_index(iter(citations)) == h


def test_bradford_zones_by_hand() -> None:
    # Hand-made unit-test journal list (not Crossref data): A 6, B 3, C 2, D 1, E 1, F 1 = 14 articles,
    # one third is 14/3 = 4.67. A journal goes to zone floor(before * 3 / 14) + 1, "before" being the
    # articles above it:  A before 0 -> 1;  B 6 -> 18//14 + 1 = 2;  C 9 -> 27//14 + 1 = 2;
    # D 11 -> 33//14 + 1 = 3;  E 12 -> 3;  F 13 -> 3.  Zones of 1, 2 and 3 journals with 6, 5, 3 articles.
    journals = ["A"] * 6 + ["B"] * 3 + ["C"] * 2 + ["F", "E", "D", None, "  ", "a"]  # "a" counts as "A"
    journals.remove("A")  # so A has 5 spelled "A" and 1 spelled "a": shown as "A"
    rows = bradford_zones(journals)
    assert [(r["journal"], r["articles"], r["cumulative"], r["zone"]) for r in rows] == [
        ("A", 6, 6, 1), ("B", 3, 9, 2), ("C", 2, 11, 2), ("D", 1, 12, 3), ("E", 1, 13, 3), ("F", 1, 14, 3)]


def test_bradford_zone_counts_and_edge_cases() -> None:
    assert {r["zone"] for r in bradford_zones(["A", "B", "C"], zones=1)} == {1}
    # a journal is never split: one holding 7 of 10 articles leaves zone 2 empty (B: before 7 -> 21//10 + 1)
    rows = bradford_zones(["A"] * 7 + ["B"] * 2 + ["C"])
    assert [r["zone"] for r in rows] == [1, 3, 3]
    assert bradford_zones([]) == [] and bradford_zones([None]) == []
    with pytest.raises(UsageError, match="zones 0 must be at least 1"):
        bradford_zones(["A"], zones=0)


def test_top_authors_normalises_names() -> None:
    # Hand-made unit-test works (not Crossref data)
    works: list[dict[str, Any]] = [
        {"authors": ["Doe, Jane", "Roe, Al", "doe,jane"]},  # Doe twice on one work: counts once
        {"authors": ["DOE,  Jane"]},
        {"authors": ["Doe, Jane", "Poe, Ed"]},
        {"authors": ["Poe, Ed"]},
        {"authors": []},
        {},
    ]
    # Doe 3 works, shown as its most frequent spelling "Doe, Jane" (2 of 4); Poe 2; Roe 1
    assert top_authors(works) == [("Doe, Jane", 3), ("Poe, Ed", 2), ("Roe, Al", 1)]
    assert top_authors(works, n=1) == [("Doe, Jane", 3)]
    # ties by count are ordered by name
    assert top_authors([{"authors": ["Zed, A", "Abe, B"]}]) == [("Abe, B", 1), ("Zed, A", 1)]
    assert name_key("Doe ,  JANE") == name_key("doe, jane") == "doe, jane"


def test_top_journals() -> None:
    works = [{"container": "J Fixture"}, {"container": "j  fixture"}, {"container": "Other"}, {"container": None}]
    assert top_journals(works) == [("J Fixture", 2), ("Other", 1)]
    assert top_journals(works, n=0) == []
    with pytest.raises(UsageError):
        top_journals(works, n=-1)


def test_indicators_of_a_hand_made_set() -> None:
    # Hand-made unit-test graph: a -> b, c -> b, c -> a, and x (cited only, not stored) cited by a and c
    G = nx.DiGraph([("a", "b"), ("c", "b"), ("c", "a"), ("a", "x"), ("c", "x")])
    for key, cited in {"a": 3, "b": 9, "c": 2}.items():
        G.nodes[key].update(resolved=True, citations_global=cited)
    G.nodes["x"]["resolved"] = False
    works = [
        {"doi": "a", "container": "J1", "authors": ["Doe, J"], "year": 2010},
        {"doi": "b", "container": "J1", "authors": ["Doe, J", "Roe, K"], "year": 2001},
        {"doi": "c", "container": "J2", "authors": [], "year": None},
    ]
    got = indicators(G, iter(works))
    # global counts 9, 3, 2 -> h 2; in-degrees of the stored works b 2, a 1, c 0 -> h 1 (x is not stored)
    assert (got["works"], got["h_index_global"], got["h_index_local"], got["years"]) == (3, 2, 1, (2001, 2010))
    assert got["journals"] == [("J1", 2), ("J2", 1)]
    assert got["authors"] == [("Doe, J", 2), ("Roe, K", 1)]
    # 3 articles: J1 before 0 -> zone 1; J2 before 2 -> 6//3 + 1 = 3
    assert got["bradford"] == [{"journal": "J1", "articles": 2, "cumulative": 2, "zone": 1},
                               {"journal": "J2", "articles": 1, "cumulative": 3, "zone": 3}]
    assert indicators(nx.DiGraph(), [])["years"] is None


def test_indicators_of_the_shared_corpus(shared_corpus: Path) -> None:
    with Store(shared_corpus, readonly=True) as store:
        G = citation_graph(store)
        works = list(store.works())
    got = indicators(G, works)
    assert got["works"] == len(works) == 6587
    assert got["h_index_global"] == 83 and got["h_index_local"] == 2
    assert got["journals"][0] == ("Archives of Dermatology", 4553)  # the dump-format test records
    zones = [r["zone"] for r in got["bradford"]]
    assert zones == sorted(zones) and zones[0] == 1
    assert sum(r["articles"] for r in got["bradford"]) == got["bradford"][-1]["cumulative"]
    assert len(got["authors"]) == 20 and got["years"][0] <= got["years"][1]
