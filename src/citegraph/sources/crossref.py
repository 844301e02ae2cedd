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
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

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
    parse_retry_after,
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
    ([8, 2], ['10.1/a,b'])
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
        with self.limiter.slot():
            self._count("requests")
            _LOCAL.requests += 1
            try:
                response = self._client.get(url, params=params, headers=headers, timeout=timeout or self.timeout)
                response.read()
            except httpx2.TimeoutException as exc:
                raise TransientError(f"timed out after {self.timeout:g} s ({type(exc).__name__})") from exc
            except httpx2.TransportError as exc:
                raise TransientError(f"connection failed ({type(exc).__name__}: {exc})") from exc
        status = response.status_code
        _LOCAL.last_status = status
        self._count(f"status_{status}")
        self.limiter.update_from_headers(response.headers)
        if status == 429:
            waited = self.limiter.on_throttled(parse_retry_after(response.headers.get("retry-after")))
            self._count("throttled")
            raise ThrottledError(f"429 Too Many Requests (waiting {waited:.1f} s)")
        if status >= 500:
            raise TransientError(f"server error {status}")
        if status == 200:
            ctype = response.headers.get("content-type", "")
            if "json" not in ctype:
                raise TransientError(f"status 200 but a {ctype or 'untyped'} body instead of JSON")
            try:
                body = json.loads(response.content)
            except ValueError as exc:
                raise TransientError(f"truncated or invalid JSON ({exc})") from exc
            if not isinstance(body, dict) or body.get("status") != "ok" or "message" not in body:
                raise TransientError("a JSON answer without Crossref's envelope")
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

        Raises
        ------
        UsageError
            Crossref rejected the request (400): the caller splits the batch.
        SourceError
            Crossref kept failing.
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
            except habanero.RequestError as exc:
                raise UsageError(f"Crossref rejected a batch of {len(dois)} DOIs: {exc}") from exc
            except httpx2.HTTPStatusError as exc:
                raise UsageError(f"Crossref rejected a batch of {len(dois)} DOIs: {exc}") from exc
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
        return Resolution(records, missing, _LOCAL.requests - before)

    def fetch_one(self, doi: DOI) -> Resolution:
        """Resolve one DOI with ``/works/{doi}`` (404 -> missing)."""
        before = _LOCAL.requests
        path_doi = quote(doi.original, safe="/;:()[]<>@!$&'*+,=-._~")
        with self._active():
            try:
                answer = self._cr.works(ids=path_doi, warn=False)
            except (habanero.RequestError, httpx2.HTTPStatusError) as exc:
                status = _LOCAL.last_status
                if status in (400, 404, 410):
                    log.debug("Crossref has no %s (%s)", doi, status)
                    return Resolution([], [doi], _LOCAL.requests - before)
                raise SourceError(f"Crossref refused {doi}: {exc}") from exc
        record = answer.get("message") if isinstance(answer, dict) else None
        if not isinstance(record, dict):
            return Resolution([], [doi], _LOCAL.requests - before)
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

    def match_one(self, text: str) -> tuple[str | None, float | None]:
        """Crossref's top hit for a reference string: ``(DOI key, score)``.

        ``(None, None)`` when Crossref has no hit.
        """
        with self._active():
            try:
                answer = self._cr.works(query_bibliographic=text, limit=1, select=["DOI", "score"])
            except (habanero.RequestError, httpx2.HTTPStatusError) as exc:
                log.info("Crossref rejected a reference query (%s): %.80r", exc, text)
                return None, None
        items = answer["message"].get("items", [])
        if not items:
            return None, None
        try:
            key = normalize_doi(str(items[0].get("DOI", ""))).key
        except InvalidDOIError:
            return None, None
        score = items[0].get("score")
        return key, float(score) if isinstance(score, (int, float)) else None

    def match_many(self, queries: Sequence[tuple[Any, str]]) -> Iterator[tuple[Any, str | None, float | None]]:
        """Match many reference strings concurrently: yields ``(tag, DOI key, score)``."""

        def job(item: tuple[Any, str]) -> tuple[Any, str | None, float | None]:
            tag, text = item
            return (tag, *self.match_one(text))

        jobs = [(job, q) for q in queries]
        yield from run_concurrently(jobs, workers=self.limiter.effective.concurrency, name="crossref-match")


T = TypeVar("T")


def run_concurrently(jobs: Sequence[tuple[Callable[[Any], T], Any]], *, workers: int, name: str) -> Iterator[T]:
    """Run ``fn(arg)`` jobs on a few threads, yielding results as they complete.

    Only ``2 * workers`` jobs are queued at a time, so an interruption or a
    failure abandons little work; the first exception stops the run (queued
    jobs are cancelled, running ones finish) and propagates.
    """
    workers = max(1, workers)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
    pending: set[Future[T]] = set()
    queue = iter(jobs)

    def fill() -> None:
        for fn, arg in queue:
            pending.add(pool.submit(fn, arg))
            if len(pending) >= workers * 2:
                break

    try:
        fill()
        while pending:
            done, still = wait(pending, return_when=FIRST_COMPLETED)
            pending.clear()
            pending.update(still)
            for fut in done:
                yield fut.result()
            fill()
    finally:
        for fut in pending:
            fut.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
