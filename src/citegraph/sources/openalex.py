"""Works, references and citing works from the OpenAlex API.

`OpenAlex`_ indexes works with and without a DOI, their reference lists (as
OpenAlex work ids, ``W123...``) and, unlike Crossref, the works that cite a
work (``filter=cites:W1``). :class:`OpenAlexSource` asks it in batches:

* :meth:`OpenAlexSource.resolve`: many DOIs per request
  (``/works?filter=doi:A|B|...``, up to :data:`MAX_BATCH` values ORed with
  ``|``); a DOI OpenAlex does not know is reported ``missing``. A DOI that
  cannot travel inside a filter value (it holds ``|``, ``,`` or ``+``, which
  OpenAlex reads as OR, the filter separator and AND) is asked alone with
  ``/works/doi:{doi}``, where a ``404`` means missing;
* :meth:`OpenAlexSource.works_by_id`: the same by OpenAlex id
  (``filter=openalex:W1|W2``);
* :meth:`OpenAlexSource.citing`: the works citing a batch of works
  (``filter=cites:W1|W2``); each citing work's ``referenced`` ids tell which
  of the batch it cites.

Lists are read with ``per-page=200`` and cursor paging (``cursor=*``, then
``next_cursor``), and paging stops as soon as the results received reach
``meta.count`` or a page comes back shorter than ``per-page``: the last,
empty page the live API offers is never asked for, so a batch whose answer
fits one page costs one request. Every request selects only the fields
:func:`parse_openalex_work` reads (:data:`SELECT`).

:func:`parse_openalex_work` turns a record into an :class:`OpenAlexWork`: the
store rows (a :class:`~citegraph.store.records.WorkRow` keyed by the
lower-case DOI, or ``openalex:W123`` for a work without one, with the
abstract rebuilt from OpenAlex's inverted index), the ids of its references,
the retraction flag. A record may hold anything: a field of the wrong type
is dropped (logged at DEBUG level), never a crash; only a record without an
OpenAlex id is rejected (:class:`~citegraph.errors.RecordError`, counted as a
bad record by the client).

HTTP behaviour. All requests go through one :class:`requests.Session` and
one :class:`~citegraph.sources.ratelimit.RateLimiter` (``per_second``, one
request in flight) and carry ``api_key`` (an API key is required since
February 2026) and ``mailto`` when given, as query parameters. Answers:

``429`` with ``Retry-After``
    every start waits that long (at most :data:`MAX_RETRY_AFTER` seconds; a
    wait longer than :data:`~citegraph.sources.ratelimit.MAX_WAIT` stops the
    run), the limiter slows down, the request is retried; without
    ``Retry-After`` an exponential back-off. After ``retries`` throttles, a
    :class:`~citegraph.errors.SourceError`.
``429`` with the daily budget spent
    (``x-ratelimit-remaining: 0``, or a body saying so): not retried, since
    nothing will answer before the budget resets: an
    :class:`OpenAlexBudgetError` saying when it resets.
``401``/``403``
    :class:`OpenAlexKeyError` (a :class:`~citegraph.errors.ConfigError`,
    exit code 2) naming the setting of the key; not retried.
``400``
    a :class:`~citegraph.errors.SourceError` quoting what OpenAlex
    complained about (``DOESNTEXIST is not a valid field``); not retried.
``5xx``, time-outs, connection errors, a body that is not JSON of the expected shape
    retried with exponential back-off ``retries`` times, then a
    :class:`~citegraph.errors.SourceError` naming the URL and the last problem.

The API key never appears in a message, a log record or an exception this
module makes: URLs are shown through :func:`redact_api_key`, and a logging
filter does the same to urllib3's debug lines (which print request URLs).

Why not pyalex. `pyalex`_ (on PyPI) was considered and is not used, neither
for HTTP nor for URL building. Its requests go through its own :class:`requests.Session` with urllib3's
``Retry`` (retrying 429 and 5xx on its own schedule), which would bypass
this project's :class:`~citegraph.sources.ratelimit.RateLimiter`, its
statistics and its error classification (a spent budget retried instead of
stopping the run; a refused key surfacing as a ``requests`` error). Its key,
e-mail and retry settings live in one module-level ``pyalex.config`` object,
so two sources in one process (tests, a replay server next to the live API)
would share one key. What is left, URL building, is a few lines here:
``filter=doi:A|B``, ``select=``, ``per-page``, ``cursor``. So citegraph
gains no dependency.

Nothing here writes to the store: callers store what the methods yield.

Examples
--------
>>> rec = {"id": "https://openalex.org/W2755950973", "doi": "https://doi.org/10.1016/J.JOI.2017.08.007",
...        "title": "bibliometrix: An R-tool", "publication_year": 2017, "type": "article",
...        "authorships": [{"author": {"display_name": "Massimo Aria"}}],
...        "referenced_works": ["https://openalex.org/W1", "https://openalex.org/W2"],
...        "abstract_inverted_index": {"An": [0], "R-tool": [1]}}
>>> work = parse_openalex_work(rec)
>>> work.key, work.openalex_id, work.referenced
('10.1016/j.joi.2017.08.007', 'W2755950973', ('W1', 'W2'))
>>> row = work.parsed.work
>>> row.doi_original, row.type, row.authors, row.first_author, row.abstract
('10.1016/J.JOI.2017.08.007', 'journal-article', ('Aria, Massimo',), 'Aria', 'An R-tool')

.. _OpenAlex: https://docs.openalex.org
.. _pyalex: https://github.com/J535D165/pyalex
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import requests
import urllib3
from requests.adapters import HTTPAdapter

from citegraph._version import __version__
from citegraph.doi import DOI, normalize_doi
from citegraph.errors import ConfigError, InvalidDOIError, RecordError, SourceError, UsageError
from citegraph.sources.importing import author_display
from citegraph.sources.ratelimit import (
    PoolLimits,
    RateLimiter,
    ThrottledError,
    TransientError,
    call_with_retries,
    check_retry_after,
    parse_retry_after,
    read_within,
)
from citegraph.store.records import COUNT_MAX, Notice, ParsedWork, SourceRecord, WorkRow, plausible_year

__all__ = [
    "DEFAULT_OPENALEX_URL",
    "KEY_ENV",
    "KEY_SETTING",
    "MAX_BATCH",
    "MAX_RETRY_AFTER",
    "OPENALEX_SOURCE",
    "PER_PAGE",
    "SELECT",
    "TYPES",
    "OpenAlexBudgetError",
    "OpenAlexCiting",
    "OpenAlexKeyError",
    "OpenAlexResolution",
    "OpenAlexSource",
    "OpenAlexWork",
    "abstract_from_inverted_index",
    "openalex_id",
    "parse_openalex_work",
    "redact_api_key",
]

log = logging.getLogger(__name__)

#: The ``source`` name stored with works from OpenAlex.
OPENALEX_SOURCE = "openalex"

#: The root of the live OpenAlex API.
DEFAULT_OPENALEX_URL = "https://api.openalex.org"

#: The environment variable and the ``[tool.citegraph]`` setting that carry the API key.
KEY_ENV = "CITEGRAPH_OPENALEX_KEY"
KEY_SETTING = "openalex_key"

#: Values ORed in one filter (OpenAlex takes up to 100).
MAX_BATCH = 100

#: Results per page of a list (OpenAlex's maximum).
PER_PAGE = 200

#: The longest wait a ``Retry-After`` imposes here, in seconds (a longer one is cut to this, and one longer
#: than :data:`~citegraph.sources.ratelimit.MAX_WAIT` stops the run).
MAX_RETRY_AFTER = 60.0

#: The fields asked for with ``select=``: what :func:`parse_openalex_work` reads.
SELECT: tuple[str, ...] = (
    "id",
    "doi",
    "title",
    "display_name",
    "publication_year",
    "type",
    "primary_location",
    "authorships",
    "cited_by_count",
    "referenced_works_count",
    "referenced_works",
    "abstract_inverted_index",
    "topics",
    "concepts",
    "biblio",
    "is_retracted",
    "updated_date",
)

#: OpenAlex work types -> the Crossref type of the same meaning (so ``--types journal-article`` selects
#: them too, as for imported records); other types are kept as OpenAlex writes them.
TYPES: dict[str, str] = {
    "article": "journal-article",
    "review": "journal-article",
    "letter": "journal-article",
    "editorial": "journal-article",
    "erratum": "journal-article",
    "book-chapter": "book-chapter",
    "book": "book",
    "dissertation": "dissertation",
    "preprint": "posted-content",
    "report": "report",
}

# The words of an abstract rebuilt from an inverted index: positions past this are garbage, not text.
_MAX_ABSTRACT_WORDS = 100_000
# Characters that cannot travel inside one value of a filter: "|" (OR), "," (next filter), "+" (AND).
_FILTER_UNSAFE = frozenset("|,+")
# Percent-encoded, the filter value of one list request stays under this (a URL of a few KiB at most).
_MAX_FILTER_CHARS = 6000
_OPENALEX_ID = re.compile(r"(?:https?://(?:www\.)?openalex\.org/(?:works/)?)?([Ww][0-9]{1,15})")
_KEY_PARAM = re.compile(r"(api[_-]?key=)(?!<redacted>)[^&\s\"'#<>]*", re.IGNORECASE)
_WS = re.compile(r"\s+")
_SURROGATE = re.compile("[\ud800-\udfff]")
_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?")
_BUDGET_WORDS = re.compile(r"daily|budget|quota|per day|credits?", re.IGNORECASE)
_SPENT_WORDS = re.compile(r"exhaust|spent|exceed|reached|used up|depleted|insufficient|run out|no .*left",
                          re.IGNORECASE)


# ----------------------------------------------------------------------------------------------- helpers


def redact_api_key(text: str, key: str | None = None) -> str:
    """``text`` with every ``api_key=`` value, and ``key`` itself, replaced by ``<redacted>``.

    Examples
    --------
    >>> redact_api_key("https://api.openalex.org/works?filter=x&api_key=s3cr3t&mailto=a@b.org")
    'https://api.openalex.org/works?filter=x&api_key=<redacted>&mailto=a@b.org'
    >>> redact_api_key("refused s3cr3t", "s3cr3t")
    'refused <redacted>'
    """
    text = _KEY_PARAM.sub(r"\1<redacted>", text)
    if key:
        text = text.replace(key, "<redacted>")
        encoded = quote(key, safe="")
        if encoded != key:
            text = text.replace(encoded, "<redacted>")
    return text


class _RedactKeys(logging.Filter):
    """Redact ``api_key=`` in the records of a logger (urllib3 logs every request URL at DEBUG)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a malformed record is not ours to fix
            return True
        if _KEY_PARAM.search(text):
            record.msg = redact_api_key(text)
            record.args = ()
        return True


