"""Records a pass reads back after the sync's own writes: decided against their links, never held (engine.py).

A first sync reads back every counterpart it created. Holding 100,000 of them at once was the bench's memory peak;
a record that is exactly what its link says is counted unchanged and dropped as its page is read. These tests pin
that dropping one changes nothing a user of the tenants could see.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness.sync import SyncEngine
from tests.sync.helpers import CONTACTS, PLANS, World

PLAN = next(plan for plan in PLANS if plan.key == CONTACTS)


def read_back(engine: SyncEngine, *, keep: set[str] | None = None) -> set[str]:
    """The target ids a non-reconciling pass over contacts would hold, reading every contact."""
    engine.links.start(plan.key for plan in PLANS)
    engine.ledger.start([plan.key for plan in PLANS])
    targets, _, _ = engine._read_targets(PLAN, None, drop_as_linked=True, keep=keep or set())
    return set(targets)


def test_a_pass_holds_none_of_the_syncs_own_writes_read_back(world: World) -> None:
    contacts = [world.crm_contact(f"Kari{n}", "Nordmann", directPhone=f"2233445{n}") for n in range(3)]
    world.sync()
    engine = world.engine()
    try:
        assert read_back(engine) == set(), "the counterparts the sync created are what their links say"
        edited = world.counterpart(CONTACTS, contacts[1])
        world.tick()
        world.bc_edit("contacts", edited, mobilePhoneNumber="91234567")
        assert read_back(engine) == {edited}, "a record a user edited since is held, to be decided"
        kept = world.counterpart(CONTACTS, contacts[2])
        assert read_back(engine, keep={kept}) == {edited, kept}, "a record refused on record is held, to retry"
        targets, _, _ = engine._read_targets(PLAN, None, drop_as_linked=False, keep=set())
        assert len(targets) == 3, "a reconciling pass holds every record it reads (a missing one was deleted)"
    finally:
        engine.state.close()


def test_records_read_back_alone_are_counted_unchanged(world: World) -> None:
    for n in range(4):
        world.crm_contact(f"Ola{n}", "Hansen", mobilePhone=f"9000000{n}")
    world.tick(10)  # the first run's CRMOffice cursor passes the contacts, so the second run reads only the echoes
    first = world.sync()
    assert first.unchanged.get(CONTACTS) == 0, first.unchanged
    second = world.sync()
    assert second.writes == 0, second.records
    assert second.unchanged.get(CONTACTS) == 4, (
        f"expected the 4 counterparts read back in the overlap window counted unchanged, found {second.unchanged}"
    )


def test_a_value_business_central_rewrites_on_the_way_in_comes_back(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The create's answer is the link's version, but its value is not the one sent: the record is not what its
    link says, so it is decided, and Business Central's spelling goes back to CRMOffice."""
    validate = world.bc.model._validate

    def without_spaces(spec: Any, value: Any, record: Any, schema: Any) -> Any:
        checked = validate(spec, value, record, schema)
        return checked.replace(" ", "") if spec.name == "phoneNumber" else checked

    monkeypatch.setattr(world.bc.model, "_validate", without_spaces)
    contact = world.crm_contact("Kari", "Nordmann", directPhone="22 33 44 55")
    world.sync()
    assert world.bc_record("contacts", world.counterpart(CONTACTS, contact))["phoneNumber"] == "22334455"
    assert world.crm_record("contacts", contact)["directPhone"] == "22334455", (
        "expected Business Central's rewritten phone number synced back to CRMOffice"
    )
