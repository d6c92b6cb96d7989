"""Steps about what a sync cycle costs the tenants (rule 11): records served, requests and writes, as the tenants
counted them. Where the tenants cannot count (real sandboxes) the figures known are reported and the check skipped."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytest_bdd import parsers, then

from harness.report.attach import attach_text
from harness.suite.cost import Cost, NotCounted, hold_reads, hold_writes
from harness.suite.dataflow import Dataflow
from harness.suite.phrases import SIDES, TYPES


def _counted(check: Callable[[], Cost]) -> Cost:
    try:
        cost: Cost = check()
    except NotCounted as exc:
        pytest.skip(str(exc))
    attach_text("what the cycle cost the tenants", cost.describe())
    return cost


@then(
    parsers.parse(
        "the sync read no more than {records:d} records and made no more than {requests:d} requests in either system"
    )
)
def reads_bounded(dataflow: Dataflow, records: int, requests: int) -> None:
    _counted(lambda: hold_reads(dataflow.runs[-1], records=records, requests=requests))


@then("the sync only looked for changes: one request per checklist section to each system, nothing read")
def only_looked(dataflow: Dataflow) -> None:
    _counted(lambda: hold_reads(dataflow.runs[-1], records=0, requests=len(dataflow.plans)))


@then(parsers.parse("the sync wrote one record to {target:System} and none to {other:System}", extra_types=TYPES))
def wrote_one_record(dataflow: Dataflow, target: str, other: str) -> None:
    _counted(lambda: hold_writes(dataflow.runs[-1], {SIDES[target]: 1, SIDES[other]: 0}))
