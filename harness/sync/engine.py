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

Writes to Business Central go in ``$batch`` requests of up to 100 operations, creates with an id chosen (and
journalled) beforehand, updates with the ETag last read; "changed under you" re-reads and decides again, a bounded
number of times. CRMOffice is written one record at a time, re-read first for its ETag. A value a tenant refuses
fails that record only (recorded, reported, retried on the next run). Transport trouble that outlasts the clients'
retries ends the run with the exception; nothing uncommitted is lost and the next run resumes.
"""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from harness.businesscentral.client import BatchOperation, BatchResult, BusinessCentralClient
from harness.businesscentral.dataflow import creation_defaults
from harness.businesscentral.limits import MAX_BATCH_OPERATIONS
from harness.client.base import Versioned
from harness.client.errors import (
    AlreadyExistsError,
    ApiError,
    ChangedUnderYouError,
    NotFoundError,
    ValidationError,
)
from harness.client.timestamps import parse_timestamp
from harness.crmoffice.client import CRMOfficeClient
from harness.crmoffice.dataflow import display_name
from harness.sync.merge import decide_pair, is_empty, normalise
from harness.sync.plan import ORIGIN_SYSTEM, TARGET_SYSTEM, FlowPlan
from harness.sync.report import Action, Change, RecordOutcome, SyncReport
from harness.sync.state import Failure, JournalEntry, Link, SyncState

__all__ = ["SyncEngine"]

BATCH = MAX_BATCH_OPERATIONS


@dataclass
class _Target:
    values: dict[str, Any]
    modified: datetime | None
    etag: str | None


class WriteKind(Enum):
    """What a pending Business Central write does: create a counterpart (with an id chosen beforehand) or update one."""

    CREATE = "create"
    UPDATE = "update"


@dataclass
class _Pending:
    """A Business Central write waiting for its ``$batch``, and what to do with the answer."""

    plan: FlowPlan
    kind: WriteKind
    origin_id: str
    target_id: str
    op: BatchOperation
    synced: dict[str, Any]
    origin_values: dict[str, Any]
    origin_modified: datetime | None
    changes: list[Change] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    round: int = 0
    recreate: bool = False


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
        conflict_rounds: int = 3,
        new_id: Callable[[], str] | None = None,
        scope: Callable[[Mapping[str, Any]], bool] | None = None,
    ) -> None:
        """``scope``: when given, only CRMOffice records it accepts are synced (a test run's own records on shared
        sandbox tenants); the others are neither created, linked nor retired. ``commit_lag``: how far behind a
        tenant's stated time (its ``Date`` header) a modification must be to count as committed when a read ran — a
        margin for writes in flight and for a front end's clock running ahead of the database's stamps."""
        self.plans = list(plans)
        self.crm = crmoffice
        self.bc = businesscentral
        self.state = state
        self.overlap = overlap
        self.commit_lag = commit_lag
        self.max_passes = max_passes
        self.conflict_rounds = conflict_rounds
        self.new_id = new_id or (lambda: str(uuid.uuid4()))
        self.scope = scope
        self._links: dict[str, dict[str, Link]] = {}
        self._complete: set[str] = set()  # flows whose links are all in memory
        self._dirty: dict[tuple[str, str], Link] = {}
        self._queue: list[_Pending] = []
        self._report = SyncReport()
        self._creating: set[tuple[str, str]] = set()  # (flow, origin id) with a create queued, not yet answered
        self._failing: set[tuple[str, str, str]] = set()  # (flow, side, record id) with a failure on record
        self._failed: set[tuple[str, str]] = set()  # (flow, origin id) refused in this run: not tried again in it
        self._unchanged: dict[str, set[str]] = {}

    # --- the run ----------------------------------------------------------------------------------------------
    def run(self, *, reconcile: bool | None = None) -> SyncReport:
        """One sync cycle. ``reconcile``: read everything to find deletes (default: only when never reconciled)."""
        with _fewer_collections():
            return self._run(reconcile)

    def _run(self, reconcile: bool | None) -> SyncReport:
        started = time.perf_counter()
        sent_before = (sum(self.crm.sent.values()), sum(self.bc.sent.values()))
        self._report = report = SyncReport(flows=[plan.key for plan in self.plans])
        self._failed = set()
        self._unchanged = {plan.key: set() for plan in self.plans}
        full = reconcile if reconcile is not None else self.state.meta("reconciled_at") is None
        # Links are read from the state as records come by (a page at a time), all of them only to reconcile.
        self._links = {plan.key: {} for plan in self.plans}
        self._complete = set()
        for plan in self.plans:
            self._resume(plan)
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
        touched = {(outcome.flow, outcome.origin_id) for outcome in report.records}
        for flow, origin_ids in self._unchanged.items():
            report.unchanged[flow] = sum(1 for origin_id in origin_ids if (flow, origin_id) not in touched)
        report.requests = {
            ORIGIN_SYSTEM: sum(self.crm.sent.values()) - sent_before[0],
            TARGET_SYSTEM: sum(self.bc.sent.values()) - sent_before[1],
        }
        report.seconds = time.perf_counter() - started
        return report

    def _resume(self, plan: FlowPlan) -> None:
        """Send again every create a previous run journalled but never linked, with the same id."""
        entries = self.state.journal(plan.key)
        self._load(plan, "origin_id", [entry.origin_id for entry in entries])
        links = self._links[plan.key]
        settled = []
        for entry in entries:
            link = links.get(entry.origin_id)
            if link is not None and link.target_id == entry.target_id:
                settled.append(entry.origin_id)  # linked after all: the journal row outlived its commit
                continue
            # No link, or a link to a counterpart that vanished: the journalled create (a re-create) is in flight.
            synced = {pair.target: normalise(entry.body.get(pair.target)) for pair in plan.pairs}
            self._creating.add((plan.key, entry.origin_id))
            self._queue.append(
                _Pending(
                    plan,
                    WriteKind.CREATE,
                    entry.origin_id,
                    entry.target_id,
                    BatchOperation("POST", plan.target, body=entry.body),
                    synced,
                    {pair.origin: synced[pair.target] for pair in plan.pairs},
                    entry.origin_modified,
                    changes=[Change(t, "origin->target", None, v) for t, v in synced.items() if v is not None],
                    recreate=link is not None,
                )
            )
        if settled:
            with self.state.transaction():
                self.state.forget_creates(plan.key, settled)

    # --- one pass over one flow -------------------------------------------------------------------------------
    def _pass(self, plan: FlowPlan, *, full: bool) -> None:
        if full and plan.key not in self._complete:
            self._links[plan.key].update(self.state.links(plan.key))
            self._complete.add(plan.key)
        target_entity = f"{plan.target} ({plan.key})"
        origin_entity = f"{plan.origin} ({plan.key})"
        since = None if full else self._since(TARGET_SYSTEM, target_entity)
        targets, newest_target, target_read_at = self._read_targets(plan, since)
        failures = self.state.failures(plan.key)
        self._failing.update((f.flow, f.side, f.record_id) for f in failures)
        for failure in failures:
            if failure.side == "target" and failure.record_id not in targets:
                self._fetch_target(plan, failure.record_id, targets)
        # After the refused records are fetched, so their links are found and they are tried again (rule 9).
        by_target = {link.target_id: link for link in self._load(plan, "target_id", targets) if link.live}
        seen, newest_origin, origin_read_at = self._read_origins(plan, targets, full=full)
        self._retry_origins(
            plan, [f for f in failures if f.side == "origin" and f.record_id not in seen], seen, targets
        )
        self._pair_unseen_origins(plan, targets, by_target, seen)
        if full:
            for link in list(self._links[plan.key].values()):
                if link.live and link.origin_id not in seen:
                    self._retire(plan, link)
        self._flush(final=True)
        with self.state.transaction():
            self._save_dirty()
            if (position := self._position(newest_origin, origin_read_at)) is not None:
                self.state.set_cursor(ORIGIN_SYSTEM, origin_entity, position)
            if (position := self._position(newest_target, target_read_at)) is not None:
                self.state.set_cursor(TARGET_SYSTEM, target_entity, position)

    def _read_origins(
        self, plan: FlowPlan, targets: dict[str, _Target], *, full: bool
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
            self._load(plan, "origin_id", [record["id"] for record in page])
            for record in page:
                seen.add(record["id"])
                modified = _when(record.get("updatedAt"))
                if modified is not None and (newest is None or modified > newest):
                    newest = modified
                if self.scope is not None and not self.scope(record):
                    continue
                self._origin_record(plan, record, targets, full=full)
                self._flush()
        return seen, newest, read_at

    def _retry_origins(
        self, plan: FlowPlan, failures: list[Failure], seen: set[str], targets: dict[str, _Target]
    ) -> None:
        """Origin records that failed before and were not read in this pass: fetched and decided again (rule 9)."""
        for failure in failures:
            try:
                fetched = self.crm.get(plan.origin, failure.record_id)
            except NotFoundError:
                self.state.clear_failure(failure.flow, failure.side, failure.record_id)
                continue
            seen.add(failure.record_id)
            self._load(plan, "origin_id", [failure.record_id])
            self._origin_record(plan, fetched.record, targets, full=False)

    def _pair_unseen_origins(
        self, plan: FlowPlan, targets: dict[str, _Target], by_target: dict[str, Link], seen: set[str]
    ) -> None:
        """Target records changed since the cursor whose origin was not read: decided against the last synced values
        (the origin side unchanged)."""
        for target_id, target in targets.items():
            link = by_target.get(target_id)
            if link is None or link.origin_id in seen or not link.live:
                continue  # a Business Central record of its own (rule 7), or already decided with its origin
            if (plan.key, link.origin_id) in self._failed:
                continue  # refused in this run: tried again in the next one, not in every pass of this one
            origin_values = {pair.origin: link.synced.get(pair.target) for pair in plan.pairs}
            self._pair(plan, link, origin_values, link.origin_modified, target)

    def _load(self, plan: FlowPlan, column: str, ids: Iterable[str]) -> list[Link]:
        """The links for these origin (or target) ids, read from the state once and then kept in memory."""
        cache = self._links[plan.key]
        if column == "origin_id":
            if plan.key in self._complete:
                return [cache[i] for i in ids if i in cache]
            wanted = [i for i in ids if i not in cache]
            for link in self.state.links_for(plan.key, column, wanted):
                cache[link.origin_id] = link
            return [cache[i] for i in ids if i in cache]
        if plan.key in self._complete:
            wanted_targets = set(ids)
            return [link for link in cache.values() if link.target_id in wanted_targets]
        found = self.state.links_for(plan.key, column, ids)
        # A link already in memory may be newer than its row (not yet committed): memory wins.
        return [cache.setdefault(link.origin_id, link) for link in found]

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
        self, plan: FlowPlan, since: datetime | None
    ) -> tuple[dict[str, _Target], datetime | None, datetime | None]:
        """The target records modified since ``since``, the newest modification among them, and the tenant's clock
        when the read began."""
        select = ["id", "lastModifiedDateTime", *plan.target_properties]
        targets: dict[str, _Target] = {}
        newest: datetime | None = None
        read_at: datetime | None = None
        pages = self.bc.pages(plan.target, since, inclusive=True, filter=plan.target_filter, select=select)
        for number, page in enumerate(pages):
            if number == 0:
                read_at = self.bc.server_time
            for record in page:
                target = _target_of(plan, record)
                targets[record["id"]] = target
                if target.modified is not None and (newest is None or target.modified > newest):
                    newest = target.modified
        return targets, newest, read_at

    def _fetch_target(self, plan: FlowPlan, target_id: str, targets: dict[str, _Target]) -> None:
        try:
            fetched = self.bc.get(plan.target, target_id)
        except NotFoundError:
            return
        targets[target_id] = _target_of(plan, fetched.record, fetched.etag)

    # --- deciding ---------------------------------------------------------------------------------------------
    def _origin_record(
        self, plan: FlowPlan, record: Mapping[str, Any], targets: dict[str, _Target], *, full: bool
    ) -> None:
        origin_id = str(record["id"])
        if (plan.key, origin_id) in self._failed:
            return
        modified = _when(record.get("updatedAt"))
        values = {pair.origin: normalise(record.get(pair.origin)) for pair in plan.pairs}
        link = self._links[plan.key].get(origin_id)
        if link is None:
            if (plan.key, origin_id) in self._creating:
                return
            self._create(plan, origin_id, display_name(plan.origin, record), values, modified)
            return
        if not link.live:
            return
        target = targets.get(link.target_id)
        if target is None and full:
            self._create(plan, origin_id, display_name(plan.origin, record), values, modified, recreate=link)
            return
        self._pair(plan, link, values, modified, target)

    def _create(
        self,
        plan: FlowPlan,
        origin_id: str,
        name: str,
        values: Mapping[str, Any],
        modified: datetime | None,
        recreate: Link | None = None,
    ) -> None:
        target_id = self.new_id()
        self._creating.add((plan.key, origin_id))
        body: dict[str, Any] = {
            "id": target_id,
            **creation_defaults(name, plan.target_type),
        }
        synced: dict[str, Any] = {}
        for pair in plan.pairs:
            value = values.get(pair.origin)
            synced[pair.target] = value
            if not is_empty(value):
                body[pair.target] = value
        self._queue.append(
            _Pending(
                plan,
                WriteKind.CREATE,
                origin_id,
                target_id,
                BatchOperation("POST", plan.target, body=body),
                synced,
                dict(values),
                modified,
                changes=[Change(t, "origin->target", None, v) for t, v in synced.items() if v is not None],
                recreate=recreate is not None,
            )
        )

    def _pair(
        self,
        plan: FlowPlan,
        link: Link,
        origin_values: Mapping[str, Any],
        origin_modified: datetime | None,
        target: _Target | None,
        *,
        round: int = 0,
    ) -> None:
        """Decide a linked pair property by property; queue the target's write, make the origin's."""
        target_values = target.values if target else {p.target: link.synced.get(p.target) for p in plan.pairs}
        target_modified = target.modified if target else link.target_modified
        etag = (target.etag if target else None) or link.target_etag
        decided = decide_pair(plan.pairs, origin_values, target_values, link.synced, origin_modified, target_modified)
        to_target, to_origin, settled = decided.to_target, decided.to_origin, decided.settled
        changes, conflicts = decided.changes, decided.conflicts
        self._note_versions(link, target, None if to_origin else origin_modified)
        if not to_target and not to_origin:
            self._in_sync(plan, link, settled)
            return
        if to_origin:
            if not self._write_origin(plan, link, to_origin, origin_values, target, round=round):
                return
            link.synced.update(settled)
            if not to_target:
                done = [change for change in changes if change.direction == "target->origin"]
                self._report.add(RecordOutcome(plan.key, link.origin_id, link.target_id, "updated", done, conflicts))
                return
        self._queue.append(
            _Pending(
                plan,
                WriteKind.UPDATE,
                link.origin_id,
                link.target_id,
                BatchOperation("PATCH", plan.target, link.target_id, to_target, etag=etag or "*"),
                {**link.synced, **settled, **to_target},
                dict(origin_values),
                origin_modified,
                changes=changes,
                conflicts=conflicts,
                round=round,
            )
        )

    def _note_versions(self, link: Link, target: _Target | None, origin_modified: datetime | None) -> None:
        """Remember the versions just read (an origin about to be written is remembered once written instead)."""
        if target is not None and (target.etag != link.target_etag or target.modified != link.target_modified):
            link.target_etag, link.target_modified = target.etag or link.target_etag, target.modified
            self._touch(link)
        if origin_modified is not None and origin_modified != link.origin_modified:
            link.origin_modified = origin_modified
            self._touch(link)

    def _in_sync(self, plan: FlowPlan, link: Link, settled: Mapping[str, Any]) -> None:
        """A pair that needs no write: remember the values both sides now agree on."""
        if any(link.synced.get(key) != value for key, value in settled.items()):
            link.synced.update(settled)
            self._touch(link)
        self._unchanged[plan.key].add(link.origin_id)

    def _write_origin(
        self,
        plan: FlowPlan,
        link: Link,
        changes: dict[str, Any],
        origin_values: Mapping[str, Any],
        target: _Target | None,
        *,
        round: int,
    ) -> bool:
        """Write target->origin values to CRMOffice, conditionally on the version just re-read. False: not written."""
        expected = {key: normalise(value) for key, value in origin_values.items()}
        for attempt in range(round, self.conflict_rounds + 1):
            try:
                fresh = self.crm.get(plan.origin, link.origin_id)
            except NotFoundError:
                self._retire(plan, link)
                return False
            fresh_values = {pair.origin: normalise(fresh.record.get(pair.origin)) for pair in plan.pairs}
            if fresh_values != expected:
                if attempt >= self.conflict_rounds:
                    break
                # Edited since it was read: decide again on what it holds now.
                self._pair(plan, link, fresh_values, _when(fresh.record.get("updatedAt")), target, round=attempt + 1)
                return False
            try:
                written = self.crm.update(plan.origin, link.origin_id, changes, fresh.etag)
            except ChangedUnderYouError:
                continue  # changed between this read and this write: read it again
            except NotFoundError:
                self._retire(plan, link)
                return False
            except ApiError as exc:
                if exc.status >= 500 or exc.status == 429:
                    raise
                self._fail_with(plan, link.origin_id, link.target_id, "target", exc)
                return False
            self._origin_written(plan, link, changes, written)
            return True
        message = "the CRMOffice record kept changing while the sync wrote to it"
        self._fail(plan, link.origin_id, link.target_id, "target", "ChangedUnderYou", message, system=ORIGIN_SYSTEM)
        return False

    def _origin_written(self, plan: FlowPlan, link: Link, changes: Mapping[str, Any], written: Versioned) -> None:
        """CRMOffice took the values: they are the last synced ones now, at the version it answered with."""
        by_origin = {pair.origin: pair.target for pair in plan.pairs}
        for origin_property, value in changes.items():
            link.synced[by_origin[origin_property]] = value
        link.origin_modified = _when(written.record.get("updatedAt"))
        self._touch(link)
        self._clear(plan, "target", link.target_id)

    def _retire(self, plan: FlowPlan, link: Link) -> None:
        link.status = "retired"
        self._touch(link)
        self._report.add(RecordOutcome(plan.key, link.origin_id, link.target_id, "retired"))

    # --- writing to Business Central --------------------------------------------------------------------------
    def _flush(self, *, final: bool = False) -> None:
        while len(self._queue) >= BATCH or (final and self._queue):
            chunk, self._queue = self._queue[:BATCH], self._queue[BATCH:]
            creates = [p for p in chunk if p.kind is WriteKind.CREATE]
            if creates:
                with self.state.transaction():
                    self.state.journal_creates(
                        JournalEntry(p.plan.key, p.origin_id, p.target_id, dict(p.op.body or {}), p.origin_modified)
                        for p in creates
                    )
            results = self.bc.batch([p.op for p in chunk])
            self._creating.difference_update((p.plan.key, p.origin_id) for p in creates)
            again: list[_Pending] = []
            existing: list[_Pending] = []
            with self.state.transaction():
                for pending, result in zip(chunk, results, strict=True):
                    self._settle(pending, result, again, existing)
                for plan_key, origin_ids in _group((p.plan.key, p.origin_id) for p in creates):
                    self.state.forget_creates(plan_key, origin_ids)
                self._save_dirty()
            if existing:
                self._adopt(existing)
            if again:
                self._redecide(again)

    def _settle(self, pending: _Pending, result: BatchResult, again: list[_Pending], existing: list[_Pending]) -> None:
        plan = pending.plan
        if result.ok:
            record = result.record or {}
            links = self._links[plan.key]
            link = links.get(pending.origin_id)
            if pending.kind is WriteKind.CREATE:
                link = Link(plan.key, pending.origin_id, pending.target_id, "live", dict(pending.synced))
                links[pending.origin_id] = link
            assert link is not None
            link.synced = dict(pending.synced)
            link.target_etag = result.etag
            link.target_modified = _when(record.get("lastModifiedDateTime"))
            if pending.origin_modified is not None:
                link.origin_modified = pending.origin_modified
            self._touch(link)
            self._clear(plan, "origin", pending.origin_id)
            action: Action = (
                "recreated" if pending.recreate else "created" if pending.kind is WriteKind.CREATE else "updated"
            )
            self._report.add(
                RecordOutcome(
                    plan.key, pending.origin_id, pending.target_id, action, pending.changes, pending.conflicts
                )
            )
            return
        error = result.error
        assert error is not None
        if pending.kind is WriteKind.CREATE and isinstance(error, AlreadyExistsError):
            existing.append(pending)  # the create landed before (a crash, a lost answer): link what is there
        elif pending.kind is WriteKind.UPDATE and isinstance(error, ChangedUnderYouError):
            again.append(pending)
        elif pending.kind is WriteKind.UPDATE and isinstance(error, NotFoundError):
            self._recreate(pending)
        else:
            self._fail_with(plan, pending.origin_id, pending.target_id, "origin", error)

    def _recreate(self, pending: _Pending) -> None:
        """The counterpart an update was meant for is gone (rule 6): create it again from the origin's values."""
        plan = pending.plan
        try:
            name = display_name(plan.origin, self.crm.get(plan.origin, pending.origin_id).record)
        except NotFoundError:
            name = ""
        link = self._links[plan.key][pending.origin_id]
        self._create(plan, pending.origin_id, name, pending.origin_values, pending.origin_modified, recreate=link)

    def _adopt(self, pendings: list[_Pending]) -> None:
        """Creates that had already landed: read what is there and link it."""
        reads = [BatchOperation("GET", p.plan.target, p.target_id) for p in pendings]
        results = self.bc.batch(reads)
        with self.state.transaction():
            for pending, result in zip(pendings, results, strict=True):
                if result.ok:
                    self._settle(pending, result, [], [])
                else:
                    assert result.error is not None
                    self._fail_with(pending.plan, pending.origin_id, pending.target_id, "origin", result.error)
            for plan_key, origin_ids in _group((p.plan.key, p.origin_id) for p in pendings):
                self.state.forget_creates(plan_key, origin_ids)
            self._save_dirty()

    def _redecide(self, pendings: list[_Pending]) -> None:
        """Updates refused as stale: read the records again and decide on what they hold now."""
        exhausted = [p for p in pendings if p.round >= self.conflict_rounds]
        for pending in exhausted:
            self._fail(
                pending.plan,
                pending.origin_id,
                pending.target_id,
                "origin",
                "Request_EntityChanged",
                "the Business Central record kept changing while the sync wrote to it",
                system=TARGET_SYSTEM,
            )
        pendings = [p for p in pendings if p.round < self.conflict_rounds]
        results = self.bc.batch([BatchOperation("GET", p.plan.target, p.target_id) for p in pendings])
        for pending, result in zip(pendings, results, strict=True):
            plan = pending.plan
            if isinstance(result.error, NotFoundError):
                self._recreate(pending)
                continue
            if result.error is not None:
                self._fail_with(plan, pending.origin_id, pending.target_id, "origin", result.error)
                continue
            link = self._links[plan.key][pending.origin_id]
            fresh = _target_of(plan, result.record or {}, result.etag)
            self._pair(plan, link, pending.origin_values, pending.origin_modified, fresh, round=pending.round + 1)
        self._flush(final=True)

    # --- bookkeeping ------------------------------------------------------------------------------------------
    def _fail_with(self, plan: FlowPlan, origin_id: str, target_id: str | None, side: str, error: ApiError) -> None:
        """A refusal the tenant explained: its system and, when known, the property it refused go in the report."""
        field = error.field if isinstance(error, ValidationError) else None
        self._fail(plan, origin_id, target_id, side, error.code, error.message, system=error.system, field=field)

    def _fail(
        self,
        plan: FlowPlan,
        origin_id: str,
        target_id: str | None,
        side: str,
        code: str,
        message: str,
        *,
        system: str | None = None,
        field: str | None = None,
    ) -> None:
        record_id = origin_id if side == "origin" else target_id or origin_id
        self._failed.add((plan.key, origin_id))
        self._failing.add((plan.key, side, record_id))
        self.state.record_failure(Failure(plan.key, side, record_id, code, message))
        self._report.add(
            RecordOutcome(
                plan.key,
                origin_id,
                target_id,
                "failed",
                error={"system": system, "code": code, "field": field, "message": message, "side": side},
            )
        )

    def _clear(self, plan: FlowPlan, side: str, record_id: str) -> None:
        if (plan.key, side, record_id) in self._failing:
            self._failing.discard((plan.key, side, record_id))
            self.state.clear_failure(plan.key, side, record_id)

    def _touch(self, link: Link) -> None:
        self._dirty[(link.flow, link.origin_id)] = link

    def _save_dirty(self) -> None:
        if self._dirty:
            self.state.save_links(self._dirty.values())
            self._dirty.clear()


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


def _target_of(plan: FlowPlan, record: Mapping[str, Any], etag: str | None = None) -> _Target:
    return _Target(
        values={name: normalise(record.get(name)) for name in plan.target_properties},
        modified=_when(record.get("lastModifiedDateTime")),
        etag=etag or record.get("@odata.etag"),
    )


def _when(text: Any) -> datetime | None:
    return parse_timestamp(text) if isinstance(text, str) and text else None


def _group(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return list(grouped.items())
