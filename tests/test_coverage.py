"""Coverage figures on a small store whose answer is computed by hand."""

from __future__ import annotations

import json
from pathlib import Path

from citegraph.coverage import coverage_report, format_coverage, write_coverage
from citegraph.doi import normalize_doi
from citegraph.records import parse_work
from citegraph.seeds import Seed
from citegraph.store import Store


class _Cite:
    def __init__(self, citing: str, cited: str) -> None:
        self.citing, self.cited = normalize_doi(citing), normalize_doi(cited)
        self.oci = self.creation = self.timespan = None
        self.journal_sc = self.author_sc = None


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
    store.add_forward_citations("10.5555/s1", [_Cite(f"10.5555/citing{i}", "10.5555/s1") for i in range(4)],
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
