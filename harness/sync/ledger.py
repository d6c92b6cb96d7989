"""What a run did and which records are failing: the run's report and the refusals on record (rule 9).

A refusal is written to the sync state (retried on every run until the record syncs) and to the report (which
system, code, property and message); a record refused in a run is not tried again in that run. A record that syncs
clears its refusal. Records that needed nothing are counted, not listed.
"""

from __future__ import annotations

from harness.client.errors import ApiError, ValidationError
from harness.sync.report import RecordOutcome, SyncReport
from harness.sync.state import Failure, Link, SyncState

__all__ = ["Ledger"]


class Ledger:
    def __init__(self, state: SyncState) -> None:
        self.state = state
        self.report = SyncReport()
        self._failing: set[tuple[str, str, str]] = set()  # (flow, side, record id) with a failure on record
        self._failed: set[tuple[str, str]] = set()  # (flow, origin id) refused in this run: not tried again in it
        self._unchanged: dict[str, set[str]] = {}

    def start(self, flows: list[str]) -> SyncReport:
        """A new run: a fresh report, nothing refused in it yet."""
        self.report = SyncReport(flows=flows)
        self._failed = set()
        self._unchanged = {flow: set() for flow in flows}
        return self.report

    def finish(self) -> None:
        """Count per flow the records that needed nothing (and were not written to after all)."""
        touched = {(outcome.flow, outcome.origin_id) for outcome in self.report.records}
        for flow, origin_ids in self._unchanged.items():
            self.report.unchanged[flow] = sum(1 for origin_id in origin_ids if (flow, origin_id) not in touched)

    def add(self, outcome: RecordOutcome) -> None:
        self.report.add(outcome)

    def unchanged(self, link: Link) -> None:
        self._unchanged[link.flow].add(link.origin_id)

    def failures(self, flow: str) -> list[Failure]:
        """The refusals on record for the flow, to try again."""
        failures = self.state.failures(flow)
        self._failing.update((f.flow, f.side, f.record_id) for f in failures)
        return failures

    def refused_in_run(self, flow: str, origin_id: str) -> bool:
        return (flow, origin_id) in self._failed

    def fail_with(self, flow: str, origin_id: str, target_id: str | None, side: str, error: ApiError) -> None:
        """A refusal the tenant explained: its system and, when known, the property it refused go in the report."""
        field = error.field if isinstance(error, ValidationError) else None
        self.fail(flow, origin_id, target_id, side, error.code, error.message, system=error.system, field=field)

    def fail(
        self,
        flow: str,
        origin_id: str,
        target_id: str | None,
        side: str,
        code: str,
        message: str,
        *,
        system: str | None = None,
        field: str | None = None,
    ) -> None:
        """``side``: the side whose record is the one to retry (``origin`` when the target refused the origin's
        values, ``target`` when the origin refused the target's)."""
        record_id = origin_id if side == "origin" else target_id or origin_id
        self._failed.add((flow, origin_id))
        self._failing.add((flow, side, record_id))
        self.state.record_failure(Failure(flow, side, record_id, code, message))
        error = {"system": system, "code": code, "field": field, "message": message, "side": side}
        self.report.add(RecordOutcome(flow, origin_id, target_id, "failed", error=error))

    def clear(self, flow: str, side: str, record_id: str) -> None:
        """The record synced: its refusal, if any, is over."""
        if (flow, side, record_id) in self._failing:
            self._failing.discard((flow, side, record_id))
            self.state.clear_failure(flow, side, record_id)
