"""Forward citations (the works that *cite* a DOI) from the OpenCitations Index.

Crossref does not tell non-members who cites a work; the `OpenCitations Index
API`_ does. :class:`OpenCitationsSource` asks it, one request per DOI, for the
citations *to* that DOI and turns every answer row into a :class:`Citation`.

Two API shapes are understood:

``v2`` (the current Index API, the default)
    ``GET {base}/index/v2/citations/doi:{doi}``. In each row, ``citing`` and
    ``cited`` are space-separated *identifier bags* such as
    ``"omid:br/06101801781 doi:10.7717/peerj-cs.421 pmid:33817056"``.
``v1`` (the old COCI API, kept because the recorded test data is v1)
    ``GET {base}/index/coci/api/v1/citations/{doi}``. ``citing`` and ``cited``
    hold bare DOIs such as ``"10.1108/jd-12-2013-0166"``.

:func:`parse_citation_row` accepts both, so the rows of either version give
equal :class:`Citation` objects.

HTTP behaviour. All requests go through one :class:`requests.Session` and one
:class:`~citegraph.sources.ratelimit.RateLimiter`, which keeps both the rate and the
requests in flight under :data:`OC_LIMITS`. ``429`` pauses every thread for
``Retry-After`` (or an exponential back-off), slows the rate down and retries
without using up the error budget (but at most :data:`MAX_THROTTLES` times per
request). Server errors (5xx), time-outs, connection errors and a ``200``
whose body is not a JSON list (truncated JSON, an HTML error page) are retried
with exponential back-off (tenacity) ``retries`` times; then a
:class:`~citegraph.errors.SourceError` stops the run. OpenCitations answers
``[]`` for a DOI it knows no citation of; a ``404`` is not that answer (a
wrong URL, a moved route): :class:`NotAnsweredError`, and
:meth:`OpenCitationsSource.citations_many` leaves such works unchecked, so a
rerun asks again (and stops the run when every answer was a 404). ``400``,
``401``, ``403`` and other unexpected statuses stop at once with a
:class:`~citegraph.errors.SourceError`. A whole request must complete within
the time-out (not each read) and a body is read up to
:data:`~citegraph.sources.ratelimit.MAX_ANSWER_BYTES`. Retries live here only:
the session's adapter has urllib3's own retries switched off.

Nothing here writes to the store: callers store what
:meth:`OpenCitationsSource.citations_many` yields.

Examples
--------
>>> row = {"oci": "061-062", "citing": "omid:br/061 doi:10.7717/peerj-cs.421 pmid:33817056",
...        "cited": "doi:10.1108/jd-12-2013-0166", "creation": "2021-03-30",
...        "timespan": "P7Y", "journal_sc": "no", "author_sc": "yes"}
>>> c = parse_citation_row(row)
>>> c.citing.key, c.cited.key, c.journal_sc, c.author_sc
('10.7717/peerj-cs.421', '10.1108/jd-12-2013-0166', False, True)
>>> c.citing_ids
('omid:br/061', 'doi:10.7717/peerj-cs.421', 'pmid:33817056')

.. _OpenCitations Index API: https://api.opencitations.net/index/v2
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import requests
import urllib3
from requests.adapters import HTTPAdapter

from citegraph._version import __version__
from citegraph.doi import DOI, normalize_doi
from citegraph.errors import InvalidDOIError, SourceError, UsageError
from citegraph.sources.ratelimit import (
    MAX_THROTTLES,
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
    "API_VERSIONS",
    "DEFAULT_OPENCITATIONS_URL",
    "MAX_THROTTLES",
    "OC_LIMITS",
    "OPENCITATIONS_SOURCE",
    "TOKEN_ENV",
    "Citation",
    "NotAnsweredError",
    "OpenCitationsSource",
    "parse_citation_row",
    "parse_identifiers",
]

log = logging.getLogger(__name__)

#: The ``source`` name stored with citations from OpenCitations.
OPENCITATIONS_SOURCE = "opencitations"

#: The root of the live OpenCitations APIs.
DEFAULT_OPENCITATIONS_URL = "https://api.opencitations.net"

#: Rate and concurrency cap for OpenCitations: 5 requests/s, 2 in flight.
#: OpenCitations publishes no numeric limits and sends no rate-limit headers,
#: but it is a free community service that asks its users for moderate use
#: (and answers 429 to clients that hammer it); a modest, fixed cap keeps a
#: large snowball polite and still finishes a few hundred DOIs in minutes.
OC_LIMITS = PoolLimits(5.0, 2)

#: Supported values of ``api_version``.
API_VERSIONS: tuple[str, ...] = ("v2", "v1")


#: The environment variable that carries an OpenCitations access token.
TOKEN_ENV = "CITEGRAPH_OPENCITATIONS_TOKEN"

# Characters left as they are in the DOI path segment; everything else
# (notably '#', '?', '%', whitespace, '<', '>', '"', '[', ']', '{', '}', '|',
# '\\', '^', '`' and non-ASCII) is percent-encoded. quote() always keeps
# letters, digits and "_.-~".
_PATH_SAFE = "/;:()@!$&'*+,="

# "scheme:value" in an identifier bag; schemes are like omid, doi, pmid, pmcid.
_SCHEMED_RE = re.compile(r"([A-Za-z][A-Za-z0-9_.+-]*):(.+)", re.DOTALL)
_RESOLVER_RE = re.compile(r"https?://(?:www\.|dx\.)?doi\.org/(.+)", re.IGNORECASE | re.DOTALL)
_SC_VALUES = {"yes": True, "no": False, "true": True, "false": False}


def _arrived(raw: Any) -> Iterator[bytes]:
    """The body of a streamed urllib3 response as it arrives, decoded (gzip), in chunks of at most 64 KiB."""
    while True:
        chunk = raw.read1(65536, decode_content=True)
        if not chunk:
            return
        yield chunk


class NotAnsweredError(SourceError):
    """OpenCitations did not answer for this DOI (a 404: it answers ``[]`` for a DOI without citations)."""


@dataclass(frozen=True)
class Citation:
    """One citation from the OpenCitations Index: ``citing`` cites ``cited``.

    Parameters
    ----------
    citing : DOI
        The citing work's DOI.
    cited : DOI
        The cited work's DOI.
    oci : str or None
        The Open Citation Identifier of the citation, as given.
    creation : str or None
        When the citing work was published, as given (``"2019-05-01"``,
        ``"2019-05"`` or ``"2019"``).
    timespan : str or None
        The ISO 8601 duration between the cited and the citing work's
        publication, as given (``"P2Y3M"``; negative ones start with ``-``).
    journal_sc : bool or None
        Whether it is a journal self-citation (``"yes"``/``"no"``); None when
        the row did not say.
    author_sc : bool or None
        Whether it is an author self-citation; None when the row did not say.
    citing_ids : tuple of str
        Every identifier of the citing work as ``scheme:value``, in the order
        given (``("omid:br/061...", "doi:10.x/y", "pmid:123")``); a v1 row's
        bare DOI appears as ``doi:...``.
    cited_ids : tuple of str
        The same for the cited work.

    Examples
    --------
    >>> c = Citation(normalize_doi("10.1/A"), normalize_doi("10.2/b"), None, "2019", None, None, None)
    >>> c.citing, c.cited_ids
    (DOI(key='10.1/a', original='10.1/A'), ())
    """

    citing: DOI
    cited: DOI
    oci: str | None
    creation: str | None
    timespan: str | None
    journal_sc: bool | None
    author_sc: bool | None
    citing_ids: tuple[str, ...] = ()
    cited_ids: tuple[str, ...] = ()


def _split_token(token: str) -> tuple[str, str]:
    """``(scheme, value)`` of one bag token; scheme ``""`` when unrecognised."""
    if token.startswith("10."):
        return "doi", token
    resolver = _RESOLVER_RE.fullmatch(token)
    if resolver is not None:
        return "doi", resolver.group(1)
    schemed = _SCHEMED_RE.fullmatch(token)
    if schemed is not None:
        return schemed.group(1).lower(), schemed.group(2)
    return "", token


def parse_identifiers(value: str) -> dict[str, list[str]]:
    """Split an OpenCitations identifier bag into ``{scheme: [values]}``.

    The bag is split at whitespace. Each token is read as:

    * a bare DOI (starts with ``10.``, as in v1 rows) or a ``doi.org``
      resolver URL: scheme ``doi``;
    * ``scheme:value`` with a scheme of letters, digits and ``_.+-``
      starting with a letter (``omid``, ``doi``, ``pmid``, ``pmcid``, ...):
      the scheme in lower case, the value as given (``DOI:10.1/x`` gives
      ``doi``, ``10.1/x``);
    * anything else (garbage): kept verbatim under the key ``""``, so that
      callers can log it; :func:`parse_citation_row` ignores it.

    Values are not validated here (``doi:foo`` gives ``{"doi": ["foo"]}``):
    :func:`parse_citation_row` checks each DOI. Schemes keep the order of
    their first appearance and values their order in the bag.

    Parameters
    ----------
    value : str
        The ``citing`` or ``cited`` field of a row.

    Returns
    -------
    dict of str to list of str
        Empty for an empty bag or a value that is not a string. Never raises.

    Examples
    --------
    >>> parse_identifiers("omid:br/06101801781 doi:10.7717/peerj-cs.421 pmid:33817056")
    {'omid': ['br/06101801781'], 'doi': ['10.7717/peerj-cs.421'], 'pmid': ['33817056']}
    >>> parse_identifiers("10.1108/jd-12-2013-0166")
    {'doi': ['10.1108/jd-12-2013-0166']}
    >>> parse_identifiers("doi:10.1/a doi:10.1/b ???")
    {'doi': ['10.1/a', '10.1/b'], '': ['???']}
    >>> parse_identifiers(None)
    {}
    """
    if not isinstance(value, str):
        if value is not None:
            log.debug("identifier bag is not a string: %.80r", value)
        return {}
    parsed: dict[str, list[str]] = {}
    for token in value.split():
        scheme, ident = _split_token(token)
        parsed.setdefault(scheme, []).append(ident)
    return parsed


def _bag(value: Any) -> tuple[DOI | None, tuple[str, ...]]:
    """The first valid DOI of a bag and its identifiers as ``scheme:value``."""
    parsed = parse_identifiers(value)
    first: DOI | None = None
    for candidate in parsed.get("doi", ()):
        try:
            first = normalize_doi(candidate)
        except InvalidDOIError as exc:
            log.debug("OpenCitations: skipping invalid DOI %.80r: %s", candidate, exc.reason)
            continue
        break
    if parsed.get(""):
        log.debug("OpenCitations: ignoring unrecognised identifiers %.200r", parsed[""])
    ids: list[str] = []
    if isinstance(value, str):
        for token in value.split():
            scheme, ident = _split_token(token)
            if scheme:
                ids.append(f"{scheme}:{ident}")
    return first, tuple(ids)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _SC_VALUES.get(value.strip().lower())
    return None


def parse_citation_row(row: Mapping[str, Any]) -> Citation | None:
    """Turn one row of an OpenCitations answer (v2 or v1) into a :class:`Citation`.

    ``citing`` and ``cited`` may be v2 identifier bags or v1 bare DOIs; the
    first valid DOI of each bag is used. ``oci``, ``creation`` and
    ``timespan`` are kept as given (empty values become None);
    ``journal_sc`` and ``author_sc`` map ``"yes"``/``"no"`` to True/False and
    anything else to None.

    Parameters
    ----------
    row : Mapping
        One element of the JSON list OpenCitations answers with.

    Returns
    -------
    Citation or None
        None (logged at DEBUG level) when the row is not a mapping or either
        side has no valid DOI (e.g. a work known only by OMID and PMID).

    Examples
    --------
    A v1 row, as recorded from the COCI API:

    >>> c = parse_citation_row({"cited": "10.1108/jd-12-2013-0166", "timespan": "P3Y",
    ...     "citing": "10.1145/3197026.3197050", "journal_sc": "no", "creation": "2018",
    ...     "oci": "02001-02001", "author_sc": "no"})
    >>> str(c.citing), c.creation, c.timespan, c.citing_ids
    ('10.1145/3197026.3197050', '2018', 'P3Y', ('doi:10.1145/3197026.3197050',))

    A v2 row whose citing work has no DOI:

    >>> parse_citation_row({"citing": "omid:br/0612 pmid:1", "cited": "doi:10.1/x"}) is None
    True
    """
    if not isinstance(row, Mapping):
        log.debug("OpenCitations: skipping a row that is not an object: %.80r", row)
        return None
    citing, citing_ids = _bag(row.get("citing"))
    cited, cited_ids = _bag(row.get("cited"))
    if citing is None or cited is None:
        side = "citing" if citing is None else "cited"
        log.debug("OpenCitations: skipping row without a valid %s DOI: %.200r", side, dict(row))
        return None
    return Citation(
        citing=citing,
        cited=cited,
        oci=_text(row.get("oci")),
        creation=_text(row.get("creation")),
        timespan=_text(row.get("timespan")),
        journal_sc=_flag(row.get("journal_sc")),
        author_sc=_flag(row.get("author_sc")),
        citing_ids=citing_ids,
        cited_ids=cited_ids,
    )


class OpenCitationsSource:
    """Fetch the works citing a DOI from the OpenCitations Index API.

    Parameters
    ----------
    base_url : str
        API root (``https://api.opencitations.net``, a mirror or a test
        server); must start with ``http://`` or ``https://``.
    token : str or None
        An OpenCitations access token (``CITEGRAPH_OPENCITATIONS_TOKEN``),
        sent as the ``authorization`` header, the way OpenCitations takes it.
    timeout : float
        Seconds to wait for one response (connect and each read).
    retries : int
        Retries after the first attempt for transient failures.
    limits : PoolLimits
        Rate and in-flight cap, :data:`OC_LIMITS` by default.
    backoff : float
        First back-off wait in seconds (doubles each retry, at most 30 s).
    api_version : {"v2", "v1"}
        ``v2``: the Index API v2; ``v1``: the old COCI API.
    mailto : str or None
        Contact e-mail, sent in the ``User-Agent``
        (``citegraph/<version> (mailto:...)``).

    Raises
    ------
    UsageError
        If ``api_version``, ``base_url``, ``timeout``, ``retries`` or
        ``backoff`` is not valid.

    Attributes
    ----------
    stats : collections.Counter
        ``requests`` (HTTP requests made, retries included),
        ``status_<code>`` per status received, ``throttled`` (429s) and
        ``rows_skipped`` (rows without a usable DOI pair).
    limiter : RateLimiter
        The limiter all requests of this source share.

    Examples
    --------
    >>> src = OpenCitationsSource("http://127.0.0.1:9", mailto="me@example.org")
    >>> src.limiter.effective
    PoolLimits(rate=5.0, concurrency=2)
    >>> print(src.url_for(normalize_doi("10.1108/JD-12-2013-0166")))
    http://127.0.0.1:9/index/v2/citations/doi:10.1108/jd-12-2013-0166
    >>> src.close()
    >>> OpenCitationsSource(api_version="v3")
    Traceback (most recent call last):
    ...
    citegraph.errors.UsageError: api_version must be one of 'v2', 'v1', not 'v3'
    """

    name = OPENCITATIONS_SOURCE

    def __init__(
        self,
        base_url: str = DEFAULT_OPENCITATIONS_URL,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        retries: int = 5,
        limits: PoolLimits = OC_LIMITS,
        backoff: float = 0.5,
        api_version: str = "v2",
        mailto: str | None = None,
    ) -> None:
        if api_version not in API_VERSIONS:
            valid = ", ".join(repr(v) for v in API_VERSIONS)
            raise UsageError(f"api_version must be one of {valid}, not {api_version!r}")
        if not isinstance(base_url, str) or not re.match(r"https?://[^/\s]", base_url, re.IGNORECASE):
            raise UsageError(f"the OpenCitations URL must start with http:// or https://, not {base_url!r}")
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise UsageError(f"retries must be an integer >= 0, not {retries!r}")
        if not timeout > 0:
            raise UsageError(f"timeout must be > 0 seconds, not {timeout!r}")
        if not backoff >= 0:
            raise UsageError(f"backoff must be >= 0 seconds, not {backoff!r}")
        if not isinstance(limits, PoolLimits):
            raise UsageError(f"limits must be a PoolLimits, not {type(limits).__name__}")
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self.timeout = float(timeout)
        self.retries = retries
        self.backoff = float(backoff)
        self.limits = limits
        self.mailto = mailto
        self.limiter = RateLimiter(limits, name="opencitations")
        self.stats: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._session = requests.Session()
        # No urllib3 retries: every retry decision is made in _get().
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=limits.concurrency + 2, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        agent = f"citegraph/{__version__}"
        if mailto:
            agent += f" (mailto:{mailto})"
        self._session.headers.update({"User-Agent": agent, "Accept": "application/json"})
        if token:
            self._session.headers["authorization"] = token

    def __repr__(self) -> str:
        return f"OpenCitationsSource({self.base_url!r}, api_version={self.api_version!r})"

    # -- lifecycle -------------------------------------------------------
    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._session.close()

    def __enter__(self) -> OpenCitationsSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- URLs ------------------------------------------------------------
    def url_for(self, doi: DOI) -> str:
        """Return the URL that lists the works citing ``doi``.

        The DOI goes into the path in lower case (OpenCitations stores DOIs
        lower-cased), with ``/`` kept and ``#``, ``?``, ``%``, spaces, ``<``,
        ``>`` and other unsafe characters percent-encoded.

        Parameters
        ----------
        doi : DOI
            The cited DOI.

        Returns
        -------
        str
            The request URL.

        Examples
        --------
        >>> src = OpenCitationsSource("https://oc.example", api_version="v1")
        >>> print(src.url_for(normalize_doi("10.1002/(SICI)1097-4636(199706)35:4<437::AID-JBM5>3.0.CO;2-P")))
        https://oc.example/index/coci/api/v1/citations/10.1002/(sici)1097-4636(199706)35:4%3C437::aid-jbm5%3E3.0.co;2-p
        >>> src.close()
        """
        path_doi = quote(doi.key, safe=_PATH_SAFE)
        if self.api_version == "v1":
            return f"{self.base_url}/index/coci/api/v1/citations/{path_doi}"
        return f"{self.base_url}/index/v2/citations/doi:{path_doi}"

    # -- HTTP with limits and retries --------------------------------------
    def _count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.stats[key] += n

    def _get(self, url: str, doi: DOI) -> list[Any]:
        """One logical GET: limiter, retries; returns the JSON list (404: [])."""
        return call_with_retries(lambda: self._attempt(url, doi), retries=self.retries, backoff=self.backoff,
                                 service=f"OpenCitations at {self.base_url}", what=f"for {doi}")

    def _attempt(self, url: str, doi: DOI) -> list[Any]:
        with self.limiter.slot():
            self._count("requests")
            started = time.monotonic()
            try:
                with self._session.get(url, timeout=self.timeout, stream=True) as response:
                    # the whole body inside the slot, within the time-out for the whole request: read1 returns
                    # what has arrived (read(n) would wait for n bytes, however slowly they trickle in)
                    content = read_within(_arrived(response.raw), started=started, timeout=self.timeout,
                                          what=f"for {doi}")
            except requests.Timeout as exc:
                raise TransientError(f"timed out after {self.timeout:g} s ({type(exc).__name__})") from exc
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                raise TransientError(f"connection failed ({type(exc).__name__}: {exc})") from exc
            except urllib3.exceptions.TimeoutError as exc:  # raised by the raw body read, not wrapped by requests
                raise TransientError(f"timed out after {self.timeout:g} s ({type(exc).__name__})") from exc
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise TransientError(f"connection failed ({type(exc).__name__}: {exc})") from exc
            except requests.RequestException as exc:
                raise SourceError(
                    f"OpenCitations at {self.base_url}: cannot request {url}: "
                    f"{type(exc).__name__}: {exc}") from exc
        status = response.status_code
        self._count(f"status_{status}")
        self.limiter.update_from_headers(response.headers)
        if status == 429:
            retry_after = check_retry_after(parse_retry_after(response.headers.get("retry-after")),
                                            service=f"OpenCitations at {self.base_url}")
            waited = self.limiter.on_throttled(retry_after)
            self._count("throttled")
            raise ThrottledError(f"429 Too Many Requests (waited {waited:.1f} s)")
        if status >= 500:
            raise TransientError(f"server error {status}")
        if status == 404:
            self.limiter.on_success()
            raise NotAnsweredError(
                f"OpenCitations at {self.base_url} answered 404 for {doi} (it answers [] for a DOI without "
                "citations): is the OpenCitations URL right?")
        if status in (401, 403):
            raise SourceError(
                f"OpenCitations at {self.base_url} refused the request for {doi} with status {status} "
                f"({response.reason or 'access denied'}): check the access token in {TOKEN_ENV}"
            )
        if status != 200:
            raise SourceError(
                f"OpenCitations at {self.base_url} answered status {status} "
                f"({response.reason or 'unexpected'}) for {doi}; not retrying"
            )
        ctype = response.headers.get("content-type", "")
        try:
            body = json.loads(content)
        except ValueError as exc:
            kind = "HTML" if "html" in ctype.lower() else "truncated or invalid JSON"
            raise TransientError(f"status 200 but {kind} ({ctype or 'untyped'}, {len(content)} bytes)") from exc
        if not isinstance(body, list):
            raise TransientError(f"status 200 but a JSON {type(body).__name__} instead of a list")
        self.limiter.on_success()
        return body

    # -- requests ----------------------------------------------------------
    def citations(self, doi: DOI) -> list[Citation]:
        """Return the works citing ``doi``.

        Rows without a valid DOI on either side, and rows whose cited side
        does not name ``doi``, are skipped (and counted as ``rows_skipped``).
        When the cited bag holds several DOIs, ``cited`` is ``doi`` itself.

        Parameters
        ----------
        doi : DOI
            The cited work (a string is normalised first).

        Returns
        -------
        list of Citation
            One per citing DOI (deduplicated by ``(citing, cited)``, first row
            wins), sorted by the citing DOI's key; empty when OpenCitations
            knows no citation (``[]``).

        Raises
        ------
        NotAnsweredError
            A ``404``: not OpenCitations' answer for a DOI (see the module notes).
        SourceError
            OpenCitations kept failing, or refused the request (400, 401,
            403, ...).

        Examples
        --------
        Nothing listens on port 9, so every attempt fails:

        >>> with OpenCitationsSource("http://127.0.0.1:9", retries=1, backoff=0) as src:
        ...     try:
        ...         src.citations(normalize_doi("10.1108/jd-12-2013-0166"))
        ...     except SourceError as exc:
        ...         print(str(exc).split(" (last")[0])
        OpenCitations at http://127.0.0.1:9 failed 2 times for 10.1108/jd-12-2013-0166
        """
        if not isinstance(doi, DOI):
            doi = normalize_doi(doi)
        rows = self._get(self.url_for(doi), doi)
        found: dict[tuple[str, str], Citation] = {}
        skipped = 0
        for row in rows:
            citation = parse_citation_row(row)
            if citation is None:
                skipped += 1
                continue
            if citation.cited != doi:
                cited_dois = set()
                for ident in citation.cited_ids:
                    scheme, _, value = ident.partition(":")
                    if scheme == "doi":
                        try:
                            cited_dois.add(normalize_doi(value))
                        except InvalidDOIError:
                            pass
                if doi not in cited_dois:
                    log.warning("OpenCitations: a row listed for %s cites %s instead; skipped",
                                doi, citation.cited)
                    skipped += 1
                    continue
                citation = replace(citation, cited=doi)
            found.setdefault((citation.citing.key, citation.cited.key), citation)
        if skipped:
            self._count("rows_skipped", skipped)
        result = sorted(found.values(), key=lambda c: c.citing.key)
        log.debug("OpenCitations: %d citations of %s (%d rows)", len(result), doi, len(rows))
        return result

    def citations_many(self, dois: Iterable[DOI]) -> Iterator[tuple[DOI, list[Citation]]]:
        """Fetch the citations of many DOIs, yielding ``(doi, citations)`` as each completes.

        One request per distinct DOI (by key); up to ``limits.concurrency``
        run at once in a thread pool, and a few more are queued, no more, so
        an interruption abandons little work. The caller stores each result
        as it arrives.

        Parameters
        ----------
        dois : iterable of DOI
            The cited works.

        Yields
        ------
        tuple of (DOI, list of Citation)
            A DOI and its :meth:`citations`, in order of completion. A DOI
            answered with a 404 is not yielded (counted as
            ``stats["not_answered"]`` and warned about), so the caller does
            not record it as checked.

        Raises
        ------
        SourceError
            When one DOI keeps failing, or every DOI was answered with a 404;
            requests not yet started are cancelled (those in flight are
            abandoned, their threads not waited for).

        Examples
        --------
        >>> with OpenCitationsSource("http://127.0.0.1:9") as src:
        ...     list(src.citations_many([]))
        []
        """
        unique = list({d.key: d for d in dois}.values())
        if not unique:
            return

        def job(doi: DOI) -> tuple[DOI, list[Citation] | None]:
            try:
                return doi, self.citations(doi)
            except NotAnsweredError:
                return doi, None

        unanswered: list[DOI] = []
        jobs = [(job, doi) for doi in unique]
        for doi, found in run_concurrently(jobs, workers=self.limits.concurrency, name="opencitations"):
            if found is None:
                unanswered.append(doi)
                self._count("not_answered")
            else:
                yield doi, found
        if unanswered and len(unanswered) == len(unique):
            raise SourceError(
                f"OpenCitations at {self.base_url} answered 404 for all {len(unique)} DOIs asked (it answers [] "
                "for a DOI without citations): is the OpenCitations URL right? None was recorded as checked")
        if unanswered:
            log.warning("OpenCitations answered 404 for %d of %d works (e.g. %s); they were not marked checked, "
                        "a rerun asks again", len(unanswered), len(unique), unanswered[0])
