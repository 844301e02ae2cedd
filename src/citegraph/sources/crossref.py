"""Resolve DOIs through the Crossref REST API, politely and in batches.

:class:`CrossrefSource` asks Crossref with `habanero`_ for many DOIs per request
(``/works?filter=doi:A,doi:B,...``: a repeated filter is ORed by Crossref),
sizes each batch to a safe URL length and selects only the fields the store
needs. Crossref's DOI filter is exact, so a DOI missing from a batch answer is
not a Crossref DOI (often a DataCite or mEDRA DOI found in a reference list):
it is reported as not found without spending another request on it. Only
DOIs that cannot travel inside a filter value (a comma) or that make a batch
fail go one by one to ``/works/{doi}``.

All requests go through one :class:`~citegraph.sources.ratelimit.RateLimiter`, which
keeps both the rate and the number in flight under the pool's limits (polite
pool with a ``mailto``: 10/s and 3 at once; public pool: 5/s and 1), lowers
them when Crossref's ``x-rate-limit-*``/``x-concurrency-limit`` headers say
less, and on ``429`` waits ``Retry-After`` (or backs off) and slows down.
Server errors, time-outs, connection errors and garbled answers are retried
with exponential back-off (tenacity); after ``retries`` failures a
:class:`~citegraph.errors.SourceError` stops the run. Nothing here writes to
the store: callers store what :meth:`CrossrefSource.resolve` yields.

How habanero's requests are routed: habanero 2.x calls ``httpx2.get`` for
every request and does not expose response headers. This module gives the
two habanero modules that make requests a proxy for ``httpx2`` whose ``get``
goes through the active :class:`CrossrefSource` of the calling thread (one
pooled ``httpx2.Client``, the limiter, the retries) and falls back to
``httpx2.get`` otherwise, so habanero still builds every URL and parses every
answer.

.. _habanero: https://habanero.readthedocs.io
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import habanero
import habanero.request
import habanero.request_class
import httpx2

from citegraph._version import __version__
from citegraph.doi import DOI, normalize_doi
from citegraph.errors import InvalidDOIError, SourceError, UsageError
from citegraph.sources.ratelimit import (
    POLITE,
    PUBLIC,
    PoolLimits,
    RateLimiter,
    ThrottledError,
    TransientError,
    call_with_retries,
    check_retry_after,
    parse_retry_after,
    read_within,
    run_concurrently,
)

__all__ = [
    "CROSSREF_SOURCE",
    "DEFAULT_CROSSREF_URL",
    "SELECT_FIELDS",
    "CrossrefSource",
    "Resolution",
    "batches_for",
    "run_concurrently",
]

log = logging.getLogger(__name__)

#: The ``source`` name stored with works and not-found DOIs from the API.
CROSSREF_SOURCE = "crossref"
DEFAULT_CROSSREF_URL = "https://api.crossref.org"

#: Fields requested with ``select=``: what the store extracts, plus what
#: exports (BibTeX/RIS) and duplicate detection need later.
SELECT_FIELDS: tuple[str, ...] = (
    "DOI",
    "title",
    "subtitle",
    "original-title",
    "short-title",
    "author",
    "editor",
    "container-title",
    "short-container-title",
    "type",
    "issued",
    "published",
    "published-print",
    "published-online",
    "posted",
    "is-referenced-by-count",
    "references-count",
    "abstract",
    "subject",
    "reference",
    "volume",
    "issue",
    "page",
    "article-number",
    "publisher",
    "ISSN",
    "ISBN",
    "URL",
    "relation",
    "update-to",
    "updated-by",
)

#: Most DOIs per batch request, whatever the URL length allows.
MAX_BATCH = 100
@dataclass
class Resolution:
    """What one request (batch or single) found.

    Attributes
    ----------
    records : list of dict
        Crossref work records as received.
    missing : list of DOI
        Requested DOIs Crossref does not know.
    requests : int
        HTTP requests this resolution cost (including retries).
    """

    records: list[dict[str, Any]] = field(default_factory=list)
    missing: list[DOI] = field(default_factory=list)
    requests: int = 0


class _Local(threading.local):
    source: CrossrefSource | None = None
    last_status: int | None = None
    last_body: bytes = b""  # the start of the last answer's body, to tell Crossref's 404 from another server's
    requests: int = 0  # requests made by this thread, for Resolution.requests


_LOCAL = _Local()


class _HttpxProxy:
    """Stands in for the ``httpx2`` module inside habanero (see module doc)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(httpx2, name)

    def get(self, url: Any, **kwargs: Any) -> httpx2.Response:
        source = _LOCAL.source
        if source is None:
            return httpx2.get(url, **kwargs)
        return source._http_get(url, **kwargs)


