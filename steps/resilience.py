"""Steps about trouble: a tenant throttling, failing, dropping or stalling, a sync stopped midway, a user editing
a record while the sync writes it. These need the fakes' controls, or harness proxy for an external product."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from pytest_bdd import given, parsers, then, when

from harness.client.errors import ApiError, TenantError
from harness.suite import faults, moves
from harness.suite.dataflow import Dataflow, FakesOnly, Side
from harness.suite.interleave import UserAtTheHold
from harness.suite.phrases import SYSTEM_NAMES, TYPES
from harness.suite.stops import CannotStop, PlannedStop, plan_stop
from harness.suite.subject import Subject


# --- a tenant's trouble: one step per sentence the features use ---------------------------------------------------
@contextmanager
def _on_cue() -> Iterator[None]:
    """Trouble made on cue: skipped where nothing can make it (real tenants without harness proxy, or trouble the
    proxy cannot make for this product)."""
    try:
        yield
    except FakesOnly as exc:
        pytest.skip(f"{exc}: real tenants cannot be made to misbehave on cue without harness proxy")
    except faults.NotAtProxy as exc:
        pytest.skip(str(exc))


@given(
    parsers.parse(
        "{side:System} throttles the next {requests:d} requests, asking to retry after {seconds:g} seconds",
        extra_types=TYPES,
    )
)
def throttles_saying_when(dataflow: Dataflow, side: Side, requests: int, seconds: float) -> None:
    with _on_cue():
        faults.throttle(dataflow, side, requests, retry_after=seconds)


@given(
    parsers.parse(
        "{side:System} throttles the next {requests:d} requests without saying when to retry", extra_types=TYPES
    )
)
def throttles_without_saying_when(dataflow: Dataflow, side: Side, requests: int) -> None:
    with _on_cue():
        faults.throttle(dataflow, side, requests)


@given(parsers.parse("{side:System} is unavailable for the next {requests:d} requests", extra_types=TYPES))
def is_unavailable(dataflow: Dataflow, side: Side, requests: int) -> None:
    with _on_cue():
        faults.unavailable(dataflow, side, requests)


@given(
    parsers.parse(
        "{side:System} is unavailable for the next {requests:d} requests, asking to retry after {seconds:g} seconds",
        extra_types=TYPES,
    )
)
def is_unavailable_saying_when(dataflow: Dataflow, side: Side, requests: int, seconds: float) -> None:
    with _on_cue():
        faults.unavailable(dataflow, side, requests, retry_after=seconds)


@given(parsers.parse("{side:System} drops the connection on the next {requests:d} requests", extra_types=TYPES))
def drops_the_connection(dataflow: Dataflow, side: Side, requests: int) -> None:
    with _on_cue():
        faults.drop_connection(dataflow, side, requests)


@given(
    parsers.parse(
        "{side:System} loses its answers to the next {changes:d} changes after carrying them out", extra_types=TYPES
    )
)
def loses_its_answers(dataflow: Dataflow, side: Side, changes: int) -> None:
    with _on_cue():
        faults.lose_answers(dataflow, side, changes)


@given(parsers.parse("{side:System} answers the next {requests:d} requests too slowly", extra_types=TYPES))
def answers_too_slowly(dataflow: Dataflow, side: Side, requests: int) -> None:
    with _on_cue():
        faults.answer_too_slowly(dataflow, side, requests)


@given(parsers.parse("{side:System} fails the next {changes:d} changes with an internal error", extra_types=TYPES))
def fails_changes(dataflow: Dataflow, side: Side, changes: int) -> None:
    with _on_cue():
        faults.fail_changes(dataflow, side, changes)


@given(parsers.parse("{side:System} refuses the next change to the {:w}", extra_types=TYPES))
def refuses_next_change(dataflow: Dataflow, subject: Subject, side: Side) -> None:
    kind: str
    if side == "crmoffice":
        kind, record_id = subject.kind.origin, subject.crm_id
    else:
        assert subject.bc_id, f"{subject.describe()} has no Business Central counterpart to refuse a change to"
        kind, record_id = subject.kind.target, subject.bc_id
    try:
        faults.refuse_next_change(dataflow, side, kind, record_id)
    except FakesOnly as exc:
        pytest.skip(f"{exc}: real tenants cannot be made to refuse a value on cue")


# --- a sync stopped midway, a user's edit at the sync's write -----------------------------------------------------
WRITES = {"first": 1, "second": 2}


@given(parsers.parse("the sync will be stopped after its {nth} write to Business Central"), target_fixture="stop")
@given(parsers.parse("the full sync will be stopped after its {nth} write to Business Central"), target_fixture="stop")
def stopped_midway(dataflow: Dataflow, nth: str) -> PlannedStop:
    try:
        return plan_stop(dataflow, WRITES[nth])
    except CannotStop as exc:
        pytest.skip(str(exc))


@when("the sync runs until it is stopped")
def runs_until_stopped(dataflow: Dataflow, stop: PlannedStop) -> None:
    stop.run_until_stopped(dataflow)


@when("the full sync runs until it is stopped")
def full_runs_until_stopped(dataflow: Dataflow, stop: PlannedStop) -> None:
    stop.run_until_stopped(dataflow, full=True)


@given(
    parsers.parse(
        "a {side:System} user will change the contact's {prop:w} just before the sync writes it", extra_types=TYPES
    )
)
def edit_during_own_write(dataflow: Dataflow, subject: Subject, side: Side, prop: str) -> None:
    edit_during_write(dataflow, subject, side, prop, side)


@given(
    parsers.parse(
        "a {side:System} user will change the contact's {prop:w} just before the sync writes to {target:System}",
        extra_types=TYPES,
    )
)
def edit_during_write(dataflow: Dataflow, subject: Subject, side: Side, prop: str, target: Side) -> None:
    """The user's edit lands between the sync's read and its write to ``target`` (the user's own system unless
    named): the write must meet the new version, not overwrite it."""
    if dataflow.sync.kind != "reference":
        _hold(dataflow, subject, side, prop, target, times=1)
        return
    wire = dataflow.tripwires[target]

    def user_edit() -> None:
        wire.disarm()
        moves.change(dataflow, subject, side, prop)

    wire.before_next_write(user_edit)


@given(
    parsers.parse(
        "a {side:System} user keeps changing the contact's {prop:w} while the sync writes it", extra_types=TYPES
    )
)
def keeps_editing(dataflow: Dataflow, subject: Subject, side: Side, prop: str) -> None:
    """Before every write of the next run to the user's own system, the user changes the contact again: each write
    the sync makes meets a newer version than the one it read."""
    if dataflow.sync.kind != "reference":
        _hold(dataflow, subject, side, prop, side, times=KEEPS_CHANGING)
        return
    dataflow.tripwires[side].before_writes(lambda: moves.change(dataflow, subject, side, prop))


KEEPS_CHANGING = 3
"""How many of an external product's writes a user who "keeps changing" a record meets with a newer version."""


