"""A thread-safe limiter shared by all worker threads that talk to one API.

Crossref asks clients to keep under two limits at once: a request *rate*
(requests per second, counted by the server in 1-second windows) and a number
of requests *in flight* (concurrency). Both depend on the pool a client is in
(:data:`POLITE` with a ``mailto``, :data:`PUBLIC` without) and the server
announces the current values in every response's headers. A
:class:`RateLimiter` keeps a group of threads under both limits, follows the
announcements downwards, and backs off when the server answers
``429 Too Many Requests``.

How the rate is kept
--------------------
Starts are scheduled like a leaky bucket with a burst of one (GCRA): a request
may start no earlier than ``spacing = SAFETY_MARGIN / rate`` seconds after the
previous start, where the spacing is measured from when the previous request
*actually* started, so time lost to a late wake-up is never made up by a
burst. Consecutive starts are therefore at least ``spacing`` apart, and a
closed window of one second holds at most ``floor(rate / SAFETY_MARGIN) + 1 <=
ceil(rate)`` starts -- the server's 1-second windows never see more than
``rate`` requests, however the window is placed. :data:`SAFETY_MARGIN` spreads
the starts 2 % wider than strictly needed, so that jitter between our clock
and the server's does not push a window over the limit.

How the concurrency is kept
---------------------------
A :class:`threading.Condition` guards the count of requests in flight. Callers
of :meth:`RateLimiter.slot` queue up and are served strictly in arrival order
(FIFO): only the caller at the head of the queue may start, and it starts once
fewer than ``concurrency`` requests are in flight *and* the rate schedule
allows it. When the concurrency limit is lowered while requests are in flight,
no request starts until the count has fallen below the new limit.

Time is read from an injectable ``clock`` and waited out with an injectable
``sleep`` (for the rate schedule and pauses), so tests can run on a fake clock.
Waiting for a free in-flight slot uses the condition variable with a short
real timeout, so it never hangs whatever the clock does.

Examples
--------
A fake clock that moves only when the limiter sleeps:

>>> now = [0.0]
>>> def sleep(seconds):
...     now[0] += seconds
>>> limiter = RateLimiter(POLITE, clock=lambda: now[0], sleep=sleep)
>>> starts = []
>>> for _ in range(3):
...     with limiter.slot():
...         starts.append(round(now[0], 3))
>>> starts
[0.0, 0.102, 0.204]
>>> limiter.update_from_headers({"X-Rate-Limit-Limit": "5", "X-Rate-Limit-Interval": "1s"})
>>> limiter.effective
PoolLimits(rate=5.0, concurrency=3)
"""

from __future__ import annotations

import contextlib
import logging
import math
import queue
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type

from citegraph.errors import ConfigError, SourceError

__all__ = [
    "MAX_ANSWER_BYTES",
    "MAX_BACKOFF",
    "MAX_THROTTLES",
    "MAX_WAIT",
    "MIN_ANNOUNCED_RATE",
    "POLITE",
    "PUBLIC",
    "RATE_FLOOR",
    "RECOVERY_AFTER",
    "RECOVERY_FACTOR",
    "SAFETY_MARGIN",
    "SLOWDOWN_FACTOR",
    "PoolLimits",
    "RateLimiter",
    "ThrottledError",
    "TransientError",
    "call_with_retries",
    "check_retry_after",
    "parse_interval",
    "parse_retry_after",
    "read_within",
    "run_concurrently",
]

logger = logging.getLogger(__name__)

#: Starts are spaced ``SAFETY_MARGIN / rate`` apart: 2 % wider than the rate
#: strictly needs, so clock jitter cannot push a server window over the limit.
SAFETY_MARGIN = 1.02

#: A slow-down after a 429 never takes the rate below this (requests/second),
#: unless the configured rate is lower still.
RATE_FLOOR = 0.5

#: The longest pause a ``Retry-After`` value can impose, in seconds: a service that asks for more
#: stops the run (see :func:`check_retry_after`) instead of holding it silently.
MAX_WAIT = 120.0

