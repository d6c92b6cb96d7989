"""The soak's checker on hand-built histories: each rule accepts the end states the contract allows, names each
violation, and says "undecided" where the history cannot decide."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from harness.checklist import parse_file
from harness.soak.checker import NOT_WITHIN, Verdict, carried_nothing, check
from harness.soak.history import BC, CRM, Action, Event, FinalState, Side
from harness.sync import plan_dataflow
from harness.testdata.values import values_by_property

CHECKLIST = Path(__file__).resolve().parents[2] / "features" / "crmoffice-businesscentral.rst"
PLANS = {plan.origin: plan for plan in plan_dataflow(parse_file(CHECKLIST))}
ROWS = {flow: [values_by_property(plan)[pair.origin] for pair in plan.pairs] for flow, plan in PLANS.items()}
T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
WINDOW = 5.0


class History:
    """A history written the way it happened: ``at`` seconds after T0, also the tenant's stamp."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def add(self, kind: str, side: Side, record: str, at: float, flow: str = "contacts", **extra: Any) -> History:
        values = extra.pop("values", {})
        action = Action(kind, side, flow, record, values, refused=extra.pop("refused", False))  # type: ignore[arg-type]
        stamp = None if kind == "delete" else T0 + timedelta(seconds=at)
        self.events.append(Event(len(self.events), action, at, stamp=stamp, **extra))
        return self


def crm(**values: str) -> dict[str, Any]:
    return {"id": "crm", "givenName": "Soak", "familyName": "c1 qa-x", **values}


def bc(**values: str) -> dict[str, Any]:
    return {"id": "bc", "displayName": "Soak c1 qa-x", **values}


def verdict(history: History, final: FinalState) -> Verdict:
    return check(history.events, final, ROWS, window=WINDOW)


def rules(found: Verdict) -> list[tuple[int, str]]:
    return [(v.rule, v.record) for v in found.violations]


PHONE = "22 33 44 55"
OTHER = "66 77 88 99"


def linked(**crm_values: str) -> History:
    return History().add("create", CRM, "c1", 0, values=crm_values)


def test_a_created_pair_with_its_values_on_both_sides_holds() -> None:
    # Phones compare by their digits: a product may store "22334455" for "22 33 44 55".
    final = FinalState(crm={"c1": crm(directPhone=PHONE)}, bc={"c1": [bc(phoneNumber="22334455")]})
    found = verdict(linked(directPhone=PHONE), final)
    assert found.ok and found.checks.get(3, 0) >= 2, found.to_dict()


@pytest.mark.parametrize("count", [0, 2])
def test_rule_1_one_counterpart_exactly(count: int) -> None:
    final = FinalState(crm={"c1": crm(directPhone=PHONE)}, bc={"c1": [bc(phoneNumber=PHONE)] * count})
    found = verdict(linked(directPhone=PHONE), final)
    assert rules(found) == [(1, "c1")], found.to_dict()
    assert "expected one Business Central counterpart" in found.violations[0].message


def test_rule_3_a_value_that_never_arrived() -> None:
    final = FinalState(crm={"c1": crm(directPhone=PHONE)}, bc={"c1": [bc(phoneNumber="")]})
    found = verdict(linked(directPhone=PHONE), final)
    assert rules(found) == [(3, "c1")], found.to_dict()
    message = found.violations[0].message
    assert "directPhone ↔ phoneNumber: expected Business Central to show '22 33 44 55', found ''" in message, message


def test_rule_4_the_later_write_wins_on_both_sides() -> None:
    history = linked(directPhone=PHONE).add("edit", BC, "c1", 30, values={"phoneNumber": OTHER})
    good = FinalState(crm={"c1": crm(directPhone=OTHER)}, bc={"c1": [bc(phoneNumber=OTHER)]})
    assert verdict(history, good).ok, verdict(history, good).to_dict()
    stale = FinalState(crm={"c1": crm(directPhone=PHONE)}, bc={"c1": [bc(phoneNumber=PHONE)]})
    found = verdict(history, stale)
    assert rules(found) == [(4, "c1"), (4, "c1")], found.to_dict()


