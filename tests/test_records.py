"""The Crossref record parser, on hand-made fixtures and on every shared record."""

from __future__ import annotations

import gzip
import json
import random
import re
from pathlib import Path

import pytest

from citegraph.errors import RecordError
from citegraph.store import records
from citegraph.store.records import (
    ReferenceRow,
    _clean,
    author_name,
    parse_snapshot_work,
    parse_work,
    record_year,
    reference_year,
)

WORK_FILES = (
    "works-habanero.jsonl.gz",
    "works-commonmeta-py.jsonl.gz",
    "works-oc_ds_converter.jsonl.gz",
    "works-opencitations-index.jsonl.gz",
)


def _records(shared_dir: Path) -> list[tuple[str, dict]]:
    out = []
    for name in WORK_FILES:
        with gzip.open(shared_dir / "crossref" / name, "rt", encoding="utf-8") as fh:
            out.extend((name, json.loads(line)) for line in fh if line.strip())
    return out


@pytest.fixture(scope="module")
def shared_records(shared_dir: Path) -> list[tuple[str, dict]]:
    return _records(shared_dir)


def test_every_shared_record_parses(shared_records: list[tuple[str, dict]]) -> None:
    assert len(shared_records) == 6587
    refs = with_doi = 0
    for name, rec in shared_records:
        parsed = parse_work(rec, source=f"file:{name}")
        assert parsed.work.doi == rec["DOI"].strip().lower()
        assert len(parsed.references) == len(rec.get("reference", []))
        refs += len(parsed.references)
        with_doi += sum(r.cited is not None for r in parsed.references)
    # every reference entry becomes a row; 13,596 of the 17,898 carry a DOI
    assert (refs, with_doi) == (17898, 13596)


def test_extracted_values_match_raw_json_on_a_sample(shared_records: list[tuple[str, dict]]) -> None:
    rng = random.Random(20261122)
    for _name, rec in rng.sample(shared_records, 300):
        w = parse_work(rec, source="t").work
        titles = [t for t in rec.get("title", []) if t.strip()]
        if titles:
            assert w.title == " ".join(titles[0].split())
        assert w.type == rec.get("type")
        assert w.is_referenced_by_count == rec.get("is-referenced-by-count")
        assert w.references_count == rec.get("references-count", rec.get("reference-count"))
        assert json.loads(w.raw_json) == rec
        issued = rec.get("issued", {}).get("date-parts", [[None]])[0][0]
        if issued is not None:
            assert w.year == issued
        people = [a for a in rec.get("author", []) if a.get("family") or a.get("name")]
        assert len(w.authors) == len(people)
        if rec.get("subject"):
            assert list(w.subjects) == [" ".join(s.split()) for s in rec["subject"]]


def test_record_with_empty_title_and_null_issued_date(shared_records: list[tuple[str, dict]]) -> None:
    recs = {r["DOI"]: r for _, r in shared_records}
    # a figure DOI registered with an empty title list
    w = parse_work(recs["10.1371/journal.pmed.0030277.g001"], source="t").work
    assert recs["10.1371/journal.pmed.0030277.g001"]["title"] == []
    assert w.title is None
    # a book chapter whose issued date is [[null]]
    chapter = recs["10.1007/978-1-4302-0197-7_9"]
    assert chapter["issued"] == {"date-parts": [[None]]}
    assert parse_work(chapter, source="t").work.year is None


def test_references_without_doi_keep_their_description(shared_records: list[tuple[str, dict]]) -> None:
    for _, rec in shared_records:
        entries = rec.get("reference", [])
        no_doi = [(i, e) for i, e in enumerate(entries, 1) if "DOI" not in e and "unstructured" in e]
        if no_doi:
            parsed = parse_work(rec, source="t")
            i, entry = no_doi[0]
            row = parsed.references[i - 1]
            assert row.position == i and row.cited is None
            assert row.unstructured == " ".join(entry["unstructured"].split())
            assert row.key == entry["key"]
            return
    pytest.fail("no reference without DOI in the shared data")


# -- hand-made unit-test fixtures (not Crossref data) -----------------------

