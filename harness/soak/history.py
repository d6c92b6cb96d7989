"""A soak's history: the user actions of a seeded program, as they ran, and the tenants' state at the end.

An :class:`Action` is what a user does (create, edit, clear or delete a record on one side, or nothing for a while),
or trouble the nemesis makes at ``harness proxy`` (``values`` say which: :mod:`harness.soak.nemesis`);
an :class:`Event` is an action as it ran, with the time the tenant stamped on its write (``updatedAt`` in CRMOffice,
``lastModifiedDateTime`` in Business Central) — the checker orders edits by those stamps, as the contract does, never
by the soak's own clock. Records are named by the soak (``c7`` a pair whose origin is a CRMOffice record, ``b3`` a
record a Business Central user made); the name is in the record's display name beside the run tag, so both sides'
records are found by it.

The JSON shapes (``to_dict``) are those of ``harness soak --json`` and the Allure attachment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from harness.client.timestamps import format_timestamp

__all__ = ["BC", "CRM", "Action", "ActionKind", "Event", "FinalState", "Side", "sentence", "side_name"]

Side = Literal["crmoffice", "businesscentral"]
ActionKind = Literal["create", "edit", "clear", "delete", "pause", "trouble"]
CRM: Side = "crmoffice"
BC: Side = "businesscentral"


def side_name(side: Side) -> str:
    return "CRMOffice" if side == CRM else "Business Central"


@dataclass(frozen=True)
class Action:
    """One user action. ``values`` are keyed by that side's property names; ``refused`` marks a CRMOffice value
    Business Central will refuse; ``group`` numbers the actions that run at the same moment (a burst, or both sides of
    one pair edited together); a ``pause`` lasts ``seconds``."""

    kind: ActionKind
    side: Side
    flow: str
    record: str
    values: dict[str, str] = field(default_factory=dict)
    refused: bool = False
    seconds: float = 0.0
    group: int = 0

    @property
    def bc_only(self) -> bool:
        return self.record.startswith("b")

    def describe(self) -> str:
        if self.kind == "pause":
            return f"nobody edits anything for {self.seconds:g} s"
        if self.kind == "trouble":
            return f"the nemesis: {sentence(self)}"
        who = f"a {side_name(self.side)} user"
        what = "contact" if self.flow == "contacts" else "company" if self.side == CRM else "customer"
        values = ", ".join(f"{name} = {value!r}" for name, value in self.values.items())
        suffix = " (a value Business Central refuses)" if self.refused else ""
        return f"{who} {self.kind}s {what} {self.record}" + (f": {values}" if values else "") + suffix

    def to_dict(self) -> dict[str, Any]:
        shape: dict[str, Any] = {"kind": self.kind, "side": self.side, "flow": self.flow, "record": self.record}
        if self.values:
            shape["values"] = dict(self.values)
        if self.refused:
            shape["refused"] = True
        if self.kind == "pause":
            shape["seconds"] = self.seconds
        shape["group"] = self.group
        return shape

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Action:
        return cls(
            kind=data["kind"],
            side=data["side"],
            flow=data["flow"],
            record=data["record"],
            values=dict(data.get("values") or {}),
            refused=bool(data.get("refused", False)),
            seconds=float(data.get("seconds", 0.0)),
            group=int(data.get("group", 0)),
        )


@dataclass(frozen=True)
class Event:
    """An action as it ran. ``stamp`` is the tenant's time for the write (None for a delete or a pause); ``at`` the
    soak's seconds since it started; ``skipped`` says why an action did not run (its record was not there yet);
    ``counterpart_seen`` whether the pair's Business Central record existed when the action ran."""

    index: int
    action: Action
    at: float
    stamp: datetime | None = None
    skipped: str | None = None
    counterpart_seen: bool = False

    def to_dict(self) -> dict[str, Any]:
        shape: dict[str, Any] = {"index": self.index, "at": round(self.at, 3), **self.action.to_dict()}
        if self.stamp is not None:
            shape["stamp"] = format_timestamp(self.stamp)
        if self.skipped is not None:
            shape["skipped"] = self.skipped
        if self.counterpart_seen:
            shape["counterpart_seen"] = True
        return shape


@dataclass
class FinalState:
    """Both tenants after the last barrier: per soak record, its CRMOffice record (None when gone) and every Business
    Central record carrying its name; ``quiet_writes`` the records written while nobody edited anything."""

    crm: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    bc: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    quiet_writes: list[str] = field(default_factory=list)
    crm_by_name: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """CRMOffice records by soak name, whoever made them (a Business Central-only record copied shows up here)."""
    barriers_missed: list[tuple[str, str]] = field(default_factory=list)
    """(kind, message) of each barrier the product did not meet: a marker change not carried in time."""


def sentence(action: Action) -> str:
    """The trouble in the features' words ("Business Central throttles the next 2 requests, asking to retry after
    1 seconds"); the crash, which has no trouble sentence, as what happens."""
    values, who = action.values, side_name(action.side)
    times = values.get("times", "1")
    kind = values["fault"]
    if kind == "throttle":
        return f"{who} throttles the next {times} requests, asking to retry after {values['retry_after']} seconds"
    if kind == "unavailable":
        return (
            f"{who} is unavailable for the next {times} requests, asking to retry after {values['retry_after']} seconds"
        )
    if kind == "reset":
        return f"{who} drops the connection on the next {times} requests"
    if kind == "lose-answer":
        return f"{who} loses its answers to the next {times} changes after carrying them out"
    return f"the sync is stopped after its next write to {who} and started again"
