"""The moves the steps make, in business terms: create a record, link it, edit it on either side, look it up.

Each move goes through :class:`~harness.suite.dataflow.Dataflow` (so through the tenants' APIs) and keeps the
scenario's :class:`~harness.suite.subject.Subject` up to date, so the Then-steps can say "the new directPhone" and
"nothing else changed" without knowing how the record was made.
"""

from __future__ import annotations

from typing import Any, Literal

from harness.crmoffice.client import Resource
from harness.crmoffice.dataflow import display_name
from harness.suite.dataflow import Dataflow
from harness.suite.subject import Noun, Subject
from harness.testdata.values import values_by_property

__all__ = [
    "baseline",
    "bc_record",
    "change",
    "clear",
    "counterpart",
    "create_bc_only",
    "create_company",
    "create_contact",
    "crm_record",
    "link",
    "new_value",
    "settle_linked",
    "unmapped_property",
]

Side = Literal["crmoffice", "businesscentral"]


def create_contact(flow: Dataflow, kind: Noun, *, filled: bool = True, **fields: Any) -> Subject:
    """A contact as a CRMOffice user makes one: a name, an e-mail address, and (``filled``) a value in every property
    the checklist maps; ``fields`` on top."""
    person = flow.data.person()
    body: dict[str, Any] = {**person, "email": flow.data.email(person)}
    if filled:
        rows = values_by_property(flow.plan(kind.origin))
        for pair in flow.plan(kind.origin).pairs:
            body[pair.origin] = rows[pair.origin].fresh(flow.data, pair.origin)
    body.update(fields)
    record = flow.crm_create(kind.origin, body)
    return Subject(kind, str(record["id"]), display_name(kind.origin, record), created=dict(body))


def create_company(flow: Dataflow, kind: Noun) -> Subject:
    body = flow.data.company()
    record = flow.crm_create(kind.origin, body)
    return Subject(kind, str(record["id"]), display_name(kind.origin, record), created=dict(body))


def create_bc_only(flow: Dataflow, kind: Noun) -> Subject:
    """A record a Business Central user makes by hand, of the type the section's flow works on."""
    plan = flow.plan(kind.origin)
    if kind.origin == "contacts":
        person = flow.data.person()
        name = f"{person['givenName']} {person['familyName']}"
        body: dict[str, Any] = {"displayName": name, "type": plan.target_type, "email": flow.data.email(person)}
    else:
        name = str(flow.data.company()["name"])
        body = {"displayName": name, "type": plan.target_type, "phoneNumber": flow.data.landline()}
    rows = values_by_property(plan)
    for pair in plan.pairs:
        body[pair.target] = rows[pair.target].fresh(flow.data, pair.target)
    record = flow.bc_create(kind.target, body)
    subject = Subject(kind, "", name, bc_id=str(record["id"]), created=dict(body))
    subject.baseline["businesscentral"] = record
    return subject


def counterpart(flow: Dataflow, subject: Subject) -> dict[str, Any]:
    """The one Business Central record the sync made for the subject; fails naming what was found otherwise.

    That there is one is a positive expectation (polled after an external sync's barrier); that there is no second
    is judged once, when the first has shown."""
    plan = flow.plan(subject.kind.origin)

    def exactly_one() -> list[dict[str, Any]]:
        found = flow.counterparts_named(subject.kind.origin, subject.name)
        assert found, (
            f"expected exactly one Business Central {subject.kind.businesscentral} of type {plan.target_type} named "
            f"{subject.name!r}, found none — {subject.describe()}"
        )
        return found

    found = flow.eventually(exactly_one)
    ids = [str(item["id"]) for item in found]
    assert len(found) == 1, (
        f"expected exactly one Business Central {subject.kind.businesscentral} of type {plan.target_type} named "
        f"{subject.name!r}, found {len(found)} {ids} — {subject.describe()}"
    )
    subject.bc_id = ids[0]
    return found[0]


def crm_record(flow: Dataflow, subject: Subject) -> dict[str, Any] | None:
    return flow.crm_get(subject.kind.origin, subject.crm_id) if subject.crm_id else None


def bc_record(flow: Dataflow, subject: Subject) -> dict[str, Any] | None:
    return flow.bc_get(subject.kind.target, subject.bc_id) if subject.bc_id else None