def _hold(dataflow: Dataflow, subject: Subject, side: Side, prop: str, target: Side, *, times: int) -> None:
    """An external product: its write to the record in ``target`` is held at the proxy until the user has edited."""
    if dataflow.proxy is None:
        pytest.skip("the moment an external product writes can be caught only at harness proxy (--proxy)")
    kind, record = (
        (subject.kind.origin, subject.crm_id) if target == "crmoffice" else (subject.kind.target, subject.bc_id)
    )
    assert record, f"{subject.describe()} has no {SYSTEM_NAMES[target]} record for the product to write"
    user = UserAtTheHold(
        dataflow.proxy,
        tenant=target,
        entity_set=kind,
        record=record,
        what=f"the {SYSTEM_NAMES[target]} record of {subject.describe()}",
        edit=lambda: moves.change(dataflow, subject, side, prop),
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
def stopped_with(stopped: TenantError, side: Side) -> None:
    name = SYSTEM_NAMES[side]
    assert isinstance(stopped, ApiError), f"expected {name}'s answer to end the run, it ended with {stopped!r}"
    assert (stopped.system, stopped.status) == (side, 500), (
        f"expected {name}'s internal error (500) to end the run, it ended with {stopped.system} {stopped.status}"
    )


@when(parsers.parse("{side:System} works again", extra_types=TYPES))
def works_again(dataflow: Dataflow, side: Side) -> None:
    faults.trouble_over(dataflow, side)
