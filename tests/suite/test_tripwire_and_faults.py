"""The tripwire in front of a tenant, trouble on cue turned into fake fault rules (one step per trouble sentence),
and the suite's mode check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.checklist import parse_file
from harness.client.exchanges import ExchangeLog
from harness.client.redact import Redactor
from harness.suite import faults
from harness.suite.build import SuiteError, SuiteMode, build_dataflow
from harness.suite.dataflow import Dataflow, Side
from harness.suite.tripwire import Interrupted, Tripwire
from harness.sync import plan_dataflow
from tests.helpers import steps_matching

CHECKLIST = Path(__file__).resolve().parents[2] / "features" / "crmoffice-businesscentral.rst"
PLANS = plan_dataflow(parse_file(CHECKLIST))


class Inner:
    """An httpx.MockTransport that remembers every request it answered."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.transport = httpx.MockTransport(self.answer)

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.log.append(f"{request.method} {request.url.path}")
        return httpx.Response(200, json={"ok": True})


def _wired(log: list[str]) -> tuple[Tripwire, httpx.Client]:
    wire = Tripwire(Inner(log).transport, "crmoffice")
    return wire, httpx.Client(transport=wire, base_url="http://tenant.test")


def test_reads_pass_and_are_not_counted_as_writes() -> None:
    log: list[str] = []
    wire, client = _wired(log)
    wire.stop_after_writes(1)
    with client:
        answers = [client.get("/contacts").status_code for _ in range(3)]
    assert answers == [200, 200, 200], f"expected three reads answered 200, found {answers}"
    assert (wire.writes, log) == (0, ["GET /contacts"] * 3), f"expected 0 writes and 3 reads, found {wire.writes} {log}"


def test_the_nth_write_reaches_the_tenant_then_the_sync_is_interrupted() -> None:
    log: list[str] = []
    wire, client = _wired(log)
    wire.stop_after_writes(2)
    with client:
        first = client.post("/contacts", json={"n": 1}).status_code
        with pytest.raises(Interrupted, match="after write 2 to crmoffice: PATCH"):
            client.patch("/contacts/2", json={"n": 2})
        after = client.post("/contacts", json={"n": 3}).status_code
    assert first == after == 200, f"expected the first and third writes answered 200, found {first} and {after}"
    assert log == ["POST /contacts", "PATCH /contacts/2", "POST /contacts"], (
        f"expected the interrupted PATCH to have reached the tenant, the tenant saw {log}"
    )


def test_interrupted_is_not_an_exception_any_handler_catches() -> None:
    assert not issubclass(Interrupted, Exception), "expected Interrupted to escape `except Exception`"


def test_token_requests_are_not_writes() -> None:
    log: list[str] = []
    wire, client = _wired(log)
    wire.stop_after_writes(1)
    with client:
        client.post("/connect/token", data={"grant_type": "client_credentials"})
        with pytest.raises(Interrupted):
            client.delete("/contacts/1")
    assert log == ["POST /connect/token", "DELETE /contacts/1"], f"expected both requests sent, found {log}"


def test_before_next_write_runs_once_just_before_the_write() -> None:
    log: list[str] = []
    wire, client = _wired(log)
    wire.before_next_write(lambda: log.append("user edit"))
    with client:
        client.get("/contacts")
        client.put("/contacts/1", json={})
        client.post("/contacts", json={})
    assert log == ["GET /contacts", "user edit", "PUT /contacts/1", "POST /contacts"], (
        f"expected the action once, after the read and before the first write, found {log}"
    )


def test_before_writes_acts_before_every_write_and_lets_the_actions_own_write_through() -> None:
    log: list[str] = []
    wire, client = _wired(log)

    def user_edit() -> None:
        log.append("user edit")
        client.patch("/contacts/1", json={})  # the user's own write: not acted on again, not counted as the sync's

    wire.before_writes(user_edit)
    with client:
        client.post("/contacts", json={})
        client.get("/contacts")
        client.put("/contacts/2", json={})
    assert log == [
        "user edit",
        "PATCH /contacts/1",
        "POST /contacts",
        "GET /contacts",
        "user edit",
        "PATCH /contacts/1",
        "PUT /contacts/2",
    ], f"expected the action before each of the two writes, its own write passing, found {log}"


def test_before_writes_stops_after_the_given_number() -> None:
    log: list[str] = []
    wire, client = _wired(log)
    wire.before_writes(lambda: log.append("user edit"), times=2)
    with client:
        for _ in range(3):
            client.post("/contacts", json={})
    assert log.count("user edit") == 2, f"expected the action twice, found {log}"
    with pytest.raises(ValueError, match="at least one write"):
        wire.before_writes(lambda: None, times=0)


