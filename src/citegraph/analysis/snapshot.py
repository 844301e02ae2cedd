"""The edge-shaped analyses of a whole snapshot, in SQL on the Parquet dataset (DuckDB, or Spark SQL).

A dataset ingested by :func:`citegraph.sources.snapshot.ingest` and opened
with :func:`citegraph.store.dataset.open_dataset` is analysed here without
loading it into Python: every analysis is one SQL text, kept below as a
module constant (``*_SQL``), run by the dataset's engine over the views
``cg_works``, ``cg_refs``, ``cg_edges``, ``cg_nodes`` and ``cg_node_ids``
(see :mod:`citegraph.store.dataset`; scoped to a field with
``Dataset.use_field``). Each answers what the in-memory path answers on a
store holding the same records (tested to be equal):

- :func:`citation_counts`: local citations (in-degree of the citation graph,
  :func:`~citegraph.graphs.citation.citation_graph`'s ``citations_local``)
  and global ones (``is-referenced-by-count``);
- :func:`citations_per_year`: as :func:`citegraph.analysis.rank.citations_per_year`;
- :func:`rpys`: as :func:`citegraph.analysis.rpys.rpys` over
  :func:`~citegraph.analysis.rpys.reference_years_from_store` (a reference
  without year field takes the year in its citation string, through the SQL
  function ``cg_text_year``, :func:`~citegraph.graphs.citation.text_year`
  registered with the engine);
- :func:`cooccurrence`: co-citation and bibliographic coupling pairs with
  ``min_count``, ``min_weight``, ``top_k`` and the normalisations of
  :mod:`citegraph.graphs.cooccurrence`;
- :func:`pagerank`: networkx's PageRank (uniform teleport, a dangling work's
  score spread over all works, stop when the L1 change is below ``n *
  1e-12``), as :func:`citegraph.analysis.rank.pagerank_scores`;
- :func:`components`: weakly connected components;
- :func:`clusters`: Leiden (or Louvain) clusters of the citation graph taken
  undirected, in one process with igraph, as CWTS clusters whole databases
  (:func:`citegraph.analysis.clusters.cluster_arrays`: the links go to
  igraph as one array; a SQL engine has no community detection to offer).

Why SQL, and which
------------------
DuckDB is the default engine: embedded (no server), it reads the Parquet
files in place and spills joins and aggregates to disk, so a snapshot larger
than memory is analysed on one machine. The SQL texts use only what Spark SQL
also accepts, so :class:`~citegraph.store.spark.SparkEngine` (``spark.sql`` behind
:class:`~citegraph.store.dataset.Engine`) runs them unchanged on a cluster (tested equal in
``tests/test_snapshot_spark.py``);
numbers are written as ``1.5e-01`` literals (a double in both dialects, not
DuckDB's decimal).

PageRank and components come in two forms. ``method="arrays"`` (the default
on DuckDB) reads the edges once as two integer arrays (``EDGE_IDS_SQL``,
ids in key order) and iterates in numpy/scipy (a sparse matrix-vector
product per step: 10^8 edges take about 1.2 GB and well under a second a
step); it is exactly the in-memory path's computation, so the scores agree
to about 1e-15. ``method="sql"`` iterates in SQL (``PAGERANK_STEP_SQL``, one
join and aggregate per step; ``COMPONENTS_STEP_SQL``, min-label propagation),
for engines whose data does not fit one machine's memory (Spark); it agrees
to 1e-9 (the sums run in another order). GraphFrames' PageRank does not
spread the dangling works' score, so it would not agree: the SQL form is the
one to run on Spark.

Examples
--------
>>> import json, tempfile
>>> from pathlib import Path
>>> from citegraph.sources.snapshot import ingest
>>> from citegraph.store.dataset import open_dataset
>>> with tempfile.TemporaryDirectory() as d:     # hand-made unit records: a and b cite c, a cites b
...     src = Path(d) / "w.jsonl"
...     _ = src.write_text("\\n".join(json.dumps({"DOI": k, "reference": [{"key": "1", "DOI": c} for c in cs]})
...                                   for k, cs in [("10.1/a", ["10.1/b", "10.1/c"]), ("10.1/b", ["10.1/c"])]))
...     _ = ingest([src], "crossref", Path(d) / "ds")
...     with open_dataset(Path(d) / "ds") as ds:
...         local = citation_counts(ds)
...         pr = pagerank(ds)
...         pairs = cooccurrence(ds, "cocitation")
>>> dict(zip(local.column("key").to_pylist(), local.column("local").to_pylist()))
{'10.1/a': 0, '10.1/b': 1, '10.1/c': 2}
>>> round(sum(pr.values()), 12), max(pr, key=pr.__getitem__)
(1.0, '10.1/c')
>>> pairs.to_pylist()
[{'a': '10.1/b', 'b': '10.1/c', 'count': 1, 'weight': 1.0}]
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from citegraph.analysis.parallel import Beside, can_fork, usable_cores
from citegraph.analysis.rank import pagerank_power
from citegraph.analysis.rpys import RPYSRow
from citegraph.errors import UsageError
from citegraph.graphs.citation import text_year
from citegraph.graphs.cooccurrence import NORMALISATIONS, cooccurrence_edges
from citegraph.store.dataset import Dataset
from citegraph.store.records import plausible_years

__all__ = [
    "CITATION_COUNTS_SQL",
    "CLUSTERS_BESIDE_ABOVE",
    "COMPONENTS_STEP_SQL",
    "COOCCURRENCE_SQL",
    "EDGE_IDS_SQL",
    "NODE_TITLES_SQL",
    "PAGERANK_STEP_SQL",
    "PER_YEAR_SQL",
    "REFERENCE_YEAR_SQL",
    "RPYS_COUNTS_SQL",
    "RPYS_SQL",
    "SnapshotAnalysis",
    "SnapshotOptions",
    "analyse_dataset",
    "citation_counts",
    "citations_per_year",
    "clusters",
    "components",
    "cooccurrence",
    "edge_arrays",
    "options_dict",
    "pagerank",
    "register_functions",
    "rpys",
    "rpys_counts",
]

log = logging.getLogger(__name__)

#: Per node of the citation graph: publication year (stored works), local and global citations.
CITATION_COUNTS_SQL = """
SELECT n.key, w.year, COALESCE(c.local, 0) AS local, w.is_referenced_by_count AS global
FROM cg_nodes n
LEFT JOIN cg_works w ON w.key = n.key
LEFT JOIN (SELECT cited AS key, COUNT(*) AS local FROM cg_edges GROUP BY cited) c ON c.key = n.key
ORDER BY n.key
"""

#: The default reference year of citations per year: the latest year of a work with a global count, else of any.
REFERENCE_YEAR_SQL = """
SELECT COALESCE(MAX(CASE WHEN is_referenced_by_count IS NOT NULL THEN year END), MAX(year)) AS year FROM cg_works
"""

#: Global citations per year since publication, counting the year of publication (``{reference_year}``).
PER_YEAR_SQL = """
SELECT key, CAST(is_referenced_by_count AS DOUBLE) / GREATEST(1, {reference_year} - year + 1) AS per_year
FROM cg_works WHERE year IS NOT NULL AND is_referenced_by_count IS NOT NULL ORDER BY key
"""

#: Every node's title (None when not a stored work), by key: the rows of :data:`CITATION_COUNTS_SQL`.
NODE_TITLES_SQL = """
SELECT n.key, w.title FROM cg_nodes n LEFT JOIN cg_works w ON w.key = n.key ORDER BY n.key
"""

#: Cited references per publication year: the entry's year, else the year in its citation string
#: (``cg_text_year``, never after the citing work's year plus one), inside ``{first}``..``{last}``.
RPYS_COUNTS_SQL = """
SELECT y AS year, COUNT(*) AS refs FROM (
  SELECT CASE WHEN r.year IS NOT NULL THEN r.year ELSE cg_text_year(r.unstructured, w.year + 1) END AS y
  FROM cg_refs r LEFT JOIN cg_works w ON w.key = r.citing
  WHERE r.year IS NOT NULL OR r.unstructured IS NOT NULL
) t WHERE y IS NOT NULL AND y BETWEEN {first} AND {last} GROUP BY y
"""

#: The spectrogram: every year within half a window of a reference year, its references and the median of its
#: window (years without references count 0; the offsets ``-half..half`` come from table ``cg_rpys_offsets``).
RPYS_SQL = f"""
WITH counts AS ({RPYS_COUNTS_SQL}),
spine AS (SELECT DISTINCT c.year + o.o AS year FROM counts c CROSS JOIN cg_rpys_offsets o)
SELECT s.year, MAX(CASE WHEN o.o = 0 THEN COALESCE(c.refs, 0) END) AS refs,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY COALESCE(c.refs, 0)) AS median
FROM spine s CROSS JOIN cg_rpys_offsets o LEFT JOIN counts c ON c.year = s.year + o.o
GROUP BY s.year ORDER BY s.year
"""

#: Co-occurrence pairs ``(a, b)`` with ``a < b``: ``{item}`` is ``cited`` (co-citation) or ``citing``
#: (coupling), ``{doc}`` the other end; ``{weight}`` one of :data:`_WEIGHTS`; ``{top_k}`` a row limit per item.
COOCCURRENCE_SQL = """
WITH totals AS (SELECT {item} AS key, COUNT(*) AS s FROM cg_edges GROUP BY {item}),
m AS (SELECT COUNT(DISTINCT {doc}) AS m FROM cg_edges),
pairs AS (
  SELECT x.{item} AS i, y.{item} AS j, COUNT(*) AS cnt FROM cg_edges x JOIN cg_edges y
  ON x.{doc} = y.{doc} AND x.{item} < y.{item}
  GROUP BY x.{item}, y.{item} HAVING COUNT(*) >= {min_count}
),
weighted AS (
  SELECT p.i, p.j, p.cnt, {weight} AS weight
  FROM pairs p JOIN totals ti ON ti.key = p.i JOIN totals tj ON tj.key = p.j CROSS JOIN m
),
kept AS (SELECT i, j, cnt, weight FROM weighted WHERE weight >= {min_weight}),
ranked AS (
  SELECT item, other, cnt, weight,
         ROW_NUMBER() OVER (PARTITION BY item ORDER BY weight DESC, cnt DESC, other) AS rk
  FROM (SELECT i AS item, j AS other, cnt, weight FROM kept UNION ALL SELECT j, i, cnt, weight FROM kept) b
)
SELECT DISTINCT CASE WHEN item < other THEN item ELSE other END AS a,
       CASE WHEN item < other THEN other ELSE item END AS b, cnt AS count, weight
