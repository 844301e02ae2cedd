"""Reference publication year spectroscopy (RPYS; Marx, Bornmann, Barth & Leydesdorff 2014).

:func:`rpys` counts cited references per publication year and their
deviation from the median of the surrounding years, :func:`rpys_peaks` picks
the peak years and :func:`peak_works` names the identifiable works behind a
peak (from :func:`reference_years_from_store`, which also describes
references that carry no DOI, by the label rule, and reads the year of a
reference from its citation string when the year field is missing);
:func:`rpys_start` gives a first year to show, from the data.
"""

from __future__ import annotations

import logging
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from citegraph.errors import UsageError
from citegraph.graphs.citation import family_name, node_label, text_author, text_title, text_year
from citegraph.store import Store
from citegraph.store.records import plausible_years

__all__ = ["RPYSRow", "describe_reference", "peak_works", "reference_years_from_store", "rpys", "rpys_peaks",
           "rpys_start"]

log = logging.getLogger(__name__)


# -- RPYS ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RPYSRow:
    """One publication year of an RPYS spectrogram.

    ``references``: cited references published that year; ``median``: the
    median of the references of the surrounding window of years;
    ``deviation``: ``references - median``.
    """

    year: int
    references: int
    median: float
    deviation: float


def rpys(reference_years: Iterable[int], *, window: int = 5, years: tuple[int, int] | None = None) -> list[RPYSRow]:
    """Reference publication year spectroscopy: cited references per year and their deviation from the median.

    Every reference instance counts (a work cited by ten citing works counts
    ten times, as in Marx et al. 2014). Years outside
    :func:`~citegraph.store.records.plausible_years` are ignored (a logged
    warning counts them), so one absurd year cannot stretch the spectrogram
    over billions of rows. The median of year ``t`` is taken over
    the centred window ``t - window//2 .. t + window//2``; a year without
    references, including every year before the first or after the last
    reference year, counts 0 in the window (so the edges of the spectrogram
    are compared with zeros). ``deviation = references - median``.

    Parameters
    ----------
    reference_years : iterable of int
        The publication year of every cited reference.
    window : int
        An odd window length, at least 1 (5: the usual five-year median).
    years : (first, last), optional
        Report only these years (inclusive; years without references are
        reported with 0). The medians still see the true counts of the years
        just outside.

    Returns
    -------
    list of RPYSRow
        One row for every year from the first to the last reference year (or
        of ``years``), zeros included, in year order. Empty without references.

    Raises
    ------
    UsageError
        An even or non-positive window, or a reversed year range.

    Examples
    --------
    >>> [(r.year, r.references, r.median, r.deviation) for r in rpys([2000, 2001, 2001, 2001, 2003], window=3)]
    [(2000, 1, 1.0, 0.0), (2001, 3, 1.0, 2.0), (2002, 0, 1.0, -1.0), (2003, 1, 0.0, 1.0)]
    >>> [r.year for r in rpys([1, 2000, 2001, 2_000_000_000], window=3)]   # 1 and 2e9 ignored, with a warning
    [2000, 2001]
    """
    if window < 1 or window % 2 == 0:
        raise UsageError(f"RPYS window {window} must be an odd number of years, at least 1")
    if years is not None and years[0] > years[1]:
        raise UsageError(f"year range {years[0]}-{years[1]} is reversed")
    counts = Counter(int(y) for y in reference_years)
    lo, hi = plausible_years()
    absurd = [y for y in counts if not lo <= y <= hi]
    if absurd:
        log.warning("RPYS: %d reference(s) with a year outside the plausible years %d-%d ignored",
                    sum(counts.pop(y) for y in absurd), lo, hi)
    if years is not None:
        years = (max(years[0], lo), min(years[1], hi))
        if years[0] > years[1]:
            return []
        first, last = years
    elif counts:
        first, last = min(counts), max(counts)
    else:
        return []
    half = window // 2
    rows = []
    for year in range(first, last + 1):
        median = float(statistics.median(counts[y] for y in range(year - half, year + half + 1)))
        rows.append(RPYSRow(year=year, references=counts[year], median=median, deviation=counts[year] - median))
    return rows


