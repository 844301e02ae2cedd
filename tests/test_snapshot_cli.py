"""``citegraph ingest`` and ``citegraph field`` end to end on the real dump-format records in ``../shared/``."""

from __future__ import annotations

import csv
import gzip
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from citegraph.analysis.clusters import find_clusters
from citegraph.analysis.rank import pagerank_scores
from citegraph.cli import cli
from citegraph.graphs.citation import citation_graph
from citegraph.graphs.cooccurrence import cocitation_graph
from citegraph.sources.snapshot import to_store
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


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_field_in_place_equals_the_in_memory_path_and_is_byte_stable(run, shared_dir: Path, tmp_path: Path) -> None:
    dump = shared_dir / "crossref" / "works-oc_ds_converter.jsonl.gz"
    assert run("ingest", str(dump), "--format", "crossref", "-o", "snap").exit_code == 0
    args = ["field", "snap", "--pairs", "both", "--min-count", "1", "--top-k", "3", "--iterations", "-1"]
    done = run(*args, "--in-place", "out")
    assert done.exit_code == 0, done.output
    assert "analysed in place on duckdb" in done.output and "wrote" in done.output
    assert not Path("data").exists()  # in place: no store written
    again = run(*args, "--in-place", "out2")
    names = ["works.csv", "clusters.csv", "rpys.csv", "cocitation.csv", "coupling.csv", "summary.json"]
    assert sorted(p.name for p in Path("out").iterdir()) == sorted(names)
    assert again.exit_code == 0 and all((Path("out") / n).read_bytes() == (Path("out2") / n).read_bytes()
                                        for n in names)
    # the in-memory path on a store of everything the dataset holds
    to_store("snap", None, tmp_path / "all.sqlite")
    store = Store(tmp_path / "all.sqlite", readonly=True)
    G = citation_graph(store)
    rows = read_csv(Path("out") / "works.csv")
    assert [r["key"] for r in rows] == sorted(G.nodes)
    assert {r["key"]: int(r["local"]) for r in rows} == dict(G.in_degree())
    pr = pagerank_scores(G)
    assert max(abs(float(r["pagerank"]) - pr[r["key"]]) / pr[r["key"]] for r in rows) < 1e-8
    assert {r["key"]: int(r["cluster"]) for r in rows} == find_clusters(G, method="leiden", seed=0)
    sizes = {int(r["cluster"]): int(r["size"]) for r in read_csv(Path("out") / "clusters.csv")}
    assert sum(sizes.values()) == G.number_of_nodes() and sizes[1] == max(sizes.values())
    want = cocitation_graph(G, normalise="count", min_count=1, top_k=3)
    got = {(r["a"], r["b"]): int(r["count"]) for r in read_csv(Path("out") / "cocitation.csv")}
    assert got == {tuple(sorted((u, v))): d["count"] for u, v, d in want.edges(data=True)}
    summary = json.loads((Path("out") / "summary.json").read_text(encoding="utf-8"))
    assert summary["options"]["iterations"] == -1 and summary["options"]["pairs"] == ["cocitation", "coupling"]
    assert summary["facts"]["nodes"] == G.number_of_nodes() and summary["facts"]["engine"] == "duckdb"
    store.close()

    field = run("field", "snap", "--term", "alopecia", "--in-place", "alopecia", "--pairs", "none")
    stored = run("--store", "f.sqlite", "field", "snap", "--term", "alopecia")
    assert field.exit_code == 0 and stored.exit_code == 0
    with Store("f.sqlite", readonly=True) as fs:
        assert [r["key"] for r in read_csv(Path("alopecia") / "works.csv")] == sorted(citation_graph(fs).nodes)
    assert not (Path("alopecia") / "cocitation.csv").exists()


@pytest.mark.parametrize(("args", "needle"), [
    (["field", "nosuch"], "no field given"),
    (["field", "nosuch", "--in-place", "out"], "not a dataset made by `citegraph ingest`"),
    (["field", "nosuch", "--term", "x", "--spark-conf", "a=b"], "--spark-master and --spark-conf go with --engine"),
    (["field", "nosuch", "--term", "x", "--engine", "spark", "--spark-conf", "memory"], "'memory' is not KEY=VALUE"),
    (["field", "nosuch", "--in-place", "out", "--pairs", "all"], "'all' is not one of"),
    (["field", "nosuch", "--term", "x"], "not a dataset made by `citegraph ingest`"),
    (["ingest", "nosuch.jsonl", "--format", "crossref", "-o", "snap"], "nosuch.jsonl: no such file or folder"),
    (["ingest", "x.jsonl", "--format", "scopus", "-o", "snap"], "'scopus' is not one of"),
])
def test_bad_input_is_one_line_and_exit_2(run, args: list[str], needle: str) -> None:
    result = run(*args)
    assert result.exit_code == 2 and needle in result.stderr and "Traceback" not in result.output
    assert not Path("data").exists() or not any(Path("data").iterdir())  # no store left behind
