"""Tests for citegraph.sources.seeds: seed files in every format, arguments, rejections."""

from __future__ import annotations

import gzip
import logging
import os
import sys
from pathlib import Path

import pytest

from citegraph.doi import normalize_doi
from citegraph.sources.seeds import (
    ARGUMENT_SOURCE,
    MAX_LINE_LENGTH,
    Rejection,
    Seed,
    SeedLoad,
    load_seeds,
    read_seed_file,
)

REPO = Path(__file__).resolve().parents[1]
SEEDS_TXT = REPO / "seeds" / "alopecia-areata.txt"
SHARED_TSV = REPO.parent / "shared" / "seeds" / "alopecia-areata.tsv"
ALOPECIA_KEYS = [
    "10.3390/ijerph18147338",
    "10.1111/jdv.14987",
    "10.1111/ijd.13612",
    "10.3389/fneur.2017.00569",
    "10.1212/nxi.0000000000000454",
    "10.1111/ddg.14448",
]
ALOPECIA_ROLES = ["seed", "related", "related", "topical", "topical", "topical"]


def write(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> str:
    """Write a fixture file and return its path as a string."""
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode(encoding)
    path.write_bytes(content)
    return str(path)


def keys(load: SeedLoad) -> list[str]:
    return [doi.key for doi in load.dois]


def where(load: SeedLoad) -> list[tuple[str, int | None]]:
    return [(rejection.source, rejection.line) for rejection in load.rejected]


# --------------------------------------------------------------------------
# Data classes


def test_rejection_str() -> None:
    assert str(Rejection("10.abc/x", "not numeric", "a.txt", 3)) == "a.txt:3: '10.abc/x': not numeric"
    assert str(Rejection("x", "no such file", ARGUMENT_SOURCE)) == "<argument>: 'x': no such file"
    long = Rejection("y" * 200, "too long", "a.txt", 1)
    assert str(long) == "a.txt:1: '" + "y" * 77 + "...': too long"


def test_seed_fields() -> None:
    seed = Seed(normalize_doi("10.1000/x"), "a.txt")
    assert (seed.source, seed.line, seed.role, seed.note) == ("a.txt", None, None, None)


def test_seedload_deduplicates_and_combines(caplog: pytest.LogCaptureFixture) -> None:
    first = Seed(normalize_doi("10.1000/A"), "a.txt", 1)
    duplicate = Seed(normalize_doi("10.1000/a"), "b.txt", 7)
    other = Seed(normalize_doi("10.1000/b"), "b.txt", 8)
    rejection = Rejection("bad", "reason", "b.txt", 9)
    with caplog.at_level(logging.INFO, logger="citegraph.sources.seeds"):
        a = SeedLoad([first, duplicate])
        b = SeedLoad([duplicate, other], [rejection])
        combined = a + b
    assert a.seeds == [first]
    assert combined.seeds == [first, other]
    assert combined.rejected == [rejection]
    assert combined.dois == [first.doi, other.doi]
    assert str(combined.dois[0]) == "10.1000/A"
    assert a.seeds == [first] and b.seeds == [duplicate, other]  # operands unchanged
    assert "b.txt:7: duplicate seed 10.1000/a ignored (first given at a.txt:1)" in caplog.text
    a.extend(b)
    assert a.seeds == [first, other]
    assert a.rejected == [rejection]


def test_seedload_add_other_type() -> None:
    with pytest.raises(TypeError):
        SeedLoad() + 1  # type: ignore[operator]


# --------------------------------------------------------------------------
# Plain text

PLAIN = """\
# seeds for a test
10.1000/A1

https://doi.org/10.1000/b2  # seed: The first paper
doi:10.1000/c3\t# just a note
  10.1000/d4   #related:Another paper
10.1000/e5 # see https://example.org/x
10.abc/bad
10.1000/A1  # duplicate, not a rejection
10.1000/f6#notacomment
not a doi # comment
10.1000/g7 #
"""


def test_plain_text(tmp_path: Path) -> None:
    path = write(tmp_path, "seeds.txt", PLAIN)
    load = read_seed_file(path)
    assert [(s.doi.original, s.source, s.line, s.role, s.note) for s in load.seeds] == [
        ("10.1000/A1", path, 2, None, None),
        ("10.1000/b2", path, 4, "seed", "The first paper"),
        ("10.1000/c3", path, 5, None, "just a note"),
        ("10.1000/d4", path, 6, "related", "Another paper"),
        ("10.1000/e5", path, 7, None, "see https://example.org/x"),
        ("10.1000/f6#notacomment", path, 10, None, None),
        ("10.1000/g7", path, 12, None, None),
    ]
    assert [(r.value, r.source, r.line) for r in load.rejected] == [
        ("10.abc/bad", path, 8),
        ("not a doi", path, 11),
    ]
    assert "registrant code '10.abc' is not numeric" in load.rejected[0].reason
    assert "contains whitespace" not in load.rejected[1].reason
    assert "does not start with '10.'" in load.rejected[1].reason


@pytest.mark.parametrize("name", ["seeds.list", "seeds", "seeds.dat", "SEEDS.TXT"])
def test_plain_text_suffixes(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, name, "10.1000/x\n10.1000/y\n")
    assert keys(read_seed_file(path)) == ["10.1000/x", "10.1000/y"]


def test_crlf_and_cr_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "crlf.txt", "10.1000/a\r\n\r\nbad\r\n10.1000/b\rworse\r")
    load = read_seed_file(path)
    assert [(s.doi.key, s.line) for s in load.seeds] == [("10.1000/a", 1), ("10.1000/b", 4)]
    assert where(load) == [(path, 3), (path, 5)]


