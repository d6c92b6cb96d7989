"""The fault plan: matching, skipping, counting down, and refusing rules it cannot obey."""

from __future__ import annotations

import pytest

from harness.fakes import Fault, FaultPlan, FaultRuleError


def test_a_rule_fires_for_matching_requests_only_and_only_so_often() -> None:
    plan = FaultPlan()
    plan.add(Fault(method="get", path="*/contacts*", status=503, times=2))
    assert plan.take("POST", "/api/contacts") is None
    assert plan.take("GET", "/api/customers") is None
    assert [plan.take("GET", "/api/contacts(1)") is not None for _ in range(3)] == [True, True, False]
    assert plan.pending == 0


def test_rules_apply_in_order_and_a_skipped_request_can_meet_a_later_rule() -> None:
    plan = FaultPlan()
    first = plan.add(Fault(path="*", status=500, skip=1))
    second = plan.add(Fault(path="*", status=429))
    assert plan.take("GET", "/x") is second, "the first rule lets one request through, the second catches it"
    assert plan.take("GET", "/x") is first
    assert plan.take("GET", "/x") is None


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"status": 200}, "error status"),
        ({"status": 503, "times": 0}, "'times'"),
        ({"status": 503, "skip": -1}, "'skip'"),
        ({"delay": 601}, "'delay'"),
        ({}, "needs a 'status'"),
        ({"drop": True, "status": 502}, "not both"),
        ({"drop": True, "retry_after": 3}, "'retry_after'"),
        ({"lose_answer": True, "status": 500}, "'lose_answer'"),
        ({"lose_answer": True, "drop": True}, "'lose_answer'"),
        ({"status": 503, "colour": "red"}, "unknown fault field"),
        ({"status": "503", "times": "x"}, ""),
    ],
)
def test_rules_that_cannot_be_obeyed_are_refused(rule: dict[str, object], message: str) -> None:
    with pytest.raises((FaultRuleError, TypeError)) as caught:
        Fault.from_json(rule)
    assert message in str(caught.value), str(caught.value)


def test_clear_empties_the_plan() -> None:
    plan = FaultPlan()
    plan.add(Fault(status=500, times=3))
    plan.clear()
    assert (plan.rules(), plan.pending, plan.take("GET", "/")) == ([], 0, None)