def rpys_peaks(rows: Sequence[RPYSRow], *, top: int = 5) -> list[int]:
    """The peak years of an RPYS spectrogram.

    A peak is a year with a positive deviation greater than the deviations of
    both neighbouring rows (a missing neighbour, at either end, does not
    count against it). Ties: a run of consecutive years with the same
    deviation is one candidate, a peak when greater than the rows on both
    sides of the run, reported as the run's first year.

    Parameters
    ----------
    rows : sequence of RPYSRow
        Consecutive years, as :func:`rpys` returns them (sorted here by year).
    top : int
        How many peaks to return at most.

    Returns
    -------
    list of int
        The ``top`` peak years with the largest deviations, sorted by
        deviation (descending), then year.

    Examples
    --------
    >>> rows = rpys([1950] * 2 + [1951] * 9 + [1952] * 2 + [1953] * 2 + [1954] * 5 + [1955] * 2, window=3)
    >>> [r.deviation for r in rows], rpys_peaks(rows), rpys_peaks(rows, top=1)
    ([0.0, 7.0, 0.0, 0.0, 3.0, 0.0], [1951, 1954], [1951])
    """
    if top < 1:
        raise UsageError(f"top {top} must be at least 1")
    ordered = sorted(rows, key=lambda r: r.year)
    runs: list[tuple[float, int]] = []  # (deviation, first year) of each run of equal deviations
    for row in ordered:
        if runs and runs[-1][0] == row.deviation:
            continue
        runs.append((row.deviation, row.year))
    peaks = [
        (dev, year)
        for i, (dev, year) in enumerate(runs)
        if dev > 0 and (i == 0 or dev > runs[i - 1][0]) and (i == len(runs) - 1 or dev > runs[i + 1][0])
    ]
    peaks.sort(key=lambda p: (-p[0], p[1]))
    return [year for _, year in peaks[:top]]


#: Placeholders some sources write where a reference has no author.
_NO_AUTHOR = frozenset({"anonymous", "anon", "[anonymous]", "[no author]", "no author"})


def describe_reference(year: int, first_author: str | None, article_title: str | None,
                       journal_title: str | None, unstructured: str | None) -> str | None:
    """How a reference without DOI is named, by the label rule (:func:`~citegraph.graphs.citation.node_label`).

    ``"Surname Year: Title"`` (the journal or book title when there is no
    article title) or ``"Surname Year"`` with an author; ``"Title Year"`` with only a title. A part the
    entry lacks is read from its unstructured citation string
    (:func:`~citegraph.graphs.citation.text_author`, ``text_title``). A
    reference without author and title (a year, perhaps a journal) cannot
    be told from others: None, and it is never named as a work.

    Examples
    --------
    >>> describe_reference(1925, "Fisher", None, "Statistical methods", None)
    'Fisher 1925: Statistical methods'
    >>> describe_reference(2010, None, None, None, "Doe JA, Roe K (2010) A study of graphs. J Graphs 3:1")
    'Doe 2010: A study of graphs'
    >>> describe_reference(2012, None, None, "NUTRIENTS", "[Anonymous], 2012, NUTRIENTS"), describe_reference(
    ...     2012, None, None, None, None)
    (None, None)
    """
    surname = family_name(first_author) if first_author and first_author.lower() not in _NO_AUTHOR else None
    title = article_title
    if unstructured and (surname is None or title is None):
        surname = surname or text_author(unstructured)
        title = title or text_title(unstructured)
    if surname:
        label = node_label(surname, year, "")
        other = title or journal_title  # a book's title comes as the journal title (volume-title)
        return f"{label}: {other}" if other else label
    if title:
        return f"{title} {year}"
    return None