_REDACT_FILTER = _RedactKeys()
_FILTERED_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "urllib3.connection", "requests")


def _install_redaction() -> None:
    for name in _FILTERED_LOGGERS:
        logger = logging.getLogger(name)
        if _REDACT_FILTER not in logger.filters:
            logger.addFilter(_REDACT_FILTER)


def _text(value: Any, what: str = "") -> str | None:
    """A string with whitespace collapsed and no lone surrogates; None (logged) for anything else."""
    if value is None:
        return None
    if not isinstance(value, str):
        if what:
            log.debug("OpenAlex: dropping %s: a %s, not a string (%.60r)", what, type(value).__name__, value)
        return None
    text = _WS.sub(" ", _SURROGATE.sub("", value)).strip()
    return text or None


def _get(mapping: Any, *path: str) -> Any:
    """``mapping[path[0]][path[1]]...``, None where a level is missing or not a mapping."""
    value = mapping
    for name in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value


def _count(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= COUNT_MAX:
        return value
    log.debug("OpenAlex: dropping %s %.40r: not a plausible count", what, value)
    return None


def _one_line(text: str, limit: int = 200) -> str:
    text = _WS.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def abstract_from_inverted_index(index: Mapping[str, list[int]] | None) -> str | None:
    """Rebuild an abstract from OpenAlex's ``abstract_inverted_index``.

    Each word is placed at each of its positions and the words are joined by
    single spaces, in position order; gaps are closed up. Garbage is
    ignored: positions that are not non-negative integers (or are
    :data:`_MAX_ABSTRACT_WORDS` or more), words that are not strings or whose
    position list is not a list; when two words claim one position, the first
    given wins.

    Parameters
    ----------
    index : Mapping of str to list of int, or None
        ``{"word": [positions...], ...}``.

    Returns
    -------
    str or None
        The text; None when the index is None, empty, not a mapping or holds
        no usable word.

    Examples
    --------
    >>> abstract_from_inverted_index({"Despite": [0], "growing": [1], "the": [2, 4], "interest": [3], "field": [5]})
    'Despite growing the interest the field'
    >>> abstract_from_inverted_index({"a": ["x", -1, True, 10**12], "b": [2], 3: [1]})
    'b'
    >>> abstract_from_inverted_index({}) is None, abstract_from_inverted_index(None) is None
    (True, True)
    """
    if not isinstance(index, Mapping) or not index:
        return None
    placed: dict[int, str] = {}
    for word, positions in index.items():
        if not isinstance(word, str) or not isinstance(positions, (list, tuple)):
            continue
        word = _SURROGATE.sub("", word).strip()
        if not word:
            continue
        for position in positions:
            if (isinstance(position, int) and not isinstance(position, bool)
                    and 0 <= position < _MAX_ABSTRACT_WORDS):
                placed.setdefault(position, word)
    if not placed:
        return None
    return " ".join(placed[p] for p in sorted(placed))


def openalex_id(value: Any) -> str | None:
    """The short OpenAlex work id (``"W123"``) of an id or its URL; None for anything else.

    Examples
    --------
    >>> openalex_id("https://openalex.org/W2755950973"), openalex_id("W123"), openalex_id(" w123 ")
    ('W2755950973', 'W123', 'W123')
    >>> openalex_id("A5063410350"), openalex_id("https://example.org/W1"), openalex_id(123)
    (None, None, None)
    """
    if not isinstance(value, str):
        return None
    match = _OPENALEX_ID.fullmatch(value.strip())
    return match.group(1).upper() if match else None


# ------------------------------------------------------------------------------------------------ parsing


@dataclass(frozen=True)
class OpenAlexWork:
    """One OpenAlex work, parsed.

    Attributes
    ----------
    key : str
        The store key: the lower-case DOI when the record has a valid one,
        else ``"openalex:W123"``.
    openalex_id : str
        ``"W123"``.
    parsed : ParsedWork
        The store rows: the work (``source="openalex"``) and no references
        (OpenAlex gives references as work ids: see ``referenced``).
    referenced : tuple of str
        The ids (``"W..."``) of the works it cites, deduplicated, in order.
    retracted : bool
        OpenAlex's ``is_retracted``.
    updated : str or None
        OpenAlex's ``updated_date``, as given.
    """

    key: str
    openalex_id: str
    parsed: ParsedWork
    referenced: tuple[str, ...] = ()
    retracted: bool = False
    updated: str | None = None

    def source_record(self) -> SourceRecord:
        """The work as the store keeps a further source's record (with its ``is_retracted`` as a notice).

        OpenAlex's flag names no notice, no date and no issuer: the notice is
        recorded with source ``openalex`` and kind ``retraction``.
        """
        notices: tuple[Notice, ...] = ()
        if self.retracted:
            notices = (Notice(work=self.key, kind="retraction", source=OPENALEX_SOURCE, reported_by=OPENALEX_SOURCE,
                              reported_in=self.key, label="is_retracted"),)
        return SourceRecord(key=self.key, source=OPENALEX_SOURCE, native_id=self.openalex_id, parsed=self.parsed,
                            referenced=self.referenced, notices=notices)


def _doi_of(record: Mapping[str, Any]) -> DOI | None:
    raw = record.get("doi")
    if raw is None:
        return None
    if not isinstance(raw, str):
        log.debug("OpenAlex: dropping doi %.60r: not a string", raw)
        return None
    try:
        return normalize_doi(raw)
    except InvalidDOIError as exc:
        log.debug("OpenAlex: dropping doi %.80r: %s", raw, exc.reason)
        return None


def _authors(record: Mapping[str, Any]) -> tuple[tuple[str, ...], str | None]:
    authorships = record.get("authorships")
    if not isinstance(authorships, list):
        if authorships is not None:
            log.debug("OpenAlex: dropping authorships: a %s, not a list", type(authorships).__name__)
        return (), None
    names: list[str] = []
    for entry in authorships:
        name = author_display(_text(_get(entry, "author", "display_name"), "an author name"))
        if name:
            names.append(name)
    first = names[0].split(",", 1)[0].strip() or None if names else None
    return tuple(names), first


def _subjects(record: Mapping[str, Any]) -> tuple[str, ...]:
    chosen: list[str] = []
    topics = record.get("topics")
    if isinstance(topics, list):
        chosen = [t for t in (_text(_get(topic, "display_name"), "a topic") for topic in topics) if t]
    if not chosen:
        concepts = record.get("concepts")
        if isinstance(concepts, list):
            for concept in concepts:
                level = _get(concept, "level")
                if isinstance(level, int) and not isinstance(level, bool) and level in (0, 1):
                    name = _text(_get(concept, "display_name"), "a concept")
                    if name:
                        chosen.append(name)
    return tuple(dict.fromkeys(chosen))


def _referenced(record: Mapping[str, Any]) -> tuple[str, ...]:
    refs = record.get("referenced_works")
    if not isinstance(refs, list):
        if refs is not None:
            log.debug("OpenAlex: dropping referenced_works: a %s, not a list", type(refs).__name__)
        return ()
    ids: dict[str, None] = {}
    for ref in refs:
        ident = openalex_id(ref)
        if ident is None:
            log.debug("OpenAlex: dropping referenced work %.60r: not an OpenAlex work id", ref)
        else:
            ids.setdefault(ident, None)
    return tuple(ids)


def _raw_json(record: Mapping[str, Any]) -> str:
    try:
        raw = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=repr)
    except (TypeError, ValueError):  # keys of mixed types cannot be sorted; a circular record
        raw = json.dumps(repr(record)[:100_000], ensure_ascii=False)
    if _SURROGATE.search(raw):  # a lone surrogate cannot be stored as UTF-8: escape it
        raw = raw.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw


