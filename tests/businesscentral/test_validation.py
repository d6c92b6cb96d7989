"""Field rules: what Business Central refuses, with its codes and messages, and how the client names the field."""

from __future__ import annotations

import httpx
import pytest

from harness.businesscentral import CONTACT, CUSTOMER
from harness.businesscentral.client import BusinessCentralClient
from harness.businesscentral.schema import EntitySchema
from harness.client import ValidationError
from tests.businesscentral.helpers import assert_error


def _text_fields(schema: EntitySchema) -> list[tuple[str, str, int]]:
    return [
        (schema.entity_set, spec.name, spec.length)
        for spec in schema.fields
        # A reference to another table takes only what that table holds, whatever its length (tested apart).
        if spec.length is not None
        and not spec.read_only
        and spec.kind in ("text", "code", "phone")
        and not spec.related
    ]


LENGTHS = _text_fields(CUSTOMER) + _text_fields(CONTACT)


def _valid(entity_set: str) -> dict[str, str]:
    return {"displayName": "Gyldig AS"}


def test_every_entity_has_length_rules() -> None:
    assert ("contacts", "phoneNumber", 30) in LENGTHS
    assert ("contacts", "mobilePhoneNumber", 30) in LENGTHS
    assert ("customers", "displayName", 100) in LENGTHS


@pytest.mark.parametrize(("entity_set", "name", "limit"), LENGTHS, ids=[f"{e}.{n}" for e, n, _ in LENGTHS])
def test_one_character_too_many_is_refused_and_the_limit_is_accepted(
    raw: httpx.Client, records: str, entity_set: str, name: str, limit: int
) -> None:
    fits = "1" * limit
    body = {**_valid(entity_set), name: fits}
    accepted = raw.post(f"{records}/{entity_set}", json=body)
    assert accepted.status_code == 201, f"{entity_set}.{name} with {limit} characters: {accepted.text}"
    too_long = "2" * (limit + 1)
    refused = raw.post(f"{records}/{entity_set}", json={**_valid(entity_set), name: too_long})
    assert_error(
        refused,
        400,
        "Application_StringExceededLength",
        f"The length of the string is {limit + 1}, but it must be less than or equal to {limit} characters. "
        f"Value: {too_long}",
    )


@pytest.mark.parametrize(
    ("entity_set", "name", "caption"),
    [
        ("customers", "phoneNumber", "Phone No."),
        ("contacts", "phoneNumber", "Phone No."),
        ("contacts", "mobilePhoneNumber", "Mobile Phone No."),
    ],
)
@pytest.mark.parametrize("value", ["22 33 44 55 ext. 12", "+47 ABC", "tlf 99887766", "ø"])
def test_a_phone_with_letters_is_refused(
    raw: httpx.Client, records: str, entity_set: str, name: str, caption: str, value: str
) -> None:
    created = raw.post(f"{records}/{entity_set}", json={"displayName": "Telefon AS"}).json()
    table = "Customer" if entity_set == "customers" else "Contact"
    response = raw.patch(f"{records}/{entity_set}({created['id']})", json={name: value}, headers={"If-Match": "*"})
    assert_error(
        response,
        400,
        "Application_FieldValidationException",
        f"{caption} must not contain letters in {table} No.='{created['number']}'.",
    )


@pytest.mark.parametrize(
    "value", ["+47 22 33 44 55", "(+47) 22-33-44-55", "22.33.44.55", "0047/22334455", "", "912 34 567"]
)
def test_phones_without_letters_are_accepted(raw: httpx.Client, records: str, value: str) -> None:
    response = raw.post(
        f"{records}/contacts", json={"displayName": "Tall", "phoneNumber": value, "mobilePhoneNumber": value}
    )
    assert response.status_code == 201, f"expected {value!r} to be accepted: {response.text}"
    assert (response.json()["phoneNumber"], response.json()["mobilePhoneNumber"]) == (value, value)


def test_display_name_is_required_on_create_and_never_blank(raw: httpx.Client, records: str) -> None:
    assert_error(
        raw.post(f"{records}/customers", json={"phoneNumber": "1"}),
        400,
        "BadRequest",
        'A "displayName" must be provided.',
    )
    assert_error(
        raw.post(f"{records}/contacts", json={"displayName": "  "}),
        400,
        "Application_FieldValidationException",
        'The blank "displayName" is not allowed.',
    )
    created = raw.post(f"{records}/contacts", json={"displayName": "Navn"}).json()
    assert_error(
        raw.patch(f"{records}/contacts({created['id']})", json={"displayName": ""}, headers={"If-Match": "*"}),
        400,
        "Application_FieldValidationException",
        'The blank "displayName" is not allowed.',
    )


