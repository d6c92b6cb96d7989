"""The checker: a soak's history and the tenants' final state, held against the contract's rules.

Each rule of ``docs/contract.md`` that a history can show is checked record by record:

- **1** every CRMOffice record still there has exactly one Business Central counterpart; never two.
- **3** each mapped property ends equal on both sides (by the row's own comparison: phones by their digits), and what
  a user wrote to an unmapped property stays as written and is never copied to the other side.
- **4** the latest write to a property wins, ordered by the tenants' own stamps; on a tie, CRMOffice's.
- **5** a clear empties only its own side: the other keeps the value it had.
- **6** a CRMOffice delete leaves the counterpart alone; a counterpart whose origin is gone is not made again.
- **7** a record a Business Central user made is never copied to CRMOffice, and nothing touches it.
- **8** while nobody edits anything, nothing is written (no echo).
- **9** a value Business Central refuses stays in CRMOffice (nothing is lost) and fails that record only.

Where the contract allows more than one end state, every allowed one passes, and where the history cannot decide a
rule the check is reported as *undecided*, never as a pass. The product may see two writes in one cycle when they
are less than ``window`` seconds apart (the service level for an edit to cross, ``--converge-timeout``): then which
one wins depends on when the product read, so the winner is undecided (both sides must still agree).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from harness.client.timestamps import parse_timestamp
from harness.soak.history import BC, CRM, Event, FinalState, Side, side_name
from harness.testdata.values import RowValues

__all__ = ["NOT_WITHIN", "Undecided", "Verdict", "Violation", "Write", "carried_nothing", "check"]

NOT_WITHIN = "no Business Central counterpart within"
"""How an action that waited in vain for a pair's counterpart is recorded (a product failure, rule 1)."""


@dataclass(frozen=True)
class Violation:
    rule: int
    record: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "record": self.record, "message": self.message}


@dataclass(frozen=True)
class Undecided:
    rule: int
    record: str
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "record": self.record, "why": self.why}


@dataclass
class Verdict:
    violations: list[Violation] = field(default_factory=list)
    undecided: list[Undecided] = field(default_factory=list)
    checks: dict[int, int] = field(default_factory=dict)
    """How many decided checks of each rule held or failed."""

    @property
    def ok(self) -> bool:
        return not self.violations

    def held(self, rule: int) -> None:
        self.checks[rule] = self.checks.get(rule, 0) + 1

    def fail(self, rule: int, record: str, message: str) -> None:
        self.held(rule)
        self.violations.append(Violation(rule, record, message))

    def expect(self, holds: bool, rule: int, record: str, message: str) -> None:
        if holds:
            self.held(rule)
        else:
            self.fail(rule, record, message)

    def cannot(self, rule: int, record: str, why: str) -> None:
        self.undecided.append(Undecided(rule, record, why))

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "violations": [v.to_dict() for v in self.violations],
            "undecided": [u.to_dict() for u in self.undecided],
            "checks": {str(rule): count for rule, count in sorted(self.checks.items())},
        }


@dataclass(frozen=True)
class Write:
    """A user's write to one mapped property (a clear writes ``""``)."""

    side: Side
    value: str
    stamp: datetime
    refused: bool = False
    index: int = 0

    def order(self) -> tuple[datetime, int]:
        # On equal stamps CRMOffice's write counts as the later one: the contract's tie goes to the origin.
        return self.stamp, 1 if self.side == CRM else 0

    def text(self) -> str:
        what = "cleared it" if not self.value else f"wrote {self.value!r}"
        return f"#{self.index} {side_name(self.side)} {what} at {self.stamp.isoformat(timespec='milliseconds')}"


def check(
    events: Sequence[Event],
    final: FinalState,
    rows: Mapping[str, Sequence[RowValues]],
    *,
    window: float,
    full_read: bool = True,
) -> Verdict:
    """Every rule the history shows, for every record it touched. Without ``full_read`` (the state after ordinary
    cycles, before a full read), what only a full read brings — a counterpart a user deleted, made again — is left
    out, and everything else must already hold: a change delivered only by the next full read is a violation."""
    verdict = Verdict()
    by_record: dict[str, list[Event]] = {}
    for event in events:
        if event.action.kind not in ("pause", "trouble") and event.skipped is None:
            by_record.setdefault(event.action.record, []).append(event)
        elif event.skipped is not None and event.skipped.startswith(NOT_WITHIN):
            _missing(verdict, event, events)
    for record, history in sorted(by_record.items()):
        if record.startswith("b"):
            _bc_only(verdict, record, history, final)
        elif full_read or not any(e.action.kind == "delete" and e.action.side == BC for e in history):
            _pair(verdict, record, history, final, rows[history[0].action.flow], timedelta(seconds=window))
    verdict.expect(not final.quiet_writes, 8, "*", f"written while nobody edited anything: {final.quiet_writes}")
    for kind, message in final.barriers_missed:
        # A marker change not carried within the service level: edits (rule 3), or a re-creation (rule 6).
        verdict.fail(6 if kind == "full" else 3, "*", message)
    return verdict


