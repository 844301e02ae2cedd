"""The CSV export readers of :mod:`citegraph.sources.exports.tabular` (Scopus, Lens.org, OpenAlex).

The ``shared`` tests read the real exports in ``../shared/corpora/bibliometrix-samples/``; every expected value
there was read by hand from the file (the record is named in a comment). The other tests use small hand-made
fixtures, labelled so.
"""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

import pytest

from citegraph.sources.exports.model import CitedReference, ExportRead
from citegraph.sources.exports.tabular import (
    parse_scopus_reference,
    read_lens,
    read_openalex_csv,
    read_scopus,
    split_scopus_references,
)

SAMPLES = Path("corpora") / "bibliometrix-samples"


def _sample(shared_dir: Path, name: str) -> str:
    path = shared_dir / SAMPLES / name
    if not path.is_file():
        pytest.skip(f"{path} not found: the bibliometrix sample exports are needed")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def scopus(shared_dir: Path) -> ExportRead:
    return read_scopus(_sample(shared_dir, "scopus_sample.csv"), "scopus_sample.csv")


@pytest.fixture(scope="module")
def lens(shared_dir: Path) -> ExportRead:
    return read_lens(_sample(shared_dir, "lens_sample.csv"), "lens_sample.csv")


@pytest.fixture(scope="module")
def openalex(shared_dir: Path) -> ExportRead:
    return read_openalex_csv(_sample(shared_dir, "openalex_sample.csv"), "openalex_sample.csv")


# --- real samples ------------------------------------------------------------------------------------------------


@pytest.mark.shared
def test_scopus_sample_records(scopus: ExportRead) -> None:
    assert scopus.format == "scopus"
    assert scopus.problems == []
    assert len(scopus.records) == 8
    # one record per physical line: no cell of this sample holds a line break
    assert [r.line for r in scopus.records] == [2, 3, 4, 5, 6, 7, 8, 9]
    # first record (line 2): Liu F. et al., Digital Health 2026, no page, no art. no.
    rec = scopus.records[0]
    assert rec.native_id == "2-s2.0-105030721984"
    assert rec.doi == "10.1177/20552076261415846"
    assert rec.year == 2026
    assert rec.title == ("Quantitative analysis of studies that use artificial intelligence on spinal diseases: "
                         "A bibliometric analysis")
    assert rec.authors == ("Liu F.", "Li C.", "Liu Y.", "Li Y.")
    assert rec.container == "Digital Health"
    assert rec.source_abbrev == "Digit. Health"
    assert (rec.volume, rec.issue, rec.first_page) == ("12", None, None)
    assert rec.type == "Article"
    assert rec.times_cited == 0
    assert rec.keywords == ("Artificial intelligence", "bibliometrics", "citeSpace", "spinal diseases", "VOSviewer")
    assert rec.raw["Publisher"] == "SAGE Publications Inc."
    assert "Issue" not in rec.raw  # empty cells dropped
    assert rec.references is not None and len(rec.references) == 43
    # line 6: Zhang P. et al., Discover Oncology: "Art. No." 763 and no "Page start"
    assert scopus.records[4].first_page == "763"
    # line 3: Owusu P. et al.: "Page start" 307, "Cited by" 2
    assert (scopus.records[1].first_page, scopus.records[1].times_cited) == ("307", 2)


@pytest.mark.shared
def test_scopus_sample_reference_split(scopus: ExportRead) -> None:
    counts = [len(r.references or ()) for r in scopus.records]
    # line 3 (Owusu P. et al.): 30 references counted by hand, Flaxman S.R. ... Tijssen R.
    assert counts[1] == 30
    # line 9 (Li K. et al.): 38 references counted by hand, Pinchot J.W. ... Liu J.
    assert counts[7] == 38
    # line 2 (Liu F. et al.): 43, the first without authors ("The global epidemic of low back pain")
    assert counts[0] == 43
    # in this sample every reference ends with its "(YYYY)" group: the split gives one entry per group
    for rec in scopus.records:
        assert rec.references is not None
        assert all(ref.year is not None and ref.text.endswith(f"({ref.year})") for ref in rec.references)
        assert len(rec.references) == len(re.findall(r"\(\d{4}\)(?:; |$)", rec.raw["References"]))
    assert counts == [43, 30, 66, 34, 49, 55, 66, 38]


