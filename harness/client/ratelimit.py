"""A client-side rate limit, so a client stays inside a vendor's published limits instead of learning them from 429s.

Vendors publish limits of two kinds — Business Central, for one, allows 6,000 requests per 5-minute sliding window and
5 concurrent requests per principal (:mod:`harness.businesscentral.limits`); past that it answers 429
``Application_TooManyRequests`` (or queues, then 503s). A :class:`RateLimit` keeps both kinds on the client's side,
with the numbers the vendor's ``limits`` module gives it:

- a sliding window of request start times: a request waits until fewer than ``max_requests`` started within the last
  ``window`` seconds. The wait is worked out from the oldest start in the window, then slept once (no polling);
- a semaphore capping the requests in flight at ``max_concurrent``.

The vendor counts per principal, so clients that share a principal should share one ``RateLimit`` (it is
thread-safe). Processes that share a principal (pytest-xdist workers) share the window through a *ledger*: a file
of request start times, read and rewritten under an exclusive ``flock`` (POSIX), so the whole run keeps to the limit
however unevenly its processes use it; ``time.monotonic`` is one system-wide clock on Linux, so their times compare.
Start times are taken when the client sends; the vendor counts on arrival, a little later, so at the
very edge of the window a client can run ahead of the vendor by its latency: leave a margin when that matters.
``monotonic`` and ``sleep`` are injectable so tests wait for nothing (a fake ``sleep`` must move the fake
``monotonic`` on, or a full window never empties).
"""

from __future__ import annotations

import fcntl
import math
import os
import threading
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RateLimit", "RateLimitStats"]


@dataclass(frozen=True)
class RateLimitStats:
    """What a limiter did, for reports. ``waited`` is ``window_waited + queue_waited`` (seconds)."""

    limited: bool
    max_requests: int
    window: float
    max_concurrent: int
    requests: int
    in_flight: int
    in_window: int
    queued: int
    window_waits: int
    window_waited: float
    queue_waited: float

    @property
    def waited(self) -> float:
        return self.window_waited + self.queue_waited


class RateLimit:
    """At most ``max_requests`` request starts per sliding ``window`` seconds and ``max_concurrent`` in flight."""

    def __init__(
        self,
        max_requests: int,
        window: float,
        max_concurrent: int,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        ledger: str | os.PathLike[str] | None = None,
    ) -> None:
        _check_count("max_requests", max_requests)
        _check_count("max_concurrent", max_concurrent)
        if isinstance(window, bool) or not isinstance(window, int | float) or not (0 < window < math.inf):
            raise ValueError(f"RateLimit 'window' must be a positive, finite number of seconds; got {window!r}")
        self.max_requests = max_requests
        self.window = float(window)
        self.max_concurrent = max_concurrent
        self._monotonic = monotonic
        self._sleep = sleep
        self.ledger = None if ledger is None else Path(ledger)
        self._limited = True
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._held = threading.local()
        self._starts: deque[float] = deque()
        self._requests = 0
        self._in_flight = 0
        self._queued = 0
        self._window_waits = 0
        self._window_waited = 0.0
        self._queue_waited = 0.0

    @classmethod
    def none(cls) -> RateLimit:
        """A limiter that never waits (it still counts requests, so reports read the same either way)."""
        limit = cls(1, 1.0, 1)  # the numbers are never consulted: nothing waits
        limit._limited = False
        return limit

    def __repr__(self) -> str:
        if not self._limited:
            return "RateLimit.none()"
        return (
            f"RateLimit(max_requests={self.max_requests}, window={self.window:g}, max_concurrent={self.max_concurrent})"
        )

    @property
    def waited(self) -> float:
        """Total seconds spent waiting, for the window and for a concurrency slot."""
        with self._lock:
            return self._window_waited + self._queue_waited

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Wait for a concurrency slot and room in the window; the slot is given back when the block ends."""
        if not self._limited:
            with self._lock:
                self._requests += 1
                self._in_flight += 1
            try:
                yield
            finally:
                with self._lock:
                    self._in_flight -= 1
            return
        # A synchronous client has one request on the wire per thread. A request started while this thread holds a
        # slot (a scenario's user edit run just before the sync's own request is sent) is not a second one in flight:
        # it reuses the slot, which also keeps it from waiting forever on the slot its own thread holds.
        nested = getattr(self._held, "depth", 0) > 0
        if not nested:
            self._acquire_slot()
        try:
            self._reserve_start()
            with self._lock:
                self._requests += 1
                self._in_flight += 1
        except BaseException:
            if not nested:
                self._slots.release()
            raise
        self._held.depth = getattr(self._held, "depth", 0) + 1
        try:
            yield
        finally:
            self._held.depth -= 1
            with self._lock:
                self._in_flight -= 1
            if not nested:
                self._slots.release()

    def stats(self) -> RateLimitStats:
        with self._lock:
            if self._limited:
                self._expire(self._monotonic())
            return RateLimitStats(
                limited=self._limited,
                max_requests=self.max_requests,
                window=self.window,
                max_concurrent=self.max_concurrent,
                requests=self._requests,
                in_flight=self._in_flight,
                in_window=len(self._starts),
                queued=self._queued,
                window_waits=self._window_waits,
                window_waited=self._window_waited,
                queue_waited=self._queue_waited,
            )

    def _acquire_slot(self) -> None:
        if self._slots.acquire(blocking=False):
            return
        with self._lock:
            self._queued += 1
        started = self._monotonic()
        try:
            self._slots.acquire()
        finally:
            with self._lock:
                self._queued -= 1
                self._queue_waited += max(0.0, self._monotonic() - started)

    def _reserve_start(self) -> None:
        # Loop only because another thread may take the room a sleep waited for; every pass sleeps a positive time.
        while True:
            with self._lock:
                now = self._monotonic()
                self._expire(now)
                if self.ledger is not None:
                    delay = self._reserve_in_ledger(self.ledger)
                    if delay <= 0:
                        self._starts.append(now)
                        return
                elif len(self._starts) < self.max_requests:
                    self._starts.append(now)
                    return
                else:
                    delay = self._starts[0] + self.window - now
            self._sleep(delay)
            with self._lock:
                self._window_waits += 1
                self._window_waited += delay

    def _reserve_in_ledger(self, path: Path) -> float:
        """Record a start in the shared ledger if the window has room (0.0), else the seconds until it will."""
        with path.open("a+b") as ledger:
            fcntl.flock(ledger, fcntl.LOCK_EX)  # released when the file is closed
            ledger.seek(0)
            data = ledger.read()
            starts = array("d")
            starts.frombytes(data[: len(data) - len(data) % starts.itemsize])
            now = self._monotonic()  # under the lock: no other process records a start between this and the write
            live = array("d", (start for start in starts if start + self.window > now))
            if len(live) >= self.max_requests:
                return min(live) + self.window - now
            live.append(now)
            ledger.seek(0)
            ledger.truncate()
            ledger.write(live.tobytes())
            return 0.0

    def _expire(self, now: float) -> None:
        # The same sum as the wait in _reserve_start, so an entry not yet expired always leaves a positive wait.
        while self._starts and self._starts[0] + self.window <= now:
            self._starts.popleft()


def _check_count(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"RateLimit {name!r} must be a whole number, at least 1; got {value!r}")
