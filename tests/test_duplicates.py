"""Likely duplicates under different DOIs: found, reported, merged only on request."""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from citegraph.errors import UsageError
from citegraph.store import Store
from citegraph.store.duplicates import DuplicateGroup, find_duplicates, merge_duplicates, normalise_title
from citegraph.store.records import parse_work

TITLE = "The <i>BRCA1</i> gene: a Review of its Roles."
TITLE_NORM = "the brca1 gene a review of its roles"


def fixture_work(doi: str, title: str | None = TITLE, year: int | None = 2020, type_: str | None = "journal-article",
                 author: str | None = "Doe", *, cited: int | None = None, refs: int | None = None,
                 **extra: Any) -> dict[str, Any]:
    """A hand-made unit-test record in Crossref's shape (not Crossref data)."""
    rec: dict[str, Any] = {"DOI": doi, **({"type": type_} if type_ else {})}
    if cited is not None:
        rec["is-referenced-by-count"] = cited
    if refs is not None:
        rec["references-count"] = refs
    if title is not None:
        rec["title"] = [title]
    if year is not None:
        rec["issued"] = {"date-parts": [[year, 1]]}
    if author is not None:
        rec["author"] = [{"family": author, "given": "J.", "sequence": "first"}]
    rec.update(extra)
    return rec


def relation(name: str, target: str) -> dict[str, Any]:
    """A hand-made Crossref ``relation`` object (unit-test fixture)."""
    return {"relation": {name: [{"id-type": "doi", "id": target, "asserted-by": "subject"}]}}