@pytest.mark.shared
def test_scopus_sample_reference_fields(scopus: ExportRead) -> None:
    refs = scopus.records[0].references
    assert refs is not None
    # line 2, first reference: "The global epidemic of low back pain, Lancet Rheumatol, 5, (2023)"
    assert refs[0] == CitedReference(text="The global epidemic of low back pain, Lancet Rheumatol, 5, (2023)",
                                     title="The global epidemic of low back pain", source="Lancet Rheumatol",
                                     volume="5", year=2023)
    # line 2, second: "Cheng M.; Xue Y.; Cui M., Global, regional, and national burden ..., Spine (Phila Pa 1976),
    # 50, pp. E128-E139, (2025)"
    ref = refs[1]
    assert ref.text.startswith("Cheng M.; Xue Y.; Cui M., Global, regional, and national burden of low back pain")
    assert (ref.first_author, ref.year, ref.source, ref.volume, ref.page) == (
        "Cheng M.", 2025, "Spine (Phila Pa 1976)", "50", "E128")
    assert ref.title == ("Global, regional, and national burden of low back pain: findings from the global burden "
                         "of disease study 2021 and projections to 2050")
    # line 2, last: "Chen Y.; Lin F.; Wang K., Development of a predictive model ..., Front Neurol, 15, (2024)"
    assert (refs[-1].first_author, refs[-1].source, refs[-1].volume, refs[-1].year) == (
        "Chen Y.", "Front Neurol", "15", 2024)

    # line 4 (Abdullah S.M.): initials without dots, and the authors "R SKS" and "P S" inside one reference
    refs = scopus.records[2].references
    assert refs is not None
    assert (refs[0].first_author, refs[0].source, refs[0].volume, refs[0].page, refs[0].year) == (
        "Calin GA", "N Engl J Med", "353", "1793", 2005)
    panagal = [r for r in refs if r.text.startswith("Panagal M")]
    assert [r.text for r in panagal] == [
        "Panagal M; R SKS; P S, MicroRNA21 and the various types of myeloid leukemia., Cancer Gene Ther, 25, "
        "pp. 161-6, (2018)"]
    assert (panagal[0].title, panagal[0].page) == ("MicroRNA21 and the various types of myeloid leukemia.", "161")

    # line 5 (Akdağ F.): the older form, authors joined by ", ", with volume and issue
    ref = (scopus.records[3].references or ())[0]
    assert (ref.first_author, ref.source, ref.volume, ref.page, ref.year) == (
        "Acar A. K.", "Online Journal of Music Sciences", "10", "219", 2025)
    assert ref.title is not None and ref.title.startswith("Yeni medya teknolojilerinde")

    # line 7 (Cinkara E.): a book, title and year only: "Dewey J., How we think, (1910)"
    dewey = [r for r in scopus.records[5].references or () if r.text == "Dewey J., How we think, (1910)"]
    assert dewey == [CitedReference(text="Dewey J., How we think, (1910)", first_author="Dewey J.", year=1910,
                                    title="How we think")]

    # line 8 (Tian Y.): "Feng J.; Pucella J.N.; Jang G., Clonal lineage ..., Immunity, 55, 3, pp. 405-22.e11, (2022)"
    feng = [r for r in scopus.records[6].references or () if r.text.startswith("Feng J.; Pucella J.N.")]
    assert [(r.source, r.volume, r.page, r.year) for r in feng] == [("Immunity", "55", "405", 2022)]

    # line 3 (Owusu P.): a year range inside the title is not the volume
    ref = next(r for r in scopus.records[1].references or () if r.text.startswith("Onyancha O.B."))
    assert (ref.source, ref.volume, ref.page) == ("AJLAIS", "30", "181")


