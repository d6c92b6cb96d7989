"""JSON $batch: at most 100 operations run in order, each with its own status; the batch stops at the first failure
unless the client prefers odata.continue-on-error; Isolation: snapshot makes it all-or-nothing; dependsOn is kept."""

from __future__ import annotations

import httpx
import pytest

from harness.businesscentral.client import BatchOperation, BusinessCentralClient
from harness.businesscentral.fake import BusinessCentralFake
from harness.businesscentral.fake.call import ODATA_JSON
from harness.client import ChangedUnderYouError, ValidationError
from harness.fakes.faults import Fault, FaultRuleError
from tests.businesscentral.helpers import assert_error

CONTINUE = {"Prefer": "odata.continue-on-error"}


def _create(index: int, bc: BusinessCentralFake) -> dict[str, object]:
    return {
        "id": str(index),
        "method": "POST",
        "url": f"companies({bc.company_id})/contacts",
        "headers": {"Content-Type": "application/json"},
        "body": {"displayName": f"Batch {index}", "type": "Person"},
    }


def test_each_operation_gets_its_own_status(raw: httpx.Client, api: str, bc: BusinessCentralFake) -> None:
    ok = raw.post(f"{api}/companies({bc.company_id})/contacts", json={"displayName": "Finnes"}).json()
    operations = [
        _create(1, bc),
        {
            "id": "2",
            "method": "POST",
            "url": f"companies({bc.company_id})/contacts",
            "body": {"displayName": "Feil", "phoneNumber": "ring meg"},
        },
        {
            "id": "3",
            "method": "PATCH",
            "url": f"companies({bc.company_id})/contacts({ok['id']})",
            "headers": {"If-Match": ok["@odata.etag"]},
            "body": {"mobilePhoneNumber": "912 34 567"},
        },
        {"id": "4", "method": "GET", "url": f"companies({bc.company_id})/contacts({ok['id']})"},
        {
            "id": "5",
            "method": "DELETE",
            "url": f"companies({bc.company_id})/contacts(00000000-0000-0000-0000-000000000009)",
        },
        {
            "id": "6",
            "method": "PATCH",
            "url": f"companies({bc.company_id})/contacts({ok['id']})",
            "body": {"mobilePhoneNumber": "1"},
        },
    ]
    response = raw.post(f"{api}/$batch", json={"requests": operations}, headers=CONTINUE)
    assert response.status_code == 200, response.text
    answers = response.json()["responses"]
    assert [(a["id"], a["status"]) for a in answers] == [
        ("1", 201),
        ("2", 400),
        ("3", 200),
        ("4", 200),
        ("5", 404),
        ("6", 400),
    ], answers
    assert answers[1]["body"]["error"]["code"] == "Application_FieldValidationException"
    assert answers[5]["body"]["error"]["code"] == "BadRequest_InvalidToken"
    assert answers[3]["body"]["mobilePhoneNumber"] == "912 34 567", "operations run in order"
    # As recorded (BC 26.0): an operation's headers are its content type, OData version and, on a create, Location.
    assert answers[0]["headers"] == {
        "content-type": ODATA_JSON,
        "odata-version": "4.0",
        "location": f"{answers[0]['body']['@odata.context'].split('/$metadata#')[0]}/companies({bc.company_id})"
        f"/contacts({answers[0]['body']['id']})",
    }, answers[0]["headers"]
    assert bc.counts()["routes"] == {"POST $batch": 1, "POST contacts": 1}, bc.counts()
    assert bc.counts()["batch_operations"]["POST contacts"] == 2, bc.counts()


def test_absolute_and_rooted_urls_are_accepted(
    raw: httpx.Client, api: str, bc: BusinessCentralFake, mounted: object
) -> None:
    rooted = {**_create(1, bc), "url": f"{api}/companies({bc.company_id})/contacts"}
    absolute = {**_create(2, bc), "url": f"{bc.base_url}{api}/companies({bc.company_id})/contacts"}
    answers = raw.post(f"{api}/$batch", json={"requests": [rooted, absolute]}).json()["responses"]
    assert [a["status"] for a in answers] == [201, 201], answers


def test_one_hundred_operations_are_accepted(raw: httpx.Client, api: str, bc: BusinessCentralFake) -> None:
    response = raw.post(f"{api}/$batch", json={"requests": [_create(i, bc) for i in range(100)]})
    assert response.status_code == 200, response.text
    assert {a["status"] for a in response.json()["responses"]} == {201}
    assert len(bc.company().store("contacts").records) == 100


def test_one_hundred_and_one_operations_are_refused_whole(raw: httpx.Client, api: str, bc: BusinessCentralFake) -> None:
    response = raw.post(f"{api}/$batch", json={"requests": [_create(i, bc) for i in range(101)]})
    assert_error(
        response,
        400,
        "Unknown",
        "The current batch message contains too many parts. A maximum number of '100' query operations and change "
        "sets are allowed in a batch message.",
    )
    assert bc.company().store("contacts").records == {}, "a refused batch must not apply any operation"