def test_only_comments(tmp_path: Path) -> None:
    path = write(tmp_path, "comments.txt", "# nothing yet\n\n   # really\n")
    load = read_seed_file(path)
    assert load.seeds == []
    assert where(load) == [(path, None)]
    assert load.rejected[0].reason == "no DOIs found in the file (only blank lines and comments)"


def test_long_line(tmp_path: Path) -> None:
    long_line = "10.1000/" + "x" * MAX_LINE_LENGTH
    path = write(tmp_path, "long.txt", f"10.1000/a\n{long_line}\n10.1000/b\n")
    load = read_seed_file(path)
    assert keys(load) == ["10.1000/a", "10.1000/b"]
    assert where(load) == [(path, 2)]
    assert load.rejected[0].reason == "line too long (10008 characters; seed-file lines are at most 10000)"
    assert load.rejected[0].value == long_line[:80]


def test_line_at_the_limit_is_read(tmp_path: Path) -> None:
    line = "10.1000/x  # " + "n" * (MAX_LINE_LENGTH - 13)
    assert len(line) == MAX_LINE_LENGTH
    path = write(tmp_path, "limit.txt", line + "\n")
    load = read_seed_file(path)
    assert [(s.doi.key, len(s.note or "")) for s in load.seeds] == [("10.1000/x", MAX_LINE_LENGTH - 13)]
    assert load.rejected == []


# --------------------------------------------------------------------------
# Encodings, binary, empty, missing, directory, unreadable


def test_utf8_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.txt", "\ufeff10.1000/bom\n")
    load = read_seed_file(path)
    assert keys(load) == ["10.1000/bom"] and load.rejected == []


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_bom(tmp_path: Path, encoding: str) -> None:
    text = "# caf\u00e9\n10.1000/\u00e9t\u00e9\n10.1000/b\n"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path = write(tmp_path, "wide.txt", data)
    load = read_seed_file(path)
    assert [(s.doi.original, s.line) for s in load.seeds] == [("10.1000/\u00e9t\u00e9", 2), ("10.1000/b", 3)]
    assert load.rejected == []


def test_utf16_without_bom(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, "nobom.txt", "10.1000/a\n10.1000/b\n", encoding="utf-16-le")
    with caplog.at_level(logging.WARNING, logger="citegraph.sources.seeds"):
        load = read_seed_file(path)
    assert keys(load) == ["10.1000/a", "10.1000/b"]
    assert "looks like UTF-16-LE" in caplog.text


def test_latin1_falls_back_with_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, "latin1.txt", "10.1000/a  # caf\u00e9 \u2013 r\u00e9sum\u00e9\n", encoding="cp1252")
    with caplog.at_level(logging.WARNING, logger="citegraph.sources.seeds"):
        load = read_seed_file(path)
    assert [(s.doi.key, s.note) for s in load.seeds] == [("10.1000/a", "caf\u00e9 \u2013 r\u00e9sum\u00e9")]
    assert "not valid UTF-8" in caplog.text and "cp1252" in caplog.text


