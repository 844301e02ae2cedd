"""--from FILE: every accepted shape gives the same records; bad files say why."""

from __future__ import annotations

import gzip
import io
import json
import logging
import tarfile
from pathlib import Path

import pytest

from citegraph.doi import normalize_doi
from citegraph.errors import InputFileError
from citegraph.sources.localfiles import FileSource, iter_records


@pytest.fixture(scope="module")
def sample(shared_dir: Path) -> list[dict]:
    """Forty real records from the shared dump file, repackaged below in temporary files."""
    with gzip.open(shared_dir / "crossref" / "works-opencitations-index.jsonl.gz", "rt") as fh:
        records = [json.loads(line) for line in fh]
    with gzip.open(shared_dir / "crossref" / "works-commonmeta-py.jsonl.gz", "rt") as fh:
        records += [json.loads(line) for line in fh][:35]
    return records


def _keys(records) -> list[str]:
    return sorted(r["DOI"].lower() for r in records)


def _write(path: Path, text: str) -> Path:
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize("name, shape", [
    ("w.jsonl", "lines"), ("w.jsonl.gz", "lines"), ("w.ndjson", "lines"),
    ("w.json", "items"), ("w.json.gz", "items"), ("w.json", "list"),
    ("w.json", "api-list"),
])
def test_every_shape_gives_the_same_records(tmp_path: Path, sample: list[dict], name: str, shape: str) -> None:
    text = {
        "lines": "\n".join(json.dumps(r) for r in sample) + "\n",
        "items": json.dumps({"items": sample}),
        "list": json.dumps(sample),
        "api-list": json.dumps({"status": "ok", "message-type": "work-list", "message": {"items": sample}}),
    }[shape]
    path = _write(tmp_path / name, text)
    assert _keys(iter_records(path)) == _keys(sample)
    assert FileSource(path).keys() == _keys(sample)


def test_single_work_api_answer(tmp_path: Path, sample: list[dict]) -> None:
    path = _write(tmp_path / "one.json", json.dumps({"status": "ok", "message-type": "work", "message": sample[0]}))
    assert _keys(iter_records(path)) == _keys(sample[:1])


def test_tar_gz_of_public_data_files_and_a_folder(tmp_path: Path, sample: list[dict]) -> None:
    parts = [sample[:15], sample[15:]]
    archive = tmp_path / "dump.tar.gz"
    folder = tmp_path / "dump"
    folder.mkdir()
    with tarfile.open(archive, "w:gz") as tar:
        for i, part in enumerate(parts):
            data = gzip.compress(json.dumps({"items": part}).encode())
            info = tarfile.TarInfo(f"dump/{i}.json.gz")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            (folder / f"{i}.json.gz").write_bytes(data)
        readme = b"not records"
        info = tarfile.TarInfo("dump/README.txt")
        info.size = len(readme)
        tar.addfile(info, io.BytesIO(readme))
    (folder / "notes.txt").write_text("ignored")
    assert FileSource(archive).keys() == _keys(sample)
    assert FileSource(folder).keys() == _keys(sample)


def test_resolve_finds_and_misses(tmp_path: Path, sample: list[dict]) -> None:
    path = _write(tmp_path / "w.jsonl", "\n".join(json.dumps(r) for r in sample))
    src = FileSource(path)
    wanted = [normalize_doi(sample[0]["DOI"].upper()), normalize_doi("10.5555/absent")]
    (res,) = list(src.resolve(wanted))
    assert [r["DOI"] for r in res.records] == [sample[0]["DOI"]]
    assert [d.key for d in res.missing] == ["10.5555/absent"] and res.requests == 0
    assert src.name == "file:w.jsonl"


def test_bad_lines_and_records_without_doi_are_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # hand-made unit-test records (not Crossref data)
    path = _write(tmp_path / "w.jsonl", '{"DOI": "10.5555/a"}\n{broken\n{"title": ["no doi"]}\n'
                                         '{"DOI": "10.5555/A", "title": ["fuller"]}\n')
    with caplog.at_level(logging.WARNING):
        src = FileSource(path)
    assert src.keys() == ["10.5555/a"] and src.skipped == 1
    assert src.record("10.5555/a") == {"DOI": "10.5555/A", "title": ["fuller"]}  # the fuller duplicate wins
    assert "w.jsonl:2: not JSON, skipped" in caplog.text


@pytest.mark.parametrize("name, content, message", [
    ("missing.jsonl", None, "no such file or folder"),
    ("w.csv", "doi\n", "unsupported file type"),
    ("w.json", "{broken", "not valid JSON"),
    ("w.json.gz", b"not gzip", "cannot be read"),
])
def test_bad_files_say_what_is_wrong(tmp_path: Path, name: str, content: object, message: str) -> None:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(InputFileError, match=message):
        FileSource(path)


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"holds no .json/.jsonl"):
        FileSource(tmp_path)