def carried_nothing(events: Sequence[Event], final: FinalState, crossings: int) -> bool:
    """Whether the product never carried anything while the history ran: the barriers were waited for and none of
    their marker changes crossed (``crossings``: how many did), and no record of the history showed on the other
    side (no counterpart of a CRMOffice record, none seen by a user, no Business Central-only record copied). Then
    there is nothing to judge: no product seems to be syncing these tenants. A product that carried anything at all,
    however late, is judged rule by rule."""
    if crossings or not final.barriers_missed:
        return False
    counterparts = any(found for record, found in final.bc.items() if not record.startswith("b"))
    copies = any(found for record, found in final.crm_by_name.items() if record.startswith("b"))
    seen = any(e.counterpart_seen for e in events if not e.action.bc_only)
    return not (counterparts or copies or seen)


def _missing(verdict: Verdict, waited: Event, events: Sequence[Event]) -> None:
    """A Business Central user's action found no counterpart within the service level: a product failure, unless
    CRMOffice held a value Business Central refuses at the time (then the counterpart cannot be written: rule 9)."""
    record = waited.action.record
    last: dict[str, Event] = {}
    for event in events:
        if event.action.record == record and event.action.side == CRM and event.at <= waited.at and event.stamp:
            last.update(dict.fromkeys(event.action.values, event))
    if any(event.action.refused for event in last.values()):
        verdict.cannot(1, record, "no counterpart while CRMOffice holds a value Business Central refuses")
        return
    verdict.fail(1, record, f"{waited.action.describe()}: {waited.skipped}")


# --- a record a Business Central user made -------------------------------------------------------------------------
def _bc_only(verdict: Verdict, record: str, history: Sequence[Event], final: FinalState) -> None:
    copies = final.crm_by_name.get(record, [])
    verdict.expect(not copies, 7, record, f"a Business Central-only record was copied to CRMOffice: {copies}")
    deleted = any(e.action.kind == "delete" for e in history)
    found = final.bc.get(record, [])
    if deleted:
        verdict.expect(not found, 7, record, f"deleted by its Business Central user, yet still there: {found}")
        return
    if len(found) != 1:
        verdict.fail(7, record, f"expected the one record its Business Central user made, found {len(found)}")
        return
    written = _last_values(history)
    changed = {name: (value, found[0].get(name)) for name, value in written.items() if found[0].get(name) != value}
    verdict.expect(not changed, 7, record, f"touched by someone else than its user (written, found): {changed}")


def _last_values(history: Sequence[Event]) -> dict[str, str]:
    values: dict[str, str] = {}
    for event in history:
        if event.action.kind in ("create", "edit", "clear"):
            values.update(event.action.values)
    return values


# --- a pair whose origin is a CRMOffice record -----------------------------------------------------------------------
def _pair(
    verdict: Verdict,
    record: str,
    history: Sequence[Event],
    final: FinalState,
    rows: Sequence[RowValues],
    window: timedelta,
) -> None:
    crm_record = final.crm.get(record)
    counterparts = final.bc.get(record, [])
    refused = _refused_last(history, rows)
    if refused and crm_record is not None and not counterparts:
        # A counterpart made again after a user deleted it carries every value: one Business Central refuses
        # fails the whole record (rule 9), so there is none until the value is fixed.
        verdict.cannot(1, record, "no counterpart while CRMOffice holds a value Business Central refuses")
        return
    if not _counterparts(verdict, record, history, crm_record, counterparts):
        return
    assert crm_record is not None
    _echo(verdict, record, history, rows, crm_record, window)
    for row in rows:
        writes = _writes(history, row)
        if _lost_before_delete(history, writes, window):
            label = f"{row.pair.origin} ↔ {row.pair.target}"
            verdict.cannot(4, record, f"{label}: written in Business Central just before its user deleted the record")
            continue
        remade = [e for e in history if e.action.kind == "delete" and e.action.side == BC]
        _row(verdict, record, row, writes, crm_record, counterparts[0], window, refused, remade[-1] if remade else None)
    # What was written to the Business Central record before a user deleted it went with it.
    last_delete = max((e.index for e in history if e.action.kind == "delete" and e.action.side == BC), default=-1)
    since = [e for e in history if e.action.side == CRM or e.index > last_delete]
    _unmapped(verdict, record, since, rows, crm_record, counterparts[0])


