"""A local replay of the Crossref REST API and the OpenCitations Index API.

:class:`ReplayServer` answers on ``127.0.0.1`` the way the live services do,
from the real recordings in ``../shared/`` beside the repository (see
``shared/README.md``). Nothing is invented: every work it returns is a record
that Crossref really sent, every OpenCitations row one that COCI really sent.
What the server models on top of the data is the *behaviour* of the services:
their envelopes, error bodies, headers, rate and concurrency limits, paging
cursors, and (on request) the faults a client must survive.

Routes (all on one port; Crossref and OpenCitations paths do not clash):

============================================  ==================================
``GET /works/{doi}``                          one work (``message-type: work``)
``GET /works?filter=&rows=&offset=&...``      a work list (``work-list``)
``GET /index/coci/api/v1/citations/{doi}``    COCI v1 rows citing ``doi``
``GET /index/coci/api/v1/references/{doi}``   COCI v1 rows cited by ``doi``
``GET /index/v2/citations/doi:{doi}``         the same rows in Index v2 shape
``GET /index/v2/references/doi:{doi}``        the same rows in Index v2 shape
any other recorded ``api.crossref.org`` or    replayed verbatim (status, body,
``opencitations.net`` request                 content type)
============================================  ==================================

A ``/v1`` prefix on Crossref paths is accepted, as the live API does.

Limits: every Crossref answer carries ``x-rate-limit-limit``,
``x-rate-limit-interval``, ``x-concurrency-limit`` and ``x-api-pool``. A request
is in the *polite* pool when it names a ``mailto`` (query parameter, or
``mailto:`` in ``User-Agent`` / ``X-User-Agent`` as habanero sends it), else in
the *public* pool. Each pool has its own sliding request window and its own
in-flight count; exceeding either is answered ``429 Too Many Requests``.
OpenCitations routes are not limited (the live service publishes no limits),
but they are counted, delayed by ``latency`` and subject to faults.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import glob
import gzip
import hashlib
import http.server
import json
import logging
import random
import re
import socket
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = [
    "FAULT_KINDS",
    "POOLS",
    "Corpus",
    "ReplayServer",
    "default_shared_dir",
    "load_corpus",
]

logger = logging.getLogger(__name__)

#: Pool name -> (requests per interval, concurrent requests), as Crossref sends them.
POOLS: dict[str, tuple[int, int]] = {"polite": (10, 3), "public": (5, 1)}

#: Fault kinds understood by the ``faults`` option, in the order a draw walks them.
FAULT_KINDS: tuple[str, ...] = (
    "429",
    "429-no-retry-after",
    "500",
    "502",
    "503",
    "reset",
    "stall",
    "truncated",
    "html200",
)

#: Filters the replay implements on ``/works``.
WORK_FILTERS: tuple[str, ...] = ("doi", "from-pub-date", "until-pub-date", "type")

#: Fields Crossref accepts in ``select=`` on work lists (Crossref's
#: ``select-fields``, as listed in CrossRef/rest-api-doc#289 and habanero's
#: ``VALID_SELECTS``). ``language`` is returned in records but not selectable.
SELECT_FIELDS: frozenset[str] = frozenset(
    """DOI ISBN ISSN URL abstract accepted alternative-id approved archive article-number
    assertion author chair clinical-trial-number container-title content-created
    content-domain contributor created degree deposited editor event funder group-title
    indexed is-referenced-by-count issn-type issue issued license link member
    original-title page posted prefix published published-online published-print
    publisher publisher-location reference references-count relation resource score
    short-container-title short-title standards-body subject subtitle title translator
    type update-policy update-to updated-by volume""".split()
)

#: ``sort=`` values Crossref documents for works -> the record field used.
#: Crossref documents ``updated`` as currently the same as ``deposited``.
SORT_FIELDS: dict[str, str] = {
    "score": "score",
    "relevance": "score",
    "created": "created",
    "deposited": "deposited",
    "indexed": "indexed",
    "updated": "deposited",
    "issued": "issued",
    "published": "published",
    "published-online": "published-online",
    "published-print": "published-print",
    "is-referenced-by-count": "is-referenced-by-count",
    "references-count": "references-count",
}

#: Query parameters -> the record fields whose words they match.
QUERY_FIELDS: dict[str, tuple[str, ...]] = {
    "query": ("title", "container-title", "author-family", "abstract"),
    "query.bibliographic": ("title", "container-title", "author-family"),
    "query.author": ("author-family", "author-given"),
    "query.container-title": ("container-title", "short-container-title"),
}

LIST_PARAMS: frozenset[str] = frozenset(
    {"filter", "rows", "offset", "select", "cursor", "sort", "order", "mailto", "facet"}
    | set(QUERY_FIELDS)
)

MAX_ROWS = 1000
MAX_OFFSET = 10000
DEFAULT_ROWS = 20

_OC_V1 = re.compile(r"^/index/coci/api/v1/(citations|references)/(.+)$")
_OC_V2 = re.compile(r"^/index/v2/(citations|references)/(.+)$")
_WORD = re.compile(r"\w+")
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_MAILTO_UA = re.compile(r"mailto:", re.IGNORECASE)

# Headers of a recorded exchange that describe the transfer, not the answer.
_TRANSFER_HEADERS = frozenset(
    {"date", "transfer-encoding", "content-length", "content-encoding", "connection",
     "set-cookie", "status", "cf-ray", "cf-cache-status", "nel", "report-to", "alt-svc",
     "vary", "x-api-pool", "x-rate-limit-limit", "x-rate-limit-interval",
     "x-concurrency-limit"}
)

_NOT_FOUND_FILE = "crossref/responses/habanero/test_cassettes_test-works_test_works_bad_id_warn__0.json"
_HTML_ERROR_FILE = (
    "crossref/responses/habanero/"
    "test_cassettes_test-content_negotation_test_content_negotiation_raises_an_http_error_with_bad_requests__0.json"
)
_OC_HEADERS_FILE = "opencitations/responses/oc_coci_refs__0.json"


def default_shared_dir() -> Path:
    """Return ``<repo>/../shared``, the recorded data beside the repository."""
    return Path(__file__).resolve().parents[2].parent / "shared"


# --------------------------------------------------------------------------- data


@dataclasses.dataclass
class Recorded:
    """One recorded answer: status, headers that describe it, and its body."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclasses.dataclass
