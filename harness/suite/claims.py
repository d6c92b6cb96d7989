"""What the reference sync's report claims, held against what the tenants show.

The report is part of what the sync delivers (people read it to learn what was created, changed or refused), so a report
that says "updated phoneNumber to 22 33 44 55" while Business Central shows something else is a defect even when the
records themselves are right. Every claim is checked by reading the record it names: created and re-created counterparts
exist with the type and name rule 2 gives them and the values the report lists ("created" the first time, "re-created"
only after an earlier run created one, and neither names a record that existed before the run); each change shows on the
side its direction names; a retired link's origin is gone, and a link is retired once. And the other way round: every
mapped property of the scenario's records that changed while the sync ran (no user wrote in between) is in the report,
with the value it had before; and the requests it says it sent are the ones the (fake) tenants received; it says it
reconciled (read everything) exactly when asked to or on its first run, and its summary counts the records it lists. An
external product's report is its own business.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from harness.suite.dataflow import Dataflow
from harness.suite.under_test import SyncRun
from harness.sync.merge import normalise
from harness.sync.report import RecordOutcome, SyncReport

__all__ = ["REPORT_CHECK", "ReportDisagrees", "check_report", "disagreements", "judge_reports"]

REPORT_CHECK = "the reference sync's report agrees with the tenants"


class ReportDisagrees(AssertionError):
    """The scenario's own steps passed, but the reference sync's report of its runs does not match the tenants.

    Judged after the scenario's last step, so it never hides the scenario's own expectation; the sign-off counts it
    against the sync's report, not against the rows and rules the scenario proves."""


Snapshot = Mapping[str, Mapping[str, list[dict[str, Any]]]]


def check_report(
    flow: Dataflow, report: SyncReport, before: Snapshot | None = None, after: Snapshot | None = None
) -> None:
    """AssertionError listing what :func:`disagreements` finds."""
    problems = disagreements(flow, report, before, after)
    assert not problems, "the sync's report disagrees with the tenants:\n" + "\n".join(f"- {p}" for p in problems)


def judge_reports(found: list[tuple[str, list[str]]]) -> None:
    """Raise :class:`ReportDisagrees` naming each run (``label``) and what its report got wrong."""
    if not found:
        return
    count = sum(len(problems) for _, problems in found)
    lines = [f"expected {REPORT_CHECK} (the scenario's own steps passed); it disagrees {count} time(s):"]
    for label, problems in found:
        lines += [f"{label}:", *(f"- {p}" for p in problems)]
    raise ReportDisagrees("\n".join(lines))


def disagreements(
    flow: Dataflow, report: SyncReport, before: Snapshot | None = None, after: Snapshot | None = None
) -> list[str]:
    """Every claim of ``report`` the tenants contradict (expected, found, which record) and, given the scenario's
    records before and after the run with no user write in between, every change they show that the report leaves
    out. Read right after the run: the tenants are read as they are now."""
    problems: list[str] = []
    for outcome in report.records:
        problems += _contradictions(flow, outcome)
    problems += _against_history(flow, report)
    if before is not None and after is not None:
        problems += _unreported(flow, report, before, after)
        problems += _not_new(report, before)
    run = flow.runs[-1] if flow.runs else None
    if run is not None and run.report is report:
        problems += _bookkeeping(flow, run, report)
    return problems


def _earlier(flow: Dataflow, report: SyncReport, actions: tuple[str, ...]) -> set[tuple[str, str]]:
    """(flow, origin id) of every record an earlier run of the scenario reported with one of ``actions``."""
    return {
        (o.flow, o.origin_id)
        for run in flow.runs
        if run.report is not None and run.report is not report
        for o in run.report.records
        if o.action in actions
    }


def _against_history(flow: Dataflow, report: SyncReport) -> list[str]:
    """Created the first time, re-created only after an earlier create, retired once."""
    made, retired = _earlier(flow, report, ("created", "recreated")), _earlier(flow, report, ("retired",))
    found = []
    for outcome in report.records:
        key = (outcome.flow, outcome.origin_id)
        if outcome.action == "created" and key in made:
            found.append(f"created {outcome.origin_id}: reported created, but an earlier run had created one")
        elif outcome.action == "recreated" and key not in made:
            found.append(f"recreated {outcome.origin_id}: reported re-created, but no earlier run created one")
        elif outcome.action == "retired" and key in retired:
            found.append(f"retired {outcome.origin_id}: reported retired, but an earlier run had retired its link")
    return found


def _not_new(report: SyncReport, before: Snapshot) -> list[str]:
    """A created or re-created counterpart is a record that was not there before the run."""
    existing = {
        str(r["id"]) for rows in before.get("businesscentral", {}).values() for r in rows if not r.get("deleted")
    }
    return [
        f"{o.action} {o.origin_id}: Business Central {o.target_id} existed before the run"
        for o in report.records
        if o.action in ("created", "recreated") and o.target_id in existing
    ]