def _counterparts(
    verdict: Verdict,
    record: str,
    history: Sequence[Event],
    crm_record: Mapping[str, Any] | None,
    counterparts: Sequence[Mapping[str, Any]],
) -> bool:
    """Rules 1 and 6; True when the pair stands (one counterpart, origin there) and its values can be compared."""
    ids = [str(c.get("id")) for c in counterparts]
    crm_delete = next((e for e in history if e.action.kind == "delete" and e.action.side == CRM), None)
    if crm_delete is None:
        if crm_record is None:
            verdict.fail(6, record, "the CRMOffice record is gone though no CRMOffice user deleted it")
            return False
        verdict.expect(len(counterparts) == 1, 1, record, f"expected one Business Central counterpart, found {ids}")
        return len(counterparts) == 1
    verdict.expect(len(counterparts) <= 1, 1, record, f"expected at most one Business Central counterpart, found {ids}")
    bc_deleted_after = any(
        e.action.kind == "delete" and e.action.side == BC and e.index > crm_delete.index for e in history
    )
    if bc_deleted_after:
        verdict.expect(not counterparts, 6, record, f"its origin was deleted, then its counterpart: made again {ids}")
    elif crm_delete.counterpart_seen:
        verdict.expect(len(counterparts) == 1, 6, record, f"a CRMOffice delete must leave the counterpart, found {ids}")
    else:
        verdict.cannot(6, record, "deleted in CRMOffice before its counterpart was seen")
    return False


def _writes(history: Sequence[Event], row: RowValues) -> list[Write]:
    writes = []
    for event in history:
        action = event.action
        name = row.pair.origin if action.side == CRM else row.pair.target
        if action.kind in ("create", "edit", "clear") and name in action.values and event.stamp is not None:
            writes.append(Write(action.side, action.values[name], event.stamp, action.refused, event.index))
    return sorted(writes, key=Write.order)


def _echo(
    verdict: Verdict,
    record: str,
    history: Sequence[Event],
    rows: Sequence[RowValues],
    crm_record: Mapping[str, Any],
    window: timedelta,
) -> None:
    """Rule 8: the product writes a CRMOffice record only to bring a Business Central user's change; with none after
    (or so shortly before that the product may not have brought it yet) the CRMOffice user's last write, the record
    must still carry that write's stamp."""
    crm_writes = [e.stamp for e in history if e.action.side == CRM and e.stamp is not None]
    updated = crm_record.get("updatedAt")
    if not crm_writes or not updated:
        return
    last = max(crm_writes)
    targets = {row.pair.target for row in rows}
    brought = any(
        e.action.side == BC and e.stamp is not None and e.stamp >= last - window and set(e.action.values) & targets
        for e in history
    )
    if brought:
        return
    stamp = parse_timestamp(str(updated))
    verdict.expect(
        stamp <= last,
        8,
        record,
        f"the CRMOffice record was written at {updated}, after its user's last write at {last.isoformat()}, with no "
        "Business Central change to bring (an echo of the product's own write)",
    )


def _lost_before_delete(history: Sequence[Event], writes: Sequence[Write], window: timedelta) -> bool:
    """Whether a Business Central write may have gone with its record: deleted less than ``window`` after it, the
    product may never have read it."""
    deletes = [e.at for e in history if e.action.kind == "delete" and e.action.side == BC]
    written = {e.index: e.at for e in history}
    return any(
        w.side == BC and any(0 <= at - written[w.index] <= window.total_seconds() for at in deletes) for w in writes
    )


def _refused_last(history: Sequence[Event], rows: Sequence[RowValues]) -> bool:
    """Whether the record's latest write to some row is a value Business Central refuses: the record then fails."""
    return any(writes and writes[-1].refused for writes in (_writes(history, row) for row in rows))


