"""Stage 4, analysis: what the graphs say about a literature.

- :mod:`~citegraph.analysis.rank`: rankings (local and global citations,
  citations per year, PageRank, HITS, betweenness, co-citation with the
  seeds, a composite);
- :mod:`~citegraph.analysis.clusters`: clusters (Louvain, Leiden) with
  labels from their most distinctive terms;
- :mod:`~citegraph.analysis.bursts`: Kleinberg citation bursts;
- :mod:`~citegraph.analysis.rpys`: reference publication year spectroscopy;
- :mod:`~citegraph.analysis.mainpath`: search path counts and main paths;
- :mod:`~citegraph.analysis.indicators`: h-index, journals with Bradford
  zones, authors, publications per year;
- :mod:`~citegraph.analysis.coverage`: how complete the fetched network is;
- :mod:`~citegraph.analysis.notices`: retracted works, the works citing
  them, expressions of concern and corrections, counted and worded;
- :mod:`~citegraph.analysis.pipeline`: a whole ``citegraph analyse``
  (:func:`~citegraph.analysis.pipeline.analyse`);
- :mod:`~citegraph.analysis.snapshot`: the edge-shaped analyses as SQL on a
  whole-snapshot Parquet dataset (DuckDB, or Spark SQL);
- :mod:`~citegraph.analysis.parallel`: values computed in a second, forked
  process beside the caller (the two lanes of ``analyse`` and of
  ``analyse_dataset``).

May import: the shared modules, :mod:`citegraph.store` and
:mod:`citegraph.graphs`. Never a source, never an output: analyses return plain
data (lists, dicts, dataclasses, networkx graphs) and draw nothing
(matplotlib is not imported here).
"""
