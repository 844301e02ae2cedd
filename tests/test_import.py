"""``citegraph import``: database exports into the store, references matched to records, every command after.

The real exports are in ``../shared/corpora/`` (three complete Web of Science result sets, one per WoS
format, and small Scopus, Lens and OpenAlex samples); tests that read them skip without it. The small
exports written here are hand-made unit-test fixtures, named as such.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from citegraph.cli import cli
from citegraph.sources.exports import detect_format, read_export
from citegraph.sources.importing import import_exports, match_references_locally
from citegraph.store import Store
from citegraph.store.records import parse_work

# -- hand-made unit-test fixtures --------------------------------------------------------------------------

#: A hand-made unit-test fixture in WoS plain-text form: five records, each rule of the matcher exercised.
HAND_MADE_WOS = """\ufeffFN Clarivate Analytics Web of Science
VR 1.0
PT J
AU Doe, J
TI First record
SO JOURNAL ONE
J9 J ONE
PY 2001
VL 3
BP 10
DI 10.5555/One
UT WOS:000000000000001
ER

PT J
AU Roe, R
TI Second record, without DOI
SO JOURNAL TWO
J9 J TWO
PY 2005
VL 9
BP 9
CR Doe J, 2001, J ONE, V3, P10
   Poe E, 1999, J X, V1, P1, DOI 10.5555/outside
   Doe J, 2001, J ONE, V3
   Roe R, 2005, J TWO, V9, P9
   [Anonymous], 2001, J ONE, V3, P10
NR 5
UT WOS:000000000000002
ER

PT J
AU Smith, A
TI Third record
SO JOURNAL A
J9 J A
PY 2010
VL 5
BP 1
DI 10.5555/a1
UT WOS:000000000000003
ER

PT J
AU Smith, AB
TI Fourth record, same first author, year, volume and page as the third
SO JOURNAL B
J9 J B
PY 2010
VL 5
BP 1
DI 10.5555/b1
UT WOS:000000000000004
ER

PT J
AU Lee, K
TI Fifth record
SO JOURNAL C
PY 2012
CR Smith A, 2010, J A, V5, P1
   Smith A, 2010, J C, V5, P1
   Smith A, 2010, J Q, V5, P1
   Nobody N, 2011, J N, V1, P2, DOI [10.5555/zz, 10.5555/A1]
   Roe R, 2005, J TWO, V9, P9
UT WOS:000000000000005
ER

