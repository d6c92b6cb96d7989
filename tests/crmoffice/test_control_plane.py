"""The control plane over HTTP: counters, reset, seed, records, clock, info."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from harness.crmoffice import CRMOfficeClient
from harness.crmoffice.fake import CRMOfficeFake
from harness.fakes import Mounted
from tests.crmoffice.helpers import FakeFactory, expect_status, same

COMPANY_ID = "0b5c8e9a-1d2f-4a6b-8c3d-5e7f9a1b2c3d"
SEED = {
    "companies": [
        {
            "id": COMPANY_ID,
            "name": "Frø AS",
            "orgNr": "923609016",
            "createdAt": "2024-01-02T03:04:05.006Z",
            "updatedAt": "2024-02-03T04:05:06.007Z",
        }
    ],
    "contacts": [{"givenName": "Kari", "company": {"id": COMPANY_ID.upper()}, "directPhone": "22 33 44 55"}],
}


def test_request_counters_per_route(client: CRMOfficeClient, http: httpx.Client) -> None:
    created = client.create("contacts", {"givenName": "Kari"})
    client.get("contacts", created.id)
    client.update("contacts", created.id, {"familyName": "Berg"}, created.etag)
    list(client.records("contacts"))
    client.delete("contacts", created.id)
    counts = http.get("/_harness/requests").json()
    expected = {
        "POST connect/token": 1,
        "POST contacts": 1,
        "GET contacts/{id}": 1,
        "PATCH contacts/{id}": 1,
        "GET contacts": 1,
        "DELETE contacts/{id}": 1,
    }
    same(counts["routes"], dict(sorted(expected.items())), "requests per route (the control plane is not counted)")
    same(counts["total"], 6, "total requests")
    same(counts["records_served"], 2, "records served: one read by id, one in the page (writes' answers are not reads)")
    same(http.delete("/_harness/requests").json()["total"], 0, "total after zeroing the counters")


def test_requests_for_data_leave_tokens_out(client: CRMOfficeClient, fake: CRMOfficeFake) -> None:
    client.create("contacts", {"givenName": "Kari"})
    list(client.records("contacts"))
    same(fake.requests(), 2, "requests for data (the token request is the client's cache's business)")
    same(fake.served(), 1, "records served")


def test_the_client_learns_the_tenants_clock(client: CRMOfficeClient, fake: CRMOfficeFake) -> None:
    fake.clock.set(datetime(2031, 5, 6, 7, 8, 9, 500_000, tzinfo=UTC), frozen=True)
    list(client.records("contacts"))
    same(client.server_time, datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC), "the Date the tenant stated, in whole seconds")


def test_seed_over_http_returns_the_records_and_the_api_serves_them(http: httpx.Client, api: httpx.Client) -> None:
    response = http.post("/_harness/seed", json=SEED)
    expect_status(response, 201, "seeding over HTTP")
    created = response.json()
    company = created["companies"][0]
    same(
        (company["id"], company["createdAt"], company["updatedAt"]),
        (COMPANY_ID, "2024-01-02T03:04:05.006Z", "2024-02-03T04:05:06.007Z"),
        "seeded company id and times, as given",
    )
    contact = created["contacts"][0]
    same(
        contact["company"], {"id": COMPANY_ID}, f"seeded contact {contact['id']} company (GUIDs compare in lower case)"
    )
    same(api.get(f"/contacts/{contact['id']}").json(), contact, f"contact {contact['id']} read through the API")


def test_a_bad_seed_names_the_record_and_adds_nothing(http: httpx.Client, fake: CRMOfficeFake) -> None:
    bad = {
        "companies": [{"name": "Grei AS"}],
        "contacts": [{"givenName": "Kari"}, {"givenName": "Ola", "email": "ola-at-example"}],
    }
    response = http.post("/_harness/seed", json=bad)
    same(response.status_code, 400, "status of a seed with a bad e-mail")
    message = response.json()["error"]
    assert "contacts[1]" in message and "email" in message, f"expected contacts[1] and email named, got {message!r}"
    same(
        http.get("/_harness/records").json(),
        {"companies": [], "contacts": [], "activities": []},
        "records after the refused seed",
    )
    for payload, fragment in (
        ({"contacts": [{"id": "nope", "givenName": "A"}]}, "contacts[0].id must be a GUID"),
        ({"companies": [{"id": COMPANY_ID, "name": "A"}, {"id": COMPANY_ID, "name": "B"}]}, "already in use"),
        ({"contacts": [{"givenName": "A", "updatedAt": "soon"}]}, "contacts[0].updatedAt"),
        (
            {
                "contacts": [
                    {"givenName": "A", "createdAt": "2024-02-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z"}
                ]
            },
            "after",
        ),
        ({"contacts": [{"givenName": "A", "company": {"id": COMPANY_ID}}]}, "no company has id"),
        ({"contacts": {"givenName": "A"}}, "must be a list"),
    ):
        response = http.post("/_harness/seed", json=payload)
        same(response.status_code, 400, f"status of seed {payload}")
        assert fragment in response.json()["error"], f"seed {payload}: expected {fragment!r} in {response.json()}"
    same(fake.model.count("contacts") + fake.model.count("companies"), 0, "records after the refused seeds")


def test_dump_reset_and_seed_round_trip(http: httpx.Client, client: CRMOfficeClient) -> None:
    http.post("/_harness/seed", json=SEED)
    client.create("companies", {"name": "Ny AS", "visitAddress": {"postalArea": "Bergen"}})
    before = http.get("/_harness/records").json()
    expect_status(http.post("/_harness/reset"), 200, "reset")
    same(
        http.get("/_harness/records").json(), {"companies": [], "contacts": [], "activities": []}, "records after reset"
    )
    same(list(client.records("companies")), [], "companies through the API after reset (the token survives)")
    expect_status(http.post("/_harness/seed", json=before), 201, "seeding the dump back")
    same(http.get("/_harness/records").json(), before, "records after seeding the dump back")


def test_reset_clears_faults_and_counters(http: httpx.Client, fake: CRMOfficeFake, api: httpx.Client) -> None:
    fake.add_fault(method="GET", path="*", status=500, times=3)
    api.get("/companies")
    http.post("/_harness/reset")
    same((fake.faults.pending, fake.counts()["total"]), (0, 0), "faults pending and requests counted after reset")
    expect_status(api.get("/companies"), 200, "GET /companies after reset")


def test_clock_over_http_sets_the_times_records_get(http: httpx.Client, client: CRMOfficeClient) -> None:
    state = http.put("/_harness/clock", json={"now": "2025-01-31T23:59:59.999Z"}).json()
    same(state, {"now": "2025-01-31T23:59:59.999Z", "frozen": True}, "clock after setting it (it stays frozen)")
    created = client.create("companies", {"name": "Klokke AS"}).record
    same(created["createdAt"], "2025-01-31T23:59:59.999Z", f"company {created['id']} createdAt")
    http.put("/_harness/clock", json={"advance": 0.001})
    updated = client.update("companies", created["id"], {"orgNr": "923609016"}).record
    same(updated["updatedAt"], "2025-02-01T00:00:00.000Z", f"company {created['id']} updatedAt after advancing 1 ms")


def test_info_over_http(http: httpx.Client, fake: CRMOfficeFake, mounted: Mounted) -> None:
    info = http.get("/_harness/info").json()
    expected = {
        "api": f"{mounted.origin}/",
        "token_url": f"{mounted.origin}/connect/token",
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
    }
    same(info, expected, "tenant info")


def test_client_credentials_can_be_chosen(make_fake: FakeFactory) -> None:
    fake = make_fake(client_id="sesam-talk", client_secret="s3cret-for-tests")
    same((fake.client_id, fake.client_secret), ("sesam-talk", "s3cret-for-tests"), "the registered client")


def test_records_are_the_dumps_records_one_at_a_time_and_copies(fake: CRMOfficeFake) -> None:
    fake.seed({"contacts": [{"givenName": "Kari", "familyName": f"Holm {n}"} for n in range(3)]})
    streamed = list(fake.model.records("contacts"))
    same(streamed, fake.dump()["contacts"], "records, one at a time, against the dump")
    name, streamed[0]["familyName"] = streamed[0]["familyName"], "changed by the reader"
    same(fake.dump()["contacts"][0]["familyName"], name, "a stored record after its copy was changed")