_PROXY = _HttpxProxy()
for _module in (habanero.request, habanero.request_class):
    if getattr(_module, "httpx2", None) is httpx2:
        _module.httpx2 = _PROXY


def batches_for(
    dois: Sequence[DOI], base_url: str, *, max_url_length: int, max_batch: int = MAX_BATCH,
    select: Sequence[str] = SELECT_FIELDS, mailto: str | None = None,
) -> tuple[list[list[DOI]], list[DOI]]:
    """Split DOIs into filter batches whose request URL stays short enough.

    Returns ``(batches, singles)``: ``singles`` are DOIs that cannot travel in
    a filter value (they contain a comma, the filter separator) or are too
    long for any batch; they go to ``/works/{doi}`` one by one.

    Examples
    --------
    >>> ds = [normalize_doi(f"10.1000/{i:04d}") for i in range(10)] + [normalize_doi("10.1/a,b")]
    >>> batches, singles = batches_for(ds, "https://api.crossref.org", max_url_length=600)
    >>> [len(b) for b in batches], [str(d) for d in singles]
    ([7, 3], ['10.1/a,b'])
    """
    base = _list_url(base_url, [], select, mailto)
    budget = max_url_length - len(base)
    batches: list[list[DOI]] = []
    singles: list[DOI] = []
    current: list[DOI] = []
    used = 0
    for doi in dois:
        if "," in doi.original:
            singles.append(doi)
            continue
        # each DOI adds ",doi:<value>" percent-encoded
        cost = len(quote(f",doi:{doi.key}", safe=""))
        if cost > budget:
            singles.append(doi)
            continue
        if current and (used + cost > budget or len(current) >= max_batch):
            batches.append(current)
            current, used = [], 0
        current.append(doi)
        used += cost
    if current:
        batches.append(current)
    return batches, singles


def _list_url(base_url: str, dois: Sequence[DOI], select: Sequence[str], mailto: str | None) -> str:
    params = {
        "filter": ",".join(f"doi:{d.key}" for d in dois),
        "rows": str(max(len(dois), 1)),
        "select": ",".join(select),
    }
    if mailto:
        params["mailto"] = mailto
    return str(httpx2.URL(base_url.rstrip("/") + "/works", params=params))


_warned_no_mailto = False


#: The body of Crossref's own 404 for ``/works/{doi}`` (text/plain): the sign that Crossref, not
#: another server behind a wrong URL, says it does not know the DOI.
CROSSREF_NOT_FOUND = b"Resource not found."

#: A path segment that a URL would resolve (``.``, ``..``): inside a DOI it is percent-encoded.
_DOT_SEGMENT = re.compile(r"(?<=/)\.{1,2}(?=/|$)|^\.{1,2}(?=/)")


def _envelope_problem(body: Any, path: str) -> str | None:
    """What is wrong with a 200 answer's JSON for the route of ``path`` (None: nothing).

    A works list (``.../works``) must carry ``message-type: work-list`` and a
    list of objects in ``message.items``; a work (``.../works/{doi}``)
    ``message-type: work`` and an object in ``message``.

    Examples
    --------
    >>> _envelope_problem({"status": "ok", "message-type": "work-list", "message": {"items": []}}, "/works")
    >>> _envelope_problem({"status": "ok", "message-type": "work-list", "message": {"items": "x"}}, "/works")
    'message.items is a str, not a list'
    >>> _envelope_problem({"status": "ok", "message": None}, "/works/10.1/x")
    'no Crossref envelope (status ok and a message object)'
    """
    if not isinstance(body, dict) or body.get("status") != "ok" or not isinstance(body.get("message"), dict):
        return "no Crossref envelope (status ok and a message object)"
    message = body["message"]
    trimmed = path.rstrip("/")
    if trimmed.endswith("/works"):
        if body.get("message-type") != "work-list":
            return f"message-type {body.get('message-type')!r} where a work-list belongs"
        items = message.get("items", [])
        if not isinstance(items, list):
            return f"message.items is a {type(items).__name__}, not a list"
        if not all(isinstance(item, dict) for item in items):
            return "message.items holds something that is not a work object"
        total = message.get("total-results", 0)
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            return f"message.total-results is {total!r}, not a count"
    elif "/works/" in trimmed and body.get("message-type") != "work":
        return f"message-type {body.get('message-type')!r} where a work belongs"
    return None


