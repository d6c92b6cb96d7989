"""Running a soak program against the tenants while the product syncs them on its own schedule.

Each action is what a user does through the tenant's API, and each write's stamp is the tenant's own. A user of
Business Central edits a pair's record only once it exists: the runner waits for the counterpart (up to the edit
service level, or the full-read one after a Business Central delete) and records the action as skipped if it never
shows (the checker then finds the missing counterpart). Before a CRMOffice delete it waits the same way, so the
checker can tell "the delete did not propagate" from "there was never a counterpart". A Business Central edit
refused as stale (the product wrote in between) is read again and retried, as a person would.

After the last action, :meth:`Runner.settle` waits for the product through the run's barriers (a cycle that started
after the last action, then a full read), reads both tenants, and watches a quiet period for writes nobody asked for.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from harness.barriers.barrier import BarrierKind, BarrierService, BarrierTimeout
from harness.businesscentral.client import odata_string
from harness.client import ApiError, ChangedUnderYouError, NotFoundError
from harness.client.timestamps import parse_timestamp
from harness.proxy.client import ProxyControl
from harness.shared_tenants.runtag import RunTag
from harness.soak.checker import NOT_WITHIN
from harness.soak.history import CRM, Action, Event, FinalState
from harness.soak.nemesis import inject
from harness.sync.plan import FlowPlan
from harness.tenants import TenantPair

__all__ = ["Runner", "soak_name"]

PREFIX = "Soak"


def soak_name(record: str, tag: RunTag) -> str:
    """The display name a soak record carries on both sides: ``Soak c7 qa-<run>-<part>``."""
    return f"{PREFIX} {record} {tag.text}"


@dataclass
class Runner:
    pair: TenantPair
    plans: Sequence[FlowPlan]
    tag: RunTag
    service: BarrierService
    converge_timeout: float
    full_sync_timeout: float
    concurrency: int = 4
    stop_after: float | None = None
    """Seconds after which no further action starts (``--duration``); the rest of the program is not run."""
    poll: float = 0.25
    proxy: ProxyControl | None = None
    """``harness proxy`` in front of the product: where the nemesis's trouble actions go."""
    events: list[Event] = field(default_factory=list)
    crm_ids: dict[str, str] = field(default_factory=dict)
    bc_ids: dict[str, str] = field(default_factory=dict)
    _started: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _bc_deleted: set[str] = field(default_factory=set)

    def plan(self, flow: str) -> FlowPlan:
        return next(plan for plan in self.plans if plan.origin == flow)

    # --- running the program ----------------------------------------------------------------------------------------
    def run(self, actions: Sequence[Action]) -> list[Event]:
        with ThreadPoolExecutor(max_workers=max(1, self.concurrency), thread_name_prefix="soak") as pool:
            for group in _groups(actions):
                if self.stop_after is not None and time.monotonic() - self._started > self.stop_after:
                    break
                list(pool.map(lambda item: self._run_one(*item), group))
        return sorted(self.events, key=lambda e: e.index)

    def _run_one(self, index: int, action: Action) -> None:
        at = time.monotonic() - self._started
        try:
            event = self._do(index, action, at)
        except NotFoundError as exc:
            event = Event(index, action, at, skipped=f"the record was gone: {exc}")
        except ApiError as exc:
            # A tenant refused a user's action (a record the product left in a state a user cannot edit): the action
            # did not happen; the checker judges what the tenants show. Transport failures still stop the soak.
            event = Event(index, action, at, skipped=f"the tenant refused it: {exc}")
        with self._lock:
            self.events.append(event)

    def _do(self, index: int, action: Action, at: float) -> Event:
        if action.kind == "pause":
            time.sleep(action.seconds)
            return Event(index, action, at)
        if action.kind == "trouble":
            if self.proxy is None:
                return Event(index, action, at, skipped="no harness proxy to make the trouble at (--proxy)")
            inject(self.proxy, action)
            return Event(index, action, at)
        if action.side == CRM:
            return self._crm(index, action, at)
        if action.bc_only:
            return self._bc_only(index, action, at)
        return self._bc_pair(index, action, at)

    def _crm(self, index: int, action: Action, at: float) -> Event:
        resource = self.plan(action.flow).origin
        if action.kind == "create":
            body: dict[str, Any] = dict(action.values)
            name = soak_name(action.record, self.tag)
            if resource == "contacts":
                body.update(givenName=PREFIX, familyName=name.removeprefix(f"{PREFIX} "))
            else:
                body.update(name=name)
            written = self.pair.crmoffice.create(resource, body)
            self.crm_ids[action.record] = written.id
            return Event(index, action, at, stamp=_stamp(written.record, "updatedAt"))
        record_id = self.crm_ids[action.record]
        if action.kind == "delete":
            seen = self._counterpart(action) is not None
            self.pair.crmoffice.delete(resource, record_id)
            return Event(index, action, at, counterpart_seen=seen)
        changes = {name: (value or None) for name, value in action.values.items()}
        written = self.pair.crmoffice.update(resource, record_id, changes)
        return Event(index, action, at, stamp=_stamp(written.record, "updatedAt"))

    def _bc_pair(self, index: int, action: Action, at: float) -> Event:
        record_id = self._counterpart(action)
        if record_id is None:
            return Event(index, action, at, skipped=f"{NOT_WITHIN} {self._bound(action):g} s (the service level)")
        entity = self.plan(action.flow).target
        if action.kind == "delete":
            self.pair.businesscentral.delete(entity, record_id)
            with self._lock:
                self._bc_deleted.add(action.record)
            return Event(index, action, at, counterpart_seen=True)
        return self._bc_write(index, action, at, entity, record_id)

    def _bc_only(self, index: int, action: Action, at: float) -> Event:
        plan = self.plan(action.flow)
        if action.kind == "create":
            body = {"displayName": soak_name(action.record, self.tag), "type": plan.target_type, **action.values}
            written = self.pair.businesscentral.create(plan.target, body)
            self.bc_ids[action.record] = written.id
            return Event(index, action, at, stamp=_stamp(written.record, "lastModifiedDateTime"))
        if action.kind == "delete":
            self.pair.businesscentral.delete(plan.target, self.bc_ids[action.record])
            return Event(index, action, at)
        return self._bc_write(index, action, at, plan.target, self.bc_ids[action.record])

    def _bc_write(self, index: int, action: Action, at: float, entity: Any, record_id: str) -> Event:
        for _ in range(5):
            current = self.pair.businesscentral.get(entity, record_id)
            try:
                written = self.pair.businesscentral.update(entity, record_id, action.values, current.etag or "*")
            except ChangedUnderYouError:
                continue  # the product wrote between the read and the write: read again, as a person would
            return Event(index, action, at, stamp=_stamp(written.record, "lastModifiedDateTime"), counterpart_seen=True)
        return Event(index, action, at, skipped="Business Central refused the edit as stale five times")

    def _bound(self, action: Action) -> float:
        """How long a counterpart may take: an edit's service level, or the full read's after a user deleted it."""
        return self.full_sync_timeout if action.record in self._bc_deleted else self.converge_timeout

    def _counterpart(self, action: Action) -> str | None:
        """The pair's Business Central record, waited for up to the service level."""
        plan = self.plan(action.flow)
        deadline = time.monotonic() + self._bound(action)
        trouble = self._trouble()
        name = soak_name(action.record, self.tag)
        query = f"displayName eq {odata_string(name)} and type eq {odata_string(plan.target_type)}"
        while True:
            found = [r for page in self.pair.businesscentral.pages(plan.target, filter=query) for r in page]
            if found:
                return str(found[0]["id"])
            if time.monotonic() >= deadline + self._trouble() - trouble:
                return None  # the service level, stretched by what injected trouble made the product wait meanwhile
            time.sleep(self.poll)

    def _trouble(self) -> float:
        return self.proxy.trouble_seconds() if self.proxy is not None else 0.0

    # --- after the program ----------------------------------------------------------------------------------------
    def settle(self, quiet: bool = True) -> tuple[FinalState, FinalState]:
        """The tenants after ordinary cycles (two, started after the last action) and after a full read, with the
        writes of a quiet period after that. A barrier the product does not meet is recorded on the state (a product
        failure the checker reports) and the soak goes on to read what the tenants show."""
        missed: list[tuple[str, str]] = []
        self._wait("edits", "soak: a cycle after the last action", missed)
        self._wait("edits", "soak: another cycle, for the writes of the first", missed)
        cycled = self.read()
        self._wait("full", "soak: a full read after the last action", missed)
        final = self.read()
        if quiet:
            before = _versions(final)
            self._wait("edits", "soak: a quiet cycle", missed)
            self._wait("edits", "soak: another quiet cycle", missed)
            after = self.read()
            final.quiet_writes = _changed(before, _versions(after))
        final.barriers_missed = missed
        return cycled, final

    def _wait(self, kind: BarrierKind, label: str, missed: list[tuple[str, str]]) -> None:
        try:
            self.service.wait(kind, label)
        except BarrierTimeout as exc:
            missed.append((kind, str(exc)))

    def read(self) -> FinalState:
        final = FinalState()
        for record, record_id in sorted(self.crm_ids.items()):
            resource = self.plan(_flow_of(self.events, record)).origin
            try:
                final.crm[record] = self.pair.crmoffice.get(resource, record_id).record
            except NotFoundError:
                final.crm[record] = None
        for plan in self.plans:
            for found in _tagged(self.pair, plan, self.tag):
                final.bc.setdefault(_record_of(str(found.get("displayName", ""))), []).append(found)
            for crm_record in self.pair.crmoffice.records(plan.origin):
                name = _crm_name(plan.origin, crm_record)
                if self.tag.owns(name):
                    final.crm_by_name.setdefault(_record_of(name), []).append(crm_record)
        return final


