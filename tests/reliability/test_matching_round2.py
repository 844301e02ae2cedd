"""Issue 19, round two, cases 14 and 15: reference matching that cannot be fooled, duplicates that are one work.

Case 14: a reference is looked up only when its text can identify a work, a hit is accepted only when it agrees
with the reference (year, first author, title) and is not the citing work itself, and the requests spent on
matching are counted in the fetch report. Case 15: works with the same title and first author at different places
of a journal (volume, issue, first page) are different items, not duplicates.

The references are real: the reference lists of recorded Crossref records in ``../shared/crossref``, looked up
against the replay server, whose ranking is the word overlap of the query with the recorded records. Records
made by hand are small fixtures and named as such.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx2
import pytest
from reliability_helpers import MAILTO, server_env

from citegraph.doi import normalize_doi
from citegraph.sources.crossref import CrossrefSource
from citegraph.sources.localfiles import FileSource
from citegraph.sources.snowball import FetchReport, snowball
from citegraph.store import Store
from citegraph.store.duplicates import find_duplicates
from citegraph.store.records import parse_work

HABANERO = "works-habanero.jsonl.gz"
COMMONMETA = "works-commonmeta-py.jsonl.gz"


def match_level0(shared_dir: Path, server: Any, file: str, seed: str) -> tuple[FetchReport, list[tuple[Any, ...]],
                                                                                   set[tuple[str, str]]]:
    """Snowball one shared record (depth 1) from its file, matching its references against the replay server.

    The threshold is 1, so only the checks (not the score) can refuse a hit. Returns the report, the
    ``ref_matches`` rows ``(position, matched, score, query)`` and the matched citation edges.
    """
    with Store(":memory:") as store, CrossrefSource(server.url, MAILTO) as src:
        report = snowball(store, FileSource(shared_dir / "crossref" / file), [normalize_doi(seed)], depth=1,
                          matcher=src, match_threshold=1)
        rows = [tuple(r) for r in store.execute(
            "SELECT position, matched, score, query FROM ref_matches WHERE citing = ? ORDER BY position", (seed,))]
        edges = {(e.citing, e.cited) for e in store.citation_edges() if "crossref-match" in e.sources}
    return report, rows, edges


# -- case 14: what is sent --------------------------------------------------------------------------------------

@pytest.mark.shared
def test_references_naming_only_an_author_and_a_year_are_not_looked_up(shared_dir: Path, replay_server) -> None:
    """10.1175/jpo-d-16-0286.1 has 8 references without DOI, each an author and a year ("Kaimal 1994")."""
    report, rows, edges = match_level0(shared_dir, replay_server, HABANERO, "10.1175/jpo-d-16-0286.1")
    assert replay_server.stats["requests"] == 0 and report.requests == 0
    assert rows == [(pos, None, None, f"[not sent: an author and a year only] {text}") for pos, text in [
        (2, "BioSonics 2004"), (13, "Kaimal 1994"), (21, "Lumley 1964"), (35, "Smith 1996"),
        (39, "Soloviev 2014"), (41, "Teledyne RDI 2009"), (42, "Tennekes 1972"), (45, "Thorpe 2005")]]
    assert edges == set()
    lv0 = report.levels[0]
    assert (lv0.references_tried, lv0.references_skipped, lv0.references_matched) == (0, 8, 0)


@pytest.mark.shared
def test_a_year_alone_and_two_words_are_not_looked_up(shared_dir: Path, replay_server) -> None:
    """10.1155/2014/861942: 11 references without DOI, 3 a year alone, 3 a journal name and a year."""
    report, rows, _ = match_level0(shared_dir, replay_server, HABANERO, "10.1155/2014/861942")
    assert replay_server.stats["by_path"]["works-list"] == 5 and report.requests == 5
    not_sent = {pos: query for pos, matched, score, query in rows if query.startswith("[not sent")}
    assert not_sent == {
        2: "[not sent: 2 informative words] Quintessence International 2000",
        6: "[not sent: a year alone] 1993",
        7: "[not sent: a year alone] 1848",
        9: "[not sent: a year alone] 2007",
        14: "[not sent: 2 informative words] Pediatric Dentistry 1984",
        15: "[not sent: 2 informative words] Pediatric Dentistry 1985",
    }
    # what was sent was looked up once each, and is stored once each: none is tried again
    assert sorted(pos for pos, *_ in rows) == [2, 5, 6, 7, 9, 12, 14, 15, 17, 18, 21]
    lv0 = report.levels[0]
    assert (lv0.references_tried, lv0.references_skipped) == (5, 6)


# -- case 14: which hits are believed -------------------------------------------------------------------------

@pytest.mark.shared
def test_hits_that_disagree_with_the_reference_are_refused(shared_dir: Path, replay_server) -> None:
    """10.1145/3027385.3027428's 8 references without DOI: one is in the shared records (Scheffel's "Widget,
    widget on the wall", 2016 in the reference, 2017 in Crossref); the 7 other top hits are works of other years."""
    report, rows, edges = match_level0(shared_dir, replay_server, HABANERO, "10.1145/3027385.3027428")
    assert edges == {("10.1145/3027385.3027428", "10.1109/tlt.2016.2622268")}
    by_pos = {pos: (matched, score, query) for pos, matched, score, query in rows}
    assert by_pos[17][:2] == ("10.1109/tlt.2016.2622268", 15.0)
    assert by_pos[8] == (None, 1.0, "[rejected 10.1001/2012.jama.11153: year 2012, the reference says 2010] "
                                    "Fishbein M. Psychology Press 2010")
    assert by_pos[19] == (None, 1.0, "[rejected 10.1001/2012.jama.11164: year 2012, the reference says 1983] "
                                     "Schön D. Temple Smith 1983")
    # an unstructured reference's year is read from its text
    assert by_pos[21][2].startswith("[rejected 10.1109/tlt.2016.2622268: year 2017, the reference says 2015] "
                                    "A. Slootmaker M. Scheffel")
    assert all(matched is None for pos, (matched, _, _) in by_pos.items() if pos != 17)
    lv0 = report.levels[0]
    assert (lv0.references_tried, lv0.references_skipped, lv0.references_rejected, lv0.references_matched) == (
        8, 0, 7, 1)