@pytest.mark.parametrize(
    ("entity_set", "name", "value", "options"),
    [
        ("customers", "type", "Organisation", "Company,Person"),
        ("contacts", "type", "person", "Company,Person"),
        ("customers", "blocked", "Everything", " ,Ship,Invoice,All"),
    ],
)
def test_an_unknown_option_is_refused(
    raw: httpx.Client, records: str, entity_set: str, name: str, value: str, options: str
) -> None:
    response = raw.post(f"{records}/{entity_set}", json={"displayName": "Valg", name: value})
    assert_error(response, 400, "Unknown", f"'{value}' is not an option. The existing options are: {options}")


@pytest.mark.parametrize(
    ("entity_set", "name", "value"),
    [
        ("customers", "lastModifiedDateTime", "2024-01-01T00:00:00Z"),
        ("customers", "balanceDue", 10),
        ("contacts", "contactBusinessRelation", "Customer"),
        ("contacts", "companyName", "Someone AS"),
    ],
)
def test_read_only_properties_are_refused(
    raw: httpx.Client, records: str, entity_set: str, name: str, value: object
) -> None:
    response = raw.post(f"{records}/{entity_set}", json={"displayName": "Les", name: value})
    # As recorded (MicrosoftDocs/dynamics365smb-devitpro-pb#618): "Control 'taxAreaDisplayName' is read-only."
    assert_error(response, 400, "BadRequest_InvalidOperation", f"Control '{name}' is read-only.")


def test_the_id_cannot_be_changed(raw: httpx.Client, records: str) -> None:
    created = raw.post(f"{records}/customers", json={"displayName": "Id AS"}).json()
    response = raw.patch(f"{records}/customers({created['id']})", json={"id": created["id"]}, headers={"If-Match": "*"})
    assert_error(response, 400, "BadRequest_InvalidOperation")


def test_an_unknown_property_is_refused(raw: httpx.Client, records: str) -> None:
    response = raw.post(f"{records}/contacts", json={"displayName": "X", "directPhone": "22 33 44 55"})
    assert_error(
        response,
        400,
        "BadRequest",
        "The property 'directPhone' does not exist on type "
        "'Microsoft.NAV.contact'. Make sure to only use property names that are defined by the type.",
    )


@pytest.mark.parametrize(
    ("name", "value", "edm"),
    [
        ("phoneNumber", 22334455, "Edm.String"),
        ("phoneNumber", None, "Edm.String"),
        ("privacyBlocked", "yes", "Edm.Boolean"),
        ("displayName", True, "Edm.String"),
    ],
)
def test_a_value_of_the_wrong_json_type_is_refused(
    raw: httpx.Client, records: str, name: str, value: object, edm: str
) -> None:
    body = {"displayName": "Type", name: value} if name != "displayName" else {name: value}
    response = raw.post(f"{records}/contacts", json=body)
    assert_error(response, 400, "BadRequest")
    assert edm in response.json()["error"]["message"], response.text


def test_the_etag_annotation_in_a_body_is_ignored(raw: httpx.Client, records: str) -> None:
    created = raw.post(f"{records}/customers", json={"displayName": "Eko AS"}).json()
    echoed = {"@odata.etag": created["@odata.etag"], "phoneNumber": "123"}
    response = raw.patch(f"{records}/customers({created['id']})", json=echoed, headers={"If-Match": "*"})
    assert response.status_code == 200, response.text


def test_code_fields_are_upper_cased(raw: httpx.Client, records: str) -> None:
    body = raw.post(
        f"{records}/customers",
        json={"displayName": "Kode", "country": "no", "postalCode": "n-0150", "currencyCode": "nok"},
    ).json()
    assert (body["country"], body["postalCode"], body["currencyCode"]) == ("NO", "N-0150", "NOK"), body


def test_an_invalid_email_is_refused(raw: httpx.Client, records: str) -> None:
    response = raw.post(f"{records}/contacts", json={"displayName": "Epost", "email": "kari.nordmann"})
    assert_error(
        response, 400, "Application_FieldValidationException", 'The email address "kari.nordmann" is not valid.'
    )


