"""Positive expectations after an external sync's barrier are polled, within the edit service level; otherwise once."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from harness.suite.expect import eventually


@dataclass
class FakeTime:
    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _holds_from(time: FakeTime, moment: float) -> object:
    def check() -> str:
        assert time.now >= moment, f"phoneNumber: expected '22 33 44 55', found None at {time.now:.1f} s"
        return "held"

    return check


def test_without_a_bound_it_is_checked_once() -> None:
    time = FakeTime()
    with pytest.raises(AssertionError, match=r"found None at 0\.0 s") as failure:
        eventually(_holds_from(time, 1.0), 0, sleep=time.sleep, clock=time.clock)  # type: ignore[arg-type]
    assert time.sleeps == [], f"expected no wait without a bound, found {time.sleeps}"
    assert "polling" not in str(failure.value), "expected the check's own message, nothing added"


def test_it_is_polled_with_growing_pauses_until_it_holds() -> None:
    time = FakeTime()
    assert eventually(_holds_from(time, 1.0), 15, sleep=time.sleep, clock=time.clock) == "held"  # type: ignore[arg-type]
    assert time.sleeps == pytest.approx([0.2, 0.3, 0.45, 0.675]), f"expected growing pauses, found {time.sleeps}"


def test_past_the_bound_the_last_failure_says_how_long_it_was_polled() -> None:
    time = FakeTime()
    with pytest.raises(AssertionError) as failure:
        eventually(_holds_from(time, 99.0), 5, sleep=time.sleep, clock=time.clock)  # type: ignore[arg-type]
    assert str(failure.value).startswith("phoneNumber: expected '22 33 44 55', found None"), str(failure.value)
    assert str(failure.value).endswith("(still so after polling for --converge-timeout 5 s)"), str(failure.value)
    assert time.now <= 5.0, f"expected no poll past the 5 s bound, the clock is at {time.now}"
