"""The fault plan, over HTTP and in Python, against the client's bounded retries, in both modes."""

from __future__ import annotations

import httpx
import pytest

from harness.client import AuthenticationError, RetryPolicy, ServerError, ThrottledError, TransportError
from harness.crmoffice import CRMOfficeClient
from harness.crmoffice.fake import CRMOfficeFake
from harness.fakes import Mounted
from tests.crmoffice.helpers import expect_status, problem, same


def _add_fault(http: httpx.Client, **rule: object) -> None:
    expect_status(http.post("/_harness/faults", json=rule), 201, f"adding fault {rule}")


def _warm(client: CRMOfficeClient) -> None:
    # Fetch the token now, so faults below meet API requests only.
    same(list(client.records("companies")), [], "companies of a fresh tenant")


def test_429_with_retry_after_is_retried_after_that_wait(
    client: CRMOfficeClient, http: httpx.Client, fake: CRMOfficeFake, waits: list[float]
) -> None:
    created = client.create("contacts", {"givenName": "Kari"})
    _add_fault(http, method="GET", path="/contacts", status=429, retry_after=3)
    same([r["id"] for r in client.records("contacts")], [created.id], "contacts read through a 429")
    same(waits, [3.0], "waits of the retry policy")
    rules = http.get("/_harness/faults").json()["faults"]
    same([(rule["status"], rule["fired"]) for rule in rules], [(429, 1)], "fault rules and how often they fired")
    same(fake.counts()["routes"]["GET contacts"], 2, "GET contacts requests (the 429 and the retry)")


def test_503_without_retry_after_backs_off_exponentially(
    client: CRMOfficeClient, fake: CRMOfficeFake, waits: list[float]
) -> None:
    _warm(client)
    fake.add_fault(method="GET", path="/companies", status=503, times=3)
    same(list(client.records("companies")), [], "companies read through three 503s")
    same(waits, [0.5, 1.0, 2.0], "backoff waits without Retry-After (jitter 0)")
    same(fake.faults.pending, 0, "faults left unfired")


def test_retries_are_bounded(
    client: CRMOfficeClient, http: httpx.Client, fake: CRMOfficeFake, waits: list[float]
) -> None:
    _warm(client)
    fake.clear_counts()
    _add_fault(http, method="GET", path="/companies", status=429, retry_after=1, times=10)
    with pytest.raises(ThrottledError) as caught:
        list(client.records("companies"))
    same((caught.value.status, caught.value.retry_after), (429, 1.0), "status and retry_after of the ThrottledError")
    same(waits, [1.0] * 4, "waits before giving up after 5 attempts")
    same(http.get("/_harness/requests").json()["routes"], {"GET companies": 5}, "requests counted per route")
    same(fake.faults.pending, 5, "faults left unfired")


def test_a_dropped_connection_on_get_is_retried(
    client: CRMOfficeClient, fake: CRMOfficeFake, waits: list[float]
) -> None:
    created = client.create("companies", {"name": "Utholdende AS"})
    fake.add_fault(method="GET", path="/companies/*", drop=True)
    same(client.get("companies", created.id), created, f"company {created.id} read through a dropped connection")
    same(waits, [0.5], "waits after the dropped connection")


def test_a_dropped_connection_on_post_may_have_applied(client: CRMOfficeClient, fake: CRMOfficeFake) -> None:
    _warm(client)
    fake.add_fault(method="POST", path="/contacts", drop=True)
    with pytest.raises(TransportError) as caught:
        client.create("contacts", {"givenName": "Kanskje"})
    same(caught.value.maybe_applied, True, "maybe_applied of a POST whose connection dropped")
    same(caught.value.method, "POST", "method of the TransportError")
    same(fake.counts()["routes"]["POST contacts"], 1, "POST contacts requests (a create is never retried blindly)")