def _path_of(doi: DOI) -> str:
    """A DOI as the path of ``/works/{doi}``: escaped, and no ``.``/``..`` segment a URL would resolve.

    ``10.5555/x,/../../works/10.1/y`` must ask for that (absent) DOI, not for
    ``/works/10.1/y``: the dots of such segments are percent-encoded.

    Examples
    --------
    >>> _path_of(normalize_doi("10.5555/x,/../../works/10.1/y"))
    '10.5555/x,/%2E%2E/%2E%2E/works/10.1/y'
    >>> _path_of(normalize_doi("10.1002/(SICI)1097-4636(199706)35:4<437::AID-JBM5>3.0.CO;2-P"))
    '10.1002/(SICI)1097-4636(199706)35:4<437::AID-JBM5>3.0.CO;2-P'
    """
    quoted = quote(doi.original, safe="/;:()[]<>@!$&'*+,=-._~")
    return _DOT_SEGMENT.sub(lambda m: "%2E" * len(m.group(0)), quoted)


class CrossrefSource:
    """Resolve DOIs against the Crossref REST API.

    Parameters
    ----------
    base_url : str
        API root (``https://api.crossref.org``, a mirror, or a test server).
    mailto : str or None
        Contact e-mail; without it the public pool's lower limits apply and a
        warning is logged once.
    timeout : float
        Seconds to wait for one response.
    retries : int
        Retries after the first attempt for transient failures.
    max_url_length : int
        Upper bound on the length of one batch request's URL.
    limits : PoolLimits, optional
        Override the pool limits (tests and benchmarks).
    backoff : float
        First back-off wait in seconds (doubles each retry, at most 30 s).

    Examples
    --------
    >>> src = CrossrefSource("http://127.0.0.1:9", mailto="me@example.org")
    >>> src.limiter.effective
    PoolLimits(rate=10.0, concurrency=3)
    >>> src.close()
    """

    name = CROSSREF_SOURCE

    def __init__(
        self,
        base_url: str = DEFAULT_CROSSREF_URL,
        mailto: str | None = None,
        *,
        timeout: float = 30.0,
        retries: int = 5,
        max_url_length: int = 4000,
        limits: PoolLimits | None = None,
        backoff: float = 0.5,
    ) -> None:
        global _warned_no_mailto
        self.base_url = base_url.rstrip("/")
        self.mailto = mailto
        self.timeout = timeout
        self.retries = retries
        self.max_url_length = max_url_length
        self.backoff = backoff
        if limits is None:
            limits = POLITE if mailto else PUBLIC
        if not mailto and not _warned_no_mailto:
            _warned_no_mailto = True
            log.warning(
                "no mailto given: using Crossref's public pool (%g requests/s, %d at once); "
                "pass --mailto you@example.org (or set CITEGRAPH_MAILTO) for the polite pool",
                PUBLIC.rate,
                PUBLIC.concurrency,
            )
        self.limiter = RateLimiter(limits, name="crossref")
        self._client = httpx2.Client(
            timeout=timeout,
            limits=httpx2.Limits(max_connections=max(limits.concurrency, 1) + 2),
            follow_redirects=True,
        )
        self._cr = habanero.Crossref(
            base_url=self.base_url, mailto=mailto, ua_string=f"citegraph/{__version__}", timeout=timeout
        )
        self._lock = threading.Lock()
        self.stats: Counter[str] = Counter()
        # whether an answer has shown this is Crossref (records in a list, or its own 404): see fetch_batch
        self._answered = False

    # -- lifecycle -------------------------------------------------------
    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def __enter__(self) -> CrossrefSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- HTTP with limits and retries --------------------------------------
    def _count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.stats[key] += n

    def _http_get(self, url: Any, *, params: Any = None, headers: Any = None, timeout: Any = None,
                  **_: Any) -> httpx2.Response:
        """One logical GET: limiter, retries, header feedback. Called by habanero."""
        return call_with_retries(lambda: self._attempt(url, params, headers, timeout), retries=self.retries,
                                 backoff=self.backoff, service=f"Crossref at {self.base_url}",
                                 what="for one request")

    def _attempt(self, url: Any, params: Any, headers: Any, timeout: Any) -> httpx2.Response:
        limit = float(timeout or self.timeout)
        with self.limiter.slot():
            self._count("requests")
            _LOCAL.requests += 1
            started = time.monotonic()
            try:
                with self._client.stream("GET", url, params=params, headers=headers, timeout=limit) as streamed:
                    # the whole request within the time-out, not each read (a byte a second never trips those)
                    content = read_within(streamed.iter_bytes(), started=started, timeout=limit,
                                          what=f"from {self.base_url}")
                    kept = [(k, v) for k, v in streamed.headers.multi_items()
                            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
                    response = httpx2.Response(streamed.status_code, headers=kept, content=content,
                                               request=streamed.request)
            except httpx2.TimeoutException as exc:
                raise TransientError(f"timed out after {limit:g} s ({type(exc).__name__})") from exc
            except (httpx2.TransportError, httpx2.DecodingError) as exc:
                raise TransientError(f"connection failed ({type(exc).__name__}: {exc})") from exc
        status = response.status_code
        _LOCAL.last_status = status
        _LOCAL.last_body = content[:200]
        self._count(f"status_{status}")
        self.limiter.update_from_headers(response.headers)
        if status == 429:
            retry_after = check_retry_after(parse_retry_after(response.headers.get("retry-after")),
                                            service=f"Crossref at {self.base_url}")
            waited = self.limiter.on_throttled(retry_after)
            self._count("throttled")
            raise ThrottledError(f"429 Too Many Requests (waiting {waited:.1f} s)")
        if status >= 500:
            raise TransientError(f"server error {status}")
        if status == 200:
            ctype = response.headers.get("content-type", "")
            if "json" not in ctype:
                raise TransientError(f"status 200 but a {ctype or 'untyped'} body instead of JSON")
            try:
                body = json.loads(content)
            except ValueError as exc:
                raise TransientError(f"truncated or invalid JSON ({exc})") from exc
            problem = _envelope_problem(body, urlsplit(str(url)).path)
            if problem:
                raise TransientError(f"a malformed answer: {problem}")
        self.limiter.on_success()
        return response

    @contextlib.contextmanager
    def _active(self) -> Iterator[None]:
        previous = _LOCAL.source
        _LOCAL.source = self
        _LOCAL.last_status = None
        try:
            yield
        finally:
            _LOCAL.source = previous

    # -- requests ----------------------------------------------------------
    def fetch_batch(self, dois: Sequence[DOI]) -> Resolution:
        """Resolve a batch with one ``filter=doi:...`` list request.

        A DOI is reported missing only when Crossref showed it answered for
        it: a list answer in Crossref's envelope that leaves it out. Until the
        source has shown it is Crossref in this run (a list answer with
        records, or Crossref's own 404), a batch of several DOIs that comes
        back empty is checked by asking for one of them alone: Crossref's own
        404 confirms the batch, a record or another server's 404 stops the
        run (a wrong URL or a broken mirror must not mark a hundred DOIs as
        absent for good). One request, once per run at most.

        Raises
        ------
        UsageError
            Crossref rejected the request (400): the caller splits the batch.
        SourceError
            Crossref kept failing, or the answers are not Crossref's.
        """
        wanted = {d.key: d for d in dois}
        before = _LOCAL.requests
        with self._active():
            try:
                answer = self._cr.works(
                    filter={"doi": [d.key for d in dois]},
                    limit=len(dois),
                    select=list(SELECT_FIELDS),
                )
            except (habanero.RequestError, httpx2.HTTPStatusError) as exc:
                status = _LOCAL.last_status
                if status == 400:
                    raise UsageError(f"Crossref rejected a batch of {len(dois)} DOIs: {exc}") from exc
                raise SourceError(
                    f"Crossref at {self.base_url} answered status {status} to a DOI list request "
                    f"({_LOCAL.last_body[:60]!r}): is the Crossref URL right? Nothing was recorded as not found"
                ) from exc
        items = answer["message"].get("items", [])
        total = answer["message"].get("total-results", len(items))
        if total > len(items):
            log.warning("Crossref reported %d results for %d DOIs but sent %d", total, len(dois), len(items))
        records: list[dict[str, Any]] = []
        seen: set[str] = set()
        for item in items:
            try:
                key = normalize_doi(str(item.get("DOI", ""))).key
            except InvalidDOIError:
                log.warning("Crossref answered with an item without a valid DOI: %.80r", item)
                continue
            if key in wanted and key not in seen:
                seen.add(key)
                records.append(item)
            elif key not in wanted:
                log.debug("Crossref answered with unrequested DOI %s", key)
        missing = [d for k, d in wanted.items() if k not in seen]
        if records:
            self._answered = True
        elif len(dois) > 1 and not self._answered:
            probe = self.fetch_one(dois[0])  # raises SourceError when the 404 is not Crossref's
            if probe.records:
                raise SourceError(
                    f"Crossref at {self.base_url} left {dois[0]} out of a DOI filter answer but has it at "
                    "/works/{doi}: its answers cannot be trusted (is the Crossref URL right?); nothing was "
                    "recorded as not found")
            self._answered = True
        return Resolution(records, missing, _LOCAL.requests - before)

    def fetch_one(self, doi: DOI) -> Resolution:
        """Resolve one DOI with ``/works/{doi}``.

        Missing only on Crossref's own 404 (body ``Resource not found.``), or
        a 400/410 in Crossref's JSON failure envelope; any other 404 means the
        URL does not lead to Crossref and stops the run. A record for another
        DOI than the one asked is not stored (warned, counted as
        ``stats["mismatched"]``), and the DOI is not recorded as missing.
        """
        before = _LOCAL.requests
        with self._active():
            try:
                answer = self._cr.works(ids=_path_of(doi), warn=False)
            except (habanero.RequestError, httpx2.HTTPStatusError) as exc:
                status, body = _LOCAL.last_status, _LOCAL.last_body
                crossref_says = (body.strip() == CROSSREF_NOT_FOUND if status == 404
                                 else status in (400, 410) and body.lstrip().startswith(b"{")
                                 and b'"failed"' in body)
                if crossref_says:
                    log.debug("Crossref has no %s (%s)", doi, status)
                    self._answered = True
                    return Resolution([], [doi], _LOCAL.requests - before)
                raise SourceError(
                    f"Crossref at {self.base_url} answered status {status} for {doi} with {body[:60]!r}, not "
                    "Crossref's answer: is the Crossref URL right? Nothing was recorded as not found"
                ) from exc
        record = answer["message"]
        self._answered = True
        try:
            answered = normalize_doi(str(record.get("DOI", ""))).key
        except InvalidDOIError:
            answered = None
        if answered != doi.key:
            self._count("mismatched")
            log.warning("Crossref answered the request for %s with the record of %s; not stored", doi,
                        answered or "no valid DOI")
            return Resolution([], [], _LOCAL.requests - before)
        return Resolution([record], [], _LOCAL.requests - before)

    def _fetch_batch_or_split(self, dois: Sequence[DOI]) -> Resolution:
        """A batch; if Crossref rejects it, halves until the culprits go alone."""
        try:
            return self.fetch_batch(dois)
        except UsageError as exc:
            if len(dois) == 1:
                log.info("%s; asking for it alone", exc)
                return self.fetch_one(dois[0])
            log.info("%s; splitting it", exc)
            mid = len(dois) // 2
            left = self._fetch_batch_or_split(dois[:mid])
            right = self._fetch_batch_or_split(dois[mid:])
            return Resolution(left.records + right.records, left.missing + right.missing,
                              left.requests + right.requests)

    def resolve(self, dois: Iterable[DOI]) -> Iterator[Resolution]:
        """Resolve DOIs, yielding one :class:`Resolution` per request as it completes.

        Batches run concurrently (as many as the pool allows); the caller
        stores each resolution as it arrives, so an interruption loses at most
        the requests in flight.
        """
        unique = list({d.key: d for d in dois}.values())
        if not unique:
            return
        batches, singles = batches_for(
            unique, self.base_url, max_url_length=self.max_url_length, mailto=self.mailto
        )
        jobs: list[tuple[Callable[[Any], Resolution], Any]] = [(self._fetch_batch_or_split, b) for b in batches]
        jobs += [(self.fetch_one, d) for d in singles]
        yield from run_concurrently(jobs, workers=self.limiter.effective.concurrency, name="crossref")

    # -- topic search and reference matching -------------------------------
    def search(self, query: str, rows: int, *, page_size: int = 1000) -> list[dict[str, Any]]:
        """The ``rows`` works Crossref ranks highest for a bibliographic query.

        Uses ``query.bibliographic`` with deep paging (``cursor=*``,
        ``page_size`` rows per page, at most Crossref's 1000) and the same
        ``select`` as :meth:`resolve`, plus the relevance ``score``.

        Raises
        ------
        UsageError
            An empty query, ``rows`` < 1, or a query Crossref rejects.
        """
        if not query.strip():
            raise UsageError("the query is empty: give words to search for, e.g. --query 'alopecia areata'")
        if rows < 1:
            raise UsageError(f"rows {rows} must be at least 1")
        with self._active():
            try:
                answer = self._cr.works(
                    query_bibliographic=query.strip(),
                    cursor="*",
                    cursor_max=rows,
                    limit=min(rows, page_size, 1000),
                    select=[*SELECT_FIELDS, "score"],
                )
            except (habanero.RequestError, httpx2.HTTPStatusError) as exc:
                raise UsageError(f"Crossref rejected the query {query!r}: {exc}") from exc
        pages = answer if isinstance(answer, list) else [answer]
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        for page in pages:
            for item in page["message"].get("items", []):
                try:
                    key = normalize_doi(str(item.get("DOI", ""))).key
                except InvalidDOIError:
                    continue
                if key not in seen:
                    seen.add(key)
                    items.append(item)
        return items[:rows]

    #: Fields of a reference-matching hit: enough to check it against the reference.
    MATCH_FIELDS: tuple[str, ...] = (
        "DOI", "score", "title", "container-title", "short-container-title", "author", "issued", "published",
        "published-print", "published-online", "posted",
    )

    def match_one(self, text: str, *, rows: int = 2) -> tuple[list[dict[str, Any]], int]:
        """Crossref's top hits for a reference string, and the requests it cost.

        Returns ``(hits, requests)``: up to ``rows`` work records as Crossref
        ranked them for ``query.bibliographic`` (with :attr:`MATCH_FIELDS`:
        DOI, relevance ``score``, titles, authors and dates, so the caller can
        check a hit against the reference:
        :func:`citegraph.sources.matching.check_hit`), and the HTTP requests
        made, retries included. Two rows by default, so a hit on the citing
        work itself can be passed over. ``([], n)`` when Crossref has no hit
        or rejects the query (logged).

        Raises
        ------
        SourceError
            Crossref kept failing.
        """
        before = _LOCAL.requests
        with self._active():
            try:
                answer = self._cr.works(query_bibliographic=text, limit=rows, select=list(self.MATCH_FIELDS))
            except (habanero.RequestError, httpx2.HTTPStatusError) as exc:
                log.info("Crossref rejected a reference query (%s): %.80r", exc, text)
                return [], _LOCAL.requests - before
        items = answer["message"].get("items", []) if isinstance(answer, dict) else []
        return [item for item in items[:rows] if isinstance(item, dict)], _LOCAL.requests - before

    def match_many(
        self, queries: Sequence[tuple[Any, str]], *, rows: int = 2
    ) -> Iterator[tuple[Any, list[dict[str, Any]], int]]:
        """Match many reference strings concurrently: yields ``(tag, hits, requests)`` as they complete.

        One :meth:`match_one` per ``(tag, text)``, as many at once as the
        pool allows; ``requests`` is what each cost (for the fetch report).
        """

        def job(item: tuple[Any, str]) -> tuple[Any, list[dict[str, Any]], int]:
            tag, text = item
            hits, requests = self.match_one(text, rows=rows)
            return tag, hits, requests

        jobs = [(job, q) for q in queries]
        yield from run_concurrently(jobs, workers=self.limiter.effective.concurrency, name="crossref-match")