def test_fixture_reference_fields() -> None:
    rec = {
        "DOI": "10.5555/Fixture.1",
        "reference-count": 3,
        "reference": [
            {"key": "a", "DOI": "10.5555/X", "doi-asserted-by": "publisher", "article-title": "T",
             "journal-title": "J", "year": "2012a", "author": "Smith"},
            {"key": "b", "volume-title": "A Book", "year": "n.d."},
            {"key": "c", "DOI": "not a doi"},
        ],
    }
    p = parse_work(rec, source="fixture")
    a, b, c = p.references
    assert (a.cited, a.cited_original, a.doi_asserted_by, a.year, a.first_author, a.journal_title) == (
        "10.5555/x", "10.5555/X", "publisher", 2012, "Smith", "J")
    assert (b.cited, b.journal_title, b.year) == (None, "A Book", None)
    assert (c.cited, c.cited_original) == (None, "not a doi")
    assert p.work.references_count == 3
    assert p.cited_dois == ["10.5555/x"]


def test_fixture_first_author_prefers_sequence_first() -> None:
    rec = {"DOI": "10.5555/f2", "author": [
        {"family": "Later", "given": "A", "sequence": "additional"},
        {"family": "Lead", "given": "B", "sequence": "first"},
        {"name": "Consortium X", "sequence": "additional"}]}
    w = parse_work(rec, source="fixture").work
    assert w.first_author == "Lead"
    assert w.authors == ("Later, A", "Lead, B", "Consortium X")


@pytest.mark.parametrize(
    "record, message",
    [({"title": ["x"]}, "no DOI"), ({"DOI": ""}, "no DOI"), ({"DOI": "11.1/x"}, "invalid DOI"),
     ([], "not a JSON object")],
)
def test_fixture_unparseable_records(record: object, message: str) -> None:
    with pytest.raises(RecordError, match=message):
        parse_work(record, source="fixture")  # type: ignore[arg-type]


def test_year_helpers() -> None:
    assert record_year({"published-online": {"date-parts": [[2020, 1, 2]]}}) == 2020
    assert record_year({"issued": {"date-parts": [["2019"]]}}) == 2019
    assert record_year({"issued": {}}) is None
    assert reference_year("c. 1875") == 1875
    assert reference_year(True) is None
    assert author_name({"given": "Solo"}) == "Solo"
    assert author_name({}) is None


def test_lone_surrogates_from_json_escapes_are_replaced(tmp_path) -> None:
    """JSON may carry "\\ud800" escapes; no UTF-8 database holds them (HAND-MADE record)."""
    from citegraph.store import Store

    record = json.loads('{"DOI": "10.5555/s", "title": ["half \\ud83d emoji"], "author": [{"family": "X\\udc00"}]}')
    parsed = parse_work(record, source="hand-made")
    assert parsed.work.title == "half \ufffd emoji" and parsed.work.first_author == "X\ufffd"
    assert "\\ud83d" not in parsed.work.raw_json and "\ufffd" in parsed.work.raw_json
    with Store(tmp_path / "s.sqlite") as store:
        store.add_works([parsed])
        assert store.work("10.5555/s")["title"] == "half \ufffd emoji"


def test_snapshot_parse_equals_parse_work_on_every_shared_record(shared_records: list[tuple[str, dict]]) -> None:
    """The snapshot ingester's parser gives parse_work's work and reference values on all 6,587 real records."""
    refs = 0
    for name, rec in shared_records:
        full = parse_work(rec, source=f"file:{name}")
        parsed, rows = parse_snapshot_work(rec, source=f"file:{name}")
        assert [ReferenceRow(*t) for t in rows] == list(full.references), rec.get("DOI")
        assert parsed.references == ()
        assert {k: v for k, v in vars(parsed.work).items() if k != "raw_json"} == {
            k: v for k, v in vars(full.work).items() if k != "raw_json"}
        assert parsed.notices == full.notices
        refs += len(rows)
    assert refs > 17_000


def test_snapshot_parse_replaces_lone_surrogates_as_parse_work() -> None:
    # hand-made unit record: JSON escapes can carry lone surrogates, which no UTF-8 file holds
    rec = json.loads('{"DOI": "10.5555/S", "reference": [{"key": "k\\ud800", "unstructured": "a \\udfff  b",'
                     ' "DOI": "10.5555/x\\ud801"}, {"key": "ok", "year": "2001"}]}')
    assert "\ud800" in rec["reference"][0]["key"]
    _, rows = parse_snapshot_work(rec, source="unit-test")
    assert [ReferenceRow(*t) for t in rows] == list(parse_work(rec, source="unit-test").references)
    assert rows[0][5] == "k\ufffd" and rows[0][6] == "a \ufffd b"
    assert rows[1][5:10:4] == ("ok", 2001)
    "".join(v for row in rows for v in row if isinstance(v, str)).encode("utf-8")


