"""Per-source coverage and disagreements between sources (:mod:`citegraph.store.provenance`).

The unit tests run on hand-made unit fixtures (records in Crossref's and OpenAlex's shapes, a one-record
WoS export, OpenCitations citations), not on data of those services; one test builds a store from the
real OpenAlex records in ``../shared/openalex/`` and checks its edge count against an independent count.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from citegraph.store import Store
from citegraph.store.provenance import (
    Disagreements,
    EdgeDisagreement,
    FieldDisagreement,
    SourceCoverage,
    format_disagreements,
    normalise_title,
    source_coverage,
    source_disagreements,
)
from citegraph.store.records import ParsedWork, SourceRecord, WorkRow, parse_work

try:
    from tests.hand_made import citation
except ImportError:  # plain `pytest`: tests/ itself is on sys.path
    from hand_made import citation  # type: ignore[no-redef]


def crossref_record(doi: str, *, cites: Sequence[str | None] = (), declared: int | None = None,
                    title: str | None = None, year: int | None = None, source: str = "crossref") -> ParsedWork:
    """A hand-made unit-fixture record in Crossref's shape (not Crossref data); None in ``cites``: an entry
    without DOI."""
    record: dict[str, Any] = {"DOI": doi, "reference": [
        {"key": f"r{i}", **({"DOI": d} if d else {"unstructured": f"An entry without DOI {i}. 1990."})}
        for i, d in enumerate(cites, start=1)]}
    if declared is not None:
        record["reference-count"] = declared
    if title is not None:
        record["title"] = [title]
    if year is not None:
        record["issued"] = {"date-parts": [[year]]}
    return parse_work(record, source=source)


def openalex_record(key: str, native: str, *, cites: Sequence[str] = (), declared: int | None = None,
                    title: str | None = None, year: int | None = None) -> SourceRecord:
    """A hand-made unit-fixture record in OpenAlex's shape (not OpenAlex data)."""
    count = len(cites) if declared is None else declared
    raw = {"id": f"https://openalex.org/{native}", "title": title, "publication_year": year,
           "referenced_works": [f"https://openalex.org/{w}" for w in cites], "referenced_works_count": count}
    row = WorkRow(key, key, title, year, None, None, None, (), None, count, None, (), "openalex",
                  json.dumps(raw, sort_keys=True))
    return SourceRecord(key, "openalex", native, ParsedWork(row), referenced=tuple(cites))


#: A hand-made one-record WoS export (unit fixture): 10.5555/w cites 10.5555/a and 10.5555/b.
WOS_EXPORT = ("FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nAU Doe, J\nTI A record of an export\nPY 2001\n"
              "DI 10.5555/w\nCR Roe R, 1999, J X, V1, P2, DOI 10.5555/a\n   Poe P, 2000, J Y, V3, P4, DOI 10.5555/b\n"
              "ER\nEF\n")


@pytest.fixture
def mixed_store(tmp_path: Path) -> Iterator[Store]:
    """A hand-made unit fixture: every source, with the edges listed in the tests."""
    from citegraph.sources.importing import import_exports

    store = Store(tmp_path / "mixed.sqlite")
    store.add_works([
        # a: complete list (2 of 2); d: incomplete (2 of 3), its entry without DOI matched to c; e: complete (2 of 2)
        crossref_record("10.5555/a", cites=["10.5555/b", "10.5555/c"], declared=2,
                        title="Coffee and <i>Obesity</i>: a review", year=2019),
        crossref_record("10.5555/d", cites=["10.5555/b", None], declared=3, title="Tea drinking", year=2018),
        crossref_record("10.5555/e", cites=["10.5555/b", None], declared=2),
        crossref_record("10.5555/q", cites=["10.5555/a"], source="file:hand-made.jsonl"),
    ])
    store.add_ref_matches([("10.5555/d", 2, "10.5555/c", 0.9, "hand-made query")], threshold=0.5)
    store.add_source_records([
        openalex_record("10.5555/a", "W1", cites=["W2", "W5"], title="COFFEE AND OBESITY - A REVIEW.", year=2020),
        openalex_record("10.5555/b", "W2"),
        openalex_record("10.5555/c", "W3"),
        openalex_record("10.5555/d", "W6", cites=["W3", "W5"], declared=5, title="Coffee drinking"),
        openalex_record("10.5555/e", "W7", cites=["W5", "W8"]),
        openalex_record("10.5555/f", "W5"),
        openalex_record("openalex:W8", "W8"),
    ], [("10.5555/nf2", "10.5555/NF2")], source="openalex", reason="hand-made")
    store.add_not_found([("10.5555/nf", "10.5555/NF")], source="crossref", reason="hand-made")
    store.add_forward_citations("10.5555/a", [citation("10.5555/f", "10.5555/a"), citation("10.5555/z", "10.5555/a")],
                                source="opencitations")
    export = tmp_path / "savedrecs.txt"
    export.write_text(WOS_EXPORT, encoding="utf-8")
    import_exports(store, [export])
    with store.transaction() as conn:  # as import --enrich stores them (hand-made values)
        conn.executemany(
            "INSERT INTO field_conflicts (work, field, kept, kept_source, other, other_source) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [("10.5555/w", "year", "2001", "wos:savedrecs.txt", "2002", "crossref"),
             ("10.5555/w", "container", "J X", "wos:savedrecs.txt", "Journal X", "crossref"),
             ("10.5555/w", "title", "A record of an export", "wos:savedrecs.txt", "A Record of an Export.",
              "crossref")])
    yield store
    store.close()


