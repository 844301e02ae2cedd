"""``import --enrich``: imported works completed from Crossref records, disagreements kept, reruns free.

The imported side is a hand-made unit-test WoS export whose records carry the DOIs of real Crossref
records from ``../shared/crossref/works-habanero.jsonl.gz``; the source is a JSON Lines file written in
``tmp_path`` from those real records at test time (plus hand-made malformed lines, named as such).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from citegraph.doi import DOI
from citegraph.errors import SourceError
from citegraph.sources.crossref import CrossrefSource, Resolution
from citegraph.sources.enrich import enrich_imported, same_value
from citegraph.sources.importing import import_exports
from citegraph.sources.localfiles import FileSource
from citegraph.store import Store

MAILTO = "citegraph-tests@example.org"

#: Real Crossref DOIs (records in ../shared/crossref/works-habanero.jsonl.gz).
CAUSAL = "10.1002/sys.21414"  # Systems Engineering 20, 483-496; issued 2017; has an abstract
FISH = "10.7717/peerj.5066"  # PeerJ 6, e5066; issued 2018; "How many fish? Comparison of two underwater ..."
#: A hand-made DOI no source knows.
UNKNOWN = "10.5555/enrich-not-in-any-source"

#: Hand-made unit-test fixture in WoS plain-text form. Record 1 gives no abstract and no document type and
#: writes the title in capitals with other punctuation (the same title); record 2 gives another title and
#: year than Crossref (disagreements) and its own abstract; record 3 has a DOI no source knows; record 4
#: has no DOI (never asked).
HAND_MADE_WOS = f"""\ufeffFN Clarivate Analytics Web of Science
VR 1.0
PT J
AU Broniatowski, DA
   Tucker, C
TI ASSESSING CAUSAL CLAIMS ABOUT COMPLEX ENGINEERED SYSTEMS WITH QUANTITATIVE
   DATA - INTERNAL, EXTERNAL, AND CONSTRUCT VALIDITY
SO SYSTEMS ENGINEERING
J9 SYST ENG
PY 2017
VL 20
BP 483
TC 25
CR Campbell DT, 1957, PSYCHOL BULL, V54, P297
   Pearl J, 2009, CAUSALITY, P1, DOI 10.1017/CBO9780511803161
NR 2
DI {CAUSAL}
UT WOS:000000000000001
ER

PT J
AU Thanopoulou, Z
TI How many fish? Two visual sampling methods compared
SO PEERJ
J9 PEERJ
DT Article
AB An abstract written in the export.
PY 2019
VL 6
BP e5066
CR Broniatowski DA, 2017, SYST ENG, V20, P483, DOI {CAUSAL}
NR 1
DI {FISH}
UT WOS:000000000000002
ER

PT J
AU Nobody, N
TI A record whose DOI no source knows
SO JOURNAL THREE
PY 2020
DI {UNKNOWN}
UT WOS:000000000000003
ER

PT J
AU Nodoi, N
TI A record without DOI
SO JOURNAL FOUR
PY 2021
UT WOS:000000000000004
ER
EF
"""

#: Hand-made unit-test lines of a malformed source file: not JSON, and a record without a valid DOI.
HAND_MADE_BAD_LINES = ['{"DOI": "10.5555/broken", "title": [', json.dumps({"DOI": "not a doi", "title": ["x"]})]


def real_records(shared_dir: Path, dois: Iterable[str]) -> list[dict[str, Any]]:
    """The real Crossref records of ``dois``, read from the shared habanero recordings."""
    wanted = {d.lower() for d in dois}
    found: dict[str, dict[str, Any]] = {}
    with gzip.open(shared_dir / "crossref" / "works-habanero.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                record = json.loads(line)
                if record["DOI"].lower() in wanted:
                    found.setdefault(record["DOI"].lower(), record)
    assert set(found) == wanted
    return [found[d] for d in sorted(found)]


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "savedrecs.txt"
    path.write_text(HAND_MADE_WOS, encoding="utf-8")
    return path


@pytest.fixture
def source_file(shared_dir: Path, tmp_path: Path) -> Path:
    """A JSON Lines source: the two real records, with hand-made malformed lines between them."""
    first, second = real_records(shared_dir, [CAUSAL, FISH])
    path = tmp_path / "crossref.jsonl"
    path.write_text("\n".join([json.dumps(first), *HAND_MADE_BAD_LINES, json.dumps(second)]) + "\n",
                    encoding="utf-8")
    return path


class Counting:
    """A source that counts what is asked of the source it wraps."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.asked: list[str] = []

    def resolve(self, dois: Iterable[DOI]) -> Iterator[Resolution]:
        wanted = list(dois)
        self.asked += [d.key for d in wanted]
        yield from self.inner.resolve(wanted)