FROM ranked WHERE rk <= {top_k} ORDER BY a, b
"""

#: The normalised weight of a pair (``cnt``, totals ``ti.s``, ``tj.s``, ``m.m``): as in the in-memory path.
_WEIGHTS = {
    "count": "CAST(p.cnt AS DOUBLE)",
    "cosine": "CAST(p.cnt AS DOUBLE) / SQRT(CAST(ti.s AS DOUBLE) * CAST(tj.s AS DOUBLE))",
    "association": "CAST(m.m AS DOUBLE) * CAST(p.cnt AS DOUBLE) / (CAST(ti.s AS DOUBLE) * CAST(tj.s AS DOUBLE))",
    "jaccard": "CAST(p.cnt AS DOUBLE) / (CAST(ti.s AS DOUBLE) + CAST(tj.s AS DOUBLE) - CAST(p.cnt AS DOUBLE))",
}

#: The citation links as dense ids (``cg_node_ids``: key order).
EDGE_IDS_SQL = """
SELECT s.id AS src, d.id AS dst FROM cg_edges e
JOIN cg_node_ids s ON s.key = e.citing JOIN cg_node_ids d ON d.key = e.cited
"""

#: One PageRank step in SQL: ``cg_pr(id, x)`` the scores, ``cg_outdeg(id, d)`` out-degrees, ``cg_edge_ids``.
PAGERANK_STEP_SQL = """
SELECT n.id, {damping} * (COALESCE(s.inflow, 0e0) + {dangling} / {n}) + {teleport} AS x
FROM cg_node_ids n LEFT JOIN (
  SELECT e.dst AS id, SUM(p.x / o.d) AS inflow
  FROM cg_edge_ids e JOIN cg_pr p ON p.id = e.src JOIN cg_outdeg o ON o.id = e.src GROUP BY e.dst
) s ON s.id = n.id
"""

#: One step of min-label propagation over the undirected links: ``cg_cc(id, c)`` the labels.
COMPONENTS_STEP_SQL = """
SELECT l.id, LEAST(l.c, COALESCE(MIN(n.c), l.c)) AS c FROM cg_cc l
LEFT JOIN (SELECT src AS a, dst AS b FROM cg_edge_ids UNION ALL SELECT dst AS a, src AS b FROM cg_edge_ids) e
  ON e.a = l.id
