"""The reference sync as a long-running process: a cycle every ``interval`` seconds until told to stop.

It stands in for the sync product when the checklist suite runs with ``--sync external``. A stop request (SIGINT,
SIGTERM) is honoured between cycles: the cycle in progress finishes and commits, so stopping never loses state, and
the wait between cycles ends at once. Every ``reconcile_every`` cycles one reads everything, to find deletes.
A cycle that fails on the tenants (unreachable, throttled past every retry) is reported and the next one tries
again, after the ``Retry-After`` the tenant gave if that is longer than the interval; it loses nothing, as every run
resumes from committed state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from harness.client import TenantError
from harness.sync.report import SyncReport

__all__ = ["WatchStats", "watch"]


@dataclass
class WatchStats:
    cycles: int = 0
    failed_cycles: int = 0
    writes: int = 0
    record_failures: int = 0


def watch(
    run_cycle: Callable[[bool], SyncReport],
    *,
    interval: float,
    reconcile_every: int,
    stop: threading.Event,
    on_cycle: Callable[[int, SyncReport | None, Exception | None], None] = lambda n, r, e: None,
    max_cycles: int | None = None,
) -> WatchStats:
    """Run ``run_cycle(reconcile)`` until ``stop`` is set (or ``max_cycles``); returns what was done."""
    if interval < 0:
        raise ValueError(f"interval must not be negative, got {interval}")
    if reconcile_every < 1:
        raise ValueError(f"reconcile_every must be at least 1, got {reconcile_every}")
    stats = WatchStats()
    while not stop.is_set() and (max_cycles is None or stats.cycles < max_cycles):
        reconcile = stats.cycles % reconcile_every == 0
        stats.cycles += 1
        pause = interval
        try:
            report = run_cycle(reconcile)
        except TenantError as exc:
            stats.failed_cycles += 1
            on_cycle(stats.cycles, None, exc)
            # A tenant that asked to be left alone for a while is: the next cycle waits out its Retry-After.
            pause = max(interval, getattr(exc, "retry_after", None) or 0.0)
        else:
            stats.writes += report.writes
            stats.record_failures += len(report.failures)
            on_cycle(stats.cycles, report, None)
        if max_cycles is not None and stats.cycles >= max_cycles:
            break
        stop.wait(pause)
    return stats
