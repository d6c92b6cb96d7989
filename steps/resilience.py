"""Steps about trouble: a tenant throttling, failing, dropping or stalling, a sync stopped midway, a user editing
a record while the sync writes it. These need the fakes' controls (and the stopped sync, the reference sync)."""

from __future__ import annotations

import pytest
from pytest_bdd import given, parsers

from harness.suite import moves
from harness.suite.dataflow import Dataflow, FakesOnly
from harness.suite.faults import TroubleError, inject, refuse_next_change
from harness.suite.subject import Subject
from harness.suite.tripwire import Interrupted

SIDES = {"CRMOffice": "crmoffice", "Business Central": "businesscentral"}


@given(parsers.re(r"(?P<side>CRMOffice|Business Central) (?P<trouble>(?:throttles|is unavailable|drops|answers) .+)"))
def tenant_trouble(dataflow: Dataflow, side: str, trouble: str) -> None:
    try:
        inject(dataflow, SIDES[side], trouble)  # type: ignore[arg-type]
    except FakesOnly as exc:
        pytest.skip(f"{exc}: real tenants cannot be made to misbehave on cue")
    except TroubleError as exc:
        raise AssertionError(str(exc)) from None


@given(parsers.re(r"(?P<side>CRMOffice|Business Central) refuses the next change to the \w+"))
def refuses_next_change(dataflow: Dataflow, subject: Subject, side: str) -> None:
    if side == "CRMOffice":
        kind, record_id = subject.kind.origin, subject.crm_id
    else:
        assert subject.bc_id, f"{subject.describe()} has no Business Central counterpart to refuse a change to"
        kind, record_id = subject.kind.target, subject.bc_id
    try:
        refuse_next_change(dataflow, SIDES[side], kind, record_id)  # type: ignore[arg-type]
    except FakesOnly as exc:
        pytest.skip(f"{exc}: real tenants cannot be made to refuse a value on cue")


@given(parsers.re(r"the (?P<full>full )?sync is stopped after its first write to Business Central"))
def stopped_midway(dataflow: Dataflow, full: str | None) -> None:
    if dataflow.sync.kind != "reference":
        pytest.skip("only the harness's own sync can be stopped midway; an external sync is not ours to stop")
    dataflow.tripwires["businesscentral"].stop_after_writes(1)
    with pytest.raises(Interrupted):
        dataflow.run_sync(full=bool(full))


@given(
    parsers.re(
        r"an? (?P<side>CRMOffice|Business Central) user will change the contact's (?P<prop>\w+) "
        r"just before the sync writes (?:it|to (?P<target>CRMOffice|Business Central))"
    )
)
def edit_during_write(dataflow: Dataflow, subject: Subject, side: str, prop: str, target: str | None) -> None:
    """The user's edit lands between the sync's read and its write to ``target`` (the user's own system unless
    named): the write must meet the new version, not overwrite it."""
    if dataflow.sync.kind != "reference":
        pytest.skip("the moment an external sync writes cannot be caught from outside it")
    wire = dataflow.tripwires[SIDES[target or side]]

    def user_edit() -> None:
        wire.disarm()
        moves.change(dataflow, subject, SIDES[side], prop)  # type: ignore[arg-type]

    wire.before_next_write(user_edit)


@given(
    parsers.re(
        r"an? (?P<side>CRMOffice|Business Central) user keeps changing the contact's (?P<prop>\w+) "
        r"while the sync writes it"
    )
)
def keeps_editing(dataflow: Dataflow, subject: Subject, side: str, prop: str) -> None:
    """Before every write of the next run to the user's own system, the user changes the contact again: each write
    the sync makes meets a newer version than the one it read."""
    if dataflow.sync.kind != "reference":
        pytest.skip("the moment an external sync writes cannot be caught from outside it")
    dataflow.tripwires[SIDES[side]].before_writes(
        lambda: moves.change(dataflow, subject, SIDES[side], prop)  # type: ignore[arg-type]
    )
