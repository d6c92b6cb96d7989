"""``ExternalSync``: waiting for another product's sync to settle, on an injected clock (nothing really sleeps)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

import pytest

from harness.suite.sync import ConvergenceTimeout, ExternalSync


@dataclass
class FakeTime:
    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _external(
    time: FakeTime,
    observe: Callable[[], Hashable],
    *,
    interval: float = 1.0,
    settle: float = 3.0,
    timeout: float = 10.0,
) -> ExternalSync:
    return ExternalSync(
        observe, timeout=timeout, settle=settle, interval=interval, monotonic=time.monotonic, sleep=time.sleep
    )


def test_a_quiet_tenant_pair_settles_after_the_settle_period() -> None:
    time = FakeTime()
    sync = _external(time, lambda: "same")
    run = sync.run()
    assert (run.seconds, run.polls, run.report) == (3.0, 4, None), (
        f"expected settled after 3.0 s and 4 polls with no report, found {run.seconds} s, {run.polls} polls"
    )
    assert time.sleeps == [1.0, 1.0, 1.0], f"expected three sleeps of the interval, found {time.sleeps}"
    assert sync.runs == [run], f"expected the run recorded, found {sync.runs}"


def test_full_is_passed_on_as_reconciled() -> None:
    run = _external(FakeTime(), lambda: 1).run(full=True)
    assert run.reconciled, "expected a full run to be reported as reconciled"


def test_a_change_restarts_the_quiet_period() -> None:
    time = FakeTime()
    sync = _external(time, lambda: "before" if time.now < 2 else "after")
    run = sync.run()
    assert run.seconds == 5.0, f"expected settled 3 s after the change at 2 s, i.e. at 5.0 s, found {run.seconds}"
    assert time.now == 5.0, f"expected the clock at 5.0 s, found {time.now}"


def test_every_change_restarts_the_quiet_period() -> None:
    time = FakeTime()
    changes = {2.0: "b", 4.0: "c", 6.0: "d"}
    seen: list[str] = ["a"]

    def observe() -> str:
        seen.append(changes.get(time.now, seen[-1]))
        return seen[-1]

    run = _external(time, observe).run()
    assert run.seconds == 9.0, f"expected settled 3 s after the last change at 6 s, found {run.seconds}"


def test_a_tenant_pair_that_keeps_changing_times_out_naming_the_bound() -> None:
    time = FakeTime()
    sync = _external(time, lambda: time.now, timeout=10.0)
    with pytest.raises(ConvergenceTimeout) as raised:
        sync.run()
    message = str(raised.value)
    assert "bound 10 s" in message, f"expected the 10 s bound named, found {message!r}"
    assert "settle period 3.0 s" in message, f"expected the settle period named, found {message!r}"
    assert time.now == 10.0, f"expected to give up at the bound, 10.0 s, found {time.now}"
    assert sync.runs == [], f"expected no run recorded after a timeout, found {sync.runs}"


def test_a_timeout_is_an_assertion_error() -> None:
    assert issubclass(ConvergenceTimeout, AssertionError), "expected a failed scenario, not a broken one"


@pytest.mark.parametrize(
    ("interval", "settle", "timeout"),
    [(0.0, 3.0, 10.0), (-1.0, 3.0, 10.0), (4.0, 3.0, 10.0), (1.0, 11.0, 10.0), (1.0, 3.0, 2.0)],
)
def test_inconsistent_interval_settle_and_timeout_are_refused(interval: float, settle: float, timeout: float) -> None:
    with pytest.raises(ValueError, match=r"need 0 < interval .* <= settle .* <= timeout") as raised:
        _external(FakeTime(), lambda: 1, interval=interval, settle=settle, timeout=timeout)
    message = str(raised.value)
    for value in (interval, settle, timeout):
        assert f"({value})" in message, f"expected {value} named in {message!r}"


def test_equal_interval_settle_and_timeout_are_accepted() -> None:
    time = FakeTime()
    run = _external(time, lambda: 1, interval=2.0, settle=2.0, timeout=2.0).run()
    assert run.seconds == 2.0, f"expected settled after one interval, found {run.seconds}"