EF
"""


@pytest.fixture
def hand_made(tmp_path: Path) -> Path:
    path = tmp_path / "savedrecs.txt"
    path.write_text(HAND_MADE_WOS, encoding="utf-8")
    return path


def edges(store: Store) -> dict[tuple[str, str], tuple[str, ...]]:
    return {(e.citing, e.cited): e.sources for e in store.citation_edges()}


def test_every_rule_of_the_matcher_on_a_hand_made_export(hand_made: Path) -> None:
    with Store(":memory:") as store:
        report = import_exports(store, [hand_made])
        got = edges(store)
        rules = {(c, p): r for c, p, r in store.execute(
            "SELECT citing, position, rule FROM ref_matches ORDER BY citing, position")}
        works = {w["doi"]: w for w in store.works()}
        seeds = {(s.doi, s.role, s.origin) for s in store.seeds()}
    assert [(f.format, f.records, f.references, f.stored, f.problems) for f in report.files] == [
        ("wos", 5, 10, 5, [])]
    # DOI first, else the WoS identifier
    assert sorted(works) == ["10.5555/a1", "10.5555/b1", "10.5555/one", "wos:000000000000002",
                             "wos:000000000000005"]
    assert works["10.5555/one"]["doi_original"] == "10.5555/One"
    assert (works["wos:000000000000002"]["first_author"], works["wos:000000000000002"]["authors"]) == (
        "Roe", ["Roe, R"])
    assert works["10.5555/one"]["source"] == "wos:savedrecs.txt"
    assert ("wos:000000000000002", "imported", "savedrecs.txt:15") in seeds
    assert got == {
        # a full key (first author, year, volume, page) fitting one record
        # (and a partial key, "Doe J, 2001, J ONE, V3", confirmed by the source: the same edge)
        ("wos:000000000000002", "10.5555/one"): ("wos-key", "wos-key+source"),
        # a DOI outside the set: an edge to a work not stored
        ("wos:000000000000002", "10.5555/outside"): ("wos",),
        # a full key fitting two records (the third and fourth): the cited source decides
        ("wos:000000000000005", "10.5555/a1"): ("wos", "wos-key+source"),
        # the key of a record without DOI
        ("wos:000000000000005", "wos:000000000000002"): ("wos-key",),
    }
    # a reference to oneself never matches; an anonymous reference is not matched by key
    assert rules == {("wos:000000000000002", 1): "wos-key", ("wos:000000000000002", 3): "wos-key+source",
                     ("wos:000000000000005", 1): "wos-key+source", ("wos:000000000000005", 5): "wos-key"}
    # "Smith A, 2010, J C" fits both records and names neither source; "J Q" likewise: ambiguous, unmatched;
    # "DOI [10.5555/zz, 10.5555/A1]" cites the record of the two
    assert report.matching.as_dict() == {
        "references": 10, "with_doi": 2, "by_doi": 1, "by_id": 0, "by_key": 4, "ambiguous": 2,
        "matched": 5, "outside": 5}


def test_importing_again_replaces_and_changes_nothing(hand_made: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        import_exports(store, [hand_made])
        first = store.snapshot()
        import_exports(store, [hand_made])
        second = store.snapshot()
        assert store.import_summary()["records"] == 5
    for table in ("works", "refs", "seeds", "ref_matches"):
        assert first[table] == second[table], table
    assert len(second["imports"]) == 2  # each import is logged


def test_import_summary_counts_the_same_either_way(hand_made: Path, tmp_path: Path) -> None:
    """The entries listed in the imported files choose how ``by_doi`` is counted, never what it counts."""
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        import_exports(store, [hand_made])
        few = store.import_summary()  # 10 entries of 5 records: looked up one by one
    with sqlite3.connect(path) as con:  # as if the files had listed many entries: counted from the works
        con.execute("UPDATE imports SET refs = 1000")
    with Store(path, readonly=True) as store:
        many = store.import_summary()
    assert (few["references"], few["with_doi"], few["by_doi"], few["by_key"], few["outside"]) == (10, 2, 1, 4, 5)
    assert many == few


def test_a_work_fetched_from_crossref_keeps_its_record(hand_made: Path) -> None:
    crossref = parse_work({"DOI": "10.5555/one", "title": ["The Crossref record"],  # hand-made fixture
                           "reference": [{"key": "r1", "DOI": "10.5555/cited"}]}, source="crossref-api")
    with Store(":memory:") as store:
        store.add_works([crossref])
        report = import_exports(store, [hand_made])
        work = store.work("10.5555/one")
        assert work is not None and (work["title"], work["source"]) == ("The Crossref record", "crossref-api")
        assert [r.cited for r in store.references("10.5555/one")] == ["10.5555/cited"]
        # the key match still reaches it: its first author is unknown to Crossref's record here, so by DOI only
        assert edges(store)[("10.5555/one", "10.5555/cited")] == ("crossref",)
    assert report.files[0].kept_existing == 1 and report.files[0].stored == 4


def test_matching_again_keeps_crossref_query_matches(hand_made: Path) -> None:
    with Store(":memory:") as store:
        import_exports(store, [hand_made])
        # a reference matched earlier by a Crossref bibliographic query (rule empty) stays as it is
        store.add_ref_matches([("wos:000000000000005", 3, "10.5555/b1", 90.0, "Smith A 2010 J Q")], threshold=50)
        counts = match_references_locally(store)
        rules = {(c, p): r for c, p, r in store.execute("SELECT citing, position, rule FROM ref_matches")}
    assert rules[("wos:000000000000005", 3)] is None
    assert counts.ambiguous == 1 and counts.by_key == 4


# -- bad files -----------------------------------------------------------------------------------------------

@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Invoke the CLI in tmp_path with a clean CITEGRAPH_* environment."""
    monkeypatch.chdir(tmp_path)
    for name in list(__import__("os").environ):
        if name.startswith("CITEGRAPH_"):
            monkeypatch.delenv(name)

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke


def error_lines(result: Any) -> list[str]:
    assert "Traceback" not in result.output + result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("citegraph: ")]


def test_a_truncated_export_keeps_its_good_records_and_exits_3(run: Any, tmp_path: Path) -> None:
    cut = HAND_MADE_WOS[:HAND_MADE_WOS.index("PT J\nAU Lee, K") + 40]  # the fifth record loses its end
    (tmp_path / "cut.txt").write_text(cut, encoding="utf-8")
    result = run("--store", "s.sqlite", "import", "cut.txt", "-q")
    assert result.exit_code == 3
    lines = error_lines(result)
    assert any(line.startswith("citegraph: cut.txt:56: ") and "ER" in line for line in lines), lines
    assert lines[-1] == "citegraph: error: 1 problem in the files (listed above); the rest was imported"
    with Store(tmp_path / "s.sqlite", readonly=True) as store:
        assert store.counts()["works"] == 4


