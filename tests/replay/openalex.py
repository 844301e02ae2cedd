"""A local replay of the OpenAlex works API (``api.openalex.org``) for the test suite.

:class:`OpenAlexReplay` answers on ``127.0.0.1`` (its own port: OpenAlex and
Crossref both use ``/works``, so it cannot share :class:`~tests.replay.server.ReplayServer`'s)
from the real recordings in ``../shared/openalex/`` (see ``shared/README.md``):

* the works are the 247 records of ``works-openalexPro.jsonl.gz`` plus every
  full work record found in ``responses/*.json`` (the single-work answers),
  deduplicated by OpenAlex id; nothing is invented or edited, except that the
  search-only ``relevance_score`` key is left out (no search is modelled, and
  the recorded non-search answers do not carry it);
* the envelopes are the recorded ones: ``{"meta": {count, db_response_time_ms,
  page, per_page[, next_cursor], groups_count, cost_usd}, "results": [...],
  "group_by": []}`` (``openalexPro_oa_snowball__*``, ``openalexPro_pro_*``);
* the 400 bodies for an unknown filter and an unknown ``select`` field are built
  from the recorded ones (``openalexPro_opt_filter_names__0.json``,
  ``openalexPro_opt_select_fields__0.json``), with their lists of valid fields;
* the 401 body is ``openalexPro_pro_rate_limit_status_401__0.json``'s, the
  ``/rate-limit`` body has the shape (and the endpoint costs, prepaid figures)
  of ``openalexPro_pro_rate_limit_status_200__0.json`` with live numbers;
* cursors are keyset tokens in OpenAlex's own format (base64 of the JSON string
  ``"['-Infinity', cited_by_count, 'https://openalex.org/W…']"``, the sort key of
  the last work of the page), so the recorded follow-up request
  ``openalexPro_pro_snowball__4`` replays as recorded; a non-empty cursor page
  always carries a ``next_cursor``, the page after the last one is
  ``results: []`` with ``next_cursor: null`` (``openalexPro_pro_snowball__2..4``);
* results come in the order the recorded cursors encode: ``cited_by_count``
  descending, then the id (numerically) ascending.

Behaviour modelled on top, from OpenAlex's public documentation (2026): an API
key (``api_key=``) on every request; a daily budget charged per list call
(single works free); a per-second request limit (429); ``x-ratelimit-limit``,
``x-ratelimit-remaining`` (daily list calls) and ``x-ratelimit-reset`` (seconds to
the daily reset at midnight UTC) on every answer, as recorded; up to 100 values
ORed with ``|`` in one filter; filters separated by ``,`` ANDed (a repeated filter
name too); ``per-page`` 1..200; basic paging up to 10,000 results. A list call
is charged once it has passed the key, per-second and budget checks, whatever
its answer (a 400 too); single works and ``/rate-limit`` are free, as
``shared/README.md`` says (the recorded 2026 ``x-ratelimit-remaining`` values do
count down across single-work answers too, and the recorded
``endpoint_costs_usd`` prices a singleton like a list call); injected faults and
:meth:`OpenAlexReplay.fail_next` answers are not charged.

Routes
======

=====================================================  ==========================================
``GET /works?filter=&per-page=&page=&cursor=&select=``  a work list (charged to the daily budget)
``GET /works/{id}``                                     one work: ``W123``, ``https://openalex.org/W123``,
                                                        ``doi:10.x/y``, ``https://doi.org/10.x/y`` (free)
``GET /rate-limit?api_key=``                            the key's budget (free)
=====================================================  ==========================================

Filters: ``doi``, ``openalex``, ``ids.openalex``, ``cites``, ``cited_by``,
``publication_year`` (also ``>N``, ``<N``, ``N-M``), ``is_retracted``, ``type``
(hyphenated spellings accepted, as OpenAlex's own error text says).

Not recorded, so written here from the documentation or invented plainly: the
texts of the 400s for per-page, page depth, too many values, an invalid cursor
and unmodelled parameters; the 404 body (Flask's default text: OpenAlex's API is a Flask application,
but no 404 was recorded);
the 429 bodies; the 500/503 fault bodies. Valid OpenAlex filters that the replay
does not model (``title_and_abstract.search``, ``from_publication_date``...) are
answered 400 with a message that says so, rather than with the "not a valid
field" text, so a test that needs them fails with a clear reason. Search, ``sort``,
``sample``, ``group_by`` and single-work namespaces other than OpenAlex ids and DOIs
(``pmid:``, ``mag:``...) are not modelled (400, resp. 404).

Run standalone: ``python -m tests.replay.openalex --port 8001``.
"""

from __future__ import annotations

import ast
import base64
import collections
import dataclasses
import datetime as dt
import glob
import gzip
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
from http import HTTPStatus
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from .server import default_shared_dir

