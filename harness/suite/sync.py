"""The sync under test, behind one interface: the harness's reference sync, or an external product to wait for.

The When-steps say "the sync runs"; which sync that is comes from ``--sync``. :class:`ReferenceSync` runs the
harness's own engine over a SQLite state file of the scenario. :class:`ExternalSync` runs nothing: another process
syncs the tenants, and a run is "the tenants have been quiet for a settle period" (bounded by a timeout), judged by
polling what the scenario can see of both tenants.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from harness.sync import SyncEngine, SyncReport, SyncState
from harness.sync.plan import FlowPlan
from harness.tenants import TenantPair

__all__ = ["ConvergenceTimeout", "ExternalSync", "ReferenceSync", "SyncRun", "SyncUnderTest"]


class ConvergenceTimeout(AssertionError):
    """An external sync did not settle within its bound; the message says how long and what still changed."""


@dataclass
class SyncRun:
    """What one "the sync runs" produced: the reference sync's report, or how long an external one took to settle."""

    report: SyncReport | None
    seconds: float
    reconciled: bool = False
    polls: int = 0
    writes: dict[str, int] | None = None
    """Writes each fake tenant received during the run (None when the tenants are real)."""
    changed: bool | None = None
    """For an external sync: whether anything the scenario can see changed while waiting for it."""


class SyncUnderTest(Protocol):
    kind: str

    def run(self, *, full: bool = False) -> SyncRun: ...

    def close(self) -> None: ...


@dataclass
class ReferenceSync:
    """The harness's engine; ``full`` also reconciles (finds deletes), as the first run of a fresh state does."""

    plans: Sequence[FlowPlan]
    pair: TenantPair
    state_path: Path
    new_id: Callable[[], str] | None = None
    scope: Callable[[Mapping[str, Any]], bool] | None = None
    """On shared tenants: the CRMOffice records this scenario's sync may touch (its own)."""
    kind: str = "reference"
    runs: list[SyncRun] = field(default_factory=list)

    def run(self, *, full: bool = False) -> SyncRun:
        state = SyncState(self.state_path)
        try:
            engine = SyncEngine(
                self.plans, self.pair.crmoffice, self.pair.businesscentral, state, new_id=self.new_id, scope=self.scope
            )
            report = engine.run(reconcile=True if full else None)
        finally:
            state.close()
        run = SyncRun(report, report.seconds, reconciled=report.reconciled)
        self.runs.append(run)
        return run

    def close(self) -> None:
        """Nothing to stop: the state file stays for the report and for a re-run."""


@dataclass
class ExternalSync:
    """Waits for another product's sync: done when ``observe()`` has not changed for ``settle`` seconds.

    ``observe`` returns a fingerprint of everything the scenario can see on both tenants (its records and their
    modification times). The wait is bounded by ``timeout``; the clock and sleep are injectable for tests.
    """

    observe: Callable[[], Hashable]
    timeout: float = 120.0
    settle: float = 5.0
    interval: float = 0.5
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    kind: str = "external"
    runs: list[SyncRun] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 0 < self.interval <= self.settle <= self.timeout:
            raise ValueError(
                f"need 0 < interval ({self.interval}) <= settle ({self.settle}) <= timeout ({self.timeout}) seconds"
            )

    def run(self, *, full: bool = False) -> SyncRun:
        started = self.monotonic()
        last = self.observe()
        quiet_since = started
        polls = 1
        while True:
            now = self.monotonic()
            if now - quiet_since >= self.settle:
                run = SyncRun(None, now - started, reconciled=full, polls=polls)
                self.runs.append(run)
                return run
            if now - started >= self.timeout:
                raise ConvergenceTimeout(
                    f"the external sync did not settle: the tenants still changed after {now - started:.1f} s "
                    f"(bound {self.timeout:g} s, settle period {self.settle:.1f} s, {polls} polls)"
                )
            self.sleep(self.interval)
            current = self.observe()
            polls += 1
            if current != last:
                last, quiet_since = current, self.monotonic()

    def close(self) -> None:
        """Nothing to stop: the external sync is not ours."""