def reference_years_from_store(store: Store) -> list[tuple[int, str | None, str | None]]:
    """Every reference entry of a store that has a publication year, for RPYS.

    The year is the entry's year field, or when that is missing (or was
    malformed, e.g. ``19721``, and so not stored) the year written in its
    unstructured citation string (:func:`~citegraph.graphs.citation.text_year`;
    never after the citing work's year plus one).
    A reference without DOI matched to one (``citegraph match``) counts as
    that DOI.

    Returns
    -------
    list of (year, cited, description)
        ``cited`` is the cited DOI key (recorded duplicate merges applied) or
        None; ``description`` is that DOI key, or for a reference without DOI
        :func:`describe_reference` (``"Surname Year: Title"``...), None when
        it has neither author nor title (such references count in the
        spectrogram but are never named). One tuple per reference entry (a
        work cited by ten works appears ten times), in citing DOI then
        position order. Entries without year are left out, and so are
        entries whose year is outside
        :func:`~citegraph.store.records.plausible_years` (a logged warning
        counts them).

    Examples
    --------
    >>> from citegraph.store.records import parse_work
    >>> with Store(":memory:") as s:   # hand-made unit-test record
    ...     _ = s.add_works([parse_work({"DOI": "10.5555/a", "reference": [
    ...         {"key": "1", "DOI": "10.5555/B", "year": "1990"},
    ...         {"key": "2", "author": "Fisher", "year": "1925", "volume-title": "Statistical methods"},
    ...         {"key": "3", "unstructured": "no year"}, {"key": "4", "year": "1931"},
    ...         {"key": "5", "year": "19721", "unstructured": "Roe K. A study of graphs. J Gr. 1972;4:1"}]},
    ...         source="t")])
    ...     reference_years_from_store(s)
    [(1990, '10.5555/b', '10.5555/b'), (1925, None, 'Fisher 1925: Statistical methods'), (1931, None, None), \
(1972, None, 'Roe 1972: A study of graphs')]
    """
    alias = store.merges()
    out: list[tuple[int, str | None, str | None]] = []
    first, last = plausible_years()
    absurd = 0
    rows = store.execute(
        """SELECT r.year, COALESCE(r.cited, m.matched), r.first_author, r.article_title, r.journal_title,
                  r.unstructured, CASE WHEN r.year IS NULL THEN (SELECT w.year FROM works w WHERE w.doi = r.citing) END
           FROM refs r LEFT JOIN ref_matches m ON m.citing = r.citing AND m.position = r.position
           WHERE r.year IS NOT NULL OR r.unstructured IS NOT NULL ORDER BY r.citing, r.position"""
    )
    described: dict[tuple[Any, ...], str | None] = {}  # the same reference text is cited by many works
    for year, cited, author, title, journal, unstructured, citing_year in rows:
        if year is None:  # never a year after the citing work's (plus one): "Healthy People 2030"
            year = text_year(unstructured, latest=citing_year + 1 if isinstance(citing_year, int) else None)
            if year is None:
                continue
        # counted here: one pass over refs, not a second query for the warning (text in the column is absurd too)
        if not isinstance(year, (int, float)) or not first <= year <= last:
            absurd += 1
            continue
        if cited is not None:
            key = alias.get(cited, cited)
            out.append((int(year), key, key))
            continue
        parts = (int(year), author, title, journal, unstructured)
        if parts not in described:
            described[parts] = describe_reference(*parts)
        out.append((int(year), None, described[parts]))
    if absurd:
        log.warning("RPYS: %d reference entr(ies) with a year outside the plausible years %d-%d ignored",
                    absurd, first, last)
    return out


def rpys_start(rows: Sequence[RPYSRow], *, share: float = 0.01) -> int | None:
    """A sensible first year to show of a spectrogram: the year before which at most ``share`` of the references lie.

    The default, 1%, leaves out the few very old references (a 1601 reprint,
    a misread year) that would stretch the axis over centuries of empty
    years; a peak among them still shows when asked for with ``years``.

    Examples
    --------
    >>> rows = rpys([1700] + [1990] * 50 + [1991] * 49, window=1)
    >>> rpys_start(rows), rpys_start(rows, share=0.0), rpys_start([])
    (1990, 1700, None)
    """
    if not 0.0 <= share < 1.0:
        raise UsageError(f"share {share} must be in [0, 1)")
    ordered = sorted(rows, key=lambda r: r.year)
    total = sum(r.references for r in ordered)
    if not total:
        return None
    before = 0
    for row in ordered:
        if row.references and before + row.references > share * total:
            return row.year
        before += row.references
    return ordered[-1].year


def peak_works(references: Iterable[tuple[int, str | None, str | None]], year: int, *,
               top: int = 5) -> list[tuple[str, int]]:
    """The most cited identifiable works published in one year: the works behind an RPYS peak.

    Parameters
    ----------
    references : iterable of (year, cited DOI or None, description or None)
        As :func:`reference_years_from_store` returns them.
    year : int
        The publication year.
    top : int
        How many works to return at most.

    Returns
    -------
    list of (work, times cited)
        ``work`` is the DOI key, or the description for a reference without
        DOI (descriptions that differ only in letter case and spacing count
        as one work, named by the first of them in sort order); sorted by times cited
        (descending), then name. References that cannot be identified
        (description None: no DOI, author or title) are never named; the
        year's other references are the spectrogram's count less these.

    Examples
    --------
    >>> refs = [(1955, "10.5555/x", "10.5555/x"), (1955, None, "Fisher 1955: Design"), (1955, None, None),
    ...         (1955, None, None), (1955, None, None), (1955, "10.5555/x", "10.5555/x"),
    ...         (1956, "10.5555/y", "10.5555/y")]
    >>> peak_works(refs, 1955)
    [('10.5555/x', 2), ('Fisher 1955: Design', 1)]
    """
    if top < 1:
        raise UsageError(f"top {top} must be at least 1")
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}  # descriptions that differ only in case and spaces are one work, shown one way
    for y, doi, text in references:
        if y != year or (doi is None and text is None):
            continue
        if doi is not None:
            counts[doi] += 1
            continue
        assert text is not None
        key = " ".join(text.casefold().split())
        shown[key] = min(shown.get(key, text), text)
        counts[key] += 1
    return sorted(((shown.get(k, k), n) for k, n in counts.items()), key=lambda kv: (-kv[1], kv[0]))[:top]
