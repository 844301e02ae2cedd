"""Whole-snapshot path (issue 21, DuckDB): ingest to Parquet, SQL analyses, a field back to a store.

Every analysis on the dataset is compared with the in-memory path on a store holding the same records
(``Store.add_works`` / ``Store.add_source_records``, then ``citation_graph`` and the analyses): on the real
Crossref dump-format records and OpenAlex records in ``../shared/`` (skipped without them), and on a small
SYNTHETIC Price-model graph (``bench/synthetic.py``; not bibliographic data) written as snapshot files.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import networkx as nx
import numpy as np
import pytest

pytest.importorskip("duckdb", reason="the snapshot path needs duckdb (pip install duckdb)")
pytest.importorskip("pyarrow", reason="the snapshot path needs pyarrow (pip install pyarrow)")

from citegraph.analysis import snapshot as sa
from citegraph.analysis.clusters import find_clusters
from citegraph.analysis.rank import citations_per_year, pagerank_scores
from citegraph.analysis.rpys import reference_years_from_store, rpys
from citegraph.errors import UsageError
from citegraph.graphs.citation import citation_graph
from citegraph.graphs.cooccurrence import cocitation_graph, coupling_graph
from citegraph.sources import snapshot as ss
from citegraph.sources.openalex import parse_openalex_work
from citegraph.store import Store
from citegraph.store.dataset import (
    Dataset,
    DuckDBEngine,
    FieldSelection,
    Manifest,
    field_keys,
    open_dataset,
    select_field,
)
from citegraph.store.records import parse_work

REPO = Path(__file__).resolve().parents[1]


def _bench_synthetic() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_synthetic_snapshot", REPO / "bench" / "synthetic.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# -- the SYNTHETIC snapshot ------------------------------------------------------------------------------------

SYN_N_REFS = 3000


def synthetic_records() -> list[dict[str, Any]]:
    """SYNTHETIC Crossref-shaped records of a Price-model graph (de Solla Price 1976; not bibliographic data).

    Paper ``i`` is ``10.5555/SYN.i`` (upper case: keys are lower-cased); every 7th paper has no record (it is
    only cited), every 5th reference carries no DOI but a citation string with a year (RPYS reads it), every
    11th reference has no year field.
    """
    citing, cited, n = _bench_synthetic().price_graph(SYN_N_REFS, mean_refs=6, seed=21)
    years = 1950 + (70 * np.arange(n)) // n
    starts = np.searchsorted(citing, np.arange(n + 1))
    out = []
    for i in range(n):
        if i % 7 == 3:
            continue
        refs = []
        for k, c in enumerate(cited[starts[i]:starts[i + 1]].tolist()):
            entry: dict[str, Any] = {"key": f"r{k}"}
            if (i + k) % 5 == 0:
                entry["unstructured"] = f"Synthauthor{c} ({int(years[c])}) SYNTHETIC work {c}. J Synth 1:1"
            else:
                entry["DOI"] = f"10.5555/SYN.{c}"
                if (i + k) % 11 != 0:
                    entry["year"] = str(int(years[c]))
            refs.append(entry)
        out.append({"DOI": f"10.5555/SYN.{i}", "title": [f"SYNTHETIC work {i}"], "type": "journal-article",
                    "issued": {"date-parts": [[int(years[i])]]}, "is-referenced-by-count": int(3 * i % 17),
                    "author": [{"family": f"Synthauthor{i}", "given": "A.", "sequence": "first"}],
                    "subject": ["Synthetic A" if i % 2 else "Synthetic B"], "ISSN": ["1234567X"],
                    "container-title": ["J Synth"], "reference": refs})
    return out


def write_synthetic(directory: Path) -> list[Path]:
    """The SYNTHETIC records as three snapshot files: JSON Lines (with a bad line), an items file, JSON Lines
    again (repeating two records with changes: the last read wins)."""
    records = synthetic_records()
    third = len(records) // 3
    directory.mkdir(parents=True, exist_ok=True)
    a, b, c = directory / "syn-a.jsonl.gz", directory / "syn-b.json.gz", directory / "syn-c.jsonl"
    with gzip.open(a, "wt", encoding="utf-8") as fh:
        for r in records[:third]:
            fh.write(json.dumps(r) + "\n")
        fh.write("{this is not json\n")
        fh.write(json.dumps({"title": ["SYNTHETIC record without DOI"]}) + "\n")
    with gzip.open(b, "wt", encoding="utf-8") as fh:
        json.dump({"items": records[third:2 * third]}, fh, indent=1)
    again = [dict(records[1], title=["SYNTHETIC work 1, replaced"], reference=[{"key": "x", "DOI": "10.5555/SYN.0"}]),
             dict(records[third + 1], **{"is-referenced-by-count": 999})]
    c.write_text("".join(json.dumps(r) + "\n" for r in [*records[2 * third:], *again]), encoding="utf-8")
    return [a, b, c]


def store_of(files: list[Path], path: Path, fmt: str = "crossref") -> Store:
    """The in-memory path's store of the same files: every record parsed and added in file order."""
    store = Store(path)
    for f in sorted(files, key=lambda p: p.name):
        parsed, oa = [], []
        for record in ss.iter_records(f):
            if isinstance(record, dict):
                try:
                    if fmt == "crossref":
                        parsed.append(parse_work(record, source=f"file:{f.name}"))
                    else:
                        oa.append(parse_openalex_work(record).source_record())
                except Exception:  # the bad records the dataset skips too
                    continue
        for p in parsed:  # one at a time, in order: a repeated key is replaced, as a fetch replaces it
            store.add_works([p])
        if oa:
            store.add_source_records(oa, source="openalex")
    return store


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[Path], Path, Store]]:
    root = tmp_path_factory.mktemp("synthetic")
    files = write_synthetic(root / "snapshot")
    ss.ingest(files, "crossref", root / "ds", row_group_rows=100)
    store = store_of(files, root / "syn.sqlite")
    yield files, root / "ds", store
    store.close()


