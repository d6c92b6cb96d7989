"""``harness.proxy.control.ControlPlane`` on a loopback port, read with httpx and with :class:`ProxyControl`."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.proxy.client import ProxyControl, ProxyError, ProxyRefused, ProxyUnreachable
from harness.proxy.control import ControlPlane
from harness.proxy.faults import FaultPlan
from harness.proxy.holds import HoldBook
from harness.traffic.meters import Meters
from harness.traffic.routes import Target

KEY = "the-run-key"
SETS = {"businesscentral": frozenset({"contacts", "customers", "$batch"}), "crmoffice": frozenset({"contacts"})}
HEALTH = {"fronts": [{"tenant": "crmoffice", "url": "http://127.0.0.1:1/", "upstream": "http://127.0.0.1:2"}]}


@pytest.fixture(scope="module")
def served() -> Iterator[ControlPlane]:
    """One server for the module (each close waits out its poll interval); each test gets fresh state."""
    control = ControlPlane(KEY, Meters(), FaultPlan(SETS), HoldBook(SETS), lambda: HEALTH)
    control.start()
    try:
        yield control
    finally:
        control.close()


@pytest.fixture
def plane(served: ControlPlane) -> ControlPlane:
    served.meters, served.faults, served.holds = Meters(), FaultPlan(SETS), HoldBook(SETS)
    return served


@pytest.fixture
def http(plane: ControlPlane) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"http://127.0.0.1:{plane.port}", auth=("harness", KEY), timeout=5) as client:
        yield client


@pytest.fixture
def control(plane: ControlPlane) -> Iterator[ProxyControl]:
    with ProxyControl(f"http://harness:{KEY}@127.0.0.1:{plane.port}/", timeout=5) as client:
        yield client


def fault(**changes: Any) -> dict[str, Any]:
    return {"tenant": "businesscentral", "kind": "throttle", **changes}


# --- the key ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "auth",
    [None, ("harness", "wrong"), ("harness", KEY + "x"), ("harness", "")],
    ids=["missing", "wrong", "longer", "empty"],
)
@pytest.mark.parametrize(("method", "path"), [("GET", "/health"), ("GET", "/meters"), ("POST", "/faults")])
def test_without_the_key_every_route_is_refused(
    plane: ControlPlane, auth: tuple[str, str] | None, method: str, path: str
) -> None:
    answer = httpx.request(method, f"http://127.0.0.1:{plane.port}{path}", auth=auth, json=fault(), timeout=5)
    assert answer.status_code == 401
    assert "control key" in answer.json()["error"]
    assert plane.faults.pending() == []


@pytest.mark.parametrize("header", ["Basic !!!notbase64", "Basic " + "w4k=", "Bearer the-run-key", KEY])
def test_a_malformed_authorization_is_refused(plane: ControlPlane, header: str) -> None:
    answer = httpx.get(f"http://127.0.0.1:{plane.port}/health", headers={"Authorization": header}, timeout=5)
    assert answer.status_code == 401


def test_any_user_name_goes_with_the_key(plane: ControlPlane) -> None:
    answer = httpx.get(f"http://127.0.0.1:{plane.port}/health", auth=("someone", KEY), timeout=5)
    assert answer.status_code == 200


# --- routes -------------------------------------------------------------------------------------------------------
def test_health(http: httpx.Client) -> None:
    answer = http.get("/health")
    assert (answer.status_code, answer.json()) == (200, HEALTH)
    assert answer.headers["content-type"] == "application/json"


def test_meters_carry_the_limits_judged(plane: ControlPlane, http: httpx.Client) -> None:
    plane.meters.answered(plane.meters.arrived(Target("businesscentral", "PATCH", "contacts", "r1")), 200)
    answer = http.get("/meters").json()
    assert answer["tenants"]["businesscentral"]["requests"] == 1
    conditional = [limit for limit in answer["limits"] if limit["rule"] == "updates conditional on the version read"]
    assert conditional and conditional[0]["held"] is False


def test_writes_to_one_record(plane: ControlPlane, http: httpx.Client) -> None:
    plane.meters.answered(plane.meters.arrived(Target("crmoffice", "PATCH", "contacts", "r1")), 200)
    params = {"tenant": "crmoffice", "entity_set": "contacts", "record": "r1"}
    assert http.get("/meters/writes", params=params).json() == {"writes": 1}
    assert http.get("/meters/writes", params={**params, "record": "r2"}).json() == {"writes": 0}


def test_writes_to_needs_its_three_parameters(http: httpx.Client) -> None:
    answer = http.get("/meters/writes", params={"tenant": "crmoffice"})
    assert answer.status_code == 400
    assert answer.json()["error"] == "query parameter(s) missing: entity_set, record"


def test_faults_added_listed_and_dropped(http: httpx.Client) -> None:
    added = http.post("/faults", json=fault(entity_set="contacts"))
    assert added.status_code == 201
    assert added.json()["faults"][0]["entity_set"] == "contacts"
    listed = http.post("/faults", json=[fault(tenant="crmoffice"), fault(kind="reset")])
    assert listed.status_code == 201 and len(listed.json()["faults"]) == 2
    assert [f["kind"] for f in http.get("/faults").json()["faults"]] == ["throttle", "throttle", "reset"]
    assert http.delete("/faults", params={"tenant": "crmoffice"}).json() == {"removed": 1}
    assert http.delete("/faults").json() == {"removed": 2}
    assert http.get("/faults").json() == {"faults": []}


def test_a_wrong_fault_is_a_400_naming_the_field(http: httpx.Client) -> None:
    answer = http.post("/faults", json=fault(entity_set="vendors"))
    assert answer.status_code == 400
    assert "'entity_set'" in answer.json()["error"] and "vendors" in answer.json()["error"]


def test_a_list_with_one_wrong_fault_adds_none(plane: ControlPlane, http: httpx.Client) -> None:
    answer = http.post("/faults", json=[fault(), fault(times=0)])
    assert answer.status_code == 400 and "'times'" in answer.json()["error"]
    assert plane.faults.pending() == [], "a refused request must leave no rule in force"


@pytest.mark.parametrize("body", [None, 3, ["x"], "throttle"])
def test_a_fault_must_be_an_object(http: httpx.Client, body: Any) -> None:
    answer = http.post("/faults", json=body) if body is not None else http.post("/faults")
    assert answer.status_code == 400
    assert answer.json()["error"] == "a fault is a JSON object (or a list of them)"


def test_a_body_that_is_not_json_is_a_400(http: httpx.Client) -> None:
    answer = http.post("/faults", content=b"{kind: throttle", headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("the body is not JSON")


def test_holds_set_read_released_and_cancelled(plane: ControlPlane, http: httpx.Client) -> None:
    hold = {"tenant": "businesscentral", "entity_set": "contacts", "record": "r1", "timeout": 9}
    created = http.post("/holds", json=hold)
    assert created.status_code == 201
    hold_id = created.json()["id"]
    assert http.get(f"/holds/{hold_id}").json()["state"] == "waiting"
    plane.holds.catch(Target("businesscentral", "PATCH", "contacts", "r1"))
    assert http.get(f"/holds/{hold_id}").json()["state"] == "caught"
    assert http.post(f"/holds/{hold_id}/release").json()["state"] == "released"
    other = http.post("/holds", json={**hold, "record": "r2"}).json()["id"]
    assert http.delete(f"/holds/{other}").json()["state"] == "cancelled"
    assert [h["state"] for h in http.get("/holds").json()["holds"]] == ["released", "cancelled"]


def test_a_wrong_hold_is_a_400_and_an_unknown_one_a_404(http: httpx.Client) -> None:
    wrong = http.post("/holds", json={"tenant": "crmoffice", "entity_set": "companies", "record": "r1"})
    assert wrong.status_code == 400 and "'entity_set'" in wrong.json()["error"]
    not_object = http.post("/holds", json=["x"])
    assert not_object.status_code == 400 and "a hold is a JSON object" in not_object.json()["error"]
    for answer in (http.get("/holds/nope"), http.post("/holds/nope/release"), http.delete("/holds/nope")):
        assert answer.status_code == 404 and answer.json()["error"] == "no hold 'nope'"


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/"), ("POST", "/meters"), ("GET", "/holds/a/b/c"), ("PUT", "/x")]
)
def test_an_unknown_route_is_named(http: httpx.Client, method: str, path: str) -> None:
    answer = http.request(method, path)
    assert answer.status_code in (404, 501)
    if answer.status_code == 404:
        assert f"no control route {method} {path.rstrip('/') or '/'}" in answer.json()["error"]


def test_a_plane_never_started_closes() -> None:
    ControlPlane(KEY, Meters(), FaultPlan(SETS), HoldBook(SETS), lambda: HEALTH).close()


# --- the client ---------------------------------------------------------------------------------------------------
def test_the_client_reads_and_sets_everything(plane: ControlPlane, control: ProxyControl) -> None:
    assert control.health() == HEALTH
    assert control.meters()["limits"] == []
    added = control.add_fault("businesscentral", "slow", delay=0.5, entity_set=None)
    assert (added["kind"], added["delay"], added["entity_set"]) == ("slow", 0.5, None)
    assert [f["id"] for f in control.faults()] == [added["id"]]
    assert control.clear_faults("crmoffice") == 0 and control.clear_faults() == 1
    hold_id = control.hold("crmoffice", "contacts", "r1", timeout=5, times=2)
    assert control.wait_caught(hold_id, within=0)["state"] == "waiting"
    plane.holds.catch(Target("crmoffice", "PATCH", "contacts", "r1"))
    assert control.wait_caught(hold_id, within=5)["state"] == "caught"
    assert control.release(hold_id)["state"] == "waiting"
    assert control.cancel(hold_id)["state"] == "cancelled"
    assert control.writes_to("crmoffice", "contacts", "r1") == 0


def test_the_client_never_shows_the_key(control: ProxyControl) -> None:
    assert KEY not in repr(control) and KEY not in control.url


def test_a_wrong_key_is_refused(plane: ControlPlane) -> None:
    with ProxyControl(f"http://harness:nope@127.0.0.1:{plane.port}/") as wrong, pytest.raises(ProxyRefused) as refused:
        wrong.health()
    assert "control key" in str(refused.value) and "nope" not in str(refused.value)


def test_a_refused_fault_names_the_field(control: ProxyControl) -> None:
    with pytest.raises(ProxyRefused, match=r"'entity_set'.*'vendors'"):
        control.add_fault("businesscentral", "throttle", entity_set="vendors")


def test_nothing_listening_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with (
        ProxyControl(f"http://harness:{KEY}@127.0.0.1:{port}/", timeout=2) as control,
        pytest.raises(ProxyUnreachable, match="does not answer") as unreachable,
    ):
        control.meters()
    assert KEY not in str(unreachable.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/", "ftp://harness:k@127.0.0.1:9/", "harness:k@127.0.0.1"])
def test_a_url_without_the_key_is_refused_at_once(url: str) -> None:
    with pytest.raises(ProxyError, match="the control URL harness proxy printed"):
        ProxyControl(url)


# --- the product's process ----------------------------------------------------------------------------------------
def test_without_a_product_command_there_is_no_product_to_crash(control: ProxyControl) -> None:
    assert control.product() == {"managed": False}
    with pytest.raises(ProxyRefused, match="start harness proxy with --product-command"):
        control.add_fault("businesscentral", "crash")
    assert control.stop_product() is None


def test_a_product_that_cannot_start_is_refused_naming_the_field(http: httpx.Client) -> None:
    answer = http.post("/product", json={"command": "sync", "environment": {"A": 1}, "log": "/tmp/x"})
    assert answer.status_code == 400 and "'environment'" in answer.json()["error"]
    assert http.get("/product").json() == {"managed": False}