@pytest.mark.parametrize(
    "payload",
    [{}, {"requests": []}, {"requests": "all"}, {"requests": [{"id": "1"}]}, {"requests": [42]}],
)
def test_a_malformed_batch_gets_the_vendor_error(raw: httpx.Client, api: str, payload: dict[str, object]) -> None:
    response = raw.post(f"{api}/$batch", json=payload)
    if response.status_code == 200:
        answers = response.json()["responses"]
        assert [a["status"] for a in answers] == [400], answers
    else:
        assert_error(response, 400, "BadRequest")


def test_a_batch_inside_a_batch_and_unknown_urls_are_refused_per_operation(
    raw: httpx.Client, api: str, bc: BusinessCentralFake
) -> None:
    operations = [
        {"id": "a", "method": "POST", "url": "$batch", "body": {"requests": []}},
        {"id": "b", "method": "GET", "url": "vendors"},
        {"id": "c", "method": "POST", "url": "companies"},
    ]
    answers = raw.post(f"{api}/$batch", json={"requests": operations}, headers=CONTINUE).json()["responses"]
    assert [(a["id"], a["status"]) for a in answers] == [("a", 400), ("b", 404), ("c", 405)], answers


def test_without_continue_on_error_the_batch_stops_at_the_first_failure(
    raw: httpx.Client, api: str, bc: BusinessCentralFake
) -> None:
    failing = {**_create(2, bc), "body": {"displayName": "Feil", "phoneNumber": "ring meg"}}
    answers = raw.post(f"{api}/$batch", json={"requests": [_create(1, bc), failing, _create(3, bc)]}).json()
    assert [(a["id"], a["status"]) for a in answers["responses"]] == [("1", 201), ("2", 400)], answers
    names = [c["displayName"] for c in bc.company().store("contacts").records.values()]
    assert names == ["Batch 1"], f"the operation after the failure must not run, found {names}"


def test_an_operation_whose_dependency_failed_is_not_run(raw: httpx.Client, api: str, bc: BusinessCentralFake) -> None:
    failing = {**_create(1, bc), "body": {"displayName": "Feil", "phoneNumber": "ring meg"}}
    operations = [
        failing,
        {**_create(2, bc), "dependsOn": ["1"]},
        {**_create(3, bc), "dependsOn": ["2"]},
        _create(4, bc),
    ]
    answers = raw.post(f"{api}/$batch", json={"requests": operations}, headers=CONTINUE).json()["responses"]
    assert [(a["id"], a["status"]) for a in answers] == [("1", 400), ("2", 424), ("3", 424), ("4", 201)], answers
    assert answers[1]["body"]["error"]["code"] == "FailedDependency", answers[1]
    assert [c["displayName"] for c in bc.company().store("contacts").records.values()] == ["Batch 4"]


def test_a_dependency_on_a_later_or_unknown_operation_refuses_the_batch(
    raw: httpx.Client, api: str, bc: BusinessCentralFake
) -> None:
    operations = [{**_create(1, bc), "dependsOn": ["2"]}, _create(2, bc)]
    assert_error(
        raw.post(f"{api}/$batch", json={"requests": operations}),
        400,
        "BadRequest",
        "The dependsOn Id: [2] in request [1] is not matching any of the request Id and atomic group Id seen so "
        "far. Forward reference is not allowed.",
    )
    assert bc.company().store("contacts").records == {}


def test_snapshot_isolation_undoes_everything_when_one_operation_fails(
    raw: httpx.Client, api: str, bc: BusinessCentralFake
) -> None:
    existing = raw.post(f"{api}/companies({bc.company_id})/contacts", json={"displayName": "Før"}).json()
    operations = [
        _create(1, bc),
        {
            "id": "2",
            "method": "PATCH",
            "url": f"companies({bc.company_id})/contacts({existing['id']})",
            "headers": {"If-Match": "*"},
            "body": {"phoneNumber": "12345"},
        },
        {"id": "3", "method": "DELETE", "url": f"companies({bc.company_id})/contacts({existing['id']})"},
        {"id": "4", "method": "POST", "url": f"companies({bc.company_id})/contacts", "body": {"displayName": ""}},
        _create(5, bc),
    ]
    response = raw.post(f"{api}/$batch", json={"requests": operations}, headers={"Isolation": "snapshot"})
    answers = response.json()["responses"]
    # Microsoft's $batch page: the operations before the failure keep their answers; none of their changes stays.
    assert [a["status"] for a in answers] == [201, 200, 204, 400], answers
    after = raw.get(f"{api}/companies({bc.company_id})/contacts").json()["value"]
    assert [(c["id"], c["phoneNumber"]) for c in after] == [(existing["id"], "")], f"expected no change, got {after}"
    assert after[0]["@odata.etag"] == existing["@odata.etag"]
    again = raw.post(f"{api}/companies({bc.company_id})/contacts", json={"displayName": "Neste"}).json()
    assert again["number"] == "CT000002", "an undone create must free its number"