def conflicts(store: Store) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {(r[0], r[1]): tuple(r[2:]) for r in store.execute(
        "SELECT work, field, kept, kept_source, other, other_source FROM field_conflicts")}


def test_enrich_fills_keeps_disagreements_and_counts(export: Path, source_file: Path, shared_dir: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    crossref = {r["DOI"].lower(): r for r in real_records(shared_dir, [CAUSAL, FISH])}
    with Store(":memory:") as store:
        import_exports(store, [export])
        refs_before = {k: store.references(k) for k in (CAUSAL, FISH, "wos:000000000000004")}
        raw_before = {k: store.work(k)["raw_json"] for k in (CAUSAL, FISH)}  # type: ignore[index]
        source = FileSource(source_file)  # the malformed lines are skipped here, with a warning
        assert source.skipped == 1 and "not JSON" in caplog.text
        report = enrich_imported(store, source)

        assert (report.candidates, report.asked, report.found, report.not_found, report.bad_records) == (3, 3, 2, 1, 0)
        assert report.error is None and report.unanswered == 0

        causal = store.work(CAUSAL)
        assert causal is not None
        # filled from the real record: the abstract and the type the export did not give
        assert causal["abstract"] is not None and causal["abstract"].startswith("<jats:title>Abstract</jats:title>")
        assert "Engineers seek to design systems" in causal["abstract"]
        assert causal["type"] == "journal-article"
        # the title differs only in case and punctuation: kept as imported, no disagreement
        assert causal["title"].startswith("ASSESSING CAUSAL CLAIMS")
        # WoS's times-cited stays; Crossref's count stays in the stored record
        assert causal["is_referenced_by_count"] == 25
        stored = json.loads(store.execute("SELECT record FROM enrichments WHERE work = ?", (CAUSAL,)).fetchone()[0])
        assert stored["is-referenced-by-count"] == crossref[CAUSAL]["is-referenced-by-count"] == 17
        assert (causal["year"], causal["volume"], causal["page"], causal["container"]) == (
            2017, "20", "483", "SYSTEMS ENGINEERING")

        fish = store.work(FISH)
        assert fish is not None
        assert fish["abstract"] == "An abstract written in the export."  # never overwritten
        assert (fish["title"], fish["year"]) == ("How many fish? Two visual sampling methods compared", 2019)
        got = conflicts(store)
        assert got == {
            (FISH, "title"): ("How many fish? Two visual sampling methods compared", "wos:savedrecs.txt",
                              crossref[FISH]["title"][0], "file:crossref.jsonl"),
            (FISH, "year"): ("2019", "wos:savedrecs.txt", "2018", "file:crossref.jsonl"),
        }
        assert crossref[FISH]["title"][0].startswith("How many fish? Comparison of two underwater")
        assert store.field_conflicts_summary() == {"title": 1, "year": 1}
        assert dict(report.conflicts) == {"title": 1, "year": 1}
        assert report.fields_added["abstract"] == 1 and report.fields_added["type"] == 1
        assert report.works_changed == 1  # the fish record lacked nothing Crossref has

        # the export's reference lists and records are untouched
        assert {k: store.references(k) for k in refs_before} == refs_before
        assert {k: store.work(k)["raw_json"] for k in raw_before} == raw_before  # type: ignore[index]
        # the unknown DOI is recorded for this source, not as a not-found cited DOI
        assert [tuple(r) for r in store.execute("SELECT work, source, record FROM enrichments WHERE record IS NULL")
                ] == [(UNKNOWN, "file:crossref.jsonl", None)]
        assert store.counts()["not_found"] == 0
        assert "field_conflicts" in store.snapshot() and "enrichments" in store.snapshot()

        # a rerun asks nothing and changes nothing
        before = store.snapshot()
        counting = Counting(FileSource(source_file))
        again = enrich_imported(store, counting)
        assert counting.asked == [] and (again.asked, again.requests, again.skipped, again.reapplied) == (0, 0, 3, 0)
        assert store.snapshot() == before
        assert "3 done before" in again.summary()
        # --retry-not-found asks only the DOI this source did not know
        retried = enrich_imported(store, counting, retry_not_found=True)
        assert counting.asked == [UNKNOWN] and retried.not_found == 1
        runs = [r for r in store.runs() if r["command"] == "enrich"]
        assert [r["status"] for r in runs] == ["ok", "ok", "ok"]


def test_reimport_loses_nothing_and_costs_no_request(export: Path, source_file: Path) -> None:
    with Store(":memory:") as store:
        import_exports(store, [export])
        enrich_imported(store, FileSource(source_file))
        # a newer export (a times-cited count updated, a year corrected) is imported again: its two changed
        # records replace their works, and the filled columns go with them
        export.write_text(HAND_MADE_WOS.replace("PY 2019", "PY 2018").replace("TC 25", "TC 26"), encoding="utf-8")
        import_exports(store, [export])
        assert store.work(FISH)["abstract"] == "An abstract written in the export."  # type: ignore[index]
        assert store.work(CAUSAL)["abstract"] is None  # type: ignore[index]
        assert store.field_conflicts_summary() == {}  # the replaced works' disagreements went with them
        counting = Counting(FileSource(source_file))
        report = enrich_imported(store, counting)
        assert counting.asked == [] and report.asked == 0
        assert report.reapplied == 2
        assert store.work(CAUSAL)["abstract"] is not None  # type: ignore[index]
        assert store.work(CAUSAL)["is_referenced_by_count"] == 26  # type: ignore[index]
        assert store.field_conflicts_summary() == {"title": 1}  # the corrected year agrees now


class Scripted:
    """A source answering with given resolutions, then failing (hand-made answers for the failure paths)."""

    name = "crossref"

    def __init__(self, answers: list[Resolution], fail: bool = False) -> None:
        self.answers = answers
        self.fail = fail

    def resolve(self, dois: Iterable[DOI]) -> Iterator[Resolution]:
        list(dois)
        yield from self.answers
        if self.fail:
            raise SourceError("crossref: 5 attempts failed (hand-made failure)")


def test_unreadable_records_are_skipped_and_a_failing_source_keeps_what_it_gave(
        export: Path, shared_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    causal, fish = real_records(shared_dir, [CAUSAL, FISH])
    hand_made_bad: list[Any] = [{"title": ["a hand-made record without DOI"]}, "not a mapping",
                                {"DOI": "10.5555/not-asked"}]
    with Store(":memory:") as store:
        import_exports(store, [export])
        report = enrich_imported(store, Scripted([Resolution([*hand_made_bad, causal], [], 1)], fail=True))
        assert report.bad_records == 2 and report.found == 1 and report.requests == 1
        assert report.error is not None and "hand-made failure" in report.error
        assert report.unanswered == 2  # FISH and UNKNOWN: asked again next time
        assert "record has no DOI field" in caplog.text and "not asked" in caplog.text
        assert store.work(CAUSAL)["type"] == "journal-article"  # type: ignore[index]
        assert store.runs()[-1]["status"] == "degraded"
        assert "stopped early" in report.summary()
        # the rerun asks only what was not answered
        counting = Counting(Scripted([Resolution([fish], [])]))
        rerun = enrich_imported(store, counting)
        assert sorted(counting.asked) == sorted([FISH, UNKNOWN])
        assert (rerun.found, rerun.unanswered, rerun.error) == (1, 1, None)


def test_works_without_doi_or_not_imported_are_not_asked(tmp_path: Path, source_file: Path) -> None:
    from citegraph.store.records import parse_work

    with Store(":memory:") as store:
        # hand-made unit-test record fetched from Crossref (not imported): never enriched
        store.add_works([parse_work({"DOI": "10.5555/fetched", "title": ["F"]}, source="crossref")])
        counting = Counting(FileSource(source_file))
        report = enrich_imported(store, counting)
    assert (report.candidates, report.asked, counting.asked) == (0, 0, [])


@pytest.mark.parametrize(("name", "a", "b", "same"), [
    ("title", "ALOPECIA AREATA: A REVIEW", "Alopecia areata - a review.", True),
    ("title", "Hair loss in mice", "Hair loss in rats", False),
    ("title", "Café  au lait", "Cafe au lait", True),
    ("container", "J INVEST DERMATOL", "Journal of Investigative Dermatology", False),
    ("container", "CELL & BIOSCIENCE", "Cell and Bioscience", True),
    ("year", 2017, "2017", True),
    ("year", 2017, 2018, False),
    ("type", "journal-article", "Journal-Article", True),
    ("type", "proceedings-article", "journal-article", False),
    ("volume", "12 ", "12", True),
    ("page", "e5066", "E5066", True),
])
def test_same_value(name: str, a: Any, b: Any, same: bool) -> None:
    assert same_value(name, a, b) is same


def test_enrich_through_the_replay_server(replay_server: Any, export: Path) -> None:
    with Store(":memory:") as store, CrossrefSource(replay_server.url, MAILTO) as source:
        import_exports(store, [export])
        report = enrich_imported(store, source)
        assert (report.asked, report.found, report.not_found) == (3, 2, 1)
        assert report.requests >= 1
        assert store.work(CAUSAL)["abstract"] is not None  # type: ignore[index]
        assert store.field_conflicts_summary() == {"title": 1, "year": 1}
        again = enrich_imported(store, source)
        assert (again.asked, again.requests) == (0, 0)


def test_a_title_with_the_records_subtitle_agrees(tmp_path: Path) -> None:
    # hand-made unit-test export and record: the export writes "Title: subtitle", Crossref splits them
    export = tmp_path / "savedrecs.txt"
    export.write_text("FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nAU Doe, J\n"
                      "TI HAIR LOSS: A REVIEW OF TWIN STUDIES\nPY 2001\nDI 10.5555/sub\nUT WOS:1\nER\n"
                      "PT J\nAU Roe, R\nTI Hair loss in twins\nPY 2001\nDI 10.5555/other\nUT WOS:2\nER\nEF\n",
                      encoding="utf-8")
    records = tmp_path / "records.jsonl"
    records.write_text("\n".join(json.dumps(r) for r in [
        {"DOI": "10.5555/sub", "title": ["Hair loss"], "subtitle": ["a review of twin studies"]},
        {"DOI": "10.5555/other", "title": ["Hair loss"], "subtitle": ["a review of twin studies"]},
    ]) + "\n", encoding="utf-8")
    with Store(":memory:") as store:
        import_exports(store, [export])
        enrich_imported(store, FileSource(records))
        got = conflicts(store)
    assert list(got) == [("10.5555/other", "title")]  # neither the title nor the title and subtitle


def test_the_import_command_enriches_and_status_counts_disagreements(export: Path, source_file: Path,
                                                                      tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from citegraph.cli import cli

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    lonely = runner.invoke(cli, ["import", str(export), "--from", str(source_file), "--store", "s.sqlite"])
    assert lonely.exit_code == 2 and "--from and --retry-not-found go with --enrich" in lonely.stderr
    result = runner.invoke(cli, ["import", str(export), "--enrich", "--from", str(source_file), "--store", "s.sqlite",
                                 "--json", "-q"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["records"], data["enrich"]["asked"], data["enrich"]["found"], data["enrich"]["not_found"]) == (
        4, 3, 2, 1)
    status = runner.invoke(cli, ["status", "--store", "s.sqlite"], catch_exceptions=False)
    assert "field disagreements with Crossref: title 1, year 1 (works; the imported value is kept" in status.stdout
    again = runner.invoke(cli, ["import", str(export), "--enrich", "--from", str(source_file), "--store", "s.sqlite",
                                "--json", "-q"], catch_exceptions=False)
    assert json.loads(again.stdout)["enrich"]["asked"] == 0