LEFT JOIN cg_cc n ON n.id = e.b
GROUP BY l.id, l.c
"""


def _double(x: float) -> str:
    """A float as an SQL double literal in both dialects (``8.50000000000000022e-01``)."""
    return f"{float(x):.17e}"


def _text_year(text: str | None, latest: int | None) -> int | None:
    return text_year(text, latest=latest) if text else None


def register_functions(ds: Dataset) -> None:
    """Register the SQL functions the analyses call (``cg_text_year(text, latest)``) with the dataset's engine."""
    ds.engine.register_function("cg_text_year", _text_year, [pa.string(), pa.int32()], pa.int32())


def _column(table: pa.Table, name: str) -> list[Any]:
    return list(table.column(name).to_pylist())


# -- counts ----------------------------------------------------------------------------------------------------


def citation_counts(ds: Dataset) -> pa.Table:
    """Every node of the citation graph with its year, local and global citations (:data:`CITATION_COUNTS_SQL`).

    Returns
    -------
    pyarrow.Table
        Columns ``key``, ``year`` (stored works only), ``local`` (in-degree),
        ``global`` (``is-referenced-by-count``, stored works only), by key.
    """
    return ds.engine.sql(CITATION_COUNTS_SQL)


def citations_per_year(ds: Dataset, reference_year: int | None = None) -> dict[str, float]:
    """Global citations per year since publication of every work with a year and a global count.

    ``reference_year`` None takes :data:`REFERENCE_YEAR_SQL` (as
    :func:`citegraph.analysis.rank.default_reference_year`). Works without
    either are left out (None in the in-memory path).
    """
    if reference_year is None:
        found = _column(ds.engine.sql(REFERENCE_YEAR_SQL), "year")[0]
        if found is None:
            return {}
        reference_year = int(found)
    table = ds.engine.sql(PER_YEAR_SQL.format(reference_year=int(reference_year)))
    return dict(zip(_column(table, "key"), _column(table, "per_year"), strict=True))


# -- RPYS ------------------------------------------------------------------------------------------------------


def rpys_counts(ds: Dataset) -> dict[int, int]:
    """Cited references per publication year (:data:`RPYS_COUNTS_SQL`), plausible years only."""
    register_functions(ds)
    first, last = plausible_years()
    table = ds.engine.sql(RPYS_COUNTS_SQL.format(first=first, last=last))
    return {int(y): int(n) for y, n in zip(_column(table, "year"), _column(table, "refs"), strict=True)}


def rpys(ds: Dataset, *, window: int = 5, years: tuple[int, int] | None = None) -> list[RPYSRow]:
    """Reference publication year spectroscopy of the dataset (:data:`RPYS_SQL`).

    The same rows as :func:`citegraph.analysis.rpys.rpys` over the
    reference years the store path reads: one per year from the first to the
    last reference year (or of ``years``), zeros included; the window
    medians are computed by the engine, the years far from every reference
    (all-zero windows) filled in here.
    """
    if window < 1 or window % 2 == 0:
        raise UsageError(f"RPYS window {window} must be an odd number of years, at least 1")
    if years is not None and years[0] > years[1]:
        raise UsageError(f"year range {years[0]}-{years[1]} is reversed")
    register_functions(ds)
    half = window // 2
    ds.engine.register_table("cg_rpys_offsets", pa.table({"o": pa.array(range(-half, half + 1), type=pa.int32())}))
    first, last = plausible_years()
    table = ds.engine.sql(RPYS_SQL.format(first=first, last=last))
    computed = {int(y): (int(n), float(m)) for y, n, m in zip(_column(table, "year"), _column(table, "refs"),
                                                              _column(table, "median"), strict=True)}
    with_refs = [y for y, (n, _) in computed.items() if n > 0]
    if years is not None:
        lo, hi = max(years[0], first), min(years[1], last)
        if lo > hi:
            return []
    elif with_refs:
        lo, hi = min(with_refs), max(with_refs)
    else:
        return []
    rows = []
    for year in range(lo, hi + 1):
        n, median = computed.get(year, (0, 0.0))
        rows.append(RPYSRow(year=year, references=n, median=median, deviation=n - median))
    return rows


# -- co-citation and coupling ----------------------------------------------------------------------------------


