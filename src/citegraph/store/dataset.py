"""A whole snapshot as a Parquet dataset, queried in place by an SQL engine (DuckDB here, or Spark SQL).

A seed map lives in a :class:`~citegraph.store.Store` (SQLite, in memory for
the analyses). A whole field, or a whole snapshot (the Crossref public data
file: about 167 million works and 2.5 billion references), does not: it is
ingested once (:func:`citegraph.sources.snapshot.ingest`) into a folder of
Parquet files, and queried there. This module is that folder's layout and the
engine seam over it:

``works/<part>.parquet``
    One row per record read (:data:`WORKS_SCHEMA`): the work's key (the
    lower-case DOI, :func:`~citegraph.doi.normalize_doi`; ``openalex:W...``
    for an OpenAlex work without DOI) and the columns of the store's ``works``
    table that the analyses and the field selection read, plus where the
    record came from (``source``, ``record_no``, ``fmt``).
``refs/<part>.parquet``
    One row per reference entry (:data:`REFS_SCHEMA`), as the store's ``refs``
    table has them (``cited`` the DOI key or null); OpenAlex references carry
    the cited work's OpenAlex id in ``cited_openalex`` instead.
``manifest.json``
    The input files already ingested, with their size, modification time and
    SHA-256 (:class:`Manifest`): a rerun skips them.

Why partitioned by input file: each input file becomes exactly one Parquet
file per table, written under a temporary name and renamed when complete, so
ingestion streams (no shuffle, bounded memory), a killed run redoes only the
file it was in, and Spark reads the same folders as DuckDB. Hash buckets by
key would speed up joins, but cost a shuffle at ingestion time; a compaction
step can add them later without changing the queries.

Why DuckDB: it is embedded (a Python package; no server, no JVM, no cluster),
it reads Parquet in place (no import step, column pruning and predicate
push-down), it runs out of core (hash joins and aggregates spill to disk, so
10^8-row joins fit a laptop) and it uses every core. The same SQL is meant to
run on Spark SQL for a cluster: the queries here and in
:mod:`citegraph.analysis.snapshot` use only what both dialects accept
(``CREATE OR REPLACE TEMP VIEW``, window functions, ``COALESCE``, ``CASE``,
``UNION ALL``, ``percentile_cont ... WITHIN GROUP``), take their lists of
values from registered tables rather than literals, and reach the engine
only through :class:`Engine` (``sql``, ``execute``, ``materialize``,
``register_table``, ``register_function``), which
:class:`citegraph.store.spark.SparkEngine` implements (``spark.sql``, checkpointed
DataFrames as temporary views, ``spark.udf.register``) with no change to the SQL.

Records of the same key
-----------------------
A key read more than once is one work, as in the store: per format, the last
record read wins (by source file name, then position in the file: the order
in which ``Store.add_works`` would have replaced it), and a Crossref record is
the work's row over an OpenAlex one (:data:`~citegraph.store.database.RECORD_PRIORITY`).
The views below apply that rule.

Views an opened dataset has (:func:`open_dataset`):

``cg_works_all``, ``cg_refs_all``
    The Parquet files as written.
``cg_records``
    One record per (key, format): the one that wins (a table).
``cg_works``
    One row per key (a view over ``cg_records``).
``cg_refs``
    The reference entries of the winning records.
``cg_edges``
    ``(citing, cited)`` citation links, one per pair, self-citations dropped,
    as :meth:`Store.citation_edges <citegraph.store.Store.citation_edges>`
    finds them: a reference with a DOI, or an OpenAlex reference whose cited
    work's OpenAlex record is in the dataset (a table).
``cg_nodes``
    Every work and every cited DOI, as the citation graph's nodes.
``cg_node_ids``
    ``(key, id)`` with ids ``0..n-1`` in key order (a table), for the array
    analyses.

A field (:func:`select_field`) restricts all of them to the selected works:
:meth:`Dataset.use_field`.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as d:      # an empty dataset: every view exists, with no rows
...     Manifest().save(Path(d))
...     with open_dataset(d) as ds:
...         ds.engine.sql("SELECT COUNT(*) AS n FROM cg_edges").column("n").to_pylist()
[0]
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from citegraph.errors import UsageError
from citegraph.store.location import DatasetLocation, is_url

__all__ = [
    "EDGES_SQL",
    "FIELD_EXPAND_SQL",
    "FIELD_FILTER_SQL",
    "MANIFEST_NAME",
    "NODES_SQL",
    "NODE_IDS_SQL",
    "RECORDS_SQL",
    "REFS_SCHEMA",
    "REFS_SQL",
    "WORKS_SCHEMA",
    "WORKS_SQL",
    "Dataset",
    "DuckDBEngine",
    "Engine",
    "FieldSelection",
    "FileEntry",
    "Manifest",
    "default_memory_limit",
    "field_keys",
    "open_dataset",
    "select_field",
]

log = logging.getLogger(__name__)

#: The manifest of an ingested dataset (``DIR/manifest.json``).
MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1

#: The works table: one row per record read.
WORKS_SCHEMA = pa.schema([
    ("key", pa.string()),              # lower-case DOI, or openalex:W... for an OpenAlex work without DOI
    ("doi_original", pa.string()),
    ("title", pa.string()),
    ("year", pa.int32()),
    ("container", pa.string()),
    ("type", pa.string()),
    ("first_author", pa.string()),
    ("issn", pa.list_(pa.string())),
    ("subjects", pa.list_(pa.string())),
    ("abstract", pa.string()),
    ("references_count", pa.int64()),
    ("is_referenced_by_count", pa.int64()),
    ("openalex_id", pa.string()),
    ("fmt", pa.string()),              # crossref | openalex
    ("source", pa.string()),           # file:NAME, as the store's works.source for a file
    ("part", pa.string()),             # the dataset part (one per input file: the manifest names the file)
    ("record_no", pa.int64()),         # 0-based position of the record in its file
])

#: The references table: one row per reference entry.
REFS_SCHEMA = pa.schema([
    ("citing", pa.string()),
    ("position", pa.int32()),
    ("cited", pa.string()),            # DOI key, null when the entry has no valid DOI
    ("cited_original", pa.string()),
    ("cited_openalex", pa.string()),   # OpenAlex: the cited work's id (W...)
    ("year", pa.int32()),
    ("first_author", pa.string()),
    ("article_title", pa.string()),
    ("journal_title", pa.string()),
    ("unstructured", pa.string()),
    ("fmt", pa.string()),
    ("source", pa.string()),
    ("part", pa.string()),
    ("record_no", pa.int64()),
])

_WORK_COLUMNS = ", ".join(WORKS_SCHEMA.names)

#: One record per (key, format): the last read (by source, then record number).
RECORDS_SQL = f"""
SELECT {_WORK_COLUMNS} FROM (
  SELECT w.*, ROW_NUMBER() OVER (PARTITION BY w.key, w.fmt
                                 ORDER BY w.source DESC, w.part DESC, w.record_no DESC) AS cg_rank
  FROM cg_works_all w {{where}}
) t WHERE cg_rank = 1
"""

#: One row per key: the Crossref record over an OpenAlex one.
WORKS_SQL = f"""
SELECT {_WORK_COLUMNS} FROM (
  SELECT r.*, ROW_NUMBER() OVER (PARTITION BY r.key
                                 ORDER BY CASE WHEN r.fmt = 'crossref' THEN 0 ELSE 1 END) AS cg_rank
  FROM cg_records r
) t WHERE cg_rank = 1
"""

#: The reference entries of the winning records.
REFS_SQL = """
SELECT f.* FROM cg_refs_all f
JOIN cg_records r ON f.citing = r.key AND f.fmt = r.fmt AND f.part = r.part AND f.record_no = r.record_no
"""

#: Citation links as the store finds them: one per (citing, cited), self-citations dropped.
EDGES_SQL = """
SELECT DISTINCT citing, cited FROM (
  SELECT citing, cited FROM cg_refs WHERE cited IS NOT NULL
  UNION ALL
  SELECT f.citing, r.key AS cited FROM cg_refs f
  JOIN cg_records r ON r.fmt = 'openalex' AND r.openalex_id = f.cited_openalex
  WHERE f.cited_openalex IS NOT NULL
) e WHERE citing <> cited
"""

#: The citation graph's nodes: every work, every cited work.
NODES_SQL = """
SELECT key FROM cg_works UNION SELECT citing AS key FROM cg_edges UNION SELECT cited AS key FROM cg_edges
"""

#: Dense node ids in key order (0..n-1), for the array analyses.
NODE_IDS_SQL = "SELECT key, ROW_NUMBER() OVER (ORDER BY key) - 1 AS id FROM cg_nodes"

#: The works matching a selection's attribute filters (see :class:`FieldSelection`); ``{conditions}`` is
#: filled with fixed clauses that read the registered tables ``cg_sel_issn``, ``cg_sel_subject``,
#: ``cg_sel_journal``, ``cg_sel_term``.
FIELD_FILTER_SQL = "SELECT DISTINCT w.key FROM cg_works w WHERE {conditions}"

#: One step of the walk from the seeds: the keys linked to ``cg_field_walk`` (backward: the works they cite;
#: forward: the works citing them).
FIELD_EXPAND_SQL = """
SELECT key FROM cg_field_walk
UNION SELECT e.cited AS key FROM cg_edges e JOIN cg_field_walk f ON e.citing = f.key WHERE {backward}
UNION SELECT e.citing AS key FROM cg_edges e JOIN cg_field_walk f ON e.cited = f.key WHERE {forward}
"""


# -- the engine seam -------------------------------------------------------------------------------------------


class Engine(Protocol):
    """What the snapshot analyses ask of an SQL engine (DuckDB: :class:`DuckDBEngine`; Spark: ``SparkEngine``).

    Every query text is plain SQL that DuckDB and Spark SQL both accept.
    """

    #: The engine's name: ``"duckdb"``, ``"spark"``.
    dialect: str

    def sql(self, query: str) -> pa.Table:
        """Run a query, return its rows as an Arrow table."""

    def execute(self, statement: str) -> None:
        """Run a statement (``CREATE OR REPLACE TEMP VIEW name AS ...``)."""

    def materialize(self, name: str, query: str) -> None:
        """Compute ``query`` once and keep it as table ``name`` (Spark: ``CACHE TABLE name AS ...``)."""

    def view(self, name: str, query: str) -> None:
        """Define ``name`` as a view over ``query``."""

    def number(self, name: str, source: str, column: str) -> None:
        """Keep as table ``name`` the distinct ``column`` of ``source`` with ``id`` 0..n-1 in ``column`` order.

        DuckDB: :data:`NODE_IDS_SQL`'s ``ROW_NUMBER() OVER (ORDER BY ...)``; Spark: a range-partitioned sort
        numbered by ``zipWithIndex``, since a window without ``PARTITION BY`` moves every row to one task.
        """

    def parquet_view(self, name: str, paths: Sequence[str], schema: pa.Schema) -> None:
        """Define ``name`` over Parquet files, local paths or URLs (an empty table of ``schema`` when none)."""

    def register_table(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table queryable as ``name``."""

    def register_function(self, name: str, fn: Callable[..., Any], args: Sequence[pa.DataType],
                          returns: pa.DataType) -> None:
        """Make a scalar Python function callable from SQL (nulls passed through as None)."""

    def close(self) -> None:
        """Release the engine."""


