"""The reference sync's report held against the tenants, both ways: a claim they contradict, a change it leaves out."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.checklist import parse_file
from harness.suite.claims import check_report
from harness.suite.dataflow import Dataflow
from harness.sync import plan_dataflow
from harness.sync.report import Change, RecordOutcome, SyncReport

CHECKLIST = Path(__file__).resolve().parents[2] / "features" / "crmoffice-businesscentral.rst"
PLANS = plan_dataflow(parse_file(CHECKLIST))
CONTACTS = next(plan.key for plan in PLANS if plan.origin == "contacts")


def _linked(flow: Dataflow) -> tuple[str, str]:
    contact = flow.crm_create("contacts", {"givenName": "Kari", "familyName": "Holm", "directPhone": "22334455"})
    flow.run_sync()
    [counterpart] = flow.counterparts("contacts", contact)
    return str(contact["id"]), str(counterpart["id"])


def test_a_change_the_tenants_show_but_the_report_leaves_out_is_named(flow: Dataflow) -> None:
    crm_id, bc_id = _linked(flow)
    before = flow.snapshot()
    flow.bc_update("contacts", bc_id, {"phoneNumber": "99887766"})  # stands in for the sync's write
    after = flow.snapshot()
    with pytest.raises(AssertionError, match=r"phoneNumber changed from '22334455' to '99887766', the report does not"):
        check_report(flow, SyncReport(), before, after)
    told = SyncReport()
    told.add(
        RecordOutcome(
            CONTACTS, crm_id, bc_id, "updated", [Change("phoneNumber", "origin->target", "22334455", "99887766")]
        )
    )
    check_report(flow, told, before, after)


def test_a_reported_old_value_that_was_not_there_is_named(flow: Dataflow) -> None:
    crm_id, bc_id = _linked(flow)
    before = flow.snapshot()
    flow.bc_update("contacts", bc_id, {"phoneNumber": "99887766"})
    told = SyncReport()
    told.add(
        RecordOutcome(CONTACTS, crm_id, bc_id, "updated", [Change("phoneNumber", "origin->target", "1", "99887766")])
    )
    with pytest.raises(AssertionError, match=r"was '22334455' before the run, the report says '1'"):
        check_report(flow, told, before, flow.snapshot())


def test_without_the_snapshots_only_the_claims_are_held(flow: Dataflow) -> None:
    _crm_id, bc_id = _linked(flow)
    flow.bc_update("contacts", bc_id, {"phoneNumber": "99887766"})
    check_report(flow, SyncReport())  # a user wrote during the run: nothing is missing from an empty report


def test_created_means_the_first_time_and_recreated_only_after_an_earlier_create(flow: Dataflow) -> None:
    crm_id, bc_id = _linked(flow)  # the run that linked it reported it created
    again = SyncReport()
    again.add(RecordOutcome(CONTACTS, crm_id, bc_id, "created"))
    with pytest.raises(AssertionError, match="reported created, but an earlier run had created one"):
        check_report(flow, again)
    fresh = flow.crm_create("contacts", {"givenName": "Ola", "familyName": "Berg"})
    first = SyncReport()
    first.add(RecordOutcome(CONTACTS, str(fresh["id"]), bc_id, "recreated"))
    with pytest.raises(AssertionError, match="reported re-created, but no earlier run created one"):
        check_report(flow, first)


def test_the_report_reconciles_exactly_on_the_first_run_and_when_asked(flow: Dataflow) -> None:
    flow.crm_create("contacts", {"givenName": "Kari", "familyName": "Holm"})
    first = flow.run_sync()
    assert first.report is not None
    check_report(flow, first.report)
    first.report.reconciled = False
    with pytest.raises(AssertionError, match="the first run reports reconciled=False"):
        check_report(flow, first.report)
    later = flow.run_sync()
    assert later.report is not None
    later.report.reconciled = True
    with pytest.raises(AssertionError, match="an incremental run reports reconciled=True"):
        check_report(flow, later.report)
    full = flow.run_sync(full=True)
    assert full.report is not None
    check_report(flow, full.report)
    full.report.passes = 0
    with pytest.raises(AssertionError, match="made 0 passes"):
        check_report(flow, full.report)


def test_the_requests_the_report_names_are_the_ones_the_tenants_received(flow: Dataflow) -> None:
    flow.crm_create("contacts", {"givenName": "Kari", "familyName": "Holm"})
    run = flow.run_sync()
    assert run.report is not None
    check_report(flow, run.report)
    run.report.requests = {**run.report.requests, "crmoffice": run.report.requests["crmoffice"] + 1}
    with pytest.raises(AssertionError, match="the report says it sent"):
        check_report(flow, run.report)


def test_a_created_record_that_existed_before_the_run_is_named(flow: Dataflow) -> None:
    crm_id, bc_id = _linked(flow)
    before = flow.snapshot()
    claimed = SyncReport()
    claimed.add(RecordOutcome(CONTACTS, crm_id, bc_id, "recreated"))
    with pytest.raises(AssertionError, match=f"Business Central {bc_id} existed before the run"):
        check_report(flow, claimed, before, flow.snapshot())
