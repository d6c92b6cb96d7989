"""The control plane over HTTP (reset, seed, records, clock, faults, counters) and its bad-input answers."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from harness.businesscentral.fake import BusinessCentralFake
from harness.fakes import Mounted


@pytest.fixture
def control(mounted: Mounted) -> httpx.Client:
    return mounted.client()


def test_seed_reset_and_dump(control: httpx.Client, raw: httpx.Client, records: str, bc: BusinessCentralFake) -> None:
    seeded = control.post(
        "/_harness/seed",
        json={
            "customers": [{"displayName": "Seed AS", "lastModifiedDateTime": "2024-01-02T03:04:05.678Z"}],
            "contacts": [{"displayName": "Seed Person", "type": "Person", "mobilePhoneNumber": "912 34 567"}],
        },
    )
    assert seeded.status_code == 201, seeded.text
    customer = seeded.json()["customers"][0]
    assert customer["lastModifiedDateTime"] == "2024-01-02T03:04:05.678Z", customer
    assert raw.get(f"{records}/customers({customer['id']})").json()["displayName"] == "Seed AS"
    dump = control.get("/_harness/records").json()
    sandbox = next(env for env in dump["environments"] if env["name"] == "Sandbox")
    assert [c["displayName"] for c in sandbox["companies"][0]["contacts"]] == ["Seed Person"]
    assert control.post("/_harness/reset").status_code == 200
    assert raw.get(f"{records}/customers").json()["value"] == [], "reset must empty the tenant"
    assert raw.get(f"{records}/customers").status_code == 200, "the token and company must survive a reset"


@pytest.mark.parametrize(
    ("payload", "part"),
    [
        ({"vendors": []}, "unknown seed key"),
        ({"customers": {"displayName": "x"}}, "must be a list"),
        ({"customers": [{"phoneNumber": "1"}]}, "displayName"),
        ({"contacts": [{"displayName": "x", "phoneNumber": "abc"}]}, "must not contain letters"),
    ],
)
def test_a_bad_seed_is_refused_with_the_reason(control: httpx.Client, payload: dict[str, object], part: str) -> None:
    response = control.post("/_harness/seed", json=payload)
    assert response.status_code == 400, response.text
    assert part in response.json()["error"], response.text


def test_the_clock_can_be_read_set_frozen_and_advanced(control: httpx.Client, raw: httpx.Client, records: str) -> None:
    assert control.get("/_harness/clock").json() == {"now": "2024-10-14T08:00:00.000Z", "frozen": True}
    moved = control.put("/_harness/clock", json={"now": "2025-01-01T00:00:00Z", "advance": 1.5})
    assert moved.json() == {"now": "2025-01-01T00:00:01.500Z", "frozen": True}, moved.text
    stamp = raw.post(f"{records}/customers", json={"displayName": "Klokke"}).json()["lastModifiedDateTime"]
    assert stamp == "2025-01-01T00:00:01.5Z", "Business Central writes milliseconds without trailing zeros"
    running = control.put("/_harness/clock", json={"frozen": False}).json()
    assert running["frozen"] is False
    for bad in ({"now": "yesterday"}, {"advance": "1s"}, {"frozen": "no"}, {"speed": 2}):
        response = control.put("/_harness/clock", json=bad)
        assert response.status_code == 400, f"{bad}: {response.text}"


def test_faults_over_http_fire_then_stop(control: httpx.Client, raw: httpx.Client, records: str) -> None:
    added = control.post(
        "/_harness/faults", json={"method": "GET", "path": "*/customers", "status": 503, "retry_after": 7, "times": 2}
    )
    assert added.status_code == 201, added.text
    for _ in range(2):
        response = raw.get(f"{records}/customers")
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "7"
        assert response.json()["error"]["code"] == "ServiceUnavailable"
    assert raw.get(f"{records}/customers").status_code == 200, "the rule fires twice only"
    listed = control.get("/_harness/faults").json()["faults"]
    assert [(f["fired"], f["times"]) for f in listed] == [(2, 2)], listed
    assert control.delete("/_harness/faults").json() == {"faults": []}


@pytest.mark.parametrize(
    "rule",
    [
        {"status": 200},
        {"times": 0, "status": 500},
        {"drop": True, "status": 500},
        {},
        {"status": 503, "when": "now"},
        {"delay": -1},
    ],
)
def test_a_bad_fault_rule_is_refused(control: httpx.Client, rule: dict[str, object]) -> None:
    response = control.post("/_harness/faults", json=rule)
    assert response.status_code == 400, f"{rule}: {response.text}"
    assert "fault" in response.json()["error"] or "unknown" in response.json()["error"], response.text


def test_request_counters_per_route(control: httpx.Client, raw: httpx.Client, records: str) -> None:
    control.post("/_harness/seed", json={"customers": [{"displayName": "A AS"}, {"displayName": "B AS"}]})
    customers = raw.get(f"{records}/customers").json()["value"]
    raw.get(f"{records}/contacts")
    raw.get(f"{records}/contacts")
    raw.get(f"{records}/customers({customers[0]['id']})")
    raw.get("/nowhere")
    counts = control.get("/_harness/requests").json()
    assert counts == {
        "total": 5,
        "routes": {"GET (unrouted)": 1, "GET contacts": 2, "GET customers": 1, "GET customers({id})": 1},
        "batch_operations": {},
        "records_served": 3,  # two in the page, one by id; an empty page serves none
    }, counts
    cleared = control.delete("/_harness/requests").json()
    assert (cleared["total"], cleared["records_served"]) == (0, 0), cleared


def test_records_served_in_a_batch_count_one_by_one(
    bc: BusinessCentralFake, raw: httpx.Client, api: str, records: str
) -> None:
    made = raw.post(f"{records}/customers", json={"displayName": "C AS"}).json()
    before = bc.served()
    answer = raw.post(
        f"{api}/$batch",
        json={
            "requests": [
                {"id": str(n), "method": "GET", "url": f"companies({bc.company_id})/customers({made['id']})"}
                for n in (1, 2)
            ]
        },
    )
    assert answer.status_code == 200, answer.text
    assert bc.served() - before == 2, (
        f"expected 2 records served by the batch's 2 reads, counted {bc.served() - before}"
    )


def test_every_answer_states_the_fakes_clock(bc: BusinessCentralFake, raw: httpx.Client, records: str) -> None:
    bc.clock.set(datetime(2031, 5, 6, 7, 8, 9, 500_000, tzinfo=UTC), frozen=True)
    answer = raw.get(f"{records}/customers")
    assert answer.headers.get_list("Date") == ["Tue, 06 May 2031 07:08:09 GMT"], answer.headers


def test_the_control_plane_bypasses_auth_faults_and_counters(control: httpx.Client, bc: BusinessCentralFake) -> None:
    bc.add_fault(path="*", status=500, times=5)
    assert control.get("/_harness/info").status_code == 200
    assert bc.counts()["total"] == 0
    assert bc.faults.pending == 5


def test_info_names_what_a_client_needs(control: httpx.Client, bc: BusinessCentralFake, mounted: Mounted) -> None:
    info = control.get("/_harness/info").json()
    assert info["api"] == f"{mounted.origin}/v2.0/{bc.tenant_id}/Sandbox/api/v2.0"
    assert (info["token"], info["company_id"]) == (bc.token, bc.company_id)


def test_unknown_control_actions_and_bad_json(control: httpx.Client) -> None:
    assert control.post("/_harness/explode").status_code == 404
    response = control.post("/_harness/seed", content="{", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "not JSON" in response.json()["error"]


def test_error_correlation_ids_come_from_the_seeded_id_source() -> None:
    from harness.fakes import IdSource, mount

    answers = []
    for _ in range(2):
        fake = BusinessCentralFake(ids=IdSource(5))
        with mount(fake, "mock") as mounted, mounted.client(headers={"Authorization": f"Bearer {fake.token}"}) as http:
            answers.append(http.get(f"{fake.api_path()}/companies({fake.company_id})/nowhere").json())
    message = answers[0]["error"]["message"]
    assert "CorrelationId:" in message and "00000000-0000" not in message, f"expected a seeded id, found {message}"
    assert answers[0] == answers[1], f"expected the same seed to answer the same error, found {answers}"


def test_records_are_the_dumps_records_one_at_a_time(bc: BusinessCentralFake) -> None:
    bc.seed({"contacts": [{"displayName": f"Person {n}", "type": "Person"} for n in range(3)]})
    [company] = next(e for e in bc.dump()["environments"] if e["name"] == "Sandbox")["companies"]
    streamed = bc.records("contacts")
    first = next(streamed)
    assert first == company["contacts"][0], first
    assert [first, *streamed] == company["contacts"]