_DUCK_TYPES = {pa.string(): "VARCHAR", pa.int32(): "INTEGER", pa.int64(): "BIGINT", pa.float64(): "DOUBLE"}


class DuckDBEngine:
    """:class:`Engine` on an embedded DuckDB connection.

    Parameters
    ----------
    database : str
        ``":memory:"`` (the default; tables spill to ``temp_directory``) or a
        DuckDB file to keep the materialised tables in.
    memory_limit : str, optional
        DuckDB's ``memory_limit`` (``"16GB"``); otherwise half of the
        machine's memory (:func:`default_memory_limit`; DuckDB's own default
        is 80%, which leaves too little for the arrays and igraph's graph
        that PageRank, components and clusters build in the same process).
    threads : int, optional
        DuckDB's ``threads``; every core otherwise.
    temp_directory : str, optional
        Where DuckDB spills what does not fit in memory (default: a
        ``citegraph-duckdb-PID`` folder in the system's temporary folder,
        not DuckDB's ``./.tmp``).

    Examples
    --------
    >>> eng = DuckDBEngine()
    >>> eng.register_table("t", pa.table({"x": [1, 2, 3]}))
    >>> eng.sql("SELECT MAX(x) AS s FROM t").column("s").to_pylist()
    [3]
    >>> eng.close()
    """

    dialect = "duckdb"

    def __init__(self, database: str = ":memory:", *, memory_limit: str | None = None, threads: int | None = None,
                 temp_directory: str | None = None) -> None:
        import duckdb

        self.con = duckdb.connect(database)
        #: The memory limit as set (what :meth:`memory_lowered` restores).
        self.memory_limit = _setting(memory_limit or default_memory_limit())
        self.con.execute(f"SET memory_limit = '{self.memory_limit}'")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        if not temp_directory:  # DuckDB's default is ./.tmp: never spill into the working folder
            temp_directory = os.path.join(tempfile.gettempdir(), f"citegraph-duckdb-{os.getpid()}")
        self.con.execute(f"SET temp_directory = '{_setting(temp_directory)}'")
        self.con.execute("SET preserve_insertion_order = false")  # lets DuckDB stream large results
        # Spark SQL's name for it, so the shared SQL can write explode(list) in a SELECT list
        self.con.execute("CREATE OR REPLACE MACRO explode(x) AS unnest(x)")
        self._registered: dict[str, Any] = {}

    def sql(self, query: str) -> pa.Table:
        relation = self.con.sql(query)
        to_arrow = getattr(relation, "to_arrow_table", None) or relation.arrow  # DuckDB < 1.4: .arrow()
        result = to_arrow()
        return result if isinstance(result, pa.Table) else pa.Table.from_batches(result)

    def execute(self, statement: str) -> None:
        self.con.execute(statement)

    @contextlib.contextmanager
    def memory_lowered(self, limit: str | float = "512MB", *, threads: int | None = None) -> Iterator[None]:
        """Hold DuckDB to ``limit`` (and ``threads``) for a while, its tables evicted to ``temp_directory``;
        restored after. A float ``limit`` is that share of :attr:`memory_limit` (at least 512 MB).

        For the analyses that run beside DuckDB on arrays (clusters: igraph's graph of 10^8 links takes
        several GB, and one core), so that DuckDB's cached tables do not hold the memory they need, nor its
        threads the core. When DuckDB cannot free enough, the limit stays as it was (logged).

        Examples
        --------
        >>> eng = DuckDBEngine(memory_limit="1GB", threads=2)
        >>> with eng.memory_lowered("100MB", threads=1):
        ...     eng.sql("SELECT current_setting('memory_limit') AS m, current_setting('threads') AS t").to_pylist()
        [{'m': '95.3 MiB', 't': 1}]
        >>> eng.sql("SELECT current_setting('memory_limit') AS m, current_setting('threads') AS t").to_pylist()
        [{'m': '953.6 MiB', 't': 2}]
        >>> with eng.memory_lowered(0.1):  # a tenth of 1 GB, but at least 512 MB
        ...     eng.sql("SELECT current_setting('memory_limit') AS m").column("m").to_pylist()
        ['488.2 MiB']
        >>> eng.memory_limit
        '1GB'
        >>> eng.close()
        """
        import duckdb

        if not isinstance(limit, str):
            limit = _share_of_limit(self.memory_limit, limit)
        before = int(self.con.sql("SELECT current_setting('threads')").fetchall()[0][0])
        if threads is not None:
            self.con.execute(f"SET threads = {max(1, int(threads))}")
        try:
            try:
                self.con.execute(f"SET memory_limit = '{_setting(limit)}'")
            except duckdb.Error as exc:
                log.warning("DuckDB's memory limit stays %s: %s", self.memory_limit, exc)
                yield
                return
            try:
                yield
            finally:
                self.con.execute(f"SET memory_limit = '{self.memory_limit}'")
        finally:
            self.con.execute(f"SET threads = {before}")

    def materialize(self, name: str, query: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {_name(name)} AS {query}")

    def view(self, name: str, query: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {_name(name)} AS {query}")

    def number(self, name: str, source: str, column: str) -> None:
        col = _name(column)
        self.materialize(name, f"SELECT {col}, ROW_NUMBER() OVER (ORDER BY {col}) - 1 AS id FROM {_name(source)}")

    def parquet_view(self, name: str, paths: Sequence[str], schema: pa.Schema) -> None:
        if paths and is_url(str(paths[0])):
            # DuckDB's own readers of URLs are extensions it downloads; pyarrow's file systems are here, and
            # DuckDB scans a pyarrow dataset in place (columns and filters pushed down)
            import pyarrow.dataset as pds

            where = DatasetLocation.of(str(paths[0]).rsplit("/", 2)[0])  # the parts are DATASET/TABLE/FILE
            fs, base = where.filesystem()
            found = pds.dataset([base + str(p)[len(where.url):] for p in paths], schema=schema, format="parquet",
                                filesystem=fs)
            self.register_table(f"{name}_arrow", found)
            self.view(name, f"SELECT * FROM {name}_arrow")
        elif paths:
            listed = ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths)
            self.view(name, f"SELECT * FROM read_parquet([{listed}])")
        else:
            self.register_table(f"{name}_empty", schema.empty_table())
            self.view(name, f"SELECT * FROM {name}_empty")

    def register_table(self, name: str, table: Any) -> None:
        self._registered[name] = table  # keep it alive: DuckDB scans it in place
        self.con.register(_name(name), table)

    def register_function(self, name: str, fn: Callable[..., Any], args: Sequence[pa.DataType],
                          returns: pa.DataType) -> None:
        try:
            self.con.remove_function(name)
        except Exception:  # not registered yet (the error class differs between versions)
            pass
        create: Any = self.con.create_function  # the stubs want duckdb's enums; the strings are accepted
        create(name, fn, [_DUCK_TYPES[a] for a in args], _DUCK_TYPES[returns],
                                 null_handling="special", side_effects=False,
                                 exception_handling="return_null")  # a failing row is unknown, not a crash

    def close(self) -> None:
        self.con.close()


def default_memory_limit() -> str:
    """Half of this machine's physical memory, as a DuckDB ``memory_limit`` (``"11GB"``; 1 GB at least).

    Examples
    --------
    >>> default_memory_limit().endswith("GB")
    True
    """
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not POSIX: DuckDB's own default would be 80%
        return "4GB"
    return f"{max(1, total // 2 // 10**9)}GB"


_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "KIB": 2**10, "MIB": 2**20,
          "GIB": 2**30, "TIB": 2**40}


