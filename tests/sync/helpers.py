"""A pair of fake tenants with the reference sync between them, and the business-level moves tests make on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.businesscentral.fake import BusinessCentralFake
from harness.checklist import parse_file
from harness.client import RetryPolicy
from harness.crmoffice.fake import CRMOfficeFake
from harness.fake_pair import fake_pair
from harness.fakes import Clock, IdSource
from harness.sync import SyncEngine, SyncReport, SyncState, plan_dataflow
from harness.tenants import TenantPair

CHECKLIST = Path(__file__).resolve().parents[2] / "features" / "crmoffice-businesscentral.rst"
START = datetime(2024, 11, 13, 9, 0, 0, tzinfo=UTC)
PLANS = plan_dataflow(parse_file(CHECKLIST))
CONTACTS = next(plan.key for plan in PLANS if plan.origin == "contacts")
COMPANIES = next(plan.key for plan in PLANS if plan.origin == "companies")


@dataclass
class World:
    state_path: Path
    clock: Clock = field(default_factory=lambda: Clock(START, frozen=True))
    sleeps: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pair: TenantPair = fake_pair(
            "mock", seed=7, clock=self.clock, retry=RetryPolicy(sleep=self.sleeps.append, jitter=0.0)
        )
        assert self.pair.crmoffice_fake is not None
        assert self.pair.businesscentral_fake is not None
        self.crm: CRMOfficeFake = self.pair.crmoffice_fake
        self.bc: BusinessCentralFake = self.pair.businesscentral_fake
        self.ids = IdSource(99)

    def engine(self, pair: TenantPair | None = None) -> SyncEngine:
        pair = pair or self.pair
        return SyncEngine(PLANS, pair.crmoffice, pair.businesscentral, SyncState(self.state_path), new_id=self.ids.guid)

    def sync(self, *, reconcile: bool | None = None) -> SyncReport:
        engine = self.engine()
        try:
            return engine.run(reconcile=reconcile)
        finally:
            engine.state.close()

    def tick(self, seconds: float = 1.0) -> None:
        self.clock.advance(seconds)

    # --- CRMOffice, as a user edits it ------------------------------------------------------------------------
    def crm_contact(self, given: str = "Kari", family: str = "Nordmann", **fields: Any) -> str:
        with self.crm.lock:
            return self.crm.model.create("contacts", {"givenName": given, "familyName": family, **fields}).record["id"]

    def crm_company(self, name: str = "Fjordkraft AS", **fields: Any) -> str:
        with self.crm.lock:
            return self.crm.model.create("companies", {"name": name, **fields}).record["id"]

    def crm_edit(self, resource: str, record_id: str, **changes: Any) -> None:
        with self.crm.lock:
            self.crm.model.update(resource, record_id, changes)

    def crm_delete(self, resource: str, record_id: str) -> None:
        with self.crm.lock:
            self.crm.model.delete(resource, record_id)

    def crm_record(self, resource: str, record_id: str) -> dict[str, Any]:
        with self.crm.lock:
            return dict(self.crm.model.get(resource, record_id).record)

    # --- Business Central, as a user edits it -----------------------------------------------------------------
    def bc_records(self, entity_set: str) -> list[dict[str, Any]]:
        company = self.bc.company()
        with self.bc.lock:
            store = company.store(entity_set)
            return [self.bc.model.render(company, entity_set, r) for r in store.records.values()]

    def bc_record(self, entity_set: str, record_id: str) -> dict[str, Any]:
        company = self.bc.company()
        with self.bc.lock:
            return self.bc.model.render(company, entity_set, self.bc.model.get(company, entity_set, record_id))

    def bc_create(self, entity_set: str, **body: Any) -> str:
        company = self.bc.company()
        with self.bc.lock:
            return str(self.bc.model.create(company, entity_set, body)["id"])

    def bc_edit(self, entity_set: str, record_id: str, **changes: Any) -> None:
        company = self.bc.company()
        with self.bc.lock:
            self.bc.model.update(company, entity_set, record_id, changes, "*")

    def bc_delete(self, entity_set: str, record_id: str) -> None:
        company = self.bc.company()
        with self.bc.lock:
            self.bc.model.delete(company, entity_set, record_id, None)

    def counterpart(self, flow: str, origin_id: str) -> str:
        """The target id the sync state links to ``origin_id`` (live links only)."""
        state = SyncState(self.state_path)
        try:
            links = [link for link in state.links_for(flow, "origin_id", [origin_id]) if link.live]
        finally:
            state.close()
        assert len(links) == 1, f"expected one live link for {origin_id} in {flow}, found {links}"
        return links[0].target_id

    def writes(self) -> dict[str, int]:
        """Writes each fake received since its counters were last cleared ($batch operations included)."""
        return {"crmoffice": self.crm.writes(), "businesscentral": self.bc.writes()}

    def clear_counts(self) -> None:
        self.crm.clear_counts()
        self.bc.clear_counts()