#: A pause of at least this many seconds is told at the default verbosity (WARNING), not only with -v.
NOTICE_WAIT = 10.0

#: Announced rates below this (requests/second; one request per 10 s) are not followed: a header of
#: "1 per hour" would stretch a run over days. The limiter keeps this floor and says so once.
MIN_ANNOUNCED_RATE = 0.1

#: The largest answer body read from a service (bytes); a longer one is cut off and retried.
MAX_ANSWER_BYTES = 64 * 2**20

#: The longest pause of the exponential backoff used without ``Retry-After``.
MAX_BACKOFF = 60.0

#: A 429 multiplies the effective rate by this.
SLOWDOWN_FACTOR = 0.5

#: Each recovery step multiplies the effective rate by this ...
RECOVERY_FACTOR = 1.25

#: ... and takes this many consecutive successes since the last slow-down.
RECOVERY_AFTER = 50

# How long (real seconds) a thread waits on the condition before checking
# again; every state change notifies, so this is only a safety net.
_POLL = 0.05

# The stop flag of the run_concurrently run a worker thread belongs to: once it is set, the thread's
# next request does not start (RunStopped) and its back-off sleeps end at once.
_WORKER = threading.local()


class RunStopped(Exception):
    """The run this worker thread belongs to has stopped (an error elsewhere, Ctrl-C): start nothing more."""


def _check_stopped() -> None:
    stopped: threading.Event | None = getattr(_WORKER, "stopped", None)
    if stopped is not None and stopped.is_set():
        raise RunStopped("the run has stopped")


def _sleep_unless_stopped(seconds: float) -> None:
    """``time.sleep``, cut short (RunStopped) when this worker's run stops."""
    stopped: threading.Event | None = getattr(_WORKER, "stopped", None)
    if stopped is None:
        time.sleep(seconds)
    elif stopped.wait(seconds):
        raise RunStopped("the run has stopped")

_INT_RE = re.compile(r"\s*(\d+)\s*")
_DELTA_RE = re.compile(r"\s*(-?\d+(?:\.\d+)?)\s*")
_INTERVAL_RE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*", re.IGNORECASE)
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True)
class PoolLimits:
    """The limits of one API pool.

    Parameters
    ----------
    rate : float
        Requests that may start per second; finite and positive.
    concurrency : int
        Requests that may be in flight at once; at least 1.

    Raises
    ------
    ConfigError
        If a value is out of range.

    Examples
    --------
    >>> PoolLimits(10, 3)
    PoolLimits(rate=10.0, concurrency=3)
    >>> PoolLimits(0, 3)
    Traceback (most recent call last):
    ...
    citegraph.errors.ConfigError: rate must be a finite number > 0, not 0
    """

    rate: float
    concurrency: int

    def __post_init__(self) -> None:
        rate = self.rate
        if (
            isinstance(rate, bool)
            or not isinstance(rate, (int, float))
            or not math.isfinite(rate)
            or rate <= 0
        ):
            raise ConfigError(f"rate must be a finite number > 0, not {rate!r}")
        concurrency = self.concurrency
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ConfigError(f"concurrency must be an integer >= 1, not {concurrency!r}")
        object.__setattr__(self, "rate", float(rate))


#: Crossref's polite pool (requests that carry a ``mailto``).
POLITE = PoolLimits(10.0, 3)

#: Crossref's public pool.
PUBLIC = PoolLimits(5.0, 1)