def test_bytes_undefined_in_cp1252_decode_as_latin1(tmp_path: Path) -> None:
    path = write(tmp_path, "odd.txt", b"10.1000/a  # \x81\x8d\n")
    load = read_seed_file(path)
    assert [(s.doi.key, s.note) for s in load.seeds] == [("10.1000/a", "\x81\x8d")]


def test_bad_utf16_after_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "bad16.txt", b"\xff\xfe" + "10.1/a".encode("utf-16-le") + b"\x00\xd8")
    load = read_seed_file(path)
    assert load.seeds == []
    assert where(load) == [(path, None)]
    assert "cannot decode as utf-16" in load.rejected[0].reason


@pytest.mark.parametrize("name", ["image.png", "seeds.txt", "seeds.csv", "seeds.bib"])
def test_binary_file(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, name, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01\x02")
    load = read_seed_file(path)
    assert load.seeds == []
    assert [(r.value, r.source, r.line) for r in load.rejected] == [(path, path, None)]
    assert load.rejected[0].reason.startswith("binary file, not a seed list")


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"\xef\xbb\xbf", b"\xff\xfe"])
@pytest.mark.parametrize("name", ["empty.txt", "empty.csv", "empty.bib", "empty.ris"])
def test_empty_file(tmp_path: Path, name: str, content: bytes) -> None:
    path = write(tmp_path, name, content)
    load = read_seed_file(path)
    assert load.seeds == []
    assert [(r.source, r.line, r.reason) for r in load.rejected] == [(path, None, "empty file: no DOIs")]


def test_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "missing.txt")
    load = read_seed_file(path)
    assert [(r.value, r.source, r.line, r.reason) for r in load.rejected] == [(path, path, None, "no such file")]


def test_directory(tmp_path: Path) -> None:
    load = read_seed_file(tmp_path)
    assert [(r.source, r.reason) for r in load.rejected] == [(str(tmp_path), "is a directory, not a seed file")]


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="needs POSIX permissions, not root")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path, "secret.txt", "10.1000/a\n")
    os.chmod(path, 0)
    try:
        load = read_seed_file(path)
    finally:
        os.chmod(path, 0o600)
    assert load.seeds == []
    assert [(r.source, r.line, r.reason) for r in load.rejected] == [
        (path, None, "cannot read the file: permission denied")
    ]


def test_unreadable_file_via_oserror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Also covers running as root, where chmod 0 does not stop reading."""
    path = write(tmp_path, "secret.txt", "10.1000/a\n")

    def deny(self: Path, *args: object, **kwargs: object) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", deny)
    load = read_seed_file(path)
    assert [(r.source, r.reason) for r in load.rejected] == [(path, "cannot read the file: permission denied")]


def test_other_oserror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "io.txt", "10.1000/a\n")

    def fail(self: Path, *args: object, **kwargs: object) -> bytes:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(Path, "open", fail)
    load = read_seed_file(path)
    assert [r.reason for r in load.rejected] == ["cannot read the file: Input/output error"]


def test_too_large_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("citegraph.sources.seeds.MAX_FILE_BYTES", 10)
    path = write(tmp_path, "big.txt", "10.1000/abcdef\n")
    load = read_seed_file(path)
    assert [r.reason for r in load.rejected] == ["too large for a seed list (15 bytes; at most 10)"]


# --------------------------------------------------------------------------
# gzip


def test_gzipped_files(tmp_path: Path) -> None:
    txt = write(tmp_path, "seeds.txt.gz", gzip.compress(b"10.1000/a\nbad\n"))
    csv_ = write(tmp_path, "seeds.CSV.GZ", gzip.compress(b"doi,role\n10.1000/b,seed\n"))
    txt_load, csv_load = read_seed_file(txt), read_seed_file(csv_)
    assert keys(txt_load) == ["10.1000/a"] and where(txt_load) == [(txt, 2)]
    assert [(s.doi.key, s.role, s.line) for s in csv_load.seeds] == [("10.1000/b", "seed", 2)]


def test_broken_gzip(tmp_path: Path) -> None:
    path = write(tmp_path, "seeds.txt.gz", b"10.1000/a\n")
    load = read_seed_file(path)
    assert load.seeds == [] and where(load) == [(path, None)]
    assert load.rejected[0].reason.startswith("not a valid gzip file")


def test_truncated_gzip(tmp_path: Path) -> None:
    path = write(tmp_path, "seeds.txt.gz", gzip.compress(b"10.1000/a\n" * 100)[:-12])
    load = read_seed_file(path)
    assert load.seeds == [] and load.rejected[0].reason.startswith("not a valid gzip file")


# --------------------------------------------------------------------------
# CSV and TSV

CSV = """\
# exported seeds
# another comment
Title,DOI ,Role,note
"A, quoted title",10.1000/a,seed,
B,https://doi.org/10.1000/B,related,my note
# a comment between rows
C,,seed,
D,10.abc/d,,
"E with a
two-line title",10.1000/e,,

