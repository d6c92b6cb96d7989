"""``harness.traffic.limits.judge``: each published limit (rule 12) held or broken, with the figure measured."""

from __future__ import annotations

from typing import Any

import pytest

from harness.traffic.limits import BC_BATCH_OPERATIONS, BC_CONCURRENT, BC_WINDOW_REQUESTS, Limit, judge
from harness.traffic.meters import Meters
from harness.traffic.routes import BatchOperation, Target

BC_RULES = [
    "requests per 5 minutes",
    "requests in flight at once",
    "operations per $batch",
    "requests sent before a Retry-After expired",
    "updates conditional on the version read",
    "a token reused for its lifetime",
]
COMMON_RULES = BC_RULES[3:]


def figures(**changes: Any) -> dict[str, Any]:
    """One tenant's meters as a snapshot has them, every limit kept, with ``changes`` applied."""
    kept: dict[str, Any] = {
        "window_max": 10,
        "in_flight_max": 1,
        "batches": {"count": 0, "max_operations": 0, "operations": 0},
        "early_after_retry_after": 0,
        "token_changes": 0,
        "token_replaced_early": 0,
        "entity_sets": {"contacts": {"updates": {"etag": 3, "any": 0, "none": 0}}},
    }
    return {**kept, **changes}


def by_rule(limits: list[Limit], tenant: str) -> dict[str, Limit]:
    return {limit.rule: limit for limit in limits if limit.tenant == tenant}


def test_nothing_seen_judges_nothing() -> None:
    assert judge({"tenants": {}}) == []
    assert judge({}) == []


def test_every_limit_kept_is_held() -> None:
    limits = judge({"tenants": {"businesscentral": figures(), "crmoffice": figures()}})
    assert [limit.rule for limit in limits if limit.tenant == "Business Central"] == BC_RULES
    assert [limit.rule for limit in limits if limit.tenant == "CRMOffice"] == COMMON_RULES
    assert all(limit.held for limit in limits), [limit for limit in limits if not limit.held]


def test_the_limits_of_real_meters_are_held() -> None:
    meters = Meters()
    meters.answered(meters.arrived(Target("businesscentral", "GET", "contacts"), authorization="Bearer t"), 200)
    limits = judge(meters.snapshot())
    assert [limit.rule for limit in limits] == BC_RULES
    assert all(limit.held for limit in limits)


@pytest.mark.parametrize(
    ("changes", "rule", "measured"),
    [
        ({"window_max": BC_WINDOW_REQUESTS + 1}, "requests per 5 minutes", f"{BC_WINDOW_REQUESTS + 1} at most"),
        ({"in_flight_max": BC_CONCURRENT + 1}, "requests in flight at once", f"{BC_CONCURRENT + 1} at most"),
        (
            {"batches": {"count": 2, "max_operations": BC_BATCH_OPERATIONS + 1, "operations": 150}},
            "operations per $batch",
            f"{BC_BATCH_OPERATIONS + 1} at most in 2 batches",
        ),
        ({"early_after_retry_after": 2}, "requests sent before a Retry-After expired", "2"),
        (
            {"entity_sets": {"contacts": {"updates": {"etag": 1, "any": 1, "none": 0}}}},
            "updates conditional on the version read",
            "1 with the ETag read, 1 with If-Match: *, 0 without If-Match",
        ),
        (
            {"entity_sets": {"a": {"updates": {"none": 1}}, "b": {"updates": {"none": 2, "etag": 4}}}},
            "updates conditional on the version read",
            "4 with the ETag read, 0 with If-Match: *, 3 without If-Match",
        ),
        (
            {"token_changes": 3, "token_replaced_early": 1},
            "a token reused for its lifetime",
            "3 changes, 1 early",
        ),
    ],
)
def test_each_broken_limit_is_flagged_alone(changes: dict[str, Any], rule: str, measured: str) -> None:
    limits = by_rule(judge({"tenants": {"businesscentral": figures(**changes)}}), "Business Central")
    assert limits[rule].measured == measured
    assert not limits[rule].held
    assert [name for name, limit in limits.items() if not limit.held] == [rule]


def test_the_published_figures_themselves_are_within_the_limits() -> None:
    at_limit = figures(
        window_max=BC_WINDOW_REQUESTS,
        in_flight_max=BC_CONCURRENT,
        batches={"count": 1, "max_operations": BC_BATCH_OPERATIONS, "operations": BC_BATCH_OPERATIONS},
    )
    assert all(limit.held for limit in judge({"tenants": {"businesscentral": at_limit}}))


def test_crmoffice_has_no_business_central_limits() -> None:
    crowded = figures(window_max=10 * BC_WINDOW_REQUESTS, in_flight_max=50)
    limits = judge({"tenants": {"crmoffice": crowded}})
    assert [limit.rule for limit in limits] == COMMON_RULES
    assert all(limit.held for limit in limits)


def test_a_crmoffice_update_without_if_match_breaks_its_rule() -> None:
    meters = Meters()
    meters.answered(meters.arrived(Target("crmoffice", "PATCH", "contacts", "r1")), 200)
    limits = by_rule(judge(meters.snapshot()), "CRMOffice")
    assert not limits["updates conditional on the version read"].held


def test_a_batch_of_101_operations_from_real_meters_breaks_the_batch_limit() -> None:
    meters = Meters()
    ops = [
        BatchOperation(str(i), Target("businesscentral", "GET", "contacts", str(i)), None)
        for i in range(BC_BATCH_OPERATIONS + 1)
    ]
    meters.answered(meters.arrived(Target("businesscentral", "POST", "$batch"), operations=ops), 200)
    limits = by_rule(judge(meters.snapshot()), "Business Central")
    assert not limits["operations per $batch"].held


def test_a_limit_is_json_ready() -> None:
    limit = judge({"tenants": {"businesscentral": figures()}})[0]
    assert limit.to_dict() == {
        "tenant": "Business Central",
        "rule": "requests per 5 minutes",
        "limit": f"≤ {BC_WINDOW_REQUESTS}",
        "measured": "10 at most",
        "held": True,
    }