class RateLimiter:
    """Keep the threads talking to one API under its rate and concurrency limits.

    One instance is shared by all worker threads. Each request is made inside
    :meth:`slot`; after the response, the caller reports it with
    :meth:`update_from_headers` and either :meth:`on_success` or, on a 429,
    :meth:`on_throttled`.

    Parameters
    ----------
    limits : PoolLimits
        The configured limits. They are also the ceiling: nothing the server
        announces or any recovery raises the limits above them.
    clock : callable, optional
        Returns the current time in seconds (monotonic); used for the rate
        schedule, pauses and the ``waited_seconds`` statistic.
    sleep : callable, optional
        Blocks for the given seconds; used to wait for the rate schedule and
        pauses, always without holding the limiter's lock.
    name : str, optional
        Names the API in log messages.

    Examples
    --------
    >>> now = [0.0]
    >>> def sleep(seconds):
    ...     now[0] += seconds
    >>> limiter = RateLimiter(PUBLIC, clock=lambda: now[0], sleep=sleep)
    >>> with limiter.slot():
    ...     limiter.in_flight
    1
    >>> limiter.on_throttled(3.0)
    3.0
    >>> with limiter.slot():
    ...     now[0]
    3.0
    >>> limiter.effective
    PoolLimits(rate=2.5, concurrency=1)
    >>> limiter.stats["requests_started"], limiter.stats["throttled"]
    (2, 1)
    """

    def __init__(
        self,
        limits: PoolLimits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = _sleep_unless_stopped,
        name: str = "crossref",
    ) -> None:
        if not isinstance(limits, PoolLimits):
            raise TypeError(f"limits must be a PoolLimits, not {type(limits).__name__}")
        self._configured = limits
        self._clock = clock
        self._sleep = sleep
        self.name = name
        self._cond = threading.Condition(threading.Lock())
        # What the server last announced (None: nothing yet).
        self._announced_rate: float | None = None
        self._announced_concurrency: int | None = None
        # The effective limits.
        self._rate = limits.rate
        self._concurrency = limits.concurrency
        # The rate schedule.
        self._last_start: float | None = None
        self._paused_until = -math.inf
        # Adaptation state.
        self._consecutive_throttles = 0
        self._successes = 0
        # Callers blocked in slot(), in arrival order.
        self._queue: deque[object] = deque()
        self._in_flight = 0
        self._started = 0
        self._throttled = 0
        self._waited = 0.0
        self._peak = 0
        self._warned_slow = False

    def __repr__(self) -> str:
        return (
            f"RateLimiter({self.name!r}, effective={self.effective!r}, "
            f"in_flight={self.in_flight})"
        )

    # ------------------------------------------------------------------ state

    @property
    def configured(self) -> PoolLimits:
        """PoolLimits : The limits given at construction (the ceiling)."""
        return self._configured

    @property
    def ceiling(self) -> PoolLimits:
        """PoolLimits : The lower of the configured and the announced limits.

        Examples
        --------
        >>> limiter = RateLimiter(POLITE)
        >>> limiter.update_from_headers({"x-rate-limit-limit": "50", "x-concurrency-limit": "2"})
        >>> limiter.ceiling
        PoolLimits(rate=10.0, concurrency=2)
        """
        with self._cond:
            return PoolLimits(self._ceiling_rate(), self._concurrency)

    @property
    def effective(self) -> PoolLimits:
        """PoolLimits : The limits in force now.

        Examples
        --------
        >>> RateLimiter(POLITE).effective
        PoolLimits(rate=10.0, concurrency=3)
        """
        with self._cond:
            return PoolLimits(self._rate, self._concurrency)

    @property
    def in_flight(self) -> int:
        """int : Requests started through :meth:`slot` and not yet finished.

        Examples
        --------
        >>> RateLimiter(POLITE).in_flight
        0
        """
        with self._cond:
            return self._in_flight

    @property
    def waiting(self) -> int:
        """int : Callers blocked in :meth:`slot`, waiting for their turn.

        Examples
        --------
        >>> RateLimiter(POLITE).waiting
        0
        """
        with self._cond:
            return len(self._queue)

    @property
    def stats(self) -> dict[str, float]:
        """dict : A snapshot of the counters.

        ``requests_started`` (int), ``throttled`` (int, calls of
        :meth:`on_throttled`), ``waited_seconds`` (float, total time callers
        spent blocked in :meth:`slot`, by the limiter's clock) and
        ``peak_in_flight`` (int).

        Examples
        --------
        >>> RateLimiter(POLITE).stats
        {'requests_started': 0, 'throttled': 0, 'waited_seconds': 0.0, 'peak_in_flight': 0}
        """
        with self._cond:
            return {
                "requests_started": self._started,
                "throttled": self._throttled,
                "waited_seconds": self._waited,
                "peak_in_flight": self._peak,
            }

    # ------------------------------------------------------------- requests

    def slot(self) -> contextlib.AbstractContextManager[None]:
        """Wait for a turn to start a request; hold an in-flight slot meanwhile.

        Use as ``with limiter.slot(): response = do_request()``. Entering
        blocks until this caller is first in line, fewer than ``concurrency``
        requests are in flight, any pause from :meth:`on_throttled` is over and
        at least ``SAFETY_MARGIN / rate`` seconds have passed since the
        previous start. Leaving frees the in-flight slot, also when the body
        raises.

        Returns
        -------
        contextlib.AbstractContextManager
            A context manager that yields None.

        Examples
        --------
        >>> limiter = RateLimiter(POLITE)
        >>> with limiter.slot():
        ...     limiter.in_flight
        1
        >>> limiter.in_flight
        0
        """
        return self._slot()

    @contextlib.contextmanager
    def _slot(self) -> Iterator[None]:
        self._acquire()
        try:
            yield
        finally:
            self._release()

    def _acquire(self) -> None:
        token = object()
        with self._cond:
            entered = self._clock()
            self._queue.append(token)
            try:
                while True:
                    _check_stopped()
                    if self._queue[0] is not token or self._in_flight >= self._concurrency:
                        self._cond.wait(_POLL)
                        continue
                    now = self._clock()
                    ready_at = self._paused_until
                    if self._last_start is not None:
                        ready_at = max(ready_at, self._last_start + SAFETY_MARGIN / self._rate)
                    if now < ready_at:
                        # Sleep without the lock: releases, header updates and
                        # throttles must get through. Only this caller (the head)
                        # can start, so nobody overtakes it meanwhile.
                        self._cond.release()
                        try:
                            self._sleep(ready_at - now)
                        finally:
                            self._cond.acquire()
                        continue
                    break
            except BaseException:
                self._queue.remove(token)
                self._cond.notify_all()
                raise
            self._queue.popleft()
            self._last_start = now
            self._in_flight += 1
            self._started += 1
            self._peak = max(self._peak, self._in_flight)
            self._waited += max(0.0, now - entered)
            self._cond.notify_all()

    def _release(self) -> None:
        with self._cond:
            self._in_flight -= 1
            self._cond.notify_all()

    # ----------------------------------------------------------- adaptation

    def _ceiling_rate(self) -> float:
        if self._announced_rate is None:
            return self._configured.rate
        return min(self._configured.rate, self._announced_rate)

    def update_from_headers(self, headers: Mapping[str, str]) -> None:
        """Follow the limits the server announces in a response's headers.

        Reads ``x-rate-limit-limit`` (requests per interval, an integer),
        ``x-rate-limit-interval`` (``"1s"``, ``"500ms"``, ...; one second if
        absent) and ``x-concurrency-limit`` (an integer), in any letter case.
        The announcement becomes the new ceiling, clamped to the configured
        limits. A lower announced rate applies at once; a higher one is only
        reached gradually through :meth:`on_success`, so that the slow-down
        after a 429 is not undone by the next response. The concurrency has no
        such adaptation and follows the announcement (up to the configured
        value). Missing headers change nothing; malformed ones are ignored
        and logged at DEBUG level.

        Parameters
        ----------
        headers : Mapping[str, str]
            The response headers.

        Examples
        --------
        >>> limiter = RateLimiter(POLITE)
        >>> limiter.update_from_headers(
        ...     {"X-Rate-Limit-Limit": "10", "X-Rate-Limit-Interval": "2s",
        ...      "X-Concurrency-Limit": "1"})
        >>> limiter.effective
        PoolLimits(rate=5.0, concurrency=1)
        >>> limiter.update_from_headers({"x-rate-limit-limit": "lots"})
        >>> limiter.effective
        PoolLimits(rate=5.0, concurrency=1)
        """
        lowered = {str(key).lower(): value for key, value in headers.items()}
        announced_rate: float | None = None
        announced_concurrency: int | None = None

        raw_limit = lowered.get("x-rate-limit-limit")
        if raw_limit is not None:
            limit = _parse_positive_int(raw_limit)
            raw_interval = lowered.get("x-rate-limit-interval")
            interval = 1.0 if raw_interval is None else parse_interval(str(raw_interval))
            if limit is None:
                logger.debug("%s: ignoring malformed x-rate-limit-limit %r", self.name, raw_limit)
            elif interval is None:
                logger.debug(
                    "%s: ignoring malformed x-rate-limit-interval %r", self.name, raw_interval
                )
            else:
                announced_rate = limit / interval
                if announced_rate < MIN_ANNOUNCED_RATE:
                    if not self._warned_slow:
                        self._warned_slow = True
                        logger.warning(
                            "%s announces %s request(s) per %s; keeping %g requests/s, the slowest rate "
                            "followed (a rate that low would stretch the run over hours)",
                            self.name, raw_limit, raw_interval, MIN_ANNOUNCED_RATE)
                    announced_rate = MIN_ANNOUNCED_RATE

        raw_concurrency = lowered.get("x-concurrency-limit")
        if raw_concurrency is not None:
            announced_concurrency = _parse_positive_int(raw_concurrency)
            if announced_concurrency is None:
                logger.debug(
                    "%s: ignoring malformed x-concurrency-limit %r", self.name, raw_concurrency
                )

        if announced_rate is None and announced_concurrency is None:
            return
        with self._cond:
            before = PoolLimits(self._rate, self._concurrency)
            if announced_rate is not None:
                self._announced_rate = announced_rate
                ceiling = self._ceiling_rate()
                if self._rate > ceiling:
                    self._rate = ceiling
                    self._successes = 0
            if announced_concurrency is not None:
                self._announced_concurrency = announced_concurrency
                self._concurrency = min(self._configured.concurrency, announced_concurrency)
            after = PoolLimits(self._rate, self._concurrency)
            if after != before:
                self._cond.notify_all()
        if after != before:
            logger.info(
                "%s: server announced limits; now %.3g requests/s, %d in flight",
                self.name,
                after.rate,
                after.concurrency,
            )

    def on_throttled(self, retry_after: float | None) -> float:
        """Pause all new starts and slow down after a ``429 Too Many Requests``.

        No request starts until ``now + wait``. The wait is ``retry_after``
        clamped to ``[0, MAX_WAIT]`` when given (a NaN counts as not given);
        otherwise an exponential backoff by consecutive throttles: 1, 2, 4,
        ... seconds, at most :data:`MAX_BACKOFF`. The effective rate is
        multiplied by :data:`SLOWDOWN_FACTOR`, but not below
        :data:`RATE_FLOOR`.

        Parameters
        ----------
        retry_after : float or None
            Seconds the server asked to wait (see :func:`parse_retry_after`).

        Returns
        -------
        float
            The wait used, in seconds.

        Examples
        --------
        >>> limiter = RateLimiter(POLITE)
        >>> [limiter.on_throttled(None) for _ in range(3)]
        [1.0, 2.0, 4.0]
        >>> limiter.on_throttled(500)
        120.0
        >>> limiter.effective.rate
        0.625
        """
        with self._cond:
            self._consecutive_throttles += 1
            self._throttled += 1
            self._successes = 0
            if retry_after is None or math.isnan(retry_after):
                exponent = min(self._consecutive_throttles - 1, 16)
                wait = min(MAX_BACKOFF, 2.0**exponent)
            else:
                wait = min(MAX_WAIT, max(0.0, float(retry_after)))
            now = self._clock()
            self._paused_until = max(self._paused_until, now + wait)
            self._rate = max(self._rate * SLOWDOWN_FACTOR, min(self._rate, RATE_FLOOR))
            rate = self._rate
            throttles = self._consecutive_throttles
        logger.log(
            logging.WARNING if wait >= NOTICE_WAIT else logging.INFO,
            "%s: throttled (429, %d in a row); pausing %.3g s, rate now %.3g requests/s",
            self.name,
            throttles,
            wait,
            rate,
        )
        return wait

    def on_success(self) -> None:
        """Record a successful response; recover the rate after a run of them.

        Resets the backoff. After :data:`RECOVERY_AFTER` consecutive successes
        since the last slow-down, the effective rate is multiplied by
        :data:`RECOVERY_FACTOR`, up to the ceiling (the lower of the configured
        and the announced rate); the next step takes as many successes again.

        Examples
        --------
        >>> limiter = RateLimiter(POLITE)
        >>> limiter.on_throttled(0)
        0.0
        >>> for _ in range(RECOVERY_AFTER):
        ...     limiter.on_success()
        >>> limiter.effective.rate
        6.25
        """
        with self._cond:
            self._consecutive_throttles = 0
            ceiling = self._ceiling_rate()
            if self._rate >= ceiling:
                self._successes = 0
                return
            self._successes += 1
            if self._successes < RECOVERY_AFTER:
                return
            self._successes = 0
            self._rate = min(ceiling, self._rate * RECOVERY_FACTOR)
            rate = self._rate
        logger.debug("%s: recovering; rate now %.3g requests/s", self.name, rate)


