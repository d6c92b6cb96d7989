"""Steps about the sync itself: running it (or waiting for an external one), and what it reports and writes."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from harness.suite import moves
from harness.suite.attach import attach_run, attach_text
from harness.suite.claims import disagreements
from harness.suite.dataflow import Dataflow, Side
from harness.suite.expect import same
from harness.suite.faults import refusals_met
from harness.suite.phrases import SYSTEM_NAMES, TYPES
from harness.suite.subject import Subject

CHANGED_CODES: dict[Side, str] = {"businesscentral": "Request_EntityChanged", "crmoffice": "ChangedUnderYou"}


def _run(dataflow: Dataflow, *, full: bool = False, label: str = "") -> None:
    before, user_writes = dataflow.snapshot(), dataflow.user_writes
    run = dataflow.run_sync(full=full)
    after = dataflow.snapshot()
    label = label or f"sync {len(dataflow.runs)}"
    attach_run(run, before, after, label=label)
    if run.report is not None:
        # A user's write during the run (a planned interleaving) is no change the sync must report.
        quiet = dataflow.user_writes == user_writes
        found = disagreements(dataflow, run.report, before if quiet else None, after if quiet else None)
        if found:
            dataflow.report_disagreements.append((label, found))


@given("the sync has run")
@when("the sync runs")
@when("the sync runs again")
def sync_runs(dataflow: Dataflow) -> None:
    _run(dataflow)


@when(parsers.parse("the sync has run {times:d} times"))
def sync_runs_times(dataflow: Dataflow, times: int) -> None:
    for number in range(1, times + 1):
        _run(dataflow, label=f"sync {number} of {times}")


@when("the full sync runs")
@when("the full sync runs again")
def full_sync_runs(dataflow: Dataflow) -> None:
    _run(dataflow, full=True, label="full sync")


@then("the sync wrote nothing to either system")
def wrote_nothing(dataflow: Dataflow) -> None:
    run = dataflow.runs[-1]
    if run.report is not None:
        written = [(r.flow, r.origin_id, r.action) for r in run.report.records if r.action != "failed"]
        assert not written, f"expected the sync to write nothing, it reported {written}"
    if run.writes is not None:
        assert run.writes == {"crmoffice": 0, "businesscentral": 0}, (
            f"expected no write to reach either tenant, they received {run.writes}"
        )
    if run.changed is not None:
        assert not run.changed, (
            "expected the scenario's records unchanged on both sides, the external sync changed some"
        )
    assert run.report is not None or run.writes is not None or run.changed is not None, (
        "neither a sync report, tenant counters nor a before/after comparison to judge by"
    )


@then(parsers.parse("no CRMOffice {word:w} has been written to since its user created it"))
def crm_untouched(dataflow: Dataflow, group: list[Subject], word: str) -> None:
    # Nobody edited these records' counterparts, so a correct sync has nothing to write back: a write here is the
    # sync's own write coming back as an edit (an echo), even when it writes the very same values.
    written = {
        s.describe(): versions for s in group if (versions := dataflow.crm_written_since_user(s.kind.origin, s.crm_id))
    }
    assert not written, (
        f"expected every CRMOffice {word} as its user left it, the sync wrote to {len(written)} of {len(group)}: "
        + "; ".join(f"{name}: version {old} → {new}" for name, (old, new) in written.items())
    )


@then(parsers.parse("the sync reports the {word:w}'s link as retired, its counterpart left alone"))
def reported_retired(dataflow: Dataflow, subject: Subject, word: str) -> None:
    run = dataflow.runs[-1]
    if run.report is None:
        # An external product reports elsewhere; what shows on the tenants is held by this scenario's other steps.
        attach_text("not checked", "the retirement is in the product's own report, out of the harness's sight")
        return
    actions = [o.action for o in run.report.for_record(subject.crm_id)]
    assert actions == ["retired"], f"expected the {word} reported as retired once, the sync reported {actions}"


CONFLICT_REASONS: dict[tuple[Side, str], str] = {
    ("crmoffice", "later"): "origin wins (origin modified later)",
    ("businesscentral", "later"): "target wins (target modified later)",
    ("crmoffice", "at the same moment"): "origin wins (same modification time: the origin wins)",
}


@then(parsers.parse("the sync reports that {side:System}'s edit won because it came {when}", extra_types=TYPES))
def reported_conflict(dataflow: Dataflow, subject: Subject, side: Side, when: str) -> None:
    run = dataflow.runs[-1]
    if run.report is None:
        # An external product reports elsewhere; the values both sides show are held by this scenario's other steps.
        attach_text("not checked", "the conflict's reason is in the product's own report, out of the harness's sight")
        return
    conflicts = [c for o in run.report.for_record(subject.crm_id) for c in o.conflicts]
    expected = CONFLICT_REASONS[(side, when)]
    assert any(c.endswith(expected) for c in conflicts), (
        f"expected the conflict reported as '{expected}' — {subject.describe()}; the sync reported {conflicts}"
    )


@then("the sync reports no failure")
def no_failure(dataflow: Dataflow, subject: Subject) -> None:
    run = dataflow.runs[-1]
    if run.report is not None:
        failed = [(r.origin_id, r.error) for r in run.report.failures]
        assert not failed, f"expected no failed record, the sync reported {failed}"
    else:
        # An external product reports elsewhere; what shows on the tenants is that the record went through.
        moves.counterpart(dataflow, subject)


@then("the sync reports no failure for any of them")
def no_failure_in_group(dataflow: Dataflow, group: list[Subject]) -> None:
    run = dataflow.runs[-1]
    if run.report is not None:
        failed = [(r.origin_id, r.error) for r in run.report.failures]
        assert not failed, f"expected no failed record among {len(group)}, the sync reported {failed}"
    else:
        with dataflow.reading():
            for subject in group:
                moves.counterpart(dataflow, subject)


@then(
    parsers.parse("the sync reports that contact as failed because {side:System} kept changing it", extra_types=TYPES)
)
def reported_kept_changing(dataflow: Dataflow, subject: Subject, side: Side) -> None:
    name, run = SYSTEM_NAMES[side], dataflow.runs[-1]
    if run.report is None:
        # An external product's own report is out of sight; what the tenants show is that no write of the product
        # overwrote the user's latest edit, each met a newer version than the one read.
        plan = dataflow.plan(subject.kind.origin)
        mapped = [p.origin if side == "crmoffice" else p.target for p in plan.pairs]
        kept = [p for p in subject.new if p in mapped]
        assert kept, f"expected the {name} user's edits at the product's writes, none was made — {subject.describe()}"
        prop = kept[-1]
        shown = (moves.crm_record if side == "crmoffice" else moves.bc_record)(dataflow, subject) or {}
        same(shown.get(prop), subject.written(prop), f"{name}'s {prop} after its user kept changing it", subject)
        return
    failed = [o for o in run.report.for_record(subject.crm_id) if o.action == "failed"]
    assert failed, (
        f"expected {subject.describe()} reported as failed, the sync reported {run.report.for_record(subject.crm_id)}"
    )
    error = failed[0].error or {}
    same(error.get("system"), side, "the system whose record kept changing", subject)
    same(error.get("code"), CHANGED_CODES[side], f"{name}'s code for a record changed since it was read", subject)
    others = [o.origin_id for o in run.report.failures if o.origin_id != subject.crm_id]
    assert not others, f"expected only {subject.describe()} to fail, also failed: {others}"


@then(parsers.parse("the sync reports that contact as failed with {side:System}'s error", extra_types=TYPES))
def reported_failed(dataflow: Dataflow, subject: Subject, side: Side) -> None:
    _reported_failed(dataflow, subject, side, None)


@then(
    parsers.parse(
        "the sync reports that contact as failed with {side:System}'s error about {prop:w}", extra_types=TYPES
    )
)
def reported_failed_about(dataflow: Dataflow, subject: Subject, side: Side, prop: str) -> None:
    _reported_failed(dataflow, subject, side, prop)


def _reported_failed(dataflow: Dataflow, subject: Subject, side: Side, prop: str | None) -> None:
    name, run = SYSTEM_NAMES[side], dataflow.runs[-1]
    if run.report is None:
        if subject.bc_id:
            # A linked record whose change was refused: the product's report is its own, but the proxy saw it try
            # the change and meet the refusal (the next steps hold that the refused side kept its value).
            record = subject.crm_id if side == "crmoffice" else subject.bc_id
            if refusals_met(dataflow, record) is None:
                attach_text("not checked", "the failure is in the product's own report, out of the harness's sight")
                return

            def refused() -> None:
                assert refusals_met(dataflow, record), (
                    f"expected the product to try the change to {subject.describe()} and meet {name}'s refusal, "
                    "it never sent that change"
                )

            dataflow.eventually(refused)
            return
        # An external product's own failure report is out of the harness's sight; on the tenants, the refused
        # record must simply not have gone through.
        found = dataflow.counterparts_named(subject.kind.origin, subject.name)
        assert not found, f"expected no Business Central record for the refused {subject.describe()}, found {found}"
        return
    outcomes = run.report.for_record(subject.crm_id)
    failed = [o for o in outcomes if o.action == "failed"]
    assert failed, f"expected {subject.describe()} reported as failed, the sync reported {[o.action for o in outcomes]}"
    error = failed[0].error or {}
    same(error.get("system"), side, "the system that refused the value", subject)
    if prop is not None:
        same(error.get("field"), prop, f"the property {name} refused", subject)
    assert error.get("message"), f"expected {name}'s own message in the report, found {error}"
    others = [o for o in run.report.failures if o.origin_id != subject.crm_id]
    assert not others, f"expected only {subject.describe()} to fail, also failed: {[o.origin_id for o in others]}"
