"""The sync under test, behind one interface: the harness's reference sync, or an external product to wait for.

The When-steps say "the sync runs"; which sync that is comes from ``--sync``. :class:`ReferenceSync` runs the
harness's own engine over a SQLite state file of the scenario. :class:`ExternalSync` runs nothing: another process
syncs the tenants, and a run is a barrier (:mod:`harness.barriers.barrier`): marker changes made after the scenario's
edits have crossed to the other side, so the product has read both tenants since those edits.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from harness.barriers.barrier import BarrierKind, BarrierResult
from harness.sync import SyncEngine, SyncReport, SyncState
from harness.sync.plan import FlowPlan
from harness.tenants import TenantPair

__all__ = ["Barriers", "ExternalSync", "ReferenceSync", "SyncRun", "SyncUnderTest"]


@dataclass
class SyncRun:
    """What one "the sync runs" produced: the reference sync's report, or the barrier an external one passed."""

    report: SyncReport | None
    seconds: float
    reconciled: bool = False
    full: bool = False
    """Whether the run was asked to read everything ("the full sync runs")."""
    writes: dict[str, int] | None = None
    """Writes each fake tenant received during the run (None when the tenants are real)."""
    served: dict[str, int] | None = None
    """Records each fake tenant served to reads during the run (None when the tenants are real)."""
    requests: dict[str, int] | None = None
    """Requests for data each fake tenant received during the run, token requests left out (None: real tenants)."""
    changed: bool | None = None
    """For an external sync: whether anything the scenario can see changed while waiting for it."""
    barrier: BarrierResult | None = None
    """For an external sync: the marker changes that crossed, and how long each took."""
    window: tuple[float, float] | None = None
    """For an external sync: when the wait began and ended (wall clock), to find the product's cycles within it."""


class SyncUnderTest(Protocol):
    kind: str

    def run(self, *, full: bool = False, flows: Collection[str] | None = None) -> SyncRun:
        """One "the sync runs"; ``flows``: the checklist sections the scenario depends on (None: all)."""
        ...

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

    def run(self, *, full: bool = False, flows: Collection[str] | None = None) -> SyncRun:
        # The reference sync runs every flow of the checklist: a scenario's other sections are empty anyway.
        state = SyncState(self.state_path)
        try:
            engine = SyncEngine(
                self.plans, self.pair.crmoffice, self.pair.businesscentral, state, new_id=self.new_id, scope=self.scope
            )
            report = engine.run(reconcile=True if full else None)
        finally:
            state.close()
        run = SyncRun(report, report.seconds, reconciled=report.reconciled, full=full)
        self.runs.append(run)
        return run

    def close(self) -> None:
        """Nothing to stop: the state file stays for the report and for a re-run."""


class Barriers(Protocol):
    """The run's barrier service, in this process or the controller's (:mod:`harness.barriers.rpc`)."""

    def wait(self, kind: BarrierKind, label: str = "", flows: Collection[str] | None = None) -> BarrierResult: ...


@dataclass
class ExternalSync:
    """Waits for another product's sync: a run returns once marker changes made after the call have crossed."""

    barriers: Barriers
    label: str = ""
    """Names the scenario in a timeout message."""
    kind: str = "external"
    runs: list[SyncRun] = field(default_factory=list)

    def run(self, *, full: bool = False, flows: Collection[str] | None = None) -> SyncRun:
        began = time.time()
        result = self.barriers.wait("full" if full else "edits", self.label, flows)
        run = SyncRun(None, result.waited, reconciled=full, full=full, barrier=result, window=(began, time.time()))
        self.runs.append(run)
        return run

    def close(self) -> None:
        """Nothing to stop: the external sync is not ours."""