def test_reference_year_fast_path_equals_the_pattern() -> None:
    pattern = records._YEAR  # the pattern the fast path stands in for: if one changes, this fails
    for i in range(10_000):
        for text in (f"{i:04d}", str(i), f"{i}a", f"\u0661{i}"):
            match = pattern.search(text)
            assert reference_year(text) == (int(match.group(1)) if match else None), text


def test_clean_collapses_exactly_the_whitespace_the_pattern_does() -> None:
    spaces = [c for c in map(chr, range(0x3100)) if re.fullmatch(r"\s", c)]
    assert "\u00a0" in spaces and "\x1c" in spaces and "\u200b" not in spaces
    rnd = random.Random(7)
    for _ in range(5_000):
        text = "".join(rnd.choice([*spaces, "a", "\u00e9", "\u200b", "-"]) for _ in range(rnd.randint(0, 10)))
        expected = re.sub(r"\s+", " ", text).strip() or None
        assert _clean(text) == expected, repr(text)


def test_snapshot_parse_refuses_what_parse_work_refuses() -> None:
    # hand-made unit records: not an object, no DOI, an invalid DOI; a non-object reference entry is skipped
    for bad in (["10.5555/a"], {"title": ["x"], "reference": [{"DOI": "10.5555/b"}]},
                {"DOI": "not a doi", "reference": [{"DOI": "10.5555/b"}]}):
        with pytest.raises(RecordError) as snapshot_error:
            parse_snapshot_work(bad, source="unit-test")  # type: ignore[arg-type]
        with pytest.raises(RecordError) as work_error:
            parse_work(bad, source="unit-test")  # type: ignore[arg-type]
        assert str(snapshot_error.value) == str(work_error.value)
    record = {"DOI": "10.5555/a", "reference": ["10.5555/b", {"DOI": "10.5555/C", "year": "20199"}]}
    _, rows = parse_snapshot_work(record, source="unit-test")
    assert [(r[1], r[2], r[9]) for r in rows] == [(2, "10.5555/c", None)]  # position kept; 20199 is no year
    assert [ReferenceRow(*t) for t in rows] == list(parse_work(record, source="unit-test").references)


def test_snapshot_parse_without_surrogate_checks_gives_the_same_values(
        shared_records: list[tuple[str, dict]]) -> None:
    """``surrogate_free=True`` (the ingestion's fast path for records whose text has no surrogate escape) skips
    the checks and the record's text only: every other value equals the checked path's, record by record."""
    from dataclasses import replace

    for name, rec in shared_records:
        checked_work, checked_refs = parse_snapshot_work(rec, source="t")
        fast_work, fast_refs = parse_snapshot_work(rec, source="t", surrogate_free=True)
        assert fast_work.work.raw_json == ""
        assert replace(fast_work.work, raw_json=checked_work.work.raw_json) == checked_work.work, name
        assert fast_refs == checked_refs and fast_work.notices == checked_work.notices, name


def test_the_reference_memo_gives_each_entry_its_own_values_and_warnings(caplog: pytest.LogCaptureFixture) -> None:
    """The memo of DOI and year texts (a snapshot repeats them millions of times) must not share a problem:
    every entry with an implausible year is named, an invalid DOI stays the entry's own text (HAND-MADE record)."""
    entry_bad = {"key": "b", "DOI": "not a doi", "year": "2150"}
    entry_ok = {"key": "o", "DOI": " 10.5555/X ", "year": "1999"}
    rec = {"DOI": "10.5555/memo", "reference": [entry_bad, entry_ok, dict(entry_bad), dict(entry_ok)]}
    with caplog.at_level("WARNING", logger="citegraph.store.records"):
        for _ in range(2):  # the second pass reads everything from the memo
            _, rows = parse_snapshot_work(rec, source="unit-test")
            assert [(r[2], r[3], r[9]) for r in rows] == [(None, "not a doi", None), ("10.5555/x", "10.5555/X", 1999),
                                                          (None, "not a doi", None), ("10.5555/x", "10.5555/X", 1999)]
    named = " ".join(r.getMessage() for r in caplog.records)
    assert named.count("reference 1 year '2150'") == 2 and named.count("reference 3 year '2150'") == 2
