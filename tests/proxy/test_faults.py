"""``harness.proxy.faults``: rules checked field by field, consumed in order, scoped, and each vendor's error shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.proxy.faults import KINDS, TROUBLE_ALLOWANCE, FaultError, FaultPlan, vendor_error
from harness.traffic.routes import BatchOperation, Target, Tenant

SETS = {"crmoffice": ["companies", "contacts"], "businesscentral": ["contacts", "customers", "$batch", "companies"]}


def plan() -> FaultPlan:
    return FaultPlan(SETS)


def target(
    method: str = "GET", entity_set: str = "contacts", record: str | None = None, tenant: Tenant = "businesscentral"
) -> Target:
    return Target(tenant, method, entity_set, record)


def batch(*ops: tuple[str, str, str, str | None]) -> tuple[Target, list[BatchOperation]]:
    """``(id, method, entity_set, record)`` per operation."""
    return target("POST", "$batch"), [BatchOperation(i, target(m, s, r), None) for i, m, s, r in ops]


# --- validation ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "names"),
    [
        ({"tenant": "salesforce", "kind": "throttle"}, ["'tenant'", "salesforce", "businesscentral, crmoffice"]),
        ({"tenant": ["crmoffice"], "kind": "throttle"}, ["'tenant'"]),
        ({"kind": "throttle"}, ["'tenant'", "None"]),
        ({"tenant": "crmoffice", "kind": "explode"}, ["'kind'", "explode", "throttle"]),
        ({"tenant": "crmoffice", "kind": "throttle", "entity_set": "customers"}, ["'entity_set'", "customers"]),
        ({"tenant": "crmoffice", "kind": "throttle", "entity_set": ["contacts"]}, ["'entity_set'"]),
        ({"tenant": "crmoffice", "kind": "throttle", "entty_set": "contacts"}, ["entty_set", "entity_set"]),
        ({"tenant": "crmoffice", "kind": "throttle", "times": 0}, ["'times'", "at least 1"]),
        ({"tenant": "crmoffice", "kind": "throttle", "times": 1.5}, ["'times'", "whole number"]),
        ({"tenant": "crmoffice", "kind": "throttle", "times": "2"}, ["'times'", "'2'"]),
        ({"tenant": "crmoffice", "kind": "throttle", "times": True}, ["'times'"]),
        ({"tenant": "crmoffice", "kind": "throttle", "skip": -1}, ["'skip'"]),
        ({"tenant": "crmoffice", "kind": "throttle", "retry_after": float("inf")}, ["'retry_after'"]),
        ({"tenant": "crmoffice", "kind": "slow", "delay": -0.5}, ["'delay'"]),
        ({"tenant": "crmoffice", "kind": "throttle", "status": 200}, ["'status'", "400 to 599", "200"]),
        ({"tenant": "crmoffice", "kind": "throttle", "status": 600}, ["'status'", "600"]),
        ({"tenant": "crmoffice", "kind": "throttle", "method": "PATCH /x"}, ["'method'"]),
        ({"tenant": "crmoffice", "kind": "batch-operation"}, ["batch-operation", "$batch"]),
        ({"tenant": "crmoffice", "kind": "error"}, ["'error'", "'status'"]),
        ({"tenant": "crmoffice", "kind": "crash"}, ["'crash'", "--product-command"]),
        ({"tenant": "crmoffice", "kind": "reset", "contains": ""}, ["'contains'"]),
        ({"tenant": "crmoffice", "kind": "reset", "contains": 7}, ["'contains'", "7"]),
    ],
)
def test_a_rule_that_cannot_be_obeyed_is_refused_naming_the_field(rule: dict[str, Any], names: list[str]) -> None:
    faults = plan()
    with pytest.raises(FaultError) as refused:
        faults.add(rule)
    for name in names:
        assert name in str(refused.value), str(refused.value)
    assert faults.pending() == [], "nothing of a refused rule is kept"


def test_a_rule_is_kept_with_its_defaults_and_an_id() -> None:
    faults = plan()
    fault = faults.add({"tenant": "businesscentral", "kind": "throttle", "method": "patch", "record": 7})
    assert (fault.method, fault.record, fault.times, fault.skip, fault.met) == ("PATCH", "7", 1, 0, 0)
    assert fault.answer_status == 429 and fault.id
    assert faults.pending() == [fault.to_dict()]
    assert json.loads(json.dumps(faults.pending()))[0]["id"] == fault.id


def test_null_fields_take_their_defaults() -> None:
    faults = plan()
    fault = faults.add({"tenant": "crmoffice", "kind": "reset", "times": None, "skip": None, "delay": None})
    assert (fault.times, fault.skip, fault.delay) == (1, 0, 0.0)
    assert faults.take(target(tenant="crmoffice")) == (fault, None)


@pytest.mark.parametrize(("kind", "status"), [("throttle", 429), ("unavailable", 503), ("gateway-timeout", 504)])
def test_each_answering_kind_has_its_status(kind: str, status: int) -> None:
    assert plan().add({"tenant": "crmoffice", "kind": kind}).answer_status == status


def test_a_given_status_wins() -> None:
    assert plan().add({"tenant": "crmoffice", "kind": "throttle", "status": 418}).answer_status == 418
    assert plan().add({"tenant": "crmoffice", "kind": "error", "status": 422}).answer_status == 422
    assert plan().add({"tenant": "businesscentral", "kind": "batch-operation"}).answer_status == 500


def test_a_list_of_rules_is_added_whole_or_not_at_all() -> None:
    faults = plan()
    with pytest.raises(FaultError, match="'times'"):
        faults.add_all(
            [{"tenant": "crmoffice", "kind": "throttle"}, {"tenant": "crmoffice", "kind": "reset", "times": 0}]
        )
    assert faults.pending() == []
    added = faults.add_all([{"tenant": "crmoffice", "kind": "throttle"}, {"tenant": "crmoffice", "kind": "reset"}])
    assert [f["id"] for f in faults.pending()] == [f.id for f in added]


def test_every_kind_is_taken() -> None:
    faults = plan()
    faults.crashable = True  # the proxy started the product
    for kind in KINDS:
        faults.add({"tenant": "businesscentral", "kind": kind, "status": 500, "delay": 1})
    assert [f["kind"] for f in faults.pending()] == list(KINDS)


def test_a_rule_scoped_to_a_text_meets_only_bodies_that_contain_it() -> None:
    faults = plan()
    fault = faults.add({"tenant": "businesscentral", "kind": "reset", "contains": "qa-2612031200ab-1f", "skip": 1})
    ours, theirs = b'{"displayName": "Nordmann qa-2612031200ab-1f"}', b'{"displayName": "Nordmann qa-2612031200ab-2"}'
    assert faults.take(target("POST"), body=theirs) is None
    assert faults.take(target("POST")) is None, "no body, no match"
    assert faults.take(target("POST"), body=ours) is None, "skipped"
    assert faults.take(target("POST"), body=ours) == (fault, None)
    assert "containing 'qa-2612031200ab-1f'" in fault.scope()


# --- consumption --------------------------------------------------------------------------------------------------
def test_skip_lets_requests_through_then_times_meets_them() -> None:
    faults = plan()
    fault = faults.add({"tenant": "businesscentral", "kind": "throttle", "skip": 2, "times": 2})
    met = [faults.take(target()) is not None for _ in range(5)]
    assert met == [False, False, True, True, False]
    assert fault.met == 2 and faults.pending() == []


def test_rules_are_met_in_the_order_they_were_added_one_per_request() -> None:
    faults = plan()
    first = faults.add({"tenant": "businesscentral", "kind": "throttle"})
    second = faults.add({"tenant": "businesscentral", "kind": "reset"})
    assert faults.take(target()) == (first, None)
    assert faults.take(target()) == (second, None)
    assert faults.take(target()) is None


def test_a_refusal_of_one_record_wins_over_an_earlier_rule_for_the_whole_tenant() -> None:
    faults = plan()
    lose = faults.add({"tenant": "businesscentral", "kind": "lose-answer", "method": "WRITE", "times": 5})
    refuse = faults.add({"tenant": "businesscentral", "kind": "error", "status": 400, "record": "r1", "times": 5})
    one_op = faults.add({"tenant": "businesscentral", "kind": "batch-operation", "record": "r1", "status": 400})
    assert faults.take(target("PATCH", record="r1")) == (refuse, None)
    assert faults.take(target("PATCH", record="r2")) == (lose, None), "other records meet the tenant's rule"
    batch_target, ops = batch(("1", "PATCH", "contacts", "r2"), ("2", "PATCH", "contacts", "r1"))
    assert faults.take(batch_target, ops) == (one_op, "2"), "the record's operation is refused, not lost"


def test_a_crash_is_taken_apart_from_the_rule_a_request_meets() -> None:
    faults = plan()
    faults.crashable = True
    crash = faults.add({"tenant": "businesscentral", "kind": "crash", "method": "WRITE"})
    one_op = faults.add({"tenant": "businesscentral", "kind": "batch-operation", "record": "r1", "status": 400})
    batch_target, ops = batch(("1", "PATCH", "contacts", "r1"), ("2", "POST", "contacts", None))
    assert faults.take(batch_target, ops) == (one_op, "1"), "the crash is not the rule a request meets"
    assert faults.take(batch_target, ops, crash=True) == (crash, None), "but it comes on top of it"
    assert faults.take(batch_target, ops, crash=True) is None


def test_clear_drops_all_or_one_tenants_rules() -> None:
    faults = plan()
    faults.add({"tenant": "businesscentral", "kind": "throttle"})
    faults.add({"tenant": "crmoffice", "kind": "throttle"})
    faults.add({"tenant": "crmoffice", "kind": "reset"})
    assert faults.clear("crmoffice") == 2
    assert [f["tenant"] for f in faults.pending()] == ["businesscentral"]
    assert faults.clear() == 1 and faults.pending() == []


# --- scope --------------------------------------------------------------------------------------------------------
def test_a_rule_meets_only_its_tenant() -> None:
    faults = plan()
    faults.add({"tenant": "crmoffice", "kind": "throttle"})
    assert faults.take(target()) is None
    assert faults.take(target(tenant="crmoffice")) is not None


def test_a_rule_scoped_to_an_entity_set_record_and_method() -> None:
    faults = plan()
    faults.add(
        {"tenant": "businesscentral", "kind": "reset", "entity_set": "contacts", "record": "r1", "method": "PATCH"}
    )
    assert faults.take(target("PATCH", "customers", "r1")) is None
    assert faults.take(target("PATCH", "contacts", "r2")) is None
    assert faults.take(target("GET", "contacts", "r1")) is None
    assert faults.take(target("PATCH", "contacts")) is None
    assert faults.take(target("PATCH", "contacts", "r1")) is not None


def test_a_batch_meets_a_scoped_rule_through_its_operations() -> None:
    faults = plan()
    fault = faults.add({"tenant": "businesscentral", "kind": "throttle", "entity_set": "customers", "method": "PATCH"})
    envelope, ops = batch(("1", "PATCH", "contacts", "a"), ("2", "GET", "customers", "b"))
    assert faults.take(envelope, ops) is None
    envelope, ops = batch(("1", "PATCH", "contacts", "a"), ("2", "PATCH", "customers", "b"))
    assert faults.take(envelope, ops) == (fault, None)


def test_batch_operation_picks_the_matching_operation() -> None:
    faults = plan()
    fault = faults.add(
        {"tenant": "businesscentral", "kind": "batch-operation", "entity_set": "contacts", "record": "b"}
    )
    envelope, ops = batch(
        ("1", "PATCH", "contacts", "a"), ("2", "PATCH", "contacts", "b"), ("3", "GET", "contacts", "b")
    )
    assert faults.take(envelope, ops) == (fault, "2")


def test_batch_operation_never_meets_a_plain_request() -> None:
    faults = plan()
    faults.add({"tenant": "businesscentral", "kind": "batch-operation", "entity_set": "contacts"})
    assert faults.take(target("PATCH", "contacts", "a")) is None
    envelope, ops = batch(("x", "POST", "customers", None))
    assert faults.take(envelope, ops) is None
    assert len(faults.pending()) == 1


def test_batch_operation_skip_counts_batches_that_match() -> None:
    faults = plan()
    faults.add({"tenant": "businesscentral", "kind": "batch-operation", "method": "POST", "skip": 1})
    envelope, ops = batch(("1", "POST", "contacts", None), ("2", "POST", "contacts", None))
    assert faults.take(envelope, ops) is None
    taken = faults.take(envelope, ops)
    assert taken is not None and taken[1] == "1"


# --- the vendors' answers -----------------------------------------------------------------------------------------
def test_business_central_answers_in_its_error_shape() -> None:
    body, headers = vendor_error("businesscentral", 429, 2.2)
    assert json.loads(body)["error"]["code"] == "Application_TooManyRequests"
    assert "message" in json.loads(body)["error"]
    assert headers["Retry-After"] == "3", "whole seconds, rounded up"
    assert headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(("status", "code"), [(503, "ServiceUnavailable"), (504, "GatewayTimeout"), (500, "Unknown")])
def test_business_central_codes(status: int, code: str) -> None:
    body, headers = vendor_error("businesscentral", status, None)
    assert json.loads(body)["error"]["code"] == code
    assert "Retry-After" not in headers


def test_a_refused_value_in_each_vendors_shape() -> None:
    body, _ = vendor_error("businesscentral", 400, None)
    assert json.loads(body)["error"]["code"] == "BadRequest"
    body, _ = vendor_error("crmoffice", 422, None)
    assert json.loads(body)["title"] == "Unprocessable Entity"


def test_crmoffice_answers_problem_details() -> None:
    body, headers = vendor_error("crmoffice", 503, 0)
    problem = json.loads(body)
    assert (problem["status"], problem["title"]) == (503, "Service Unavailable")
    assert {"type", "detail"} <= set(problem)
    assert headers["Content-Type"].startswith("application/problem+json")
    assert headers["Retry-After"] == "0"


def test_a_refusal_of_one_record_does_not_fail_a_whole_batch() -> None:
    plan = FaultPlan({"businesscentral": {"contacts", "$batch"}})
    plan.add({"tenant": "businesscentral", "kind": "error", "status": 400, "entity_set": "contacts", "record": "x"})
    batch = Target("businesscentral", "POST", "$batch")
    ops = [BatchOperation("1", Target("businesscentral", "PATCH", "contacts", "x"), '"1"')]
    assert plan.take(batch, ops) is None, "a record's refusal is batch-operation's to give inside a $batch"
    assert plan.take(Target("businesscentral", "PATCH", "contacts", "x")) is not None


def test_a_throttle_of_an_entity_set_meets_a_batch_that_carries_it() -> None:
    plan = FaultPlan({"businesscentral": {"contacts", "$batch"}})
    plan.add({"tenant": "businesscentral", "kind": "throttle", "entity_set": "contacts", "retry_after": 2})
    ops = [BatchOperation("1", Target("businesscentral", "POST", "contacts"), None)]
    assert plan.take(Target("businesscentral", "POST", "$batch"), ops) is not None


def test_the_trouble_the_faults_impose_is_what_they_ask_the_product_to_wait() -> None:
    plan = FaultPlan({"crmoffice": {"contacts"}})
    plan.add({"tenant": "crmoffice", "kind": "throttle", "retry_after": 3, "times": 2})
    plan.add({"tenant": "crmoffice", "kind": "reset"})
    plan.add({"tenant": "crmoffice", "kind": "error", "status": 422})
    request = Target("crmoffice", "PATCH", "contacts", "x")
    for _ in range(4):
        assert plan.take(request) is not None
    assert plan.trouble_seconds == 3 + 3 + TROUBLE_ALLOWANCE, "a refused value is no wait imposed on the product"


def test_one_rule_can_be_removed_by_its_id() -> None:
    plan = FaultPlan({"crmoffice": {"contacts"}})
    rule = plan.add({"tenant": "crmoffice", "kind": "unavailable", "times": 5})
    assert plan.remove(rule.id) is True
    assert plan.pending() == []
    assert plan.remove(rule.id) is False, "a rule no longer in force is reported as such"


def test_a_slow_answer_without_a_delay_is_refused() -> None:
    plan = FaultPlan({"crmoffice": {"contacts"}})
    with pytest.raises(FaultError, match="'delay'"):
        plan.add({"tenant": "crmoffice", "kind": "slow"})
