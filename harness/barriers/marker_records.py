"""Marker records on the tenants: the changes a barrier makes and how it sees them cross (see :mod:`.barrier`).

Per checklist section (flow), from what the section maps:

- **CRMOffice → Business Central**: a marker CRMOffice record whose first mapped property (``directPhone``) is
  given a fresh value; crossed when its Business Central counterpart shows it (``phoneNumber``). A section without
  property rows (companies → customers) carries only creations, so there each change is a new marker record, crossed
  when its counterpart exists.
- **Business Central → CRMOffice**: a second marker record, linked, whose counterpart's mapped property is given a
  fresh value in Business Central; crossed when the CRMOffice record shows it. (Two records, so the two directions
  never edit the same pair at once.)
- **full read**: a pool of linked marker records; a change deletes one's Business Central counterpart, and it has
  crossed when a new counterpart exists (rule 6: only a full read finds that a counterpart is gone). The pool grows
  when every member is waiting for its re-creation.

Markers are named ``Marker <role> qa-<run id>-fffff``: tagged like every record of the run (so ``harness cleanup
--run-id`` removes them), with a five-digit scenario part no scenario's four-digit tag can take. One look reads the
tagged records of each Business Central entity set involved (one filtered request each) and the inbound markers
in CRMOffice (one request each). Phone values are compared by their digits, so a product that reformats a number
still carries it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.barriers.barrier import BarrierKind, Channel
from harness.businesscentral.client import EntitySet, odata_string
from harness.client import NotFoundError
from harness.crmoffice.dataflow import display_name
from harness.sync.plan import FlowPlan
from harness.tenants import TenantPair
from harness.testdata.norwegian import NorwegianData
from harness.testdata.values import row_values, values_by_property

__all__ = ["MARKER_SCENARIO", "TenantBoard", "marker_tag"]

MARKER_SCENARIO = "fffff"
TO_BC = "CRMOffice → Business Central"
TO_CRM = "Business Central → CRMOffice"
FULL = "full read"
View = Mapping[EntitySet, Sequence[Mapping[str, Any]]]


def marker_tag(run_id: str) -> str:
    """The tag in every marker's name: the run's, with a scenario part (``fffff``) no scenario's tag can have."""
    return f"qa-{run_id}-{MARKER_SCENARIO}"


@dataclass
class _Record:
    """A marker CRMOffice record and what is known of its Business Central counterpart."""

    crm_id: str
    name: str
    values: dict[str, Any] = field(default_factory=dict)
    """The mapped values it was created with."""
    counterpart: str | None = None
    deleted: set[str] = field(default_factory=set)
    pending: int | None = None


class TenantBoard:
    """The markers of one run on real (or served) tenants; only the barrier service's thread uses it."""

    def __init__(self, pair: TenantPair, plans: Sequence[FlowPlan], run_id: str, *, seed: int, pool: int = 2) -> None:
        self.pair = pair
        self.tag = marker_tag(run_id)
        self.data = NorwegianData(seed)
        self.channels: list[Channel] = []
        for plan in plans:
            if plan.pairs:
                self.channels += [_Outbound(self, plan), _Inbound(self, plan)]
            else:
                self.channels.append(_Creation(self, plan))
        for plan in plans:
            self.channels.append(_FullRead(self, plan, pool))

    def new_record(self, plan: FlowPlan, role: str) -> _Record:
        """A marker CRMOffice record of the section's kind, with values for every mapped property."""
        body: dict[str, Any]
        if plan.origin == "contacts":
            body = {"givenName": "Marker", "familyName": f"{role} {self.tag}"}
        else:
            body = {"name": f"Marker {role} {self.tag}", "orgNr": self.data.org_nr()}
        rows = values_by_property(plan)
        for pair in plan.pairs:
            body[pair.origin] = rows[pair.origin].fresh(self.data, pair.origin)
        record = self.pair.crmoffice.create(plan.origin, body).record
        values = {pair.origin: body[pair.origin] for pair in plan.pairs}
        return _Record(str(record["id"]), display_name(plan.origin, record), values)

    def counterparts(self, view: View, plan: FlowPlan, name: str) -> list[Mapping[str, Any]]:
        records = view.get(plan.target, ())
        return [r for r in records if r.get("displayName") == name and r.get("type") == plan.target_type]

    def look(self, channels: Sequence[Channel]) -> dict[str, int]:
        wanted = sorted({c.plan.target for c in channels if isinstance(c, _MarkerChannel) and c.reads_bc})
        tagged = f"contains(displayName,{odata_string(self.tag)})"
        view: dict[EntitySet, list[Mapping[str, Any]]] = {
            entity: [r for page in self.pair.businesscentral.pages(entity, filter=tagged) for r in page]
            for entity in wanted
        }
        return {c.key: c.observe(view) for c in channels if isinstance(c, _MarkerChannel)}