def stored(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The fixture records as :meth:`Store.works` yields them."""
    with Store(":memory:") as store:
        store.add_works([parse_work(r, source="fixture") for r in records])
        return list(store.works())


# -- normalise_title -----------------------------------------------------------
@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("The <i>BRCA1</i> gene: a Review.", "the brca1 gene a review"),
        ("THE BRCA1 GENE — A REVIEW", "the brca1 gene a review"),
        ("The <jats:italic>BRCA1</jats:italic> gene: a review", "the brca1 gene a review"),
        ("The &lt;i&gt;BRCA1&lt;/i&gt; gene &amp; a review", "the brca1 gene a review"),
        ("CO<sub>2</sub> uptake in Café de Flore, Ærø & Straße", "co2 uptake in cafe de flore ærø strasse"),
        ("  Life\u2010history trade\u2010offs\n   (part_1) ", "life history trade offs part 1"),
        ("a < b and c > d", "a b and c d"),
        ("", ""),
        ("  ", ""),
        (None, ""),
    ],
)
def test_normalise_title(title: str | None, expected: str) -> None:
    assert normalise_title(title) == expected


# -- pairing rules ---------------------------------------------------------------
def test_preprint_and_article_are_one_group_with_the_article_canonical() -> None:
    works = stored([
        fixture_work("10.1101/2019.05.05.111", "the BRCA1 gene -- a review of its roles", 2019, "posted-content",
                     cited=50),
        fixture_work("10.5555/Gene.2020.7", TITLE, 2020, "journal-article", cited=3),
        fixture_work("10.5555/unrelated", "A completely different study of genes", 2020),
    ])
    assert find_duplicates(works) == [
        DuplicateGroup(
            canonical="10.5555/gene.2020.7",
            aliases=("10.1101/2019.05.05.111",),
            title=TITLE,
            years=(2020, 2019),
            types=("journal-article", "posted-content"),
            evidence="same title, years 2019/2020",
        )
    ]


def test_year_gap_larger_than_allowed_does_not_pair() -> None:
    works = stored([fixture_work("10.5555/a", year=2017), fixture_work("10.5555/b", year=2020)])
    assert find_duplicates(works) == []
    assert [g.aliases for g in find_duplicates(works, max_year_gap=3)] == [("10.5555/b",)]


def test_missing_year_pairs_only_with_relation_evidence() -> None:
    works = stored([fixture_work("10.5555/a", year=None), fixture_work("10.5555/b", year=2020)])
    assert find_duplicates(works) == []
    works = stored([fixture_work("10.5555/a", year=None, **relation("is-version-of", "10.5555/b")),
                    fixture_work("10.5555/b", year=2020)])
    (group,) = find_duplicates(works)
    assert (group.canonical, group.aliases, group.years) == ("10.5555/a", ("10.5555/b",), (None, 2020))
    assert group.evidence == "same title, year 2020 (1 unknown); Crossref relation is-version-of"


def test_same_title_different_first_author_does_not_pair() -> None:
    works = stored([fixture_work("10.5555/a", author="Doe"), fixture_work("10.5555/b", author="Roe")])
    assert find_duplicates(works) == []


def test_first_author_compared_without_case_accents_or_punctuation() -> None:
    works = stored([fixture_work("10.5555/a", author="Müller-O'Brien"),
                    fixture_work("10.5555/b", author="MULLER OBRIEN")])
    assert [(g.canonical, g.aliases) for g in find_duplicates(works)] == [("10.5555/a", ("10.5555/b",))]


def test_unknown_first_author_never_pairs_by_title_alone() -> None:
    # authorless works with one title are mostly recurring columns or letter/reply pairs
    one_author = stored([fixture_work("10.5555/a", author="Doe"), fixture_work("10.5555/b", author=None)])
    assert find_duplicates(one_author) == []
    no_author = stored([fixture_work("10.5555/a", author=None), fixture_work("10.5555/b", author=None)])
    assert find_duplicates(no_author) == []
    two_authors = stored([fixture_work("10.5555/a", author="Doe"), fixture_work("10.5555/b", author=None),
                          fixture_work("10.5555/c", author="Roe")])
    assert find_duplicates(two_authors) == []
    # relation evidence still pairs an authorless work
    related = stored([fixture_work("10.5555/a", author="Doe"),
                      fixture_work("10.5555/b", author=None, **relation("is-version-of", "10.5555/a"))])
    assert [(g.canonical, g.aliases) for g in find_duplicates(related)] == [("10.5555/a", ("10.5555/b",))]


@pytest.mark.parametrize("title", ["Editorial", "Reply", "Correction", "Introduction", "Book reviews",
                                   "Letter to the editor", "Reply to the letter", "Questions and answers"])
def test_short_generic_titles_never_pair(title: str) -> None:
    works = stored([fixture_work("10.5555/a", title), fixture_work("10.5555/b", title)])
    assert find_duplicates(works) == []


def test_title_length_limits_are_parameters() -> None:
    works = stored([fixture_work("10.5555/a", "Book reviews"), fixture_work("10.5555/b", "Book reviews")])
    assert len(find_duplicates(works, min_title_words=2, min_title_chars=12)) == 1
    assert find_duplicates(works, min_title_words=3, min_title_chars=12) == []
    assert find_duplicates(works, min_title_words=2, min_title_chars=13) == []


def test_missing_or_empty_titles_never_pair_by_title() -> None:
    works = stored([fixture_work("10.5555/a", None), fixture_work("10.5555/b", None),
                    fixture_work("10.5555/c", ""), fixture_work("10.5555/d", "")])
    assert find_duplicates(works, min_title_words=0, min_title_chars=0) == []


def test_relation_evidence_pairs_different_titles() -> None:
    works = stored([
        fixture_work("10.1101/pre", "Cats, dogs and parasites", 2018, "posted-content", author="Doe",
                     **relation("is-preprint-of", "https://doi.org/10.5555/ART")),
        fixture_work("10.5555/art", "Parasites of urban pets: a survey", 2021, author="Roe"),
        fixture_work("10.5555/unseen", "Cats, dogs and parasites", 2018,
                     **relation("is-preprint-of", "10.5555/not-stored")),
    ])
    assert find_duplicates(works) == [
        DuplicateGroup(
            canonical="10.5555/art",
            aliases=("10.1101/pre",),
            title="Parasites of urban pets: a survey",
            years=(2021, 2018),
            types=("journal-article", "posted-content"),
            evidence="different titles, years 2018/2021; Crossref relation is-preprint-of",
        )
    ]


def test_relation_names_preprint_even_when_typed_journal_article() -> None:
    # has-preprint on the article names the other DOI as the preprint, whatever its type
    works = stored([
        fixture_work("10.5555/a-article", year=2020, **relation("has-preprint", "10.5555/z-preprint"),
                     cited=1),
        fixture_work("10.5555/z-preprint", year=2019, cited=99),
    ])
    (group,) = find_duplicates(works)
    assert (group.canonical, group.aliases) == ("10.5555/a-article", ("10.5555/z-preprint",))
    assert group.evidence == "same title, years 2019/2020; Crossref relation has-preprint"


def test_transitive_group_of_three() -> None:
    works = stored([
        fixture_work("10.5555/c", year=2020, type_="posted-content"),
        fixture_work("10.5555/a", year=2018, type_="posted-content"),
        fixture_work("10.5555/b", year=2019, type_="journal-article"),
        fixture_work("10.5555/d", year=2023, type_="journal-article"),  # 3 years after c: alone
    ])
    assert find_duplicates(works) == [
        DuplicateGroup(
            canonical="10.5555/b",
            aliases=("10.5555/a", "10.5555/c"),
            title=TITLE,
            years=(2019, 2018, 2020),
            types=("journal-article", "posted-content", "posted-content"),
            evidence="same title, years 2018/2019/2020",
        )
    ]


def test_mixed_title_and_relation_group_evidence() -> None:
    works = stored([
        fixture_work("10.5555/a", year=2019),
        fixture_work("10.5555/b", year=2020, cited=5),
        fixture_work("10.5555/c", "A later version under another name", 2022, **relation("is-version-of", "10.5555/b")),
    ])
    (group,) = find_duplicates(works)
    assert (group.canonical, group.aliases) == ("10.5555/b", ("10.5555/a", "10.5555/c"))
    assert group.evidence == "same title for 2 of 3 works, years 2019/2020/2022; Crossref relation is-version-of"


def test_canonical_tie_breaks_citations_then_references_then_doi() -> None:
    def group(*records: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
        (g,) = find_duplicates(stored(records))
        return g.canonical, g.aliases

    assert group(fixture_work("10.5555/a"), fixture_work("10.5555/b", cited=10)) == ("10.5555/b", ("10.5555/a",))
    assert group(fixture_work("10.5555/a", cited=10), fixture_work("10.5555/b", cited=10, refs=30)) == (
        "10.5555/b", ("10.5555/a",))
    assert group(fixture_work("10.5555/b", cited=10), fixture_work("10.5555/a", cited=10)) == (
        "10.5555/a", ("10.5555/b",))
    # type before counts: a published version beats an unknown type, which beats a preprint
    assert group(fixture_work("10.5555/a", type_=None, cited=10), fixture_work("10.5555/b")) == (
        "10.5555/b", ("10.5555/a",))
    preprint = fixture_work("10.5555/a", type_="posted-content", cited=10)
    unknown = fixture_work("10.5555/b", type_=None)
    assert group(preprint, unknown) == (
        "10.5555/b", ("10.5555/a",))


def test_result_is_sorted_and_independent_of_input_order() -> None:
    records = [fixture_work(f"10.5555/{t}{i}", f"Title number {t} of this unit-test fixture set", 2000 + i % 2)
               for t in "xyz" for i in range(4)]
    expected = find_duplicates(stored(records))
    assert [(g.canonical, g.aliases) for g in expected] == [
        (f"10.5555/{t}0", (f"10.5555/{t}1", f"10.5555/{t}2", f"10.5555/{t}3")) for t in "xyz"]
    works = stored(records)
    for seed in range(5):
        random.Random(seed).shuffle(works)
        assert find_duplicates(works) == expected


def test_first_work_wins_when_a_doi_is_given_twice() -> None:
    works = [{"doi": "10.5555/a", "title": TITLE, "year": 2020, "first_author": "Doe"},
             {"doi": "10.5555/a", "title": TITLE, "year": 2020, "first_author": "Roe"},
             {"doi": "10.5555/b", "title": TITLE, "year": 2021, "first_author": "Doe"}]
    assert [(g.canonical, g.aliases, g.years) for g in find_duplicates(works)] == [
        ("10.5555/a", ("10.5555/b",), (2020, 2021))]


def test_negative_limits_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="max_year_gap must be 0 or more, not -1"):
        find_duplicates([], max_year_gap=-1)


def test_as_row() -> None:
    g = DuplicateGroup("10.5555/b", ("10.5555/a", "10.5555/c"), "T", (2020, None, 2019),
                       ("journal-article", "posted-content", None), "same title, years 2019/2020 (1 unknown)")
    assert g.as_row() == {
        "canonical": "10.5555/b",
        "aliases": "10.5555/a; 10.5555/c",
        "title": "T",
        "years": "2020/?/2019",
        "types": "journal-article/posted-content/?",
        "evidence": "same title, years 2019/2020 (1 unknown)",
    }


def test_scales_linearly_with_large_title_buckets() -> None:
    # 10^5 works, most sharing one title: neighbours in year order are united, never all pairs
    works = [{"doi": f"10.5555/w{i:06d}", "title": "A recurring column title for this fixture", "year": 1990 + i % 3,
              "first_author": "Doe", "type": "journal-article"} for i in range(100_000)]
    (group,) = find_duplicates(works)
    assert (group.canonical, len(group.aliases), group.evidence) == (
        "10.5555/w000000", 99_999, "same title, years 1990/1991/1992")


# -- merging ---------------------------------------------------------------------
def test_merge_duplicates_records_reason_and_maps_edges() -> None:
    records = [
        fixture_work("10.1101/pre", year=2019, type_="posted-content", reference=[{"key": "r1", "DOI": "10.5555/old"}]),
        fixture_work("10.5555/art", year=2020, reference=[{"key": "r1", "DOI": "10.5555/old"}]),
        fixture_work("10.5555/citer", "Someone citing both versions of that work", 2021,
                     reference=[{"key": "r1", "DOI": "10.1101/pre"}, {"key": "r2", "DOI": "10.5555/art"}]),
        fixture_work("10.5555/other", "Someone citing only the preprint version", 2021,
                     reference=[{"key": "r1", "DOI": "10.1101/PRE"}]),
    ]
    with Store(":memory:") as store:
        store.add_works([parse_work(r, source="fixture") for r in records])
        groups = find_duplicates(store.works())
        assert [(g.canonical, g.aliases) for g in groups] == [("10.5555/art", ("10.1101/pre",))]
        assert store.merges() == {}  # finding merges nothing
        assert merge_duplicates(store, groups) == 1
        assert store.merges() == {"10.1101/pre": "10.5555/art"}
        assert store.snapshot()["merges"] == [("10.1101/pre", "10.5555/art", "same title, years 2019/2020")]
        assert [(e.citing, e.cited) for e in store.citation_edges()] == [
            ("10.5555/art", "10.5555/old"),
            ("10.5555/citer", "10.5555/art"),
            ("10.5555/other", "10.5555/art"),
        ]
        assert ("10.5555/other", "10.1101/pre") in {(e.citing, e.cited) for e in store.citation_edges(merged=False)}


def test_merge_nothing() -> None:
    with Store(":memory:") as store:
        assert merge_duplicates(store, []) == 0
        assert store.merges() == {}


# -- real data ---------------------------------------------------------------------
@pytest.mark.shared
def test_real_crossref_records(shared_corpus: Path) -> None:
    with Store(shared_corpus, readonly=True) as store:
        works = list(store.works())
        first = find_duplicates(works)
        assert find_duplicates(store.works()) == first
        titles = {w["doi"]: normalise_title(w["title"]) for w in works}
        for g in first:
            assert g.aliases and g.canonical not in g.aliases and list(g.aliases) == sorted(set(g.aliases))
            same_title = len({titles[d] for d in (g.canonical, *g.aliases)}) == 1
            assert same_title or "Crossref relation" in g.evidence
            assert g.evidence.startswith("same title" if same_title else ("different titles", "same title for"))
        assert [g.canonical for g in first] == sorted(g.canonical for g in first)
        # habanero's records include an article and its bioRxiv preprint, linked by has-preprint
        by_canonical = {g.canonical: g for g in first}
        pair = by_canonical["10.1002/ece3.2314"]
        assert pair.aliases == ("10.1101/014852",)
        assert pair.types == ("journal-article", "posted-content")
        assert pair.evidence == "same title, years 2015/2016; Crossref relation has-preprint"
