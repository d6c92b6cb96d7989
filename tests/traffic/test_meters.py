"""``harness.traffic.meters``: what a client did, counted per tenant and entity set, on an injected clock."""

from __future__ import annotations

import base64
import json
from typing import Any

from harness.traffic.meters import EARLY_GRACE, TOKEN_MIN_USE, WINDOW_SECONDS, Meters, if_match_kind, records_in
from harness.traffic.routes import BatchOperation, Target, Tenant


class Clock:
    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t


def make() -> tuple[Meters, Clock, Clock]:
    now, wall = Clock(), Clock(1_700_000_000.0)
    return Meters(now, wall=wall), now, wall


def target(
    method: str = "GET",
    entity_set: str = "contacts",
    record: str | None = None,
    *,
    tenant: Tenant = "businesscentral",
    page: bool = False,
) -> Target:
    return Target(tenant, method, entity_set, record, page)


def tenant_of(meters: Meters, name: str = "businesscentral") -> dict[str, Any]:
    return dict(meters.snapshot()["tenants"][name])


def sets_of(meters: Meters, name: str = "businesscentral") -> dict[str, Any]:
    return dict(tenant_of(meters, name)["entity_sets"])


def jwt(exp: float) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part({'exp': exp, 'sub': 'x'})}.c2ln"


# --- small helpers ------------------------------------------------------------------------------------------------
def test_if_match_kinds() -> None:
    assert [if_match_kind(v) for v in ('W/"JzQ7"', "*", " * ", None, "", "  ")] == [
        "etag",
        "any",
        "any",
        "none",
        "none",
        "none",
    ]


def test_records_in_pages_records_and_errors() -> None:
    assert records_in({"value": [{}, {}, {}]}) == 3
    assert records_in({"items": [{}], "nextPage": None}) == 1
    assert records_in({"id": "x"}) == 1
    assert records_in({"error": {"code": "BadRequest"}}) == 0
    assert records_in({"status": 404, "title": "Not Found"}) == 0
    assert records_in(None) == 0 and records_in([1, 2]) == 0


# --- requests, in flight, window --------------------------------------------------------------------------------
def test_requests_are_counted_per_tenant_and_entity_set() -> None:
    meters, _, _ = make()
    meters.answered(meters.arrived(target()), 200)
    meters.answered(meters.arrived(target(entity_set="customers")), 200)
    meters.answered(meters.arrived(target(tenant="crmoffice")), 200)
    snapshot = meters.snapshot()["tenants"]
    assert snapshot["businesscentral"]["requests"] == 2
    assert snapshot["crmoffice"]["requests"] == 1
    assert {k: v["requests"] for k, v in snapshot["businesscentral"]["entity_sets"].items()} == {
        "contacts": 1,
        "customers": 1,
    }
    assert snapshot["businesscentral"]["answers"] == {"200": 2}


def test_in_flight_max_is_the_most_at_once() -> None:
    meters, _, _ = make()
    first, second, third = (meters.arrived(target()) for _ in range(3))
    meters.answered(first, 200)
    meters.lost(second)
    fourth = meters.arrived(target())
    meters.answered(third, 200)
    meters.answered(fourth, 200)
    figures = tenant_of(meters)
    assert (figures["in_flight_max"], figures["in_flight"]) == (3, 0)
    assert figures["answers"] == {"200": 3, "lost": 1}


def test_the_window_slides() -> None:
    meters, now, _ = make()
    for step in (0, 150, 151, 150):  # bursts of 3 at 0, 150, 301, 451: at most two bursts within any 300 s
        now.t += step
        for _ in range(3):
            meters.answered(meters.arrived(target()), 200)
    assert tenant_of(meters)["window_max"] == 6
    assert tenant_of(meters)["window_seconds"] == WINDOW_SECONDS


def test_the_window_holds_its_boundary() -> None:
    meters, now, _ = make()
    meters.answered(meters.arrived(target()), 200)
    now.t += WINDOW_SECONDS
    meters.answered(meters.arrived(target()), 200)
    assert tenant_of(meters)["window_max"] == 2


def test_the_window_forgets_what_fell_out() -> None:
    meters, now, _ = make()
    meters.answered(meters.arrived(target()), 200)
    now.t += WINDOW_SECONDS + 1
    meters.answered(meters.arrived(target()), 200)
    assert tenant_of(meters)["window_max"] == 1


