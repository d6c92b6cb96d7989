"""Writing to Business Central: ``$batch`` requests of up to 100 operations, creates journalled before they are sent.

A create carries an id chosen beforehand and is written to the journal (in the sync state) before its batch goes
out, so a run that crashed, or lost the answer, sends it again with the same id next time: Business Central answers
"already exists" and the writer links what is there instead of creating a duplicate. An update carries the ETag
last read; Business Central refusing it as changed since then makes it *stale*: the writer reads the record again and
hands it back to be decided on what it holds now, a bounded number of rounds. An update whose record is gone is
handed back too (rule 6: its counterpart is created again). Any other refusal fails that record only (rule 9).

A write that succeeds becomes the link's new last synced values and version, in the same transaction as the journal
row it settles. That transaction comes every :data:`SAVE_EVERY` changed links (and at the end of each pass), not
after every batch: each batch's links land on as many random pages of the state's index by origin id, and a commit
writes every page it changed. A crash between two saves costs at most that many creates sent again, which Business
Central answers "already exists" and the writer links; an update settled but not saved is decided again from the
tenants, where both sides now hold the same value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from harness.businesscentral.client import BatchOperation, BatchResult, BusinessCentralClient
from harness.businesscentral.limits import MAX_BATCH_OPERATIONS
from harness.client.errors import AlreadyExistsError, ChangedUnderYouError, NotFoundError
from harness.sync.ledger import Ledger
from harness.sync.links import LinkCache
from harness.sync.merge import normalise
from harness.sync.plan import TARGET_SYSTEM, FlowPlan
from harness.sync.records import TargetRecord, target_record, when
from harness.sync.report import Action, Change, RecordOutcome
from harness.sync.state import JournalEntry, Link, SyncState

__all__ = ["SAVE_EVERY", "BatchWriter", "Handback", "PendingWrite", "WriteKind", "create"]

SAVE_EVERY = 2_000
"""Changed links after which the writer saves them, with the journal rows they settle."""


class WriteKind(Enum):
    """What a pending Business Central write does: create a counterpart (with an id chosen beforehand) or update one."""

    CREATE = "create"
    UPDATE = "update"


@dataclass(slots=True)
class PendingWrite:
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
    journal_batch: int | None = None  # the journal row of a create, once journalled

    @property
    def flow(self) -> str:
        return self.plan.key


@dataclass
class Handback:
    """Writes the writer could not settle alone: stale updates with their record as read again, and updates whose
    record is gone."""

    stale: list[tuple[PendingWrite, TargetRecord]] = field(default_factory=list)
    gone: list[PendingWrite] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.stale or self.gone)


class BatchWriter:
    def __init__(
        self,
        bc: BusinessCentralClient,
        state: SyncState,
        links: LinkCache,
        ledger: Ledger,
        *,
        conflict_rounds: int,
    ) -> None:
        self.bc = bc
        self.state = state
        self.links = links
        self.ledger = ledger
        self.conflict_rounds = conflict_rounds
        self._queue: list[PendingWrite] = []
        self._creating: set[tuple[str, str]] = set()  # (flow, origin id) with a create queued, not yet answered
        self._unsettled: dict[int, int] = {}  # journal row -> its creates not settled yet
        self._settled: list[int] = []  # journal rows whose creates are all settled, to drop when their links are saved

    def start(self) -> None:
        """A new run: nothing queued or being created (a run that ended in an exception may have left some; the
        journal holds the creates among them, and the rest are decided again from the tenants)."""
        self._queue = []
        self._creating = set()
        self._unsettled = {}
        # Rows settled by links a failed run never saved stay journalled: the next resume links their creates again.
        self._settled = []

    def creating(self, flow: str, origin_id: str) -> bool:
        """A create for this origin record is queued or in flight (so it is not created twice in one run)."""
        return (flow, origin_id) in self._creating

    def queue(self, pending: PendingWrite) -> None:
        if pending.kind is WriteKind.CREATE:
            self._creating.add((pending.flow, pending.origin_id))
        self._queue.append(pending)

    def resume(self, plans: Iterable[FlowPlan]) -> None:
        """Queue again every create a previous run journalled but never linked, with the same id and journal row."""
        by_key = {plan.key: plan for plan in plans}
        entries = self.state.journal()
        for flow in by_key:
            self.links.by_origin(flow, [entry.origin_id for entry in entries if entry.flow == flow])
        rows: dict[int, int] = {}
        for entry in entries:
            assert entry.batch is not None
            rows.setdefault(entry.batch, 0)
            plan = by_key.get(entry.flow)
            if plan is None:
                rows[entry.batch] += 1  # a flow this checklist no longer has: its row stays, for a run that has it
                continue
            link = self.links.get(plan.key, entry.origin_id)
            if link is not None and link.target_id == entry.target_id:
                continue  # linked after all: the journal row outlived its commit
            # No link, or a link to a counterpart that vanished: the journalled create (a re-create) is in flight.
            pending = _resumed(plan, entry, recreate=link is not None)
            rows[entry.batch] += 1
            self.queue(pending)
        self._unsettled.update(rows)
        settled = [batch for batch, count in rows.items() if count == 0]
        if settled:
            with self.state.transaction():
                self.state.forget_batches(settled)
            for batch in settled:
                del self._unsettled[batch]

    def flush(self, *, final: bool = False) -> Handback:
        """Send every full batch (with ``final``, the last partial one too); settle what can be settled."""
        handback = Handback()
        while len(self._queue) >= MAX_BATCH_OPERATIONS or (final and self._queue):
            chunk = self._queue[:MAX_BATCH_OPERATIONS]
            self._queue = self._queue[MAX_BATCH_OPERATIONS:]
            self._send(chunk, handback)
        return handback

    def _send(self, chunk: list[PendingWrite], handback: Handback) -> None:
        creates = [p for p in chunk if p.kind is WriteKind.CREATE]
        unjournalled = [p for p in creates if p.journal_batch is None]
        if unjournalled:
            with self.state.transaction():
                batch = self.state.journal_creates(
                    JournalEntry(p.flow, p.origin_id, p.target_id, dict(p.op.body or {}), p.origin_modified)
                    for p in unjournalled
                )
            for pending in unjournalled:
                pending.journal_batch = batch
            self._unsettled[batch] = len(unjournalled)
        results = self.bc.batch([p.op for p in chunk])
        self._creating.difference_update((p.flow, p.origin_id) for p in creates)
        existing: list[PendingWrite] = []
        stale: list[PendingWrite] = []
        with self.state.transaction():
            for pending, result in zip(chunk, results, strict=True):
                if result.ok:
                    self._settle(pending, result)
                elif pending.kind is WriteKind.CREATE and isinstance(result.error, AlreadyExistsError):
                    existing.append(pending)  # the create landed before (a crash, a lost answer): link what is there
                elif pending.kind is WriteKind.UPDATE and isinstance(result.error, ChangedUnderYouError):
                    stale.append(pending)
                elif pending.kind is WriteKind.UPDATE and isinstance(result.error, NotFoundError):
                    handback.gone.append(pending)
                else:
                    self._refused(pending, result)
            # The creates found there already stay journalled until they are linked (_adopt).
            adopting = {id(pending) for pending in existing}
            self._forget(p for p in creates if id(p) not in adopting)
            if self.links.unsaved >= SAVE_EVERY:
                self.save()
        if existing:
            self._adopt(existing)
        if stale:
            self._read_again(stale, handback)

    def _settle(self, pending: PendingWrite, result: BatchResult) -> None:
        """Business Central took the write: its values are the last synced ones, at the version it answered with."""
        link = self.links.get(pending.flow, pending.origin_id)
        if pending.kind is WriteKind.CREATE:
            link = Link(pending.flow, pending.origin_id, pending.target_id, "live")
        assert link is not None, f"an update of {pending.origin_id} ({pending.flow}) without its link"
        link.synced = dict(pending.synced)
        link.target_etag = result.etag
        link.target_modified = when((result.record or {}).get("lastModifiedDateTime"))
        if pending.origin_modified is not None:
            link.origin_modified = pending.origin_modified
        self.links.add(link)
        self.ledger.clear(pending.flow, "origin", pending.origin_id)
        action: Action = (
            "recreated" if pending.recreate else "created" if pending.kind is WriteKind.CREATE else "updated"
        )
        self.ledger.add(
            RecordOutcome(
                pending.flow,
                pending.origin_id,
                pending.target_id,
                action,
                tuple(pending.changes),
                tuple(pending.conflicts),
            )
        )

    def _refused(self, pending: PendingWrite, result: BatchResult) -> None:
        assert result.error is not None
        self.ledger.fail_with(pending.flow, pending.origin_id, pending.target_id, "origin", result.error)

    def save(self) -> None:
        """Write the changed links and drop the journal rows they settle; call inside the state's transaction."""
        self.links.save()
        if self._settled:
            self.state.forget_batches(self._settled)
            self._settled = []

    def _forget(self, creates: Iterable[PendingWrite]) -> None:
        """These creates are settled: a journal row goes, with the links, once the last of its creates is."""
        for pending in creates:
            assert pending.journal_batch is not None, f"a create of {pending.origin_id} sent without its journal row"
            self._unsettled[pending.journal_batch] -= 1
            if self._unsettled[pending.journal_batch] == 0:
                self._settled.append(pending.journal_batch)
                del self._unsettled[pending.journal_batch]

    def _adopt(self, pendings: list[PendingWrite]) -> None:
        """Creates that had already landed: read what is there and link it."""
        results = self.bc.batch([BatchOperation("GET", p.plan.target, p.target_id) for p in pendings])
        with self.state.transaction():
            for pending, result in zip(pendings, results, strict=True):
                if result.ok:
                    self._settle(pending, result)
                else:
                    self._refused(pending, result)
            self._forget(pendings)
            self.save()

    def _read_again(self, pendings: list[PendingWrite], handback: Handback) -> None:
        """Updates refused as stale: read the records again, to be decided on what they hold now."""
        for pending in pendings:
            if pending.round >= self.conflict_rounds:
                message = "the Business Central record kept changing while the sync wrote to it"
                self.ledger.fail(
                    pending.flow,
                    pending.origin_id,
                    pending.target_id,
                    "origin",
                    "Request_EntityChanged",
                    message,
                    system=TARGET_SYSTEM,
                )
        pendings = [p for p in pendings if p.round < self.conflict_rounds]
        results = self.bc.batch([BatchOperation("GET", p.plan.target, p.target_id) for p in pendings])
        for pending, result in zip(pendings, results, strict=True):
            if isinstance(result.error, NotFoundError):
                handback.gone.append(pending)
            elif result.error is not None:
                self._refused(pending, result)
            else:
                handback.stale.append((pending, target_record(pending.plan, result.record or {}, result.etag)))


