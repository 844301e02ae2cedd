"""Whole-snapshot path on Spark (issue 21): the same SQL on PySpark local mode equals DuckDB and the in-memory path.

The datasets are those of ``tests/test_snapshot.py`` (its SYNTHETIC Price-model records, written as snapshot
files by its ``write_synthetic``; not bibliographic data), made smaller: Spark's cost here is a fixed
~0.1-0.5 s per job, not the rows. One SparkSession serves the module (starting the JVM takes ~10 s); each
dataset opens on an isolated ``SparkEngine`` over it. Skipped, saying why, without pyspark or Java.
"""

from __future__ import annotations

import importlib.util
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from citegraph.errors import NotAvailableError, UsageError
from citegraph.store.spark import SparkEngine, java_available

if importlib.util.find_spec("pyspark") is None:
    pytest.skip("the Spark engine needs pyspark (pip install 'pyspark>=4.0,<5')", allow_module_level=True)
if not java_available():
    pytest.skip("the Spark engine needs a Java 17+ runtime (Debian: apt-get install default-jre-headless)",
                allow_module_level=True)

import networkx as nx
import test_snapshot as base  # the DuckDB tests' datasets and comparisons (tests/ is on sys.path)

from citegraph.analysis import snapshot as sa
from citegraph.analysis.clusters import find_clusters
from citegraph.analysis.rank import citations_per_year, pagerank_scores
from citegraph.analysis.rpys import reference_years_from_store, rpys
from citegraph.graphs.citation import citation_graph
from citegraph.graphs.cooccurrence import cocitation_graph, coupling_graph
from citegraph.sources import snapshot as ss
from citegraph.store import Store
from citegraph.store.dataset import Dataset, FieldSelection, field_keys, open_dataset, select_field

pytestmark = pytest.mark.slow  # about 2 minutes on 2 cores: Spark's per-query latency, ~0.5 s a PageRank step

#: References of the SYNTHETIC graph here (test_snapshot.py: 3000).
SPARK_N_REFS = 600

#: A small, quick local session: one shuffle partition (the tables have hundreds of rows).
TEST_CONFIG = {"spark.sql.shuffle.partitions": "1", "spark.default.parallelism": "2", "spark.driver.memory": "1g"}


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    engine = SparkEngine(master="local[2]", app_name="citegraph-tests", config=TEST_CONFIG)
    yield engine.spark
    engine.close()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Store]]:
    root = tmp_path_factory.mktemp("synthetic-spark")
    saved = base.SYN_N_REFS
    base.SYN_N_REFS = SPARK_N_REFS  # read by base.synthetic_records() when called
    try:
        files = base.write_synthetic(root / "snapshot")
    finally:
        base.SYN_N_REFS = saved
    ss.ingest(files, "crossref", root / "ds", row_group_rows=50)
    store = base.store_of(files, root / "syn.sqlite")
    yield root / "ds", store
    store.close()


def on_spark(ds_dir: Path, spark: Any) -> Dataset:
    return open_dataset(ds_dir, SparkEngine(spark))


def pairs_of(table: Any) -> dict[tuple[str, str], tuple[int, float]]:
    return {(a, b): (c, w) for a, b, c, w in zip(*(table.column(x).to_pylist() for x in ("a", "b", "count", "weight")),
                                                 strict=True)}


#: Co-occurrence variants checked: (normalisation, min_count, top_k); test_snapshot.py's and association.
PAIR_CASES = (("count", 1, None), ("count", 2, 3), ("cosine", 1, 2), ("jaccard", 2, None), ("association", 2, 2))