def _bookkeeping(flow: Dataflow, run: SyncRun, report: SyncReport) -> list[str]:
    """The run-level figures: requests, reconciled, unchanged, the summary, passes."""
    found = []
    if run.requests is not None and report.requests != run.requests:
        found.append(f"the report says it sent {report.requests} requests, the tenants received {run.requests}")
    # A fresh state has never read everything, so its first run must (deletes are found only so, rule 6).
    first = next((r for r in flow.runs if r.report is not None), None) is run
    if report.reconciled != (run.full or first):
        asked = "the full sync" if run.full else "the first run" if first else "an incremental run"
        found.append(f"{asked} reports reconciled={report.reconciled}")
    summary = report.counts()
    for plan in flow.plans:
        mine = len(flow.tracked.get(("crmoffice", plan.origin), []))
        if report.unchanged.get(plan.key, 0) > mine:
            found.append(
                f"{plan.key}: the report counts {report.unchanged[plan.key]} records unchanged, the scenario has "
                f"{mine} CRMOffice {plan.origin} in all"
            )
        listed = Counter(o.action for o in report.records if o.flow == plan.key)
        said = {action: n for action, n in summary.get(plan.key, {}).items() if action != "unchanged"}
        if said != dict(listed):
            found.append(f"{plan.key}: the report's summary says {said}, its records are {dict(listed)}")
    if report.passes < 1:
        found.append(f"the report says the run made {report.passes} passes over the tenants")
    return found


def _unreported(flow: Dataflow, report: SyncReport, before: Snapshot, after: Snapshot) -> list[str]:
    reported: dict[tuple[str, str, str], Any] = {}  # (side, record id, property) -> the old value the report gives
    for outcome in report.records:
        for change in outcome.changes:
            if change.direction == "origin->target" and outcome.target_id is not None:
                reported[("businesscentral", outcome.target_id, change.property)] = change.old
            elif change.direction == "target->origin":
                reported[("crmoffice", outcome.origin_id, change.property)] = change.old
    found = []
    for plan in flow.plans:
        for side, kind, properties in (
            ("crmoffice", plan.origin, [pair.origin for pair in plan.pairs]),
            ("businesscentral", plan.target, [pair.target for pair in plan.pairs]),
        ):
            earlier = {str(r["id"]): r for r in before.get(side, {}).get(kind, [])}
            for record in after.get(side, {}).get(kind, []):
                old = earlier.get(str(record["id"]))
                if old is None or old.get("deleted") or record.get("deleted"):
                    continue  # met during the run, or deleted: the claims above cover creates and deletes
                for name in properties:
                    was, now = normalise(old.get(name)), normalise(record.get(name))
                    if was == now:
                        continue
                    where = f"{'CRMOffice' if side == 'crmoffice' else 'Business Central'} {kind} {record['id']}"
                    key = (side, str(record["id"]), name)
                    if key not in reported:
                        found.append(f"{where}: {name} changed from {was!r} to {now!r}, the report does not say so")
                    elif normalise(reported[key]) != was:
                        found.append(f"{where}: {name} was {was!r} before the run, the report says {reported[key]!r}")
    return found


def _contradictions(flow: Dataflow, outcome: RecordOutcome) -> list[str]:
    plan = next((p for p in flow.plans if p.key == outcome.flow), None)
    if plan is None:
        return [f"{outcome.action} {outcome.origin_id}: the report names a flow {outcome.flow!r} the checklist lacks"]
    where = f"{outcome.action} {plan.origin} {outcome.origin_id} (Business Central {outcome.target_id})"
    if outcome.action == "failed":
        return [] if outcome.error else [f"{where}: a failure without the tenant's error"]
    if outcome.action == "retired":
        gone = flow.crm_get(plan.origin, outcome.origin_id) is None
        return [] if gone else [f"{where}: reported retired, but the CRMOffice record still exists"]
    if outcome.target_id is None:
        return [f"{where}: no Business Central id reported"]
    target = flow.bc_get(plan.target, outcome.target_id)
    if target is None:
        return [f"{where}: the Business Central record the report names does not exist"]
    origin = (
        flow.crm_get(plan.origin, outcome.origin_id)
        if any(c.direction == "target->origin" for c in outcome.changes)
        else None
    )
    found = []
    if outcome.action in ("created", "recreated") and target.get("type") != plan.target_type:
        found.append(f"{where}: expected type {plan.target_type!r}, found {target.get('type')!r}")
    for change in outcome.changes:
        record = target if change.direction == "origin->target" else origin
        side = "Business Central" if change.direction == "origin->target" else "CRMOffice"
        if record is None:
            found.append(f"{where}: {change.property} reported written to {side}, but the record is gone")
        elif normalise(record.get(change.property)) != normalise(change.new):
            found.append(
                f"{where}: {side} {change.property}: the report says {change.new!r}, the tenant shows "
                f"{record.get(change.property)!r}"
            )
    return found
