"""Tests for citegraph.sources.ratelimit."""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from citegraph.errors import ConfigError
from citegraph.sources.ratelimit import (
    MAX_BACKOFF,
    MAX_WAIT,
    POLITE,
    PUBLIC,
    RATE_FLOOR,
    RECOVERY_AFTER,
    SAFETY_MARGIN,
    PoolLimits,
    RateLimiter,
    parse_interval,
    parse_retry_after,
)


class FakeClock:
    """A clock that only moves when something sleeps on it."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def fake_limiter(limits: PoolLimits = POLITE) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock()
    return RateLimiter(limits, clock=clock, sleep=clock.sleep), clock


def wait_until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.001)


def max_in_window(starts: list[float], width: float = 1.0) -> int:
    """The most starts in any closed window [t, t + width] (windows start at a start)."""
    return max(sum(1 for s in starts if t <= s <= t + width) for t in starts)


# ------------------------------------------------------------------ PoolLimits


def test_pool_constants():
    assert POLITE == PoolLimits(10.0, 3)
    assert PUBLIC == PoolLimits(5.0, 1)
    assert SAFETY_MARGIN == 1.02


def test_pool_limits_normalises_rate_to_float():
    limits = PoolLimits(5, 2)
    assert limits.rate == 5.0 and isinstance(limits.rate, float)


@pytest.mark.parametrize(
    "rate, concurrency",
    [(0, 1), (-1.0, 1), (math.inf, 1), (math.nan, 1), ("10", 1), (10.0, 0), (10.0, 1.5), (10.0, True)],
)
def test_pool_limits_rejects_bad_values(rate, concurrency):
    with pytest.raises(ConfigError):
        PoolLimits(rate, concurrency)


def test_limiter_requires_pool_limits():
    with pytest.raises(TypeError):
        RateLimiter((10.0, 3))  # type: ignore[arg-type]


# ---------------------------------------------------------------- rate (fake)


def test_rate_spacing_with_fake_clock():
    limiter, clock = fake_limiter(PoolLimits(10.0, 3))
    starts = []
    for _ in range(20):
        with limiter.slot():
            starts.append(clock())
    spacing = SAFETY_MARGIN / 10.0
    assert starts[0] == 0.0
    assert starts == pytest.approx([i * spacing for i in range(20)])
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= spacing - 1e-12
    assert max_in_window(starts) == 10
    assert limiter.stats["requests_started"] == 20
    assert limiter.stats["peak_in_flight"] == 1
    assert limiter.stats["waited_seconds"] == pytest.approx(19 * spacing)


@pytest.mark.parametrize("rate", [1.0, 2.5, 3.0, 7.0, 10.0, 0.5])
def test_no_window_exceeds_ceil_rate(rate):
    limiter, clock = fake_limiter(PoolLimits(rate, 1))
    starts = []
    for _ in range(30):
        with limiter.slot():
            starts.append(clock())
    assert max_in_window(starts) <= math.ceil(rate)


def test_no_catch_up_burst_after_idle_or_late_wakeup():
    limiter, clock = fake_limiter(PoolLimits(10.0, 3))
    with limiter.slot():
        pass
    clock.now = 5.0  # idle for a while: no credit is saved up
    starts = []
    for _ in range(3):
        with limiter.slot():
            starts.append(clock())
    assert starts == pytest.approx([5.0, 5.102, 5.204])


def test_slot_releases_on_exception():
    limiter, _ = fake_limiter()
    with pytest.raises(RuntimeError):
        with limiter.slot():
            assert limiter.in_flight == 1
            raise RuntimeError("boom")
    assert limiter.in_flight == 0
    assert limiter.waiting == 0


def test_interrupted_wait_leaves_the_queue():
    class Interrupt(Exception):
        pass

    clock = FakeClock()

    def sleep(seconds: float) -> None:
        raise Interrupt

    limiter = RateLimiter(POLITE, clock=clock, sleep=sleep)
    with limiter.slot():
        pass
    with pytest.raises(Interrupt):
        with limiter.slot():
            pass
    assert limiter.waiting == 0
    assert limiter.in_flight == 0
    assert limiter.stats["requests_started"] == 1


# ------------------------------------------------------- concurrency (threads)


def test_concurrency_with_real_threads():
    limiter = RateLimiter(PoolLimits(1000.0, 3))
    lock = threading.Lock()
    current = 0
    peak = 0
    done = 0

    def worker():
        nonlocal current, peak, done
        for _ in range(10):
            with limiter.slot():
                with lock:
                    current += 1
                    peak = max(peak, current)
                time.sleep(0.003)
                with lock:
                    current -= 1
                    done += 1

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not any(thread.is_alive() for thread in threads)
    assert peak == 3
    assert done == 80
    stats = limiter.stats
    assert stats["requests_started"] == 80
    assert stats["peak_in_flight"] == 3
    assert stats["waited_seconds"] > 0
    assert limiter.in_flight == 0
    assert limiter.waiting == 0


def test_real_clock_rate_spacing():
    limiter = RateLimiter(PoolLimits(200.0, 4))
    starts = []
    lock = threading.Lock()

    def worker():
        for _ in range(5):
            with limiter.slot():
                with lock:
                    starts.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    starts.sort()
    assert len(starts) == 20
    # The starts are recorded just after the limiter lets a caller go, so only
    # the overall span is checked, with room for scheduling jitter; exact
    # spacing is checked with the fake clock above.
    assert starts[-1] - starts[0] >= 0.8 * 19 * SAFETY_MARGIN / 200.0


def test_fifo_order():
    limiter = RateLimiter(PoolLimits(1000.0, 1))
    order = []
    hold = threading.Event()

    def holder():
        with limiter.slot():
            hold.wait(5)

    def waiter(label):
        with limiter.slot():
            order.append(label)

    first = threading.Thread(target=holder)
    first.start()
    wait_until(lambda: limiter.in_flight == 1)
    threads = []
    for i, label in enumerate("abcde"):
        thread = threading.Thread(target=waiter, args=(label,))
        thread.start()
        threads.append(thread)
        wait_until(lambda n=i + 1: limiter.waiting == n)
    hold.set()
    for thread in [first, *threads]:
        thread.join(5)
    assert order == list("abcde")


def test_lowering_concurrency_while_in_flight():
    limiter = RateLimiter(PoolLimits(1000.0, 3))
    release = [threading.Event() for _ in range(3)]
    started = threading.Event()
    in_flight_at_start = []

    def holder(event):
        with limiter.slot():
            event.wait(5)

    def newcomer():
        with limiter.slot():
            in_flight_at_start.append(limiter.in_flight)
            started.set()

    holders = [threading.Thread(target=holder, args=(event,)) for event in release]
    for thread in holders:
        thread.start()
    wait_until(lambda: limiter.in_flight == 3)

    limiter.update_from_headers({"X-Concurrency-Limit": "1"})
    assert limiter.effective == PoolLimits(1000.0, 1)
    late = threading.Thread(target=newcomer)
    late.start()
    wait_until(lambda: limiter.waiting == 1)

    release[0].set()
    wait_until(lambda: limiter.in_flight == 2)
    assert not started.wait(0.15)
    release[1].set()
    wait_until(lambda: limiter.in_flight <= 1)
    assert not started.wait(0.15)  # in_flight == 1 is not < 1
    release[2].set()
    assert started.wait(5)
    late.join(5)
    for thread in holders:
        thread.join(5)
    assert in_flight_at_start == [1]  # only the newcomer itself
    assert limiter.stats["requests_started"] == 4
    assert limiter.stats["peak_in_flight"] == 3


def test_concurrency_wait_with_fake_clock_does_not_hang():
    limiter, clock = fake_limiter(PoolLimits(10.0, 1))
    release = threading.Event()
    done = threading.Event()

    def holder():
        with limiter.slot():
            release.wait(5)

    def second():
        with limiter.slot():
            done.set()

    first = threading.Thread(target=holder)
    first.start()
    wait_until(lambda: limiter.in_flight == 1)
    other = threading.Thread(target=second)
    other.start()
    wait_until(lambda: limiter.waiting == 1)
    release.set()
    assert done.wait(5)
    first.join(5)
    other.join(5)
    # The rate part still used the fake clock: the second start waited 0.102 s.
    assert clock() == pytest.approx(0.102)


# --------------------------------------------------------------------- headers


def test_headers_lower_the_limits():
    limiter = RateLimiter(PoolLimits(10.0, 3))
    limiter.update_from_headers(
        {"x-rate-limit-limit": "5", "x-rate-limit-interval": "1s", "x-concurrency-limit": "1"}
    )
    assert limiter.effective == PoolLimits(5.0, 1)
    assert limiter.ceiling == PoolLimits(5.0, 1)


def test_headers_are_case_insensitive():
    limiter = RateLimiter(PoolLimits(10.0, 3))
    limiter.update_from_headers(
        {"X-Rate-Limit-Limit": "5", "X-RATE-LIMIT-INTERVAL": "1s", "X-Concurrency-Limit": "2"}
    )
    assert limiter.effective == PoolLimits(5.0, 2)


def test_headers_never_raise_above_configured():
    limiter = RateLimiter(PoolLimits(10.0, 3))
    limiter.update_from_headers(
        {"x-rate-limit-limit": "50", "x-rate-limit-interval": "1s", "x-concurrency-limit": "10"}
    )
    assert limiter.effective == PoolLimits(10.0, 3)
    assert limiter.ceiling == PoolLimits(10.0, 3)


def test_header_interval_divides_the_limit():
    limiter = RateLimiter(PoolLimits(10.0, 3))
    limiter.update_from_headers({"x-rate-limit-limit": "10", "x-rate-limit-interval": "2s"})
    assert limiter.effective == PoolLimits(5.0, 3)
    limiter = RateLimiter(PoolLimits(10.0, 3))
    limiter.update_from_headers({"x-rate-limit-limit": "2", "x-rate-limit-interval": "500ms"})
    assert limiter.effective == PoolLimits(4.0, 3)


def test_header_limit_without_interval_means_per_second():
    limiter = RateLimiter(PoolLimits(10.0, 3))
    limiter.update_from_headers({"x-rate-limit-limit": "7"})
    assert limiter.effective == PoolLimits(7.0, 3)


@pytest.mark.parametrize(
    "headers",
    [
        {"x-rate-limit-limit": "abc", "x-rate-limit-interval": "1s"},
        {"x-rate-limit-limit": "5", "x-rate-limit-interval": "soon"},
        {"x-rate-limit-limit": "0", "x-rate-limit-interval": "1s"},
        {"x-rate-limit-limit": "-5", "x-rate-limit-interval": "1s"},
        {"x-rate-limit-limit": "5.5", "x-rate-limit-interval": "1s"},
        {"x-rate-limit-limit": "5", "x-rate-limit-interval": "0s"},
        {"x-concurrency-limit": "none"},
        {"x-concurrency-limit": "0"},
        {"x-concurrency-limit": ""},
        {"content-type": "application/json"},
        {},
    ],
)
def test_malformed_headers_are_ignored(headers, caplog):
    limiter = RateLimiter(PoolLimits(10.0, 3))
    with caplog.at_level(logging.DEBUG, logger="citegraph.sources.ratelimit"):
        limiter.update_from_headers(headers)
    assert limiter.effective == PoolLimits(10.0, 3)
    if any(key.startswith("x-") for key in headers):
        assert any("malformed" in record.getMessage() for record in caplog.records)
        assert all(record.levelno == logging.DEBUG for record in caplog.records)


def test_malformed_part_does_not_block_the_valid_part():
    limiter = RateLimiter(PoolLimits(10.0, 3))
    limiter.update_from_headers(
        {"x-rate-limit-limit": "junk", "x-rate-limit-interval": "1s", "x-concurrency-limit": "2"}
    )
    assert limiter.effective == PoolLimits(10.0, 2)


def test_concurrency_follows_announcement_up_to_configured():
    limiter = RateLimiter(PoolLimits(10.0, 3))
    limiter.update_from_headers({"x-concurrency-limit": "1"})
    assert limiter.effective.concurrency == 1
    limiter.update_from_headers({"x-concurrency-limit": "2"})
    assert limiter.effective.concurrency == 2
    limiter.update_from_headers({"x-concurrency-limit": "9"})
    assert limiter.effective.concurrency == 3


def test_lowered_header_rate_slows_the_schedule():
    limiter, clock = fake_limiter(PoolLimits(10.0, 3))
    with limiter.slot():
        pass
    limiter.update_from_headers({"x-rate-limit-limit": "5", "x-rate-limit-interval": "1s"})
    with limiter.slot():
        pass
    assert clock() == pytest.approx(SAFETY_MARGIN / 5.0)


def test_higher_announcement_is_reached_through_recovery():
    limiter = RateLimiter(PoolLimits(10.0, 3))
    limiter.update_from_headers({"x-rate-limit-limit": "4"})
    assert limiter.effective.rate == 4.0
    limiter.update_from_headers({"x-rate-limit-limit": "8"})
    assert limiter.effective.rate == 4.0
    assert limiter.ceiling.rate == 8.0
    for _ in range(RECOVERY_AFTER):
        limiter.on_success()
    assert limiter.effective.rate == 5.0
    for _ in range(10 * RECOVERY_AFTER):
        limiter.on_success()
    assert limiter.effective.rate == 8.0


# ---------------------------------------------------------------- throttling


def test_throttle_with_retry_after_pauses_and_halves():
    limiter, clock = fake_limiter(PoolLimits(10.0, 3))
    with limiter.slot():
        pass
    assert limiter.on_throttled(2.0) == 2.0
    assert limiter.effective.rate == 5.0
    with limiter.slot():
        second = clock()
    assert second == 2.0
    with limiter.slot():
        third = clock()
    assert third == pytest.approx(2.0 + SAFETY_MARGIN / 5.0)
    assert limiter.stats["throttled"] == 1
    assert limiter.stats["waited_seconds"] == pytest.approx(2.0 + SAFETY_MARGIN / 5.0)


def test_throttle_pause_is_measured_from_the_throttle():
    limiter, clock = fake_limiter(PoolLimits(10.0, 3))
    with limiter.slot():
        pass
    clock.now = 10.0
    limiter.on_throttled(1.5)
    with limiter.slot():
        assert clock() == 11.5


def test_throttle_pauses_threads_already_waiting():
    limiter, clock = fake_limiter(PoolLimits(10.0, 1))
    release = threading.Event()
    started = []

    def holder():
        with limiter.slot():
            release.wait(5)

    def waiter():
        with limiter.slot():
            started.append(clock())

    first = threading.Thread(target=holder)
    first.start()
    wait_until(lambda: limiter.in_flight == 1)
    second = threading.Thread(target=waiter)
    second.start()
    wait_until(lambda: limiter.waiting == 1)
    limiter.on_throttled(3.0)
    release.set()
    first.join(5)
    second.join(5)
    assert started == [3.0]


def test_retry_after_is_clamped():
    limiter, _ = fake_limiter()
    assert limiter.on_throttled(500.0) == MAX_WAIT == 120.0
    assert limiter.on_throttled(-3.0) == 0.0
    assert limiter.on_throttled(0.0) == 0.0


def test_exponential_backoff_without_retry_after():
    limiter, _ = fake_limiter()
    waits = [limiter.on_throttled(None) for _ in range(9)]
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]
    assert MAX_BACKOFF == 60.0
    limiter.on_success()
    assert limiter.on_throttled(None) == 1.0
    assert limiter.on_throttled(math.nan) == 2.0  # NaN counts as not given


def test_backoff_pause_applies_to_next_start():
    limiter, clock = fake_limiter(PoolLimits(10.0, 3))
    limiter.on_throttled(None)
    limiter.on_throttled(None)
    with limiter.slot():
        assert clock() == 2.0


def test_slowdown_floor():
    limiter, _ = fake_limiter(PoolLimits(1.5, 1))
    limiter.on_throttled(0)
    assert limiter.effective.rate == 0.75
    limiter.on_throttled(0)
    assert limiter.effective.rate == RATE_FLOOR == 0.5
    limiter.on_throttled(0)
    assert limiter.effective.rate == 0.5
    # A configured rate below the floor is never raised by a slow-down.
    limiter, _ = fake_limiter(PoolLimits(0.2, 1))
    limiter.on_throttled(0)
    assert limiter.effective.rate == 0.2


def test_recovery_after_fifty_successes():
    limiter, _ = fake_limiter(PoolLimits(10.0, 3))
    limiter.on_throttled(0)
    assert limiter.effective.rate == 5.0
    for _ in range(RECOVERY_AFTER - 1):
        limiter.on_success()
    assert limiter.effective.rate == 5.0
    limiter.on_success()
    assert limiter.effective.rate == 6.25
    rates = []
    for _ in range(4):
        for _ in range(RECOVERY_AFTER):
            limiter.on_success()
        rates.append(limiter.effective.rate)
    assert rates == [7.8125, 9.765625, 10.0, 10.0]


def test_throttle_restarts_the_recovery_count():
    limiter, _ = fake_limiter(PoolLimits(10.0, 3))
    limiter.on_throttled(0)
    for _ in range(RECOVERY_AFTER - 1):
        limiter.on_success()
    limiter.on_throttled(0)
    assert limiter.effective.rate == 2.5
    for _ in range(RECOVERY_AFTER - 1):
        limiter.on_success()
    assert limiter.effective.rate == 2.5
    limiter.on_success()
    assert limiter.effective.rate == 3.125


def test_recovery_stops_at_announced_ceiling():
    limiter, _ = fake_limiter(PoolLimits(10.0, 3))
    limiter.on_throttled(0)
    limiter.update_from_headers({"x-rate-limit-limit": "6", "x-rate-limit-interval": "1s"})
    assert limiter.effective.rate == 5.0
    for _ in range(3 * RECOVERY_AFTER):
        limiter.on_success()
    assert limiter.effective.rate == 6.0


# ------------------------------------------------------------------- parsers


FIXED_NOW = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("3", 3.0),
        ("1.5", 1.5),
        (" 10 ", 10.0),
        ("0", 0.0),
        ("-3", 0.0),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wednesday, 21-Oct-15 07:29:00 GMT", 60.0),
        ("Wed Oct 21 07:28:05 2015", 5.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),  # in the past
        (None, None),
        ("", None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
        ("1e3", None),
        ("3 seconds", None),
        ("Wed, 21 Oct 2015 25:28:30 GMT", None),
    ],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value, now=FIXED_NOW) == expected


def test_parse_retry_after_naive_now_is_utc():
    naive = FIXED_NOW.replace(tzinfo=None)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=naive) == 30.0


def test_parse_retry_after_default_now():
    future = datetime.now(UTC) + timedelta(seconds=100)
    text = future.strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert 95.0 <= parse_retry_after(text) <= 100.0


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1s", 1.0),
        ("2s", 2.0),
        ("500ms", 0.5),
        ("1m", 60.0),
        ("1h", 3600.0),
        ("1S", 1.0),
        (" 2 s ", 2.0),
        ("3", 3.0),
        ("1.5s", 1.5),
        ("0s", None),
        ("", None),
        ("s", None),
        ("fast", None),
        ("-1s", None),
        ("1d", None),
    ],
)
def test_parse_interval(value, expected):
    assert parse_interval(value) == expected
