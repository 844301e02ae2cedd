"""The snapshot dataset's :class:`~citegraph.store.dataset.Engine` on Spark SQL (PySpark), for a cluster.

:class:`SparkEngine` runs the very SQL texts of :mod:`citegraph.store.dataset`
and :mod:`citegraph.analysis.snapshot` with ``spark.sql``, so a dataset
ingested once (:func:`citegraph.sources.snapshot.ingest`) is analysed on a
Spark cluster exactly as on DuckDB (``method="sql"`` for PageRank and
components keeps the iteration on the cluster)::

    from citegraph.analysis.snapshot import pagerank
    from citegraph.store.dataset import open_dataset
    from citegraph.store.spark import SparkEngine

    with open_dataset("ds", SparkEngine(master="local[2]")) as ds:
        scores = pagerank(ds, method="sql")

How each seam method maps onto Spark:

``sql``
    ``spark.sql(q).toArrow()`` (pyspark 4); ``toPandas`` otherwise.
``view``
    ``CREATE OR REPLACE TEMP VIEW name AS ...``: the view keeps its SQL text
    and resolves the names in it when it is read, as a DuckDB view does (so a
    view over ``cg_records`` sees the table that ``use_field`` last made).
``materialize``
    ``spark.sql(q)`` checkpointed (``localCheckpoint``, or ``checkpoint``
    with ``checkpoint="reliable"``) and registered with
    ``createOrReplaceTempView``. Not ``CACHE TABLE name AS ...``: that form
    refuses an existing name and keeps the query's text, so the iterative
    analyses, which rebuild a table from one computed from it (``cg_pr`` from
    ``cg_pr_next`` from ``cg_pr``), would make a recursive view, and a
    cached plan would grow by one step per iteration. A checkpoint is
    computed once and cuts the lineage; a copy of a kept table (``SELECT
    id, x FROM cg_pr_next``) is not computed again, and the blocks of a
    table replaced are freed at once (Spark would keep them until the
    driver's JVM collects garbage: hundreds of PageRank steps).
``parquet_view``
    ``spark.read.schema(...).parquet(*paths)`` with the dataset's schema (an
    empty DataFrame of that schema when there are no files).
``register_table``
    ``spark.createDataFrame(arrow_table)``.
``register_function``
    ``spark.udf.register``: a Python UDF (a failing row gives null, as on
    DuckDB). Its Python workers run ``PYSPARK_PYTHON`` (set to this
    interpreter when unset); on a cluster, citegraph must be installed on
    the executors' Python.

``dialect`` is ``"spark"`` (DuckDB's engine has none: ``"duckdb"`` is
assumed); the shared SQL needs no switch on it today.

pyspark is imported only when a :class:`SparkEngine` is made; without it,
or without a Java runtime, the engine raises
:class:`~citegraph.errors.NotAvailableError` saying what to install.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from citegraph.errors import NotAvailableError, UsageError

__all__ = ["DEFAULT_CONFIG", "PYSPARK_REQUIREMENT", "SparkEngine", "java_available", "spark_type"]

#: What to ``pip install`` for this engine.
PYSPARK_REQUIREMENT = "pyspark>=4.0,<5"

#: Settings of a SparkSession this engine starts (``config`` overrides them): a small local session.
DEFAULT_CONFIG: dict[str, str] = {
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.driver.memory": "2g",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
}

_CHECKPOINTS = ("local", "reliable")

#: ``SELECT a, b FROM t``: a table copied under another name (the iterative analyses' last step).
_COPY = re.compile(r"\s*SELECT\s+([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)\s+FROM\s+"
                   r"([A-Za-z_][A-Za-z0-9_]*)\s*", re.IGNORECASE)


def java_available() -> bool:
    """Whether a ``java`` executable is there for Spark (``JAVA_HOME/bin/java`` or on the ``PATH``)."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return True
    return shutil.which("java") is not None


def spark_type(t: pa.DataType) -> str:
    """A Spark SQL type (DDL) for an Arrow type of the dataset's schemas.

    Examples
    --------
    >>> spark_type(pa.list_(pa.string())), spark_type(pa.int32())
    ('ARRAY<STRING>', 'INT')
    """
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "STRING"
    if pa.types.is_int32(t):
        return "INT"
    if pa.types.is_int64(t):
        return "BIGINT"
    if pa.types.is_int16(t):
        return "SMALLINT"
    if pa.types.is_float64(t):
        return "DOUBLE"
    if pa.types.is_float32(t):
        return "FLOAT"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return f"ARRAY<{spark_type(t.value_type)}>"
    raise UsageError(f"no Spark SQL type for the Arrow type {t}")


def _ddl(schema: pa.Schema) -> str:
    return ", ".join(f"`{f.name}` {spark_type(f.type)}" for f in schema)


def _checkpointed_rdd(df: Any) -> Any:
    """The JVM RDD a checkpointed DataFrame reads (its plan is a ``LogicalRDD``), or None (Spark Connect)."""
    try:
        plan = df._jdf.logicalPlan()
        return plan.rdd() if plan.getClass().getSimpleName() == "LogicalRDD" else None
    except Exception:
        return None


