"""Reference publication year spectroscopy (RPYS; Marx, Bornmann, Barth & Leydesdorff 2014).

:func:`rpys` counts cited references per publication year and their
deviation from the median of the surrounding years, :func:`rpys_peaks` picks
the peak years and :func:`peak_works` names the works behind a peak (from
:func:`reference_years_from_store`, which also describes references that
carry no DOI).
"""

from __future__ import annotations

import logging
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from citegraph.errors import UsageError
from citegraph.store import Store
from citegraph.store.records import plausible_years

__all__ = ["RPYSRow", "peak_works", "reference_years_from_store", "rpys", "rpys_peaks"]

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


def _describe_reference(year: int, first_author: str | None, article_title: str | None,
                        journal_title: str | None, unstructured: str | None) -> str:
    title = article_title or journal_title
    if first_author or title:
        return " ".join(p for p in (first_author, str(year), title) if p)
    if unstructured:
        return unstructured
    return f"(undescribed reference) {year}"


def reference_years_from_store(store: Store) -> list[tuple[int, str | None, str]]:
    """Every reference entry of a store that has a publication year, for RPYS.

    Returns
    -------
    list of (year, cited, description)
        ``cited`` is the cited DOI key (recorded duplicate merges applied) or
        None; ``description`` is that DOI key, or for a reference without DOI
        ``"first_author year title"`` (the article title, else the journal or
        book title; missing parts left out), else its unstructured citation
        text. One tuple per reference entry (a work cited by ten works
        appears ten times), in citing DOI then position order. Entries
        without year are left out, and so are entries whose year is outside
        :func:`~citegraph.store.records.plausible_years` (a logged warning
        counts them).

    Examples
    --------
    >>> from citegraph.store.records import parse_work
    >>> with Store(":memory:") as s:   # hand-made unit-test record
    ...     _ = s.add_works([parse_work({"DOI": "10.5555/a", "reference": [
    ...         {"key": "1", "DOI": "10.5555/B", "year": "1990"},
    ...         {"key": "2", "author": "Fisher", "year": "1925", "volume-title": "Statistical methods"},
    ...         {"key": "3", "unstructured": "no year"}]}, source="t")])
    ...     reference_years_from_store(s)
    [(1990, '10.5555/b', '10.5555/b'), (1925, None, 'Fisher 1925 Statistical methods')]
    """
    alias = store.merges()
    out: list[tuple[int, str | None, str]] = []
    first, last = plausible_years()
    absurd = 0
    rows = store.execute(
        """SELECT year, cited, first_author, article_title, journal_title, unstructured FROM refs
           WHERE year IS NOT NULL ORDER BY citing, position"""
    )
    for year, cited, author, title, journal, unstructured in rows:
        # counted here: one pass over refs, not a second query for the warning (text in the column is absurd too)
        if not isinstance(year, (int, float)) or not first <= year <= last:
            absurd += 1
            continue
        if cited is not None:
            key = alias.get(cited, cited)
            out.append((int(year), key, key))
        else:
            out.append((int(year), None, _describe_reference(int(year), author, title, journal, unstructured)))
    if absurd:
        log.warning("RPYS: %d reference entr(ies) with a year outside the plausible years %d-%d ignored",
                    absurd, first, last)
    return out


def peak_works(references: Iterable[tuple[int, str | None, str]], year: int, *, top: int = 5) -> list[tuple[str, int]]:
    """The most cited works published in one year: the works behind an RPYS peak.

    Parameters
    ----------
    references : iterable of (year, cited DOI or None, description)
        As :func:`reference_years_from_store` returns them.
    year : int
        The publication year.
    top : int
        How many works to return at most.

    Returns
    -------
    list of (work, times cited)
        ``work`` is the DOI key, or the description for a reference without
        DOI (identical descriptions count as one work); sorted by times cited
        (descending), then name.

    Examples
    --------
    >>> refs = [(1955, "10.5555/x", "10.5555/x"), (1955, None, "Fisher 1955 Design"),
    ...         (1955, "10.5555/x", "10.5555/x"), (1956, "10.5555/y", "10.5555/y")]
    >>> peak_works(refs, 1955)
    [('10.5555/x', 2), ('Fisher 1955 Design', 1)]
    """
    if top < 1:
        raise UsageError(f"top {top} must be at least 1")
    counts: Counter[str] = Counter(doi if doi is not None else text for y, doi, text in references if y == year)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
