"""Steps about trouble: a tenant throttling, failing, dropping or stalling, a sync stopped midway, a user editing
a record while the sync writes it. These need the fakes' controls (and the stopped sync, the reference sync)."""

from __future__ import annotations

import pytest
from pytest_bdd import given, parsers, then, when

from harness.client.errors import ApiError, TenantError
from harness.suite import moves
from harness.suite.dataflow import Dataflow, FakesOnly
from harness.suite.faults import TroubleError, inject, refuse_next_change, trouble_over
from harness.suite.subject import Subject
from harness.suite.tripwire import Interrupted

SIDES = {"CRMOffice": "crmoffice", "Business Central": "businesscentral"}


@given(
    parsers.re(r"(?P<side>CRMOffice|Business Central) (?P<trouble>(?:throttles|is unavailable|drops|answers|fails) .+)")
)
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


@when("the sync runs into the outage", target_fixture="stopped")
def sync_into_outage(dataflow: Dataflow) -> TenantError:
    """A tenant failing longer than the clients retry: the run must end with the tenant's error (nothing it did not
    commit is lost, the next run resumes), not carry on as if the records had been refused one by one."""
    try:
        run = dataflow.run_sync()
    except TenantError as exc:
        return exc
    failed = [(o.origin_id, (o.error or {}).get("code")) for o in run.report.failures] if run.report else []
    raise AssertionError(f"expected the run to stop with the tenant's error, it finished; records failed: {failed}")


@then(parsers.re(r"the run stopped with (?P<side>CRMOffice|Business Central)'s internal error"))
def stopped_with(stopped: TenantError, side: str) -> None:
    assert isinstance(stopped, ApiError), f"expected {side}'s answer to end the run, it ended with {stopped!r}"
    assert (stopped.system, stopped.status) == (SIDES[side], 500), (
        f"expected {side}'s internal error (500) to end the run, it ended with {stopped.system} {stopped.status}"
    )


@when(parsers.re(r"(?P<side>CRMOffice|Business Central) works again"))
def works_again(dataflow: Dataflow, side: str) -> None:
    trouble_over(dataflow, SIDES[side])  # type: ignore[arg-type]
