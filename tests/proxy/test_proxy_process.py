"""``harness.proxy.launch.Engine``: mitmdump in front of fake tenants on loopback, driven with the project's clients.

One engine and one pair of fakes for the module (mitmdump takes about a second to start); the meters add up across
tests, so each test reads them before and after. Faults are dropped after each test; holds name a fresh record.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.businesscentral.client import BatchOperation, BusinessCentralClient
from harness.client import BearerToken, RetryPolicy
from harness.client.base import Versioned
from harness.client.errors import ServerError, TenantError, ThrottledError, TransportError
from harness.crmoffice.client import RESOURCES, CRMOfficeClient
from harness.fake_pair import fake_pair
from harness.proxy.cli import BC_ENTITY_SETS
from harness.proxy.client import ProxyControl, ProxyRefused
from harness.proxy.launch import Engine, Upstream
from harness.tenants import TenantPair
from harness.traffic.meters import EARLY_GRACE

pytestmark = pytest.mark.wire


@dataclass
class Proxied:
    pair: TenantPair
    engine: Engine
    crm: dict[str, Any]
    bc: dict[str, Any]
    bc_origin: str

    @property
    def crm_front(self) -> str:
        return self.engine.fronts["crmoffice"]

    @property
    def bc_front_api(self) -> str:
        """Business Central's API URL on the front (the front has the tenant's origin swapped for its own)."""
        return self.engine.fronts["businesscentral"] + str(self.bc["api"]).removeprefix(self.bc_origin)

    def crm_client(self) -> CRMOfficeClient:
        """As a product is configured by ``harness proxy``: the API on the front, the token endpoint not proxied."""
        return CRMOfficeClient.connect({**self.crm, "api": self.crm_front}, retry=RetryPolicy.none(), timeout=10)

    def bc_client(self) -> BusinessCentralClient:
        return BusinessCentralClient(
            self.bc_front_api, self.bc["company_id"], auth=BearerToken(self.bc["token"]), retry=RetryPolicy.none()
        )

    def crm_token(self) -> str:
        answer = httpx.post(
            self.crm["token_url"],
            data={
                "grant_type": "client_credentials",
                "client_id": self.crm["client_id"],
                "client_secret": self.crm["client_secret"],
                "scope": "crmoffice",
            },
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])


@pytest.fixture(scope="module")
def proxied() -> Iterator[Proxied]:
    pair = fake_pair("wire", seed=1)
    try:
        assert pair.crmoffice_fake is not None and pair.businesscentral_fake is not None
        crm, bc = pair.crmoffice_fake.info(), pair.businesscentral_fake.info()
        bc_origin = bc["environments_url"].removesuffix("/environments/v1.1")
        engine = Engine(
            [Upstream("crmoffice", crm["api"]), Upstream("businesscentral", bc_origin)],
            {"crmoffice": RESOURCES, "businesscentral": BC_ENTITY_SETS},
        )
        try:
            engine.start()
            yield Proxied(pair, engine, crm, bc, bc_origin)
        finally:
            engine.stop()
    finally:
        pair.close()


@pytest.fixture
def control(proxied: Proxied) -> Iterator[ProxyControl]:
    with ProxyControl(proxied.engine.control_url) as client:
        client.clear_faults()
        yield client
        client.clear_faults()


def name() -> str:
    return f"Proxied {uuid.uuid4().hex[:8]}"


def bc_set(control: ProxyControl, entity_set: str = "contacts") -> dict[str, Any]:
    return dict(control.meters()["tenants"].get("businesscentral", {}).get("entity_sets", {}).get(entity_set, {}))


def answers(control: ProxyControl, tenant: str) -> dict[str, int]:
    return dict(control.meters()["tenants"].get(tenant, {}).get("answers", {}))


def bc_contacts(proxied: Proxied) -> dict[str, dict[str, Any]]:
    assert proxied.pair.businesscentral_fake is not None
    company = proxied.pair.businesscentral_fake.dump()["environments"][0]["companies"][0]
    return {c["id"]: c for c in company["contacts"]}


def crm_contacts(proxied: Proxied) -> dict[str, dict[str, Any]]:
    assert proxied.pair.crmoffice_fake is not None
    return {c["id"]: c for c in proxied.pair.crmoffice_fake.dump()["contacts"]}


# --- what passes through ------------------------------------------------------------------------------------------
def test_health_names_each_front_and_its_upstream(proxied: Proxied, control: ProxyControl) -> None:
    fronts = {f["tenant"]: f for f in control.health()["fronts"]}
    assert fronts["crmoffice"]["upstream"] == proxied.crm["api"].rstrip("/")
    assert fronts["businesscentral"]["upstream"] == proxied.bc_origin
    assert proxied.crm_front.startswith(fronts["crmoffice"]["url"])


def test_meters_count_requests_records_and_pages(proxied: Proxied, control: ProxyControl) -> None:
    for _ in range(3):
        proxied.pair.businesscentral.create("contacts", {"displayName": name(), "type": "Person"})
    before = bc_set(control)
    with proxied.bc_client() as client:
        pages = list(client.pages("contacts", page_size=2))
    after = bc_set(control)
    listed = sum(len(page) for page in pages)
    assert len(pages) >= 2 and listed >= 3
    assert after["requests"] - before.get("requests", 0) == len(pages)
    assert after["records_served"] - before.get("records_served", 0) == listed
    assert after["pages_followed"] - before.get("pages_followed", 0) == len(pages) - 1


def test_writes_and_if_match_are_metered(proxied: Proxied, control: ProxyControl) -> None:
    before = bc_set(control)
    with proxied.bc_client() as client:
        created = client.create("contacts", {"displayName": name(), "type": "Person"})
        record_id = created.record["id"]
        assert created.etag is not None
        updated = client.update("contacts", record_id, {"displayName": name()}, created.etag)
        client.update("contacts", record_id, {"displayName": name()}, "*")
    assert updated.record["id"] == record_id
    after = bc_set(control)
    assert after["records_written"] - before.get("records_written", 0) == 3
    assert after["updates"]["etag"] - before.get("updates", {}).get("etag", 0) == 1
    assert after["updates"]["any"] - before.get("updates", {}).get("any", 0) == 1
    assert control.writes_to("businesscentral", "contacts", record_id) == 2


def test_crmoffice_writes_are_metered_per_record(proxied: Proxied, control: ProxyControl) -> None:
    with proxied.crm_client() as client:
        created = client.create("contacts", {"givenName": "Kari", "familyName": name()})
        client.update("contacts", created.record["id"], {"city": "Oslo"}, created.etag)
    assert control.writes_to("crmoffice", "contacts", created.record["id"]) == 1
    assert crm_contacts(proxied)[created.record["id"]]["city"] == "Oslo"


def test_business_central_page_links_point_to_the_front(proxied: Proxied) -> None:
    for _ in range(2):
        proxied.pair.businesscentral.create("contacts", {"displayName": name(), "type": "Person"})
    url = f"{proxied.bc_front_api}/companies({proxied.bc['company_id']})/contacts"
    headers = {"Authorization": f"Bearer {proxied.bc['token']}", "Prefer": "odata.maxpagesize=1"}
    page = httpx.get(url, headers=headers)
    assert page.status_code == 200, page.text
    next_link = page.json()["@odata.nextLink"]
    assert next_link.startswith(proxied.engine.fronts["businesscentral"] + "/"), next_link
    assert proxied.bc_origin not in page.text
    assert httpx.get(next_link, headers=headers).status_code == 200


def test_crmoffice_page_links_point_to_the_front(proxied: Proxied) -> None:
    for _ in range(2):
        proxied.pair.crmoffice.create("contacts", {"givenName": "Ola", "familyName": name()})
    headers = {"Authorization": f"Bearer {proxied.crm_token()}"}
    page = httpx.get(proxied.crm_front + "contacts", params={"pageSize": "1"}, headers=headers)
    assert page.status_code == 200, page.text
    next_page = page.json()["nextPage"]
    assert next_page.startswith(proxied.crm_front), next_page
    assert proxied.crm["api"] not in page.text
    assert httpx.get(next_page, headers=headers).status_code == 200


def test_the_real_clients_follow_every_page_through_the_front(proxied: Proxied) -> None:
    proxied.pair.crmoffice.create("contacts", {"givenName": "Per", "familyName": name()})
    with proxied.crm_client() as client:
        through_front = [c["id"] for c in client.records("contacts", page_size=1)]
    assert sorted(through_front) == sorted(crm_contacts(proxied))


# --- faults -------------------------------------------------------------------------------------------------------
def test_a_business_central_throttle_answers_in_its_shape(proxied: Proxied, control: ProxyControl) -> None:
    control.add_fault("businesscentral", "throttle", entity_set="customers", retry_after=7)
    assert proxied.pair.businesscentral_fake is not None
    seen = proxied.pair.businesscentral_fake.counts()["total"]
    url = f"{proxied.bc_front_api}/companies({proxied.bc['company_id']})/customers"
    answer = httpx.get(url, headers={"Authorization": f"Bearer {proxied.bc['token']}"})
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "7"
    assert answer.json()["error"]["code"] == "Application_TooManyRequests"
    assert proxied.pair.businesscentral_fake.counts()["total"] == seen, "the tenant never saw the request"
    assert control.faults() == []


def test_a_throttle_reaches_the_client_as_throttled(proxied: Proxied, control: ProxyControl) -> None:
    control.add_fault("businesscentral", "unavailable", entity_set="customers", retry_after=3)
    with proxied.bc_client() as client, pytest.raises(ThrottledError) as throttled:
        next(client.pages("customers"))
    assert (throttled.value.status, throttled.value.retry_after) == (503, 3)


def test_a_crmoffice_throttle_answers_problem_details(proxied: Proxied, control: ProxyControl) -> None:
    control.add_fault("crmoffice", "throttle", entity_set="companies", retry_after=2)
    before = answers(control, "crmoffice").get("429", 0)
    headers = {"Authorization": f"Bearer {proxied.crm_token()}"}
    answer = httpx.get(proxied.crm_front + "companies", headers=headers)
    assert answer.status_code == 429
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.headers["Retry-After"] == "2"
    assert answer.json()["status"] == 429
    assert answers(control, "crmoffice")["429"] == before + 1


def test_an_early_retry_after_a_throttle_is_metered(proxied: Proxied, control: ProxyControl) -> None:
    control.add_fault("crmoffice", "throttle", entity_set="companies", retry_after=60)
    headers = {"Authorization": f"Bearer {proxied.crm_token()}"}
    assert httpx.get(proxied.crm_front + "companies", headers=headers).status_code == 429
    # Read after the 429: the request that met it may itself count, when an earlier test's Retry-After still runs.
    before = control.meters()["tenants"]["crmoffice"]["early_after_retry_after"]
    time.sleep(EARLY_GRACE + 0.1)  # past the grace (a retry sent before the 429 was read), far before the minute
    assert httpx.get(proxied.crm_front + "companies", headers=headers).status_code == 200
    assert control.meters()["tenants"]["crmoffice"]["early_after_retry_after"] == before + 1


def test_an_error_fault_answers_the_status_given(proxied: Proxied, control: ProxyControl) -> None:
    control.add_fault("businesscentral", "error", entity_set="contacts", method="POST", status=500)
    with proxied.bc_client() as client, pytest.raises(ServerError) as refused:
        client.create("contacts", {"displayName": name(), "type": "Person"})
    assert refused.value.status == 500


def test_reset_closes_before_the_tenant_applies(proxied: Proxied, control: ProxyControl) -> None:
    control.add_fault("crmoffice", "reset", entity_set="contacts", method="POST")
    family = name()
    lost_before = answers(control, "crmoffice").get("lost", 0)
    with proxied.crm_client() as client, pytest.raises(TransportError):
        client.create("contacts", {"givenName": "Nils", "familyName": family})
    assert [c for c in crm_contacts(proxied).values() if c["familyName"] == family] == []
    assert answers(control, "crmoffice")["lost"] == lost_before + 1


def test_lose_answer_applies_but_answers_nothing(proxied: Proxied, control: ProxyControl) -> None:
    control.add_fault("businesscentral", "lose-answer", entity_set="contacts", method="POST")
    display = name()
    with proxied.bc_client() as client, pytest.raises(TransportError) as lost:
        client.create("contacts", {"displayName": display, "type": "Person"})
    assert lost.value.maybe_applied
    assert [c for c in bc_contacts(proxied).values() if c["displayName"] == display] != [], "the write landed"


def test_slow_still_answers(proxied: Proxied, control: ProxyControl) -> None:
    control.add_fault("crmoffice", "slow", entity_set="contacts", method="GET", delay=0.3)
    with proxied.crm_client() as client:
        page = next(client.pages("contacts"))
    assert isinstance(page, list)
    assert control.faults() == [], "the slow rule was met"


def test_batch_operation_fails_one_operation_and_the_others_land(proxied: Proxied, control: ProxyControl) -> None:
    first = proxied.pair.businesscentral.create("contacts", {"displayName": name(), "type": "Person"})
    second = proxied.pair.businesscentral.create("contacts", {"displayName": name(), "type": "Person"})
    assert first.etag and second.etag
    first_id, second_id = first.record["id"], second.record["id"]
    control.add_fault("businesscentral", "batch-operation", entity_set="contacts", record=second_id)
    operations = [
        BatchOperation("PATCH", "contacts", first_id, {"displayName": "Landed"}, first.etag, "a"),
        BatchOperation("PATCH", "contacts", second_id, {"displayName": "Failed"}, second.etag, "b"),
    ]
    with proxied.bc_client() as client:
        results = {r.id: r for r in client.batch(operations)}
    assert results["a"].ok and not results["b"].ok
    assert results["b"].status == 500
    contacts = bc_contacts(proxied)
    assert contacts[first_id]["displayName"] == "Landed"
    assert contacts[second_id]["displayName"] == second.record["displayName"]
    assert control.writes_to("businesscentral", "contacts", first_id) == 1
    assert control.writes_to("businesscentral", "contacts", second_id) == 0


# --- holds --------------------------------------------------------------------------------------------------------
def test_a_hold_catches_a_write_until_released(proxied: Proxied, control: ProxyControl) -> None:
    created = proxied.pair.crmoffice.create("contacts", {"givenName": "Hold", "familyName": name()})
    record_id = created.record["id"]
    hold_id = control.hold("crmoffice", "contacts", record_id, timeout=30)
    outcome: list[Versioned | TenantError] = []

    def product_writes() -> None:
        try:
            with proxied.crm_client() as client:
                outcome.append(client.update("contacts", record_id, {"city": "Bergen"}, created.etag))
        except TenantError as exc:  # handed to the test thread
            outcome.append(exc)

    writer = threading.Thread(target=product_writes, daemon=True)
    writer.start()
    try:
        assert control.wait_caught(hold_id, within=10)["state"] == "caught"
        assert outcome == [], "the caught write has no answer yet"
        assert crm_contacts(proxied)[record_id]["city"] is None, "nor has it reached the tenant"
        assert control.release(hold_id)["state"] == "released"
    finally:
        writer.join(15)
        if writer.is_alive():
            control.cancel(hold_id)
    assert len(outcome) == 1 and isinstance(outcome[0], Versioned), outcome
    assert outcome[0].record["city"] == "Bergen"
    assert crm_contacts(proxied)[record_id]["city"] == "Bergen"


def test_a_cancelled_hold_lets_the_write_go(proxied: Proxied, control: ProxyControl) -> None:
    created = proxied.pair.businesscentral.create("contacts", {"displayName": name(), "type": "Person"})
    record_id = created.record["id"]
    assert created.etag
    hold_id = control.hold("businesscentral", "contacts", record_id, timeout=30)
    outcome: list[Any] = []

    def product_writes() -> None:
        try:
            with proxied.bc_client() as client:
                batch = [BatchOperation("PATCH", "contacts", record_id, {"displayName": "Held"}, created.etag, "1")]
                outcome.append(client.batch(batch))
        except TenantError as exc:
            outcome.append(exc)

    writer = threading.Thread(target=product_writes, daemon=True)
    writer.start()
    try:
        assert control.wait_caught(hold_id, within=10)["state"] == "caught", "a $batch is caught by its operation"
        assert control.cancel(hold_id)["state"] == "cancelled"
    finally:
        writer.join(15)
    assert len(outcome) == 1 and isinstance(outcome[0], list) and outcome[0][0].ok, outcome
    assert bc_contacts(proxied)[record_id]["displayName"] == "Held"


# --- secrets ------------------------------------------------------------------------------------------------------
def test_no_credential_is_ever_logged_or_answered(proxied: Proxied, control: ProxyControl) -> None:
    crm_token = proxied.crm_token()
    leaked = "Bearer not-a-token-" + uuid.uuid4().hex
    control.add_fault("crmoffice", "reset", entity_set="companies")
    for headers in ({"Authorization": f"Bearer {crm_token}"}, {"Authorization": leaked}):
        with contextlib.suppress(httpx.TransportError):  # the reset
            httpx.get(proxied.crm_front + "companies", headers=headers)
        httpx.get(proxied.crm_front + "contacts", headers=headers)
    with proxied.bc_client() as client:
        client.companies()
    answered = json.dumps(
        [control.health(), control.meters(), control.faults(), control.hold("crmoffice", "contacts", "x", timeout=1)]
    )
    logged = proxied.engine.log_tail(10**6)
    secrets = [
        crm_token,
        leaked.split()[1],
        proxied.bc["token"],
        proxied.crm["client_secret"],
        proxied.engine.key,
    ]
    for secret in secrets:
        assert secret not in logged
        assert secret not in answered
    assert "Authorization" not in logged and "authorization" not in answered.lower()


def test_a_batch_whose_only_operation_fails_never_reaches_the_tenant(proxied: Proxied, control: ProxyControl) -> None:
    created = proxied.pair.businesscentral.create("contacts", {"displayName": name(), "type": "Person"})
    assert created.etag
    control.add_fault("businesscentral", "batch-operation", entity_set="contacts", method="PATCH", status=503)
    assert proxied.pair.businesscentral_fake is not None
    seen = proxied.pair.businesscentral_fake.counts()["total"]
    with proxied.bc_client() as client:
        [result] = client.batch(
            [BatchOperation("PATCH", "contacts", created.record["id"], {"displayName": "No"}, created.etag)]
        )
    assert (result.ok, result.status) == (False, 503)
    assert proxied.pair.businesscentral_fake.counts()["total"] == seen
    assert bc_contacts(proxied)[created.record["id"]]["displayName"] == created.record["displayName"]


# --- the product's process ----------------------------------------------------------------------------------------
PRODUCT = """
import os, pathlib, time, httpx
log = pathlib.Path(os.environ["PRODUCT_LOG"])
start = log.read_text().count("start") + 1
print("start", start, flush=True)
while not pathlib.Path(os.environ["GO"]).exists():
    time.sleep(0.05)