class Corpus:
    """Everything the server serves, loaded once per process from ``shared/``.

    ``works`` maps lower-cased DOI to the fullest recorded record of it;
    ``dois`` lists those keys sorted; ``oc_rows`` maps ``(kind, doi)`` with
    kind ``citations`` or ``references`` to the recorded COCI v1 rows;
    ``recorded`` maps a normalised ``(service, path, query)`` key to a
    recorded answer for routes the server has no model of.
    """

    shared_dir: Path
    works: dict[str, dict[str, Any]]
    dois: list[str]
    oc_rows: dict[tuple[str, str], list[dict[str, Any]]]
    recorded: dict[tuple[str, str, tuple[tuple[str, str], ...]], Recorded]
    crossref_headers: dict[str, str]
    not_found: Recorded
    oc_headers: dict[str, str]
    html_error_page: bytes
    _words: dict[str, dict[str, frozenset[str]]] = dataclasses.field(default_factory=dict)
    _words_lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def words(self, field: str) -> dict[str, frozenset[str]]:
        """Return ``{doi: set of lower-cased words}`` of one searchable field (cached)."""
        with self._words_lock:
            index = self._words.get(field)
            if index is None:
                index = {doi: frozenset(_tokens(_field_text(rec, field)))
                         for doi, rec in self.works.items()}
                self._words[field] = index
            return index


_CORPORA: dict[Path, Corpus] = {}
_CORPORA_LOCK = threading.Lock()


def load_corpus(shared_dir: Path | None = None) -> Corpus:
    """Load (once per process and directory) the recorded data under ``shared_dir``.

    Raises :class:`FileNotFoundError` when the directory or its Crossref data
    is missing.
    """
    root = Path(shared_dir if shared_dir is not None else default_shared_dir()).resolve()
    with _CORPORA_LOCK:
        corpus = _CORPORA.get(root)
        if corpus is None:
            started = time.perf_counter()
            corpus = _read_corpus(root)
            _CORPORA[root] = corpus
            logger.info("replay corpus: %d works, %d OpenCitations lists from %s in %.2f s",
                     len(corpus.works), len(corpus.oc_rows), root, time.perf_counter() - started)
        return corpus