class _MarkerChannel:
    kind: BarrierKind = "edits"
    direction: str = ""
    reads_bc: bool = True

    def __init__(self, board: TenantBoard, plan: FlowPlan, role: str) -> None:
        self.board = board
        self.plan = plan
        self.flow = plan.heading
        self.key = f"{plan.key} {role}"
        self.seq = 0
        self.seen = 0
        self.last_seen = "nothing looked at yet"

    def ready(self) -> bool:
        return True

    def prepare(self) -> None:
        """Nothing to do: the channel becomes ready by itself, if at all."""

    def observe(self, view: View) -> int:
        raise NotImplementedError

    def wrote(self, seq: int) -> str:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def showing(self) -> str:
        return self.last_seen


class _EditChannel(_MarkerChannel):
    """A linked marker whose mapped property is edited on one side (``written_prop``) and read on the other."""

    def __init__(self, board: TenantBoard, plan: FlowPlan, role: str, written_prop: str) -> None:
        super().__init__(board, plan, role)
        self.pair_ = plan.pairs[0]
        self.row = row_values(plan, self.pair_)
        self.written_prop = written_prop
        self.record = board.new_record(plan, role)
        # The values it was created with count as change 0, so no fresh value can be mistaken for them.
        self.values: dict[str, int] = {self._key(v): 0 for v in self.record.values.values()}
        self.written: dict[int, str] = {}

    def _fresh(self, prop: str) -> str:
        value = self.row.fresh(self.board.data, prop)
        while self._key(value) in self.values:
            value = self.row.fresh(self.board.data, prop)
        self.seq += 1
        self.values[self._key(value)] = self.seq
        self.written[self.seq] = value
        return value

    def _key(self, value: Any) -> str:
        # Compared as users compare them (a phone by its digits), so a value typed another way is no fresh one.
        return self.row.key(str(value)) if value not in (None, "") else ""

    def wrote(self, seq: int) -> str:
        return f"{self.written_prop} set to {self.written.get(seq)!r}"

    def describe(self) -> str:
        ids = f"CRMOffice id {self.record.crm_id}"
        if self.record.counterpart:
            ids += f", Business Central id {self.record.counterpart}"
        return f"{self.record.name!r} ({ids})"

    def _counterparts(self, view: View, missing: str) -> list[Mapping[str, Any]]:
        """The marker's counterparts in ``view``; none: says so (``missing`` leads the message) and returns []."""
        found = self.board.counterparts(view, self.plan, self.record.name)
        if found:
            self.record.counterpart = str(found[0]["id"])
        else:
            target = f"{self.plan.target_type} {self.plan.target}"
            self.last_seen = f"{missing}Business Central has no {target} named {self.record.name!r}"
        return found

    def _seen_value(self, value: Any, where: str) -> int:
        self.seen = max(self.seen, self.values.get(self._key(value), 0))
        self.last_seen = f"{where} shows {value!r}"
        return self.seen


class _Outbound(_EditChannel):
    direction = TO_BC

    def __init__(self, board: TenantBoard, plan: FlowPlan) -> None:
        super().__init__(board, plan, f"outbound {plan.origin}", f"CRMOffice {plan.pairs[0].origin}")

    def change(self) -> int:
        value = self._fresh(self.pair_.origin)
        self.board.pair.crmoffice.update(self.plan.origin, self.record.crm_id, {self.pair_.origin: value})
        return self.seq

    def observe(self, view: View) -> int:
        found = self._counterparts(view, "")
        if not found:
            return self.seen
        # Any counterpart showing the value proves the read; more than one is a duplicate worth saying (rule 1).
        shown = max(found, key=lambda r: self.values.get(self._key(r.get(self.pair_.target)), 0))
        seen = self._seen_value(shown.get(self.pair_.target), f"Business Central {self.pair_.target}")
        if len(found) > 1:
            self.last_seen += f" (and Business Central holds {len(found)} counterparts of the marker)"
        return seen