@pytest.mark.shared
def test_a_hit_with_another_first_author_is_refused(shared_dir: Path, replay_server) -> None:
    """10.1371/journal.ppat.1008184 #56 (YL Tsai, 2017): the top hit is Rocamora's 2018 paper, a year apart."""
    _, rows, edges = match_level0(shared_dir, replay_server, COMMONMETA, "10.1371/journal.ppat.1008184")
    by_pos = {pos: (matched, query) for pos, matched, _, query in rows}
    assert by_pos[56][0] is None
    assert by_pos[56][1].startswith("[rejected 10.1371/journal.ppat.1006930: first author Rocamora, "
                                    "the reference says 'YL Tsai'] YL Tsai CAMP receptor protein")
    assert edges == set()


@pytest.mark.shared
def test_a_work_never_matches_itself(shared_dir: Path, replay_server) -> None:
    """10.1371/journal.ppat.1008184 #8 ("E Loh RNA thermometers in bacterial pathogens", 2018): the replay
    server's top hit for it is the citing work itself (its own title shares the words)."""
    answer = httpx2.get(f"{replay_server.url}/works", params={
        "query.bibliographic": "E Loh RNA thermometers in bacterial pathogens Microbiol Spectr 2018", "rows": "1"})
    assert answer.json()["message"]["items"][0]["DOI"].lower() == "10.1371/journal.ppat.1008184"  # the trap is real
    replay_server.reset_stats()
    _, rows, edges = match_level0(shared_dir, replay_server, COMMONMETA, "10.1371/journal.ppat.1008184")
    by_pos = {pos: matched for pos, matched, _, _ in rows}
    assert by_pos[8] != "10.1371/journal.ppat.1008184" and by_pos[8] is None
    assert not any(a == b for a, b in edges)


class FixtureMatcher:
    """A hand-made matcher (unit-test fixture): answers every query with the given hits."""

    def __init__(self, hits: list[dict[str, Any]]) -> None:
        self.hits = hits

    def match_many(self, queries: Sequence[tuple[Any, str]]) -> Iterator[tuple[Any, list[dict[str, Any]], int]]:
        for tag, _ in queries:
            yield tag, self.hits, 1


def test_the_only_hit_being_the_citing_work_is_refused(tmp_path: Path) -> None:
    # hand-made unit-test record (fixture): a reference whose only hit is the citing work
    fixture = tmp_path / "fixture.jsonl"
    fixture.write_text(json.dumps({"DOI": "10.5555/Citing", "reference": [
        {"key": "r1", "unstructured": "Doe J. A fixture study of citing oneself. J Fixtures. 2020;1:1-2."}]}) + "\n")
    own = {"DOI": "10.5555/CITING", "score": 99.0, "issued": {"date-parts": [[2020]]}}
    with Store(":memory:") as store:
        report = snowball(store, FileSource(fixture), [normalize_doi("10.5555/citing")], depth=1,
                          matcher=FixtureMatcher([own]), match_threshold=1)
        rows = [tuple(r) for r in store.execute("SELECT matched, score, query FROM ref_matches")]
    assert rows == [(None, 99.0, "[rejected 10.5555/citing: the citing work itself] "
                                 "Doe J. A fixture study of citing oneself. J Fixtures. 2020;1:1-2.")]
    assert (report.levels[0].references_rejected, report.levels[0].references_matched) == (1, 0)


