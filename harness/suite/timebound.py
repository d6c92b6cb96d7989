"""A bound on a scenario's time, so a hung sync (or product, or tenant) fails its scenario instead of stalling the run.

A sync that loops forever, or a tenant that never answers past every retry, would otherwise hold a worker until CI
kills the whole job, with no report. :func:`time_bound` raises :class:`ScenarioTimeout` in the main thread when a
block outlasts its bound (``SIGALRM``; pytest and its xdist workers run scenarios in the main thread), naming where
the scenario was. It is an assertion: a scenario that cannot finish is a product failure, and the run goes on to the
next scenario, the report and the sign-off.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["ScenarioTimeout", "time_bound"]


class ScenarioTimeout(AssertionError):
    """A scenario outlasted its bound; the message names the bound and the step it was at."""


@contextmanager
def time_bound(seconds: float, where: Callable[[], str], option: str = "--scenario-timeout") -> Iterator[None]:
    """Raise :class:`ScenarioTimeout` if the block runs longer than ``seconds`` (0: no bound; outside the main
    thread, where no signal can reach, no bound either)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise ScenarioTimeout(
            f"the scenario did not finish within its bound of {seconds:g} s ({option}); it was at: {where()}"
        )

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