def assert_same_as_in_memory_and_duckdb(sp: Dataset, store: Store, duck: Dataset, *, pairs: bool = True) -> None:
    """What ``test_snapshot.assert_same_as_in_memory`` checks, each Spark result computed once and compared
    with both the in-memory path and DuckDB (Spark's cost is per query, so nothing is asked twice)."""
    G = citation_graph(store)
    counts = sa.citation_counts(sp)
    assert counts.to_pylist() == sa.citation_counts(duck).to_pylist()
    keys = counts.column("key").to_pylist()
    assert keys == sorted(G.nodes)
    assert dict(zip(keys, counts.column("local").to_pylist(), strict=True)) == dict(G.in_degree())
    glob = {k: v for k, v in zip(keys, counts.column("global").to_pylist(), strict=True) if v is not None}
    assert glob == {n: d["citations_global"] for n, d in G.nodes(data=True) if d.get("citations_global") is not None}
    per_year = sa.citations_per_year(sp)
    assert per_year == pytest.approx({k: v for k, v in citations_per_year(G).items() if v is not None}, rel=1e-12)
    assert per_year == pytest.approx(sa.citations_per_year(duck), rel=1e-12)

    years = [y for y, _, _ in reference_years_from_store(store)]
    got = sa.rpys(sp)
    assert got == rpys(years) == sa.rpys(duck)
    got = sa.rpys(sp, window=3, years=(1900, 2030))
    assert got == rpys(years, window=3, years=(1900, 2030)) == sa.rpys(duck, window=3, years=(1900, 2030))

    expected_pr = pagerank_scores(G)
    networkx_pr = nx.pagerank(G, alpha=0.85, weight=None, tol=1e-12)
    duck_pr = sa.pagerank(duck, method="sql")
    for method in ("sql", "arrays"):
        pr = sa.pagerank(sp, method=method)
        assert pr.keys() == expected_pr.keys() == duck_pr.keys()
        for other in (expected_pr, networkx_pr, duck_pr):
            assert max(abs(pr[k] - other[k]) for k in pr) < 1e-9, method

    expected_cc = {n: min(c) for c in nx.weakly_connected_components(G) for n in c}
    assert sa.components(sp, method="sql") == expected_cc == sa.components(duck, method="sql")
    assert sa.components(sp) == expected_cc
    assert sa.clusters(sp, seed=2, iterations=-1) == find_clusters(G, method="leiden", seed=2, iterations=-1)

    if pairs:
        for kind, build in (("cocitation", cocitation_graph), ("coupling", coupling_graph)):
            for case, (normalise, min_count, top_k) in enumerate(PAIR_CASES):
                want = build(G, normalise=normalise, min_count=min_count, top_k=top_k)
                theirs = {tuple(sorted((u, v))): (d["count"], d["weight"]) for u, v, d in want.edges(data=True)}
                duckdb = pairs_of(sa.cooccurrence(duck, kind, normalise=normalise, min_count=min_count, top_k=top_k))
                # the SQL form every time; the array form (the same numpy code after reading the links) once a kind
                for method in ("sql", "arrays") if case == 1 else ("sql",):
                    mine = pairs_of(sa.cooccurrence(sp, kind, normalise=normalise, min_count=min_count, top_k=top_k,
                                                    method=method))
                    assert mine.keys() == theirs.keys() == duckdb.keys(), (kind, normalise, min_count, top_k, method)
                    assert all(mine[p][0] == theirs[p][0] == duckdb[p][0]
                               and math.isclose(round(mine[p][1], 6), theirs[p][1])
                               and math.isclose(mine[p][1], duckdb[p][1], rel_tol=1e-12) for p in mine), (kind, method)


def test_spark_analyses_equal_the_in_memory_path_and_duckdb(synthetic: tuple[Path, Store], spark: Any) -> None:
    ds_dir, store = synthetic
    with on_spark(ds_dir, spark) as sp, open_dataset(ds_dir) as duck:
        assert sp.engine.dialect == "spark"  # type: ignore[attr-defined]
        for view in ("cg_works_all", "cg_refs_all", "cg_works", "cg_refs", "cg_edges", "cg_nodes", "cg_node_ids"):
            assert sp.count(view) == duck.count(view), view
        assert sp.count("cg_works") == store.counts()["works"]
        assert sa.rpys_counts(sp) == sa.rpys_counts(duck)
        assert_same_as_in_memory_and_duckdb(sp, store, duck)


def test_spark_field_selections_equal_duckdb(synthetic: tuple[Path, Store], spark: Any) -> None:
    ds_dir, _ = synthetic
    selections = [
        FieldSelection(seeds=("10.5555/SYN.40", "https://doi.org/10.5555/syn.41"), steps=0),
        FieldSelection(seeds=("10.5555/SYN.40", "https://doi.org/10.5555/syn.41"), steps=1, direction="backward"),
        FieldSelection(seeds=("10.5555/SYN.40",), steps=2, direction="forward"),
        FieldSelection(seeds=("10.5555/SYN.40", "10.5555/SYN.41"), steps=2, direction="both", years=(1950, 2000)),
        FieldSelection(issns=("1234-567x",), subjects=("synthetic a",), years=(1980, 1999),
                       terms=("SYNTHETIC", "work 3")),
        FieldSelection(journals=("J SYNTH",), issns=("0000-0000",)),
        FieldSelection(journals=("j synth",), years=(None, 1970)),
    ]
    with on_spark(ds_dir, spark) as sp, open_dataset(ds_dir) as duck:
        for selection in selections:
            n = select_field(sp, selection)
            expected = (select_field(duck, selection), field_keys(duck))
            assert (n, field_keys(sp)) == expected, selection.describe()
        assert field_keys(sp)  # the last one is not empty


def test_spark_field_scoped_analyses_equal_a_store_of_the_field(
        synthetic: tuple[Path, Store], spark: Any, tmp_path: Path) -> None:
    ds_dir, _ = synthetic
    selection = FieldSelection(years=(1990, 2005))
    with on_spark(ds_dir, spark) as sp:
        report = ss.to_store(ds_dir, selection, tmp_path / "field.sqlite", dataset=sp)  # the field read on Spark
        assert report.selected == report.crossref > 0
        with Store(tmp_path / "field.sqlite", readonly=True) as field_store:
            sp.use_field("cg_field")
            assert sp.count("cg_works") == report.selected
            with open_dataset(ds_dir) as duck:
                select_field(duck, selection)
                duck.use_field("cg_field")
                assert_same_as_in_memory_and_duckdb(sp, field_store, duck, pairs=False)