def parse_openalex_work(record: Mapping[str, Any]) -> OpenAlexWork:
    """Turn one OpenAlex work record into an :class:`OpenAlexWork`.

    The work row: ``doi`` is the key (the lower-case DOI, else
    ``openalex:W123``), ``doi_original`` the DOI as given without the resolver
    prefix (else the key); ``title`` (else ``display_name``);
    ``publication_year`` when plausible; the container from
    ``primary_location.source.display_name``; the type mapped through
    :data:`TYPES`; authors from ``authorships[].author.display_name`` as
    ``"Surname, Given"`` (the first author's surname as ``first_author``), the
    form the Crossref parser and the importers store; ``cited_by_count`` and
    ``referenced_works_count``; the abstract rebuilt by
    :func:`abstract_from_inverted_index`; subjects from ``topics`` (else the
    level 0 and 1 ``concepts``); volume and first page from ``biblio``;
    ``raw_json`` the record, serialised compactly with sorted keys.

    Parameters
    ----------
    record : Mapping
        One work as OpenAlex answers it (a list result, or a single work).

    Returns
    -------
    OpenAlexWork
        A field of the wrong type or out of range is left out (logged at
        DEBUG level); the rest is kept.

    Raises
    ------
    RecordError
        When the record is not a mapping or has no OpenAlex work ``id``.

    Examples
    --------
    >>> w = parse_openalex_work({"id": "https://openalex.org/W9", "doi": "not a doi", "publication_year": 20199,
    ...                          "title": ["wrong type"], "display_name": "Shown  name", "cited_by_count": -1})
    >>> w.key, w.parsed.work.doi_original, w.parsed.work.title, w.parsed.work.year, w.parsed.work.is_referenced_by_count
    ('openalex:W9', 'openalex:W9', 'Shown name', None, None)
    >>> parse_openalex_work({"doi": "https://doi.org/10.1/x"})
    Traceback (most recent call last):
    ...
    citegraph.errors.RecordError: OpenAlex record without a work id (id: None; keys: doi)
    """
    if not isinstance(record, Mapping):
        raise RecordError(f"OpenAlex record is a {type(record).__name__}, not a JSON object")
    ident = openalex_id(record.get("id"))
    if ident is None:
        keys = ", ".join(sorted(map(str, record))[:8]) or "none"
        raise RecordError(f"OpenAlex record without a work id (id: {record.get('id')!r:.60}; keys: {keys})")
    doi = _doi_of(record)
    key = doi.key if doi is not None else f"openalex:{ident}"
    title = _text(record.get("title"), "title") or _text(record.get("display_name"), "display_name")
    year: int | None = None
    raw_year = record.get("publication_year")
    if plausible_year(raw_year):
        year = raw_year
    elif raw_year is not None:
        log.debug("OpenAlex: dropping publication_year %.40r of %s: not a plausible year", raw_year, ident)
    kind = _text(record.get("type"), "type")
    authors, first_author = _authors(record)
    abstract = abstract_from_inverted_index(record.get("abstract_inverted_index"))
    biblio = record.get("biblio")
    work = WorkRow(
        doi=key,
        doi_original=doi.original if doi is not None else key,
        title=title,
        year=year,
        container=_text(_get(record, "primary_location", "source", "display_name"), "container"),
        type=TYPES.get(kind, kind) if kind else None,
        first_author=first_author,
        authors=authors,
        is_referenced_by_count=_count(record.get("cited_by_count"), "cited_by_count"),
        references_count=_count(record.get("referenced_works_count"), "referenced_works_count"),
        abstract=_text(abstract),
        subjects=_subjects(record),
        source=OPENALEX_SOURCE,
        raw_json=_raw_json(record),
        volume=_text(_get(biblio, "volume"), "biblio.volume"),
        page=_text(_get(biblio, "first_page"), "biblio.first_page"),
    )
    retracted = record.get("is_retracted")
    return OpenAlexWork(
        key=key,
        openalex_id=ident,
        parsed=ParsedWork(work=work, references=()),
        referenced=_referenced(record),
        retracted=retracted is True,
        updated=_text(record.get("updated_date"), "updated_date"),
    )