def test_a_person_must_belong_to_a_company_contact(raw: httpx.Client, records: str) -> None:
    person = raw.post(f"{records}/contacts", json={"displayName": "Ikke firma", "type": "Person"}).json()
    response = raw.post(
        f"{records}/contacts", json={"displayName": "Ansatt", "type": "Person", "companyNumber": person["number"]}
    )
    assert_error(response, 400, "Application_FieldValidationException")


def test_a_company_with_persons_cannot_become_a_person(raw: httpx.Client, records: str) -> None:
    company = raw.post(f"{records}/contacts", json={"displayName": "Firma AS", "type": "Company"}).json()
    raw.post(
        f"{records}/contacts", json={"displayName": "Ansatt", "type": "Person", "companyNumber": company["number"]}
    )
    response = raw.patch(f"{records}/contacts({company['id']})", json={"type": "Person"}, headers={"If-Match": "*"})
    assert_error(response, 400, "Application_FieldValidationException")


def test_deleting_a_company_contact_keeps_its_persons_without_a_company(raw: httpx.Client, records: str) -> None:
    company = raw.post(f"{records}/contacts", json={"displayName": "Borte AS", "type": "Company"}).json()
    person = raw.post(
        f"{records}/contacts", json={"displayName": "Igjen", "type": "Person", "companyNumber": company["number"]}
    ).json()
    assert raw.delete(f"{records}/contacts({company['id']})").status_code == 204
    after = raw.get(f"{records}/contacts({person['id']})").json()
    assert (after["companyNumber"], after["companyName"]) == ("", ""), after


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"phoneNumber": "22 33 ext 4"}, "phoneNumber", "Application_FieldValidationException"),
        ({"mobilePhoneNumber": "mobil 912"}, "mobilePhoneNumber", "Application_FieldValidationException"),
        ({"mobilePhoneNumber": "9" * 31}, "mobilePhoneNumber", "Application_StringExceededLength"),
        ({"city": "Å" * 31}, "city", "Application_StringExceededLength"),
        ({"type": "Robot"}, "type", "Unknown"),
        ({"email": "nope"}, "email", "Application_FieldValidationException"),
        ({"directPhone": "1"}, "directPhone", "BadRequest"),
        ({"lastModifiedDateTime": "2024-01-01T00:00:00Z"}, "lastModifiedDateTime", "BadRequest_InvalidOperation"),
    ],
)
def test_the_client_names_the_refused_property(
    client: BusinessCentralClient, body: dict[str, object], field: str, code: str
) -> None:
    created = client.create("contacts", {"displayName": "Felt"})
    with pytest.raises(ValidationError) as caught:
        client.update("contacts", created.id, body, created.etag or "*")
    assert (caught.value.field, caught.value.code, caught.value.status) == (field, code, 400), caught.value


# The properties of API v2.0 in their order, as a recorded Business Central 26.0 $metadata declares them
# (tests/captures/rebelpl-bc-api2-client.json): Microsoft's resource pages plus the contact's jobTitle, which a recent
# tenant's records carry. A row naming one of them must work against the fake, and nothing else may.
DOCUMENTED = {
    "contacts": (
        "id number type displayName jobTitle companyNumber companyName contactBusinessRelation addressLine1 "
        "addressLine2 city "
        "state country postalCode phoneNumber mobilePhoneNumber email website searchName privacyBlocked "
        "taxRegistrationNumber lastInteractionDate lastModifiedDateTime"
    ),
    "customers": (
        "id number displayName type addressLine1 addressLine2 city state country postalCode phoneNumber email "
        "website salespersonCode balanceDue creditLimit taxLiable taxAreaId taxAreaDisplayName taxRegistrationNumber "
        "currencyId currencyCode paymentTermsId shipmentMethodId paymentMethodId blocked lastModifiedDateTime"
    ),
}


@pytest.mark.parametrize("entity_set", list(DOCUMENTED))
def test_a_record_carries_exactly_the_documented_properties_in_order(
    raw: httpx.Client, records: str, entity_set: str
) -> None:
    body = raw.post(f"{records}/{entity_set}", json={"displayName": "Dokumentert AS"}).json()
    found = [key for key in body if not key.startswith("@odata.")]
    assert found == DOCUMENTED[entity_set].split(), f"{entity_set}: expected {DOCUMENTED[entity_set]}, found {found}"