def _parse_positive_int(value: object) -> int | None:
    match = _INT_RE.fullmatch(str(value))
    if match is None:
        return None
    number = int(match.group(1))
    return number if number > 0 else None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Turn a ``Retry-After`` header value into seconds to wait.

    Parameters
    ----------
    value : str or None
        Either delta-seconds (``"3"``, ``"1.5"``) or an HTTP-date
        (``"Wed, 21 Oct 2015 07:28:00 GMT"``, also the obsolete RFC 850 and
        asctime forms).
    now : datetime, optional
        The current time, for HTTP-dates; the current UTC time by default.
        A naive datetime is taken as UTC.

    Returns
    -------
    float or None
        Seconds, never negative (a negative delta or a date in the past gives
        0.0); None when the value is missing or not understood.

    Examples
    --------
    >>> parse_retry_after("3")
    3.0
    >>> parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT",
    ...                   now=datetime(2015, 10, 21, 7, 28, tzinfo=UTC))
    30.0
    >>> parse_retry_after("-5")
    0.0
    >>> parse_retry_after("soon") is None
    True
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    match = _DELTA_RE.fullmatch(text)
    if match is not None:
        return max(0.0, float(match.group(1)))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:  # older Pythons return None instead of raising
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def parse_interval(value: str) -> float | None:
    """Turn an interval like Crossref's ``x-rate-limit-interval`` into seconds.

    Parameters
    ----------
    value : str
        A number with an optional unit: ``ms``, ``s`` (the default), ``m`` or
        ``h``, in any letter case.

    Returns
    -------
    float or None
        Seconds; None if the value is malformed or not positive.

    Examples
    --------
    >>> parse_interval("1s"), parse_interval("2s"), parse_interval("500ms"), parse_interval("1m")
    (1.0, 2.0, 0.5, 60.0)
    >>> parse_interval("0s") is None, parse_interval("fast") is None
    (True, True)
    """
    match = _INTERVAL_RE.fullmatch(str(value))
    if match is None:
        return None
    seconds = float(match.group(1)) * _UNIT_SECONDS[(match.group(2) or "s").lower()]
    return seconds if seconds > 0 else None