def _read_corpus(root: Path) -> Corpus:
    works_files = sorted(glob.glob(str(root / "crossref" / "works-*.jsonl.gz")))
    if not works_files:
        raise FileNotFoundError(f"no crossref/works-*.jsonl.gz under {root}")
    works: dict[str, dict[str, Any]] = {}

    def offer(record: dict[str, Any]) -> None:
        doi = record.get("DOI")
        if not isinstance(doi, str):
            return
        key = doi.lower()
        current = works.get(key)
        if current is None or len(record) > len(current):
            works[key] = record

    for name in works_files:
        with gzip.open(name, "rt", encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    offer(json.loads(line))

    recorded: dict[tuple[str, str, tuple[tuple[str, str], ...]], Recorded] = {}
    oc_rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
    exchanges = sorted(glob.glob(str(root / "crossref" / "responses" / "*" / "*.json")))
    exchanges += sorted(glob.glob(str(root / "opencitations" / "responses" / "*.json")))
    for name in exchanges:
        with open(name, encoding="utf-8") as fh:
            exchange = json.load(fh)
        response = exchange["response"]
        body = response.get("json")
        if (response["status"] == 200 and isinstance(body, dict)
                and body.get("message-type") == "work" and isinstance(body.get("message"), dict)):
            offer(body["message"])
        uri = urlsplit(exchange["request"]["uri"])
        service = {"api.crossref.org": "crossref", "opencitations.net": "opencitations"}.get(
            uri.hostname or "")
        if service is None:
            continue
        path = _strip_v1(unquote(uri.path)).lower() if service == "crossref" else unquote(uri.path).lower()
        match = _OC_V1.match(path) if service == "opencitations" else None
        if match and response["status"] == 200 and isinstance(body, list):
            key = (match.group(1), match.group(2))
            if len(body) >= len(oc_rows.get(key, ())):
                oc_rows[key] = body
            continue
        rec_key = (service, path, _query_key(parse_qsl(uri.query, keep_blank_values=True)))
        if rec_key not in recorded:
            recorded[rec_key] = _recorded(response)

    with open(root / _NOT_FOUND_FILE, encoding="utf-8") as fh:
        not_found = _recorded(json.load(fh)["response"])
    with open(root / _OC_HEADERS_FILE, encoding="utf-8") as fh:
        oc_headers = {k: v for k, v in json.load(fh)["response"]["headers"].items()
                      if k not in _TRANSFER_HEADERS}
    html_path = root / _HTML_ERROR_FILE
    if html_path.is_file():
        with open(html_path, encoding="utf-8") as fh:
            html_error_page = json.load(fh)["response"]["text"].encode("utf-8")
    else:  # pragma: no cover - the file ships with shared/
        html_error_page = b"<html><head><title>Error</title></head><body>Error</body></html>"
    crossref_headers = {k: v for k, v in not_found.headers.items() if k != "content-type"}
    return Corpus(
        shared_dir=root,
        works=works,
        dois=sorted(works),
        oc_rows=oc_rows,
        recorded=recorded,
        crossref_headers=crossref_headers,
        not_found=not_found,
        oc_headers=oc_headers,
        html_error_page=html_error_page,
    )


def _recorded(response: dict[str, Any]) -> Recorded:
    headers = {k: (", ".join(v) if isinstance(v, list) else str(v))
               for k, v in response.get("headers", {}).items() if k not in _TRANSFER_HEADERS}
    if response.get("json") is not None:
        body = json.dumps(response["json"], ensure_ascii=False).encode("utf-8")
    else:
        body = (response.get("text") or "").encode("utf-8")
    return Recorded(int(response["status"]), headers, body)


def _strip_v1(path: str) -> str:
    return path[3:] if path.startswith("/v1/") else path


def _query_key(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in pairs if k != "mailto"))


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _field_text(record: dict[str, Any], field: str) -> str:
    if field == "author-family":
        return " ".join(str(a.get("family", a.get("name", ""))) for a in record.get("author", ()))
    if field == "author-given":
        return " ".join(str(a.get("given", "")) for a in record.get("author", ()))
    value = record.get(field, "")
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def _date_parts(record: dict[str, Any], field: str) -> tuple[int, int, int] | None:
    """The record's ``field`` date as (year, month, day), missing parts as 1."""
    value = record.get(field)
    if not isinstance(value, dict):
        return None
    parts = (value.get("date-parts") or [[None]])[0]
    if not parts or parts[0] is None:
        return None
    padded = [int(p) for p in parts[:3] if p is not None] + [1, 1]
    return padded[0], padded[1], padded[2]


# ----------------------------------------------------------------- request model


class _Failure(Exception):
    """A Crossref validation failure: answered 400 (or ``status``) with JSON."""

    def __init__(self, kind: str, value: str, message: str, *, status: int = 400,
                 message_type: str = "validation-failure") -> None:
        super().__init__(message)
        self.status = status
        self.body = {"status": "failed", "message-type": message_type,
                     "message": [{"type": kind, "value": value, "message": message}]}


