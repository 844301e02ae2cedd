"""Coverage figures on a small store whose answer is computed by hand."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from citegraph.analysis.coverage import coverage_report, format_coverage
from citegraph.doi import normalize_doi
from citegraph.outputs.tables import write_coverage
from citegraph.sources.seeds import Seed
from citegraph.store import Store
from citegraph.store.records import parse_work
from tests.hand_made import citation


def build(store: Store) -> None:
    """Hand-made unit-test fixture (not Crossref data).

    S1 declares 5 references and deposits 4: A (stored), B (not found), and
    two without DOI, one matched above the threshold, one below. Crossref
    says 10 works cite S1; OpenCitations finds 4. S2 is not stored. S3
    declares 7 references and deposits none. A declares none.
    """
    store.add_seeds([Seed(normalize_doi(d), "<argument>", role=r) for d, r in
                     (("10.5555/s1", "seed"), ("10.5555/s2", "seed"), ("10.5555/s3", "related"))])
    s1 = {"DOI": "10.5555/S1", "references-count": 5, "is-referenced-by-count": 10, "reference": [
        {"key": "1", "DOI": "10.5555/a"}, {"key": "2", "DOI": "10.5555/b"},
        {"key": "3", "unstructured": "Smith 1990"}, {"key": "4", "unstructured": "Jones 1980"}]}
    s3 = {"DOI": "10.5555/s3", "references-count": 7, "is-referenced-by-count": 2}
    a = {"DOI": "10.5555/a", "references-count": 0}
    store.add_works([parse_work(r, source="fixture") for r in (s1, s3, a)])
    store.add_not_found([("10.5555/b", "10.5555/b")], source="crossref", reason="r")
    store.add_ref_matches([("10.5555/s1", 3, "10.5555/c", 80.0, "Smith 1990"),
                           ("10.5555/s1", 4, "10.5555/d", 20.0, "Jones 1980")], threshold=50)
    store.add_forward_citations("10.5555/s1", [citation(f"10.5555/citing{i}", "10.5555/s1") for i in range(4)],
                                source="opencitations")


def test_hand_checked_coverage(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        build(store)
        report = coverage_report(store)
    o = report["overall"]
    assert (o["works"], o["works_with_open_references"], o["works_without_open_references"]) == (3, 1, 1)
    assert (o["references_declared"], o["references_open"], o["references_open_share"]) == (12, 4, 0.3333)
    assert (o["references_with_doi"], o["references_doi_share"]) == (2, 0.5)
    assert (o["references_matched"], o["references_match_tried"], o["references_doi_or_matched_share"]) == (1, 2, 0.75)
    assert (o["cited_dois"], o["cited_dois_resolved"], o["cited_dois_not_found"], o["cited_dois_not_asked"]) == (
        2, 1, 1, 0)
    assert (o["forward_checked_works"], o["forward_citations"], o["forward_crossref_cited_by"], o["forward_share"]) == (
        1, 4, 10, 0.4)
    seeds = {s["doi"]: s for s in report["seeds"]}
    s1 = seeds["10.5555/s1"]
    assert (s1["references_open"], s1["references_count"], s1["references_open_share"]) == (4, 5, 0.8)
    assert (s1["references_with_doi"], s1["references_matched"], s1["cited_dois_resolved"],
            s1["cited_dois_not_found"]) == (2, 1, 1, 1)
    assert (s1["forward_citations"], s1["is_referenced_by_count"], s1["forward_share"]) == (4, 10, 0.4)
    assert seeds["10.5555/s2"]["stored"] is False and seeds["10.5555/s2"]["works"] == 0
    assert seeds["10.5555/s3"]["forward_share"] is None
    assert report["seeds_without_open_references"] == ["10.5555/s3"]
    assert report["seeds_not_stored"] == ["10.5555/s2"]
    assert report["not_found"] == 1 and report["opencitations_edges"] == 4


def test_written_json_is_byte_stable(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        build(store)
        a = write_coverage(coverage_report(store), tmp_path / "a" / "coverage.json").read_bytes()
        b = write_coverage(coverage_report(store), tmp_path / "b.json").read_bytes()
    assert a == b and json.loads(a)["overall"]["works"] == 3


def test_text_lines_name_the_figures(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        build(store)
        lines = format_coverage(coverage_report(store))
    text = "\n".join(lines)
    assert "references: 4 open of 12 declared (33%); 2 with DOI (50%), 1 more matched (75% with DOI or matched)" in text
    assert "forward citations: 4 found for 1 works, against 10 Crossref counts (40%)" in text
    assert "seeds without open references: 10.5555/s3" in text
    s1_line = next(line for line in lines if line.startswith("10.5555/s1"))
    assert s1_line.split() == ["10.5555/s1", "seed", "4/5", "2", "1", "1", "1", "4/10"]


def build_edge_cases(path: Path) -> None:
    """Hand-made unit-test fixture (not Crossref data), written with raw SQL to reach odd states.

    P declares 6 references and has 7 entries: Q twice, one without DOI
    (matched), N twice (not found), B (stored *and* listed as not found),
    Z (never asked). Q declares 2 and has none; B declares nothing and cites
    P. O is not stored but has entries left behind (P twice, N). P was
    checked forward twice (3 and 5 citations), Q once (0). Seeds: P, Q, and
    the unstored O and Z.
    """
    Store(path).close()
    con = sqlite3.connect(path)
    works = [("10.5555/p", "Paper P", 2001, 6, 8), ("10.5555/q", "Paper Q", 2002, 2, None),
             ("10.5555/b", None, None, None, 4)]
    con.executemany("INSERT INTO works (doi, doi_original, title, year, references_count, is_referenced_by_count,"
                    " source, fetched_at, raw_json) VALUES (?, ?, ?, ?, ?, ?, 'fixture', 't', '{}')",
                    [(d, d.upper(), t, y, n, c) for d, t, y, n, c in works])
    refs = [("10.5555/p", ["10.5555/q", "10.5555/q", None, "10.5555/n", "10.5555/b", "10.5555/z", "10.5555/n"]),
            ("10.5555/b", ["10.5555/p"]), ("10.5555/o", ["10.5555/p", "10.5555/p", "10.5555/n"])]
    con.executemany("INSERT INTO refs (citing, position, cited) VALUES (?, ?, ?)",
                    [(c, i, d) for c, cited in refs for i, d in enumerate(cited, 1)])
    con.execute("INSERT INTO ref_matches (citing, position, matched, threshold, query, matched_at)"
                " VALUES ('10.5555/p', 3, '10.5555/m', 50, 'q', 't')")
    con.executemany("INSERT INTO not_found (doi, doi_original, source, reason, first_seen, last_checked)"
                    " VALUES (?, ?, ?, 'r', 't', 't')",
                    [("10.5555/n", "10.5555/N", "crossref"), ("10.5555/n", "10.5555/N", "datacite"),
                     ("10.5555/b", "10.5555/B", "crossref")])
    con.executemany("INSERT INTO forward_checks (doi, source, citations, checked_at) VALUES (?, ?, ?, 't')",
                    [("10.5555/p", "opencitations", 3), ("10.5555/p", "other", 5), ("10.5555/q", "opencitations", 0)])
    con.executemany("INSERT INTO seeds (doi, doi_original, role, added_at) VALUES (?, ?, ?, 't')",
                    [("10.5555/p", "10.5555/P", "seed"), ("10.5555/q", "10.5555/Q", "related"),
                     ("10.5555/o", "10.5555/O", "seed"), ("10.5555/z", "10.5555/Z", None)])
    con.commit()
    con.close()


def test_edge_cases_count_distinct_dois_of_stored_works_only(tmp_path: Path) -> None:
    build_edge_cases(tmp_path / "e.sqlite")
    with Store(tmp_path / "e.sqlite", readonly=True) as store:
        report = coverage_report(store)
    # Works: P, Q, B (O's entries do not count). Cited DOIs per work: P {Q, N, B, Z}, B {P}.
    assert report["overall"] == {
        "works": 3, "works_with_open_references": 2, "works_without_open_references": 1,
        "references_declared": 8, "references_open": 8, "references_open_share": 1.0,
        "references_with_doi": 7, "references_doi_share": 0.875,
        "references_matched": 1, "references_match_tried": 1, "references_doi_or_matched_share": 1.0,
        "cited_dois": 5, "cited_dois_resolved": 3, "cited_dois_not_found": 1, "cited_dois_not_asked": 1,
        "forward_checked_works": 2, "forward_citations": 5, "forward_crossref_cited_by": 8, "forward_share": 0.625,
    }
    seeds = {s["doi"]: s for s in report["seeds"]}
    assert [s["doi"] for s in report["seeds"]] == ["10.5555/o", "10.5555/p", "10.5555/q", "10.5555/z"]
    p = seeds["10.5555/p"]
    assert (p["stored"], p["title"], p["year"], p["references_count"], p["is_referenced_by_count"]) == (
        True, "Paper P", 2001, 6, 8)
    assert (p["references_open"], p["references_open_share"], p["references_with_doi"], p["references_doi_share"]) == (
        7, 1.1667, 6, 0.8571)
    assert (p["cited_dois"], p["cited_dois_resolved"], p["cited_dois_not_found"], p["cited_dois_not_asked"]) == (
        4, 2, 1, 1)
    assert (p["forward_checked_works"], p["forward_citations"], p["forward_share"]) == (1, 5, 0.625)
    q = seeds["10.5555/q"]
    assert (q["works_without_open_references"], q["references_open_share"], q["references_doi_share"]) == (1, 0.0, None)
    assert (q["forward_checked_works"], q["forward_citations"], q["forward_crossref_cited_by"], q["forward_share"]) == (
        1, 0, 0, None)
    o = seeds["10.5555/o"]  # not stored: its leftover entries are not its figures
    assert (o["stored"], o["works"], o["references_open"], o["cited_dois"], o["references_count"]) == (
        False, 0, 0, 0, None)
    assert report["seeds_without_open_references"] == ["10.5555/q"]
    assert report["seeds_not_stored"] == ["10.5555/o", "10.5555/z"]
    assert (report["not_found"], report["opencitations_edges"]) == (2, 0)


def test_empty_store_and_store_without_references(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        empty = coverage_report(store)
        store.add_works([parse_work({"DOI": "10.5555/x", "references-count": 3}, source="fixture")])
        store.add_seeds([Seed(normalize_doi("10.5555/x"), "<argument>", role="seed")])
        bare = coverage_report(store)
    assert empty["overall"]["works"] == 0 and empty["seeds"] == [] and empty["overall"]["cited_dois"] == 0
    o = bare["overall"]
    assert (o["works"], o["works_without_open_references"], o["references_open_share"], o["cited_dois"]) == (
        1, 1, 0.0, 0)
    assert bare["seeds"][0]["cited_dois_resolved"] == 0 and bare["seeds_without_open_references"] == ["10.5555/x"]


def test_more_seeds_than_one_query_takes(tmp_path: Path) -> None:
    """Hand-made: 1,200 seeds (past SQLite's 999 bound parameters), every other one stored."""
    path = tmp_path / "many.sqlite"
    Store(path).close()
    con = sqlite3.connect(path)
    keys = [f"10.5555/s{i:04d}" for i in range(1200)]
    con.executemany("INSERT INTO seeds (doi, doi_original, added_at) VALUES (?, ?, 't')", [(k, k) for k in keys])
    con.executemany("INSERT INTO works (doi, doi_original, references_count, source, fetched_at, raw_json)"
                    " VALUES (?, ?, 1, 'fixture', 't', '{}')", [(k, k) for k in keys[::2]])
    con.executemany("INSERT INTO refs (citing, position, cited) VALUES (?, 1, ?)", [(k, keys[0]) for k in keys[::2]])
    con.commit()
    con.close()
    with Store(path, readonly=True) as store:
        report = coverage_report(store)
    assert len(report["seeds"]) == 1200 and len(report["seeds_not_stored"]) == 600
    assert all(s["cited_dois_resolved"] == 1 for s in report["seeds"] if s["stored"])
    assert report["overall"]["cited_dois_resolved"] == 600


_SUMMED = ("works", "works_with_open_references", "works_without_open_references", "references_declared",
           "references_open", "references_with_doi", "references_matched", "references_match_tried", "cited_dois",
           "cited_dois_resolved", "cited_dois_not_found", "cited_dois_not_asked", "forward_checked_works",
           "forward_citations", "forward_crossref_cited_by")


def test_overall_is_the_sum_of_per_work_figures(commonmeta_store: Path, tmp_path: Path) -> None:
    """Real data, every work made a seed: the whole-store counts (taken at once, then corrected) add up
    to the per-seed counts (taken work by work). The store has a work citing the same DOI twice."""
    path = tmp_path / "all-seeds.sqlite"
    with Store(commonmeta_store, readonly=True) as source:
        source.execute("VACUUM INTO ?", (str(path),))
    con = sqlite3.connect(path)
    con.execute("DELETE FROM seeds")
    con.execute("INSERT INTO seeds (doi, doi_original, added_at) SELECT doi, doi_original, 't' FROM works")
    repeats = con.execute("SELECT COUNT(*) FROM (SELECT citing FROM refs GROUP BY citing"
                          " HAVING COUNT(DISTINCT cited) < COUNT(cited))").fetchone()[0]
    con.commit()
    con.close()
    with Store(path, readonly=True) as store:
        report = coverage_report(store)
    assert repeats >= 1 and len(report["seeds"]) == report["overall"]["works"] == 50
    for field in _SUMMED:
        assert report["overall"][field] == sum(s[field] for s in report["seeds"]), field