# -- comparing with the in-memory path ------------------------------------------------------------------------


def assert_same_as_in_memory(ds: Dataset, store: Store, *, pairs: bool = True) -> None:
    G = citation_graph(store)
    counts = sa.citation_counts(ds)
    keys = counts.column("key").to_pylist()
    assert keys == sorted(G.nodes)
    assert dict(zip(keys, counts.column("local").to_pylist(), strict=True)) == dict(G.in_degree())
    glob = {k: v for k, v in zip(keys, counts.column("global").to_pylist(), strict=True) if v is not None}
    assert glob == {n: d["citations_global"] for n, d in G.nodes(data=True) if d.get("citations_global") is not None}
    expected_per_year = {k: v for k, v in citations_per_year(G).items() if v is not None}
    assert sa.citations_per_year(ds) == pytest.approx(expected_per_year, rel=1e-12)

    years = [y for y, _, _ in reference_years_from_store(store)]
    assert sa.rpys(ds) == rpys(years)
    assert sa.rpys(ds, window=3, years=(1900, 2030)) == rpys(years, window=3, years=(1900, 2030))

    expected_pr = pagerank_scores(G)
    networkx_pr = nx.pagerank(G, alpha=0.85, weight=None, tol=1e-12)
    for method in ("arrays", "sql"):
        pr = sa.pagerank(ds, method=method)
        assert pr.keys() == expected_pr.keys()
        assert max(abs(pr[k] - expected_pr[k]) for k in pr) < 1e-9, method
        assert max(abs(pr[k] - networkx_pr[k]) for k in pr) < 1e-9, method

    expected_cc = {n: min(c) for c in nx.weakly_connected_components(G) for n in c}
    assert sa.components(ds) == expected_cc
    assert sa.components(ds, method="sql") == expected_cc

    for method in ("leiden", "louvain"):
        expected_clusters = find_clusters(G, method=method, seed=5, iterations=-1)
        assert sa.clusters(ds, method=method, seed=5, iterations=-1) == expected_clusters, method
    two = sa.clusters(ds, seed=5)  # at scale: two Leiden passes
    assert two.keys() == expected_cc.keys() and set(two.values()) == set(range(1, max(two.values()) + 1))

    # analyse_dataset holds every per-node result by node id: its table gives what each function gives by key
    works = sa.analyse_dataset(ds, sa.SnapshotOptions(pairs=(), seed=5, iterations=-1), workers=1).works
    assert works.column("key").to_pylist() == keys

    def column(name: str) -> dict[str, Any]:
        return dict(zip(keys, works.column(name).to_pylist(), strict=True))

    assert {k: v for k, v in column("per_year").items() if v is not None} == sa.citations_per_year(ds)
    assert column("pagerank") == sa.pagerank(ds) and column("component") == expected_cc
    assert column("cluster") == find_clusters(G, seed=5, iterations=-1)
    stored = ds.engine.sql("SELECT key, title FROM cg_works")  # the titles of stored works; None for the others
    titles = dict(zip(stored.column("key").to_pylist(), stored.column("title").to_pylist(), strict=True))
    assert column("title") == {n: titles.get(n) for n in keys} and any(titles.values())

    if pairs:
        for kind, build in (("cocitation", cocitation_graph), ("coupling", coupling_graph)):
            for normalise, min_count, top_k in (("count", 1, None), ("count", 2, 3), ("cosine", 1, 2),
                                                ("jaccard", 2, None)):
                want = build(G, normalise=normalise, min_count=min_count, top_k=top_k)
                theirs = {tuple(sorted((u, v))): (d["count"], d["weight"]) for u, v, d in want.edges(data=True)}
                for method in ("sql", "arrays"):
                    got = sa.cooccurrence(ds, kind, normalise=normalise, min_count=min_count, top_k=top_k,
                                          method=method)
                    mine = {(a, b): (c, w) for a, b, c, w in zip(*(got.column(x).to_pylist()
                                                                   for x in ("a", "b", "count", "weight")),
                                                                 strict=True)}
                    assert mine.keys() == theirs.keys(), (kind, normalise, min_count, top_k, method)
                    assert all(mine[p][0] == theirs[p][0] and math.isclose(round(mine[p][1], 6), theirs[p][1])
                               for p in mine), (kind, normalise, method)