# --- Retry-After --------------------------------------------------------------------------------------------------
def test_a_request_before_retry_after_expired_is_early() -> None:
    meters, now, _ = make()
    meters.answered(meters.arrived(target()), 429, retry_after=10)
    now.t += 5
    meters.answered(meters.arrived(target("PATCH", "contacts", "r1")), 200)
    figures = tenant_of(meters)
    assert figures["early_after_retry_after"] == 1
    assert figures["early_examples"] == [{"entity_set": "contacts", "method": "PATCH", "seconds_early": 5.0}]


def test_a_request_within_the_grace_was_sent_before_the_answer_was_seen() -> None:
    meters, now, _ = make()
    meters.answered(meters.arrived(target()), 429, retry_after=10)
    now.t += EARLY_GRACE / 2
    meters.answered(meters.arrived(target()), 200)
    assert tenant_of(meters)["early_after_retry_after"] == 0


def test_a_request_after_retry_after_expired_is_not_early() -> None:
    meters, now, _ = make()
    meters.answered(meters.arrived(target()), 503, retry_after=2)
    now.t += 2.5
    meters.answered(meters.arrived(target()), 200)
    assert tenant_of(meters)["early_after_retry_after"] == 0


def test_retry_after_counts_only_on_429_and_503() -> None:
    meters, now, _ = make()
    meters.answered(meters.arrived(target()), 200, retry_after=60)
    meters.answered(meters.arrived(target()), 500, retry_after=60)
    now.t += 5
    meters.answered(meters.arrived(target()), 200)
    assert tenant_of(meters)["early_after_retry_after"] == 0


def test_retry_after_is_per_tenant() -> None:
    meters, now, _ = make()
    meters.answered(meters.arrived(target()), 429, retry_after=30)
    now.t += 5
    meters.answered(meters.arrived(target(tenant="crmoffice")), 200)
    assert tenant_of(meters)["early_after_retry_after"] == 0
    assert tenant_of(meters, "crmoffice")["early_after_retry_after"] == 0


# --- If-Match ---------------------------------------------------------------------------------------------------
def test_updates_are_counted_by_their_if_match() -> None:
    meters, _, _ = make()
    for value in ('W/"1"', "*", None, '"2"'):
        meters.answered(meters.arrived(target("PATCH", "contacts", "r1"), if_match=value), 200)
    meters.answered(meters.arrived(target("DELETE", "contacts", "r1"), if_match="*"), 204)
    meters.answered(meters.arrived(target("POST", "contacts"), if_match=None), 201)
    contacts = sets_of(meters)["contacts"]
    assert contacts["updates"] == {"etag": 2, "any": 1, "none": 1}
    assert contacts["deletes"] == {"etag": 0, "any": 1, "none": 0}


def test_updates_inside_a_batch_are_counted_by_their_own_if_match() -> None:
    meters, _, _ = make()
    ops = [
        BatchOperation("1", target("PATCH", "contacts", "a"), 'W/"1"'),
        BatchOperation("2", target("PATCH", "customers", "b"), "*"),
        BatchOperation("3", target("PATCH", "customers", "c"), None),
        BatchOperation("4", target("GET", "customers", "c"), None),
    ]
    arrival = meters.arrived(target("POST", "$batch"), if_match="*", operations=ops)
    meters.answered(arrival, 200, operation_statuses={"1": 200, "2": 200, "3": 200, "4": 200})
    sets = sets_of(meters)
    assert sets["contacts"]["updates"] == {"etag": 1, "any": 0, "none": 0}
    assert sets["customers"]["updates"] == {"etag": 0, "any": 1, "none": 1}
    assert sets["$batch"]["updates"] == {"etag": 0, "any": 0, "none": 0}, "the envelope's own header is not an update"
    assert tenant_of(meters)["batches"] == {"count": 1, "max_operations": 4, "operations": 4}