__all__ = [
    "FAULT_KINDS",
    "MAX_OR_VALUES",
    "MAX_PER_PAGE",
    "MODELLED_FILTERS",
    "OpenAlexCorpus",
    "OpenAlexReplay",
    "load_openalex_corpus",
]

logger = logging.getLogger(__name__)

#: Filters the replay implements on ``/works`` (names after ``-`` -> ``_``).
MODELLED_FILTERS: tuple[str, ...] = (
    "doi", "openalex", "ids.openalex", "cites", "cited_by", "publication_year", "is_retracted", "type",
)
#: Fault kinds understood by ``faults=``, in the order a draw walks them.
FAULT_KINDS: tuple[str, ...] = ("429", "500", "503", "reset")
#: Values one filter may OR with ``|``.
MAX_OR_VALUES = 100
#: Largest ``per-page``.
MAX_PER_PAGE = 200
#: ``per-page`` when none is given.
DEFAULT_PER_PAGE = 25
#: Deepest result basic (``page=``) paging reaches; beyond it cursor paging is required.
MAX_BASIC_RESULTS = 10000

#: Query parameters ``/works`` lists understand here.
LIST_PARAMS: frozenset[str] = frozenset(
    {"filter", "per-page", "per_page", "page", "cursor", "select", "api_key", "mailto"})

OPENALEX_PREFIX = "https://openalex.org/"
DOI_PREFIXES: tuple[str, ...] = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:")

_FILTER_400_FILE = "openalexPro_opt_filter_names__0.json"
_SELECT_400_FILE = "openalexPro_opt_select_fields__0.json"
_UNAUTHORIZED_FILE = "openalexPro_pro_rate_limit_status_401__0.json"
_RATE_LIMIT_FILE = "openalexPro_pro_rate_limit_status_200__0.json"

_WORK_ID = re.compile(r"^[Ww](\d+)$")
_API_KEY = re.compile(r"(?<=[?&])(api_key=)[^&\s]*")
_YEAR_RANGE = re.compile(r"^(\d{1,4})-(\d{1,4})$")
_INVALID_PARAMS = "Invalid query parameters error."
#: Flask's default 404 text, which OpenAlex's API (a Flask application) sends.
_NOT_FOUND_MESSAGE = ("The requested URL was not found on the server. If you entered the URL manually "
                      "please check your spelling and try again.")


def _short_id(value: str) -> str | None:
    """``W123``, ``w123`` or ``https://openalex.org/W123`` -> ``W123``; anything else -> None."""
    text = value.strip()
    if text.lower().startswith(OPENALEX_PREFIX):
        text = text[len(OPENALEX_PREFIX):]
    match = _WORK_ID.match(text)
    return f"W{match.group(1)}" if match else None


def _bare_doi(value: str) -> str:
    """A DOI with or without ``https://doi.org/`` / ``doi:``, lower-cased and bare."""
    text = value.strip()
    for prefix in DOI_PREFIXES:
        if text.lower().startswith(prefix):
            text = text[len(prefix):]
            break
    return text.lower()


def _id_number(short_id: str) -> int:
    return int(short_id[1:])


def redact(target: str) -> str:
    """``target`` (path with query) with the ``api_key`` value replaced by ``REDACTED``."""
    return _API_KEY.sub(r"\1REDACTED", target)


# --------------------------------------------------------------------------- data


@dataclasses.dataclass
class OpenAlexCorpus:
    """Everything the replay serves, loaded once per process from ``shared/openalex``.

    ``works`` maps short id (``W123``) to the record; ``order`` lists the ids in
    result order (``cited_by_count`` descending, id ascending); ``by_doi`` maps
    bare lower-cased DOI to id; ``cited_by`` maps a referenced work's full URL to
    the ids of the held works citing it; ``exchanges`` holds every recorded
    exchange by file stem.
    """

    shared_dir: Path
    works: dict[str, dict[str, Any]]
    order: list[str]
    by_doi: dict[str, str]
    citing: dict[str, list[str]]
    exchanges: dict[str, dict[str, Any]]
    filter_fields: frozenset[str]
    filter_error: str
    filter_message_tail: str
    select_fields: tuple[str, ...]
    select_error: str
    select_message_tail: str
    unauthorized: dict[str, Any]
    rate_limit_template: dict[str, Any]

    def rank(self, short_id: str) -> tuple[int, int]:
        """The sort key of a work: ``(-cited_by_count, id number)``."""
        count = self.works[short_id].get("cited_by_count")
        return (-(count if isinstance(count, int) else 0), _id_number(short_id))


_CORPORA: dict[Path, OpenAlexCorpus] = {}
_CORPORA_LOCK = threading.Lock()