def test_files_that_give_nothing_exit_2_naming_each(run: Any, tmp_path: Path) -> None:
    (tmp_path / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    (tmp_path / "notes.txt").write_text("my reading list\n", encoding="utf-8")
    (tmp_path / "wrong.csv").write_text('"Title","Year","Something"\n"A",2001,"x"\n', encoding="utf-8")
    result = run("--store", "s.sqlite", "-q", "import", "picture.png", "notes.txt", "wrong.csv", "--format", "scopus")
    assert result.exit_code == 2
    lines = error_lines(result)
    assert lines[0] == "citegraph: picture.png: a binary file, not an export (NUL bytes at byte 8)"
    assert lines[1].startswith("citegraph: notes.txt:1: ")
    assert lines[2].startswith("citegraph: wrong.csv:1: ") and "Source title" in lines[2]
    assert lines[-1] == "citegraph: error: nothing imported: no file gave a record (3 problems, above)"
    assert not (tmp_path / "s.sqlite").exists()  # the store this command created, left empty, is removed


def test_an_export_under_the_wrong_format_is_named(run: Any, hand_made: Path) -> None:
    result = run("--store", "s.sqlite", "import", str(hand_made), "--format", "lens", "-q")
    assert result.exit_code == 2
    assert error_lines(result)[0] == (f"citegraph: {hand_made}:1: no lens record read: the file looks like a wos "
                                      "export (Web of Science plain text (FN/VR/PT ... ER/EF, two-letter tags)); "
                                      "use --format wos or auto")


def test_an_unknown_format_is_a_usage_error(run: Any, hand_made: Path) -> None:
    result = run("import", str(hand_made), "--format", "endnote")
    assert result.exit_code == 2
    assert "'endnote' is not one of 'auto', 'wos', 'wos-tab', 'wos-bib', 'scopus', 'lens', 'openalex-csv'" in (
        result.stderr)


def test_import_json_and_status(run: Any, hand_made: Path) -> None:
    result = run("--store", "s.sqlite", "import", str(hand_made), "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["records"], data["matching"]["by_key"], data["files"][0]["format"]) == (5, 4, "wos")
    status = run("status", "--store", "s.sqlite")
    assert "imported: 5 records from 1 wos file" in status.stdout
    assert ("their references: 10 (2 with DOI); citing a stored record: 1 by DOI, 4 by key, 0 by identifier "
            "(2 ambiguous keys left unmatched); 5 cite works outside the store") in status.stdout
    as_json = json.loads(run("status", "--store", "s.sqlite", "--json").stdout)
    assert as_json["imported"]["by_key"] == 4


def test_fetch_grows_the_map_from_imported_records(run: Any, hand_made: Path, tmp_path: Path) -> None:
    crossref = tmp_path / "crossref.jsonl"  # hand-made unit-test records standing for Crossref's answers
    crossref.write_text(json.dumps({"DOI": "10.5555/outside", "title": ["Outside"],
                                    "reference": [{"key": "a", "DOI": "10.5555/deeper"}]}) + "\n")
    assert run("--store", "s.sqlite", "import", str(hand_made)).exit_code == 0
    result = run("--store", "s.sqlite", "fetch", "--from", str(crossref), "--depth", "1")
    assert result.exit_code == 0, result.stderr
    # level 0: the five imported records, all stored; level 1: the one cited DOI outside the set
    assert "level 0: 5 works, 5 already stored, 0 fetched" in result.stdout
    assert "level 1: 1 works, 0 already stored, 1 fetched" in result.stdout
    with Store(tmp_path / "s.sqlite", readonly=True) as store:
        assert store.work("10.5555/outside") is not None
        assert edges(store)[("wos:000000000000002", "10.5555/outside")] == ("wos",)


def test_detect_format_reads_content_not_names(shared_dir: Path) -> None:
    corpora = shared_dir / "corpora"
    assert detect_format((corpora / "coffee-obesity-wos" / "data_1_500.txt").read_text("utf-8-sig")) == "wos"
    assert detect_format((corpora / "crispr-2017-wostab" / "savedrecs (1).txt").read_text("utf-8-sig")) == "wos-tab"
    assert detect_format((corpora / "premature-mortality-wosbib" / "wos3.bib").read_text("utf-8-sig")) == "wos-bib"
    for name, fmt in (("scopus_sample.csv", "scopus"), ("lens_sample.csv", "lens"),
                      ("openalex_sample.csv", "openalex-csv"), ("wos_sample.txt", "wos")):
        assert read_export(corpora / "bibliometrix-samples" / name).format == fmt


# -- the real exports ----------------------------------------------------------------------------------------

#: Per corpus: the files, records and references of its SOURCE.txt, works stored.
CORPORA = {
    "coffee-obesity-wos": ("data_*.txt", 1047, 60950, 1047),
    # two records (WOS:000399835000001 at savedrecs (5).txt line 134 and WOS:000398414900001 at line 190) are
    # one article indexed twice under the DOI 10.3389/fimmu.2017.00351: one work
    "crispr-2017-wostab": ("savedrecs*.txt", 2500, 146685, 2499),
    "premature-mortality-wosbib": ("wos*.bib", 1082, 41906, 1082),
}


@pytest.fixture(scope="module")
def imported(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Any]]:
    """Each real WoS export imported once into its own store (read-only for the tests)."""
    out = {}
    for name, (pattern, *_) in CORPORA.items():
        path = tmp_path_factory.mktemp(name) / "store.sqlite"
        with Store(path) as store:
            report = import_exports(store, sorted((shared_dir / "corpora" / name).glob(pattern)))
        out[name] = (path, report)
    return out


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_real_exports_import_with_the_counts_of_their_source_txt(imported: dict[str, Any], name: str) -> None:
    path, report = imported[name]
    _, records, references, works = CORPORA[name]
    assert sum(f.records for f in report.files) == records
    assert sum(f.references for f in report.files) == references
    assert report.records == works and report.problems == []
    with Store(path, readonly=True) as store:
        assert store.counts()["works"] == works == len(store.seeds())
        assert store.import_summary()["records"] == works


def test_coffee_obesity_citations_by_doi_and_by_key(imported: dict[str, Any]) -> None:
    path, report = imported["coffee-obesity-wos"]
    # 60,950 references, 86.5% with a DOI (SOURCE.txt); 2,720 cite a record of the set by DOI (SOURCE.txt
    # counts 2,708 with the first DOI of each reference only: 12 references give the record's DOI second, in
    # "DOI [a, b]", 5 of them a record of another file of the export), 97 more by key
    assert report.matching.as_dict() == {"references": 60950, "with_doi": 52703, "by_doi": 2720, "by_id": 0,
                                         "by_key": 97, "ambiguous": 0, "matched": 2817, "outside": 58133}
    with Store(path, readonly=True) as store:
        got = edges(store)
        # data_1_500.txt line 33078: "AU Acheson, KJ ... J9 AM J CLIN NUTR, PY 2004, VL 79, BP 40", no DI,
        # UT WOS:000187569500007; data_501_1000.txt (DI 10.1002/ejlt.201600310) cites it as
        # "Acheson KJ, 2004, AM J CLIN NUTR, V79, P40" (no DOI)
        assert got[("10.1002/ejlt.201600310", "wos:000187569500007")] == ("wos-key",)
        work = store.work("wos:000187569500007")
        assert work is not None and (work["first_author"], work["year"], work["volume"], work["page"]) == (
            "Acheson", 2004, "79", "40")
        assert work["title"].startswith("Metabolic effects of caffeine in humans: lipid oxidation or futile")
        by_source: dict[tuple[str, ...], int] = {}
        for sources in got.values():
            by_source[sources] = by_source.get(sources, 0) + 1
    assert by_source[("wos-key",)] + by_source.get(("wos-key+source",), 0) == 97


def test_the_mortality_bibtex_export_matches_by_doi_and_key(imported: dict[str, Any]) -> None:
    _, report = imported["premature-mortality-wosbib"]
    assert (report.matching.references, report.matching.with_doi, report.matching.by_doi) == (41906, 29850, 1502)
    assert report.matching.by_key == 35


@pytest.mark.parametrize(("name", "fmt", "references"), [
    ("scopus_sample.csv", "scopus", 381), ("lens_sample.csv", "lens", 517), ("openalex_sample.csv", "openalex-csv", 0),
    ("wos_sample.txt", "wos", None)])
def test_the_samples_of_other_databases_import(shared_dir: Path, name: str, fmt: str, references: int | None) -> None:
    with Store(":memory:") as store:
        report = import_exports(store, [shared_dir / "corpora" / "bibliometrix-samples" / name])
        assert report.problems == [] and report.files[0].format == fmt
        assert report.records == report.files[0].records == store.counts()["works"] > 0
        if references is not None:
            assert report.files[0].references == references == store.counts()["references"]
        keys = [w["doi"] for w in store.works()]
    if fmt == "openalex-csv":
        # bibliometrix's OpenAlex sample: the first row is bibliometrix's own article
        assert "10.1016/j.joi.2017.08.007" in keys


def test_analyse_plot_export_and_report_after_an_import(shared_dir: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A real WoS export file (the last 47 records of the coffee/obesity set), imported with the CLI: every
    command works on the store, offline."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    store = ["--store", "s.sqlite"]
    export = shared_dir / "corpora" / "coffee-obesity-wos" / "data_1001_1047.txt"
    imported = runner.invoke(cli, ["import", str(export), *store, "-q"], catch_exceptions=False)
    assert imported.exit_code == 0, imported.stderr
    analysed = runner.invoke(cli, ["analyse", *store, "-o", "out", "-q"], catch_exceptions=False)
    assert analysed.exit_code == 0, analysed.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["coverage"]["works"] == 47 and summary["coverage"]["references_open"] == 2756
    rankings = (tmp_path / "out" / "rankings.csv").read_text().splitlines()
    assert len(rankings) > 100
    plotted = runner.invoke(cli, ["plot", "network", "publications", *store, "-o", "figures", "-q"],
                            catch_exceptions=False)
    assert plotted.exit_code == 0, plotted.stderr
    assert (tmp_path / "figures" / "network.png").stat().st_size > 10_000
    exported = runner.invoke(cli, ["export", *store, "--format", "ris", "-o", "works.ris", "-q"],
                             catch_exceptions=False)
    assert exported.exit_code == 0, exported.stderr
    ris = (tmp_path / "works.ris").read_text()
    # data_1001_1047.txt line 507: a record without DI (UT WOS:000311965400005), cited by its fields alone
    entry = next(e for e in ris.split("ER  - ") if "Accuracy of Energy Intake Reporting" in e)
    assert "AU  - Shaneshin, M" in entry and "VL  - 15" in entry and "SP  - 681" in entry and "PY  - 2012" in entry
    assert "DO  -" not in entry and "UR  -" not in entry
    # every work in the network view (seeds are no longer added beyond --max-nodes): the record is shown
    reported = runner.invoke(cli, ["report", *store, "-o", "report.html", "-q", "--no-figures", "--max-nodes", "5000"],
                             catch_exceptions=False)
    assert reported.exit_code == 0, reported.stderr
    html = (tmp_path / "report.html").read_text()
    assert '"WOS:000311965400005","Shaneshin 2012","Accuracy of Energy Intake Reporting' in html


def test_the_store_of_an_import_is_plain_sqlite(imported: dict[str, Any]) -> None:
    path, _ = imported["crispr-2017-wostab"]
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (formats,) = con.execute("SELECT group_concat(DISTINCT format) FROM imports").fetchone()
        (lines,) = con.execute("SELECT COUNT(*) FROM imported").fetchone()
    finally:
        con.close()
    assert (formats, lines) == ("wos-tab", 2499)


@pytest.mark.parametrize(("folder", "name", "works"), [
    ("crispr-2017-wostab", "savedrecs (1).txt", 100),  # its header and first 100 rows (a full file: 12 s)
    ("premature-mortality-wosbib", "wos3.bib", 82),
    ("bibliometrix-samples", "scopus_sample.csv", 8),
    ("bibliometrix-samples", "lens_sample.csv", 8),
    ("bibliometrix-samples", "openalex_sample.csv", 8),
])
def test_every_format_imports_then_analyses_and_reports(shared_dir: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch, folder: str, name: str,
                                                        works: int) -> None:
    """One real file of each other format, imported with the CLI, then analysed and reported."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    store = ["--store", "s.sqlite", "-q"]
    source = shared_dir / "corpora" / folder / name
    if works == 100:
        head = source.read_text("utf-8-sig").splitlines(keepends=True)[:101]
        source = tmp_path / name
        source.write_text("".join(head), encoding="utf-8")
    imported = runner.invoke(cli, ["import", str(source), *store], catch_exceptions=False)
    assert imported.exit_code == 0, imported.stderr
    analysed = runner.invoke(cli, ["analyse", *store, "-o", "out"], catch_exceptions=False)
    assert analysed.exit_code == 0, analysed.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["coverage"]["works"] == works
    reported = runner.invoke(cli, ["report", *store, "-o", "report.html", "--no-figures"], catch_exceptions=False)
    assert reported.exit_code == 0, reported.stderr
    assert "<!DOCTYPE html>" in (tmp_path / "report.html").read_text()


def test_forward_citations_are_asked_for_doi_keys_only(hand_made: Path, tmp_path: Path) -> None:
    """An imported work without DOI (wos:...) is never sent to a DOI-based citation index."""
    from citegraph.doi import DOI
    from citegraph.sources.localfiles import FileSource
    from citegraph.sources.snowball import snowball

    class Recording:  # a citation source that finds nothing and records what it was asked
        name = "opencitations"

        def __init__(self) -> None:
            self.asked: list[str] = []

        def citations_many(self, dois: Any) -> Any:
            for doi in dois:
                self.asked.append(doi.key)
                yield doi, []

    crossref = tmp_path / "crossref.jsonl"  # hand-made unit-test record
    crossref.write_text(json.dumps({"DOI": "10.5555/outside", "title": ["Outside"]}) + "\n")
    citations = Recording()
    with Store(":memory:") as store:
        import_exports(store, [hand_made])
        seeds = [DOI(s.doi, s.doi_original) for s in store.seeds()]
        snowball(store, FileSource(crossref), seeds, depth=1, direction="both", citations=citations)
    assert sorted(citations.asked) == ["10.5555/a1", "10.5555/b1", "10.5555/one"]


def test_merging_duplicates_of_a_missing_store_is_a_store_error(run: Any, tmp_path: Path) -> None:
    result = run("duplicates", "--merge", "--store", "none.sqlite")
    assert result.exit_code == 4
    assert error_lines(result) == ["citegraph: error: no store at 'none.sqlite': nothing to merge (run `citegraph "
                                   "fetch` or `citegraph import` first, or pass --store)"]
    assert not (tmp_path / "none.sqlite").exists()


def test_plot_dpi_and_rpys_start_reach_the_figures(shared_dir: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib.image

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    store = ["--store", "s.sqlite", "-q"]
    export = shared_dir / "corpora" / "coffee-obesity-wos" / "data_1001_1047.txt"
    assert runner.invoke(cli, ["import", str(export), *store], catch_exceptions=False).exit_code == 0
    sizes = {}
    for dpi in ("50", "100"):
        result = runner.invoke(cli, ["plot", "rpys", *store, "-o", f"f{dpi}", "--format", "png", "--dpi", dpi,
                                     "--rpys-from", "1990"], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        sizes[dpi] = matplotlib.image.imread(tmp_path / f"f{dpi}" / "rpys.png").shape[:2]
    assert sizes["100"][0] == 2 * sizes["50"][0] and sizes["100"][1] == 2 * sizes["50"][1]
    bad = runner.invoke(cli, ["plot", "rpys", *store, "--dpi", "5"])
    assert bad.exit_code == 2 and "--dpi" in bad.stderr


def test_the_store_knows_every_database_the_readers_credit() -> None:
    """Edges and match counts are credited by ``refs.doi_asserted_by`` against the store's list of databases."""
    from citegraph.sources.exports import DATABASES
    from citegraph.store.database import IMPORT_DATABASES

    assert set(DATABASES.values()) == set(IMPORT_DATABASES)


def test_a_reference_with_two_dois_cites_the_record_whatever_the_file_order(tmp_path: Path) -> None:
    """WoS saves a result set in files of 500: a reference giving ``DOI [a, b]`` cites b when b is a record,
    even when b's record is in a later file (it cited a, the first, when b came later: order-dependent)."""
    head = "FN Clarivate Analytics Web of Science\nVR 1.0\n"
    citing = tmp_path / "first.txt"  # hand-made unit-test exports
    citing.write_text(head + "PT J\nAU Roe, R\nTI Citing\nPY 2005\nDI 10.5555/citing\n"
                      "CR Doe J, 2001, J ONE, V3, P10, DOI [10.5555/wrong, 10.5555/record]\nER\nEF\n")
    cited = tmp_path / "second.txt"
    cited.write_text(head + "PT J\nAU Doe, J\nTI Record\nPY 2001\nDI 10.5555/record\nER\nEF\n")
    for order in ([citing, cited], [cited, citing]):
        with Store(":memory:") as store:
            report = import_exports(store, order)
            assert [r.cited for r in store.references("10.5555/citing")] == ["10.5555/record"], order
            assert report.matching.by_doi == 1
