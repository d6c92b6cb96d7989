"""Barrier bookkeeping on an injected clock and a scripted board: which change a wait needs, what satisfies it, when
it times out and what the message says; and the same service reached over loopback as xdist workers reach it."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest

from harness.barriers.barrier import BarrierService, BarrierTimeout, Crossing
from harness.barriers.rpc import BarrierClient, BarrierServer
from harness.client import ThrottledError
from harness.suite.under_test import ExternalSync


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class ScriptedChannel:
    """A channel whose other side shows whatever the test says; every change is logged with the clock."""

    key: str
    kind: str = "edits"
    flow: str = "Contacts to Contacts"
    direction: str = "CRMOffice → Business Central"
    clock: Clock = field(default_factory=Clock)
    is_ready: bool = True
    made: list[tuple[int, float]] = field(default_factory=list)
    other_side: int = 0
    fail_changes: int = 0

    def ready(self) -> bool:
        return self.is_ready

    def prepare(self) -> None:
        """Scripted: readiness is set by the test."""

    def change(self) -> int:
        if self.fail_changes:
            self.fail_changes -= 1
            raise ThrottledError(
                system="crmoffice",
                status=429,
                code="TooManyRequests",
                message="slow down",
                method="PATCH",
                url="/contacts/c-out",
                retry_after=None,
            )
        self.made.append((len(self.made) + 1, self.clock.now))
        return len(self.made)

    def wrote(self, seq: int) -> str:
        return f"directPhone set to value {seq}"

    def describe(self) -> str:
        return f"'Marker {self.key}' (CRMOffice id c-{self.key})"

    def showing(self) -> str:
        return f"Business Central phoneNumber shows value {self.other_side}"


@dataclass
class ScriptedBoard:
    channels: list[ScriptedChannel]
    looks: int = 0

    def look(self, channels: list[ScriptedChannel]) -> dict[str, int]:
        self.looks += 1
        return {c.key: c.other_side for c in channels}


def _service(*channels: ScriptedChannel, converge: float = 10.0, full: float = 60.0) -> tuple[BarrierService, Clock]:
    clock = channels[0].clock
    board = ScriptedBoard(list(channels))
    return BarrierService(board, converge_timeout=converge, full_sync_timeout=full, poll=0.5, clock=clock), clock


def test_the_marker_change_a_wait_needs_is_made_after_it_arrived() -> None:
    clock = Clock()
    out = ScriptedChannel("out", clock=clock)
    service, _ = _service(out)
    first = service.submit("edits")
    service.step()
    assert out.made == [(1, 0.0)], f"expected change 1 made at 0.0, found {out.made}"
    clock.now = 3.0
    second = service.submit("edits")  # edits made after change 1: change 1 cannot vouch for them
    out.other_side = 1
    service.step()
    assert first.done.is_set(), "expected the first wait released by change 1"
    assert not second.done.is_set(), "expected the second wait to need a change made after it arrived"
    assert out.made[-1] == (2, 3.0), f"expected change 2 made at 3.0 for the second wait, found {out.made}"
    assert second.need == {"out": 2}, f"expected the second wait to need change 2, found {second.need}"


def test_one_change_serves_every_wait_of_that_moment_and_a_later_change_satisfies_an_earlier_need() -> None:
    clock = Clock()
    out = ScriptedChannel("out", clock=clock)
    service, _ = _service(out)
    waits = [service.submit("edits", label=f"scenario {n}") for n in range(5)]
    service.step()
    assert len(out.made) == 1, f"expected one marker change for five waiting scenarios, found {out.made}"
    clock.now = 2.0
    late = service.submit("edits")
    service.step()  # change 2, for the late one
    clock.now = 4.5
    out.other_side = 2  # the product carried change 2: it read after change 1 too
    service.step()
    for ticket in [*waits, late]:
        crossing = ticket.outcome().crossings[0]
        assert crossing.change == ticket.need["out"], f"expected the crossing of the needed change, found {crossing}"
    assert waits[0].outcome().crossings[0].seconds == 4.5, "expected change 1's latency measured from 0.0 to 4.5"
    assert late.outcome().crossings[0].seconds == 2.5, "expected change 2's latency measured from 2.0 to 4.5"
    assert late.outcome().waited == 2.5, f"expected the late wait to have waited 2.5 s, found {late.outcome()}"
    assert [c.change for c in service.crossings] == [1, 2], (
        f"expected each change counted once in the run's crossings, found {service.crossings}"
    )


def test_a_wait_is_released_only_when_every_channel_has_crossed() -> None:
    clock = Clock()
    out, back = ScriptedChannel("out", clock=clock), ScriptedChannel("back", clock=clock, direction="back")
    service, _ = _service(out, back)
    ticket = service.submit("edits")
    service.step()
    out.other_side = 1
    service.step()
    assert not ticket.done.is_set(), "expected the wait held while Business Central → CRMOffice has not crossed"
    back.other_side = 1
    service.step()
    result = ticket.outcome()
    assert {c.direction for c in result.crossings} == {"CRMOffice → Business Central", "back"}, result


def test_a_full_read_waits_for_the_full_channels_under_their_own_bound_and_for_the_edits_under_theirs() -> None:
    clock = Clock()
    out = ScriptedChannel("out", clock=clock)
    full = ScriptedChannel("full", kind="full", clock=clock, direction="full read")
    service, _ = _service(out, full, converge=10.0, full=60.0)
    edits = service.submit("edits")
    whole = service.submit("full")
    assert edits.bounds == {"out": 10.0}, f"expected an edits wait to leave the full read alone, found {edits.bounds}"
    assert whole.bounds == {"out": 10.0, "full": 60.0}, f"expected both bounds on a full wait, found {whole.bounds}"
    service.step()
    out.other_side = 1
    clock.now = 30.0
    service.step()
    assert edits.done.is_set(), "expected the edits wait released"
    assert not whole.done.is_set(), "expected the full wait still within its 60 s bound at 30 s"


def test_a_change_that_does_not_cross_in_time_fails_with_flow_direction_marker_bound_and_wait() -> None:
    clock = Clock()
    out = ScriptedChannel("out", clock=clock)
    service, _ = _service(out, converge=10.0)
    ticket = service.submit("edits", label="a new contact reaches Business Central")
    service.step()
    clock.now = 9.9
    service.step()
    assert not ticket.done.is_set(), "expected no failure within the 10 s bound"
    clock.now = 10.6
    service.step()
    with pytest.raises(BarrierTimeout) as failure:
        ticket.outcome()
    message = str(failure.value)
    for part in (
        "the sync product did not carry the edits within its service level (a new contact reaches Business Central)",
        "Contacts to Contacts, CRMOffice → Business Central",
        "marker 'Marker out' (CRMOffice id c-out)",
        "change 1 (directPhone set to value 1), made 10.6 s ago",
        "Business Central phoneNumber shows value 0",
        "bound --converge-timeout 10 s, waited 10.6 s",
    ):
        assert part in message, f"expected {part!r} in the timeout message, found:\n{message}"
    assert isinstance(failure.value, AssertionError), "expected a product failure (an assertion), not an error"
    for word in ("TransportError", "ConnectError", "ReadTimeout", "ThrottledError"):
        assert word not in message, f"expected no infrastructure word in a product failure, found {word!r}"


def test_a_channel_that_never_gets_ready_says_so_and_tenant_trouble_is_told_not_raised() -> None:
    clock = Clock()
    back = ScriptedChannel("back", clock=clock, is_ready=False)
    out = ScriptedChannel("out", clock=clock, fail_changes=1)
    service, _ = _service(back, out, converge=5.0)
    ticket = service.submit("edits")
    service.step()  # the change on `out` is throttled: retried next poll
    assert ticket.troubles and "ThrottledError" in ticket.troubles[0], f"expected the trouble noted, {ticket.troubles}"
    assert "out" not in ticket.need, "expected no change recorded for a change that failed"
    service.step()
    assert ticket.need == {"out": 1}, f"expected the change made on the next poll, found {ticket.need}"
    clock.now = 6.0
    service.step()
    with pytest.raises(BarrierTimeout) as failure:
        ticket.outcome()
    message = str(failure.value)
    assert "no marker change could be made: Business Central phoneNumber shows value 0" in message, message
    expected = "the markers' own requests failed 1 time(s), last: Contacts to Contacts, CRMOffice → Business Central: "
    assert f"{expected}ThrottledError" in message, message


def test_closing_the_service_fails_whoever_still_waits() -> None:
    service, _ = _service(ScriptedChannel("out"))
    ticket = service.submit("edits")
    service.close()
    with pytest.raises(BarrierTimeout, match="the run ended while this scenario waited"):
        ticket.outcome()


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValueError, match=r"converge timeout \(20 s\) <= full sync timeout \(10 s\)"):
        _service(ScriptedChannel("out"), converge=20.0, full=10.0)
    service, _ = _service(ScriptedChannel("out"))
    with pytest.raises(ValueError, match="'edits' or 'full', not 'soon'"):
        service.submit("soon")  # type: ignore[arg-type]


class CrossingAfter:
    """A real-time board for the threaded service: the other side shows a change `delay` seconds after it."""

    def __init__(self, delay: float, never: bool = False) -> None:
        self.channel = ScriptedChannel("out")
        self.channels = [self.channel]
        self.delay, self.never = delay, never
        self.started = threading.Event()

    def look(self, channels: list[ScriptedChannel]) -> dict[str, int]:
        if self.never or not self.channel.made:
            return {"out": 0}
        return {"out": max((seq for seq, at in self.channel.made if time.monotonic() - at >= self.delay), default=0)}


class RealClock:
    @property
    def now(self) -> float:
        return time.monotonic()


def _running(board: CrossingAfter, converge: float) -> BarrierService:
    board.channel.clock = RealClock()  # type: ignore[assignment]
    service = BarrierService(board, converge_timeout=converge, full_sync_timeout=converge, poll=0.05)
    service.start()
    return service


def test_workers_reach_the_run_service_over_loopback_and_get_crossings_and_timeouts() -> None:
    service = _running(CrossingAfter(0.1), converge=5.0)
    server = BarrierServer(service)
    client = BarrierClient(**server.handle())
    try:
        result = client.wait("edits", "scenario A")
        sync = ExternalSync(client, "scenario B")
        run = sync.run()
    finally:
        client.close()
        server.close()
        service.close()
    assert server.address[0] == "127.0.0.1", f"expected a loopback listener, found {server.address}"
    assert result.kind == "edits", result
    assert result.crossings[0].seconds >= 0.1, f"expected a latency of at least the board's delay, found {result}"
    assert run.barrier is not None, "expected the external sync's run to carry its barrier"
    assert run.report is None, "an external product's report is not ours"
    assert run.barrier.crossings[0].change >= 1, run.barrier

    stuck = _running(CrossingAfter(0.0, never=True), converge=0.3)
    server = BarrierServer(stuck)
    client = BarrierClient(**server.handle())
    try:
        with pytest.raises(BarrierTimeout, match=r"(?s)scenario C.*bound --converge-timeout 0.3 s"):
            client.wait("edits", "scenario C")
    finally:
        client.close()
        server.close()
        stuck.close()


def test_a_connection_without_the_run_key_is_refused() -> None:
    from multiprocessing import AuthenticationError

    service = _running(CrossingAfter(0.0), converge=1.0)
    server = BarrierServer(service)
    handle = server.handle()
    try:
        with pytest.raises(AuthenticationError):
            BarrierClient(handle["host"], handle["port"], "00" * 32).wait("edits")
    finally:
        server.close()
        service.close()


def test_crossings_survive_their_json_form() -> None:
    crossing = Crossing("Contacts", "full read", "pool 'Marker full 1'", 3, 12.3456, 20.0)
    assert Crossing.from_dict(crossing.to_dict()) == Crossing(
        "Contacts", "full read", "pool 'Marker full 1'", 3, 12.346, 20.0
    )


def test_a_wait_depends_only_on_the_sections_the_scenario_touched() -> None:
    clock = Clock()
    contacts = ScriptedChannel("contacts out", clock=clock, flow="Contacts to Contacts")
    companies = ScriptedChannel("companies create", clock=clock, flow="Companies to Customers")
    service, _ = _service(contacts, companies)
    ticket = service.submit("edits", flows=["Companies to Customers"])
    assert ticket.bounds == {"companies create": 10.0}, f"expected the companies' channel only, found {ticket.bounds}"
    service.step()
    assert not contacts.made, "expected no marker change on a section the scenario does not depend on"
    companies.other_side = 1
    service.step()
    assert ticket.outcome().crossings[0].flow == "Companies to Customers"
    with pytest.raises(ValueError, match=r"no markers for \['Deals'\]"):
        service.submit("edits", flows=["Deals"])


def test_injected_trouble_stretches_the_bound_of_the_waits_it_delayed() -> None:
    clock = Clock()
    out = ScriptedChannel("out", clock=clock)
    trouble = [0.0]
    board = ScriptedBoard([out])
    service = BarrierService(
        board, converge_timeout=10.0, full_sync_timeout=60.0, poll=0.5, clock=clock, allowance=lambda: trouble[0]
    )
    ticket = service.submit("edits", label="a contact while Business Central throttles")
    service.step()
    trouble[0] = 6.0  # the proxy asked the product to wait 6 s (three Retry-After: 2)
    clock.now = 15.0
    service.step()
    assert not ticket.done.is_set(), "expected the 10 s bound stretched by the 6 s the trouble imposed"
    clock.now = 16.5
    service.step()
    with pytest.raises(BarrierTimeout) as failure:
        ticket.outcome()
    assert "bound --converge-timeout 10 s + 6.0 s of injected trouble, waited 16.5 s" in str(failure.value)


def test_trouble_before_a_wait_arrived_does_not_stretch_it() -> None:
    clock = Clock()
    out = ScriptedChannel("out", clock=clock)
    service = BarrierService(
        ScriptedBoard([out]), converge_timeout=10.0, full_sync_timeout=60.0, poll=0.5, clock=clock,
        allowance=lambda: 30.0,
    )  # fmt: skip
    ticket = service.submit("edits")
    service.step()
    clock.now = 10.6
    service.step()
    assert ticket.done.is_set(), "expected the plain bound: the 30 s of trouble all came before this wait"
