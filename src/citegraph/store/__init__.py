"""Stage 2, the store: one local SQLite file holding every work, reference and citation with its provenance.

- :mod:`~citegraph.store.database`: :class:`Store`, the SQLite store (schema,
  migrations, writes in one transaction per batch, reads);
- :mod:`~citegraph.store.records`: the rows a Crossref record becomes
  (:func:`~citegraph.store.records.parse_work`);
- :mod:`~citegraph.store.duplicates`: likely duplicate works and their
  recorded merges;
- :mod:`~citegraph.store.provenance`: what each source contributed, and
  where sources disagree (titles, years, citation edges);
- :mod:`~citegraph.store.dataset`: a whole snapshot as a Parquet dataset
  read in place by an SQL engine (DuckDB), and field selection on it;
- :mod:`~citegraph.store.spark`: the same dataset and SQL on Spark
  (PySpark; local mode or a cluster);
- :mod:`~citegraph.store.location`: where a dataset lives, a local folder or
  a URL (S3, GCS, Azure, HDFS) through pyarrow's file systems.

May import: the shared modules only (:mod:`citegraph.errors`,
:mod:`citegraph.doi`, :mod:`citegraph.config`). The store knows no source and no
analysis; every later stage reads it.

Examples
--------
>>> with Store(":memory:") as store:
...     store.counts()["works"]
0
"""

from citegraph.store.database import Store

__all__ = ["Store"]
