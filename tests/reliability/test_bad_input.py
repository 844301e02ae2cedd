"""Bad input never costs the run: each bad seed input gets one line naming it, the good entries beside it are
fetched, and the exit code is the documented one (3: some input rejected; 2: nothing usable; 4: store unusable).

The good entries are real DOIs of ``../shared/crossref/works-habanero.jsonl.gz``, fetched from that file
(``--from``), so no server is needed. The bad files are hand-made.
"""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
from pathlib import Path

import pytest
from reliability_helpers import assert_one_line_error

EXIT_USAGE, EXIT_PARTIAL, EXIT_STORE = 2, 3, 4


@pytest.fixture(scope="module")
def good(shared_dir: Path) -> list[str]:
    """Two DOIs with records in the habanero file, as deposited."""
    with gzip.open(shared_dir / "crossref" / "works-habanero.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(next(fh))["DOI"], json.loads(next(fh))["DOI"]]


@pytest.fixture
def fetch(run_citegraph, tmp_path: Path, shared_dir: Path):
    store = tmp_path / "store.sqlite"

    def run(*seeds: str | Path):
        return run_citegraph("--store", str(store), "fetch", *map(str, seeds), "--depth", "0",
                             "--from", str(shared_dir / "crossref" / "works-habanero.jsonl.gz"))

    run.store = store  # type: ignore[attr-defined]
    return run


def stored_works(store: Path) -> set[str]:
    with sqlite3.connect(store) as conn:
        return {row[0] for row in conn.execute("SELECT doi FROM works")}


def rejected_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("citegraph: rejected:")]


MALFORMED = ["hello", "11.1000/xyz", "10/xyz", "10.abc/xyz", "10./xyz", "10.1000", "10.1000/",
             "10.1000/a b", "10.1000/a%20b", "10.1000/a\x07b", "10.1000/a\u200bb", "https://example.org/10.1000/xyz"]


def test_every_kind_of_malformed_doi_is_named_and_the_good_ones_are_fetched(fetch, tmp_path: Path,
                                                                           good: list[str]) -> None:
    seeds = tmp_path / "seeds.txt"
    lines = [good[0], *MALFORMED, good[1]]
    seeds.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = fetch(seeds)
    assert_one_line_error(result, EXIT_PARTIAL, f"{len(MALFORMED)} seed input(s) rejected")
    rejected = rejected_lines(result.stderr)
    assert len(rejected) == len(MALFORMED)
    for number, (line, value) in enumerate(zip(rejected, MALFORMED, strict=True), start=2):
        assert line.startswith(f"citegraph: rejected: {seeds}:{number}: {value!r}: "), line
    assert stored_works(fetch.store) == {g.lower() for g in good}


@pytest.mark.parametrize(("name", "content", "words"), [
    ("empty.txt", b"", "no DOI"),
    ("blank.txt", b"\n\n   \n# only a comment\n", "no DOI"),
    ("binary.txt", bytes(range(256)) * 4, "binary"),
    ("binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64, "binary"),
    ("no-doi-column.csv", b"title,year\nA title,2001\n", "no 'doi' column"),
    ("broken.bib", b"@article{a,\n  title = {Unclosed {brace},\n  doi = {10.1000/broken}\n", "brace"),
    ("huge-line.txt", b"x" * 2_000_000 + b"\n", "too long"),
])
def test_a_bad_file_beside_a_good_one(fetch, tmp_path: Path, good: list[str], name: str, content: bytes,
                                      words: str) -> None:
    bad = tmp_path / name
    bad.write_bytes(content)
    result = fetch(bad, good[0])
    assert_one_line_error(result, EXIT_PARTIAL, "rejected")
    rejected = rejected_lines(result.stderr)
    assert rejected and all(str(bad) in line for line in rejected), result.stderr
    assert any(words.lower() in line.lower() for line in rejected), rejected
    assert all(len(line) < 400 for line in rejected)  # a 2 MB line is not echoed back
    assert stored_works(fetch.store) == {good[0].lower()}


@pytest.mark.parametrize(("name", "encode"), [
    ("latin1.txt", lambda text: text.encode("latin-1")),
    ("utf16-bom.txt", lambda text: text.encode("utf-16")),  # Python writes the BOM
    ("utf8-bom.csv", lambda text: b"\xef\xbb\xbf" + text.encode("utf-8")),
])
def test_other_encodings_are_read(fetch, tmp_path: Path, good: list[str], name: str, encode) -> None:
    path = tmp_path / name
    if name.endswith(".csv"):
        text = f"doi,note\n{good[0]},Café résumé\n{good[1]},naïve\n"
    else:
        text = f"# Café résumé naïve\n{good[0]}  # seed: Café\n{good[1]}\n"
    path.write_bytes(encode(text))
    result = fetch(path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert stored_works(fetch.store) == {g.lower() for g in good}


def test_ris_without_end_tag_takes_the_last_record_and_says_so(fetch, tmp_path: Path, good: list[str]) -> None:
    path = tmp_path / "no-end.ris"
    path.write_text(f"TY  - JOUR\nDO  - {good[0]}\nER  - \nTY  - JOUR\nDO  - {good[1]}\n", encoding="utf-8")
    result = fetch(path)
    # the unterminated last record is taken, with a warning naming the file and line
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"citegraph: {path}: the last record (line 4) does not end with 'ER  -'" in result.stderr
    assert stored_works(fetch.store) == {g.lower() for g in good}


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_missing_file_or_directory_beside_a_good_doi(fetch, tmp_path: Path, good: list[str], kind: str) -> None:
    path = tmp_path / "seeds"
    if kind == "directory":
        path.mkdir()
    result = fetch(path, good[0])
    assert_one_line_error(result, EXIT_PARTIAL, "1 seed input(s) rejected")
    (line,) = rejected_lines(result.stderr)
    assert repr(str(path)) in line and ("no such file" if kind == "missing" else "is a directory") in line
    assert stored_works(fetch.store) == {good[0].lower()}


def test_nothing_usable_is_a_usage_error(fetch, tmp_path: Path) -> None:
    result = fetch(tmp_path / "missing.txt", "hello")
    assert_one_line_error(result, EXIT_USAGE, "none of the 2 seed argument(s) gave a DOI")
    assert not fetch.store.exists() or stored_works(fetch.store) == set()


@pytest.mark.parametrize("kind", ["under-a-file", "a-directory", "read-only-folder"])
def test_unusable_store_path(run_citegraph, tmp_path: Path, shared_dir: Path, good: list[str], kind: str) -> None:
    if kind == "under-a-file":
        (tmp_path / "file").write_text("not a folder")
        store = tmp_path / "file" / "store.sqlite"
    elif kind == "a-directory":
        store = tmp_path / "store.sqlite"
        store.mkdir()
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes into read-only folders")
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o500)
        store = folder / "store.sqlite"
    result = run_citegraph("--store", str(store), "fetch", good[0], "--depth", "0",
                           "--from", str(shared_dir / "crossref" / "works-habanero.jsonl.gz"))
    assert_one_line_error(result, EXIT_STORE, str(store))
    assert not (store.is_file())
