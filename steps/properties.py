"""Steps about the checklist's property rows: edits, clears and conflicting edits on either side, and the values
each side shows afterwards. Property names are the checklist's own (``directPhone``, ``phoneNumber``)."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from harness.suite import moves
from harness.suite.dataflow import Dataflow, Side
from harness.suite.expect import is_empty, same, unchanged
from harness.suite.phrases import SYSTEM_NAMES, TYPES
from harness.suite.subject import Subject, noun


def _counterpart_property(dataflow: Dataflow, subject: Subject, prop: str) -> str:
    """The checklist row's other property; fails if the checklist under test has no row with ``prop``."""
    plan = dataflow.plan(subject.kind.origin)
    for pair in plan.pairs:
        if prop == pair.origin:
            return pair.target
        if prop == pair.target:
            return pair.origin
    rows = ", ".join(f"{p.origin} ↔ {p.target}" for p in plan.pairs) or "none"
    raise AssertionError(f"the checklist section {plan.heading!r} has no row with {prop!r} (its rows: {rows})")


@given(parsers.parse("a CRMOffice contact with a {prop:w}"), target_fixture="subject")
def contact_with(dataflow: Dataflow, prop: str) -> Subject:
    kind = noun("contact")
    _counterpart_property(dataflow, Subject(kind, "", ""), prop)
    value = moves.new_value(dataflow, kind.origin, prop)
    subject = moves.create_contact(dataflow, kind, filled=False, **{prop: value})
    subject.new[prop] = value
    return subject


@given(parsers.parse('a CRMOffice contact whose {prop:w} is "{value}"'), target_fixture="subject")
def contact_whose(dataflow: Dataflow, prop: str, value: str) -> Subject:
    subject = moves.create_contact(dataflow, noun("contact"), **{prop: value})
    subject.new[prop] = value
    return subject


@given(parsers.parse("a {side:System} user changes the {word:w}'s {prop:w}", extra_types=TYPES))
@when(parsers.parse("a {side:System} user changes the {word:w}'s {prop:w}", extra_types=TYPES))
def user_changes(dataflow: Dataflow, subject: Subject, side: Side, prop: str) -> None:
    moves.change(dataflow, subject, side, prop)


@when(
    parsers.parse(
        "a {side:System} user changes a detail of the {:w} that the checklist does not map", extra_types=TYPES
    )
)
def user_changes_unmapped(dataflow: Dataflow, subject: Subject, side: Side) -> None:
    moves.change(dataflow, subject, side, moves.unmapped_property(dataflow, subject, side))


@when(
    parsers.parse(
        "a minute later a {side:System} user changes a detail of the {:w} that the checklist does not map",
        extra_types=TYPES,
    )
)
def later_user_changes_unmapped(dataflow: Dataflow, subject: Subject, side: Side) -> None:
    dataflow.wait(60)
    user_changes_unmapped(dataflow, subject, side)


@when(parsers.parse("a minute later a {side:System} user changes the {:w}'s {prop:w}", extra_types=TYPES))
def later_user_changes(dataflow: Dataflow, subject: Subject, side: Side, prop: str) -> None:
    dataflow.wait(60)
    moves.change(dataflow, subject, side, prop)


@when(parsers.parse("a {side:System} user clears the {:w}'s {prop:w}", extra_types=TYPES))
def user_clears(dataflow: Dataflow, subject: Subject, side: Side, prop: str) -> None:
    moves.clear(dataflow, subject, side, prop)


@when(parsers.parse("a {side:System} user changes the other contacts' {prop:w}", extra_types=TYPES))
def user_changes_others(dataflow: Dataflow, others: list[Subject], side: Side, prop: str) -> None:
    with dataflow.reading():
        for other in others:
            if side == "businesscentral" and not other.bc_id:
                moves.counterpart(dataflow, other)
    for other in others:
        moves.change(dataflow, other, side, prop)


@then(parsers.parse("each of the other contacts has the new {source:w} as its {prop:w}"))
def others_show_new(dataflow: Dataflow, others: list[Subject], source: str, prop: str) -> None:
    with dataflow.reading():
        for other in others:
            same(
                _counterpart_property(dataflow, other, source), prop, f"the checklist's counterpart of {source}", other
            )
            origins = {pair.origin for pair in dataflow.plan(other.kind.origin).pairs}
            side: Side = "crmoffice" if prop in origins else "businesscentral"
            if side == "businesscentral" and not other.bc_id:
                moves.counterpart(dataflow, other)

            def shows(o: Subject = other, side: Side = side) -> None:
                same(_value(dataflow, o, side, prop), o.written(source), f"{SYSTEM_NAMES[side]} {prop}", o)

            dataflow.eventually(shows)


@when("users of both systems change the contact's direct phone at the same moment")
def same_moment(dataflow: Dataflow, subject: Subject) -> None:
    other = _counterpart_property(dataflow, subject, "directPhone")
    with dataflow.same_moment():
        moves.change(dataflow, subject, "crmoffice", "directPhone")
        moves.change(dataflow, subject, "businesscentral", other)


@when("users of both systems give the contact the same new value in every mapped property")
def same_values(dataflow: Dataflow, subject: Subject) -> None:
    for pair in dataflow.plan(subject.kind.origin).pairs:
        value = moves.change(dataflow, subject, "crmoffice", pair.origin)
        moves.change(dataflow, subject, "businesscentral", pair.target, value)