def test_rule_4_a_tie_goes_to_crmoffice() -> None:
    history = (
        linked()
        .add("edit", BC, "c1", 30, values={"phoneNumber": OTHER})
        .add("edit", CRM, "c1", 30, values={"directPhone": PHONE})
    )
    # The same stamp on both sides, listed Business Central first: still CRMOffice's value wins, and it is decided.
    found = verdict(history, FinalState(crm={"c1": crm(directPhone=OTHER)}, bc={"c1": [bc(phoneNumber=OTHER)]}))
    assert rules(found) == [(4, "c1"), (4, "c1")], found.to_dict()
    good = verdict(history, FinalState(crm={"c1": crm(directPhone=PHONE)}, bc={"c1": [bc(phoneNumber=PHONE)]}))
    assert good.ok and not [u for u in good.undecided if "directPhone" in u.why], good.to_dict()


def test_writes_closer_than_the_window_leave_the_winner_undecided_but_the_sides_must_agree() -> None:
    history = (
        linked()
        .add("edit", CRM, "c1", 30, values={"directPhone": PHONE})
        .add("edit", BC, "c1", 32, values={"phoneNumber": OTHER})
    )
    either = FinalState(crm={"c1": crm(directPhone=PHONE)}, bc={"c1": [bc(phoneNumber=PHONE)]})
    found = verdict(history, either)
    assert found.ok, found.to_dict()
    assert {(u.rule, u.record) for u in found.undecided} == {(4, "c1")}, found.to_dict()
    apart = FinalState(crm={"c1": crm(directPhone=PHONE)}, bc={"c1": [bc(phoneNumber=OTHER)]})
    found = verdict(history, apart)
    assert rules(found) == [(3, "c1")] and "the sides disagree" in found.violations[0].message, found.to_dict()


def test_rule_5_a_clear_empties_its_own_side_only() -> None:
    history = linked(directPhone=PHONE).add("clear", CRM, "c1", 30, values={"directPhone": ""})
    good = FinalState(crm={"c1": crm(directPhone=None)}, bc={"c1": [bc(phoneNumber=PHONE)]})  # type: ignore[arg-type]
    assert verdict(history, good).ok, verdict(history, good).to_dict()
    propagated = FinalState(crm={"c1": crm()}, bc={"c1": [bc(phoneNumber="")]})
    found = verdict(history, propagated)
    assert rules(found) == [(5, "c1")], found.to_dict()
    assert "expected Business Central to show '22 33 44 55'" in found.violations[0].message


def test_rule_6_a_crmoffice_delete_leaves_the_counterpart() -> None:
    history = linked(directPhone=PHONE).add("delete", CRM, "c1", 30, counterpart_seen=True)
    kept = FinalState(crm={"c1": None}, bc={"c1": [bc(phoneNumber=PHONE)]})
    assert verdict(history, kept).ok
    found = verdict(history, FinalState(crm={"c1": None}, bc={"c1": []}))
    assert rules(found) == [(6, "c1")] and "must leave the counterpart" in found.violations[0].message


def test_rule_6_undecided_when_the_counterpart_was_never_seen() -> None:
    history = linked().add("delete", CRM, "c1", 1)
    found = verdict(history, FinalState(crm={"c1": None}, bc={"c1": []}))
    assert found.ok and [(u.rule, u.record) for u in found.undecided] == [(6, "c1")], found.to_dict()


def test_rule_6_no_counterpart_is_made_again_for_a_deleted_origin() -> None:
    history = linked().add("delete", CRM, "c1", 20, counterpart_seen=True).add("delete", BC, "c1", 40)
    found = verdict(history, FinalState(crm={"c1": None}, bc={"c1": [bc()]}))
    assert rules(found) == [(6, "c1")] and "made again" in found.violations[0].message, found.to_dict()


def test_rule_6_a_crmoffice_record_nobody_deleted_must_stay() -> None:
    found = verdict(linked(directPhone=PHONE), FinalState(crm={"c1": None}, bc={"c1": [bc()]}))
    assert rules(found) == [(6, "c1")], found.to_dict()


def test_rule_7_a_business_central_only_record_is_neither_copied_nor_touched() -> None:
    history = History().add("create", BC, "b1", 0, values={"phoneNumber": PHONE, "email": "kari@firma.no"})
    mine = {"id": "b", "displayName": "Soak b1 qa-x", "phoneNumber": PHONE, "email": "kari@firma.no"}
    assert verdict(history, FinalState(bc={"b1": [mine]})).ok
    copied = FinalState(bc={"b1": [mine]}, crm_by_name={"b1": [crm()]})
    assert rules(verdict(history, copied)) == [(7, "b1")]
    touched = FinalState(bc={"b1": [{**mine, "email": ""}]})
    found = verdict(history, touched)
    assert rules(found) == [(7, "b1")] and "touched by someone else" in found.violations[0].message