# --- records served and written -----------------------------------------------------------------------------------
def test_records_served_written_and_pages_followed() -> None:
    meters, _, _ = make()
    meters.answered(meters.arrived(target()), 200, served=100)
    meters.answered(meters.arrived(target(page=True)), 200, served=40)
    meters.answered(meters.arrived(target("PATCH", "contacts", "r1"), if_match='"1"'), 200)
    meters.answered(meters.arrived(target("PATCH", "contacts", "r1"), if_match='"1"'), 412)
    meters.answered(meters.arrived(target("POST", "contacts")), 201)
    contacts = sets_of(meters)["contacts"]
    assert (contacts["records_served"], contacts["records_written"], contacts["pages_followed"]) == (140, 2, 1)
    assert tenant_of(meters)["list_starts"] == {"contacts": 1}


def test_a_batch_writes_only_its_operations_that_succeeded() -> None:
    meters, _, _ = make()
    ops = [
        BatchOperation("1", target("PATCH", "contacts", "a"), '"1"'),
        BatchOperation("2", target("PATCH", "contacts", "b"), '"1"'),
        BatchOperation("3", target("POST", "customers"), None),
        BatchOperation("4", target("GET", "customers"), None),
    ]
    arrival = meters.arrived(target("POST", "$batch"), operations=ops)
    meters.answered(
        arrival,
        200,
        operation_statuses={"1": 200, "2": 412, "3": 201, "4": 200},
        operation_served={"4": 7},
    )
    sets = sets_of(meters)
    assert sets["contacts"]["records_written"] == 1
    assert sets["customers"]["records_written"] == 1
    assert sets["customers"]["records_served"] == 7
    assert sets["$batch"]["records_written"] == 0
    assert meters.writes_to("businesscentral", "contacts", "a") == 1
    assert meters.writes_to("businesscentral", "contacts", "b") == 0


def test_writes_to_counts_successful_writes_per_record() -> None:
    meters, _, _ = make()
    for status in (200, 200, 412, 500):
        meters.answered(meters.arrived(target("PATCH", "contacts", "r1", tenant="crmoffice")), status)
    meters.answered(meters.arrived(target("DELETE", "contacts", "r2", tenant="crmoffice")), 204)
    assert meters.writes_to("crmoffice", "contacts", "r1") == 2
    assert meters.writes_to("crmoffice", "contacts", "r2") == 1
    assert meters.writes_to("crmoffice", "companies", "r1") == 0
    assert meters.writes_to("businesscentral", "contacts", "r1") == 0


def test_a_lost_write_is_not_written() -> None:
    meters, _, _ = make()
    meters.lost(meters.arrived(target("PATCH", "contacts", "r1")))
    assert meters.writes_to("businesscentral", "contacts", "r1") == 0
    assert sets_of(meters)["contacts"]["records_written"] == 0


# --- tokens -------------------------------------------------------------------------------------------------------
def test_one_token_reused_is_no_change() -> None:
    meters, now, _ = make()
    for _ in range(3):
        meters.answered(meters.arrived(target(), authorization="Bearer abc"), 200)
        now.t += 1
    figures = tenant_of(meters)
    assert (figures["token_changes"], figures["token_replaced_early"]) == (0, 0)


def test_an_opaque_token_replaced_within_a_minute_is_early() -> None:
    meters, now, _ = make()
    meters.answered(meters.arrived(target(), authorization="Bearer one"), 200)
    now.t += TOKEN_MIN_USE / 2
    meters.answered(meters.arrived(target(), authorization="Bearer two"), 200)
    figures = tenant_of(meters)
    assert (figures["token_changes"], figures["token_replaced_early"]) == (1, 1)


def test_an_opaque_token_replaced_after_a_minute_is_not_early() -> None:
    meters, now, _ = make()
    meters.answered(meters.arrived(target(), authorization="Bearer one"), 200)
    now.t += TOKEN_MIN_USE + 1
    meters.answered(meters.arrived(target(), authorization="Bearer two"), 200)
    figures = tenant_of(meters)
    assert (figures["token_changes"], figures["token_replaced_early"]) == (1, 0)


def test_a_token_replaced_after_a_401_is_not_early() -> None:
    meters, now, _ = make()
    meters.answered(meters.arrived(target(), authorization="Bearer one"), 401)
    now.t += 1
    meters.answered(meters.arrived(target(), authorization="Bearer two"), 200)
    figures = tenant_of(meters)
    assert (figures["token_changes"], figures["token_replaced_early"]) == (1, 0)


