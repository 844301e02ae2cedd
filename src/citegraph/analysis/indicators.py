"""Indicators of a set of works: h-index, productive journals with Bradford zones, frequent authors,
publications per year.

Names (journals, authors) are counted after normalisation: Unicode NFKC,
case folded, runs of whitespace collapsed and a single space after each
comma, so ``"Doe, J"``, ``"doe,  J"`` and ``"DOE ,J"`` count as one. Each is
shown in its most frequent spelling (the alphabetically first among equally
frequent ones). An author listed twice on one work counts once for it.

Examples
--------
>>> h_index([10, 8, 5, 4, 3])
4
>>> top_authors([{"authors": ["Doe, J", "Roe, A"]}, {"authors": ["doe,  j"]}])
[('Doe, J', 2), ('Roe, A', 1)]
"""

from __future__ import annotations

import logging
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

from citegraph.errors import UsageError
from citegraph.store.records import plausible_years

__all__ = [
    "bradford_zones",
    "h_index",
    "indicators",
    "name_key",
    "publications_per_year",
    "top_authors",
    "top_journals",
]

log = logging.getLogger(__name__)


def h_index(citations: Iterable[int | None]) -> int:
    """The largest ``h`` such that ``h`` works are cited at least ``h`` times each.

    Unknown counts (None) count as 0.

    Examples
    --------
    >>> h_index([25, 8, 5, 3, 3]), h_index([]), h_index([None, 1])
    (3, 0, 1)
    """
    counts = sorted((int(c) if c is not None else 0 for c in citations), reverse=True)
    h = 0
    for i, c in enumerate(counts, start=1):
        if c < i:
            break
        h = i
    return h


def name_key(name: str) -> str:
    """The counting key of a journal or author name (see the module notes).

    Examples
    --------
    >>> name_key("  DOE ,J  ") == name_key("Doe, j")
    True
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    return ", ".join(" ".join(part.split()) for part in text.split(","))


def _count_names(groups: Iterable[Iterable[str | None]]) -> list[tuple[str, int]]:
    """Count names (once per group), shown in their most frequent spelling; by count desc then name."""
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for group in groups:
        seen: set[str] = set()
        for name in group:
            if name is None:
                continue
            shown = " ".join(str(name).split())
            key = name_key(shown)
            if not key.replace(",", "").strip():
                continue
            spellings[key][shown] += 1
            if key not in seen:
                seen.add(key)
                counts[key] += 1
    shown_as = {key: min(sp.items(), key=lambda item: (-item[1], item[0]))[0] for key, sp in spellings.items()}
    return sorted(((shown_as[k], c) for k, c in counts.items()), key=lambda item: (-item[1], name_key(item[0]),
                                                                                  item[0]))


def bradford_zones(journals: Iterable[str | None], *, zones: int = 3) -> list[dict[str, Any]]:
    """Journals by number of articles, divided into Bradford zones.

    Bradford's law: sorted from most to least productive, journals fall into
    zones holding about equal shares of the articles, and each zone needs
    many more journals than the one before (the core zone has few).

    Parameters
    ----------
    journals : iterable of str or None
        The journal of each article (one entry per article); None and blank
        names are skipped; names are counted as the module notes say.
    zones : int
        How many zones (at least 1).

    Returns
    -------
    list of dict
        One row per journal: ``journal``, ``articles``, ``cumulative``
        (articles of this and every journal above it) and ``zone``,
        sorted by articles (descending) then name. The boundary rule: with
        ``before`` the articles of the journals above, a journal goes to
        zone ``z = floor(before * zones / total) + 1``, i.e. it stays in zone
        ``z`` while ``before < z * total / zones``. A journal is never
        split, so a very productive journal can leave a zone empty, and
        journals with equal counts are ordered by name.

    Examples
    --------
    >>> rows = bradford_zones(["A"] * 4 + ["B"] * 2 + ["C", "D", None])
    >>> [(r["journal"], r["articles"], r["cumulative"], r["zone"]) for r in rows]
    [('A', 4, 4, 1), ('B', 2, 6, 2), ('C', 1, 7, 3), ('D', 1, 8, 3)]
    """
    if zones < 1:
        raise UsageError(f"zones {zones} must be at least 1")
    counted = _count_names([j] for j in journals)
    total = sum(c for _, c in counted)
    rows: list[dict[str, Any]] = []
    before = 0
    for journal, count in counted:
        zone = before * zones // total + 1
        before += count
        rows.append({"journal": journal, "articles": count, "cumulative": before, "zone": zone})
    return rows


def top_authors(works: Iterable[Mapping[str, Any]], *, n: int = 20) -> list[tuple[str, int]]:
    """The ``n`` most frequent authors: ``(name, works)``, by count descending then name.

    Names come from each work's ``authors`` list ("Family, Given") and are
    counted as the module notes say.

    Examples
    --------
    >>> top_authors([{"authors": ["Roe, A", "Doe, J"]}, {"authors": ["DOE, J"]}, {"authors": ["Doe,  J"]}], n=1)
    [('Doe, J', 3)]
    """
    if n < 0:
        raise UsageError(f"n {n} must be at least 0")
    return _count_names(w.get("authors") or () for w in works)[:n]


def top_journals(works: Iterable[Mapping[str, Any]], *, n: int = 20) -> list[tuple[str, int]]:
    """The ``n`` journals (``container``) with most works: ``(name, works)``, by count descending then name.

    Examples
    --------
    >>> top_journals([{"container": "J B"}, {"container": "J A"}, {"container": "J  B"}, {"container": None}])
    [('J B', 2), ('J A', 1)]
    """
    if n < 0:
        raise UsageError(f"n {n} must be at least 0")
    return _count_names([w.get("container")] for w in works)[:n]


def indicators(G: nx.DiGraph, works: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Indicators of a set of stored works and their citation graph.

    Parameters
    ----------
    G : networkx.DiGraph
        The citation graph (:func:`citegraph.graphs.citation_graph`).
    works : iterable of mapping
        The stored works (:meth:`citegraph.store.Store.works`): ``container``,
        ``authors``, ``year``.

    Returns
    -------
    dict
        ``works`` (how many), ``h_index_global`` (over the Crossref citation
        counts, ``citations_global``, of the stored works in ``G``: nodes
        with ``resolved`` true), ``h_index_local`` (over the in-degree of
        those same works), ``journals`` (:func:`top_journals`), ``bradford``
        (:func:`bradford_zones` of the works' journals), ``authors``
        (:func:`top_authors`) and ``years`` (first, last), None when no
        work has a year; years outside
        :func:`~citegraph.store.records.plausible_years` are ignored (a
        logged warning counts them).

    Examples
    --------
    >>> G = nx.DiGraph([("a", "b"), ("c", "b"), ("c", "a")])
    >>> for k, d in G.nodes(data=True):
    ...     d.update(resolved=True, citations_global={"a": 1, "b": 5, "c": 0}[k])
    >>> ind = indicators(G, [{"container": "J", "authors": ["Doe, J"], "year": 2001},
    ...                      {"container": "J", "authors": [], "year": 1999}])
    >>> ind["works"], ind["h_index_global"], ind["h_index_local"], ind["years"], ind["journals"]
    (2, 1, 1, (1999, 2001), [('J', 2)])
    """
    items = list(works)
    stored = [n for n, d in G.nodes(data=True) if d.get("resolved")]
    years = _plausible([int(w["year"]) for w in items if w.get("year") is not None], "indicators")
    return {
        "works": len(items),
        "h_index_global": h_index(G.nodes[n].get("citations_global") for n in stored),
        "h_index_local": h_index(int(G.in_degree(n)) for n in stored),
        "journals": top_journals(items),
        "bradford": bradford_zones(w.get("container") for w in items),
        "authors": top_authors(items),
        "years": (min(years), max(years)) if years else None,
    }