def test_rule_8_a_write_in_a_quiet_period_is_an_echo() -> None:
    final = FinalState(
        crm={"c1": crm(directPhone=PHONE)},
        bc={"c1": [bc(phoneNumber=PHONE)]},
        quiet_writes=["c1 in CRMOffice: 2026-11-29T12:00:00Z -> 2026-11-29T12:00:09Z"],
    )
    found = verdict(linked(directPhone=PHONE), final)
    assert rules(found) == [(8, "*")] and "c1 in CRMOffice" in found.violations[0].message


def test_rule_9_a_refused_value_stays_in_crmoffice() -> None:
    refused = f"{PHONE} spør etter Kari"
    history = linked(directPhone=PHONE).add("edit", CRM, "c1", 30, values={"directPhone": refused}, refused=True)
    kept = FinalState(crm={"c1": crm(directPhone=refused)}, bc={"c1": [bc(phoneNumber=PHONE)]})
    found = verdict(history, kept)
    assert found.ok and found.checks.get(9) == 1, found.to_dict()
    assert (4, "c1") in {(u.rule, u.record) for u in found.undecided}, "Business Central's side cannot be decided"
    lost = FinalState(crm={"c1": crm(directPhone=PHONE)}, bc={"c1": [bc(phoneNumber=PHONE)]})
    assert rules(verdict(history, lost)) == [(9, "c1")]


def test_rule_3_unmapped_values_stay_where_they_were_written() -> None:
    history = linked(directPhone=PHONE, email="kari@firma.no").add("edit", BC, "c1", 30, values={"city": "Lund"})
    good = FinalState(
        crm={"c1": crm(directPhone=PHONE, email="kari@firma.no")}, bc={"c1": [bc(phoneNumber=PHONE, city="Lund")]}
    )
    assert verdict(history, good).ok, verdict(history, good).to_dict()
    copied = FinalState(
        crm={"c1": crm(directPhone=PHONE, email="kari@firma.no")},
        bc={"c1": [bc(phoneNumber=PHONE, city="Lund", email="kari@firma.no")]},
    )
    found = verdict(history, copied)
    assert rules(found) == [(3, "c1")] and "copied to the other side" in found.violations[0].message
    reverted = FinalState(
        crm={"c1": crm(directPhone=PHONE, email="kari@firma.no")}, bc={"c1": [bc(phoneNumber=PHONE, city="")]}
    )
    found = verdict(history, reverted)
    assert rules(found) == [(3, "c1")] and "nobody maps were changed" in found.violations[0].message


def test_a_value_written_just_before_its_record_was_deleted_is_undecided() -> None:
    history = (
        linked(directPhone=PHONE).add("edit", BC, "c1", 30, values={"phoneNumber": OTHER}).add("delete", BC, "c1", 31)
    )
    final = FinalState(crm={"c1": crm(directPhone=PHONE)}, bc={"c1": [bc(phoneNumber=PHONE)]})
    found = verdict(history, final)
    assert found.ok, found.to_dict()
    assert any(u.rule == 4 and "just before its user deleted" in u.why for u in found.undecided), found.to_dict()


def test_rule_8_a_crmoffice_write_with_no_business_central_change_to_bring_is_an_echo() -> None:
    history = linked(directPhone=PHONE)
    written = T0.isoformat().replace("+00:00", "Z")
    later = (T0 + timedelta(seconds=4)).isoformat().replace("+00:00", "Z")
    quiet = FinalState(crm={"c1": crm(directPhone=PHONE, updatedAt=written)}, bc={"c1": [bc(phoneNumber=PHONE)]})
    assert verdict(history, quiet).ok
    echoed = FinalState(crm={"c1": crm(directPhone=PHONE, updatedAt=later)}, bc={"c1": [bc(phoneNumber=PHONE)]})
    found = verdict(history, echoed)
    assert rules(found) == [(8, "c1")] and "an echo of the product's own write" in found.violations[0].message
    brought = (
        History()
        .add("create", CRM, "c1", 0, values={"directPhone": PHONE})
        .add("edit", BC, "c1", 2, values={"phoneNumber": OTHER})
    )
    final = FinalState(crm={"c1": crm(directPhone=OTHER, updatedAt=later)}, bc={"c1": [bc(phoneNumber=OTHER)]})
    assert verdict(brought, final).ok, "bringing a Business Central user's change is no echo"