answer = httpx.post(os.environ["BC_CONTACTS"], json={"displayName": f"crash-me {start}", "type": "Person"},
                    headers={"Authorization": "Bearer " + os.environ["BC_ACCESS_TOKEN"]}, timeout=10)
print("answered", start, answer.status_code, flush=True)
for cycle in (1, 2):  # two cycles' first list: the product is back in its rhythm
    httpx.get(os.environ["BC_CONTACTS"], headers={"Authorization": "Bearer " + os.environ["BC_ACCESS_TOKEN"]})
print("cycled", start, flush=True)
time.sleep(60)
"""


def test_a_crash_lands_the_write_kills_the_product_and_starts_it_again(
    proxied: Proxied, control: ProxyControl, tmp_path: Path
) -> None:
    """The module's proxy has one product seat: taken here, and the product stopped at the end."""
    with pytest.raises(ProxyRefused, match="--product-command"):
        control.add_fault("businesscentral", "crash", method="WRITE")
    log, script, go = tmp_path / "product.log", tmp_path / "product.py", tmp_path / "go"
    log.touch()
    script.write_text(PRODUCT)
    environment = {
        "PATH": os.environ["PATH"],
        "PRODUCT_LOG": str(log),
        "GO": str(go),
        "BC_CONTACTS": proxied.bc_front_api + f"/companies({proxied.bc['company_id']})/contacts",
        "BC_ACCESS_TOKEN": proxied.bc["token"],
    }
    lost_before = answers(control, "businesscentral").get("lost", 0)
    control.start_product(f"{sys.executable} {script}", environment, str(log))
    try:
        fault = control.add_fault("businesscentral", "crash", method="WRITE", contains="crash-me")
        go.touch()
        crash = control.wait_crashed(fault["id"], within=15)
        assert crash is not None, log.read_text()
        deadline = time.monotonic() + 15
        while "cycled 2" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        state = control.product()
    finally:
        status = control.stop_product()
    written = log.read_text()
    assert "answered 1" not in written and "answered 2 201" in written, "the first answer never reached the product"
    assert (state["starts"], state["state"], state["exits"]) == (2, "running", []), state
    [crash] = state["crashes"]
    assert crash["fault"] == fault["id"] and crash["back_at"] is not None and crash["back_at"] >= crash["at"]
    names = sorted(c["displayName"] for c in bc_contacts(proxied).values() if c["displayName"].startswith("crash-me"))
    assert names == ["crash-me 1", "crash-me 2"], "the write the product was killed after landed"
    assert answers(control, "businesscentral")["lost"] == lost_before + 1
    assert control.trouble_seconds() >= crash["back_at"] - crash["at"]
    assert status == -15, "the test's product does not handle SIGTERM"
    assert "environment" not in json.dumps(state) and proxied.bc["token"] not in json.dumps(state)


# --- an engine of its own -----------------------------------------------------------------------------------------
def test_an_unreachable_upstream_is_named_and_stop_removes_the_key() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    engine = Engine([Upstream("crmoffice", closed)], {"crmoffice": RESOURCES})
    try:
        engine.start()
        answer = httpx.get(engine.fronts["crmoffice"] + "contacts", headers={"Authorization": "Bearer t0ken-x"})
        with ProxyControl(engine.control_url) as control:
            lost = control.meters()["tenants"]["crmoffice"]["answers"]
        logged = engine.log_tail(10**6)
        folder = engine._folder  # the private folder with the config (and the control key in it)
        assert folder is not None and (folder / "config.json").exists()
    finally:
        status = engine.stop()
    assert answer.status_code == 502
    assert lost == {"lost": 1}
    assert f"crmoffice at {closed.rstrip('/')} is not reachable" in logged
    assert "t0ken-x" not in logged
    assert status == 0 and not engine.alive()
    assert not folder.exists()