def test_two_engines_on_one_session_do_not_see_each_other(synthetic: tuple[Path, Store], spark: Any) -> None:
    ds_dir, _ = synthetic
    with on_spark(ds_dir, spark) as a, on_spark(ds_dir, spark) as b:
        select_field(a, FieldSelection(years=(None, 1960)))
        select_field(b, FieldSelection(years=(2000, None)))
        assert field_keys(a) and field_keys(b)
        assert set(field_keys(a)).isdisjoint(field_keys(b))
        session = a.engine.spark  # type: ignore[attr-defined]
        assert "cg_field" in {t.name for t in session.catalog.listTables()}
    assert not session.catalog.listTables()  # closed: its tables dropped, the shared session still running
    assert spark.sql("SELECT 1 AS one").collect()[0].one == 1


@pytest.mark.parametrize("checkpoint", ["local", "reliable"])
def test_materialized_tables_survive_replacing_what_they_came_from(spark: Any, tmp_path: Path,
                                                                   checkpoint: str) -> None:
    import pyarrow as pa

    spark.sparkContext.setCheckpointDir(str(tmp_path / "checkpoints"))
    with SparkEngine(spark, checkpoint=checkpoint) as engine:
        engine.register_table("t", pa.table({"id": [3, 1, 2], "x": [0.5, 1.5, 2.5]}))
        engine.materialize("u", "SELECT id, x * 2e0 AS x FROM t")
        engine.materialize("v", "SELECT id, x FROM u")  # a copy: not computed again
        engine.materialize("u", "SELECT id, x + 1e0 AS x FROM v")  # replaces the table v reads
        assert engine.sql("SELECT id, x FROM u ORDER BY id").to_pylist() == [
            {"id": 1, "x": 4.0}, {"id": 2, "x": 6.0}, {"id": 3, "x": 2.0}]
        assert engine.sql("SELECT SUM(x) AS s FROM v").column("s").to_pylist() == [9.0]
        engine.register_table("empty", pa.table({"k": pa.array([], type=pa.string())}))
        assert engine.sql("SELECT COUNT(*) AS n FROM empty").column("n").to_pylist() == [0]


def test_without_pyspark_or_java_the_engine_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from citegraph.store import spark as spark_module

    with monkeypatch.context() as m:
        m.setitem(sys.modules, "pyspark.sql", None)  # import fails as if pyspark were not installed
        with pytest.raises(NotAvailableError, match=r"pip install 'pyspark>=4\.0,<5'"):
            SparkEngine()
    from pyspark.sql import SparkSession

    monkeypatch.setattr(SparkSession, "getActiveSession", staticmethod(lambda: None))
    monkeypatch.setattr(spark_module, "java_available", lambda: False)
    with pytest.raises(NotAvailableError, match="default-jre-headless") as info:
        SparkEngine()
    assert isinstance(info.value, UsageError)
    with pytest.raises(UsageError, match="checkpoint"):
        SparkEngine(checkpoint="sometimes")


def test_field_in_place_on_spark_writes_what_duckdb_writes(synthetic: tuple[Path, Store], spark: Any,
                                                          tmp_path: Path) -> None:
    from click.testing import CliRunner

    from citegraph.cli import cli

    ds_dir, _ = synthetic
    args = ["field", str(ds_dir), "--years", "1900-2100", "--pairs", "coupling", "--min-count", "2"]
    on_duck = CliRunner().invoke(cli, [*args, "--in-place", str(tmp_path / "duck")], catch_exceptions=False)
    # the fixture's session is active: the command's engine works in a new session of it
    on_spark = CliRunner().invoke(cli, [*args, "--in-place", str(tmp_path / "spark"), "--engine", "spark",
                                        "--spark-master", "local[2]",
                                        "--spark-conf", f"spark.checkpoint.dir={tmp_path / 'checkpoints'}"],
                                  catch_exceptions=False)
    assert on_duck.exit_code == 0 and on_spark.exit_code == 0, on_spark.output
    assert "analysed in place on spark" in on_spark.output
    for name in ("works.csv", "clusters.csv", "rpys.csv", "coupling.csv"):
        assert (tmp_path / "spark" / name).read_bytes() == (tmp_path / "duck" / name).read_bytes(), name
    summary = json.loads((tmp_path / "spark" / "summary.json").read_text(encoding="utf-8"))
    assert summary["facts"]["engine"] == "spark" and "pyspark" in summary["versions"]
    assert spark.sparkContext._jsc is not None  # the command left the shared session running
    assert any((tmp_path / "checkpoints").rglob("*"))  # reliable checkpoints went to the folder given
