"""ETags and If-Match: a stale version is refused with 412 and changes nothing."""

from __future__ import annotations

import httpx
import pytest

from harness.client import ChangedUnderYouError, NotFoundError
from harness.crmoffice import CRMOfficeClient
from harness.crmoffice.fake import CRMOfficeFake
from tests.crmoffice.helpers import expect_status, problem, same, validation


def test_update_with_the_current_etag_succeeds_and_a_stale_one_is_412(client: CRMOfficeClient) -> None:
    first = client.create("contacts", {"givenName": "Kari", "directPhone": "22 33 44 55"})
    second = client.update("contacts", first.id, {"directPhone": "22 33 44 56"}, first.etag)
    same(second.record["directPhone"], "22 33 44 56", f"contact {first.id} after a conditional patch")
    with pytest.raises(ChangedUnderYouError) as caught:
        client.update("contacts", first.id, {"directPhone": "99 99 99 99"}, first.etag)
    same(caught.value.status, 412, f"status of a patch of contact {first.id} with its stale ETag")
    same(client.get("contacts", first.id), second, f"contact {first.id} after the refused patch")


def test_stale_if_match_through_raw_http(api: httpx.Client) -> None:
    created = api.post("/companies", json={"name": "Versjon AS"})
    stale = created.headers["ETag"]
    company_id = created.json()["id"]
    current = api.patch(f"/companies/{company_id}", json={"orgNr": "923609016"}, headers={"If-Match": stale})
    expect_status(current, 200, f"PATCH company {company_id} with its current ETag")
    body = problem(
        api.patch(f"/companies/{company_id}", json={"orgNr": None}, headers={"If-Match": stale}),
        412,
        f"PATCH company {company_id} with a stale ETag",
    )
    assert company_id in body["detail"], f"expected the 412 detail to name company {company_id}, got {body['detail']!r}"
    problem(api.delete(f"/companies/{company_id}", headers={"If-Match": stale}), 412, "DELETE with a stale ETag")
    expect_status(
        api.delete(f"/companies/{company_id}", headers={"If-Match": current.headers["ETag"]}),
        204,
        f"DELETE company {company_id} with its current ETag",
    )


def test_etag_is_strong_and_changes_with_every_write(client: CRMOfficeClient, fake: CRMOfficeFake) -> None:
    created = client.create("companies", {"name": "Sterk AS"})
    seen = {created.etag}
    for number in range(3):
        updated = client.update("companies", created.id, {"name": f"Sterk {number} AS"})
        assert updated.etag not in seen, f"expected a new ETag for company {created.id} at write {number}, got a repeat"
        assert updated.etag is not None and not updated.etag.startswith("W/"), (
            f"expected a strong ETag, got {updated.etag}"
        )
        seen.add(updated.etag)


@pytest.mark.parametrize(
    ("case", "header", "status"),
    [
        ("a wildcard", "*", 200),
        ("a list holding the current tag", '"0000", {current}', 200),
        ("the current tag made weak", "W/{current}", 412),
        ("an unknown tag", '"0000"', 412),
    ],
)
def test_if_match_forms(api: httpx.Client, case: str, header: str, status: int) -> None:
    created = api.post("/contacts", json={"givenName": "Kari"})
    contact_id, current = created.json()["id"], created.headers["ETag"]
    response = api.patch(
        f"/contacts/{contact_id}", json={"familyName": "Berg"}, headers={"If-Match": header.format(current=current)}
    )
    expect_status(response, status, f"PATCH contact {contact_id} with If-Match {case}")


@pytest.mark.parametrize("header", ["abc", '"abc" "def"', "", 'W/"x", nope'])
def test_malformed_if_match_is_a_400_naming_the_header(api: httpx.Client, header: str) -> None:
    created = api.post("/contacts", json={"givenName": "Kari"}).json()
    response = api.patch(f"/contacts/{created['id']}", json={"familyName": "Berg"}, headers={"If-Match": header})
    validation(response, "If-Match", f"PATCH with If-Match {header!r}")


def test_a_missing_record_is_404_before_its_etag_is_checked(client: CRMOfficeClient) -> None:
    created = client.create("contacts", {"givenName": "Borte"})
    client.delete("contacts", created.id, created.etag)
    with pytest.raises(NotFoundError):
        client.update("contacts", created.id, {"givenName": "Igjen"}, created.etag)
    with pytest.raises(NotFoundError):
        client.delete("contacts", created.id, created.etag)
