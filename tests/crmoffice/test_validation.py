"""Field rules: every rejected value names its field, through raw HTTP and through the client, and changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from harness.client import ValidationError
from harness.crmoffice import CRMOfficeClient, Resource
from harness.crmoffice.fake import CRMOfficeFake
from tests.crmoffice.helpers import expect_status, same, validation

UNKNOWN_COMPANY = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"

# (case, resource, body, field, a fragment of the message)
CREATE_CASES: list[tuple[str, Resource, dict[str, Any], str, str]] = [
    ("company without name", "companies", {"orgNr": "923609016"}, "name", "required"),
    ("blank company name", "companies", {"name": "   "}, "name", "required"),
    ("null company name", "companies", {"name": None}, "name", "required"),
    ("company name of 101 characters", "companies", {"name": "n" * 101}, "name", "at most 100 characters, got 101"),
    ("company name a number", "companies", {"name": 123}, "name", "string or null, got number"),
    ("company name a list", "companies", {"name": ["A"]}, "name", "got array"),
    ("orgNr of 8 digits", "companies", {"name": "A", "orgNr": "12345678"}, "orgNr", "9 digits"),
    ("orgNr with a letter", "companies", {"name": "A", "orgNr": "12345678a"}, "orgNr", "9 digits"),
    ("orgNr with spaces", "companies", {"name": "A", "orgNr": "923 609 016"}, "orgNr", "9 digits"),
    ("orgNr a number", "companies", {"name": "A", "orgNr": 923609016}, "orgNr", "got number"),
    ("postAddress a string", "companies", {"name": "A", "postAddress": "Oslo"}, "postAddress", "must be an object"),
    (
        "postCode of 11 characters",
        "companies",
        {"name": "A", "postAddress": {"postCode": "01234567890"}},
        "postAddress.postCode",
        "at most 10 characters",
    ),
    (
        "unknown address part",
        "companies",
        {"name": "A", "visitAddress": {"city": "Oslo"}},
        "visitAddress.city",
        "not an address field",
    ),
    ("unknown company field", "companies", {"name": "A", "phone": "22 33 44 55"}, "phone", "not a company field"),
    ("company id in the body", "companies", {"name": "A", "id": UNKNOWN_COMPANY}, "id", "read-only"),
    (
        "createdAt in the body",
        "companies",
        {"name": "A", "createdAt": "2024-01-01T00:00:00Z"},
        "createdAt",
        "read-only",
    ),
    (
        "updatedAt in the body",
        "contacts",
        {"givenName": "A", "updatedAt": "2024-01-01T00:00:00Z"},
        "updatedAt",
        "read-only",
    ),
    ("contact without any name", "contacts", {"directPhone": "22 33 44 55"}, "givenName", "at least one of"),
    ("contact with blank names", "contacts", {"givenName": " ", "familyName": ""}, "familyName", "at least one of"),
    ("givenName of 51 characters", "contacts", {"givenName": "g" * 51}, "givenName", "at most 50 characters, got 51"),
    ("familyName of 51 characters", "contacts", {"familyName": "f" * 51}, "familyName", "at most 50 characters"),
    (
        "directPhone of 51 characters",
        "contacts",
        {"givenName": "A", "directPhone": "1" * 51},
        "directPhone",
        "at most 50",
    ),
    (
        "mobilePhone of 51 characters",
        "contacts",
        {"givenName": "A", "mobilePhone": "9" * 51},
        "mobilePhone",
        "at most 50",
    ),
    ("mobilePhone a number", "contacts", {"givenName": "A", "mobilePhone": 91234567}, "mobilePhone", "got number"),
    ("directPhone a boolean", "contacts", {"givenName": "A", "directPhone": True}, "directPhone", "got boolean"),
    ("email without @", "contacts", {"givenName": "A", "email": "kari.example.no"}, "email", "valid e-mail"),
    ("email with two @", "contacts", {"givenName": "A", "email": "kari@x@example.no"}, "email", "valid e-mail"),
    ("email starting with @", "contacts", {"givenName": "A", "email": "@example.no"}, "email", "valid e-mail"),
    ("email ending with @", "contacts", {"givenName": "A", "email": "kari@"}, "email", "valid e-mail"),
    ("email of 101 characters", "contacts", {"givenName": "A", "email": "k@" + "e" * 99}, "email", "at most 100"),
    ("company.id not a GUID", "contacts", {"givenName": "A", "company": {"id": "acme"}}, "company.id", "GUID"),
    ("company.id a number", "contacts", {"givenName": "A", "company": {"id": 42}}, "company.id", "got number"),
    ("company a bare id", "contacts", {"givenName": "A", "company": UNKNOWN_COMPANY}, "company", "must be an object"),
    ("company without id", "contacts", {"givenName": "A", "company": {}}, "company.id", "required"),
    ("company.id null", "contacts", {"givenName": "A", "company": {"id": None}}, "company.id", "send company: null"),
    ("company name", "contacts", {"givenName": "A", "company": {"name": "X"}}, "company.name", "not a company"),
    (
        "company.id of no company",
        "contacts",
        {"givenName": "A", "company": {"id": UNKNOWN_COMPANY}},
        "company.id",
        "no company",
    ),
    ("the old companyId", "contacts", {"givenName": "A", "companyId": UNKNOWN_COMPANY}, "companyId", "not a contact"),
    ("unknown contact field", "contacts", {"givenName": "A", "phoneNumber": "1"}, "phoneNumber", "not a contact field"),
]


@pytest.mark.parametrize(
    ("case", "resource", "body", "field", "fragment"), CREATE_CASES, ids=[c[0] for c in CREATE_CASES]
)
def test_create_rejects_through_raw_http(
    api: httpx.Client,
    fake: CRMOfficeFake,
    case: str,
    resource: Resource,
    body: dict[str, Any],
    field: str,
    fragment: str,
) -> None:
    messages = validation(api.post(f"/{resource}", json=body), field, case)
    assert any(fragment in message for message in messages), f"{case}: expected {fragment!r} in {messages}"
    same(fake.model.count(resource), 0, f"{case}: {resource} stored after a rejected create")


@pytest.mark.parametrize(
    ("case", "resource", "body", "field", "fragment"), CREATE_CASES, ids=[c[0] for c in CREATE_CASES]
)
def test_create_rejects_through_the_client(
    client: CRMOfficeClient, case: str, resource: Resource, body: dict[str, Any], field: str, fragment: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        client.create(resource, body)
    error = caught.value
    same((error.status, error.system), (400, "crmoffice"), f"{case}: status and system of the ValidationError")
    if field not in ("givenName", "familyName"):
        same(error.field, field, f"{case}: ValidationError.field")
    assert fragment in error.message, f"{case}: expected {fragment!r} in the message, got {error.message!r}"


@pytest.mark.parametrize(
    ("resource", "body"),
    [
        ("companies", {"name": "n" * 100, "postAddress": {"streetAddress": "s" * 100, "postCode": "p" * 10}}),
        ("contacts", {"givenName": "g" * 50, "familyName": "f" * 50, "directPhone": "1" * 50, "mobilePhone": "9" * 50}),
        ("contacts", {"familyName": "Berg", "email": "k@" + "e" * 98}),
        ("contacts", {"givenName": "Per", "email": "per@localhost"}),
    ],
)
def test_values_at_the_limits_are_accepted(api: httpx.Client, resource: Resource, body: dict[str, Any]) -> None:
    response = api.post(f"/{resource}", json=body)
    expect_status(response, 201, f"POST /{resource} at the limits")
    record = response.json()
    for name, value in body.items():
        if isinstance(value, dict):
            value = {"streetAddress": None, "postCode": None, "postalArea": None, "country": None, **value}
        same(record[name], value, f"{resource} {record['id']} field {name}")


def test_every_bad_field_is_reported_at_once(api: httpx.Client) -> None:
    body = {"givenName": "g" * 51, "email": "nope", "fax": "22 33 44 55", "id": UNKNOWN_COMPANY}
    for field in ("givenName", "email", "fax", "id"):
        validation(api.post("/contacts", json=body), field, f"a contact with four bad fields, looking for {field}")


PATCH_CASES: list[tuple[str, Resource, dict[str, Any], str]] = [
    ("company name patched to null", "companies", {"name": None}, "name"),
    ("company name patched blank", "companies", {"name": ""}, "name"),
    ("orgNr patched wrong", "companies", {"orgNr": "1"}, "orgNr"),
    ("company id patched", "companies", {"id": UNKNOWN_COMPANY}, "id"),
    ("both names patched to null", "contacts", {"givenName": None, "familyName": None}, "givenName"),
    ("company patched to no company", "contacts", {"company": {"id": UNKNOWN_COMPANY}}, "company.id"),
    ("email patched wrong", "contacts", {"email": "no-at-sign"}, "email"),
    ("unknown field patched", "contacts", {"title": "CEO"}, "title"),
]


@pytest.mark.parametrize(("case", "resource", "patch", "field"), PATCH_CASES, ids=[c[0] for c in PATCH_CASES])
def test_patch_rejects_and_leaves_the_record_unchanged(
    client: CRMOfficeClient, api: httpx.Client, case: str, resource: Resource, patch: dict[str, Any], field: str
) -> None:
    body = {"name": "Uendret AS"} if resource == "companies" else {"givenName": "Uendret"}
    before = client.create(resource, body)
    validation(api.patch(f"/{resource}/{before.id}", json=patch), field, f"{case} (raw)")
    with pytest.raises(ValidationError) as caught:
        client.update(resource, before.id, patch, before.etag)
    same(caught.value.field, field, f"{case}: ValidationError.field (client)")
    same(client.get(resource, before.id), before, f"{case}: {resource} {before.id} after the rejected patches")


def test_patch_keeps_one_name_enough(client: CRMOfficeClient) -> None:
    created = client.create("contacts", {"givenName": "Kari", "familyName": "Nordmann"})
    updated = client.update("contacts", created.id, {"givenName": None})
    same((updated.record["givenName"], updated.record["familyName"]), (None, "Nordmann"), f"contact {created.id} names")