@pytest.mark.shared
def test_lens_sample(lens: ExportRead) -> None:
    assert lens.format == "lens"
    assert lens.problems == []
    assert len(lens.records) == 8
    # first record (line 2): Radanliev et al., Environment systems & decisions 2020
    rec = lens.records[0]
    assert rec.line == 2
    assert rec.native_id == "000-360-106-493-122"
    assert rec.doi == "10.1007/s10669-020-09792-x"
    assert rec.year == 2020
    assert rec.title == ("Dynamic real-time risk analytics of uncontrollable states in complex internet of things "
                         "systems: cyber risk at the edge")
    assert len(rec.authors) == 10 and rec.authors[0] == "Petar Radanliev"
    assert (rec.container, rec.volume, rec.issue, rec.first_page) == ("Environment systems & decisions", "41", "2",
                                                                      "1")
    assert rec.type == "journal article"
    assert rec.times_cited == 10
    assert rec.subjects[:2] == ("Risk assessment", "Enhanced Data Rates for GSM Evolution")
    assert rec.keywords[0] == "Cyber risk regulations"
    assert rec.references is not None and len(rec.references) == 46
    assert rec.references[0] == CitedReference(text="000-928-794-577-264", native_id="000-928-794-577-264")
    assert rec.references[-1].native_id == "196-555-707-453-079"
    # line 8: Benita, Sustainable cities and society: 157 references, an ID ending in X, no issue
    rec = lens.records[6]
    assert (rec.native_id, rec.times_cited, rec.issue, rec.first_page) == ("001-152-766-697-42X", 182, None,
                                                                          "102916")
    assert rec.references is not None and len(rec.references) == 157
    assert rec.references[0].native_id == "000-242-993-796-164"
    # "PMID" is "NA" in line 3: a missing value, but kept in raw as written
    assert lens.records[1].raw["PMID"] == "NA"


@pytest.mark.shared
def test_openalex_sample(openalex: ExportRead) -> None:
    assert openalex.format == "openalex-csv"
    assert openalex.problems == []
    assert len(openalex.records) == 8
    # first record (line 2): Aria & Cuccurullo, bibliometrix, Journal of Informetrics 2017
    rec = openalex.records[0]
    assert rec.line == 2
    assert rec.native_id == "W2755950973"
    assert rec.doi == "10.1016/j.joi.2017.08.007"
    assert rec.year == 2017
    assert rec.title == "bibliometrix : An R-tool for comprehensive science mapping analysis"
    assert rec.authors == ("Massimo Aria", "Corrado Cuccurullo")
    assert rec.container == "Journal of Informetrics"
    assert rec.type == "article"
    assert rec.times_cited == 13235
    assert rec.abstract is None
    assert rec.references is None  # the download has no references column
    assert rec.raw["is_retracted"] == "False"
    # line 9: Büyükkıdık, a single author
    assert openalex.records[7].authors == ("Serap BÜYÜKKIDIK",)
    assert openalex.records[7].native_id == "W4297216055"


@pytest.mark.shared
def test_samples_read_by_the_wrong_reader(shared_dir: Path) -> None:
    lens_text = _sample(shared_dir, "lens_sample.csv")
    read = read_scopus(lens_text, "lens_sample.csv")
    assert read.records == []
    assert len(read.problems) == 1 and read.problems[0].line == 1
    assert "'Source title'" in read.problems[0].message and "'Lens ID'" in read.problems[0].message
    read = read_lens(_sample(shared_dir, "scopus_sample.csv"), "scopus_sample.csv")
    assert read.records == [] and [p.line for p in read.problems] == [1]
    assert "'Lens ID'" in read.problems[0].message and "'Authors'" in read.problems[0].message
    read = read_openalex_csv(lens_text, "lens_sample.csv")
    assert read.records == [] and [p.line for p in read.problems] == [1]