def test_coverage_counts_per_source(mixed_store: Store) -> None:
    rows = {r.source: r for r in source_coverage(mixed_store)}
    assert list(rows) == ["crossref", "file", "openalex", "opencitations", "wos"]
    # crossref: a->b, a->c, d->b, e->b by DOI and d->c by a match; only it: a->c, d->b, e->b
    assert rows["crossref"] == SourceCoverage("crossref", works=3, edges=5, edges_only=3, edges_matched=1,
                                              not_found=1)
    assert rows["file"] == SourceCoverage("file", works=1, edges=1, edges_only=1)
    # openalex: a->b, a->f, d->c, d->f, e->f, e->W8; a->b and d->c are also Crossref's
    assert rows["openalex"] == SourceCoverage("openalex", works=7, edges=6, edges_only=4, not_found=1)
    assert rows["opencitations"] == SourceCoverage("opencitations", works=3, edges=2, edges_only=2)
    assert rows["wos"] == SourceCoverage("wos", works=1, edges=2, edges_only=2)
    assert rows["wos"].as_dict() == {"source": "wos", "works": 1, "edges": 2, "edges_only": 2, "edges_matched": 0,
                                     "not_found": 0}
    # the edges are those citation_edges gives: every one counted under at least one source
    assert len(mixed_store.citation_edges()) == 14


def test_edges_one_source_has_and_the_other_lacks(mixed_store: Store) -> None:
    found = source_disagreements(mixed_store)
    assert found.edges == [
        # a's OpenAlex list is complete (2 of 2) and OpenAlex knows c (W3): it lacks a->c
        EdgeDisagreement("10.5555/a", "10.5555/c", "crossref", "openalex"),
        EdgeDisagreement("10.5555/e", "10.5555/b", "crossref", "openalex"),
        # a's Crossref list is complete, no entry gives f's DOI
        EdgeDisagreement("10.5555/a", "10.5555/f", "openalex", "crossref", 0),
        # e's Crossref list is complete but has an entry without DOI: maybe the missing one
        EdgeDisagreement("10.5555/e", "10.5555/f", "openalex", "crossref", 1),
    ]
    assert found.counts["crossref_not_openalex"] == 2
    assert found.counts["openalex_not_crossref"] == 2
    assert found.counts["openalex_not_crossref_unlinked"] == 1


def test_incomplete_lists_and_unknown_ends_are_undecided(mixed_store: Store) -> None:
    counts = source_disagreements(mixed_store).counts
    # d->b: d's OpenAlex list holds 2 of its 5 references
    assert counts["crossref_not_openalex_undecided"] == 1
    # d->f: d's Crossref list holds 2 of 3 entries; e->openalex:W8: no DOI, so no Crossref entry can give it
    # (d->c is in both: d's entry without DOI was matched to c)
    assert counts["openalex_not_crossref_undecided"] == 2


def test_year_and_title_disagreements(mixed_store: Store) -> None:
    found = source_disagreements(mixed_store)
    assert found.fields == [
        FieldDisagreement("10.5555/d", "title", "Tea drinking", "crossref", "Coffee drinking", "openalex"),
        FieldDisagreement("10.5555/a", "year", 2019, "crossref", 2020, "openalex"),
        FieldDisagreement("10.5555/w", "year", 2001, "wos", 2002, "crossref"),  # stored by import --enrich
    ]
    assert (found.counts["title"], found.counts["year"]) == (1, 2)
    lines = format_disagreements(found)
    assert lines[0] == "disagreements: title 1, year 2"
    assert lines[1] == ("edges: in crossref not openalex 2 (1 undecided); "
                        "in openalex not crossref 2 (1 with entries without DOI; 2 undecided)")
    assert "year: 10.5555/a crossref 2019, openalex 2020" in lines
    assert 'title: 10.5555/d crossref "Tea drinking", openalex "Coffee drinking"' in lines
    assert "edge: 10.5555/e -> 10.5555/f in openalex, not in crossref (1 entries without DOI)" in lines
    assert json.loads(json.dumps(found.as_dict()))["fields"][1] == {
        "work": "10.5555/a", "field": "year", "value_a": 2019, "source_a": "crossref", "value_b": 2020,
        "source_b": "openalex"}


