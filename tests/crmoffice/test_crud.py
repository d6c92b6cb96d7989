"""Create, read, merge-patch and delete companies and contacts, through the client and through raw HTTP."""

from __future__ import annotations

import httpx
import pytest

from harness.client import NotFoundError, ValidationError
from harness.crmoffice import CRMOfficeClient
from harness.crmoffice.fake import CRMOfficeFake
from tests.crmoffice.helpers import START_TEXT, expect_status, problem, same, validation

COMPANY = {
    "name": "Fjordkraft Rørlegger AS",
    "orgNr": "923609016",
    "postAddress": {"streetAddress": "Postboks 12", "postCode": "0150", "postalArea": "Oslo", "country": "Norge"},
    "visitAddress": {"streetAddress": "Karl Johans gate 1", "postCode": "0154", "postalArea": "Oslo", "country": None},
}


def _contact(company_id: str | None = None) -> dict[str, object]:
    return {
        "company": None if company_id is None else {"id": company_id},
        "givenName": "Kari",
        "familyName": "Nordmann",
        "directPhone": "+47 22 33 44 55",
        "mobilePhone": "912 34 567",
        "email": "kari.nordmann@example.no",
    }


def test_create_company_through_the_client(client: CRMOfficeClient) -> None:
    created = client.create("companies", COMPANY)
    record = created.record
    same(
        list(record),
        ["id", "name", "orgNr", "postAddress", "visitAddress", "createdAt", "updatedAt"],
        "company fields, in order",
    )
    for name, value in COMPANY.items():
        same(record[name], value, f"company {record['id']} field {name}")
    same((record["createdAt"], record["updatedAt"]), (START_TEXT, START_TEXT), f"company {record['id']} times")
    assert created.etag and created.etag.startswith('"') and created.etag.endswith('"'), (
        f"expected a strong, quoted ETag on company {record['id']}, got {created.etag!r}"
    )
    read = client.get("companies", created.id)
    same(read, created, f"company {created.id} read back")


def test_create_contact_through_raw_http(api: httpx.Client, mounted: object) -> None:
    company = api.post("/companies", json=COMPANY)
    expect_status(company, 201, "POST /companies")
    company_id = company.json()["id"]
    response = api.post("/contacts", json=_contact(company_id))
    expect_status(response, 201, "POST /contacts")
    record = response.json()
    same(
        list(record),
        [
            "id",
            "company",
            "givenName",
            "familyName",
            "directPhone",
            "mobilePhone",
            "email",
            "city",
            "website",
            "createdAt",
            "updatedAt",
        ],
        "contact fields, in order",
    )
    same(record["company"], {"id": company_id}, f"contact {record['id']} company")
    location = response.headers.get("Location", "")
    assert location.endswith(f"/contacts/{record['id']}") and location.startswith("http"), (
        f"expected an absolute Location ending /contacts/{record['id']}, got {location!r}"
    )
    read = api.get(location)
    expect_status(read, 200, f"GET the Location of contact {record['id']}")
    same(read.json(), record, f"contact {record['id']} read back")
    same(read.headers.get("ETag"), response.headers.get("ETag"), f"contact {record['id']} ETag read back")


def test_optional_fields_default_to_null(client: CRMOfficeClient) -> None:
    company = client.create("companies", {"name": "Bare Navn AS"}).record
    for name in ("orgNr", "postAddress", "visitAddress"):
        same(company[name], None, f"company {company['id']} field {name} when not sent")
    contact = client.create("contacts", {"familyName": "Hansen"}).record
    for name in ("company", "givenName", "directPhone", "mobilePhone", "email"):
        same(contact[name], None, f"contact {contact['id']} field {name} when not sent")


def test_merge_patch_sets_clears_and_keeps(client: CRMOfficeClient, fake: CRMOfficeFake) -> None:
    created = client.create("contacts", _contact())
    fake.clock.advance(5)
    updated = client.update("contacts", created.id, {"directPhone": "+47 99 88 77 66", "email": None})
    record = updated.record
    same(record["directPhone"], "+47 99 88 77 66", f"contact {created.id} directPhone after the patch")
    same(record["email"], None, f"contact {created.id} email after patching it to null")
    same(record["mobilePhone"], "912 34 567", f"contact {created.id} mobilePhone, absent from the patch")
    same(record["createdAt"], START_TEXT, f"contact {created.id} createdAt after the patch")
    same(record["updatedAt"], "2024-09-18T20:05:56.603Z", f"contact {created.id} updatedAt after the patch")
    assert updated.etag != created.etag, f"expected a new ETag for contact {created.id}, got the old {created.etag!r}"