# ------------------------------------------------------------------------------------------------ errors


class OpenAlexBudgetError(SourceError):
    """The daily budget of the API key is spent: nothing answers before it resets (not retried).

    Attributes
    ----------
    resets_at : datetime or None
        When the budget resets (UTC), when OpenAlex said.
    """

    def __init__(self, message: str, resets_at: datetime | None = None) -> None:
        super().__init__(message)
        self.resets_at = resets_at


class OpenAlexKeyError(ConfigError):
    """OpenAlex refused the API key, or wants one and none was given (401/403; exit code 2)."""


# ----------------------------------------------------------------------------------------------- results


@dataclass
class OpenAlexResolution:
    """What one batch of :meth:`OpenAlexSource.resolve` or :meth:`OpenAlexSource.works_by_id` found.

    Attributes
    ----------
    works : list of OpenAlexWork
        The works found, one per key, in the order asked.
    missing : list
        The asked DOIs (:class:`~citegraph.doi.DOI`) or ids (``"W..."``) no work was found for.
    requests : int
        HTTP requests this batch cost, retries included.
    bad_records : int
        Records in the answers that could not be parsed (skipped).
    """

    works: list[OpenAlexWork] = field(default_factory=list)
    missing: list[Any] = field(default_factory=list)
    requests: int = 0
    bad_records: int = 0


