"""The retry policy: Retry-After parsing, exponential backoff with jitter, and its three bounds."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from harness.client import RetryPolicy, parse_retry_after
from harness.client.retry import RetryBudget


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        ("0.5", 0.5),
        ("-3", 0.0),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert parse_retry_after(header, now=now) == seconds


def test_backoff_doubles_up_to_its_cap_without_jitter() -> None:
    policy = RetryPolicy(attempts=8, backoff=0.5, backoff_max=4.0, jitter=0.0)
    assert [policy.wait(n, None) for n in range(1, 9)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0, None]


def test_jitter_only_shortens_the_wait() -> None:
    policy = RetryPolicy(backoff=1.0, jitter=0.5, rng=random.Random(1))
    waits = [policy.wait(1, None) for _ in range(50)]
    assert all(w is not None and 0.5 <= w <= 1.0 for w in waits), waits
    assert len(set(waits)) > 1, "jitter must vary the wait"


def test_retry_after_is_honoured_up_to_its_maximum() -> None:
    policy = RetryPolicy(max_retry_after=10)
    assert policy.wait(1, 9.5) == 9.5
    assert policy.wait(1, 11) is None


def test_the_budget_bounds_the_total_wait() -> None:
    budget = RetryBudget(RetryPolicy(attempts=10, budget=5.0, jitter=0.0, sleep=lambda s: None))
    waits = []
    while (delay := budget.next_wait(2.0)) is not None:
        waits.append(delay)
        budget.pause(delay)
    assert waits == [2.0, 2.0], f"two 2 s waits fit a 5 s budget, a third does not: {waits}"


def test_which_statuses_are_retried() -> None:
    policy = RetryPolicy()
    assert policy.retryable_status(429, idempotent=False)
    assert policy.retryable_status(503, idempotent=False)
    assert not policy.retryable_status(502, idempotent=False)
    assert policy.retryable_status(504, idempotent=True)
    assert not policy.retryable_status(500, idempotent=True)
    assert not policy.retryable_status(400, idempotent=True)


@pytest.mark.parametrize("kwargs", [{"attempts": 0}, {"backoff": -1}, {"jitter": 1.5}, {"budget": -1}])
def test_a_nonsensical_policy_is_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="RetryPolicy"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