def cooccurrence(ds: Dataset, kind: str, *, normalise: str = "count", min_count: int = 1, min_weight: float = 0.0,
                 top_k: int | None = None, method: str = "sql") -> pa.Table:
    """Co-citation (``kind="cocitation"``) or bibliographic coupling (``"coupling"``) pairs (:data:`COOCCURRENCE_SQL`).

    As :func:`citegraph.graphs.cooccurrence.cooccurrence_edges`: pairs
    citing (cited by) at least ``min_count`` common works, weighted by
    ``normalise``, at least ``min_weight``; with ``top_k``, each work keeps
    its ``top_k`` heaviest pairs (weight, then count descending, then the
    other key ascending) and a pair stays when either end keeps it.

    ``method="sql"`` runs :data:`COOCCURRENCE_SQL` on the engine (a self-join:
    its cost is the number of pair instances, the sum over the shared works
    of their degree squared, which hubs make quadratic); ``"arrays"`` reads
    the links once as index arrays and runs the in-memory path's blocked
    sparse product (:func:`citegraph.graphs.cooccurrence.cooccurrence_edges`),
    bounded in memory whatever the hubs.

    Returns
    -------
    pyarrow.Table
        Columns ``a``, ``b`` (keys, ``a < b``), ``count``, ``weight``, by (a, b).
    """
    if kind not in ("cocitation", "coupling"):
        raise UsageError(f"kind {kind!r} is not cocitation or coupling")
    if normalise not in NORMALISATIONS:
        raise UsageError(f"normalisation {normalise!r} is not one of {', '.join(NORMALISATIONS)}")
    if min_count < 1:
        raise UsageError(f"min_count {min_count} must be at least 1")
    if top_k is not None and top_k < 1:
        raise UsageError(f"top_k {top_k} must be at least 1 (or unset)")
    if method not in ("arrays", "sql"):
        raise UsageError(f"method {method!r} is not arrays or sql")
    if method == "arrays":
        nodes, src, dst = edge_arrays(ds)
        n = len(nodes)
        links = sp.csr_matrix((np.ones(len(src), dtype=np.int32), (src, dst)), shape=(n, n))
        incidence = links.T.tocsr() if kind == "cocitation" else links
        i, j, c, w = cooccurrence_edges(incidence, normalise=normalise, min_count=min_count, min_weight=min_weight,
                                        top_k=top_k)
        keys = np.asarray(nodes, dtype=object)
        return pa.table({"a": pa.array(keys[i].tolist(), type=pa.string()),
                         "b": pa.array(keys[j].tolist(), type=pa.string()),
                         "count": pa.array(c, type=pa.int64()), "weight": pa.array(w, type=pa.float64())})
    item, doc = ("cited", "citing") if kind == "cocitation" else ("citing", "cited")
    query = COOCCURRENCE_SQL.format(item=item, doc=doc, weight=_WEIGHTS[normalise], min_count=int(min_count),
                                    min_weight=_double(min_weight), top_k=int(top_k) if top_k else 2**62)
    return ds.engine.sql(query)


# -- PageRank and components -----------------------------------------------------------------------------------


def edge_arrays(ds: Dataset) -> tuple[list[str], np.ndarray, np.ndarray]:
    """``(nodes, src, dst)``: the node keys in key order and the links as int64 index arrays (:data:`EDGE_IDS_SQL`).

    Read once per scope of the dataset (kept in ``ds.cache`` until ``use_field``): PageRank, components and
    clusters share them. The arrays are read-only.
    """
    cached = ds.cache.get("edge_arrays")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    nodes = [str(k) for k in _column(ds.engine.sql("SELECT key FROM cg_node_ids ORDER BY id"), "key")]
    edges = ds.engine.sql(EDGE_IDS_SQL)
    src = edges.column("src").to_numpy().astype(np.int64)
    dst = edges.column("dst").to_numpy().astype(np.int64)
    del edges
    src.flags.writeable = False
    dst.flags.writeable = False
    ds.cache["edge_arrays"] = (nodes, src, dst)
    return nodes, src, dst


def _pagerank_arrays(n: int, src: np.ndarray, dst: np.ndarray, damping: float, tol: float,
                     max_iter: int) -> np.ndarray:
    """:func:`citegraph.analysis.rank.pagerank_power`, the power iteration the in-memory path runs."""
    import networkx as nx

    try:
        return pagerank_power(n, src, dst, damping, tol=tol, max_iter=max_iter)
    except nx.PowerIterationFailedConvergence:
        raise UsageError(f"PageRank did not converge in {max_iter} iterations") from None


def _pagerank_sql(ds: Dataset, n: int, damping: float, tol: float, max_iter: int) -> dict[int, float]:
    e = ds.engine
    e.materialize("cg_edge_ids", EDGE_IDS_SQL)
    e.materialize("cg_outdeg", "SELECT src AS id, CAST(COUNT(*) AS DOUBLE) AS d FROM cg_edge_ids GROUP BY src")
    e.materialize("cg_pr", f"SELECT id, {_double(1.0 / n)} AS x FROM cg_node_ids")
    teleport = (1.0 - damping) / n
    dangling = _column(e.sql("SELECT COALESCE(SUM(p.x), 0e0) AS s FROM cg_pr p LEFT JOIN cg_outdeg o "
                             "ON o.id = p.id WHERE o.id IS NULL"), "s")[0]
    for step in range(max_iter):
        e.materialize("cg_pr_next", PAGERANK_STEP_SQL.format(damping=_double(damping), dangling=_double(dangling),
                                                             n=_double(n), teleport=_double(teleport)))
        # the step's change and the next step's dangling share in one query (each query is a job on Spark)
        stats = e.sql("SELECT SUM(ABS(a.x - b.x)) AS c, "
                      "COALESCE(SUM(CASE WHEN o.id IS NULL THEN a.x ELSE 0e0 END), 0e0) AS s "
                      "FROM cg_pr_next a JOIN cg_pr b ON a.id = b.id LEFT JOIN cg_outdeg o ON o.id = a.id")
        change, dangling = _column(stats, "c")[0], _column(stats, "s")[0]
        e.materialize("cg_pr", "SELECT id, x FROM cg_pr_next")
        if float(change) < n * tol:
            log.info("PageRank (SQL): converged after %d step(s)", step + 1)
            table = e.sql("SELECT id, x FROM cg_pr")
            return dict(zip(_column(table, "id"), _column(table, "x"), strict=True))
    raise UsageError(f"PageRank did not converge in {max_iter} iterations")


