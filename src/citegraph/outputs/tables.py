"""The tables of an analysis, and the coverage report, as files.

:func:`write_outputs` saves what :func:`citegraph.analysis.pipeline.analyse` computed:

- ``rankings.csv``: one row per work, sorted by the chosen score then DOI
  (the columns of :data:`citegraph.analysis.rank.COLUMNS`, ending with
  ``retracted`` (true/false) and ``notice``: ``retracted``, ``concern``,
  ``corrected`` or empty; then ``cluster``);
- ``clusters.csv``: one row per cluster (label terms, size, years, central works);
- ``bursts.csv``: citation bursts (work, first and last year, strength);
- ``rpys.csv``: cited references per publication year, 5-year median,
  deviation, peaks and the works behind each peak;
- ``main_path.csv``: the global and key-route main paths, edge by edge, in
  the direction knowledge flows (cited -> citing), with SPC weights;
- ``summary.json``: parameters, versions, counts, coverage, publications per
  year, indicators, and the works editorial notices flag
  (``retracted_works``, ``works_citing_retracted``, ``concern_works``,
  ``corrected_works``: :func:`citegraph.analysis.notices.notice_summary`).

:func:`write_coverage` saves :func:`citegraph.analysis.coverage.coverage_report`
as ``coverage.json``.

Files are sorted and carry no timestamps, so the same store and options give
byte-identical files; each is written atomically (:mod:`citegraph.outputs.files`).
A text cell that a spreadsheet would take for a formula (a title starting
with ``=``, ``+``, ``-`` or ``@``) gets a leading ``'``
(:func:`citegraph.outputs.text.spreadsheet_cell`); numbers are written as
numbers.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from citegraph.outputs.files import write_text_files
from citegraph.outputs.text import spreadsheet_cell

if TYPE_CHECKING:  # types only: `status --coverage -o` writes through this module without the analysis stack
    import networkx as nx

    from citegraph.analysis.pipeline import Analysis
    from citegraph.analysis.snapshot import SnapshotAnalysis

__all__ = ["OUTPUT_FILES", "SNAPSHOT_FILES", "write_coverage", "write_outputs", "write_snapshot_outputs"]

log = logging.getLogger(__name__)

OUTPUT_FILES = ("rankings.csv", "clusters.csv", "bursts.csv", "rpys.csv", "main_path.csv", "summary.json")

#: What :func:`write_snapshot_outputs` writes (a pairs table only for the kinds computed).
SNAPSHOT_FILES = ("works.csv", "clusters.csv", "rpys.csv", "cocitation.csv", "coupling.csv", "summary.json")


def _csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _cell(row.get(c)) for c in columns])
    return buf.getvalue()


def _cell(value: Any) -> str:
    """A value as a CSV cell: numbers as numbers, text neutralised for spreadsheets (:func:`spreadsheet_cell`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 8))
    if isinstance(value, int):
        return str(value)
    return spreadsheet_cell(str(value))


def _node(G: nx.DiGraph, key: str) -> dict[str, Any]:
    d = G.nodes[key] if key in G else {}
    return {"doi": d.get("doi", key), "label": d.get("label", key), "year": d.get("year")}