def _groups(actions: Sequence[Action]) -> Iterator[list[tuple[int, Action]]]:
    group: list[tuple[int, Action]] = []
    for index, action in enumerate(actions):
        if group and group[-1][1].group != action.group:
            yield group
            group = []
        group.append((index, action))
    if group:
        yield group


def _stamp(record: Mapping[str, Any], name: str) -> datetime | None:
    value = record.get(name)
    return parse_timestamp(str(value)) if value else None


def _tagged(pair: TenantPair, plan: FlowPlan, tag: RunTag) -> list[dict[str, Any]]:
    query = f"contains(displayName,{odata_string(tag.text)}) and type eq {odata_string(plan.target_type)}"
    return [dict(r) for page in pair.businesscentral.pages(plan.target, filter=query) for r in page]


def _record_of(name: str) -> str:
    words = name.split()
    return words[1] if len(words) >= 3 and words[0] == PREFIX else name


def _crm_name(resource: str, record: Mapping[str, Any]) -> str:
    if resource == "companies":
        return str(record.get("name") or "")
    return f"{record.get('givenName') or ''} {record.get('familyName') or ''}".strip()


def _flow_of(events: Sequence[Event], record: str) -> str:
    return next(e.action.flow for e in events if e.action.record == record)


def _versions(final: FinalState) -> dict[str, str]:
    versions = {}
    for record, crm_record in final.crm.items():
        if crm_record is not None:
            versions[f"{record} in CRMOffice"] = str(crm_record.get("updatedAt"))
    for record, found in final.bc.items():
        for bc_record in found:
            versions[f"{record} in Business Central ({bc_record.get('id')})"] = str(bc_record.get("@odata.etag"))
    return versions


def _changed(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    changed = [f"{key}: {before[key]} -> {after.get(key)}" for key in sorted(before) if after.get(key) != before[key]]
    return changed + [f"{key}: new, {after[key]}" for key in sorted(set(after) - set(before))]