def test_limit_keeps_the_counts(mixed_store: Store) -> None:
    found = source_disagreements(mixed_store, limit=1)
    assert [f.work for f in found.fields] == ["10.5555/d", "10.5555/a"]
    assert [(e.citing, e.cited) for e in found.edges] == [("10.5555/a", "10.5555/c"), ("10.5555/a", "10.5555/f")]
    assert found.counts["year"] == 2
    lines = format_disagreements(found, limit=1)
    assert "  ... 1 more year disagreements" in lines
    assert "  ... 1 more edges in crossref not in openalex" in lines


def test_normalised_titles_that_are_equal_are_no_disagreement(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:  # hand-made unit fixture
        store.add_works([crossref_record("10.5555/a", title="CRISPR&ndash;Cas9 in <i>E.&nbsp;coli</i>: a review",
                                         year=2019),
                         crossref_record("10.5555/b", title="Müller’s state-of-the-art", year=2020)])
        store.add_source_records([openalex_record("10.5555/a", "W1", title="Crispr–Cas9 in E. coli - A Review.",
                                                  year=2019),
                                  openalex_record("10.5555/b", "W2", title="MULLERS STATE OF THE ART", year=None)],
                                 source="openalex")
        found = source_disagreements(store)
    assert found.fields == []
    assert found.counts["title"] == found.counts["year"] == 0
    assert normalise_title("CRISPR&ndash;Cas9") == normalise_title("crispr cas9") == "crisprcas9"


def test_empty_store(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        assert source_coverage(store) == []
        found = source_disagreements(store)
    assert found == Disagreements([], [], {
        "title": 0, "year": 0, "crossref_not_openalex": 0, "openalex_not_crossref": 0,
        "openalex_not_crossref_unlinked": 0, "crossref_not_openalex_undecided": 0,
        "openalex_not_crossref_undecided": 0})
    assert format_disagreements(found) == ["disagreements: none (title 0, year 0, edges 0)"]


@pytest.mark.shared
def test_openalex_edges_of_the_real_records(shared_dir: Path, tmp_path: Path) -> None:
    """The 247 real OpenAlex records: the coverage's OpenAlex edges are the (citing, cited) pairs among them."""
    from citegraph.sources.openalex import parse_openalex_work

    path = shared_dir / "openalex" / "works-openalexPro.jsonl.gz"
    if not path.is_file():
        pytest.skip(f"{path} not found: the recorded OpenAlex records are needed")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    # independently of the parser: ids and referenced_works as the records give them
    ids = {r["id"].rsplit("/", 1)[-1] for r in records}
    pairs = {(r["id"].rsplit("/", 1)[-1], w.rsplit("/", 1)[-1]) for r in records for w in r["referenced_works"]}
    expected = {(a, b) for a, b in pairs if b in ids and a != b}
    works = [parse_openalex_work(r) for r in records]
    assert len({w.key for w in works}) == len(records) == 247
    with Store(tmp_path / "openalex.sqlite") as store:
        store.add_source_records([w.source_record() for w in works], source="openalex")
        rows = {r.source: r for r in source_coverage(store)}
        found = source_disagreements(store)
    assert list(rows) == ["openalex"]
    assert rows["openalex"].works == 247
    assert rows["openalex"].edges == rows["openalex"].edges_only == len(expected) == 104
    assert found.fields == found.edges == []  # one source: nothing to compare


@pytest.mark.shared
def test_the_real_work_both_sources_give(shared_dir: Path, tmp_path: Path) -> None:
    """10.7717/peerj.4375 is in the real Crossref dump records and the real OpenAlex records: same title and
    year; the dump's reference list holds 3 of its 52 entries (incomplete), OpenAlex's 54 of 54, and neither
    work its 2 DOI entries cite has an OpenAlex record there, so its edges are undecided, not disagreements."""
    from citegraph.sources.openalex import parse_openalex_work

    crossref = shared_dir / "crossref" / "works-opencitations-index.jsonl.gz"
    openalex = shared_dir / "openalex" / "works-openalexPro.jsonl.gz"
    for path in (crossref, openalex):
        if not path.is_file():
            pytest.skip(f"{path} not found: the recorded Crossref and OpenAlex records are needed")
    with Store(tmp_path / "both.sqlite") as store:
        with gzip.open(crossref, "rt", encoding="utf-8") as fh:
            store.add_works([parse_work(json.loads(line), source=f"file:{crossref.name}") for line in fh
                             if line.strip()])
        with gzip.open(openalex, "rt", encoding="utf-8") as fh:
            store.add_source_records([parse_openalex_work(json.loads(line)).source_record() for line in fh
                                      if line.strip()], source="openalex")
        both = [r[0] for r in store.execute("SELECT r.work FROM source_records r JOIN works w ON w.doi = r.work "
                                            "WHERE w.source != 'openalex'")]
        found = source_disagreements(store)
        rows = {r.source: r for r in source_coverage(store)}
    assert both == ["10.7717/peerj.4375"]
    assert found.fields == found.edges == []
    assert found.counts["crossref_not_openalex_undecided"] == 2
    assert found.counts["openalex_not_crossref_undecided"] == 0
    assert (rows["file"].works, rows["openalex"].works, rows["openalex"].edges) == (5, 247, 104)