#: Throttling answers (429) tolerated for one request before giving up.
MAX_THROTTLES = 20


class TransientError(Exception):
    """A failure worth retrying: 5xx, time-out, reset, a garbled answer."""


class ThrottledError(Exception):
    """A 429: the limiter has paused every new request; try again."""


T = TypeVar("T")


def call_with_retries(attempt: Callable[[], T], *, retries: int, backoff: float, service: str, what: str,
                      max_throttles: int = MAX_THROTTLES) -> T:
    """Run one logical request: retry transient failures with back-off, and throttles.

    ``attempt`` makes one HTTP request inside a limiter slot and raises
    :class:`TransientError` or :class:`ThrottledError` when it should be
    tried again. Transient failures wait ``backoff``, ``2 * backoff``, ...
    (at most 30 s) and are tried ``retries`` times more; a throttle waits
    nothing here (the limiter holds every start back until ``Retry-After``)
    and does not use up the error budget, up to ``max_throttles``.

    Raises
    ------
    SourceError
        After the last failure: "``service`` failed N times ``what`` (last:
        ...); everything fetched so far is kept: run the same command again
        to resume".

    Examples
    --------
    >>> calls = []
    >>> def flaky() -> str:
    ...     calls.append(1)
    ...     if len(calls) < 3:
    ...         raise TransientError("server error 503")
    ...     return "ok"
    >>> call_with_retries(flaky, retries=5, backoff=0, service="Crossref", what="for one request"), len(calls)
    ('ok', 3)
    """
    failures = {"transient": 0, "throttled": 0}
    last_error = ["no answer"]

    def stop(state: RetryCallState) -> bool:
        return failures["transient"] > retries or failures["throttled"] > max_throttles

    def pause(transient: int) -> float:
        """The back-off after the ``transient``-th transient failure."""
        return float(min(30.0, backoff * 2.0 ** (transient - 1)))

    def wait_time(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, ThrottledError):
            return 0.0  # the limiter itself holds every new start back
        return pause(failures["transient"])

    retrying = Retrying(stop=stop, wait=wait_time, retry=retry_if_exception_type((TransientError, ThrottledError)),
                        reraise=True, sleep=_sleep_unless_stopped)
    try:
        for state in retrying:
            with state:
                try:
                    return attempt()
                except TransientError as exc:
                    failures["transient"] += 1
                    last_error[0] = str(exc)
                    if failures["transient"] <= retries:  # one line at the default verbosity per retry
                        logger.warning("%s did not answer %s (%s); retry %d of %d in %.3g s", service, what, exc,
                                       failures["transient"], retries, pause(failures["transient"]))
                    raise
                except ThrottledError as exc:
                    failures["throttled"] += 1
                    last_error[0] = str(exc)
                    raise
    except (TransientError, ThrottledError):
        pass
    raise SourceError(
        f"{service} failed {failures['transient'] + failures['throttled']} times {what} "
        f"(last: {last_error[0]}); everything fetched so far is kept: run the same command again to resume"
    )