def _resumed(plan: FlowPlan, entry: JournalEntry, *, recreate: bool) -> PendingWrite:
    """A journalled create queued again as it was sent: the same id and body, the same journal row."""
    synced = {pair.target: normalise(entry.body.get(pair.target)) for pair in plan.pairs}
    origin_values = {pair.origin: synced[pair.target] for pair in plan.pairs}
    op = BatchOperation("POST", plan.target, body=entry.body)
    pending = create(plan, entry.origin_id, entry.target_id, op, synced, origin_values, entry.origin_modified)
    pending.recreate = recreate
    pending.journal_batch = entry.batch
    return pending


def create(
    plan: FlowPlan,
    origin_id: str,
    target_id: str,
    op: BatchOperation,
    synced: dict[str, Any],
    origin_values: dict[str, Any],
    origin_modified: datetime | None,
    *,
    recreate: bool = False,
) -> PendingWrite:
    """A pending create (``recreate``: of a counterpart that vanished); it reports every non-empty value it sends."""
    changes = [Change(t, "origin->target", None, v) for t, v in synced.items() if v is not None]
    return PendingWrite(
        plan,
        WriteKind.CREATE,
        origin_id,
        target_id,
        op,
        synced,
        origin_values,
        origin_modified,
        changes=changes,
        recreate=recreate,
    )