def test_an_answer_lost_after_the_create_landed_leaves_the_record_there(
    client: CRMOfficeClient, fake: CRMOfficeFake
) -> None:
    _warm(client)
    fake.add_fault(method="POST", path="/contacts", lose_answer=True)
    with pytest.raises(TransportError) as caught:
        client.create("contacts", {"givenName": "Kanskje"})
    same(caught.value.maybe_applied, True, "maybe_applied of a POST whose answer was lost")
    names = [record["givenName"] for record in fake.dump()["contacts"]]
    same(names, ["Kanskje"], "contacts the fake holds after the lost answer (the create landed)")


def test_502_is_retried_for_reads_but_not_for_creates(client: CRMOfficeClient, fake: CRMOfficeFake) -> None:
    _warm(client)
    fake.add_fault(method="GET", path="/contacts", status=502)
    same(list(client.records("contacts")), [], "contacts read through a 502")
    fake.add_fault(method="POST", path="/contacts", status=502)
    with pytest.raises(ServerError) as caught:
        client.create("contacts", {"givenName": "Ikke To Ganger"})
    same(caught.value.status, 502, "status of the ServerError for a POST")


def test_500_is_not_retried(client: CRMOfficeClient, fake: CRMOfficeFake, waits: list[float]) -> None:
    _warm(client)
    fake.add_fault(method="GET", path="/contacts", status=500)
    with pytest.raises(ServerError) as caught:
        list(client.records("contacts"))
    same((caught.value.status, waits), (500, []), "status and waits for a 500")


def test_an_injected_401_makes_the_client_renew_its_token_once(client: CRMOfficeClient, fake: CRMOfficeFake) -> None:
    _warm(client)
    fake.clear_counts()
    fake.add_fault(method="GET", path="/contacts", status=401)
    same(list(client.records("contacts")), [], "contacts read through one 401")
    routes = fake.counts()["routes"]
    same((routes["GET contacts"], routes["POST connect/token"]), (2, 1), "contact reads and token requests")
    fake.add_fault(method="GET", path="/contacts", status=401, times=2)
    with pytest.raises(AuthenticationError) as caught:
        list(client.records("contacts"))
    same(caught.value.status, 401, "status after a 401 that survives renewal")


def test_a_slow_answer_past_the_read_timeout_is_a_transport_error(fake: CRMOfficeFake, mounted: Mounted) -> None:
    retry = RetryPolicy(attempts=2, sleep=lambda _: None, jitter=0)
    with CRMOfficeClient.connect(fake.info(), transport=mounted.transport(), retry=retry, timeout=0.5) as client:
        _warm(client)
        fake.add_fault(method="GET", path="/contacts", delay=2.0, times=2)
        with pytest.raises(TransportError) as caught:
            list(client.records("contacts"))
        same(caught.value.maybe_applied, False, "maybe_applied of a GET that timed out")
        assert "Timeout" in str(caught.value), f"expected a timeout named in the error, got {caught.value}"
        fake.add_fault(method="POST", path="/contacts", delay=2.0)
        with pytest.raises(TransportError) as caught:
            client.create("contacts", {"givenName": "Treg"})
        same(caught.value.maybe_applied, True, "maybe_applied of a POST that timed out")


def test_token_endpoint_faults_are_retried_by_the_auth(
    client: CRMOfficeClient, fake: CRMOfficeFake, waits: list[float]
) -> None:
    fake.add_fault(method="POST", path="/connect/token", status=503, retry_after=2)
    fake.add_fault(method="POST", path="/connect/token", drop=True)
    same(list(client.records("contacts")), [], "contacts read after a 503 and a dropped token request")
    same(waits, [2.0, 1.0], "waits: Retry-After of the 503, then backoff after the drop (second attempt)")


def test_fault_plan_over_http_lists_and_clears(http: httpx.Client, api: httpx.Client) -> None:
    _add_fault(http, method="GET", path="/companies", status=503, retry_after=7, times=2)
    response = api.get("/companies")
    problem(response, 503, "an injected 503")
    same(response.headers.get("Retry-After"), "7", "Retry-After of the injected 503")
    expect_status(http.delete("/_harness/faults"), 200, "clearing the faults")
    same(http.get("/_harness/faults").json(), {"faults": []}, "the plan after clearing")
    expect_status(api.get("/companies"), 200, "GET /companies after clearing the plan")