def test_disarm_clears_both_the_stop_and_the_action() -> None:
    log: list[str] = []
    wire, client = _wired(log)
    wire.stop_after_writes(1)
    wire.before_next_write(lambda: log.append("user edit"))
    wire.disarm()
    with client:
        status = client.post("/contacts", json={}).status_code
    assert (status, log) == (200, ["POST /contacts"]), f"expected a plain write, found {status} {log}"


@pytest.mark.parametrize("count", [0, -1])
def test_stopping_after_no_write_is_refused(count: int) -> None:
    wire, _ = _wired([])
    with pytest.raises(ValueError, match=f"got {count}"):
        wire.stop_after_writes(count)


# --- trouble on cue ---------------------------------------------------------------------------------------------
Trouble = Callable[[Dataflow, Side], None]
FAULTS = [
    pytest.param(
        lambda flow, side: faults.throttle(flow, side, 3, retry_after=2),
        {"status": 429, "retry_after": 2.0, "times": 3},
        id="throttles the next 3 requests, asking to retry after 2 seconds",
    ),
    pytest.param(
        lambda flow, side: faults.throttle(flow, side, 1, retry_after=0.5),
        {"status": 429, "retry_after": 0.5, "times": 1},
        id="throttles the next 1 request, asking to retry after 0.5 second",
    ),
    pytest.param(
        lambda flow, side: faults.throttle(flow, side, 3),
        {"status": 429, "retry_after": None, "times": 3},
        id="throttles the next 3 requests without saying when to retry",
    ),
    pytest.param(
        lambda flow, side: faults.unavailable(flow, side, 2),
        {"status": 503, "retry_after": None, "times": 2},
        id="is unavailable for the next 2 requests",
    ),
    pytest.param(
        lambda flow, side: faults.unavailable(flow, side, 2, retry_after=2),
        {"status": 503, "retry_after": 2.0, "times": 2},
        id="is unavailable for the next 2 requests, asking to retry after 2 seconds",
    ),
    pytest.param(
        lambda flow, side: faults.drop_connection(flow, side, 2),
        {"drop": True, "status": None, "times": 2},
        id="drops the connection on the next 2 requests",
    ),
    pytest.param(
        lambda flow, side: faults.answer_too_slowly(flow, side, 2),
        {"delay": 2.5, "status": None, "drop": False, "times": 2},
        id="answers the next 2 requests too slowly",
    ),
]


@pytest.mark.parametrize("side", ["crmoffice", "businesscentral"])
@pytest.mark.parametrize(("trouble", "expected"), FAULTS)
def test_a_trouble_adds_its_fault_to_that_fake_only(
    flow: Dataflow, side: Side, trouble: Trouble, expected: dict[str, Any]
) -> None:
    trouble(flow, side)
    other = "businesscentral" if side == "crmoffice" else "crmoffice"
    rules = flow.fakes().tenant(side).faults.rules()
    assert len(rules) == 1, f"{side}: expected one fault rule, found {rules}"
    found = {key: getattr(rules[0], key) for key in expected}
    assert found == expected, f"on {side}: expected {expected}, found {found}"
    assert (rules[0].method, rules[0].path) == ("*", "*"), f"expected a rule on every request, found {rules[0]}"
    untouched = flow.fakes().tenant(other).faults.rules()
    assert untouched == [], f"expected no fault on {other}, found {untouched}"


def test_a_slow_answer_outlasts_the_read_timeout(flow: Dataflow) -> None:
    faults.answer_too_slowly(flow, "businesscentral", 1)
    (rule,) = flow.fakes().businesscentral.faults.rules()
    assert rule.delay > flow.read_timeout, (
        f"expected a delay over the {flow.read_timeout} s timeout, found {rule.delay}"
    )


TROUBLE_STEPS = [
    ("throttles the next 3 requests, asking to retry after 2 seconds", "throttles_saying_when",
     {"requests": 3, "seconds": 2.0}),
    ("throttles the next 3 requests without saying when to retry", "throttles_without_saying_when", {"requests": 3}),
    ("is unavailable for the next 2 requests", "is_unavailable", {"requests": 2}),
    ("is unavailable for the next 2 requests, asking to retry after 2 seconds", "is_unavailable_saying_when",
     {"requests": 2, "seconds": 2.0}),
    ("drops the connection on the next 2 requests", "drops_the_connection", {"requests": 2}),
    ("loses its answers to the next 2 changes after carrying them out", "loses_its_answers", {"changes": 2}),
    ("answers the next 2 requests too slowly", "answers_too_slowly", {"requests": 2}),
    ("fails the next 50 changes with an internal error", "fails_changes", {"changes": 50}),
]  # fmt: skip