F,doi:10.1000/a,,duplicate
G
"""


def test_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "seeds.csv", CSV)
    load = read_seed_file(path)
    assert [(s.doi.original, s.line, s.role, s.note) for s in load.seeds] == [
        ("10.1000/a", 4, "seed", "A, quoted title"),
        ("10.1000/B", 5, "related", "my note"),
        ("10.1000/e", 9, None, "E with a\ntwo-line title"),
    ]
    assert [(r.value, r.source, r.line) for r in load.rejected] == [
        ("C,,seed,", path, 7),
        ("10.abc/d", path, 8),
        ("G", path, 13),
    ]
    assert load.rejected[0].reason.startswith("empty doi cell")
    assert load.rejected[2].reason.startswith("empty doi cell")
    assert "not numeric" in load.rejected[1].reason


def test_alopecia_tsv_style(tmp_path: Path) -> None:
    tsv = (
        "# comment line before the header\n"
        "# role: seed = ...\n"
        "doi\trole\tyear\ttitle\tsource\n"
        "10.1000/x\tseed\t2021\tA title, with comma\thttps://example.org/x\n"
        "10.1000/y\ttopical\t2018\t\"Quoted\" title\thttps://example.org/y\n"
        '"unbalanced quote\t\t\t\n'
        '"10.1000/z"\t\t\t"not swallowed"\n'
    )
    path = write(tmp_path, "seeds.tsv", tsv)
    load = read_seed_file(path)
    assert [(s.doi.key, s.line, s.role, s.note) for s in load.seeds] == [
        ("10.1000/x", 4, "seed", "A title, with comma"),
        ("10.1000/y", 5, "topical", '"Quoted" title'),
        ("10.1000/z", 7, None, '"not swallowed"'),
    ]
    assert [(r.value, r.line) for r in load.rejected] == [("\"unbalanced quote", 6)]


@pytest.mark.parametrize("name", ["seeds.tsv", "seeds.tab", "SEEDS.TSV"])
def test_tsv_suffixes(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, name, "DOI\tnote\n10.1000/t\tn\n")
    load = read_seed_file(path)
    assert [(s.doi.key, s.line, s.note) for s in load.seeds] == [("10.1000/t", 2, "n")]


@pytest.mark.parametrize(("delimiter"), [";", "\t"])
def test_csv_with_other_delimiters(tmp_path: Path, delimiter: str) -> None:
    path = write(tmp_path, "excel.csv", f"title{delimiter}doi\nA, B{delimiter}10.1000/z\n")
    load = read_seed_file(path)
    assert [(s.doi.key, s.note) for s in load.seeds] == [("10.1000/z", "A, B")]


def test_csv_without_doi_column(tmp_path: Path) -> None:
    path = write(tmp_path, "nodoi.csv", "# c\ntitle,year, identifier\nA,2020,10.1000/a\n")
    load = read_seed_file(path)
    assert load.seeds == []
    assert [(r.value, r.source, r.line) for r in load.rejected] == [("title,year, identifier", path, 2)]
    assert load.rejected[0].reason == (
        "no 'doi' column in the header row (found columns: 'title', 'year', ' identifier'); "
        "a column named 'doi' is required"
    )


def test_csv_header_only(tmp_path: Path) -> None:
    path = write(tmp_path, "header.csv", "doi,role\n")
    load = read_seed_file(path)
    assert where(load) == [(path, None)]
    assert load.rejected[0].reason.startswith("no DOIs found in the file")


def test_csv_only_comments(tmp_path: Path) -> None:
    path = write(tmp_path, "comments.csv", "# nothing\n")
    load = read_seed_file(path)
    assert [(r.line, r.reason) for r in load.rejected] == [
        (None, "no header row (a first row naming a 'doi' column is required)")
    ]


def test_csv_long_line(tmp_path: Path) -> None:
    path = write(tmp_path, "long.csv", "doi,title\n10.1000/a," + "t" * MAX_LINE_LENGTH + "\n10.1000/b,ok\n")
    load = read_seed_file(path)
    assert keys(load) == ["10.1000/b"]
    assert where(load) == [(path, 2)]
    assert load.rejected[0].reason.startswith("line too long")


def test_csv_unterminated_quote(tmp_path: Path) -> None:
    path = write(tmp_path, "open.csv", 'doi,title\n10.1000/a,"x"y\n10.1000/c,"open\n10.1000/d,e\n')
    load = read_seed_file(path)
    assert [(s.doi.key, s.line, s.note) for s in load.seeds] == [
        ("10.1000/a", 2, "xy"),
        ("10.1000/c", 3, "open\n10.1000/d,e"),
    ]
    assert [(r.value, r.source, r.line) for r in load.rejected] == [('10.1000/c,"open', path, 3)]
    assert load.rejected[0].reason.startswith("unterminated quoted cell")
    assert "lines 3-5 were read as one row" in load.rejected[0].reason


def test_csv_unterminated_quote_in_doi_cell(tmp_path: Path) -> None:
    path = write(tmp_path, "open.csv", 'doi\n10.1000/a\n"10.1000/b\n10.1000/c')
    load = read_seed_file(path)
    assert keys(load) == ["10.1000/a"]
    assert [(r.value, r.line, r.reason[:20]) for r in load.rejected] == [
        ("10.1000/b\n10.1000/c", 3, "contains whitespace "),
        ('"10.1000/b', 3, "unterminated quoted "),
    ]


def test_csv_error_is_a_rejection(tmp_path: Path) -> None:
    import csv

    old_limit = csv.field_size_limit(20)
    try:
        path = write(tmp_path, "big.csv", "doi,title\n10.1000/a,short\n10.1000/b," + "t" * 50 + "\n10.1000/c,x\n")
        load = read_seed_file(path)
    finally:
        csv.field_size_limit(old_limit)
    assert keys(load) == ["10.1000/a"]
    assert [(r.line, r.reason[:13]) for r in load.rejected] == [(3, "malformed CSV")]
    assert "the rest of the file was not read" in load.rejected[0].reason


def test_csv_bom_header(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.csv", "\ufeffDOI,Role\n10.1000/a,seed\n")
    load = read_seed_file(path)
    assert [(s.doi.key, s.role, s.line) for s in load.seeds] == [("10.1000/a", "seed", 2)]


# --------------------------------------------------------------------------
# BibTeX

BIB = """\
@comment{ this is skipped, even with a doi = {10.9999/comment} }
@string{ jdv = "J Eur Acad Dermatol Venereol" }
@preamble{ "\\newcommand{\\noop}[1]{}" }