# --- values afterwards ------------------------------------------------------------------------------------------
def _value(dataflow: Dataflow, subject: Subject, side: Side, prop: str) -> object:
    record = moves.crm_record(dataflow, subject) if side == "crmoffice" else moves.bc_record(dataflow, subject)
    assert record is not None, f"the {side} record is gone — {subject.describe()}"
    return record.get(prop)


@then(parsers.parse("its Business Central contact's {target:w} is that {origin:w}"))
def created_with(dataflow: Dataflow, subject: Subject, target: str, origin: str) -> None:
    same(_counterpart_property(dataflow, subject, origin), target, f"the checklist's counterpart of {origin}", subject)
    moves.counterpart(dataflow, subject)
    dataflow.eventually(
        lambda: same(
            _value(dataflow, subject, "businesscentral", target),
            subject.written(origin),
            f"Business Central {target}",
            subject,
        )
    )


@then(parsers.parse("the {side:System} {:w}'s {prop:w} is the new {source:w}", extra_types=TYPES))
def shows_new(dataflow: Dataflow, subject: Subject, side: Side, prop: str, source: str) -> None:
    same(_counterpart_property(dataflow, subject, source), prop, f"the checklist's counterpart of {source}", subject)
    dataflow.eventually(
        lambda: same(
            _value(dataflow, subject, side, prop), subject.written(source), f"{SYSTEM_NAMES[side]} {prop}", subject
        )
    )


@then(parsers.parse("the {side:System} {:w} still has the new {prop:w}", extra_types=TYPES))
def still_new(dataflow: Dataflow, subject: Subject, side: Side, prop: str) -> None:
    same(
        _value(dataflow, subject, side, prop),
        subject.written(prop),
        f"{SYSTEM_NAMES[side]} {prop}, the user's own edit",
        subject,
    )


@then(parsers.parse("nothing else has changed on the {side:System} {:w}", extra_types=TYPES))
def nothing_else(dataflow: Dataflow, subject: Subject, side: Side) -> None:
    record = moves.crm_record(dataflow, subject) if side == "crmoffice" else moves.bc_record(dataflow, subject)
    # Only the counterparts of the edited properties may have moved.
    allowed = [_counterpart_property(dataflow, subject, prop) for prop in subject.new]
    unchanged(subject.baseline.get(side), record, f"the {SYSTEM_NAMES[side]} record", subject, allowed=allowed)


@then(parsers.parse("both sides show {side:System}'s new value for {origin:w} ↔ {target:w}", extra_types=TYPES))
def both_show(dataflow: Dataflow, subject: Subject, side: Side, origin: str, target: str) -> None:
    same(_counterpart_property(dataflow, subject, origin), target, f"the checklist's counterpart of {origin}", subject)
    winner = subject.written(origin) if side == "crmoffice" else subject.written(target)

    def both() -> None:
        what = f"({SYSTEM_NAMES[side]} edited last)"
        same(_value(dataflow, subject, "crmoffice", origin), winner, f"CRMOffice {origin} {what}", subject)
        same(_value(dataflow, subject, "businesscentral", target), winner, f"Business Central {target} {what}", subject)

    dataflow.eventually(both)


@then(parsers.parse("the {side:System} {:w} still has its {prop:w}", extra_types=TYPES))
def still_has_its(dataflow: Dataflow, subject: Subject, side: Side, prop: str) -> None:
    name = SYSTEM_NAMES[side]
    before = subject.baseline[side].get(prop)
    assert not is_empty(before), f"the baseline {name} {prop} was already empty — {subject.describe()}"
    same(_value(dataflow, subject, side, prop), before, f"{name} {prop} after the other side was cleared", subject)


@then(parsers.parse("the {side:System} {:w}'s {prop:w} stays empty", extra_types=TYPES))
def stays_empty(dataflow: Dataflow, subject: Subject, side: Side, prop: str) -> None:
    value = _value(dataflow, subject, side, prop)
    assert is_empty(value), (
        f"{SYSTEM_NAMES[side]} {prop}: expected it to stay empty as its user left it, found {value!r} — "
        f"{subject.describe()}"
    )


def _has_phone_numbers(dataflow: Dataflow, subject: Subject) -> None:
    def mirrored() -> None:
        record = moves.counterpart(dataflow, subject)
        crm = moves.crm_record(dataflow, subject)
        assert crm is not None, f"the CRMOffice record is gone — {subject.describe()}"
        for pair in dataflow.plan(subject.kind.origin).pairs:
            what = f"Business Central {pair.target} against CRMOffice {pair.origin}"
            same(record.get(pair.target), crm.get(pair.origin), what, subject)

    dataflow.eventually(mirrored)


@then("that contact has the CRMOffice contact's value in every mapped property")
def has_phone_numbers(dataflow: Dataflow, subject: Subject) -> None:
    _has_phone_numbers(dataflow, subject)


@then("each Business Central contact has its CRMOffice contact's value in every mapped property")
def each_has_phone_numbers(dataflow: Dataflow, group: list[Subject]) -> None:
    with dataflow.reading():
        for subject in group:
            _has_phone_numbers(dataflow, subject)


@then(parsers.parse('the refused contact\'s {prop:w} is still "{value}" in CRMOffice'))
def refused_kept(dataflow: Dataflow, subject: Subject, prop: str, value: str) -> None:
    same(_value(dataflow, subject, "crmoffice", prop), value, f"CRMOffice {prop}, refused by Business Central", subject)
