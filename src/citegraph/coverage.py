"""How complete the fetched network is: the figures that say whether to trust it.

For every seed and for the whole store:

- **open references**: how many reference entries the records actually carry
  against the ``references-count`` Crossref reports (publishers who do not
  deposit open references leave works with none);
- **DOI share**: how many of those entries carry a DOI, and how many more were
  matched to a DOI by bibliographic query (counted apart: a match is an
  inference, not a deposit);
- **resolved / not found / not asked**: of the cited DOIs, how many are
  stored works, how many the source did not know (DataCite, mEDRA, typos),
  and how many were never asked because they lie beyond the fetch depth;
- **forward citations**: for works whose citing works were asked of
  OpenCitations, the citations found against Crossref's
  ``is-referenced-by-count``.

Examples
--------
>>> from citegraph.store import Store
>>> with Store(":memory:") as store:
...     report = coverage_report(store)
>>> report["overall"]["works"], report["overall"]["references_doi_share"]
(0, None)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from citegraph.store import Store

__all__ = ["coverage_report", "write_coverage", "format_coverage"]


def _share(part: int, whole: int | None) -> float | None:
    """``part / whole`` rounded to 4 places, or None when ``whole`` is 0 or unknown."""
    if not whole:
        return None
    return round(part / whole, 4)


def _work_rows(store: Store, keys: list[str] | None) -> list[dict[str, Any]]:
    where = ""
    params: list[str] = []
    if keys is not None:
        if not keys:
            return []
        where = f"WHERE w.doi IN ({','.join('?' * len(keys))})"
        params = keys
    sql = f"""
        SELECT w.doi, w.title, w.year, w.references_count, w.is_referenced_by_count,
               (SELECT COUNT(*) FROM refs r WHERE r.citing = w.doi) AS open,
               (SELECT COUNT(*) FROM refs r WHERE r.citing = w.doi AND r.cited IS NOT NULL) AS with_doi,
               (SELECT COUNT(*) FROM ref_matches m WHERE m.citing = w.doi AND m.matched IS NOT NULL) AS matched,
               (SELECT COUNT(*) FROM ref_matches m WHERE m.citing = w.doi) AS match_tried,
               (SELECT COUNT(DISTINCT r.cited) FROM refs r JOIN works x ON x.doi = r.cited
                 WHERE r.citing = w.doi) AS resolved,
               (SELECT COUNT(DISTINCT r.cited) FROM refs r
                 WHERE r.citing = w.doi AND r.cited IS NOT NULL
                   AND r.cited NOT IN (SELECT doi FROM works)
                   AND r.cited IN (SELECT doi FROM not_found)) AS not_found,
               (SELECT COUNT(DISTINCT r.cited) FROM refs r WHERE r.citing = w.doi AND r.cited IS NOT NULL)
                 AS distinct_cited,
               (SELECT MAX(f.citations) FROM forward_checks f WHERE f.doi = w.doi) AS forward
        FROM works w {where} ORDER BY w.doi
    """
    return [dict(row) for row in store.execute(sql, params)]


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    open_refs = sum(r["open"] for r in rows)
    declared = sum(r["references_count"] or 0 for r in rows)
    with_doi = sum(r["with_doi"] for r in rows)
    matched = sum(r["matched"] for r in rows)
    distinct = sum(r["distinct_cited"] for r in rows)
    checked = [r for r in rows if r["forward"] is not None]
    forward = sum(r["forward"] for r in checked)
    crossref_cited = sum(r["is_referenced_by_count"] or 0 for r in checked)
    return {
        "works": len(rows),
        "works_with_open_references": sum(1 for r in rows if r["open"] > 0),
        "works_without_open_references": sum(1 for r in rows if r["open"] == 0 and (r["references_count"] or 0) > 0),
        "references_declared": declared,
        "references_open": open_refs,
        "references_open_share": _share(open_refs, declared),
        "references_with_doi": with_doi,
        "references_doi_share": _share(with_doi, open_refs),
        "references_matched": matched,
        "references_match_tried": sum(r["match_tried"] for r in rows),
        "references_doi_or_matched_share": _share(with_doi + matched, open_refs),
        "cited_dois": distinct,
        "cited_dois_resolved": sum(r["resolved"] for r in rows),
        "cited_dois_not_found": sum(r["not_found"] for r in rows),
        "cited_dois_not_asked": distinct - sum(r["resolved"] for r in rows) - sum(r["not_found"] for r in rows),
        "forward_checked_works": len(checked),
        "forward_citations": forward,
        "forward_crossref_cited_by": crossref_cited,
        "forward_share": _share(forward, crossref_cited),
    }


def coverage_report(store: Store) -> dict[str, Any]:
    """The coverage of every seed and of the whole store, ready for JSON.

    Returns
    -------
    dict
        ``{"seeds": [...], "overall": {...}, "seeds_without_open_references":
        [...], "not_found": n}``. Each seed row has the summary fields of its
        own work (``works`` is 1 when it is stored, 0 when not) plus ``doi``,
        ``role``, ``title``, ``year``, ``stored``, ``references_count`` and
        ``is_referenced_by_count``. Shares are rounded to 4 places; None
        where the denominator is 0.
    """
    seeds = store.seeds()
    rows = {r["doi"]: r for r in _work_rows(store, [s.doi for s in seeds])}
    seed_reports = []
    for seed in seeds:
        row = rows.get(seed.doi)
        summary = _summary([row] if row else [])
        seed_reports.append({
            "doi": seed.doi,
            "role": seed.role,
            "stored": row is not None,
            "title": row["title"] if row else None,
            "year": row["year"] if row else None,
            "references_count": row["references_count"] if row else None,
            "is_referenced_by_count": row["is_referenced_by_count"] if row else None,
            **summary,
        })
    overall = _summary(_work_rows(store, None))
    counts = store.counts()
    return {
        "seeds": seed_reports,
        "seeds_without_open_references": [s["doi"] for s in seed_reports if s["stored"] and s["references_open"] == 0],
        "seeds_not_stored": [s["doi"] for s in seed_reports if not s["stored"]],
        "overall": overall,
        "not_found": counts["not_found"],
        "opencitations_edges": counts["opencitations_edges"],
    }


def write_coverage(report: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write the report as sorted, indented JSON (byte-stable); returns the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def format_coverage(report: dict[str, Any]) -> list[str]:
    """The report as lines of text for the terminal."""
    o = report["overall"]
    lines = [
        f"works stored: {o['works']} ({o['works_with_open_references']} with open references, "
        f"{o['works_without_open_references']} with references Crossref counts but none open)",
        f"references: {o['references_open']} open of {o['references_declared']} declared "
        f"({_pct(o['references_open_share'])}); {o['references_with_doi']} with DOI "
        f"({_pct(o['references_doi_share'])}), {o['references_matched']} more matched "
        f"({_pct(o['references_doi_or_matched_share'])} with DOI or matched)",
        f"cited DOIs: {o['cited_dois']} (per citing work), {o['cited_dois_resolved']} resolved, "
        f"{o['cited_dois_not_found']} not found, {o['cited_dois_not_asked']} not asked (beyond --depth); "
        f"{report['not_found']} DOIs not found in all",
        f"forward citations: {o['forward_citations']} found for {o['forward_checked_works']} works, "
        f"against {o['forward_crossref_cited_by']} Crossref counts ({_pct(o['forward_share'])})",
    ]
    if report["seeds_without_open_references"]:
        lines.append("seeds without open references: " + ", ".join(report["seeds_without_open_references"]))
    if report["seeds_not_stored"]:
        lines.append("seeds not stored (not found or not fetched yet): " + ", ".join(report["seeds_not_stored"]))
    lines.append("")
    lines.append(f"{'seed DOI':<34} {'role':<8} {'open/decl':>10} {'DOI':>5} {'match':>5} {'resolv':>6} "
                 f"{'n.f.':>5} {'cites OC/CR':>12}")
    for s in report["seeds"]:
        decl = "-" if s["references_count"] is None else s["references_count"]
        fwd = (f"{s['forward_citations']}/{s['is_referenced_by_count']}" if s["forward_checked_works"]
               else f"-/{'-' if s['is_referenced_by_count'] is None else s['is_referenced_by_count']}")
        lines.append(
            f"{s['doi']:<34} {(s['role'] or '-'):<8} {str(s['references_open']) + '/' + str(decl):>10} "
            f"{s['references_with_doi']:>5} {s['references_matched']:>5} {s['cited_dois_resolved']:>6} "
            f"{s['cited_dois_not_found']:>5} {fwd:>12}"
        )
    return lines
