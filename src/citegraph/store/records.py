"""Turn Crossref work records into store rows.

A Crossref work record (as returned by ``/works/{doi}``, by a ``/works``
list, or found in a public-data-file dump) is parsed into one
:class:`WorkRow` and one :class:`ReferenceRow` per entry of its
``reference`` array. The parser accepts every shape seen in real data:
missing or empty titles, ``[[null]]`` dates, partial dates, references
without a DOI, years such as ``"2012a"``, organisations as authors.

It is also the sanity layer between a source's answer and the store: a year
outside :func:`plausible_years`, a count that is not a non-negative integer
of at most :data:`COUNT_MAX` (``10**20``, ``-4``, ``"²"``), or a reference
year out of range is stored as unknown (None), and the record is named in one
logged warning listing what was dropped; the rest of the record, and of its
batch, is stored. :func:`clean_work` applies the same ranges to rows built by
other code, just before they are written.

Examples
--------
>>> rec = {"DOI": "10.1000/ABC", "title": ["A  study"], "type": "journal-article",
...        "issued": {"date-parts": [[2019, 5]]},
...        "author": [{"family": "Doe", "given": "Jane", "sequence": "first"}],
...        "reference": [{"key": "r1", "DOI": "10.1000/xyz", "doi-asserted-by": "crossref"},
...                      {"key": "r2", "unstructured": "Smith J. A book. 1990."}]}
>>> parsed = parse_work(rec, source="example")
>>> parsed.work.doi, parsed.work.doi_original, parsed.work.title, parsed.work.year
('10.1000/abc', '10.1000/ABC', 'A study', 2019)
>>> [(r.position, r.cited) for r in parsed.references]
[(1, '10.1000/xyz'), (2, None)]
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from citegraph.doi import DOI, normalize_doi
from citegraph.errors import InvalidDOIError, RecordError

__all__ = [
    "COUNT_MAX",
    "NOTICE_CATEGORIES",
    "YEAR_AHEAD",
    "YEAR_MIN",
    "Notice",
    "ParsedWork",
    "ReferenceRow",
    "SourceRecord",
    "WorkRow",
    "author_name",
    "clean_work",
    "crossref_notices",
    "first_page",
    "notice_category",
    "parse_snapshot_work",
    "parse_work",
    "plausible_year",
    "plausible_years",
    "record_year",
    "reference_text",
    "reference_year",
]

log = logging.getLogger(__name__)

#: Date fields tried, in order, for a work's publication year. ``created``
#: and ``deposited`` are registration dates, not publication dates, and are
#: never used.
YEAR_FIELDS: tuple[str, ...] = (
    "issued",
    "published",
    "published-print",
    "published-online",
    "posted",
)

#: The earliest publication year taken as plausible.
YEAR_MIN = 1000
#: How many years after the current one a publication year may lie (issues announced ahead).
YEAR_AHEAD = 5
#: The largest plausible count (citations, references): more than all works ever registered.
COUNT_MAX = 10**9

_THIS_YEAR = _dt.datetime.now(_dt.UTC).year  # read once: the window is checked for every reference

_WS = re.compile(r"\s+")
_DIGITS = re.compile(r"[0-9]+")
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d|21\d\d)(?!\d)")


@dataclass(frozen=True)
class WorkRow:
    """The extracted columns of one work (one row of the ``works`` table).

    ``authors`` and ``subjects`` are tuples here and JSON arrays in the store.
    ``raw_json`` is the record exactly as received, serialised compactly.
    """

    doi: str
    doi_original: str
    title: str | None
    year: int | None
    container: str | None
    type: str | None
    first_author: str | None
    authors: tuple[str, ...]
    is_referenced_by_count: int | None
    references_count: int | None
    abstract: str | None
    subjects: tuple[str, ...]
    source: str
    raw_json: str
    volume: str | None = None
    page: str | None = None


@dataclass(frozen=True)
class ReferenceRow:
    """One entry of a work's reference list (one row of the ``refs`` table).

    ``position`` is 1-based, in the order of the record's ``reference``
    array. ``cited`` is the lower-case DOI key or ``None`` when the entry
    carries no (valid) DOI; ``cited_original`` keeps the DOI as deposited.
    """

    citing: str
    position: int
    cited: str | None
    cited_original: str | None
    doi_asserted_by: str | None
    key: str | None
    unstructured: str | None
    article_title: str | None
    journal_title: str | None
    year: int | None
    first_author: str | None
    volume: str | None = None
    page: str | None = None


@dataclass(frozen=True)
class Notice:
    """An editorial notice about a work: a retraction, a correction, an expression of concern, ...

    Attributes
    ----------
    work : str
        Key of the work the notice is about.
    kind : str
        Crossref's update type, lower case with underscores (``retraction``,
        ``correction``, ``expression_of_concern``, ``withdrawal``, ...);
        :func:`notice_category` says how citegraph shows it.
    source : str
        Who issued or recorded the notice: ``publisher``,
        ``retraction-watch`` (both as Crossref says), ``openalex`` (its
        ``is_retracted`` flag, which names no notice).
    reported_by : str
        The source whose record carried it (``crossref``, ``openalex``).
    reported_in : str
        Key of the record that carried it: the work itself (``updated-by``,
        ``is_retracted``) or the notice (a notice's ``update-to``).
    notice_doi : str
        DOI of the notice (``""`` when the source names none).
    date : str or None
        ISO date of the notice.
    label : str or None
        The source's label (``Retraction``, ``Correction``).
    """

    work: str
    kind: str
    source: str
    reported_by: str
    reported_in: str
    notice_doi: str = ""
    date: str | None = None
    label: str | None = None

    @property
    def category(self) -> str | None:
        """``retracted``, ``concern``, ``corrected`` or None (a new version, a reinstatement, ...)."""
        return notice_category(self.kind)


#: How a notice's kind is shown: a retraction flags the work as retracted; an expression of concern
#: (or a partial retraction) is shown as a concern, a correction as corrected; other kinds (new
#: version, new edition, reinstatement) are stored but not flagged.
NOTICE_CATEGORIES: dict[str, str] = {
    "retraction": "retracted",
    "withdrawal": "retracted",
    "removal": "retracted",
    "expression_of_concern": "concern",
    "partial_retraction": "concern",
    "correction": "corrected",
    "corrigendum": "corrected",
    "erratum": "corrected",
    "addendum": "corrected",
    "clarification": "corrected",
}


def notice_category(kind: str | None) -> str | None:
    """How a notice kind is shown: ``retracted``, ``concern``, ``corrected`` or None.

    Examples
    --------
    >>> notice_category("Retraction"), notice_category("expression-of-concern"), notice_category("new_version")
    ('retracted', 'concern', None)
    """
    if not isinstance(kind, str):
        return None
    return NOTICE_CATEGORIES.get(kind.strip().lower().replace("-", "_").replace(" ", "_"))


def _notice_date(value: Any) -> str | None:
    if not isinstance(value, Mapping):
        return None
    stamp = value.get("date-time")
    if isinstance(stamp, str) and re.match(r"^\d{4}-\d{2}-\d{2}", stamp):
        return stamp[:10]
    parts = value.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list):
        nums = [p for p in parts[0][:3] if isinstance(p, int) and not isinstance(p, bool)]
        if nums and plausible_year(nums[0]):
            return "-".join([f"{nums[0]:04d}", *(f"{n:02d}" for n in nums[1:] if 1 <= n <= 31)])
    return None


def crossref_notices(record: Mapping[str, Any], key: str) -> tuple[Notice, ...]:
    """The notices a Crossref record carries: its ``updated-by`` (about itself) and ``update-to`` (about others).

    A work's ``updated-by`` entries name the notices that update it (a
    retraction, a correction; since 2025 also Retraction Watch's, with
    ``"source": "retraction-watch"``); a notice's ``update-to`` names the works
    it updates. An entry updating the record itself with a new version of it
    (PLOS deposits such) is kept like any other; malformed entries are
    skipped.

    Examples
    --------
    >>> rec = {"DOI": "10.5555/a", "updated-by": [  # hand-made unit fixture, shaped like Crossref's entries
    ...     {"DOI": "10.5555/notice", "type": "retraction", "label": "Retraction", "source": "retraction-watch",
    ...      "updated": {"date-parts": [[2024, 3, 5]], "date-time": "2024-03-05T00:00:00Z"}}]}
    >>> [(n.work, n.kind, n.source, n.notice_doi, n.date) for n in crossref_notices(rec, "10.5555/a")]
    [('10.5555/a', 'retraction', 'retraction-watch', '10.5555/notice', '2024-03-05')]
    """
    out: dict[tuple[str, str, str, str], Notice] = {}
    for field_name in ("updated-by", "update-to"):
        entries = record.get(field_name)
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if not isinstance(entry, Mapping):
                continue
            kind = entry.get("type")
            if not isinstance(kind, str) or not kind.strip():
                continue
            kind = kind.strip().lower().replace("-", "_").replace(" ", "_")
            other = entry.get("DOI")
            try:
                other_key = normalize_doi(other).key if isinstance(other, str) else None
            except InvalidDOIError:
                other_key = None
            if field_name == "updated-by":
                work, notice_doi = key, other_key or ""
            elif other_key is None:
                continue
            else:
                work, notice_doi = other_key, key
            source = entry.get("source")
            label = entry.get("label")
            notice = Notice(
                work=work, kind=kind, source=source.strip().lower() if isinstance(source, str) and source.strip()
                else "publisher", reported_by="crossref", reported_in=key, notice_doi=notice_doi,
                date=_notice_date(entry.get("updated")), label=label.strip() if isinstance(label, str) else None,
            )
            out.setdefault((notice.work, notice.kind, notice.source, notice.notice_doi), notice)
    return tuple(out[k] for k in sorted(out))


@dataclass(frozen=True)
class SourceRecord:
    """A work as one more source (OpenAlex) gives it, for :meth:`~citegraph.store.Store.add_source_records`.

    Attributes
    ----------
    key : str
        The work's key (DOI key, else ``openalex:W...``).
    source : str
        The source's name (``openalex``).
    native_id : str
        The work's identifier in that source (``W2741809807``).
    parsed : ParsedWork
        The record as store rows (used as the work's row only when no other
        source gave the work; :data:`~citegraph.store.database.RECORD_PRIORITY`).
    referenced : tuple of str
        The native identifiers of the works it cites (its reference list in
        that source, complete as far as the source knows).
    notices : tuple of Notice
        Notices the record carries (OpenAlex's ``is_retracted``).
    """

    key: str
    source: str
    native_id: str
    parsed: ParsedWork
    referenced: tuple[str, ...] = ()
    notices: tuple[Notice, ...] = ()


@dataclass(frozen=True)
class ParsedWork:
    """A work row together with its reference rows."""

    work: WorkRow
    references: tuple[ReferenceRow, ...] = field(default_factory=tuple)
    notices: tuple[Notice, ...] = ()

    @property
    def cited_dois(self) -> list[str]:
        """Distinct cited DOI keys, in reference-list order."""
        seen: dict[str, None] = {}
        for ref in self.references:
            if ref.cited is not None:
                seen.setdefault(ref.cited, None)
        return list(seen)


def _clean(text: Any) -> str | None:
    """Collapse whitespace; return None for empty or non-string values."""
    if text is None:
        return None
    if not isinstance(text, str):
        text = str(text)
    # str.split() splits at exactly the characters r"\s" matches (both are Py_UNICODE_ISSPACE), and in C:
    # the same result as _WS.sub(" ", text).strip() at a third of the cost (a snapshot calls this per reference)
    text = " ".join(text.split())
    return text or None


def _first(value: Any) -> str | None:
    """First non-empty string of a Crossref list field (or the string itself)."""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, Sequence):
        for item in value:
            cleaned = _clean(item)
            if cleaned:
                return cleaned
    return None


def _int_or_none(value: Any) -> int | None:
    """An integer, or a string of ASCII digits with an optional minus sign, as int; otherwise None.

    >>> _int_or_none(12), _int_or_none(" -3 "), _int_or_none("²"), _int_or_none(True), _int_or_none(1.5)
    (12, -3, None, None, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text.startswith("-") else text
        if _DIGITS.fullmatch(digits):
            return int(text)
    return None


def plausible_years() -> tuple[int, int]:
    """The window of plausible publication years: :data:`YEAR_MIN` to this year + :data:`YEAR_AHEAD`.

    Years outside it (a typo such as 20199, a ``0``, an overflowing
    integer) are not stored, and the analyses ignore them where a store
    holds them anyway, so a year range never spans billions of years.

    Examples
    --------
    >>> first, last = plausible_years()
    >>> first, last - _dt.datetime.now(_dt.UTC).year
    (1000, 5)
    """
    return YEAR_MIN, _THIS_YEAR + YEAR_AHEAD


def plausible_year(value: Any) -> bool:
    """Whether ``value`` is an int (not a bool) inside :func:`plausible_years`.

    Examples
    --------
    >>> plausible_year(1987), plausible_year(1), plausible_year(4_000_000_000), plausible_year("1987")
    (True, False, False, False)
    """
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    return YEAR_MIN <= value <= _THIS_YEAR + YEAR_AHEAD


def _plausible_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= COUNT_MAX


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _warn(doi: str, problems: Sequence[str]) -> None:
    if problems:
        more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        log.warning("record %s: %s%s: stored as unknown, the rest of the record is kept",
                    doi, "; ".join(problems[:5]), more)


def _record_years(record: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """``(field, year as deposited)`` of every date field of :data:`YEAR_FIELDS` that has one."""
    for name in YEAR_FIELDS:
        value = record.get(name)
        if not isinstance(value, Mapping):
            continue
        parts = value.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            if parts[0][0] is not None:
                yield name, parts[0][0]


def record_year(record: Mapping[str, Any]) -> int | None:
    """Publication year of a Crossref record, or None.

    The first of :data:`YEAR_FIELDS` whose ``date-parts`` has a plausible
    year (:func:`plausible_year`) wins.

    Examples
    --------
    >>> record_year({"issued": {"date-parts": [[None]]},
    ...              "published-print": {"date-parts": [[1971, 2]]}})
    1971
    >>> record_year({"created": {"date-parts": [[2017, 1, 12]]}}) is None
    True
    >>> record_year({"issued": {"date-parts": [[20199]]}, "published": {"date-parts": [[2019]]}})
    2019
    """
    for _, value in _record_years(record):
        year = _int_or_none(value)
        if plausible_year(year):
            return year
    return None


def author_name(author: Mapping[str, Any]) -> str | None:
    """Display name of one Crossref contributor: ``"Family, Given"``.

    Organisations (``name`` only) keep their name.

    Examples
    --------
    >>> author_name({"family": "Doe", "given": "Jane"})
    'Doe, Jane'
    >>> author_name({"name": "WHO Study Group"})
    'WHO Study Group'
    """
    family = _clean(author.get("family"))
    given = _clean(author.get("given"))
    if family and given:
        return f"{family}, {given}"
    return family or _clean(author.get("name")) or given


def _authors(record: Mapping[str, Any]) -> tuple[tuple[str, ...], str | None]:
    people = record.get("author")
    if not isinstance(people, list):
        return (), None
    names: list[str] = []
    first: str | None = None
    for person in people:
        if not isinstance(person, Mapping):
            continue
        name = author_name(person)
        if name is None:
            continue
        names.append(name)
        if first is None and person.get("sequence") == "first":
            first = _clean(person.get("family")) or name
    if first is None and people:
        lead = next((p for p in people if isinstance(p, Mapping) and author_name(p)), None)
        if lead is not None:
            first = _clean(lead.get("family")) or author_name(lead)
    return tuple(names), first


def reference_year(value: Any) -> int | None:
    """Year of a reference entry: ``"2012a"`` -> 2012, ``"n.d."`` -> None.

    Examples
    --------
    >>> reference_year("2012a"), reference_year(1998), reference_year("n.d.")
    (2012, 1998, None)
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        if len(value) == 4 and value.isascii() and value.isdigit():  # "1998": what the pattern gives, faster
            year = int(value)
            return year if 1500 <= year <= 2199 else None
        match = _YEAR.search(value)
        if match:
            return int(match.group(1))
    return None


def _reference(citing: str, position: int, entry: Mapping[str, Any], problems: list[str]) -> ReferenceRow:
    return ReferenceRow(*_reference_values(citing, position, entry, problems))


def _reference_values(citing: str, position: int, entry: Mapping[str, Any], problems: list[str]) -> tuple[Any, ...]:
    """The fields of :class:`ReferenceRow` for one reference entry, in its order.

    Called once per reference (2.5 billion in the whole Crossref file): absent fields are skipped before
    :func:`_clean` is called, and :func:`parse_snapshot_work` takes the tuple without making a row object.
    """
    get = entry.get
    cited = cited_original = None
    raw_doi = get("DOI")
    if isinstance(raw_doi, str) and raw_doi.strip():
        doi = _REF_DOIS.get(raw_doi)
        if doi is None:
            try:
                doi = normalize_doi(raw_doi)
            except InvalidDOIError as exc:
                doi = exc
            if len(_REF_DOIS) >= _MEMO_MAX:
                _REF_DOIS.clear()
            _REF_DOIS[raw_doi] = doi
        if doi.__class__ is DOI:
            cited, cited_original = doi.key, doi.original
        else:
            log.debug("reference %d of %s: %s", position, citing, doi)
            cited_original = raw_doi
    raw_year = get("year")
    if raw_year is None:
        year = None
    else:
        year = _REF_YEARS.get(raw_year, _MISSING) if raw_year.__class__ is str else _MISSING
        if year is _MISSING:
            year = reference_year(raw_year)
            if year is not None and not plausible_year(year):
                problems.append(f"reference {position} year {_shown(raw_year)} is outside the plausible years")
                year = None
            elif raw_year.__class__ is str and len(_REF_YEARS) < _MEMO_MAX:
                _REF_YEARS[raw_year] = year
    text = {name: _clean(value) for name, value in entry.items() if name in _REF_TEXT and value is not None}
    tget = text.get
    return (citing, position, cited, cited_original, tget("doi-asserted-by"), tget("key"), tget("unstructured"),
            tget("article-title"), tget("journal-title") or tget("volume-title") or tget("series-title"), year,
            tget("author"), tget("volume"), tget("first-page"))


#: What :func:`_reference_values` worked out before (a snapshot cites the same DOIs and writes the same years
#: millions of times): a reference's DOI text -> its :class:`~citegraph.doi.DOI` or the error it raised, and
#: a year text -> its plausible year or None. Bounded: emptied when full (the DOIs), no longer filled (years).
_REF_DOIS: dict[str, DOI | InvalidDOIError] = {}
_REF_YEARS: dict[str, int | None] = {}
_MEMO_MAX = 1 << 18
_MISSING: Any = object()

#: The text fields of a reference entry that :func:`_reference` keeps.
_REF_TEXT = frozenset({"doi-asserted-by", "key", "unstructured", "article-title", "journal-title", "volume-title",
                       "series-title", "author", "volume", "first-page"})


def first_page(value: Any) -> str | None:
    """The first page of a page range as written (``"145-150"`` -> ``"145"``), None when there is none.

    Examples
    --------
    >>> first_page("145-150"), first_page("e1002"), first_page(" "), first_page(None)
    ('145', 'e1002', None, None)
    """
    text = _clean(value)
    if text is None:
        return None
    return re.split(r"\s*[-\u2010-\u2015,]\s*", text, maxsplit=1)[0] or None


def _count(record: Mapping[str, Any], name: str, problems: list[str]) -> int | None:
    """The count field ``name`` when it is a non-negative integer up to :data:`COUNT_MAX`, else None (noted)."""
    value = record.get(name)
    if value is None:
        return None
    count = _int_or_none(value)
    if not _plausible_count(count):
        problems.append(f"{name} {_shown(value)} is not a plausible count")
        return None
    return count


def parse_work(record: Mapping[str, Any], *, source: str) -> ParsedWork:
    """Parse one Crossref work record into store rows.

    Parameters
    ----------
    record : Mapping
        A Crossref work (the ``message`` of ``/works/{doi}`` or one item
        of a list or dump).
    source : str
        Where the record came from (``"crossref-api"``, ``"file:NAME"``),
        stored with the work.

    Returns
    -------
    ParsedWork
        A year outside :func:`plausible_years` (of the work or of a
        reference) and a count that is not a plausible count are None, and
        the record is named in one logged warning; ``raw_json`` keeps the
        record as received.

    Raises
    ------
    RecordError
        When the record is not a mapping or has no valid DOI.

    Examples
    --------
    >>> parse_work({"title": ["x"]}, source="t")
    Traceback (most recent call last):
    ...
    citegraph.errors.RecordError: record has no DOI field (keys: title)
    >>> w = parse_work({"DOI": "10.5555/x", "is-referenced-by-count": 10**20, "references-count": "²",
    ...                 "issued": {"date-parts": [[4_000_000_000]]}}, source="t").work
    >>> w.is_referenced_by_count, w.references_count, w.year
    (None, None, None)
    """
    if not isinstance(record, Mapping):
        raise RecordError(f"record is a {type(record).__name__}, not a JSON object")
    raw_json = json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    if _SURROGATE.search(raw_json):
        # JSON may escape lone surrogates ("\ud800"), which no UTF-8 file or database can hold
        record = _without_surrogates(record)
        raw_json = json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return _parse_fields(record, source, raw_json)


def _parse_fields(record: Mapping[str, Any], source: str, raw_json: str) -> ParsedWork:
    """:func:`parse_work` after its record is known to hold no lone surrogate; ``raw_json`` as given."""
    raw_doi = record.get("DOI")
    if not isinstance(raw_doi, str) or not raw_doi.strip():
        keys = ", ".join(sorted(map(str, record))[:8]) or "none"
        raise RecordError(f"record has no DOI field (keys: {keys})")
    try:
        doi = normalize_doi(raw_doi)
    except InvalidDOIError as exc:
        raise RecordError(f"record has an invalid DOI: {exc}") from exc

    title = _first(record.get("title"))
    if title is None:
        title = _first(record.get("original-title")) or _first(record.get("short-title"))
    authors, first_author = _authors(record)
    subjects = record.get("subject")
    refs = record.get("reference")
    problems: list[str] = []
    year = record_year(record)
    for name, value in _record_years(record):
        if plausible_year(_int_or_none(value)):
            break
        if _int_or_none(value) is not None:
            problems.append(f"{name} year {_shown(value)} is outside the plausible years")
    references: tuple[ReferenceRow, ...] = ()
    if isinstance(refs, list):
        references = tuple(
            _reference(doi.key, i, entry, problems)
            for i, entry in enumerate(refs, start=1)
            if isinstance(entry, Mapping)
        )
    references_count = _count(record, "references-count", problems)
    if references_count is None:
        references_count = _count(record, "reference-count", problems)
    work = WorkRow(
        doi=doi.key,
        doi_original=doi.original,
        title=title,
        year=year,
        container=_first(record.get("container-title"))
        or _first(record.get("short-container-title")),
        type=_clean(record.get("type")),
        first_author=first_author,
        authors=authors,
        is_referenced_by_count=_count(record, "is-referenced-by-count", problems),
        references_count=references_count,
        abstract=_clean(record.get("abstract")),
        subjects=tuple(s for s in (_clean(x) for x in subjects or ()) if s)
        if isinstance(subjects, list)
        else (),
        source=source,
        raw_json=raw_json,
        volume=_clean(record.get("volume")),
        page=first_page(record.get("page")),
    )
    _warn(doi.key, problems)
    return ParsedWork(work=work, references=references, notices=crossref_notices(record, doi.key))


def parse_snapshot_work(record: Mapping[str, Any], *, source: str,
                        surrogate_free: bool = False) -> tuple[ParsedWork, list[tuple[Any, ...]]]:
    """:func:`parse_work` for a snapshot's millions of records: the references as tuples, not row objects.

    Ingesting a snapshot (:mod:`citegraph.sources.snapshot`) needs each reference's fields, not a
    :class:`ReferenceRow` per entry nor the record's JSON text with its reference list: this gives the same
    values at about half the cost.

    Parameters
    ----------
    record : Mapping
        A Crossref work record.
    source : str
        As :func:`parse_work`.
    surrogate_free : bool
        The caller knows that no string in ``record`` holds a lone surrogate (its JSON text had no
        ``\\ud800``-``\\udfff`` escape, the only way one gets in): the checks for them are skipped, and
        ``work.raw_json`` is left empty (the ingestion keeps the fields, not the text). The values are
        the same (tested).

    Returns
    -------
    parsed : ParsedWork
        As :func:`parse_work` gives it, except that ``references`` is empty and ``work.raw_json`` is the
        record without its ``reference`` list (empty with ``surrogate_free``).
    references : list of tuple
        The fields of each reference, in :class:`ReferenceRow`'s order: ``ReferenceRow(*t)`` for each
        tuple ``t`` equals :func:`parse_work`'s rows, lone surrogates replaced as there.

    Raises
    ------
    RecordError
        As :func:`parse_work`.

    Examples
    --------
    >>> record = {"DOI": "10.5555/A",
    ...           "reference": [{"key": "r1", "DOI": "https://doi.org/10.5555/B ", "year": "1999a"}]}
    >>> parsed, refs = parse_snapshot_work(record, source="unit-test")
    >>> parsed.work.doi, refs
    ('10.5555/a', [('10.5555/a', 1, '10.5555/b', '10.5555/B', None, 'r1', None, None, None, 1999, None, None, None)])
    >>> [ReferenceRow(*t) for t in refs] == list(parse_work(record, source="unit-test").references)
    True
    >>> parse_snapshot_work(record, source="unit-test", surrogate_free=True)[1] == refs
    True
    """
    if not isinstance(record, Mapping):
        raise RecordError(f"record is a {type(record).__name__}, not a JSON object")
    entries = record.get("reference")
    if not isinstance(entries, list) or not entries:
        if surrogate_free:
            return _parse_fields(record, source, ""), []
        return parse_work(record, source=source), []  # no reference list: no reference rows either way
    try:
        work_only = {k: v for k, v in record.items() if k != "reference"}
        parsed = _parse_fields(work_only, source, "") if surrogate_free else parse_work(work_only, source=source)
    except RecordError:
        parse_work(record, source=source)  # raises with the whole record's message (its keys include reference)
        raise
    citing = parsed.work.doi
    problems: list[str] = []
    rows = [_reference_values(citing, i, entry, problems) for i, entry in enumerate(entries, start=1)
            if entry.__class__ is dict or isinstance(entry, Mapping)]
    if surrogate_free:
        _warn(citing, problems)
        return parsed, rows
    try:  # a lone surrogate in what is kept shows in the values; parse_work replaces them before parsing
        "".join([v for row in rows for v in row if v.__class__ is str]).encode("utf-8")
    except UnicodeEncodeError:
        problems = []
        rows = [_reference_values(citing, i, entry, problems)
                for i, entry in enumerate(_without_surrogates(entries), start=1) if isinstance(entry, Mapping)]
    _warn(citing, problems)
    return parsed, rows


def clean_work(parsed: ParsedWork) -> ParsedWork:
    """``parsed`` with every implausible year and count set to None, the record named in a warning.

    The last guard before the store writes rows: rows made by
    :func:`parse_work` are already clean (returned as they are), rows built
    by other code may hold anything an importer let through, such as an
    integer SQLite cannot store.

    Examples
    --------
    >>> w = parse_work({"DOI": "10.5555/y", "issued": {"date-parts": [[2001]]}}, source="t")
    >>> clean_work(w) is w
    True
    >>> bad = ParsedWork(replace(w.work, year=-(10**19), is_referenced_by_count=10**20))
    >>> clean_work(bad).work.year, clean_work(bad).work.is_referenced_by_count
    (None, None)
    """
    w = parsed.work
    problems: list[str] = []
    changes: dict[str, Any] = {}
    if w.year is not None and not plausible_year(w.year):
        problems.append(f"year {_shown(w.year)} is outside the plausible years")
        changes["year"] = None
    for name in ("is_referenced_by_count", "references_count"):
        value = getattr(w, name)
        if value is not None and not _plausible_count(value):
            problems.append(f"{name} {_shown(value)} is not a plausible count")
            changes[name] = None
    bad_refs = [r for r in parsed.references if r.year is not None and not plausible_year(r.year)]
    if not problems and not bad_refs:
        return parsed
    problems += [f"reference {r.position} year {_shown(r.year)} is outside the plausible years" for r in bad_refs]
    _warn(w.doi, problems)
    references = tuple(replace(r, year=None) if r.year is not None and not plausible_year(r.year) else r
                       for r in parsed.references)
    return ParsedWork(work=replace(w, **changes) if changes else w, references=references)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_surrogates(value: Any) -> Any:
    """``value`` with every lone surrogate code point replaced by U+FFFD.

    >>> _without_surrogates({"title": ["a\\ud800b"], "n": 1}) == {"title": ["a\\ufffdb"], "n": 1}
    True
    """
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, Mapping):
        return {_without_surrogates(k): _without_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_surrogates(v) for v in value]
    return value


def reference_text(ref: ReferenceRow) -> str:
    """A bibliographic query string for a reference entry ('' when it has nothing).

    The deposited ``unstructured`` citation when there is one, otherwise
    first author, article title, journal or book title and year.

    Examples
    --------
    >>> r = ReferenceRow("10.1/a", 1, None, None, None, "k", None, "Hair loss", "J Derm", 1999, "Smith")
    >>> reference_text(r)
    'Smith Hair loss J Derm 1999'
    """
    if ref.unstructured:
        return ref.unstructured
    parts = [ref.first_author, ref.article_title, ref.journal_title, str(ref.year) if ref.year else None]
    return " ".join(p for p in parts if p)