def _share_of_limit(limit: str, share: float, floor: int = 512 * 10**6) -> str:
    """``share`` of a DuckDB memory limit (``"10GB"``), at least ``floor`` bytes, as a limit (``"2000MB"``).

    >>> _share_of_limit("10GB", 0.25), _share_of_limit("1GiB", 0.25), _share_of_limit("lots", 0.25)
    ('2500MB', '512MB', '512MB')
    """
    match = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]*)\s*", str(limit))
    if match is None or match.group(2).upper() not in _UNITS:
        return f"{floor // 10**6}MB"
    total = float(match.group(1)) * _UNITS[match.group(2).upper()]
    return f"{int(max(floor, total * share)) // 10**6}MB"


def _name(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise UsageError(f"{name!r} is not a usable table name")
    return name


def _setting(value: str) -> str:
    return str(value).replace("'", "''")


# -- the manifest ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileEntry:
    """One input file already ingested (a line of the manifest)."""

    path: str
    size: int
    mtime_ns: int
    sha256: str
    part: str
    fmt: str
    records: int
    works: int
    refs: int
    bad: int


@dataclass
class Manifest:
    """The input files an ingested dataset holds, keyed by resolved path; written atomically.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     m = Manifest.load(Path(d))
    ...     m.files["/x.jsonl"] = FileEntry("/x.jsonl", 3, 1, "ab", "x-0", "crossref", 1, 1, 0, 0)
    ...     m.save(Path(d))
    ...     sorted(Manifest.load(Path(d)).files)
    ['/x.jsonl']
    """

    files: dict[str, FileEntry] = field(default_factory=dict)

    @classmethod
    def load(cls, out_dir: str | os.PathLike[str] | DatasetLocation) -> Manifest:
        """The manifest of the dataset at ``out_dir`` (a folder or a URL); empty when there is none yet."""
        where = DatasetLocation.of(out_dir)
        if not where.exists(MANIFEST_NAME):
            return cls()
        data = json.loads(where.read_text(MANIFEST_NAME))
        if data.get("version") != MANIFEST_VERSION:
            raise UsageError(f"{where.uri(MANIFEST_NAME)}: manifest version {data.get('version')!r} is not "
                             f"{MANIFEST_VERSION}")
        return cls({k: FileEntry(**v) for k, v in data.get("files", {}).items()})

    def save(self, out_dir: str | os.PathLike[str] | DatasetLocation) -> None:
        """Write the manifest whole (:meth:`DatasetLocation.write_text`: never seen half-written)."""
        text = json.dumps({"version": MANIFEST_VERSION, "files": {k: asdict(v) for k, v in sorted(self.files.items())}},
                          indent=1, sort_keys=True)
        DatasetLocation.of(out_dir).write_text(text, MANIFEST_NAME)


# -- an opened dataset -----------------------------------------------------------------------------------------


def _parts(where: DatasetLocation, table: str, manifest: Manifest) -> list[str]:
    """The finished Parquet files of one table: those the manifest lists (a stray file is ignored)."""
    present = set(where.names(table))
    return [where.uri(table, f"{e.part}.parquet") for e in sorted(manifest.files.values(), key=lambda e: e.part)
            if f"{e.part}.parquet" in present]


class Dataset:
    """An ingested dataset opened on an engine, with the views of the module docstring.

    Use :func:`open_dataset`. ``use_field(None)`` (the default) scopes the
    views to the whole dataset, ``use_field("cg_field")`` to the works of a
    selection (:func:`select_field`): the views then hold what a store built
    from the field (:func:`citegraph.sources.snapshot.to_store`) holds.
    """

    def __init__(self, directory: str | os.PathLike[str] | DatasetLocation, engine: Engine) -> None:
        #: Where the dataset lives (a local folder or a URL).
        self.location = DatasetLocation.of(directory)
        #: The local folder, or None for a dataset at a URL.
        self.directory: Path | None = None if self.location.remote else self.location.path
        self.engine = engine
        self.manifest = Manifest.load(self.location)
        engine.parquet_view("cg_works_all", _parts(self.location, "works", self.manifest), WORKS_SCHEMA)
        engine.parquet_view("cg_refs_all", _parts(self.location, "refs", self.manifest), REFS_SCHEMA)
        self.field: str | None = None
        #: What the analyses computed once for the current scope (the link arrays), emptied by use_field.
        self.cache: dict[str, Any] = {}
        self.use_field(None)

    def use_field(self, table: str | None) -> None:
        """Scope every view to the keys in ``table`` (one column ``key``), or to everything with None."""
        where = "" if table is None else f"WHERE w.key IN (SELECT key FROM {_name(table)})"
        e = self.engine
        e.materialize("cg_records", RECORDS_SQL.format(where=where))
        e.view("cg_works", WORKS_SQL)
        e.view("cg_refs", REFS_SQL)
        e.materialize("cg_edges", EDGES_SQL)
        e.view("cg_nodes", NODES_SQL)
        e.number("cg_node_ids", "cg_nodes", "key")  # NODE_IDS_SQL on DuckDB
        self.field = table
        self.cache.clear()

    def count(self, table: str) -> int:
        """Rows of a view or table."""
        return int(self.engine.sql(f"SELECT COUNT(*) AS n FROM {_name(table)}").column("n")[0].as_py())

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_dataset(directory: str | os.PathLike[str] | DatasetLocation, engine: Engine | None = None) -> Dataset:
    """Open an ingested dataset (:func:`citegraph.sources.snapshot.ingest`) on ``engine`` (DuckDB by default).

    ``directory`` is a local folder or a URL (``s3://bucket/snapshot``,
    ``gs://``, ``abfs://``, ``hdfs://``; :mod:`citegraph.store.location`).
    Only the Parquet files the manifest lists are read, so files a killed
    ingestion left behind never count.

    Raises
    ------
    UsageError
        ``directory`` is not an ingested dataset (no manifest there).
    StoreError
        A URL that cannot be reached (network, credentials).
    """
    where = DatasetLocation.of(directory)
    if not where.exists(MANIFEST_NAME):
        raise UsageError(f"{where}: not a dataset made by `citegraph ingest` (no {MANIFEST_NAME} there)")
    return Dataset(where, engine if engine is not None else DuckDBEngine())


# -- selecting a field -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSelection:
    """Which works make a field.

    Attribute filters (all given ones must hold; within one, any value may match):

    - ``issns``: an ISSN of the work (``1234-5678``, the hyphen optional);
    - ``journals``: the container title, case-insensitively, whole;
    - ``subjects``: a subject, case-insensitively, whole;
    - ``years``: ``(first, last)`` inclusive, either end None for open;
    - ``terms``: every term must occur in the title or abstract (case-insensitive substring).

    A walk: ``seeds`` (DOI keys) and the works within ``steps`` citation
    links of them, following ``direction`` (``backward``: what they cite,
    ``forward``: what cites them, ``both``). With seeds and filters, the works
    of the walk that pass the filters. Cited works that are not in the
    dataset are never selected (there is no record of them to keep).

    Examples
    --------
    >>> FieldSelection(subjects=("Dermatology",), years=(2000, None)).describe()
    'subjects=Dermatology; years=2000-'
    """

    issns: tuple[str, ...] = ()
    journals: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    years: tuple[int | None, int | None] | None = None
    terms: tuple[str, ...] = ()
    seeds: tuple[str, ...] = ()
    steps: int = 1
    direction: str = "both"

    def describe(self) -> str:
        parts = []
        for name in ("issns", "journals", "subjects", "terms", "seeds"):
            values = getattr(self, name)
            if values:
                parts.append(f"{name}={','.join(values)}")
        if self.years is not None:
            lo, hi = self.years
            parts.append(f"years={'' if lo is None else lo}-{'' if hi is None else hi}")
        if self.seeds:
            parts.append(f"steps={self.steps} {self.direction}")
        return "; ".join(parts) or "everything"

    @property
    def filters(self) -> bool:
        return bool(self.issns or self.journals or self.subjects or self.terms or self.years is not None)


def _strings(engine: Engine, name: str, values: Iterable[str]) -> None:
    engine.register_table(name, pa.table({"v": pa.array(sorted(set(values)), type=pa.string())}))


def _issn(value: str) -> str:
    text = re.sub(r"[^0-9Xx]", "", value).upper()
    return f"{text[:4]}-{text[4:]}" if len(text) == 8 else value.strip().upper()


def select_field(dataset: Dataset, selection: FieldSelection, *, name: str = "cg_field") -> int:
    """Compute a field: the keys of the selected works, kept as table ``name`` (one column ``key``).

    The dataset's views are scoped to the whole dataset while selecting (and
    stay so; call ``dataset.use_field(name)`` to analyse the field alone).

    Returns
    -------
    int
        How many works were selected.
    """
    from citegraph.doi import normalize_doi

    if selection.direction not in ("backward", "forward", "both"):
        raise UsageError(f"direction {selection.direction!r} is not one of backward, forward, both")
    if selection.steps < 0:
        raise UsageError(f"steps {selection.steps} must be at least 0")
    e = dataset.engine
    if dataset.field is not None:
        dataset.use_field(None)
    conditions = []
    if selection.issns:
        _strings(e, "cg_sel_issn", (_issn(v) for v in selection.issns))
        conditions.append("EXISTS (SELECT 1 FROM cg_works_issn i JOIN cg_sel_issn s ON i.issn = s.v "
                          "WHERE i.key = w.key)")
        e.view("cg_works_issn",
               "SELECT key, UPPER(i.issn) AS issn FROM (SELECT key, explode(issn) AS issn FROM cg_works) i")
    if selection.journals:
        _strings(e, "cg_sel_journal", (v.strip().lower() for v in selection.journals))
        conditions.append("LOWER(w.container) IN (SELECT v FROM cg_sel_journal)")
    if selection.subjects:
        _strings(e, "cg_sel_subject", (v.strip().lower() for v in selection.subjects))
        e.view("cg_works_subject", "SELECT key, LOWER(s.subject) AS subject "
                                   "FROM (SELECT key, explode(subjects) AS subject FROM cg_works) s")
        conditions.append("EXISTS (SELECT 1 FROM cg_works_subject i JOIN cg_sel_subject s ON i.subject = s.v "
                          "WHERE i.key = w.key)")
    if selection.years is not None:
        lo, hi = selection.years
        if lo is not None:
            conditions.append(f"w.year >= {int(lo)}")
        if hi is not None:
            conditions.append(f"w.year <= {int(hi)}")
    if selection.terms:
        terms = sorted({t.strip().lower() for t in selection.terms if t.strip()})
        _strings(e, "cg_sel_term", terms)
        conditions.append(
            "NOT EXISTS (SELECT 1 FROM cg_sel_term t WHERE "
            "POSITION(t.v IN LOWER(COALESCE(w.title, '') || ' ' || COALESCE(w.abstract, ''))) = 0)")
    if selection.seeds:
        keys = []
        for seed in selection.seeds:
            keys.append(normalize_doi(seed).key if not seed.startswith("openalex:") else seed)
        e.register_table("cg_field_seeds", pa.table({"key": pa.array(sorted(set(keys)), type=pa.string())}))
        e.materialize("cg_field_walk", "SELECT key FROM cg_field_seeds")
        backward = "TRUE" if selection.direction in ("backward", "both") else "FALSE"
        forward = "TRUE" if selection.direction in ("forward", "both") else "FALSE"
        for step in range(selection.steps):
            before = dataset.count("cg_field_walk")
            e.materialize("cg_field_walk_next", FIELD_EXPAND_SQL.format(backward=backward, forward=forward))
            e.materialize("cg_field_walk", "SELECT key FROM cg_field_walk_next")
            after = dataset.count("cg_field_walk")
            log.info("field: step %d from %d seed(s): %d work(s) reached", step + 1, len(keys), after)
            if after == before:
                break
        base = "SELECT DISTINCT w.key FROM cg_works w JOIN cg_field_walk f ON w.key = f.key"
        query = base + (" WHERE " + " AND ".join(conditions) if conditions else "")
    elif conditions:
        query = FIELD_FILTER_SQL.format(conditions=" AND ".join(conditions))
    else:
        query = "SELECT key FROM cg_works"
    e.materialize(name, query)
    n = dataset.count(name)
    log.info("field %s: %d work(s) selected (%s)", name, n, selection.describe())
    return n


def field_keys(dataset: Dataset, name: str = "cg_field") -> list[str]:
    """The keys of a selected field, sorted."""
    return [str(k) for k in dataset.engine.sql(f"SELECT key FROM {_name(name)} ORDER BY key").column("key").to_pylist()]
