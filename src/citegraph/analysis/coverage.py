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

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from citegraph.store import Store

__all__ = ["coverage_report", "format_coverage"]

log = logging.getLogger(__name__)


def _share(part: int, whole: int | None) -> float | None:
    """``part / whole`` rounded to 4 places, or None when ``whole`` is 0 or unknown."""
    if not whole:
        return None
    return round(part / whole, 4)


#: Keys per ``IN (...)`` list, under SQLite's oldest limit on bound parameters (999).
_CHUNK = 500

# Per citing work: reference entries, entries with a DOI and distinct cited DOIs, in one pass over the
# primary-key index of refs (citing, position), grouped as it is read (no sort).
_REFS_SQL = "SELECT citing, COUNT(*), COUNT(cited), COUNT(DISTINCT cited) FROM refs GROUP BY citing"
# References looked up (sent to Crossref) and matched; a reference not sent is stored with its query text
# marked "[not sent: reason] ..." (citegraph.sources.matching.NOT_SENT) and is not a lookup.
_MATCHES_SQL = ("SELECT citing, COALESCE(SUM(rule IS NULL AND query NOT LIKE '[not sent:%'), 0), COUNT(matched) "
                "FROM ref_matches "
                "GROUP BY citing")
_FORWARD_SQL = "SELECT doi, MAX(citations) FROM forward_checks GROUP BY doi"
_WORKS_SQL = "SELECT doi, references_count, is_referenced_by_count FROM works ORDER BY doi"
# When a cited DOI counts as resolved / not found. The per-work and the whole-store queries share these
# conditions, so both treat NULLs alike.
_RESOLVED = "r.cited IN (SELECT doi FROM works)"
_NOT_FOUND = "r.cited IS NOT NULL AND r.cited NOT IN (SELECT doi FROM works) AND r.cited IN (SELECT doi FROM not_found)"
# Reference entries (not distinct DOIs) whose cited DOI is resolved / not found, over the whole store:
# both walk the refs(cited) index from the keys of works / not_found.
_RESOLVED_ENTRIES_SQL = f"SELECT COUNT(*) FROM refs r WHERE {_RESOLVED}"
_NOT_FOUND_ENTRIES_SQL = f"SELECT COUNT(*) FROM refs r WHERE {_NOT_FOUND}"


def _cited_status(store: Store, keys: list[str]) -> dict[str, tuple[int, int, int, int]]:
    """Per citing key: its distinct cited DOIs resolved and not found, and the entries behind each.

    Keys without references are absent. Meant for a few keys (seeds, works
    citing a DOI twice, references of unstored works): reads by index.
    """
    out: dict[str, tuple[int, int, int, int]] = {}
    for i in range(0, len(keys), _CHUNK):
        chunk = keys[i:i + _CHUNK]
        sql = f"""
            SELECT r.citing,
                   COUNT(DISTINCT CASE WHEN {_RESOLVED} THEN r.cited END),
                   COUNT(DISTINCT CASE WHEN {_NOT_FOUND} THEN r.cited END),
                   COUNT(CASE WHEN {_RESOLVED} THEN 1 END),
                   COUNT(CASE WHEN {_NOT_FOUND} THEN 1 END)
            FROM refs r WHERE r.citing IN ({','.join('?' * len(chunk))}) GROUP BY r.citing
        """
        for citing, resolved, not_found, resolved_entries, not_found_entries in store.execute(sql, chunk):
            out[citing] = (resolved, not_found, resolved_entries, not_found_entries)
    return out


@dataclass
class _Totals:
    """Sums of the per-work counts over some works (one seed, or the whole store)."""

    works: int = 0
    with_open: int = 0
    without_open: int = 0
    declared: int = 0
    open: int = 0
    with_doi: int = 0
    distinct: int = 0
    match_tried: int = 0
    matched: int = 0
    resolved: int = 0
    not_found: int = 0
    checked: int = 0
    forward: int = 0
    crossref_cited: int = 0

    def summary(self) -> dict[str, Any]:
        """The summary fields of the report (shares rounded to 4 places, None over 0)."""
        return {
            "works": self.works,
            "works_with_open_references": self.with_open,
            "works_without_open_references": self.without_open,
            "references_declared": self.declared,
            "references_open": self.open,
            "references_open_share": _share(self.open, self.declared),
            "references_with_doi": self.with_doi,
            "references_doi_share": _share(self.with_doi, self.open),
            "references_matched": self.matched,
            "references_match_tried": self.match_tried,
            "references_doi_or_matched_share": _share(self.with_doi + self.matched, self.open),
            "cited_dois": self.distinct,
            "cited_dois_resolved": self.resolved,
            "cited_dois_not_found": self.not_found,
            "cited_dois_not_asked": self.distinct - self.resolved - self.not_found,
            "forward_checked_works": self.checked,
            "forward_citations": self.forward,
            "forward_crossref_cited_by": self.crossref_cited,
            "forward_share": _share(self.forward, self.crossref_cited),
        }


