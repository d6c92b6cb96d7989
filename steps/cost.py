"""Steps about what a sync costs the tenants: a cycle's records served, requests and writes, as the tenants counted
them (rule 11; where the tenants cannot count, the figures known are reported and the check skipped), and the
tenants' published limits held against the meters (rule 12: harness proxy's for an external product, the ones in
front of the reference sync's clients otherwise)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytest_bdd import parsers, then

from harness.report.etiquette import LIMITS_ATTACHMENT
from harness.suite.attach import attach_json, attach_text
from harness.suite.cost import Cost, NotCounted, hold_reads, hold_record_writes, hold_writes
from harness.suite.dataflow import Dataflow, Side
from harness.suite.phrases import TYPES
from harness.suite.subject import Subject
from harness.traffic.limits import judge


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
    _counted(
        lambda: hold_reads(
            dataflow.runs[-1],
            records=records,
            requests=requests,
            proxy=dataflow.proxy,
            within=dataflow.converge_timeout,
            scenario_records=_ids(dataflow),
        )
    )


@then(
    parsers.parse(
        "the sync read no more than {records:d} records and made no more than {crmoffice:d} requests to CRMOffice "
        "and {businesscentral:d} to Business Central"
    )
)
def reads_bounded_per_system(dataflow: Dataflow, records: int, crmoffice: int, businesscentral: int) -> None:
    _counted(
        lambda: hold_reads(
            dataflow.runs[-1],
            records=records,
            requests={"crmoffice": crmoffice, "businesscentral": businesscentral},
            proxy=dataflow.proxy,
            within=dataflow.converge_timeout,
            scenario_records=_ids(dataflow),
        )
    )


def _ids(dataflow: Dataflow) -> list[str]:
    return [record for ids in dataflow.tracked.values() for record in ids]


@then("the sync only looked for changes: one request per checklist section to each system, nothing read")
def only_looked(dataflow: Dataflow) -> None:
    _counted(
        lambda: hold_reads(
            dataflow.runs[-1],
            records=0,
            requests=len(dataflow.plans),
            proxy=dataflow.proxy,
            within=dataflow.converge_timeout,
            scenario_records=_ids(dataflow),
        )
    )


@then(parsers.parse("the sync wrote one record to {target:System} and none to {other:System}", extra_types=TYPES))
def wrote_one_record(dataflow: Dataflow, subject: Subject, target: Side, other: Side) -> None:
    run = dataflow.runs[-1]
    expected: dict[str, int] = {target: 1, other: 0}
    if run.writes is None and dataflow.proxy is not None and subject.bc_id:
        records: dict[str, tuple[str, str]] = {
            "crmoffice": (subject.kind.origin, subject.crm_id),
            "businesscentral": (subject.kind.target, subject.bc_id),
        }
        got = hold_record_writes(
            dataflow.proxy, run, records, expected, subject.describe(), within=dataflow.converge_timeout
        )
        attach_text("what the product wrote to the scenario's record", str(got))
        return
    _counted(lambda: hold_writes(run, expected))


@then("the sync kept to the tenants' published limits")
def kept_limits(dataflow: Dataflow) -> None:
    if dataflow.proxy is not None:
        snapshot = dataflow.proxy.meters()  # the whole run so far: the product's traffic is one stream
    elif dataflow.meters is not None:
        snapshot = dataflow.meters.snapshot()
    else:
        pytest.skip("an external product's traffic is metered only behind harness proxy (--proxy)")
    limits = judge(snapshot)
    attach_json(LIMITS_ATTACHMENT, {"limits": [limit.to_dict() for limit in limits]})
    assert limits, "expected figures to hold against the tenants' published limits, the meters saw no request"
    broken = [limit for limit in limits if not limit.held]
    assert not broken, "expected the sync to keep to the tenants' published limits; broken: " + "; ".join(
        f"{limit.tenant} {limit.rule} ({limit.limit}): {limit.measured}" for limit in broken
    )
