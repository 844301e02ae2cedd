"""``citegraph ingest`` and ``citegraph field`` end to end on the real dump-format records in ``../shared/``."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from citegraph.cli import cli
from citegraph.store import Store


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("CITEGRAPH_"):
            monkeypatch.delenv(name)

    def invoke(*args: str):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_ingest_then_field_then_analyse(run, shared_dir: Path) -> None:
    dump = shared_dir / "crossref" / "works-oc_ds_converter.jsonl.gz"
    first = run("ingest", str(dump), "--format", "crossref", "-o", "snap")
    assert first.exit_code == 0, first.output
    assert "[1/1]" in first.output and "6,012 records" in first.output
    again = run("ingest", str(dump), "--format", "crossref", "-o", "snap")
    assert again.exit_code == 0 and "0 files read now, 1 already there" in again.output
    picked = run("--store", "f.sqlite", "field", "snap", "--term", "alopecia")
    assert picked.exit_code == 0, picked.output
    with gzip.open(dump, "rt", encoding="utf-8") as fh:  # independently: records with the term in title/abstract
        import json

        expected = set()
        for line in fh:
            r = json.loads(line)
            text = " ".join([*(r.get("title") or []), r.get("abstract") or ""]).lower()
            if "alopecia" in text:
                expected.add(r["DOI"].lower())
    with Store("f.sqlite", readonly=True) as store:
        assert {w["doi"] for w in store.works()} == expected
    assert f"{len(expected)} works selected" in picked.output
    analysed = run("--store", "f.sqlite", "-q", "analyse", "-o", "out")
    assert analysed.exit_code == 0 and (Path("out") / "rankings.csv").is_file()


def test_a_file_that_cannot_be_read_is_partial_and_a_rerun_retries_only_it(run, shared_dir: Path,
                                                                              tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(shared_dir / "crossref" / "works-opencitations-index.jsonl.gz", folder / "a.jsonl.gz")
    whole = (shared_dir / "crossref" / "works-commonmeta-py.jsonl.gz").read_bytes()
    (folder / "b.jsonl.gz").write_bytes(whole[: len(whole) // 2])  # a truncated copy: a hand-made broken file
    result = run("ingest", str(folder), "--format", "crossref", "-o", "snap")
    assert result.exit_code == 3 and "b.jsonl.gz: failed" in result.stderr
    assert "1 file(s) could not be read" in result.stderr
    (folder / "b.jsonl.gz").write_bytes(whole)
    fixed = run("ingest", str(folder), "--format", "crossref", "-o", "snap")
    assert fixed.exit_code == 0 and "1 files read now, 1 already there" in fixed.output


@pytest.mark.parametrize(("args", "needle"), [
    (["field", "nosuch"], "no field given"),
    (["field", "nosuch", "--term", "x"], "not a dataset made by `citegraph ingest`"),
    (["ingest", "nosuch.jsonl", "--format", "crossref", "-o", "snap"], "nosuch.jsonl: no such file or folder"),
    (["ingest", "x.jsonl", "--format", "scopus", "-o", "snap"], "'scopus' is not one of"),
])
def test_bad_input_is_one_line_and_exit_2(run, args: list[str], needle: str) -> None:
    result = run(*args)
    assert result.exit_code == 2 and needle in result.stderr and "Traceback" not in result.output
    assert not Path("data").exists() or not any(Path("data").iterdir())  # no store left behind