def test_snapshot_isolation_applies_everything_when_all_succeed(
    raw: httpx.Client, api: str, bc: BusinessCentralFake
) -> None:
    response = raw.post(
        f"{api}/$batch", json={"requests": [_create(1, bc), _create(2, bc)]}, headers={"Isolation": "snapshot"}
    )
    assert [a["status"] for a in response.json()["responses"]] == [201, 201]


def test_the_client_batches_and_maps_each_result(client: BusinessCentralClient, bc: BusinessCentralFake) -> None:
    existing = client.create("contacts", {"displayName": "Eksisterende"})
    results = client.batch(
        [
            BatchOperation("POST", "contacts", body={"displayName": "Ny", "phoneNumber": "22 33 44 55"}),
            BatchOperation("POST", "contacts", body={"displayName": "Feil", "mobilePhoneNumber": "ring"}),
            BatchOperation("PATCH", "contacts", existing.id, {"phoneNumber": "1"}, etag=existing.etag),
            BatchOperation("PATCH", "contacts", existing.id, {"phoneNumber": "2"}, etag=existing.etag),
        ]
    )
    assert [(r.status, r.ok) for r in results] == [(201, True), (400, False), (200, True), (409, False)], results
    assert results[0].record is not None and results[0].record["phoneNumber"] == "22 33 44 55"
    assert results[0].etag == results[0].record["@odata.etag"]
    assert isinstance(results[1].error, ValidationError) and results[1].error.field == "mobilePhoneNumber"
    assert isinstance(results[3].error, ChangedUnderYouError), results[3].error
    assert bc.counts()["routes"].get("POST $batch") == 1


def test_the_client_refuses_more_than_100_operations_before_sending(
    client: BusinessCentralClient, bc: BusinessCentralFake
) -> None:
    with pytest.raises(ValueError, match="at most 100"):
        client.batch([BatchOperation("POST", "contacts", body={"displayName": str(i)}) for i in range(101)])
    assert bc.counts()["total"] == 0
    assert client.batch([]) == []


def test_a_fault_in_batch_refuses_that_one_operation_and_no_whole_request(
    raw: httpx.Client, api: str, bc: BusinessCentralFake
) -> None:
    made = [
        raw.post(f"{api}/companies({bc.company_id})/contacts", json={"displayName": f"K{n}"}).json() for n in (1, 2)
    ]
    bc.add_fault(method="PATCH", path=f"*/contacts({made[0]['id']})", status=400, in_batch=True)
    operations = [
        {
            "id": str(n),
            "method": "PATCH",
            "url": f"companies({bc.company_id})/contacts({record['id']})",
            "headers": {"If-Match": "*"},
            "body": {"phoneNumber": "22334455"},
        }
        for n, record in enumerate(made)
    ]
    answer = raw.post(f"{api}/$batch", json={"requests": operations}, headers=CONTINUE)
    assert answer.status_code == 200, f"expected the batch itself accepted, got {answer.status_code} {answer.text}"
    statuses = [op["status"] for op in answer.json()["responses"]]
    assert statuses == [400, 200], f"expected only the first operation refused, got {statuses}"
    again = raw.post(f"{api}/$batch", json={"requests": operations[:1]}).json()["responses"]
    assert again[0]["status"] == 200, f"expected the rule spent after one operation, got {again[0]}"


def test_a_fault_in_batch_needs_a_status_and_cannot_drop() -> None:
    with pytest.raises(FaultRuleError, match="in_batch"):
        Fault(in_batch=True, drop=True)
    with pytest.raises(FaultRuleError, match="in_batch"):
        Fault(in_batch=True, delay=1.0)


def test_the_client_reports_every_operation_of_a_failed_atomic_batch_as_failed(
    client: BusinessCentralClient, bc: BusinessCentralFake
) -> None:
    results = client.batch(
        [
            BatchOperation("POST", "contacts", body={"displayName": "Ny"}),
            BatchOperation("POST", "contacts", body={"displayName": "Feil", "mobilePhoneNumber": "ring"}),
            BatchOperation("POST", "contacts", body={"displayName": "Aldri"}),
        ],
        atomic=True,
    )
    assert [(r.status, r.ok) for r in results] == [(424, False), (400, False), (424, False)], results
    assert bc.company().store("contacts").records == {}, "an atomic batch with a failure must leave nothing"
