"""Customers and contacts: create, read, update, delete; number series; ids; timestamps; ETags."""

from __future__ import annotations

import re

import httpx
import pytest

from harness.businesscentral.client import BusinessCentralClient
from harness.businesscentral.fake import BusinessCentralFake
from harness.client import AlreadyExistsError, NotFoundError
from harness.fakes import Clock
from tests.businesscentral.helpers import assert_error

# As recorded: milliseconds without trailing zeros (2025-02-02T18:28:34.08Z, 2025-09-29T09:58:45Z).
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{0,2}[1-9])?Z$")
ETAG = re.compile(r'^W/"[A-Za-z0-9+/=]+"$')
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.mark.parametrize(("entity_set", "first_number"), [("customers", "C00001"), ("contacts", "CT000001")])
def test_create_answers_201_with_the_entity_its_etag_and_location(
    raw: httpx.Client, records: str, entity_set: str, first_number: str
) -> None:
    response = raw.post(f"{records}/{entity_set}", json={"displayName": "Fjordkraft AS"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert GUID.match(body["id"]), f"expected a GUID id, got {body['id']!r}"
    assert body["number"] == first_number, f"expected the number series to start at {first_number}, got {body}"
    assert ETAG.match(body["@odata.etag"]), body["@odata.etag"]
    assert "ETag" not in response.headers, "as recorded, the tag travels in @odata.etag only"
    assert response.headers["Location"].endswith(f"/{entity_set}({body['id']})"), response.headers["Location"]
    assert TIMESTAMP.match(body["lastModifiedDateTime"]), body["lastModifiedDateTime"]
    context = f"$metadata#companies({records.rsplit('(', 1)[1][:-1]})/{entity_set}/$entity"
    assert body["@odata.context"].endswith(context), body["@odata.context"]


def test_the_number_series_advances_and_skips_taken_numbers(raw: httpx.Client, records: str) -> None:
    numbers = []
    raw.post(f"{records}/customers", json={"displayName": "Taken", "number": "C00002"})
    for name in ("A", "B", "C"):
        numbers.append(raw.post(f"{records}/customers", json={"displayName": name}).json()["number"])
    assert numbers == ["C00001", "C00003", "C00004"], f"expected the series to skip C00002, got {numbers}"


def test_a_client_chosen_id_is_kept_and_a_repeat_is_refused(raw: httpx.Client, records: str) -> None:
    chosen = "6F9619FF-8B86-D011-B42D-00C04FC964FF"
    first = raw.post(f"{records}/contacts", json={"id": chosen, "displayName": "Ola Nordmann"})
    assert first.status_code == 201, first.text
    assert first.json()["id"] == chosen.lower()
    again = raw.post(f"{records}/contacts", json={"id": chosen, "displayName": "Ola Nordmann"})
    assert_error(again, 400, "Internal_EntityWithSameKeyExists")


def test_a_taken_number_is_refused(raw: httpx.Client, records: str) -> None:
    raw.post(f"{records}/customers", json={"displayName": "A", "number": "K1"})
    assert_error(
        raw.post(f"{records}/customers", json={"displayName": "B", "number": "k1"}),
        400,
        "Internal_EntityWithSameKeyExists",
    )


def test_read_update_delete_round_trip(raw: httpx.Client, records: str, clock: Clock) -> None:
    created = raw.post(f"{records}/contacts", json={"displayName": "Kari Nordmann", "type": "Person"}).json()
    url = f"{records}/contacts({created['id']})"
    read = raw.get(url)
    assert read.status_code == 200, read.text
    assert read.json()["@odata.etag"] == created["@odata.etag"]
    clock.advance(61.5)
    updated = raw.patch(url, json={"phoneNumber": "+47 22 33 44 55"}, headers={"If-Match": created["@odata.etag"]})
    assert updated.status_code == 200, updated.text
    after = updated.json()
    assert after["phoneNumber"] == "+47 22 33 44 55"
    assert after["@odata.etag"] != created["@odata.etag"], "expected a new ETag after an update"
    assert after["lastModifiedDateTime"] == "2024-10-14T08:01:01.5Z", after["lastModifiedDateTime"]
    deleted = raw.delete(url)
    assert deleted.status_code == 204, deleted.text
    assert deleted.content == b""
    assert_error(raw.get(url), 404, "BadRequest_ResourceNotFound", "Resource not found for the segment 'contacts'.")


def test_last_modified_is_the_tenant_clock_in_utc_milliseconds(raw: httpx.Client, records: str, clock: Clock) -> None:
    clock.advance(0.1234)
    body = raw.post(f"{records}/customers", json={"displayName": "Tid AS"}).json()
    assert body["lastModifiedDateTime"] == "2024-10-14T08:00:00.123Z", body["lastModifiedDateTime"]


def test_a_missing_record_is_not_found_and_a_bad_key_is_a_bad_request(raw: httpx.Client, records: str) -> None:
    missing = f"{records}/customers(00000000-0000-0000-0000-000000000001)"
    assert_error(
        raw.get(missing), 404, "BadRequest_ResourceNotFound", "Resource not found for the segment 'customers'."
    )
    assert_error(raw.get(f"{records}/customers(C00001)"), 400, "BadRequest")
    assert_error(raw.delete(missing), 404, "BadRequest_ResourceNotFound")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "Invalid Request Body"),
        ("", "Invalid Request Body"),
        ("[1, 2]", "An unexpected 'StartArray' node was found when reading from the JSON reader."),
        ("null", "An unexpected 'PrimitiveValue' node was found when reading from the JSON reader."),
        ('"text"', "An unexpected 'PrimitiveValue' node was found when reading from the JSON reader."),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(raw: httpx.Client, records: str, body: str, message: str) -> None:
    response = raw.post(f"{records}/customers", content=body, headers={"Content-Type": "application/json"})
    expected = message if message == "Invalid Request Body" else f"{message} A 'StartObject' node was expected."
    assert_error(response, 400, "BadRequest", expected)


def test_the_client_reads_writes_and_deletes(client: BusinessCentralClient) -> None:
    created = client.create("customers", {"displayName": "Bølgen & Moi AS", "phoneNumber": "22 33 44 55"})
    assert created.etag is not None
    assert created.record["displayName"] == "Bølgen & Moi AS"
    fetched = client.get("customers", created.id)
    assert fetched == created, f"expected the read to equal the create answer\n{fetched}\n{created}"
    updated = client.update("customers", created.id, {"phoneNumber": "+47 900 00 000"}, created.etag)
    assert updated.record["phoneNumber"] == "+47 900 00 000"
    client.delete("customers", created.id, updated.etag)
    with pytest.raises(NotFoundError) as caught:
        client.get("customers", created.id)
    assert caught.value.code == "BadRequest_ResourceNotFound", caught.value


def test_the_client_reports_a_duplicate_id(client: BusinessCentralClient) -> None:
    body = {"id": "0b7d2c5e-0000-4000-8000-000000000001", "displayName": "Dup AS"}
    client.create("customers", body)
    with pytest.raises(AlreadyExistsError):
        client.create("customers", body)


def test_a_company_contact_is_its_own_company_and_a_person_follows_it(raw: httpx.Client, records: str) -> None:
    company = raw.post(f"{records}/contacts", json={"displayName": "Nordlys AS", "type": "Company"}).json()
    assert (company["companyNumber"], company["companyName"]) == (company["number"], "Nordlys AS"), company
    person = raw.post(
        f"{records}/contacts",
        json={"displayName": "Per Hansen", "type": "Person", "companyNumber": company["number"]},
    ).json()
    assert person["companyName"] == "Nordlys AS", person
    raw.patch(
        f"{records}/contacts({company['id']})", json={"displayName": "Nordlys Energi AS"}, headers={"If-Match": "*"}
    )
    assert raw.get(f"{records}/contacts({person['id']})").json()["companyName"] == "Nordlys Energi AS"


def test_marketing_setup_creates_a_company_contact_for_a_new_customer(
    raw: httpx.Client, records: str, bc: BusinessCentralFake
) -> None:
    assert raw.get(f"{records}/contacts").json()["value"] == [], "expected no contacts with Marketing Setup off"
    raw.post(f"{records}/customers", json={"displayName": "Uten kontakt AS"})
    assert raw.get(f"{records}/contacts").json()["value"] == [], "Marketing Setup is off: no contact expected"
    bc.model.marketing_setup = True
    raw.post(f"{records}/customers", json={"displayName": "Med kontakt AS"})
    contacts = raw.get(f"{records}/contacts").json()["value"]
    assert [(c["displayName"], c["type"], c["contactBusinessRelation"]) for c in contacts] == [
        ("Med kontakt AS", "Company", "Customer")
    ], contacts