# -- SYNTHETIC ------------------------------------------------------------------------------------------------


def test_synthetic_ingest_counts_equal_parse_work(synthetic: tuple[list[Path], Path, Store]) -> None:
    files, ds_dir, _ = synthetic
    manifest = Manifest.load(ds_dir)
    for f in files:
        entry = manifest.files[str(f.resolve())]
        records = list(ss.iter_records(f))
        parsed = []
        for r in records:
            try:
                parsed.append(parse_work(r, source="t"))
            except Exception:  # the bad ones
                continue
        assert (entry.records, entry.works, entry.refs, entry.bad) == (
            len(records), len(parsed), sum(len(p.references) for p in parsed), len(records) - len(parsed))
    assert manifest.files[str(files[0].resolve())].bad == 2  # not JSON; no DOI
    items = manifest.files[str(files[1].resolve())]  # the pretty-printed {"items": [...]} file
    assert items.bad == 0 and items.works == items.records == len(synthetic_records()) // 3


def test_synthetic_analyses_equal_the_in_memory_path(synthetic: tuple[list[Path], Path, Store]) -> None:
    _, ds_dir, store = synthetic
    with open_dataset(ds_dir) as ds:
        assert ds.count("cg_works") == store.counts()["works"]
        assert_same_as_in_memory(ds, store)


def test_synthetic_field_by_steps_from_seeds(synthetic: tuple[list[Path], Path, Store]) -> None:
    _, ds_dir, store = synthetic
    G = citation_graph(store)
    stored = {w for w, d in G.nodes(data=True) if d["resolved"]}
    seeds = ("10.5555/SYN.40", "https://doi.org/10.5555/syn.41")
    for steps, direction in ((0, "both"), (1, "backward"), (2, "forward"), (2, "both")):
        reached = {"10.5555/syn.40", "10.5555/syn.41"}
        for _ in range(steps):
            nxt = set(reached)
            for k in reached:
                if k in G:
                    if direction in ("backward", "both"):
                        nxt |= set(G.successors(k))
                    if direction in ("forward", "both"):
                        nxt |= set(G.predecessors(k))
            reached = nxt
        with open_dataset(ds_dir) as ds:
            n = select_field(ds, FieldSelection(seeds=seeds, steps=steps, direction=direction))
            assert field_keys(ds) == sorted(reached & stored)
            assert n == len(reached & stored)


