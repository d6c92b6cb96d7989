"""Incremental reads: updatedSince (inclusive), (updatedAt, id) order, pageSize limits, keyset nextPage."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pytest

from harness.client import ServerError
from harness.client.timestamps import format_timestamp
from harness.crmoffice import CRMOfficeClient
from harness.crmoffice.fake import CRMOfficeFake
from harness.crmoffice.fake.paging import encode_cursor
from harness.fakes import Mounted, mount
from tests.crmoffice.helpers import START, FakeFactory, expect_status, same, validation


def _seed_contacts(fake: CRMOfficeFake, count: int, *, step: timedelta = timedelta(seconds=1)) -> list[dict[str, Any]]:
    """``count`` contacts with ``updatedAt`` ``step`` apart from an hour before START; returned in that order."""
    first = START - timedelta(hours=1)
    records = [{"givenName": f"Person {n:03d}", "updatedAt": format_timestamp(first + n * step)} for n in range(count)]
    seeded: list[dict[str, Any]] = fake.seed({"contacts": records})["contacts"]
    return seeded


def _walk(api: httpx.Client, url: str) -> list[list[dict[str, Any]]]:
    """Every page, following nextPage; each nextPage must be absolute and on the API's own origin."""
    pages: list[list[dict[str, Any]]] = []
    next_url: str | None = url
    while next_url:
        response = api.get(next_url)
        expect_status(response, 200, f"GET {next_url}")
        body = response.json()
        same(set(body), {"items", "nextPage"}, f"keys of the list answer of {next_url}")
        pages.append(body["items"])
        next_url = body["nextPage"]
        if next_url is not None:
            assert next_url.startswith(str(api.base_url).rstrip("/") + "/"), (
                f"expected nextPage on the origin {api.base_url}, got {next_url!r}"
            )
    return pages


def test_default_page_size_is_100_and_the_last_page_has_no_next(api: httpx.Client, fake: CRMOfficeFake) -> None:
    seeded = _seed_contacts(fake, 150)
    pages = _walk(api, "/contacts")
    same([len(page) for page in pages], [100, 50], "page sizes of 150 contacts at the default page size")
    same([r["id"] for page in pages for r in page], [r["id"] for r in seeded], "ids over all pages, in order")


def test_exactly_one_full_page_has_no_next_page(api: httpx.Client, fake: CRMOfficeFake) -> None:
    _seed_contacts(fake, 5)
    body = api.get("/contacts", params={"pageSize": 5}).json()
    same((len(body["items"]), body["nextPage"]), (5, None), "5 contacts read 5 to a page")
    same(api.get("/companies").json(), {"items": [], "nextPage": None}, "an empty list")


def test_ties_on_updated_at_are_ordered_by_id(client: CRMOfficeClient) -> None:
    created = [client.create("contacts", {"givenName": f"Samtidig {n}"}).id for n in range(12)]
    read = [record["id"] for page in client.pages("contacts", page_size=5) for record in page]
    same(read, sorted(created), "ids of contacts created in the same millisecond, in list order")


def test_updated_since_is_inclusive(api: httpx.Client, client: CRMOfficeClient, fake: CRMOfficeFake) -> None:
    seeded = _seed_contacts(fake, 3)
    boundary = seeded[1]["updatedAt"]
    ids = [record["id"] for record in seeded]
    at = api.get("/contacts", params={"updatedSince": boundary}).json()["items"]
    same([r["id"] for r in at], ids[1:], f"contacts with updatedSince={boundary} (raw)")
    moment = START - timedelta(hours=1) + timedelta(seconds=1)
    same([r["id"] for r in client.records("contacts", since=moment)], ids[1:], f"contacts since {moment} (client)")
    after = api.get("/contacts", params={"updatedSince": "2024-09-18T19:05:52.604Z"}).json()["items"]
    same([r["id"] for r in after], ids[2:], "contacts updated since 1 ms after the second one")
    offset = api.get("/contacts", params={"updatedSince": "2024-09-18T21:05:52.603+02:00"}).json()["items"]
    same([r["id"] for r in offset], ids[1:], "contacts since the boundary written with a +02:00 offset")


def test_a_plus_sent_unencoded_gets_a_hint(api: httpx.Client) -> None:
    messages = validation(api.get("/contacts?updatedSince=2024-09-18T21:05:52+02:00"), "updatedSince", "a raw '+'")
    assert "%2B" in messages[0], f"expected a hint to send + as %2B, got {messages}"


def test_records_modified_while_paging_are_neither_skipped_nor_wrongly_repeated(
    client: CRMOfficeClient, fake: CRMOfficeFake
) -> None:
    seeded = _seed_contacts(fake, 30)
    ids = [record["id"] for record in seeded]
    pages = client.pages("contacts", page_size=10)
    first = next(pages)
    same([r["id"] for r in first], ids[:10], "the first page")
    # Between pages: edit one record already read and one not yet read, delete one of each, add a new one.
    client.update("contacts", ids[3], {"directPhone": "edited after reading"})
    client.update("contacts", ids[25], {"directPhone": "edited before reading"})
    client.delete("contacts", ids[5])
    client.delete("contacts", ids[12])
    added = client.create("contacts", {"givenName": "Ny underveis"}).id
    rest = [record for page in pages for record in page]
    seen = Counter(record["id"] for record in first + rest)
    unread = [i for i in ids[10:] if i not in (ids[12], ids[25])]
    same([r["id"] for r in rest[: len(unread)]], unread, "the unmodified records after the first page, in order")
    same(seen[ids[12]], 0, f"reads of contact {ids[12]}, deleted before its page")
    same(seen[ids[3]], 2, f"reads of contact {ids[3]}, edited after it was read (read again with its edit)")
    same(seen[ids[25]], 1, f"reads of contact {ids[25]}, edited before its page was read")
    same(seen[added], 1, f"reads of contact {added}, created while paging")
    wrong = {i: n for i, n in seen.items() if n != 1 and i != ids[3]}
    same(wrong, {}, "contacts read other than once (except the one edited after reading)")
    edited = {r["id"]: r["directPhone"] for r in rest if r["id"] in (ids[3], ids[25])}
    same(edited, {ids[3]: "edited after reading", ids[25]: "edited before reading"}, "edited values read")


