"""The Web of Science readers (:mod:`citegraph.sources.exports.wos`) on the real exports in ``../shared/corpora``.

Expected values were read by hand from the files (file and line quoted beside each); the record and
reference totals are the curator's measurements in each corpus's ``SOURCE.txt``. Inputs written
here are hand-made and named ``HAND_MADE_*`` (not WoS data).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from citegraph.sources.exports.model import CitedReference, ExportRead, ExportRecord
from citegraph.sources.exports.wos import parse_wos_reference, read_wos, read_wos_bib, read_wos_tab


def _read_all(directory: Path, pattern: str, reader: object) -> list[ExportRead]:
    assert callable(reader)
    paths = sorted(directory.glob(pattern))
    assert paths, f"no {pattern} in {directory}"
    return [reader(path.read_text(encoding="utf-8-sig"), path.name) for path in paths]


def _records(reads: list[ExportRead]) -> list[ExportRecord]:
    return [record for read in reads for record in read.records]


def _by_id(reads: list[ExportRead], native_id: str) -> ExportRecord:
    (record,) = [record for record in _records(reads) if record.native_id == native_id]
    return record


@pytest.fixture(scope="module")
def coffee(shared_dir: Path) -> list[ExportRead]:
    """coffee-obesity-wos: WoS plain text, 3 files."""
    return _read_all(shared_dir / "corpora" / "coffee-obesity-wos", "data_*.txt", read_wos)


@pytest.fixture(scope="module")
def crispr(shared_dir: Path) -> list[ExportRead]:
    """crispr-2017-wostab: WoS tab-delimited, 5 files."""
    return _read_all(shared_dir / "corpora" / "crispr-2017-wostab", "savedrecs (*).txt", read_wos_tab)


@pytest.fixture(scope="module")
def mortality(shared_dir: Path) -> list[ExportRead]:
    """premature-mortality-wosbib: WoS BibTeX, 3 files."""
    return _read_all(shared_dir / "corpora" / "premature-mortality-wosbib", "wos*.bib", read_wos_bib)


# --------------------------------------------------------------------------
# counts of SOURCE.txt


@pytest.mark.shared
@pytest.mark.parametrize(
    "corpus, records, references, without_cr, multi_doi",
    [
        # SOURCE.txt: 1047 records, 60950 references, 2 records without CR, 1182 "DOI [a, b]"
        ("coffee", 1047, 60950, 2, 1182),
        # SOURCE.txt: 2500 records, 146685 references, 99.8% with CR (5 without), 2552 "DOI [a, b]"
        ("crispr", 2500, 146685, 5, 2552),
        # SOURCE.txt: 1082 records, 41906 references, 12 without Cited-References. It counts 0
        # multi-DOI references because BibTeX writes the bracket as "DOI {[}a, b]": 586 of them
        # (grep -o 'DOI {\[}' wos*.bib | wc -l).
        ("mortality", 1082, 41906, 12, 586),
    ],
)
def test_counts_equal_source_txt(
    request: pytest.FixtureRequest, corpus: str, records: int, references: int, without_cr: int, multi_doi: int
) -> None:
    reads: list[ExportRead] = request.getfixturevalue(corpus)
    recs = _records(reads)
    assert [problem for read in reads for problem in read.problems] == []
    assert len(recs) == records
    assert len({record.native_id for record in recs}) == records
    assert sum(len(record.references or ()) for record in recs) == references
    assert sum(record.references is None for record in recs) == without_cr
    assert sum(len(ref.dois) > 1 for record in recs for ref in record.references or ()) == multi_doi
    # SOURCE.txt: "records with NR != CR lines" 4 / 4 / 5
    mismatched = sum(r.references is not None and r.references_count != len(r.references) for r in recs)
    assert mismatched == {"coffee": 4, "crispr": 4, "mortality": 5}[corpus]


@pytest.mark.shared
def test_bibliometrix_sample(shared_dir: Path) -> None:
    # wos_sample.txt: 8 "PT J" ... "ER" records (lines 3-688), no BOM
    path = shared_dir / "corpora" / "bibliometrix-samples" / "wos_sample.txt"
    read = read_wos(path.read_text(encoding="utf-8"), path.name)
    assert read.problems == []
    assert [record.line for record in read.records] == [3, 94, 177, 297, 365, 423, 491, 590]
    first = read.records[0]
    # lines 4-6: AU Toh, ML / TI Mapping the application ... in real / estate: a bibliometric ...
    assert first.authors == ("Toh, ML",)
    assert first.title == ("Mapping the application of Geographic Information System (GIS) in real estate: "
                           "a bibliometric analysis using bibliometrix and QGIS")
    assert first.type == "Article; Early Access"  # line 9
    # line 15: CR Amponsah M., 2024, INT J MULTIDISCIPLIN, V6
    assert first.references is not None
    assert first.references[0] == CitedReference(
        text="Amponsah M., 2024, INT J MULTIDISCIPLIN, V6", first_author="Amponsah M.", year=2024,
        source="INT J MULTIDISCIPLIN", volume="6")


# --------------------------------------------------------------------------
# records read by hand


@pytest.mark.shared
def test_plain_text_first_record(coffee: list[ExportRead]) -> None:
    # data_1_500.txt lines 3-88: the first record (PT J at line 3)
    record = _by_id(coffee, "WOS:000266522200010")  # line 84: UT WOS:000266522200010
    assert record.line == 3
    # lines 4-9: AU van Dijk, AE / Olthof, MR / Meeuse, JC / Seebus, E / Heine, RJ / van Dam, RM
    assert record.authors == ("van Dijk, AE", "Olthof, MR", "Meeuse, JC", "Seebus, E", "Heine, RJ", "van Dam, RM")
    # lines 16-17: the title continues on a second line
    assert record.title == ("Acute Effects of Decaffeinated Coffee and the Major Coffee Components "
                            "Chlorogenic Acid and Trigonelline on Glucose Tolerance")
    assert record.container == "DIABETES CARE"  # line 18
    assert record.type == "Article"  # line 20
    assert record.keywords == ("CAFFEINE", "RATS", "INHIBITORS", "GLYCEMIA", "PLASMA", "RISK")  # line 21 (ID)
    assert record.abstract is not None and record.abstract.startswith("OBJECTIVE - Coffee consumption")
    assert "\n" not in record.abstract and "Diabetes Care 32:1.023-1025, 2009" in record.abstract
    # lines 60-81: NR 15, TC 211, J9 DIABETES CARE, PY 2009, VL 32, IS 6, BP 1023, DI 10.2337/dc09-0207, WC ...
    assert (record.references_count, record.times_cited, record.source_abbrev) == (15, 211, "DIABETES CARE")
    assert (record.year, record.volume, record.issue, record.first_page) == (2009, "32", "6", "1023")
    assert record.doi == "10.2337/dc09-0207"
    assert record.subjects == ("Endocrinology & Metabolism",)
    assert record.raw["AU"] == "van Dijk, AE\nOlthof, MR\nMeeuse, JC\nSeebus, E\nHeine, RJ\nvan Dam, RM"
    assert record.raw["EP"] == "1025"
    assert record.references is not None and len(record.references) == 15  # lines 45-59
    # line 45: CR Andrade-Cetto A, 2001, J ETHNOPHARMACOL, V78, P145, DOI 10.1016/S0378-8741(01)00335-X
    assert record.references[0] == CitedReference(
        text="Andrade-Cetto A, 2001, J ETHNOPHARMACOL, V78, P145, DOI 10.1016/S0378-8741(01)00335-X",
        first_author="Andrade-Cetto A", year=2001, source="J ETHNOPHARMACOL", volume="78", page="145",
        dois=("10.1016/S0378-8741(01)00335-X",))
    # line 49: a SICI DOI with <, >, ; and #-free punctuation kept whole
    assert record.references[4].dois == ("10.1002/(SICI)1097-0010(19990301)79:3<362::AID-JSFA256>3.0.CO;2-D",)
    # line 53: Louie JCY, 2008, ASIA PAC J CLIN NUTR, V17, P657 (no DOI)
    assert record.references[8].dois == () and record.references[8].page == "657"


@pytest.mark.shared
def test_plain_text_reference_forms(coffee: list[ExportRead]) -> None:
    texts = {ref.text: ref for record in _records(coffee) for ref in record.references or ()}
    # data_1_500.txt line 823: a multi-DOI reference
    ref = texts["Ludwig IA, 2014, FOOD FUNCT, V5, P1695, DOI [10.1039/C4FO00042K, 10.1039/c4fo00042k]"]
    assert ref.dois == ("10.1039/C4FO00042K", "10.1039/c4fo00042k")
    assert (ref.first_author, ref.year, ref.source, ref.volume, ref.page) == ("Ludwig IA", 2014, "FOOD FUNCT", "5",
                                                                              "1695")
    # data_1001_1047.txt line 77: "DOI DOI", no page
    ref = texts["MORENGA LT, 2013, BMJ-BRIT MED J, V346, DOI DOI 10.1136/BMJ.E7492"]
    assert (ref.dois, ref.volume, ref.page) == (("10.1136/BMJ.E7492",), "346", None)
    # data_1001_1047.txt line 638: anonymous, no volume, "DOI DOI"
    ref = texts["[Anonymous], 2013, OB OV, DOI DOI 10.1017/S1368980023000988"]
    assert (ref.first_author, ref.year, ref.source, ref.dois) == (None, 2013, "OB OV", ("10.1017/S1368980023000988",))
    # data_1_500.txt line 4725: "DOI [x, DOI y]", the second with its own DOI word
    ref = texts["Bawazeer N.A., 2013, Int J Med Stud, V1, P104, DOI [https://doi.org/10.5195/ijms.2013.215, "
                "DOI 10.5195/IJMS.2013.215]"]
    assert ref.dois == ("https://doi.org/10.5195/ijms.2013.215", "10.5195/IJMS.2013.215")
    # data_1001_1047.txt line 80: a page with a letter, written lower-case p
    assert texts["O'Connor TM, 2006, PEDIATRICS, V118, pE1010, DOI 10.1542/peds.2005-2348"].page == "E1010"


@pytest.mark.shared
def test_tab_first_record(crispr: list[ExportRead]) -> None:
    # savedrecs (1).txt line 2 (the header is line 1), read by cutting the row at tabs
    record = _by_id(crispr, "WOS:000418594700004")
    assert record.line == 2
    assert record.authors == ("Ferrari, RG", "Panzenhagen, PHN", "Conte, CA")
    assert record.title == "Phenotypic and Genotypic Eligible Methods for Salmonella Typhimurium Source Tracking"
    assert (record.container, record.source_abbrev) == ("FRONTIERS IN MICROBIOLOGY", "FRONT MICROBIOL")
    # VL 8, IS and BP empty, AR 2587: the article number is the first page
    assert (record.year, record.volume, record.issue, record.first_page) == (2017, "8", None, "2587")
    assert (record.doi, record.type, record.times_cited, record.references_count) == (
        "10.3389/fmicb.2017.02587", "Review", 0, 209)
    assert record.keywords[:3] == ("phage typing", "antimicrobial resistance profile", "PFGE")
    assert record.subjects == ("Microbiology",)
    assert record.raw["J9"] == "FRONT MICROBIOL" and "IS" not in record.raw
    assert record.references is not None and len(record.references) == 209
    assert record.references[0] == CitedReference(
        text="Achtman M, 2012, PLOS PATHOG, V8, DOI 10.1371/journal.ppat.1002776", first_author="Achtman M",
        year=2012, source="PLOS PATHOG", volume="8", dois=("10.1371/journal.ppat.1002776",))
    # same row: "Clark CG, 2003, J CLIN MICROBIOL, V41, P27, DOI [10.1128/JCM.41.1.27-33.2003, 10.1128/JCM>41...]"
    (clark,) = [ref for ref in record.references if ref.first_author == "Clark CG"]
    assert clark.dois == ("10.1128/JCM.41.1.27-33.2003", "10.1128/JCM>41.1.27-33.2003")


@pytest.mark.shared
def test_tab_doubled_separator(crispr: list[ExportRead]) -> None:
    # savedrecs (5).txt line 115: "... DOI DOI 10.1016/J.CELL.2014.10.002;; Gupta N, 2011, ..." (NR 24, 24 items)
    record = _by_id(crispr, "WOS:000400143000054")
    assert record.line == 115 and record.references is not None and len(record.references) == 24
    green = record.references[9]
    assert green.first_author == "Green A. A." and green.dois == ("10.1016/J.CELL.2014.10.002",)
    assert record.references[10].first_author == "Gupta N"


@pytest.mark.shared
def test_bib_first_record(mortality: list[ExportRead]) -> None:
    # wos1.bib lines 2-92: @article{ WOS:000223136700007,
    record = _by_id(mortality, "WOS:000223136700007")
    assert record.line == 2
    assert record.authors == ("Olausson, PO", "Haglund, B", "Weitoft, GR", "Cnattingius, S")  # line 3
    assert record.title == "Premature death among teenage mothers"  # line 4
    assert record.container == "BJOG-AN INTERNATIONAL JOURNAL OF OBSTETRICS AND GYNAECOLOGY"  # line 5
    # lines 6-9: Year 2004, Volume 111, Number 8, Pages 793-799; line 87: Journal-ISO BJOG (no J9 in BibTeX)
    assert (record.year, record.volume, record.issue, record.first_page) == (2004, "111", "8", "793")
    assert record.source_abbrev == "BJOG"
    assert record.doi == "10.1111/j.1471-0528.2004.00248.x"  # line 45
    assert record.subjects == ("Obstetrics & Gynecology",)  # line 52: {Obstetrics \& Gynecology}
    assert record.keywords[0] == "REPORTED HEALTH-STATUS" and record.keywords[-1] == "SMOKING"  # lines 48-50
    assert record.abstract is not None and "95% confidence" in record.abstract  # line 24: 95\% confidence
    assert (record.references_count, record.times_cited, record.type) == (30, 40, "Article")  # lines 83, 84, 40
    assert record.raw["Pages"] == "793-799"
    assert record.references is not None and len(record.references) == 30  # lines 53-82
    # line 53: the "." ending each reference is the separator, not part of the DOI
    assert record.references[0] == CitedReference(
        text="ASGARD U, 1990, ACTA PSYCHIAT SCAND, V82, P115, DOI 10.1111/j.1600-0447.1990.tb01367.x",
        first_author="ASGARD U", year=1990, source="ACTA PSYCHIAT SCAND", volume="82", page="115",
        dois=("10.1111/j.1600-0447.1990.tb01367.x",))
    # line 61: ESTEVE J, 1993, FACTS FIGURES CANC E.   line 69: {*}NAT BOARD HLTH WE, 1998, CAUS DEATH 1996.
    assert record.references[8].source == "FACTS FIGURES CANC E"
    assert record.references[16].first_author == "*NAT BOARD HLTH WE"
    assert record.references[16].source == "CAUS DEATH 1996"
    # line 82, the last: WENGER NK, 1995, AM J HYPERTENS, V8, P94.}
    assert record.references[-1].page == "94"


@pytest.mark.shared
def test_bib_latex_and_bracketed_dois(mortality: list[ExportRead]) -> None:
    # wos1.bib line 30102: Title = {Avoiding 40\% of the premature deaths in each country, 2010-30: review ...
    record = _by_id(mortality, "WOS:000348044800028")
    assert record.line == 30096
    assert record.title is not None and record.title.startswith("Avoiding 40% of the premature deaths in each country")
    assert record.authors[0] == "Norheim, Ole F." and record.authors[-1] == "Peto, Richard"
    # wos1.bib line 1957 (entry WOS:000650195600004 at line 1895): DOI {[}a, DOI b].
    record = _by_id(mortality, "WOS:000650195600004")
    (ref,) = [ref for ref in record.references or () if ref.first_author == "Hanemann W. M."]
    assert ref.dois == ("10.1017/S0899367X00000702", "10.1017/S0899367X00000702")
    assert ref.text.startswith("Hanemann W. M., 1985, NE J AGR EC, V14, P1, DOI [10.1017")
    # wos1.bib line 25900 (entry WOS:A1997XE16900001 at line 25628): Mun \~{}oz N, 1989, IARC SCI PUBLICATION, V94.
    record = _by_id(mortality, "WOS:A1997XE16900001")
    (ref,) = [ref for ref in record.references or () if ref.source == "IARC SCI PUBLICATION" and ref.year == 1989]
    assert ref.first_author == "Mun ~oz N"


# --------------------------------------------------------------------------
# parse_wos_reference


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Andrade-Cetto A, 2001, J ETHNOPHARMACOL, V78, P145, DOI 10.1016/S0378-8741(01)00335-X",
         ("Andrade-Cetto A", 2001, "J ETHNOPHARMACOL", "78", "145", ("10.1016/S0378-8741(01)00335-X",))),
        # hand-made forms
        ("Smith J, 2010, J X, V2, PE128", ("Smith J", 2010, "J X", "2", "E128", ())),
        ("Smith J, 2010, PLOS ONE, V5, ARTN e123", ("Smith J", 2010, "PLOS ONE", "5", "e123", ())),
        ("Smith J, 19721, J X, V2", ("Smith J", None, "J X", "2", None, ())),  # malformed year
        ("Smith J, 0999, J X", ("Smith J", None, "J X", None, None, ())),  # out of range
        ("Smith J, J X, P7", ("Smith J", None, "J X", None, "7", ())),  # no year
        ("2002, DRUG STORE NEWS", (None, 2002, "DRUG STORE NEWS", None, None, ())),  # no author
        ("[Anonymous], 2010, WHO REPORT", (None, 2010, "WHO REPORT", None, None, ())),
        ("[No title captured]", (None, None, None, None, None, ())),
        ("Smith J, 2001, V5, P10", ("Smith J", 2001, None, "5", "10", ())),  # no source
        ("Smith J, 2001, J X, P10, V5", ("Smith J", 2001, "J X", None, "10", ())),  # page before volume
        ("DOI T, 1989, J NUTR SCI VITAMINOL, V35, P1", ("DOI T", 1989, "J NUTR SCI VITAMINOL", "35", "1", ())),
        ("Smith J, 2001, J X, V5, DOI [10.1/a, 10.1/b]", ("Smith J", 2001, "J X", "5", None, ("10.1/a", "10.1/b"))),
        ("Smith J, 2001, J X, DOI [10.1/a, DOI 10.1/b]", ("Smith J", 2001, "J X", None, None, ("10.1/a", "10.1/b"))),
        ("Smith J, 2001, J X, DOI DOI 10.1/a", ("Smith J", 2001, "J X", None, None, ("10.1/a",))),
        ("Smith J, 2001, J X, DOI [10.1/a(2000)040[0738:FHMTHE]2.0.CO;2, 10.1/b]",
         ("Smith J", 2001, "J X", None, None, ("10.1/a(2000)040[0738:FHMTHE]2.0.CO;2", "10.1/b"))),
        ("Smith J, 2001, J X, DOI [10.1/a, 10.1/b", ("Smith J", 2001, "J X", None, None, ("10.1/a", "10.1/b"))),
        # real forms (coffee-obesity-wos): a book title with commas, a bilingual [..] source, a range page
        ("Colak E, 2019, HANDBOOK OF NUTRITION, DIET, AND THE EYE, 2ND EDITION, P85, "
         "DOI 10.1016/B978-0-12-815245-4.00006-5",
         ("Colak E", 2019, "HANDBOOK OF NUTRITION, DIET, AND THE EYE, 2ND EDITION", None, "85",
          ("10.1016/B978-0-12-815245-4.00006-5",))),
        ("Shao Ming, 2016, [Zoological Research, 动物学研究], V37, P191",
         ("Shao Ming", 2016, "[Zoological Research, 动物学研究]", "37", "191", ())),
        ("El Rahman A. M. A., 2014, WORLD APPL SCI J, V29, p[7, 835]",
         ("El Rahman A. M. A.", 2014, "WORLD APPL SCI J", "29", "7", ())),
        ("Bellach B M, 1998, Gesundheitswesen, V60 Suppl 2, pS59",
         ("Bellach B M", 1998, "Gesundheitswesen", "60 Suppl 2", "S59", ())),
        ("Willett W., 2012, NUTR EPIDEMIOLOGY, VThird", ("Willett W.", 2012, "NUTR EPIDEMIOLOGY", "Third", None, ())),
        ("", (None, None, None, None, None, ())),
    ],
)
def test_parse_wos_reference(text: str, expected: tuple[object, ...]) -> None:
    ref = parse_wos_reference(text)
    assert (ref.first_author, ref.year, ref.source, ref.volume, ref.page, ref.dois) == expected
    assert ref.text == " ".join(text.split())


def test_parse_wos_reference_never_raises() -> None:
    rng = random.Random(20261202)
    alphabet = [*"ab Z09,.;[]{}()/-_:\\\t\n\"'", ", ", "DOI ", "DOI [", "V", "P", "p", "ARTN ", "10.", "]", "[",
                "2001", "19721", "\ufeff", "动", "\x00"]
    real = "Andrade-Cetto A, 2001, J ETHNOPHARMACOL, V78, P145, DOI [10.1016/S0378-8741(01)00335-X, 10.1/b]"
    for _ in range(20000):
        if rng.random() < 0.5:
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        else:  # a real reference cut and shuffled
            parts = real.split(", ")
            rng.shuffle(parts)
            text = ", ".join(parts)[: rng.randint(0, len(real))]
        ref = parse_wos_reference(text)
        assert isinstance(ref, CitedReference)
        assert ref.year is None or 1000 <= ref.year <= 2100
        assert all(ref.dois)


# --------------------------------------------------------------------------
# bad input: hand-made

HAND_MADE_RECORD = "PT J\nAU Doe, J\nTI A hand-made record\nCR Roe R, 2001, J X, V1, P2\nUT WOS:1\nER\n"
HAND_MADE_SCOPUS_CSV = 'Authors,Author full names,Title,Year\n"Doe J.","Doe, John (1)","A title",2001\n'


def test_plain_truncated_file() -> None:
    text = "FN Clarivate Analytics Web of Science\nVR 1.0\n" + HAND_MADE_RECORD + "PT J\nAU Roe, R\nTI Cut"
    read = read_wos(text, "cut.txt")
    assert [record.native_id for record in read.records] == ["WOS:1"]
    assert [str(p) for p in read.problems] == [
        "cut.txt:9: record starting at line 9 has no ER (file truncated?); skipped"]


def test_plain_missing_er_before_next_pt() -> None:
    text = "PT J\nTI No end\nUT WOS:0\n" + HAND_MADE_RECORD + "EF\n"
    read = read_wos(text, "x.txt")
    assert [(record.native_id, record.line) for record in read.records] == [("WOS:1", 4)]
    assert [str(p) for p in read.problems] == [
        "x.txt:1: record starting at line 1 has no ER before the next PT at line 4; skipped"]


def test_plain_missing_er_before_ef_and_stray_lines() -> None:
    text = HAND_MADE_RECORD.replace("UT WOS:1\n", "UT WOS:1\n!! not a tag\n") + "PT J\nTI x\nEF\n"
    read = read_wos(text, "x.txt")
    assert [record.native_id for record in read.records] == ["WOS:1"]
    assert [str(p) for p in read.problems] == [
        "x.txt:6: line is neither a tag line nor a continuation line: '!! not a tag'; ignored",
        "x.txt:8: record starting at line 8 has no ER before EF at line 10; skipped",
    ]


def test_plain_record_without_cr_and_crlf_and_bom() -> None:
    text = "\ufeffFN x\r\nPT J\r\nTI No references\r\n   at all\r\nPY 19721\r\nER\r\nEF\r\n"
    read = read_wos(text, "x.txt")
    (record,) = read.records
    assert (record.references, record.title, record.year, record.line) == (None, "No references at all", None, 2)
    assert read.problems == []


@pytest.mark.parametrize("reader, name", [(read_wos, "wos"), (read_wos_tab, "wos-tab"), (read_wos_bib, "wos-bib")])
@pytest.mark.parametrize("text", [HAND_MADE_SCOPUS_CSV, "just some random text\nwith lines\n", "", "\ufeff"])
def test_other_formats_give_one_problem(reader: object, name: str, text: str) -> None:
    assert callable(reader)
    read = reader(text, "other.csv")
    assert read.format == name and read.records == []
    assert len(read.problems) == 1
    problem = read.problems[0]
    assert problem.line == 1 and "no WoS" in problem.message and "line 1 starts with" in problem.message
    first = text.lstrip("\ufeff").split("\n")[0][:10]
    assert first in problem.message


def test_tab_bad_rows() -> None:
    header = "PT\tAU\tTI\tCR\tPY\tUT"
    text = "\n".join([
        header,
        "J\tDoe, J\tGood one\tRoe R, 2001, J X; Poe P, 2002, J Y\t2001\tWOS:1\t",  # trailing tab: fine
        "J\tDoe, J\tToo short",
        "J\tDoe, J\tToo long\t\t2001\tWOS:3\tx\ty",
        'J\t"Quoted, J\t"Quotes are text"\t\t2002\tWOS:4',  # no trailing tab, no CR
        "J\tDoe, J\tCut off in the CR\tRoe R, 20",  # truncated file
    ])
    read = read_wos_tab(text, "t.txt")
    assert [(record.native_id, record.line) for record in read.records] == [("WOS:1", 2), ("WOS:4", 5)]
    assert read.records[0].references is not None and len(read.records[0].references) == 2
    assert read.records[1].authors == ('"Quoted, J',) and read.records[1].title == '"Quotes are text"'
    assert read.records[1].references is None
    assert [str(p) for p in read.problems] == [
        "t.txt:3: row has 3 cells, the header 6; skipped",
        "t.txt:4: row has 8 cells, the header 6; skipped",
        "t.txt:6: row has 4 cells, the header 6; skipped",
    ]


def test_tab_long_cr_cell() -> None:
    # more than csv.field_size_limit() (131072 characters) in one cell
    refs = "; ".join(f"Roe R, 2001, J X, V1, P{n}, DOI 10.1/{n}" for n in range(5000))
    read = read_wos_tab(f"PT\tUT\tCR\nJ\tWOS:1\t{refs}\t\n", "t.txt")
    assert read.problems == [] and len(read.records[0].references or ()) == 5000


HAND_MADE_BIB = """
@article{ WOS:000000000000001,
Author = {M{\\"u}ller, Hans and van Dijk, A. E.},
Title = {Coffee \\& tea: {[}a review] of {\\'e}tudes},
Journal = {J X},
Year = {2001},
Article-Number = {e123},
Cited-References = {{[}Anonymous], 2010, WHO REP.
   Roe R, 2001, J X, V1, P2, DOI 10.1/a\\_b.},
Unique-ID = {WOS:000000000000001},
}
"""


def test_bib_latex_hand_made() -> None:
    read = read_wos_bib(HAND_MADE_BIB, "h.bib")
    (record,) = read.records
    assert read.problems == []
    assert record.authors == ("Müller, Hans", "van Dijk, A. E.")
    assert record.title == "Coffee & tea: [a review] of études"
    assert (record.line, record.first_page, record.year) == (2, "e123", 2001)
    assert record.references is not None
    assert [(ref.first_author, ref.source, ref.dois) for ref in record.references] == [
        (None, "WHO REP", ()), ("Roe R", "J X", ("10.1/a_b",))]
    assert record.raw["Title"] == "Coffee \\& tea: {[}a review] of {\\'e}tudes"


def test_bib_truncated_and_not_wos() -> None:
    second = HAND_MADE_BIB.replace("000000000000001", "000000000000002")
    text = (HAND_MADE_BIB + "\n@article{plainkey,\nTitle = {Not WoS},\n}\n" + "@article{ WOS:9,\nTitle = {Cut"
            + "\n" + second + "@article{ WOS:8,\nTitle = {Cut off at the end},\nYear = {20")
    read = read_wos_bib(text, "t.bib")
    assert [record.native_id for record in read.records] == ["WOS:000000000000001", "WOS:000000000000002"]
    # lines: HAND_MADE_BIB is lines 1-11, then a blank line 12, plainkey at 13, WOS:9 at 16, the second copy
    # of HAND_MADE_BIB from line 18 (its @ at 19), WOS:8 at 29
    assert [p.line for p in read.problems] == [13, 16, 29]
    assert "entry plainkey is not a WoS entry" in read.problems[0].message
    assert "entry WOS:9 starting at line 16 is not terminated" in read.problems[1].message
    assert "entry WOS:8 starting at line 29 is not terminated" in read.problems[2].message
    assert "file truncated?" in read.problems[2].message


def test_bib_unreadable_field() -> None:
    text = "@article{ WOS:7,\nTitle = {A} stray words,\nYear = {2001},\n}\n" + HAND_MADE_BIB
    read = read_wos_bib(text, "u.bib")
    assert [record.native_id for record in read.records] == ["WOS:000000000000001"]
    assert [str(p) for p in read.problems] == [
        "u.bib:1: entry WOS:7 starting at line 1 is unreadable: no 'name = value' field at "
        "'stray words,'; skipped"]


HAND_MADE_TAB = ("PT\tAU\tTI\tCR\tPY\tUT\n"
                 "J\tDoe, J\tA title\tRoe R, 2001, J X, V1, P2, DOI [10.1/a, 10.1/b]\t2001\tWOS:1\t\n")


@pytest.mark.parametrize("reader, text", [(read_wos, "FN x\nVR 1.0\n" + HAND_MADE_RECORD + "EF\n"),
                                          (read_wos_tab, HAND_MADE_TAB), (read_wos_bib, HAND_MADE_BIB)])
def test_readers_never_raise_on_damaged_files(reader: object, text: str) -> None:
    """Hand-made files cut, spliced and sprinkled with noise: problems, never an exception."""
    assert callable(reader)
    rng = random.Random(7)
    noise = ["\n", "\t", "{", "}", "@article{", "PT J\n", "ER\n", "   ", "\\", '"', "=", ",", "; ", "\r", "\ufeff"]
    for _ in range(400):
        damaged = text
        for _ in range(rng.randint(1, 4)):
            where = rng.randint(0, len(damaged))
            if rng.random() < 0.5:
                damaged = damaged[:where] + rng.choice(noise) + damaged[where:]
            else:
                damaged = damaged[:where] + damaged[where + rng.randint(1, 20):]
        read = reader(damaged, "damaged")
        assert isinstance(read, ExportRead)
        for record in read.records:
            assert record.line >= 1
        for problem in read.problems:
            assert problem.line is None or problem.line >= 1