def load_openalex_corpus(shared_dir: Path | None = None) -> OpenAlexCorpus:
    """Load (once per process and directory) ``shared_dir/openalex``.

    Raises :class:`FileNotFoundError` when the directory or its data is missing.
    """
    root = Path(shared_dir if shared_dir is not None else default_shared_dir()).resolve()
    with _CORPORA_LOCK:
        corpus = _CORPORA.get(root)
        if corpus is None:
            corpus = _read_corpus(root)
            _CORPORA[root] = corpus
            logger.info("openalex replay corpus: %d works from %s", len(corpus.works), root)
        return corpus


def _split_valid_list(message: str, bad_name: str) -> tuple[str, list[str]]:
    """A recorded "NAME is not a valid ... : a, b, c." message -> (text after NAME, [a, b, c])."""
    if not message.startswith(bad_name):
        raise ValueError(f"unexpected recorded message {message[:80]!r}")
    tail = message[len(bad_name):]
    names = [n.strip().rstrip(".") for n in tail.split(": ", 1)[1].split(",")]
    return tail, [n for n in names if n]


def _read_corpus(root: Path) -> OpenAlexCorpus:
    base = root / "openalex"
    works_file = base / "works-openalexPro.jsonl.gz"
    if not works_file.is_file():
        raise FileNotFoundError(f"no {works_file}")
    works: dict[str, dict[str, Any]] = {}

    def offer(record: Any) -> None:
        if not isinstance(record, dict) or "referenced_works" not in record:
            return  # a select fragment, not a full work record
        short = _short_id(str(record.get("id", "")))
        if short is None:
            return
        record = {k: v for k, v in record.items() if k != "relevance_score"}
        current = works.get(short)
        if current is None or len(record) > len(current):
            works[short] = record

    with gzip.open(works_file, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                offer(json.loads(line))
    exchanges: dict[str, dict[str, Any]] = {}
    for name in sorted(glob.glob(str(base / "responses" / "*.json"))):
        with open(name, encoding="utf-8") as fh:
            exchange = json.load(fh)
        exchanges[Path(name).stem] = exchange
        body = exchange["response"].get("json")
        if exchange["response"]["status"] == 200 and isinstance(body, dict):
            offer(body)
            for result in body.get("results") or ():
                offer(result)

    by_doi: dict[str, str] = {}
    citing: dict[str, list[str]] = collections.defaultdict(list)
    for short, record in works.items():
        if isinstance(record.get("doi"), str):
            by_doi.setdefault(_bare_doi(record["doi"]), short)
        for cited in record.get("referenced_works") or ():
            citing[str(cited)].append(short)

    def body_of(stem: str) -> dict[str, Any]:
        found = exchanges.get(stem)
        if found is None:
            raise FileNotFoundError(f"no recorded exchange {base / 'responses' / stem}.json")
        body = found["response"]["json"]
        assert isinstance(body, dict)
        return body

    filter_400 = body_of(Path(_FILTER_400_FILE).stem)
    filter_tail, filter_names = _split_valid_list(filter_400["message"], "DOESNTEXIST")
    select_400 = body_of(Path(_SELECT_400_FILE).stem)
    select_tail, select_names = _split_valid_list(select_400["message"], "DOESNTEXIST")

    corpus = OpenAlexCorpus(
        shared_dir=root,
        works=works,
        order=[],
        by_doi=by_doi,
        citing=dict(citing),
        exchanges=exchanges,
        filter_fields=frozenset(filter_names),
        filter_error=filter_400["error"],
        filter_message_tail=filter_tail,
        select_fields=tuple(select_names),
        select_error=select_400["error"],
        select_message_tail=select_tail,
        unauthorized=body_of(Path(_UNAUTHORIZED_FILE).stem),
        rate_limit_template=body_of(Path(_RATE_LIMIT_FILE).stem),
    )
    corpus.order = sorted(works, key=corpus.rank)
    for citing_ids in corpus.citing.values():
        citing_ids.sort(key=corpus.rank)
    return corpus


# ----------------------------------------------------------------- request model


class _Failure(Exception):
    """An OpenAlex error answer: ``status`` with ``{"error": ..., "message": ...}``."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": error, "message": message}


def _invalid(message: str) -> _Failure:
    return _Failure(400, _INVALID_PARAMS, message)


@dataclasses.dataclass
class _Response:
    status: int
    body: bytes
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    content_type: str = "application/json"


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _cursor_token(key: tuple[int, int]) -> str:
    """OpenAlex's cursor format for the last work of a page (no search: relevance ``-Infinity``)."""
    text = repr(["-Infinity", -key[0], f"{OPENALEX_PREFIX}W{key[1]}"])
    return base64.b64encode(json.dumps(text).encode("utf-8")).decode("ascii")


def _cursor_key(token: str) -> tuple[int, int]:
    """The sort key a cursor token resumes after; :class:`_Failure` when it is not one."""
    try:
        text = json.loads(base64.b64decode(token + "=" * (-len(token) % 4), validate=False).decode("utf-8"))
        _relevance, count, url = ast.literal_eval(text)
        short = _short_id(str(url))
        if short is None or not isinstance(count, int):
            raise ValueError(url)
        return (-count, _id_number(short))
    except (ValueError, TypeError, SyntaxError, UnicodeDecodeError) as exc:
        raise _invalid(f"Invalid cursor value: {token}. Start with cursor=* and use meta.next_cursor.") from exc


def _integer(name: str, raw: str) -> int:
    text = raw.strip()
    if not text.isdigit():
        raise _invalid(f"Param {name} must be a positive integer; got {raw!r}.")
    return int(text)


# ------------------------------------------------------------------------ server


class OpenAlexReplay:
    """A threaded local HTTP server replaying the OpenAlex works API.

    Parameters
    ----------
    shared_dir:
        The recorded data (default ``<repo>/../shared``; the works are under ``openalex/``).
    api_key:
        The one key the server accepts (``api_key=`` query parameter).
    require_key:
        ``True``: a missing or wrong key on any route is answered 401 (the recorded
        body). ``False``: keys are not checked, except by ``/rate-limit``, which
        reports on a key and so always needs the right one.
    per_second:
        Requests allowed in any sliding 1 s window (all routes); more are answered
        429 ``Too Many Requests``.
    daily_budget:
        List calls (``/works?...``) allowed per day (UTC); further list calls are
        answered 429 with ``x-ratelimit-remaining: 0``. ``None``: not enforced; the
        headers then announce the free key's 10,000 calls (the recorded
        ``daily_budget_usd`` over the recorded list cost).
    retry_after:
        Send ``Retry-After: 1`` with per-second 429s (and fault 429s).
    latency:
        Seconds added before each answer.
    faults:
        ``{kind: probability}`` for kinds in :data:`FAULT_KINDS` (``"500"``, ``"503"``,
        ``"429"``, ``"reset"``: a TCP reset, no answer); one draw from
        ``random.Random(seed)`` per request that passed the key, rate and budget
        checks. Probabilities must sum to <= 1. Fault answers are not charged.
    seed:
        Seed of the fault draws.

    Attributes: :attr:`url`, :attr:`log`, :attr:`corpus`, :attr:`port`; methods
    :meth:`start`, :meth:`stop`, :meth:`stats`, :meth:`reset_stats`,
    :meth:`fail_next`, :meth:`reset_budget`.
    """

    def __init__(
        self,
        shared_dir: Path | None = None,
        *,
        api_key: str = "test-key",
        require_key: bool = True,
        per_second: int = 10,
        daily_budget: int | None = None,
        retry_after: bool = True,
        latency: float = 0.0,
        faults: dict[str, float] | None = None,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if per_second < 1:
            raise ValueError("per_second must be >= 1")
        if daily_budget is not None and daily_budget < 0:
            raise ValueError("daily_budget must be >= 0 or None")
        if latency < 0:
            raise ValueError("latency must be >= 0")
        faults = dict(faults or {})
        unknown = set(faults) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {', '.join(FAULT_KINDS)}")
        if any(p < 0 for p in faults.values()) or sum(faults.values()) > 1.0 + 1e-9:
            raise ValueError("fault probabilities must be >= 0 and sum to <= 1")

        self.corpus: OpenAlexCorpus = load_openalex_corpus(shared_dir)
        self.api_key = api_key
        self.require_key = require_key
        self.per_second = per_second
        self.daily_budget = daily_budget
        self.retry_after = retry_after
        self.latency = float(latency)
        self.faults = faults
        self.seed = seed
        self.host = host
        self.port = port

        costs = self.corpus.rate_limit_template["rate_limit"]["endpoint_costs_usd"]
        self.list_cost_usd: float = float(costs["list"])
        free_budget_usd = float(self.corpus.rate_limit_template["rate_limit"]["daily_budget_usd"])
        #: The daily list calls announced in ``x-ratelimit-limit``.
        self.announced_limit: int = (daily_budget if daily_budget is not None
                                     else round(free_budget_usd / self.list_cost_usd))

        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._window: deque[float] = deque()
        self._used = 0
        self._budget_day = self._today()
        self._forced: deque[tuple[int | str, dict[str, str], bytes | None]] = deque()
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._log: list[tuple[str, str, int]] = []
        self._stats: dict[str, Any] = {}
        self.reset_stats()

    # -- lifecycle

    def start(self) -> OpenAlexReplay:
        """Bind and serve in a background thread; return ``self``."""
        if self._httpd is not None:
            return self
        self._stopping.clear()
        httpd = _HTTPServer((self.host, self.port), _Handler)
        httpd.replay = self
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"openalex-replay:{self.port}", daemon=True)
        self._thread.start()
        logger.info("openalex replay listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving, cut open connections and free the port."""
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

    def __enter__(self) -> OpenAlexReplay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL standing in for ``https://api.openalex.org``, e.g. ``http://127.0.0.1:54321``."""
        return f"http://{self.host}:{self.port}"

    # -- counters and controls

    def reset_stats(self) -> None:
        """Zero the counters and the log (the budget spent and the rate window are kept)."""
        with self._lock:
            self._stats = {
                "requests": 0,
                "by_route": Counter(),
                "by_status": Counter(),
                "charged": 0,
                "throttled": 0,
                "throttled_rate": 0,
                "throttled_budget": 0,
                "unauthorized": 0,
                "faults": Counter(),
                "forced": 0,
            }
            self._log = []

    def stats(self) -> dict[str, Any]:
        """A snapshot of the counters.

        ``requests`` (all received), ``by_route`` (``{"list"|"single"|"rate-limit"|"other": n}``),
        ``by_status`` (``{status: n}``; 0 = connection reset), ``charged`` (list calls charged
        to the budget), ``throttled`` (all 429s: per-second, budget, fault and forced ones),
        ``throttled_rate`` (per-second 429s), ``throttled_budget`` (budget-exhausted 429s),
        ``unauthorized`` (401s), ``faults`` (``{kind: n}`` drawn), ``forced`` (answers from
        :meth:`fail_next`), ``budget_used`` and ``budget_remaining`` (today's list calls,
        against :attr:`announced_limit`).
        """
        with self._lock:
            self._roll_day()
            snapshot = {k: (dict(v) if isinstance(v, Counter) else v) for k, v in self._stats.items()}
            snapshot["budget_used"] = self._used
            snapshot["budget_remaining"] = max(0, self.announced_limit - self._used)
            return snapshot

    @property
    def log(self) -> list[tuple[str, str, int]]:
        """``(method, path?query, status)`` per request in order, the ``api_key`` value ``REDACTED``."""
        with self._lock:
            return list(self._log)

    def fail_next(self, status: int | Literal["reset"], count: int = 1, headers: dict[str, str] | None = None,
                  body: bytes | str | dict[str, Any] | None = None) -> None:
        """Answer the next ``count`` requests with ``status`` before any other check.

        ``status`` ``"reset"`` (or 0) drops the connection with a TCP reset. ``body``
        (bytes, text or a JSON object) defaults to an OpenAlex-style JSON error for
        the status (for 429, the per-second body, with ``Retry-After`` as configured);
        ``headers`` are added to the rate-limit headers. Forced answers are not charged.
        """
        if count < 1:
            raise ValueError("count must be >= 1")
        if isinstance(body, dict):
            raw: bytes | None = _json_bytes(body)
        elif isinstance(body, str):
            raw = body.encode("utf-8")
        else:
            raw = body
        with self._lock:
            for _ in range(count):
                self._forced.append((status, dict(headers or {}), raw))

    def reset_budget(self) -> None:
        """Give today's daily budget back (as the midnight UTC reset does)."""
        with self._lock:
            self._used = 0

    # -- clock

    @staticmethod
    def _today() -> dt.date:
        return dt.datetime.now(dt.UTC).date()

    @staticmethod
    def _reset_time() -> tuple[str, int]:
        """(next midnight UTC as ISO ``...T00:00:00Z``, whole seconds until then, >= 1)."""
        now = dt.datetime.now(dt.UTC)
        midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
        return midnight.strftime("%Y-%m-%dT%H:%M:%SZ"), max(1, int((midnight - now).total_seconds()))

    def _roll_day(self) -> None:
        today = self._today()
        if today != self._budget_day:
            self._budget_day = today
            self._used = 0

    def _limit_headers(self) -> dict[str, str]:
        with self._lock:
            self._roll_day()
            remaining = max(0, self.announced_limit - self._used)
        return {
            "x-ratelimit-limit": str(self.announced_limit),
            "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-reset": str(self._reset_time()[1]),
        }

    # -- request handling (called from handler threads)

    def _admit(self, kind: str, params: dict[str, list[str]]) -> tuple[str, Any]:
        """Decide what answers a new request, before any work is done for it.

        Returns ``("forced", entry)``, ``("unauthorized", None)``, ``("rate", None)``,
        ``("budget", None)``, ``("fault", kind)`` or ``("answer", None)``.
        """
        keys = params.get("api_key")
        key = keys[-1] if keys else None
        with self._lock:
            stats = self._stats
            stats["requests"] += 1
            stats["by_route"][kind] += 1
            if self._forced:
                stats["forced"] += 1
                return "forced", self._forced.popleft()
            if (self.require_key or kind == "rate-limit") and key != self.api_key:
                return "unauthorized", None
            now = time.monotonic()
            window = self._window
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= self.per_second:
                stats["throttled_rate"] += 1
                return "rate", None
            window.append(now)
            self._roll_day()
            if kind == "list" and self.daily_budget is not None and self._used >= self.daily_budget:
                stats["throttled_budget"] += 1
                return "budget", None
            if self.faults:
                draw = self._rng.random()
                total = 0.0
                for fault in FAULT_KINDS:
                    total += self.faults.get(fault, 0.0)
                    if draw < total:
                        stats["faults"][fault] += 1
                        return "fault", fault
            if kind == "list":
                self._used += 1
                stats["charged"] += 1
            return "answer", None

    def _finish(self, method: str, target: str, status: int) -> None:
        with self._lock:
            self._stats["by_status"][status] += 1
            if status == 429:
                self._stats["throttled"] += 1
            elif status == 401:
                self._stats["unauthorized"] += 1
            self._log.append((method, redact(target), status))

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    @staticmethod
    def _route_kind(path: str) -> str:
        if path.rstrip("/") == "/works":
            return "list"
        if path.startswith("/works/"):
            return "single"
        if path.rstrip("/") == "/rate-limit":
            return "rate-limit"
        return "other"

    def _error(self, status: int, error: str, message: str, headers: dict[str, str] | None = None) -> _Response:
        return _Response(status, _json_bytes({"error": error, "message": message}), dict(headers or {}))

    def _too_many(self) -> _Response:
        headers = {"retry-after": "1"} if self.retry_after else {}
        return self._error(429, "Too Many Requests",
                           f"Rate limit exceeded: at most {self.per_second} requests per second. "
                           "Slow down and retry.", headers)

    def _budget_exhausted(self) -> _Response:
        resets_at, seconds = self._reset_time()
        budget = self.daily_budget if self.daily_budget is not None else self.announced_limit
        return self._error(429, "Rate limit exceeded",
                           f"Daily budget of {budget} list calls (${budget * self.list_cost_usd:.4f}) exhausted "
                           f"for this API key; it resets at {resets_at} (in {seconds} seconds). "
                           "Single-work lookups remain available.")

    def _unauthorized(self) -> _Response:
        return _Response(401, _json_bytes(self.corpus.unauthorized))

    def _forced_response(self, entry: tuple[int | str, dict[str, str], bytes | None]) -> _Response | None:
        status, headers, body = entry
        if status in ("reset", 0):
            return None
        assert isinstance(status, int)
        if body is None:
            if status == 429:
                response = self._too_many()
                response.headers.update(headers)
                return response
            try:
                phrase = HTTPStatus(status).phrase
            except ValueError:
                phrase = "Error"
            body = _json_bytes({"error": phrase, "message": f"{phrase} (forced by the replay's fail_next)"})
        return _Response(status, body, dict(headers))

    def _fault_response(self, fault: str) -> _Response | None:
        if fault == "reset":
            return None
        if fault == "429":
            return self._too_many()
        if fault == "500":
            return self._error(500, "Internal Server Error", "The server encountered an internal error.")
        return self._error(503, "Service Unavailable", "The server is temporarily unavailable. Retry later.")

    def _answer(self, kind: str, path: str, params: dict[str, list[str]]) -> _Response:
        try:
            if kind == "list":
                return self._works_list(params)
            if kind == "single":
                return self._work(path[len("/works/"):], params)
            if kind == "rate-limit":
                return self._rate_limit(params)
            raise _Failure(404, "404 Not Found", _NOT_FOUND_MESSAGE)
        except _Failure as failure:
            return _Response(failure.status, _json_bytes(failure.body))

    # -- routes

    def _rate_limit(self, params: dict[str, list[str]]) -> _Response:
        template = self.corpus.rate_limit_template
        resets_at, seconds = self._reset_time()
        with self._lock:
            self._roll_day()
            used = self._used
        cost = self.list_cost_usd
        budget_usd = self.announced_limit * cost
        used_usd = used * cost
        rate_limit = dict(template["rate_limit"])
        rate_limit.update(
            daily_budget_usd=round(budget_usd, 10),
            daily_used_usd=round(used_usd, 10),
            daily_remaining_usd=round(max(0.0, budget_usd - used_usd), 10),
            resets_at=resets_at,
            resets_in_seconds=seconds,
        )
        body = {"api_key": (params.get("api_key") or [""])[-1], "rate_limit": rate_limit}
        return _Response(200, _json_bytes(body))

    def _select(self, params: dict[str, list[str]]) -> list[str] | None:
        values = params.get("select")
        if not values:
            return None
        raw = values[-1]
        fields = [f.strip() for f in raw.split(",") if f.strip()]
        for field in fields:
            if field not in self.corpus.select_fields:
                raise _Failure(400, self.corpus.select_error, field + self.corpus.select_message_tail)
        return fields

    @staticmethod
    def _shape(record: dict[str, Any], select: list[str] | None) -> dict[str, Any]:
        if select is None:
            return record
        return {field: record.get(field) for field in select}

    def _work(self, ident: str, params: dict[str, list[str]]) -> _Response:
        select = self._select(params)
        ident = ident.strip()
        short = _short_id(ident)
        if short is None and ident.lower().startswith(DOI_PREFIXES):
            short = self.corpus.by_doi.get(_bare_doi(ident))
        record = self.corpus.works.get(short) if short is not None else None
        if record is None:
            raise _Failure(404, "404 Not Found", _NOT_FOUND_MESSAGE)
        return _Response(200, _json_bytes(self._shape(record, select)))

    def _works_list(self, params: dict[str, list[str]]) -> _Response:
        started = time.perf_counter()
        for name in params:
            if name not in LIST_PARAMS:
                raise _invalid(f"{name} is not a parameter the OpenAlex replay models; it understands "
                               f"{', '.join(sorted(LIST_PARAMS))}.")

        def single(*names: str) -> str | None:
            for name in names:
                values = params.get(name)
                if values:
                    return values[-1]
            return None

        raw_per_page = single("per-page", "per_page")
        per_page = _integer("per-page", raw_per_page) if raw_per_page is not None else DEFAULT_PER_PAGE
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise _invalid(f"per-page must be between 1 and {MAX_PER_PAGE}; got {per_page}.")
        cursor = single("cursor")
        raw_page = single("page")
        if cursor is not None and raw_page is not None:
            raise _invalid("Cannot use page and cursor parameters together. Use cursor paging only.")
        page = _integer("page", raw_page) if raw_page is not None else 1
        if page < 1:
            raise _invalid("page must be 1 or greater.")
        if cursor is None and page * per_page > MAX_BASIC_RESULTS:
            raise _invalid(
                "Maximum results size of 10,000 records is exceeded. Cursor pagination is required for "
                "records beyond 10,000. See: "
                "https://docs.openalex.org/how-to-use-the-api/get-lists-of-entities/paging#cursor-paging")
        select = self._select(params)
        matched = self._filtered(",".join(params.get("filter", [])))

        meta: dict[str, Any] = {"count": len(matched), "db_response_time_ms": 0,
                                "page": None if cursor is not None else page, "per_page": per_page}
        if cursor is not None:
            if cursor == "*":
                rest = matched
            else:
                after = _cursor_key(cursor)
                rank = self.corpus.rank
                rest = [w for w in matched if rank(w) > after]
            chosen = rest[:per_page]
            meta["next_cursor"] = _cursor_token(self.corpus.rank(chosen[-1])) if chosen else None
        else:
            chosen = matched[(page - 1) * per_page: page * per_page]
        meta["groups_count"] = None
        meta["cost_usd"] = self.list_cost_usd
        results = [self._shape(self.corpus.works[w], select) for w in chosen]
        meta["db_response_time_ms"] = int((time.perf_counter() - started) * 1000)
        return _Response(200, _json_bytes({"meta": meta, "results": results, "group_by": []}))

    def _filtered(self, raw: str) -> list[str]:
        """Ids matching every ``name:v1|v2`` part of ``raw``, in result order."""
        corpus = self.corpus
        candidates: list[str] = corpus.order
        for part in raw.split(","):
            part = part.strip()
            if not part:
                continue
            given, _, value = part.partition(":")
            name = given.strip().replace("-", "_")
            if name not in MODELLED_FILTERS:
                if name in corpus.filter_fields:
                    raise _invalid(f"{given} is a valid OpenAlex filter that the replay does not model; "
                                   f"it models: {', '.join(MODELLED_FILTERS)}.")
                raise _Failure(400, corpus.filter_error, given + corpus.filter_message_tail)
            values = [v.strip() for v in value.split("|")]
            if len(values) > MAX_OR_VALUES:
                raise _invalid(f"Maximum number of values exceeded for {given}: {len(values)} given. "
                               f"Decrease values to {MAX_OR_VALUES} or below.")
            keep = self._matcher(name, values)
            candidates = [w for w in candidates if keep(w)]
        return list(candidates)

    def _matcher(self, name: str, values: list[str]) -> Any:
        """A predicate on work ids for one filter with its ORed values."""
        works = self.corpus.works
        if name == "doi":
            dois = {_bare_doi(v) for v in values}
            return lambda w: isinstance(works[w].get("doi"), str) and _bare_doi(works[w]["doi"]) in dois
        if name in ("openalex", "ids.openalex"):
            ids = {_short_id(v) for v in values} - {None}
            return lambda w: w in ids
        if name == "cites":
            citing: set[str] = set()
            for v in values:
                short = _short_id(v)
                if short is not None:
                    citing.update(self.corpus.citing.get(OPENALEX_PREFIX + short, ()))
            return lambda w: w in citing
        if name == "cited_by":
            cited: set[str] = set()
            for v in values:
                source = works.get(_short_id(v) or "")
                if source is not None:
                    cited.update(s for s in map(_short_id, source.get("referenced_works") or ()) if s)
            return lambda w: w in cited
        if name == "publication_year":
            tests = [self._year_test(v) for v in values]
            return lambda w: any(t(works[w].get("publication_year")) for t in tests)
        if name == "is_retracted":
            flags = set()
            for v in values:
                if v.lower() not in ("true", "false"):
                    raise _invalid(f"Value for is_retracted must be true or false; got {v!r}.")
                flags.add(v.lower() == "true")
            return lambda w: bool(works[w].get("is_retracted")) in flags
        # type: "article" or "types/article"
        types = {v.lower().removeprefix("https://openalex.org/").removeprefix("types/") for v in values}
        return lambda w: str(works[w].get("type", "")).lower() in types

    @staticmethod
    def _year_test(value: str) -> Any:
        def year(text: str) -> int:
            if not text.strip().isdigit():
                raise _invalid(f"Value for publication_year must be a number; got {value!r}.")
            return int(text)

        if value.startswith(">"):
            low = year(value[1:])
            return lambda y: isinstance(y, int) and y > low
        if value.startswith("<"):
            high = year(value[1:])
            return lambda y: isinstance(y, int) and y < high
        match = _YEAR_RANGE.match(value)
        if match:
            first, last = int(match.group(1)), int(match.group(2))
            return lambda y: isinstance(y, int) and first <= y <= last
        exact = year(value)
        return lambda y: y == exact


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    replay: OpenAlexReplay

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("openalex replay: error while serving %s", client_address, exc_info=True)


class _Handler(http.server.BaseHTTPRequestHandler):
    """Parses a request and hands it to the owning :class:`OpenAlexReplay`."""

    protocol_version = "HTTP/1.1"
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
        logger.debug("%s - %s", self.address_string(), redact(format % args))

    def do_GET(self) -> None:
        """Serve one GET; every answer carries Content-Length (keep-alive safe)."""
        replay = self.server.replay
        target = self.path
        split = urlsplit(target)
        path = unquote(split.path)
        params: dict[str, list[str]] = {}
        for name, value in parse_qsl(split.query, keep_blank_values=True):
            params.setdefault(name, []).append(value)
        kind = replay._route_kind(path)
        decision, detail = replay._admit(kind, params)
        finished = False

        def finish(status: int) -> None:
            # Recorded *before* the answer is written: a client that reads the stats as soon as
            # it has its answer must find the request counted.
            nonlocal finished
            if not finished:
                finished = True
                replay._finish("GET", target, status)

        try:
            response: _Response | None
            if decision == "forced":
                response = replay._forced_response(detail)
            elif decision == "unauthorized":
                response = replay._unauthorized()
            elif decision == "rate":
                response = replay._too_many()
            elif decision == "budget":
                response = replay._budget_exhausted()
            elif decision == "fault":
                response = replay._fault_response(detail)
            else:
                try:
                    response = replay._answer(kind, path, params)
                except Exception as exc:  # a bug in the replay: say so, loudly
                    logger.exception("openalex replay: error while answering %s", redact(target))
                    response = replay._error(500, "Internal Server Error", f"replay server error: {exc!r}")
            replay._sleep(replay.latency)
            if response is None:
                finish(0)
                self._reset()
                return
            headers = replay._limit_headers()
            finish(response.status)
            self._send(response, headers)
        except OSError as exc:  # client went away, or stop() cut the connection
            logger.debug("openalex replay: connection lost while answering %s: %s", redact(target), exc)
            self.close_connection = True
        finally:
            finish(0)

    def _reset(self) -> None:
        """Drop the connection with a TCP reset and no answer at all."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()
            self.connection.close()
        except OSError:
            pass

    def _send(self, response: _Response, limit_headers: dict[str, str]) -> None:
        headers = {"content-type": response.content_type, **limit_headers, **response.headers}
        self.send_response_only(response.status)
        self.send_header("date", self.date_time_string())
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)
        self.wfile.flush()


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.replay.openalex --port N``: serve until Ctrl-C."""
    import argparse
    import signal

    parser = argparse.ArgumentParser(prog="python -m tests.replay.openalex",
                                     description="Serve the OpenAlex replay on 127.0.0.1.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001, help="0 picks a free port (default 8001)")
    parser.add_argument("--shared", type=Path, default=None,
                        help=f"recorded data directory (default {default_shared_dir()})")
    parser.add_argument("--api-key", default="test-key")
    parser.add_argument("--no-key", action="store_true", help="do not require an API key")
    parser.add_argument("--per-second", type=int, default=10)
    parser.add_argument("--daily-budget", type=int, default=None)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s")
    server = OpenAlexReplay(args.shared, api_key=args.api_key, require_key=not args.no_key,
                            per_second=args.per_second, daily_budget=args.daily_budget,
                            latency=args.latency, host=args.host, port=args.port).start()
    print(server.url, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    try:
        done.wait()
    finally:
        server.stop()
        print(f"served {server.stats()['requests']} requests", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