def test_merge_patch_merges_addresses_part_by_part(api: httpx.Client) -> None:
    company = api.post("/companies", json=COMPANY).json()
    response = api.patch(
        f"/companies/{company['id']}",
        json={"postAddress": {"postCode": "0151", "country": None}, "visitAddress": None},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    expect_status(response, 200, f"PATCH company {company['id']}")
    record = response.json()
    expected = {"streetAddress": "Postboks 12", "postCode": "0151", "postalArea": "Oslo", "country": None}
    same(record["postAddress"], expected, f"company {company['id']} postAddress after a partial patch")
    same(record["visitAddress"], None, f"company {company['id']} visitAddress after patching it to null")


def test_a_patch_that_changes_nothing_is_still_a_write(client: CRMOfficeClient, fake: CRMOfficeFake) -> None:
    created = client.create("contacts", _contact())
    fake.clock.advance(1)
    again = client.update("contacts", created.id, {"directPhone": _contact()["directPhone"]})
    assert again.etag != created.etag, f"expected a new ETag for contact {created.id} after a same-value patch"
    same(again.record["updatedAt"], "2024-09-18T20:05:52.603Z", f"contact {created.id} updatedAt after it")


@pytest.mark.parametrize(
    "phone",
    ["+47 22 33 44 55 ext. 12", "sentralbord, spør etter Kari", "(0047) 22-33-44-55", "x" * 50, ""],
)
def test_phones_are_free_text_up_to_50_characters(client: CRMOfficeClient, phone: str) -> None:
    record = client.create("contacts", {"givenName": "Ola", "directPhone": phone, "mobilePhone": phone}).record
    same((record["directPhone"], record["mobilePhone"]), (phone, phone), f"contact {record['id']} phones")


def test_delete_then_get_is_404(client: CRMOfficeClient, api: httpx.Client) -> None:
    created = client.create("contacts", _contact())
    client.delete("contacts", created.id)
    with pytest.raises(NotFoundError) as caught:
        client.get("contacts", created.id)
    same(caught.value.status, 404, f"status reading deleted contact {created.id}")
    problem(api.delete(f"/contacts/{created.id}"), 404, f"DELETE of the deleted contact {created.id}")


def test_delete_answers_204_without_a_body(api: httpx.Client) -> None:
    created = api.post("/companies", json={"name": "Kortvarig AS"}).json()
    response = api.delete(f"/companies/{created['id']}")
    expect_status(response, 204, f"DELETE company {created['id']}")
    same(response.content, b"", f"body of the 204 for company {created['id']}")


def test_deleting_a_company_detaches_its_contacts(client: CRMOfficeClient, fake: CRMOfficeFake) -> None:
    company = client.create("companies", {"name": "Nedlagt AS"})
    kept = client.create("companies", {"name": "Videre AS"})
    members = [client.create("contacts", _contact(company.id)) for _ in range(2)]
    other = client.create("contacts", _contact(kept.id))
    fake.clock.advance(2)
    client.delete("companies", company.id)
    for member in members:
        now = client.get("contacts", member.id)
        same(now.record["company"], None, f"contact {member.id} company after its company was deleted")
        same(now.record["updatedAt"], "2024-09-18T20:05:53.603Z", f"contact {member.id} updatedAt after the detach")
        assert now.etag != member.etag, f"expected a new ETag on detached contact {member.id}"
    same(client.get("contacts", other.id), other, f"contact {other.id} of another company")


def test_a_contacts_company_is_replaced_kept_and_cleared_by_merge_patch(client: CRMOfficeClient) -> None:
    first, second = (client.create("companies", {"name": name}).id for name in ("Først AS", "Deretter AS"))
    contact = client.create("contacts", _contact(first))
    moved = client.update("contacts", contact.id, {"company": {"id": second.upper()}}).record
    same(moved["company"], {"id": second}, f"contact {contact.id} company after moving it (stored in lower case)")
    kept = client.update("contacts", contact.id, {"company": {}}).record
    same(kept["company"], {"id": second}, f"contact {contact.id} company after an empty company patch")
    cleared = client.update("contacts", contact.id, {"company": None}).record
    same(cleared["company"], None, f"contact {contact.id} company after patching it to null")


def test_contact_must_reference_an_existing_company(client: CRMOfficeClient) -> None:
    unknown = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
    with pytest.raises(ValidationError) as caught:
        client.create("contacts", _contact(unknown))
    same(caught.value.field, "company.id", "field of the error for an unknown company")


def test_ids_are_guids_and_case_insensitive(client: CRMOfficeClient, api: httpx.Client) -> None:
    created = client.create("companies", {"name": "Store Bokstaver AS"})
    same(client.get("companies", created.id.upper()), created, f"company {created.id} read by its upper-case id")
    messages = validation(api.get("/companies/not-a-guid"), "id", "GET /companies/not-a-guid")
    assert "not-a-guid" in messages[0], f"expected the message to quote the bad id, got {messages}"
    problem(api.get("/companies/3f2504e0-4f89-41d3-9a0c-0305e82c3301"), 404, "GET of an unknown company id")


def test_client_rejects_bad_arguments_before_sending(client: CRMOfficeClient, fake: CRMOfficeFake) -> None:
    with pytest.raises(ValueError, match="unknown CRMOffice resource 'users'"):
        client.get("users", "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-empty string"):
        client.get("contacts", "")
    with pytest.raises(ValueError, match="mapping"):
        client.create("contacts", ["givenName"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mapping"):
        client.update("contacts", "x", "givenName=Kari")  # type: ignore[arg-type]
    same(fake.counts()["total"], 0, "requests sent for bad arguments")


def test_an_id_cannot_escape_its_path(client: CRMOfficeClient, fake: CRMOfficeFake) -> None:
    client.create("companies", {"name": "Ikke Meg AS"})
    fake.clear_counts()
    with pytest.raises(NotFoundError):
        client.get("contacts", "../companies")
    routes = fake.counts()["routes"]
    assert "GET companies" not in routes, f"expected the id '../companies' to reach no companies route, got {routes}"