def pagerank(ds: Dataset, *, damping: float = 0.85, method: str = "arrays", tol: float = 1e-12,
             max_iter: int = 10_000) -> dict[str, float]:
    """PageRank of every node of the citation graph, summing to 1, as :func:`~citegraph.analysis.rank.pagerank_scores`.

    ``method="arrays"``: the links read once as index arrays, iterated with
    scipy (default); ``"sql"``: each step one :data:`PAGERANK_STEP_SQL` on
    the engine (for Spark).
    """
    if not 0.0 < damping < 1.0:
        raise UsageError(f"damping {damping} must be between 0 and 1 (exclusive)")
    if method not in ("arrays", "sql"):
        raise UsageError(f"method {method!r} is not arrays or sql")
    nodes = edge_arrays(ds)[0] if method == "arrays" else [
        str(k) for k in _column(ds.engine.sql("SELECT key FROM cg_node_ids ORDER BY id"), "key")]
    return dict(zip(nodes, _pagerank_vector(ds, len(nodes), damping, method, tol, max_iter).tolist(), strict=True))


def _pagerank_vector(ds: Dataset, n: int, damping: float, method: str, tol: float = 1e-12,
                     max_iter: int = 10_000) -> np.ndarray:
    """:func:`pagerank`'s scores by node id (``cg_node_ids``): ``n`` floats."""
    if n == 0:
        return np.zeros(0)
    if method == "arrays":
        _, src, dst = edge_arrays(ds)
        return _pagerank_arrays(n, src, dst, damping, tol, max_iter)
    scores = _pagerank_sql(ds, n, damping, tol, max_iter)
    return np.array([scores[i] for i in range(n)], dtype=np.float64)


