"""``harness.sync.watch``: the reference sync as a long-running product, between its cycles."""

from __future__ import annotations

import threading

from harness.client import ThrottledError
from harness.sync.report import SyncReport
from harness.sync.watch import watch


class RecordingStop(threading.Event):
    """A stop that records how long each wait between cycles was asked to be, and never waits."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(float(timeout or 0.0))
        return False


def _throttled(retry_after: float | None) -> ThrottledError:
    return ThrottledError(
        system="businesscentral",
        status=429,
        code="Application_TooManyRequests",
        message="Too many requests reached.",
        method="POST",
        url="/$batch",
        retry_after=retry_after,
    )


def _cycles(*failures: ThrottledError | None) -> list[float]:
    stop = RecordingStop()
    outcomes = iter(failures)

    def cycle(reconcile: bool) -> SyncReport:
        failure = next(outcomes)
        if failure is not None:
            raise failure
        return SyncReport(flows=[], reconciled=reconcile)

    watch(cycle, interval=0.3, reconcile_every=5, stop=stop, max_cycles=len(failures))
    return stop.waits


def test_a_cycle_throttled_past_its_retries_leaves_the_tenant_alone_for_its_retry_after() -> None:
    waits = _cycles(_throttled(7.0), None, None)
    assert waits[0] == 7.0, f"expected the next cycle after the tenant's Retry-After of 7 s, it waited {waits}"
    assert waits[1] == 0.3, "expected the plain interval after a cycle that went through"


def test_a_shorter_retry_after_than_the_interval_keeps_the_interval() -> None:
    assert _cycles(_throttled(0.1), None)[0] == 0.3
    assert _cycles(_throttled(None), None)[0] == 0.3