# --- hand-made fixtures: the readers ----------------------------------------------------------------------------

# hand-made fixture: a Scopus-like CSV (not Scopus data)
SCOPUS_HEADER = "Authors,Title,Year,Source title,Page start,Art. No.,DOI,Cited by,References,EID\n"


def test_bom_and_line_numbers_with_multiline_cells() -> None:
    # hand-made fixture: a byte-order mark, a title over two lines, CRLF line ends
    text = ("\ufeff" + SCOPUS_HEADER.replace("\n", "\r\n")
            + '"Li K.","A title\r\nover two lines",2020,J A,5,,10.1/a,3,,2-s2.0-1\r\n'
            + '"Wu X.",Second,2021,J B,,e7,,,,2-s2.0-2\r\n')
    read = read_scopus(text, "hand.csv")
    assert read.problems == []
    assert [(r.line, r.native_id) for r in read.records] == [(2, "2-s2.0-1"), (4, "2-s2.0-2")]
    assert read.records[0].title == "A title over two lines"
    assert read.records[0].raw["Title"] == "A title\r\nover two lines"
    assert read.records[0].references == ()  # the column exists, the cell is empty
    assert (read.records[1].first_page, read.records[1].times_cited) == ("e7", None)


def test_row_with_wrong_number_of_cells_is_skipped() -> None:
    # hand-made fixture
    text = (SCOPUS_HEADER + "A B.,One,2020,J,1,,,,,e1\nA B.,Two,2020\n"
            "A B.,Three,2020,J,1,,,,,e3,extra\nA B.,Four,2020,J,1,,,,,e4\n")
    read = read_scopus(text, "hand.csv")
    assert [r.native_id for r in read.records] == ["e1", "e4"]
    assert [(p.line, p.file) for p in read.problems] == [(3, "hand.csv"), (4, "hand.csv")]
    assert "3 cells" in read.problems[0].message and "10" in read.problems[0].message
    assert str(read.problems[0]).startswith("hand.csv:3: ")


def test_unreadable_values_are_none() -> None:
    # hand-made fixture: a year "abc", a count "many", NA cells
    text = SCOPUS_HEADER + 'NA,Title,abc,NA,NA,,NA,many,NA,e1\n'
    rec = read_scopus(text, "hand.csv").records[0]
    assert (rec.year, rec.times_cited, rec.container, rec.doi, rec.first_page, rec.authors) == (
        None, None, None, None, None, ())
    assert rec.references == ()
    assert rec.raw["Year"] == "abc"


def test_no_references_column_gives_none() -> None:
    # hand-made fixture
    read = read_scopus("Title,Source title,EID\nT,J,e1\n", "hand.csv")
    assert read.records[0].references is None


def test_wrong_columns_and_empty_files() -> None:
    # hand-made fixture: a Lens-like header given to the Scopus reader
    read = read_scopus("Lens ID,Title,Source Title\n000-000-000-000-001,T,J\n", "x.csv")
    assert read.records == [] and len(read.problems) == 1
    assert read.problems[0].line == 1
    msg = read.problems[0].message
    assert "'Source title'" in msg and "'Lens ID', 'Title', 'Source Title'" in msg
    for text in ("", "\ufeff", "\n\n"):
        read = read_lens(text, "empty.csv")
        assert read.records == [] and len(read.problems) == 1
    # a tab-delimited file: one header cell holding tabs
    read = read_openalex_csv("PT\tAU\tTI\nJ\tX\tY\n", "wos.txt")
    assert read.records == [] and read.problems[0].line == 1 and "'PT\\tAU\\tTI'" in read.problems[0].message