def _name(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise UsageError(f"{name!r} is not a usable table name")
    return name


class SparkEngine:
    """:class:`~citegraph.store.dataset.Engine` on a SparkSession (local mode by default).

    Parameters
    ----------
    session : pyspark.sql.SparkSession, optional
        A running session to use. With ``isolate`` (the default) the engine
        works in ``session.newSession()``: its own temporary views and
        functions over the same SparkContext, so several engines (several
        open datasets) share one JVM without seeing each other's tables.
        :meth:`close` then drops the engine's tables but never stops the
        session. Without ``session``, a session is created (or the active
        one reused) with ``master``, ``app_name`` and ``config``; ``close``
        stops it only when this engine started it.
    app_name : str
        The Spark application's name.
    master : str or None
        Where to run: ``"local[2]"`` (two cores of this machine, the
        default), ``"local[*]"``, ``"spark://host:7077"``, ``"yarn"``...;
        None leaves it to the Spark configuration (what ``spark-submit
        --master`` or ``spark-defaults.conf`` says: a job submitted with
        ``spark-submit`` passes None).
    config : mapping, optional
        Spark settings over :data:`DEFAULT_CONFIG` (only applied when this
        engine starts the session).
    checkpoint : {"local", "reliable"}
        How :meth:`materialize` keeps a table: ``"local"``
        (``localCheckpoint``: in the executors' block managers, lost with
        an executor; the default) or ``"reliable"`` (``checkpoint`` to the
        SparkContext's checkpoint folder, which survives a lost executor:
        give ``spark.checkpoint.dir`` in ``config`` on a cluster). Not
        ``cache()``: replacing a cached view uncaches every cached table
        computed from it, which the iterative analyses do at each step.
    isolate : bool
        Work in a new session of ``session`` (see above).

    Raises
    ------
    NotAvailableError
        pyspark is not installed, or there is no Java runtime.

    Attributes
    ----------
    spark : pyspark.sql.SparkSession
        The session the engine's SQL runs in.
    dialect : str
        ``"spark"``.
    """

    dialect = "spark"

    def __init__(self, session: Any = None, *, app_name: str = "citegraph", master: str | None = "local[2]",
                 config: Mapping[str, str] | None = None, checkpoint: str = "local", isolate: bool = True) -> None:
        if checkpoint not in _CHECKPOINTS:
            raise UsageError(f"checkpoint {checkpoint!r} is not one of {', '.join(_CHECKPOINTS)}")
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise NotAvailableError(f"the Spark engine needs pyspark: pip install '{PYSPARK_REQUIREMENT}' "
                                    f"(and a Java 17+ runtime)") from exc
        self.checkpoint = checkpoint
        self._owns = False
        if session is None:
            session = SparkSession.getActiveSession()
            if session is None:
                session = self._start(SparkSession, app_name, master, config)
                self._owns = True
        self.spark: Any = session.newSession() if isolate and not self._owns else session
        checkpoint_dir = dict(config or {}).get("spark.checkpoint.dir")
        if checkpoint_dir and not self._owns:  # a session reused: its context takes the folder asked for
            session.sparkContext.setCheckpointDir(checkpoint_dir)
        self._tables: dict[str, Any] = {}  # materialised and registered DataFrames, kept to release them
        self._rdds: dict[str, Any] = {}  # name -> the checkpointed (JVM) RDD its rows are in, freed when unused
        self._views: set[str] = set()

    @staticmethod
    def _start(session_class: Any, app_name: str, master: str | None, config: Mapping[str, str] | None) -> Any:
        if not java_available():
            raise NotAvailableError("the Spark engine needs a Java 17+ runtime: install one (Debian: apt-get "
                                    "install default-jre-headless) or set JAVA_HOME")
        # the Python workers (UDFs) must run this interpreter, where citegraph is importable
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = session_class.builder.appName(app_name)
        if master is not None:  # None: the master spark-submit (or spark-defaults.conf) gives
            builder = builder.master(master)
        for key, value in {**DEFAULT_CONFIG, **dict(config or {})}.items():
            builder = builder.config(key, value)
        try:
            session = builder.getOrCreate()
        except Exception as exc:  # the JVM did not start (PySparkRuntimeError JAVA_GATEWAY_EXITED, ...)
            raise NotAvailableError(f"Spark could not start ({type(exc).__name__}: {str(exc).splitlines()[0]}); "
                                    "it needs a Java 17+ runtime (Debian: default-jre-headless)") from exc
        session.sparkContext.setLogLevel("ERROR")
        checkpoint_dir = dict(config or {}).get("spark.checkpoint.dir")
        if checkpoint_dir:
            session.sparkContext.setCheckpointDir(checkpoint_dir)
        return session

    # -- the Engine seam --

    def sql(self, query: str) -> pa.Table:
        """Run a query, return its rows as an Arrow table."""
        df = self.spark.sql(query)
        to_arrow = getattr(df, "toArrow", None)
        if to_arrow is not None:
            result = to_arrow()
            return result if isinstance(result, pa.Table) else pa.Table.from_batches(result)
        return pa.Table.from_pandas(df.toPandas(), preserve_index=False)  # pyspark < 4.0

    def execute(self, statement: str) -> None:
        """Run a statement (commands run eagerly in ``spark.sql``)."""
        self.spark.sql(statement)

    def materialize(self, name: str, query: str) -> None:
        """Compute ``query`` once (checkpointed) and keep it as temporary view ``name``."""
        copy = _COPY.fullmatch(query)
        if copy and copy.group(2) in self._tables:  # a copy of a kept table: no need to compute it again
            df = self._tables[copy.group(2)].select(*(c.strip() for c in copy.group(1).split(",")))
            rdd = self._rdds.get(copy.group(2))
        else:
            df = self.spark.sql(query)
            df = df.localCheckpoint(eager=True) if self.checkpoint == "local" else df.checkpoint(eager=True)
            rdd = _checkpointed_rdd(df)
        self._keep(name, df, rdd)

    def view(self, name: str, query: str) -> None:
        """Define ``name`` as a temporary view over ``query`` (names resolved when read)."""
        self._release(name)
        self.spark.sql(f"CREATE OR REPLACE TEMP VIEW {_name(name)} AS {query}")
        self._views.add(name)

    def number(self, name: str, source: str, column: str) -> None:
        """Distinct ``column`` of ``source`` numbered 0..n-1 in order, without gathering the rows in one task.

        ``ROW_NUMBER() OVER (ORDER BY ...)`` has no partition, so Spark moves every row to a single task; here
        the rows are sorted across partitions (a range partitioning) and ``zipWithIndex`` numbers them in that
        order, each partition starting where the previous ones end.
        """
        col = _name(column)
        ordered = self.spark.sql(f"SELECT DISTINCT {col} FROM {_name(source)}").orderBy(col)
        schema = f"{col} STRING, id BIGINT"
        numbered = ordered.rdd.zipWithIndex().map(lambda pair: (pair[0][0], pair[1]))
        df = self.spark.createDataFrame(numbered, schema)
        df = df.localCheckpoint(eager=True) if self.checkpoint == "local" else df.checkpoint(eager=True)
        self._keep(name, df, _checkpointed_rdd(df))

    def parquet_view(self, name: str, paths: Sequence[str], schema: pa.Schema) -> None:
        """Define ``name`` over Parquet files read with ``schema`` (empty with no files).

        The paths are local paths or URLs, read by Spark's own (Hadoop) file systems: ``s3a://`` needs
        ``hadoop-aws`` on the classpath, ``gs://`` the GCS connector, ``hdfs://`` a Hadoop configuration.
        """
        if paths:
            df = self.spark.read.schema(_ddl(schema)).parquet(*(str(p) for p in paths))
        else:
            df = self.spark.createDataFrame([], _ddl(schema))
        self._release(name)
        df.createOrReplaceTempView(_name(name))
        self._views.add(name)

    def register_table(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table queryable as ``name`` (sent to the executors; meant for small tables)."""
        if table.num_rows == 0:
            df = self.spark.createDataFrame([], _ddl(table.schema))
        else:
            try:
                df = self.spark.createDataFrame(table)  # pyspark >= 4.0 takes Arrow tables
            except TypeError:
                df = self.spark.createDataFrame(table.to_pylist(), _ddl(table.schema))
        self._keep(name, df)

    def register_function(self, name: str, fn: Callable[..., Any], args: Sequence[pa.DataType],
                          returns: pa.DataType) -> None:
        """Make ``fn`` an SQL function (a Python UDF; a row that raises gives null, as on DuckDB)."""

        def safe(*values: Any) -> Any:
            try:
                return fn(*values)
            except Exception:
                return None

        safe.__name__ = getattr(fn, "__name__", name)
        self.spark.udf.register(_name(name), safe, spark_type(returns))

    def close(self) -> None:
        """Drop the engine's tables and views; stop the session when this engine started it."""
        if self._owns:
            self.spark.stop()
        else:
            for name in list(self._tables) + list(self._views):
                self._release(name)
            self._tables.clear()
            self._views.clear()

    # -- helpers --

    def _keep(self, name: str, df: Any, rdd: Any = None) -> None:
        _name(name)
        old = self._rdds.pop(name, None)
        df.createOrReplaceTempView(name)
        self._views.discard(name)
        self._tables[name] = df
        if rdd is not None:
            self._rdds[name] = rdd
        self._free(old)

    def _free(self, rdd: Any) -> None:
        """Drop a checkpoint's blocks once no kept table reads them (Spark would keep them until a JVM GC)."""
        if rdd is None:
            return
        try:
            if all(r.id() != rdd.id() for r in self._rdds.values()):
                rdd.unpersist(False)
        except Exception:  # a stopped session
            pass

    def _release(self, name: str) -> None:
        self._tables.pop(name, None)
        try:
            self.spark.catalog.dropTempView(name)
        except Exception:  # a stopped session: nothing left to drop
            pass
        self._views.discard(name)
        self._free(self._rdds.pop(name, None))

    def __enter__(self) -> SparkEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