def write_outputs(analysis: Analysis, out_dir: str | Path) -> list[Path]:
    """Write the tables and ``summary.json`` into ``out_dir``; returns the paths in :data:`OUTPUT_FILES` order.

    Each file is written atomically (:mod:`citegraph.outputs.files`): a crash leaves the old file or the new one.
    """
    out = Path(out_dir)
    a = analysis
    ranking_columns = list(a.rankings[0].keys()) if a.rankings else ["rank", "doi"]
    cluster_columns = ["cluster", "size", "label", "year_min", "year_max", "year_median", "seeds", "top_works",
                       "top_labels"]
    burst_rows = [{"doi": a.citation.nodes[b.doi].get("doi", b.doi) if b.doi in a.citation else b.doi,
                   "label": b.label, "start": b.start, "end": b.end, "strength": b.strength,
                   "citations": b.citations} for b in a.bursts]
    rpys_rows = [{"year": r.year, "references": r.references, "median": r.median, "deviation": r.deviation,
                  "peak": r.year in a.peaks,
                  "peak_works": "; ".join(f"{w} ({n})" for w, n in a.peak_works.get(r.year, []))}
                 for r in a.rpys]
    path_rows: list[dict[str, Any]] = []
    for step, (u, v) in enumerate(itertools.pairwise(a.main_path), start=1):
        path_rows.append(_path_row(a, "global", step, u, v))
    for step, (u, v) in enumerate(a.key_routes, start=1):
        path_rows.append(_path_row(a, "key-route", step, u, v))
    files = {
        "rankings.csv": _csv(a.rankings, ranking_columns),
        "clusters.csv": _csv(a.clusters, cluster_columns),
        "bursts.csv": _csv(burst_rows, ["doi", "label", "start", "end", "strength", "citations"]),
        "rpys.csv": _csv(rpys_rows, ["year", "references", "median", "deviation", "peak", "peak_works"]),
        "main_path.csv": _csv(path_rows, ["path", "step", "from_doi", "from_label", "from_year", "to_doi",
                                          "to_label", "to_year", "spc"]),
        "summary.json": json.dumps(a.summary, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
    }
    return write_text_files([(out / name, files[name]) for name in OUTPUT_FILES])


def _path_row(a: Analysis, kind: str, step: int, u: str, v: str) -> dict[str, Any]:
    """One main-path edge, knowledge flowing from ``u`` (cited) to ``v`` (citing)."""
    src, dst = _node(a.citation, u), _node(a.citation, v)
    return {"path": kind, "step": step, "from_doi": src["doi"], "from_label": src["label"], "from_year": src["year"],
            "to_doi": dst["doi"], "to_label": dst["label"], "to_year": dst["year"],
            "spc": a.spc.get((u, v), a.spc.get((v, u)))}


def write_coverage(report: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write a coverage report as sorted, indented JSON (byte-stable), atomically; returns the path.

    Raises
    ------
    UsageError
        The file cannot be written (the message names it); an older file is left as it was.
    """
    text = json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return write_text_files([(Path(path), text)])[0]


def _versions(engine: str) -> dict[str, str]:
    import importlib.metadata

    names = ["citegraph", "duckdb", "pyarrow", "igraph", "numpy", "scipy"] + (["pyspark"] if engine == "spark" else [])
    out = {}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def write_snapshot_outputs(result: SnapshotAnalysis, out_dir: str | Path) -> list[Path]:
    """Write an in-place analysis of a dataset (:func:`citegraph.analysis.snapshot.analyse_dataset`) into ``out_dir``.

    - ``works.csv``: one row per node by key: title, year, local and global
      citations, citations per year, PageRank, component, cluster;
    - ``clusters.csv``: per cluster its size, year span and five most cited works;
    - ``rpys.csv``: references per publication year, median, deviation;
    - ``cocitation.csv`` / ``coupling.csv``: the pairs computed (``a, b, count, weight``);
    - ``summary.json``: options, the dataset and field, counts, versions.

    Sorted, no timestamps or timings: the same dataset and options give the
    same bytes. Returns the paths written, in :data:`SNAPSHOT_FILES` order.
    """
    from citegraph.analysis.snapshot import options_dict

    out = Path(out_dir)
    r = result
    cluster_rows = [{**{k: c[k] for k in ("cluster", "size", "first_year", "last_year")},
                     "top_works": "; ".join(f"{w['key']} ({w['local']})" for w in c["top_works"]),
                     "top_titles": "; ".join(w["title"] or w["key"] for w in c["top_works"])} for c in r.clusters]
    rpys_rows = [{"year": x.year, "references": x.references, "median": x.median, "deviation": x.deviation}
                 for x in r.rpys]
    files = {
        # PageRank with ten significant digits: at 10^6 works the scores are ~1e-6, below _cell's 8 decimals
        "works.csv": _csv([{**row, "pagerank": None if row["pagerank"] is None else f"{row['pagerank']:.10g}"}
                           for row in r.works.to_pylist()], r.works.column_names),
        "clusters.csv": _csv(cluster_rows, ["cluster", "size", "first_year", "last_year", "top_works", "top_titles"]),
        "rpys.csv": _csv(rpys_rows, ["year", "references", "median", "deviation"]),
    }
    for kind, table in sorted(r.pairs.items()):
        files[f"{kind}.csv"] = _csv(table.to_pylist(), ["a", "b", "count", "weight"])
    summary = {"options": options_dict(r.options), "facts": r.facts,
               "versions": _versions(str(r.facts.get("engine"))),
               "top_pagerank": r.top("pagerank", 20), "top_local": r.top("local", 20)}
    files["summary.json"] = json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return write_text_files([(out / name, files[name]) for name in SNAPSHOT_FILES if name in files])