def test_rows_without_identity_are_skipped() -> None:
    # hand-made fixture: a row with only a year, and a row of empty cells
    text = SCOPUS_HEADER + ",,2020,,,,,,,\n,,,,,,,,,\nA B.,Kept,2020,J,,,,,,e2\n"
    read = read_scopus(text, "hand.csv")
    assert [r.native_id for r in read.records] == ["e2"]
    assert [p.line for p in read.problems] == [2]


def test_broken_quotes_and_nul_do_not_raise() -> None:
    # hand-made fixture
    for text in (SCOPUS_HEADER + 'A,"unclosed,2020,J,1,,,,,e1\n', SCOPUS_HEADER + "A,B\x00C,2020,J,1,,,,,e1\n",
                 SCOPUS_HEADER + '"A"x,"B"",2020\n', '"' * 1001, "\x00\x00", "\r\r\r"):
        read = read_scopus(text, "bad.csv")
        assert isinstance(read, ExportRead)
        assert all(r.title for r in read.records)


def test_large_reference_cell_and_field_limit_restored() -> None:
    # hand-made fixture: 4,000 references, over the csv module's 131,072-character default limit
    limit = csv.field_size_limit()
    refs = "; ".join(f"Au{i} B.; Bu{i} C., Title number {i}, J Test, {i}, pp. {i}-{i + 5}, (2001)" for i in range(4000))
    assert len(refs) > 131_072
    read = read_scopus(SCOPUS_HEADER + f'A B.,Big,2020,J,,,,,"{refs}",e1\n', "big.csv")
    assert read.problems == []
    got = read.records[0].references
    assert got is not None and len(got) == 4000
    assert (got[3999].first_author, got[3999].volume, got[3999].page) == ("Au3999 B.", "3999", "3999")
    assert csv.field_size_limit() == limit


def test_lens_hand_made() -> None:
    # hand-made fixture: keywords, fields of study, a bad reference id, an empty reference list
    text = ("Lens ID,Title,Publication Year,Author/s,Fields of Study,Keywords,Citing Works Count,References\n"
            '000-000-000-000-001,One,2019,"A B; C D","F1; F2",K1; K2,7,'
            '"000-000-000-000-002; oops; 000-000-000-000-00X"\n'
            "000-000-000-000-003,Two,20x9,,,,,\n")
    read = read_lens(text, "lens.csv")
    one, two = read.records
    assert (one.authors, one.subjects, one.keywords, one.times_cited) == (("A B", "C D"), ("F1", "F2"),
                                                                          ("K1", "K2"), 7)
    assert [r.native_id for r in one.references or ()] == ["000-000-000-000-002", "000-000-000-000-00X"]
    assert [p.line for p in read.problems] == [2] and "'oops'" in read.problems[0].message
    assert (two.year, two.references) == (None, ())


def test_openalex_hand_made() -> None:
    # hand-made fixture: referenced_works present, a row whose id is not a work id
    text = ("id,display_name,doi,publication_year,authorships.author.display_name,referenced_works\n"
            "https://openalex.org/W1,One,https://doi.org/10.1/X,2020,A|B,https://openalex.org/W2|W3\n"
            "https://openalex.org/A5,Author row,,2020,,\n"
            "W4,Three,,NaN,,\n")
    read = read_openalex_csv(text, "oa.csv")
    assert [(r.native_id, r.doi, r.year) for r in read.records] == [("W1", "10.1/X", 2020), ("W4", None, None)]
    refs = read.records[0].references
    assert refs == (CitedReference(text="https://openalex.org/W2", native_id="W2"),
                    CitedReference(text="W3", native_id="W3"))
    assert read.records[0].authors == ("A", "B")
    assert read.records[1].references == ()
    assert [p.line for p in read.problems] == [3]


# --- hand-made fixtures: Scopus references ----------------------------------------------------------------------