@article{smith2020,
  author = {Smith, J. and {Jones Group}},
  title = {A {Nested} Title},
  journal = jdv,
  year = 2020,
  DOI = {10.1000/ABC}
}

@Book{nodoi2019,
  title = "Quoted {with} braces",
  year = {2019},
}

@misc(urlonly,
  title = {Only a URL},
  url = {https://doi.org/10.1000/fromurl}
)

@article{broken2021,
  title = {Missing a closing brace,
  doi = {10.1000/broken}
}

@inproceedings{after,
  doi = "10.1000/after" # "",
  title = {After the broken one}
}
@article{sici, doi = {10.1002/(SICI)1097-4636(199706)35:4\\textless{}437::AID-JBM5\\textgreater{}3.0.CO;2-P}}
@article{bad, doi = {10.abc/x}}
@article{underscore, doi = {10.1000/a\\_b}}
@article{url2, url = {https://example.org/paper}}
"""


def test_bibtex(tmp_path: Path) -> None:
    path = write(tmp_path, "refs.bib", BIB)
    load = read_seed_file(path)
    assert [(s.doi.original, s.line, s.note) for s in load.seeds] == [
        ("10.1000/ABC", 10, "A Nested Title"),
        ("10.1000/fromurl", 20, "Only a URL"),
        ("10.1000/after", 29, "After the broken one"),
        ("10.1002/(SICI)1097-4636(199706)35:4<437::AID-JBM5>3.0.CO;2-P", 32, None),
        ("10.1000/a_b", 34, None),
    ]
    assert [(r.value, r.source, r.line) for r in load.rejected] == [
        ("nodoi2019", path, 13),
        ("@article{broken2021", path, 23),
        ("10.abc/x", path, 33),
        ("url2", path, 35),
    ]
    assert load.rejected[0].reason.startswith("entry 'nodoi2019' has no doi field")
    assert load.rejected[1].reason.startswith("entry 'broken2021' is not terminated")
    assert "not numeric" in load.rejected[2].reason
    assert load.rejected[3].reason.startswith("entry 'url2' has no doi field")


def test_bibtex_unterminated_last_entry(tmp_path: Path) -> None:
    path = write(tmp_path, "cut.bib", "@article{ok, doi={10.1000/ok}}\n\n@article{cut,\n  doi = {10.1000/cut\n")
    load = read_seed_file(path)
    assert keys(load) == ["10.1000/ok"]
    assert where(load) == [(path, 3)]
    assert load.rejected[0].reason.startswith("entry 'cut' is not terminated")


def test_bibtex_without_entries(tmp_path: Path) -> None:
    path = write(tmp_path, "none.bib", "just some text, no entries\n@comment{x}\n")
    load = read_seed_file(path)
    assert where(load) == [(path, None)]
    assert load.rejected[0].reason.startswith("no BibTeX entries found")


def test_bibtex_crlf_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "crlf.bib", "@article{a,\r\n  title={T},\r\n  doi={10.1000/crlf}\r\n}\r\n")
    load = read_seed_file(path)
    assert [(s.doi.key, s.line) for s in load.seeds] == [("10.1000/crlf", 3)]


# --------------------------------------------------------------------------
# RIS

RIS = """\
TY  - JOUR
TI  - First record
DO  - 10.1000/RIS1
ER  -\x20

TY  - JOUR
T1  - No DOI here
AU  - Smith, J.
ER  -
TY  - BOOK
UR  - https://doi.org/10.1000/ris3
ER  -
TY  - JOUR
L3  - http://dx.doi.org/10.1000/ris4
UR  - https://example.org/not-a-doi
ER  -
TY  - JOUR
DO  - 10.abc/bad
ER  -
TY  - CHAP
TI  - Started without ending
TY  - JOUR
TI  - Last record, no ER
DO  - https://doi.org/10.1000/ris6
"""


def test_ris(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, "refs.ris", RIS)
    with caplog.at_level(logging.WARNING, logger="citegraph.sources.seeds"):
        load = read_seed_file(path)
    assert [(s.doi.original, s.line, s.note) for s in load.seeds] == [
        ("10.1000/RIS1", 3, "First record"),
        ("10.1000/ris3", 11, None),
        ("10.1000/ris4", 14, None),
        ("10.1000/ris6", 24, "Last record, no ER"),
    ]
    assert [(r.value, r.source, r.line) for r in load.rejected] == [
        ("No DOI here", path, 6),
        ("10.abc/bad", path, 18),
        ("Started without ending", path, 20),
    ]
    assert load.rejected[0].reason.startswith("record has no DO (DOI) tag")
    assert "not numeric" in load.rejected[1].reason
    assert "does not end with 'ER  -'" in caplog.text
    assert "before the previous one ended" in caplog.text


def test_ris_no_records(tmp_path: Path) -> None:
    path = write(tmp_path, "none.ris", "this is not RIS\n")
    load = read_seed_file(path)
    assert where(load) == [(path, None)]
    assert load.rejected[0].reason.startswith("no RIS records found")


def test_ris_record_without_title_or_doi(tmp_path: Path) -> None:
    path = write(tmp_path, "bare.ris", "TY  - JOUR\nER  - \n")
    load = read_seed_file(path)
    assert [(r.value, r.line) for r in load.rejected] == [("TY  - JOUR", 1)]


# --------------------------------------------------------------------------
# load_seeds


def test_load_seeds_mixes_arguments_and_files(tmp_path: Path) -> None:
    txt = write(tmp_path, "a.txt", "10.1000/a\n10.1000/shared\nbad\n")
    bib = write(tmp_path, "b.bib", "@article{x, doi = {10.1000/SHARED}}\n@article{y, doi={10.1000/b}}\n")
    load = load_seeds(["doi:10.1000/arg", txt, bib, "https://doi.org/10.1000/A", "10.1000", str(tmp_path)])
    assert [(s.doi.key, s.source, s.line) for s in load.seeds] == [
        ("10.1000/arg", ARGUMENT_SOURCE, None),
        ("10.1000/a", txt, 1),
        ("10.1000/shared", txt, 2),
        ("10.1000/b", bib, 2),
    ]
    assert [(r.value, r.source, r.line, r.reason[:20]) for r in load.rejected] == [
        ("bad", txt, 3, "does not start with "),
        ("10.1000", ARGUMENT_SOURCE, None, "no suffix after the "),
        (str(tmp_path), ARGUMENT_SOURCE, None, "is a directory, not "),
    ]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("missing.txt", "no such file"),
        ("seeds/missing.bib", "no such file"),
        ("missing.CSV", "no such file"),
        ("missing.ris.gz", "no such file"),
        ("some/dir/file", "no such file"),
        ("hello", "not an existing file, and not a DOI: does not start with '10.' (a DOI looks like 10.1234/abc)"),
        ("", "empty value (a DOI looks like 10.1234/abc)"),
        ("10.1000/a b", "contains whitespace (a DOI looks like 10.1234/abc, without spaces)"),
        ("doi:10.abc/x.txt", "registrant code '10.abc' is not numeric"),
        ("https://doi.org/", "empty value (a DOI looks like 10.1234/abc)"),
    ],
)
def test_load_seeds_rejections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, reason: str) -> None:
    monkeypatch.chdir(tmp_path)
    load = load_seeds([value])
    assert load.seeds == []
    assert [(r.value, r.source, r.line) for r in load.rejected] == [(value, ARGUMENT_SOURCE, None)]
    assert load.rejected[0].reason.startswith(reason)


def test_load_seeds_prefers_existing_file_to_doi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "10.1000").mkdir()
    (tmp_path / "10.1000" / "x.txt").write_text("10.1000/inside\n", encoding="utf-8")
    load = load_seeds(["10.1000/x.txt", "10.1000/y.txt"])
    assert [(s.doi.key, s.source) for s in load.seeds] == [
        ("10.1000/inside", "10.1000/x.txt"),
        ("10.1000/y.txt", ARGUMENT_SOURCE),
    ]


def test_load_seeds_single_string_and_pathlike(tmp_path: Path) -> None:
    assert keys(load_seeds("10.1000/one")) == ["10.1000/one"]
    path = tmp_path / "p.txt"
    path.write_text("10.1000/p\n", encoding="utf-8")
    assert [(s.doi.key, s.source) for s in load_seeds([path]).seeds] == [("10.1000/p", str(path))]


def test_load_seeds_empty() -> None:
    assert load_seeds([]) == SeedLoad([], [])


def test_load_seeds_logs_duplicates(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="citegraph.sources.seeds"):
        load = load_seeds(["10.1000/X", "10.1000/x"])
    assert keys(load) == ["10.1000/x"] and load.rejected == []
    assert "duplicate seed 10.1000/x ignored (first given at <argument>)" in caplog.text


# --------------------------------------------------------------------------
# The project's seed lists


def test_alopecia_txt() -> None:
    load = read_seed_file(SEEDS_TXT)
    assert keys(load) == ALOPECIA_KEYS
    assert [s.role for s in load.seeds] == ALOPECIA_ROLES
    assert load.rejected == []
    assert load.seeds[0].note == (
        "Alopecia universalis occurring after alemtuzumab treatment for multiple sclerosis. "
        "A two-year follow-up of two patients (2021)"
    )
    assert str(load.dois[4]) == "10.1212/NXI.0000000000000454"


@pytest.mark.shared
def test_alopecia_shared_tsv() -> None:
    if not SHARED_TSV.exists():
        pytest.skip(f"../shared/ not present: {SHARED_TSV} is missing")
    load = read_seed_file(SHARED_TSV)
    assert load.rejected == []
    assert keys(load) == keys(read_seed_file(SEEDS_TXT)) == ALOPECIA_KEYS
    assert {s.role for s in load.seeds} == {"seed", "related", "topical"}
    assert [s.role for s in load.seeds] == ALOPECIA_ROLES
    assert [s.line for s in load.seeds] == [6, 7, 8, 9, 10, 11]
    assert load.seeds[2].note == "Review of treatment for alopecia totalis and alopecia universalis"
    # the .txt notes are the .tsv titles followed by the year
    txt_notes = [s.note for s in read_seed_file(SEEDS_TXT).seeds]
    assert [note.rsplit(" (", 1)[0] for note in txt_notes] == [s.note for s in load.seeds]