@dataclass
class OpenAlexCiting:
    """The works citing one batch of works (:meth:`OpenAlexSource.citing`).

    Attributes
    ----------
    cited : list of str
        The batch: the ids (``"W..."``) asked about.
    works : list of OpenAlexWork
        The works citing at least one of them; ``set(work.referenced) & set(cited)`` are its citations of the batch.
    requests : int
        HTTP requests this batch cost, retries included.
    bad_records : int
        Records in the answers that could not be parsed (skipped).
    """

    cited: list[str] = field(default_factory=list)
    works: list[OpenAlexWork] = field(default_factory=list)
    requests: int = 0
    bad_records: int = 0


def _arrived(raw: Any) -> Iterator[bytes]:
    """The body of a streamed urllib3 response as it arrives, decoded, in chunks of at most 64 KiB."""
    while True:
        chunk = raw.read1(65536, decode_content=True)
        if not chunk:
            return
        yield chunk


def _parse_time(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _span(seconds: float) -> str:
    """``"9 h 12 min"``, ``"4 min"``, ``"under a minute"``."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "under a minute"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def _body_fields(body: Any) -> Iterator[tuple[str, Any]]:
    """Every ``(key, value)`` of a JSON body, nested objects included (a few levels)."""
    stack: list[tuple[Any, int]] = [(body, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, Mapping) and depth < 4:
            for key, item in value.items():
                yield str(key), item
                stack.append((item, depth + 1))


# ------------------------------------------------------------------------------------------------ client


class OpenAlexSource:
    """Resolve DOIs and ids, and find citing works, through the OpenAlex API.

    Parameters
    ----------
    base_url : str
        API root (``https://api.openalex.org`` or a test server); must start
        with ``http://`` or ``https://``.
    api_key : str or None
        The OpenAlex API key (``CITEGRAPH_OPENALEX_KEY``), sent as the
        ``api_key`` query parameter of every request; never shown.
    mailto : str or None
        Contact e-mail, sent as the ``mailto`` parameter and in the ``User-Agent``.
    timeout : float
        Seconds one whole request may take.
    retries : int
        Retries after the first attempt, for transient failures and for throttles (429) alike.
    per_second : float
        Requests started per second at most (one in flight).
    backoff : float
        First back-off wait in seconds (doubles each retry, at most 30 s).

    Raises
    ------
    UsageError
        If a parameter is not valid.

    Attributes
    ----------
    stats : collections.Counter
        ``requests`` (HTTP requests, retries included), ``list`` and ``single``
        (logical requests of each kind), ``retries``, ``status_<code>`` per
        status received, ``429`` and ``throttled``, ``bad_records``,
        ``budget_spent``.
    limiter : RateLimiter
        The limiter every request goes through.
    budget : dict
        The last ``x-ratelimit-limit``/``-remaining``/``-reset`` values seen (strings).

    Examples
    --------
    >>> with OpenAlexSource("http://127.0.0.1:9", api_key="s3cr3t") as src:
    ...     print(src.limiter.effective, src)
    PoolLimits(rate=10.0, concurrency=1) OpenAlexSource('http://127.0.0.1:9', api_key=<given>)
    """

    name = OPENALEX_SOURCE

    def __init__(
        self,
        base_url: str = DEFAULT_OPENALEX_URL,
        api_key: str | None = None,
        *,
        mailto: str | None = None,
        timeout: float = 30.0,
        retries: int = 5,
        per_second: float = 10.0,
        backoff: float = 0.5,
    ) -> None:
        if not isinstance(base_url, str) or not re.match(r"https?://[^/\s]", base_url, re.IGNORECASE):
            raise UsageError(f"the OpenAlex URL must start with http:// or https://, not {base_url!r:.80}")
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise UsageError(f"retries must be an integer >= 0, not {retries!r}")
        if not isinstance(timeout, (int, float)) or not timeout > 0:
            raise UsageError(f"timeout must be > 0 seconds, not {timeout!r}")
        if not isinstance(backoff, (int, float)) or not backoff >= 0:
            raise UsageError(f"backoff must be >= 0 seconds, not {backoff!r}")
        if api_key is not None and not isinstance(api_key, str):
            raise UsageError(f"the OpenAlex API key must be a string, not a {type(api_key).__name__}")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key.strip() or None if api_key else None
        self.mailto = mailto or None
        self.timeout = float(timeout)
        self.retries = retries
        self.backoff = float(backoff)
        self.limiter = RateLimiter(PoolLimits(per_second, 1), name="openalex")
        self.stats: Counter[str] = Counter()
        self.budget: dict[str, str] = {}
        self._lock = threading.Lock()
        _install_redaction()
        self._session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=2, max_retries=0)  # retries are ours
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        agent = f"citegraph/{__version__}"
        if self.mailto:
            agent += f" (mailto:{self.mailto})"
        self._session.headers.update({"User-Agent": agent, "Accept": "application/json"})

    def __repr__(self) -> str:
        return f"OpenAlexSource({self.base_url!r}, api_key={'<given>' if self.api_key else None})"

    # -- lifecycle -------------------------------------------------------
    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._session.close()

    def __enter__(self) -> OpenAlexSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- URLs ------------------------------------------------------------
    def url(self, path: str, params: Mapping[str, str] | None = None) -> str:
        """The full request URL of ``path`` with ``params``, ``mailto`` and ``api_key``.

        Values are percent-encoded except ``:``, ``/`` and ``*`` (``|`` becomes ``%7C``, ``+`` ``%2B``).

        Examples
        --------
        >>> with OpenAlexSource("https://oa.example", api_key="k", mailto="me@example.org") as src:
        ...     print(src.url("/works", {"filter": "doi:10.1/a|10.1/b", "per-page": "200"}))
        https://oa.example/works?filter=doi:10.1/a%7C10.1/b&per-page=200&mailto=me%40example.org&api_key=k
        """
        query = dict(params or {})
        if self.mailto:
            query["mailto"] = self.mailto
        if self.api_key:
            query["api_key"] = self.api_key
        text = urlencode(query, quote_via=quote, safe=":/*,")
        return f"{self.base_url}{path}" + (f"?{text}" if text else "")

    def _shown(self, path: str, params: Mapping[str, str] | None) -> str:
        """The request fit for a message: path and query, ``select`` elided, a long filter cut, the key redacted.

        Examples
        --------
        >>> with OpenAlexSource("https://oa.example", api_key="s3cr3t") as src:
        ...     print(src._shown("/works", {"filter": "doi:10.1/a|10.1/b", "select": "id,doi"}))
        /works?filter=doi:10.1/a%7C10.1/b&select=...&api_key=<redacted>
        """
        query: dict[str, str] = {}
        for name, value in (params or {}).items():
            if name == "select":
                value = "..."
            elif len(value) > 120:
                value = value[:117] + "..."
            query[name] = value
        if self.mailto:
            query["mailto"] = self.mailto
        if self.api_key:
            query["api_key"] = "<redacted>"
        text = urlencode(query, quote_via=quote, safe=":/*,<>.")
        return redact_api_key(path + (f"?{text}" if text else ""), self.api_key)

    def _scrub(self, text: str) -> str:
        return _one_line(redact_api_key(text, self.api_key), 300)

    # -- HTTP with limits and retries --------------------------------------
    def _count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.stats[key] += n

    def _request(self, path: str, params: Mapping[str, str] | None, *, kind: str,
                 allow_404: bool = False) -> tuple[Any, int]:
        """One logical GET: limiter, retries, error classification.

        Returns ``(body, attempts)``; ``body`` is None for an allowed 404.
        ``kind`` is ``list`` (a works list: ``results`` and ``meta``),
        ``single`` (a work) or ``other`` (any JSON object).
        """
        url = self.url(path, params)
        shown = self._shown(path, params)
        attempts = [0]
        self._count(kind)

        def attempt() -> Any:
            attempts[0] += 1
            if attempts[0] > 1:
                self._count("retries")
            return self._attempt(url, shown, kind, allow_404)

        body = call_with_retries(attempt, retries=self.retries, backoff=self.backoff,
                                 service=f"OpenAlex at {self.base_url}", what=f"for GET {shown}",
                                 max_throttles=self.retries)
        return body, attempts[0]

    def _attempt(self, url: str, shown: str, kind: str, allow_404: bool) -> Any:
        with self.limiter.slot():
            self._count("requests")
            started = time.monotonic()
            try:
                with self._session.get(url, timeout=self.timeout, stream=True) as response:
                    content = read_within(_arrived(response.raw), started=started, timeout=self.timeout,
                                          what=f"for GET {shown}")
            except requests.Timeout as exc:
                raise TransientError(f"timed out after {self.timeout:g} s ({type(exc).__name__})") from None
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                raise TransientError(self._scrub(f"connection failed ({type(exc).__name__}: {exc})")) from None
            except urllib3.exceptions.TimeoutError as exc:
                raise TransientError(f"timed out after {self.timeout:g} s ({type(exc).__name__})") from None
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise TransientError(self._scrub(f"connection failed ({type(exc).__name__}: {exc})")) from None
            except requests.RequestException as exc:
                raise SourceError(self._scrub(
                    f"OpenAlex at {self.base_url}: cannot request GET {shown}: {type(exc).__name__}: {exc}"
                )) from None
        status = response.status_code
        headers = response.headers
        self._count(f"status_{status}")
        self._note_budget(headers)
        body: Any = None
        try:
            body = json.loads(content)
        except ValueError:
            body = None
        if status == 200:
            return self._checked(body, content, headers.get("content-type", ""), kind)
        if status == 404 and allow_404:
            self.limiter.on_success()
            return None
        if status == 429:
            self._count("429")
            self._throttled(headers, body, content)
        if status >= 500:
            raise TransientError(f"server error {status}")
        said = self._said(body, content)
        if status in (401, 403):
            setting = f"set {KEY_ENV} or {KEY_SETTING} in [tool.citegraph]"
            if self.api_key:
                raise OpenAlexKeyError(f"OpenAlex refused the API key ({status}: {said or 'refused'}): {setting}")
            raise OpenAlexKeyError(
                f"OpenAlex wants an API key and none was given ({status}: {said or 'refused'}): {setting}")
        if status == 400:
            raise SourceError(
                f"OpenAlex at {self.base_url} rejected GET {shown} (400): {said or 'bad request'}; not retrying")
        if status == 404:
            raise SourceError(f"OpenAlex at {self.base_url} answered 404 for GET {shown}: is the OpenAlex URL right?")
        raise SourceError(
            f"OpenAlex at {self.base_url} answered status {status} ({said or response.reason or 'unexpected'}) "
            f"for GET {shown}; not retrying")

    def _said(self, body: Any, content: bytes) -> str:
        """What an error answer says, on one line: its ``message`` (first sentence) or ``error``."""
        text = ""
        if isinstance(body, Mapping):
            message, error = body.get("message"), body.get("error")
            if isinstance(message, str) and message.strip():
                text = message
                # "X is not a valid field. Valid fields are ...": the complaint, not the list
                head = re.split(r"(?<=[.!?])\s+(?=Valid\b|Allowed\b|Possible\b)", text, maxsplit=1)[0]
                text = head
            elif isinstance(error, str):
                text = error
        elif content:
            text = content[:300].decode("utf-8", "replace")
            if "<" in text:  # an HTML page says nothing useful in one line
                text = ""
        return self._scrub(text)[:200] if text else ""

    def _checked(self, body: Any, content: bytes, ctype: str, kind: str) -> Any:
        """The body of a 200 when it has the shape of ``kind``; a :class:`TransientError` otherwise."""
        if body is None:
            what = "HTML" if "html" in ctype.lower() else "truncated or invalid JSON"
            raise TransientError(f"status 200 but {what} ({ctype or 'untyped'}, {len(content)} bytes)")
        if not isinstance(body, dict):
            raise TransientError(f"status 200 but a JSON {type(body).__name__} instead of an object")
        if kind == "list":
            if not isinstance(body.get("results"), list):
                raise TransientError("status 200 but no results list")
            if not isinstance(body.get("meta"), dict):
                raise TransientError("status 200 but no meta object")
        elif kind == "single" and openalex_id(body.get("id")) is None:
            raise TransientError("status 200 but no work id in the answer")
        self.limiter.on_success()
        return body

    def _note_budget(self, headers: Mapping[str, str]) -> None:
        for name in ("limit", "remaining", "reset"):
            value = headers.get(f"x-ratelimit-{name}")
            if value is not None:
                self.budget[name] = str(value).strip()

    def _budget_spent(self, headers: Mapping[str, str], body: Any, content: bytes) -> bool:
        if str(headers.get("x-ratelimit-remaining", "")).strip() == "0":
            return True
        text = json.dumps(body) if body is not None else content[:2000].decode("utf-8", "replace")
        return bool(_BUDGET_WORDS.search(text) and _SPENT_WORDS.search(text))

    def _throttled(self, headers: Mapping[str, str], body: Any, content: bytes) -> None:
        """Handle a 429: the budget spent stops the run, any other pauses and raises :class:`ThrottledError`."""
        if self._budget_spent(headers, body, content):
            self._count("budget_spent")
            raise self._budget_error(headers, body)
        retry_after = check_retry_after(parse_retry_after(headers.get("retry-after")),
                                        service=f"OpenAlex at {self.base_url}")
        if retry_after is not None:
            retry_after = min(retry_after, MAX_RETRY_AFTER)
        waited = self.limiter.on_throttled(retry_after)
        self._count("throttled")
        raise ThrottledError(f"429 Too Many Requests (waited {waited:.3g} s)")

    def _budget_error(self, headers: Mapping[str, str], body: Any) -> OpenAlexBudgetError:
        now = datetime.now(UTC)
        resets_at: datetime | None = None
        for key, value in _body_fields(body):
            if key.lower() in ("resets_at", "reset_at", "resets", "reset") and isinstance(value, str):
                resets_at = _parse_time(value.strip())
                if resets_at is not None:
                    break
        if resets_at is None and isinstance(body, Mapping):
            found = _ISO_TIME.search(json.dumps(body))
            resets_at = _parse_time(found.group(0)) if found else None
        if resets_at is None:
            for name in ("x-ratelimit-reset", "retry-after"):
                seconds = parse_retry_after(headers.get(name))
                if seconds is not None and math.isfinite(seconds) and seconds < 10 * 86400:
                    resets_at = (now + timedelta(seconds=seconds)).replace(microsecond=0)
                    break
        limit = str(headers.get("x-ratelimit-limit", "")).strip()
        amount = f" ({limit} list calls)" if limit.isdigit() else ""
        whose = "this API key" if self.api_key else "requests without an API key"
        if resets_at is not None:
            stamp = resets_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            when = f"it resets at {stamp} (in {_span(max(0.0, (resets_at - now).total_seconds()))})"
        else:
            when = "it resets at midnight UTC"
        return OpenAlexBudgetError(
            f"OpenAlex: the daily budget of {whose} is spent{amount}; {when}; what was fetched is kept",
            resets_at=resets_at)

    # -- lists -------------------------------------------------------------
    def _list(self, filter_value: str) -> tuple[list[Any], int]:
        """Every result of ``/works?filter=...``, with the fewest requests; ``(results, requests)``."""
        results: list[Any] = []
        requests_made = 0
        cursor = "*"
        seen: set[str] = set()
        while True:
            params = {"filter": filter_value, "per-page": str(PER_PAGE), "select": ",".join(SELECT),
                      "cursor": cursor}
            body, attempts = self._request("/works", params, kind="list")
            requests_made += attempts
            page = body["results"]
            results.extend(page)
            meta = body["meta"]
            count = meta.get("count")
            if isinstance(count, int) and not isinstance(count, bool) and len(results) >= count:
                break
            if len(page) < PER_PAGE:
                break
            following = meta.get("next_cursor")
            if not isinstance(following, str) or not following or following in seen:
                break
            seen.add(following)
            cursor = following
        return results, requests_made

    def _parse_all(self, records: Iterable[Any]) -> tuple[list[OpenAlexWork], int]:
        works: list[OpenAlexWork] = []
        bad = 0
        for record in records:
            try:
                works.append(parse_openalex_work(record))
            except RecordError as exc:
                bad += 1
                log.warning("OpenAlex: skipping a record: %s", exc)
            except Exception as exc:  # a parser bug must not lose the batch: the record is skipped, loudly
                bad += 1
                log.warning("OpenAlex: skipping a record that could not be parsed (%s: %s)",
                            type(exc).__name__, _one_line(str(exc), 120))
        if bad:
            self._count("bad_records", bad)
        return works, bad

    # -- public requests ---------------------------------------------------
    def resolve(self, dois: Iterable[DOI]) -> Iterator[OpenAlexResolution]:
        """Look DOIs up, up to :data:`MAX_BATCH` per request, yielding one resolution per batch.

        Each distinct DOI (by key) is asked once. A batch goes as
        ``filter=doi:A|B|...``; a DOI holding ``|``, ``,`` or ``+`` goes alone
        to ``/works/doi:{doi}`` (a 404 there: missing). Answers are matched to
        the asked DOIs by key; when OpenAlex holds two works with one DOI, the
        more cited is kept.

        Parameters
        ----------
        dois : iterable of DOI
            The DOIs (strings are normalised; an invalid one is skipped with a warning).

        Yields
        ------
        OpenAlexResolution
            Per batch (or per single DOI), as each completes.

        Raises
        ------
        OpenAlexKeyError, OpenAlexBudgetError, SourceError
            See the module notes; what was yielded before stays valid.

        Examples
        --------
        >>> with OpenAlexSource("http://127.0.0.1:9") as src:
        ...     list(src.resolve([]))
        []
        """
        unique: dict[str, DOI] = {}
        for doi in dois:
            if not isinstance(doi, DOI):
                try:
                    doi = normalize_doi(doi)
                except InvalidDOIError as exc:
                    log.warning("OpenAlex: not asking for %s", exc)
                    continue
            unique.setdefault(doi.key, doi)
        batched: list[DOI] = []
        singles: list[DOI] = []
        for doi in unique.values():
            (singles if _FILTER_UNSAFE & set(doi.key) else batched).append(doi)
        for batch in self._batches(batched, lambda d: d.key):
            records, made = self._list("doi:" + "|".join(d.key for d in batch))
            works, bad = self._parse_all(records)
            yield self._matched(batch, works, lambda w: w.key, lambda d: d.key, made, bad)
        for doi in singles:
            path = "/works/doi:" + quote(doi.key, safe="/:;()[]<>@!$'*=-._~")
            body, made = self._request(path, {"select": ",".join(SELECT)}, kind="single", allow_404=True)
            works, bad = self._parse_all([body] if body is not None else [])
            yield self._matched([doi], works, lambda w: w.key, lambda d: d.key, made, bad)

    def works_by_id(self, ids: Iterable[str]) -> Iterator[OpenAlexResolution]:
        """Look works up by OpenAlex id (``filter=openalex:W1|W2|...``), :data:`MAX_BATCH` per request.

        Parameters
        ----------
        ids : iterable of str
            ``"W123"`` or ``"https://openalex.org/W123"``; anything else is skipped with a warning.

        Yields
        ------
        OpenAlexResolution
            Per batch; ``missing`` holds the ids (``"W..."``) not found (a merged
            work answers under its new id: the old one is missing).

        Examples
        --------
        >>> with OpenAlexSource("http://127.0.0.1:9") as src:
        ...     list(src.works_by_id(["not an id"]))
        []
        """
        wanted = self._ids(ids)
        for batch in self._batches(wanted, lambda i: i):
            records, made = self._list("openalex:" + "|".join(batch))
            works, bad = self._parse_all(records)
            yield self._matched(batch, works, lambda w: w.openalex_id, lambda i: i, made, bad)

    def citing(self, ids: Iterable[str]) -> Iterator[OpenAlexCiting]:
        """The works citing each batch of up to :data:`MAX_BATCH` works (``filter=cites:W1|W2|...``).

        Every page is read (with the fewest requests, as for
        :meth:`resolve`). A citing work's citations of the batch are
        ``set(work.referenced) & set(batch.cited)``.

        Parameters
        ----------
        ids : iterable of str
            The cited works' ids; anything that is not one is skipped with a warning.

        Yields
        ------
        OpenAlexCiting
            Per batch, the citing works deduplicated by id, in OpenAlex's order.

        Examples
        --------
        >>> with OpenAlexSource("http://127.0.0.1:9") as src:
        ...     list(src.citing([]))
        []
        """
        wanted = self._ids(ids)
        for batch in self._batches(wanted, lambda i: i):
            records, made = self._list("cites:" + "|".join(batch))
            works, bad = self._parse_all(records)
            distinct: dict[str, OpenAlexWork] = {}
            for work in works:
                distinct.setdefault(work.openalex_id, work)
            log.debug("OpenAlex: %d works cite %d asked (%d requests)", len(distinct), len(batch), made)
            yield OpenAlexCiting(cited=list(batch), works=list(distinct.values()), requests=made, bad_records=bad)

    def rate_limit(self) -> dict[str, Any]:
        """The state of the key's budget (``GET /rate-limit``): its ``rate_limit`` object.

        The key itself, which the answer repeats, is left out.
        """
        body, _ = self._request("/rate-limit", None, kind="other")
        state = body.get("rate_limit", body) if isinstance(body, dict) else {}
        return {k: v for k, v in state.items() if k != "api_key"} if isinstance(state, dict) else {}

    # -- batching and matching ---------------------------------------------
    def _ids(self, ids: Iterable[str]) -> list[str]:
        wanted: dict[str, None] = {}
        for value in ids:
            ident = openalex_id(value)
            if ident is None:
                log.warning("OpenAlex: not asking for %.60r: not an OpenAlex work id", value)
                continue
            wanted.setdefault(ident, None)
        return list(wanted)

    @staticmethod
    def _batches(items: Sequence[Any], text: Any) -> Iterator[list[Any]]:
        """Batches of at most :data:`MAX_BATCH` items whose encoded filter value stays short enough."""
        current: list[Any] = []
        used = 0
        for item in items:
            cost = len(quote(text(item), safe=":/")) + 3
            if current and (len(current) >= MAX_BATCH or used + cost > _MAX_FILTER_CHARS):
                yield current
                current, used = [], 0
            current.append(item)
            used += cost
        if current:
            yield current

    @staticmethod
    def _matched(asked: Sequence[Any], works: list[OpenAlexWork], work_key: Any, asked_key: Any,
                 made: int, bad: int) -> OpenAlexResolution:
        best: dict[str, OpenAlexWork] = {}
        for work in works:
            key = work_key(work)
            held = best.get(key)
            if held is None or (work.parsed.work.is_referenced_by_count or 0) > (
                    held.parsed.work.is_referenced_by_count or 0):
                if held is not None:
                    log.debug("OpenAlex: two works for %s (%s, %s); keeping the more cited", key,
                              held.openalex_id, work.openalex_id)
                best[key] = work
        found: list[OpenAlexWork] = []
        missing: list[Any] = []
        for item in asked:
            key = asked_key(item)
            if key in best:
                found.append(best.pop(key))
            else:
                missing.append(item)
        if best:
            log.debug("OpenAlex: %d works answered that were not asked for (e.g. %s): kept",
                      len(best), next(iter(best)))
            found.extend(best.values())
        return OpenAlexResolution(works=found, missing=missing, requests=made, bad_records=bad)
