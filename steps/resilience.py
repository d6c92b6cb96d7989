"""Steps about trouble: a tenant throttling, failing, dropping or stalling, a sync stopped midway, a user editing
a record while the sync writes it. These need the fakes' controls, or harness proxy for an external product."""

from __future__ import annotations

import pytest
from pytest_bdd import given, parsers, then, when

from harness.client.errors import ApiError, TenantError
from harness.suite import moves
from harness.suite.dataflow import Dataflow, FakesOnly
from harness.suite.faults import NotAtProxy, TroubleError, inject, refuse_next_change, trouble_over
from harness.suite.interleave import UserAtTheHold
from harness.suite.phrases import SIDES, TYPES
from harness.suite.stops import CannotStop, PlannedStop, plan_stop
from harness.suite.subject import Subject


@given(parsers.parse("{side:System} {trouble:Trouble}", extra_types=TYPES))
def tenant_trouble(dataflow: Dataflow, side: str, trouble: str) -> None:
    try:
        inject(dataflow, SIDES[side], trouble)  # type: ignore[arg-type]
    except FakesOnly as exc:
        pytest.skip(f"{exc}: real tenants cannot be made to misbehave on cue without harness proxy")
    except NotAtProxy as exc:
        pytest.skip(str(exc))
    except TroubleError as exc:
        raise AssertionError(str(exc)) from None


@given(parsers.parse("{side:System} refuses the next change to the {:w}", extra_types=TYPES))
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


WRITES = {"first": 1, "second": 2}


@given(parsers.parse("the sync will be stopped after its {nth} write to Business Central"), target_fixture="stop")
@given(parsers.parse("the full sync will be stopped after its {nth} write to Business Central"), target_fixture="stop")
def stopped_midway(dataflow: Dataflow, nth: str) -> PlannedStop:
    try:
        return plan_stop(dataflow, WRITES[nth])
    except CannotStop as exc:
        pytest.skip(str(exc))


@when("the sync runs until it is stopped")
def runs_until_stopped(stop: PlannedStop) -> None:
    stop.run_until_stopped()


@when("the full sync runs until it is stopped")
def full_runs_until_stopped(stop: PlannedStop) -> None:
    stop.run_until_stopped(full=True)


@given(
    parsers.parse(
        "a {side:System} user will change the contact's {prop:w} just before the sync writes it", extra_types=TYPES
    )
)
def edit_during_own_write(dataflow: Dataflow, subject: Subject, side: str, prop: str) -> None:
    edit_during_write(dataflow, subject, side, prop, side)


@given(
    parsers.parse(
        "a {side:System} user will change the contact's {prop:w} just before the sync writes to {target:System}",
        extra_types=TYPES,
    )
)
def edit_during_write(dataflow: Dataflow, subject: Subject, side: str, prop: str, target: str) -> None:
    """The user's edit lands between the sync's read and its write to ``target`` (the user's own system unless
    named): the write must meet the new version, not overwrite it."""
    if dataflow.sync.kind != "reference":
        _hold(dataflow, subject, side, prop, target, times=1)
        return
    wire = dataflow.tripwires[SIDES[target]]

    def user_edit() -> None:
        wire.disarm()
        moves.change(dataflow, subject, SIDES[side], prop)  # type: ignore[arg-type]

    wire.before_next_write(user_edit)


@given(
    parsers.parse(
        "a {side:System} user keeps changing the contact's {prop:w} while the sync writes it", extra_types=TYPES
    )
)
def keeps_editing(dataflow: Dataflow, subject: Subject, side: str, prop: str) -> None:
    """Before every write of the next run to the user's own system, the user changes the contact again: each write
    the sync makes meets a newer version than the one it read."""
    if dataflow.sync.kind != "reference":
        _hold(dataflow, subject, side, prop, side, times=KEEPS_CHANGING)
        return
    dataflow.tripwires[SIDES[side]].before_writes(
        lambda: moves.change(dataflow, subject, SIDES[side], prop)  # type: ignore[arg-type]
    )


KEEPS_CHANGING = 3
"""How many of an external product's writes a user who "keeps changing" a record meets with a newer version."""


def _hold(dataflow: Dataflow, subject: Subject, side: str, prop: str, target: str, *, times: int) -> None:
    """An external product: its write to the record in ``target`` is held at the proxy until the user has edited."""
    if dataflow.proxy is None:
        pytest.skip("the moment an external product writes can be caught only at harness proxy (--proxy)")
    system = SIDES[target]
    kind, record = (
        (subject.kind.origin, subject.crm_id) if system == "crmoffice" else (subject.kind.target, subject.bc_id)
    )
    assert record, f"{subject.describe()} has no {target} record for the product to write"
    user = UserAtTheHold(
        dataflow.proxy,
        tenant=system,
        entity_set=kind,
        record=record,
        what=f"the {target} record of {subject.describe()}",
        edit=lambda: moves.change(dataflow, subject, SIDES[side], prop),  # type: ignore[arg-type]
        within=dataflow.converge_timeout,
        times=times,
    )
    dataflow.interleavings.append(user)


@when("the sync runs into the outage", target_fixture="stopped")
def sync_into_outage(dataflow: Dataflow) -> TenantError:
    """A tenant failing longer than the clients retry: the run must end with the tenant's error (nothing it did not
    commit is lost, the next run resumes), not carry on as if the records had been refused one by one."""
    if dataflow.sync.kind != "reference":
        pytest.skip("how an external product's run ends is out of the harness's sight; only its effects are seen")
    try:
        run = dataflow.run_sync()
    except TenantError as exc:
        return exc
    failed = [(o.origin_id, (o.error or {}).get("code")) for o in run.report.failures] if run.report else []
    raise AssertionError(f"expected the run to stop with the tenant's error, it finished; records failed: {failed}")


@then(parsers.parse("the run stopped with {side:System}'s internal error", extra_types=TYPES))
def stopped_with(stopped: TenantError, side: str) -> None:
    assert isinstance(stopped, ApiError), f"expected {side}'s answer to end the run, it ended with {stopped!r}"
    assert (stopped.system, stopped.status) == (SIDES[side], 500), (
        f"expected {side}'s internal error (500) to end the run, it ended with {stopped.system} {stopped.status}"
    )


@when(parsers.parse("{side:System} works again", extra_types=TYPES))
def works_again(dataflow: Dataflow, side: str) -> None:
    trouble_over(dataflow, SIDES[side])  # type: ignore[arg-type]