def test_next_page_is_a_keyset_not_an_offset(api: httpx.Client, fake: CRMOfficeFake) -> None:
    seeded = _seed_contacts(fake, 6)
    first = api.get("/contacts", params={"pageSize": 3}).json()
    for record in first["items"][:2]:
        expect_status(api.delete(f"/contacts/{record['id']}"), 204, f"DELETE contact {record['id']} after reading it")
    second = api.get(first["nextPage"]).json()
    same([r["id"] for r in second["items"]], [r["id"] for r in seeded[3:]], "the page after two read ones were deleted")


@pytest.mark.parametrize("size", ["0", "1001", "-1", "abc", "", "1.5", "10000000000"])
def test_page_size_outside_1_to_1000_is_refused(api: httpx.Client, size: str) -> None:
    messages = validation(api.get("/contacts", params={"pageSize": size}), "pageSize", f"pageSize={size!r}")
    assert "1 to 1000" in messages[0], f"expected the limits in the message for pageSize={size!r}, got {messages}"


@pytest.mark.parametrize("size", [1, 1000])
def test_page_size_limits_are_accepted(api: httpx.Client, fake: CRMOfficeFake, size: int) -> None:
    _seed_contacts(fake, 2)
    body = api.get("/contacts", params={"pageSize": size}).json()
    same(len(body["items"]), min(size, 2), f"items on a page of size {size}")


@pytest.mark.parametrize("since", ["yesterday", "2024-09-18", "2024-09-18T20:05:51", "2024-13-01T00:00:00Z"])
def test_bad_updated_since_is_refused(api: httpx.Client, since: str) -> None:
    validation(api.get("/contacts", params={"updatedSince": since}), "updatedSince", f"updatedSince={since!r}")


def test_bad_cursors_unknown_and_repeated_parameters_are_refused(api: httpx.Client, fake: CRMOfficeFake) -> None:
    seeded = _seed_contacts(fake, 1)
    validation(api.get("/contacts", params={"cursor": "not-a-cursor"}), "cursor", "a cursor that is no cursor")
    key = (START, seeded[0]["id"])
    messages = validation(
        api.get("/contacts", params={"cursor": encode_cursor("companies", key)}), "cursor", "a companies cursor"
    )
    assert "/companies" in messages[0], f"expected the message to name /companies, got {messages}"
    validation(api.get("/contacts", params={"updated_since": "2024-09-18T00:00:00Z"}), "updated_since", "a misspelling")
    validation(api.get("/contacts?pageSize=5&pageSize=6"), "pageSize", "pageSize given twice")


def test_client_pages_refuse_bad_arguments(client: CRMOfficeClient, fake: CRMOfficeFake) -> None:
    for size in (0, 1001, True):
        with pytest.raises(ValueError, match="page_size"):
            client.pages("contacts", page_size=size)
    with pytest.raises(ValueError, match="time zone"):
        client.pages("contacts", since=START.replace(tzinfo=None))
    with pytest.raises(ValueError, match="unknown CRMOffice resource"):
        client.pages("users")  # type: ignore[arg-type]
    same(fake.counts()["total"], 0, "requests sent for bad page arguments")


def test_client_refuses_a_next_page_off_the_api_origin() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": [], "nextPage": "http://elsewhere.example/contacts?cursor=x"})

    with CRMOfficeClient("http://crmoffice.test/", transport=httpx.MockTransport(answer)) as client:
        pages = client.pages("contacts")
        same(next(pages), [], "the first page")
        with pytest.raises(ServerError, match="leaves the API's origin"):
            next(pages)


def test_paging_100_000_contacts_at_1000_a_page(make_fake: FakeFactory) -> None:
    # Scale is the fake's algorithm (a sorted keyset index), not the transport: in-process is enough here.
    fake = make_fake()
    # Seeded in one frozen millisecond: the order is then decided by the id half of the key, at every bisection.
    contacts = [{"givenName": f"Person {n}", "mobilePhone": "912 34 567"} for n in range(100_000)]
    seeded = fake.seed({"contacts": contacts})["contacts"]
    with mount(fake, "mock") as mounted, CRMOfficeClient.connect(fake.info(), transport=mounted.transport()) as client:
        sizes = []
        count = 0
        last: tuple[str, str] | None = None
        for page in client.pages("contacts", page_size=1000):
            sizes.append(len(page))
            for record in page:
                key = (record["updatedAt"], record["id"])
                assert last is None or key > last, f"expected ascending (updatedAt, id), got {key} after {last}"
                last = key
                count += 1
    same(count, len(seeded), "contacts read")
    same(sizes, [1000] * 100, "page sizes")
    same(fake.counts()["routes"].get("GET contacts"), 100, "GET contacts requests for 100 pages")


def test_next_page_carries_the_request_origin(api: httpx.Client, fake: CRMOfficeFake, mounted: Mounted) -> None:
    _seed_contacts(fake, 3)
    next_page = api.get("/contacts", params={"pageSize": 2}).json()["nextPage"]
    assert next_page.startswith(f"{mounted.origin}/contacts?"), (
        f"expected nextPage under {mounted.origin}, got {next_page}"
    )