def check_retry_after(retry_after: float | None, *, service: str) -> float | None:
    """The ``Retry-After`` of a 429, or a :class:`SourceError` when it asks for more than :data:`MAX_WAIT`.

    A service that asks to wait longer than :data:`MAX_WAIT` seconds (an hour,
    a day) will not answer sooner for being asked again every two minutes:
    the run stops at once, saying how long the service asked for, and
    everything fetched so far stays stored.

    Examples
    --------
    >>> check_retry_after(30.0, service="Crossref")
    30.0
    >>> check_retry_after(None, service="Crossref") is None
    True
    >>> check_retry_after(999999, service="Crossref")
    Traceback (most recent call last):
    ...
    citegraph.errors.SourceError: Crossref asks to wait 999999 s (11.6 days) before the next request ...
    """
    if retry_after is None or math.isnan(retry_after) or retry_after <= MAX_WAIT:
        return retry_after
    days = retry_after / 86400
    span = f"{days:.1f} days" if days >= 1 else f"{retry_after / 3600:.1f} hours"
    raise SourceError(
        f"{service} asks to wait {retry_after:g} s ({span}) before the next request (429 Retry-After), "
        f"more than the {MAX_WAIT:g} s citegraph waits; stopping: everything fetched so far is kept, "
        "run the same command again later"
    )