def _component_ids(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Per node id, the smallest id of its weakly connected component (ids are in key order: the smallest key).

    >>> _component_ids(4, np.array([1, 3]), np.array([0, 1])).tolist()
    [0, 0, 2, 0]
    """
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    graph = sp.csr_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n, n))
    _, labels = connected_components(graph, directed=True, connection="weak")
    smallest = np.full(labels.max() + 1, n, dtype=np.int64)
    np.minimum.at(smallest, labels, np.arange(n))
    ids: np.ndarray = smallest[labels]
    return ids


def components(ds: Dataset, *, method: str = "arrays", max_iter: int = 100_000) -> dict[str, str]:
    """Weakly connected components: ``{key: the smallest key of its component}``.

    ``method="arrays"``: scipy's ``connected_components`` on the index
    arrays; ``"sql"``: min-label propagation (:data:`COMPONENTS_STEP_SQL`,
    one step per hop of the longest shortest path), for Spark.
    """
    if method not in ("arrays", "sql"):
        raise UsageError(f"method {method!r} is not arrays or sql")
    nodes, src, dst = edge_arrays(ds)
    n = len(nodes)
    if n == 0:
        return {}
    if method == "arrays":
        smallest = _component_ids(n, src, dst)
        return {nodes[i]: nodes[int(smallest[i])] for i in range(n)}
    e = ds.engine
    e.materialize("cg_edge_ids", EDGE_IDS_SQL)
    e.materialize("cg_cc", "SELECT id, id AS c FROM cg_node_ids")
    for step in range(max_iter):
        e.materialize("cg_cc_next", COMPONENTS_STEP_SQL)
        changed = _column(e.sql("SELECT COUNT(*) AS k FROM cg_cc_next a JOIN cg_cc b ON a.id = b.id "
                                "WHERE a.c <> b.c"), "k")[0]
        e.materialize("cg_cc", "SELECT id, c FROM cg_cc_next")
        if not changed:
            log.info("components (SQL): settled after %d step(s)", step + 1)
            table = e.sql("SELECT id, c FROM cg_cc")
            return {nodes[int(i)]: nodes[int(c)] for i, c in zip(_column(table, "id"), _column(table, "c"),
                                                                   strict=True)}
    raise UsageError(f"components did not settle in {max_iter} steps")


def clusters(ds: Dataset, *, method: str = "leiden", resolution: float = 1.0, seed: int = 0,
             iterations: int = 2) -> dict[str, int]:
    """Clusters of the citation graph taken undirected: ``{key: cluster number}``, 1 the largest.

    The links are read once as index arrays (:func:`edge_arrays`, on any
    engine) and clustered in this process by igraph
    (:func:`citegraph.analysis.clusters.cluster_arrays`): Leiden optimising
    modularity, seeded, as the in-memory path's
    :func:`~citegraph.analysis.clusters.find_clusters` does on the same
    graph. ``iterations=2`` (leidenalg's default, and CWTS's practice at
    scale) stops after two passes; ``-1`` iterates until the partition is
    stable, which is what :func:`~citegraph.analysis.clusters.find_clusters`
    does and gives the same clusters (tested). Memory: about 60 bytes a link
    (10^8 links: about 6 GB); on DuckDB its tables are held to 512 MB
    meanwhile (:meth:`~citegraph.store.dataset.DuckDBEngine.memory_lowered`).
    """
    from citegraph.analysis.clusters import cluster_arrays  # igraph only when clusters are asked for

    nodes, src, dst = edge_arrays(ds)
    # DuckDB's cached tables go to its temp folder meanwhile: igraph's graph needs the memory (10^8 links)
    lowered = getattr(ds.engine, "memory_lowered", None)
    with lowered() if lowered is not None else contextlib.nullcontext():
        found = cluster_arrays(len(nodes), src, dst, method=method, resolution=resolution, seed=seed,
                               iterations=iterations)
    return dict(zip(nodes, found.tolist(), strict=True))


# -- everything at once, in place ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotOptions:
    """What :func:`analyse_dataset` computes and how (every value is recorded with the results).

    Parameters
    ----------
    cluster_method : {"leiden", "louvain"}
        Clusters of the citation graph (:func:`clusters`).
    resolution : float
        Modularity resolution of the clustering.
    iterations : int
        Leiden passes (2 at scale; -1 until stable).
    seed : int
        Seed of the clustering.
    damping : float
        PageRank's damping factor.
    pagerank_method : {"arrays", "sql"}
        Where PageRank iterates (:func:`pagerank`).
    pairs : tuple of str
        Co-occurrence tables to compute: ``"cocitation"``, ``"coupling"`` or both.
    min_count : int
        A pair is kept when at least this many works co-cite it (share it).
    top_k : int
        Pairs kept per work, strongest first.
    normalise : str
        Pair weight (:data:`~citegraph.graphs.cooccurrence.NORMALISATIONS`).
    rpys_window : int
        Median window of RPYS.
    """

    cluster_method: str = "leiden"
    resolution: float = 1.0
    iterations: int = 2
    seed: int = 0
    damping: float = 0.85
    pagerank_method: str = "arrays"
    pairs: tuple[str, ...] = ("cocitation",)
    min_count: int = 2
    top_k: int = 10
    normalise: str = "count"
    rpys_window: int = 5

    def __post_init__(self) -> None:
        bad = [p for p in self.pairs if p not in ("cocitation", "coupling")]
        if bad:
            raise UsageError(f"pairs {', '.join(map(repr, bad))}: each must be cocitation or coupling")
        if self.min_count < 1 or self.top_k < 1:
            raise UsageError(f"min_count {self.min_count} and top_k {self.top_k} must be at least 1")
        if self.normalise not in NORMALISATIONS:
            raise UsageError(f"normalise {self.normalise!r} is not one of {', '.join(NORMALISATIONS)}")


@dataclass
class SnapshotAnalysis:
    """What :func:`analyse_dataset` found.

    Attributes
    ----------
    works : pyarrow.Table
        One row per node of the citation graph, by key: ``key``, ``title``,
        ``year``, ``local`` and ``global`` citations, ``per_year``,
        ``pagerank``, ``component`` (its smallest key), ``cluster``.
    rpys : list of RPYSRow
    pairs : dict
        ``"cocitation"`` / ``"coupling"`` -> table ``a, b, count, weight``.
    clusters : list of dict
        Per cluster: number, size, year span, the five works most cited in
        the snapshot (key and title).
    options : SnapshotOptions
    facts : dict
        Nodes, links, works, reference entries, input files, the field.
    seconds : dict
        Wall time of each step (not written to files: they stay byte-stable).
    """

    works: pa.Table
    rpys: list[RPYSRow]
    pairs: dict[str, pa.Table]
    clusters: list[dict[str, Any]]
    options: SnapshotOptions
    facts: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)

    def top(self, column: str = "pagerank", n: int = 10) -> list[dict[str, Any]]:
        """The ``n`` works with the highest ``column``, ties by key."""
        values = np.nan_to_num(self.works.column(column).to_numpy(zero_copy_only=False).astype(np.float64))
        order = np.lexsort((np.arange(len(values)), -values))[:n]  # rows are in key order: ties by key
        rows: list[dict[str, Any]] = self.works.select(["key", "title", "year", column]).take(order).to_pylist()
        return rows


#: :func:`analyse_dataset` clusters in a second process, beside the SQL steps and PageRank, when the dataset
#: has at least this many links (and ``workers`` allows it): below, the overlap saves less than starting that
#: process costs (about a second).
CLUSTERS_BESIDE_ABOVE = 1_000_000


def _clusters_lane(n: int, src: np.ndarray, dst: np.ndarray, o: SnapshotOptions) -> Iterator[tuple[np.ndarray, float]]:
    """The clusters of the links (:func:`~citegraph.analysis.clusters.cluster_arrays`, as :func:`clusters`
    computes them) and the seconds they took."""
    from citegraph.analysis.clusters import cluster_arrays

    started = time.perf_counter()
    found = cluster_arrays(n, src, dst, method=o.cluster_method, resolution=o.resolution, seed=o.seed,
                           iterations=o.iterations)
    yield found, time.perf_counter() - started


def _clusters_from_files(folder: str, n: int, o: SnapshotOptions) -> Iterator[tuple[np.ndarray, float]]:
    """The clusters of the link arrays saved in ``folder`` (``src.npy``, ``dst.npy``), as :func:`_clusters_lane`
    finds them, and the seconds they took: what the second process runs.

    The files are mapped, read a chunk at a time into the links' codes and let go before the graph is made
    (:func:`~citegraph.analysis.clusters.cluster_codes`): the mapped pages would otherwise count in this
    process's memory all through Leiden (10^8 links: 1.5 GB).
    """
    from citegraph.analysis.clusters import cluster_codes

    started = time.perf_counter()
    found = cluster_codes(n, [_link_codes_of_files(folder, n)], method=o.cluster_method, resolution=o.resolution,
                          seed=o.seed, iterations=o.iterations)
    yield found, time.perf_counter() - started


def _link_codes_of_files(folder: str, n: int) -> np.ndarray:
    """:func:`~citegraph.analysis.clusters.link_codes` of ``folder``'s ``src.npy`` and ``dst.npy``, mapped."""
    from citegraph.analysis.clusters import link_codes

    src = np.load(Path(folder, "src.npy"), mmap_mode="r")
    dst = np.load(Path(folder, "dst.npy"), mmap_mode="r")
    return link_codes(n, src, dst)


def _clusters_beside(workers: int | None, ds: Dataset, links: int) -> bool:
    """Whether :func:`analyse_dataset` clusters in a second process (see :data:`CLUSTERS_BESIDE_ABOVE`).

    DuckDB only: on Spark the SQL steps run on the executors, beside nothing on the driver's cores.
    """
    if workers == 1 or ds.engine.dialect != "duckdb" or not can_fork():
        return False
    if workers is None:
        return usable_cores() >= 2 and links >= CLUSTERS_BESIDE_ABOVE
    return True


def analyse_dataset(ds: Dataset, options: SnapshotOptions | None = None, *,
                    workers: int | None = None) -> SnapshotAnalysis:
    """Every edge-shaped analysis of a dataset (or of its field, after ``ds.use_field``), in place.

    Counts, citations per year, PageRank, components, clusters, RPYS and the
    co-occurrence pairs, each through the functions above on the dataset's
    engine (DuckDB or Spark); only the link arrays (PageRank with
    ``"arrays"``, components, clusters) come into this process. For fields
    too big to store: the results are what ``citegraph analyse`` would give
    on a store of the field (rankings by PageRank and citation counts, not
    its composite, which needs the full records).

    The clusters (Leiden, igraph: one thread) are the longest step at scale.
    On DuckDB with 2 cores or more and at least :data:`CLUSTERS_BESIDE_ABOVE`
    links, a second process (started afresh, handed the link arrays as
    files in the temporary folder: 16 bytes a link) computes them while this
    one runs the SQL steps, PageRank and components; DuckDB is held to a tenth
    of its memory limit (at least 512 MB) and one core fewer meanwhile, and
    this process lets go of the link arrays and the node keys once PageRank,
    components and the pairs have used them (``ds.cache`` no longer holds
    them), so that both fit where the steps one after the other did and
    Leiden keeps its core. Every per-node result is held as an array by
    node id, not a dictionary by key, and the second process lets go of the
    link files before Leiden starts (:func:`_clusters_from_files`): at 10^8
    links (5 x 10^6 nodes) both processes together peaked at 11.2 GiB, 15.5
    GiB before. The results are the same either way (tested); ``workers=1`` keeps
    everything in this process, ``workers=2`` starts the second one at any
    size. ``seconds["clusters"]`` is then the time waited for
    them, ``seconds["clusters (second process)"]`` the time they took.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from citegraph.sources.snapshot import ingest
    >>> from citegraph.store.dataset import open_dataset
    >>> with tempfile.TemporaryDirectory() as d:     # hand-made unit records: a and b cite c, a cites b
    ...     src = Path(d) / "w.jsonl"
    ...     _ = src.write_text("\\n".join(json.dumps({"DOI": k, "reference": [{"key": "1", "DOI": c} for c in cs]})
    ...                                   for k, cs in [("10.1/a", ["10.1/b", "10.1/c"]), ("10.1/b", ["10.1/c"])]))
    ...     _ = ingest([src], "crossref", Path(d) / "ds")
    ...     with open_dataset(Path(d) / "ds") as ds:
    ...         result = analyse_dataset(ds, SnapshotOptions(min_count=1))
    >>> [(r["key"], r["local"], r["cluster"]) for r in result.works.to_pylist()]
    [('10.1/a', 0, 1), ('10.1/b', 1, 1), ('10.1/c', 2, 1)]
    >>> result.pairs["cocitation"].to_pylist()
    [{'a': '10.1/b', 'b': '10.1/c', 'count': 1, 'weight': 1.0}]
    """
    if workers is not None and workers < 1:
        raise UsageError(f"workers {workers} must be at least 1 (or unset)")
    o = options or SnapshotOptions()
    seconds: dict[str, float] = {}

    def timed(name: str, fn: Any) -> Any:
        started = time.perf_counter()
        value = fn()
        seconds[name] = round(time.perf_counter() - started, 3)
        log.info("snapshot %s: %.1f s", name, seconds[name])
        return value

    nodes, src, dst = timed("link arrays", lambda: edge_arrays(ds))
    fork = _clusters_beside(workers, ds, len(src))
    lowered = getattr(ds.engine, "memory_lowered", None)
    with contextlib.ExitStack() as stack:
        if fork:
            # a spawned process, handed the links as files: a forked one would keep DuckDB's buffers alive
            # (every page of this process it was born with, which DuckDB frees below), gigabytes at scale
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="citegraph-clusters-"))
            np.save(Path(folder, "src.npy"), src)
            np.save(Path(folder, "dst.npy"), dst)
            beside = Beside(_clusters_from_files, (folder, len(nodes), o), fork=True, name="citegraph-clusters",
                            start="spawn")
        else:
            beside = Beside(_clusters_lane, (len(nodes), src, dst, o), fork=False)
        stack.callback(beside.close, early=True)  # ends the second process when an error comes first
        # with a second process clustering, DuckDB gives it most of its memory and a core (igraph's Leiden is
        # one thread); alone, it gives it all its memory below
        cores = max(1, usable_cores() - 1)
        with lowered(0.1, threads=cores) if fork and lowered is not None else contextlib.nullcontext():
            counts = timed("citation counts", lambda: citation_counts(ds))
            # every per-node result below is an array by node id: ids number the nodes in key order, as the
            # counts come (checked), so no dictionary of millions of keys is held while the clusters are found
            at = _rows_of_ids(counts, nodes)
            per_year = timed("citations per year", lambda: _per_year_column(ds, counts))
            pr = timed("pagerank", lambda: _pagerank_vector(ds, len(nodes), o.damping, o.pagerank_method))
            comp = timed("components", lambda: _component_ids(len(nodes), *edge_arrays(ds)[1:]))
            pairs = {kind: timed(kind, lambda kind=kind: cooccurrence(ds, kind, normalise=o.normalise,
                                                                      min_count=o.min_count, top_k=o.top_k,
                                                                      method="arrays"))
                     for kind in o.pairs}
            n = len(nodes)
            if fork:  # the link arrays and node keys have served here: their memory goes to the clusters
                del src, dst, nodes
                ds.cache.pop("edge_arrays", None)
            spectrum = timed("rpys", lambda: rpys(ds, window=o.rpys_window))
        # DuckDB's cached tables go to its temp folder while igraph clusters here (10^8 links: GBs)
        with lowered() if not fork and lowered is not None else contextlib.nullcontext():
            membership, took = timed("clusters", beside.next)
        if fork:
            seconds["clusters (second process)"] = round(took, 3)
        beside.close()
    keys = counts.column("key").cast(pa.string())
    titles = ds.engine.sql(NODE_TITLES_SQL).column("title").cast(pa.string())
    works = pa.table({
        "key": keys,
        "title": titles,
        "year": counts.column("year"),
        "local": counts.column("local"),
        "global": counts.column("global"),
        "per_year": per_year,
        "pagerank": pa.array(pr[at], type=pa.float64()),
        "component": keys.take(pa.array(np.argsort(at)[comp[at]])) if n else keys,
        "cluster": pa.array(membership[at], type=pa.int64()),
    })
    facts = {"nodes": n, "links": ds.count("cg_edges"), "works": ds.count("cg_works"),
             "references": ds.count("cg_refs"), "files": len(ds.manifest.files),
             "field": ds.field, "dataset": str(ds.location), "engine": ds.engine.dialect,
             "components": len(np.unique(comp)), "clusters": len(np.unique(membership))}
    return SnapshotAnalysis(works=works, rpys=spectrum, pairs=pairs, clusters=_cluster_rows(works),
                            options=o, facts=facts, seconds=seconds)


