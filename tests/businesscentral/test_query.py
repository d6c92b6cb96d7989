"""$filter, $select, $orderby, $top, $skip, $count, and server-driven paging with @odata.nextLink."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from harness.businesscentral.client import BusinessCentralClient
from harness.businesscentral.fake import BusinessCentralFake
from harness.fakes import Clock
from tests.businesscentral.helpers import assert_error

PEOPLE = [
    # displayName, phoneNumber, type, creditLimit, taxLiable
    ("Anne Berg", "22 11 00 01", "Person", 0, False),
    ("Bjørn Dahl", "22 11 00 02", "Company", 1500.5, True),
    ("Cecilie Eik", "", "Person", 300, False),
    ("Dag Fjell", "+47 22 11 00 04", "Company", 300, True),
    ("Eva Gran", "22 11 00 05", "Person", 10000, False),
]


@pytest.fixture
def seeded(raw: httpx.Client, records: str, clock: Clock) -> list[dict[str, object]]:
    created = []
    for name, phone, kind, limit, taxable in PEOPLE:
        clock.advance(1)
        body = {"displayName": name, "phoneNumber": phone, "type": kind, "creditLimit": limit, "taxLiable": taxable}
        response = raw.post(f"{records}/customers", json=body)
        assert response.status_code == 201, response.text
        created.append(response.json())
    return created


def names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [record["displayName"] for record in response.json()["value"]]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("displayName eq 'Cecilie Eik'", ["Cecilie Eik"]),
        ("displayName ne 'Cecilie Eik'", ["Anne Berg", "Bjørn Dahl", "Dag Fjell", "Eva Gran"]),
        ("displayName gt 'Dag Fjell'", ["Eva Gran"]),
        ("displayName ge 'Dag Fjell'", ["Dag Fjell", "Eva Gran"]),
        ("displayName lt 'Bjørn Dahl'", ["Anne Berg"]),
        ("displayName le 'Bjørn Dahl'", ["Anne Berg", "Bjørn Dahl"]),
        ("phoneNumber eq ''", ["Cecilie Eik"]),
        ("creditLimit eq 300", ["Cecilie Eik", "Dag Fjell"]),
        ("creditLimit gt 300", ["Bjørn Dahl", "Eva Gran"]),
        ("creditLimit ge 1500.5 and creditLimit lt 10000", ["Bjørn Dahl"]),
        ("creditLimit le 0", ["Anne Berg"]),
        ("taxLiable eq true", ["Bjørn Dahl", "Dag Fjell"]),
        ("type eq 'Person' and creditLimit gt 0", ["Cecilie Eik", "Eva Gran"]),
        ("type eq 'Company' or type eq 'Person'", ["Anne Berg", "Bjørn Dahl", "Cecilie Eik", "Dag Fjell", "Eva Gran"]),
        ("not (type eq 'Person')", ["Bjørn Dahl", "Dag Fjell"]),
        ("(displayName eq 'Anne Berg' or displayName eq 'Eva Gran') and type eq 'Person'", ["Anne Berg", "Eva Gran"]),
        ("startswith(displayName, 'D')", ["Dag Fjell"]),
        ("endswith(phoneNumber, '05')", ["Eva Gran"]),
        ("contains(phoneNumber, '+47')", ["Dag Fjell"]),
        ("tolower(displayName) eq 'eva gran'", ["Eva Gran"]),
        ("toupper(displayName) eq 'ANNE BERG'", ["Anne Berg"]),
        ("displayName eq 'O''Neil'", []),
        ("lastModifiedDateTime gt 2024-10-14T08:00:03.000Z", ["Dag Fjell", "Eva Gran"]),
        ("lastModifiedDateTime ge 2024-10-14T08:00:03Z", ["Cecilie Eik", "Dag Fjell", "Eva Gran"]),
        ("lastModifiedDateTime lt 2024-10-14T10:00:02+02:00", ["Anne Berg"]),
        ("lastModifiedDateTime le 2024-10-14T08:00:02.000Z", ["Anne Berg", "Bjørn Dahl"]),
        ("lastModifiedDateTime ge 2024-10-15", []),
    ],
)
def test_filter(raw: httpx.Client, records: str, seeded: list[object], expression: str, expected: list[str]) -> None:
    found = names(raw.get(f"{records}/customers", params={"$filter": expression}))
    assert found == expected, f"$filter={expression}: expected {expected}, got {found}"


def test_a_filter_on_modification_sees_records_created_after_an_earlier_read(
    raw: httpx.Client, records: str, seeded: list[object], clock: Clock
) -> None:
    """The order by modification is kept up to date as records are created, also for records stamped earlier than
    the latest (a clock set back), not rebuilt from scratch for each read."""
    since = {"$filter": "lastModifiedDateTime ge 2024-10-14T08:00:04Z"}
    assert names(raw.get(f"{records}/customers", params=since)) == ["Dag Fjell", "Eva Gran"]
    seeded_at = clock.now()  # Eva Gran's stamp, 08:00:05
    for name, seconds in [("Frida Holm", 10), ("Geir Iversen", -0.5), ("Hanne Jensen", -2.5), ("Ida Knutsen", -2.4)]:
        clock.set(seeded_at + timedelta(seconds=seconds))
        assert raw.post(f"{records}/customers", json={"displayName": name}).status_code == 201
    found = names(raw.get(f"{records}/customers", params=since))
    assert found == ["Dag Fjell", "Eva Gran", "Frida Holm", "Geir Iversen"], found
    latest = {"$filter": "lastModifiedDateTime ge 2024-10-14T08:00:14Z"}
    assert names(raw.get(f"{records}/customers", params=latest)) == ["Frida Holm"]


def test_filter_on_a_guid(raw: httpx.Client, records: str, seeded: list[dict[str, object]]) -> None:
    target = seeded[2]
    assert names(raw.get(f"{records}/customers", params={"$filter": f"id eq {target['id']}"})) == ["Cecilie Eik"]


@pytest.mark.parametrize(
    ("expression", "message_part"),
    [
        ("displayName eq 'A' or phoneNumber eq '1'", "'or' is not supported across different properties"),
        ("phoneNumber eq 22334455", "incompatible types"),
        ("lastModifiedDateTime gt '2024-10-14T08:00:00Z'", "incompatible types"),
        ("creditLimit gt 'many'", "incompatible types"),
        ("taxLiable gt true", "not defined"),
        ("directPhone eq '1'", "Could not find a property named 'directPhone'"),
        ("displayName eq", "expected"),
        ("displayName 'x'", "comparison operator"),
        ("(displayName eq 'x'", "')' expected"),
        ("displayName eq 'x' extra", "Syntax error"),
        ("displayName eq 'unterminated", "Syntax error"),
        ("lastModifiedDateTime gt 2024-13-45T08:00:00Z", "DateTimeOffset"),
        ("startswith(creditLimit, '1')", "No function signature"),
    ],
)
def test_a_bad_filter_is_a_bad_request(raw: httpx.Client, records: str, expression: str, message_part: str) -> None:
    response = raw.get(f"{records}/customers", params={"$filter": expression})
    assert_error(response, 400, "BadRequest")
    assert message_part in response.json()["error"]["message"], f"$filter={expression}: {response.text}"


def test_select_returns_only_the_chosen_properties_and_the_etag(
    raw: httpx.Client, records: str, seeded: list[object]
) -> None:
    body = raw.get(f"{records}/customers", params={"$select": "number,phoneNumber"}).json()
    assert {tuple(sorted(r)) for r in body["value"]} == {("@odata.etag", "number", "phoneNumber")}, body
    assert_error(raw.get(f"{records}/customers", params={"$select": "number,fax"}), 400, "BadRequest")


@pytest.mark.parametrize(
    ("orderby", "expected"),
    [
        ("displayName desc", ["Eva Gran", "Dag Fjell", "Cecilie Eik", "Bjørn Dahl", "Anne Berg"]),
        ("creditLimit,displayName desc", ["Anne Berg", "Dag Fjell", "Cecilie Eik", "Bjørn Dahl", "Eva Gran"]),
        ("lastModifiedDateTime desc", ["Eva Gran", "Dag Fjell", "Cecilie Eik", "Bjørn Dahl", "Anne Berg"]),
        ("type asc, number asc", ["Bjørn Dahl", "Dag Fjell", "Anne Berg", "Cecilie Eik", "Eva Gran"]),
    ],
)
def test_orderby(raw: httpx.Client, records: str, seeded: list[object], orderby: str, expected: list[str]) -> None:
    assert names(raw.get(f"{records}/customers", params={"$orderby": orderby})) == expected


def test_default_order_is_by_number(raw: httpx.Client, records: str, seeded: list[object]) -> None:
    numbers = [r["number"] for r in raw.get(f"{records}/customers").json()["value"]]
    assert numbers == sorted(numbers), numbers


def test_top_skip_and_count(raw: httpx.Client, records: str, seeded: list[object]) -> None:
    response = raw.get(f"{records}/customers", params={"$top": "2", "$skip": "1", "$count": "true"})
    assert names(response) == ["Bjørn Dahl", "Cecilie Eik"]
    assert response.json()["@odata.count"] == 5
    for option, value in (("$top", "-1"), ("$skip", "x"), ("$bogus", "1"), ("$expand", "fax")):
        assert_error(raw.get(f"{records}/customers", params={option: value}), 400, "BadRequest")


def test_other_plain_parameters_are_ignored(raw: httpx.Client, records: str, seeded: list[object]) -> None:
    assert len(names(raw.get(f"{records}/customers", params={"company": "CRONUS NO"}))) == 5


def test_server_driven_paging_follows_next_links(raw: httpx.Client, records: str, seeded: list[object]) -> None:
    url: str | None = f"{records}/customers?$filter=type eq 'Person' or type eq 'Company'&$orderby=displayName"
    pages = []
    while url:
        response = raw.get(url, headers={"Prefer": "odata.maxpagesize=2"})
        assert response.headers.get("Preference-Applied") == "odata.maxpagesize=2", response.headers
        pages.append(names(response))
        url = response.json().get("@odata.nextLink")
        if url:
            assert "$skiptoken=" in url, url
            assert "$filter=" in url and "$orderby=displayName" in url, f"the next link must keep the query: {url}"
    assert pages == [["Anne Berg", "Bjørn Dahl"], ["Cecilie Eik", "Dag Fjell"], ["Eva Gran"]], pages


def test_paging_with_top_stops_at_top(raw: httpx.Client, records: str, seeded: list[object]) -> None:
    first = raw.get(f"{records}/customers", params={"$top": "3"}, headers={"Prefer": "odata.maxpagesize=2"})
    second = raw.get(first.json()["@odata.nextLink"], headers={"Prefer": "odata.maxpagesize=2"})
    assert (names(first), names(second)) == (["Anne Berg", "Bjørn Dahl"], ["Cecilie Eik"])
    assert "@odata.nextLink" not in second.json()


def test_paging_after_skip_continues_where_each_page_ended(
    raw: httpx.Client, records: str, seeded: list[object]
) -> None:
    url: str | None = f"{records}/customers?$skip=1"
    pages = []
    while url:
        response = raw.get(url, headers={"Prefer": "odata.maxpagesize=2"})
        pages.append(names(response))
        url = response.json().get("@odata.nextLink")
    assert pages == [["Bjørn Dahl", "Cecilie Eik"], ["Dag Fjell", "Eva Gran"]], pages


def test_a_record_deleted_between_pages_neither_repeats_nor_hides_others(
    raw: httpx.Client, records: str, seeded: list[dict[str, object]]
) -> None:
    first = raw.get(f"{records}/customers", headers={"Prefer": "odata.maxpagesize=2"})
    raw.delete(f"{records}/customers({seeded[1]['id']})")  # the last record of the first page
    rest = raw.get(first.json()["@odata.nextLink"], headers={"Prefer": "odata.maxpagesize=10"})
    assert names(first) + names(rest) == ["Anne Berg", "Bjørn Dahl", "Cecilie Eik", "Dag Fjell", "Eva Gran"]


@pytest.mark.parametrize("prefer", ["odata.maxpagesize=0", "odata.maxpagesize=ten"])
def test_a_bad_page_size_is_a_bad_request(raw: httpx.Client, records: str, prefer: str) -> None:
    assert_error(raw.get(f"{records}/customers", headers={"Prefer": prefer}), 400, "BadRequest")


def test_a_forged_skiptoken_is_a_bad_request(raw: httpx.Client, records: str) -> None:
    assert_error(raw.get(f"{records}/customers", params={"$skiptoken": "not-a-token!"}), 400, "BadRequest")


def test_a_page_holds_at_most_20000_entities(raw: httpx.Client, records: str, bc: BusinessCentralFake) -> None:
    company = bc.company()
    for index in range(20_001):
        bc.model.create(company, "contacts", {"displayName": f"Kontakt {index}"})
    first = raw.get(f"{records}/contacts", params={"$select": "number"}, headers={"Prefer": "odata.maxpagesize=50000"})
    assert len(first.json()["value"]) == 20_000, "expected the page size capped at 20,000"
    assert first.headers["Preference-Applied"] == "odata.maxpagesize=20000"
    unasked = raw.get(f"{records}/contacts", params={"$select": "number"})
    assert len(unasked.json()["value"]) == 20_000
    rest = raw.get(unasked.json()["@odata.nextLink"])
    assert [r["number"] for r in rest.json()["value"]] == ["CT020001"], "expected exactly the last contact on page 2"


def test_the_client_streams_changes_since_a_moment(
    client: BusinessCentralClient, raw: httpx.Client, records: str, clock: Clock
) -> None:
    for index in range(7):
        clock.advance(1)
        raw.post(f"{records}/contacts", json={"displayName": f"K{index}"})
    since = datetime(2024, 10, 14, 8, 0, 3, tzinfo=UTC)
    pages = list(client.pages("contacts", since, page_size=2, orderby="lastModifiedDateTime"))
    assert [[r["displayName"] for r in page] for page in pages] == [["K3", "K4"], ["K5", "K6"]], pages
    inclusive = list(client.pages("contacts", since, inclusive=True, page_size=20_000))
    assert [r["displayName"] for r in inclusive[0]] == ["K2", "K3", "K4", "K5", "K6"]
    everything = [r for page in client.pages("contacts") for r in page]
    assert len(everything) == 7
    later = list(client.pages("contacts", since + timedelta(days=1)))
    assert later == [[]], f"expected one empty page, got {later}"
    with pytest.raises(ValueError, match="page_size"):
        next(client.pages("contacts", page_size=20_001))


def test_the_client_combines_a_filter_with_since(
    client: BusinessCentralClient, raw: httpx.Client, records: str
) -> None:
    raw.post(f"{records}/contacts", json={"displayName": "Firma", "type": "Company"})
    raw.post(f"{records}/contacts", json={"displayName": "Person", "type": "Person"})
    since = datetime(2024, 1, 1, tzinfo=UTC)
    pages = list(client.pages("contacts", since, filter="type eq 'Person'", select=["displayName", "type"]))
    assert pages[0] == [{"@odata.etag": pages[0][0]["@odata.etag"], "displayName": "Person", "type": "Person"}]


def test_a_filtered_query_sees_a_write_made_between_its_pages(
    raw: httpx.Client, records: str, seeded: list[dict[str, object]]
) -> None:
    # The fake keeps a filter's matches between pages; a write must make it filter again.
    query = {"$filter": "type eq 'Person'"}
    first = raw.get(f"{records}/customers", params=query, headers={"Prefer": "odata.maxpagesize=1"})
    last = seeded[4]
    changed = raw.patch(
        f"{records}/customers({last['id']})", json={"type": "Company"}, headers={"If-Match": str(last["@odata.etag"])}
    )
    assert changed.status_code == 200, changed.text
    rest = raw.get(first.json()["@odata.nextLink"], headers={"Prefer": "odata.maxpagesize=10"})
    assert names(first) + names(rest) == ["Anne Berg", "Cecilie Eik"]
