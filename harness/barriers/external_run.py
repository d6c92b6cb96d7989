"""The run's side of an external sync: one barrier service for all scenarios, and the sweep at the end.

Started once per run (by the pytest controller, before any worker), on a connection of its own to the tenants:
its marker records are made at once, so the product links them while the first scenarios set up. At the end, a
last barrier lets the product finish whatever it was writing, then every record carrying the run's tag is removed
(markers, and any counterpart the product created after its scenario had cleaned up).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from harness.barriers.barrier import BarrierService
from harness.barriers.marker_records import TenantBoard
from harness.barriers.rpc import BarrierServer
from harness.settings import Settings
from harness.shared_tenants.cleanup import CleanupReport, cleanup, matcher
from harness.sync.plan import FlowPlan
from harness.tenants import TenantPair, connect, shared_rate_limit

__all__ = ["ExternalRun", "poll_interval"]


def poll_interval(converge_timeout: float) -> float:
    """How often the markers are looked at while someone waits: about 30 looks within the edit service level,
    between half a second and two seconds. Each look costs up to three requests, and Business Central allows 6,000
    requests per 5 minutes per principal, which the suite may share with the product itself."""
    return min(2.0, max(0.5, converge_timeout / 30))


@dataclass
class ExternalRun:
    pair: TenantPair
    service: BarrierService
    server: BarrierServer | None
    run_id: str

    @classmethod
    def start(
        cls,
        settings: Settings,
        plans: Sequence[FlowPlan],
        run_id: str,
        *,
        converge_timeout: float,
        full_sync_timeout: float,
        seed: int,
        workers: int = 0,
        allowance: Callable[[], float] | None = None,
    ) -> ExternalRun:
        """``workers``: the pytest-xdist workers that will ask for barriers over loopback (0: this process only);
        the service's Business Central limiter takes its share beside theirs. ``allowance``: the seconds of waiting
        injected trouble has imposed on the product so far (``harness proxy``), which stretch the service levels."""
        pair = connect(settings, rate_limit=shared_rate_limit(settings, shares=workers + 1))
        try:
            board = TenantBoard(pair, plans, run_id, seed=seed)
            service = BarrierService(
                board,
                converge_timeout=converge_timeout,
                full_sync_timeout=full_sync_timeout,
                poll=poll_interval(converge_timeout),
                allowance=allowance,
            )
        except BaseException:
            pair.close()
            raise
        service.start()
        return cls(pair, service, BarrierServer(service) if workers else None, run_id)

    def finish(self, *, last_barrier: bool = True) -> tuple[CleanupReport, str | None]:
        """The last barrier, then the sweep; returns what was removed and why the barrier failed (or was left out)."""
        problem = None if last_barrier else "left out: the run was interrupted"
        try:
            if last_barrier:
                self.service.wait("edits", "the run's final sweep")
        except (AssertionError, RuntimeError) as exc:
            problem = str(exc)
        finally:
            if self.server is not None:
                self.server.close()
            self.service.close()
        try:
            return cleanup(self.pair, matcher(run_id=self.run_id)), problem
        finally:
            self.pair.close()