def test_synthetic_field_by_attributes(synthetic: tuple[list[Path], Path, Store]) -> None:
    _, ds_dir, store = synthetic
    rows = store.execute("SELECT doi, year, subjects, title FROM works").fetchall()
    expected = sorted(k for k, y, subj, title in rows
                      if 1980 <= y <= 1999 and "Synthetic A" in json.loads(subj) and "work 3" in title)
    with open_dataset(ds_dir) as ds:
        select_field(ds, FieldSelection(issns=("1234-567x",), subjects=("synthetic a",), years=(1980, 1999),
                                        terms=("SYNTHETIC", "work 3")))
        assert field_keys(ds) == expected
        assert expected
        select_field(ds, FieldSelection(journals=("J SYNTH",), issns=("0000-0000",)))
        assert field_keys(ds) == []


def test_field_scoped_analyses_equal_a_store_of_the_field(
        synthetic: tuple[list[Path], Path, Store], tmp_path: Path) -> None:
    _, ds_dir, _ = synthetic
    selection = FieldSelection(years=(1990, 2005))
    report = ss.to_store(ds_dir, selection, tmp_path / "field.sqlite")
    assert report.selected == report.crossref > 0
    with Store(tmp_path / "field.sqlite", readonly=True) as field_store, open_dataset(ds_dir) as ds:
        select_field(ds, selection)
        ds.use_field("cg_field")
        assert_same_as_in_memory(ds, field_store, pairs=False)


def test_resume_after_a_kill_ends_with_the_same_dataset(
        synthetic: tuple[list[Path], Path, Store], tmp_path: Path) -> None:
    files, ds_dir, _ = synthetic
    out = tmp_path / "ds"
    ss.ingest(files, "crossref", out, row_group_rows=100)
    # a run killed while writing the last file: its entry not in the manifest, a partial temporary file left
    manifest = Manifest.load(out)
    last = manifest.files.pop(str(files[-1].resolve()))
    manifest.save(out)
    for sub in ("works", "refs"):
        (out / sub / f"{last.part}.parquet").unlink()
    (out / "works" / f"{last.part}.parquet.tmp").write_bytes(b"PAR1 partial")
    with open_dataset(out) as ds:  # what a reader sees meanwhile: the files done
        assert ds.count("cg_works_all") == sum(e.works for e in manifest.files.values())
    report = ss.ingest(files, "crossref", out, row_group_rows=100)
    assert [Path(f.path).name for f in report.files] == [files[-1].name]
    assert len(report.skipped) == 2
    assert not list(out.rglob("*.tmp"))

    def rows(d: Path) -> tuple[list[Any], list[Any]]:
        with open_dataset(d) as ds:
            return (sorted(map(str, ds.engine.sql("SELECT * FROM cg_works_all").to_pylist())),
                    sorted(map(str, ds.engine.sql("SELECT * FROM cg_refs_all").to_pylist())))

    assert rows(out) == rows(ds_dir)
    parallel = ss.ingest(files, "crossref", tmp_path / "parallel", row_group_rows=100, workers=2)
    assert len(parallel.files) == 3
    assert rows(tmp_path / "parallel") == rows(ds_dir)
    again = ss.ingest(files, "crossref", out, resume=True)
    assert again.files == () and len(again.skipped) == 3


def test_items_stream_decodes_one_record_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = synthetic_records()[:40]
    path = tmp_path / "items.json"
    path.write_text(json.dumps({"status": "ok", "message": {"total-results": 40, "items": records}}), "utf-8")
    monkeypatch.setattr(ss, "_CHUNK", 64)  # buffers far smaller than a record: they grow and shrink
    assert list(ss.iter_records(path)) == records
    one_line = tmp_path / "one-line.json.gz"  # as the public data file writes them: one long line
    one_line.write_bytes(gzip.compress(json.dumps({"items": records}).encode()))
    assert list(ss.iter_records(one_line)) == records
    short = tmp_path / "short.json"  # a one-line items file shorter than the first read
    short.write_text(json.dumps({"items": records[:2]}) + "\n", "utf-8")
    assert list(ss.iter_records(short)) == records[:2]
    truncated = tmp_path / "truncated.json"
    truncated.write_text(json.dumps({"items": records})[:-3000], "utf-8")
    report = ss.ingest([truncated], "crossref", tmp_path / "ds")
    assert report.failed == ()
    assert report.bad == 1 and 0 < report.works < 40


