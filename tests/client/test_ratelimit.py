"""The client-side rate limit: its sliding window, its concurrency cap, and a client kept under the fake's own 429."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harness.businesscentral.client import BusinessCentralClient
from harness.businesscentral.fake import BusinessCentralFake
from harness.client import BearerToken, RateLimit, RetryPolicy, ThrottledError
from harness.fakes import Clock, IdSource, mount

SAFETY = 10.0  # a bound on real waits, so a broken limiter fails the test instead of hanging it; never asserted on
START = datetime(2024, 10, 14, 8, 0, 0, tzinfo=UTC)


class FakeTime:
    """A monotonic clock that only moves when slept on (or stepped), recording every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class ClockTime:
    """The fake tenant's :class:`Clock` as the limiter's time, so the client and the fake count the same seconds."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.clock.now().timestamp()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.advance(seconds)


def limit_on(time: FakeTime, max_requests: int = 3, window: float = 10.0, max_concurrent: int = 5) -> RateLimit:
    return RateLimit(max_requests, window, max_concurrent, monotonic=time.monotonic, sleep=time.sleep)


def take(limit: RateLimit) -> None:
    with limit.slot():
        pass


def take_in_a_thread(limit: RateLimit) -> None:
    """Take a slot where a slot never given back blocks a thread that fails the test, not the test itself."""
    with threads_running() as start:
        start(lambda _: take(limit), "probe")


def wait_until(predicate: Callable[[], bool], what: str) -> None:
    pause = threading.Event()
    for _ in range(int(SAFETY * 1000)):
        if predicate():
            return
        pause.wait(0.001)
    pytest.fail(f"expected {what} within the safety bound of {SAFETY} s, it never happened")


# --- the sliding window -------------------------------------------------------------------------------------------
def test_the_request_past_the_limit_waits_exactly_until_the_oldest_leaves_the_window() -> None:
    time = FakeTime()
    limit = limit_on(time, max_requests=3, window=10.0)
    for _ in range(3):
        take(limit)
        time.now += 1.0
    assert time.sleeps == [], f"expected no wait for the first 3 requests, waited {time.sleeps}"
    take(limit)  # at 1003: the oldest (1000) leaves the window at 1010
    assert time.sleeps == [7.0], f"expected one wait of 7 s, waited {time.sleeps}"
    assert time.now == 1010.0, f"expected the 4th request to start at 1010, it started at {time.now}"
    take(limit)  # the window now holds 1001, 1002, 1010: wait for 1001 to leave at 1011
    assert time.sleeps == [7.0, 1.0], f"expected a second wait of 1 s, waited {time.sleeps}"


def test_requests_spread_over_the_window_never_wait() -> None:
    time = FakeTime()
    limit = limit_on(time, max_requests=3, window=9.0)
    for _ in range(20):
        take(limit)
        time.now += 3.0
    assert time.sleeps == [], f"expected no waits at one request per window/max_requests, waited {time.sleeps}"
    stats = limit.stats()
    assert (stats.requests, stats.window_waits) == (20, 0), f"expected 20 requests and 0 waits, got {stats}"


def test_waited_and_stats_add_up_the_waits() -> None:
    time = FakeTime()
    limit = limit_on(time, max_requests=2, window=5.0)
    for _ in range(5):
        take(limit)
    stats = limit.stats()
    assert time.sleeps == [5.0, 5.0], f"expected two 5 s waits for 5 requests at 2 per 5 s, waited {time.sleeps}"
    assert limit.waited == 10.0, f"expected waited 10.0, got {limit.waited}"
    assert (stats.requests, stats.window_waits, stats.waited) == (5, 2, 10.0), f"got {stats}"
    assert (stats.in_window, stats.in_flight, stats.queued) == (1, 0, 0), f"got {stats}"


def test_no_limit_never_waits_but_still_counts() -> None:
    limit = RateLimit.none()
    for _ in range(100):
        take(limit)
    stats = limit.stats()
    assert (stats.limited, stats.requests, stats.waited) == (False, 100, 0.0), f"got {stats}"


# --- concurrency --------------------------------------------------------------------------------------------------
def test_a_third_request_waits_for_one_of_two_concurrent_slots() -> None:
    limit = limit_on(FakeTime(), max_requests=100, max_concurrent=2)
    log: list[str] = []
    entered = {name: threading.Event() for name in "abc"}
    release = {name: threading.Event() for name in "ab"}

    def request(name: str) -> None:
        with limit.slot():
            log.append(f"{name} in")
            entered[name].set()
            if name in release:
                release[name].wait(SAFETY)
                log.append(f"{name} leaving")

    with threads_running() as start:
        start(request, "a")
        assert entered["a"].wait(SAFETY), "expected a to get a slot"
        start(request, "b")
        assert entered["b"].wait(SAFETY), "expected b to get the second slot"
        start(request, "c")
        wait_until(lambda: limit.stats().queued == 1, "c to queue for a slot")
        assert not entered["c"].is_set(), f"expected c to wait while a and b hold both slots, log {log}"
        release["a"].set()
        assert entered["c"].wait(SAFETY), "expected c to get a's slot once a left"
        release["b"].set()
    assert log == ["a in", "b in", "a leaving", "c in", "b leaving"], f"unexpected order {log}"
    stats = limit.stats()
    assert (stats.requests, stats.in_flight, stats.queued) == (3, 0, 0), f"got {stats}"


@contextmanager
def threads_running() -> Iterator[Callable[[Callable[[str], None], str], None]]:
    threads: list[threading.Thread] = []

    def start(target: Callable[[str], None], name: str) -> None:
        thread = threading.Thread(target=target, args=(name,), name=name, daemon=True)
        threads.append(thread)
        thread.start()

    yield start
    for thread in threads:
        thread.join(SAFETY)
    alive = [thread.name for thread in threads if thread.is_alive()]
    assert alive == [], f"expected every thread to finish, still running: {alive}"


def test_the_slot_is_given_back_when_the_body_raises() -> None:
    limit = limit_on(FakeTime(), max_concurrent=1)
    with pytest.raises(RuntimeError, match="boom"), limit.slot():
        raise RuntimeError("boom")
    assert limit.stats().in_flight == 0, f"expected no request in flight, got {limit.stats()}"
    take_in_a_thread(limit)
    assert limit.stats().requests == 2, f"expected 2 requests, got {limit.stats()}"


def test_the_slot_is_given_back_when_the_window_wait_is_interrupted() -> None:
    time = FakeTime()

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    limit = RateLimit(1, 10.0, 1, monotonic=time.monotonic, sleep=interrupted)
    take(limit)
    with pytest.raises(KeyboardInterrupt):
        take(limit)
    stats = limit.stats()
    assert (stats.requests, stats.in_flight, stats.in_window) == (1, 0, 1), f"got {stats}"
    time.now += 10.0
    take_in_a_thread(limit)
    assert limit.stats().requests == 2, f"expected 2 requests, got {limit.stats()}"


# --- arguments ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"max_requests": 0}, "max_requests"),
        ({"max_requests": -1}, "max_requests"),
        ({"max_requests": 2.5}, "max_requests"),
        ({"max_requests": True}, "max_requests"),
        ({"window": 0}, "window"),
        ({"window": -5.0}, "window"),
        ({"window": math.nan}, "window"),
        ({"window": math.inf}, "window"),
        ({"window": "300"}, "window"),
        ({"max_concurrent": 0}, "max_concurrent"),
        ({"max_concurrent": None}, "max_concurrent"),
    ],
)
def test_invalid_arguments_are_refused_by_name(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(ValueError, match=f"'{name}'"):
        RateLimit(**{"max_requests": 10, "window": 10.0, "max_concurrent": 1, **kwargs})  # type: ignore[arg-type]


# --- a Business Central client against the fake -------------------------------------------------------------------
@contextmanager
def bc_client(
    fake: BusinessCentralFake, rate_limit: RateLimit | None, retry: RetryPolicy | None = None
) -> Iterator[BusinessCentralClient]:
    with mount(fake, "mock") as mounted:
        info = fake.info()
        with BusinessCentralClient(
            info["api"],
            info["company_id"],
            auth=BearerToken(info["token"]),
            transport=mounted.transport(),
            retry=retry or RetryPolicy.none(),
            rate_limit=rate_limit,
        ) as client:
            yield client


@pytest.mark.parametrize(
    ("client_limit", "waits"),
    [(3, [7.0]), (2, [8.0, 8.0])],
    ids=["client-limit-equal", "client-limit-lower"],
)
def test_the_client_limit_keeps_a_client_under_the_fakes_429(client_limit: int, waits: list[float]) -> None:
    clock = Clock(START, frozen=True)
    time = ClockTime(clock)
    fake = BusinessCentralFake(clock=clock, ids=IdSource(7), rate_limit=(3, 10.0))
    limit = RateLimit(
        max_requests=client_limit, window=10, max_concurrent=5, monotonic=time.monotonic, sleep=time.sleep
    )
    # No retries: a 429 from the fake would raise ThrottledError instead of being waited out.
    with bc_client(fake, limit) as client:
        for _ in range(5):
            client.companies()
            clock.advance(1)
    assert time.sleeps == waits, f"expected the client to wait {waits}, waited {time.sleeps}"
    assert fake.counts()["total"] == 5, f"expected the fake to count 5 requests, got {fake.counts()}"
    assert limit.stats().requests == 5, f"expected the limiter to count 5 requests, got {limit.stats()}"
    assert fake.internal_errors == [], f"the fake hit its own bugs: {fake.internal_errors}"


def test_without_the_client_limit_the_fake_refuses_the_fourth_request() -> None:
    clock = Clock(START, frozen=True)
    fake = BusinessCentralFake(clock=clock, ids=IdSource(7), rate_limit=(3, 10.0))
    with bc_client(fake, None) as client:
        for _ in range(3):
            client.companies()
        with pytest.raises(ThrottledError) as refused:
            client.companies()
    assert refused.value.code == "Application_TooManyRequests", f"expected BC's 429 code, got {refused.value.code}"
    assert fake.counts()["total"] == 4, f"expected the fake to count 4 requests, got {fake.counts()}"


def test_every_retry_takes_a_slot_of_its_own() -> None:
    clock = Clock(START, frozen=True)
    time = ClockTime(clock)
    fake = BusinessCentralFake(clock=clock, ids=IdSource(7), rate_limit=None)
    fake.add_fault(method="GET", path="*/companies", status=503, retry_after=1, times=2)
    limit = RateLimit(max_requests=2, window=10, max_concurrent=5, monotonic=time.monotonic, sleep=time.sleep)
    retry_sleeps: list[float] = []
    with bc_client(fake, limit, RetryPolicy(sleep=retry_sleeps.append, jitter=0.0)) as client:
        client.companies()
    assert retry_sleeps == [1.0, 1.0], f"expected two Retry-After waits, got {retry_sleeps}"
    assert limit.stats().requests == 3, f"expected 3 attempts through the limiter, got {limit.stats()}"
    assert time.sleeps == [10.0], f"expected the third attempt to wait out the window, waited {time.sleeps}"
    assert fake.counts()["total"] == 3, f"expected the fake to count 3 requests, got {fake.counts()}"


def test_processes_sharing_a_ledger_share_one_window(tmp_path: Path) -> None:
    time = FakeTime()
    ledger = tmp_path / "requests"
    # Two limiters stand for two processes of one run: the window is the run's, whichever process is busy.
    one, two = (RateLimit(3, 10.0, 5, monotonic=time.monotonic, sleep=time.sleep, ledger=ledger) for _ in range(2))
    take(one)
    take(one)
    take(two)
    assert time.sleeps == [], f"expected three requests in the window without a wait, found {time.sleeps}"
    take(two)
    assert time.sleeps == [10.0], f"expected the fourth start of the run to wait for the first to expire, {time.sleeps}"
    assert ledger.stat().st_size == 8, "expected the three expired starts dropped and the fourth recorded"


def test_a_request_started_inside_another_on_the_same_thread_reuses_its_slot() -> None:
    # A user's edit that a tripwire runs just before the sync's request is sent: with one slot per process it would
    # otherwise wait forever for the slot its own thread holds.
    limit = RateLimit(10, 10.0, 1)
    with limit.slot(), limit.slot():
        assert limit.stats().in_flight == 2, "expected both requests counted"
    stats = limit.stats()
    assert (stats.in_flight, stats.requests) == (0, 2), stats
    take_in_a_thread(limit)  # the slot was given back once, not twice (a BoundedSemaphore would have said so)