def test_a_jwt_is_judged_by_its_expiry() -> None:
    meters, now, wall = make()
    meters.answered(meters.arrived(target(), authorization=f"Bearer {jwt(wall.t + 3600)}"), 200)
    now.t += 10 * TOKEN_MIN_USE  # long in use, but an hour from expiry: replaced early
    wall.t += 10 * TOKEN_MIN_USE
    meters.answered(meters.arrived(target(), authorization=f"Bearer {jwt(wall.t + 3600)}"), 200)
    assert tenant_of(meters)["token_replaced_early"] == 1


def test_a_jwt_replaced_near_its_expiry_is_not_early() -> None:
    meters, now, wall = make()
    meters.answered(meters.arrived(target(), authorization=f"Bearer {jwt(wall.t + 3600)}"), 200)
    now.t += 1  # seconds after first use, but the wall clock says it is nearly expired
    wall.t += 3600 - 60
    meters.answered(meters.arrived(target(), authorization=f"Bearer {jwt(wall.t + 3600)}"), 200)
    figures = tenant_of(meters)
    assert (figures["token_changes"], figures["token_replaced_early"]) == (1, 0)


def test_tokens_are_per_tenant() -> None:
    meters, _, _ = make()
    meters.answered(meters.arrived(target(), authorization="Bearer one"), 200)
    meters.answered(meters.arrived(target(tenant="crmoffice"), authorization="Bearer two"), 200)
    assert tenant_of(meters)["token_changes"] == 0
    assert tenant_of(meters, "crmoffice")["token_changes"] == 0


def test_no_token_is_ever_in_the_snapshot() -> None:
    meters, now, _ = make()
    secret = "Bearer s3cr3t-token-value"
    meters.answered(meters.arrived(target(), authorization=secret), 401)
    now.t += 1
    meters.answered(meters.arrived(target(), authorization="Bearer an0ther-s3cr3t"), 200)
    text = json.dumps(meters.snapshot())
    assert "s3cr3t" not in text


def test_the_snapshot_is_json_and_times_the_run() -> None:
    meters, now, _ = make()
    now.t += 12.5
    snapshot = meters.snapshot()
    assert snapshot == {"seconds": 12.5, "tenants": {}}
    assert json.loads(json.dumps(snapshot)) == snapshot


def test_a_cycle_is_led_by_the_first_list_the_product_reads_twice() -> None:
    meters, _, wall = make()
    meters.arrived(target("GET", "companies"))  # a one-time lookup at start-up never leads
    for _ in range(3):
        wall.t += 1
        meters.arrived(target("GET", "contacts", tenant="crmoffice"))
        meters.arrived(target("GET", "contacts"))
    cycles = meters.cycles()
    assert cycles["leader"] == ["crmoffice", "contacts"]
    assert len(cycles["cycles"]) == 1, "one complete cycle: from the leader's second first page to its third"
    figures = cycles["cycles"][0]["tenants"]
    assert figures["crmoffice"]["requests"] == 1 and figures["businesscentral"]["requests"] == 1, figures


def test_a_cycle_counts_the_records_asked_about_and_the_lists_read() -> None:
    meters, _, wall = make()
    for _ in range(2):
        meters.arrived(target("GET", "contacts", tenant="crmoffice"))
    arrival = meters.arrived(target("GET", "contacts"))
    meters.answered(arrival, 200, served=3, served_ids=["a", "b", "c"])
    meters.arrived(target("GET", "contacts", page=True))
    meters.arrived(target("PATCH", "contacts", "a"))
    wall.t += 1
    meters.arrived(target("GET", "contacts", tenant="crmoffice"))
    bc = meters.cycles(records=["a", "c", "z"])["cycles"][0]["tenants"]["businesscentral"]
    assert bc["of_records_asked"] == 2, bc
    assert (bc["list_requests"], bc["requests"], bc["records_served"]) == (2, 3, 3), bc


def test_writes_to_a_record_can_be_counted_within_a_window() -> None:
    meters, _, wall = make()
    for at in (10.0, 20.0, 30.0):
        wall.t = at
        meters.answered(meters.arrived(target("PATCH", "contacts", "x")), 200)
    assert meters.writes_to("businesscentral", "contacts", "x") == 3
    assert meters.writes_to("businesscentral", "contacts", "x", since=15.0) == 2
    assert meters.writes_to("businesscentral", "contacts", "x", since=15.0, until=25.0) == 1
    assert meters.writes_to("crmoffice", "contacts", "x", since=0.0) == 0
