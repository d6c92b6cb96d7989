"""Steps about records: creating them on either side, linking, renaming, deleting, and what each side holds."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from harness.suite import moves
from harness.suite.dataflow import Dataflow
from harness.suite.expect import same, unchanged
from harness.suite.subject import Subject, noun


@given("a CRMOffice contact", target_fixture="subject")
def a_contact(dataflow: Dataflow) -> Subject:
    return moves.create_contact(dataflow, noun("contact"))


@given("a CRMOffice company", target_fixture="subject")
def a_company(dataflow: Dataflow) -> Subject:
    return moves.create_company(dataflow, noun("company"))


@given("a CRMOffice contact who works there", target_fixture="subject")
def a_contact_of_the_company(dataflow: Dataflow, subject: Subject) -> Subject:
    return moves.create_contact(dataflow, noun("contact"), company={"id": subject.crm_id})


@given(parsers.parse("{count:d} CRMOffice contacts with a value in every mapped property"), target_fixture="group")
def contacts_with_phones(dataflow: Dataflow, count: int) -> list[Subject]:
    return [moves.create_contact(dataflow, noun("contact")) for _ in range(count)]


@given(parsers.parse("{count:d} CRMOffice companies"), target_fixture="group")
def companies(dataflow: Dataflow, count: int) -> list[Subject]:
    return [moves.create_company(dataflow, noun("company")) for _ in range(count)]


@given(parsers.parse("a {word:w} linked to a Business Central {other:w}"), target_fixture="subject")
def a_linked_pair(dataflow: Dataflow, word: str, other: str) -> Subject:
    kind = noun(word)
    assert kind.businesscentral == other, f"a CRMOffice {word} is linked to a {kind.businesscentral}, not a {other}"
    subject = (
        moves.create_contact(dataflow, kind) if kind.origin == "contacts" else moves.create_company(dataflow, kind)
    )
    moves.settle_linked(dataflow, subject)
    return subject


@given("a person contact created by a Business Central user", target_fixture="subject")
def a_bc_only_contact(dataflow: Dataflow) -> Subject:
    return moves.create_bc_only(dataflow, noun("contact"))


@given("a company customer created by a Business Central user", target_fixture="subject")
def a_bc_only_customer(dataflow: Dataflow) -> Subject:
    return moves.create_bc_only(dataflow, noun("customer"))


@given(parsers.parse("{count:d} more {plural:w} have been linked since"), target_fixture="others")
def more_linked_since(dataflow: Dataflow, count: int, plural: str) -> list[Subject]:
    kind = noun({"contacts": "contact", "companies": "company"}.get(plural, plural))
    others = [
        moves.create_contact(dataflow, kind) if kind.origin == "contacts" else moves.create_company(dataflow, kind)
        for _ in range(count)
    ]
    dataflow.run_sync()
    dataflow.wait(3600)
    return others


# --- edits ------------------------------------------------------------------------------------------------------
@when(parsers.parse("a CRMOffice user renames the {word:w}"))
def rename(dataflow: Dataflow, subject: Subject, word: str) -> None:
    if subject.kind.origin == "contacts":
        person = dataflow.data.person()
        dataflow.crm_update(subject.kind.origin, subject.crm_id, person)
        subject.new.update(person)
    else:
        moves.change(dataflow, subject, "crmoffice", "name")


@when("a CRMOffice user gives the company a new organisation number")
def new_org_nr(dataflow: Dataflow, subject: Subject) -> None:
    moves.change(dataflow, subject, "crmoffice", "orgNr", dataflow.data.org_nr())


@when("a Business Central user gives the customer a phone number")
def customer_phone(dataflow: Dataflow, subject: Subject) -> None:
    moves.change(dataflow, subject, "businesscentral", "phoneNumber")


@given(parsers.parse("a Business Central user deletes the {word:w}"))
@when(parsers.parse("a Business Central user deletes the {word:w}"))
def bc_user_deletes(dataflow: Dataflow, subject: Subject, word: str) -> None:
    assert subject.bc_id, f"{subject.describe()} has no Business Central {word} to delete"
    dataflow.bc_delete(subject.kind.target, subject.bc_id)


@when(parsers.parse("a CRMOffice user deletes the {word:w}"))
def crm_user_deletes(dataflow: Dataflow, subject: Subject, word: str) -> None:
    dataflow.crm_delete(subject.kind.origin, subject.crm_id)


# --- what each side holds ---------------------------------------------------------------------------------------
@then("Business Central holds exactly one person contact for it")
@then("Business Central holds exactly one company customer for it")
def exactly_one_counterpart(dataflow: Dataflow, subject: Subject) -> None:
    moves.counterpart(dataflow, subject)


@then("each of them has exactly one person contact in Business Central")
@then("each of them has exactly one company customer in Business Central")
@then("each of the other contacts has exactly one person contact in Business Central")
def each_has_one(dataflow: Dataflow, group: list[Subject]) -> None:
    with dataflow.reading():
        for subject in group:
            moves.counterpart(dataflow, subject)


@then("its Business Central contact is a person whose display name is the contact's given and family name")
def person_named_after(dataflow: Dataflow, subject: Subject) -> None:
    _named_after(dataflow, subject, "person")


@then("its Business Central customer is a company whose display name is the company's name")
def company_named_after(dataflow: Dataflow, subject: Subject) -> None:
    _named_after(dataflow, subject, "company")


def _named_after(dataflow: Dataflow, subject: Subject, kind: str) -> None:
    plan = dataflow.plan(subject.kind.origin)

    def named() -> None:
        record = moves.counterpart(dataflow, subject)
        crm = moves.crm_record(dataflow, subject)
        assert crm is not None, f"the CRMOffice record is gone — {subject.describe()}"
        same(record.get("type"), plan.target_type, "type of the Business Central record", subject)
        same(record.get("type"), kind.capitalize(), "type the checklist's classification implies", subject)
        keys = ("givenName", "familyName") if kind == "person" else ("name",)
        expected = " ".join(str(crm.get(k) or "") for k in keys)
        same(record.get("displayName"), expected, "displayName of the Business Central record", subject)

    dataflow.eventually(named)


@then("the Business Central contact keeps the name it was created with")
@then("the Business Central customer keeps the name it was created with")
def keeps_name(dataflow: Dataflow, subject: Subject) -> None:
    record = moves.bc_record(dataflow, subject)
    assert record is not None, f"the Business Central record is gone — {subject.describe()}"
    same(record.get("displayName"), subject.name, "displayName after the CRMOffice rename", subject)


@then("nothing has changed on the Business Central contact")
@then("nothing has changed on the Business Central customer")
def bc_unchanged(dataflow: Dataflow, subject: Subject) -> None:
    unchanged(
        subject.baseline.get("businesscentral"),
        moves.bc_record(dataflow, subject),
        "the Business Central record",
        subject,
    )


@then("nothing has changed on the CRMOffice contact")
@then("nothing has changed on the CRMOffice company")
def crm_unchanged(dataflow: Dataflow, subject: Subject) -> None:
    unchanged(subject.baseline.get("crmoffice"), moves.crm_record(dataflow, subject), "the CRMOffice record", subject)


@then("the Business Central contact is still there, unchanged")
@then("the Business Central customer is still there, unchanged")
def bc_still_there(dataflow: Dataflow, subject: Subject) -> None:
    bc_unchanged(dataflow, subject)


@then("the Business Central contact is left as its user made it")
@then("the Business Central customer is left as its user made it")
def bc_as_made(dataflow: Dataflow, subject: Subject) -> None:
    bc_unchanged(dataflow, subject)


@then(parsers.parse("CRMOffice does not get the {word:w} back"))
def not_back(dataflow: Dataflow, subject: Subject, word: str) -> None:
    assert moves.crm_record(dataflow, subject) is None, (
        f"the deleted CRMOffice {word} exists again — {subject.describe()}"
    )
    found = dataflow.crm_find(subject.kind.origin, subject.name)
    assert not found, f"expected no CRMOffice {word} named {subject.name!r}, found {[r['id'] for r in found]}"


@then(parsers.parse("Business Central does not get the {word:w} back"))
def not_back_in_bc(dataflow: Dataflow, subject: Subject, word: str) -> None:
    found = dataflow.counterparts_named(subject.kind.origin, subject.name)
    assert not found, (
        f"expected no Business Central {word} named {subject.name!r} once both sides deleted it, found "
        f"{[r['id'] for r in found]} — {subject.describe()}"
    )


@then(parsers.parse("CRMOffice has no {word:w} of that name"))
def no_copy(dataflow: Dataflow, subject: Subject, word: str) -> None:
    found = dataflow.crm_find(subject.kind.origin, subject.name)
    assert not found, (
        f"expected no CRMOffice {word} named {subject.name!r} (it was made in Business Central), "
        f"found {[r['id'] for r in found]} — {subject.describe()}"
    )