def _rows_of_ids(counts: pa.Table, nodes: list[str]) -> np.ndarray:
    """For each row of ``counts`` (by key), its node id: ``arange(n)`` when both are in the same order (they are,
    by construction; checked on the keys themselves), else each key's id."""
    keys = counts.column("key")
    if counts.num_rows == len(nodes) and keys.cast(pa.string()).equals(
            pa.chunked_array([pa.array(nodes, pa.string())])):
        return np.arange(len(nodes))
    log.warning("snapshot: the node ids are not in the order of the counts' keys; mapping each key")
    index = {k: i for i, k in enumerate(nodes)}
    return np.array([index[k] for k in keys.to_pylist()], dtype=np.int64)


def _per_year_column(ds: Dataset, counts: pa.Table) -> pa.Array:
    """:func:`citations_per_year` of each row of ``counts`` (:func:`citation_counts`): from its ``global`` and
    ``year`` columns, the arithmetic of :data:`PER_YEAR_SQL` on arrays (None where either is missing, or when
    no work has a year), so that no second query sorts the nodes again."""
    found = _column(ds.engine.sql(REFERENCE_YEAR_SQL), "year")[0]
    n = counts.num_rows
    if found is None or n == 0:
        return pa.nulls(n, pa.float64())
    year = counts.column("year").to_numpy(zero_copy_only=False).astype(np.float64)  # null -> nan
    cites = counts.column("global").to_numpy(zero_copy_only=False).astype(np.float64)
    missing = np.isnan(year) | np.isnan(cites)
    since = np.maximum(1, int(found) - np.where(missing, 0, year).astype(np.int64) + 1)
    return pa.array(np.divide(cites, since), type=pa.float64(), mask=missing)