def test_split_keeps_older_comma_forms_whole() -> None:
    # hand-made fixtures
    assert split_scopus_references(
        "Smith J., Jones K., Title A, Src, 1, pp. 1-2, (1999); Brown A., Title B, Src2, 3, (2001)") == [
        "Smith J., Jones K., Title A, Src, 1, pp. 1-2, (1999)", "Brown A., Title B, Src2, 3, (2001)"]
    assert split_scopus_references("Smith, J., Title A (1999) Src, 1, pp. 1-2;  Brown, A., Title B (2001) Src2") == [
        "Smith, J., Title A (1999) Src, 1, pp. 1-2", "Brown, A., Title B (2001) Src2"]
    assert split_scopus_references("") == []
    assert split_scopus_references("; ;") == []
    # a bare name at the end, not followed by an author, stays an entry of its own
    assert split_scopus_references("Wu X., T, J, 1, (2000); Anonymous A.") == ["Wu X., T, J, 1, (2000)",
                                                                               "Anonymous A."]


@pytest.mark.parametrize("text, expected", [
    # hand-made fixtures, one per form
    ("Lotka, A.J., The frequency distribution of scientific productivity (1926) J. Wash. Acad. Sci., 16, "
     "pp. 317-323",
     ("Lotka, A.J.", 1926, "The frequency distribution of scientific productivity", "J. Wash. Acad. Sci.", "16",
      "317", ())),
    ("Smith J., Jones K., Deep nets, Nature, 521, 7553, pp. 436-444, (2015), DOI 10.1038/nature14539",
     ("Smith J.", 2015, "Deep nets", "Nature", "521", "436", ("10.1038/nature14539",))),
    ("Li T., X, J Y, 3, (2020), doi:10.1016/S0140-6736(20)30183-5.",
     ("Li T.", 2020, "X", "J Y", "3", None, ("10.1016/S0140-6736(20)30183-5",))),
    ("Kim H., Some title, Some journal, 12, art. no. e123, (2019)",
     ("Kim H.", 2019, "Some title", "Some journal", "12", "e123", ())),
    ("Xiong B.; Yang C., Sarcopenia, Acad Radiol, 30, Suppl 1, pp. S246-56, (2023)",
     ("Xiong B.", 2023, "Sarcopenia", "Acad Radiol", "30", "S246", ())),
    ("Delikanli B., Kavramlar, Sempozyumu (28–29 Haziran 2021, İstanbul), pp. 93-104, (2021)",
     ("Delikanli B.", 2021, "Kavramlar", "Sempozyumu (28–29 Haziran 2021, İstanbul)", None, "93", ())),
    ("Schon D.A., The reflective practitioner, (1983)",
     ("Schon D.A.", 1983, "The reflective practitioner", None, None, None, ())),
    ("Some report without year", (None, None, "Some report without year", None, None, None, ())),
    ("", (None, None, None, None, None, None, ())),
])
def test_parse_scopus_reference_forms(text: str, expected: tuple[object, ...]) -> None:
    ref = parse_scopus_reference(text)
    assert ref.text == " ".join(text.split())
    assert (ref.first_author, ref.year, ref.title, ref.source, ref.volume, ref.page, ref.dois) == expected


def test_parse_scopus_reference_never_raises() -> None:
    # fuzz: random strings built from the characters and pieces that matter to the parser
    rng = random.Random(20260)
    alphabet = [*"abcXYZ. ,;:()[]-–/0123456789\t\n\x00é’'\"",
        "(2020)", "pp. ", "p. ", "art. no. ", "DOI ", "doi:", "10.1000/", "https://doi.org/", ", ", "; ", "Li M.",
        "(", ")", "((", "))", "Suppl 1", "1999–2000"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        ref = parse_scopus_reference(text)
        assert isinstance(ref, CitedReference)
        assert ref.text == " ".join(text.split())
        assert ref.year is None or 1000 <= ref.year <= 9999
        assert all(d.startswith("10.") for d in ref.dois)
        for entry in split_scopus_references(text):
            assert entry and entry == entry.strip()
    assert parse_scopus_reference("x" * 200_000).text == "x" * 200_000
