"""The dataflow under test as the steps see it: two tenants edited like users edit them, and the sync between them.

Everything goes through the tenants' APIs (the clients), as a user's edit in either product would, so the same steps
run against the embedded fakes and against real sandboxes. What only a fake can do (move its clock, inject faults)
is behind :meth:`Dataflow.fakes`, which says so clearly when the tenants are real.

A scenario's records are tracked (created by a step, or found as a counterpart), so :meth:`Dataflow.snapshot` can
show both sides' records before and after a sync in the report without listing whole tenants.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from harness.businesscentral.client import EntitySet, odata_string
from harness.businesscentral.fake import BusinessCentralFake
from harness.client.errors import NotFoundError
from harness.crmoffice.client import Resource
from harness.crmoffice.dataflow import display_name
from harness.crmoffice.fake import CRMOfficeFake
from harness.fakes import Clock
from harness.shared_tenants.cleanup import CleanupReport, cleanup
from harness.shared_tenants.runtag import RunTag
from harness.suite.expect import eventually
from harness.suite.tripwire import Tripwire
from harness.suite.under_test import SyncRun, SyncUnderTest
from harness.sync.plan import FlowPlan
from harness.tenants import TenantPair
from harness.testdata.norwegian import NorwegianData
from harness.traffic.meters import Meters

if TYPE_CHECKING:
    from harness.proxy.client import ProxyControl
    from harness.suite.interleave import UserAtTheHold

__all__ = ["Dataflow", "FakesOnly", "Side"]

Side = Literal["crmoffice", "businesscentral"]
T = TypeVar("T")


BULK_READ = 3
"""More tracked records of one kind than this are read by one listing (see :meth:`Dataflow.reading`), not one by
one."""


class FakesOnly(RuntimeError):
    """A step needs a fake tenant's control (clock, faults) and the tenants are real."""


@dataclass
class Fakes:
    crmoffice: CRMOfficeFake
    businesscentral: BusinessCentralFake
    clock: Clock

    def tenant(self, side: Side) -> CRMOfficeFake | BusinessCentralFake:
        return self.crmoffice if side == "crmoffice" else self.businesscentral


