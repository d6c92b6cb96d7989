"""Activities: created, read, listed, patched and refused like the other resources, with their own field rules."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from harness.client import ValidationError
from harness.crmoffice import CRMOfficeClient
from harness.crmoffice.fake import CRMOfficeFake
from tests.crmoffice.helpers import START_TEXT, expect_status, same, validation

MEETING = {
    "subject": "Befaring på anlegget",
    "ownerId": "kari.nordmann",
    "startsAt": "2024-10-01T09:00:00+02:00",
    "endsAt": "2024-10-01T10:30:00.250Z",
    "address": {"streetAddress": "Strandkaien 2", "postCode": "5013", "postalArea": "Bergen", "country": "Norge"},
}


def test_create_and_read_an_activity_through_raw_http(api: httpx.Client) -> None:
    response = api.post("/activities", json=MEETING)
    expect_status(response, 201, "POST /activities")
    record = response.json()
    same(
        list(record),
        ["id", "subject", "ownerId", "startsAt", "endsAt", "address", "createdAt", "updatedAt"],
        "activity fields, in order",
    )
    same(record["startsAt"], "2024-10-01T07:00:00.000Z", "startsAt, answered in UTC with milliseconds")
    same(record["endsAt"], "2024-10-01T10:30:00.250Z", "endsAt, already in UTC")
    same((record["subject"], record["ownerId"]), (MEETING["subject"], MEETING["ownerId"]), "subject and ownerId")
    same(record["address"], MEETING["address"], "address")
    same((record["createdAt"], record["updatedAt"]), (START_TEXT, START_TEXT), "times")
    read = api.get(response.headers["Location"])
    expect_status(read, 200, f"GET the Location of activity {record['id']}")
    same(read.json(), record, f"activity {record['id']} read back")


def test_activities_through_the_client(client: CRMOfficeClient) -> None:
    created = client.create("activities", {"subject": "Telefon"})
    same(created.record["address"], None, "address when not sent")
    same(client.get("activities", created.id.upper()), created, "activity read by its upper-case id")
    updated = client.update("activities", created.id, {"address": {"postalArea": "Tromsø"}}, created.etag)
    same(updated.record["address"]["postalArea"], "Tromsø", "address.postalArea after a patch")
    same(updated.record["address"]["country"], None, "address.country, not patched")
    same([r["id"] for r in client.records("activities")], [created.id], "activities listed")
    client.delete("activities", created.id)
    same(list(client.records("activities")), [], "activities after the delete")


# (case, body, field, a fragment of the message)
REFUSED: list[tuple[str, dict[str, Any], str, str]] = [
    ("no subject", {"ownerId": "kari"}, "subject", "required"),
    ("blank subject", {"subject": "  "}, "subject", "required"),
    ("subject of 256 characters", {"subject": "s" * 256}, "subject", "at most 255"),
    ("subject a number", {"subject": 7}, "subject", "got number"),
    ("ownerId of 101 characters", {"subject": "A", "ownerId": "o" * 101}, "ownerId", "at most 100"),
    ("startsAt a date only", {"subject": "A", "startsAt": "2024-10-01"}, "startsAt", "RFC 3339"),
    ("startsAt without a zone", {"subject": "A", "startsAt": "2024-10-01T09:00:00"}, "startsAt", "with a zone"),
    ("startsAt not a time", {"subject": "A", "startsAt": "i morgen"}, "startsAt", "RFC 3339"),
    ("startsAt before year 1 in UTC", {"subject": "A", "startsAt": "0001-01-01T00:00:00+01:00"}, "startsAt", "zone"),
    ("endsAt a number", {"subject": "A", "endsAt": 1727773200}, "endsAt", "got number"),
    (
        "endsAt before startsAt",
        {"subject": "A", "startsAt": "2024-10-01T09:00:00Z", "endsAt": "2024-10-01T10:59:59+02:00"},
        "endsAt",
        "not be before startsAt",
    ),
    ("address a string", {"subject": "A", "address": "Bergen"}, "address", "must be an object"),
    ("unknown address part", {"subject": "A", "address": {"city": "Bergen"}}, "address.city", "not an address"),
    ("postCode of 11", {"subject": "A", "address": {"postCode": "0" * 11}}, "address.postCode", "at most 10"),
    ("unknown field", {"subject": "A", "contact": {"id": "x"}}, "contact", "not an activity field"),
    ("id in the body", {"subject": "A", "id": "3f2504e0-4f89-41d3-9a0c-0305e82c3301"}, "id", "read-only"),
]


@pytest.mark.parametrize(("case", "body", "field", "fragment"), REFUSED, ids=[c[0] for c in REFUSED])
def test_create_refuses_naming_the_field(
    api: httpx.Client, fake: CRMOfficeFake, case: str, body: dict[str, Any], field: str, fragment: str
) -> None:
    messages = validation(api.post("/activities", json=body), field, case)
    assert any(fragment in message for message in messages), f"{case}: expected {fragment!r} in {messages}"
    same(fake.model.count("activities"), 0, f"{case}: activities stored after a refused create")


def test_a_patch_that_ends_before_the_start_changes_nothing(client: CRMOfficeClient) -> None:
    before = client.create("activities", {"subject": "Kurs", "startsAt": "2024-10-01T09:00:00Z"})
    with pytest.raises(ValidationError) as caught:
        client.update("activities", before.id, {"endsAt": "2024-10-01T08:59:59.999Z"})
    same(caught.value.field, "endsAt", "field of the error")
    same(client.get("activities", before.id), before, f"activity {before.id} after the refused patch")


def test_an_activity_may_start_and_end_at_the_same_moment(client: CRMOfficeClient) -> None:
    record = client.create(
        "activities", {"subject": "Påminnelse", "startsAt": "2024-10-01T09:00:00Z", "endsAt": "2024-10-01T11:00+02:00"}
    ).record
    same(record["endsAt"], record["startsAt"], "endsAt equal to startsAt")


def test_activities_seed_and_dump_with_the_rest(http: httpx.Client, fake: CRMOfficeFake) -> None:
    seeded = http.post("/_harness/seed", json={"activities": [{"subject": "Frø", "startsAt": "2024-01-02T03:04:05Z"}]})
    expect_status(seeded, 201, "seeding an activity")
    same(seeded.json()["activities"][0]["startsAt"], "2024-01-02T03:04:05.000Z", "seeded startsAt, in UTC")
    same(fake.dump()["activities"], seeded.json()["activities"], "activities in the dump")
    refused = http.post("/_harness/seed", json={"activities": [{"ownerId": "kari"}]})
    same(refused.status_code, 400, "status of a seed of an activity without a subject")
    assert "activities[0]" in refused.json()["error"], f"expected the record named, got {refused.json()}"