def _integer(name: str, raw: str, maximum: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0 or value > maximum or not raw.strip().isdigit():
        # Text as Crossref sends it for rows=things (trailing space included).
        raise _Failure("integer-not-valid", raw,
                       f"Integer specified as {raw} but must be a positive integer "
                       f"less than or equal to {maximum}. ")
    return value


def _parse_date(name: str, raw: str, *, end: bool) -> tuple[int, int, int]:
    match = _DATE.match(raw)
    if not match:
        raise _Failure("date-not-valid", raw,
                       f"Date specified as {raw} for filter {name} but must be of the form "
                       "yyyy, yyyy-mm or yyyy-mm-dd")
    year = int(match.group(1))
    month = int(match.group(2) or (12 if end else 1))
    day = int(match.group(3) or (31 if end else 1))
    return year, month, day


@dataclasses.dataclass
class _Response:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = dataclasses.field(default_factory=dict)


# ------------------------------------------------------------------------ server


class ReplayServer:
    """A threaded local HTTP server replaying Crossref and OpenCitations.

    Parameters
    ----------
    shared_dir:
        The recorded data (default ``<repo>/../shared``).
    host, port:
        Where to listen; ``port=0`` picks a free port (see :attr:`url`).
    rate_limit, concurrency_limit:
        Requests per ``rate_interval`` seconds and requests in flight allowed
        per pool; ``None`` uses the pool's own values (polite 10/3, public 5/1).
        They are also what the ``x-rate-limit-*`` headers announce.
    rate_interval:
        The sliding window of the rate limit, in seconds.
    enforce_limits:
        ``False`` still announces the limits but never answers 429 for them.
    latency:
        Seconds added before each answer (not to 429s caused by the limits).
    retry_after, send_retry_after:
        The ``retry-after`` value (integer seconds >= 1) on 429s, and whether
        to send it at all.
    faults:
        ``{kind: probability}`` for kinds in :data:`FAULT_KINDS`; one draw from
        ``random.Random(fault_seed)`` per request whose path matches
        ``fault_paths`` (a regular expression searched in the path with its
        query; ``None`` means every path). Probabilities must sum to <= 1.
    stall_seconds:
        How long a ``stall`` fault waits before answering (cut short by
        :meth:`stop`).
    fail_first:
        The first ``fail_first`` requests the server receives are answered 503.

    Attributes: :attr:`stats`, :attr:`log`, :attr:`corpus`, :attr:`url`.
    """

    def __init__(
        self,
        shared_dir: Path | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: int | None = None,
        rate_interval: float = 1.0,
        concurrency_limit: int | None = None,
        enforce_limits: bool = True,
        latency: float = 0.0,
        retry_after: int = 1,
        send_retry_after: bool = True,
        faults: dict[str, float] | None = None,
        fault_seed: int = 0,
        fault_paths: str | None = None,
        stall_seconds: float = 30.0,
        fail_first: int = 0,
    ) -> None:
        if rate_limit is not None and rate_limit < 1:
            raise ValueError("rate_limit must be >= 1 or None")
        if concurrency_limit is not None and concurrency_limit < 1:
            raise ValueError("concurrency_limit must be >= 1 or None")
        if rate_interval <= 0:
            raise ValueError("rate_interval must be > 0")
        if int(retry_after) != retry_after or retry_after < 1:
            raise ValueError("retry_after must be an integer >= 1")
        if latency < 0 or stall_seconds < 0 or fail_first < 0:
            raise ValueError("latency, stall_seconds and fail_first must be >= 0")
        faults = dict(faults or {})
        unknown = set(faults) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {', '.join(FAULT_KINDS)}")
        if any(p < 0 for p in faults.values()) or sum(faults.values()) > 1.0 + 1e-9:
            raise ValueError("fault probabilities must be >= 0 and sum to <= 1")

        self.corpus: Corpus = load_corpus(shared_dir)
        self.host = host
        self.port = port
        self.rate_limit = rate_limit
        self.rate_interval = float(rate_interval)
        self.concurrency_limit = concurrency_limit
        self.enforce_limits = enforce_limits
        self.latency = float(latency)
        self.retry_after = int(retry_after)
        self.send_retry_after = send_retry_after
        self.faults = faults
        self.fault_seed = fault_seed
        self.fault_paths = re.compile(fault_paths) if fault_paths else None
        self.stall_seconds = float(stall_seconds)
        self.fail_first = fail_first

        self._lock = threading.Lock()
        self._rng = random.Random(fault_seed)
        self._received = 0  # requests received since start, for fail_first
        self._in_flight = 0
        self._pool_in_flight: Counter[str] = Counter()
        self._windows: dict[str, deque[float]] = collections.defaultdict(deque)
        self._cursors: dict[str, int] = {}
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._httpd: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._log: list[tuple[str, str, int, float]] = []
        self._stats: dict[str, Any] = {}
        self.reset_stats()

    # -- lifecycle

    def start(self) -> ReplayServer:
        """Bind and serve in a background thread; return ``self``."""
        if self._httpd is not None:
            return self
        self._stopping.clear()
        httpd = _HTTPServer((self.host, self.port), _Handler)
        httpd.replay = self
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"replay-server:{self.port}", daemon=True)
        self._thread.start()
        logger.info("replay server listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving, cut open connections (also stalled ones) and free the port."""
        httpd = self._httpd
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        return f"http://{self.host}:{self.port}"

    @property
    def crossref_url(self) -> str:
        """Base URL standing in for ``https://api.crossref.org`` (same as :attr:`url`)."""
        return self.url

    @property
    def opencitations_url(self) -> str:
        """Base URL standing in for ``https://api.opencitations.net`` (and
        ``https://opencitations.net``): the same as :attr:`url`, since the
        OpenCitations paths (``/index/...``) are served on the same port."""
        return self.url

    # -- counters

    def reset_stats(self) -> None:
        """Zero the counters and the request log (limits and cursors are kept)."""
        with self._lock:
            self._stats = {
                "requests": 0,
                "by_path": Counter(),
                "status": Counter(),
                "peak_concurrency": self._in_flight,
                "throttled": 0,
                "dois_requested": Counter(),
                "faults": Counter(),
            }
            self._log = []

    @property
    def stats(self) -> dict[str, Any]:
        """A consistent snapshot of the counters.

        ``requests`` (int, all requests received), ``by_path`` (Counter of route
        kinds: ``work``, ``works-list``, ``oc-v1``, ``oc-v2``, and ``recorded`` for
        any other path, replayed when recorded, else 404), ``status`` (Counter of status codes sent; 0 = connection
        reset without an answer), ``peak_concurrency`` (most requests in flight
        at once, throttled ones included), ``in_flight`` (now), ``throttled``
        (429s sent, injected ones included), ``dois_requested`` (Counter of
        lower-cased DOIs looked up by ``/works/{doi}``, ``filter=doi:`` and the
        OpenCitations routes; requests answered by a fault or a 429 are not
        counted), ``faults`` (Counter of injected faults by kind, plus
        ``fail_first``).
        """
        with self._lock:
            snapshot = {k: (v.copy() if isinstance(v, Counter) else v) for k, v in self._stats.items()}
            snapshot["in_flight"] = self._in_flight
            return snapshot

    @property
    def log(self) -> list[tuple[str, str, int, float]]:
        """``(method, path_with_query, status, unix_time)`` per answered request, in order."""
        with self._lock:
            return list(self._log)

    # -- request handling (called from handler threads)

    def _pool(self, params: dict[str, list[str]], headers: Any) -> str:
        if params.get("mailto"):
            return "polite"
        for name in ("User-Agent", "X-User-Agent"):
            if _MAILTO_UA.search(headers.get(name) or ""):
                return "polite"
        return "public"

    def _limits(self, pool: str) -> tuple[int, int]:
        rate, concurrency = POOLS[pool]
        return (self.rate_limit if self.rate_limit is not None else rate,
                self.concurrency_limit if self.concurrency_limit is not None else concurrency)

    def _pool_headers(self, pool: str) -> dict[str, str]:
        rate, concurrency = self._limits(pool)
        return {
            "x-api-pool": pool,
            "x-concurrency-limit": str(concurrency),
            "x-rate-limit-interval": f"{self.rate_interval:g}s",
            "x-rate-limit-limit": str(rate),
        }

    def _admit(self, service: str, pool: str, kind: str) -> tuple[str | None, bool]:
        """Count a new request in; return (reason to refuse it or None, first-N 503)."""
        with self._lock:
            self._received += 1
            self._in_flight += 1
            self._pool_in_flight[pool] += 1
            stats = self._stats
            stats["requests"] += 1
            stats["by_path"][kind] += 1
            stats["peak_concurrency"] = max(stats["peak_concurrency"], self._in_flight)
            if self._received <= self.fail_first:
                stats["faults"]["fail_first"] += 1
                return None, True
            if service != "crossref" or not self.enforce_limits:
                return None, False
            rate, concurrency = self._limits(pool)
            if self._pool_in_flight[pool] > concurrency:
                return "concurrency", False
            now = time.monotonic()
            window = self._windows[pool]
            while window and window[0] <= now - self.rate_interval:
                window.popleft()
            if len(window) >= rate:
                return "rate", False
            window.append(now)
            return None, False

    def _draw_fault(self, target: str) -> str | None:
        if not self.faults or (self.fault_paths and not self.fault_paths.search(target)):
            return None
        with self._lock:
            draw = self._rng.random()
            total = 0.0
            for kind in FAULT_KINDS:
                total += self.faults.get(kind, 0.0)
                if draw < total:
                    self._stats["faults"][kind] += 1
                    return kind
        return None

    def _finish(self, pool: str, method: str, target: str, status: int, dois: Iterable[str]) -> None:
        """Count a request out of flight and record its answer."""
        with self._lock:
            self._in_flight -= 1
            self._pool_in_flight[pool] -= 1
            self._stats["status"][status] += 1
            if status == 429:
                self._stats["throttled"] += 1
            for doi in dois:
                self._stats["dois_requested"][doi] += 1
            self._log.append((method, target, status, time.time()))

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    # -- routes

    def _route_kind(self, path: str) -> tuple[str, str]:
        """(service, kind) of a path, before any work is done for it."""
        if path.startswith("/index/"):
            if _OC_V1.match(path):
                return "opencitations", "oc-v1"
            if _OC_V2.match(path):
                return "opencitations", "oc-v2"
            return "opencitations", "recorded"
        crossref_path = _strip_v1(path)
        if crossref_path.rstrip("/") == "/works":
            return "crossref", "works-list"
        if crossref_path.startswith("/works/"):
            return "crossref", "work"
        return "crossref", "recorded"

    def _answer(self, service: str, kind: str, path: str, query: str,
                params: dict[str, list[str]]) -> tuple[_Response, list[str]]:
        """The route's answer and the DOIs it looked up."""
        try:
            if kind == "works-list":
                return self._works_list(params)
            if kind == "work":
                return self._work(_strip_v1(path)[len("/works/"):], path, query, params)
            if kind == "oc-v1":
                return self._oc(path, v2=False)
            if kind == "oc-v2":
                return self._oc(path, v2=True)
            return self._replayed(service, path, query), []
        except _Failure as failure:
            content_type = ("application/json;charset=utf-8" if failure.status == 400
                            else "application/json")
            return _Response(failure.status, content_type, _json_bytes(failure.body)), []

    def _not_found(self) -> _Response:
        nf = self.corpus.not_found
        return _Response(nf.status, nf.headers.get("content-type", "text/plain"), nf.body)

    def _replayed(self, service: str, path: str, query: str) -> _Response:
        key_path = _strip_v1(path).lower() if service == "crossref" else path.lower()
        key = (service, key_path, _query_key(parse_qsl(query, keep_blank_values=True)))
        recorded = self.corpus.recorded.get(key)
        if recorded is None:
            if service == "opencitations":
                return _Response(404, "text/plain", b"Not Found")
            return self._not_found()
        content_type = recorded.headers.get("content-type", "application/json")
        return _Response(recorded.status, content_type, recorded.body)

    def _work(self, doi: str, path: str, query: str,
              params: dict[str, list[str]]) -> tuple[_Response, list[str]]:
        if any(name.startswith("query.") for name in params):
            raise _Failure("parameter-not-allowed", "query.*",
                           "This route does not support field query parameters")
        key = doi.lower()
        record = self.corpus.works.get(key)
        if record is None:
            recorded = self.corpus.recorded.get(
                ("crossref", _strip_v1(path).lower(), _query_key(parse_qsl(query, keep_blank_values=True))))
            if recorded is not None:
                return _Response(recorded.status, recorded.headers.get("content-type", "application/json"),
                                 recorded.body), [key]
            return self._not_found(), [key]
        body = {"status": "ok", "message-type": "work", "message-version": "1.0.0", "message": record}
        return _Response(200, "application/json", _json_bytes(body)), [key]

    def _works_list(self, params: dict[str, list[str]]) -> tuple[_Response, list[str]]:
        for name in params:
            if name not in LIST_PARAMS:
                if name.startswith("query."):
                    raise _Failure("parameter-not-allowed", name,
                                   f"This replay does not support the field query {name}; "
                                   f"supported: {', '.join(sorted(QUERY_FIELDS))}")
                raise _Failure("parameter-not-allowed", name, f"This route does not support {name}")

        def single(name: str) -> str | None:
            values = params.get(name)
            return values[-1] if values else None

        rows = _integer("rows", single("rows"), MAX_ROWS) if single("rows") is not None else DEFAULT_ROWS
        offset = _integer("offset", single("offset"), MAX_OFFSET) if single("offset") is not None else 0
        select = None
        if single("select"):
            select = [s.strip() for s in single("select").split(",") if s.strip()]
            for field in select:
                if field not in SELECT_FIELDS:
                    raise _Failure("select-not-available", field,
                                   f"Select '{field}' specified but there is no such select for this route.")
        sort = single("sort")
        if sort is not None and sort not in SORT_FIELDS:
            raise _Failure("sort-not-available", sort,
                           f"Sort '{sort}' specified but there is no such sort for this route. "
                           f"Valid sorts for this route are: {', '.join(SORT_FIELDS)}")
        order = single("order")
        if order is not None and order not in ("asc", "desc"):
            raise _Failure("order-not-available", order,
                           f"Order '{order}' specified but must be one of: asc, desc")
        filters = _parse_filters(",".join(params.get("filter", [])))

        queries = {name: _tokens(single(name) or "") for name in QUERY_FIELDS if single(name)}
        queries = {name: list(dict.fromkeys(words)) for name, words in queries.items() if words}

        candidates = self._filtered(filters)
        scores: dict[str, float] = {}
        if queries:
            indexes = {name: [self.corpus.words(f) for f in QUERY_FIELDS[name]] for name in queries}
            for doi in candidates:
                total = 0
                for name, words in queries.items():
                    hits = sum(1 for w in words if any(w in index[doi] for index in indexes[name]))
                    if hits == 0:  # each query parameter given must match
                        break
                    total += hits
                else:
                    scores[doi] = float(total)
            candidates = [doi for doi in candidates if doi in scores]
        ordered = self._sorted(candidates, scores, sort, order)

        cursor = single("cursor")
        signature = json.dumps(sorted((k, v) for k, v in params.items()
                                      if k not in ("cursor", "rows", "offset", "mailto")))
        if cursor is not None:
            if cursor == "*":
                start = 0
            else:
                with self._lock:
                    position = self._cursors.get(cursor)
                if position is None:
                    raise _Failure("cursor-invalid", cursor, "Cursor specified but it is invalid",
                                   status=404, message_type="resource-failure")
                start = position
        else:
            start = offset
        page = ordered[start:start + rows]
        items = []
        for doi in page:
            record = self.corpus.works[doi]
            if queries:
                item = dict(record, score=scores[doi])
            elif "score" in record:
                item = dict(record, score=1.0)
            else:
                item = record
            if select is not None:
                item = {k: v for k, v in item.items() if k in select}
            items.append(item)

        message: dict[str, Any] = {"facets": {}}
        if cursor is not None:
            message["next-cursor"] = self._cursor_token(signature, start + len(page))
        message["total-results"] = len(ordered)
        message["items"] = items
        message["items-per-page"] = rows
        message["query"] = {"start-index": 0 if cursor is not None else offset,
                            "search-terms": single("query")}
        body = {"status": "ok", "message-type": "work-list", "message-version": "1.0.0",
                "message": message}
        return _Response(200, "application/json", _json_bytes(body)), list(filters.get("doi", ()))

    def _cursor_token(self, signature: str, position: int) -> str:
        digest = hashlib.sha256(f"{signature}\n{position}".encode()).digest()
        token = base64.urlsafe_b64encode(b"replay" + digest[:24]).decode()
        with self._lock:
            self._cursors[token] = position
        return token

    def _filtered(self, filters: dict[str, list[str]]) -> list[str]:
        works = self.corpus.works
        if "doi" in filters:
            wanted = set(filters["doi"])
            candidates = [doi for doi in self.corpus.dois if doi in wanted]
        else:
            candidates = self.corpus.dois
        if "type" in filters:
            types = set(filters["type"])
            candidates = [d for d in candidates if works[d].get("type") in types]
        froms = [_parse_date("from-pub-date", v, end=False) for v in filters.get("from-pub-date", ())]
        untils = [_parse_date("until-pub-date", v, end=True) for v in filters.get("until-pub-date", ())]
        if froms or untils:
            kept = []
            for doi in candidates:
                issued = _date_parts(works[doi], "issued")
                if issued is None:
                    continue
                if froms and not any(issued >= f for f in froms):
                    continue
                if untils and not any(issued <= u for u in untils):
                    continue
                kept.append(doi)
            candidates = kept
        return list(candidates)

    def _sorted(self, dois: list[str], scores: dict[str, float], sort: str | None,
                order: str | None) -> list[str]:
        """DOI order, or by score (then DOI) for queries, or by a sort field (missing last).

        ``dois`` comes in DOI order and the sorts are stable, so DOI breaks ties.
        """
        descending = (order or "desc") == "desc"
        if sort is None or SORT_FIELDS[sort] == "score":
            if not scores:
                return dois
            return sorted(dois, key=lambda d: scores[d], reverse=descending)
        field = SORT_FIELDS[sort]
        works = self.corpus.works

        def value(doi: str) -> tuple[float, ...] | None:
            record = works[doi]
            if field in ("is-referenced-by-count", "references-count"):
                count = record.get(field)
                return (float(count),) if isinstance(count, (int, float)) else None
            parts = _date_parts(record, field)
            if parts is None:
                return None
            stamp = record[field].get("timestamp", 0)
            return (*parts, float(stamp) if isinstance(stamp, (int, float)) else 0.0)

        keyed = [(value(d), d) for d in dois]
        ranked = sorted(((v, d) for v, d in keyed if v is not None), key=lambda p: p[0],
                        reverse=descending)
        return [d for _, d in ranked] + [d for v, d in keyed if v is None]

    def _oc(self, path: str, *, v2: bool) -> tuple[_Response, list[str]]:
        match = (_OC_V2 if v2 else _OC_V1).match(path)
        assert match is not None
        kind, ident = match.group(1), match.group(2).strip()
        if v2:
            doi = ident[4:].lower() if ident.lower().startswith("doi:") else None
        else:
            doi = ident.lower()
        rows = self.corpus.oc_rows.get((kind, doi), []) if doi else []
        if v2:
            rows = [_v2_row(row) for row in rows]
        return _Response(200, "application/json", _json_bytes(rows)), [doi] if doi else []


def _v2_row(row: dict[str, Any]) -> dict[str, Any]:
    """A COCI v1 row as an Index v2 row: bare DOIs become ``doi:`` identifier bags."""
    def bag(value: str) -> str:
        return " ".join(f"doi:{doi}" for doi in str(value).split())

    return {
        "oci": row.get("oci"),
        "citing": bag(row.get("citing", "")),
        "cited": bag(row.get("cited", "")),
        "creation": row.get("creation"),
        "timespan": row.get("timespan"),
        "journal_sc": row.get("journal_sc"),
        "author_sc": row.get("author_sc"),
    }


def _parse_filters(raw: str) -> dict[str, list[str]]:
    """``name:value,...`` -> ``{name: [values]}``; same name ORed, names ANDed."""
    filters: dict[str, list[str]] = {}
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        name, _, value = part.partition(":")
        name = name.strip()
        if name not in WORK_FILTERS:
            raise _Failure(
                "filter-not-available", name,
                f"Filter '{name}' specified but there is no such filter for this route. "
                f"Valid filters for this route are: {', '.join(WORK_FILTERS)}")
        value = value.strip()
        filters.setdefault(name, []).append(value.lower() if name == "doi" else value)
    for name in ("from-pub-date", "until-pub-date"):
        for value in filters.get(name, ()):
            _parse_date(name, value, end=False)
    return filters


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


_HTML_5XX = ("<html>\r\n<head><title>{0}</title></head>\r\n<body>\r\n<center><h1>{0}</h1></center>\r\n"
             "</body>\r\n</html>\r\n")


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # bursts of parallel clients must not overflow the backlog
    replay: ReplayServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("replay: error while serving %s", client_address, exc_info=True)


class _Handler(http.server.BaseHTTPRequestHandler):
    """Parses a request and hands it to the owning :class:`ReplayServer`."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, a keep-alive client's
    # delayed ACK would add ~40 ms to every answer after the first.
    disable_nagle_algorithm = True
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        with self.server.replay._lock:
            self.server.replay._connections.add(self.connection)

    def finish(self) -> None:
        with self.server.replay._lock:
            self.server.replay._connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        """Serve one GET; every answer carries Content-Length (keep-alive safe)."""
        replay = self.server.replay
        target = self.path
        split = urlsplit(target)
        path = unquote(split.path)
        params: dict[str, list[str]] = {}
        for name, value in parse_qsl(split.query, keep_blank_values=True):
            params.setdefault(name, []).append(value)
        service, kind = replay._route_kind(path)
        pool = replay._pool(params, self.headers) if service == "crossref" else "opencitations"
        refused, fail_first = replay._admit(service, pool, kind)
        dois: list[str] = []
        finished = False

        def finish(status: int) -> None:
            # Counted out *before* the answer is written: a client that sends its
            # next request as soon as it has read this answer must find it done.
            nonlocal finished
            if not finished:
                finished = True
                replay._finish(pool, "GET", target, status, dois)

        try:
            extra: dict[str, str] = replay._pool_headers(pool) if service == "crossref" else {}
            if refused is not None:
                response = self._too_many(extra, retry_after=True)
            else:
                fault = "503" if fail_first else replay._draw_fault(target)
                replay._sleep(replay.latency)
                if fault == "reset":
                    finish(0)
                    self._reset()
                    return
                if fault == "stall":
                    replay._sleep(replay.stall_seconds)
                    fault = None
                if fault in ("429", "429-no-retry-after"):
                    response = self._too_many(extra, retry_after=fault == "429")
                elif fault == "500":
                    response = _Response(500, "text/plain", b"Internal Server Error")
                elif fault in ("502", "503"):
                    title = {"502": "502 Bad Gateway", "503": "503 Service Temporarily Unavailable"}[fault]
                    response = _Response(int(fault), "text/html", _HTML_5XX.format(title).encode())
                elif fault == "html200":
                    response = _Response(200, "text/html;charset=utf-8", replay.corpus.html_error_page)
                else:
                    try:
                        response, dois = replay._answer(service, kind, path, split.query, params)
                    except Exception as exc:  # a bug in the replay: say so, loudly
                        logger.exception("replay: error while answering %s", target)
                        response = _Response(500, "text/plain", f"replay server error: {exc!r}".encode())
                    if fault == "truncated":
                        response = _Response(200, "application/json",
                                             response.body[: len(response.body) // 2])
            response.headers = {**extra, **response.headers}
            finish(response.status)
            self._send(response, service)
        except OSError as exc:  # client went away, or stop() cut the connection
            logger.debug("replay: connection lost while answering %s: %s", target, exc)
            self.close_connection = True
        finally:
            finish(0)

    def _too_many(self, extra: dict[str, str], *, retry_after: bool) -> _Response:
        replay = self.server.replay
        headers = dict(extra)
        if retry_after and replay.send_retry_after:
            headers["retry-after"] = str(replay.retry_after)
        return _Response(429, "text/plain", b"Too Many Requests", headers)

    def _reset(self) -> None:
        """Drop the connection with a TCP reset and no answer at all."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()  # the only other holder of the socket's descriptor
            self.connection.close()
        except OSError:
            pass

    def _send(self, response: _Response, service: str) -> None:
        replay = self.server.replay
        base = replay.corpus.crossref_headers if service == "crossref" else replay.corpus.oc_headers
        headers = {**base, **response.headers, "content-type": response.content_type}
        self.send_response_only(response.status)
        self.send_header("date", self.date_time_string())
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)
        self.wfile.flush()