@pytest.mark.parametrize(("trouble", "step", "numbers"), TROUBLE_STEPS)
def test_each_trouble_sentence_is_a_step_of_its_own(trouble: str, step: str, numbers: dict[str, float]) -> None:
    for name, side in (("CRMOffice", "crmoffice"), ("Business Central", "businesscentral")):
        matched = steps_matching("resilience", f"{name} {trouble}")
        assert list(matched) == [step], f"{name} {trouble!r}: expected the step {step} alone, found {list(matched)}"
        assert matched[step] == {"side": side, **numbers}, f"{name} {trouble!r}: the step is given {matched[step]}"


def test_an_unknown_trouble_sentence_matches_no_step() -> None:
    # A typo in a feature fails its scenario at that step (pytest-bdd finds no step definition), before anything is
    # injected; it is never read loosely as some other trouble.
    for typo in ("throttles the next three requests", "throttles the next 3 request", "is unavailable for 2 requests"):
        matched = steps_matching("resilience", f"CRMOffice {typo}")
        assert matched == {}, f"expected no step to match {typo!r}, found {list(matched)}"


# --- suite modes ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("mode", "option"),
    [
        (SuiteMode(sync="external"), "--sync external"),
        (SuiteMode(tenants="wire", sync="external"), "--sync external"),
        (SuiteMode(tenants="sandbox", sync="external", converge_timeout=50, full_sync_timeout=5), "--converge-timeout"),
    ],
)
def test_modes_this_harness_cannot_run_are_refused_naming_the_option(mode: SuiteMode, option: str) -> None:
    with pytest.raises(SuiteError) as raised:
        mode.check()
    assert str(raised.value).startswith(option), f"expected the message to start with {option!r}, found {raised.value}"


@pytest.mark.parametrize(
    "mode", [SuiteMode(), SuiteMode(tenants="wire"), SuiteMode(tenants="sandbox", sync="external")]
)
def test_the_modes_it_can_run_pass_the_check(mode: SuiteMode) -> None:
    mode.check()


def test_building_a_dataflow_in_a_refused_mode_fails_before_any_tenant_exists(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="--tenants sandbox"):
        build_dataflow(
            SuiteMode(tenants="sandbox"),
            PLANS,
            seed=1,
            state_path=tmp_path / "s.sqlite",
            exchanges=ExchangeLog(),
            redactor=Redactor(),
        )


def test_the_built_dataflow_has_a_tripwire_in_front_of_each_tenant(flow: Dataflow) -> None:
    assert sorted(flow.tripwires) == ["businesscentral", "crmoffice"], f"found tripwires {sorted(flow.tripwires)}"
    flow.tripwires["businesscentral"].stop_after_writes(1)
    with pytest.raises(Interrupted, match="to businesscentral: POST"):
        flow.bc_create("contacts", {"displayName": "Kari Nordmann", "type": "Person"})
    found = flow.bc_find("contacts", "Kari Nordmann")
    assert len(found) == 1, f"expected the interrupted create to have reached Business Central, found {found}"


def test_trouble_over_drops_every_pending_rule_of_that_fake(flow: Dataflow) -> None:
    faults.fail_changes(flow, "crmoffice", 50)
    faults.unavailable(flow, "businesscentral", 2)
    faults.trouble_over(flow, "crmoffice")
    fakes = flow.fakes()
    assert (fakes.crmoffice.faults.pending, fakes.businesscentral.faults.pending) == (0, 2), (
        f"expected CRMOffice's rules gone and Business Central's kept, found "
        f"{fakes.crmoffice.faults.pending} and {fakes.businesscentral.faults.pending}"
    )


def test_failing_changes_meet_each_tenants_way_of_writing(flow: Dataflow) -> None:
    faults.fail_changes(flow, "crmoffice", 50)
    faults.fail_changes(flow, "businesscentral", 3)
    (crm,) = flow.fakes().crmoffice.faults.rules()
    (bc,) = flow.fakes().businesscentral.faults.rules()
    assert (crm.method, crm.path, crm.status, crm.times) == ("PATCH", "*", 500, 50), f"CRMOffice: found {crm}"
    assert (bc.method, bc.path, bc.status, bc.times) == ("POST", "*/$batch", 500, 3), f"Business Central: found {bc}"


def test_lost_answers_meet_each_tenants_way_of_writing(flow: Dataflow) -> None:
    faults.lose_answers(flow, "crmoffice", 2)
    faults.lose_answers(flow, "businesscentral", 1)
    (crm,) = flow.fakes().crmoffice.faults.rules()
    (bc,) = flow.fakes().businesscentral.faults.rules()
    assert (crm.method, crm.path, crm.lose_answer, crm.times) == ("PATCH", "*", True, 2), f"CRMOffice: found {crm}"
    assert (bc.method, bc.path, bc.lose_answer, bc.times) == ("POST", "*/$batch", True, 1), (
        f"Business Central: found {bc}"
    )
