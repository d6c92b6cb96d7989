"""The request limits the fakes enforce, by the tenant's clock: Business Central's sliding window per principal
(:class:`SlidingWindow`), and the fixed window assumed of CRMOffice (:class:`FixedWindowLimiter`, off by default)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from harness.fakes.clock import Clock

__all__ = ["FixedWindow", "FixedWindowLimiter", "SlidingWindow"]


class SlidingWindow:
    """At most ``requests`` per principal in any ``seconds``-long stretch of the tenant's clock. Refused requests do
    not count. Thread-safe: a fake on loopback serves requests from several threads at once."""

    def __init__(self, clock: Clock, requests: int, seconds: float) -> None:
        if requests < 1 or not seconds > 0:
            raise ValueError(f"a window needs at least 1 request and more than 0 s, got {requests} per {seconds}")
        self._clock = clock
        self.requests = requests
        self.seconds = seconds
        self._lock = threading.Lock()
        self._calls: dict[str, deque[float]] = {}

    def admit(self, principal: str) -> int | None:
        """None when the request may go ahead (and counts); otherwise how many it would make in the window."""
        now = self._clock.now().timestamp()
        with self._lock:
            calls = self._calls.setdefault(principal, deque())
            while calls and calls[0] <= now - self.seconds:
                calls.popleft()
            if len(calls) >= self.requests:
                return len(calls) + 1
            calls.append(now)
            return None

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()


@dataclass(frozen=True)
class FixedWindow:
    """A limit of ``requests`` per fixed window of ``per_seconds``, counted per access token."""

    requests: int
    per_seconds: float

    def __post_init__(self) -> None:
        if isinstance(self.requests, bool) or not isinstance(self.requests, int) or self.requests < 1:
            raise ValueError(f"rate limit 'requests' must be a whole number, at least 1; got {self.requests!r}")
        if not self.per_seconds > 0:
            raise ValueError(f"rate limit 'per_seconds' must be more than 0; got {self.per_seconds!r}")


class FixedWindowLimiter:
    """CRMOffice's assumed limit (its real one is unknown, so off until configured): a fixed window per principal —
    the first request opens a window of ``per_seconds``; within it, requests beyond ``requests`` are refused with the
    seconds left until the window closes (the 429's ``Retry-After``). Refused requests do not count."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[datetime, int]] = {}
        self.limit: FixedWindow | None = None

    def configure(self, limit: FixedWindow | None) -> None:
        with self._lock:
            self.limit = limit
            self._windows.clear()

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()

    def describe(self) -> str:
        limit = self.limit
        return "no limit" if limit is None else f"{limit.requests} requests per {limit.per_seconds:g} s"

    def admit(self, principal: str) -> float | None:
        """None when the request may go ahead; otherwise the seconds until the principal's window closes."""
        with self._lock:
            if self.limit is None:
                return None
            now = self._clock.now()
            length = timedelta(seconds=self.limit.per_seconds)
            start, used = self._windows.get(principal, (now, 0))
            if now >= start + length:
                start, used = now, 0
            if used >= self.limit.requests:
                return (start + length - now).total_seconds()
            self._windows[principal] = (start, used + 1)
            return None
