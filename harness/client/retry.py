"""A bounded retry policy for throttling, gateway errors, timeouts and dropped connections.

What is retried, and why:

- 429 and 503: the tenant refused the request before doing it, so any request may be sent again. ``Retry-After``
  (seconds or an HTTP date) is honoured; without it the wait grows exponentially.
- 502 and 504, read timeouts, dropped connections: the request may have been applied, so only an *idempotent* request
  is sent again (GET, DELETE, PUT, a conditional PATCH, or a call that says it is idempotent, such as a create with a
  client-chosen id). A write that may have landed raises :class:`~harness.client.errors.TransportError` with
  ``maybe_applied=True`` instead, for the caller to reconcile.
- A refused or timed-out connect: the request never left, so it is always retried.

The policy is bounded three ways: attempts, the longest single wait, and the total wait per call.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from harness.client.timestamps import http_date

__all__ = ["RetryBudget", "RetryPolicy", "parse_retry_after"]

RETRY_ANY_STATUS = frozenset({429, 503})
RETRY_IDEMPOTENT_STATUS = frozenset({502, 504})


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        moment = http_date(text)
        if moment is None:
            return None
        seconds = (moment - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` counts the first try. ``sleep`` and ``rng`` are injectable so tests wait for nothing."""

    attempts: int = 5
    backoff: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 120.0
    budget: float = 300.0
    jitter: float = 0.2
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"RetryPolicy.attempts must be at least 1, got {self.attempts}")
        if self.backoff < 0 or self.backoff_max < 0 or self.budget < 0 or self.max_retry_after < 0:
            raise ValueError("RetryPolicy waits and budget must not be negative")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"RetryPolicy.jitter is a fraction between 0 and 1, got {self.jitter}")

    @classmethod
    def none(cls) -> RetryPolicy:
        """Never retry: for tests that want to see the first answer."""
        return cls(attempts=1)

    def retryable_status(self, status: int, *, idempotent: bool) -> bool:
        return status in RETRY_ANY_STATUS or (idempotent and status in RETRY_IDEMPOTENT_STATUS)

    def wait(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before try ``attempt + 1`` (``attempt`` counts from 1), or None to give up now."""
        if attempt >= self.attempts:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        delay = min(self.backoff_max, self.backoff * 2.0 ** (attempt - 1))
        if self.jitter:
            delay *= 1 - self.jitter * self.rng.random()
        return delay


class RetryBudget:
    """Counts a single call's waits against the policy's total budget."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.attempt = 1
        self.waited = 0.0

    def next_wait(self, retry_after: float | None) -> float | None:
        delay = self.policy.wait(self.attempt, retry_after)
        if delay is None or self.waited + delay > self.policy.budget:
            return None
        return delay

    def pause(self, delay: float) -> None:
        if delay > 0:
            self.policy.sleep(delay)
        self.waited += delay
        self.attempt += 1