def publications_per_year(G: nx.DiGraph, *, resolved_only: bool = True) -> list[tuple[int, int]]:
    """How many works of a graph were published each year.

    Parameters
    ----------
    G : networkx.DiGraph
        A citation graph (see :func:`citegraph.graphs.citation_graph`).
    resolved_only : bool
        Count only stored works (``resolved=True``); otherwise every node,
        including cited works known only from reference entries.

    Returns
    -------
    list of (year, works)
        Sorted by year; only years with at least one work. Works without a
        known year, or with one outside
        :func:`~citegraph.store.records.plausible_years`, are skipped (a
        logged warning counts the latter).

    Examples
    --------
    >>> G = nx.DiGraph([("a", "b"), ("c", "b")])   # hand-made unit-test graph
    >>> G.nodes["a"].update(year=2001, resolved=True); G.nodes["c"].update(year=2001, resolved=True)
    >>> G.nodes["b"].update(year=1990, resolved=False)
    >>> publications_per_year(G), publications_per_year(G, resolved_only=False)
    ([(2001, 2)], [(1990, 1), (2001, 2)])
    """
    counts: Counter[int] = Counter()
    for _, d in G.nodes(data=True):
        if resolved_only and not d.get("resolved"):
            continue
        year = d.get("year")
        if isinstance(year, int) and not isinstance(year, bool):
            counts[year] += 1
    kept = set(_plausible(list(counts), "publications per year", counts))
    return sorted((year, n) for year, n in counts.items() if year in kept)


def _plausible(years: list[int], what: str, weights: Mapping[int, int] | None = None) -> list[int]:
    """``years`` without those outside :func:`~citegraph.store.records.plausible_years`, the dropped counted
    in a logged warning (each year weighing ``weights[year]`` works, when given)."""
    first, last = plausible_years()
    kept = [y for y in years if first <= y <= last]
    if len(kept) < len(years):
        dropped = sum((weights or {}).get(y, 1) for y in years if not first <= y <= last)
        log.warning("%s: %d work(s) with a year outside the plausible years %d-%d ignored", what, dropped,
                    first, last)
    return kept