def test_a_counterpart_that_never_showed_within_the_service_level_is_a_violation() -> None:
    history = linked(directPhone=PHONE)
    action = Action("edit", BC, "contacts", "c1", {"phoneNumber": OTHER})
    history.events.append(Event(1, action, 30, skipped=f"{NOT_WITHIN} 5 s (the service level)"))
    final = FinalState(crm={"c1": crm(directPhone=PHONE)}, bc={"c1": [bc(phoneNumber=PHONE)]})
    found = verdict(history, final)
    assert rules(found) == [(1, "c1")] and NOT_WITHIN in found.violations[0].message, found.to_dict()


def test_before_the_full_read_a_deleted_counterpart_may_still_be_missing() -> None:
    history = linked(directPhone=PHONE).add("delete", BC, "c1", 30, counterpart_seen=True)
    cycled = FinalState(crm={"c1": crm(directPhone=PHONE)}, bc={"c1": []})
    assert check(history.events, cycled, ROWS, window=WINDOW, full_read=False).ok
    assert rules(check(history.events, cycled, ROWS, window=WINDOW)) == [(1, "c1")]


def test_no_counterpart_is_expected_while_crmoffice_holds_a_value_business_central_refuses() -> None:
    refused = f"{PHONE} spør etter Kari"
    history = (
        linked(directPhone=PHONE)
        .add("delete", BC, "c1", 10, counterpart_seen=True)
        .add("edit", CRM, "c1", 11, values={"directPhone": refused}, refused=True)
    )
    action = Action("edit", BC, "contacts", "c1", {"phoneNumber": OTHER})
    history.events.append(Event(3, action, 30, skipped=f"{NOT_WITHIN} 15 s (the service level)"))
    final = FinalState(crm={"c1": crm(directPhone=refused)}, bc={"c1": []})
    found = check(history.events, final, ROWS, window=WINDOW, full_read=False)
    assert found.ok and any(u.rule == 1 and "refuses" in u.why for u in found.undecided), found.to_dict()


def test_a_counterpart_made_again_carries_what_crmoffice_shows_then() -> None:
    history = (
        linked(directPhone=PHONE)
        .add("edit", BC, "c1", 20, values={"phoneNumber": OTHER})
        .add("clear", CRM, "c1", 40, values={"directPhone": ""})
        .add("delete", BC, "c1", 60, counterpart_seen=True)
    )
    # Business Central's value reached CRMOffice, CRMOffice's user cleared it, a Business Central user deleted the
    # counterpart: the new one is made from CRMOffice's (empty) value.
    remade = FinalState(crm={"c1": crm()}, bc={"c1": [bc(phoneNumber="")]})
    assert verdict(history, remade).ok, verdict(history, remade).to_dict()
    stale = FinalState(crm={"c1": crm()}, bc={"c1": [bc(phoneNumber=OTHER)]})
    assert rules(verdict(history, stale)) == [(5, "c1")], verdict(history, stale).to_dict()


def barriers_missed(count: int) -> list[tuple[str, str]]:
    return [("edits", "the sync product did not carry the edits within its service level")] * count


@pytest.mark.parametrize(
    ("crossings", "final", "nothing"),
    [
        (0, FinalState(crm={"c1": crm()}, barriers_missed=barriers_missed(5)), True),
        (1, FinalState(crm={"c1": crm()}, barriers_missed=barriers_missed(4)), False),
        (0, FinalState(crm={"c1": crm()}, bc={"c1": [bc()]}, barriers_missed=barriers_missed(5)), False),
        (0, FinalState(crm={"c1": crm()}, crm_by_name={"b1": [crm()]}, barriers_missed=barriers_missed(5)), False),
    ],
    ids=["no barrier carried", "one marker crossed", "a counterpart made", "a Business Central record copied"],
)
def test_no_product_only_when_nothing_was_carried(crossings: int, final: FinalState, nothing: bool) -> None:
    assert carried_nothing(linked().events, final, crossings) is nothing


def test_a_counterpart_a_user_saw_is_the_product_carrying_something() -> None:
    history = linked().add("delete", BC, "c1", 3, counterpart_seen=True)
    final = FinalState(crm={"c1": crm()}, barriers_missed=barriers_missed(5))
    assert not carried_nothing(history.events, final, 0)