def _count_works(works: Iterable[tuple[str, Any, Any]], refs: dict[str, tuple[int, int, int]],
                 matches: dict[str, tuple[int, int]], forward: dict[str, int]) -> _Totals:
    """Sum the counts of ``works`` (``(doi, references_count, is_referenced_by_count)`` rows).

    ``refs``, ``matches`` and ``forward`` hold the grouped counts per DOI; a
    DOI absent from them counts 0 (``forward``: not checked). Resolved and
    not-found counts are left at 0 for the caller.
    """
    works_n = with_open = without_open = declared = open_refs = with_doi = distinct = 0
    tried = matched = checked = found = crossref_cited = 0
    no_refs, no_matches = (0, 0, 0), (0, 0)
    for doi, references_count, cited_by in works:
        n_open, n_doi, n_distinct = refs.get(doi, no_refs)
        n_tried, n_matched = matches.get(doi, no_matches)
        n_declared = references_count or 0
        works_n += 1
        if n_open > 0:
            with_open += 1
        elif n_declared > 0:
            without_open += 1
        declared += n_declared
        open_refs += n_open
        with_doi += n_doi
        distinct += n_distinct
        tried += n_tried
        matched += n_matched
        n_found = forward.get(doi)
        if n_found is not None:
            checked += 1
            found += n_found
            crossref_cited += cited_by or 0
    return _Totals(works=works_n, with_open=with_open, without_open=without_open, declared=declared,
                   open=open_refs, with_doi=with_doi, distinct=distinct, match_tried=tried, matched=matched,
                   checked=checked, forward=found, crossref_cited=crossref_cited)


def _tally(store: Store, seeds: dict[str, tuple[Any, Any]]) -> tuple[_Totals, dict[str, _Totals]]:
    """The totals of the whole store and of each stored seed, from a few grouped queries.

    ``seeds`` maps the stored seeds to their ``(references_count,
    is_referenced_by_count)``. A work's resolved count is its number of
    distinct cited DOIs that are stored works (not found: likewise). Where
    no cited DOI repeats in the work's reference list, the usual case, that
    is its number of such entries, and those are counted for the whole store
    at once. The works that cite a DOI twice, and references whose citing
    work is not stored, are then corrected one by one; the seeds are counted
    one by one.
    """
    refs = {c: (n, d, k) for c, n, d, k in store.execute(_REFS_SQL)}
    matches = {c: (n, m) for c, n, m in store.execute(_MATCHES_SQL)}
    forward = dict(store.execute(_FORWARD_SQL).fetchall())
    works = store.execute(_WORKS_SQL).fetchall()
    overall = _count_works(works, refs, matches, forward)
    unstored: set[str] = set()  # citing keys of references whose work is not stored
    if sum(1 for w in works if w[0] in refs) < len(refs):
        unstored = refs.keys() - {w[0] for w in works}
    # Citing keys whose entries do not count one for one: a repeated cited DOI, or no stored citing work.
    odd = [c for c, (_, with_doi, distinct) in refs.items() if distinct != with_doi or c in unstored]
    status = _cited_status(store, sorted(set(odd) | (seeds.keys() & refs.keys())))
    overall.resolved = store.execute(_RESOLVED_ENTRIES_SQL).fetchone()[0]
    overall.not_found = store.execute(_NOT_FOUND_ENTRIES_SQL).fetchone()[0]
    for citing in odd:
        resolved, not_found, resolved_entries, not_found_entries = status[citing]
        overall.resolved -= resolved_entries
        overall.not_found -= not_found_entries
        if citing not in unstored:
            overall.resolved += resolved
            overall.not_found += not_found
    log.debug("coverage: %d works, %d reference lists counted one by one", overall.works, len(odd))
    totals = {}
    for key, (references_count, cited_by) in seeds.items():
        totals[key] = _count_works([(key, references_count, cited_by)], refs, matches, forward)
        totals[key].resolved, totals[key].not_found = status.get(key, (0, 0, 0, 0))[:2]
    return overall, totals


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
    keys = [s.doi for s in seeds]
    stored: dict[str, tuple[Any, ...]] = {}
    for i in range(0, len(keys), _CHUNK):
        chunk = keys[i:i + _CHUNK]
        stored.update((r[0], tuple(r[1:])) for r in store.execute(
            "SELECT doi, title, year, references_count, is_referenced_by_count FROM works"
            f" WHERE doi IN ({','.join('?' * len(chunk))})", chunk))
    overall, seed_totals = _tally(store, {key: row[2:] for key, row in stored.items()})
    seed_reports = []
    for seed in seeds:
        title, year, references_count, cited_by = stored.get(seed.doi, (None, None, None, None))
        seed_reports.append({
            "doi": seed.doi,
            "role": seed.role,
            "stored": seed.doi in stored,
            "title": title,
            "year": year,
            "references_count": references_count,
            "is_referenced_by_count": cited_by,
            **seed_totals.get(seed.doi, _Totals()).summary(),
        })
    return {
        "seeds": seed_reports,
        "seeds_without_open_references": [s["doi"] for s in seed_reports if s["stored"] and s["references_open"] == 0],
        "seeds_not_stored": [s["doi"] for s in seed_reports if not s["stored"]],
        "overall": overall.summary(),
        # The two counts of Store.counts() that the report shows, without its passes over refs.
        "not_found": store.execute("SELECT COUNT(DISTINCT doi) FROM not_found").fetchone()[0],
        "opencitations_edges": store.execute("SELECT COUNT(*) FROM oc_citations").fetchone()[0],
    }


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
