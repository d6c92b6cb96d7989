"""The reference sync: one run brings the two tenants to the state the checklist and Sesam Talk's rules imply.

A run:

1. completes the creates a previous run left in flight (the journal), so a crash never costs a duplicate;
2. passes over every flow until a pass writes nothing (bounded): read the target's changes since its cursor (or
   everything, when reconciling), stream the origin's changes page by page, decide each record, write, commit;
3. on a reconciling pass also finds deletes: a vanished origin retires its link (its counterpart is left alone), a
   vanished counterpart is created again (rule 6).

A cycle costs what changed (rule 11): a read asks only for records modified since the cursor, less a short overlap
(records stamped in the same millisecond as the newest one seen may still have been in flight). The cursor moves to
the newest modification read or, when the tenant's own clock (its ``Date`` header at the read) was already further
on, to that clock less ``commit_lag``: everything stamped before it had been committed when the read ran, so a quiet
cycle does not read the last burst of writes again and again.

The parts: :mod:`~harness.sync.merge` decides each linked pair (pure); :mod:`~harness.sync.batch` writes to Business
Central in ``$batch`` requests, creates journalled first; :mod:`~harness.sync.conditional` writes to CRMOffice one
record at a time, conditionally on the version just read; :mod:`~harness.sync.links` keeps the links a run works
with; :mod:`~harness.sync.ledger` keeps the report and the refusals. A value a tenant refuses fails that record only
(recorded, reported, retried on the next run). Transport trouble that outlasts the clients' retries ends the run with
the exception; nothing uncommitted is lost and the next run resumes.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from harness.businesscentral.client import BatchOperation, BusinessCentralClient
from harness.businesscentral.dataflow import creation_defaults
from harness.client.errors import NotFoundError
from harness.client.guids import time_ordered_guid
from harness.crmoffice.client import CRMOfficeClient
from harness.crmoffice.dataflow import display_name
from harness.sync.batch import BatchWriter, PendingWrite, WriteKind, create
from harness.sync.conditional import ConditionalWriter, Moved, Outcome
from harness.sync.ledger import Ledger
from harness.sync.links import LinkCache
from harness.sync.merge import PairDecision, decide_pair, is_empty, normalise
from harness.sync.plan import ORIGIN_SYSTEM, TARGET_SYSTEM, FlowPlan
from harness.sync.records import TargetRecord, target_record, when
from harness.sync.report import RecordOutcome, SyncReport
from harness.sync.state import Failure, Link, SyncState

__all__ = ["SyncEngine"]


class SyncEngine:
    def __init__(
        self,
        plans: Sequence[FlowPlan],
        crmoffice: CRMOfficeClient,
        businesscentral: BusinessCentralClient,
        state: SyncState,
        *,
        overlap: timedelta = timedelta(milliseconds=200),
        commit_lag: timedelta = timedelta(seconds=5),
        max_passes: int = 4,
        target_page_size: int = 5_000,
        conflict_rounds: int = 3,
        new_id: Callable[[], str] | None = None,
        scope: Callable[[Mapping[str, Any]], bool] | None = None,
    ) -> None:
        """``scope``: when given, only CRMOffice records it accepts are synced (a test run's own records on shared
        sandbox tenants); the others are neither created, linked nor retired. ``commit_lag``: how far behind a
        tenant's stated time (its ``Date`` header) a modification must be to count as committed when a read ran — a
        margin for writes in flight and for a front end's clock running ahead of the database's stamps.
        ``conflict_rounds``: how often a record changed under a write is read and decided again before it fails.
        ``target_page_size``: records per page of Business Central's changes. Its maximum, 20,000, takes a quarter
        of the requests but holds four times as much at once, on the tenant's side of an in-process fake as on the
        sync's; a first sync reads back every record it created."""
        self.plans = list(plans)
        self.crm = crmoffice
        self.bc = businesscentral
        self.state = state
        self.overlap = overlap
        self.commit_lag = commit_lag
        self.max_passes = max_passes
        self.target_page_size = target_page_size
        self.new_id = new_id or time_ordered_guid
        self.scope = scope
        self.links = LinkCache(state)
        self.ledger = Ledger(state)
        self.batch = BatchWriter(businesscentral, state, self.links, self.ledger, conflict_rounds=conflict_rounds)
        self.conditional = ConditionalWriter(crmoffice, self.links, self.ledger, conflict_rounds=conflict_rounds)

    # --- the run ----------------------------------------------------------------------------------------------
    def run(self, *, reconcile: bool | None = None) -> SyncReport:
        """One sync cycle. ``reconcile``: read everything to find deletes (default: only when never reconciled)."""
        with _fewer_collections():
            return self._run(reconcile)

    def _run(self, reconcile: bool | None) -> SyncReport:
        started = time.perf_counter()
        sent_before = (sum(self.crm.sent.values()), sum(self.bc.sent.values()))
        report = self.ledger.start([plan.key for plan in self.plans])
        full = reconcile if reconcile is not None else self.state.meta("reconciled_at") is None
        # Links are read from the state as records come by (a page at a time), all of them only to reconcile.
        self.links.start(plan.key for plan in self.plans)
        self.batch.start()
        self.batch.resume(self.plans)
        self._flush(final=True)
        for number in range(1, self.max_passes + 1):
            writes = report.writes
            for plan in self.plans:
                self._pass(plan, full=full and number == 1)
            report.passes = number
            if full and number == 1:
                report.reconciled = True
                with self.state.transaction():
                    self.state.set_meta("reconciled_at", datetime.now().astimezone().isoformat())
            if report.writes == writes:
                break
        self.ledger.finish()
        report.requests = {
            ORIGIN_SYSTEM: sum(self.crm.sent.values()) - sent_before[0],
            TARGET_SYSTEM: sum(self.bc.sent.values()) - sent_before[1],
        }
        report.seconds = time.perf_counter() - started
        return report

    # --- one pass over one flow -------------------------------------------------------------------------------
    def _pass(self, plan: FlowPlan, *, full: bool) -> None:
        if full:
            self.links.load_all(plan.key)
        target_entity = f"{plan.target} ({plan.key})"
        origin_entity = f"{plan.origin} ({plan.key})"
        since = None if full else self._since(TARGET_SYSTEM, target_entity)
        failures = self.ledger.failures(plan.key)
        failing = {failure.record_id for failure in failures if failure.side == "target"}
        targets, newest_target, target_read_at = self._read_targets(plan, since, drop_as_linked=not full, keep=failing)
        for failure in failures:
            if failure.side == "target" and failure.record_id not in targets:
                self._fetch_target(plan, failure.record_id, targets)
        # After the refused records are fetched, so their links are found and they are tried again (rule 9).
        by_target = {link.target_id: link for link in self.links.by_target(plan.key, targets) if link.live}
        seen, newest_origin, origin_read_at = self._read_origins(plan, targets, full=full)
        self._retry_origins(
            plan, [f for f in failures if f.side == "origin" and f.record_id not in seen], seen, targets
        )
        self._pair_unseen_origins(plan, targets, by_target, seen)
        if full:
            for link in self.links.every(plan.key):
                if link.live and link.origin_id not in seen:
                    self._retire(plan, link)
        self._flush(final=True)
        with self.state.transaction():
            self.batch.save()
            if (position := self._position(newest_origin, origin_read_at)) is not None:
                self.state.set_cursor(ORIGIN_SYSTEM, origin_entity, position)
            if (position := self._position(newest_target, target_read_at)) is not None:
                self.state.set_cursor(TARGET_SYSTEM, target_entity, position)

    def _read_origins(
        self, plan: FlowPlan, targets: dict[str, TargetRecord], *, full: bool
    ) -> tuple[set[str], datetime | None, datetime | None]:
        """Decide every origin record modified since the cursor (all of them when ``full``), a page at a time.
        Returns the ids read, the newest modification among them, and the tenant's clock when the read began."""
        seen: set[str] = set()
        newest: datetime | None = None
        read_at: datetime | None = None
        since = None if full else self._since(ORIGIN_SYSTEM, f"{plan.origin} ({plan.key})")
        for number, page in enumerate(self.crm.pages(plan.origin, since)):
            if number == 0:
                read_at = self.crm.server_time
            self.links.by_origin(plan.key, [record["id"] for record in page])
            for record in page:
                seen.add(record["id"])
                modified = when(record.get("updatedAt"))
                if modified is not None and (newest is None or modified > newest):
                    newest = modified
                if self.scope is not None and not self.scope(record):
                    continue
                self._origin_record(plan, record, targets, full=full)
                self._flush()
        return seen, newest, read_at

    def _retry_origins(
        self, plan: FlowPlan, failures: list[Failure], seen: set[str], targets: dict[str, TargetRecord]
    ) -> None:
        """Origin records that failed before and were not read in this pass: fetched and decided again (rule 9)."""
        for failure in failures:
            try:
                fetched = self.crm.get(plan.origin, failure.record_id)
            except NotFoundError:
                self.state.clear_failure(failure.flow, failure.side, failure.record_id)
                continue
            seen.add(failure.record_id)
            self.links.by_origin(plan.key, [failure.record_id])
            self._origin_record(plan, fetched.record, targets, full=False)

    def _pair_unseen_origins(
        self, plan: FlowPlan, targets: dict[str, TargetRecord], by_target: dict[str, Link], seen: set[str]
    ) -> None:
        """Target records changed since the cursor whose origin was not read: decided against the last synced values
        (the origin side unchanged)."""
        for target_id, target in targets.items():
            link = by_target.get(target_id)
            if link is None or link.origin_id in seen or not link.live:
                continue  # a Business Central record of its own (rule 7), or already decided with its origin
            if self.ledger.refused_in_run(plan.key, link.origin_id):
                continue  # refused in this run: tried again in the next one, not in every pass of this one
            origin_values = {pair.origin: link.synced.get(pair.target) for pair in plan.pairs}
            self._pair(plan, link, origin_values, link.origin_modified, target)

    def _since(self, system: str, entity: str) -> datetime | None:
        cursor = self.state.cursor(system, entity)
        return cursor - self.overlap if cursor is not None else None

    def _position(self, newest: datetime | None, read_at: datetime | None) -> datetime | None:
        """Where a cursor may move after a committed pass: the newest modification read, or the tenant's clock at
        the read less ``commit_lag`` when that is later (None: nothing learned, the cursor stays)."""
        settled = read_at - self.commit_lag if read_at is not None else None
        if newest is None or settled is None:
            return newest or settled
        return max(newest, settled)

    def _read_targets(
        self, plan: FlowPlan, since: datetime | None, *, drop_as_linked: bool, keep: set[str]
    ) -> tuple[dict[str, TargetRecord], datetime | None, datetime | None]:
        """The target records modified since ``since``, the newest modification among them, and the tenant's clock
        when the read began.

        With ``drop_as_linked`` (a pass that does not reconcile), a record that is exactly what its link says (the
        version and values the sync last wrote or read) is counted unchanged and not kept: deciding it against its
        link alone gives the same answer. Most records a pass reads after the sync's own writes are those writes read
        back, and a first sync would otherwise hold all of them at once. Ids in ``keep`` (records refused on record,
        to try again) are always kept."""
        select = ["id", "lastModifiedDateTime", *plan.target_properties]
        targets: dict[str, TargetRecord] = {}
        newest: datetime | None = None
        read_at: datetime | None = None
        pages = self.bc.pages(
            plan.target,
            since,
            inclusive=True,
            page_size=self.target_page_size,
            filter=plan.target_filter,
            select=select,
        )
        for number, page in enumerate(pages):
            if number == 0:
                read_at = self.bc.server_time
            links = self._links_of(plan, page) if drop_as_linked else {}
            for record in page:
                target = target_record(plan, record)
                if target.modified is not None and (newest is None or target.modified > newest):
                    newest = target.modified
                link = links.get(record["id"])
                if link is not None and record["id"] not in keep and _as_linked(target, link):
                    self.ledger.unchanged(link)
                    continue
                targets[record["id"]] = target
        return targets, newest, read_at

    def _links_of(self, plan: FlowPlan, page: list[dict[str, Any]]) -> dict[str, Link]:
        return {link.target_id: link for link in self.links.by_target(plan.key, [r["id"] for r in page]) if link.live}

    def _fetch_target(self, plan: FlowPlan, target_id: str, targets: dict[str, TargetRecord]) -> None:
        try:
            fetched = self.bc.get(plan.target, target_id)
        except NotFoundError:
            return
        targets[target_id] = target_record(plan, fetched.record, fetched.etag)

    # --- deciding ---------------------------------------------------------------------------------------------
    def _origin_record(
        self, plan: FlowPlan, record: Mapping[str, Any], targets: dict[str, TargetRecord], *, full: bool
    ) -> None:
        origin_id = str(record["id"])
        if self.ledger.refused_in_run(plan.key, origin_id):
            return
        modified = when(record.get("updatedAt"))
        values = {pair.origin: normalise(record.get(pair.origin)) for pair in plan.pairs}
        link = self.links.get(plan.key, origin_id)
        if link is None:
            if self.batch.creating(plan.key, origin_id):
                return
            self._create(plan, origin_id, display_name(plan.origin, record), values, modified)
            return
        if not link.live:
            return
        target = targets.get(link.target_id)
        if target is None and full:
            self._create(plan, origin_id, display_name(plan.origin, record), values, modified, recreate=True)
            return
        self._pair(plan, link, values, modified, target)

    def _create(
        self,
        plan: FlowPlan,
        origin_id: str,
        name: str,
        values: Mapping[str, Any],
        modified: datetime | None,
        *,
        recreate: bool = False,
    ) -> None:
        """Queue a create of the origin record's counterpart, with an id chosen now (journalled before it is sent)."""
        target_id = self.new_id()
        body: dict[str, Any] = {"id": target_id, **creation_defaults(name, plan.target_type)}
        synced: dict[str, Any] = {}
        for pair in plan.pairs:
            value = values.get(pair.origin)
            synced[pair.target] = value
            if not is_empty(value):
                body[pair.target] = value
        op = BatchOperation("POST", plan.target, body=body)
        self.batch.queue(create(plan, origin_id, target_id, op, synced, dict(values), modified, recreate=recreate))

    def _pair(
        self,
        plan: FlowPlan,
        link: Link,
        origin_values: Mapping[str, Any],
        origin_modified: datetime | None,
        target: TargetRecord | None,
        *,
        round: int = 0,
    ) -> None:
        """Decide a linked pair property by property; write the origin's values, queue the target's write. An
        origin found changed when it is written is decided again on what it holds then."""
        target_values = target.values if target else {p.target: link.synced.get(p.target) for p in plan.pairs}
        target_modified = target.modified if target else link.target_modified
        while True:
            decided = decide_pair(
                plan.pairs, origin_values, target_values, link.synced, origin_modified, target_modified
            )
            self._note_versions(link, target, None if decided.to_origin else origin_modified)
            if not decided.to_target and not decided.to_origin:
                self._in_sync(link, decided.settled)
                return
            if decided.to_origin:
                written = self._write_origin(plan, link, decided, origin_values, round=round)
                if isinstance(written, Moved):
                    origin_values, origin_modified, round = written.values, written.modified, written.round
                    continue
                if not written or not decided.to_target:
                    return
            self.batch.queue(self._update(plan, link, decided, origin_values, origin_modified, target, round=round))
            return

    def _note_versions(self, link: Link, target: TargetRecord | None, origin_modified: datetime | None) -> None:
        """Remember the versions just read (an origin about to be written is remembered once written instead)."""
        if target is not None and (target.etag != link.target_etag or target.modified != link.target_modified):
            link.target_etag, link.target_modified = target.etag or link.target_etag, target.modified
            self.links.touch(link)
        if origin_modified is not None and origin_modified != link.origin_modified:
            link.origin_modified = origin_modified
            self.links.touch(link)

    def _in_sync(self, link: Link, settled: Mapping[str, Any]) -> None:
        """A pair that needs no write: remember the values both sides now agree on."""
        if any(link.synced.get(key) != value for key, value in settled.items()):
            link.synced.update(settled)
            self.links.touch(link)
        self.ledger.unchanged(link)

    def _write_origin(
        self, plan: FlowPlan, link: Link, decided: PairDecision, origin_values: Mapping[str, Any], *, round: int
    ) -> Moved | bool:
        """Write the target's winning values to CRMOffice. False: not written (its link retired, or it failed)."""
        outcome = self.conditional.write(plan, link, decided.to_origin, origin_values, round=round)
        if isinstance(outcome, Moved):
            return outcome
        if outcome is Outcome.GONE:
            self._retire(plan, link)
        if outcome is not Outcome.WRITTEN:
            return False
        link.synced.update(decided.settled)
        if not decided.to_target:
            done = tuple(change for change in decided.changes if change.direction == "target->origin")
            conflicts = tuple(decided.conflicts)
            self.ledger.add(RecordOutcome(plan.key, link.origin_id, link.target_id, "updated", done, conflicts))
        return True

    def _update(
        self,
        plan: FlowPlan,
        link: Link,
        decided: PairDecision,
        origin_values: Mapping[str, Any],
        origin_modified: datetime | None,
        target: TargetRecord | None,
        *,
        round: int,
    ) -> PendingWrite:
        """The Business Central update a decision needs, conditional on the version last read."""
        etag = (target.etag if target else None) or link.target_etag or "*"
        return PendingWrite(
            plan,
            WriteKind.UPDATE,
            link.origin_id,
            link.target_id,
            BatchOperation("PATCH", plan.target, link.target_id, decided.to_target, etag=etag),
            {**link.synced, **decided.settled, **decided.to_target},
            dict(origin_values),
            origin_modified,
            changes=decided.changes,
            conflicts=decided.conflicts,
            round=round,
        )

    def _retire(self, plan: FlowPlan, link: Link) -> None:
        """The origin record is gone: the link retires; its counterpart is left alone."""
        link.status = "retired"
        self.links.touch(link)
        self.ledger.add(RecordOutcome(plan.key, link.origin_id, link.target_id, "retired"))

    # --- writing to Business Central --------------------------------------------------------------------------
    def _flush(self, *, final: bool = False) -> None:
        """Send the queued Business Central writes (with ``final``, all of them; otherwise whole batches only), then
        decide again what the writer hands back, until it hands back nothing."""
        handback = self.batch.flush(final=final)
        while handback:
            for pending in handback.gone:
                self._recreate(pending)
            for pending, fresh in handback.stale:
                link = self.links.get(pending.flow, pending.origin_id)
                assert link is not None, f"a stale update of {pending.origin_id} ({pending.flow}) without its link"
                self._pair(
                    pending.plan, link, pending.origin_values, pending.origin_modified, fresh, round=pending.round + 1
                )
            # Updates decided again on fresh reads are sent at once, as the refused ones were.
            handback = self.batch.flush(final=final or bool(handback.stale))

    def _recreate(self, pending: PendingWrite) -> None:
        """The counterpart an update was meant for is gone (rule 6): create it again from the origin's values."""
        plan = pending.plan
        try:
            name = display_name(plan.origin, self.crm.get(plan.origin, pending.origin_id).record)
        except NotFoundError:
            name = ""
        self._create(plan, pending.origin_id, name, pending.origin_values, pending.origin_modified, recreate=True)


def _as_linked(target: TargetRecord, link: Link) -> bool:
    """The target is at the version its link last saw (an ETag names one version, its modification time with it),
    with the values last synced: nothing to decide."""
    return (
        target.etag is not None
        and target.etag == link.target_etag
        and all(value == normalise(link.synced.get(name)) for name, value in target.values.items())
    )


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """A run allocates hundreds of thousands of small, mostly long-lived objects (records, links, decisions); with
    the default thresholds the cyclic collector rescans them over and over. Collect less often while a run lasts."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], 50_000), before[1], max(before[2], 50))
    try:
        yield
    finally:
        gc.set_threshold(*before)