def read_within(chunks: Iterable[bytes], *, started: float, timeout: float, what: str,
                max_bytes: int = MAX_ANSWER_BYTES, clock: Callable[[], float] = time.monotonic) -> bytes:
    """Read an answer body chunk by chunk, within a deadline for the whole request and a size cap.

    The HTTP clients' own time-outs apply to each connect and each read, so a
    server that sends one byte a second never trips them; this bounds the
    whole request: ``timeout`` seconds from ``started`` (a ``clock()``
    reading taken before the request was sent). A body past the deadline or
    longer than ``max_bytes`` raises :class:`TransientError` (retried like a
    time-out).

    Examples
    --------
    >>> read_within([b"ab", b"c"], started=0.0, timeout=5, what="x", clock=lambda: 1.0)
    b'abc'
    >>> read_within([b"ab", b"c"], started=0.0, timeout=5, what="x", clock=lambda: 6.0)
    Traceback (most recent call last):
    ...
    citegraph.sources.ratelimit.TransientError: no complete answer x within 5 s (2 bytes so far)
    >>> read_within([b"abc"], started=0.0, timeout=5, what="x", max_bytes=2, clock=lambda: 0.0)
    Traceback (most recent call last):
    ...
    citegraph.sources.ratelimit.TransientError: an answer x longer than 2 bytes; not read further
    """
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > max_bytes:
            raise TransientError(f"an answer {what} longer than {max_bytes:,} bytes; not read further")
        if clock() - started > timeout:
            raise TransientError(f"no complete answer {what} within {timeout:g} s ({len(body):,} bytes so far)")
    return bytes(body)


