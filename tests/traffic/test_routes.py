"""``harness.traffic.routes``: which entity set and record a request is about, per vendor URL shape."""

from __future__ import annotations

import json

import pytest

from harness.traffic.routes import Target, classify, operations

TENANT = "612e7696-a6ce-4c1b-b8e5-10617311d8a3"
COMPANY = "9b810e76-6ec9-4286-a3ca-828dd5f4b3b2"
RECORD = "cd447e35-b8b6-48fe-842e-3d437204e52d"
API = f"/v2.0/{TENANT}/Sandbox/api/v2.0"


def bc(method: str, url: str) -> Target:
    return classify("businesscentral", method, url)


def test_a_business_central_record_url_names_its_entity_set_and_record() -> None:
    target = bc("PATCH", f"{API}/companies({COMPANY})/contacts({RECORD})")
    assert target == Target("businesscentral", "PATCH", "contacts", RECORD, False)
    assert target.is_write and not target.is_list


def test_a_business_central_collection_is_a_list_start() -> None:
    target = bc("get", f"{API}/companies({COMPANY})/customers?$filter=x%20gt%201")
    assert (target.method, target.entity_set, target.record, target.page) == ("GET", "customers", None, False)
    assert target.is_list and not target.is_write


def test_a_business_central_skiptoken_is_a_page_followed() -> None:
    target = bc("GET", f"http://127.0.0.1:1{API}/companies({COMPANY})/contacts?$skiptoken=abc&$top=5")
    assert (target.entity_set, target.record, target.page) == ("contacts", None, True)


def test_business_central_companies_with_and_without_a_key() -> None:
    assert bc("GET", f"{API}/companies") == Target("businesscentral", "GET", "companies")
    assert bc("GET", f"{API}/companies({COMPANY})").record == COMPANY
    assert bc("GET", f"{API}/companies(id={COMPANY})").record == COMPANY


def test_a_quoted_key_loses_its_quotes() -> None:
    assert bc("GET", f"{API}/companies({COMPANY})/contacts('{RECORD}')").record == RECORD


def test_business_central_batch_metadata_and_root() -> None:
    batch = bc("POST", f"{API}/$batch")
    assert batch.entity_set == "$batch" and not batch.is_write, "the envelope is not a write of data"
    metadata = bc("GET", f"{API}/$metadata")
    assert metadata.entity_set == "$metadata" and not metadata.is_list
    assert bc("GET", f"{API}/").entity_set == ""


def test_business_central_environments_listing() -> None:
    target = bc("GET", "/environments/v1.1")
    assert (target.entity_set, target.record) == ("environments", None)


def test_a_navigation_below_a_record_stays_on_the_record() -> None:
    target = bc("GET", f"{API}/companies({COMPANY})/contacts({RECORD})/picture")
    assert (target.entity_set, target.record) == ("contacts", RECORD)


def crm(method: str, url: str, base: str = "/") -> Target:
    return classify("crmoffice", method, url, base)


def test_a_crmoffice_record_url() -> None:
    target = crm("DELETE", f"/contacts/{RECORD}")
    assert target == Target("crmoffice", "DELETE", "contacts", RECORD, False)
    assert target.is_write


def test_a_crmoffice_cursor_is_a_page_followed() -> None:
    first = crm("GET", "/contacts?pageSize=100")
    later = crm("GET", "http://127.0.0.1:9/contacts?pageSize=100&cursor=xyz")
    assert (first.is_list, first.page) == (True, False)
    assert (later.entity_set, later.page) == ("contacts", True)


def test_a_crmoffice_base_path_is_taken_off() -> None:
    assert crm("GET", f"/api/v1/companies/{RECORD}", "/api/v1/").entity_set == "companies"
    assert crm("GET", f"/api/v1/companies/{RECORD}", "/api/v1").record == RECORD
    assert crm("GET", "/api/v1/", "/api/v1/").entity_set == ""


def test_a_crmoffice_token_request_is_not_a_write() -> None:
    target = crm("POST", "/connect/token")
    assert target.entity_set == "connect" and not target.is_write


def batch_body(*requests: dict[str, object]) -> bytes:
    return json.dumps({"requests": list(requests)}).encode()


def test_operations_of_a_json_batch() -> None:
    body = batch_body(
        {
            "id": "1",
            "method": "PATCH",
            "url": f"companies({COMPANY})/contacts({RECORD})",
            "headers": {"If-Match": 'W/"x"', "Content-Type": "application/json"},
        },
        {"id": 2, "method": "POST", "url": f"http://h{API}/companies({COMPANY})/customers", "body": {}},
        {"id": "3", "url": f"companies({COMPANY})/contacts"},
    )
    ops = operations(body)
    assert [op.id for op in ops] == ["1", "2", "3"]
    assert (ops[0].target.method, ops[0].target.entity_set, ops[0].target.record) == ("PATCH", "contacts", RECORD)
    assert ops[0].if_match == 'W/"x"', "header names are matched case-insensitively"
    assert (ops[1].target.entity_set, ops[1].if_match) == ("customers", None)
    assert ops[2].target.method == "GET", "an operation without a method is a read"


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b'{"requests": {}}', b"\xff\xfe", b'{"value": []}'],
)
def test_operations_of_something_that_is_no_batch(body: bytes) -> None:
    assert operations(body) == []


def test_operations_skip_entries_without_a_url() -> None:
    body = batch_body({"id": "1", "method": "GET"}, "junk", {"id": "2", "url": "companies"})  # type: ignore[arg-type]
    assert [op.id for op in operations(body)] == ["2"]


def test_operations_with_malformed_headers_still_count() -> None:
    body = batch_body({"id": "1", "method": "PATCH", "url": f"companies({COMPANY})/contacts(1)", "headers": ["x"]})
    ops = operations(body)
    assert [(op.id, op.if_match) for op in ops] == [("1", None)]