def test_an_unreadable_file_is_left_for_the_next_run(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl.gz"
    data = gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for r in synthetic_records()[:200]))
    path.write_bytes(data[: len(data) // 2])
    report = ss.ingest([path], "crossref", tmp_path / "ds")
    assert len(report.failed) == 1 and "EOFError" in (report.failed[0].error or "")
    assert Manifest.load(tmp_path / "ds").files == {}
    assert not list((tmp_path / "ds").rglob("*.parquet*"))


# -- real records ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crossref_dataset(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    files = sorted((shared_dir / "crossref").glob("works-*.jsonl.gz"))
    out = tmp_path_factory.mktemp("crossref") / "ds"
    ss.ingest(files, "crossref", out)
    return files, out


@pytest.mark.shared
def test_real_dump_records_ingest_as_parse_work_reads_them(crossref_dataset: tuple[list[Path], Path]) -> None:
    files, out = crossref_dataset
    manifest = Manifest.load(out)
    dump = next(f for f in files if f.name == "works-oc_ds_converter.jsonl.gz")
    entry = manifest.files[str(dump.resolve())]
    with gzip.open(dump, "rt", encoding="utf-8") as fh:
        parsed = [parse_work(json.loads(line), source="t") for line in fh if line.strip()]
    assert (entry.records, entry.works, entry.refs, entry.bad) == (
        6012, len(parsed), sum(len(p.references) for p in parsed), 0)
    with open_dataset(out) as ds:
        got = ds.engine.sql("SELECT key, doi_original, title, year, container, first_author, references_count "
                            f"FROM cg_works_all WHERE part = '{entry.part}' ORDER BY record_no").to_pylist()
    assert got == [{"key": p.work.doi, "doi_original": p.work.doi_original, "title": p.work.title,
                    "year": p.work.year, "container": p.work.container, "first_author": p.work.first_author,
                    "references_count": p.work.references_count} for p in parsed]


@pytest.mark.shared
def test_real_crossref_analyses_equal_the_in_memory_path(crossref_dataset: tuple[list[Path], Path],
                                                         shared_corpus: Path) -> None:
    _, out = crossref_dataset
    with Store(shared_corpus, readonly=True) as store, open_dataset(out) as ds:
        assert ds.count("cg_works") == store.counts()["works"] == 6587
        assert_same_as_in_memory(ds, store)


@pytest.mark.shared
def test_real_openalex_records_equal_the_in_memory_path(shared_dir: Path, tmp_path: Path) -> None:
    files = [shared_dir / "openalex" / "works-openalexPro.jsonl.gz"]
    report = ss.ingest(files, "openalex", tmp_path / "ds")
    assert (report.records, report.works, report.bad) == (247, 247, 0)
    with store_of(files, tmp_path / "oa.sqlite", fmt="openalex") as store, open_dataset(tmp_path / "ds") as ds:
        assert ds.count("cg_edges") == len(store.citation_edges()) > 0
        assert_same_as_in_memory(ds, store)


@pytest.mark.shared
def test_real_field_to_store_then_analyse(crossref_dataset: tuple[list[Path], Path], tmp_path: Path) -> None:
    from citegraph.analysis.pipeline import analyse

    _, out = crossref_dataset
    selection = FieldSelection(terms=("alopecia",))
    report = ss.to_store(out, selection, tmp_path / "alopecia.sqlite")
    assert report.selected == report.crossref > 0
    with Store(tmp_path / "alopecia.sqlite", readonly=True) as store:
        keys = [r[0] for r in store.execute("SELECT doi FROM works ORDER BY doi")]
        with open_dataset(out) as ds:
            select_field(ds, selection)
            assert keys == field_keys(ds)
        result = analyse(store)
        assert result is not None


@pytest.mark.shared
def test_openalex_parquet_reads_as_json_lines(shared_dir: Path, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    keep = ("id", "doi", "title", "display_name", "publication_year", "type", "cited_by_count",
            "referenced_works_count", "referenced_works")
    path = shared_dir / "openalex" / "works-openalexPro.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        records = [{k: r.get(k) for k in keep} for r in map(json.loads, fh)]
    (tmp_path / "in").mkdir()
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "in" / "works.parquet")
    (tmp_path / "in" / "works.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    from_parquet = ss.ingest([tmp_path / "in" / "works.parquet"], "openalex", tmp_path / "pq")
    from_json = ss.ingest([tmp_path / "in" / "works.jsonl"], "openalex", tmp_path / "js")
    assert (from_parquet.works, from_parquet.refs) == (from_json.works, from_json.refs) == (247, 4331)
    with open_dataset(tmp_path / "pq") as a, open_dataset(tmp_path / "js") as b:
        query = "SELECT key, title, year, is_referenced_by_count FROM cg_works ORDER BY key"
        assert a.engine.sql(query).to_pylist() == b.engine.sql(query).to_pylist()
        assert sa.pagerank(a) == sa.pagerank(b)


def test_a_second_ingestion_into_the_same_dataset_is_refused_while_the_first_runs(tmp_path: Path) -> None:
    import fcntl

    src = tmp_path / "w.jsonl"  # hand-made unit record
    src.write_text(json.dumps({"DOI": "10.1/a", "reference": [{"key": "1", "DOI": "10.1/b"}]}) + "\n")
    out = tmp_path / "ds"
    out.mkdir()
    with open(out / ".ingest.lock", "w") as held:  # what a running ingestion holds
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(UsageError, match="another `citegraph ingest` is writing this dataset"):
            ss.ingest([src], "crossref", out)
        assert not (out / "manifest.json").exists()
    assert ss.ingest([src], "crossref", out).works == 1  # released (a killed run's lock is released too)
    assert ss.ingest([src], "crossref", out).skipped  # and the lock is taken and given back each time


def test_duckdb_sql_functions_see_nulls_and_failing_rows_give_null() -> None:
    import pyarrow as pa

    engine = DuckDBEngine(threads=1)
    calls: list[int] = []

    def year(text: str | None, latest: int | None) -> int | None:
        calls.append(1)
        if text == "boom":
            raise ValueError("a failing row")
        return None if text is None else len(text) + (latest or 0)

    try:
        engine.register_function("cg_test_len", year, [pa.string(), pa.int32()], pa.int32())
        table = engine.sql("SELECT i, cg_test_len(CASE WHEN i % 3 = 0 THEN NULL WHEN i = 4 THEN 'boom' "
                           "ELSE repeat('x', i) END, CAST(i AS INTEGER)) AS y FROM range(5000) t(i) ORDER BY i")
        got = table.column("y").to_pylist()
        assert got[:6] == [None, 2, 4, None, None, 10]
        assert got[4999] == 9998 and got[4998] is None
        assert len(calls) == 5000  # every row seen once, nulls included (the function decides)
        engine.register_function("cg_test_len", lambda text, latest: 7, [pa.string(), pa.int32()], pa.int32())
        assert engine.sql("SELECT cg_test_len('a', 1) AS y").column("y").to_pylist() == [7]  # replaced
    finally:
        engine.close()


def test_clusters_in_a_second_process_equal_those_computed_here(synthetic: tuple[list[Path], Path, Store]) -> None:
    _, ds_dir, store = synthetic
    options = sa.SnapshotOptions(pairs=("cocitation", "coupling"), iterations=-1, seed=5)
    with open_dataset(ds_dir, DuckDBEngine(memory_limit="2GB")) as ds:
        here = sa.analyse_dataset(ds, options, workers=1)
        beside = sa.analyse_dataset(ds, options, workers=2)  # forked at any size
        with pytest.raises(UsageError, match="workers 0 must be at least 1"):
            sa.analyse_dataset(ds, options, workers=0)
        assert ds.engine.sql("SELECT current_setting('memory_limit') AS m").column("m")[0].as_py() == "1.8 GiB"
    assert "clusters (second process)" in beside.seconds and "clusters (second process)" not in here.seconds
    assert beside.works.equals(here.works) and beside.clusters == here.clusters and beside.rpys == here.rpys
    assert all(beside.pairs[k].equals(here.pairs[k]) for k in options.pairs)
    G = citation_graph(store)
    assert dict(zip(here.works.column("key").to_pylist(), here.works.column("cluster").to_pylist(),
                    strict=True)) == find_clusters(G, seed=5, iterations=-1)


def test_per_node_results_go_by_node_id_and_a_differing_order_is_mapped_by_key() -> None:
    import pyarrow as pa

    # hand-made keys: the counts' rows and the node ids agree (the rule), or not (mapped key by key)
    nodes = ["10.1/a", "10.1/b", "10.1/c"]
    assert sa._rows_of_ids(pa.table({"key": nodes}), nodes).tolist() == [0, 1, 2]
    assert sa._rows_of_ids(pa.table({"key": ["10.1/b", "10.1/c", "10.1/a"]}), nodes).tolist() == [1, 2, 0]
    with pytest.raises(KeyError, match=r"10\.1/x"):  # a key without an id is not silently dropped
        sa._rows_of_ids(pa.table({"key": ["10.1/a", "10.1/x", "10.1/c"]}), nodes)


def test_a_dataset_without_years_has_no_citations_per_year(tmp_path: Path) -> None:
    # hand-made unit records without dates: per_year is None for every node, as in the in-memory path
    src = tmp_path / "w.jsonl"
    src.write_text("\n".join(json.dumps({"DOI": k, "is-referenced-by-count": 3,
                                          "reference": [{"key": "1", "DOI": c} for c in cs]})
                              for k, cs in [("10.1/a", ["10.1/b", "10.1/c"]), ("10.1/b", ["10.1/c"])]))
    ss.ingest([src], "crossref", tmp_path / "ds")
    with open_dataset(tmp_path / "ds") as ds:
        result = sa.analyse_dataset(ds, sa.SnapshotOptions(min_count=1))
    assert result.works.column("per_year").to_pylist() == [None, None, None]
    assert result.works.column("global").to_pylist() == [3, 3, None]
    assert result.works.column("component").to_pylist() == ["10.1/a"] * 3


def test_records_with_surrogate_escapes_ingest_as_parse_work_reads_them(tmp_path: Path) -> None:
    """Only a record whose text escapes a surrogate skips the fast path; both give parse_work's values."""
    import gc

    import pyarrow.parquet as pq

    # hand-made unit records, as JSON Lines and as an items file: a lone surrogate in a reference and in a
    # title, a proper pair (an emoji) and a record with none
    lines = ['{"DOI": "10.5555/S1", "title": ["T \\ud800 x"], '
             '"reference": [{"key": "k\\udfff", "DOI": "10.5555/S2"}]}',
             '{"DOI": "10.5555/S2", "title": ["Pair \\ud83d\\ude00"], '
             '"reference": [{"key": "a", "DOI": "10.5555/S1"}]}',
             '{"DOI": "10.5555/S3", "title": ["Plain"], '
             '"reference": [{"key": "b", "DOI": "10.5555/S2", "year": "1999"}]}']
    (tmp_path / "s.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "s.json").write_text('{"items": [' + ",\n".join(lines) + "]}", encoding="utf-8")
    flags = [flag for _, flag in ss._flagged_records(tmp_path / "s.jsonl")]
    assert flags == [False, False, True] == [flag for _, flag in ss._flagged_records(tmp_path / "s.json")]
    assert gc.isenabled()
    report = ss.ingest([tmp_path / "s.jsonl", tmp_path / "s.json"], "crossref", tmp_path / "ds")
    assert gc.isenabled()  # paused while parsing, given back
    assert (report.works, report.refs, report.bad) == (6, 6, 0)
    parsed = [parse_work(json.loads(line), source="t") for line in lines]
    for table in ("works", "refs"):
        for part in sorted((tmp_path / "ds" / table).glob("*.parquet")):
            rows = pq.read_table(part).to_pylist()
            if table == "works":
                assert [(r["key"], r["title"]) for r in rows] == [(p.work.doi, p.work.title) for p in parsed]
            else:
                assert [(r["citing"], r["cited"], r["year"]) for r in rows] == [
                    (x.citing, x.cited, x.year) for p in parsed for x in p.references]
    assert parsed[0].work.title == "T \ufffd x" and parsed[1].work.title == "Pair \U0001f600"
