"""``harness.proxy.holds.HoldBook``: a write to one record caught, released, cancelled or let go at its timeout."""

from __future__ import annotations

from typing import Any

import pytest

from harness.proxy.holds import HoldBook, HoldError
from harness.traffic.routes import BatchOperation, Target

SETS = {"businesscentral": frozenset({"contacts", "customers"}), "crmoffice": frozenset({"contacts"})}


def book() -> HoldBook:
    return HoldBook(SETS)


def rule(**changes: Any) -> dict[str, Any]:
    return {"tenant": "businesscentral", "entity_set": "contacts", "record": "r1", "timeout": 30, **changes}


def write(record: str = "r1", method: str = "PATCH", entity_set: str = "contacts") -> Target:
    return Target("businesscentral", method, entity_set, record)


def calls(hold_book: HoldBook, hold_id: str) -> list[str]:
    called: list[str] = []
    hold_book.get(hold_id).on_release.append(lambda: called.append("woken"))
    return called


@pytest.mark.parametrize(
    ("changes", "names"),
    [
        ({"tenant": ""}, ["'tenant'"]),
        ({"record": None}, ["'record'"]),
        ({"entity_set": 3}, ["'entity_set'"]),
        ({"tenant": "salesforce"}, ["'tenant'", "salesforce"]),
        ({"entity_set": "vendors"}, ["'entity_set'", "vendors"]),
        ({"timeout": 0}, ["'timeout'"]),
        ({"timeout": "30"}, ["'timeout'"]),
        ({"times": 0}, ["'times'"]),
        ({"times": 1.5}, ["'times'"]),
        ({"times": True}, ["'times'"]),
    ],
)
def test_a_hold_that_cannot_be_set_is_refused_naming_the_field(changes: dict[str, Any], names: list[str]) -> None:
    holds = book()
    with pytest.raises(HoldError) as refused:
        holds.add(rule(**changes))
    for name in names:
        assert name in str(refused.value), str(refused.value)
    assert holds.all() == []


def test_a_new_hold_waits() -> None:
    hold = book().add(rule(timeout=5))
    assert hold.to_dict() == {
        "id": hold.id,
        "tenant": "businesscentral",
        "entity_set": "contacts",
        "record": "r1",
        "state": "waiting",
        "caught": 0,
        "released": 0,
        "times": 1,
        "timeout": 5.0,
    }


def test_only_a_write_to_its_record_is_caught() -> None:
    holds = book()
    hold = holds.add(rule())
    assert holds.catch(write(method="GET")) is None
    assert holds.catch(write(record="r2")) is None
    assert holds.catch(write(entity_set="customers")) is None
    assert holds.catch(Target("crmoffice", "PATCH", "contacts", "r1")) is None
    assert holds.catch(write()) is hold
    assert (hold.state, hold.caught) == ("caught", 1)
    assert holds.catch(write()) is None, "a caught hold catches nothing more"


def test_a_batch_is_caught_through_its_operation() -> None:
    holds = book()
    hold = holds.add(rule())
    envelope = Target("businesscentral", "POST", "$batch")
    assert holds.catch(envelope, (BatchOperation("1", write(record="r9"), None),)) is None
    assert (
        holds.catch(envelope, (BatchOperation("1", write(record="r9"), None), BatchOperation("2", write(), None)))
        is hold
    )


def test_release_wakes_the_caught_write() -> None:
    holds = book()
    hold = holds.add(rule())
    holds.catch(write())
    woken = calls(holds, hold.id)
    assert holds.release(hold.id).state == "released"
    assert woken == ["woken"] and hold.released == 1
    assert holds.catch(write()) is None, "a released hold is done"


def test_releasing_a_hold_nothing_caught_changes_nothing() -> None:
    holds = book()
    hold = holds.add(rule())
    woken = calls(holds, hold.id)
    assert holds.release(hold.id).state == "waiting"
    assert woken == [] and hold.released == 0


def test_a_hold_for_two_writes_waits_again_after_the_first() -> None:
    holds = book()
    hold = holds.add(rule(times=2))
    holds.catch(write())
    assert holds.release(hold.id).state == "waiting"
    assert holds.catch(write()) is hold
    assert holds.release(hold.id).state == "released"
    assert (hold.caught, hold.released) == (2, 2)


def test_cancel_lets_a_caught_write_go() -> None:
    holds = book()
    hold = holds.add(rule())
    holds.catch(write())
    woken = calls(holds, hold.id)
    assert holds.release(hold.id, cancel=True).state == "cancelled"
    assert woken == ["woken"]
    assert holds.catch(write()) is None


def test_cancel_a_waiting_hold() -> None:
    holds = book()
    hold = holds.add(rule())
    assert holds.release(hold.id, cancel=True).state == "cancelled"
    assert holds.catch(write()) is None


def test_release_all_cancels_what_is_open() -> None:
    holds = book()
    caught, waiting, done = holds.add(rule()), holds.add(rule(record="r2")), holds.add(rule(record="r3"))
    holds.catch(write())
    holds.catch(write(record="r3"))
    holds.release(done.id)
    woken = calls(holds, caught.id)
    assert holds.release_all() == 2
    assert [h["state"] for h in holds.all()] == ["cancelled", "cancelled", "released"]
    assert woken == ["woken"] and waiting.state == "cancelled"


def test_an_unknown_hold_is_named() -> None:
    holds = book()
    with pytest.raises(HoldError, match="no hold 'nope'"):
        holds.get("nope")
    with pytest.raises(HoldError, match="no hold 'nope'"):
        holds.release("nope")


def test_a_book_without_entity_sets_takes_any_names() -> None:
    assert HoldBook().add(rule(tenant="anything", entity_set="whatever")).state == "waiting"