class _Inbound(_EditChannel):
    direction = TO_CRM

    def __init__(self, board: TenantBoard, plan: FlowPlan) -> None:
        super().__init__(board, plan, f"inbound {plan.origin}", f"Business Central {plan.pairs[0].target}")

    @property
    def reads_bc(self) -> bool:  # type: ignore[override]
        return self.record.counterpart is None

    def ready(self) -> bool:
        return self.record.counterpart is not None

    def change(self) -> int:
        assert self.record.counterpart is not None
        value = self._fresh(self.pair_.target)
        try:
            self.board.pair.businesscentral.update(
                self.plan.target, self.record.counterpart, {self.pair_.target: value}, "*"
            )
        except NotFoundError:
            self.record.counterpart = None  # someone deleted it: find the product's next one
            raise
        return self.seq

    def observe(self, view: View) -> int:
        if self.record.counterpart is None and not self._counterparts(view, "its creation has not crossed: "):
            return self.seen
        if self.seq == 0:
            return self.seen
        record = self.board.pair.crmoffice.get(self.plan.origin, self.record.crm_id).record
        return self._seen_value(record.get(self.pair_.origin), f"CRMOffice {self.pair_.origin}")


class _Creation(_MarkerChannel):
    """A section without property rows carries creations only: each change is a new marker record."""

    direction = TO_BC

    def __init__(self, board: TenantBoard, plan: FlowPlan) -> None:
        super().__init__(board, plan, f"create {plan.origin}")
        self.names: dict[str, int] = {}
        self.records: dict[int, _Record] = {}

    def change(self) -> int:
        self.seq += 1
        record = self.board.new_record(self.plan, f"create {self.seq}")
        self.names[record.name] = self.seq
        self.records[self.seq] = record
        return self.seq

    def wrote(self, seq: int) -> str:
        record = self.records.get(seq)
        return f"CRMOffice {self.plan.origin} {record.name!r} created (id {record.crm_id})" if record else "?"

    def describe(self) -> str:
        return f"CRMOffice {self.plan.origin} 'Marker create <n> {self.board.tag}' (one per change)"

    def observe(self, view: View) -> int:
        for record in view.get(self.plan.target, ()):
            seq = self.names.get(str(record.get("displayName")))
            if seq is not None and record.get("type") == self.plan.target_type:
                self.seen = max(self.seen, seq)
        self.last_seen = f"the newest marker with a Business Central {self.plan.target_type} is number {self.seen}"
        return self.seen


class _FullRead(_MarkerChannel):
    kind: BarrierKind = "full"
    direction = FULL
    MAX_POOL = 8

    def __init__(self, board: TenantBoard, plan: FlowPlan, pool: int) -> None:
        super().__init__(board, plan, f"full {plan.origin}")
        self.members = [board.new_record(plan, f"full {n} {plan.origin[:4]}") for n in range(1, pool + 1)]
        self.deleted_at: dict[int, tuple[_Record, str]] = {}

    def _free(self) -> _Record | None:
        return next((m for m in self.members if m.counterpart is not None and m.pending is None), None)

    def ready(self) -> bool:
        return self._free() is not None

    def prepare(self) -> None:
        # Every member waits for its re-creation: one more, up to a bound. (While the newest still waits for its
        # first link, another would not be ready any sooner.)
        newest = self.members[-1]
        if len(self.members) < self.MAX_POOL and (newest.counterpart is not None or newest.pending is not None):
            self.members.append(
                self.board.new_record(self.plan, f"full {len(self.members) + 1} {self.plan.origin[:4]}")
            )

    def change(self) -> int:
        member = self._free()
        assert member is not None
        assert member.counterpart is not None
        self.seq += 1
        gone = member.counterpart
        member.deleted.add(gone)
        member.counterpart, member.pending = None, self.seq
        self.deleted_at[self.seq] = (member, gone)
        with contextlib.suppress(NotFoundError):  # gone already: what the product must notice is the same
            self.board.pair.businesscentral.delete(self.plan.target, gone)
        return self.seq

    def wrote(self, seq: int) -> str:
        member, gone = self.deleted_at.get(seq, (None, "?"))
        name = member.name if member else "?"
        return f"Business Central {self.plan.target} {gone} (counterpart of {name!r}) deleted"

    def describe(self) -> str:
        names = ", ".join(f"{m.name!r} (CRMOffice id {m.crm_id})" for m in self.members)
        return f"pool {names}"

    def observe(self, view: View) -> int:
        waiting = []
        for member in self.members:
            found = self.board.counterparts(view, self.plan, member.name)
            found = [r for r in found if str(r["id"]) not in member.deleted]
            if found:
                member.counterpart = str(found[0]["id"])
                if member.pending is not None:
                    self.seen = max(self.seen, member.pending)
                    member.pending = None
            elif member.pending is not None:
                waiting.append(f"{member.name!r} (change {member.pending})")
        self.last_seen = (
            f"no new Business Central {self.plan.target_type} {self.plan.target} for {', '.join(waiting)}"
            if waiting
            else f"{sum(m.counterpart is None for m in self.members)} of the {len(self.members)} markers of the pool "
            "have no Business Central counterpart yet"
        )
        return self.seen