def _row(
    verdict: Verdict,
    record: str,
    row: RowValues,
    writes: Sequence[Write],
    crm_record: Mapping[str, Any],
    bc_record: Mapping[str, Any],
    window: timedelta,
    record_refused: bool,
    remade_after: Event | None = None,
) -> None:
    label = f"{row.pair.origin} ↔ {row.pair.target}"
    shown = {CRM: str(crm_record.get(row.pair.origin) or ""), BC: str(bc_record.get(row.pair.target) or "")}
    allowed = _allowed(writes, window)
    if remade_after is not None:
        # A user deleted the counterpart; the one made again carries CRMOffice's values at that moment, and is then
        # kept in sync: it shows what CRMOffice shows, unless a clear came after the delete (before or after the
        # new counterpart was made: either may be).
        cleared = any(w.value == "" and w.index > remade_after.index for w in writes)
        allowed[BC] = None if cleared else allowed[CRM]
    for side in (CRM, BC):
        if record_refused and side == BC:
            verdict.cannot(4, record, f"{label}: the record holds a value Business Central refuses")
            continue
        values = allowed[side]
        if values is None:
            verdict.cannot(4, record, f"{label} in {side_name(side)}: writes less than the window apart")
            continue
        rule = _rule(writes, side, values)
        # A kept refused value is compared as written: its digits alone would match the phone it replaced.
        if rule == 9:
            matches = shown[side] in values
        else:
            matches = any(row.key(shown[side]) == row.key(value) for value in values)
        verdict.expect(
            matches,
            rule,
            record,
            f"{label}: expected {side_name(side)} to show {' or '.join(repr(v) for v in values)}, found "
            f"{shown[side]!r}; writes: {'; '.join(w.text() for w in writes) or 'none'}",
        )
    undecided = allowed[CRM] is None or allowed[BC] is None
    if undecided and writes and not any(w.value == "" for w in writes) and not record_refused:
        agree = row.key(shown[CRM]) == row.key(shown[BC])
        verdict.expect(agree, 3, record, f"{label}: the sides disagree, {shown[CRM]!r} and {shown[BC]!r}")


def _rule(writes: Sequence[Write], side: Side, values: Sequence[str]) -> int:
    """The rule an end value proves: 9 a refused value kept, 5 a clear kept, 4 a later write won, 3 a plain copy."""
    if writes and writes[-1].refused and side == CRM:
        return 9
    if writes and writes[-1].value == "":
        return 5  # the last write was a clear: it empties its own side only
    return 4 if len({w.side for w in writes}) == 2 else 3


def _allowed(writes: Sequence[Write], window: timedelta) -> dict[Side, list[str] | None]:
    """What each side may show at the end; None where the history cannot decide it."""
    filled = [w for w in writes if w.value != ""]
    if not filled:
        return {CRM: [""], BC: [""]}
    winner = filled[-1]
    # An opposite write shortly before may have been read in the same cycle; which wins then depends on when the
    # product read. One at the very same moment is a tie, which CRMOffice wins (already the winner by order).
    rivals = [w for w in filled[:-1] if w.side != winner.side and timedelta(0) < winner.stamp - w.stamp <= window]
    allowed: dict[Side, list[str] | None] = {}
    for side in (CRM, BC):
        cleared = [w for w in writes if w.value == "" and w.side == side and w.order() > winner.order()]
        if cleared:
            # Cleared after the last value: stays empty, unless the other side wrote a value so shortly before the
            # clear that the product may have read both at once and filled the empty side with it.
            unsettled = any(w.side != side and cleared[-1].stamp - w.stamp <= window for w in filled)
            allowed[side] = None if unsettled else [""]
        elif rivals:
            allowed[side] = None
        elif side != winner.side and _cleared_soon_after(writes, winner, window):
            allowed[side] = None  # the winner's own side cleared it before the product may have read it
        elif side == BC and winner.refused:
            allowed[side] = None
        else:
            allowed[side] = [winner.value]
    return allowed


def _cleared_soon_after(writes: Sequence[Write], winner: Write, window: timedelta) -> bool:
    return any(
        w.value == "" and w.side == winner.side and w.order() > winner.order() and w.stamp - winner.stamp <= window
        for w in writes
    )


def _unmapped(
    verdict: Verdict,
    record: str,
    history: Sequence[Event],
    rows: Sequence[RowValues],
    crm_record: Mapping[str, Any],
    bc_record: Mapping[str, Any],
) -> None:
    mapped = {CRM: {row.pair.origin for row in rows}, BC: {row.pair.target for row in rows}}
    for side, shown in ((CRM, crm_record), (BC, bc_record)):
        written = {
            name: value
            for event in history
            if event.action.side == side and event.action.kind in ("create", "edit", "clear")
            for name, value in event.action.values.items()
            if name not in mapped[side]
        }
        changed = {name: (value, shown.get(name)) for name, value in written.items() if shown.get(name) != value}
        where = f"{side_name(side)} properties nobody maps were changed (written, found)"
        verdict.expect(not changed, 3, record, f"{where}: {changed}")
        other = bc_record if side == CRM else crm_record
        copied = {name: value for name, value in written.items() if value and value in _texts(other)}
        verdict.expect(not copied, 3, record, f"unmapped {side_name(side)} values copied to the other side: {copied}")


def _texts(record: Mapping[str, Any]) -> set[str]:
    return {value for value in record.values() if isinstance(value, str) and len(value) > 3}