# -- case 14: the requests are counted --------------------------------------------------------------------------

@pytest.mark.shared
def test_matching_requests_are_counted_and_printed(make_replay_server, run_citegraph, tmp_path: Path,
                                                   shared_dir: Path) -> None:
    """Records from a file cost no request; the 8 reference queries of 10.1145/3027385.3027428 cost 8."""
    server = make_replay_server()
    result = run_citegraph("--store", str(tmp_path / "s.sqlite"), "fetch", "10.1145/3027385.3027428",
                           "--from", str(shared_dir / "crossref" / HABANERO), "--depth", "1",
                           "--match-references", "--match-threshold", "1", env=server_env(server))
    assert result.returncode == 0, result.stderr
    assert server.stats["requests"] == 8
    assert "requests: 8 (8 to match references)" in result.stdout
    assert ("references without DOI: 1 matched, 8 looked up, 0 not looked up (cannot identify a work), "
            "7 hits refused (disagree with the reference)") in result.stdout
    with Store(tmp_path / "s.sqlite", readonly=True) as store:
        (counts,) = [json.loads(r[0]) for r in store.execute("SELECT counts FROM runs WHERE command = 'fetch'")]
    assert (counts["requests"], counts["match_requests"]) == (8, 8)


# -- case 15: duplicates ----------------------------------------------------------------------------------------

@pytest.mark.shared
def test_same_title_and_author_at_different_places_are_not_duplicates(shared_corpus: Path) -> None:
    """The shared records held 7 groups; 3 were different Archives of Dermatology items (a letter and a later one
    with the same title and author, in other volumes, issues and pages). The 4 left are one work each: an
    online-first record and its print version (whose page "1" without volume is no place in the journal),
    a preprint and its article, a report registered twice, and two versions of a blog post."""
    with Store(shared_corpus, readonly=True) as store:
        groups = find_duplicates(store.works())
    assert [(g.canonical, g.aliases) for g in groups] == [
        ("10.1001/2012.jamaophthalmol.252", ("10.1001/2013.jamaophthalmol.252",)),
        ("10.1002/ece3.2314", ("10.1101/014852",)),
        ("10.2172/10115553", ("10.2172/7118251",)),
        ("10.59350/7mtwq-q3661", ("10.59350/895qm-mnq80",)),
    ]
    grouped = {d for g in groups for d in (g.canonical, *g.aliases)}
    assert not grouped & {"10.1001/archderm.102.2.216", "10.1001/archderm.104.4.437b", "10.1001/archderm.103.5.552",
                          "10.1001/archderm.104.1.111", "10.1001/archderm.109.5.737b", "10.1001/archderm.109.4.574"}


def fixture_record(doi: str, **place: Any) -> dict[str, Any]:
    """A hand-made unit-test record (fixture, not Crossref data): one title and author, placed as given."""
    return {"DOI": doi, "type": "journal-article", "title": ["Letter: nomenclature of a fixture skin disease"],
            "issued": {"date-parts": [[1974]]}, "author": [{"family": "Fixture", "sequence": "first"}], **place}


def test_placement_rule_on_fixtures() -> None:
    def groups(*records: dict[str, Any]) -> list[tuple[str, tuple[str, ...]]]:
        with Store(":memory:") as store:
            store.add_works([parse_work(r, source="fixture") for r in records])
            return [(g.canonical, g.aliases) for g in find_duplicates(store.works())]

    a = fixture_record("10.5555/a", volume="109", issue="4", page="574")
    b = fixture_record("10.5555/b", volume="109", issue="5", page="737b-737")
    unplaced = fixture_record("10.5555/online-first", page="1")
    # different issues and pages: two items; the unplaced record cannot say which one it is
    assert groups(a, b, unplaced) == []
    # the same place, pages written differently: one item
    assert groups(a, fixture_record("10.5555/a2", volume="109", issue="4", page="574-575")) == [
        ("10.5555/a", ("10.5555/a2",))]
    # one item and its online-first record (page "1", no volume): still a pair
    assert groups(a, unplaced) == [("10.5555/a", ("10.5555/online-first",))]
    # a Crossref relation still pairs them, whatever their places
    related = {**b, "relation": {"is-version-of": [{"id-type": "doi", "id": "10.5555/a", "asserted-by": "subject"}]}}
    assert groups(a, related) == [("10.5555/a", ("10.5555/b",))]
