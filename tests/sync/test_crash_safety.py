"""Rule 10: a sync killed between any two requests and started again converges, with no duplicate and no lost update."""

from __future__ import annotations

import contextlib

import pytest

from harness.sync import SyncState
from tests.sync.crash import Crash, CrashPlan, crashing_pair
from tests.sync.helpers import CONTACTS, World


def seed(world: World) -> list[str]:
    contacts = [world.crm_contact(f"Person{i}", "Test", directPhone=f"22 00 00 0{i}") for i in range(3)]
    world.crm_company()
    return contacts


def requests_of_a_clean_run(tmp_path_factory: pytest.TempPathFactory) -> int:
    world = World(tmp_path_factory.mktemp("count") / "state.sqlite")
    seed(world)
    plan = CrashPlan(at=10**6, after=False)
    engine = world.engine(crashing_pair(world, plan))
    engine.run()
    return plan.seen


@pytest.mark.parametrize("after", [False, True], ids=["request-lost", "answer-lost"])
def test_a_crash_at_every_request_of_the_first_sync_converges_without_duplicates(
    world: World, tmp_path_factory: pytest.TempPathFactory, after: bool
) -> None:
    total = requests_of_a_clean_run(tmp_path_factory)
    assert total >= 8, f"expected a first sync of several requests, counted {total}"
    for at in range(1, total + 1):
        fresh = World(tmp_path_factory.mktemp(f"crash{at}") / "state.sqlite")
        contacts = seed(fresh)
        engine = fresh.engine(crashing_pair(fresh, CrashPlan(at=at, after=after)))
        with pytest.raises(Crash):
            engine.run()
        engine.state.close()
        fresh.sync()
        fresh.sync()
        people = [c for c in fresh.bc_records("contacts") if c["type"] == "Person"]
        assert sorted(p["displayName"] for p in people) == ["Person0 Test", "Person1 Test", "Person2 Test"], (
            f"crash at request {at} ({'answer lost' if after else 'request lost'}): expected one contact each, "
            f"found {[p['displayName'] for p in people]}"
        )
        assert len(fresh.bc_records("customers")) == 1, f"crash at request {at}: expected one customer"
        for index, contact in enumerate(contacts):
            target = fresh.bc_record("contacts", fresh.counterpart(CONTACTS, contact))
            assert target["phoneNumber"] == f"22 00 00 0{index}", f"crash at {at}: contact {index} lost its phone"
        fresh.clear_counts()
        assert fresh.sync().writes == 0, f"crash at {at}: the state after the restart still wanted writes"
        fresh.pair.close()


def test_a_crash_after_an_update_landed_loses_nothing_and_echoes_nothing(
    world: World, tmp_path_factory: pytest.TempPathFactory
) -> None:
    contact = world.crm_contact(directPhone="11 11 11 11")
    world.sync()
    target = world.counterpart(CONTACTS, contact)
    world.tick()
    world.crm_edit("contacts", contact, directPhone="22 22 22 22")
    world.bc_edit("contacts", target, mobilePhoneNumber="933 33 333")
    for at in range(1, 20):
        plan = CrashPlan(at=at, after=True)
        engine = world.engine(crashing_pair(world, plan))
        try:
            engine.run()
        except Crash:
            engine.state.close()
            continue
        engine.state.close()
        break
    world.sync()
    assert world.bc_record("contacts", target)["phoneNumber"] == "22 22 22 22"
    assert world.crm_record("contacts", contact)["mobilePhone"] == "933 33 333"
    world.clear_counts()
    assert world.sync().writes == 0


def test_a_second_crash_while_linking_creates_that_had_landed_makes_no_duplicate(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The first run's creates land but their answer is lost; the next run finds them there ("already exists") and
    reads them to link them. A crash at any request of that run keeps them journalled, so the third run links them
    instead of creating them again."""
    probe = CrashPlan(at=10**6, after=False)
    counting = World(tmp_path_factory.mktemp("count") / "state.sqlite")
    seed(counting)
    counting.engine(crashing_pair(counting, probe)).run()
    counting.pair.close()
    batches = [n for n, path in enumerate(probe.paths, 1) if path.endswith("/$batch")]
    assert batches, f"expected the first sync to write in $batch requests, saw {probe.paths}"
    for first in batches:
        for second in range(1, requests_after_a_lost_answer(tmp_path_factory, first) + 1):
            fresh = World(tmp_path_factory.mktemp(f"crash{first}-{second}") / "state.sqlite")
            seed(fresh)
            for plan in (CrashPlan(at=first, after=True), CrashPlan(at=second, after=False)):
                engine = fresh.engine(crashing_pair(fresh, plan))
                with contextlib.suppress(Crash):
                    engine.run()
                engine.state.close()
            fresh.sync()
            names = sorted(c["displayName"] for c in fresh.bc_records("contacts") if c["type"] == "Person")
            assert names == ["Person0 Test", "Person1 Test", "Person2 Test"], (
                f"answer lost at request {first}, then a crash at request {second} of the next run: expected one "
                f"contact each, found {names}"
            )
            assert len(fresh.bc_records("customers")) == 1, f"crashes at {first} then {second}: one customer"
            fresh.pair.close()


def requests_after_a_lost_answer(tmp_path_factory: pytest.TempPathFactory, first: int) -> int:
    """How many requests the run after a lost answer at request ``first`` makes, crashing nowhere."""
    world = World(tmp_path_factory.mktemp(f"count{first}") / "state.sqlite")
    seed(world)
    counted = CrashPlan(at=10**6, after=False)
    for plan in (CrashPlan(at=first, after=True), counted):
        engine = world.engine(crashing_pair(world, plan))
        with contextlib.suppress(Crash):
            engine.run()
        engine.state.close()
    world.pair.close()
    assert any(path.endswith("/$batch") for path in counted.paths), f"expected the creates sent again: {counted.paths}"
    return counted.seen


def test_links_are_saved_every_so_many_writes_with_the_journal_rows_they_settle(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Links are saved in bulk, not after every batch: a crash costs the creates since the last save, which are still
    journalled, and nothing before it."""
    monkeypatch.setattr("harness.sync.batch.SAVE_EVERY", 100)
    for n in range(250):
        world.crm_contact(f"Person{n}", "Test")
    probe = CrashPlan(at=10**6, after=False)
    counting = World(world.state_path.parent / "count.sqlite")
    for n in range(250):
        counting.crm_contact(f"Person{n}", "Test")
    counting.engine(crashing_pair(counting, probe)).run()
    batches = [n for n, path in enumerate(probe.paths, 1) if path.endswith("/$batch")]
    assert len(batches) >= 3, f"expected the 250 contacts in three $batch requests, saw {probe.paths}"
    engine = world.engine(crashing_pair(world, CrashPlan(at=batches[2], after=False)))
    with pytest.raises(Crash):
        engine.run()
    engine.state.close()
    state = SyncState(world.state_path)
    try:
        linked = len(state.links(CONTACTS))
        journalled = len(state.journal())
    finally:
        state.close()
    assert (linked, journalled) == (200, 50), (
        f"expected the first two batches' 200 links saved and only the third batch's 50 creates journalled, found "
        f"{linked} links and {journalled} creates in flight"
    )
    world.sync()
    names = [c["displayName"] for c in world.bc_records("contacts") if c["type"] == "Person"]
    assert len(names) == len(set(names)) == 250, f"expected 250 distinct contacts after the restart, found {len(names)}"
    counting.pair.close()