def test_a_contact_has_a_job_title_of_thirty_characters(raw: httpx.Client, records: str) -> None:
    created = raw.post(f"{records}/contacts", json={"displayName": "Kari", "jobTitle": "Daglig leder"})
    assert created.json()["jobTitle"] == "Daglig leder", created.text
    response = raw.post(f"{records}/contacts", json={"displayName": "Kari", "jobTitle": "x" * 31})
    assert_error(response, 400, "Application_StringExceededLength")


def test_a_blank_option_is_written_by_its_member_name_and_taken_either_way(raw: httpx.Client, records: str) -> None:
    # As recorded on BC 25.4 and 26.0: "blocked": "_x0020_"; Microsoft's examples write " ".
    for written in (" ", "_x0020_"):
        created = raw.post(f"{records}/customers", json={"displayName": "Blank", "blocked": written})
        assert created.json()["blocked"] == "_x0020_", (written, created.text)
    assert raw.post(f"{records}/customers", json={"displayName": "Skip", "blocked": "Ship"}).json()["blocked"] == "Ship"


def test_a_search_name_follows_the_name_until_someone_sets_it(raw: httpx.Client, records: str) -> None:
    created = raw.post(f"{records}/contacts", json={"displayName": "Kari Nordmann"}).json()
    assert created["searchName"] == "KARI NORDMANN", f"expected the name upper-cased, found {created['searchName']!r}"
    url = f"{records}/contacts({created['id']})"
    renamed = raw.patch(url, json={"displayName": "Kari Hansen"}, headers={"If-Match": "*"}).json()
    assert renamed["searchName"] == "KARI HANSEN", f"expected it to follow the rename, found {renamed['searchName']!r}"
    chosen = raw.patch(url, json={"searchName": "kari h"}, headers={"If-Match": "*"}).json()
    assert chosen["searchName"] == "KARI H", f"expected the chosen search name upper-cased, found {chosen}"
    again = raw.patch(url, json={"displayName": "Kari Berg"}, headers={"If-Match": "*"}).json()
    assert again["searchName"] == "KARI H", (
        f"expected a chosen search name kept on rename, found {again['searchName']!r}"
    )


def test_a_contact_shows_no_interaction_yet_and_the_date_is_read_only(raw: httpx.Client, records: str) -> None:
    created = raw.post(f"{records}/contacts", json={"displayName": "Ny"}).json()
    assert created["lastInteractionDate"] == "0001-01-01", f"expected BC's blank date, found {created}"
    response = raw.post(f"{records}/contacts", json={"displayName": "Ny", "lastInteractionDate": "2024-01-01"})
    assert_error(response, 400, "BadRequest_InvalidOperation")


@pytest.mark.parametrize(
    ("name", "table"),
    [("currencyId", "Currency"), ("paymentTermsId", "Payment Terms"), ("taxAreaId", "Tax Area")],
)
def test_a_reference_to_a_record_the_company_lacks_is_refused(
    raw: httpx.Client, records: str, name: str, table: str
) -> None:
    created = raw.post(f"{records}/customers", json={"displayName": "Ref AS"}).json()
    assert created[name] == "00000000-0000-0000-0000-000000000000", f"expected an empty reference, found {created}"
    reference = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
    response = raw.post(f"{records}/customers", json={"displayName": "Ref AS", name: reference})
    assert_error(response, 400, "Application_FieldValidationException", f'The "{name}" does not match to a {table}.')
    response = raw.post(f"{records}/customers", json={"displayName": "Ref AS", name: "not-a-guid"})
    assert_error(response, 400, "BadRequest")
    assert "Edm.Guid" in response.json()["error"]["message"], response.text


def test_a_salesperson_the_company_lacks_is_refused(raw: httpx.Client, records: str) -> None:
    created = raw.post(f"{records}/customers", json={"displayName": "Selger AS", "salespersonCode": ""}).json()
    assert created["salespersonCode"] == "", f"expected a blank salesperson accepted, found {created}"
    response = raw.post(f"{records}/customers", json={"displayName": "Selger AS", "salespersonCode": "jo"})
    assert_error(
        response,
        400,
        "Application_FieldValidationException",
        "The field Salesperson Code of table Customer contains a value (JO) that cannot be found in the related "
        "table (Salesperson/Purchaser).",
    )