@dataclass(repr=False)
class Dataflow:
    """One scenario's tenants, sync, data and tracked records."""

    pair: TenantPair
    plans: list[FlowPlan]
    sync: SyncUnderTest
    data: NorwegianData
    clock: Clock | None = None
    edit_gap: float = 1.0
    read_timeout: float = 30.0
    """The clients' read timeout, so a "too slow" fault can outlast it."""
    tripwires: dict[str, Tripwire] = field(default_factory=dict)
    """The transport in front of each tenant (``crmoffice``, ``businesscentral``) that steps can arm."""
    waits: list[float] = field(default_factory=list)
    """Seconds the clients were told to wait before retrying (recorded, not slept, on the fakes)."""
    real_wait: float = 1.1
    """On real tenants, the longest a scenario's "later" actually waits."""
    tag: RunTag | None = None
    """On shared tenants: the tag in the names of this scenario's records."""
    converge_timeout: float = 0.0
    """External sync: how long a positive expectation may be polled after a barrier (0: checked once)."""
    full_sync_timeout: float = 0.0
    """External sync: the service level of a full read (what only a full read brings, e.g. a re-creation)."""
    tracked: dict[tuple[Side, str], list[str]] = field(default_factory=dict)
    user_versions: dict[tuple[str, str], str | None] = field(default_factory=dict)
    """(CRMOffice kind, id) → the version (ETag) its user's last write left: any later version is the sync's."""
    runs: list[SyncRun] = field(default_factory=list)
    report_disagreements: list[tuple[str, list[str]]] = field(default_factory=list)
    """(run label, problems): what a run's report claims that the tenants contradicted right after it; judged once
    the scenario's own steps have passed (``harness.suite.claims.judge_reports``)."""
    user_writes: int = 0
    """Writes made as a user so far: one made while the sync ran (a planned interleaving) is not the sync's."""
    meters: Meters | None = None
    """The reference sync: what it did on the wire, counted while it runs (rule 12); see ``metering``."""
    metering: threading.Event = field(default_factory=threading.Event)
    proxy: ProxyControl | None = None
    """An external sync behind ``harness proxy``: its control plane (faults, holds, meters)."""
    product_timeout: float | None = None
    """An external product's request timeout, when known (a "too slow" answer must outlast it)."""
    lifted_at_next_run: list[tuple[int, Callable[[], Any]]] = field(default_factory=list)
    """(runs so far when registered, action): done at the start of the first run after a later one, e.g. a refusal
    that an external product meets on every cycle of one run, lifted for the run after it."""
    refusals: dict[str, list[str]] = field(default_factory=dict)
    """Record id → the proxy's rules refusing its next change (an external product's refusals are read back)."""
    interleavings: list[UserAtTheHold] = field(default_factory=list)
    """Users waiting at the proxy for the product's write to their record (the next run settles them)."""
    _same_moment: bool = False
    _reading: int = 0
    _views: dict[tuple[Side, str], dict[str, dict[str, Any]] | None] = field(default_factory=dict)
    """Inside :meth:`reading`: (side, kind) → that kind's records by id, listed once (None: cannot be listed)."""
    _edited_at: float | None = None
    """When the first user write since the last run was made (wall clock): a product may carry it at once."""

    def __repr__(self) -> str:
        # Shown as a step parameter in the report: short, and nothing of the clients or their credentials.
        tenants = "fake tenants" if self.clock is not None else "real tenants"
        return f"<dataflow: {tenants}, {self.sync.kind} sync, data seed {self.data.seed}, {len(self.runs)} sync runs>"

    # --- plans ------------------------------------------------------------------------------------------------
    def plan(self, origin: Resource) -> FlowPlan:
        for plan in self.plans:
            if plan.origin == origin:
                return plan
        raise LookupError(f"the checklist under test has no section for CRMOffice {origin}")

    def fakes(self) -> Fakes:
        crm, bc = self.pair.crmoffice_fake, self.pair.businesscentral_fake
        if crm is None or bc is None or self.clock is None:
            raise FakesOnly("this step controls a fake tenant (its clock or faults); the tenants here are real")
        return Fakes(crm, bc, self.clock)

    # --- time as users experience it --------------------------------------------------------------------------
    def _user_pause(self) -> None:
        # Users' edits happen one after another; on the fakes' frozen clock each edit is a second after the last
        # unless a scenario says they happen at the same moment.
        if self.clock is not None and not self._same_moment:
            self.clock.advance(self.edit_gap)

    def _user_writes(self) -> None:
        self._views.clear()
        self.user_writes += 1
        if self._edited_at is None:
            self._edited_at = time.time()
        self._user_pause()

    @contextlib.contextmanager
    def same_moment(self) -> Iterator[None]:
        self._user_pause()
        self._same_moment = True
        try:
            yield
        finally:
            self._same_moment = False

    def wait(self, seconds: float) -> None:
        """Time passes: on the fakes' clock exactly; on real tenants just long enough that what happens next is
        later by every tenant's clock and beyond a sync's re-read overlap (a scenario's "an hour later" costs a
        second, not an hour)."""
        if self.clock is not None:
            self.clock.advance(seconds)
        else:
            time.sleep(min(seconds, self.real_wait))

    # --- reading many records at once --------------------------------------------------------------------------
    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Reads inside answer from one listing of each kind, taken at that kind's first read, instead of a request
        per record: a check over 150 records costs a page or two, which matters most on shared sandboxes, where
        every scenario of the run spends the same request budget.

        A listing is what the tenant held when it was taken, so it is dropped at every user write, every sync run
        and every new attempt of a polled expectation (:meth:`eventually`). A record the listing lacks (deleted,
        renamed out of the run's tag, or not listable) is read on its own, so a listing only spares requests and
        never changes an answer. Shared tenants list only the scenario's tagged Business Central records; CRMOffice
        has no filter, so there its records are read one by one."""
        self._reading += 1
        try:
            yield
        finally:
            self._reading -= 1
            if not self._reading:
                self._views.clear()

    def _view(self, side: Side, kind: str) -> dict[str, dict[str, Any]] | None:
        if not self._reading:
            return None
        # A user's edit at an external product's hold runs on its own thread and clears the listings meanwhile: the
        # listing taken here is the one answered, whatever happened to the dict since.
        key = (side, kind)
        if key in self._views:
            return self._views.get(key)
        listed = self._listing(side, kind)
        self._views[key] = listed
        return listed

    def _listing(self, side: Side, kind: str) -> dict[str, dict[str, Any]] | None:
        if side == "businesscentral":
            tagged = None if self.tag is None else f"contains(displayName,{odata_string(self.tag.text)})"
            pages = self.pair.businesscentral.pages(kind, filter=tagged)  # type: ignore[arg-type]
        elif self.tag is None:
            pages = self.pair.crmoffice.pages(kind)  # type: ignore[arg-type]
        else:
            return None
        return {str(record["id"]): dict(record) for page in pages for record in page}

    # --- CRMOffice, as its users edit it ----------------------------------------------------------------------
    def crm_create(self, kind: Resource, fields: Mapping[str, Any]) -> dict[str, Any]:
        self._user_writes()
        made = self.pair.crmoffice.create(kind, fields)
        record = dict(made.record)
        self._track("crmoffice", kind, str(record["id"]))
        self.user_versions[(kind, str(record["id"]))] = made.etag
        return record

    def crm_get(self, kind: Resource, record_id: str) -> dict[str, Any] | None:
        listed = self._view("crmoffice", kind)
        if listed is not None and record_id in listed:
            return dict(listed[record_id])
        try:
            return dict(self.pair.crmoffice.get(kind, record_id).record)
        except NotFoundError:
            return None

    def crm_update(self, kind: Resource, record_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        self._user_writes()
        written = self.pair.crmoffice.update(kind, record_id, changes)
        self.user_versions[(kind, record_id)] = written.etag
        return dict(written.record)

    def crm_written_since_user(self, kind: Resource, record_id: str) -> tuple[str | None, str] | None:
        """None when the CRMOffice record is as its user's last write left it; otherwise (that version, what it is
        now: another version, or "deleted")."""
        try:
            now = self.pair.crmoffice.get(kind, record_id).etag or "no version"
        except NotFoundError:
            now = "deleted"
        user = self.user_versions.get((kind, record_id))
        return None if now == user else (user, now)

    def crm_delete(self, kind: Resource, record_id: str) -> None:
        self._user_writes()
        self.pair.crmoffice.delete(kind, record_id)

    def crm_find(self, kind: Resource, name: str) -> list[dict[str, Any]]:
        """CRMOffice records of ``kind`` whose display name is ``name`` (CRMOffice has no filter: read them all)."""
        return [dict(r) for r in self.pair.crmoffice.records(kind) if display_name(kind, r) == name]

    # --- Business Central, as its users edit it ---------------------------------------------------------------
    def bc_create(self, entity: EntitySet, fields: Mapping[str, Any]) -> dict[str, Any]:
        self._user_writes()
        record = dict(self.pair.businesscentral.create(entity, fields).record)
        self._track("businesscentral", entity, str(record["id"]))
        return record

    def bc_get(self, entity: EntitySet, record_id: str) -> dict[str, Any] | None:
        listed = self._view("businesscentral", entity)
        if listed is not None and record_id in listed:
            return dict(listed[record_id])
        try:
            return dict(self.pair.businesscentral.get(entity, record_id).record)
        except NotFoundError:
            return None

    def bc_update(self, entity: EntitySet, record_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        self._user_writes()
        current = self.pair.businesscentral.get(entity, record_id)
        etag = current.etag or "*"
        return dict(self.pair.businesscentral.update(entity, record_id, changes, etag).record)

    def bc_delete(self, entity: EntitySet, record_id: str) -> None:
        self._user_writes()
        self.pair.businesscentral.delete(entity, record_id)

    def bc_find(self, entity: EntitySet, name: str, record_type: str | None = None) -> list[dict[str, Any]]:
        listed = self._view("businesscentral", entity) if self.tag is None or self.tag.owns(name) else None
        if listed is not None:
            # The fakes' test for the filter below (exact, case and all); the listing holds every record that could
            # carry this name, as only a name with the run's tag is looked up in a tagged listing.
            return [
                dict(r)
                for r in listed.values()
                if r.get("displayName") == name and (not record_type or r.get("type") == record_type)
            ]
        clauses = [f"displayName eq {odata_string(name)}"]
        if record_type:
            clauses.append(f"type eq {odata_string(record_type)}")
        found = [r for page in self.pair.businesscentral.pages(entity, filter=" and ".join(clauses)) for r in page]
        return [dict(r) for r in found]

    # --- the dataflow's own guarantees ------------------------------------------------------------------------
    def counterparts(self, origin: Resource, record: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The Business Central records the sync made for a CRMOffice record, found by the name it must give them
        (rule 2: ``displayName`` from the record, ``type`` from the section's classification)."""
        return self.counterparts_named(origin, display_name(origin, record))

    def counterparts_named(self, origin: Resource, name: str) -> list[dict[str, Any]]:
        """Business Central records of the section's type whose display name is ``name``."""
        plan = self.plan(origin)
        found = self.bc_find(plan.target, name, plan.target_type)
        for item in found:
            self._track("businesscentral", plan.target, str(item["id"]))
        return found

    def remove_own_records(self) -> CleanupReport:
        """Shared tenants keep nothing of a scenario, whether it passed or failed. With an external sync, a
        counterpart the product creates after this (it read the record before the scenario deleted it) is removed by
        the run's final sweep (:class:`harness.barriers.external_run.ExternalRun`), after a last barrier."""
        if self.tag is None:
            raise ValueError("this scenario's records carry no run tag (the tenants are fakes of its own)")
        return cleanup(self.pair, self.tag.owns)

    def run_sync(self, *, full: bool = False) -> SyncRun:
        before = self.tenant_counts()
        seen = self.fingerprint() if self.sync.kind == "external" else None
        due = [action for registered, action in self.lifted_at_next_run if len(self.runs) > registered]
        self.lifted_at_next_run = [(r, a) for r, a in self.lifted_at_next_run if len(self.runs) <= r]
        for action in due:
            action()
        self.metering.set()
        try:
            run = self.sync.run(full=full, flows=self.flows_in_play())
        finally:
            self.metering.clear()
            # A planned interleaving ("a user edits it while the sync writes it") belongs to this run only.
            for wire in self.tripwires.values():
                wire.disarm()
            waiting, self.interleavings = self.interleavings, []
        for user in waiting:
            user.finish()
        if run.window is not None and self._edited_at is not None:
            # What the product did about the scenario's edits may start the moment they land, before the wait.
            run.window = (min(run.window[0], self._edited_at), run.window[1])
        self._edited_at = None
        self._views.clear()
        if seen is not None:
            run.changed = self.fingerprint() != seen
        after = self.tenant_counts()
        if before is not None and after is not None:
            run.writes, run.served, run.requests = (
                {side: after[side][index] - before[side][index] for side in after} for index in range(3)
            )
        self.runs.append(run)
        return run

    def eventually(self, check: Callable[[], T]) -> T:
        """A positive expectation ("the contact shows the new value"): checked once after the reference sync; after
        an external sync's barrier, polled until it holds for at most ``converge_timeout`` seconds, since a product
        may write the scenario's record a moment after the markers that proved it had read it. Negative
        expectations ("nothing changed", "exactly one") are never polled: they are judged after the barrier."""
        attempts = 0

        def attempt() -> T:
            nonlocal attempts
            if attempts:
                self._views.clear()  # a new attempt reads what the tenants hold now
            attempts += 1
            return check()

        return eventually(attempt, self.converge_timeout)

    def flows_in_play(self) -> list[str] | None:
        """The checklist sections whose records the scenario has met (an external sync's barrier waits for these
        only, so a defect in one section fails that section's scenarios); None before it has met any."""
        kinds = set(self.tracked)
        flows = [
            plan.heading
            for plan in self.plans
            if ("crmoffice", plan.origin) in kinds or ("businesscentral", plan.target) in kinds
        ]
        return flows or None

    def tenant_counts(self) -> dict[str, tuple[int, int, int]] | None:
        """What each fake has counted so far: (writes, records served, requests for data); None when the tenants are
        real (they count nothing a test can read)."""
        try:
            fakes = self.fakes()
        except FakesOnly:
            return None
        return {
            side: (tenant.writes(), tenant.served(), tenant.requests())
            for side, tenant in (("crmoffice", fakes.crmoffice), ("businesscentral", fakes.businesscentral))
        }

    # --- what the report shows --------------------------------------------------------------------------------
    def _track(self, side: Side, kind: str, record_id: str) -> None:
        ids = self.tracked.setdefault((side, kind), [])
        if record_id not in ids:
            ids.append(record_id)

    def snapshot(self) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """The scenario's records as both tenants hold them now; a deleted one shows as ``{"id", "deleted": true}``."""
        shot: dict[str, dict[str, list[dict[str, Any]]]] = {"crmoffice": {}, "businesscentral": {}}
        self._views.clear()  # a snapshot is of now, whatever a step read before it
        for (side, kind), ids in sorted(self.tracked.items()):
            rows = []
            with self.reading() if len(ids) > BULK_READ else contextlib.nullcontext():
                for record_id in ids:
                    if side == "crmoffice":
                        record = self.crm_get(kind, record_id)  # type: ignore[arg-type]
                    else:
                        record = self.bc_get(kind, record_id)  # type: ignore[arg-type]
                    rows.append(record if record is not None else {"id": record_id, "deleted": True})
            shot[side][kind] = rows
        return shot

    def fingerprint(self) -> tuple[tuple[str, str, str, str | None], ...]:
        """What the scenario can see of both tenants, with modification times: compared across an external sync's
        barrier, it shows whether the product wrote anything. Includes Business Central records carrying the
        scenario's tag that it has not met yet."""
        if self.tag is not None:
            tagged = f"contains(displayName,{odata_string(self.tag.text)})"
            for entity in ("contacts", "customers"):
                for page in self.pair.businesscentral.pages(entity, filter=tagged):
                    for record in page:
                        self._track("businesscentral", entity, str(record["id"]))
        items = []
        shot = self.snapshot()
        for side, kinds in shot.items():
            for kind, records in kinds.items():
                for record in records:
                    stamp = record.get("updatedAt") or record.get("lastModifiedDateTime")
                    items.append((side, kind, str(record.get("id")), None if record.get("deleted") else str(stamp)))
        return tuple(sorted(items))

    def close(self) -> None:
        for _, action in self.lifted_at_next_run:
            with contextlib.suppress(Exception):  # the record goes with the scenario's cleanup anyway
                action()
        for user in self.interleavings:
            user.cancel()
        self.sync.close()
        self.pair.close()