def baseline(flow: Dataflow, subject: Subject) -> None:
    """Remember both records as they are now: what "unchanged" and "still has its …" are judged against."""
    crm, bc = crm_record(flow, subject), bc_record(flow, subject)
    if crm is not None:
        subject.baseline["crmoffice"] = crm
    if bc is not None:
        subject.baseline["businesscentral"] = bc


def link(flow: Dataflow, subject: Subject) -> None:
    """Let the sync link the subject to its counterpart, and take the baseline of both records."""
    flow.run_sync()
    counterpart(flow, subject)
    baseline(flow, subject)


def settle_linked(flow: Dataflow, subject: Subject, *, idle: float = 3600.0) -> None:
    """A pair as users live with it: linked, the Business Central side given details the checklist does not map
    (so "nothing else changed" has something to lose), synced again, and left alone for ``idle`` seconds (so the
    next sync meets the pair through its saved link, not through records it has just seen)."""
    link(flow, subject)
    assert subject.bc_id
    details = ("email", "website", "city")
    mapped = {pair.target for pair in flow.plan(subject.kind.origin).pairs}
    extra = {prop: new_value(flow, subject.kind.origin, prop) for prop in details if prop not in mapped}
    flow.bc_update(subject.kind.target, subject.bc_id, extra)
    flow.run_sync()
    flow.wait(idle)
    baseline(flow, subject)


def new_value(flow: Dataflow, origin: Resource, prop: str) -> str:
    """A fresh, realistic value for a property of a record of ``origin``'s section: what the checklist row's
    generator makes for a mapped one (:mod:`harness.testdata.values`), otherwise an e-mail address, a name, a web
    address, a phone number of the right kind, or text of the sort the property holds."""
    rows = values_by_property(flow.plan(origin))
    if prop in rows:
        return rows[prop].fresh(flow.data, prop)
    if prop == "email":
        return flow.data.email(flow.data.person())
    if prop in ("name", "displayName"):
        return str(flow.data.company()["name"])
    if prop == "website":
        return flow.data.website()
    if "phone" in prop.casefold():
        return flow.data.phone_for(prop)
    return flow.data.text_for(prop, 30)


UNMAPPED_DETAILS: dict[Side, tuple[str, ...]] = {
    "crmoffice": ("email", "website", "city", "directPhone", "mobilePhone", "givenName"),
    "businesscentral": ("email", "website", "city", "addressLine1", "phoneNumber", "mobilePhoneNumber"),
}
"""Contact details a user may edit, in the order a scenario about an unmapped property picks from."""


def unmapped_property(flow: Dataflow, subject: Subject, side: Side) -> str:
    """A contact detail of ``side`` that the checklist under test does not map (the first of
    :data:`UNMAPPED_DETAILS`); fails naming the rows when every one of them is mapped."""
    plan = flow.plan(subject.kind.origin)
    mapped = {pair.origin for pair in plan.pairs} | {pair.target for pair in plan.pairs}
    for prop in UNMAPPED_DETAILS[side]:
        if prop not in mapped:
            return prop
    rows = ", ".join(f"{p.origin} ↔ {p.target}" for p in plan.pairs)
    raise AssertionError(
        f"every contact detail the scenario could edit in {side} ({', '.join(UNMAPPED_DETAILS[side])}) is mapped by "
        f"the checklist section {plan.heading!r} ({rows}): there is nothing unmapped to edit"
    )


def change(flow: Dataflow, subject: Subject, side: Side, prop: str, value: Any | None = None) -> Any:
    value = new_value(flow, subject.kind.origin, prop) if value is None else value
    if side == "crmoffice":
        flow.crm_update(subject.kind.origin, subject.crm_id, {prop: value})
    else:
        assert subject.bc_id, f"{subject.describe()} has no Business Central counterpart to edit"
        flow.bc_update(subject.kind.target, subject.bc_id, {prop: value})
    subject.new[prop] = value
    return value


def clear(flow: Dataflow, subject: Subject, side: Side, prop: str) -> None:
    # Each product's own way of emptying a field: CRMOffice's merge patch takes null, Business Central an empty string.
    if side == "crmoffice":
        flow.crm_update(subject.kind.origin, subject.crm_id, {prop: None})
    else:
        assert subject.bc_id, f"{subject.describe()} has no Business Central counterpart to edit"
        flow.bc_update(subject.kind.target, subject.bc_id, {prop: ""})
    subject.new[prop] = None
