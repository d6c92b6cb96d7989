"""Property-based: random interleavings of edits on both sides, faults and crash points, then quiescence.

Each generated program alternates edits and sync runs. Edits: create a CRMOffice contact, set/change/clear a phone
on either side, delete a record on either side, create a Business Central-only contact, let the clock stand or move
(equal and different timestamps). Sync runs may meet throttling, unavailability and dropped connections, and may be
killed at a random request (and restarted). Within one interval between two syncs, a record is edited on one side
only: conflicting edits of one property are the rule tests' business, here the oracle stays exact.

After quiescence the invariants of the contract must hold:
- exactly one live Business Central counterpart per CRMOffice contact, and no Business Central person contact that
  is neither a counterpart nor a user's own (no duplicates);
- every mapped property agrees, or one side is empty (empty never overwrites), and holds only values users wrote;
- where no user ever cleared it, it holds the latest value a user wrote on either side (no lost update);
- no unmapped property was touched (the user's e-mail in CRMOffice, the city in Business Central);
- one more sync writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sync.crash import Crash, CrashPlan, crashing_pair
from tests.sync.helpers import CONTACTS, World

PAIRS = (("directPhone", "phoneNumber"), ("mobilePhone", "mobilePhoneNumber"))
VALUES = st.none() | st.sampled_from(["22 33 44 55", "+47 912 34 567", "900 00 000", "(+47) 55-55-55-55"])
FAULTS = st.sampled_from(
    [
        ("bc", {"method": "GET", "path": "*/contacts", "status": 503, "times": 2}),
        ("bc", {"method": "POST", "path": "*/$batch", "status": 429, "retry_after": 0.01, "times": 2}),
        ("bc", {"method": "POST", "path": "*/$batch", "drop": True, "times": 1}),
        ("crm", {"method": "GET", "path": "/contacts", "drop": True, "times": 2}),
        ("crm", {"method": "PATCH", "path": "/contacts/*", "status": 503, "times": 1}),
        ("crm", {"method": "GET", "path": "/contacts/*", "status": 429, "retry_after": 0, "times": 1}),
    ]
)


@dataclass
class Edit:
    kind: str  # "new", "set", "delete", "own", "tick"
    index: int = 0
    side: str = "crm"
    pair: int = 0
    value: Any = None


@dataclass
class Interval:
    edits: list[Edit]
    reconcile: bool
    faults: list[tuple[str, dict[str, Any]]]
    crash: tuple[int, bool] | None


_new = st.builds(Edit, kind=st.just("new"), value=st.tuples(VALUES, VALUES))
_set = st.builds(
    Edit,
    kind=st.just("set"),
    index=st.integers(0, 5),
    side=st.sampled_from(["crm", "bc"]),
    pair=st.integers(0, 1),
    value=VALUES,
)
_delete = st.builds(Edit, kind=st.just("delete"), index=st.integers(0, 5), side=st.sampled_from(["crm", "bc"]))
_own = st.builds(Edit, kind=st.just("own"), value=VALUES)
_tick = st.builds(Edit, kind=st.just("tick"), value=st.sampled_from([0.0, 0.001, 0.007, 1.0]))
# Edits of existing records are what the rules are about: weight them up.
edits = st.one_of(_new, _set, _set, _set, _set, _delete, _own, _tick)
intervals = st.builds(
    Interval,
    edits=st.lists(edits, min_size=1, max_size=6),
    reconcile=st.booleans(),
    faults=st.lists(FAULTS, max_size=2),
    crash=st.none() | st.tuples(st.integers(1, 12), st.booleans()),
)


@dataclass
class Oracle:
    """What the users did: enough to say what the tenants must show after quiescence."""

    contacts: list[str] = field(default_factory=list)  # CRMOffice ids, in creation order
    alive: set[str] = field(default_factory=set)
    latest: dict[tuple[str, int], Any] = field(default_factory=dict)  # latest non-empty user write per property
    written: dict[tuple[str, int], set[Any]] = field(default_factory=dict)  # every value users wrote there
    cleared: set[tuple[str, int]] = field(default_factory=set)  # properties a user ever cleared
    target_deleted: set[str] = field(default_factory=set)  # its counterpart was deleted: history restarts
    own: set[str] = field(default_factory=set)  # Business Central-only contacts
    gone_targets: set[str] = field(default_factory=set)

    def write(self, key: tuple[str, int], value: Any) -> None:
        if value:
            self.latest[key] = value
            self.written.setdefault(key, set()).add(value)
        else:
            self.cleared.add(key)


def apply(world: World, oracle: Oracle, edit: Edit, edited: dict[str, str]) -> None:
    live = [c for c in oracle.contacts if c in oracle.alive]
    if edit.kind == "tick":
        world.tick(edit.value)
    elif edit.kind == "new":
        direct, mobile = edit.value
        contact = world.crm_contact(
            f"Ny{len(oracle.contacts)}", "Kontakt", directPhone=direct, mobilePhone=mobile, email="kontakt@example.no"
        )
        oracle.contacts.append(contact)
        oracle.alive.add(contact)
        edited[contact] = "crm"
        for index, value in enumerate((direct, mobile)):
            oracle.write((contact, index), value)
    elif edit.kind == "own":
        oracle.own.add(
            world.bc_create("contacts", displayName="Egen BC-kontakt", type="Person", phoneNumber=edit.value or "")
        )
    elif live:
        contact = live[edit.index % len(live)]
        if edited.setdefault(contact, edit.side) != edit.side:
            return  # one side per record per interval (see the module docstring)
        linked = _target(world, contact)
        if edit.kind == "set":
            crm_property, bc_property = PAIRS[edit.pair]
            if edit.side == "crm":
                world.crm_edit("contacts", contact, **{crm_property: edit.value})
            elif linked is not None and linked not in oracle.gone_targets:
                world.bc_edit("contacts", linked, **{bc_property: edit.value or ""})
            else:
                return
            oracle.write((contact, edit.pair), edit.value)
        elif edit.side == "crm":
            world.crm_delete("contacts", contact)
            oracle.alive.discard(contact)
        elif linked is not None and linked not in oracle.gone_targets:
            world.bc_delete("contacts", linked)
            oracle.gone_targets.add(linked)
            oracle.target_deleted.add(contact)


def _target(world: World, contact: str) -> str | None:
    try:
        return world.counterpart(CONTACTS, contact)
    except AssertionError:
        return None  # not linked yet (never synced, or its create failed before landing)


def run_sync(world: World, interval: Interval) -> None:
    for system, rule in interval.faults:
        (world.bc if system == "bc" else world.crm).add_fault(**rule)
    if interval.crash is not None:
        at, after = interval.crash
        engine = world.engine(crashing_pair(world, CrashPlan(at=at, after=after)))
        try:
            engine.run(reconcile=interval.reconcile)
        except Crash:
            pass
        finally:
            engine.state.close()
    world.sync(reconcile=interval.reconcile)
    world.crm.faults.clear()
    world.bc.faults.clear()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(program=st.lists(intervals, min_size=2, max_size=6))
def test_random_programs_converge_to_what_the_contract_implies(program: list[Interval], tmp_path_factory: Any) -> None:
    world = World(Path(tmp_path_factory.mktemp("prop")) / "state.sqlite")
    oracle = Oracle()
    try:
        for interval in program:
            edited: dict[str, str] = {}
            for edit in interval.edits:
                apply(world, oracle, edit, edited)
            run_sync(world, interval)
        # Incremental syncs alone must converge on every record whose counterpart still exists (cursors, overlap)...
        for _ in range(3):
            if world.sync(reconcile=False).writes == 0:
                break
        check(world, oracle, reconciled=False)
        # ...and a reconciling sync brings back deleted counterparts.
        for _ in range(3):
            if world.sync(reconcile=True).writes == 0:
                break
        check(world, oracle, reconciled=True)
    finally:
        world.pair.close()


def check(world: World, oracle: Oracle, *, reconciled: bool) -> None:
    people = {c["id"]: c for c in world.bc_records("contacts") if c["type"] == "Person"}
    linked: dict[str, str] = {}
    for contact in oracle.contacts:
        if contact not in oracle.alive or (not reconciled and contact in oracle.target_deleted):
            continue
        target = world.counterpart(CONTACTS, contact)  # asserts exactly one live link
        assert target in people, f"contact {contact}: its counterpart {target} is not a Business Central person"
        assert target not in linked.values(), f"contact {contact}: counterpart {target} is shared"
        linked[contact] = target
        record = world.crm_record("contacts", contact)
        assert record["email"] == "kontakt@example.no", f"contact {contact}: an unmapped property changed"
        assert people[target]["city"] == "", f"contact {contact}: an unmapped Business Central property changed"
        for index, (crm_property, bc_property) in enumerate(PAIRS):
            mine, theirs = record.get(crm_property) or None, people[target][bc_property] or None
            assert mine == theirs or mine is None or theirs is None, (
                f"contact {contact}.{crm_property}: CRMOffice {mine!r} and Business Central {theirs!r} disagree"
            )
            shown = mine or theirs
            assert shown is None or shown in oracle.written.get((contact, index), set()), (
                f"contact {contact}.{crm_property}: {shown!r} was never written by a user"
            )
            if contact in oracle.target_deleted or (contact, index) in oracle.cleared:
                # Re-created counterparts start from the CRMOffice record; clears leave each side its own value.
                continue
            expected = oracle.latest.get((contact, index))
            assert shown == expected, (
                f"contact {contact}.{crm_property}: expected the latest value written, {expected!r}, found {shown!r}"
            )
    if reconciled:
        extras = set(people) - set(linked.values()) - oracle.own - _retired_targets(world, oracle)
        assert not extras, f"Business Central person contacts nobody asked for (duplicates?): {sorted(extras)}"
    world.clear_counts()
    assert world.sync(reconcile=reconciled).writes == 0, "a sync after quiescence still wrote"
    assert world.writes() == {"crmoffice": 0, "businesscentral": 0}


def _retired_targets(world: World, oracle: Oracle) -> set[str]:
    from harness.sync import SyncState

    state = SyncState(world.state_path)
    try:
        gone = [c for c in oracle.contacts if c not in oracle.alive]
        return {link.target_id for link in state.links_for(CONTACTS, "origin_id", gone)}
    finally:
        state.close()
