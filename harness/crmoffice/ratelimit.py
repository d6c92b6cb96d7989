"""An optional rate limit per access token, by the tenant's clock (CRMOffice's real limits are unknown: off by default).

A fixed window per principal: the first request opens a window of ``per_seconds``; within it, requests beyond
``requests`` are refused with the seconds left until the window closes (the 429's ``Retry-After``). Refused requests
do not count.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from harness.fakes.clock import Clock

__all__ = ["FixedWindow", "RateLimiter"]


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


class RateLimiter:
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