def _cluster_rows(works: pa.Table, top: int = 5) -> list[dict[str, Any]]:
    """Per cluster: size, year span, its ``top`` works most cited in the snapshot (local citations, then key).

    On arrays (``works`` is sorted by key, so a row number orders as its key): millions of nodes take seconds.
    """
    n = works.num_rows
    if n == 0:
        return []
    cluster = works.column("cluster").to_numpy(zero_copy_only=False).astype(np.int64)
    local = works.column("local").to_numpy(zero_copy_only=False).astype(np.int64)
    year = works.column("year").to_numpy(zero_copy_only=False).astype(np.float64)  # null -> nan
    keys, titles = works.column("key"), works.column("title")
    order = np.lexsort((np.arange(n), -local, cluster))
    starts = np.flatnonzero(np.r_[True, np.diff(cluster[order]) != 0])
    ends = np.r_[starts[1:], n]
    with np.errstate(invalid="ignore"):
        first = np.fmin.reduceat(year[order], starts)
        last = np.fmax.reduceat(year[order], starts)
    out = []
    for k, (a, b) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        rows = order[a:min(b, a + top)].tolist()
        out.append({"cluster": int(cluster[order[a]]), "size": b - a,
                    "first_year": None if np.isnan(first[k]) else int(first[k]),
                    "last_year": None if np.isnan(last[k]) else int(last[k]),
                    "top_works": [{"key": keys[r].as_py(), "title": titles[r].as_py(), "local": int(local[r])}
                                  for r in rows]})
    return out


def options_dict(options: SnapshotOptions) -> dict[str, Any]:
    """The options as plain JSON values."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(options).items()}