def run_concurrently(jobs: Sequence[tuple[Callable[[Any], T], Any]], *, workers: int, name: str) -> Iterator[T]:
    """Run ``fn(arg)`` jobs on a few threads, yielding results as they complete.

    Only ``2 * workers`` jobs are handed out at a time, so an interruption or
    a failure abandons little work. The first exception stops the run: no
    new job starts, results already completed were yielded, and the
    exception propagates. The worker threads are daemon threads, never
    waited for: when the caller stops (an error, Ctrl-C, a closed
    generator), it returns at once, whatever a worker is blocked in (a
    stalled read, a back-off, a ``Retry-After`` pause); the workers find the
    run stopped and quit, and the interpreter does not wait for them at
    exit. The jobs therefore must not write anything that outlives the run:
    callers store what this yields, in their own thread.

    Examples
    --------
    >>> sorted(run_concurrently([(abs, -1), (abs, -2), (abs, 3)], workers=2, name="demo"))
    [1, 2, 3]
    """
    workers = max(1, workers)
    todo: queue.Queue[tuple[Callable[[Any], T], Any] | None] = queue.Queue()
    done: queue.Queue[tuple[bool, Any]] = queue.Queue()
    stopped = threading.Event()

    def work() -> None:
        _WORKER.stopped = stopped
        while not stopped.is_set():
            job = todo.get()
            if job is None or stopped.is_set():
                return
            fn, arg = job
            try:
                outcome: tuple[bool, Any] = (True, fn(arg))
            except BaseException as exc:  # handed to the caller's thread, raised there
                stopped.set()  # no job starts after a failure, not even before the caller sees it
                outcome = (False, exc)
            done.put(outcome)

    jobs_left = iter(jobs)
    outstanding = 0

    def hand_out() -> None:
        nonlocal outstanding
        while outstanding < 2 * workers:
            job = next(jobs_left, None)
            if job is None:
                return
            todo.put(job)
            outstanding += 1

    threads = [threading.Thread(target=work, name=f"{name}-{i}", daemon=True) for i in range(workers)]
    for thread in threads:
        thread.start()
    try:
        hand_out()
        while outstanding:
            ok, value = done.get()
            outstanding -= 1
            if not ok:
                raise value
            yield value
            hand_out()
    finally:
        stopped.set()
        for _ in threads:
            todo.put(None)
