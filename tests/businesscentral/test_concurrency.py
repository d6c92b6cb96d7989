"""Optimistic concurrency: ETags on every entity, If-Match required on PATCH, stale tags refused."""

from __future__ import annotations

import httpx
import pytest

from harness.businesscentral.client import BusinessCentralClient
from harness.client import ChangedUnderYouError
from tests.businesscentral.helpers import assert_error


@pytest.fixture
def customer(raw: httpx.Client, records: str) -> dict[str, str]:
    body = raw.post(f"{records}/customers", json={"displayName": "Samtidig AS"}).json()
    return {"url": f"{records}/customers({body['id']})", "etag": body["@odata.etag"]}


def test_patch_without_if_match_is_refused(raw: httpx.Client, customer: dict[str, str]) -> None:
    response = raw.patch(customer["url"], json={"phoneNumber": "1"})
    assert_error(
        response,
        400,
        "BadRequest_InvalidToken",
        "Could not validate the client concurrency token required by the service. "
        "Please provide a valid token in the client request.",
    )


def test_a_stale_etag_is_refused_and_nothing_changes(raw: httpx.Client, customer: dict[str, str]) -> None:
    first = raw.patch(customer["url"], json={"phoneNumber": "11"}, headers={"If-Match": customer["etag"]})
    assert first.status_code == 200, first.text
    stale = raw.patch(customer["url"], json={"phoneNumber": "22"}, headers={"If-Match": customer["etag"]})
    assert_error(stale, 409, "Request_EntityChanged", "Another user has already changed the record.")
    assert raw.get(customer["url"]).json()["phoneNumber"] == "11", "a refused PATCH must not change the record"


@pytest.mark.parametrize("tag", ["*", "current", "current-strong", "list"])
def test_if_match_star_and_the_current_tag_are_accepted(raw: httpx.Client, customer: dict[str, str], tag: str) -> None:
    value = {
        "*": "*",
        "current": customer["etag"],
        "current-strong": customer["etag"].removeprefix("W/"),
        "list": f'W/"c3RhbGU=", {customer["etag"]}',
    }[tag]
    response = raw.patch(customer["url"], json={"phoneNumber": "33"}, headers={"If-Match": value})
    assert response.status_code == 200, f"If-Match {value!r}: {response.text}"


def test_a_failed_validation_does_not_change_the_etag(raw: httpx.Client, customer: dict[str, str]) -> None:
    raw.patch(customer["url"], json={"phoneNumber": "abc"}, headers={"If-Match": customer["etag"]})
    assert raw.get(customer["url"]).json()["@odata.etag"] == customer["etag"], "a refused PATCH must keep the ETag"


def test_delete_checks_the_etag_only_when_given(raw: httpx.Client, records: str, customer: dict[str, str]) -> None:
    raw.patch(customer["url"], json={"phoneNumber": "44"}, headers={"If-Match": "*"})
    assert_error(raw.delete(customer["url"], headers={"If-Match": customer["etag"]}), 409, "Request_EntityChanged")
    assert raw.delete(customer["url"]).status_code == 204


def test_the_client_raises_changed_under_you(client: BusinessCentralClient) -> None:
    created = client.create("contacts", {"displayName": "Kapp"})
    assert created.etag is not None
    client.update("contacts", created.id, {"phoneNumber": "1"}, created.etag)
    with pytest.raises(ChangedUnderYouError) as caught:
        client.update("contacts", created.id, {"phoneNumber": "2"}, created.etag)
    assert (caught.value.status, caught.value.code) == (409, "Request_EntityChanged"), caught.value


def test_the_client_refuses_to_send_a_patch_without_an_etag(client: BusinessCentralClient) -> None:
    with pytest.raises(ValueError, match="If-Match"):
        client.update("contacts", "00000000-0000-0000-0000-000000000001", {"phoneNumber": "1"}, "")
